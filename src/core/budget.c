/* budget.c — the upstream account's token buckets, as this node spends
 * them (budget.h), and the waits of a create for its budget.
 *
 * Every customer of the gateway shares one Volcengine account, whose
 * limits (UPSTREAM.md "Account limits": about 30 creates/s, 30
 * lists/updates/deletes per s, 100 gets/s) apply to all of them together,
 * on however many nodes. A request that finds the budget spent waits for
 * it up to the create deadline, then gives up with TooManyRequests and a
 * Retry-After. Validation and quota errors are answered before any call
 * comes here.
 *
 * The waiters of a pool form a list. Tokens in hand are handed out in
 * turn (hand_out: the waiter of the customer served longest ago, then the
 * oldest), each to its waiter, which is woken with it: a lease of six
 * tokens wakes six requests at once, not one after the other, which a
 * loaded machine would make slow. The first waiter without a token is the
 * one that asks the fleet for more (or waits for the local bucket), so
 * there is no thundering herd either. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"

struct budget_waiter {
    int64_t customer;
    uint64_t seq;
    int turn; /* waiters of the same customer ahead of this one: 0 counts customers */
    int granted; /* hand_out gave it a token and took it off the list */
    pthread_cond_t cv;
    struct budget_waiter *prev, *next;
};

/* The gateway's burst is a third of a second's budget, smaller than the
 * upstream's one second: requests taken from our bucket at its limit may
 * still reach the upstream bunched together by network jitter, and in a
 * fleet a lease's tokens may be spent up to BUDGET_LEASE_VALID_MS late. */
static double burst_for(double rate)
{
    double b = rate / 3;
    return b < 1 ? 1 : b;
}

void budget_pool_init(struct budget_pool *p, const char *name, double rate, double burst, struct store *fleet)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    p->rate = rate > 0 ? rate : 1;
    p->burst = burst >= 1 ? burst : 1;
    p->fleet = fleet;
    bucket_init(&p->local, p->rate, p->burst);
    pthread_mutex_init(&p->mu, NULL);
    /* A lease holds at most what the bucket refills while it is valid. */
    int max = (int)floor(p->rate * BUDGET_LEASE_VALID_MS / 1000.0);
    p->lease_max = max < 1 ? 1 : max > (int)p->burst ? (int)p->burst : max;
    p->window_ms = clock_mono_ms();
}

void budget_pool_destroy(struct budget_pool *p)
{
    bucket_destroy(&p->local);
    pthread_mutex_destroy(&p->mu);
}

/* When customer was last served (0: not lately). */
static uint64_t served_at(const struct budget_pool *p, int64_t customer)
{
    for (int i = 0; i < BUDGET_RECENT; i++)
        if (p->served[i].tick && p->served[i].customer == customer)
            return p->served[i].tick;
    return 0;
}

static void mark_served(struct budget_pool *p, int64_t customer)
{
    int slot = 0;
    for (int i = 0; i < BUDGET_RECENT; i++) {
        if (p->served[i].tick && p->served[i].customer == customer) {
            slot = i;
            break;
        }
        if (p->served[i].tick < p->served[slot].tick) /* free (0) or served longest ago */
            slot = i;
    }
    p->served[slot] = (struct budget_served){customer, ++p->tick};
}

/* Round robin: the waiter of the customer served longest ago, the oldest
 * of its waiters (the turn 0 one). */
static struct budget_waiter *first_waiter(struct budget_pool *p)
{
    struct budget_waiter *best = NULL;
    uint64_t best_at = 0;
    for (struct budget_waiter *w = p->head; w; w = w->next) {
        if (w->turn != 0)
            continue;
        uint64_t at = served_at(p, w->customer);
        if (!best || at < best_at || (at == best_at && w->seq < best->seq))
            best = w, best_at = at;
    }
    return best;
}

static void wake_first(struct budget_pool *p)
{
    struct budget_waiter *w = first_waiter(p);
    if (w)
        pthread_cond_signal(&w->cv);
}

static void join_queue(struct budget_pool *p, struct budget_waiter *w, int64_t customer)
{
    w->customer = customer;
    w->seq = p->seq++;
    w->turn = 0;
    w->granted = 0;
    for (struct budget_waiter *x = p->head; x; x = x->next)
        w->turn += x->customer == customer;
    clock_cond_init(&w->cv);
    w->next = NULL;
    w->prev = p->tail;
    if (p->tail)
        p->tail->next = w;
    else
        p->head = w;
    p->tail = w;
}

static void unlink_waiter(struct budget_pool *p, struct budget_waiter *w)
{
    for (struct budget_waiter *x = w->next; x; x = x->next)
        x->turn -= x->customer == w->customer;
    if (w->prev)
        w->prev->next = w->next;
    else
        p->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        p->tail = w->prev;
}

static void count_spent(struct budget_pool *p, int64_t customer, int64_t now)
{
    mark_served(p, customer);
    if (now - p->window_ms >= 1000) {
        p->spent_before = now - p->window_ms >= 2000 ? 0 : p->spent_now;
        p->spent_now = 0;
        p->window_ms = now;
    }
    p->spent_now++;
}

/* A token now, if there is one (under mu): 1, else 0 with *wait_ms how
 * long until the next chance. */
static int token_now(struct budget_pool *p, int64_t now, int64_t *wait_ms)
{
    if (!p->fleet) {
        int64_t w = 0;
        if (bucket_try(&p->local, &w) == 0)
            return 1;
        *wait_ms = w;
        return 0;
    }
    if (p->tokens > 0 && now >= p->tokens_until) {
        p->lapsed += p->tokens;
        p->tokens = 0;
    }
    if (p->tokens > 0) {
        p->tokens--;
        return 1;
    }
    *wait_ms = p->leasing ? 50 : p->next_lease_ms > now ? p->next_lease_ms - now : 0;
    return 0;
}

/* Asks the fleet for tokens (under mu, released during the call): as
 * many as wait here, plus what this node spent lately in a lease's time,
 * within lease_max. */
static void lease(struct budget_pool *p, int64_t now)
{
    int waiters = 0, customers = 0;
    for (struct budget_waiter *x = p->head; x; x = x->next) {
        waiters++;
        customers += x->turn == 0;
    }
    int recent = p->spent_now > p->spent_before ? p->spent_now : p->spent_before;
    int want = waiters + (int)ceil(recent * BUDGET_LEASE_VALID_MS / 1000.0);
    if (want > p->lease_max)
        want = p->lease_max;
    if (want < 1)
        want = 1;
    struct store_token_lease l = {.bucket = p->name, .rate = p->rate, .burst = p->burst, .want = want,
                                  .customers = customers > 0 ? customers : 1};
    p->leasing = 1;
    pthread_mutex_unlock(&p->mu);
    enum store_result r = p->fleet->ops->lease_tokens(p->fleet, &l);
    pthread_mutex_lock(&p->mu);
    p->leasing = 0;
    int64_t after = clock_mono_ms();
    if (r != STORE_OK) {
        log_warn("budget: cannot lease %s tokens from the store: %s", p->name, store_result_str(r));
        p->next_lease_ms = after + 100;
    } else {
        int other = l.fleet_rate > 0 && (fabs(l.fleet_rate - p->rate) > 1e-3 || fabs(l.fleet_burst - p->burst) > 1e-3);
        if (other && !p->warned) {
            p->warned = 1;
            log_warn("budget: this node's %s budget is %g/s (burst %g) but another node of the fleet leased it at %g/s "
                     "(burst %g): the settings are the upstream account's limits, give every node the same values, "
                     "never a share of them",
                     p->name, p->rate, p->burst, l.fleet_rate, l.fleet_burst);
        }
        p->leases++;
        p->leased += l.granted;
        if (p->tokens > 0 && now >= p->tokens_until)
            p->lapsed += p->tokens, p->tokens = 0;
        p->tokens += l.granted;
        p->tokens_until = now + BUDGET_LEASE_VALID_MS; /* from the asking: the grant is no older */
        p->next_lease_ms = l.granted < want ? now + l.retry_ms : after;
    }
    wake_first(p);
}

/* Under mu: every token in hand to the waiters in turn, each woken with
 * its own; then the first waiter left is woken to get more. *wait_ms: how
 * long until the next chance when tokens ran out. */
static void hand_out(struct budget_pool *p, int64_t now, int64_t *wait_ms)
{
    struct budget_waiter *w;
    while ((w = first_waiter(p)) != NULL && token_now(p, now, wait_ms)) {
        count_spent(p, w->customer, now);
        unlink_waiter(p, w);
        w->granted = 1;
        pthread_cond_signal(&w->cv);
    }
    wake_first(p);
}

int budget_pool_take(struct budget_pool *p, int64_t customer_id, int64_t timeout_ms, int64_t *retry_ms)
{
    int64_t start = clock_mono_ms(), deadline = start + (timeout_ms > 0 ? timeout_ms : 0), wait = 0;
    pthread_mutex_lock(&p->mu);
    if (!p->head && token_now(p, start, &wait)) { /* nobody waits: no turn to keep */
        count_spent(p, customer_id, start);
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    struct budget_waiter w;
    join_queue(p, &w, customer_id);
    int leased_once = 0, rc = -1;
    for (;;) {
        int64_t now = clock_mono_ms(), until = deadline;
        if (!w.granted)
            hand_out(p, now, &wait);
        if (w.granted) {
            rc = 0;
            break;
        }
        if (first_waiter(p) == &w) { /* the first without a token: it gets more */
            if (p->fleet && !p->leasing && now >= p->next_lease_ms && (now < deadline || !leased_once)) {
                leased_once = 1;
                lease(p, now);
                continue;
            }
            if (now + wait < until)
                until = now + wait;
        }
        if (now >= deadline) {
            if (retry_ms)
                *retry_ms = wait > 0 ? wait : 1000;
            unlink_waiter(p, &w);
            wake_first(p); /* it may have been the one getting more */
            break;
        }
        struct timespec ts = clock_deadline(until - now > 0 ? until - now : 1);
        pthread_cond_timedwait(&w.cv, &p->mu, &ts);
    }
    pthread_mutex_unlock(&p->mu);
    pthread_cond_destroy(&w.cv); /* nobody signals it now: it is off the list */
    return rc;
}

double budget_pool_level(struct budget_pool *p)
{
    if (!p->fleet)
        return bucket_level(&p->local);
    pthread_mutex_lock(&p->mu);
    double t = p->tokens > 0 && clock_mono_ms() < p->tokens_until ? p->tokens : 0;
    pthread_mutex_unlock(&p->mu);
    return t;
}

/* ---- the core's budgets ---- */

void budget_init(struct budget *b, const struct core_config *cfg, struct store *fleet)
{
    budget_pool_init(&b->create, "create", cfg->create_rate, burst_for(cfg->create_rate), fleet);
    budget_pool_init(&b->mutate, "mutate", cfg->mutate_rate, burst_for(cfg->mutate_rate), fleet);
    budget_pool_init(&b->get, "get", cfg->get_rate, burst_for(cfg->get_rate), fleet);
    b->max_inflight_creates = cfg->max_inflight_creates > 0 ? cfg->max_inflight_creates : 1;
    b->create_wait_ms = cfg->create_wait_ms >= 0 ? cfg->create_wait_ms : 0;
    inflight_init(&b->inflight);
}

void budget_destroy(struct budget *b)
{
    budget_pool_destroy(&b->create);
    budget_pool_destroy(&b->mutate);
    budget_pool_destroy(&b->get);
    inflight_destroy(&b->inflight);
}

enum core_code budget_too_many(struct core_status *st, int64_t retry_ms, const char *why)
{
    core_fail(st, CORE_TOO_MANY_REQUESTS, "%s", why);
    st->retry_after_s = (int)((retry_ms + 999) / 1000);
    if (st->retry_after_s < 1)
        st->retry_after_s = 1;
    return CORE_TOO_MANY_REQUESTS;
}

static const char spent[] = "The shared upstream budget is spent; retry after the time in the Retry-After header.";

int64_t budget_deadline(struct budget *b)
{
    return clock_mono_ms() + b->create_wait_ms;
}

enum core_code budget_take(struct budget *b, struct budget_pool *which, int64_t customer_id, int64_t deadline,
                           struct core_status *st)
{
    int64_t retry = 0, left = deadline - clock_mono_ms();
    if (budget_pool_take(which, customer_id, left > 0 ? left : 0, &retry) != 0)
        return budget_too_many(st, retry, spent);
    return CORE_OK;
}

enum core_code budget_wait(struct budget *b, struct budget_pool *which, struct core_status *st)
{
    return budget_take(b, which, 0, budget_deadline(b), st);
}
