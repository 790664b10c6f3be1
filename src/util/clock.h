/* clock.h — time helpers: monotonic milliseconds for deadlines and pacing,
 * wall-clock milliseconds for records, RFC 3339 UTC formatting for the API.
 *
 * Invariant: a deadline a thread waits for is on the monotonic clock, never
 * the wall clock (which NTP or an operator may step): clock_deadline makes
 * it, and the condition variable it is waited on must come from
 * clock_cond_init, else pthread_cond_timedwait reads it as wall time. */
#ifndef PORTICO_CLOCK_H
#define PORTICO_CLOCK_H
#include <pthread.h>
#include <stdint.h>
#include <time.h>

int64_t clock_mono_ms(void);
int64_t clock_wall_ms(void);
/* "2026-11-25T12:35:15Z"; out must hold 21 bytes. */
void clock_rfc3339(int64_t wall_ms, char out[static 21]);
/* "Wed, 25 Nov 2026 12:35:15 GMT", HTTP's IMF-fixdate (RFC 9110 §5.6.7),
 * for wall_s seconds since 1970 (clamped to 1970..9999); 30 bytes. */
void clock_http_date(int64_t wall_s, char out[static 30]);
/* "20261125123515" (for upstream ids); out must hold 15 bytes. */
void clock_compact(int64_t wall_ms, char out[static 15]);
void clock_sleep_ms(int64_t ms);
/* The absolute CLOCK_MONOTONIC time ms milliseconds from now (ms < 0 counts
 * as 0), for pthread_cond_timedwait on a cond from clock_cond_init. */
struct timespec clock_deadline(int64_t ms);
/* pthread_cond_init with the monotonic clock: what clock_deadline's
 * timespecs mean. Returns pthread_cond_init's result. */
int clock_cond_init(pthread_cond_t *cv);

#endif
