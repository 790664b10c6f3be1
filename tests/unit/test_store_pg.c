/* test_store_pg.c — the PostgreSQL store against a real server: what only
 * several nodes on one database can show. Two (or more) store handles on
 * one database stand for two porticod nodes.
 *
 * Needs PORTICO_TEST_PG = a server URL (postgres://USER@HOST:PORT) whose
 * user may create databases; tests/run.py starts a throwaway server and
 * sets it. Each test gets a fresh database. Without the variable the
 * binary prints one "ok test_skipped_without_PORTICO_TEST_PG" line. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "store_admin_cases.h"
#include "store_fleet_cases.h"
#include "store_events_cases.h"
#include "store_usage_cases.h"
#include "store/store.h"
#include "util/clock.h"

static const char *pg_base;
static char db_url[512];
static int db_seq;

/* Runs sql on database db of the test server; 0 on success. */
static int admin(const char *db, const char *sql, char *out, size_t cap)
{
    char url[512];
    snprintf(url, sizeof url, "%s/%s", pg_base, db);
    PGconn *c = PQconnectdb(url);
    int rc = -1;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
        if (rc != 0)
            fprintf(stderr, "  %s: %s", sql, PQresultErrorMessage(r));
        if (rc == 0 && out && PQntuples(r) > 0)
            snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
    } else {
        fprintf(stderr, "  cannot connect to %s: %s", url, PQerrorMessage(c));
    }
    PQfinish(c);
    return rc;
}

/* A fresh database; its URL in db_url. */
static int fresh_db(void)
{
    char sql[200], name[64];
    snprintf(name, sizeof name, "unit_%d_%d", (int)getpid(), ++db_seq);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", name);
    if (admin("postgres", sql, NULL, 0) != 0)
        return -1;
    snprintf(db_url, sizeof db_url, "%s/%s", pg_base, name);
    return 0;
}

static void drop_db(void)
{
    char sql[200];
    const char *name = strrchr(db_url, '/') + 1;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    admin("postgres", sql, NULL, 0);
}

static int64_t db_count(const char *sql)
{
    char out[32] = "";
    if (admin(strrchr(db_url, '/') + 1, sql, out, sizeof out) != 0)
        return -1;
    return strtoll(out, NULL, 10);
}

static int64_t customer(struct store *s, const char *name)
{
    struct customer c;
    return s->ops->put_customer(s, name, 1, NULL, &c) == STORE_OK ? c.id : -1;
}

/* A fresh database and two nodes' stores on it; 0 when both opened (a
 * half-opened pair is closed, and the failure counted). */
static int two_nodes(struct store **a, struct store **b)
{
    CHECK(fresh_db() == 0);
    *a = store_pg_open(db_url);
    *b = store_pg_open(db_url);
    CHECK(*a && *b);
    if (*a && *b)
        return 0;
    if (*a)
        (*a)->ops->close(*a);
    if (*b)
        (*b)->ops->close(*b);
    return -1;
}

/* The event cases of store_events_cases.h, on a fresh database each. */
static void on_fresh_pg(void (*fn)(struct store *))
{
    CHECK(fresh_db() == 0);
    struct store *s = store_pg_open(db_url);
    CHECK(s != NULL);
    if (s) {
        fn(s);
        s->ops->close(s);
    }
    drop_db();
}

static void test_events_status_change_appends_event_once(void)
{
    on_fresh_pg(case_status_change_appends_event_once);
}

static void test_events_outbox_lease_and_finish(void)
{
    on_fresh_pg(case_outbox_lease_and_finish);
}

static void test_events_sessions_and_videos_append_events(void)
{
    on_fresh_pg(case_sessions_and_videos_append_events);
}

static void test_usage_counts_groups_and_assets(void)
{
    on_fresh_pg(case_usage_counts_groups_and_assets);
}

static void test_usage_delete_group_counts_its_assets(void)
{
    on_fresh_pg(case_usage_delete_group_counts_its_assets);
}

static void test_usage_sessions_videos_and_audit(void)
{
    on_fresh_pg(case_usage_sessions_videos_and_audit);
}

static void test_usage_add_and_ranges(void)
{
    on_fresh_pg(case_usage_add_and_ranges);
}

static void test_audit_keys(void)
{
    on_fresh_pg(case_audit_keys);
}

/* Two nodes, many threads, the same customer's counters at once: assets
 * confirmed, settled and deleted, and upstream call batches added. The
 * upserts add up exactly, no transaction deadlocks on the counters' rows,
 * and a recount agrees. */
struct counter_job {
    struct store *s;
    int64_t cust;
    int i;
    int failures;
};

static void *count_main(void *arg)
{
    struct counter_job *j = arg;
    struct store *s = j->s;
    char group[IDS_MAX], asset[IDS_MAX];
    snprintf(group, sizeof group, "group-20260101000000-c%04d", j->i);
    int64_t now = clock_wall_ms(), h = 0;
    j->failures += uc_group(s, j->cust, group, now) != 0;
    for (int k = 0; k < 5; k++) {
        snprintf(asset, sizeof asset, "asset-20260101000000-%02d%03d", j->i, k);
        j->failures += s->ops->reserve_asset(s, j->cust, group, "Image", "a", "http://127.0.0.1:9/a.png", "kb", 100,
                                             NULL, 50, now, NULL, &h, NULL) != STORE_OK;
        j->failures += s->ops->confirm_asset(s, h, asset, now, now) != STORE_OK;
        j->failures += s->ops->set_asset_status(s, asset, k % 2 ? "Active" : "Failed", "", "", "", now, NULL) !=
                       STORE_OK;
        struct usage_count c = {j->cust, now / USAGE_DAY_MS, "upstream.GetAsset", 1};
        j->failures += s->ops->add_usage(s, &c, 1) != STORE_OK;
    }
    snprintf(asset, sizeof asset, "asset-20260101000000-%02d%03d", j->i, 0);
    j->failures += s->ops->delete_asset(s, j->cust, asset, now, NULL) != STORE_OK;
    if (j->i % 4 == 0)
        j->failures += s->ops->delete_group(s, j->cust, group, now, NULL) != STORE_OK;
    return NULL;
}

static void test_usage_counters_exact_across_two_nodes(void)
{
    struct store *a, *b;
    if (two_nodes(&a, &b) != 0)
        return;
    int64_t cust = customer(a, "acme");
    enum { JOBS = 24 };
    struct counter_job jobs[JOBS];
    pthread_t t[JOBS];
    for (int i = 0; i < JOBS; i++) {
        jobs[i] = (struct counter_job){.s = i % 2 ? b : a, .cust = cust, .i = i};
        pthread_create(&t[i], NULL, count_main, &jobs[i]);
    }
    int failures = 0;
    for (int i = 0; i < JOBS; i++) {
        pthread_join(t[i], NULL);
        failures += jobs[i].failures;
    }
    CHECK(failures == 0);
    CHECK(uc_mismatches(a) == 0);
    int64_t today = clock_wall_ms() / USAGE_DAY_MS;
    struct usage_report rep;
    CHECK(b->ops->get_usage(b, cust, today, today, 1000, &rep) == STORE_OK);
    CHECK(uc_get(&rep.days, cust, today, "upstream.GetAsset") == JOBS * 5);
    CHECK(uc_get(&rep.days, cust, today, USAGE_ASSETS_CREATED) == JOBS * 5);
    /* 6 groups deleted with their 4 live assets each, 18 assets deleted alone */
    CHECK(uc_get(&rep.days, cust, today, USAGE_ASSETS_DELETED) == JOBS + (JOBS / 4) * 4);
    CHECK(uc_get(&rep.ends, cust, today, USAGE_LIVE_GROUPS) == JOBS - JOBS / 4);
    CHECK(uc_get(&rep.ends, cust, today, USAGE_LIVE_BYTES) == (JOBS - JOBS / 4) * 4 * 100);
    b->ops->free_usage_report(&rep);
    a->ops->close(a);
    b->ops->close(b);
    drop_db();
}

/* The operators' records (store_admin_cases.h). */
static void test_admin_keys(void)
{
    on_fresh_pg(case_admin_keys);
}

static void test_admin_customers(void)
{
    on_fresh_pg(case_customers);
}

static void test_admin_api_key_lists(void)
{
    on_fresh_pg(case_api_key_lists);
}

/* Every op of both backends is filled in: an op added to store.h without a
 * PostgreSQL implementation would crash a node on first use. */
static void test_every_op_is_implemented(void)
{
    CHECK(fresh_db() == 0);
    struct store *s = store_pg_open(db_url);
    CHECK(s != NULL);
    if (!s)
        return;
    void (*fns[sizeof(struct store_ops) / sizeof(void (*)(void))])(void);
    memcpy(fns, s->ops, sizeof fns);
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (!fns[i]) {
            fprintf(stderr, "  store_ops slot %zu is NULL in the postgres store\n", i);
            check_failed_now = 1;
        }
    s->ops->close(s);
    drop_db();
}

struct opener {
    struct store *s;
};

static void *open_main(void *arg)
{
    struct opener *o = arg;
    o->s = store_pg_open(db_url);
    return NULL;
}

static void test_nodes_opening_at_once_migrate_once(void)
{
    CHECK(fresh_db() == 0);
    struct opener o[6];
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        pthread_create(&t[i], NULL, open_main, &o[i]);
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 6; i++) {
        CHECK(o[i].s != NULL);
        if (o[i].s)
            CHECK(o[i].s->ops->ping(o[i].s) == STORE_OK);
    }
    int64_t steps = db_count("SELECT COUNT(*) FROM schema_version");
    CHECK(steps >= 3);
    CHECK(db_count("SELECT COUNT(DISTINCT version) FROM schema_version") == steps);
    /* Opening again changes nothing. */
    struct store *again = store_pg_open(db_url);
    CHECK(again != NULL);
    CHECK(db_count("SELECT COUNT(*) FROM schema_version") == steps);
    if (again)
        again->ops->close(again);
    for (int i = 0; i < 6; i++)
        if (o[i].s)
            o[i].s->ops->close(o[i].s);
    drop_db();
}

struct reserver {
    struct store *s;
    int64_t cust;
    const char *group; /* NULL: reserve groups */
    enum store_result r;
    int64_t handle;
};

static void *reserve_main(void *arg)
{
    struct reserver *r = arg;
    if (r->group)
        r->r = r->s->ops->reserve_asset(r->s, r->cust, r->group, "Image", "a", "http://127.0.0.1:9/a.png", NULL, 0, NULL,
                                        50, clock_wall_ms(), NULL, &r->handle, NULL);
    else
        r->r = r->s->ops->reserve_group(r->s, r->cust, "AIGC", "g", "", 50, clock_wall_ms(), NULL, &r->handle);
    return NULL;
}

/* 80 concurrent reservations over two handles ("nodes"): exactly 50. */
static void quota_race(struct store *a, struct store *b, int64_t cust, const char *group)
{
    struct reserver rs[80];
    pthread_t t[80];
    for (int i = 0; i < 80; i++) {
        rs[i] = (struct reserver){.s = i % 2 ? b : a, .cust = cust, .group = group};
        pthread_create(&t[i], NULL, reserve_main, &rs[i]);
    }
    int ok = 0, quota = 0, other = 0;
    for (int i = 0; i < 80; i++) {
        pthread_join(t[i], NULL);
        if (rs[i].r == STORE_OK)
            ok++;
        else if (rs[i].r == STORE_QUOTA_PENDING) /* full of reservations, none confirmed yet */
            quota++;
        else
            other++;
    }
    if (ok != 50 || quota != 30 || other != 0)
        fprintf(stderr, "  %s quota race: %d ok, %d quota, %d other\n", group ? "asset" : "group", ok, quota, other);
    CHECK(ok == 50 && quota == 30 && other == 0);
}

static void test_quotas_exact_across_two_nodes(void)
{
    struct store *a, *b;
    if (two_nodes(&a, &b) != 0)
        return;
    int64_t cust = customer(a, "acme");
    quota_race(a, b, cust, NULL);
    CHECK(db_count("SELECT COUNT(*) FROM groups") == 50);
    /* A live group of another customer to fill with assets. */
    int64_t other = customer(b, "other"), h = 0;
    CHECK(a->ops->reserve_group(a, other, "AIGC", "full", "", 50, clock_wall_ms(), NULL, &h) == STORE_OK);
    CHECK(a->ops->confirm_group(a, h, "group-20260101000000-aaaaa", clock_wall_ms()) == STORE_OK);
    quota_race(a, b, other, "group-20260101000000-aaaaa");
    CHECK(db_count("SELECT COUNT(*) FROM assets") == 50);
    a->ops->close(a);
    b->ops->close(b);
    drop_db();
}

struct leaser {
    struct store *s;
    struct asset_list l;
    enum store_result r;
};

static void *lease_main(void *arg)
{
    struct leaser *l = arg;
    l->r = l->s->ops->lease_due_assets(l->s, clock_wall_ms(), 60000, 30, &l->l);
    return NULL;
}

static void test_leases_hand_each_asset_to_one_node(void)
{
    struct store *a, *b;
    if (two_nodes(&a, &b) != 0)
        return;
    int64_t now = clock_wall_ms(), h = 0;
    int64_t cust = customer(a, "acme");
    CHECK(a->ops->reserve_group(a, cust, "AIGC", "g", "", 50, now, NULL, &h) == STORE_OK);
    CHECK(a->ops->confirm_group(a, h, "group-20260101000000-bbbbb", now) == STORE_OK);
    for (int i = 0; i < 40; i++) {
        char id[IDS_MAX];
        snprintf(id, sizeof id, "asset-20260101000000-%05d", i);
        CHECK(a->ops->reserve_asset(a, cust, "group-20260101000000-bbbbb", "Image", "", "http://127.0.0.1:9/x.png", NULL, 0, NULL,
                                    50, now, NULL, &h, NULL) == STORE_OK);
        CHECK(a->ops->confirm_asset(a, h, id, now, now - 1000 + i) == STORE_OK);
    }
    /* Two nodes lease at the same moment: 30 + 10, never one asset twice. */
    struct leaser la = {.s = a}, lb = {.s = b};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, lease_main, &la);
    pthread_create(&tb, NULL, lease_main, &lb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(la.r == STORE_OK && lb.r == STORE_OK);
    CHECK(la.l.n + lb.l.n == 40);
    for (size_t i = 0; i < la.l.n; i++)
        for (size_t j = 0; j < lb.l.n; j++)
            CHECK(strcmp(la.l.items[i].id, lb.l.items[j].id) != 0);
    /* Leased: nothing is due for anyone now. */
    struct asset_list l = {0};
    CHECK(b->ops->lease_due_assets(b, clock_wall_ms(), 60000, 100, &l) == STORE_OK && l.n == 0);
    free(l.items);
    /* A poll ends a lease; a lapsed lease (a dead node) is taken again. */
    CHECK(a->ops->schedule_poll(a, la.l.items[0].id, clock_wall_ms() - 1, 1) == STORE_OK);
    memset(&l, 0, sizeof l);
    CHECK(b->ops->lease_due_assets(b, clock_wall_ms(), 60000, 100, &l) == STORE_OK && l.n == 1);
    if (l.n == 1)
        CHECK_STR(l.items[0].id, la.l.items[0].id);
    free(l.items);
    memset(&l, 0, sizeof l);
    CHECK(a->ops->lease_due_assets(a, clock_wall_ms() + 61000, 60000, 100, &l) == STORE_OK && l.n == 40);
    free(l.items);
    free(la.l.items);
    free(lb.l.items);
    a->ops->close(a);
    b->ops->close(b);
    drop_db();
}

/* The fleet's cases (store_fleet_cases.h), again: a second handle on the
 * same database is another node. */
static struct store *pg_again(void)
{
    return store_pg_open(db_url);
}

static void on_fresh_pg_fleet(void (*fn)(struct store *, fleet_open_fn))
{
    CHECK(fresh_db() == 0);
    struct store *s = store_pg_open(db_url);
    CHECK(s != NULL);
    if (s) {
        fn(s, pg_again);
        s->ops->close(s);
    }
    drop_db();
}

static void test_fleet_token_leases(void)
{
    on_fresh_pg_fleet(case_fleet_token_leases);
}

static void test_fleet_places_in_flight(void)
{
    on_fresh_pg_fleet(case_fleet_places_in_flight);
}

static void test_fleet_quota_pending(void)
{
    on_fresh_pg_fleet(case_fleet_quota_pending);
}

static void test_fleet_dead_node_taken_over(void)
{
    on_fresh_pg_fleet(case_fleet_dead_node_taken_over);
}

/* Two nodes leasing one bucket at once: together never more than it
 * holds and refills, however the leases interleave. */
struct token_leaser {
    struct store *s;
    int granted;
};

static void *token_lease_main(void *arg)
{
    struct token_leaser *l = arg;
    for (int i = 0; i < 40; i++) {
        struct store_token_lease t = {.bucket = "create", .rate = 20, .burst = 5, .want = 2, .customers = 1};
        if (l->s->ops->lease_tokens(l->s, &t) == STORE_OK)
            l->granted += t.granted;
        clock_sleep_ms(5);
    }
    return NULL;
}

static void test_fleet_concurrent_leases_never_exceed_the_bucket(void)
{
    struct store *a, *b;
    if (two_nodes(&a, &b) != 0) {
        drop_db();
        return;
    }
    struct store_fleet_config ca = {.node = "lease-a", .max_inflight = 30, .slot_wait_ms = 1000};
    struct store_fleet_config cb = {.node = "lease-b", .max_inflight = 30, .slot_wait_ms = 1000};
    CHECK(a->ops->fleet_join(a, &ca) == STORE_OK && b->ops->fleet_join(b, &cb) == STORE_OK);
    struct token_leaser la = {a, 0}, lb = {b, 0};
    pthread_t ta, tb;
    int64_t t0 = clock_mono_ms();
    pthread_create(&ta, NULL, token_lease_main, &la);
    pthread_create(&tb, NULL, token_lease_main, &lb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    int64_t took = clock_mono_ms() - t0;
    int most = 5 + (int)(20 * (took + 50) / 1000); /* the burst, and the refill (database clock: a margin) */
    if (la.granted + lb.granted > most || la.granted == 0 || lb.granted == 0)
        fprintf(stderr, "  leased %d + %d in %lld ms, at most %d\n", la.granted, lb.granted, (long long)took, most);
    CHECK(la.granted + lb.granted <= most);
    CHECK(la.granted > 0 && lb.granted > 0);
    a->ops->close(a);
    b->ops->close(b);
    drop_db();
}

/* A server that is not there: open and every op fail fast, never hang. */
static void test_unreachable_server_fails_fast(void)
{
    /* Port 1 on loopback: nothing listens, the connect is refused. */
    int64_t t0 = clock_mono_ms();
    struct store *s = store_pg_open("postgres://portico@127.0.0.1:1/none");
    CHECK(s == NULL);
    CHECK(clock_mono_ms() - t0 < 3000);
}

int main(void)
{
    pg_base = getenv("PORTICO_TEST_PG");
    if (!pg_base || !*pg_base) {
        fprintf(stderr, "test_store_pg: PORTICO_TEST_PG is not set (tests/run.py sets it); skipping\n");
        printf("ok test_skipped_without_PORTICO_TEST_PG\n");
        return 0;
    }
    RUN(test_every_op_is_implemented);
    RUN(test_nodes_opening_at_once_migrate_once);
    RUN(test_quotas_exact_across_two_nodes);
    RUN(test_leases_hand_each_asset_to_one_node);
    RUN(test_unreachable_server_fails_fast);
    RUN(test_events_status_change_appends_event_once);
    RUN(test_events_outbox_lease_and_finish);
    RUN(test_events_sessions_and_videos_append_events);
    RUN(test_admin_keys);
    RUN(test_admin_customers);
    RUN(test_admin_api_key_lists);
    RUN(test_usage_counts_groups_and_assets);
    RUN(test_usage_delete_group_counts_its_assets);
    RUN(test_usage_sessions_videos_and_audit);
    RUN(test_usage_add_and_ranges);
    RUN(test_audit_keys);
    RUN(test_usage_counters_exact_across_two_nodes);
    RUN(test_fleet_token_leases);
    RUN(test_fleet_places_in_flight);
    RUN(test_fleet_quota_pending);
    RUN(test_fleet_dead_node_taken_over);
    RUN(test_fleet_concurrent_leases_never_exceed_the_bucket);
    return check_summary();
}
