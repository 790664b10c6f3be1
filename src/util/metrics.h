/* metrics.h — process-wide counters, rendered in Prometheus text format.
 *
 * Label values come from small fixed sets (Action names of the catalog,
 * error codes, upstream operations): callers must not pass user input, so
 * the number of series stays bounded. */
#ifndef PORTICO_METRICS_H
#define PORTICO_METRICS_H

#include "util/buf.h"

/* One finished request. action: an Action name or a route name ("healthz");
 * code: "" for success or the error Code. */
void metrics_request(const char *action, const char *code, int http_status, double seconds);
/* One upstream call and its result ("ok", "not_found", "throttled", ...). */
void metrics_upstream(const char *op, const char *result);
/* Appends every counter and histogram. */
int metrics_render(struct buf *out);

#endif
