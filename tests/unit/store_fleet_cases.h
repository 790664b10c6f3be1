/* store_fleet_cases.h — the fleet's shared upstream budget in the store
 * (store/fleet.c), as cases over any backend: test_store_fleet.c runs them
 * on SQLite, test_store_pg.c on PostgreSQL. Each case gets a fresh, empty
 * store, and `again` opens one more handle on the same records: another
 * node. */
#ifndef PORTICO_STORE_FLEET_CASES_H
#define PORTICO_STORE_FLEET_CASES_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/store.h"
#include "util/clock.h"

typedef struct store *(*fleet_open_fn)(void);

static int64_t fleet_case_customer(struct store *s, const char *name)
{
    struct customer c;
    return s->ops->put_customer(s, name, 1, NULL, &c) == STORE_OK ? c.id : -1;
}

static void fleet_case_join(struct store *s, const char *node, int max_inflight)
{
    struct store_fleet_config cfg = {.node = node, .max_inflight = max_inflight, .slot_wait_ms = 60000};
    CHECK(s->ops->fleet_join(s, &cfg) == STORE_OK);
}

/* A live group of the customer, id "group-...-<tail>". */
static void fleet_case_group(struct store *s, int64_t cust, const char *tail, char id[static IDS_MAX])
{
    int64_t h = 0;
    snprintf(id, IDS_MAX, "group-20260101000000-%s", tail);
    CHECK(s->ops->reserve_group(s, cust, "AIGC", tail, "", 50, 1000, NULL, &h) == STORE_OK);
    CHECK(s->ops->confirm_group(s, h, id, 1000) == STORE_OK);
}

static int64_t fleet_case_reserve(struct store *s, int64_t cust, const char *gid, int *slot)
{
    int64_t h = 0;
    *slot = -1;
    CHECK(s->ops->reserve_asset(s, cust, gid, "Image", "a", "http://127.0.0.1:9/a.png", NULL, 0, NULL, 50, 1000,
                                NULL, &h, slot) == STORE_OK);
    return h;
}

static int fleet_case_granted(struct store *s, int64_t h)
{
    int g = -1;
    CHECK(s->ops->grant_slots(s, &h, 1, &g) == STORE_OK);
    return g;
}

/* Tokens: the bucket starts full (burst), a lease takes what is there and
 * no more, says when to ask again, and two nodes draw on one bucket. */
static void case_fleet_token_leases(struct store *s, fleet_open_fn again)
{
    fleet_case_join(s, "node-a", 30);
    /* 1 token/s, 10 at most: this case's few ms refill next to nothing. */
    struct store_token_lease l = {.bucket = "create", .rate = 1, .burst = 10, .want = 6, .customers = 1};
    CHECK(s->ops->lease_tokens(s, &l) == STORE_OK);
    CHECK(l.granted == 6 && l.retry_ms == 0);
    CHECK(l.fleet_rate == 0); /* nobody leased it before */
    struct store *b = again();
    CHECK(b != NULL);
    if (!b)
        return;
    fleet_case_join(b, "node-b", 30);
    l = (struct store_token_lease){.bucket = "create", .rate = 1, .burst = 10, .want = 6, .customers = 1};
    CHECK(b->ops->lease_tokens(b, &l) == STORE_OK);
    CHECK(l.granted == 4); /* what node-a left: the bucket is the account's, not a node's */
    CHECK(l.fleet_rate == 1 && l.fleet_burst == 10); /* what node-a leased it at */
    CHECK(l.retry_ms > 0 && l.retry_ms <= 1000);
    l = (struct store_token_lease){.bucket = "create", .rate = 1, .burst = 10, .want = 1, .customers = 1};
    CHECK(s->ops->lease_tokens(s, &l) == STORE_OK);
    CHECK(l.granted == 0 && l.retry_ms > 0);
    /* Another bucket is another budget. */
    l = (struct store_token_lease){.bucket = "get", .rate = 100, .burst = 33, .want = 20, .customers = 1};
    CHECK(b->ops->lease_tokens(b, &l) == STORE_OK);
    CHECK(l.granted == 20);
    /* Refill: 1 token/s, so within 1.2 s there is one more, and only one. */
    clock_sleep_ms(1200);
    l = (struct store_token_lease){.bucket = "create", .rate = 1, .burst = 10, .want = 5, .customers = 1};
    CHECK(s->ops->lease_tokens(s, &l) == STORE_OK);
    CHECK(l.granted == 1);
    /* Bad leases are refused, not guessed at. */
    l = (struct store_token_lease){.bucket = "create", .rate = 1, .burst = 10, .want = 0};
    CHECK(s->ops->lease_tokens(s, &l) == STORE_ERROR);
    /* The status sees the bucket and both nodes' leases. */
    struct fleet_status *st = calloc(1, sizeof *st);
    CHECK(st && s->ops->fleet_status(s, st) == STORE_OK);
    if (st) {
        CHECK(st->n_nodes == 2);
        CHECK(st->buckets[0].rate == 1 && st->buckets[0].burst == 10 && st->buckets[0].tokens < 1);
        int64_t granted = 0;
        for (size_t i = 0; i < st->n_nodes; i++)
            granted += st->nodes[i].granted[0];
        CHECK(granted == 11);
    }
    free(st);
    CHECK(b->ops->fleet_leave(b) == STORE_OK);
    st = calloc(1, sizeof *st);
    CHECK(st && s->ops->fleet_status(s, st) == STORE_OK && st->n_nodes == 1);
    free(st);
    b->ops->close(b);
}

/* Creations in flight: a reservation takes a place while there is one and
 * nobody waits; the asset holds it while Processing; settling gives it
 * back; turns go to the customer holding fewest. */
static void case_fleet_places_in_flight(struct store *s, fleet_open_fn again)
{
    fleet_case_join(s, "node-a", 2);
    int64_t x = fleet_case_customer(s, "x"), y = fleet_case_customer(s, "y");
    char gx[IDS_MAX], gy[IDS_MAX];
    fleet_case_group(s, x, "xxxxx", gx);
    fleet_case_group(s, y, "yyyyy", gy);
    int slot;
    int64_t x1 = fleet_case_reserve(s, x, gx, &slot);
    CHECK(slot == 1);
    int64_t x2 = fleet_case_reserve(s, x, gx, &slot);
    CHECK(slot == 1);
    int64_t x3 = fleet_case_reserve(s, x, gx, &slot);
    CHECK(slot == 0); /* both places held: it waits */
    int64_t x4 = fleet_case_reserve(s, x, gx, &slot);
    CHECK(slot == 0);
    int64_t y1 = fleet_case_reserve(s, y, gy, &slot);
    CHECK(slot == 0);
    CHECK(fleet_case_granted(s, x3) == 0);
    /* Confirmed, the asset is Processing: it still holds its place. */
    CHECK(s->ops->confirm_asset(s, x1, "asset-20260101000000-xxxx1", 1000, 0) == STORE_OK);
    CHECK(fleet_case_granted(s, x3) == 0);
    /* Active: the place is free, and y's first waiting one comes before
     * x's second (x holds one already), whatever their ages. */
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-xxxx1", "Active", "", "", "", 2000, NULL) == STORE_OK);
    int64_t hs[3] = {x3, x4, y1};
    int g[3] = {-1, -1, -1};
    CHECK(s->ops->grant_slots(s, hs, 3, g) == STORE_OK);
    CHECK(g[0] == 0 && g[1] == 0 && g[2] == 1);
    CHECK(fleet_case_granted(s, y1) == 1); /* asked again: it holds it */
    /* A released reservation gives its place back: x3 next, then x4 waits. */
    CHECK(s->ops->release_asset(s, x2) == STORE_OK);
    int64_t hx[2] = {x4, x3};
    int gg[2] = {-1, -1};
    CHECK(s->ops->grant_slots(s, hx, 2, gg) == STORE_OK);
    CHECK(gg[0] == 0 && gg[1] == 1);
    /* Another node's waiting reservation is in the same queue: places
     * are the account's. */
    struct store *b = again();
    CHECK(b != NULL);
    if (!b)
        return;
    fleet_case_join(b, "node-b", 2);
    int64_t yb = fleet_case_reserve(b, y, gy, &slot);
    CHECK(slot == 0);
    /* Failed and deleted assets hold nothing either. */
    CHECK(s->ops->confirm_asset(s, y1, "asset-20260101000000-yyyy1", 1000, 0) == STORE_OK);
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-yyyy1", "Failed", "r", "c", "m", 2000, NULL) ==
          STORE_OK);
    CHECK(fleet_case_granted(s, x4) == 0); /* y holds none now: yb's turn */
    CHECK(fleet_case_granted(b, yb) == 1);
    CHECK(s->ops->confirm_asset(s, x3, "asset-20260101000000-xxxx3", 1000, 0) == STORE_OK);
    CHECK(s->ops->delete_asset(s, x, "asset-20260101000000-xxxx3", 3000, NULL) == STORE_OK);
    CHECK(fleet_case_granted(s, x4) == 1);
    struct fleet_status *st = calloc(1, sizeof *st);
    CHECK(st && s->ops->fleet_status(s, st) == STORE_OK);
    if (st)
        CHECK(st->inflight == 2 && st->waiting == 0);
    free(st);
    /* A handle that is not waiting (gone, or holding) is granted: its
     * create finds out what became of it. */
    CHECK(fleet_case_granted(s, 987654321) == 1);
    b->ops->close(b);
}

/* A group full of creates in flight is not full: QUOTA_PENDING; a place a
 * pending face scan holds is in use: QUOTA. */
static void case_fleet_quota_pending(struct store *s, fleet_open_fn again)
{
    (void)again;
    fleet_case_join(s, "node-a", 30);
    int64_t c = fleet_case_customer(s, "c");
    int64_t h1 = 0, h2 = 0, h3 = 0;
    CHECK(s->ops->reserve_group(s, c, "LivenessFace", "scan", "", 2, 1000, NULL, &h1) == STORE_OK);
    struct validate_session v;
    memset(&v, 0, sizeof v);
    snprintf(v.token, sizeof v.token, "20260101000000ABCDEF0123456789ABCD");
    v.customer_id = c;
    v.expire_ms = clock_wall_ms() + 60000;
    v.group_handle = h1;
    v.next_poll_ms = clock_wall_ms() + 60000;
    CHECK(s->ops->create_session(s, &v, 1000) == STORE_OK);
    CHECK(s->ops->reserve_group(s, c, "AIGC", "g", "", 2, 1000, NULL, &h2) == STORE_OK);
    CHECK(s->ops->reserve_group(s, c, "AIGC", "g", "", 2, 1000, NULL, &h3) == STORE_QUOTA_PENDING);
    CHECK(s->ops->confirm_group(s, h2, "group-20260101000000-ggggg", 1000) == STORE_OK);
    CHECK(s->ops->reserve_group(s, c, "AIGC", "g", "", 2, 1000, NULL, &h3) == STORE_QUOTA);
    /* Assets: pending rows are creates in flight, upload sessions are not. */
    char gid[IDS_MAX] = "group-20260101000000-ggggg";
    int slot = 0;
    int64_t a = 0;
    for (int i = 0; i < 49; i++)
        CHECK(s->ops->reserve_asset(s, c, gid, "Image", "a", "http://127.0.0.1:9/a.png", NULL, 0, NULL, 50, 1000,
                                    NULL, &a, &slot) == STORE_OK);
    struct upload_session u;
    memset(&u, 0, sizeof u);
    snprintf(u.id, sizeof u.id, "upload-20260101000000-uuuuu");
    u.customer_id = c;
    snprintf(u.group_id, sizeof u.group_id, "%s", gid);
    snprintf(u.asset_type, sizeof u.asset_type, "Image");
    snprintf(u.content_type, sizeof u.content_type, "image/png");
    u.content_length = 10;
    snprintf(u.blob_key, sizeof u.blob_key, "media/u.png");
    u.expire_ms = clock_wall_ms() + 60000;
    CHECK(s->ops->create_upload(s, &u, 50, 1000) == STORE_OK);
    CHECK(s->ops->reserve_asset(s, c, gid, "Image", "a", "http://127.0.0.1:9/a.png", NULL, 0, NULL, 50, 1000, NULL,
                                &a, &slot) == STORE_QUOTA_PENDING);
    CHECK(s->ops->create_upload(s, &u, 50, 1000) == STORE_QUOTA_PENDING);
}

/* A node that stops beating: another takes its pending reservations over,
 * once, with whether each may have been sent (an asset without a place
 * in flight was not), but not a pending face scan's place. */
static void case_fleet_dead_node_taken_over(struct store *s, fleet_open_fn again)
{
    fleet_case_join(s, "node-dead", 1);
    int64_t c = fleet_case_customer(s, "c");
    char gid[IDS_MAX];
    fleet_case_group(s, c, "ddddd", gid);
    int64_t hg = 0, hs = 0;
    CHECK(s->ops->reserve_group(s, c, "AIGC", "pending", "", 50, 1000, "tagpending01", &hg) == STORE_OK);
    CHECK(s->ops->reserve_group(s, c, "LivenessFace", "scan", "", 50, 1000, NULL, &hs) == STORE_OK);
    struct validate_session v;
    memset(&v, 0, sizeof v);
    snprintf(v.token, sizeof v.token, "20260101000000ABCDEF0123456789ABCE");
    v.customer_id = c;
    v.expire_ms = clock_wall_ms() + 60000;
    v.group_handle = hs;
    v.next_poll_ms = clock_wall_ms() + 60000;
    CHECK(s->ops->create_session(s, &v, 1000) == STORE_OK);
    int slot;
    int64_t sent = fleet_case_reserve(s, c, gid, &slot);
    CHECK(slot == 1);
    int64_t waiting = fleet_case_reserve(s, c, gid, &slot);
    CHECK(slot == 0);
    struct store *b = again();
    CHECK(b != NULL);
    if (!b)
        return;
    fleet_case_join(b, "node-live", 1);
    struct store_pending_list l = {0};
    /* node-dead beat (joined) just now: alive. */
    CHECK(b->ops->take_over_dead(b, 60000, &l) == STORE_OK && l.n == 0);
    free(l.items);
    clock_sleep_ms(300);
    CHECK(b->ops->fleet_heartbeat(b, NULL) == STORE_OK);
    memset(&l, 0, sizeof l);
    CHECK(b->ops->take_over_dead(b, 200, &l) == STORE_OK);
    CHECK(l.n == 3);
    int seen = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct store_pending *p = &l.items[i];
        if (p->is_group && p->handle == hg) {
            seen |= 1;
            CHECK(p->maybe_sent == 1);
            CHECK_STR(p->tag, "tagpending01");
        } else if (!p->is_group && p->handle == sent) {
            seen |= 2;
            CHECK(p->maybe_sent == 1);
            CHECK_STR(p->group_id, gid);
        } else if (!p->is_group && p->handle == waiting) {
            seen |= 4;
            CHECK(p->maybe_sent == 0);
        } else {
            CHECK(!"an unexpected reservation was taken over");
        }
    }
    CHECK(seen == 7);
    free(l.items);
    /* Taken once: the rows are node-live's now, and node-dead is gone. */
    memset(&l, 0, sizeof l);
    CHECK(b->ops->take_over_dead(b, 200, &l) == STORE_OK && l.n == 0);
    free(l.items);
    struct fleet_status *st = calloc(1, sizeof *st);
    CHECK(st && b->ops->fleet_status(b, st) == STORE_OK);
    if (st) {
        CHECK(st->n_nodes == 1);
        CHECK(st->n_nodes == 1 && strcmp(st->nodes[0].node, "node-live") == 0);
    }
    free(st);
    /* A node that beats again after being taken for dead is back. */
    CHECK(s->ops->fleet_heartbeat(s, NULL) == STORE_OK);
    st = calloc(1, sizeof *st);
    CHECK(st && b->ops->fleet_status(b, st) == STORE_OK && st->n_nodes == 2);
    free(st);
    b->ops->close(b);
}

#endif
