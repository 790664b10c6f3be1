/* test_media.c — sniffing by magic bytes, image dimensions from headers
 * (including truncated and hostile inputs), and the upstream's size rule. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
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
    CHECK(media_image_size(b, 23, MEDIA_PNG, &w, &h) == -1);
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
    for (size_t k = 0; k < sof_end; k++)
        CHECK(media_image_size(b, k, MEDIA_JPEG, &w, &h) == -1);
    CHECK(media_image_size(b, sof_end, MEDIA_JPEG, &w, &h) == 0 && w == 640 && h == 480);
    (void)n;

    /* a segment length pointing far past the end */
    uint8_t big[] = {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0, 0};
    CHECK(media_image_size(big, sizeof big, MEDIA_JPEG, &w, &h) == -1);
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
    CHECK(media_image_size(fill, sizeof fill, MEDIA_JPEG, &w, &h) == -1);
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
    CHECK(media_image_size(b, n - 1, MEDIA_WEBP, &w, &h) == -1);
    b[23] = 0;                                                   /* broken start code */
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == -1);

    n = make_webp_vp8l(b, 5000, 300);
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == 0 && w == 5000 && h == 300);
    CHECK(media_image_size(b, n - 1, MEDIA_WEBP, &w, &h) == -1);
    b[20] = 0x2E;
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == -1);

    n = make_webp_vp8x(b, 6000, 4000);
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == 0 && w == 6000 && h == 4000);
    CHECK(media_image_size(b, n - 1, MEDIA_WEBP, &w, &h) == -1);
    CHECK(media_image_size(b, 12, MEDIA_WEBP, &w, &h) == -1);
    memcpy(b + 12, "ALPH", 4);
    CHECK(media_image_size(b, n, MEDIA_WEBP, &w, &h) == -1);
}

static void test_gif_size(void)
{
    uint8_t b[16];
    int w = 0, h = 0;
    size_t n = make_gif(b, 500, 320);
    CHECK(media_image_size(b, n, MEDIA_GIF, &w, &h) == 0 && w == 500 && h == 320);
    CHECK(media_image_size(b, 9, MEDIA_GIF, &w, &h) == -1);
}

/* Random bytes behind every valid magic: must never read out of bounds
 * (ASan would say so) and must either fail or report positive sides. */
static void test_random_input_is_safe(void)
{
    static const char *magics[] = {"\xFF\xD8\xFF", "\x89PNG\r\n\x1a\n", "RIFF\0\0\0\0WEBPVP8 ",
                                   "RIFF\0\0\0\0WEBPVP8L", "RIFF\0\0\0\0WEBPVP8X", "GIF89a", "BM"};
    static const size_t mlen[] = {3, 8, 16, 16, 16, 6, 2};
    srand(7);
    for (int iter = 0; iter < 20000; iter++) {
        size_t k = (size_t)iter % 7, n = (size_t)(rand() % 96);
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
    return check_summary();
}
