/* pg_driver.c — the PostgreSQL driver under the store (driver.h): the
 * per-node connection pool, statement execution with a client-side
 * deadline, result mapping, transactions, parameter binding, and the
 * statement primitives.
 *
 * Invariants: a connection goes back to the pool outside any transaction
 * (pg_put rolls back what a failed path left open, or drops the
 * connection); a connection that lost its server is marked broken and is
 * replaced by the next user of its slot, so a database restart costs each
 * slot one failed request at most, and during the outage every caller gets
 * STORE_UNAVAILABLE within the connect timeout or the backoff, never a hang. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/pg_int.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- waiting on a connection ------------------------------------------- */

/* Waits for events on the connection's socket until deadline (monotonic
 * ms); 1 ready, 0 timed out, -1 error. */
static int pg_poll(PGconn *db, short events, int64_t deadline)
{
    struct pollfd pfd = {.fd = PQsocket(db), .events = events};
    if (pfd.fd < 0)
        return -1;
    for (;;) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return 0;
        int n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
        if (n > 0)
            return 1;
        if (n == 0)
            continue; /* re-check the clock */
        if (errno != EINTR)
            return -1;
    }
}

/* Sends what is queued and collects the results of one command. Returns
 * the first error result, else the last result; NULL when the connection
 * failed or the deadline passed (*timed_out set). */
static PGresult *pg_wait(PGconn *db, int64_t deadline, int *timed_out)
{
    *timed_out = 0;
    for (;;) {
        int f = PQflush(db);
        if (f < 0)
            return NULL;
        if (f == 0)
            break;
        int w = pg_poll(db, POLLIN | POLLOUT, deadline);
        if (w <= 0) {
            *timed_out = w == 0;
            return NULL;
        }
        if (!PQconsumeInput(db))
            return NULL;
    }
    PGresult *keep = NULL;
    for (;;) {
        while (PQisBusy(db)) {
            int w = pg_poll(db, POLLIN, deadline);
            if (w <= 0) {
                *timed_out = w == 0;
                PQclear(keep);
                return NULL;
            }
            if (!PQconsumeInput(db)) {
                PQclear(keep);
                return NULL;
            }
        }
        PGresult *r = PQgetResult(db);
        if (!r)
            break;
        ExecStatusType st = PQresultStatus(r);
        int is_err = st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE;
        if (keep && (PQresultStatus(keep) == PGRES_FATAL_ERROR || PQresultStatus(keep) == PGRES_BAD_RESPONSE) &&
            !is_err) {
            PQclear(r); /* the first error is the one that matters */
        } else {
            PQclear(keep);
            keep = r;
        }
        if (PQstatus(db) == CONNECTION_BAD)
            break;
    }
    return keep;
}

/* SQLSTATEs that mean "the database is not available right now", as
 * opposed to a bug in a statement. */
static int pg_state_unavailable(const char *st, int *broken)
{
    if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0) {
        *broken = 1; /* connection exception, admin/crash shutdown */
        return 1;
    }
    return strcmp(st, "57014") == 0     /* query_canceled: statement_timeout */
           || strncmp(st, "53", 2) == 0 /* insufficient resources (too many connections) */
           || strcmp(st, "55P03") == 0  /* lock_not_available */
           || strcmp(st, "40001") == 0  /* serialization_failure */
           || strcmp(st, "40P01") == 0  /* deadlock_detected */
           || strcmp(st, "25P03") == 0; /* idle_in_transaction_session_timeout */
}

/* Maps a result (NULL: no answer) to a store result. */
static enum store_result pg_map(struct pg_conn *c, PGresult *res, int timed_out, const char *what)
{
    if (!res) {
        c->broken = 1;
        log_warn("store: postgres %s: %s", what,
                 timed_out ? "no answer before the deadline" : PQerrorMessage(c->db));
        return STORE_UNAVAILABLE;
    }
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return STORE_OK;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorMessage(res);
    if (PQstatus(c->db) == CONNECTION_BAD || !state) {
        c->broken = 1;
        log_warn("store: postgres %s: connection lost: %s", what, msg);
        return STORE_UNAVAILABLE;
    }
    if (strcmp(state, "23505") == 0)
        return STORE_CONFLICT;
    int broken = 0;
    if (pg_state_unavailable(state, &broken)) {
        if (broken)
            c->broken = 1;
        log_warn("store: postgres %s: %s (%s)", what, msg, state);
        return STORE_UNAVAILABLE;
    }
    log_error("store: postgres %s failed: %s (%s)", what, msg, state);
    return STORE_ERROR;
}

/* The connection's deadline for one command. */
static int64_t pg_deadline(const struct pg_store *s)
{
    return clock_mono_ms() + s->statement_timeout_ms + 2000;
}

/* Runs sql with parameters p (NULL: none): prepared once per connection
 * as "c<slot>" when slot >= 0, else sent unnamed. *res_out (may be NULL)
 * gets the result on success (PQclear it); the store result maps the
 * SQLSTATE (unique violation -> CONFLICT, connection loss, timeouts,
 * shutdowns -> UNAVAILABLE). */
static enum store_result pg_run(struct pg_conn *c, int slot, const char *sql, const struct pg_params *p,
                                PGresult **res_out)
{
    static const struct pg_params none;
    struct pg_store *s = c->owner;
    if (res_out)
        *res_out = NULL;
    if (!p)
        p = &none;
    if (c->broken || !c->db)
        return STORE_UNAVAILABLE;
    int timed_out = 0;
    char name[16];
    if (slot >= 0) {
        snprintf(name, sizeof name, "c%d", slot);
        if (c->cache_sql[slot] != sql) {
            if (!PQsendPrepare(c->db, name, sql, p->n, NULL))
                return pg_map(c, NULL, 0, sql);
            PGresult *pr = pg_wait(c->db, pg_deadline(s), &timed_out);
            enum store_result r = pg_map(c, pr, timed_out, sql);
            PQclear(pr);
            if (r != STORE_OK)
                return r;
            c->cache_sql[slot] = sql;
        }
        if (!PQsendQueryPrepared(c->db, name, p->n, p->v, p->len, p->fmt, 0))
            return pg_map(c, NULL, 0, sql);
    } else if (!PQsendQueryParams(c->db, sql, p->n, NULL, p->v, p->len, p->fmt, 0)) {
        return pg_map(c, NULL, 0, sql);
    }
    PGresult *res = pg_wait(c->db, pg_deadline(s), &timed_out);
    enum store_result r = pg_map(c, res, timed_out, sql);
    if (r == STORE_OK && res_out)
        *res_out = res;
    else
        PQclear(res);
    return r;
}

/* A plain command without parameters (BEGIN, COMMIT, ...). */
static enum store_result pg_cmd(struct pg_conn *c, const char *sql)
{
    return pg_run(c, -1, sql, NULL, NULL);
}

/* Ends a transaction: commits when r is STORE_OK (and may turn it into an
 * error), else rolls back. */
static enum store_result pg_end(struct pg_conn *c, enum store_result r)
{
    if (r == STORE_OK)
        return pg_cmd(c, "COMMIT");
    if (!c->broken && c->db && PQtransactionStatus(c->db) != PQTRANS_IDLE)
        pg_cmd(c, "ROLLBACK");
    return r;
}

/* ---- connections -------------------------------------------------------- */

/* Server notices (and a shutdown's FATAL on an idle connection) go to
 * the log as one JSON line, not raw to stderr. */
static void pg_notice(void *arg, const char *message)
{
    (void)arg;
    log_warn("store: postgres says: %.*s", (int)strcspn(message, "\n"), message);
}

PGconn *pg_connect(const char *conninfo, int statement_timeout_ms)
{
    /* Keywords before dbname are defaults the operator's conninfo (expanded
     * from dbname) may override; keepalives notice a vanished server. */
    const char *kw[] = {"connect_timeout", "application_name", "keepalives", "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "dbname", NULL};
    const char *val[] = {PG_CONNECT_TIMEOUT_S, "porticod", "1", "10", "5", "3", conninfo, NULL};
    PGconn *db = PQconnectdbParams(kw, val, 1);
    if (!db || PQstatus(db) != CONNECTION_OK) {
        log_warn("store: cannot connect to postgres: %s", db ? PQerrorMessage(db) : "out of memory");
        PQfinish(db);
        return NULL;
    }
    /* Session settings: a statement can never run past the timeout on the
     * server, and a transaction left open by a stuck client is ended. */
    char sql[200];
    snprintf(sql, sizeof sql,
             "SET statement_timeout = %d; SET idle_in_transaction_session_timeout = %d;"
             " SET client_encoding = 'UTF8'; SET client_min_messages = warning",
             statement_timeout_ms, statement_timeout_ms * 4 + 10000);
    PQsetNoticeProcessor(db, pg_notice, NULL);
    if (PQsetnonblocking(db, 1) != 0 || !PQsendQuery(db, sql)) {
        log_warn("store: postgres session setup failed: %s", PQerrorMessage(db));
        PQfinish(db);
        return NULL;
    }
    int timed_out = 0;
    PGresult *res = pg_wait(db, clock_mono_ms() + statement_timeout_ms + 2000, &timed_out);
    int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        log_warn("store: postgres session setup failed: %s",
                 res ? PQresultErrorMessage(res) : timed_out ? "timeout" : PQerrorMessage(db));
    PQclear(res);
    if (!ok) {
        PQfinish(db);
        return NULL;
    }
    return db;
}

/* A pooled idle connection whose socket is readable has been told
 * something: the server going away. Noticing it here keeps a request from
 * being spent on a dead connection after a database restart. */
static void pg_check_idle(struct pg_conn *c)
{
    if (!c->db || c->broken)
        return;
    struct pollfd pfd = {.fd = PQsocket(c->db), .events = POLLIN};
    if (pfd.fd < 0) {
        c->broken = 1;
        return;
    }
    /* We never LISTEN, so an idle connection is only sent something when
     * the server is ending it (a shutdown's FATAL, then EOF): reconnect. */
    if (poll(&pfd, 1, 0) > 0)
        c->broken = 1;
}

struct pg_conn *pg_get(struct pg_store *s)
{
    struct timespec ts = clock_deadline(s->statement_timeout_ms); /* s->cv is monotonic (pg.c) */
    pthread_mutex_lock(&s->mu);
    while (s->n_idle == 0) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT && s->n_idle == 0) {
            pthread_mutex_unlock(&s->mu);
            log_warn("store: no postgres connection free within %d ms", s->statement_timeout_ms);
            return NULL;
        }
    }
    struct pg_conn *c = &s->slots[s->idle[--s->n_idle]];
    int64_t down_until = s->down_until_ms;
    pthread_mutex_unlock(&s->mu);

    pg_check_idle(c);
    if (c->db && !c->broken)
        return c;
    /* (Re)connect this slot, unless the server was just found down. */
    if (c->db) {
        PQfinish(c->db);
        c->db = NULL;
    }
    memset(c->cache_sql, 0, sizeof c->cache_sql);
    c->broken = 0;
    if (clock_mono_ms() < down_until) {
        pg_put(s, c);
        return NULL;
    }
    c->db = pg_connect(s->conninfo, s->statement_timeout_ms);
    if (!c->db) {
        pthread_mutex_lock(&s->mu);
        s->down_until_ms = clock_mono_ms() + PG_RECONNECT_BACKOFF_MS;
        pthread_mutex_unlock(&s->mu);
        pg_put(s, c);
        return NULL;
    }
    return c;
}

void pg_put(struct pg_store *s, struct pg_conn *c)
{
    if (!c)
        return;
    if (c->db && !c->broken && PQtransactionStatus(c->db) != PQTRANS_IDLE) {
        /* A path that failed inside a transaction: end it here. */
        if (pg_cmd(c, "ROLLBACK") != STORE_OK)
            c->broken = 1;
    }
    if (c->db && c->broken) {
        PQfinish(c->db);
        c->db = NULL;
        c->broken = 0;
        memset(c->cache_sql, 0, sizeof c->cache_sql);
    memset(c->cache_sql, 0, sizeof c->cache_sql);
    }
    pthread_mutex_lock(&s->mu);
    s->idle[s->n_idle++] = c->slot;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void pg_pool_drain(struct pg_store *s)
{
    for (int i = 0; i < s->pool_size; i++) {
        if (s->slots[i].db)
            PQfinish(s->slots[i].db);
        s->slots[i].db = NULL;
    }
}

/* ---- the driver (driver.h) ---------------------------------------------- */

SQL_DRIVER_CASTS(pg_c, struct pg_conn, pg_s, struct pg_stmt)

static struct sql_conn *pgd_get(struct store *s)
{
    struct pg_conn *c = pg_get(pg_of(s));
    if (!c)
        return NULL;
    c->tx = 0;
    return &c->base;
}

static void pgd_put(struct store *s, struct sql_conn *c)
{
    pg_put(pg_of(s), pg_c(c));
}

static enum store_result pgd_begin(struct sql_conn *conn, enum sql_tx kind)
{
    struct pg_conn *c = pg_c(conn);
    enum store_result r = STORE_OK;
    /* A single statement is its own transaction (autocommit). */
    if (kind == SQL_TX_WRITE)
        r = pg_cmd(c, "BEGIN");
    else if (kind == SQL_TX_SNAPSHOT)
        /* One snapshot for every statement: a count matches its page. */
        r = pg_cmd(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    c->tx = kind != SQL_TX_ONE && r == STORE_OK;
    return r;
}

static enum store_result pgd_end(struct sql_conn *conn, enum store_result r)
{
    struct pg_conn *c = pg_c(conn);
    if (!c->tx)
        return r;
    c->tx = 0;
    return pg_end(c, r);
}

static enum store_result pgd_prepare(struct sql_conn *conn, const char *sql, int flags, struct sql_stmt **out)
{
    struct pg_conn *c = pg_c(conn);
    struct pg_stmt *st = calloc(1, sizeof *st);
    if (!st) {
        log_error("store: out of memory");
        return STORE_ERROR;
    }
    st->base.c = conn;
    st->sql = sql;
    st->slot = -1;
    if (flags & SQL_CACHE) {
        size_t slot = sql_cache_slot(sql, PG_CACHE_SLOTS);
        for (size_t k = 0; k < PG_CACHE_SLOTS; k++, slot = (slot + 1) % PG_CACHE_SLOTS) {
            if (!c->cache_sql[slot] || c->cache_sql[slot] == sql) {
                st->slot = (int)slot;
                break;
            }
        }
    }
    *out = &st->base;
    return STORE_OK;
}

static void pg_p_at(struct pg_params *p, int i, const char *v, int len, int fmt)
{
    if (i < 1 || i > PG_MAX_PARAMS)
        return;
    p->v[i - 1] = v;
    p->len[i - 1] = len;
    p->fmt[i - 1] = fmt;
    if (p->n < i)
        p->n = i;
}

static void pgd_bind_text(struct sql_stmt *st, int i, const char *v)
{
    pg_p_at(&pg_s(st)->p, i, v, 0, 0);
}

static void pgd_bind_i64(struct sql_stmt *st, int i, int64_t v)
{
    struct pg_params *p = &pg_s(st)->p;
    if (i < 1 || i > PG_MAX_PARAMS)
        return;
    snprintf(p->num[i - 1], sizeof p->num[i - 1], "%lld", (long long)v);
    pg_p_at(p, i, p->num[i - 1], 0, 0);
}

static void pgd_bind_blob(struct sql_stmt *st, int i, const void *v, int n)
{
    pg_p_at(&pg_s(st)->p, i, v, n, 1);
}

static enum store_result pgd_step(struct sql_stmt *stmt, int *row)
{
    struct pg_stmt *st = pg_s(stmt);
    *row = 0;
    if (!st->executed) {
        st->executed = 1;
        enum store_result r = pg_run(pg_c(stmt->c), st->slot, st->sql, &st->p, &st->res);
        if (r != STORE_OK)
            return r;
        st->n_rows = PQntuples(st->res);
        st->row = -1;
    }
    if (st->row < st->n_rows)
        st->row++;
    *row = st->row < st->n_rows;
    return STORE_OK;
}

static const char *pgd_col_text(struct sql_stmt *stmt, int i)
{
    struct pg_stmt *st = pg_s(stmt);
    if (!st->res || st->row < 0 || st->row >= st->n_rows || PQgetisnull(st->res, st->row, i))
        return "";
    return PQgetvalue(st->res, st->row, i);
}

static int64_t pgd_col_i64(struct sql_stmt *stmt, int i)
{
    return strtoll(pgd_col_text(stmt, i), NULL, 10);
}

/* bytea in text form is "\x" and hex digits. */
static int pgd_col_blob(struct sql_stmt *stmt, int i, void *dst, int cap)
{
    const char *v = pgd_col_text(stmt, i);
    size_t len = strlen(v);
    if (len < 2 || v[0] != '\\' || v[1] != 'x' || (len - 2) % 2 || (len - 2) / 2 > (size_t)cap)
        return -1;
    uint8_t *out = dst;
    for (size_t k = 0; k < (len - 2) / 2; k++) {
        unsigned int b;
        if (sscanf(v + 2 + 2 * k, "%2x", &b) != 1)
            return -1;
        out[k] = (uint8_t)b;
    }
    return (int)((len - 2) / 2);
}

static int pgd_changes(struct sql_stmt *st)
{
    PGresult *res = pg_s(st)->res;
    const char *n = res ? PQcmdTuples(res) : "";
    return n && *n ? atoi(n) : 0;
}

static void pgd_finish(struct sql_stmt *stmt)
{
    struct pg_stmt *st = pg_s(stmt);
    PQclear(st->res);
    free(st);
}

const struct sql_driver pg_driver = {
    .name = "postgres", .dialect = SQL_DIALECT_PG, .row_locks = 1,
    .get = pgd_get, .put = pgd_put, .begin = pgd_begin, .end = pgd_end,
    .prepare = pgd_prepare, .bind_text = pgd_bind_text, .bind_i64 = pgd_bind_i64, .bind_blob = pgd_bind_blob,
    .step = pgd_step, .col_text = pgd_col_text, .col_i64 = pgd_col_i64, .col_blob = pgd_col_blob,
    .changes = pgd_changes, .finish = pgd_finish, .leases = &pg_leases, .close = pg_close_store,
};
