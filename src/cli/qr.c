/* qr.c — QR codes on the terminal; see qr.h. */
#include "cli/qr.h"

#include <qrencode.h>

static int dark(const unsigned char *m, int width, int quiet, int x, int y)
{
    x -= quiet;
    y -= quiet;
    if (x < 0 || y < 0 || x >= width || y >= width)
        return 0;
    return m[y * width + x] & 1;
}

int cli_qr_render(const unsigned char *modules, int width, int quiet, struct buf *out)
{
    int side = width + 2 * quiet;
    for (int y = 0; y < side; y += 2) {
        /* Black foreground on a white background: a dark module is ink. */
        if (buf_puts(out, "\033[30;47m") != 0)
            return -1;
        for (int x = 0; x < side; x++) {
            int top = dark(modules, width, quiet, x, y), bottom = dark(modules, width, quiet, x, y + 1);
            const char *cell = top && bottom ? "\xe2\x96\x88" /* █ */
                               : top         ? "\xe2\x96\x80" /* ▀ */
                               : bottom      ? "\xe2\x96\x84" /* ▄ */
                                             : " ";
            if (buf_puts(out, cell) != 0)
                return -1;
        }
        if (buf_puts(out, "\033[0m\n") != 0)
            return -1;
    }
    return 0;
}

int cli_qr_text(const char *text, struct buf *out)
{
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q)
        return -1;
    int r = cli_qr_render(q->data, q->width, 2, out);
    QRcode_free(q);
    return r;
}
