/* errors.h — the one error catalog (API.md §6 and §4), keyed by the core
 * result: for every enum core_code, the Volcengine Code, the HTTP status,
 * the default message, and the video surface's code (and message, where it
 * says it differently). Every surface answers an error through it
 * (envelope.c: api_reply_error); nobody builds an error body by hand. */
#ifndef PORTICO_API_ERRORS_H
#define PORTICO_API_ERRORS_H

#include "core/result.h"

struct api_error_def {
    const char *code;          /* Volcengine envelope and media URLs: "Forbidden" */
    int http_status;           /* the same on every surface */
    const char *message;       /* default, when the outcome carries none */
    const char *video_code;    /* the video surface ({"error": ...}): "forbidden" */
    const char *video_message; /* its default; NULL: message */
};

/* The row of c; an out-of-range code is answered as CORE_INTERNAL_ERROR. */
const struct api_error_def *api_error_def(enum core_code c);

#endif
