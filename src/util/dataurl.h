/* dataurl.h — RFC 2397 data: URLs, as a customer may send an image inline
 * (API.md §4, register_asset): "data:<type>/<subtype>[;param]*;base64,<b64>".
 *
 * Only base64 payloads are taken (the percent-encoded form carries no
 * image sensibly), strictly: the standard alphabet, '=' padding only at the
 * end, no whitespace. The decoded size is bounded before anything is
 * allocated. Pure: no I/O, thread-safe. */
#ifndef PORTICO_DATAURL_H
#define PORTICO_DATAURL_H
#include <stddef.h>
#include <stdint.h>

enum dataurl_result {
    DATAURL_OK = 0,
    DATAURL_INVALID,   /* not a base64 data: URL; why says what is wrong */
    DATAURL_TOO_LARGE, /* decodes to more than max bytes */
    DATAURL_NOMEM,
};

/* The value of base64 digit c (0-63), -1 for none; url_safe also takes
 * RFC 4648's URL alphabet ('-', '_'). */
int dataurl_b64_digit(unsigned char c, int url_safe);
/* 1 when url begins with "data:" (any case). */
int dataurl_is(const char *url);
/* Decodes url: *out (malloc'd, the caller frees) gets *n bytes, type (may
 * be NULL) the lower-cased media type ("" when none was given). why (may be
 * NULL) gets one sentence when it fails. */
enum dataurl_result dataurl_decode(const char *url, size_t max, char *type, size_t type_cap, uint8_t **out,
                                   size_t *n, char *why, size_t why_cap);

#endif
