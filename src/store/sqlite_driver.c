/* sqlite_driver.c — the SQLite driver under the store (driver.h): the
 * connection pool, the per-connection statement cache, transactions,
 * result-code mapping, and the statement primitives.
 *
 * SQL reaches SQLite as written for both databases: the $n placeholders
 * become ?n (the same parameter, SQLite's syntax), and strpos(), which
 * PostgreSQL has and SQLite has not, is registered on every connection.
 *
 * Invariant: a connection goes back to the pool outside any transaction;
 * sq_put rolls back whatever a failed path may have left open, so one bad
 * operation can never hold the write lock for the next user. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "util/log.h"

/* strpos(haystack, needle): the 1-based character position of needle, 0
 * when absent, NULL when either is NULL (PostgreSQL's, as instr()). */
static void sq_strpos(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return; /* NULL */
    const char *h = (const char *)sqlite3_value_text(argv[0]);
    const char *n = (const char *)sqlite3_value_text(argv[1]);
    if (!h || !n) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    const char *at = strstr(h, n);
    int64_t pos = 0;
    if (at) {
        pos = 1;
        for (const char *p = h; p < at; p++)
            pos += ((unsigned char)*p & 0xC0) != 0x80;
    }
    sqlite3_result_int64(ctx, pos);
}

struct sq_conn *sq_conn_open(struct sq_store *s, const char *path, int *rc_out)
{
    struct sq_conn *c = calloc(1, sizeof *c);
    int rc = SQLITE_NOMEM;
    if (!c)
        goto fail;
    c->base.d = &sq_driver;
    c->owner = s;
    /* NOMUTEX: the pool guarantees one user at a time per connection. */
    rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, SQ_BUSY_TIMEOUT_MS);
    /* WAL + NORMAL: a commit is in the WAL file before COMMIT returns, so a
     * process crash loses nothing acknowledged (only a power loss could
     * roll back the last transactions). Foreign keys are per connection. */
    rc = sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    rc = sqlite3_create_function_v2(c->db, "strpos", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                    sq_strpos, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    if (rc_out)
        *rc_out = SQLITE_OK;
    return c;

fail:
    log_error("store: cannot open %s: %s", path,
              c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    if (rc_out)
        *rc_out = rc;
    if (c) {
        sqlite3_close_v2(c->db);
        free(c);
    }
    return NULL;
}

void sq_conn_close(struct sq_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < SQ_TX_STMTS; i++)
        sqlite3_finalize(c->tx_stmt[i]);
    for (int i = 0; i < SQ_CACHE_SLOTS; i++) {
        if (c->cache[i]) {
            sqlite3_finalize(c->cache[i]->st);
            free(c->cache[i]);
        }
    }
    sqlite3_close_v2(c->db);
    free(c);
}

struct sq_conn *sq_get(struct sq_store *s)
{
    pthread_mutex_lock(&s->pool_mu);
    struct sq_conn *c = s->idle;
    if (c) {
        s->idle = c->next;
        s->n_idle--;
    }
    pthread_mutex_unlock(&s->pool_mu);
    if (c) {
        c->next = NULL;
        return c;
    }
    return sq_conn_open(s, s->path, NULL);
}

void sq_put(struct sq_store *s, struct sq_conn *c)
{
    if (!c)
        return;
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    if (c->tx == SQ_TX_WRITE) /* a path that never ended its transaction */
        pthread_mutex_unlock(&s->write_mu);
    c->tx = SQ_TX_NONE;
    pthread_mutex_lock(&s->pool_mu);
    if (s->n_idle < SQ_POOL_IDLE_MAX) {
        c->next = s->idle;
        s->idle = c;
        s->n_idle++;
        c = NULL;
    }
    pthread_mutex_unlock(&s->pool_mu);
    sq_conn_close(c); /* beyond the idle cap: a burst's extra connection */
}

void sq_pool_drain(struct sq_store *s)
{
    pthread_mutex_lock(&s->pool_mu);
    struct sq_conn *c = s->idle;
    s->idle = NULL;
    s->n_idle = 0;
    pthread_mutex_unlock(&s->pool_mu);
    while (c) {
        struct sq_conn *next = c->next;
        sq_conn_close(c);
        c = next;
    }
}

/* Maps an SQLite result code to a store result, logging errors. */
static enum store_result sq_result(struct sq_conn *c, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return STORE_OK;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return STORE_CONFLICT;
        /* A parent row that does not exist (e.g. add_key for an unknown
         * customer) is the same answer as any other missing row. */
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            return STORE_NOT_FOUND;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
        log_error("store: %s: database unavailable: %s", what, c ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        return STORE_UNAVAILABLE;
    default:
        break;
    }
    log_error("store: %s: %s (%d)", what, c ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), rc);
    return STORE_ERROR;
}

/* Runs one of the connection's transaction statements. */
static enum store_result sq_tx(struct sq_conn *c, enum sq_tx_stmt id)
{
    static const char *const sql[SQ_TX_STMTS] = {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};
    if (!c->tx_stmt[id]) {
        int rc = sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->tx_stmt[id], NULL);
        if (rc != SQLITE_OK)
            return sq_result(c, rc, sql[id]);
    }
    enum store_result r = sq_result(c, sqlite3_step(c->tx_stmt[id]), sql[id]);
    sqlite3_reset(c->tx_stmt[id]);
    return r;
}

/* ---- the driver (driver.h) ---------------------------------------------- */

SQL_DRIVER_CASTS(sq_c, struct sq_conn, sq_s, struct sq_stmt)

static struct sql_conn *sqd_get(struct store *s)
{
    struct sq_conn *c = sq_get(sq_of(s));
    return c ? &c->base : NULL;
}

static void sqd_put(struct store *s, struct sql_conn *c)
{
    sq_put(sq_of(s), sq_c(c));
}

static enum store_result sqd_begin(struct sql_conn *conn, enum sql_tx kind)
{
    struct sq_conn *c = sq_c(conn);
    if (kind == SQL_TX_SNAPSHOT) {
        enum store_result r = sq_tx(c, SQ_BEGIN); /* a read transaction is one snapshot */
        c->tx = r == STORE_OK ? SQ_TX_READ : SQ_TX_NONE;
        return r;
    }
    /* Writers, a single statement too, take write_mu for the whole
     * transaction. IMMEDIATE takes the write lock now: a quota count read
     * inside the transaction cannot be invalidated by another writer before
     * our insert, in this process or any other. */
    pthread_mutex_lock(&c->owner->write_mu);
    enum store_result r = sq_tx(c, SQ_BEGIN_IMMEDIATE);
    if (r != STORE_OK)
        pthread_mutex_unlock(&c->owner->write_mu);
    c->tx = r == STORE_OK ? SQ_TX_WRITE : SQ_TX_NONE;
    return r;
}

static enum store_result sqd_end(struct sql_conn *conn, enum store_result r)
{
    struct sq_conn *c = sq_c(conn);
    if (c->tx == SQ_TX_NONE)
        return r;
    if (c->tx == SQ_TX_READ) {
        c->tx = SQ_TX_NONE;
        enum store_result e = sq_tx(c, SQ_COMMIT);
        if (!sqlite3_get_autocommit(c->db))
            sq_tx(c, SQ_ROLLBACK);
        return r != STORE_OK ? r : e;
    }
    if (r == STORE_OK)
        r = sq_tx(c, SQ_COMMIT);
    if (!sqlite3_get_autocommit(c->db))
        sq_tx(c, SQ_ROLLBACK);
    c->tx = SQ_TX_NONE;
    pthread_mutex_unlock(&c->owner->write_mu);
    return r;
}

/* The SQL with $n placeholders written as ?n; outside quoted text only. */
static char *sq_dialect(const char *sql)
{
    char *out = strdup(sql);
    if (!out)
        return NULL;
    char quote = 0;
    for (char *p = out; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
            *p = '?';
        }
    }
    return out;
}

static enum store_result sqd_prepare(struct sql_conn *conn, const char *sql, int flags, struct sql_stmt **out)
{
    struct sq_conn *c = sq_c(conn);
    size_t slot = 0;
    int cache = 0;
    if (flags & SQL_CACHE) {
        slot = sql_cache_slot(sql, SQ_CACHE_SLOTS);
        for (size_t k = 0; k < SQ_CACHE_SLOTS; k++, slot = (slot + 1) % SQ_CACHE_SLOTS) {
            struct sq_stmt *hit = c->cache[slot];
            if (!hit) {
                cache = 1;
                break;
            }
            if (hit->sql == sql) {
                sqlite3_reset(hit->st);
                sqlite3_clear_bindings(hit->st);
                hit->changes = 0;
                *out = &hit->base;
                return STORE_OK;
            }
        }
    }
    struct sq_stmt *st = calloc(1, sizeof *st);
    char *text = sq_dialect(sql);
    if (!st || !text) {
        free(st);
        free(text);
        log_error("store: out of memory");
        return STORE_ERROR;
    }
    int rc = sqlite3_prepare_v3(c->db, text, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0, &st->st, NULL);
    free(text);
    if (rc != SQLITE_OK) {
        enum store_result r = sq_result(c, rc, "prepare");
        log_error("store: cannot prepare: %s", sql);
        sqlite3_finalize(st->st);
        free(st);
        return r == STORE_OK ? STORE_ERROR : r;
    }
    st->base.c = conn;
    st->sql = sql;
    st->cached = cache;
    if (cache)
        c->cache[slot] = st;
    *out = &st->base;
    return STORE_OK;
}

static void sqd_bind_text(struct sql_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(sq_s(st)->st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(sq_s(st)->st, i);
}

static void sqd_bind_i64(struct sql_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(sq_s(st)->st, i, v);
}

static void sqd_bind_blob(struct sql_stmt *st, int i, const void *v, int n)
{
    sqlite3_bind_blob(sq_s(st)->st, i, v, n, SQLITE_STATIC);
}

static enum store_result sqd_step(struct sql_stmt *stmt, int *row)
{
    struct sq_stmt *st = sq_s(stmt);
    struct sq_conn *c = sq_c(stmt->c);
    int rc = sqlite3_step(st->st);
    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        return STORE_OK;
    if (rc == SQLITE_DONE) {
        st->changes = sqlite3_changes(c->db);
        return STORE_OK;
    }
    return sq_result(c, rc, st->sql);
}

static const char *sqd_col_text(struct sql_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(sq_s(st)->st, i);
    return t ? (const char *)t : "";
}

static int64_t sqd_col_i64(struct sql_stmt *st, int i)
{
    return sqlite3_column_int64(sq_s(st)->st, i);
}

static int sqd_col_blob(struct sql_stmt *stmt, int i, void *dst, int cap)
{
    sqlite3_stmt *st = sq_s(stmt)->st;
    const void *v = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (n > cap || (n && !v))
        return -1;
    if (n)
        memcpy(dst, v, (size_t)n);
    return n;
}

static int sqd_changes(struct sql_stmt *st)
{
    return sq_s(st)->changes;
}

static void sqd_finish(struct sql_stmt *stmt)
{
    struct sq_stmt *st = sq_s(stmt);
    if (st->cached) {
        sqlite3_reset(st->st);
        return;
    }
    sqlite3_finalize(st->st);
    free(st);
}

const struct sql_driver sq_driver = {
    .name = "sqlite", .dialect = SQL_DIALECT_SQLITE, .row_locks = 0,
    .get = sqd_get, .put = sqd_put, .begin = sqd_begin, .end = sqd_end,
    .prepare = sqd_prepare, .bind_text = sqd_bind_text, .bind_i64 = sqd_bind_i64, .bind_blob = sqd_bind_blob,
    .step = sqd_step, .col_text = sqd_col_text, .col_i64 = sqd_col_i64, .col_blob = sqd_col_blob,
    .changes = sqd_changes, .finish = sqd_finish, .leases = &sq_leases, .close = sq_close_store,
};
