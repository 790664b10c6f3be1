/* clock.h — time helpers: monotonic milliseconds for deadlines and pacing,
 * wall-clock milliseconds for records, RFC 3339 UTC formatting for the API. */
#ifndef PORTICO_CLOCK_H
#define PORTICO_CLOCK_H
#include <stdint.h>
#include <time.h>

int64_t clock_mono_ms(void);
int64_t clock_wall_ms(void);
/* "2026-11-25T12:35:15Z"; out must hold 21 bytes. */
void clock_rfc3339(int64_t wall_ms, char out[static 21]);
/* "20261125123515" (for upstream ids); out must hold 15 bytes. */
void clock_compact(int64_t wall_ms, char out[static 15]);
void clock_sleep_ms(int64_t ms);

#endif
