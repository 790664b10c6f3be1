/* events.c — the events of API.md §4a, built where the change happens.
 *
 * An event is rendered once, complete ({"Id","Type","CreateTime","Data"}),
 * and handed to the store operation that makes the change, which records it
 * in the same transaction (store.h): webhooks and the event stream then send
 * those bytes as they are. Data is the object a read would return at that
 * moment (render.c), so an event never says something GetAsset would not. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/jsonw.h"
#include "util/log.h"

static const char *const type_names[EVENT_KINDS] = {
    [EVENT_ASSET_ACTIVE] = "AssetActive",         [EVENT_ASSET_FAILED] = "AssetFailed",
    [EVENT_LIVENESS_PASSED] = "LivenessPassed",   [EVENT_LIVENESS_FAILED] = "LivenessFailed",
    [EVENT_VIDEO_SUCCEEDED] = "VideoSucceeded",   [EVENT_VIDEO_FAILED] = "VideoFailed",
};

const char *core_event_type(int kind)
{
    return kind >= 0 && kind < EVENT_KINDS ? type_names[kind] : NULL;
}

int core_event_kind(const char *type)
{
    for (int k = 0; type && k < EVENT_KINDS; k++)
        if (strcmp(type, type_names[k]) == 0)
            return k;
    return -1;
}

/* The envelope around data (compact JSON text) into ev; 0, or -1 when it
 * does not fit (logged: the change is then recorded without its event). */
static int event_wrap(struct event *ev, int kind, int64_t customer_id, const char *subject, const char *data,
                      int64_t now_ms)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->customer_id = customer_id;
    ev->create_ms = now_ms;
    snprintf(ev->type, sizeof ev->type, "%s", type_names[kind]);
    snprintf(ev->subject, sizeof ev->subject, "%s", subject);
    ids_resource("evt", now_ms, ev->id);
    char when[21];
    clock_rfc3339(now_ms, when);
    struct buf b;
    buf_init(&b, sizeof ev->data - 1);
    int rc = buf_puts(&b, "{\"Id\":") | jsonw_string(&b, ev->id) | buf_puts(&b, ",\"Type\":") |
             jsonw_string(&b, ev->type) | buf_puts(&b, ",\"CreateTime\":") | jsonw_string(&b, when) |
             buf_puts(&b, ",\"Data\":") | buf_puts(&b, data) | buf_puts(&b, "}");
    if (rc == 0)
        memcpy(ev->data, b.data, b.len + 1);
    buf_free(&b);
    if (rc != 0)
        log_error("events: a %s event about %s does not fit in %d bytes; it is not recorded", ev->type, subject,
                  EVENT_DATA_MAX);
    return rc ? -1 : 0;
}

void core_event_recorded(struct core *c, const struct event *ev)
{
    if (!ev)
        return;
    /* the consumers' wake-ups go here (outbox worker, event hub) */
    poller_kick(c->outbox); /* webhooks: a delivery may be due now */
    if (ev->kind == EVENT_ASSET_ACTIVE || ev->kind == EVENT_ASSET_FAILED)
        core_video_waiters_kick(c); /* video tasks waiting for this asset */
    event_hub_kick(c->hub);
}

const struct event *core_event_asset(struct core *c, struct event *ev, const struct asset *a, int64_t now_ms)
{
    int kind = strcmp(a->status, "Active") == 0 ? EVENT_ASSET_ACTIVE
               : strcmp(a->status, "Failed") == 0 ? EVENT_ASSET_FAILED
                                                   : -1;
    if (kind < 0)
        return NULL;
    struct asset view = *a;
    view.update_ms = now_ms;
    core_asset_media_url(c, &view); /* as GetAsset shows it */
    struct buf b;
    buf_init(&b, EVENT_DATA_MAX);
    const struct event *out = NULL;
    if (render_asset_text(&view, &b) == 0 && event_wrap(ev, kind, a->customer_id, a->id, b.data, now_ms) == 0)
        out = ev;
    buf_free(&b);
    return out;
}

const struct event *core_event_video(struct core *c, struct event *ev, const struct video_task *t, int64_t now_ms)
{
    int kind = strcmp(t->status, "succeeded") == 0 ? EVENT_VIDEO_SUCCEEDED
               : strcmp(t->status, "failed") == 0  ? EVENT_VIDEO_FAILED
                                                   : -1;
    if (kind < 0)
        return NULL;
    struct video_task view = *t;
    view.update_ms = now_ms;
    struct buf b;
    buf_init(&b, EVENT_DATA_MAX);
    const struct event *out = NULL;
    if (core_video_json(c, &view, &b) == 0 && event_wrap(ev, kind, t->customer_id, t->id, b.data, now_ms) == 0)
        out = ev;
    buf_free(&b);
    return out;
}

const struct event *core_event_liveness(struct event *ev, int64_t customer_id, const char *token,
                                        const char *group_id, const char *reason, int64_t now_ms)
{
    struct buf b;
    buf_init(&b, EVENT_DATA_MAX);
    int rc = buf_puts(&b, "{\"BytedToken\":") | jsonw_string(&b, token);
    if (group_id)
        rc |= buf_puts(&b, ",\"GroupId\":") | jsonw_string(&b, group_id);
    if (reason)
        rc |= buf_puts(&b, ",\"Reason\":") | jsonw_string(&b, reason);
    rc |= buf_puts(&b, "}");
    const struct event *out = NULL;
    if (rc == 0 && event_wrap(ev, group_id ? EVENT_LIVENESS_PASSED : EVENT_LIVENESS_FAILED, customer_id, token,
                              b.data, now_ms) == 0)
        out = ev;
    buf_free(&b);
    return out;
}
