/* usage_meter.c — the upstream calls of usage metering (API.md §7
 * GetUsage: "upstream calls by Action"), counted per node and written to
 * the store in batches.
 *
 * An upstream call is no store change, so it cannot be counted in a
 * change's transaction the way groups and assets are (store/usage.c); and
 * a store write per call would double the cost of the refresher's polls.
 * Instead each node adds its calls up in memory — per customer, UTC day
 * and Action — and a flusher thread writes the sums every flush period
 * (cfg.usage_flush_ms, 1 s) as atomic upserts in one transaction, so the
 * sums of all nodes add up exactly in the shared store. core_usage_flush
 * writes at once (GetUsage does, so the node that answers is current), and
 * stopping the core writes what is left.
 *
 * The bound: what a node counted since its last flush is lost if the node
 * dies without stopping (kill -9, power): at most one flush period of its
 * calls. While the store cannot be written the sums stay in memory and are
 * written later; only past 3/4 of METER_SLOTS distinct (customer, day,
 * Action) sums still unwritten are further calls dropped, each logged and
 * counted in /metrics (portico_upstream_calls_total{op="UsageMeter",
 * result="dropped"}). A call is one logical call as the core made it: the
 * upstream client's own retries of it are not calls. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define METER_SLOTS 4096

/* The Actions counted: what core/ calls upstream (core_count_upstream). */
static const char *const meter_actions[] = {
    "CreateAssetGroup", "GetAssetGroup",   "ListAssetGroups",  "UpdateAssetGroup",
    "DeleteAssetGroup", "CreateAsset",     "GetAsset",         "ListAssets",
    "UpdateAsset",      "DeleteAsset",     "CreateVisualValidateSession", "GetVisualValidateResult",
    "CreateVideoTask",  "GetVideoTask",
};
#define METER_ACTIONS (sizeof meter_actions / sizeof meter_actions[0])

struct meter_slot {
    int64_t customer_id, day, n;
    int action; /* index into meter_actions; -1: free */
};

struct usage_meter {
    pthread_mutex_t mu; /* guards slots and used */
    struct meter_slot *slots;
    size_t used;
    pthread_mutex_t flush_mu; /* one flush at a time: its sums are out of the table while it runs */
    pthread_mutex_t wake_mu;
    pthread_cond_t wake;
    int stopping, started;
    pthread_t thread;
};

size_t core_usage_actions(const char *const **names)
{
    *names = meter_actions;
    return METER_ACTIONS;
}

static int action_index(const char *op)
{
    for (size_t i = 0; op && i < METER_ACTIONS; i++)
        if (strcmp(meter_actions[i], op) == 0)
            return (int)i;
    return -1;
}

struct usage_meter *usage_meter_new(void)
{
    struct usage_meter *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->slots = malloc(METER_SLOTS * sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    for (size_t i = 0; i < METER_SLOTS; i++)
        m->slots[i].action = -1;
    pthread_mutex_init(&m->mu, NULL);
    pthread_mutex_init(&m->flush_mu, NULL);
    pthread_mutex_init(&m->wake_mu, NULL);
    pthread_cond_init(&m->wake, NULL);
    return m;
}

/* Adds n to a sum, under m->mu; -1 when the table is full. */
static int meter_add(struct usage_meter *m, int64_t customer_id, int64_t day, int action, int64_t n)
{
    uint64_t h = (uint64_t)customer_id * 0x9E3779B97F4A7C15ull ^ (uint64_t)day * 0xC2B2AE3D27D4EB4Full ^
                 (uint64_t)action;
    for (size_t k = 0; k < METER_SLOTS; k++) {
        struct meter_slot *s = &m->slots[(h + k) % METER_SLOTS];
        if (s->action == action && s->customer_id == customer_id && s->day == day) {
            s->n += n;
            return 0;
        }
        if (s->action < 0) {
            if (m->used == METER_SLOTS * 3 / 4) /* keep probes short */
                return -1;
            *s = (struct meter_slot){customer_id, day, n, action};
            m->used++;
            return 0;
        }
    }
    return -1;
}

void core_count_upstream(struct core *c, int64_t customer_id, const char *op, enum up_result r)
{
    metrics_upstream(op, up_result_str(r));
    struct usage_meter *m = c ? c->meter : NULL;
    int action = action_index(op);
    if (!m || action < 0 || customer_id < 0) {
        if (m)
            log_error("usage: upstream call %s of customer %lld is not metered", op ? op : "?",
                      (long long)customer_id);
        return;
    }
    pthread_mutex_lock(&m->mu);
    int full = meter_add(m, customer_id, clock_wall_ms() / USAGE_DAY_MS, action, 1);
    pthread_mutex_unlock(&m->mu);
    if (full) {
        metrics_upstream("UsageMeter", "dropped");
        log_error("usage: the upstream call meter is full (the store is not written); a %s call is not counted", op);
    }
}

void core_usage_flush(struct core *c)
{
    struct usage_meter *m = c->meter;
    if (!m)
        return;
    pthread_mutex_lock(&m->flush_mu);
    /* Take the sums out, then write them without holding the table: calls
     * go on being counted meanwhile. */
    pthread_mutex_lock(&m->mu);
    size_t n = 0;
    struct usage_count *batch = m->used ? malloc(m->used * sizeof *batch) : NULL;
    for (size_t i = 0; batch && i < METER_SLOTS; i++) {
        struct meter_slot *s = &m->slots[i];
        if (s->action < 0)
            continue;
        struct usage_count *u = &batch[n++];
        u->customer_id = s->customer_id;
        u->day = s->day;
        snprintf(u->metric, sizeof u->metric, "%s%s", USAGE_UPSTREAM, meter_actions[s->action]);
        u->n = s->n;
        s->action = -1;
    }
    if (batch)
        m->used = 0;
    pthread_mutex_unlock(&m->mu);
    if (n) {
        enum store_result r = c->store->ops->add_usage(c->store, batch, n);
        if (r != STORE_OK) {
            /* Put them back, to be written at the next flush. */
            log_warn("usage: cannot write %zu upstream call counts: %s; kept for the next flush", n,
                     store_result_str(r));
            pthread_mutex_lock(&m->mu);
            for (size_t i = 0; i < n; i++) {
                int action = action_index(batch[i].metric + strlen(USAGE_UPSTREAM));
                if (meter_add(m, batch[i].customer_id, batch[i].day, action, batch[i].n) != 0) {
                    metrics_upstream("UsageMeter", "dropped");
                    log_error("usage: %lld upstream calls are not counted: the meter is full",
                              (long long)batch[i].n);
                }
            }
            pthread_mutex_unlock(&m->mu);
        }
    }
    free(batch);
    pthread_mutex_unlock(&m->flush_mu);
}

static void *meter_loop(void *arg)
{
    struct core *c = arg;
    struct usage_meter *m = c->meter;
    int64_t period = c->cfg.usage_flush_ms > 0 ? c->cfg.usage_flush_ms : 1000;
    pthread_mutex_lock(&m->wake_mu);
    while (!m->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + (period % 1000) * 1000000;
        until.tv_sec += period / 1000 + ns / 1000000000;
        until.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&m->wake, &m->wake_mu, &until);
        if (m->stopping)
            break;
        pthread_mutex_unlock(&m->wake_mu);
        core_usage_flush(c);
        pthread_mutex_lock(&m->wake_mu);
    }
    pthread_mutex_unlock(&m->wake_mu);
    return NULL;
}

int usage_meter_start(struct core *c)
{
    struct usage_meter *m = c->meter;
    if (!m || m->started)
        return m ? 0 : -1;
    if (pthread_create(&m->thread, NULL, meter_loop, c) != 0)
        return -1;
    m->started = 1;
    return 0;
}

void usage_meter_stop(struct core *c)
{
    struct usage_meter *m = c->meter;
    if (!m)
        return;
    if (m->started) {
        pthread_mutex_lock(&m->wake_mu);
        m->stopping = 1;
        pthread_cond_signal(&m->wake);
        pthread_mutex_unlock(&m->wake_mu);
        pthread_join(m->thread, NULL);
        m->started = 0;
    }
    core_usage_flush(c); /* what is left: a stopping node loses nothing */
    c->meter = NULL;
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->flush_mu);
    pthread_mutex_destroy(&m->wake_mu);
    pthread_cond_destroy(&m->wake);
    free(m->slots);
    free(m);
}
