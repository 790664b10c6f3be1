/* events.c — API.md §4a on the wire: WaitAsset and the event stream.
 *
 * WaitAsset answers at once when the asset is not Processing; otherwise it
 * hands the front a parked request (api_park): the front suspends the
 * connection, the core's event hub wakes it (the asset's AssetActive or
 * AssetFailed event, the deadline, draining), and the answer is the asset
 * read again from the store, rendered exactly as GetAsset renders it.
 *
 * GET /v1/portrait/events is a body produced over time (api_source): each
 * of the customer's events as an SSE record "id:", "event:", "data:" (the
 * event's JSON as recorded), and ": keep-alive" comments. The invariant: a
 * record is handed out whole and in order, across as many reads as the
 * front's buffer needs; nothing here blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/buf.h"
#include "util/clock.h"

#define WAIT_DEFAULT_S 20
#define WAIT_MAX_S 30

struct api_park {
    struct api *a;
    const struct api_request *req; /* the front's, alive as long as the request */
    const char *action, *version;  /* static strings (the dispatcher's echo) */
    struct customer cu;
    char asset_id[IDS_MAX];
    int64_t deadline_ms; /* monotonic */
    struct core_waiter *w;
};

/* The Asset object as GetAsset renders it (api/portrait.c get_asset). */
static enum core_code asset_text(struct api *a, struct asset *as, struct buf *out, struct core_status *st)
{
    core_asset_media_url(a->core, as); /* uploads: a freshly signed URL */
    if (render_asset_text(as, out) != 0)
        return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
    return CORE_OK;
}

enum core_code wait_asset(struct api *a, const struct api_request *req, struct api_call *call,
                          struct api_response *resp, struct buf *out, struct core_status *st)
{
    const char *id = NULL;
    int timeout_s = WAIT_DEFAULT_S;
    struct asset as;
    if (param_string(call->body, "Id", &id, st) || param_int(call->body, "TimeoutSeconds", &timeout_s, st))
        return st->code;
    if (timeout_s < 1 || timeout_s > WAIT_MAX_S)
        return core_fail(st, CORE_INVALID_PARAMETER, "TimeoutSeconds must be from 1 to %d.", WAIT_MAX_S);
    /* Ownership exactly as GetAsset: the same read, the same Forbidden. */
    if (core_get_asset(a->core, &call->cu, id, &as, st))
        return st->code;
    if (strcmp(as.status, "Processing") != 0)
        return asset_text(a, &as, out, st);
    struct api_park *p = calloc(1, sizeof *p);
    if (!p)
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "Out of memory; retry shortly.");
    p->a = a;
    p->req = req;
    p->action = call->to.action;
    p->version = call->to.version;
    p->cu = call->cu;
    snprintf(p->asset_id, sizeof p->asset_id, "%s", as.id);
    p->deadline_ms = clock_mono_ms() + (int64_t)timeout_s * 1000;
    resp->park = p;
    return CORE_OK;
}

void api_park_arm(struct api_park *p, void (*wake)(void *), void *arg)
{
    p->w = core_wait_asset(p->a->core, &p->cu, p->asset_id, p->deadline_ms, wake, arg);
}

void api_park_finish(struct api_park *p, struct api_response *resp)
{
    struct api *a = p->a;
    struct api_reply to = {API_SURFACE_ACTION, p->action, p->version};
    struct core_status st = {0};
    struct asset as;
    struct buf b;
    buf_init(&b, 1024 * 1024);
    core_waiter_end(a->core, p->w);
    p->w = NULL;
    /* As it is now: settled, or still Processing at the deadline. */
    if (core_get_asset_fresh(a->core, &p->cu, p->asset_id, &as, &st) || asset_text(a, &as, &b, &st))
        api_fail(a, p->req, &to, &st, resp);
    else
        envelope_ok_text(p->req, p->action, p->version, a->region, b.data, resp);
    buf_free(&b);
    free(p);
}

void api_park_free(struct api_park *p)
{
    if (!p)
        return;
    core_waiter_end(p->a->core, p->w);
    free(p);
}

/* ---- the event stream ---- */

struct api_source {
    struct api *a;
    struct core_sub *sub;
    struct buf rec; /* the record being sent */
    size_t sent;    /* of rec */
};

void events_stream(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    /* EventSource sends the header when it reconnects; the query serves
     * clients that cannot set headers. */
    const char *last = api_header(req, "Last-Event-ID");
    if (!last || !*last)
        last = api_query(req, "last_event_id");
    struct core_status st = {0};
    struct core_sub *sub = NULL;
    if (core_events_subscribe(a->core, &call->cu, last, &sub, &st)) {
        api_fail(a, req, &call->to, &st, resp);
        return;
    }
    struct api_source *s = calloc(1, sizeof *s);
    if (!s) {
        core_sub_close(sub);
        api_fail_code(a, req, &call->to, CORE_SERVICE_UNAVAILABLE, NULL, resp);
        return;
    }
    s->a = a;
    s->sub = sub;
    buf_init(&s->rec, EVENT_DATA_MAX + 256);
    /* The first bytes: the client knows at once that the stream is open. */
    buf_puts(&s->rec, ": stream open\n\n");
    resp->status = 200;
    resp->content_type = "text/event-stream";
    resp->cache_control = "no-cache";
    resp->source = s;
}

void api_source_bind(struct api_source *s, void (*suspend)(void *), void (*resume)(void *), void *arg)
{
    core_sub_bind(s->sub, suspend, resume, arg);
}

/* The next record into s->rec; 1, or API_SOURCE_PARKED / API_SOURCE_END. */
static long next_record(struct api_source *s)
{
    for (;;) {
        struct event *ev = NULL;
        switch (core_sub_next(s->a->core, s->sub, &ev)) {
        case CORE_SUB_EVENT: {
            /* data is compact JSON: one line */
            int rc = buf_printf(&s->rec, "id: %s\nevent: %s\ndata: %s\n\n", ev->id, ev->type, ev->data);
            free(ev);
            if (rc != 0) {
                buf_free(&s->rec);
                buf_init(&s->rec, EVENT_DATA_MAX + 256);
                continue; /* cannot happen: data is bounded */
            }
            return 1;
        }
        case CORE_SUB_HEARTBEAT:
            buf_puts(&s->rec, ": keep-alive\n\n");
            return 1;
        case CORE_SUB_PARKED:
            return API_SOURCE_PARKED;
        case CORE_SUB_END:
            return API_SOURCE_END;
        }
    }
}

long api_source_read(struct api_source *s, char *out, size_t max)
{
    if (s->sent >= s->rec.len) {
        buf_reset(&s->rec);
        s->sent = 0;
        long r = next_record(s);
        if (r != 1)
            return r;
    }
    size_t n = s->rec.len - s->sent;
    if (n > max)
        n = max;
    memcpy(out, s->rec.data + s->sent, n);
    s->sent += n;
    return (long)n;
}

int api_source_timeout_s(const struct api_source *s)
{
    return (int)(core_sub_heartbeat_ms(s->sub) * 3 / 1000) + 5;
}

void api_source_free(struct api_source *s)
{
    if (!s)
        return;
    core_sub_close(s->sub);
    buf_free(&s->rec);
    free(s);
}
