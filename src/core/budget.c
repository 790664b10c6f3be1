/* budget.c — the shared upstream account's budgets.
 *
 * Every customer of the gateway shares one Volcengine account, whose limits
 * (about 30 creates/s with at most 30 in flight, 30 list/update/delete per s,
 * 100 gets/s) apply to all of them together. Portico spends that budget
 * through these buckets so that the account is never throttled; a create
 * that finds the budget spent waits for it, then gives up with
 * TooManyRequests and a Retry-After. Validation and quota errors are
 * answered before any call comes here. */
#include <errno.h>
#include <time.h>

#include "core/internal.h"
#include "util/clock.h"

/* The gateway's burst is a third of a second's budget, smaller than the
 * upstream's one second: requests taken from our bucket at its limit may
 * still reach the upstream bunched together by network jitter. */
static double burst_for(double rate)
{
    double b = rate / 3;
    return b < 1 ? 1 : b;
}

void budget_init(struct budget *b, const struct core_config *cfg)
{
    bucket_init(&b->create, cfg->create_rate, burst_for(cfg->create_rate));
    bucket_init(&b->mutate, cfg->mutate_rate, burst_for(cfg->mutate_rate));
    bucket_init(&b->get, cfg->get_rate, burst_for(cfg->get_rate));
    pthread_mutex_init(&b->mu, NULL);
    clock_cond_init(&b->cv); /* waits below end at clock_deadline times */
    b->inflight_creates = 0;
    b->max_inflight_creates = cfg->max_inflight_creates > 0 ? cfg->max_inflight_creates : 1;
    b->create_wait_ms = cfg->create_wait_ms >= 0 ? cfg->create_wait_ms : 0;
}

void budget_destroy(struct budget *b)
{
    bucket_destroy(&b->create);
    bucket_destroy(&b->mutate);
    bucket_destroy(&b->get);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
}

static enum core_code too_many(struct core_status *st, int64_t retry_ms)
{
    core_fail(st, CORE_TOO_MANY_REQUESTS,
              "The shared upstream budget is spent; retry after the time in the Retry-After header.");
    st->retry_after_s = (int)((retry_ms + 999) / 1000);
    if (st->retry_after_s < 1)
        st->retry_after_s = 1;
    return CORE_TOO_MANY_REQUESTS;
}

enum core_code budget_wait(struct budget *b, struct bucket *which, struct core_status *st)
{
    int64_t retry = 0;
    if (bucket_take(which, b->create_wait_ms, &retry) != 0)
        return too_many(st, retry);
    return CORE_OK;
}

enum core_code budget_begin_create(struct budget *b, struct core_status *st)
{
    int64_t start = clock_mono_ms();
    int64_t deadline = start + b->create_wait_ms;

    /* An in-flight slot first: holding a token while waiting for a slot
     * would waste the token's second. */
    pthread_mutex_lock(&b->mu);
    while (b->inflight_creates >= b->max_inflight_creates) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0) {
            pthread_mutex_unlock(&b->mu);
            return too_many(st, 1000);
        }
        struct timespec ts = clock_deadline(left);
        pthread_cond_timedwait(&b->cv, &b->mu, &ts);
    }
    b->inflight_creates++;
    pthread_mutex_unlock(&b->mu);

    int64_t retry = 0;
    int64_t left = deadline - clock_mono_ms();
    if (bucket_take(&b->create, left > 0 ? left : 0, &retry) != 0) {
        budget_end_create(b);
        return too_many(st, retry);
    }
    return CORE_OK;
}

void budget_end_create(struct budget *b)
{
    pthread_mutex_lock(&b->mu);
    b->inflight_creates--;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}
