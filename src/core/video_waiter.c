/* video_waiter.c — generation that waits for its assets (API.md §4,
 * "wait_for_assets" and inline registration).
 *
 * A request whose assets are not all Active yet is recorded as a task
 * waiting_for_assets, with what Portico will submit (the checked request,
 * its asset:// references included, as JSON in the task's submit column)
 * and a deadline (core_config.video_wait_ms, 10 minutes). The waiter, a
 * user of the lease-and-poll engine (poller.h), leases the waiting tasks
 * that are due — on PostgreSQL with FOR UPDATE SKIP LOCKED, so of several
 * nodes exactly one holds a task — and reads its assets' statuses from the
 * store (the asset refresher keeps them fresh; the upstream is not asked):
 *
 *   all Active            submitted upstream (the create budget), then the
 *                         task is queued and the video refresher takes over
 *   one Failed or deleted failed, error.code asset_failed, naming it
 *   deadline passed       failed, error.code asset_timeout
 *   otherwise             looked at again WAIT_POLL_MS later
 *
 * The task row is the queue, so a wait survives a restart and moves to
 * another node when its node dies (the lease lapses). Every status change
 * goes through the store's video task operations (update_video_task,
 * submit_video_task). Invariant: a task is submitted only while its lease
 * is held, and submit_video_task records it only if it is still waiting. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

#define VW_BATCH 64
#define VW_WORKERS 2
#define VW_IDLE_MS 200 /* each idle round is a lease (a write transaction on SQLite) */
#define VW_LEASE_MS 10000     /* a submit (budget wait and upstream call) ends well within it */
#define WAIT_POLL_MS 200      /* with the idle sleep, an Active asset is seen within 0.4 s; a kick at once */
#define WAIT_RETRY_MS 1000    /* after an upstream or store failure */
#define ASSET_SCHEME "asset://"

/* ---- the submit column: the checked request as JSON ---- */

static char *submit_json(const struct core_video_request *r)
{
    json_t *items = json_array();
    json_t *o = json_pack("{s:s, s:s}", "model", r->model, "prompt", r->prompt);
    if (!o || !items)
        goto fail;
    if (r->ratio)
        json_object_set_new(o, "ratio", json_string(r->ratio));
    if (r->resolution)
        json_object_set_new(o, "resolution", json_string(r->resolution));
    if (r->has_duration)
        json_object_set_new(o, "duration", json_integer(r->duration));
    for (size_t i = 0; i < r->n_items; i++) {
        json_t *it = json_pack("{s:s, s:s}", "type", r->items[i].type, "url", r->items[i].url);
        if (!it)
            goto fail;
        if (r->items[i].role)
            json_object_set_new(it, "role", json_string(r->items[i].role));
        json_array_append_new(items, it);
    }
    json_object_set_new(o, "items", items);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
fail:
    json_decref(items);
    json_decref(o);
    return NULL;
}

/* The stored request back into r (strings owned by *root, items by the
 * caller); -1 when it is not what submit_json wrote. */
static int submit_parse(const char *text, json_t **root, struct core_video_request *r, struct core_video_item *items)
{
    memset(r, 0, sizeof *r);
    *root = json_loads(text, 0, NULL);
    json_t *o = *root, *its = json_object_get(o, "items");
    if (!json_is_object(o) || !json_is_array(its) || json_array_size(its) > CORE_VIDEO_ITEMS_MAX)
        return -1;
    r->model = json_string_value(json_object_get(o, "model"));
    r->prompt = json_string_value(json_object_get(o, "prompt"));
    r->ratio = json_string_value(json_object_get(o, "ratio"));
    r->resolution = json_string_value(json_object_get(o, "resolution"));
    json_t *d = json_object_get(o, "duration");
    r->has_duration = json_is_integer(d);
    r->duration = r->has_duration ? (int)json_integer_value(d) : 0;
    for (size_t i = 0; i < json_array_size(its); i++) {
        json_t *it = json_array_get(its, i);
        items[i] = (struct core_video_item){json_string_value(json_object_get(it, "type")),
                                            json_string_value(json_object_get(it, "url")),
                                            json_string_value(json_object_get(it, "role")), 0, NULL, NULL};
        if (!items[i].type || !items[i].url)
            return -1;
    }
    r->items = items;
    r->n_items = json_array_size(its);
    return r->model && r->prompt ? 0 : -1;
}

/* ---- the create's side ---- */

enum core_code video_wait(struct core *c, const struct customer *cu, const struct core_video_request *req,
                          struct video_task *out, struct core_status *st)
{
    char *submit = submit_json(req);
    if (!submit)
        return core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the X-Request-Id.");
    int64_t now = clock_wall_ms();
    memset(out, 0, sizeof *out);
    out->customer_id = cu->id;
    snprintf(out->model, sizeof out->model, "%s", req->model);
    snprintf(out->status, sizeof out->status, "waiting_for_assets");
    out->create_ms = out->update_ms = now;
    out->next_poll_ms = now + WAIT_POLL_MS;
    out->deadline_ms = now + c->cfg.video_wait_ms;
    enum store_result r = STORE_CONFLICT;
    for (int attempt = 0; r == STORE_CONFLICT && attempt < 3; attempt++) {
        ids_resource("vid", now, out->id);
        r = c->store->ops->insert_waiting_video_task(c->store, out, req->record_json, submit);
    }
    free(submit);
    if (r != STORE_OK)
        return core_store_failure(r, st);
    poller_kick(c->video_waiter);
    return CORE_OK;
}

void core_video_waiters_kick(struct core *c)
{
    if (!c || !c->video_waiter)
        return;
    atomic_store(&c->video_waiter_kicked, 1);
    poller_kick(c->video_waiter);
}

/* ---- the waiter ---- */

/* Ends the task as failed with code and message. */
static void vw_fail(struct core *c, const struct video_task *t, const char *code, const char *message, int64_t now)
{
    struct video_task nt = *t;
    snprintf(nt.status, sizeof nt.status, "failed");
    snprintf(nt.error_code, sizeof nt.error_code, "%s", code);
    snprintf(nt.error_message, sizeof nt.error_message, "%s", message);
    struct event ev;
    const struct event *evp = core_event_video(c, &ev, &nt, now); /* VideoFailed, in the same transaction */
    enum store_result r = c->store->ops->update_video_task(c->store, &nt, now, now, t->polls + 1, evp);
    if (r == STORE_OK)
        core_event_recorded(c, evp);
    else
        log_warn("video task %s: cannot record that it failed (%s): %s", t->id, code, store_result_str(r));
}

/* Ends the lease: looked at again at next_ms. */
static void vw_later(struct core *c, const struct video_task *t, int64_t now, int64_t next_ms)
{
    enum store_result r = c->store->ops->update_video_task(c->store, t, now, next_ms, t->polls + 1, NULL);
    if (r != STORE_OK)
        log_warn("video task %s: cannot schedule its next look: %s", t->id, store_result_str(r));
}

enum wait_verdict { WAIT_READY, WAIT_PENDING, WAIT_FAILED, WAIT_RETRY };

/* What the task's assets say, from the store. */
static enum wait_verdict vw_assets(struct core *c, const struct video_task *t, const struct core_video_request *r,
                                   char *msg, size_t cap, char *pending_id)
{
    enum wait_verdict v = WAIT_READY;
    for (size_t i = 0; i < r->n_items; i++) {
        const char *url = r->items[i].url;
        if (strncmp(url, ASSET_SCHEME, strlen(ASSET_SCHEME)) != 0)
            continue;
        const char *id = url + strlen(ASSET_SCHEME);
        struct asset a;
        enum store_result sr = strlen(id) < IDS_MAX ? c->store->ops->get_asset(c->store, t->customer_id, id, &a)
                                                    : STORE_NOT_FOUND;
        if (sr == STORE_NOT_FOUND) {
            snprintf(msg, cap, "The asset %.*s was deleted while the task waited for it; create the task again "
                               "with another asset.", IDS_MAX, id);
            return WAIT_FAILED;
        }
        if (sr != STORE_OK)
            return WAIT_RETRY;
        if (strcmp(a.status, "Failed") == 0) {
            snprintf(msg, cap, "The asset %s failed (%.100s); register the media again and create a new task.", a.id,
                     a.failure_reason[0] ? a.failure_reason : a.error_code[0] ? a.error_code : "no reason given");
            return WAIT_FAILED;
        }
        if (strcmp(a.status, "Active") != 0 && v == WAIT_READY) {
            v = WAIT_PENDING;
            snprintf(pending_id, IDS_MAX, "%s", a.id);
        }
    }
    return v;
}

static void vw_poll_one(struct poller *p, void *ctx, void *item)
{
    struct core *c = ctx;
    const struct video_task *t = item;
    int64_t now = clock_wall_ms();
    char *text = NULL;
    json_t *root = NULL;
    struct core_video_item items[CORE_VIDEO_ITEMS_MAX];
    struct core_video_request r;
    enum store_result sr = c->store->ops->get_video_submit(c->store, t->id, &text);
    if (sr != STORE_OK) {
        log_warn("video task %s: cannot read its request: %s", t->id, store_result_str(sr));
        vw_later(c, t, now, now + WAIT_RETRY_MS);
        return;
    }
    if (submit_parse(text, &root, &r, items) != 0) {
        log_error("video task %s: its stored request is unreadable", t->id);
        vw_fail(c, t, "internal_error", "The task's request could not be read back; create it again.", now);
        goto done;
    }
    char msg[STORE_REASON_MAX], pending[IDS_MAX] = "";
    switch (vw_assets(c, t, &r, msg, sizeof msg, pending)) {
    case WAIT_FAILED:
        vw_fail(c, t, "asset_failed", msg, now);
        goto done;
    case WAIT_RETRY:
        vw_later(c, t, now, now + WAIT_RETRY_MS);
        goto done;
    case WAIT_PENDING:
        if (now >= t->deadline_ms) {
            snprintf(msg, sizeof msg, "The asset %s was not Active within %lld s; the task was not started. Check "
                                      "the asset and create the task again.",
                     pending, (long long)((t->deadline_ms - t->create_ms) / 1000));
            vw_fail(c, t, "asset_timeout", msg, now);
        } else {
            vw_later(c, t, now, now + WAIT_POLL_MS);
        }
        goto done;
    case WAIT_READY:
        break;
    }

    struct core_status st = {0};
    char upstream_id[IDS_MAX];
    if (video_submit(c, t->customer_id, &r, upstream_id, &st) != CORE_OK) {
        int transient = st.code == CORE_UPSTREAM_ERROR || st.code == CORE_TOO_MANY_REQUESTS ||
                        st.code == CORE_SERVICE_UNAVAILABLE;
        if (transient && now < t->deadline_ms) {
            log_warn("video task %s: submit failed, retrying: %s", t->id, st.message);
            vw_later(c, t, now, now + WAIT_RETRY_MS);
        } else {
            vw_fail(c, t, st.upstream_code[0] ? st.upstream_code : transient ? "upstream_error" : "invalid_request",
                    st.message, now);
        }
        goto done;
    }
    now = clock_wall_ms();
    sr = c->store->ops->submit_video_task(c->store, t->id, upstream_id, now, video_next_poll(now, t->create_ms));
    if (sr == STORE_OK) {
        log_info("video task %s: its assets are Active; submitted upstream", t->id);
        poller_kick(c->video_refresher);
    } else {
        /* NOT_FOUND: no longer waiting (this node's lease lapsed and
         * another node recorded its own submission). */
        log_error("video task %s: submitted upstream as %s but not recorded: %s", t->id, upstream_id,
                  store_result_str(sr));
    }
done:
    json_decref(root);
    free(text);
}

static int vw_lease(void *ctx, int64_t now_ms, int64_t lease_ms, size_t limit, void **items, size_t *n)
{
    struct core *c = ctx;
    struct video_task_list l = {0};
    /* Kicked: an asset changed, so look at every waiting task now, also
     * those due within WAIT_POLL_MS (a leased one is due much later). */
    int64_t horizon = atomic_exchange(&c->video_waiter_kicked, 0) ? now_ms + WAIT_POLL_MS : now_ms;
    enum store_result r = c->store->ops->lease_waiting_video_tasks(c->store, horizon, lease_ms, limit, &l);
    return core_leased(r, l.items, l.n, items, n);
}

struct poller *video_waiter_start(struct core *c)
{
    struct poller_config cfg = {
        .name = "video waiter",
        .ctx = c,
        .workers = VW_WORKERS,
        .batch = VW_BATCH,
        .lease_ms = VW_LEASE_MS,
        .idle_ms = VW_IDLE_MS,
        .item_size = sizeof(struct video_task),
        .lease = vw_lease,
        .poll_one = vw_poll_one,
    };
    return poller_start(&cfg);
}
