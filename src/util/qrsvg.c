/* qrsvg.c — a QR code of a text as an SVG document; see qrsvg.h.
 *
 * Each row's runs of dark modules become one "M x y h n v1 h -n z" of a
 * single path: a 2000-byte link (version ~40) stays a few tens of KiB,
 * and crispEdges keeps module edges sharp at any size. */
#include "util/qrsvg.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

int qrsvg_render(const unsigned char *m, int width, struct buf *out)
{
    int side = width + 2 * QRSVG_QUIET;
    if (buf_printf(out,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                   "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                   side, side, side * QRSVG_MODULE_PX, side * QRSVG_MODULE_PX, side, side) != 0)
        return QRSVG_NOMEM;
    for (int y = 0; y < width; y++) {
        for (int x = 0; x < width;) {
            if (!(m[y * width + x] & 1)) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < width && (m[y * width + x + run] & 1))
                run++;
            if (buf_printf(out, "M%d %dh%dv1h-%dz", x + QRSVG_QUIET, y + QRSVG_QUIET, run, run) != 0)
                return QRSVG_NOMEM;
            x += run;
        }
    }
    return buf_puts(out, "\"/></svg>\n") == 0 ? QRSVG_OK : QRSVG_NOMEM;
}

int qrsvg_make(const char *text, struct buf *out)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > QRSVG_TEXT_MAX)
        return QRSVG_TOO_LONG;
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q && errno == ERANGE) /* too long for level M: L holds about a quarter more */
        q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
    if (!q)
        return errno == ENOMEM ? QRSVG_NOMEM : QRSVG_TOO_LONG;
    int r = qrsvg_render(q->data, q->width, out);
    QRcode_free(q);
    return r;
}
