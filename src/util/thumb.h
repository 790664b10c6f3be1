/* thumb.h — a small JPEG of an image, made from its bytes (libgd).
 *
 * The customers' console shows each stored image as a thumbnail (API.md
 * §7); core/thumbnails.c makes it once and keeps it in the blob store. The
 * bytes are a customer's: the type is judged by magic bytes (JPEG, PNG and
 * WebP only) and the pixel dimensions are read from the file's header
 * (util/media.h) and bounded BEFORE anything is decoded, so a small file
 * claiming 100000 x 100000 px never makes the decoder allocate for it. A
 * decoded picture whose size differs from its header's is refused too. */
#ifndef PORTICO_THUMB_H
#define PORTICO_THUMB_H
#include <stddef.h>
#include <stdint.h>

/* What a source image may be. */
struct thumb_limits {
    size_t max_bytes;   /* the whole file */
    int max_side;       /* width and height, each */
    int64_t max_pixels; /* width * height: what the decoder allocates (4 bytes each) */
};

enum thumb_result {
    THUMB_OK = 0,
    THUMB_UNSUPPORTED, /* not JPEG, PNG or WebP */
    THUMB_TOO_LARGE,   /* over a limit, judged from the size and the header alone */
    THUMB_CORRUPT,     /* the header or the pixels cannot be read */
    THUMB_NOMEM,
};

struct thumb {
    uint8_t *data; /* a baseline JPEG; thumb_free */
    size_t len;
    int width, height; /* of the thumbnail */
};

#define THUMB_QUALITY 82

/* Scales the image at p (n bytes) to fit a box x box square, keeping its
 * aspect ratio (never enlarged), transparent parts on white, into out. */
enum thumb_result thumb_make(const uint8_t *p, size_t n, int box, const struct thumb_limits *lim, struct thumb *out);
void thumb_free(struct thumb *t);
/* "ok", "unsupported", ... for logs. */
const char *thumb_result_str(enum thumb_result r);
/* The size that fits w x h into box x box (each at least 1 px). */
void thumb_fit(int w, int h, int box, int *tw, int *th);

#endif
