/* thumb.c — a small JPEG of an image, with libgd (Debian's libgd3, built
 * with libjpeg, libpng and libwebp).
 *
 * The invariant: gd decodes only bytes whose type was sniffed as JPEG, PNG
 * or WebP and whose header states dimensions within the limits; the size
 * the decoder then reports must be the header's, else the file is refused
 * (a WebP canvas or a JPEG frame that disagrees with itself). Any complaint
 * of the decoder refuses the file too: libjpeg goes on past "premature end
 * of data" with grey rows and only warns, and gd passes the warning to its
 * error method, never to the caller. Those messages are caught per thread
 * and never printed: a corrupt customer file is an answer, not a log line
 * on stderr. */
#include "util/thumb.h"

#include <gd.h>
#include <gd_errors.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "util/media.h"

/* Set by gd's error method while this thread decodes. */
static _Thread_local int gd_complained;

/* Errors, and libjpeg's "recoverable" ones (a truncated or damaged scan);
 * libpng's warnings (an odd colour profile) are not the picture's damage. */
static void gd_note(int priority, const char *fmt, va_list ap)
{
    (void)ap;
    if (priority <= GD_ERROR || (fmt && strncmp(fmt, "gd-jpeg, libjpeg: recoverable", 29) == 0))
        gd_complained = 1;
}

static pthread_once_t gd_once = PTHREAD_ONCE_INIT;

static void gd_setup(void)
{
    gdSetErrorMethod(gd_note);
}

void thumb_fit(int w, int h, int box, int *tw, int *th)
{
    if (w <= box && h <= box) {
        *tw = w;
        *th = h;
    } else if (w >= h) {
        *tw = box;
        *th = (int)(((int64_t)h * box + w / 2) / w);
    } else {
        *th = box;
        *tw = (int)(((int64_t)w * box + h / 2) / h);
    }
    if (*tw < 1)
        *tw = 1;
    if (*th < 1)
        *th = 1;
}

static gdImagePtr decode(const uint8_t *p, size_t n, enum media_type t)
{
    void *data = (void *)(uintptr_t)p; /* gd reads only; its API is not const */
    switch (t) {
    case MEDIA_JPEG:
        /* ignore_warning 0: libjpeg's warnings reach gd_note */
        return gdImageCreateFromJpegPtrEx((int)n, data, 0);
    case MEDIA_PNG:
        return gdImageCreateFromPngPtr((int)n, data);
    case MEDIA_WEBP:
        return gdImageCreateFromWebpPtr((int)n, data);
    default:
        return NULL;
    }
}

/* Transparent parts on white: JPEG has no alpha. gd's alpha runs from 0
 * (opaque) to gdAlphaMax (transparent). */
static void flatten_on_white(gdImagePtr im)
{
    for (int y = 0; y < gdImageSY(im); y++)
        for (int x = 0; x < gdImageSX(im); x++) {
            int c = gdImageGetTrueColorPixel(im, x, y);
            int a = gdTrueColorGetAlpha(c);
            if (!a)
                continue;
            int r = (gdTrueColorGetRed(c) * (gdAlphaMax - a) + 255 * a) / gdAlphaMax;
            int g = (gdTrueColorGetGreen(c) * (gdAlphaMax - a) + 255 * a) / gdAlphaMax;
            int b = (gdTrueColorGetBlue(c) * (gdAlphaMax - a) + 255 * a) / gdAlphaMax;
            gdImageSetPixel(im, x, y, gdTrueColorAlpha(r, g, b, gdAlphaOpaque));
        }
}

enum thumb_result thumb_make(const uint8_t *p, size_t n, int box, const struct thumb_limits *lim, struct thumb *out)
{
    memset(out, 0, sizeof *out);
    if (box < 1 || !p)
        return THUMB_CORRUPT;
    if (n > lim->max_bytes || n > INT_MAX) /* gd takes an int */
        return THUMB_TOO_LARGE;
    enum media_type t = media_sniff(p, n);
    if (t != MEDIA_JPEG && t != MEDIA_PNG && t != MEDIA_WEBP)
        return THUMB_UNSUPPORTED;
    int w = 0, h = 0;
    if (media_image_size(p, n, t, &w, &h) != 0 || w < 1 || h < 1)
        return THUMB_CORRUPT;
    if (w > lim->max_side || h > lim->max_side || (int64_t)w * h > lim->max_pixels)
        return THUMB_TOO_LARGE;

    pthread_once(&gd_once, gd_setup);
    gd_complained = 0;
    gdImagePtr src = decode(p, n, t);
    if (!src)
        return THUMB_CORRUPT;
    enum thumb_result r = THUMB_OK;
    gdImagePtr dst = NULL;
    if (gd_complained || gdImageSX(src) != w || gdImageSY(src) != h) {
        r = THUMB_CORRUPT;
        goto done;
    }
    int tw, th;
    thumb_fit(w, h, box, &tw, &th);
    dst = gdImageCreateTrueColor(tw, th);
    if (!dst) {
        r = THUMB_NOMEM;
        goto done;
    }
    gdImageAlphaBlending(dst, 0); /* keep the source's alpha for flatten_on_white */
    gdImageCopyResampled(dst, src, 0, 0, 0, 0, tw, th, w, h);
    flatten_on_white(dst);
    int size = 0;
    void *jpeg = gdImageJpegPtr(dst, &size, THUMB_QUALITY);
    if (!jpeg || size <= 0) {
        if (jpeg)
            gdFree(jpeg);
        r = THUMB_NOMEM;
        goto done;
    }
    out->data = jpeg;
    out->len = (size_t)size;
    out->width = tw;
    out->height = th;
done:
    if (dst)
        gdImageDestroy(dst);
    gdImageDestroy(src);
    return r;
}

void thumb_free(struct thumb *t)
{
    if (t->data)
        gdFree(t->data);
    t->data = NULL;
    t->len = 0;
}

const char *thumb_result_str(enum thumb_result r)
{
    switch (r) {
    case THUMB_OK:
        return "ok";
    case THUMB_UNSUPPORTED:
        return "unsupported";
    case THUMB_TOO_LARGE:
        return "too large";
    case THUMB_CORRUPT:
        return "corrupt";
    case THUMB_NOMEM:
        return "out of memory";
    }
    return "?";
}
