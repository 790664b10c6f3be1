/* store_events_cases.h — the event log, webhooks and outbox of the store
 * (store/events.c), as cases over any backend: test_store_events.c runs
 * them on SQLite, test_store_pg.c on PostgreSQL. Each case gets a fresh,
 * empty store. */
#ifndef PORTICO_STORE_EVENTS_CASES_H
#define PORTICO_STORE_EVENTS_CASES_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "events_fixture.h"
#include "store/store.h"

static size_t ev_count(struct store *s, int64_t customer)
{
    struct event_list l;
    if (s->ops->list_events(s, customer, 0, 1000, &l) != STORE_OK)
        return (size_t)-1;
    free(l.items);
    return l.n;
}

/* A status change appends its event exactly once, in its transaction:
 * the same status again appends nothing; only a subscribed webhook gets a
 * notification. */
static void case_status_change_appends_event_once(struct store *s)
{
    int64_t a = ev_customer(s, "alice"), b = ev_customer(s, "bob");
    CHECK(ev_asset(s, a, "group-20260101000000-aaaaa", "asset-20260101000000-aaaaa", 1000) == 0);
    struct notify_config cfg = {.customer_id = a, .events = EVENT_BIT(EVENT_ASSET_FAILED)};
    snprintf(cfg.url, sizeof cfg.url, "http://127.0.0.1:9/hook");
    snprintf(cfg.secret, sizeof cfg.secret, "s3cret");
    CHECK(s->ops->put_notify_config(s, &cfg, 1000) == STORE_OK);

    struct event ev = ev_make(a, EVENT_ASSET_ACTIVE, "AssetActive", "evt-20260101000000-aaaaa",
                              "asset-20260101000000-aaaaa", 2000);
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-aaaaa", "Active", "", "", "", 2000, &ev) == STORE_OK);
    CHECK(ev_count(s, a) == 1);
    CHECK(ev_count(s, b) == 0);
    /* the same status again: no second event (and no conflict on the id) */
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-aaaaa", "Active", "", "", "", 2100, &ev) == STORE_OK);
    CHECK(ev_count(s, a) == 1);
    /* the webhook wants AssetFailed only: no notification for AssetActive */
    struct notification_list nl;
    CHECK(s->ops->list_notifications(s, a, 0, 1, 10, &nl) == STORE_OK);
    CHECK(nl.n == 0 && nl.total == 0);
    free(nl.items);
    /* an unknown asset: NOT_FOUND and no event */
    struct event ev2 = ev_make(a, EVENT_ASSET_FAILED, "AssetFailed", "evt-20260101000000-bbbbb", "asset-x", 2200);
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-zzzzz", "Failed", "r", "c", "m", 2200, &ev2) ==
          STORE_NOT_FOUND);
    CHECK(ev_count(s, a) == 1);

    struct event_list l;
    CHECK(s->ops->list_events(s, a, 0, 10, &l) == STORE_OK);
    CHECK(l.n == 1);
    if (l.n == 1) {
        CHECK_STR(l.items[0].id, "evt-20260101000000-aaaaa");
        CHECK_STR(l.items[0].type, "AssetActive");
        CHECK(l.items[0].kind == EVENT_ASSET_ACTIVE);
        CHECK(l.items[0].seq > 0);
        CHECK(strstr(l.items[0].data, "AssetActive") != NULL);
        struct event found;
        CHECK(s->ops->find_event(s, a, l.items[0].id, &found) == STORE_OK);
        CHECK(found.seq == l.items[0].seq);
        CHECK(s->ops->find_event(s, b, l.items[0].id, &found) == STORE_NOT_FOUND);
        int64_t last = 0;
        CHECK(s->ops->last_event_seq(s, &last) == STORE_OK && last == l.items[0].seq);
    }
    free(l.items);
}

/* The outbox: a subscribed event is Pending at once, leased by one taker,
 * finished as Delivered; listing filters by status, newest first. */
static void case_outbox_lease_and_finish(struct store *s)
{
    int64_t a = ev_customer(s, "alice"), b = ev_customer(s, "bob");
    struct notify_config cfg = {.customer_id = a, .events = EVENT_ALL};
    snprintf(cfg.url, sizeof cfg.url, "http://127.0.0.1:9/hook");
    snprintf(cfg.secret, sizeof cfg.secret, "s3cret");
    CHECK(s->ops->put_notify_config(s, &cfg, 1000) == STORE_OK);
    struct notify_config got;
    CHECK(s->ops->get_notify_config(s, a, &got) == STORE_OK);
    CHECK_STR(got.url, "http://127.0.0.1:9/hook");
    CHECK(got.events == EVENT_ALL);
    CHECK(s->ops->get_notify_config(s, b, &got) == STORE_NOT_FOUND);

    for (int i = 0; i < 3; i++) {
        char id[IDS_MAX];
        snprintf(id, sizeof id, "evt-20260101000000-0000%d", i);
        struct event ev = ev_make(a, EVENT_VIDEO_SUCCEEDED, "VideoSucceeded", id, "task", 1000 + i);
        CHECK(s->ops->append_event(s, &ev) == STORE_OK);
        CHECK(s->ops->append_event(s, &ev) == STORE_CONFLICT); /* ids are unique */
    }
    struct event evb = ev_make(b, EVENT_VIDEO_FAILED, "VideoFailed", "evt-20260101000000-bbbbb", "task", 1000);
    CHECK(s->ops->append_event(s, &evb) == STORE_OK); /* bob has no webhook: no notification */

    struct notification_job_list jobs;
    CHECK(s->ops->lease_due_notifications(s, 5000, 10000, 10, &jobs) == STORE_OK);
    CHECK(jobs.n == 3);
    if (jobs.n == 3) {
        CHECK_STR(jobs.items[0].n.event_id, "evt-20260101000000-00000");
        CHECK_STR(jobs.items[0].url, "http://127.0.0.1:9/hook");
        CHECK_STR(jobs.items[0].secret, "s3cret");
        CHECK(strstr(jobs.items[0].body, "evt-20260101000000-00000") != NULL);
        CHECK(jobs.items[0].n.customer_id == a);
    }
    free(jobs.items);
    /* leased: another taker finds nothing until the lease lapses */
    CHECK(s->ops->lease_due_notifications(s, 5000, 10000, 10, &jobs) == STORE_OK);
    CHECK(jobs.n == 0);
    free(jobs.items);
    CHECK(s->ops->finish_notification(s, "evt-20260101000000-00000", NOTIFY_DELIVERED, 1, 204, 0) == STORE_OK);
    CHECK(s->ops->finish_notification(s, "evt-20260101000000-00000", NOTIFY_FAILED, 2, 500, 0) == STORE_NOT_FOUND);
    CHECK(s->ops->finish_notification(s, "evt-20260101000000-00001", NOTIFY_PENDING, 1, 503, 20000) == STORE_OK);
    /* the lease lapsed at 15000: the one not finished is due again; the
     * rescheduled one is due at 20000 */
    CHECK(s->ops->lease_due_notifications(s, 16000, 10000, 10, &jobs) == STORE_OK);
    CHECK(jobs.n == 1);
    if (jobs.n == 1)
        CHECK_STR(jobs.items[0].n.event_id, "evt-20260101000000-00002");
    free(jobs.items);

    struct notification_list nl;
    CHECK(s->ops->list_notifications(s, a, NOTIFY_STATUS_BIT(NOTIFY_DELIVERED), 1, 10, &nl) == STORE_OK);
    CHECK(nl.n == 1 && nl.total == 1);
    if (nl.n == 1) {
        CHECK(nl.items[0].last_status_code == 204 && nl.items[0].attempts == 1);
        CHECK_STR(nl.items[0].type, "VideoSucceeded");
    }
    free(nl.items);
    CHECK(s->ops->list_notifications(s, a, 0, 1, 2, &nl) == STORE_OK);
    CHECK(nl.n == 2 && nl.total == 3);
    if (nl.n == 2)
        CHECK_STR(nl.items[0].event_id, "evt-20260101000000-00002"); /* newest first */
    free(nl.items);
    CHECK(s->ops->list_notifications(s, b, 0, 1, 10, &nl) == STORE_OK);
    CHECK(nl.n == 0);
    free(nl.items);

    /* a deleted webhook: the job is still leased, with no url */
    CHECK(s->ops->delete_notify_config(s, a) == STORE_OK);
    CHECK(s->ops->delete_notify_config(s, a) == STORE_NOT_FOUND);
    CHECK(s->ops->lease_due_notifications(s, 30000, 10000, 10, &jobs) == STORE_OK);
    CHECK(jobs.n == 2);
    if (jobs.n >= 1)
        CHECK_STR(jobs.items[0].url, "");
    free(jobs.items);

    /* global reading order and pruning */
    struct event_list l;
    CHECK(s->ops->list_events(s, 0, 0, 100, &l) == STORE_OK);
    CHECK(l.n == 4);
    for (size_t i = 1; i < l.n; i++)
        CHECK(l.items[i].seq > l.items[i - 1].seq);
    int64_t second = l.n >= 2 ? l.items[1].seq : 0;
    free(l.items);
    CHECK(s->ops->list_events(s, 0, second, 100, &l) == STORE_OK);
    CHECK(l.n == 2);
    free(l.items);
    int pruned = 0;
    CHECK(s->ops->prune_events(s, 1001, &pruned) == STORE_OK);
    CHECK(pruned == 2); /* alice's first and bob's */
    CHECK(ev_count(s, a) == 2);
    CHECK(s->ops->list_notifications(s, a, 0, 1, 10, &nl) == STORE_OK);
    CHECK(nl.total == 2);
    free(nl.items);
}

/* Liveness and video changes append their events in their transactions. */
static void case_sessions_and_videos_append_events(struct store *s)
{
    int64_t a = ev_customer(s, "alice");
    struct validate_session v;
    memset(&v, 0, sizeof v);
    snprintf(v.token, sizeof v.token, "tok-1");
    v.customer_id = a;
    v.expire_ms = 100000;
    CHECK(s->ops->create_session(s, &v, 1000) == STORE_OK);
    snprintf(v.token, sizeof v.token, "tok-2");
    CHECK(s->ops->create_session(s, &v, 1000) == STORE_OK);
    char gid[IDS_MAX];
    struct event ev = ev_make(a, EVENT_LIVENESS_PASSED, "LivenessPassed", "evt-20260101000000-11111", "tok-1", 2000);
    CHECK(s->ops->record_session_group(s, a, "tok-1", "group-20260101000000-lllll", "LivenessFace x", 50, 2000,
                                       gid, &ev) == STORE_OK);
    CHECK(ev_count(s, a) == 1);
    /* recorded already: nothing new, the same id is not appended again */
    CHECK(s->ops->record_session_group(s, a, "tok-1", "group-20260101000000-lllll", "LivenessFace x", 50, 2100,
                                       gid, &ev) == STORE_OK);
    CHECK(ev_count(s, a) == 1);
    struct event ev2 = ev_make(a, EVENT_LIVENESS_FAILED, "LivenessFailed", "evt-20260101000000-22222", "tok-2", 2000);
    CHECK(s->ops->close_session(s, "tok-2", STORE_SESSION_FAILED, "", 2000, &ev2) == STORE_OK);
    CHECK(ev_count(s, a) == 2);
    CHECK(s->ops->close_session(s, "tok-2", STORE_SESSION_FAILED, "", 2000, &ev2) == STORE_NOT_FOUND);
    CHECK(ev_count(s, a) == 2);

    struct video_task t;
    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "vid-1");
    t.customer_id = a;
    snprintf(t.upstream_id, sizeof t.upstream_id, "cgt-1");
    snprintf(t.model, sizeof t.model, "seedance-2.0");
    snprintf(t.status, sizeof t.status, "queued");
    t.create_ms = t.update_ms = t.next_poll_ms = 1000;
    CHECK(s->ops->insert_video_task(s, &t, "{}") == STORE_OK);
    snprintf(t.status, sizeof t.status, "succeeded");
    struct event ev3 = ev_make(a, EVENT_VIDEO_SUCCEEDED, "VideoSucceeded", "evt-20260101000000-33333", "vid-1", 3000);
    CHECK(s->ops->update_video_task(s, &t, 3000, 4000, 1, &ev3) == STORE_OK);
    CHECK(ev_count(s, a) == 3);
    CHECK(s->ops->update_video_task(s, &t, 3100, 4000, 2, &ev3) == STORE_OK); /* unchanged status */
    CHECK(ev_count(s, a) == 3);
}

#endif
