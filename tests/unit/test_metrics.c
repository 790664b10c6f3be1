/* test_metrics.c — util/metrics.c: counts added from many threads at once
 * all show in the rendering, series in the order first seen, and the
 * histogram's count is its +Inf bucket. */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "util/buf.h"
#include "util/metrics.h"

#define THREADS 8
#define EACH 20000

/* What one thread sends: request i's labels. */
static void labels_of(int i, const char **action, const char **code, int *status)
{
    *action = i % 2 ? "ListAssets" : "GetAsset";
    *code = i % 3 ? "" : "Forbidden";
    *status = i % 3 ? 200 : 403;
}

static void *hammer(void *arg)
{
    long t = (long)arg;
    for (int i = 0; i < EACH; i++) {
        const char *action, *code;
        int status;
        labels_of(i, &action, &code, &status);
        metrics_request(action, code, status, i % 4 ? 0.0004 : 0.003);
        if (i % 100 == 0)
            metrics_upstream("GetAsset", t % 2 ? "ok" : "throttled");
    }
    return NULL;
}

static unsigned long long value(const char *text, const char *series)
{
    const char *p = strstr(text, series);
    return p ? strtoull(p + strlen(series), NULL, 10) : 0;
}

static void test_counts_from_many_threads(void)
{
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, hammer, (void *)t);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    unsigned long long get_ok = 0, get_fb = 0, list_ok = 0, list_fb = 0, slow = 0;
    for (int i = 0; i < EACH; i++) {
        const char *action, *code;
        int status;
        labels_of(i, &action, &code, &status);
        int get = action[0] == 'G', ok = status == 200;
        get_ok += get && ok;
        get_fb += get && !ok;
        list_ok += !get && ok;
        list_fb += !get && !ok;
        slow += i % 4 == 0;
    }
    struct buf b;
    buf_init(&b, 1 << 20);
    CHECK(metrics_render(&b) == 0);
    const char *s = b.data;
    CHECK(value(s, "{action=\"GetAsset\",code=\"\",status=\"200\"} ") == THREADS * get_ok);
    CHECK(value(s, "{action=\"GetAsset\",code=\"Forbidden\",status=\"403\"} ") == THREADS * get_fb);
    CHECK(value(s, "{action=\"ListAssets\",code=\"\",status=\"200\"} ") == THREADS * list_ok);
    CHECK(value(s, "{action=\"ListAssets\",code=\"Forbidden\",status=\"403\"} ") == THREADS * list_fb);
    /* first seen first: GetAsset 403 (i = 0), then ListAssets 200 (i = 1) */
    CHECK(strstr(s, "action=\"GetAsset\",code=\"Forbidden\"") < strstr(s, "action=\"ListAssets\",code=\"\""));
    unsigned long long n = (unsigned long long)THREADS * EACH;
    CHECK(value(s, "portico_request_duration_seconds_count ") == n);
    CHECK(value(s, "portico_request_duration_seconds_bucket{le=\"+Inf\"} ") == n);
    CHECK(value(s, "portico_request_duration_seconds_bucket{le=\"0.0005\"} ") == n - THREADS * slow);
    CHECK(value(s, "portico_request_duration_seconds_bucket{le=\"0.0025\"} ") == n - THREADS * slow);
    CHECK(value(s, "portico_request_duration_seconds_bucket{le=\"0.005\"} ") == n);
    /* 0.0004 s and 0.003 s, summed in microseconds */
    double want = THREADS * ((EACH - slow) * 400.0 + slow * 3000.0) / 1e6;
    char line[96];
    snprintf(line, sizeof line, "portico_request_duration_seconds_sum %.6f\n", want);
    CHECK(strstr(s, line) != NULL);
    CHECK(value(s, "portico_upstream_calls_total{op=\"GetAsset\",result=\"ok\"} ") == THREADS / 2 * (EACH / 100));
    CHECK(value(s, "portico_upstream_errors_total{op=\"GetAsset\",result=\"throttled\"} ") ==
          THREADS / 2 * (EACH / 100));
    CHECK(strstr(s, "portico_upstream_errors_total{op=\"GetAsset\",result=\"ok\"}") == NULL);
    buf_free(&b);
}

int main(void)
{
    RUN(test_counts_from_many_threads);
    return check_summary();
}
