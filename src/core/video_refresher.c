/* video_refresher.c — keeps queued and running video tasks fresh.
 *
 * Customers poll GET /v1/videos/generations/{id} as often as they like and
 * are answered from Portico's records; this poller is what asks the
 * upstream. A user of the lease-and-poll engine (poller.h): each round
 * leases the due tasks (queued/running, next poll passed), spends a token
 * of the shared get budget (budget.get, shared with the asset refresher)
 * on each, and vr_poll_one asks the upstream and writes back what changed.
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

int64_t video_next_poll(int64_t now_ms, int64_t create_ms)
{
    int64_t age = now_ms - create_ms;
    if (age < 10 * 60 * 1000)
        return now_ms + 700;
    if (age < 30 * 60 * 1000)
        return now_ms + 3000;
    return now_ms + 30 * 1000;
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
        if (ut->duration > 0) /* the video's own length, once the upstream tells it */
            nt->seconds = ut->duration;
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

static void vr_poll_one(struct poller *p, void *ctx, void *item)
{
    struct core *c = ctx;
    const struct video_task *t = item;
    struct up_video_task ut;
    struct up_error err = {0};
    enum up_result r = c->up->ops->get_video_task(c->up, t->upstream_id, &ut, &err);
    core_count_upstream(c, t->customer_id, "GetVideoTask", r);
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
    struct event ev;
    const struct event *evp = strcmp(nt.status, t->status) != 0 ? core_event_video(c, &ev, &nt, now) : NULL;
    enum store_result sr = c->store->ops->update_video_task(c->store, &nt, now, video_next_poll(now, t->create_ms),
                                                            t->polls + 1, evp);
    if (sr == STORE_OK)
        core_event_recorded(c, evp);
    if (sr != STORE_OK)
        log_warn("video task %s: cannot record its state: %s", t->id, store_result_str(sr));
}

static int vr_lease(void *ctx, int64_t now_ms, int64_t lease_ms, size_t limit, void **items, size_t *n)
{
    struct core *c = ctx;
    struct video_task_list l = {0};
    /* Leased, not just read: other nodes sharing the store skip these
     * tasks until update_video_task writes their next poll (or the lease
     * lapses because this node died). */
    enum store_result r = c->store->ops->lease_due_video_tasks(c->store, now_ms, lease_ms, limit, &l);
    return core_leased(r, l.items, l.n, items, n);
}

struct poller *video_refresher_start(struct core *c)
{
    struct poller_config cfg = {
        .name = "video refresher",
        .ctx = c,
        .workers = VR_WORKERS,
        .batch = VR_BATCH,
        .lease_ms = VR_LEASE_MS,
        .idle_ms = VR_IDLE_MS,
        .item_size = sizeof(struct video_task),
        .budget = &c->budget.get,
        .lease = vr_lease,
        .poll_one = vr_poll_one,
    };
    return poller_start(&cfg);
}
