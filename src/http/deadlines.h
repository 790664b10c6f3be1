/* deadlines.h — cuts off connections that take too long to send their
 * request: a head within header_timeout, a body within body_timeout, the
 * next request on a kept-alive connection within idle_timeout. A client
 * trickling a byte at a time would otherwise hold a connection (and its
 * memory) forever, since every byte resets libmicrohttpd's idle timer.
 *
 * Every connection gets a deadline that the front moves as the request
 * advances; a reaper thread shuts down the sockets of connections past
 * theirs, and libmicrohttpd then closes them as it would any dead peer.
 * While the gateway itself is working on a request there is no deadline. */
#ifndef PORTICO_HTTP_DEADLINES_H
#define PORTICO_HTTP_DEADLINES_H
#include <stdint.h>

struct deadlines;
struct deadline;

struct deadlines *deadlines_start(int header_s, int body_s, int idle_s);
void deadlines_stop(struct deadlines *d);

/* A connection opened on fd / closed. */
struct deadline *deadlines_open(struct deadlines *d, int fd);
void deadlines_close(struct deadlines *d, struct deadline *c);

/* The request's head has arrived (at now_ms, clock_mono_ms): the body
 * must follow within body_s. */
void deadline_body(struct deadlines *d, struct deadline *c, int64_t now_ms);
/* The request is being processed: no deadline. */
void deadline_busy(struct deadline *c);
/* The response went out (at now_ms): the next request must come within idle_s. */
void deadline_idle(struct deadlines *d, struct deadline *c, int64_t now_ms);
/* Connections cut off so far (for tests and metrics). */
uint64_t deadlines_reaped(struct deadlines *d);

#endif
