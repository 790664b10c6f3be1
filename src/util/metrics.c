/* metrics.c — see metrics.h. A few fixed-size tables under one mutex: the
 * number of distinct label sets is small and bounded by MAX_SERIES. */
#include "util/metrics.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define MAX_SERIES 512
#define LABEL_MAX 48

struct series {
    char a[LABEL_MAX], b[LABEL_MAX];
    int status;
    uint64_t count;
};

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct series requests[MAX_SERIES];
static size_t n_requests;
static struct series upstream[MAX_SERIES];
static size_t n_upstream;
static uint64_t hist[NBOUNDS + 1];
static double hist_sum;
static uint64_t hist_count;

static void bump(struct series *t, size_t *n, const char *a, const char *b, int status)
{
    for (size_t i = 0; i < *n; i++) {
        if (t[i].status == status && strcmp(t[i].a, a) == 0 && strcmp(t[i].b, b) == 0) {
            t[i].count++;
            return;
        }
    }
    if (*n == MAX_SERIES)
        return; /* bounded: later label sets are dropped rather than grow */
    struct series *s = &t[(*n)++];
    strncpy(s->a, a, LABEL_MAX - 1);
    s->a[LABEL_MAX - 1] = '\0';
    strncpy(s->b, b, LABEL_MAX - 1);
    s->b[LABEL_MAX - 1] = '\0';
    s->status = status;
    s->count = 1;
}

void metrics_request(const char *action, const char *code, int http_status, double seconds)
{
    pthread_mutex_lock(&mu);
    bump(requests, &n_requests, action ? action : "", code ? code : "", http_status);
    size_t i = 0;
    while (i < NBOUNDS && seconds > bounds[i])
        i++;
    hist[i]++;
    hist_sum += seconds;
    hist_count++;
    pthread_mutex_unlock(&mu);
}

void metrics_upstream(const char *op, const char *result)
{
    pthread_mutex_lock(&mu);
    bump(upstream, &n_upstream, op, result, 0);
    pthread_mutex_unlock(&mu);
}

int metrics_render(struct buf *out)
{
    int rc = 0;
    pthread_mutex_lock(&mu);
    rc |= buf_puts(out, "# HELP portico_requests_total Requests answered, by Action, error code and HTTP status.\n"
                        "# TYPE portico_requests_total counter\n");
    for (size_t i = 0; i < n_requests; i++)
        rc |= buf_printf(out, "portico_requests_total{action=\"%s\",code=\"%s\",status=\"%d\"} %llu\n",
                         requests[i].a, requests[i].b, requests[i].status, (unsigned long long)requests[i].count);
    rc |= buf_puts(out, "# HELP portico_request_duration_seconds Time from request to response.\n"
                        "# TYPE portico_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t i = 0; i < NBOUNDS; i++) {
        cum += hist[i];
        rc |= buf_printf(out, "portico_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[i],
                         (unsigned long long)cum);
    }
    cum += hist[NBOUNDS];
    rc |= buf_printf(out, "portico_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    rc |= buf_printf(out, "portico_request_duration_seconds_sum %.6f\n", hist_sum);
    rc |= buf_printf(out, "portico_request_duration_seconds_count %llu\n", (unsigned long long)hist_count);
    rc |= buf_puts(out, "# HELP portico_upstream_calls_total Calls to the upstream, by operation and result.\n"
                        "# TYPE portico_upstream_calls_total counter\n");
    for (size_t i = 0; i < n_upstream; i++)
        rc |= buf_printf(out, "portico_upstream_calls_total{op=\"%s\",result=\"%s\"} %llu\n", upstream[i].a,
                         upstream[i].b, (unsigned long long)upstream[i].count);
    rc |= buf_puts(out, "# HELP portico_upstream_errors_total Upstream calls that did not succeed.\n"
                        "# TYPE portico_upstream_errors_total counter\n");
    for (size_t i = 0; i < n_upstream; i++)
        if (strcmp(upstream[i].b, "ok") != 0)
            rc |= buf_printf(out, "portico_upstream_errors_total{op=\"%s\",result=\"%s\"} %llu\n", upstream[i].a,
                             upstream[i].b, (unsigned long long)upstream[i].count);
    pthread_mutex_unlock(&mu);
    return rc ? -1 : 0;
}
