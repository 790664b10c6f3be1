/* server.h — the HTTP front: libmicrohttpd with epoll and a thread pool.
 *
 * I/O threads read each request body into a bounded buffer and answer fast
 * requests (reads from Portico's records) themselves; requests that may
 * block on the upstream are suspended and handed to a pool of worker
 * threads, so one slow create never stalls the connections that share its
 * I/O thread. Every response carries X-Request-Id; every request is logged
 * as one JSON line when it completes. */
#ifndef PORTICO_HTTP_SERVER_H
#define PORTICO_HTTP_SERVER_H

#include "api/api.h"

struct http_config {
    const char *listen;  /* "HOST:PORT", "[V6]:PORT" or ":PORT"; port 0 = ephemeral */
    int io_threads;      /* libmicrohttpd thread pool size; default: number of CPUs */
    int workers;         /* threads for requests that call the upstream; default 64 */
    int conn_limit;      /* default 10000 */
    int idle_timeout_s;  /* a kept-alive connection's wait for its next request; default 30 */
    int header_timeout_s; /* to send a request head after connecting; default 10 */
    int body_timeout_s;  /* to send a request body after its head; default 120 */
    int log_requests;    /* 1: one JSON line per request on stdout */
};

struct http_server;

struct http_server *http_start(const struct http_config *cfg, struct api *api);
int http_port(const struct http_server *s);
/* Closes each new connection as soon as it is accepted and waits up to
 * timeout_ms for the requests in flight to be answered. */
void http_drain(struct http_server *s, int timeout_ms);
/* Closes every connection and frees the server. */
void http_stop(struct http_server *s);
/* Connections cut off for being too slow so far. */
unsigned long long http_reaped(const struct http_server *s);
#endif
