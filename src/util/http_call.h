/* http_call.h — one outbound HTTP request with libcurl, the one way the
 * gateway's clients (upstream/volc.c, upstream/ark_video.c, blob/s3.c) and
 * the simulator's fetchers talk HTTP.
 *
 * A call names its method, URL, header lines, body (from memory or a file),
 * timeouts, whether it needs a fresh connection and how many redirects it
 * follows; the answer goes into a bounded buf or, streamed, into a sink
 * callback. Only http and https, no signals, User-Agent "portico" unless
 * given. The result is small (http_call_result) and the transport failure
 * is named the way operators grep for it: "CURLE_COULDNT_CONNECT".
 *
 * Handles: a call reuses this thread's easy handle (reset for every call,
 * its keep-alive connections kept), as many calls to one upstream should.
 * A call on a customer's behalf (policy set) gets a handle of its own, so it
 * never rides a connection that the URL policy did not check; so does a
 * call made from inside another's sink. */
#ifndef PORTICO_HTTP_CALL_H
#define PORTICO_HTTP_CALL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"

struct urlpolicy;

enum http_call_result {
    HTTP_CALL_OK = 0,    /* an HTTP answer arrived, whatever its status */
    HTTP_CALL_TOO_LARGE, /* the answer exceeded max_response or the buf's limit */
    HTTP_CALL_STOPPED,   /* the sink asked to stop */
    HTTP_CALL_ABORTED,   /* *abort_flag was set during the transfer */
    HTTP_CALL_REFUSED,   /* the URL policy refused the URL or the addresses tried */
    HTTP_CALL_FAILED,    /* no complete answer: out->curl_name says why */
};

/* What a sink knows before the body's first byte: the final response's. */
struct http_head {
    long status;
    int64_t content_length; /* -1 when not declared */
};

/* Receives the body as it arrives; nonzero stops the transfer
 * (HTTP_CALL_STOPPED). A followed redirect's body never reaches it. */
typedef int (*http_sink_fn)(void *ctx, const struct http_head *head, const char *p, size_t n);

struct http_call {
    const char *method;              /* NULL: POST with a body, else GET; "HEAD" asks no body */
    const char *url;
    const char *const *headers;      /* "Name: value" lines ("Expect:" removes one) */
    size_t n_headers;
    const char *body;                /* sent from memory, body_len bytes */
    size_t body_len;
    FILE *upload;                    /* or from a file (PUT), upload_len bytes */
    uint64_t upload_len;
    long timeout_ms;                 /* the whole call; 0: none */
    long connect_timeout_ms;         /* 0: curl's default */
    int fresh;                       /* a new connection, on which curl never resends the request */
    long max_redirs;                 /* redirects followed (http/https only); 0: none */
    uint64_t max_response;           /* body bound; 0: the buf's own limit, or none for a sink */
    struct buf *response;            /* the body, or NULL to drop it */
    http_sink_fn sink;               /* instead of response: the body as it arrives */
    void *sink_ctx;
    const char *user_agent;          /* NULL: "portico" */
    const struct urlpolicy *policy;  /* a customer's URL: util/urlguard.h on every hop */
    const int *abort_flag;           /* read during the transfer; nonzero aborts it */
};

struct http_call_out {
    long status;            /* the final HTTP status, 0 if none */
    int64_t content_length; /* as declared by the final response, -1 if not */
    int curl_code;          /* the CURLcode */
    char curl_name[40];     /* "CURLE_COULDNT_CONNECT", or "CURLE_<n>"; "" on success */
    char message[256];      /* curl's error text, or what the policy refused: for logs only */
    int not_connected;      /* no connection was made: the server cannot have acted */
    int started;            /* body bytes of the final response arrived */
};

enum http_call_result http_call(const struct http_call *c, struct http_call_out *out);

/* Sets up libcurl once per process (also done by the first http_call); 0 on
 * success. Call it before starting threads where curl_global_init is not
 * thread-safe. */
int http_call_init(void);
/* Frees this thread's cached handle now (shutdown, tests); the thread's
 * next call makes a new one. */
void http_call_thread_done(void);

#endif
