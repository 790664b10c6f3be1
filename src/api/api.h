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
/* POST /v1/videos/generations may carry images inline as data: URLs
 * (register_asset, API.md §4): up to 10 MiB each decoded, in base64. */
#define API_VIDEO_BODY_MAX (16 * 1024 * 1024)

struct api_request {
    const char *method;
    const char *path;
    const char *action;        /* ?Action=, NULL if absent */
    const char *version;       /* ?Version=, NULL if absent */
    /* Set when Action or Version is repeated, spelled in another case or
     * holds a control byte: the reason, answered InvalidParameter. */
    const char *query_error;
    /* Set when the request's framing is ambiguous (http/framing.h): the
     * reason; every surface answers it 400 without looking further. */
    const char *bad_request;
    const char *authorization; /* Authorization header, NULL if absent */
    const char *body;          /* NUL-terminated; "" when empty */
    size_t body_len;
    int body_too_large;        /* the body crossed api_body_max and was dropped */
    const char *request_id;
    int overloaded;            /* no worker can take it: answer ServiceUnavailable */
    void *conn;                /* the front's connection, for query lookups (api_query) */
    const char *range;         /* Range header, NULL if absent (media downloads) */
    const char *remote_addr;   /* the peer's numeric address ("127.0.0.1"), "" if unknown (audit) */
    struct core_key_memo *key_memo; /* the connection's (core.h), NULL if none */
};

/* The most body bytes the front buffers for a request to method and path:
 * API_BODY_MAX, or API_VIDEO_BODY_MAX for a video generation. */
size_t api_body_max(const char *method, const char *path);

/* A query-string argument of the request, or NULL. */
const char *api_query(const struct api_request *req, const char *name);
/* A request header, or NULL. */
const char *api_header(const struct api_request *req, const char *name);

/* Answers that are not ready when the handler returns. Neither holds a
 * thread: the front parks the connection (suspends it) and the core's event
 * hub wakes it.
 *
 * A parked request (WaitAsset): the front suspends the connection, then
 * calls api_park_arm(p, wake, arg); wake(arg) runs once, on any thread,
 * possibly inside api_park_arm, and must only signal (resume). After it the
 * front calls api_park_finish, which fills resp and frees p; if the
 * connection ends first, api_park_free. */
struct api_park;
struct api_response;
void api_park_arm(struct api_park *p, void (*wake)(void *), void *arg);
void api_park_finish(struct api_park *p, struct api_response *resp);
void api_park_free(struct api_park *p);

/* A body produced over time (the event stream), sent until it ends. The
 * front first binds how the connection is suspended and resumed, then
 * reads: > 0 bytes written, API_SOURCE_PARKED (nothing now: suspend(arg)
 * was called, resume(arg) will follow from another thread), or
 * API_SOURCE_END. api_source_free when the connection ends. */
struct api_source;
#define API_SOURCE_PARKED 0
#define API_SOURCE_END (-1)
void api_source_bind(struct api_source *s, void (*suspend)(void *), void (*resume)(void *), void *arg);
long api_source_read(struct api_source *s, char *buf, size_t max);
/* Seconds without progress after which the front may close the connection
 * (the keep-alive comments are well within it). */
int api_source_timeout_s(const struct api_source *s);
void api_source_free(struct api_source *s);

struct api_response {
    int status;
    char *body; /* malloc'd; the front frees it */
    size_t body_len;
    /* Instead of body: send body_fd_size bytes of this open file (media
     * downloads). has_fd set; the front closes the fd. */
    int has_fd;
    int body_fd;
    uint64_t body_fd_size;
    uint64_t body_fd_offset;  /* where in the file body_fd_size bytes start (a Range) */
    char content_range[80];   /* "" or "bytes a-b/size" (206, 416); fd bodies also say Accept-Ranges */
    const char *content_type;
    const char *cache_control; /* NULL: none */
    /* Set for pages a browser renders (the consoles): sent as the
     * Content-Security-Policy, with framing and referrers refused. */
    const char *csp;
    int retry_after_s; /* > 0: send Retry-After */
    /* Instead of an answer now (see above): a parked request, or a body
     * sent over time with status and content_type. The front frees them. */
    struct api_park *park;
    struct api_source *source;
    /* for the request log and metrics */
    char action[48]; /* a catalogued Action or route name; "" if none */
    char error_code[32];
    int64_t customer_id; /* 0 if not authenticated */
};

struct api;

/* The public listener's API, and the admin listener's (API.md §7): the
 * same core, each with its own endpoints. */
struct api *api_new(struct core *core, const char *region);
struct api *api_new_admin(struct core *core, const char *region);
void api_free(struct api *a);
int api_is_slow(struct api *a, const struct api_request *req);
void api_handle(struct api *a, const struct api_request *req, struct api_response *resp);
/* Streamed bodies (uploads). For a request api_stream_open accepts, the
 * front passes the body in chunks as it arrives instead of buffering it:
 *   s = api_stream_open(...)     once the headers are in; NULL: buffer as usual
 *   api_stream_write(s, p, n)    per chunk; -1 once the stream has decided its
 *                                answer (an error) and wants no more bytes
 *   api_stream_done(s)           1 when decided (also right after open)
 *   api_stream_is_slow(s)        finishing may block on the upstream: run it
 *                                on a worker thread
 *   api_stream_finish(s, resp)   the body is complete or the stream decided:
 *                                fills resp, frees s
 *   api_stream_abort(s)          the connection ended first: frees s and
 *                                everything it staged
 * content_length is UINT64_MAX when the request has none (chunked). */
struct api_stream;

struct api_stream_ops {
    int (*write)(struct api_stream *s, const char *data, size_t n);
    int (*done)(struct api_stream *s);
    int (*is_slow)(struct api_stream *s);
    void (*finish)(struct api_stream *s, struct api_response *resp);
    void (*abort)(struct api_stream *s);
};

/* Every stream begins with this header. */
struct api_stream {
    const struct api_stream_ops *ops;
};

struct api_stream *api_stream_open(struct api *a, const struct api_request *req, const char *content_type,
                                   uint64_t content_length);

/* While draining, /readyz answers 503 and new Actions ServiceUnavailable. */
void api_set_draining(struct api *a, int draining);

#endif
