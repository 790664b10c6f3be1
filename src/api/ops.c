/* ops.c — /healthz, /readyz and /metrics (API.md §5). */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/buf.h"
#include "util/metrics.h"

static void plain(struct api_response *resp, int status, const char *text)
{
    char *s = strdup(text);
    response_text(resp, status, "text/plain; charset=utf-8", s, s ? strlen(s) : 0);
}

void ops_healthz(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    snprintf(resp->action, sizeof resp->action, "healthz");
    plain(resp, 200, "ok\n");
}

void ops_readyz(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    snprintf(resp->action, sizeof resp->action, "readyz");
    if (atomic_load(&a->draining))
        plain(resp, 503, "draining\n");
    else if (!core_ready(a->core))
        plain(resp, 503, "not ready: the store or the upstream does not answer\n");
    else if (!a->admin)
        plain(resp, 200, "ready\n");
    else { /* operators also see the fleet's use of the upstream budget */
        struct buf b;
        buf_init(&b, 64 * 1024);
        int rc = buf_puts(&b, "ready\n") | ops_budget_readyz(a, &b);
        size_t len = b.len;
        if (rc) {
            buf_free(&b);
            plain(resp, 200, "ready\n");
        } else {
            response_text(resp, 200, "text/plain; charset=utf-8", buf_take(&b), len);
        }
    }
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static int label(struct buf *b, const char *v)
{
    int rc = 0;
    for (const char *p = v; *p && rc == 0; p++)
        rc = *p == '\\' ? buf_puts(b, "\\\\") : *p == '"' ? buf_puts(b, "\\\"")
           : *p == '\n' ? buf_puts(b, "\\n") : buf_append(b, p, 1);
    return rc;
}

/* `name{customer_id="..",customer=".."` of a customer's series (the
 * caller adds the rest of the labels and the value). */
static int series(struct buf *b, const char *name, const struct core_usage_gauge *g)
{
    if (g->customer_id < 0)
        return buf_printf(b, "%s{customer_id=\"other\",customer=\"\"", name);
    int rc = buf_printf(b, "%s{customer_id=\"%lld\",customer=\"", name, (long long)g->customer_id);
    rc |= label(b, g->customer);
    return rc | buf_puts(b, "\"");
}

/* Per customer, from the usage counters: live assets by status and bytes
 * stored. Bounded series: the CORE_USAGE_GAUGE_CUSTOMERS customers with
 * the most bytes (then assets) under their id and name, every other
 * customer summed under customer_id="other". */
static int customer_gauges(struct api *a, struct buf *b)
{
    struct core_usage_gauge *g;
    size_t n;
    if (core_usage_gauges(a->core, &g, &n) != CORE_OK)
        return 0; /* the store does not answer: no per-customer series this time */
    static const char *const statuses[] = {"Processing", "Active", "Failed", "Other"};
    int rc = buf_printf(b, "# HELP portico_customer_assets Live assets of a customer by upstream status (the %d "
                           "customers storing the most, then customer_id=\"other\" for the rest).\n"
                           "# TYPE portico_customer_assets gauge\n",
                        CORE_USAGE_GAUGE_CUSTOMERS);
    for (size_t i = 0; i < n && rc == 0; i++) {
        int64_t v[4] = {g[i].processing, g[i].active, g[i].failed, g[i].other};
        for (int k = 0; k < 4 && rc == 0; k++) {
            rc |= series(b, "portico_customer_assets", &g[i]);
            rc |= buf_printf(b, ",status=\"%s\"} %lld\n", statuses[k], (long long)v[k]);
        }
    }
    rc |= buf_puts(b, "# HELP portico_customer_bytes_stored Bytes of media Portico stores for a customer's live "
                      "assets (the same customers).\n# TYPE portico_customer_bytes_stored gauge\n");
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc |= series(b, "portico_customer_bytes_stored", &g[i]);
        rc |= buf_printf(b, "} %lld\n", (long long)g[i].bytes);
    }
    free(g);
    return rc;
}

void ops_metrics(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    snprintf(resp->action, sizeof resp->action, "metrics");
    struct buf b;
    buf_init(&b, 4 * 1024 * 1024);
    int rc = metrics_render(&b);
    struct asset_counts n;
    if (core_count_assets(a->core, &n) == CORE_OK) {
        rc |= buf_puts(&b, "# HELP portico_assets Live assets by upstream status.\n# TYPE portico_assets gauge\n");
        rc |= buf_printf(&b, "portico_assets{status=\"Processing\"} %lld\n", (long long)n.processing);
        rc |= buf_printf(&b, "portico_assets{status=\"Active\"} %lld\n", (long long)n.active);
        rc |= buf_printf(&b, "portico_assets{status=\"Failed\"} %lld\n", (long long)n.failed);
    }
    rc |= customer_gauges(a, &b);
    rc |= ops_budget_metrics(a, &b);
    if (rc) {
        buf_free(&b);
        plain(resp, 500, "metrics too large\n");
        return;
    }
    size_t len = b.len;
    response_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", buf_take(&b), len);
}
