/* media.c — see media.h.
 *
 * Invariant: no byte p[i] is read unless i < n has been established first;
 * readers below take (p, n, offset) and fail instead of reading past n. */
#include "util/media.h"

#include <stdio.h>
#include <string.h>

static int has(size_t n, size_t off, size_t len)
{
    return off <= n && len <= n - off;
}

static int match(const uint8_t *p, size_t n, size_t off, const char *magic, size_t len)
{
    return has(n, off, len) && memcmp(p + off, magic, len) == 0;
}

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le24(const uint8_t *p) { return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* An MPEG audio frame header: sync, a real layer, a usable bitrate and
 * sample rate. Checking the fields, not just the 11 sync bits, keeps random
 * binary starting with 0xFF from passing as MP3. */
static int is_mpeg_audio_frame(const uint8_t *p, size_t n)
{
    if (!has(n, 0, 4) || p[0] != 0xFF || (p[1] & 0xE0) != 0xE0)
        return 0;
    int version = (p[1] >> 3) & 3, layer = (p[1] >> 1) & 3;
    int bitrate = p[2] >> 4, rate = (p[2] >> 2) & 3;
    return version != 1 && layer != 0 && bitrate != 0 && bitrate != 15 && rate != 3;
}

enum media_type media_sniff(const uint8_t *p, size_t n)
{
    if (!p)
        return MEDIA_UNKNOWN;
    if (match(p, n, 0, "\xFF\xD8\xFF", 3))
        return MEDIA_JPEG;
    if (match(p, n, 0, "\x89PNG\r\n\x1a\n", 8))
        return MEDIA_PNG;
    if (match(p, n, 0, "RIFF", 4) && match(p, n, 8, "WEBP", 4))
        return MEDIA_WEBP;
    if (match(p, n, 0, "RIFF", 4) && match(p, n, 8, "WAVE", 4))
        return MEDIA_WAV;
    if (match(p, n, 0, "GIF87a", 6) || match(p, n, 0, "GIF89a", 6))
        return MEDIA_GIF;
    if (match(p, n, 0, "BM", 2) && has(n, 0, 26) && le32(p + 14) >= 12)
        return MEDIA_BMP;
    if (match(p, n, 0, "II*\0", 4) || match(p, n, 0, "MM\0*", 4))
        return MEDIA_TIFF;
    if (match(p, n, 4, "ftyp", 4) && has(n, 0, 12) && be32(p) >= 8)
        return MEDIA_MP4;
    if (match(p, n, 0, "\x1A\x45\xDF\xA3", 4))
        return MEDIA_WEBM;
    if (match(p, n, 0, "OggS", 4))
        return MEDIA_OGG;
    if (match(p, n, 0, "fLaC", 4))
        return MEDIA_FLAC;
    if (match(p, n, 0, "ID3", 3) || is_mpeg_audio_frame(p, n))
        return MEDIA_MP3;
    return MEDIA_UNKNOWN;
}

struct media_row {
    enum media_type type;
    const char *mime;
    char kind; /* 'i'mage, 'v'ideo, 'a'udio */
};

static const struct media_row media_rows[] = {
    {MEDIA_JPEG, "image/jpeg", 'i'}, {MEDIA_PNG, "image/png", 'i'},
    {MEDIA_WEBP, "image/webp", 'i'}, {MEDIA_GIF, "image/gif", 'i'},
    {MEDIA_BMP, "image/bmp", 'i'},   {MEDIA_TIFF, "image/tiff", 'i'},
    {MEDIA_MP4, "video/mp4", 'v'},   {MEDIA_WEBM, "video/webm", 'v'},
    {MEDIA_MP3, "audio/mpeg", 'a'},  {MEDIA_WAV, "audio/wav", 'a'},
    {MEDIA_OGG, "audio/ogg", 'a'},   {MEDIA_FLAC, "audio/flac", 'a'},
};

static const struct media_row *row_of(enum media_type t)
{
    for (size_t i = 0; i < sizeof media_rows / sizeof media_rows[0]; i++)
        if (media_rows[i].type == t)
            return &media_rows[i];
    return NULL;
}

const char *media_type_name(enum media_type t)
{
    const struct media_row *r = row_of(t);
    return r ? r->mime : "application/octet-stream";
}

int media_is_image(enum media_type t) { const struct media_row *r = row_of(t); return r && r->kind == 'i'; }
int media_is_video(enum media_type t) { const struct media_row *r = row_of(t); return r && r->kind == 'v'; }
int media_is_audio(enum media_type t) { const struct media_row *r = row_of(t); return r && r->kind == 'a'; }

/* Start-of-frame markers carry the dimensions: SOF0-3, 5-7, 9-11, 13-15.
 * C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
static int jpeg_is_sof(uint8_t m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

static int jpeg_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    size_t i = 2; /* after SOI */
    for (;;) {
        if (!has(n, i, 1) || p[i] != 0xFF)
            return -1;
        while (has(n, i, 1) && p[i] == 0xFF) /* fill bytes before a marker */
            i++;
        if (!has(n, i, 1))
            return -1;
        uint8_t m = p[i++];
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8))
            continue; /* TEM, RSTn, SOI: no length field */
        if (m == 0xD9 || m == 0xDA || m == 0x00)
            return -1; /* EOI or scan data before any frame header */
        if (!has(n, i, 2))
            return -1;
        size_t len = be16(p + i);
        if (len < 2)
            return -1;
        if (jpeg_is_sof(m)) {
            /* length(2) precision(1) height(2) width(2) */
            if (len < 8 || !has(n, i, 7))
                return -1;
            *h = be16(p + i + 3);
            *w = be16(p + i + 5);
            return 0;
        }
        /* i grows by at least 2 each round, so the walk ends within n. */
        i += len;
    }
}

static int png_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    /* signature(8) length(4)=13 "IHDR" width(4) height(4) */
    if (!has(n, 0, 24) || be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
        return -1;
    *w = be32(p + 16);
    *h = be32(p + 20);
    return 0;
}

static int webp_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    /* "RIFF" size "WEBP", then the first chunk: fourcc(4) size(4) data */
    if (!has(n, 0, 20))
        return -1;
    const uint8_t *c = p + 12, *d = p + 20;
    size_t left = n - 20;
    if (memcmp(c, "VP8 ", 4) == 0) {
        /* frame tag(3), start code 9D 01 2A, 14-bit width, 14-bit height */
        if (left < 10 || d[3] != 0x9D || d[4] != 0x01 || d[5] != 0x2A)
            return -1;
        *w = le16(d + 6) & 0x3FFF;
        *h = le16(d + 8) & 0x3FFF;
        return 0;
    }
    if (memcmp(c, "VP8L", 4) == 0) {
        /* signature 0x2F, then width-1 (14 bits) and height-1 (14 bits) */
        if (left < 5 || d[0] != 0x2F)
            return -1;
        uint32_t bits = le32(d + 1);
        *w = (bits & 0x3FFF) + 1;
        *h = ((bits >> 14) & 0x3FFF) + 1;
        return 0;
    }
    if (memcmp(c, "VP8X", 4) == 0) {
        /* flags(1) reserved(3) canvas width-1 (24 bits) height-1 (24 bits) */
        if (left < 10)
            return -1;
        *w = le24(d + 4) + 1;
        *h = le24(d + 7) + 1;
        return 0;
    }
    return -1;
}

static int gif_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    if (!has(n, 0, 10))
        return -1;
    *w = le16(p + 6);
    *h = le16(p + 8);
    return 0;
}

static int bmp_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    if (!has(n, 0, 18))
        return -1;
    uint32_t dib = le32(p + 14);
    if (dib == 12) { /* OS/2 BITMAPCOREHEADER: 16-bit sides */
        if (!has(n, 0, 22))
            return -1;
        *w = le16(p + 18);
        *h = le16(p + 20);
        return 0;
    }
    if (dib < 40 || !has(n, 0, 26))
        return -1;
    int32_t sw = (int32_t)le32(p + 18), sh = (int32_t)le32(p + 22);
    if (sw <= 0 || sh == INT32_MIN)
        return -1;
    *w = (uint32_t)sw;
    *h = (uint32_t)(sh < 0 ? -sh : sh); /* negative height: top-down rows */
    return 0;
}

int media_image_size(const uint8_t *p, size_t n, enum media_type t, int *w, int *h)
{
    uint32_t uw = 0, uh = 0;
    int rc;
    if (!p || media_sniff(p, n) != t)
        return -1;
    switch (t) {
    case MEDIA_JPEG: rc = jpeg_size(p, n, &uw, &uh); break;
    case MEDIA_PNG: rc = png_size(p, n, &uw, &uh); break;
    case MEDIA_WEBP: rc = webp_size(p, n, &uw, &uh); break;
    case MEDIA_GIF: rc = gif_size(p, n, &uw, &uh); break;
    case MEDIA_BMP: rc = bmp_size(p, n, &uw, &uh); break;
    default: return -1;
    }
    /* A zero side (JPEG's "height from DNL", a broken header) or one beyond
     * int is nothing a caller can judge: call it corrupt. */
    if (rc != 0 || uw == 0 || uh == 0 || uw > INT32_MAX || uh > INT32_MAX)
        return -1;
    *w = (int)uw;
    *h = (int)uh;
    return 0;
}

int media_check_image_dims(int w, int h, char *msg, size_t msg_cap)
{
    const char *why = NULL;
    if (w < MEDIA_MIN_SIDE || h < MEDIA_MIN_SIDE || w > MEDIA_MAX_SIDE || h > MEDIA_MAX_SIDE)
        why = "each side must be 300 to 6000 px";
    /* 0.4 <= w/h <= 2.5 in integers: 2h <= 5w and 2w <= 5h. Exact, where
     * floating point would wobble right at the edges. */
    else if ((int64_t)2 * h > (int64_t)5 * w || (int64_t)2 * w > (int64_t)5 * h)
        why = "the aspect ratio (width/height) must be 0.4 to 2.5";
    if (!why)
        return 0;
    if (msg && msg_cap > 0)
        snprintf(msg, msg_cap, "image is %dx%d px; %s", w, h, why);
    return -1;
}
