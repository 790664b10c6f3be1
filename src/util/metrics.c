/* metrics.c — see metrics.h. The label sets of a table are few and bounded
 * by MAX_SERIES: appended under the mutex, never changed or removed, and
 * found without it (an entry is complete before the count that shows it is
 * published).
 *
 * The counts live in SHARDS copies, each thread adding to its own: every
 * request is counted, and one shared set of counters would bounce between
 * the cores on each of them. Rendering adds the shards up (under the mutex,
 * so series appear in the order they were first seen). */
#include "util/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define MAX_SERIES 512
#define LABEL_MAX 48
#define SHARDS 16

struct labels {
    char a[LABEL_MAX], b[LABEL_MAX];
    int status;
};

struct table {
    struct labels rows[MAX_SERIES];
    atomic_size_t n; /* rows[0..n) are complete */
};

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

struct shard {
    _Atomic uint64_t requests[MAX_SERIES];
    _Atomic uint64_t upstream[MAX_SERIES];
    _Atomic uint64_t hist[NBOUNDS + 1];
    _Atomic uint64_t sum_us; /* request durations, microseconds */
} __attribute__((aligned(64)));

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct table requests, upstream;
static struct shard shards[SHARDS];
static atomic_uint next_shard;

static struct shard *my_shard(void)
{
    static _Thread_local struct shard *mine;
    if (!mine)
        mine = &shards[atomic_fetch_add(&next_shard, 1) % SHARDS];
    return mine;
}

static int same(const struct labels *l, const char *a, const char *b, int status)
{
    return l->status == status && strncmp(l->a, a, LABEL_MAX - 1) == 0 && strncmp(l->b, b, LABEL_MAX - 1) == 0;
}

/* The row of (a, b, status), appended if new; -1 when the table is full
 * (later label sets are dropped rather than grow). Labels are compared as
 * stored: cut to LABEL_MAX - 1 bytes. */
static long row_of(struct table *t, const char *a, const char *b, int status)
{
    size_t n = atomic_load_explicit(&t->n, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (same(&t->rows[i], a, b, status))
            return (long)i;
    pthread_mutex_lock(&mu);
    long found = -1;
    n = atomic_load_explicit(&t->n, memory_order_relaxed);
    for (size_t i = 0; i < n && found < 0; i++)
        if (same(&t->rows[i], a, b, status))
            found = (long)i;
    if (found < 0 && n < MAX_SERIES) {
        struct labels *l = &t->rows[n];
        strncpy(l->a, a, LABEL_MAX - 1);
        l->a[LABEL_MAX - 1] = '\0';
        strncpy(l->b, b, LABEL_MAX - 1);
        l->b[LABEL_MAX - 1] = '\0';
        l->status = status;
        atomic_store_explicit(&t->n, n + 1, memory_order_release);
        found = (long)n;
    }
    pthread_mutex_unlock(&mu);
    return found;
}

static void add(_Atomic uint64_t *c, uint64_t v)
{
    atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

void metrics_request(const char *action, const char *code, int http_status, double seconds)
{
    struct shard *s = my_shard();
    long row = row_of(&requests, action ? action : "", code ? code : "", http_status);
    if (row >= 0)
        add(&s->requests[row], 1);
    size_t i = 0;
    while (i < NBOUNDS && seconds > bounds[i])
        i++;
    add(&s->hist[i], 1);
    add(&s->sum_us, seconds > 0 ? (uint64_t)llround(seconds * 1e6) : 0);
}

void metrics_upstream(const char *op, const char *result)
{
    long row = row_of(&upstream, op, result, 0);
    if (row >= 0)
        add(&my_shard()->upstream[row], 1);
}

/* The sum over the shards of one counter, given as shard 0's. */
static unsigned long long sum_shards(_Atomic uint64_t *counter)
{
    uint64_t sum = 0;
    for (size_t k = 0; k < SHARDS; k++)
        sum += atomic_load_explicit((_Atomic uint64_t *)((char *)counter + k * sizeof(struct shard)),
                                    memory_order_relaxed);
    return (unsigned long long)sum;
}

#define TOTAL(field) sum_shards(&shards[0].field)

int metrics_render(struct buf *out)
{
    int rc = 0;
    pthread_mutex_lock(&mu);
    size_t n_req = atomic_load(&requests.n), n_up = atomic_load(&upstream.n);
    rc |= buf_puts(out, "# HELP portico_requests_total Requests answered, by Action, error code and HTTP status.\n"
                        "# TYPE portico_requests_total counter\n");
    for (size_t i = 0; i < n_req; i++)
        rc |= buf_printf(out, "portico_requests_total{action=\"%s\",code=\"%s\",status=\"%d\"} %llu\n",
                         requests.rows[i].a, requests.rows[i].b, requests.rows[i].status, TOTAL(requests[i]));
    rc |= buf_puts(out, "# HELP portico_request_duration_seconds Time from request to response.\n"
                        "# TYPE portico_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t i = 0; i < NBOUNDS; i++) {
        cum += TOTAL(hist[i]);
        rc |= buf_printf(out, "portico_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[i], cum);
    }
    cum += TOTAL(hist[NBOUNDS]); /* the count is the +Inf bucket, whatever was added meanwhile */
    rc |= buf_printf(out, "portico_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    rc |= buf_printf(out, "portico_request_duration_seconds_sum %.6f\n", (double)TOTAL(sum_us) / 1e6);
    rc |= buf_printf(out, "portico_request_duration_seconds_count %llu\n", cum);
    rc |= buf_puts(out, "# HELP portico_upstream_calls_total Calls to the upstream, by operation and result.\n"
                        "# TYPE portico_upstream_calls_total counter\n");
    for (size_t i = 0; i < n_up; i++)
        rc |= buf_printf(out, "portico_upstream_calls_total{op=\"%s\",result=\"%s\"} %llu\n", upstream.rows[i].a,
                         upstream.rows[i].b, TOTAL(upstream[i]));
    rc |= buf_puts(out, "# HELP portico_upstream_errors_total Upstream calls that did not succeed.\n"
                        "# TYPE portico_upstream_errors_total counter\n");
    for (size_t i = 0; i < n_up; i++)
        if (strcmp(upstream.rows[i].b, "ok") != 0)
            rc |= buf_printf(out, "portico_upstream_errors_total{op=\"%s\",result=\"%s\"} %llu\n",
                             upstream.rows[i].a, upstream.rows[i].b, TOTAL(upstream[i]));
    pthread_mutex_unlock(&mu);
    return rc ? -1 : 0;
}
