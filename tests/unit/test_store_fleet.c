/* test_store_fleet.c — the fleet's shared upstream budget in the store
 * (store/fleet.c) on SQLite (the cases are store_fleet_cases.h;
 * test_store_pg.c runs them on PostgreSQL), and the lease's arithmetic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/driver.h"
#include "store_fleet_cases.h"

#include "sqlite_fixture.h"

/* Another node: one more handle on the current case's store. */
static struct store *open_again(void)
{
    return store_sqlite_open(store_dir);
}

static void on_fresh_fleet_store(void (*fn)(struct store *, fleet_open_fn))
{
    struct store *s = open_fresh_store();
    if (!s)
        return;
    fn(s, open_again);
    s->ops->close(s);
}

static void test_token_leases(void)
{
    on_fresh_fleet_store(case_fleet_token_leases);
}

static void test_places_in_flight(void)
{
    on_fresh_fleet_store(case_fleet_places_in_flight);
}

static void test_quota_pending(void)
{
    on_fresh_fleet_store(case_fleet_quota_pending);
}

static void test_dead_node_taken_over(void)
{
    on_fresh_fleet_store(case_fleet_dead_node_taken_over);
}

/* The lease's arithmetic: refill up to the burst, never more than what is
 * there, a node's share by its customers while others ask too, and a
 * longer wait for a smaller share. */
static void test_lease_math(void)
{
    struct store_token_lease l = {.rate = 30, .burst = 10, .want = 6, .customers = 1};
    int64_t t = 10000;
    sql_fleet_lease_math(&l, &t, 0, 0);
    CHECK(l.granted == 6 && t == 4000 && l.retry_ms == 0);
    l.want = 6;
    sql_fleet_lease_math(&l, &t, 0, 0);
    CHECK(l.granted == 4 && t == 0 && l.retry_ms == 34); /* a token in 33.3 ms */
    /* 100 ms at 30/s: 3 tokens; an hour: the burst, not more. */
    sql_fleet_lease_math(&l, &t, 100, 0);
    CHECK(l.granted == 3 && t == 0);
    sql_fleet_lease_math(&l, &t, 3600 * 1000 * 24, 0);
    CHECK(l.granted == 6 && t == 4000);
    /* A clock that went back refills nothing and takes nothing. */
    t = 2500;
    l.want = 5;
    sql_fleet_lease_math(&l, &t, -5000, 0);
    CHECK(l.granted == 2 && t == 500);
    /* Shares: 9 tokens, 1 customer here, 2 waiting on other nodes: 3. */
    t = 9000;
    l.want = 6;
    l.customers = 1;
    sql_fleet_lease_math(&l, &t, 0, 2);
    CHECK(l.granted == 3 && t == 6000);
    CHECK(l.retry_ms > 0);
    /* ...and at least one, so a small share is slow, never starved. */
    t = 1000;
    sql_fleet_lease_math(&l, &t, 0, 50);
    CHECK(l.granted == 1 && t == 0);
    /* With nothing there, a node with a third of the customers asks three
     * times less often than one alone would. */
    struct store_token_lease alone = l, shared = l;
    int64_t t1 = 0, t2 = 0;
    sql_fleet_lease_math(&alone, &t1, 0, 0);
    sql_fleet_lease_math(&shared, &t2, 0, 2);
    CHECK(alone.granted == 0 && shared.granted == 0 && shared.retry_ms == 3 * alone.retry_ms);
    /* Fractions of a token wait for the whole one. */
    t = 999;
    l.want = 1;
    sql_fleet_lease_math(&l, &t, 0, 0);
    CHECK(l.granted == 0 && t == 999 && l.retry_ms == 1);
}

int main(void)
{
    if (fixture_root_make("fleet") != 0)
        return 1;
    RUN(test_lease_math);
    RUN(test_token_leases);
    RUN(test_places_in_flight);
    RUN(test_quota_pending);
    RUN(test_dead_node_taken_over);
    fixture_root_remove();
    return check_summary();
}
