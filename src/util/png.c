/* png.c — a minimal PNG encoder (8-bit greyscale, stored deflate blocks).
 *
 * Invariant: the output is a conforming PNG: every chunk's CRC-32 covers its
 * type and data, the zlib stream ends in the Adler-32 of the filtered rows,
 * and no stored block holds more than 65535 bytes. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/png.h"

#define PNG_STORED_MAX 65535u

static uint32_t png_crc_table[256];

static void png_crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        png_crc_table[n] = c;
    }
}

static uint32_t png_crc(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = png_crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint8_t *png_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

/* Writes one chunk at p (length, type, data, CRC); returns the end. */
static uint8_t *png_chunk(uint8_t *p, const char type[4], const uint8_t *data, uint32_t n)
{
    p = png_put32(p, n);
    uint8_t *start = p;
    memcpy(p, type, 4);
    if (n)
        memcpy(p + 4, data, n);
    p += 4 + n;
    return png_put32(p, png_crc(start, 4 + (size_t)n));
}

uint8_t *png_encode_gray(const uint8_t *pixels, uint32_t w, uint32_t h, size_t *len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, png_crc_init);
    if (!pixels || !len || w == 0 || h == 0 || w > 16384 || h > 16384)
        return NULL;
    /* Each row starts with filter type 0 (None). */
    size_t raw_len = ((size_t)w + 1) * h;
    size_t blocks = (raw_len + PNG_STORED_MAX - 1) / PNG_STORED_MAX;
    size_t idat_len = 2 + raw_len + 5 * blocks + 4;
    size_t total = 8 + (12 + 13) + (12 + idat_len) + 12;
    uint8_t *out = malloc(total), *idat = malloc(idat_len);
    if (!out || !idat || idat_len > UINT32_MAX) {
        free(out);
        free(idat);
        return NULL;
    }

    /* zlib header (deflate, 32 KiB window, no dictionary), stored blocks, Adler-32. */
    uint8_t *q = idat;
    *q++ = 0x78;
    *q++ = 0x01;
    uint32_t a = 1, b = 0;
    size_t row = 0, col = 0; /* position in the filtered stream: col 0 is the filter byte */
    for (size_t left = raw_len; left > 0;) {
        uint32_t n = left > PNG_STORED_MAX ? PNG_STORED_MAX : (uint32_t)left;
        left -= n;
        *q++ = left == 0 ? 1 : 0; /* BFINAL on the last block, BTYPE 00 */
        *q++ = (uint8_t)n;
        *q++ = (uint8_t)(n >> 8);
        *q++ = (uint8_t)~n;
        *q++ = (uint8_t)(~n >> 8);
        for (uint32_t i = 0; i < n; i++) {
            uint8_t v = col == 0 ? 0 : pixels[row * w + col - 1];
            *q++ = v;
            a = (a + v) % 65521u;
            b = (b + a) % 65521u;
            if (++col > w) {
                col = 0;
                row++;
            }
        }
    }
    q = png_put32(q, (b << 16) | a);

    uint8_t ihdr[13];
    png_put32(ihdr, w);
    png_put32(ihdr + 4, h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 0;  /* colour type: greyscale */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering */
    ihdr[12] = 0; /* no interlace */
    uint8_t *p = out;
    memcpy(p, "\x89PNG\r\n\x1a\n", 8);
    p += 8;
    p = png_chunk(p, "IHDR", ihdr, sizeof ihdr);
    p = png_chunk(p, "IDAT", idat, (uint32_t)idat_len);
    p = png_chunk(p, "IEND", NULL, 0);
    free(idat);
    *len = (size_t)(p - out);
    return out;
}

static uint8_t *png_test_bytes;
static size_t png_test_len;

static void png_test_make(void)
{
    uint8_t *px = malloc((size_t)PNG_TEST_SIDE * PNG_TEST_SIDE);
    if (!px)
        return;
    /* A diagonal gradient with a lighter frame: plainly not a photograph. */
    for (int y = 0; y < PNG_TEST_SIDE; y++)
        for (int x = 0; x < PNG_TEST_SIDE; x++) {
            int frame = x < 16 || y < 16 || x >= PNG_TEST_SIDE - 16 || y >= PNG_TEST_SIDE - 16;
            px[(size_t)y * PNG_TEST_SIDE + x] = frame ? 230 : (uint8_t)((x + y) * 255 / (2 * PNG_TEST_SIDE - 2));
        }
    png_test_bytes = png_encode_gray(px, PNG_TEST_SIDE, PNG_TEST_SIDE, &png_test_len);
    free(px);
}

const uint8_t *png_test_image(size_t *len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, png_test_make);
    if (len)
        *len = png_test_len;
    return png_test_bytes;
}
