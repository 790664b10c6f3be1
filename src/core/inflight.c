/* inflight.c — the account's creations in flight, and creates waiting for
 * others to settle.
 *
 * UPSTREAM.md "Account limits": at most 30 creation tasks in flight, read
 * (as the simulator reads it) as assets still Processing. The count is the
 * store's, across every node: an asset's reservation takes a place when
 * its turn comes (store.h, reserve_asset and grant_slots) and the row
 * holds it until the asset settles. A create whose reservation got no
 * place waits here: one thread of this node at a time asks the store to
 * grant places to all of this node's waiting reservations
 * (INFLIGHT_POLL_MS apart, or at once when something settled on this node:
 * inflight_kick), and each waiter sees whether its own came.
 *
 * The same kick wakes requests that found a quota full of creates in
 * flight (STORE_QUOTA_PENDING) and wait for them to settle. Settles on
 * other nodes are seen by polling (INFLIGHT_POLL_MS for places,
 * SETTLE_POLL_MS for quotas): a waiter exists only while a group or a
 * customer is at its quota, or the account at its creations in flight,
 * and the store answers these questions from an index of the few rows
 * concerned, which is cheaper and simpler than a listener connection per
 * node (PostgreSQL LISTEN/NOTIFY), whose notifications are lost while it
 * reconnects and which poolers in transaction mode do not carry. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"

#define INFLIGHT_POLL_MS 100   /* a waiting reservation asks again this often */
#define SETTLE_POLL_MS 150     /* a full quota is looked at again this often */
#define INFLIGHT_BATCH 256     /* reservations one grant_slots asks for */

struct slot_waiter {
    int64_t handle;
    int granted;
    struct slot_waiter *next;
};

void inflight_init(struct inflight *f)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    clock_cond_init(&f->cv);
}

void inflight_destroy(struct inflight *f)
{
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
}

void inflight_kick(struct core *c)
{
    struct inflight *f = &c->budget.inflight;
    pthread_mutex_lock(&f->mu);
    f->kicks++;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

uint64_t inflight_kicks(struct core *c)
{
    struct inflight *f = &c->budget.inflight;
    pthread_mutex_lock(&f->mu);
    uint64_t k = f->kicks;
    pthread_mutex_unlock(&f->mu);
    return k;
}

int inflight_wait_settle(struct core *c, uint64_t seen, int64_t deadline)
{
    struct inflight *f = &c->budget.inflight;
    int64_t now = clock_mono_ms();
    if (now >= deadline)
        return -1;
    int64_t until = now + SETTLE_POLL_MS < deadline ? now + SETTLE_POLL_MS : deadline;
    pthread_mutex_lock(&f->mu);
    while (f->kicks == seen && clock_mono_ms() < until) {
        struct timespec ts = clock_deadline(until - clock_mono_ms());
        pthread_cond_timedwait(&f->cv, &f->mu, &ts);
    }
    pthread_mutex_unlock(&f->mu);
    return 0;
}

static void unlink_waiter(struct inflight *f, struct slot_waiter *w)
{
    for (struct slot_waiter **p = &f->waiters; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    f->n_waiters--;
}

/* One grant_slots for this node's waiters (under mu, released during the
 * call). */
static void claim(struct core *c, struct inflight *f)
{
    int64_t handles[INFLIGHT_BATCH];
    int granted[INFLIGHT_BATCH];
    size_t n = 0;
    for (struct slot_waiter *w = f->waiters; w && n < INFLIGHT_BATCH; w = w->next)
        if (!w->granted)
            handles[n++] = w->handle;
    f->claiming = 1;
    f->kicks_claimed = f->kicks;
    pthread_mutex_unlock(&f->mu);
    enum store_result r = c->store->ops->grant_slots(c->store, handles, n, granted);
    pthread_mutex_lock(&f->mu);
    if (r != STORE_OK && !f->failing) /* once per outage, not every poll */
        log_warn("inflight: cannot ask the store for places in flight: %s", store_result_str(r));
    f->failing = r != STORE_OK;
    f->claiming = 0;
    f->next_claim_ms = clock_mono_ms() + INFLIGHT_POLL_MS;
    for (size_t i = 0; r == STORE_OK && i < n; i++)
        for (struct slot_waiter *w = f->waiters; w; w = w->next)
            if (w->handle == handles[i] && granted[i])
                w->granted = 1;
    pthread_cond_broadcast(&f->cv);
}

enum core_code inflight_wait_slot(struct core *c, int64_t handle, int64_t deadline, struct core_status *st)
{
    struct inflight *f = &c->budget.inflight;
    struct slot_waiter w = {.handle = handle};
    pthread_mutex_lock(&f->mu);
    w.next = f->waiters;
    f->waiters = &w;
    f->n_waiters++;
    for (;;) {
        int64_t now = clock_mono_ms();
        if (w.granted)
            break;
        if (now >= deadline) {
            unlink_waiter(f, &w);
            pthread_mutex_unlock(&f->mu);
            return budget_too_many(st, 1000,
                                   "The upstream account has as many creations in flight as it allows; retry after "
                                   "the time in the Retry-After header.");
        }
        if (!f->claiming && (f->kicks != f->kicks_claimed || now >= f->next_claim_ms)) {
            claim(c, f);
            continue;
        }
        int64_t until = f->claiming ? deadline : f->next_claim_ms < deadline ? f->next_claim_ms : deadline;
        struct timespec ts = clock_deadline(until - now > 0 ? until - now : 1);
        pthread_cond_timedwait(&f->cv, &f->mu, &ts);
    }
    unlink_waiter(f, &w);
    pthread_mutex_unlock(&f->mu);
    return CORE_OK;
}

int inflight_waiting(struct core *c)
{
    struct inflight *f = &c->budget.inflight;
    pthread_mutex_lock(&f->mu);
    int n = f->n_waiters;
    pthread_mutex_unlock(&f->mu);
    return n;
}
