/* video_refresher.c — keeps queued and running video tasks fresh.
 *
 * Customers poll GET /v1/videos/generations/{id} as often as they like and
 * are answered from Portico's records; this poller is what asks the
 * upstream. One loop thread reads the due tasks (queued/running, next poll
 * passed) from the store and hands them to a few workers, each spending a
 * token of the shared get budget (budget.get, shared with the asset
 * refresher) before asking the upstream, then writing back what changed.
 * A batch finishes before the next is read, so a task is never polled
 * twice at once.
 *
 * Young tasks are polled about every 700 ms, so a status change reaches
 * clients within a second of the upstream's; older ones less often (a
 * Seedance generation takes minutes, and a stuck one must not eat the
 * budget). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"

#define VR_BATCH 64
#define VR_WORKERS 4
#define VR_IDLE_MS 100
#define VR_LEASE_MS 10000 /* a batch's polls, budget waits included, end well within it */

struct video_refresher {
    struct core *c;
    pthread_t thread;
    pthread_t workers[VR_WORKERS];
    int n_workers;
    pthread_mutex_t mu;
    pthread_cond_t wake_cv; /* the loop: new work or stop */
    pthread_cond_t work_cv; /* workers: a batch is ready or stop */
    pthread_cond_t done_cv; /* the loop: a worker finished an item */
    int stop, woken;
    struct video_task_list batch;
    size_t next;        /* next item of batch to take */
    size_t outstanding; /* items taken or not yet taken, not finished */
};

int64_t video_next_poll(int64_t now_ms, int64_t create_ms)
{
    int64_t age = now_ms - create_ms;
    if (age < 10 * 60 * 1000)
        return now_ms + 700;
    if (age < 30 * 60 * 1000)
        return now_ms + 3000;
    return now_ms + 30 * 1000;
}

static int vr_stopping(struct video_refresher *vr)
{
    pthread_mutex_lock(&vr->mu);
    int s = vr->stop;
    pthread_mutex_unlock(&vr->mu);
    return s;
}

/* What the upstream's status means to a customer (API.md §4: queued,
 * running, succeeded, failed). UPSTREAM.md "Video tasks", Status row: the
 * upstream also ends tasks expired (not picked up in time) and cancelled
 * (DELETE on a queued task); both are failed here, with the upstream's
 * word verbatim as error.code. Any other status is one the record does
 * not know: the task keeps its state and is polled again. */
static void vr_apply(const struct video_task *t, const struct up_video_task *ut, struct video_task *nt)
{
    static const char *const same[] = {"queued", "running", "succeeded", "failed"};
    const char *known = NULL;
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (strcmp(ut->status, same[i]) == 0)
            known = same[i];
    if (known) {
        snprintf(nt->status, sizeof nt->status, "%s", known);
        snprintf(nt->video_url, sizeof nt->video_url, "%s", ut->video_url);
        snprintf(nt->error_code, sizeof nt->error_code, "%s", ut->error_code);
        snprintf(nt->error_message, sizeof nt->error_message, "%s", ut->error_message);
        nt->completion_tokens = ut->completion_tokens;
        nt->total_tokens = ut->total_tokens;
    } else if (strcmp(ut->status, "expired") == 0 || strcmp(ut->status, "cancelled") == 0) {
        int expired = ut->status[0] == 'e';
        snprintf(nt->status, sizeof nt->status, "failed");
        snprintf(nt->video_url, sizeof nt->video_url, "%s", "");
        snprintf(nt->error_code, sizeof nt->error_code, "%s", expired ? "expired" : "cancelled");
        snprintf(nt->error_message, sizeof nt->error_message, "%s",
                 ut->error_message[0] ? ut->error_message
                 : expired ? "The upstream expired the task before it was generated; create it again."
                           : "The task was cancelled upstream before it started; create it again.");
    } else {
        log_warn("video task %s: the upstream reports status \"%s\", which Portico does not know; keeping %s",
                 t->id, ut->status, t->status);
    }
}

static void vr_poll_one(struct video_refresher *vr, const struct video_task *t)
{
    struct core *c = vr->c;
    /* The shared get budget, checking for stop now and then. */
    while (bucket_take(&c->budget.get, 200, NULL) != 0)
        if (vr_stopping(vr))
            return;
    struct up_video_task ut;
    struct up_error err = {0};
    enum up_result r = c->up->ops->get_video_task(c->up, t->upstream_id, &ut, &err);
    core_count_upstream("GetVideoTask", r);
    int64_t now = clock_wall_ms();
    struct video_task nt = *t;
    if (r == UP_OK) {
        vr_apply(t, &ut, &nt);
    } else if (r == UP_NOT_FOUND) {
        snprintf(nt.status, sizeof nt.status, "failed");
        snprintf(nt.error_code, sizeof nt.error_code, "upstream_error");
        snprintf(nt.error_message, sizeof nt.error_message, "The upstream no longer knows this task.");
    } else {
        log_warn("video task %s: upstream poll failed: %s (%s)", t->id, up_result_str(r), err.code);
    }
    enum store_result sr = c->store->ops->update_video_task(c->store, &nt, now, video_next_poll(now, t->create_ms),
                                                            t->polls + 1);
    if (sr != STORE_OK)
        log_warn("video task %s: cannot record its state: %s", t->id, store_result_str(sr));
}

static void *vr_worker(void *arg)
{
    struct video_refresher *vr = arg;
    pthread_mutex_lock(&vr->mu);
    for (;;) {
        while (!vr->stop && vr->next >= vr->batch.n)
            pthread_cond_wait(&vr->work_cv, &vr->mu);
        if (vr->next >= vr->batch.n) /* stopping, nothing left to take */
            break;
        struct video_task *t = &vr->batch.items[vr->next++];
        int stop = vr->stop;
        pthread_mutex_unlock(&vr->mu);
        if (!stop)
            vr_poll_one(vr, t);
        pthread_mutex_lock(&vr->mu);
        vr->outstanding--;
        pthread_cond_signal(&vr->done_cv);
    }
    pthread_mutex_unlock(&vr->mu);
    return NULL;
}

static void *vr_loop(void *arg)
{
    struct video_refresher *vr = arg;
    struct store *s = vr->c->store;
    for (;;) {
        pthread_mutex_lock(&vr->mu);
        int stop = vr->stop;
        vr->woken = 0;
        pthread_mutex_unlock(&vr->mu);
        if (stop)
            break;

        struct video_task_list l = {0};
        /* Leased, not just read: other nodes sharing the store skip these
         * tasks until update_video_task writes their next poll (or the
         * lease lapses because this node died). */
        enum store_result r = s->ops->lease_due_video_tasks(s, clock_wall_ms(), VR_LEASE_MS, VR_BATCH, &l);
        if (r == STORE_OK && l.n > 0) {
            pthread_mutex_lock(&vr->mu);
            vr->batch = l;
            vr->next = 0;
            vr->outstanding = l.n;
            pthread_cond_broadcast(&vr->work_cv);
            while (vr->outstanding > 0)
                pthread_cond_wait(&vr->done_cv, &vr->mu);
            memset(&vr->batch, 0, sizeof vr->batch);
            vr->next = 0;
            pthread_mutex_unlock(&vr->mu);
        }
        free(l.items);
        if (r == STORE_OK && l.n == VR_BATCH)
            continue; /* more are due right now */

        pthread_mutex_lock(&vr->mu);
        if (!vr->stop && !vr->woken) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += VR_IDLE_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&vr->wake_cv, &vr->mu, &ts);
        }
        pthread_mutex_unlock(&vr->mu);
    }
    return NULL;
}

static void vr_join_workers(struct video_refresher *vr)
{
    pthread_mutex_lock(&vr->mu);
    vr->stop = 1;
    pthread_cond_broadcast(&vr->work_cv);
    pthread_mutex_unlock(&vr->mu);
    for (int i = 0; i < vr->n_workers; i++)
        pthread_join(vr->workers[i], NULL);
}

static void vr_free(struct video_refresher *vr)
{
    pthread_mutex_destroy(&vr->mu);
    pthread_cond_destroy(&vr->wake_cv);
    pthread_cond_destroy(&vr->work_cv);
    pthread_cond_destroy(&vr->done_cv);
    free(vr);
}

struct video_refresher *video_refresher_start(struct core *c)
{
    struct video_refresher *vr = calloc(1, sizeof *vr);
    if (!vr)
        return NULL;
    vr->c = c;
    pthread_mutex_init(&vr->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&vr->wake_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&vr->work_cv, NULL);
    pthread_cond_init(&vr->done_cv, NULL);
    for (int i = 0; i < VR_WORKERS; i++) {
        if (pthread_create(&vr->workers[i], NULL, vr_worker, vr) != 0)
            goto fail;
        vr->n_workers = i + 1;
    }
    if (pthread_create(&vr->thread, NULL, vr_loop, vr) != 0)
        goto fail;
    return vr;
fail:
    log_error("cannot start the video refresher threads");
    vr_join_workers(vr);
    vr_free(vr);
    return NULL;
}

void video_refresher_wake(struct video_refresher *vr)
{
    if (!vr)
        return;
    pthread_mutex_lock(&vr->mu);
    vr->woken = 1;
    pthread_cond_signal(&vr->wake_cv);
    pthread_mutex_unlock(&vr->mu);
}

void video_refresher_stop(struct video_refresher *vr)
{
    if (!vr)
        return;
    /* Workers skip what they have not started once stop is set, so the
     * loop's wait for its batch ends promptly; then the loop sees stop. */
    pthread_mutex_lock(&vr->mu);
    vr->stop = 1;
    pthread_cond_broadcast(&vr->wake_cv);
    pthread_cond_broadcast(&vr->work_cv);
    pthread_mutex_unlock(&vr->mu);
    pthread_join(vr->thread, NULL);
    vr_join_workers(vr);
    vr_free(vr);
}
