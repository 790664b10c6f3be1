/* test_event_hub.c — core/event_hub.c over a real SQLite store whose
 * list_events can hide chosen seqs, as PostgreSQL does while a lower
 * seq's transaction has not committed yet: a late commit is delivered
 * once, nothing twice; streams see only their customer's events; resuming
 * replays exactly what came after; waiters wake on their asset's event, at
 * their deadline, and at once for an asset that settled already. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "events_fixture.h"
#include "core/internal.h"
#include "sqlite_fixture.h"
#include "util/clock.h"

static struct store *real;
static struct store_ops hiding_ops;
static struct store hiding;
static int64_t hidden[8];
static int n_hidden;

/* list_events as PostgreSQL may answer it: seqs in hidden not yet visible. */
static enum store_result hiding_list_events(struct store *s, int64_t customer, int64_t after, size_t limit,
                                            struct event_list *out)
{
    enum store_result r = real->ops->list_events(real, customer, after, limit, out);
    if (r != STORE_OK)
        return r;
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++) {
        int hide = 0;
        for (int j = 0; j < n_hidden; j++)
            hide |= out->items[i].seq == hidden[j];
        if (!hide)
            out->items[k++] = out->items[i];
    }
    out->n = k;
    return STORE_OK;
}

/* The store is embedded in its driver's state: the hub's other calls go to
 * the real one. */
static enum store_result hiding_last_event_seq(struct store *s, int64_t *seq)
{
    return real->ops->last_event_seq(real, seq);
}

static enum store_result hiding_find_event(struct store *s, int64_t customer, const char *id, struct event *out)
{
    return real->ops->find_event(real, customer, id, out);
}

static enum store_result hiding_get_asset(struct store *s, int64_t customer, const char *id, struct asset *out)
{
    return real->ops->get_asset(real, customer, id, out);
}

static enum store_result hiding_schedule_poll(struct store *s, const char *id, int64_t next_ms, int polls)
{
    return real->ops->schedule_poll(real, id, next_ms, polls);
}

/* One process alone: the budget's buckets are the core's own. */
static int hiding_shared(struct store *s)
{
    return 0;
}

static struct core *start(int heartbeat_ms)
{
    real = open_fresh_store();
    memset(&hiding_ops, 0, sizeof hiding_ops); /* any other call crashes the test */
    hiding_ops.list_events = hiding_list_events;
    hiding_ops.last_event_seq = hiding_last_event_seq;
    hiding_ops.find_event = hiding_find_event;
    hiding_ops.get_asset = hiding_get_asset;
    hiding_ops.schedule_poll = hiding_schedule_poll;
    hiding_ops.shared = hiding_shared;
    hiding = (struct store){&hiding_ops, NULL};
    n_hidden = 0;
    struct core_config cfg = {0};
    core_config_defaults(&cfg);
    cfg.sse_heartbeat_ms = heartbeat_ms;
    struct core *c = core_new(&cfg, &hiding, NULL);
    CHECK(c != NULL);
    c->hub = event_hub_start(c); /* the hub alone: no pollers, no upstream */
    CHECK(c->hub != NULL);
    return c;
}

static void stop(struct core *c)
{
    event_hub_stop(c->hub);
    c->hub = NULL;
    core_free(c);
    real->ops->close(real);
}

/* The front's side of a stream: counts suspensions, notes resumptions. */
struct conn {
    atomic_int suspended, resumed;
};

static void on_suspend(void *arg)
{
    atomic_fetch_add(&((struct conn *)arg)->suspended, 1);
}

static void on_resume(void *arg)
{
    atomic_store(&((struct conn *)arg)->resumed, 1);
}

/* The next event's id into out (""), waiting up to ms as the front would:
 * parked until resumed. Returns the kind of step that ended it. */
static enum core_sub_next next_event(struct core *c, struct core_sub *s, struct conn *cn, int ms, char *out)
{
    int64_t deadline = clock_mono_ms() + ms;
    out[0] = '\0';
    for (;;) {
        struct event *ev = NULL;
        enum core_sub_next n = core_sub_next(c, s, &ev);
        if (n == CORE_SUB_EVENT) {
            snprintf(out, IDS_MAX, "%s", ev->id);
            free(ev);
            return n;
        }
        if (n == CORE_SUB_END)
            return n;
        if (n == CORE_SUB_PARKED) {
            while (!atomic_load(&cn->resumed) && clock_mono_ms() < deadline)
                clock_sleep_ms(2);
            if (!atomic_exchange(&cn->resumed, 0))
                return CORE_SUB_PARKED; /* nothing within ms */
        }
    }
}

static void append(struct core *c, int64_t customer, const char *id, const char *subject)
{
    struct event ev = ev_make(customer, EVENT_ASSET_ACTIVE, "AssetActive", id, subject, clock_wall_ms());
    CHECK(real->ops->append_event(real, &ev) == STORE_OK);
    core_event_recorded(c, &ev);
}

static void test_late_commit_delivered_once_and_in_customer(void)
{
    struct core *c = start(600000);
    int64_t a = ev_customer(real, "alice"), b = ev_customer(real, "bob");
    struct customer ca = {.id = a};
    struct core_status st = {0};
    struct core_sub *s;
    struct conn cn = {0};
    CHECK(core_events_subscribe(c, &ca, NULL, &s, &st) == CORE_OK);
    core_sub_bind(s, on_suspend, on_resume, &cn);
    char id[IDS_MAX];
    CHECK(next_event(c, s, &cn, 100, id) == CORE_SUB_PARKED); /* from now: nothing yet */
    hidden[n_hidden++] = 2; /* seq 2 commits late */
    append(c, a, "evt-20260101000000-aaaa1", "asset-1");
    append(c, a, "evt-20260101000000-aaaa2", "asset-2");
    append(c, b, "evt-20260101000000-bbbb1", "asset-b");
    append(c, a, "evt-20260101000000-aaaa3", "asset-3");
    CHECK(next_event(c, s, &cn, 2000, id) == CORE_SUB_EVENT);
    CHECK_STR(id, "evt-20260101000000-aaaa1");
    CHECK(next_event(c, s, &cn, 2000, id) == CORE_SUB_EVENT);
    CHECK_STR(id, "evt-20260101000000-aaaa3"); /* bob's is not alice's; seq 2 not visible yet */
    CHECK(next_event(c, s, &cn, 200, id) == CORE_SUB_PARKED);
    n_hidden = 0; /* it commits: delivered, once */
    CHECK(next_event(c, s, &cn, 2000, id) == CORE_SUB_EVENT);
    CHECK_STR(id, "evt-20260101000000-aaaa2");
    CHECK(next_event(c, s, &cn, 300, id) == CORE_SUB_PARKED);
    CHECK(atomic_load(&cn.suspended) >= 3);
    core_sub_close(s);
    stop(c);
}

/* A seq committed a little late (within the hold): the stream still gets
 * the events in seq order, so that a Last-Event-ID means "all before it". */
static void test_short_late_commit_keeps_the_order(void)
{
    struct core *c = start(600000);
    struct customer ca = {.id = ev_customer(real, "alice")};
    struct core_status st = {0};
    struct core_sub *s;
    struct conn cn = {0};
    CHECK(core_events_subscribe(c, &ca, NULL, &s, &st) == CORE_OK);
    core_sub_bind(s, on_suspend, on_resume, &cn);
    hidden[n_hidden++] = 2;
    append(c, ca.id, "evt-20260101000000-aaaa1", "asset-1");
    append(c, ca.id, "evt-20260101000000-aaaa2", "asset-2");
    append(c, ca.id, "evt-20260101000000-aaaa3", "asset-3");
    char id[IDS_MAX];
    CHECK(next_event(c, s, &cn, 1000, id) == CORE_SUB_EVENT);
    CHECK_STR(id, "evt-20260101000000-aaaa1");
    CHECK(next_event(c, s, &cn, 150, id) == CORE_SUB_PARKED); /* 3 waits for 2 */
    n_hidden = 0;
    CHECK(next_event(c, s, &cn, 1000, id) == CORE_SUB_EVENT);
    CHECK_STR(id, "evt-20260101000000-aaaa2");
    CHECK(next_event(c, s, &cn, 1000, id) == CORE_SUB_EVENT);
    CHECK_STR(id, "evt-20260101000000-aaaa3");
    CHECK(next_event(c, s, &cn, 200, id) == CORE_SUB_PARKED);
    core_sub_close(s);
    stop(c);
}

static void test_resume_replays_what_came_after(void)
{
    struct core *c = start(600000);
    int64_t a = ev_customer(real, "alice"), b = ev_customer(real, "bob");
    struct customer ca = {.id = a}, cb = {.id = b};
    append(c, a, "evt-20260101000000-aaaa1", "asset-1");
    append(c, a, "evt-20260101000000-aaaa2", "asset-2");
    append(c, a, "evt-20260101000000-aaaa3", "asset-3");
    clock_sleep_ms(200); /* the hub has seen them */
    struct core_status st = {0};
    struct core_sub *s;
    struct conn cn = {0};
    CHECK(core_events_subscribe(c, &ca, "evt-20260101000000-aaaa1", &s, &st) == CORE_OK);
    core_sub_bind(s, on_suspend, on_resume, &cn);
    char id[IDS_MAX];
    CHECK(next_event(c, s, &cn, 1000, id) == CORE_SUB_EVENT);
    CHECK_STR(id, "evt-20260101000000-aaaa2");
    append(c, a, "evt-20260101000000-aaaa4", "asset-4"); /* live, while replaying */
    CHECK(next_event(c, s, &cn, 1000, id) == CORE_SUB_EVENT);
    CHECK_STR(id, "evt-20260101000000-aaaa3");
    CHECK(next_event(c, s, &cn, 2000, id) == CORE_SUB_EVENT);
    CHECK_STR(id, "evt-20260101000000-aaaa4");
    CHECK(next_event(c, s, &cn, 300, id) == CORE_SUB_PARKED);
    core_sub_close(s);
    /* another customer's event id, or an unknown one: InvalidParameter */
    CHECK(core_events_subscribe(c, &cb, "evt-20260101000000-aaaa1", &s, &st) == CORE_INVALID_PARAMETER);
    CHECK(core_events_subscribe(c, &ca, "evt-20990101000000-nope0", &s, &st) == CORE_INVALID_PARAMETER);
    /* the per-customer limit */
    struct core_sub *many[CORE_STREAMS_PER_CUSTOMER];
    for (int i = 0; i < CORE_STREAMS_PER_CUSTOMER; i++)
        CHECK(core_events_subscribe(c, &cb, NULL, &many[i], &st) == CORE_OK);
    CHECK(core_events_subscribe(c, &cb, NULL, &s, &st) == CORE_TOO_MANY_REQUESTS);
    CHECK(core_events_subscribe(c, &ca, NULL, &s, &st) == CORE_OK);
    core_sub_close(s);
    for (int i = 0; i < CORE_STREAMS_PER_CUSTOMER; i++)
        core_sub_close(many[i]);
    stop(c);
}

static void test_heartbeats_and_drain(void)
{
    struct core *c = start(50);
    struct customer ca = {.id = ev_customer(real, "alice")};
    struct core_status st = {0};
    struct core_sub *s;
    struct conn cn = {0};
    CHECK(core_events_subscribe(c, &ca, NULL, &s, &st) == CORE_OK);
    core_sub_bind(s, on_suspend, on_resume, &cn);
    int beats = 0;
    int64_t until = clock_mono_ms() + 600;
    while (clock_mono_ms() < until) {
        struct event *ev = NULL;
        enum core_sub_next n = core_sub_next(c, s, &ev);
        beats += n == CORE_SUB_HEARTBEAT;
        if (n == CORE_SUB_PARKED) {
            while (!atomic_exchange(&cn.resumed, 0) && clock_mono_ms() < until)
                clock_sleep_ms(2);
        }
    }
    CHECK(beats >= 3 && beats <= 14); /* about 12: every 50 ms, never a flood */
    core_events_drain(c); /* the stream ends, and a new one ends at once */
    char id[IDS_MAX];
    CHECK(next_event(c, s, &cn, 500, id) == CORE_SUB_END);
    core_sub_close(s);
    CHECK(core_events_subscribe(c, &ca, NULL, &s, &st) == CORE_OK);
    CHECK(next_event(c, s, &cn, 500, id) == CORE_SUB_END);
    core_sub_close(s);
    stop(c);
}

struct waited {
    atomic_int woken;
};

static void on_wake(void *arg)
{
    atomic_fetch_add(&((struct waited *)arg)->woken, 1);
}

static int woken_within(struct waited *w, int ms)
{
    int64_t until = clock_mono_ms() + ms;
    while (!atomic_load(&w->woken) && clock_mono_ms() < until)
        clock_sleep_ms(2);
    return atomic_load(&w->woken);
}

static void test_waiters(void)
{
    struct core *c = start(600000);
    int64_t a = ev_customer(real, "alice");
    struct customer ca = {.id = a};
    CHECK(ev_asset(real, a, "group-20260101000000-aaaaa", "asset-20260101000000-aaaa1", 1000) == 0);
    CHECK(ev_asset(real, a, "group-20260101000000-aaaab", "asset-20260101000000-aaaa2", 1000) == 0);
    /* its event wakes it; the refresher is asked to poll it fast meanwhile */
    struct waited w1 = {0};
    struct core_waiter *cw = core_wait_asset(c, &ca, "asset-20260101000000-aaaa1", clock_mono_ms() + 10000, on_wake,
                                             &w1);
    CHECK(!woken_within(&w1, 150));
    CHECK(refresher_hot(c, "asset-20260101000000-aaaa1", 1000) == 1100);
    CHECK(refresher_hot(c, "asset-20260101000000-aaaa2", 1000) == 0);
    struct event ev = ev_make(a, EVENT_ASSET_ACTIVE, "AssetActive", "evt-20260101000000-aaaa1",
                              "asset-20260101000000-aaaa1", 2000);
    CHECK(real->ops->set_asset_status(real, "asset-20260101000000-aaaa1", "Active", "", "", "", 2000, &ev) ==
          STORE_OK);
    core_event_recorded(c, &ev);
    CHECK(woken_within(&w1, 1000) == 1);
    core_waiter_end(c, cw);
    CHECK(refresher_hot(c, "asset-20260101000000-aaaa1", 1000) == 0);
    /* settled before the waiter came: woken at once */
    struct waited w2 = {0};
    cw = core_wait_asset(c, &ca, "asset-20260101000000-aaaa1", clock_mono_ms() + 10000, on_wake, &w2);
    CHECK(woken_within(&w2, 500) == 1);
    core_waiter_end(c, cw);
    /* the deadline */
    struct waited w3 = {0};
    int64_t t0 = clock_mono_ms();
    cw = core_wait_asset(c, &ca, "asset-20260101000000-aaaa2", t0 + 200, on_wake, &w3);
    CHECK(woken_within(&w3, 1000) == 1);
    int64_t took = clock_mono_ms() - t0;
    CHECK(took >= 190 && took < 500);
    core_waiter_end(c, cw);
    /* ended before anything happened: never woken */
    struct waited w4 = {0};
    cw = core_wait_asset(c, &ca, "asset-20260101000000-aaaa2", clock_mono_ms() + 100, on_wake, &w4);
    core_waiter_end(c, cw);
    CHECK(!woken_within(&w4, 300));
    /* draining wakes every waiter */
    struct waited w5 = {0};
    cw = core_wait_asset(c, &ca, "asset-20260101000000-aaaa2", clock_mono_ms() + 10000, on_wake, &w5);
    core_events_drain(c);
    CHECK(atomic_load(&w5.woken) == 1);
    core_waiter_end(c, cw);
    stop(c);
}

int main(void)
{
    if (fixture_root_make("hub") != 0)
        return 1;
    RUN(test_late_commit_delivered_once_and_in_customer);
    RUN(test_short_late_commit_keeps_the_order);
    RUN(test_resume_replays_what_came_after);
    RUN(test_heartbeats_and_drain);
    RUN(test_waiters);
    fixture_root_remove();
    return check_summary();
}
