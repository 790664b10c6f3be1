/* sqlite_pool.c — the SQLite backend's plumbing: the connection pool, the
 * per-connection statement cache, transactions and result-code mapping.
 *
 * Invariant: a connection goes back to the pool outside any transaction;
 * sq_put rolls back whatever a failed path may have left open, so one bad
 * operation can never hold the write lock for the next user. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "util/log.h"

struct sq_conn *sq_conn_open(const char *path, int *rc_out)
{
    struct sq_conn *c = calloc(1, sizeof *c);
    int rc = SQLITE_NOMEM;
    if (!c)
        goto fail;
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
    for (int i = 0; i < SQ_STMT_COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
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
    return sq_conn_open(s->path, NULL);
}

void sq_put(struct sq_store *s, struct sq_conn *c)
{
    if (!c)
        return;
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
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

sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sq_stmt_id id, const char *sql)
{
    sqlite3_stmt *st = c->stmt[id];
    if (st) {
        sqlite3_reset(st);
        return st;
    }
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        log_error("store: prepare failed (%s): %s", sqlite3_errmsg(c->db), sql);
        sqlite3_finalize(st);
        return NULL;
    }
    c->stmt[id] = st;
    return st;
}

enum store_result sq_result(struct sq_conn *c, int rc, const char *what)
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

enum store_result sq_done(struct sq_conn *c, sqlite3_stmt *st, int rc, const char *what)
{
    enum store_result r = sq_result(c, rc, what);
    sqlite3_reset(st);
    return r;
}

static enum store_result sq_exec_cached(struct sq_conn *c, enum sq_stmt_id id, const char *sql)
{
    sqlite3_stmt *st = sq_stmt(c, id, sql);
    if (!st)
        return STORE_ERROR;
    return sq_done(c, st, sqlite3_step(st), sql);
}

enum store_result sq_begin_write(struct sq_store *s, struct sq_conn *c)
{
    pthread_mutex_lock(&s->write_mu);
    /* IMMEDIATE takes the write lock now: a quota count read inside the
     * transaction cannot be invalidated by another writer before our
     * insert, in this process or any other. */
    enum store_result r = sq_exec_cached(c, SQ_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE");
    if (r != STORE_OK)
        pthread_mutex_unlock(&s->write_mu);
    return r;
}

enum store_result sq_end_write(struct sq_store *s, struct sq_conn *c, enum store_result r)
{
    if (r == STORE_OK)
        r = sq_exec_cached(c, SQ_COMMIT, "COMMIT");
    if (!sqlite3_get_autocommit(c->db))
        sq_exec_cached(c, SQ_ROLLBACK, "ROLLBACK");
    pthread_mutex_unlock(&s->write_mu);
    return r;
}

enum store_result sq_begin_read(struct sq_conn *c)
{
    return sq_exec_cached(c, SQ_BEGIN, "BEGIN");
}

enum store_result sq_end_read(struct sq_conn *c, enum store_result r)
{
    enum store_result e = sq_exec_cached(c, SQ_COMMIT, "COMMIT");
    if (!sqlite3_get_autocommit(c->db))
        sq_exec_cached(c, SQ_ROLLBACK, "ROLLBACK");
    return r != STORE_OK ? r : e;
}

enum store_result sq_write_one(struct store *s, const struct sq_write *w, int *changes)
{
    struct sq_store *ss = sq_of(s);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = sq_stmt(c, w->id, w->sql);
    if (!st) {
        r = STORE_ERROR;
    } else {
        w->bind(st, w->arg);
        r = sq_done(c, st, sqlite3_step(st), w->what);
        if (r == STORE_OK && changes)
            *changes = sqlite3_changes(c->db);
    }
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

void sq_bind_handle(sqlite3_stmt *st, const void *arg)
{
    sqlite3_bind_int64(st, 1, *(const int64_t *)arg);
}

int sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (!v)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

void sq_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

int sq_fits(const char *v, size_t cap)
{
    return v && strnlen(v, cap) < cap;
}

enum store_result sq_write_row(struct store *s, const struct sq_write *w)
{
    int changes = 0;
    enum store_result r = sq_write_one(s, w, &changes);
    return r == STORE_OK && changes == 0 ? STORE_NOT_FOUND : r;
}
