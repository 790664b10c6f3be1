/* liveness_poller.c — every liveness session's outcome, fetched by Portico
 * itself, and the LivenessFace groups nobody owns, removed.
 *
 * A customer may never ask GetVisualValidateResult: the scan still passes
 * and the upstream still makes a LivenessFace group in the shared account.
 * So a user of the lease-and-poll engine (poller.h) leases the pending
 * sessions that are due (several nodes share the store: a leased session
 * is skipped by the others until its next poll is written or the lease
 * lapses) and asks the upstream about each, every liveness_poll_ms while the token lives, then more
 * slowly through the late window: passed, the group is recorded in the
 * place the session holds; failed or expired, the session closes and its
 * place is released; past the late window with no answer, it closes too.
 *
 * The orphan sweep, every liveness_sweep_ms (between rounds, on the
 * engine's loop thread), lists the account's
 * LivenessFace groups (a few pages at most, paid from the list budget) and
 * removes those that no record owns and that no pending session can
 * explain: a group is older than liveness_orphan_age_ms, and created
 * before the oldest pending session (less a margin for the two clocks) —
 * a session's group is made after the session. Closed sessions are never
 * recorded later, so their groups are fair game.
 *
 * Invariant: the sweep deletes a group only after asking the store, in
 * that moment, that no group row and no session names it. It assumes the
 * account's LivenessFace groups are this Portico's (one store per
 * account): another deployment sharing the account must set
 * liveness_sweep_ms to 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define LP_BATCH 32
#define LP_IDLE_MS 200
#define LP_LEASE_MS 15000       /* a batch's polls, budget waits included, end well within it */
#define LP_LATE_POLL_MS 10000   /* past expiry: how often the late window asks */
#define LP_SWEEP_PAGES 20       /* pages of 100 groups one sweep reads at most */
#define LP_CLOCK_MARGIN_MS 30000 /* the upstream's clock against ours */

/* A token of the list budget (GetVisualValidateResult, ListAssetGroups and
 * DeleteAssetGroup are list/update calls upstream); 0, or -1 when stopping. */
static int lp_budget(struct poller *p, struct core *c)
{
    return poller_take(p, &c->budget.mutate);
}

static void lp_close(struct core *c, const struct validate_session *v, enum store_session_state state,
                     const char *result_code, const char *why)
{
    enum store_result r = liveness_close(c, v->customer_id, v->token, state, result_code, clock_wall_ms());
    if (r == STORE_OK)
        log_info("liveness: session closed (%s); its group place is released", why);
    else if (r != STORE_NOT_FOUND)
        log_warn("liveness: cannot close a session: %s", store_result_str(r));
}

static void lp_poll_one(struct poller *p, void *ctx, void *item)
{
    struct core *c = ctx;
    const struct validate_session *v = item;
    int64_t now = clock_wall_ms();
    if (now > v->expire_ms + LIVENESS_LATE_MS) {
        /* Never answered: a group it made after all is an orphan for the sweep. */
        lp_close(c, v, STORE_SESSION_EXPIRED, "NoOutcome", "no outcome within its late window");
        return;
    }
    if (lp_budget(p, c) != 0)
        return; /* stopping: the lease lapses and another node (or the next start) polls it */
    struct up_validate_result res;
    struct up_error err = {0};
    enum up_result u = c->up->ops->get_validate_result(c->up, v->token, &res, &err);
    core_count_upstream(c, v->customer_id, "GetVisualValidateResult", u);
    if (u == UP_OK && res.state == UP_VALIDATE_PASSED) {
        char gid[IDS_MAX] = "";
        struct core_status st = {0};
        if (liveness_record(c, v->customer_id, v->token, res.group_id, gid, &st) == CORE_OK) {
            log_info("liveness: group %s of a passed scan recorded in the background", gid);
            metrics_upstream("LivenessPoll", "recorded");
            return;
        }
        if (st.code != CORE_SERVICE_UNAVAILABLE && st.code != CORE_INTERNAL_ERROR)
            return; /* settled: removed (over the quota) or closed meanwhile */
    } else if (u == UP_OK && (res.state == UP_VALIDATE_FAILED || res.state == UP_VALIDATE_EXPIRED)) {
        char code[32];
        liveness_result_code(&res, code);
        if (res.state == UP_VALIDATE_FAILED)
            lp_close(c, v, STORE_SESSION_FAILED, code, "the scan did not pass");
        else
            lp_close(c, v, STORE_SESSION_EXPIRED, code, "expired without a scan");
        return;
    } else if (u == UP_OK && res.state == UP_VALIDATE_UNKNOWN && now >= v->expire_ms) {
        lp_close(c, v, STORE_SESSION_EXPIRED, "TokenExpired", "the upstream no longer knows the token");
        return;
    } else if (u != UP_OK) {
        log_warn("liveness: session poll failed: %s (%s)", up_result_str(u), err.code);
    }
    int64_t next = now + (now < v->expire_ms ? c->cfg.liveness_poll_ms : LP_LATE_POLL_MS);
    enum store_result r = c->store->ops->schedule_session_poll(c->store, v->token, next, v->polls + 1);
    if (r != STORE_OK)
        log_warn("liveness: cannot schedule a session's next poll: %s", store_result_str(r));
}

/* ---- the orphan sweep ---- */

struct lp_candidate {
    char id[IDS_MAX];
};

static void lp_sweep(struct poller *p, struct core *c)
{
    struct store *s = c->store;
    if (!c->up->ops->list_groups || !s->ops->oldest_pending_session || !s->ops->group_known)
        return;
    int64_t oldest = INT64_MAX, t0 = clock_wall_ms();
    if (s->ops->oldest_pending_session(s, &oldest) != STORE_OK)
        return;
    int64_t margin = LP_CLOCK_MARGIN_MS < c->cfg.liveness_orphan_age_ms ? LP_CLOCK_MARGIN_MS
                                                                       : c->cfg.liveness_orphan_age_ms;
    int64_t cutoff = t0 - c->cfg.liveness_orphan_age_ms;
    if (oldest != INT64_MAX && oldest - margin < cutoff)
        cutoff = oldest - margin;

    size_t n = 0, cap = 0, seen = 0;
    struct lp_candidate *cand = NULL;
    struct up_group_page *page = malloc(sizeof *page);
    if (!page)
        return;
    for (int pn = 1; pn <= LP_SWEEP_PAGES; pn++) {
        if (lp_budget(p, c) != 0)
            goto out;
        struct up_error err = {0};
        enum up_result u = c->up->ops->list_groups(c->up, "LivenessFace", pn, UP_LIST_PAGE_MAX, page, &err);
        core_count_upstream(c, 0, "ListAssetGroups", u);
        if (u != UP_OK) {
            log_warn("liveness: orphan sweep cannot list the account's groups: %s (%s)", up_result_str(u), err.code);
            goto out;
        }
        int young = 0;
        for (size_t i = 0; i < page->n; i++) {
            seen++;
            /* CreateTime has whole seconds: a group may be up to 1 s younger than it reads. */
            const struct up_group_item *g = &page->items[i];
            if (g->create_ms < 0 || g->create_ms + 1000 >= cutoff) {
                young = 1;
                continue;
            }
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct lp_candidate *m = realloc(cand, ncap * sizeof *m);
                if (!m)
                    goto out;
                cand = m;
                cap = ncap;
            }
            snprintf(cand[n++].id, IDS_MAX, "%s", g->id);
        }
        /* Oldest first: once a page reaches the young ones, the rest are younger. */
        if (young || page->n < UP_LIST_PAGE_MAX || (page->total >= 0 && (int64_t)pn * UP_LIST_PAGE_MAX >= page->total))
            break;
    }
    int removed = 0;
    for (size_t i = 0; i < n && !poller_stopping(p); i++) {
        int known = 1;
        if (s->ops->group_known(s, cand[i].id, &known) != STORE_OK || known)
            continue;
        if (liveness_delete_upstream(c, 0, cand[i].id) == 0) {
            removed++;
            metrics_upstream("LivenessSweep", "removed");
            log_info("liveness: removed LivenessFace group %s upstream: no record owns it and no session can "
                     "still claim it", cand[i].id);
        }
    }
    if (removed)
        log_info("liveness: orphan sweep removed %d of %zu LivenessFace groups upstream", removed, seen);
out:
    free(cand);
    free(page);
}

/* ---- on the engine ---- */

static int lp_lease(void *ctx, int64_t now_ms, int64_t lease_ms, size_t limit, void **items, size_t *n)
{
    struct core *c = ctx;
    struct validate_session_list l = {0};
    enum store_result r = c->store->ops->lease_due_sessions(c->store, now_ms, lease_ms, limit, &l);
    return core_leased(r, l.items, l.n, items, n);
}

static void lp_after_round(struct poller *p, void *ctx)
{
    struct core *c = ctx;
    if (c->cfg.liveness_sweep_ms > 0 && clock_mono_ms() >= c->liveness_next_sweep_ms) {
        lp_sweep(p, c);
        c->liveness_next_sweep_ms = clock_mono_ms() + c->cfg.liveness_sweep_ms;
    }
}

struct poller *liveness_poller_start(struct core *c)
{
    c->liveness_next_sweep_ms = clock_mono_ms() + c->cfg.liveness_sweep_ms;
    struct poller_config cfg = {
        .name = "liveness poller",
        .ctx = c,
        .workers = 1, /* sessions are few; their budget is the list budget, which the sweep shares */
        .batch = LP_BATCH,
        .lease_ms = LP_LEASE_MS,
        .idle_ms = LP_IDLE_MS,
        .item_size = sizeof(struct validate_session),
        .budget = NULL, /* lp_poll_one takes a token only when it asks the upstream */
        .lease = lp_lease,
        .poll_one = lp_poll_one,
        .after_round = lp_after_round,
    };
    return poller_start(&cfg);
}
