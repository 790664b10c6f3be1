/* test_media.c — sniffing by magic bytes, image dimensions from headers
 * (including truncated and hostile inputs), the upstream's size rule and the
 * simulator's compliance check; every image format the record lists is also
 * read from files written by independent tools at test time. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tools.h"
#include "sim/sim_int.h"
#include "util/media.h"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* A PNG signature and IHDR chunk (CRC left zero: only the header is read). */
static size_t make_png(uint8_t *p, uint32_t w, uint32_t h)
{
    memcpy(p, "\x89PNG\r\n\x1a\n", 8);
    put_be32(p + 8, 13);
    memcpy(p + 12, "IHDR", 4);
    put_be32(p + 16, w);
    put_be32(p + 20, h);
    memcpy(p + 24, "\x08\x02\x00\x00\x00", 5);
    memset(p + 29, 0, 4);
    return 33;
}

/* SOI, an APP0 (JFIF) segment, a DQT-ish segment, fill bytes, then SOF. */
static size_t make_jpeg(uint8_t *p, uint8_t sof, uint16_t w, uint16_t h)
{
    static const uint8_t head[] = {
        0xFF, 0xD8,                                                 /* SOI */
        0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, /* APP0 */
        0xFF, 0xDB, 0x00, 0x04, 0x00, 0x00,                         /* short DQT */
        0xFF, 0xFF,                                                 /* fill */
    };
    size_t n = sizeof head;
    memcpy(p, head, n);
    p[n++] = 0xFF;
    p[n++] = sof;
    p[n++] = 0x00; p[n++] = 0x11; /* length 17 */
    p[n++] = 8;                   /* precision */
    p[n++] = (uint8_t)(h >> 8); p[n++] = (uint8_t)h;
    p[n++] = (uint8_t)(w >> 8); p[n++] = (uint8_t)w;
    p[n++] = 3;
    memset(p + n, 0, 9);
    n += 9;
    p[n++] = 0xFF; p[n++] = 0xD9;
    return n;
}

static size_t make_webp_vp8(uint8_t *p, uint16_t w, uint16_t h)
{
    memcpy(p, "RIFF\x00\x00\x00\x00WEBPVP8 \x0a\x00\x00\x00", 20);
    uint8_t d[10] = {0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, (uint8_t)w, (uint8_t)(w >> 8), (uint8_t)h, (uint8_t)(h >> 8)};
    memcpy(p + 20, d, 10);
    return 30;
}

static size_t make_webp_vp8l(uint8_t *p, uint32_t w, uint32_t h)
{
    memcpy(p, "RIFF\x00\x00\x00\x00WEBPVP8L\x05\x00\x00\x00", 20);
    uint32_t bits = (w - 1) | (h - 1) << 14;
    uint8_t d[5] = {0x2F, (uint8_t)bits, (uint8_t)(bits >> 8), (uint8_t)(bits >> 16), (uint8_t)(bits >> 24)};
    memcpy(p + 20, d, 5);
    return 25;
}

static size_t make_webp_vp8x(uint8_t *p, uint32_t w, uint32_t h)
{
    memcpy(p, "RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00", 20);
    uint32_t a = w - 1, b = h - 1;
    uint8_t d[10] = {0x10, 0, 0, 0, (uint8_t)a, (uint8_t)(a >> 8), (uint8_t)(a >> 16),
                     (uint8_t)b, (uint8_t)(b >> 8), (uint8_t)(b >> 16)};
    memcpy(p + 20, d, 10);
    return 30;
}

static size_t make_gif(uint8_t *p, uint16_t w, uint16_t h)
{
    memcpy(p, "GIF89a", 6);
    p[6] = (uint8_t)w; p[7] = (uint8_t)(w >> 8);
    p[8] = (uint8_t)h; p[9] = (uint8_t)(h >> 8);
    p[10] = 0; p[11] = 0; p[12] = 0;
    return 13;
}

/* ---- BMP, TIFF, HEIF, MOV built by hand: every branch and hostile input ---- */

static size_t make_bmp(uint8_t *p, int32_t w, int32_t h)
{
    memset(p, 0, 54);
    memcpy(p, "BM", 2);
    p[10] = 54;
    p[14] = 40; /* BITMAPINFOHEADER */
    for (int i = 0; i < 4; i++) {
        p[18 + i] = (uint8_t)((uint32_t)w >> (8 * i));
        p[22 + i] = (uint8_t)((uint32_t)h >> (8 * i));
    }
    return 54;
}

static void test_bmp_size(void)
{
    uint8_t b[64];
    int w = 0, h = 0;
    size_t n = make_bmp(b, 640, 480);
    CHECK(media_sniff(b, n) == MEDIA_BMP);
    CHECK(media_image_size(b, n, MEDIA_BMP, &w, &h) == 0 && w == 640 && h == 480);
    make_bmp(b, 300, -700); /* top-down rows */
    CHECK(media_image_size(b, n, MEDIA_BMP, &w, &h) == 0 && w == 300 && h == 700);
    CHECK(media_image_size(b, 25, MEDIA_BMP, &w, &h) == MEDIA_SIZE_CORRUPT); /* too short to sniff as BMP */
    make_bmp(b, 300, INT32_MIN);
    CHECK(media_image_size(b, n, MEDIA_BMP, &w, &h) == MEDIA_SIZE_CORRUPT);
    make_bmp(b, -300, 300);
    CHECK(media_image_size(b, n, MEDIA_BMP, &w, &h) == MEDIA_SIZE_CORRUPT);
    make_bmp(b, 300, 300);
    b[14] = 12; /* OS/2 core header: 16-bit sides */
    b[18] = 0x20; b[19] = 0x03; b[20] = 0x58; b[21] = 0x02;
    CHECK(media_image_size(b, n, MEDIA_BMP, &w, &h) == 0 && w == 800 && h == 600);
    b[14] = 20; /* neither core nor info header */
    CHECK(media_image_size(b, n, MEDIA_BMP, &w, &h) == MEDIA_SIZE_CORRUPT);
}

/* A TIFF header and IFD at ifd (entries: tag, type, value), next IFD 'next'. */
struct tiff_entry {
    uint16_t tag, type;
    uint32_t value;
};

static void put16(uint8_t *p, int be, uint32_t v)
{
    p[be ? 0 : 1] = (uint8_t)(v >> 8);
    p[be ? 1 : 0] = (uint8_t)v;
}

static void put32(uint8_t *p, int be, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

/* An IFD at p: count, entries, next-IFD offset; its length. */
static size_t put_ifd(uint8_t *p, int be, const struct tiff_entry *e, size_t ne, uint32_t next)
{
    put16(p, be, (uint32_t)ne);
    for (size_t i = 0; i < ne; i++) {
        uint8_t *q = p + 2 + 12 * i;
        put16(q, be, e[i].tag);
        put16(q + 2, be, e[i].type);
        put32(q + 4, be, 1);
        put32(q + 8, be, 0);
        if (e[i].type == 3)
            put16(q + 8, be, e[i].value); /* SHORT: left-justified in the field */
        else
            put32(q + 8, be, e[i].value);
    }
    put32(p + 2 + 12 * ne, be, next);
    return 2 + 12 * ne + 4;
}

/* A TIFF header pointing at IFD0 at ifd, and that IFD. */
static size_t make_tiff(uint8_t *p, int be, uint32_t ifd, const struct tiff_entry *e, size_t ne, uint32_t next)
{
    memset(p, 0, ifd);
    memcpy(p, be ? "MM\0*" : "II*\0", 4);
    put32(p + 4, be, ifd);
    return ifd + put_ifd(p + ifd, be, e, ne, next);
}

static void test_tiff_size(void)
{
    uint8_t b[512];
    int w = 0, h = 0;
    const struct tiff_entry shorts[] = {{254, 4, 0}, {256, 3, 640}, {257, 3, 480}, {258, 3, 8}};
    const struct tiff_entry longs[] = {{256, 4, 70000}, {257, 4, 300}};
    for (int be = 0; be <= 1; be++) {
        size_t n = make_tiff(b, be, 8, shorts, 4, 0);
        CHECK(media_sniff(b, n) == MEDIA_TIFF);
        CHECK(media_image_size(b, n, MEDIA_TIFF, &w, &h) == 0 && w == 640 && h == 480);
        n = make_tiff(b, be, 100, longs, 2, 0);
        CHECK(media_image_size(b, n, MEDIA_TIFF, &w, &h) == 0 && w == 70000 && h == 300);
        /* every prefix that stops before the second entry ends is truncated */
        for (size_t k = 4; k < 100 + 2 + 24; k++)
            CHECK(media_image_size(b, k, MEDIA_TIFF, &w, &h) == MEDIA_SIZE_TRUNCATED);
        /* IFD0 without the tags: the walk goes on to IFD1 at 300 */
        const struct tiff_entry none[] = {{258, 3, 8}};
        make_tiff(b, be, 8, none, 1, 300);
        n = 300 + put_ifd(b + 300, be, longs, 2, 0);
        CHECK(media_image_size(b, n, MEDIA_TIFF, &w, &h) == 0 && w == 70000 && h == 300);
        CHECK(media_image_size(b, 299, MEDIA_TIFF, &w, &h) == MEDIA_SIZE_TRUNCATED);
        /* a chain that loops back on itself ends */
        n = make_tiff(b, be, 8, none, 1, 8);
        CHECK(media_image_size(b, n, MEDIA_TIFF, &w, &h) == MEDIA_SIZE_CORRUPT);
        /* an IFD offset into the header, or 0 */
        n = make_tiff(b, be, 8, shorts, 4, 0);
        put32(b + 4, be, 4);
        CHECK(media_image_size(b, n, MEDIA_TIFF, &w, &h) == MEDIA_SIZE_CORRUPT);
        put32(b + 4, be, 0);
        CHECK(media_image_size(b, n, MEDIA_TIFF, &w, &h) == MEDIA_SIZE_CORRUPT);
        /* an IFD offset near 4 GiB: past the bytes, no wrap-around */
        put32(b + 4, be, 0xFFFFFFF0u);
        CHECK(media_image_size(b, n, MEDIA_TIFF, &w, &h) == MEDIA_SIZE_TRUNCATED);
        /* a width of another type (RATIONAL) is not a width */
        const struct tiff_entry odd[] = {{256, 5, 640}, {257, 3, 480}};
        n = make_tiff(b, be, 8, odd, 2, 0);
        CHECK(media_image_size(b, n, MEDIA_TIFF, &w, &h) == MEDIA_SIZE_CORRUPT);
        /* an entry count of 65535 with few bytes behind it */
        n = make_tiff(b, be, 8, shorts, 4, 0);
        put16(b + 8, be, 0xFFFF);
        CHECK(media_image_size(b, n, MEDIA_TIFF, &w, &h) == MEDIA_SIZE_TRUNCATED);
    }
}

/* ISO BMFF boxes, written into a fixed buffer; sizes patched on close. */
struct bmff {
    uint8_t b[2048];
    size_t n, open[8];
    int depth;
};

static void bm_bytes(struct bmff *m, const void *p, size_t len)
{
    memcpy(m->b + m->n, p, len);
    m->n += len;
}

static void bm_u32(struct bmff *m, uint32_t v)
{
    put_be32(m->b + m->n, v);
    m->n += 4;
}

static void bm_u16(struct bmff *m, uint32_t v)
{
    m->b[m->n++] = (uint8_t)(v >> 8);
    m->b[m->n++] = (uint8_t)v;
}

static void bm_open(struct bmff *m, const char *type)
{
    m->open[m->depth++] = m->n;
    bm_u32(m, 0);
    bm_bytes(m, type, 4);
}

static void bm_close(struct bmff *m)
{
    size_t at = m->open[--m->depth];
    put_be32(m->b + at, (uint32_t)(m->n - at));
}

static void bm_ftyp(struct bmff *m, const char *major, const char *compat)
{
    bm_open(m, "ftyp");
    bm_bytes(m, major, 4);
    bm_u32(m, 0);
    bm_bytes(m, compat, strlen(compat));
    bm_close(m);
}

static void bm_ispe(struct bmff *m, uint32_t w, uint32_t h)
{
    bm_open(m, "ispe");
    bm_u32(m, 0);
    bm_u32(m, w);
    bm_u32(m, h);
    bm_close(m);
}

/* A HEIC: items 1 (primary unless told) and 2; ipco holds ispe 160x120 (1),
 * ispe 640x480 (2), irot (3); ipma gives item 2 -> 1, item 1 -> 2 and, if
 * rot, 3. wide: ipma with 16-bit indices. with_ipma 0: no associations. */
static size_t make_heic(struct bmff *m, uint32_t primary, int rot, int wide, int with_ipma)
{
    memset(m, 0, sizeof *m);
    bm_ftyp(m, "heic", "mif1heic");
    bm_open(m, "meta");
    bm_u32(m, 0);
    bm_open(m, "hdlr");
    bm_bytes(m, "\0\0\0\0\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0", 25);
    bm_close(m);
    bm_open(m, "pitm");
    bm_u32(m, 0);
    bm_u16(m, primary);
    bm_close(m);
    bm_open(m, "iprp");
    bm_open(m, "ipco");
    bm_ispe(m, 160, 120);
    bm_ispe(m, 640, 480);
    bm_open(m, "irot");
    m->b[m->n++] = 1; /* 90 degrees */
    bm_close(m);
    bm_close(m); /* ipco */
    if (with_ipma) {
        bm_open(m, "ipma");
        bm_u32(m, wide ? 1 : 0);
        bm_u32(m, 2);
        bm_u16(m, 2);
        m->b[m->n++] = 1;
        if (wide)
            bm_u16(m, 0x8001);
        else
            m->b[m->n++] = 0x81;
        bm_u16(m, 1);
        m->b[m->n++] = (uint8_t)(rot ? 2 : 1);
        if (wide) {
            bm_u16(m, 2);
            if (rot)
                bm_u16(m, 3);
        } else {
            m->b[m->n++] = 2;
            if (rot)
                m->b[m->n++] = 3;
        }
        bm_close(m);
    }
    bm_close(m); /* iprp */
    bm_close(m); /* meta */
    bm_open(m, "mdat");
    bm_bytes(m, "\0\0\0\0", 4);
    bm_close(m);
    return m->n;
}

static void test_heif_size(void)
{
    static struct bmff m;
    int w = 0, h = 0;
    size_t n = make_heic(&m, 1, 0, 0, 1);
    CHECK(media_sniff(m.b, n) == MEDIA_HEIC);
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == 0 && w == 640 && h == 480);
    CHECK(media_image_size(m.b, n, MEDIA_HEIF, &w, &h) == MEDIA_SIZE_CORRUPT); /* not what it is */
    /* the primary item decides, not the largest picture */
    n = make_heic(&m, 2, 0, 0, 1);
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == 0 && w == 160 && h == 120);
    /* irot turns the primary by 90 degrees */
    n = make_heic(&m, 1, 1, 0, 1);
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == 0 && w == 480 && h == 640);
    n = make_heic(&m, 1, 1, 1, 1); /* 16-bit property indices */
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == 0 && w == 480 && h == 640);
    n = make_heic(&m, 2, 0, 1, 1);
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == 0 && w == 160 && h == 120);
    /* no ipma, or a primary without an ispe: the largest ispe */
    n = make_heic(&m, 1, 0, 0, 0);
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == 0 && w == 640 && h == 480);
    n = make_heic(&m, 7, 0, 0, 1);
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == 0 && w == 640 && h == 480);
    /* every prefix that stops inside meta is truncated, never corrupt */
    n = make_heic(&m, 1, 0, 0, 1);
    size_t meta_end = n - 12;
    for (size_t k = 12; k < meta_end; k++) {
        int rc = media_image_size(m.b, k, MEDIA_HEIC, &w, &h);
        if (media_sniff(m.b, k) == MEDIA_HEIC)
            CHECK(rc == MEDIA_SIZE_TRUNCATED);
    }
    CHECK(media_image_size(m.b, meta_end, MEDIA_HEIC, &w, &h) == 0);
    /* hostile: an ipma entry count of 2^32-1, a property index past ipco */
    size_t ipma = 0;
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(m.b + i, "ipma", 4) == 0)
            ipma = i + 4;
    CHECK(ipma > 0);
    put_be32(m.b + ipma + 4, 0xFFFFFFFFu);
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == 0 && w == 640); /* falls back */
    n = make_heic(&m, 1, 0, 0, 1);
    m.b[ipma + 8 + 2 + 1 + 1 + 2 + 1] = 0x7F; /* item 1's property index 127 */
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == 0 && w == 640);
    /* a child box claiming more than its parent holds */
    n = make_heic(&m, 1, 0, 0, 1);
    put_be32(m.b + ipma - 8, 0x7FFFFFF0u);
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == MEDIA_SIZE_CORRUPT);
    /* a box smaller than its own header */
    n = make_heic(&m, 1, 0, 0, 1);
    put_be32(m.b + 24, 4); /* meta's size (ftyp is 24 bytes) */
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) == MEDIA_SIZE_CORRUPT);
    /* a 64-bit box size past the end */
    n = make_heic(&m, 1, 0, 0, 1);
    put_be32(m.b + 24, 1);
    CHECK(media_image_size(m.b, n, MEDIA_HEIC, &w, &h) != 0);
    /* no meta at all */
    memset(&m, 0, sizeof m);
    bm_ftyp(&m, "heic", "mif1");
    bm_open(&m, "free");
    bm_close(&m);
    CHECK(media_image_size(m.b, m.n, MEDIA_HEIC, &w, &h) == MEDIA_SIZE_TRUNCATED);
}

static void test_bmff_brands(void)
{
    static struct bmff m;
    static const struct {
        const char *major, *compat;
        enum media_type t;
    } cases[] = {
        {"heic", "mif1heic", MEDIA_HEIC}, {"heix", "mif1", MEDIA_HEIC}, {"mif1", "heic", MEDIA_HEIC},
        {"msf1", "hevc", MEDIA_HEIC},     {"mif1", "miaf", MEDIA_HEIF}, {"msf1", "iso8", MEDIA_HEIF},
        {"avif", "mif1miaf", MEDIA_UNKNOWN}, {"mif1", "avif", MEDIA_UNKNOWN},
        {"qt  ", "qt  ", MEDIA_MOV},      {"isom", "isomiso2avc1mp41", MEDIA_MP4}, {"mp42", "", MEDIA_MP4},
        {"M4V ", "M4V M4A mp42isom", MEDIA_MP4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&m, 0, sizeof m);
        bm_ftyp(&m, cases[i].major, cases[i].compat);
        CHECK(media_sniff(m.b, m.n) == cases[i].t);
        if (media_sniff(m.b, m.n) != cases[i].t)
            fprintf(stderr, "  brands %s/%s\n", cases[i].major, cases[i].compat);
    }
    /* brands are read only up to the ftyp's own size and the bytes there are */
    memset(&m, 0, sizeof m);
    bm_ftyp(&m, "isom", "mp41heic");
    put_be32(m.b, 20); /* ftyp ends before the heic brand */
    CHECK(media_sniff(m.b, m.n) == MEDIA_MP4);
    put_be32(m.b, 0xFFFFFFF0u);
    CHECK(media_sniff(m.b, 20) == MEDIA_MP4 && media_sniff(m.b, m.n) == MEDIA_HEIC);

    /* QuickTime without ftyp */
    CHECK(media_sniff((const uint8_t *)"\0\0\0\x08wide\0\0\0\x10mdat", 16) == MEDIA_MOV);
    CHECK(media_sniff((const uint8_t *)"\0\0\x01\x00moov\0\0\0\x6cmvhd", 16) == MEDIA_MOV);
    CHECK(media_sniff((const uint8_t *)"\0\0\0\0mdat", 8) == MEDIA_MOV);
    CHECK(media_sniff((const uint8_t *)"\0\0\0\x01mdat\0\0\0\0\0\0\0\x10", 16) == MEDIA_MOV);
    CHECK(media_sniff((const uint8_t *)"\0\0\0\x04moov", 8) == MEDIA_UNKNOWN);
    CHECK(media_sniff((const uint8_t *)"\0\0\0\x08moo", 7) == MEDIA_UNKNOWN);
    CHECK(media_sniff((const uint8_t *)"\0\0\0\x08free", 8) == MEDIA_UNKNOWN);
    CHECK_STR(media_type_name(MEDIA_MOV), "video/quicktime");
    CHECK_STR(media_type_name(MEDIA_HEIC), "image/heic");
    CHECK_STR(media_type_name(MEDIA_HEIF), "image/heif");
    CHECK(media_is_video(MEDIA_MOV) && media_is_image(MEDIA_HEIC) && media_is_image(MEDIA_HEIF));
}

static void test_sniff_recognises_magic_bytes(void)
{
    uint8_t b[128];
    CHECK(media_sniff(b, make_png(b, 1, 1)) == MEDIA_PNG);
    CHECK(media_sniff(b, make_jpeg(b, 0xC0, 1, 1)) == MEDIA_JPEG);
    CHECK(media_sniff(b, make_webp_vp8(b, 1, 1)) == MEDIA_WEBP);
    CHECK(media_sniff(b, make_gif(b, 1, 1)) == MEDIA_GIF);
    CHECK(media_sniff((const uint8_t *)"GIF87a\x01\x00\x01\x00", 10) == MEDIA_GIF);
    CHECK(media_sniff((const uint8_t *)"RIFF\0\0\0\0WAVEfmt ", 16) == MEDIA_WAV);
    CHECK(media_sniff((const uint8_t *)"ID3\x04\0\0\0\0\0\0", 10) == MEDIA_MP3);
    CHECK(media_sniff((const uint8_t *)"\xFF\xFB\x90\x64", 4) == MEDIA_MP3);
    CHECK(media_sniff((const uint8_t *)"\x00\x00\x00\x20" "ftypisom\0\0\0\0", 16) == MEDIA_MP4);
    CHECK(media_sniff((const uint8_t *)"\x1A\x45\xDF\xA3", 4) == MEDIA_WEBM);
    CHECK(media_sniff((const uint8_t *)"OggS\0", 5) == MEDIA_OGG);
    CHECK(media_sniff((const uint8_t *)"fLaC", 4) == MEDIA_FLAC);
    CHECK(media_sniff((const uint8_t *)"II*\0", 4) == MEDIA_TIFF);
    CHECK(media_type_name(MEDIA_JPEG) && strcmp(media_type_name(MEDIA_JPEG), "image/jpeg") == 0);
    CHECK_STR(media_type_name(MEDIA_MP4), "video/mp4");
    CHECK_STR(media_type_name(MEDIA_UNKNOWN), "application/octet-stream");
    CHECK(media_is_image(MEDIA_WEBP) && !media_is_image(MEDIA_MP4));
    CHECK(media_is_video(MEDIA_MP4) && !media_is_video(MEDIA_MP3));
    CHECK(media_is_audio(MEDIA_WAV) && media_is_audio(MEDIA_MP3) && !media_is_audio(MEDIA_UNKNOWN));
}

static void test_sniff_rejects_garbage_and_short_input(void)
{
    CHECK(media_sniff(NULL, 0) == MEDIA_UNKNOWN);
    CHECK(media_sniff((const uint8_t *)"", 0) == MEDIA_UNKNOWN);
    CHECK(media_sniff((const uint8_t *)"\x89PNG", 4) == MEDIA_UNKNOWN);
    CHECK(media_sniff((const uint8_t *)"\xFF\xD8", 2) == MEDIA_UNKNOWN);
    CHECK(media_sniff((const uint8_t *)"RIFF\0\0\0\0WEB", 11) == MEDIA_UNKNOWN);
    CHECK(media_sniff((const uint8_t *)"<html><body>hi</body></html>", 28) == MEDIA_UNKNOWN);
    CHECK(media_sniff((const uint8_t *)"GIF88a\0\0\0\0", 10) == MEDIA_UNKNOWN);
    /* 0xFF then bytes that are not a valid MPEG frame header */
    CHECK(media_sniff((const uint8_t *)"\xFF\xFF\xFF\xFF", 4) == MEDIA_UNKNOWN);
    CHECK(media_sniff((const uint8_t *)"\xFF\xF1\x50\x80", 4) == MEDIA_UNKNOWN); /* AAC ADTS */
}

static void test_png_size(void)
{
    uint8_t b[64];
    int w = 0, h = 0;
    size_t n = make_png(b, 400, 300);
    CHECK(media_image_size(b, n, MEDIA_PNG, &w, &h) == 0);
    CHECK(w == 400 && h == 300);
    CHECK(media_image_size(b, 24, MEDIA_PNG, &w, &h) == 0); /* exactly through IHDR */
    CHECK(media_image_size(b, 23, MEDIA_PNG, &w, &h) == MEDIA_SIZE_TRUNCATED);
    CHECK(media_image_size(b, n, MEDIA_JPEG, &w, &h) == -1); /* wrong type asked */
    memcpy(b + 12, "IDAT", 4);
    CHECK(media_image_size(b, n, MEDIA_PNG, &w, &h) == -1);
    make_png(b, 0, 300);
    CHECK(media_image_size(b, n, MEDIA_PNG, &w, &h) == -1);
    make_png(b, 0x80000000u, 300);
    CHECK(media_image_size(b, n, MEDIA_PNG, &w, &h) == -1);
}

static void test_jpeg_size_walks_to_sof(void)
{
    static const uint8_t sofs[] = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7,
                                   0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF};
    uint8_t b[128];
    for (size_t i = 0; i < sizeof sofs; i++) {
        int w = 0, h = 0;
        size_t n = make_jpeg(b, sofs[i], 1920, 1080);
        CHECK(media_image_size(b, n, MEDIA_JPEG, &w, &h) == 0);
        CHECK(w == 1920 && h == 1080);
    }
    /* DHT (C4) is not a frame header: the walk skips it, then finds nothing */
    int w = 0, h = 0;
    size_t n = make_jpeg(b, 0xC4, 1920, 1080);
    CHECK(media_image_size(b, n, MEDIA_JPEG, &w, &h) == -1);
}

static void test_jpeg_truncated_and_hostile(void)
{
    uint8_t b[128];
    int w, h;
    size_t n = make_jpeg(b, 0xC0, 640, 480);
    /* every prefix that stops before the SOF's width must fail cleanly */
    size_t sof_end = 28 + 2 + 2 + 1 + 4; /* head + marker + len + precision + h,w */
    for (size_t k = 0; k < sof_end; k++) /* below 3 bytes it is no JPEG at all */
        CHECK(media_image_size(b, k, MEDIA_JPEG, &w, &h) == (k < 3 ? MEDIA_SIZE_CORRUPT : MEDIA_SIZE_TRUNCATED));
    CHECK(media_image_size(b, sof_end, MEDIA_JPEG, &w, &h) == 0 && w == 640 && h == 480);
    (void)n;

    /* a segment length pointing far past the end */
    uint8_t big[] = {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0, 0};
    CHECK(media_image_size(big, sizeof big, MEDIA_JPEG, &w, &h) == MEDIA_SIZE_TRUNCATED);
    /* a length below 2 would loop forever if trusted */
    uint8_t zero[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xC0};
    CHECK(media_image_size(zero, sizeof zero, MEDIA_JPEG, &w, &h) == -1);
    /* SOS before any SOF */
    uint8_t sos[] = {0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 0, 0, 0, 0, 0, 0};
    CHECK(media_image_size(sos, sizeof sos, MEDIA_JPEG, &w, &h) == -1);
    /* all fill bytes */
    uint8_t fill[64];
    memset(fill, 0xFF, sizeof fill);
    fill[1] = 0xD8;
    CHECK(media_image_size(fill, sizeof fill, MEDIA_JPEG, &w, &h) == MEDIA_SIZE_TRUNCATED);
    /* height 0 (defined later by DNL) is not measurable */
    n = make_jpeg(b, 0xC0, 640, 0);
    CHECK(media_image_size(b, n, MEDIA_JPEG, &w, &h) == -1);
}

static void test_webp_sizes(void)
{
    uint8_t b[64];
    int w = 0, h = 0;
    size_t n = make_webp_vp8(b, 1024, 768);
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == 0 && w == 1024 && h == 768);
    CHECK(media_image_size(b, n - 1, MEDIA_WEBP, &w, &h) == MEDIA_SIZE_TRUNCATED);
    b[23] = 0;                                                   /* broken start code */
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == -1);

    n = make_webp_vp8l(b, 5000, 300);
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == 0 && w == 5000 && h == 300);
    CHECK(media_image_size(b, n - 1, MEDIA_WEBP, &w, &h) == MEDIA_SIZE_TRUNCATED);
    b[20] = 0x2E;
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == -1);

    n = make_webp_vp8x(b, 6000, 4000);
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == 0 && w == 6000 && h == 4000);
    CHECK(media_image_size(b, n - 1, MEDIA_WEBP, &w, &h) == MEDIA_SIZE_TRUNCATED);
    CHECK(media_image_size(b, 12, MEDIA_WEBP, &w, &h) == MEDIA_SIZE_TRUNCATED);
    memcpy(b + 12, "ALPH", 4);
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == -1);
}

static void test_gif_size(void)
{
    uint8_t b[16];
    int w = 0, h = 0;
    size_t n = make_gif(b, 500, 320);
    CHECK(media_image_size(b, n, MEDIA_GIF, &w, &h) == 0 && w == 500 && h == 320);
    CHECK(media_image_size(b, 9, MEDIA_GIF, &w, &h) == MEDIA_SIZE_TRUNCATED);
}

/* Random bytes behind every valid magic: must never read out of bounds
 * (ASan would say so) and must either fail or report positive sides. */
static void test_random_input_is_safe(void)
{
    static const char *magics[] = {"\xFF\xD8\xFF", "\x89PNG\r\n\x1a\n", "RIFF\0\0\0\0WEBPVP8 ",
                                   "RIFF\0\0\0\0WEBPVP8L", "RIFF\0\0\0\0WEBPVP8X", "GIF89a", "BM",
                                   "II*\0\x08\0\0\0", "MM\0*\0\0\0\x08", "\0\0\0\x18" "ftypheic\0\0\0\0mif1heic"};
    static const size_t mlen[] = {3, 8, 16, 16, 16, 6, 2, 8, 8, 24};
    const size_t kinds = sizeof mlen / sizeof mlen[0];
    srand(7);
    for (int iter = 0; iter < 40000; iter++) {
        size_t k = (size_t)iter % kinds, n = (size_t)(rand() % 160);
        uint8_t *p = malloc(n ? n : 1);
        size_t m = mlen[k] < n ? mlen[k] : n;
        memcpy(p, magics[k], m);
        for (size_t i = m; i < n; i++)
            p[i] = (uint8_t)(rand() % 4 == 0 ? 0xFF : rand());
        int w = -1, h = -1;
        enum media_type t = media_sniff(p, n);
        if (media_image_size(p, n, t, &w, &h) == 0)
            CHECK(w > 0 && h > 0);
        free(p);
    }
}

static void test_dimension_rules(void)
{
    char msg[128];
    CHECK(media_check_image_dims(300, 300, msg, sizeof msg) == 0);
    CHECK(media_check_image_dims(6000, 6000, msg, sizeof msg) == 0);
    CHECK(media_check_image_dims(299, 300, msg, sizeof msg) == -1);
    CHECK_STR(msg, "image is 299x300 px; each side must be 300 to 6000 px");
    CHECK(media_check_image_dims(6001, 6000, msg, sizeof msg) == -1);
    CHECK(media_check_image_dims(300, 6001, msg, sizeof msg) == -1);
    CHECK(media_check_image_dims(200, 200, msg, sizeof msg) == -1);
    CHECK_STR(msg, "image is 200x200 px; each side must be 300 to 6000 px");
    /* aspect edges: 400/1000 = 0.4 and 1000/400 = 2.5 pass, one pixel more fails */
    CHECK(media_check_image_dims(400, 1000, msg, sizeof msg) == 0);
    CHECK(media_check_image_dims(1000, 400, msg, sizeof msg) == 0);
    CHECK(media_check_image_dims(399, 1000, msg, sizeof msg) == -1);
    CHECK_STR(msg, "image is 399x1000 px; the aspect ratio (width/height) must be 0.4 to 2.5");
    CHECK(media_check_image_dims(1000, 399, msg, sizeof msg) == -1);
    CHECK(media_check_image_dims(2400, 6000, msg, sizeof msg) == 0);
    CHECK(media_check_image_dims(6000, 2399, msg, sizeof msg) == -1);
    CHECK(media_check_image_dims(0, 0, NULL, 0) == -1);
    CHECK(media_check_image_dims(-5, 400, msg, 8) == -1 && strlen(msg) == 7);
}

/* ---- files made by independent tools ----
 * The readers above are checked against files written by ImageMagick,
 * libwebp's cwebp, libheif's heif-enc and ffmpeg (Debian packages
 * imagemagick, webp, libheif-examples, ffmpeg: tools/deps.sh), generated
 * here into a temporary directory, so that the parsers agree with encoders
 * we did not write rather than with our own idea of the formats. */

static char tool_dir[64];
static const char *im; /* ImageMagick's convert */

/* Sets up the directory; 0 if every tool is there, else says which package. */
static int tools_ready(void)
{
    static int ready = -1;
    if (ready >= 0)
        return ready;
    ready = 0;
    /* The real ImageMagick by its Debian name first: a convert earlier in
     * PATH may be something else. */
    im = tool_have("convert-im6.q16") ? "convert-im6.q16" : tool_have("magick") ? "magick" : "convert";
    static const char *const need[][2] = {{"cwebp", "webp"}, {"heif-enc", "libheif-examples"}, {"ffmpeg", "ffmpeg"}};
    if (!tool_have(im)) {
        fprintf(stderr, "  missing ImageMagick: install Debian's imagemagick (tools/deps.sh)\n");
        return ready;
    }
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!tool_have(need[i][0])) {
            fprintf(stderr, "  missing %s: install Debian's %s (tools/deps.sh)\n", need[i][0], need[i][1]);
            return ready;
        }
    snprintf(tool_dir, sizeof tool_dir, "/tmp/portico-media-XXXXXX");
    if (!mkdtemp(tool_dir))
        return ready;
    ready = 1;
    return ready;
}

static void tools_cleanup(void)
{
    if (tool_dir[0])
        tool_run("rm -rf '%s'", tool_dir);
}

struct made {
    const char *what;     /* for messages */
    const char *ext;      /* file name suffix */
    enum media_type type; /* what it must sniff as */
};

/* Makes the file for row i from base.png (w x h); its path in path. */
static int make_with_tool(int i, const char *base, int w, int h, char *path, size_t cap)
{
    static const char *const ext[] = {"jpg", "png", "bmp", "tif", "mm.tif", "gif", "im.heic",
                                      "vp8.webp", "vp8l.webp", "vp8x.webp", "heic", "heif"};
    snprintf(path, cap, "%s/%dx%d.%s", tool_dir, w, h, ext[i]);
    switch (i) {
    case 0: return tool_run("%s %s -quality 80 %s", im, base, path);
    case 1: return tool_run("%s %s %s", im, base, path);
    case 2: return tool_run("%s %s BMP3:%s", im, base, path);
    case 3: return tool_run("%s %s -compress lzw %s", im, base, path);
    case 4: return tool_run("%s %s -define tiff:endian=msb %s", im, base, path);
    case 5: return tool_run("%s %s %s", im, base, path);
    case 6: return tool_run("%s %s %s", im, base, path);
    case 7: return tool_run("cwebp -quiet -q 50 %s -o %s", base, path);
    case 8: return tool_run("cwebp -quiet -lossless %s -o %s", base, path);
    case 9: /* alpha makes cwebp write the extended format */
        return tool_run("%s %s -alpha set -channel A -evaluate set 50%% %s.a.png && cwebp -quiet %s.a.png -o %s",
                        im, base, path, path, path);
    case 10: return tool_run("heif-enc -q 30 %s -o %s", base, path);
    case 11: /* a thumbnail adds a second, smaller ispe: the primary must win */
        return tool_run("heif-enc -q 30 -t 96 %s -o %s", base, path);
    }
    return -1;
}

static const struct made made_rows[] = {
    {"ImageMagick JPEG", "jpg", MEDIA_JPEG},         {"ImageMagick PNG", "png", MEDIA_PNG},
    {"ImageMagick BMP", "bmp", MEDIA_BMP},           {"ImageMagick TIFF (II, LZW)", "tif", MEDIA_TIFF},
    {"ImageMagick TIFF (MM)", "mm.tif", MEDIA_TIFF}, {"ImageMagick GIF", "gif", MEDIA_GIF},
    {"ImageMagick HEIC", "im.heic", MEDIA_HEIC},     {"cwebp lossy (VP8)", "vp8.webp", MEDIA_WEBP},
    {"cwebp lossless (VP8L)", "vp8l.webp", MEDIA_WEBP}, {"cwebp alpha (VP8X)", "vp8x.webp", MEDIA_WEBP},
    {"heif-enc HEIC", "heic", MEDIA_HEIC},           {"heif-enc HEIC + thumbnail", "heif", MEDIA_HEIC},
};

/* Every image format the record lists, at sizes that pass and at sizes that
 * break each rule by one step: the readers must report exactly what the
 * tool wrote, and the simulator's check must give the rule's code. */
static void test_images_made_by_tools(void)
{
    if (!tools_ready()) {
        CHECK(!"the tools that write the test files are installed");
        return;
    }
    static const struct {
        int w, h;
        const char *code; /* "" when the image passes */
    } sizes[] = {
        {640, 480, ""},
        {300, 700, ""},                                     /* portrait, smallest side */
        {400, 1000, ""},                                    /* aspect 0.4 exactly */
        {299, 400, SIM_CODE_IMAGE_SIZE_INVALID},            /* one pixel short */
        {390, 1000, SIM_CODE_ASPECT_RATIO_INVALID},         /* aspect 0.39 */
        {1000, 390, SIM_CODE_ASPECT_RATIO_INVALID},         /* aspect 2.56 */
    };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int sw = sizes[s].w, sh = sizes[s].h;
        char base[128];
        snprintf(base, sizeof base, "%s/base-%dx%d.png", tool_dir, sw, sh);
        if (tool_run("%s -size %dx%d gradient:red-blue -depth 8 %s", im, sw, sh, base) != 0) {
            CHECK(!"ImageMagick wrote the base image");
            continue;
        }
        for (size_t i = 0; i < sizeof made_rows / sizeof made_rows[0]; i++) {
            char path[192];
            size_t n = 0;
            uint8_t *p = NULL;
            if (make_with_tool((int)i, base, sw, sh, path, sizeof path) != 0 || !(p = slurp(path, &n))) {
                fprintf(stderr, "  %s %dx%d: not written\n", made_rows[i].what, sw, sh);
                CHECK(!"the tool wrote the file");
                continue;
            }
            int w = -1, h = -1;
            enum media_type t = media_sniff(p, n);
            int rc = media_image_size(p, n, made_rows[i].type, &w, &h);
            char code[64] = "", reason[256] = "";
            int ok = sim_check_media(SIM_KIND_IMAGE, p, n, 1, n, code, sizeof code, reason, sizeof reason) == 0;
            int good = t == made_rows[i].type && rc == 0 && w == sw && h == sh &&
                       (sizes[s].code[0] ? !ok && strcmp(code, sizes[s].code) == 0 : ok);
            if (!good)
                fprintf(stderr, "  %s %dx%d: sniffed %s, size rc %d %dx%d, check %s %s %s\n", made_rows[i].what, sw,
                        sh, media_type_name(t), rc, w, h, ok ? "ok" : "refused", code, reason);
            CHECK(good);
            free(p);
        }
    }
}

/* A TIFF written without compression keeps its IFD after the pixels: past
 * the prefix the simulator keeps, the size is unreadable, and the check
 * must not refuse the file for that (the upstream reads it whole). */
static void test_tiff_ifd_after_the_pixels(void)
{
    if (!tools_ready()) {
        CHECK(!"the tools that write the test files are installed");
        return;
    }
    char path[160];
    snprintf(path, sizeof path, "%s/plain.tif", tool_dir);
    size_t n = 0;
    uint8_t *p = NULL;
    CHECK(tool_run("%s -size 640x480 gradient:red-blue -depth 8 -compress none %s", im, path) == 0);
    CHECK((p = slurp(path, &n)) != NULL);
    if (!p)
        return;
    uint32_t ifd = p[0] == 'I' ? (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24
                               : (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    CHECK(ifd > SIM_CHECK_IMAGE_PREFIX && n > SIM_CHECK_IMAGE_PREFIX);
    int w = 0, h = 0;
    char code[64] = "", reason[256] = "";
    CHECK(media_image_size(p, n, MEDIA_TIFF, &w, &h) == 0 && w == 640 && h == 480);
    CHECK(media_image_size(p, SIM_CHECK_IMAGE_PREFIX, MEDIA_TIFF, &w, &h) == MEDIA_SIZE_TRUNCATED);
    CHECK(sim_check_media(SIM_KIND_IMAGE, p, SIM_CHECK_IMAGE_PREFIX, 0, n, code, sizeof code, reason,
                          sizeof reason) == 0);
    /* the same bytes claimed complete are corrupt */
    CHECK(sim_check_media(SIM_KIND_IMAGE, p, SIM_CHECK_IMAGE_PREFIX, 1, SIM_CHECK_IMAGE_PREFIX, code, sizeof code,
                          reason, sizeof reason) == -1);
    CHECK_STR(code, SIM_CODE_FORMAT_UNSUPPORTED);
    free(p);
}

/* Video and audio by ffmpeg: each kind accepts only its record's formats,
 * and the size limits hold at their edges. (AVIF, which must not pass as
 * HEIF, is only built by hand in test_bmff_brands: Debian 12's heif-enc
 * aborts inside libaom when asked for one.) */
static void test_video_audio_made_by_tools(void)
{
    if (!tools_ready()) {
        CHECK(!"the tools that write the test files are installed");
        return;
    }
    static const struct {
        const char *name, *cmd;
        enum media_type type;
        enum sim_asset_kind kind;
    } rows[] = {
        {"x.mov", "ffmpeg -y -f lavfi -i testsrc=size=320x240:rate=25 -t 1 %s", MEDIA_MOV, SIM_KIND_VIDEO},
        {"x.mp4", "ffmpeg -y -f lavfi -i testsrc=size=320x240:rate=25 -t 1 %s", MEDIA_MP4, SIM_KIND_VIDEO},
        {"fast.mp4", "ffmpeg -y -f lavfi -i testsrc=size=320x240:rate=25 -t 1 -movflags +faststart %s", MEDIA_MP4,
         SIM_KIND_VIDEO},
        {"x.webm", "ffmpeg -y -f lavfi -i testsrc=size=320x240:rate=25 -t 1 -c:v libvpx %s", MEDIA_WEBM,
         SIM_KIND_VIDEO},
        {"x.wav", "ffmpeg -y -f lavfi -i sine=frequency=440:duration=1 %s", MEDIA_WAV, SIM_KIND_AUDIO},
        {"x.mp3", "ffmpeg -y -f lavfi -i sine=frequency=440:duration=1 %s", MEDIA_MP3, SIM_KIND_AUDIO},
        {"x.ogg", "ffmpeg -y -f lavfi -i sine=frequency=440:duration=1 -c:a libvorbis %s", MEDIA_OGG,
         SIM_KIND_AUDIO},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char path[160];
        snprintf(path, sizeof path, "%s/%s", tool_dir, rows[i].name);
        int rc = tool_run(rows[i].cmd, path);
        size_t n = 0;
        uint8_t *p = rc == 0 ? slurp(path, &n) : NULL;
        if (!p) {
            fprintf(stderr, "  %s: not written\n", rows[i].name);
            CHECK(!"the tool wrote the file");
            continue;
        }
        enum media_type t = media_sniff(p, n);
        if (t != rows[i].type)
            fprintf(stderr, "  %s sniffed as %s\n", rows[i].name, media_type_name(t));
        CHECK(t == rows[i].type);
        char code[64] = "", reason[256] = "";
        /* accepted by its own kind if the record lists it; refused by the others */
        int listed = t == MEDIA_MOV || t == MEDIA_MP4 || t == MEDIA_WAV || t == MEDIA_MP3;
        for (int k = SIM_KIND_IMAGE; k <= SIM_KIND_AUDIO; k++) {
            int ok = sim_check_media((enum sim_asset_kind)k, p, n, 1, n, code, sizeof code, reason,
                                     sizeof reason) == 0;
            CHECK(ok == (listed && k == (int)rows[i].kind));
            if (!ok)
                CHECK_STR(code, SIM_CODE_FORMAT_UNSUPPORTED);
        }
        if (listed) {
            /* the record's limits: video 200 MB (the wider source), audio 15 MB */
            size_t max = rows[i].kind == SIM_KIND_VIDEO ? 200u << 20 : 15u << 20;
            CHECK(sim_check_max_bytes(rows[i].kind) == max);
            CHECK(sim_check_media(rows[i].kind, p, n, 0, max, code, sizeof code, reason, sizeof reason) == 0);
            CHECK(sim_check_media(rows[i].kind, p, n, 0, max + 1, code, sizeof code, reason, sizeof reason) == -1);
            CHECK_STR(code, SIM_CODE_FILE_TOO_LARGE);
        }
        free(p);
    }
}

static void test_check_image_limits(void)
{
    uint8_t b[64];
    size_t n = make_png(b, 640, 480);
    char code[64], reason[256];
    /* "Media": images < 30 MB, read leniently as at most 30 MiB */
    CHECK(sim_check_max_bytes(SIM_KIND_IMAGE) == 30u << 20);
    CHECK(sim_check_media(SIM_KIND_IMAGE, b, n, 0, 30u << 20, code, sizeof code, reason, sizeof reason) == 0);
    CHECK(sim_check_media(SIM_KIND_IMAGE, b, n, 0, (30u << 20) + 1, code, sizeof code, reason, sizeof reason) == -1);
    CHECK_STR(code, SIM_CODE_FILE_TOO_LARGE);
    CHECK_STR(reason, "The image is at least 31457281 bytes; at most 31457280 bytes (30 MB) are accepted.");
    /* an empty body, an unknown format, a corrupt header */
    CHECK(sim_check_media(SIM_KIND_IMAGE, b, 0, 1, 0, code, sizeof code, reason, sizeof reason) == -1);
    CHECK_STR(code, SIM_CODE_FORMAT_UNSUPPORTED);
    CHECK(sim_check_media(SIM_KIND_IMAGE, (const uint8_t *)"<html>", 6, 1, 6, code, sizeof code, reason,
                          sizeof reason) == -1);
    CHECK_STR(code, SIM_CODE_FORMAT_UNSUPPORTED);
    CHECK_STR(reason, "Unsupported image format (not a recognised media file); use JPEG, PNG, WebP, BMP, TIFF, GIF, "
                      "HEIC or HEIF.");
    CHECK(sim_check_media(SIM_KIND_IMAGE, b, 20, 1, 20, code, sizeof code, reason, sizeof reason) == -1);
    CHECK_STR(code, SIM_CODE_FORMAT_UNSUPPORTED);
    CHECK_STR(reason, "The PNG image is corrupt: its dimensions could not be read.");
    /* a prefix that ends before the dimensions is not judged on them */
    CHECK(sim_check_media(SIM_KIND_IMAGE, b, 20, 0, 1000000, code, sizeof code, reason, sizeof reason) == 0);
    n = make_png(b, 200, 200);
    CHECK(sim_check_media(SIM_KIND_IMAGE, b, n, 1, n, code, sizeof code, reason, sizeof reason) == -1);
    CHECK_STR(code, SIM_CODE_IMAGE_SIZE_INVALID);
    CHECK_STR(reason, "The PNG image is 200x200 px; each side must be 300 to 6000 px.");
    n = make_png(b, 6001, 3000);
    CHECK(sim_check_media(SIM_KIND_IMAGE, b, n, 1, n, code, sizeof code, reason, sizeof reason) == -1);
    CHECK_STR(code, SIM_CODE_IMAGE_SIZE_INVALID);
    n = make_png(b, 1000, 399);
    CHECK(sim_check_media(SIM_KIND_IMAGE, b, n, 1, n, code, sizeof code, reason, sizeof reason) == -1);
    CHECK_STR(code, SIM_CODE_ASPECT_RATIO_INVALID);
    /* no room for a code or a reason is no crash */
    CHECK(sim_check_media(SIM_KIND_IMAGE, b, n, 1, n, NULL, 0, NULL, 0) == -1);
    CHECK(sim_check_media(SIM_KIND_VIDEO, b, n, 1, n, code, 4, reason, 4) == -1 && strlen(code) == 3);
}

int main(void)
{
    RUN(test_sniff_recognises_magic_bytes);
    RUN(test_sniff_rejects_garbage_and_short_input);
    RUN(test_png_size);
    RUN(test_jpeg_size_walks_to_sof);
    RUN(test_jpeg_truncated_and_hostile);
    RUN(test_webp_sizes);
    RUN(test_gif_size);
    RUN(test_random_input_is_safe);
    RUN(test_dimension_rules);
    RUN(test_bmp_size);
    RUN(test_tiff_size);
    RUN(test_heif_size);
    RUN(test_bmff_brands);
    RUN(test_check_image_limits);
    RUN(test_images_made_by_tools);
    RUN(test_tiff_ifd_after_the_pixels);
    RUN(test_video_audio_made_by_tools);
    tools_cleanup();
    return check_summary();
}
