/* refresher.c — keeps Processing assets fresh without costing a call per poll.
 *
 * One thread takes the due Processing assets from the store, orders them so
 * that customers take turns (one customer with 50 Processing assets does not
 * starve another's one), spends a GetAsset token of the shared budget on
 * each and hands it to a small pool of workers that ask the upstream and
 * write back what changed. A batch finishes before the next is read, so an
 * asset is never polled twice at once. Young assets are polled often enough
 * that GetAsset reflects a change within about a second; assets that stay
 * Processing long are polled less and less often. */
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

struct refresher {
    struct core *c;
    pthread_t thread;
    pthread_t *workers;
    int n_workers;
    pthread_mutex_t mu;
    pthread_cond_t wake_cv; /* the loop: new work or stop */
    pthread_cond_t work_cv; /* workers: an item is queued or stop */
    pthread_cond_t done_cv; /* the loop: a worker finished an item */
    int stop;
    int woken;
    /* Assets leased per round: about half a second of the GetAsset budget,
     * so that newly due assets (another customer's) are seen soon. */
    size_t batch;
    struct asset *queue[BATCH];
    size_t q_head, q_tail;
    int outstanding;
};

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

static void poll_one(struct core *c, const struct asset *a)
{
    struct up_asset ua;
    struct up_error err = {0};
    enum up_result r = c->up->ops->get_asset(c->up, a->id, &ua, &err);
    core_count_upstream("GetAsset", r);
    int64_t now = clock_wall_ms();
    struct store *s = c->store;
    if (r == UP_OK) {
        int failed = strcmp(ua.status, "Failed") == 0;
        if (strcmp(ua.status, a->status) != 0) {
            char advice[STORE_REASON_MAX] = "";
            if (failed)
                core_failure_advice(ua.error_code, ua.error_message, ua.failure_reason, advice, sizeof advice);
            s->ops->set_asset_status(s, a->id, ua.status, advice, failed ? ua.error_code : "",
                                     failed ? ua.error_message : "", now);
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
        s->ops->set_asset_status(s, a->id, "Failed", advice, err.code[0] ? err.code : "NotFound.asset_id",
                                 err.message, now);
        asset_cache_invalidate(c->asset_cache);
        return;
    }
    s->ops->schedule_poll(s, a->id, refresher_next_poll(now, a->create_ms), a->polls + 1);
}

static void *worker_main(void *arg)
{
    struct refresher *rf = arg;
    pthread_mutex_lock(&rf->mu);
    for (;;) {
        while (!rf->stop && rf->q_head == rf->q_tail)
            pthread_cond_wait(&rf->work_cv, &rf->mu);
        if (rf->q_head == rf->q_tail) /* stopping and nothing left */
            break;
        struct asset *a = rf->queue[rf->q_head++ % BATCH];
        pthread_mutex_unlock(&rf->mu);
        poll_one(rf->c, a);
        pthread_mutex_lock(&rf->mu);
        rf->outstanding--;
        pthread_cond_signal(&rf->done_cv);
    }
    pthread_mutex_unlock(&rf->mu);
    return NULL;
}

/* Round-robin between customers, keeping each customer's due order: the
 * k-th due asset of every customer comes before any customer's (k+1)-th. */
static void fair_order(struct asset_list *l, struct asset **out)
{
    size_t n = l->n;
    int *rank = calloc(n ? n : 1, sizeof *rank);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (l->items[j].customer_id == l->items[i].customer_id)
                rank[i]++;
    size_t k = 0;
    for (int r = 0; k < n; r++)
        for (size_t i = 0; i < n; i++)
            if (rank[i] == r)
                out[k++] = &l->items[i];
    free(rank);
}

static void run_batch(struct refresher *rf, struct asset_list *l)
{
    struct asset *order[BATCH];
    fair_order(l, order);
    struct core *c = rf->c;
    for (size_t i = 0; i < l->n; i++) {
        /* Wait for the shared GetAsset budget, checking for stop now and then. */
        while (bucket_take(&c->budget.get, 200, NULL) != 0) {
            pthread_mutex_lock(&rf->mu);
            int stop = rf->stop;
            pthread_mutex_unlock(&rf->mu);
            if (stop)
                goto drain;
        }
        pthread_mutex_lock(&rf->mu);
        if (rf->stop) {
            pthread_mutex_unlock(&rf->mu);
            goto drain;
        }
        rf->queue[rf->q_tail++ % BATCH] = order[i];
        rf->outstanding++;
        pthread_cond_signal(&rf->work_cv);
        pthread_mutex_unlock(&rf->mu);
    }
drain:
    pthread_mutex_lock(&rf->mu);
    while (rf->outstanding > 0)
        pthread_cond_wait(&rf->done_cv, &rf->mu);
    pthread_mutex_unlock(&rf->mu);
}

static void *loop_main(void *arg)
{
    struct refresher *rf = arg;
    struct store *s = rf->c->store;
    for (;;) {
        pthread_mutex_lock(&rf->mu);
        int stop = rf->stop;
        rf->woken = 0;
        pthread_mutex_unlock(&rf->mu);
        if (stop)
            break;

        struct asset_list l = {0};
        enum store_result r = s->ops->lease_due_assets(s, clock_wall_ms(), LEASE_MS, rf->batch, &l);
        if (r == STORE_OK && l.n > 0)
            run_batch(rf, &l);
        free(l.items);
        if (r == STORE_OK && l.n == rf->batch)
            continue; /* more are due right now */

        /* Nothing (more) due: sleep a little, or until a create wakes us. */
        pthread_mutex_lock(&rf->mu);
        if (!rf->stop && !rf->woken) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&rf->wake_cv, &rf->mu, &ts);
        }
        pthread_mutex_unlock(&rf->mu);
    }
    return NULL;
}

struct refresher *refresher_start(struct core *c)
{
    struct refresher *rf = calloc(1, sizeof *rf);
    if (!rf)
        return NULL;
    rf->c = c;
    rf->n_workers = c->cfg.refresh_workers > 0 ? c->cfg.refresh_workers : 1;
    double half_second = c->cfg.get_rate / 2;
    rf->batch = half_second < 1 ? 1 : half_second > BATCH ? BATCH : (size_t)half_second;
    pthread_mutex_init(&rf->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&rf->wake_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&rf->work_cv, NULL);
    pthread_cond_init(&rf->done_cv, NULL);
    rf->workers = calloc((size_t)rf->n_workers, sizeof *rf->workers);
    if (!rf->workers)
        goto fail;
    for (int i = 0; i < rf->n_workers; i++)
        if (pthread_create(&rf->workers[i], NULL, worker_main, rf) != 0) {
            rf->n_workers = i;
            goto fail;
        }
    if (pthread_create(&rf->thread, NULL, loop_main, rf) != 0)
        goto fail;
    return rf;
fail:
    log_error("cannot start the refresher threads");
    pthread_mutex_lock(&rf->mu);
    rf->stop = 1;
    pthread_cond_broadcast(&rf->work_cv);
    pthread_mutex_unlock(&rf->mu);
    for (int i = 0; i < rf->n_workers; i++)
        pthread_join(rf->workers[i], NULL);
    free(rf->workers);
    free(rf);
    return NULL;
}

void refresher_wake(struct refresher *rf)
{
    if (!rf)
        return;
    pthread_mutex_lock(&rf->mu);
    rf->woken = 1;
    pthread_cond_signal(&rf->wake_cv);
    pthread_mutex_unlock(&rf->mu);
}

void refresher_stop(struct refresher *rf)
{
    pthread_mutex_lock(&rf->mu);
    rf->stop = 1;
    pthread_cond_broadcast(&rf->wake_cv);
    pthread_mutex_unlock(&rf->mu);
    pthread_join(rf->thread, NULL);
    pthread_mutex_lock(&rf->mu);
    pthread_cond_broadcast(&rf->work_cv);
    pthread_mutex_unlock(&rf->mu);
    for (int i = 0; i < rf->n_workers; i++)
        pthread_join(rf->workers[i], NULL);
    pthread_mutex_destroy(&rf->mu);
    pthread_cond_destroy(&rf->wake_cv);
    pthread_cond_destroy(&rf->work_cv);
    pthread_cond_destroy(&rf->done_cv);
    free(rf->workers);
    free(rf);
}
