/* test_store_idem.c — the store ops of issue 8 on both backends: ClientToken
 * claims (store.h, idem_*) and the listing of unsettled reservations
 * (list_pending). SQLite always; PostgreSQL too when PORTICO_TEST_PG names
 * a test server (tests/run.py sets it), each run in a fresh database. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store/store.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define DAY (24 * 3600 * 1000LL)
#define T0 1700000000000LL

static struct store *(*open_store)(void);
static char tmpdir[256];
static char pg_url[512];

static struct store *open_sqlite(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/portico-idem-XXXXXX");
    if (!mkdtemp(tmpdir))
        return NULL;
    return store_sqlite_open(tmpdir);
}

static int pg_admin(const char *base, const char *sql)
{
    char url[600];
    snprintf(url, sizeof url, "%s/postgres", base);
    PGconn *c = PQconnectdb(url);
    int rc = -1;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
        if (rc)
            fprintf(stderr, "  %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

static struct store *open_pg(void)
{
    static int seq;
    const char *base = getenv("PORTICO_TEST_PG");
    char name[64], sql[160];
    snprintf(name, sizeof name, "idem_%d_%d", (int)getpid(), ++seq);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", name);
    if (pg_admin(base, sql) != 0)
        return NULL;
    snprintf(pg_url, sizeof pg_url, "%s/%s", base, name);
    return store_pg_open(pg_url);
}

static void close_store(struct store *s)
{
    if (s)
        s->ops->close(s);
    if (open_store == open_pg && pg_url[0]) {
        const char *base = getenv("PORTICO_TEST_PG");
        char sql[200];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", strrchr(pg_url, '/') + 1);
        pg_admin(base, sql);
        pg_url[0] = '\0';
    } else if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "  cannot remove %s\n", tmpdir);
        tmpdir[0] = '\0';
    }
}

static int64_t customer(struct store *s, const char *name)
{
    struct customer c;
    return s->ops->put_customer(s, name, 1, NULL, &c) == STORE_OK ? c.id : -1;
}

static enum store_idem claim(struct store *s, int64_t cu, const char *token, const char *hash, int64_t now,
                             char *result)
{
    enum store_idem st = (enum store_idem)-1;
    char scratch[STORE_IDEM_RESULT_MAX];
    enum store_result r =
        s->ops->idem_claim(s, cu, token, hash, now, now - DAY, now - 600000, &st, result ? result : scratch);
    return r == STORE_OK ? st : (enum store_idem)-1;
}

static void test_claim_complete_repeat_and_different(void)
{
    struct store *s = open_store();
    CHECK(s);
    if (!s)
        return;
    int64_t a = customer(s, "alice"), b = customer(s, "bob");
    char res[STORE_IDEM_RESULT_MAX];
    CHECK(claim(s, a, "tok", H1, T0, res) == STORE_IDEM_NEW);
    CHECK(claim(s, a, "tok", H1, T0 + 10, res) == STORE_IDEM_IN_PROGRESS);
    CHECK(claim(s, a, "tok", H2, T0 + 10, res) == STORE_IDEM_DIFFERENT);
    CHECK(claim(s, b, "tok", H1, T0 + 10, res) == STORE_IDEM_NEW); /* tokens are per customer */
    CHECK(s->ops->idem_complete(s, a, "tok", "group-20240101000000-abcde") == STORE_OK);
    CHECK(claim(s, a, "tok", H1, T0 + 20, res) == STORE_IDEM_SAME);
    CHECK_STR(res, "group-20240101000000-abcde");
    CHECK(claim(s, a, "tok", H2, T0 + 20, res) == STORE_IDEM_DIFFERENT);
    /* A completed token is not released. */
    CHECK(s->ops->idem_release(s, a, "tok") == STORE_NOT_FOUND);
    /* A released one is free again, for any request. */
    CHECK(s->ops->idem_release(s, b, "tok") == STORE_OK);
    CHECK(claim(s, b, "tok", H2, T0 + 30, res) == STORE_IDEM_NEW);
    close_store(s);
}

static void test_tokens_expire_after_24_hours(void)
{
    struct store *s = open_store();
    CHECK(s);
    if (!s)
        return;
    int64_t a = customer(s, "alice");
    char res[STORE_IDEM_RESULT_MAX];
    CHECK(claim(s, a, "old", H1, T0, res) == STORE_IDEM_NEW);
    CHECK(s->ops->idem_complete(s, a, "old", "first") == STORE_OK);
    CHECK(claim(s, a, "old", H1, T0 + DAY - 1, res) == STORE_IDEM_SAME);
    /* 24 h later the token is new, even for another request. */
    CHECK(claim(s, a, "old", H2, T0 + DAY + 1, res) == STORE_IDEM_NEW);
    CHECK(s->ops->idem_complete(s, a, "old", "second") == STORE_OK);
    CHECK(claim(s, a, "old", H2, T0 + DAY + 2, res) == STORE_IDEM_SAME);
    CHECK_STR(res, "second");
    /* idem_expire deletes what is older than its bound. */
    CHECK(claim(s, a, "other", H1, T0, res) == STORE_IDEM_NEW);
    int n = -1;
    CHECK(s->ops->idem_expire(s, T0 + 1, &n) == STORE_OK);
    CHECK(n == 1);
    CHECK(claim(s, a, "old", H2, T0 + DAY + 3, res) == STORE_IDEM_SAME);
    close_store(s);
}

static void test_stale_claim_is_taken_over(void)
{
    struct store *s = open_store();
    CHECK(s);
    if (!s)
        return;
    int64_t a = customer(s, "alice");
    CHECK(claim(s, a, "dead", H1, T0, NULL) == STORE_IDEM_NEW);
    CHECK(claim(s, a, "dead", H1, T0 + 60000, NULL) == STORE_IDEM_IN_PROGRESS);
    /* Its process died: ten minutes on, another request may take it. */
    CHECK(claim(s, a, "dead", H1, T0 + 600001, NULL) == STORE_IDEM_NEW);
    CHECK(claim(s, a, "dead", H1, T0 + 600002, NULL) == STORE_IDEM_IN_PROGRESS);
    close_store(s);
}

struct racer {
    struct store *s;
    int64_t cu;
    enum store_idem got;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    r->got = claim(r->s, r->cu, "race", H1, T0, NULL);
    return NULL;
}

static void test_concurrent_claims_one_wins(void)
{
    struct store *s = open_store();
    CHECK(s);
    if (!s)
        return;
    int64_t a = customer(s, "alice");
    struct racer r[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        r[i] = (struct racer){s, a, (enum store_idem)-1};
        pthread_create(&th[i], NULL, race, &r[i]);
    }
    int news = 0, waits = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        news += r[i].got == STORE_IDEM_NEW;
        waits += r[i].got == STORE_IDEM_IN_PROGRESS;
    }
    CHECK(news == 1);
    CHECK(waits == 7);
    close_store(s);
}

static void test_list_pending_names_unsettled_reservations(void)
{
    struct store *s = open_store();
    CHECK(s);
    if (!s)
        return;
    int64_t a = customer(s, "alice");
    int64_t hg = 0, hg2 = 0, ha = 0, hb = 0;
    CHECK(s->ops->reserve_group(s, a, "AIGC", "live", "", 50, T0, NULL, &hg) == STORE_OK);
    CHECK(s->ops->confirm_group(s, hg, "group-20240101000000-aaaaa", T0) == STORE_OK);
    CHECK(s->ops->reserve_group(s, a, "AIGC", "pending", "", 50, T0 + 1, NULL, &hg2) == STORE_OK);
    CHECK(s->ops->reserve_asset(s, a, "group-20240101000000-aaaaa", "Image", "", "http://127.0.0.1:9/a.png",
                                "media/2024/01/01/ab.png", 0, NULL, 50, T0 + 2, NULL, &ha, NULL) == STORE_OK);
    CHECK(s->ops->reserve_asset(s, a, "group-20240101000000-aaaaa", "Video", "v", "http://127.0.0.1:9/b.mp4", "", 0, NULL, 50,
                                T0 + 3, NULL, &hb, NULL) == STORE_OK);
    struct store_pending_list l = {0};
    CHECK(s->ops->list_pending(s, T0 + 3, 100, &l) == STORE_OK);
    CHECK(l.n == 2); /* reserved before T0 + 3: the pending group and the upload */
    if (l.n == 2) {
        CHECK(l.items[0].is_group && l.items[0].handle == hg2 && l.items[0].reserved_ms == T0 + 1);
        CHECK_STR(l.items[0].type, "AIGC");
        CHECK(!l.items[1].is_group && l.items[1].handle == ha && l.items[1].customer_id == a);
        CHECK_STR(l.items[1].group_id, "group-20240101000000-aaaaa");
        CHECK_STR(l.items[1].blob_key, "media/2024/01/01/ab.png");
        CHECK(!l.items[1].group_deleted);
    }
    free(l.items);
    /* A group delete sweeps the asset reservations up: still listed, marked. */
    CHECK(s->ops->delete_group(s, a, "group-20240101000000-aaaaa", T0 + 5, NULL) == STORE_OK);
    CHECK(s->ops->list_pending(s, T0 + 10, 100, &l) == STORE_OK);
    CHECK(l.n == 3);
    for (size_t i = 0; i < l.n; i++)
        CHECK(l.items[i].is_group || l.items[i].group_deleted);
    free(l.items);
    /* Settled ones are gone from the list. */
    CHECK(s->ops->confirm_group(s, hg2, "group-20240101000000-bbbbb", T0 + 6) == STORE_OK);
    CHECK(s->ops->release_asset(s, ha) == STORE_OK);
    CHECK(s->ops->release_asset(s, hb) == STORE_OK);
    CHECK(s->ops->list_pending(s, T0 + 10, 100, &l) == STORE_OK);
    CHECK(l.n == 0);
    free(l.items);
    close_store(s);
}

/* RUN with the backend in the name, so both runs are told apart. */
#define RUN_ON(fn, tag)                                   \
    do {                                                  \
        check_failed_now = 0;                             \
        fn();                                             \
        printf("%s %s_%s\n", check_failed_now ? "FAIL" : "ok", #fn, tag); \
        if (check_failed_now)                             \
            check_failed++;                               \
        else                                              \
            check_passed++;                               \
        fflush(stdout);                                   \
    } while (0)

static void run_all(const char *tag)
{
    RUN_ON(test_claim_complete_repeat_and_different, tag);
    RUN_ON(test_tokens_expire_after_24_hours, tag);
    RUN_ON(test_stale_claim_is_taken_over, tag);
    RUN_ON(test_concurrent_claims_one_wins, tag);
    RUN_ON(test_list_pending_names_unsettled_reservations, tag);
}

int main(void)
{
    open_store = open_sqlite;
    run_all("sqlite");
    if (getenv("PORTICO_TEST_PG") && *getenv("PORTICO_TEST_PG")) {
        open_store = open_pg;
        run_all("pg");
    }
    return check_summary();
}
