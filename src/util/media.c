/* media.c — see media.h.
 *
 * Invariant: no byte p[i] is read unless i < n has been established first;
 * readers below take (p, n, offset) and fail instead of reading past n.
 * Offsets read from the file (TIFF IFDs, ISO BMFF box sizes) are only ever
 * compared with n through has(), which cannot overflow. Readers return
 * TRUNC when the bytes end too soon and CORRUPT when they say nonsense. */
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

#define TRUNC MEDIA_SIZE_TRUNCATED
#define CORRUPT MEDIA_SIZE_CORRUPT

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
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

/* ---- ISO BMFF (MP4, MOV, HEIF): brands and boxes ---- */

static int brand_in(const uint8_t *b, const char *const *set)
{
    for (; *set; set++)
        if (memcmp(b, *set, 4) == 0)
            return 1;
    return 0;
}

/* HEIC/HEIF by the brands of the ftyp box (ISO/IEC 23008-12 Annex B), MOV by
 * its major brand, MP4 for the rest. AVIF shares HEIF's structural brand
 * mif1 but is another format (the record lists no AVIF): UNKNOWN. */
static enum media_type bmff_type(const uint8_t *p, size_t n)
{
    static const char *const heic[] = {"heic", "heix", "hevc", "hevx", "heim", "heis", NULL};
    static const char *const heif[] = {"mif1", "msf1", NULL};
    static const char *const avif[] = {"avif", "avis", NULL};
    size_t end = be32(p); /* the ftyp box; brands are 4-byte runs from 16 */
    if (end > n)
        end = n;
    int is_heic = brand_in(p + 8, heic), is_heif = brand_in(p + 8, heif), is_avif = brand_in(p + 8, avif);
    for (size_t off = 16; has(end, off, 4); off += 4) {
        is_heic |= brand_in(p + off, heic);
        is_heif |= brand_in(p + off, heif);
        is_avif |= brand_in(p + off, avif);
    }
    if (is_avif)
        return MEDIA_UNKNOWN;
    if (is_heic)
        return MEDIA_HEIC;
    if (is_heif)
        return MEDIA_HEIF;
    if (memcmp(p + 8, "qt  ", 4) == 0)
        return MEDIA_MOV;
    return MEDIA_MP4;
}

/* A QuickTime file without ftyp (older than 2001, still written by some
 * cameras) starts with one of its top-level atoms. */
static int is_bare_mov(const uint8_t *p, size_t n)
{
    if (!has(n, 0, 8))
        return 0;
    uint32_t size = be32(p);
    if (match(p, n, 4, "moov", 4) || match(p, n, 4, "wide", 4))
        return size >= 8;
    /* mdat may run to the end of the file (0) or use a 64-bit size (1) */
    return match(p, n, 4, "mdat", 4) && (size >= 8 || size <= 1);
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
        return bmff_type(p, n);
    if (is_bare_mov(p, n))
        return MEDIA_MOV;
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
    {MEDIA_HEIC, "image/heic", 'i'}, {MEDIA_HEIF, "image/heif", 'i'},
    {MEDIA_MOV, "video/quicktime", 'v'},
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
        if (!has(n, i, 1))
            return TRUNC;
        if (p[i] != 0xFF)
            return CORRUPT;
        while (has(n, i, 1) && p[i] == 0xFF) /* fill bytes before a marker */
            i++;
        if (!has(n, i, 1))
            return TRUNC;
        uint8_t m = p[i++];
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8))
            continue; /* TEM, RSTn, SOI: no length field */
        if (m == 0xD9 || m == 0xDA || m == 0x00)
            return CORRUPT; /* EOI or scan data before any frame header */
        if (!has(n, i, 2))
            return TRUNC;
        size_t len = be16(p + i);
        if (len < 2)
            return CORRUPT;
        if (jpeg_is_sof(m)) {
            /* length(2) precision(1) height(2) width(2) */
            if (len < 8)
                return CORRUPT;
            if (!has(n, i, 7))
                return TRUNC;
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
    if (!has(n, 0, 24))
        return TRUNC;
    if (be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
        return CORRUPT;
    *w = be32(p + 16);
    *h = be32(p + 20);
    return 0;
}

static int webp_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    /* "RIFF" size "WEBP", then the first chunk: fourcc(4) size(4) data */
    if (!has(n, 0, 20))
        return TRUNC;
    const uint8_t *c = p + 12, *d = p + 20;
    size_t left = n - 20;
    if (memcmp(c, "VP8 ", 4) == 0) {
        /* frame tag(3), start code 9D 01 2A, 14-bit width, 14-bit height */
        if (left < 10)
            return TRUNC;
        if (d[3] != 0x9D || d[4] != 0x01 || d[5] != 0x2A)
            return CORRUPT;
        *w = le16(d + 6) & 0x3FFF;
        *h = le16(d + 8) & 0x3FFF;
        return 0;
    }
    if (memcmp(c, "VP8L", 4) == 0) {
        /* signature 0x2F, then width-1 (14 bits) and height-1 (14 bits) */
        if (left < 5)
            return TRUNC;
        if (d[0] != 0x2F)
            return CORRUPT;
        uint32_t bits = le32(d + 1);
        *w = (bits & 0x3FFF) + 1;
        *h = ((bits >> 14) & 0x3FFF) + 1;
        return 0;
    }
    if (memcmp(c, "VP8X", 4) == 0) {
        /* flags(1) reserved(3) canvas width-1 (24 bits) height-1 (24 bits) */
        if (left < 10)
            return TRUNC;
        *w = le24(d + 4) + 1;
        *h = le24(d + 7) + 1;
        return 0;
    }
    return CORRUPT;
}

static int gif_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    /* "GIF89a", then the logical screen: width(2) height(2), little-endian */
    if (!has(n, 0, 10))
        return TRUNC;
    *w = le16(p + 6);
    *h = le16(p + 8);
    return 0;
}

static int bmp_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    if (!has(n, 0, 18))
        return TRUNC;
    uint32_t dib = le32(p + 14);
    if (dib == 12) { /* OS/2 BITMAPCOREHEADER: 16-bit sides */
        if (!has(n, 0, 22))
            return TRUNC;
        *w = le16(p + 18);
        *h = le16(p + 20);
        return 0;
    }
    if (dib < 40)
        return CORRUPT;
    if (!has(n, 0, 26))
        return TRUNC;
    int32_t sw = (int32_t)le32(p + 18), sh = (int32_t)le32(p + 22);
    if (sw <= 0 || sh == INT32_MIN)
        return CORRUPT;
    *w = (uint32_t)sw;
    *h = (uint32_t)(sh < 0 ? -sh : sh); /* negative height: top-down rows */
    return 0;
}

/* TIFF 6.0: header (byte order, 42, offset of IFD0); an IFD is count(2),
 * count entries of tag(2) type(2) count(4) value-or-offset(4), next(4).
 * ImageWidth (256) and ImageLength (257) are SHORT (3) or LONG (4), held in
 * the value field itself. IFD0 is the main image; later IFDs are only read
 * if it lacks the tags, and the walk stops after TIFF_MAX_IFDS so that a
 * loop of next-offsets ends. */
#define TIFF_MAX_IFDS 16

static int tiff_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    if (!has(n, 0, 8))
        return TRUNC;
    int le = p[0] == 'I';
    uint32_t (*u16)(const uint8_t *) = le ? le16 : be16;
    uint32_t (*u32)(const uint8_t *) = le ? le32 : be32;
    size_t off = u32(p + 4);
    for (int k = 0; k < TIFF_MAX_IFDS; k++) {
        if (off < 8)
            return CORRUPT; /* 0 ends the chain; below 8 overlaps the header */
        if (!has(n, off, 2))
            return TRUNC;
        size_t count = u16(p + off), e0 = off + 2;
        if (!has(n, e0, count * 12))
            return TRUNC;
        uint32_t fw = 0, fh = 0;
        for (size_t i = 0; i < count; i++) {
            const uint8_t *e = p + e0 + i * 12;
            uint32_t tag = u16(e), type = u16(e + 2);
            if ((tag != 256 && tag != 257) || u32(e + 4) < 1)
                continue;
            uint32_t v = type == 3 ? u16(e + 8) : type == 4 ? u32(e + 8) : 0;
            if (tag == 256)
                fw = v;
            else
                fh = v;
        }
        if (fw && fh) {
            *w = fw;
            *h = fh;
            return 0;
        }
        if (!has(n, e0 + count * 12, 4))
            return TRUNC;
        off = u32(p + e0 + count * 12);
    }
    return CORRUPT;
}

/* One ISO BMFF box inside [.., end): its type and its payload [body, next). */
struct bmff_box {
    const uint8_t *type;
    size_t body, next;
};

/* The box at *pos within [*pos, end): 1 and *pos moved past it; 0 at end;
 * TRUNC when its header or its declared size runs past end; CORRUPT when
 * the size is smaller than the header. A size of 0 means "to the end". */
static int bmff_next(const uint8_t *p, size_t *pos, size_t end, struct bmff_box *b)
{
    size_t at = *pos;
    if (at == end)
        return 0;
    if (!has(end, at, 8))
        return TRUNC;
    uint64_t size = be32(p + at);
    size_t hdr = 8;
    if (size == 1) {
        if (!has(end, at, 16))
            return TRUNC;
        size = be64(p + at + 8);
        hdr = 16;
    } else if (size == 0) {
        size = end - at;
    }
    if (size < hdr)
        return CORRUPT;
    if (size > end - at)
        return TRUNC;
    b->type = p + at + 4;
    b->body = at + hdr;
    b->next = at + (size_t)size;
    *pos = b->next;
    return 1;
}

/* The idx-th (1-based, as ipma counts) property box of ipco [from, to). */
static int heif_property(const uint8_t *p, size_t from, size_t to, uint32_t idx, struct bmff_box *out)
{
    size_t pos = from;
    for (uint32_t i = 1; bmff_next(p, &pos, to, out) == 1; i++)
        if (i == idx)
            return 1;
    return 0;
}

/* ispe: FullBox header(4), image_width(4), image_height(4). */
static int heif_ispe(const uint8_t *p, const struct bmff_box *b, uint32_t *w, uint32_t *h)
{
    if (memcmp(b->type, "ispe", 4) != 0 || b->next - b->body < 12)
        return 0;
    *w = be32(p + b->body + 4);
    *h = be32(p + b->body + 8);
    return 1;
}

/* The primary item's ispe and irot through ipma: version(1) flags(3)
 * entry_count(4), then per entry item_ID (2 bytes, 4 from version 1),
 * count(1) and count associations of 1 byte (7-bit index) or, with flags
 * bit 0, 2 bytes (15-bit index). A malformed ipma leaves *w at 0. */
static void heif_primary_ispe(const uint8_t *p, size_t ipma, size_t ipma_end, size_t ipco, size_t ipco_end,
                              uint32_t primary, uint32_t *w, uint32_t *h, int *turns)
{
    if (!has(ipma_end, ipma, 8))
        return;
    int version = p[ipma], wide = p[ipma + 3] & 1;
    size_t idsz = version < 1 ? 2 : 4, asz = wide ? 2 : 1, at = ipma + 8;
    uint32_t entries = be32(p + ipma + 4);
    /* each entry takes at least 3 bytes, so the walk ends within ipma */
    for (uint32_t e = 0; e < entries; e++) {
        if (!has(ipma_end, at, idsz + 1))
            return;
        uint32_t item = idsz == 2 ? be16(p + at) : be32(p + at);
        size_t count = p[at + idsz];
        at += idsz + 1;
        if (!has(ipma_end, at, count * asz))
            return;
        if (item != primary) {
            at += count * asz;
            continue;
        }
        for (size_t i = 0; i < count; i++) {
            uint32_t idx = asz == 2 ? be16(p + at + 2 * i) & 0x7FFF : p[at + i] & 0x7Fu;
            struct bmff_box prop;
            if (idx == 0 || !heif_property(p, ipco, ipco_end, idx, &prop))
                continue;
            if (!*w)
                heif_ispe(p, &prop, w, h);
            if (memcmp(prop.type, "irot", 4) == 0 && prop.next > prop.body)
                *turns = p[prop.body] & 3;
        }
        return;
    }
}

/* HEIF (ISO/IEC 23008-12): meta (a FullBox) holds pitm, the primary item's
 * id, and iprp, whose ipco lists property boxes and whose ipma associates
 * items with 1-based property indices. The primary item's ispe gives its
 * size (for a grid, the whole picture), its irot a turn by 90° steps. A
 * file without those associations is judged by its largest ispe. Every box
 * inside meta must lie inside its parent: meta itself must be whole. */
static int heif_size(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
    struct bmff_box b, meta = {0};
    size_t pos = 0;
    int rc;
    for (int k = 0; k < 64 && !meta.type; k++) {
        if ((rc = bmff_next(p, &pos, n, &b)) != 1)
            return rc == 0 ? TRUNC : rc; /* the bytes end before meta, or are bad */
        if (memcmp(b.type, "meta", 4) == 0)
            meta = b;
    }
    if (!meta.type || meta.next - meta.body < 4)
        return CORRUPT;
    int have_primary = 0;
    uint32_t primary = 0;
    size_t ipco = 0, ipco_end = 0, ipma = 0, ipma_end = 0;
    pos = meta.body + 4; /* version and flags */
    while ((rc = bmff_next(p, &pos, meta.next, &b)) == 1) {
        size_t len = b.next - b.body;
        if (memcmp(b.type, "pitm", 4) == 0 && len >= 6) {
            have_primary = 1;
            primary = p[b.body] == 0 ? be16(p + b.body + 4) : len >= 8 ? be32(p + b.body + 4) : 0;
        } else if (memcmp(b.type, "iprp", 4) == 0) {
            struct bmff_box c;
            size_t in = b.body;
            while ((rc = bmff_next(p, &in, b.next, &c)) == 1) {
                if (memcmp(c.type, "ipco", 4) == 0 && !ipco)
                    ipco = c.body, ipco_end = c.next;
                else if (memcmp(c.type, "ipma", 4) == 0 && !ipma)
                    ipma = c.body, ipma_end = c.next;
            }
            if (rc != 0)
                return CORRUPT;
        }
    }
    if (rc != 0 || !ipco)
        return CORRUPT;

    uint32_t fw = 0, fh = 0;
    int turns = 0;
    if (have_primary && ipma)
        heif_primary_ispe(p, ipma, ipma_end, ipco, ipco_end, primary, &fw, &fh, &turns);
    if (!fw || !fh) { /* no usable association: the largest ispe */
        uint64_t best = 0;
        fw = fh = 0;
        pos = ipco;
        while (bmff_next(p, &pos, ipco_end, &b) == 1) {
            uint32_t iw, ih;
            if (heif_ispe(p, &b, &iw, &ih) && (uint64_t)iw * ih > best) {
                best = (uint64_t)iw * ih;
                fw = iw, fh = ih;
            }
        }
        turns = 0;
    }
    if (!fw || !fh)
        return CORRUPT;
    *w = turns & 1 ? fh : fw;
    *h = turns & 1 ? fw : fh;
    return 0;
}

int media_image_size(const uint8_t *p, size_t n, enum media_type t, int *w, int *h)
{
    uint32_t uw = 0, uh = 0;
    int rc;
    if (!p || media_sniff(p, n) != t)
        return CORRUPT;
    switch (t) {
    case MEDIA_JPEG: rc = jpeg_size(p, n, &uw, &uh); break;
    case MEDIA_PNG: rc = png_size(p, n, &uw, &uh); break;
    case MEDIA_WEBP: rc = webp_size(p, n, &uw, &uh); break;
    case MEDIA_GIF: rc = gif_size(p, n, &uw, &uh); break;
    case MEDIA_BMP: rc = bmp_size(p, n, &uw, &uh); break;
    case MEDIA_TIFF: rc = tiff_size(p, n, &uw, &uh); break;
    case MEDIA_HEIC:
    case MEDIA_HEIF: rc = heif_size(p, n, &uw, &uh); break;
    default: return CORRUPT;
    }
    if (rc != 0)
        return rc;
    /* A zero side (JPEG's "height from DNL", a broken header) or one beyond
     * int is nothing a caller can judge: call it corrupt. */
    if (uw == 0 || uh == 0 || uw > INT32_MAX || uh > INT32_MAX)
        return CORRUPT;
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
