/* fleet.c — this node among the nodes sharing the store.
 *
 * A node has a name (host, process, a random tail) and joins the fleet
 * before it serves: from then on the store marks every reservation it
 * makes with that name. With a store other nodes share, a thread beats
 * every FLEET_BEAT_MS; a node silent for FLEET_DEAD_MS is dead, and the
 * first living node to notice takes its unfinished creates over (store.h,
 * take_over_dead) and hands them to the reconciler, so that the places
 * they held in quotas and in flight come back within seconds, not at the
 * next sweep of old reservations (reconcile_after_ms). A create whose node
 * died that long ago is no longer being sent: what the upstream made of it
 * is there to be found, and it is adopted, as a crash's is at start-up.
 *
 * A node only judges others after beating for FLEET_DEAD_MS itself: after
 * an outage of the store every node's beat is old, and the living must
 * have had the time to beat again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

#define FLEET_BEAT_MS 500
#define FLEET_DEAD_MS 3000 /* six beats missed: never a living node held up by its load */
#define FLEET_SWEEP_MS 1000

struct fleet {
    struct core *c;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int running;
};

static void name_node(char out[static FLEET_NODE_MAX])
{
    char host[40] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "node");
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++) /* a label value in /metrics: plain characters only */
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '.'))
            *p = '-';
    char tail[7];
    ids_random_lower(tail, 6);
    snprintf(out, FLEET_NODE_MAX, "%s-%ld-%s", host, (long)getpid(), tail);
}

static void sweep(struct core *c)
{
    struct store_pending_list l = {0};
    enum store_result r = c->store->ops->take_over_dead(c->store, FLEET_DEAD_MS, &l);
    if (r != STORE_OK) {
        log_warn("fleet: cannot look for the reservations of dead nodes: %s", store_result_str(r));
        return;
    }
    if (l.n)
        log_info("fleet: took over %zu unfinished creates of nodes that stopped beating", l.n);
    for (size_t i = 0; i < l.n; i++)
        reconcile_orphan(c, &l.items[i]);
    free(l.items);
}

static void *fleet_main(void *arg)
{
    struct fleet *f = arg;
    struct core *c = f->c;
    int64_t beating_since = 0, next_sweep = 0;
    pthread_mutex_lock(&f->mu);
    while (!f->stop) {
        pthread_mutex_unlock(&f->mu);
        int64_t now = clock_mono_ms();
        enum store_result r = c->store->ops->fleet_heartbeat(c->store, NULL);
        if (r != STORE_OK) {
            if (beating_since)
                log_warn("fleet: heartbeat failed: %s", store_result_str(r));
            beating_since = 0;
        } else if (!beating_since) {
            beating_since = now;
        }
        if (beating_since && now - beating_since >= FLEET_DEAD_MS && now >= next_sweep) {
            next_sweep = now + FLEET_SWEEP_MS;
            sweep(c);
        }
        pthread_mutex_lock(&f->mu);
        if (!f->stop) {
            struct timespec ts = clock_deadline(FLEET_BEAT_MS);
            pthread_cond_timedwait(&f->cv, &f->mu, &ts);
        }
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

int fleet_start(struct core *c)
{
    name_node(c->node);
    struct store *s = c->store;
    struct store_fleet_config cfg = {.node = c->node,
                                     .max_inflight = c->budget.max_inflight_creates,
                                     /* a reservation queues no longer than its create waits */
                                     .slot_wait_ms = c->budget.create_wait_ms + 1000};
    enum store_result r = s->ops->fleet_join(s, &cfg);
    if (r != STORE_OK) {
        log_error("fleet: cannot join the store as %s: %s", c->node, store_result_str(r));
        return -1;
    }
    struct fleet *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->c = c;
    pthread_mutex_init(&f->mu, NULL);
    clock_cond_init(&f->cv);
    c->fleet = f;
    if (s->ops->shared(s)) {
        if (pthread_create(&f->thread, NULL, fleet_main, f) != 0) {
            log_error("fleet: cannot start the heartbeat");
            return -1;
        }
        f->running = 1;
        log_info("fleet: joined as %s; the upstream account's budget is shared through the store", c->node);
    }
    return 0;
}

void fleet_stop(struct core *c)
{
    struct fleet *f = c->fleet;
    if (!f)
        return;
    if (f->running) {
        pthread_mutex_lock(&f->mu);
        f->stop = 1;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
    }
    enum store_result r = c->store->ops->fleet_leave(c->store);
    if (r != STORE_OK)
        log_warn("fleet: cannot leave the store cleanly (%s); the others will see this node stop beating",
                 store_result_str(r));
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
    c->fleet = NULL;
}

enum core_code core_fleet_status(struct core *c, struct fleet_status *out, struct core_node_budget *self)
{
    enum store_result r = c->store->ops->fleet_status(c->store, out);
    struct budget_pool *pools[FLEET_BUCKETS] = {&c->budget.create, &c->budget.mutate, &c->budget.get};
    if (!out->shared) /* the buckets are this process's */
        for (int i = 0; i < FLEET_BUCKETS; i++) {
            out->buckets[i].tokens = budget_pool_level(pools[i]);
            out->buckets[i].rate = pools[i]->rate;
            out->buckets[i].burst = pools[i]->burst;
        }
    out->max_inflight = c->budget.max_inflight_creates;
    if (self) {
        memset(self, 0, sizeof *self);
        snprintf(self->node, sizeof self->node, "%s", c->node);
        for (int i = 0; i < FLEET_BUCKETS; i++) {
            struct budget_pool *p = pools[i];
            pthread_mutex_lock(&p->mu);
            self->leases[i] = p->leases;
            self->leased[i] = p->leased;
            self->lapsed[i] = p->lapsed;
            pthread_mutex_unlock(&p->mu);
            self->tokens[i] = budget_pool_level(p);
        }
        self->waiting_for_places = inflight_waiting(c);
    }
    return r == STORE_OK ? CORE_OK : CORE_SERVICE_UNAVAILABLE;
}
