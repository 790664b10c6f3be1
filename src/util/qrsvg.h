/* qrsvg.h — a QR code of a text as an SVG document (libqrencode).
 *
 * The customers' console shows a face scan's H5Link as a QR code that
 * porticod draws (API.md §7): the SVG holds only numbers (a viewBox, one
 * path of the dark modules), never the text itself, so no customer byte
 * reaches the markup. */
#ifndef PORTICO_QRSVG_H
#define PORTICO_QRSVG_H
#include <stddef.h>

#include "util/buf.h"

#define QRSVG_QUIET 4       /* modules of white around the code (ISO/IEC 18004) */
#define QRSVG_MODULE_PX 6   /* the document's width/height per module */
#define QRSVG_TEXT_MAX 2953 /* bytes: version 40 at level L, 8-bit mode */

enum qrsvg_result {
    QRSVG_OK = 0,
    QRSVG_TOO_LONG = -1, /* empty, or more than any QR code holds */
    QRSVG_NOMEM = -2,
};

/* Appends the SVG of text's QR code (level M, L when M cannot hold it). */
int qrsvg_make(const char *text, struct buf *out);
/* Appends the SVG of a width x width module matrix (bit 0 of each byte:
 * dark), as libqrencode lays it out; 0 or QRSVG_NOMEM. */
int qrsvg_render(const unsigned char *modules, int width, struct buf *out);

#endif
