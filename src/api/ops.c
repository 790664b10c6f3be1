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
    rc |= ops_budget_metrics(a, &b);
    if (rc) {
        buf_free(&b);
        plain(resp, 500, "metrics too large\n");
        return;
    }
    size_t len = b.len;
    response_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", buf_take(&b), len);
}
