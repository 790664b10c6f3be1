/* test_store_admin.c — the operators' records (API.md §7) on SQLite (the
 * cases are store_admin_cases.h; test_store_pg.c runs them on
 * PostgreSQL), and the schema step that brought them to a store that
 * already had customers and keys. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/driver.h"
#include "store_admin_cases.h"

#include "sqlite_fixture.h"

static void test_admin_keys(void)
{
    on_fresh_store(case_admin_keys);
}

static void test_customers(void)
{
    on_fresh_store(case_customers);
}

static void test_api_key_lists(void)
{
    on_fresh_store(case_api_key_lists);
}

/* A store at the step before the operators' (9) with customers and keys:
 * opening it migrates, and an old customer's CreateTime is its first
 * key's; one without keys has none (0); KeyRate and Disabled start off. */
static void test_step_10_migrates_existing_customers(void)
{
    char dir[300], path[400];
    fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/portico.db", dir);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    int ok = 1;
    for (int i = 0; i < 9 && ok; i++) {
        char *step = sql_schema_step(SQL_DIALECT_SQLITE, i);
        ok = step && sqlite3_exec(db, step, NULL, NULL, NULL) == SQLITE_OK;
        free(step);
    }
    CHECK(ok);
    CHECK(sqlite3_exec(db,
                       "PRAGMA user_version = 9;"
                       "INSERT INTO customers(id, name, aigc_enabled) VALUES (1, 'old', 1), (2, 'keyless', 0);"
                       "INSERT INTO api_keys(customer_id, prefix, hash, created_ms) VALUES"
                       " (1, 'ptc_OLD00002', x'02', 5000), (1, 'ptc_OLD00001', x'01', 3000);",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);

    struct store *s = store_sqlite_open(dir);
    CHECK(s != NULL);
    if (!s)
        return;
    struct customer c;
    CHECK(s->ops->get_customer(s, 1, &c) == STORE_OK);
    CHECK(c.create_ms == 3000 && c.key_rate == 0 && c.disabled == 0 && c.active_keys == 2 && c.aigc_enabled == 1);
    CHECK(s->ops->get_customer(s, 2, &c) == STORE_OK);
    CHECK(c.create_ms == 0 && c.aigc_enabled == 0 && c.active_keys == 0);
    struct admin_key_list l;
    CHECK(s->ops->list_admin_keys(s, &l) == STORE_OK);
    CHECK(l.n == 0);
    free(l.items);
    s->ops->close(s);
}

int main(void)
{
    if (fixture_root_make("admin") != 0)
        return 1;
    RUN(test_admin_keys);
    RUN(test_customers);
    RUN(test_api_key_lists);
    RUN(test_step_10_migrates_existing_customers);
    fixture_root_remove();
    return check_summary();
}
