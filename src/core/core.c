/* core.c — the core's life cycle, readiness, and the mapping of port
 * failures to the contract's errors. */
#include <stdlib.h>
#include <string.h>

#include "core/asset_cache.h"
#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/urlpolicy.h"

void core_config_defaults(struct core_config *c)
{
    c->create_rate = 30;
    c->mutate_rate = 30;
    c->get_rate = 100;
    c->max_inflight_creates = 30;
    c->create_wait_ms = 10000;
    c->refresh_workers = 8;
    c->key_rate = 100;
    c->key_burst = 200;
    c->reconcile_after_ms = 10 * 60 * 1000; /* reconciliation */
    c->upload_session_ttl_s = 3600;         /* upload sessions: API.md §4b */
    c->liveness_poll_ms = 2000;             /* liveness */
    c->liveness_sweep_ms = 10 * 60 * 1000;
    c->liveness_orphan_age_ms = 15 * 60 * 1000;
    c->webhook_workers = 8; /* webhooks */
    c->webhook_timeout_ms = 10000;
    c->webhook_backoff_ms = 1000;
    c->webhook_retry_ms = 24LL * 3600 * 1000;
    c->event_retention_ms = 48LL * 3600 * 1000;
    c->video_wait_ms = 10 * 60 * 1000; /* wait_for_assets: API.md §4 */
    c->sse_heartbeat_ms = 15000; /* the event stream */
    c->usage_flush_ms = 1000;    /* usage metering: upstream calls */
}

struct core *core_new(const struct core_config *cfg, struct store *store, struct upstream *up)
{
    struct core *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = *cfg;
    c->store = store;
    c->up = up;
    c->auth = auth_cache_new();
    if (!c->auth) {
        free(c);
        return NULL;
    }
    c->asset_cache = asset_cache_new();
    c->meter = usage_meter_new(); /* usage metering: counts calls from now on */
    char err[160];
    c->url_policy = malloc(sizeof *c->url_policy);
    if (c->url_policy)
        urlpolicy_init(c->url_policy);
    if (c->url_policy && urlpolicy_allow(c->url_policy, cfg->url_allow, err, sizeof err) != 0) {
        log_error("the URL allow-list: %s", err);
        free(c->url_policy);
        c->url_policy = NULL;
    }
    if (!c->asset_cache || !c->url_policy || !c->meter) {
        usage_meter_stop(c);
        asset_cache_free(c->asset_cache);
        auth_cache_free(c->auth);
        free(c->url_policy);
        free(c);
        return NULL;
    }
    /* The account's buckets: leased from the store when other nodes share
     * it, else this process's own. */
    budget_init(&c->budget, cfg, store->ops->shared(store) ? store : NULL);
    pthread_mutex_init(&c->ready_mu, NULL);
    return c;
}

int core_start(struct core *c)
{
    /* the fleet: joined first, so every reservation knows its node */
    if (fleet_start(c) != 0)
        return -1;
    /* webhooks: the outbox's deliveries and the events' retention; first,
     * as the pollers below kick it (core_event_recorded) */
    c->outbox = outbox_start(c);
    if (!c->outbox)
        return -1;
    c->refresher = refresher_start(c);
    if (!c->refresher)
        return -1;
    /* reconciliation */
    c->reconciler = reconciler_start(c);
    if (!c->reconciler)
        return -1;
    /* liveness: every session's outcome, fetched in the background */
    c->liveness_poller = liveness_poller_start(c);
    if (!c->liveness_poller)
        return -1;
    /* upload sessions: expiry */
    c->upload_expiry = upload_expiry_start(c);
    if (!c->upload_expiry)
        return -1;
    /* events: streams and WaitAsset */
    c->hub = event_hub_start(c);
    if (!c->hub)
        return -1;
    /* video tasks */
    c->video_refresher = video_refresher_start(c);
    if (!c->video_refresher)
        return -1;
    /* video tasks waiting for their assets */
    c->video_waiter = video_waiter_start(c);
    if (!c->video_waiter)
        return -1;
    /* usage metering: this node's upstream calls, written every period */
    return usage_meter_start(c);
}

void core_free(struct core *c)
{
    if (!c)
        return;
    /* webhooks: deliveries in flight end now (their leases lapse, so they
     * are sent again); the outbox stops last, as the others' events kick it */
    __atomic_store_n(&c->outbox_stopping, 1, __ATOMIC_RELAXED);
    fleet_stop(c);                   /* the fleet: before the reconciler it hands dead nodes' creates to */
    poller_stop(c->liveness_poller); /* liveness */
    poller_stop(c->upload_expiry);   /* upload sessions */
    reconciler_stop(c->reconciler);  /* reconciliation */
    poller_stop(c->video_waiter);    /* waiting video tasks: before the refresher they hand tasks to */
    c->video_waiter = NULL;          /* core_video_waiters_kick is a no-op from here on */
    poller_stop(c->video_refresher); /* video tasks */
    poller_stop(c->refresher);       /* assets */
    poller_stop(c->outbox);          /* webhooks */
    c->outbox = NULL;                /* poller_kick(NULL) is a no-op */
    event_hub_stop(c->hub);          /* events */
    usage_meter_stop(c);             /* usage metering: after every caller of the upstream stopped */
    auth_cache_free(c->auth);
    asset_cache_free(c->asset_cache);
    free(c->url_policy);
    budget_destroy(&c->budget);
    pthread_mutex_destroy(&c->ready_mu);
    free(c);
}

enum core_code core_store_failure(enum store_result r, struct core_status *st)
{
    if (r == STORE_UNAVAILABLE)
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The record store is unavailable; retry shortly.");
    log_error("store failure: %s", store_result_str(r));
    return core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
}

enum core_code core_upstream_failure(const char *op, enum up_result r, const struct up_error *err,
                                     struct core_status *st)
{
    log_warn("upstream %s failed: %s (HTTP %d, %s: %s)", op, up_result_str(r), err->http_status, err->code,
             err->message);
    if (r == UP_THROTTLED) {
        core_fail(st, CORE_TOO_MANY_REQUESTS, "The upstream is throttling requests; retry after the Retry-After time.");
        st->retry_after_s = 1;
        return CORE_TOO_MANY_REQUESTS;
    }
    if (r == UP_REJECTED)
        return core_fail(st, CORE_UPSTREAM_ERROR, "The upstream rejected the request (%s); nothing was changed.",
                         err->code[0] ? err->code : "no code");
    return core_fail(st, CORE_UPSTREAM_ERROR,
                     "The upstream did not answer successfully after retries; nothing was changed, retry later.");
}

enum core_code core_forbidden(struct core_status *st, const char *field)
{
    /* Same words for "not yours" and "does not exist": existence is never revealed. */
    return core_fail(st, CORE_FORBIDDEN, "The %s does not exist or you do not have access to it.", field);
}

/* The store is checked on every call; the upstream at most every 2 s, since
 * a readiness probe must not spend the shared account's budget. */
int core_ready(struct core *c)
{
    if (c->store->ops->ping(c->store) != STORE_OK)
        return 0;
    int64_t now = clock_mono_ms();
    pthread_mutex_lock(&c->ready_mu);
    int fresh = c->ready_checked_ms && now - c->ready_checked_ms < 2000;
    int ok = c->ready_upstream_ok;
    if (fresh) {
        pthread_mutex_unlock(&c->ready_mu);
        return ok;
    }
    c->ready_checked_ms = now;
    pthread_mutex_unlock(&c->ready_mu);

    if (budget_pool_take(&c->budget.mutate, 0, 0, NULL) != 0)
        return ok; /* no budget to spare: keep the last answer */
    struct up_error err = {0};
    enum up_result r = c->up->ops->ping(c->up, &err);
    core_count_upstream(c, 0, "ListAssetGroups", r);
    ok = r == UP_OK;
    pthread_mutex_lock(&c->ready_mu);
    c->ready_upstream_ok = ok;
    pthread_mutex_unlock(&c->ready_mu);
    return ok;
}

enum core_code core_count_assets(struct core *c, struct asset_counts *out)
{
    return c->store->ops->count_assets(c->store, out) == STORE_OK ? CORE_OK : CORE_SERVICE_UNAVAILABLE;
}
