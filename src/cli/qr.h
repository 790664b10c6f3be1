/* qr.h — a QR code drawn with Unicode half blocks, so a phone can scan a
 * link straight off the terminal. Two module rows make one text row; the
 * code is drawn black on white (ANSI colours) inside a white quiet zone,
 * whatever the terminal's own colours are, since scanners want dark ink. */
#ifndef PORTICO_CLI_QR_H
#define PORTICO_CLI_QR_H

#include "util/buf.h"

/* Renders a width x width module matrix (modules[y * width + x] & 1 set =
 * dark) with a quiet zone of `quiet` modules. 0 or -1. Pure. */
int cli_qr_render(const unsigned char *modules, int width, int quiet, struct buf *out);
/* Encodes text (libqrencode, 8-bit mode, level M) and renders it. 0 or -1. */
int cli_qr_text(const char *text, struct buf *out);

#endif
