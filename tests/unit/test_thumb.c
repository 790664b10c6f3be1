/* test_thumb.c — util/thumb.c: thumbnails of JPEG, PNG and WebP files made
 * at test time by ImageMagick and cwebp (tools/deps.sh), and the hostile
 * cases: truncated files, headers claiming huge dimensions (refused before
 * anything is decoded), a WebP canvas that disagrees with its picture,
 * garbage behind a valid magic, other types. */
#include <gd.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "tools.h"
#include "util/media.h"
#include "util/thumb.h"

static const struct thumb_limits LIMITS = {.max_bytes = 30u << 20, .max_side = 6000, .max_pixels = 36000000};

static char dir[64];

static int ready(void)
{
    static int r = -1;
    if (r >= 0)
        return r;
    r = 0;
    if (!tool_have("convert") || !tool_have("cwebp")) {
        fprintf(stderr, "  missing ImageMagick or cwebp: install imagemagick and webp (tools/deps.sh)\n");
        return r;
    }
    snprintf(dir, sizeof dir, "/tmp/portico-thumb-XXXXXX");
    if (!mkdtemp(dir))
        return r;
    r = 1;
    return r;
}

/* dir/name made by cmd (a printf format whose one %s is the output path);
 * the file's bytes, malloc'd, or NULL. */
static uint8_t *made(const char *name, const char *cmd, size_t *n)
{
    if (!ready())
        return NULL;
    char path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tool_run(cmd, path) != 0)
        return NULL;
    return slurp(path, n);
}

/* The thumbnail decoded back (it must be a JPEG gd reads). */
static gdImagePtr decoded(const struct thumb *t)
{
    if (!t->data || media_sniff(t->data, t->len) != MEDIA_JPEG)
        return NULL;
    return gdImageCreateFromJpegPtr((int)t->len, t->data);
}

static void check_thumb(const uint8_t *p, size_t n, int box, int want_w, int want_h)
{
    struct thumb t;
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(thumb_make(p, n, box, &LIMITS, &t) == THUMB_OK);
    CHECK(t.width == want_w && t.height == want_h);
    int w = 0, h = 0;
    CHECK(media_image_size(t.data, t.len, MEDIA_JPEG, &w, &h) == 0 && w == want_w && h == want_h);
    gdImagePtr im = decoded(&t);
    CHECK(im != NULL);
    if (im)
        gdImageDestroy(im);
    thumb_free(&t);
}

static void test_fit(void)
{
    int w, h;
    thumb_fit(800, 600, 320, &w, &h);
    CHECK(w == 320 && h == 240);
    thumb_fit(400, 1000, 320, &w, &h);
    CHECK(w == 128 && h == 320);
    thumb_fit(100, 80, 320, &w, &h); /* never enlarged */
    CHECK(w == 100 && h == 80);
    thumb_fit(6000, 1, 320, &w, &h); /* at least one pixel */
    CHECK(w == 320 && h == 1);
}

static void test_jpeg_png_webp(void)
{
    size_t n;
    uint8_t *p = made("a.jpg", "convert -size 800x600 gradient:red-blue -quality 90 '%s'", &n);
    check_thumb(p, n, 320, 320, 240);
    free(p);
    p = made("b.png", "convert -size 400x1000 plasma:fractal -seed 3 '%s'", &n);
    check_thumb(p, n, 320, 128, 320);
    free(p);
    p = made("c.webp", "convert -size 640x640 gradient:green-yellow png:- | cwebp -quiet -o '%s' -- -", &n);
    check_thumb(p, n, 320, 320, 320);
    free(p);
    /* a palette PNG and a progressive JPEG */
    p = made("d.png", "convert -size 500x300 xc:orange -type Palette '%s'", &n);
    check_thumb(p, n, 320, 320, 192);
    free(p);
    p = made("e.jpg", "convert -size 900x900 gradient:white-black -interlace JPEG '%s'", &n);
    check_thumb(p, n, 256, 256, 256);
    free(p);
    /* small: kept at its size */
    p = made("f.png", "convert -size 90x70 xc:teal '%s'", &n);
    check_thumb(p, n, 320, 90, 70);
    free(p);
}

/* A transparent PNG becomes white in the JPEG, an opaque red part red. */
static void test_transparency_on_white(void)
{
    size_t n;
    uint8_t *p = made("alpha.png", "convert -size 400x400 xc:none -fill red -draw 'rectangle 0,0 199,399' '%s'", &n);
    CHECK(p != NULL);
    if (!p)
        return;
    struct thumb t;
    CHECK(thumb_make(p, n, 200, &LIMITS, &t) == THUMB_OK);
    gdImagePtr im = decoded(&t);
    CHECK(im != NULL);
    if (im) {
        int right = gdImageGetTrueColorPixel(im, 180, 100), left = gdImageGetTrueColorPixel(im, 20, 100);
        CHECK(gdTrueColorGetRed(right) > 240 && gdTrueColorGetGreen(right) > 240 && gdTrueColorGetBlue(right) > 240);
        CHECK(gdTrueColorGetRed(left) > 200 && gdTrueColorGetGreen(left) < 60 && gdTrueColorGetBlue(left) < 60);
        gdImageDestroy(im);
    }
    thumb_free(&t);
    free(p);
}

static void test_truncated(void)
{
    size_t n;
    struct thumb t;
    uint8_t *p = made("t.jpg", "convert -size 600x600 plasma:fractal -seed 5 -quality 95 '%s'", &n);
    CHECK(p != NULL);
    if (p) {
        CHECK(thumb_make(p, n / 2, 320, &LIMITS, &t) == THUMB_CORRUPT); /* the scan ends early */
        CHECK(thumb_make(p, 40, 320, &LIMITS, &t) == THUMB_CORRUPT);    /* before the frame header */
        CHECK(t.data == NULL);
        free(p);
    }
    p = made("t.png", "convert -size 600x600 plasma:fractal -seed 6 '%s'", &n);
    CHECK(p != NULL);
    if (p) {
        CHECK(thumb_make(p, n / 2, 320, &LIMITS, &t) == THUMB_CORRUPT);
        CHECK(thumb_make(p, 20, 320, &LIMITS, &t) == THUMB_CORRUPT);
        free(p);
    }
    p = made("t.webp", "convert -size 600x600 plasma:fractal -seed 7 png:- | cwebp -quiet -o '%s' -- -", &n);
    CHECK(p != NULL);
    if (p) {
        CHECK(thumb_make(p, n / 2, 320, &LIMITS, &t) == THUMB_CORRUPT);
        CHECK(thumb_make(p, 16, 320, &LIMITS, &t) == THUMB_CORRUPT);
        free(p);
    }
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Headers claiming more pixels than the limits: refused from the header.
 * A decode of these would need gigabytes; the answer comes at once. */
static void test_huge_dimensions(void)
{
    size_t n;
    struct thumb t;
    uint8_t *p = made("h.png", "convert -size 16x16 xc:gray '%s'", &n);
    CHECK(p != NULL);
    if (p) {
        put_be32(p + 16, 60000); /* IHDR width, height, then its CRC over type and data */
        put_be32(p + 20, 60000);
        put_be32(p + 29, crc32_of(p + 12, 17));
        int w = 0, h = 0;
        CHECK(media_image_size(p, n, MEDIA_PNG, &w, &h) == 0 && w == 60000 && h == 60000);
        CHECK(thumb_make(p, n, 320, &LIMITS, &t) == THUMB_TOO_LARGE);
        /* within each side but over the pixel count */
        put_be32(p + 16, 6000);
        put_be32(p + 20, 6001);
        put_be32(p + 29, crc32_of(p + 12, 17));
        CHECK(thumb_make(p, n, 320, &LIMITS, &t) == THUMB_TOO_LARGE);
        struct thumb_limits few = LIMITS;
        few.max_side = 100000;
        put_be32(p + 20, 6000); /* 36M px: the limit itself passes the header check... */
        put_be32(p + 29, crc32_of(p + 12, 17));
        few.max_pixels = 36000000 - 1; /* ...one pixel less does not */
        CHECK(thumb_make(p, n, 320, &few, &t) == THUMB_TOO_LARGE);
        free(p);
    }
    p = made("h.jpg", "convert -size 64x48 xc:navy '%s'", &n);
    CHECK(p != NULL);
    if (p) {
        /* the SOF0/SOF2 marker's height and width */
        size_t i = 2;
        int patched = 0;
        while (i + 9 < n && p[i] == 0xFF) {
            uint8_t m = p[i + 1];
            size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
            if (m == 0xC0 || m == 0xC2) {
                p[i + 5] = 0xFF, p[i + 6] = 0xF0; /* 65520 */
                p[i + 7] = 0xFF, p[i + 8] = 0xF0;
                patched = 1;
                break;
            }
            i += 2 + len;
        }
        CHECK(patched);
        CHECK(thumb_make(p, n, 320, &LIMITS, &t) == THUMB_TOO_LARGE);
        free(p);
    }
    /* the file itself over max_bytes */
    struct thumb_limits tiny = LIMITS;
    tiny.max_bytes = 100;
    p = made("s.png", "convert -size 400x400 plasma:fractal -seed 8 '%s'", &n);
    CHECK(p != NULL && n > 100);
    if (p) {
        CHECK(thumb_make(p, n, 320, &tiny, &t) == THUMB_TOO_LARGE);
        free(p);
    }
}

/* A VP8X canvas of 100x100 around a 400x400 picture: the decoder's size
 * differs from the header's, and the file is refused. */
static void test_webp_canvas_mismatch(void)
{
    size_t n;
    struct thumb t;
    uint8_t *p = made("x.webp",
                      "convert -size 400x400 xc:none -fill blue -draw 'circle 200,200 200,50' png:- | "
                      "cwebp -quiet -o '%s' -- -",
                      &n);
    CHECK(p != NULL && n > 30);
    if (!p)
        return;
    CHECK(memcmp(p + 12, "VP8X", 4) == 0); /* alpha makes the extended format */
    CHECK(thumb_make(p, n, 320, &LIMITS, &t) == THUMB_OK);
    thumb_free(&t);
    p[24] = 99, p[25] = 0, p[26] = 0; /* canvas width - 1, 24-bit little-endian */
    p[27] = 99, p[28] = 0, p[29] = 0;
    int w = 0, h = 0;
    CHECK(media_image_size(p, n, MEDIA_WEBP, &w, &h) == 0 && w == 100 && h == 100);
    CHECK(thumb_make(p, n, 320, &LIMITS, &t) == THUMB_CORRUPT);
    CHECK(t.data == NULL);
    free(p);
}

static void test_garbage_and_other_types(void)
{
    struct thumb t;
    uint8_t junk[4096];
    srand(7);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)rand();
    junk[0] = 0x00;
    CHECK(thumb_make(junk, sizeof junk, 320, &LIMITS, &t) == THUMB_UNSUPPORTED);
    /* a PNG signature and an IHDR of 300x300, then garbage */
    size_t n;
    uint8_t *p = made("g.png", "convert -size 300x300 xc:white '%s'", &n);
    CHECK(p != NULL);
    if (p) {
        size_t keep = 33; /* signature + IHDR */
        uint8_t *q = malloc(keep + sizeof junk);
        memcpy(q, p, keep);
        memcpy(q + keep, junk, sizeof junk);
        CHECK(thumb_make(q, keep + sizeof junk, 320, &LIMITS, &t) == THUMB_CORRUPT);
        free(q);
        free(p);
    }
    /* a JPEG's headers with its entropy-coded data scrambled */
    p = made("g.jpg", "convert -size 500x500 plasma:fractal -seed 9 '%s'", &n);
    CHECK(p != NULL);
    if (p) {
        for (size_t i = n / 3; i + 2 < n; i += 7)
            p[i] = 0xFF, p[i + 1] = (uint8_t)(0xD0 + i % 7); /* stray markers */
        CHECK(thumb_make(p, n, 320, &LIMITS, &t) == THUMB_CORRUPT);
        free(p);
    }
    p = made("g.gif", "convert -size 400x400 xc:red '%s'", &n);
    CHECK(p != NULL);
    if (p) {
        CHECK(thumb_make(p, n, 320, &LIMITS, &t) == THUMB_UNSUPPORTED);
        free(p);
    }
    CHECK(thumb_make(NULL, 0, 320, &LIMITS, &t) == THUMB_CORRUPT);
    CHECK(thumb_make((const uint8_t *)"", 0, 320, &LIMITS, &t) == THUMB_UNSUPPORTED);
}

int main(void)
{
    RUN(test_fit);
    RUN(test_jpeg_png_webp);
    RUN(test_transparency_on_white);
    RUN(test_truncated);
    RUN(test_huge_dimensions);
    RUN(test_webp_canvas_mismatch);
    RUN(test_garbage_and_other_types);
    if (dir[0])
        tool_run("rm -rf '%s'", dir);
    return check_summary();
}
