/* test_store_usage.c — usage metering and the audit log on SQLite (the
 * cases are store_usage_cases.h; test_store_pg.c runs them on
 * PostgreSQL), and the schema step's backfill: a database with records
 * from before metering gets counters a recount agrees with. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/driver.h"
#include "store_usage_cases.h"

#include "sqlite_fixture.h"

static void test_usage_counts_groups_and_assets(void)
{
    on_fresh_store(case_usage_counts_groups_and_assets);
}

static void test_usage_delete_group_counts_its_assets(void)
{
    on_fresh_store(case_usage_delete_group_counts_its_assets);
}

static void test_usage_sessions_videos_and_audit(void)
{
    on_fresh_store(case_usage_sessions_videos_and_audit);
}

static void test_usage_add_and_ranges(void)
{
    on_fresh_store(case_usage_add_and_ranges);
}

static void test_audit_keys(void)
{
    on_fresh_store(case_audit_keys);
}

static int exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "  %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    return rc;
}

/* The step that adds metering, applied to a database full of records
 * made before it: the counters it starts from agree with a recount. */
static void test_usage_backfill_of_older_records_recounts_clean(void)
{
    char dir[300], path[340];
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/portico.db", dir);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    int before = 10; /* every step before metering's, the 11th */
    for (int i = 0; i < before; i++) {
        char *step = sql_schema_step(SQL_DIALECT_SQLITE, i);
        CHECK(step && exec(db, step) == SQLITE_OK);
        free(step);
    }
    char sql[2048];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", before);
    CHECK(exec(db, sql) == SQLITE_OK);
    int64_t d1 = DAY0 + USAGE_DAY_MS;
    /* D0, D1: DAY0 and the day after, as the SQL's literals */
#define D0 "1728000000000"
#define D1 "1728086400000"
    CHECK(DAY0 == 1728000000000LL);
    snprintf(sql, sizeof sql, "%s",
             "INSERT INTO customers(id, name) VALUES (1, 'old');"
             "INSERT INTO groups(id, customer_id, type, name, state, reserved_ms, create_ms, update_ms, deleted_ms)"
             " VALUES ('group-1', 1, 'AIGC', 'a', 1, " D0 ", " D0 ", " D0 ", 0),"
             " ('group-2', 1, 'AIGC', 'b', 2, " D0 ", " D0 ", " D1 ", " D1 ");"
             "INSERT INTO groups(customer_id, type, name, state, reserved_ms, create_ms, update_ms)"
             " VALUES (1, 'AIGC', 'pending', 0, " D1 ", " D1 ", " D1 ");"
             "INSERT INTO assets(id, group_id, customer_id, type, url, status, state, reserved_ms, create_ms,"
             " update_ms, deleted_ms) VALUES"
             " ('asset-1', 'group-1', 1, 'Image', 'u', 'Active', 1, " D0 ", " D0 ", " D0 ", 0),"
             " ('asset-2', 'group-1', 1, 'Image', 'u', 'Processing', 1, " D1 ", " D1 ", " D1 ", 0),"
             " ('asset-3', 'group-2', 1, 'Image', 'u', 'Failed', 2, " D0 ", " D0 ", " D1 ", " D1 ");"
             "INSERT INTO video_tasks(id, customer_id, model, status, create_ms, update_ms) VALUES"
             " ('vid-1', 1, 'seedance-2.0', 'succeeded', " D0 ", " D1 "),"
             " ('vid-2', 1, 'seedance-2.0', 'queued', " D0 ", " D0 ");"
             "INSERT INTO validate_sessions(token, customer_id, expire_ms, group_id, create_ms, update_ms, state)"
             " VALUES ('t1', 1, " D0 ", 'group-1', " D0 ", " D0 ", 1), ('t2', 1, " D0 ", NULL, " D0 ", " D1 ", 3);");
#undef D0
#undef D1
    CHECK(exec(db, sql) == SQLITE_OK);
    sqlite3_close(db);

    struct store *s = store_sqlite_open(dir); /* applies the metering step */
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(uc_mismatches(s) == 0);
    CHECK(uc_day(s, 1, 0, USAGE_GROUPS_CREATED) == 2);
    CHECK(uc_day(s, 1, 1, USAGE_GROUPS_DELETED) == 1);
    CHECK(uc_day(s, 1, 1, USAGE_ASSETS_DELETED) == 1);
    CHECK(uc_stock(s, 1, 1, USAGE_LIVE_GROUPS) == 1);
    CHECK(uc_stock(s, 1, 1, USAGE_LIVE_ASSETS "Active") == 1);
    CHECK(uc_stock(s, 1, 1, USAGE_LIVE_ASSETS "Processing") == 1);
    CHECK(uc_stock(s, 1, 1, USAGE_LIVE_ASSETS "Failed") == 0);
    CHECK(uc_day(s, 1, 1, USAGE_VIDEOS_SUCCEEDED) == 1);
    CHECK(uc_day(s, 1, 0, USAGE_VIDEOS_CREATED) == 2);
    CHECK(uc_day(s, 1, 0, USAGE_LIVENESS_STARTED) == 2);
    CHECK(uc_day(s, 1, 0, USAGE_LIVENESS_PASSED) == 1);
    CHECK(uc_day(s, 1, 1, USAGE_LIVENESS_FAILED) == 1);
    /* and from there the store counts on, still agreeing */
    CHECK(s->ops->delete_asset(s, 1, "asset-1", d1 + 5, NULL) == STORE_OK);
    CHECK(uc_mismatches(s) == 0);
    s->ops->close(s);
}

int main(void)
{
    if (fixture_root_make("usage") != 0)
        return 1;
    RUN(test_usage_counts_groups_and_assets);
    RUN(test_usage_delete_group_counts_its_assets);
    RUN(test_usage_sessions_videos_and_audit);
    RUN(test_usage_add_and_ranges);
    RUN(test_audit_keys);
    RUN(test_usage_backfill_of_older_records_recounts_clean);
    fixture_root_remove();
    return check_summary();
}
