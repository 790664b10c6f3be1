/* server.c — the HTTP front on libmicrohttpd; see server.h.
 *
 * A request moves READING → (WORKING →) READY → sent. The body is read into
 * a buf bounded at api_body_max (API_BODY_MAX but for video creation): past it the rest is drained and dropped and
 * the request is answered PayloadTooLarge, never buffered; a declared
 * Content-Length past it is answered at once, before any body byte.
 *
 * Invariant: a request head that could be read two ways (framing.h) is
 * answered 400 and its connection closed before the body is read, and the
 * Action and Version come from the raw query string, byte-exactly. */
#include "http/server.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http/access_log.h"
#include "http/addr.h"
#include "http/deadlines.h"
#include "http/framing.h"
#include "http/workers.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"
#include "util/metrics.h"

/* PARKED: the answer waits for the core's event hub (api_park); the
 * connection is suspended without holding a thread. */
enum req_state { REQ_READING, REQ_WORKING, REQ_PARKED, REQ_READY };

struct http_server {
    struct MHD_Daemon *mhd;
    struct api *api;
    struct workers *workers;
    struct http_config cfg;
    int port;
    atomic_int in_flight;
    atomic_int reading; /* of in_flight: still receiving their body */
    /* Set by http_drain: from then on nothing is handed to the workers, so
     * no connection can be suspended when libmicrohttpd stops (it aborts
     * the process if one is). The API answers such requests at once. */
    atomic_int draining;
    struct deadlines *deadlines;
};

struct conn_ctx;

struct req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct conn_ctx *cc; /* its connection's context; NULL if that could not be allocated */
    int pooled;          /* this is cc->req, not malloc'd */
    char *raw_uri;   /* as sent, from the URI log callback: uri_inline or malloc'd */
    int started;     /* the access handler has seen this request */
    int close_after; /* answer with Connection: close */
    enum req_state state;
    int64_t start_ms;
    struct buf body;
    int body_too_large;
    size_t body_max; /* api_body_max of the request's method and path */
    struct api_stream *stream; /* streamed body (uploads), else NULL */
    struct deadline *deadline; /* the connection's, see deadlines.h */
    uint64_t discarded;        /* bytes dropped after the stream decided */
    struct api_request ar;
    struct api_response resp;
    atomic_int woken; /* PARKED: the hub's wake-up came */
    char peer[64]; /* the client's address when there is no cc */
    /* From here on, each field is written before it is read (when the
     * request starts, or in ar only if it was): not zeroed on reuse. */
    char request_id[33];
    char method[16];
    char path[256];
    char action[256];
    char version[64];
    char uri_inline[512]; /* holds raw_uri when it fits */
};

/* libmicrohttpd's socket context: what lasts as long as the connection.
 * Its requests follow one another (keep-alive), so the memory of one is
 * the next one's: no allocation per request. */
struct conn_ctx {
    struct deadline *deadline; /* see deadlines.h */
    int req_busy;              /* req holds the request under way */
    int closed;                /* the connection ended while req_busy: the request frees this */
    char peer[64];             /* numeric client address, for the audit log; "" until the first request */
    struct core_key_memo key_memo; /* the last API key seen here and its hash; wiped at the end */
    struct buf spare_body;     /* the last request's body buffer, emptied, for the next */
    struct req req;
};

static const char *header(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *name)
{
    return MHD_lookup_connection_value(c, kind, name);
}

const char *api_query(const struct api_request *req, const char *name)
{
    return req->conn ? header(req->conn, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

const char *api_header(const struct api_request *req, const char *name)
{
    return req->conn ? header(req->conn, MHD_HEADER_KIND, name) : NULL;
}

static void copy_printable(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = '\0';
}

static void run_api(struct req *r)
{
    r->ar.body = r->body.data ? r->body.data : "";
    r->ar.body_len = r->body.len;
    r->ar.body_too_large = r->body_too_large;
    api_handle(r->srv->api, &r->ar, &r->resp);
}

static void set_state(struct req *r, enum req_state st)
{
    if (r->state == REQ_READING && st != REQ_READING) {
        atomic_fetch_sub(&r->srv->reading, 1);
        deadline_busy(r->deadline);
    }
    r->state = st;
}

/* Finishes a streamed request: fills r->resp and releases the stream. */
static void run_stream(struct req *r)
{
    struct api_stream *st = r->stream;
    r->stream = NULL;
    st->ops->finish(st, &r->resp);
}

/* The hub's wake-up of a parked request (any thread; api.h). */
static void wake_parked(void *arg)
{
    struct req *r = arg;
    atomic_store(&r->woken, 1);
    MHD_resume_connection(r->conn);
}

/* The connection is suspended: arm the wake-up, which may come at once. */
static void arm_parked(struct req *r)
{
    r->state = REQ_PARKED;
    api_park_arm(r->resp.park, wake_parked, r);
}

static void work(void *arg)
{
    struct req *r = arg;
    if (r->stream)
        run_stream(r);
    else
        run_api(r);
    if (r->resp.park) { /* still suspended: the hub resumes it */
        arm_parked(r);
        return;
    }
    set_state(r, REQ_READY);
    MHD_resume_connection(r->conn);
}

/* An event stream's connection, parked by the source when it has nothing
 * to send and resumed by the hub (api_source_read). */
static void source_suspend(void *arg)
{
    MHD_suspend_connection(((struct req *)arg)->conn);
}

static void source_resume(void *arg)
{
    MHD_resume_connection(((struct req *)arg)->conn);
}

/* libmicrohttpd's content reader: returning 0 is allowed only with the
 * connection suspended (else it busy-loops), which api_source_read did. */
static ssize_t source_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct req *r = cls;
    long n = api_source_read(r->resp.source, buf, max);
    return n >= 0 ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}


/* The Date header (RFC 9110 §6.6.1), made once a second per thread.
 * libmicrohttpd, which then sends ours instead of its own, formats it
 * with gmtime_r on every response, under glibc's time zone lock. time()
 * as libmicrohttpd: a second's resolution is all a Date has, and it costs
 * less than reading the clock to the nanosecond. */
static const char *date_now(void)
{
    static _Thread_local int64_t made_s = -1;
    static _Thread_local char text[30];
    int64_t now_s = (int64_t)time(NULL);
    if (now_s != made_s) {
        clock_http_date(now_s, text);
        made_s = now_s;
    }
    return text;
}

static enum MHD_Result send_response(struct req *r)
{
    struct api_response *rs = &r->resp;
    struct MHD_Response *m;
    int fd_body = rs->has_fd;
    if (rs->source) {
        m = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, source_reader, r, NULL);
        if (!m)
            return MHD_NO;
        api_source_bind(rs->source, source_suspend, source_resume, r);
        /* No per-request deadline while it streams (deadline_busy since the
         * head was read); libmicrohttpd's idle timeout only for a client
         * that stopped reading: the keep-alive comments are well within it. */
        MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                  (unsigned)api_source_timeout_s(rs->source));
        r->close_after = 1; /* a stream that ended is reconnected afresh */
        goto headers;
    }
    if (rs->has_fd) {
        m = MHD_create_response_from_fd_at_offset64(rs->body_fd_size, rs->body_fd, rs->body_fd_offset);
        if (!m)
            return MHD_NO;
        rs->has_fd = 0; /* the response closes the fd */
        goto headers;
    }
    if (!rs->body) {
        rs->body = strdup("");
        rs->body_len = 0;
        if (!rs->status)
            rs->status = 500;
    }
    m = MHD_create_response_from_buffer(rs->body_len, rs->body, MHD_RESPMEM_MUST_FREE);
    if (!m)
        return MHD_NO;
    rs->body = NULL; /* owned by the response now */
headers:
    MHD_add_response_header(m, MHD_HTTP_HEADER_DATE, date_now());
    MHD_add_response_header(m, "Content-Type", rs->content_type ? rs->content_type : "application/json");
    MHD_add_response_header(m, "X-Request-Id", r->request_id);
    if (rs->cache_control)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, rs->cache_control);
    if (rs->content_range[0]) /* media downloads in parts */
        MHD_add_response_header(m, "Content-Range", rs->content_range);
    if (fd_body || rs->content_range[0])
        MHD_add_response_header(m, "Accept-Ranges", "bytes");
    /* Every answer is what its Content-Type says; browsers must not guess. */
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    if (rs->csp) {
        MHD_add_response_header(m, "Content-Security-Policy", rs->csp);
        MHD_add_response_header(m, "X-Frame-Options", "DENY");
        MHD_add_response_header(m, "Referrer-Policy", "no-referrer");
    }
    if (r->close_after)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
    if (rs->retry_after_s > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", rs->retry_after_s);
        MHD_add_response_header(m, "Retry-After", ra);
    }
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)rs->status, m);
    MHD_destroy_response(m);
    return ok;
}

/* After a streamed request has decided its answer (say, the file crossed
 * its limit), the rest of a declared body is read and dropped so the
 * answer can be sent; past this, the connection is simply closed. */
#define DRAIN_READING_MS 3000
#define STREAM_DISCARD_MAX (16u * 1024 * 1024)

/* Action and Version, byte-exactly from the raw query (framing.h). */
static void query_fields(struct req *r)
{
    const char *q = r->raw_uri ? strchr(r->raw_uri, '?') : NULL;
    q = q ? q + 1 : NULL;
    enum http_query_result a = http_query_param(q, "Action", r->action, sizeof r->action);
    enum http_query_result v = http_query_param(q, "Version", r->version, sizeof r->version);
    r->ar.action = a == HTTP_QUERY_OK ? r->action : NULL;
    r->ar.version = v == HTTP_QUERY_OK ? r->version : NULL;
    if (a == HTTP_QUERY_INVALID || v == HTTP_QUERY_INVALID)
        r->ar.query_error = "Action and Version must each appear once in the query string, spelled exactly so, "
                            "without control characters.";
}

/* The request's head, read in one pass over its header lines: the framing
 * verdict, and the first value of each header the front hands on (what
 * MHD_lookup_connection_value would find, without a walk per header). */
struct head {
    struct http_framing framing;
    const char *authorization, *range, *content_length, *content_type;
};

#define HEADER_IS(key, size, want) ((size) == sizeof want - 1 && strncasecmp(key, want, size) == 0)

static enum MHD_Result head_line(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                 const char *value, size_t value_size)
{
    struct head *h = cls;
    http_framing_add(&h->framing, key, key_size, value, value_size);
    const char **slot = NULL;
    if (HEADER_IS(key, key_size, MHD_HTTP_HEADER_AUTHORIZATION))
        slot = &h->authorization;
    else if (HEADER_IS(key, key_size, MHD_HTTP_HEADER_RANGE))
        slot = &h->range;
    else if (HEADER_IS(key, key_size, MHD_HTTP_HEADER_CONTENT_LENGTH))
        slot = &h->content_length;
    else if (HEADER_IS(key, key_size, MHD_HTTP_HEADER_CONTENT_TYPE))
        slot = &h->content_type;
    if (slot && !*slot)
        *slot = value;
    return MHD_YES;
}

static void read_head(struct MHD_Connection *conn, struct head *h)
{
    memset(h, 0, sizeof *h);
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, head_line, h);
}

static void fill_request(struct req *r, struct MHD_Connection *conn, const char *url, const struct head *h)
{
    r->ar.method = r->method;
    r->ar.path = url;
    query_fields(r);
    r->ar.authorization = h->authorization;
    r->ar.range = h->range;
    r->ar.request_id = r->request_id;
    r->ar.conn = conn;
    /* The peer is the connection's: formatted once, on its first request. */
    char *peer = r->cc ? r->cc->peer : r->peer;
    if (!peer[0]) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        http_peer_name(ci ? ci->client_addr : NULL, peer, sizeof r->peer);
    }
    r->ar.remote_addr = peer;
    r->ar.key_memo = r->cc ? &r->cc->key_memo : NULL;
}

static uint64_t content_length(const char *v)
{
    if (!v || !*v)
        return UINT64_MAX;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    return *end || v[0] == '-' ? UINT64_MAX : (uint64_t)n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *srv = cls;
    struct req *r = *con_cls;
    if (!r)
        return MHD_NO; /* the URI callback could not allocate */
    if (r->state == REQ_PARKED) {
        if (!atomic_load(&r->woken))
            return MHD_YES; /* cannot happen: only the wake-up resumes it */
        struct api_park *p = r->resp.park;
        r->resp.park = NULL;
        api_park_finish(p, &r->resp);
        set_state(r, REQ_READY);
        return send_response(r);
    }
    if (!r->started) {
        r->started = 1;
        r->srv = srv;
        r->conn = conn;
        r->start_ms = clock_mono_ms();
        ids_request(r->request_id);
        copy_printable(r->method, sizeof r->method, method);
        copy_printable(r->path, sizeof r->path, url);
        r->body_max = api_body_max(r->method, r->path);
        buf_init(&r->body, r->body_max);
        if (r->cc && r->cc->spare_body.data) { /* the last request's, emptied */
            r->body = r->cc->spare_body;
            r->body.max = r->body_max;
            buf_init(&r->cc->spare_body, 0);
        }
        atomic_fetch_add(&srv->in_flight, 1);
        atomic_fetch_add(&srv->reading, 1);
        r->deadline = r->cc ? r->cc->deadline : NULL;
        deadline_body(srv->deadlines, r->deadline, r->start_ms);
        struct head h;
        read_head(conn, &h);
        fill_request(r, conn, url, &h);
        const char *bad = http_framing_verdict(&h.framing);
        if (bad) {
            /* RFC 9112 §6.3: refuse, and close, since where this request
             * ends (and the next begins) is exactly what is in doubt. */
            r->ar.bad_request = bad;
            r->close_after = 1;
            run_api(r);
            set_state(r, REQ_READY);
            return send_response(r);
        }
        uint64_t declared = content_length(h.content_length);
        r->stream = api_stream_open(srv->api, &r->ar, h.content_type, declared);
        if (r->stream && r->stream->ops->done(r->stream)) {
            /* Decided from the headers alone (bad key, too large): answer
             * before reading the body; libmicrohttpd then closes. */
            r->close_after = 1;
            run_stream(r);
            set_state(r, REQ_READY);
            return send_response(r);
        }
        if (!r->stream && declared != UINT64_MAX && declared > r->body_max) {
            /* Announced too large: say so now, not after the last byte. */
            r->body_too_large = 1;
            r->close_after = 1;
            run_api(r);
            set_state(r, REQ_READY);
            return send_response(r);
        }
        return MHD_YES;
    }
    if (r->state == REQ_READING && r->stream) {
        struct api_stream *st = r->stream;
        if (*upload_data_size) {
            size_t n = *upload_data_size;
            *upload_data_size = 0;
            if (!st->ops->done(st))
                st->ops->write(st, upload_data, n);
            else if ((r->discarded += n) > STREAM_DISCARD_MAX)
                return MHD_NO; /* decided long ago and still sending: hang up */
            return MHD_YES;
        }
        if (!st->ops->done(st) && st->ops->is_slow(st) && !atomic_load(&srv->draining)) {
            set_state(r, REQ_WORKING);
            MHD_suspend_connection(conn);
            if (workers_submit(srv->workers, work, r) == 0)
                return MHD_YES;
            MHD_resume_connection(conn);
            st->ops->abort(st);
            r->stream = NULL;
            r->ar.overloaded = 1;
            run_api(r);
        } else {
            run_stream(r);
        }
        set_state(r, REQ_READY);
    }
    if (r->state == REQ_READING) {
        if (*upload_data_size) {
            size_t n = *upload_data_size;
            *upload_data_size = 0;
            int br = r->body_too_large || r->ar.overloaded ? BUF_OK : buf_append(&r->body, upload_data, n);
            if (br != BUF_OK) {
                /* Past the limit: PayloadTooLarge. Out of memory below it is
                 * not the client's fault: ServiceUnavailable, as when no
                 * worker is free. */
                if (br == BUF_TOO_LARGE)
                    r->body_too_large = 1;
                else
                    r->ar.overloaded = 1;
                buf_free(&r->body);
            }
            /* A chunked body far past the limit: stop draining, hang up. */
            if ((r->body_too_large || r->ar.overloaded) && (r->discarded += n) > STREAM_DISCARD_MAX)
                return MHD_NO;
            return MHD_YES;
        }
        if (api_is_slow(srv->api, &r->ar) && !atomic_load(&srv->draining)) {
            set_state(r, REQ_WORKING);
            MHD_suspend_connection(conn);
            if (workers_submit(srv->workers, work, r) == 0)
                return MHD_YES;
            MHD_resume_connection(conn);
            /* Queue full: answer at once rather than wait without bound. */
            r->ar.overloaded = 1;
        }
        run_api(r);
        set_state(r, REQ_READY);
    }
    if (r->state == REQ_WORKING)
        return MHD_YES; /* resumed spuriously; the worker has not finished */
    if (r->resp.park) {
        /* Suspended first, armed second: a wake-up that comes at once (the
         * asset settled meanwhile, draining) finds it suspended. */
        MHD_suspend_connection(conn);
        arm_parked(r);
        return MHD_YES;
    }
    return send_response(r);
}

static void log_request(struct req *r, int64_t ms)
{
    struct access_entry e = {clock_wall_ms(), r->request_id, r->resp.customer_id, r->method, r->path,
                             r->resp.action, r->resp.status, r->resp.error_code, ms};
    access_log_write(&e);
}

static void conn_free(struct conn_ctx *cc)
{
    core_key_memo_wipe(&cc->key_memo);
    buf_free(&cc->spare_body);
    free(cc);
}

/* A body buffer this small is kept for the connection's next request. */
#define SPARE_BODY_MAX (8 * 1024)

/* The request's memory goes back to its connection, or is freed. */
static void req_release(struct req *r)
{
    if (r->raw_uri != r->uri_inline)
        free(r->raw_uri);
    struct conn_ctx *cc = r->cc;
    if (cc && !cc->spare_body.data && r->body.data && r->body.cap <= SPARE_BODY_MAX) {
        buf_reset(&r->body);
        cc->spare_body = r->body;
    } else {
        buf_free(&r->body);
    }
    if (!r->pooled) {
        free(r);
        return;
    }
    cc->req_busy = 0;
    if (cc->closed) /* the connection went first */
        conn_free(cc);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    if (!r->started) { /* libmicrohttpd refused the head itself */
        req_release(r);
        return;
    }
    int64_t now = clock_mono_ms(), ms = now - r->start_ms;
    if (r->resp.status) {
        metrics_request(r->resp.action[0] ? r->resp.action : "other", r->resp.error_code, r->resp.status,
                        (double)ms / 1000.0);
        if (srv->cfg.log_requests)
            log_request(r, ms);
    }
    if (r->stream)
        r->stream->ops->abort(r->stream);
    api_park_free(r->resp.park); /* ended while parked (only at MHD_stop_daemon) */
    api_source_free(r->resp.source);
    if (r->resp.has_fd)
        close(r->resp.body_fd);
    free(r->resp.body);
    if (r->state == REQ_READING)
        atomic_fetch_sub(&srv->reading, 1);
    deadline_idle(srv->deadlines, r->deadline, now);
    req_release(r);
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* The URI exactly as sent, before libmicrohttpd decodes or splits it: the
 * one place the raw query string can be read. Its result is the request's
 * context from here on: the connection's request memory, zeroed (requests
 * on one connection never overlap; should one find it taken, it gets its
 * own). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_ctx *cc = ci ? ci->socket_context : NULL;
    struct req *r;
    if (cc && !cc->req_busy) {
        r = &cc->req;
        memset(r, 0, offsetof(struct req, request_id));
        r->pooled = 1;
        r->cc = cc;
        cc->req_busy = 1;
    } else if (!(r = calloc(1, sizeof *r))) {
        return NULL;
    }
    size_t n = strlen(uri ? uri : "");
    if (n < sizeof r->uri_inline) {
        memcpy(r->uri_inline, uri ? uri : "", n + 1);
        r->raw_uri = r->uri_inline;
    } else if (!(r->raw_uri = strdup(uri))) {
        req_release(r);
        return NULL;
    }
    return r;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct conn_ctx *cc = ci ? calloc(1, sizeof *cc) : NULL;
        if (cc && !(cc->deadline = deadlines_open(srv->deadlines, ci->connect_fd))) {
            free(cc);
            cc = NULL;
        }
        *socket_context = cc;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn_ctx *cc = *socket_context;
        *socket_context = NULL;
        if (!cc)
            return;
        deadlines_close(srv->deadlines, cc->deadline);
        cc->deadline = NULL;
        if (cc->req_busy) { /* cannot happen: a request completes before its connection closes */
            cc->req.deadline = NULL;
            cc->closed = 1;
            return;
        }
        conn_free(cc);
    }
}

/* libmicrohttpd's accept policy: while draining, a new connection is
 * closed as soon as it is accepted (http_drain). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    const struct http_server *srv = cls;
    return atomic_load(&srv->draining) ? MHD_NO : MHD_YES;
}

struct http_server *http_start(const struct http_config *cfg, struct api *api)
{
    struct sockaddr_storage addr;
    int port, is_v6;
    if (http_resolve(cfg->listen, &addr, &port, &is_v6) != 0)
        return NULL;
    struct http_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->api = api;
    s->cfg = *cfg;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->reading, 0);
    atomic_init(&s->draining, 0);
    s->workers = workers_start(cfg->workers > 0 ? cfg->workers : 64, 4096);
    if (!s->workers)
        goto fail;
    s->deadlines = deadlines_start(cfg->header_timeout_s, cfg->body_timeout_s, cfg->idle_timeout_s);
    if (!s->deadlines)
        goto fail;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_TURBO;
    if (is_v6)
        flags |= MHD_USE_IPv6;
    int threads = cfg->io_threads > 0 ? cfg->io_threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    s->mhd = MHD_start_daemon(flags, (uint16_t)port, on_accept, s, on_request, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)(cfg->conn_limit > 0 ? cfg->conn_limit : 10000),
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->idle_timeout_s > 0 ? cfg->idle_timeout_s : 30),
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                              MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                              MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                              /* Per-connection pool, wiped between keep-alive
                               * requests: 16 KiB holds any sane request head. */
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
                              /* No MHD_OPTION_LISTENING_ADDRESS_REUSE: it sets SO_REUSEPORT, and a
                               * second porticod on the same port would then take half the
                               * connections instead of failing to start. libmicrohttpd's
                               * default, SO_REUSEADDR, still allows a quick restart. */
                              MHD_OPTION_END);
    if (!s->mhd) {
        log_error("cannot listen on %s (in use, or not an address of this machine?)", cfg->listen);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    return s;
fail:
    workers_stop(s->workers);
    deadlines_stop(s->deadlines);
    free(s);
    return NULL;
}

unsigned long long http_reaped(const struct http_server *s)
{
    return deadlines_reaped(s->deadlines);
}

int http_port(const struct http_server *s)
{
    return s->port;
}

void http_drain(struct http_server *s, int timeout_ms)
{
    /* From here on_accept closes every new connection. Not
     * MHD_quiesce_daemon: with epoll and a thread pool it races the pool's
     * threads removing the listening socket from their epoll sets, and the
     * loser aborts the process ("Failed to remove listen FD from epoll
     * set", libmicrohttpd 0.9.75; seen under SAN=1). MHD_stop_daemon
     * closes the socket once the drain is over. */
    atomic_store(&s->draining, 1);
    /* Requests being processed get up to timeout_ms; a client still
     * sending its body (a stalled upload) is not worth more than a few
     * seconds of everyone's shutdown. */
    int64_t start = clock_mono_ms();
    for (;;) {
        int all = atomic_load(&s->in_flight), reading = atomic_load(&s->reading);
        int64_t waited = clock_mono_ms() - start;
        if (all == 0 || waited >= timeout_ms || (all == reading && waited >= DRAIN_READING_MS))
            break;
        clock_sleep_ms(10);
    }
    if (atomic_load(&s->in_flight) > 0)
        log_warn("%d requests still in flight at shutdown; closing them", atomic_load(&s->in_flight));
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    /* Workers first: every suspended connection gets resumed and answered. */
    workers_stop(s->workers);
    MHD_stop_daemon(s->mhd);
    deadlines_stop(s->deadlines);
    free(s);
}
