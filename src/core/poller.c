/* poller.c — the lease-and-poll engine; see poller.h.
 *
 * The round is the unit: the loop leases it, queues it item by item (after
 * the item's budget token, when there is a budget) and waits until the
 * workers have finished every item before it leases again. So the queue
 * never holds more than one round, an item is never polled twice at once,
 * and the store's lease only has to outlast one round. */
#include "core/poller.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/budget.h"
#include "util/clock.h"
#include "util/log.h"

#define POLLER_TAKE_SLICE_MS 200 /* a budget wait checks for stop this often */

struct poller {
    struct poller_config cfg;
    pthread_t loop;
    pthread_t *workers;
    int n_workers;
    pthread_mutex_t mu;
    pthread_cond_t wake_cv; /* the loop: kicked or stop */
    pthread_cond_t work_cv; /* workers: an item is queued or stop */
    pthread_cond_t done_cv; /* the loop: a worker finished an item */
    int stop;
    int kicked;
    void **order;           /* the round, in hand-out order (cfg.batch) */
    void **queue;           /* handed out so far (cfg.batch) */
    size_t q_head, q_tail;
    size_t outstanding;     /* queued and not finished */
};

int poller_stopping(struct poller *p)
{
    pthread_mutex_lock(&p->mu);
    int s = p->stop;
    pthread_mutex_unlock(&p->mu);
    return s;
}

int poller_take(struct poller *p, struct budget_pool *b)
{
    while (budget_pool_take(b, 0, POLLER_TAKE_SLICE_MS, NULL) != 0)
        if (poller_stopping(p))
            return -1;
    return 0;
}

static void *worker_main(void *arg)
{
    struct poller *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->q_head == p->q_tail)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->q_head == p->q_tail) /* stopping, nothing left to take */
            break;
        void *item = p->queue[p->q_head++];
        int stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (!stop) /* stopping: skipped, its lease lapses */
            p->cfg.poll_one(p, p->cfg.ctx, item);
        pthread_mutex_lock(&p->mu);
        p->outstanding--;
        pthread_cond_signal(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void run_round(struct poller *p, void *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p->order[i] = (char *)items + i * p->cfg.item_size;
    if (p->cfg.order)
        p->cfg.order(p->cfg.ctx, p->order, n);
    pthread_mutex_lock(&p->mu);
    p->q_head = p->q_tail = 0;
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < n; i++) {
        if (p->cfg.budget && poller_take(p, p->cfg.budget) != 0)
            break;
        pthread_mutex_lock(&p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        p->queue[p->q_tail++] = p->order[i];
        p->outstanding++;
        pthread_cond_signal(&p->work_cv);
        pthread_mutex_unlock(&p->mu);
    }
    /* The items live in the leased array: they must be done with before
     * the caller frees it. */
    pthread_mutex_lock(&p->mu);
    while (p->outstanding > 0)
        pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void *loop_main(void *arg)
{
    struct poller *p = arg;
    const struct poller_config *cfg = &p->cfg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int stop = p->stop;
        p->kicked = 0;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;

        void *items = NULL;
        size_t n = 0;
        int r = cfg->lease(cfg->ctx, clock_wall_ms(), cfg->lease_ms, cfg->batch, &items, &n);
        if (r == 0 && n > cfg->batch) { /* a lease that ignored its limit: poll what fits */
            log_error("%s: the store leased %zu items, more than the %zu asked for", cfg->name, n, cfg->batch);
            n = cfg->batch;
        }
        if (r == 0 && n > 0)
            run_round(p, items, n);
        free(items);
        if (cfg->after_round)
            cfg->after_round(p, cfg->ctx);
        if (r == 0 && n == cfg->batch)
            continue; /* more may be due right now */

        /* Nothing (more) due: sleep a little, or until a kick. */
        pthread_mutex_lock(&p->mu);
        if (!p->stop && !p->kicked) {
            struct timespec ts = clock_deadline(cfg->idle_ms);
            pthread_cond_timedwait(&p->wake_cv, &p->mu, &ts);
        }
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static void join_workers(struct poller *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_workers; i++)
        pthread_join(p->workers[i], NULL);
}

static void poller_free(struct poller *p)
{
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake_cv);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
    free(p->workers);
    free(p->order);
    free(p->queue);
    free(p);
}

struct poller *poller_start(const struct poller_config *cfg)
{
    struct poller *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = *cfg;
    if (p->cfg.workers < 1)
        p->cfg.workers = 1;
    if (p->cfg.batch < 1)
        p->cfg.batch = 1;
    pthread_mutex_init(&p->mu, NULL);
    clock_cond_init(&p->wake_cv); /* the idle sleep ends at a clock_deadline */
    clock_cond_init(&p->work_cv);
    clock_cond_init(&p->done_cv);
    p->workers = calloc((size_t)p->cfg.workers, sizeof *p->workers);
    p->order = calloc(p->cfg.batch, sizeof *p->order);
    p->queue = calloc(p->cfg.batch, sizeof *p->queue);
    if (!p->workers || !p->order || !p->queue)
        goto fail;
    for (int i = 0; i < p->cfg.workers; i++) {
        if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0)
            goto fail;
        p->n_workers = i + 1;
    }
    if (pthread_create(&p->loop, NULL, loop_main, p) != 0)
        goto fail;
    return p;
fail:
    log_error("cannot start the %s threads", cfg->name);
    join_workers(p);
    poller_free(p);
    return NULL;
}

void poller_kick(struct poller *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->kicked = 1;
    pthread_cond_signal(&p->wake_cv);
    pthread_mutex_unlock(&p->mu);
}

void poller_stop(struct poller *p)
{
    if (!p)
        return;
    /* Workers skip what they have not started once stop is set, so the
     * loop's wait for its round ends promptly; then the loop sees stop. */
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake_cv);
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->loop, NULL);
    join_workers(p);
    poller_free(p);
}
