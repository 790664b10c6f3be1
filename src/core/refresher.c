/* refresher.c — keeps Processing assets fresh without costing a call per poll.
 *
 * A user of the lease-and-poll engine (poller.h): each round leases the due
 * Processing assets, orders them so that customers take turns (one customer
 * with 50 Processing assets does not starve another's one), spends a
 * GetAsset token of the shared budget on each, and poll_one asks the
 * upstream and writes back what changed and when to ask next. Young assets
 * are polled often enough that GetAsset reflects a change within about a
 * second; assets that stay Processing long are polled less and less often. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asset_cache.h"
#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define BATCH 256
/* Several nodes may share the store (PostgreSQL): a batch is leased, so no
 * other node polls its assets until each poll writes the real next poll,
 * or the lease runs out because this node died. Long enough for a full
 * batch to wait for its budget and poll, short enough that a dead node's
 * assets are picked up again within seconds. */
#define LEASE_MS 10000
#define IDLE_MS 100 /* with 700 ms between a young asset's polls: a change shows within a second */

/* UPSTREAM.md "GetAsset": a Status the record does not name (one reseller
 * lists Inactive) is kept verbatim and polled slowly: it may yet settle,
 * but it is no reason to spend the shared GetAsset budget at full speed. */
#define UNKNOWN_STATUS_POLL_MS (10 * 60 * 1000)

static int settled(const char *status)
{
    return strcmp(status, "Active") == 0 || strcmp(status, "Failed") == 0;
}

int64_t refresher_next_poll(int64_t now_ms, int64_t create_ms)
{
    int64_t age = now_ms - create_ms;
    if (age < 60 * 1000)
        return now_ms + 700;
    if (age < 5 * 60 * 1000)
        return now_ms + 2000;
    if (age < 30 * 60 * 1000)
        return now_ms + 10 * 1000;
    return now_ms + 60 * 1000;
}

/* Records the asset's new status, with its event (AssetActive,
 * AssetFailed) in the same transaction. */
static void set_status(struct core *c, const struct asset *a, const char *status, const char *reason,
                       const char *code, const char *message, int64_t now)
{
    struct asset next = *a;
    snprintf(next.status, sizeof next.status, "%s", status);
    snprintf(next.failure_reason, sizeof next.failure_reason, "%s", reason);
    snprintf(next.error_code, sizeof next.error_code, "%s", code);
    snprintf(next.error_message, sizeof next.error_message, "%s", message);
    struct event ev;
    const struct event *evp = core_event_asset(c, &ev, &next, now);
    enum store_result r = c->store->ops->set_asset_status(c->store, a->id, status, reason, code, message, now, evp);
    if (r == STORE_OK)
        core_event_recorded(c, evp);
    else if (r != STORE_NOT_FOUND)
        log_warn("refresher: cannot record asset %s as %s: %s", a->id, status, store_result_str(r));
}

static void poll_one(struct poller *p, void *ctx, void *item)
{
    struct core *c = ctx;
    const struct asset *a = item;
    struct up_asset ua;
    struct up_error err = {0};
    enum up_result r = c->up->ops->get_asset(c->up, a->id, &ua, &err);
    core_count_upstream(c, a->customer_id, "GetAsset", r);
    int64_t now = clock_wall_ms();
    struct store *s = c->store;
    if (r == UP_OK) {
        int failed = strcmp(ua.status, "Failed") == 0;
        if (strcmp(ua.status, a->status) != 0) {
            char advice[STORE_REASON_MAX] = "";
            if (failed)
                core_failure_advice(ua.error_code, ua.error_message, ua.failure_reason, advice, sizeof advice);
            set_status(c, a, ua.status, advice, failed ? ua.error_code : "", failed ? ua.error_message : "", now);
            asset_cache_invalidate(c->asset_cache);
        }
        if (settled(ua.status))
            return;
        if (strcmp(ua.status, "Processing") != 0) {
            metrics_upstream("GetAsset", "unknown_status");
            log_warn("upstream reports asset %s as %s, a Status Portico does not know; polling it slowly", a->id,
                     ua.status);
            s->ops->schedule_poll(s, a->id, now + UNKNOWN_STATUS_POLL_MS, a->polls + 1);
            return;
        }
    } else if (r == UP_NOT_FOUND) {
        /* UPSTREAM.md "Parameter errors": NotFound.asset_id, kept as the Error. */
        char advice[STORE_REASON_MAX];
        core_failure_advice(err.code, err.message, NULL, advice, sizeof advice);
        set_status(c, a, "Failed", advice, err.code[0] ? err.code : "NotFound.asset_id", err.message, now);
        asset_cache_invalidate(c->asset_cache);
        return;
    }
    /* Someone waits for it here (WaitAsset): about every 100 ms, still
     * within the shared GetAsset budget (each poll takes its token). */
    int64_t hot = refresher_hot(c, a->id, now);
    s->ops->schedule_poll(s, a->id, hot ? hot : refresher_next_poll(now, a->create_ms), a->polls + 1);
}

/* Round-robin between customers, keeping each customer's due order: the
 * k-th due asset of every customer comes before any customer's (k+1)-th.
 * Without memory for it, the store's order (oldest due first) stands. */
static void fair_order(void *ctx, void **items, size_t n)
{
    int *rank = calloc(n ? n : 1, sizeof *rank);
    void **out = calloc(n ? n : 1, sizeof *out);
    if (!rank || !out)
        goto done;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (((struct asset *)items[j])->customer_id == ((struct asset *)items[i])->customer_id)
                rank[i]++;
    size_t k = 0;
    for (int r = 0; k < n; r++)
        for (size_t i = 0; i < n; i++)
            if (rank[i] == r)
                out[k++] = items[i];
    memcpy(items, out, n * sizeof *items);
done:
    free(rank);
    free(out);
}

static int lease(void *ctx, int64_t now_ms, int64_t lease_ms, size_t limit, void **items, size_t *n)
{
    struct core *c = ctx;
    struct asset_list l = {0};
    enum store_result r = c->store->ops->lease_due_assets(c->store, now_ms, lease_ms, limit, &l);
    return core_leased(r, l.items, l.n, items, n);
}

struct poller *refresher_start(struct core *c)
{
    /* Assets leased per round: about half a second of the GetAsset budget,
     * so that newly due assets (another customer's) are seen soon. */
    double half_second = c->cfg.get_rate / 2;
    struct poller_config cfg = {
        .name = "refresher",
        .ctx = c,
        .workers = c->cfg.refresh_workers > 0 ? c->cfg.refresh_workers : 1,
        .batch = half_second < 1 ? 1 : half_second > BATCH ? BATCH : (size_t)half_second,
        .lease_ms = LEASE_MS,
        .idle_ms = IDLE_MS,
        .item_size = sizeof(struct asset),
        .budget = &c->budget.get, /* shared with the video refresher and GetAssetGroup */
        .lease = lease,
        .order = fair_order,
        .poll_one = poll_one,
    };
    return poller_start(&cfg);
}
