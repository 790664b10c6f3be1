/* png.h — a built-in test image: a valid PNG made in memory, no zlib.
 *
 * `porticod doctor` hands the upstream an image it can fetch and judge
 * (UPSTREAM.md "Media": each side 300–6000 px), and the gateway serves the
 * same bytes at /doctor/test-image.png. The pixels are a grey gradient; the
 * zlib stream uses stored (uncompressed) deflate blocks, which every PNG
 * decoder accepts. */
#ifndef PORTICO_PNG_H
#define PORTICO_PNG_H
#include <stddef.h>
#include <stdint.h>

#define PNG_TEST_SIDE 512
/* Where the gateway serves it (api/test_image.c) and where the doctor expects it. */
#define PNG_TEST_IMAGE_PATH "/doctor/test-image.png"

/* A PNG_TEST_SIDE x PNG_TEST_SIDE 8-bit greyscale PNG, made once per process
 * and kept (never freed); NULL on allocation failure. */
const uint8_t *png_test_image(size_t *len);

/* Encodes a w x h 8-bit greyscale image (w*h bytes, row-major) as a PNG
 * into a malloc'd buffer; NULL on allocation failure or a bad size. */
uint8_t *png_encode_gray(const uint8_t *pixels, uint32_t w, uint32_t h, size_t *len);

#endif
