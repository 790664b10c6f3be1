/* access_log.h — the request log line of API.md §5: one JSON object per
 * request on stdout, {"time","request_id","customer","method","path",
 * "action","status","error","duration_ms"} in that order, written with
 * one write(2) so that lines from different threads stay whole. Never the
 * key, never media bytes. */
#ifndef PORTICO_HTTP_ACCESS_LOG_H
#define PORTICO_HTTP_ACCESS_LOG_H
#include <stddef.h>
#include <stdint.h>

struct access_entry {
    int64_t wall_ms;
    const char *request_id;
    int64_t customer_id;
    const char *method;
    const char *path;
    const char *action;
    int status;
    const char *error;
    int64_t duration_ms;
};

/* The line, without its newline, into out (cap bytes, NUL-terminated);
 * its length, or 0 if it does not fit. Exactly what jansson's
 * json_dumps(JSON_COMPACT) writes for the same object. */
size_t access_log_format(const struct access_entry *e, char *out, size_t cap);
/* Formats the line and writes it to stdout. */
void access_log_write(const struct access_entry *e);

#endif
