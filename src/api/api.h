/* api.h — the wire surfaces of the gateway, as seen from the HTTP front.
 *
 * The front hands a complete request (body already read, bounded) to
 * api_handle and sends back the response it fills. api_is_slow tells the
 * front which requests may block on the upstream, so that it runs those on
 * worker threads instead of its I/O threads. */
#ifndef PORTICO_API_H
#define PORTICO_API_H
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define API_BODY_MAX (64 * 1024)

struct api_request {
    const char *method;
    const char *path;
    const char *action;        /* ?Action=, NULL if absent */
    const char *version;       /* ?Version=, NULL if absent */
    const char *authorization; /* Authorization header, NULL if absent */
    const char *body;          /* NUL-terminated; "" when empty */
    size_t body_len;
    int body_too_large;        /* the body crossed API_BODY_MAX and was dropped */
    const char *request_id;
    int overloaded;            /* no worker can take it: answer ServiceUnavailable */
};

struct api_response {
    int status;
    char *body; /* malloc'd; the front frees it */
    size_t body_len;
    const char *content_type;
    int retry_after_s; /* > 0: send Retry-After */
    /* for the request log and metrics */
    char action[48]; /* a catalogued Action or route name; "" if none */
    char error_code[32];
    int64_t customer_id; /* 0 if not authenticated */
};

struct api;

struct api *api_new(struct core *core, const char *region);
void api_free(struct api *a);
int api_is_slow(const struct api_request *req);
void api_handle(struct api *a, const struct api_request *req, struct api_response *resp);
/* While draining, /readyz answers 503 and new Actions ServiceUnavailable. */
void api_set_draining(struct api *a, int draining);

#endif
