/* sqlite_sessions.c — liveness (H5 face scan) sessions in the SQLite store:
 * the validate_sessions table of schema step 2.
 *
 * Invariant: a session's group_id goes from NULL to a group exactly once,
 * in the same write transaction that turns the group place the session
 * holds (or, for a session from before places were held, a quota check)
 * into that group; so two concurrent GetVisualValidateResult calls (or the
 * background poller) can never record two groups, and a quota refusal
 * records nothing. A session leaves the pending state once: recorded, or
 * closed with its place released in the same transaction.
 *
 * Sessions are rare next to asset reads, so their statements are prepared
 * per call instead of taking slots in the shared statement cache. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "util/log.h"

static sqlite3_stmt *ss_prepare(struct sq_conn *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("store: prepare failed (%s): %s", sqlite3_errmsg(c->db), sql);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

#define SS_COLS                                                                                        \
    "token, customer_id, callback_url, h5_link, expire_ms, COALESCE(group_id, ''), create_ms, update_ms,"   \
    " state, COALESCE(group_handle, 0), next_poll_ms, polls"

static void ss_read(sqlite3_stmt *st, struct validate_session *out)
{
    memset(out, 0, sizeof *out);
    sq_col_text(st, 0, out->token, sizeof out->token);
    out->customer_id = sqlite3_column_int64(st, 1);
    sq_col_text(st, 2, out->callback_url, sizeof out->callback_url);
    sq_col_text(st, 3, out->h5_link, sizeof out->h5_link);
    out->expire_ms = sqlite3_column_int64(st, 4);
    sq_col_text(st, 5, out->group_id, sizeof out->group_id);
    out->create_ms = sqlite3_column_int64(st, 6);
    out->update_ms = sqlite3_column_int64(st, 7);
    out->state = (enum store_session_state)sqlite3_column_int(st, 8);
    out->group_handle = sqlite3_column_int64(st, 9);
    out->next_poll_ms = sqlite3_column_int64(st, 10);
    out->polls = sqlite3_column_int(st, 11);
}

/* Steps a statement that returns no rows, finalizes it, maps the result. */
static enum store_result ss_exec(struct sq_conn *c, sqlite3_stmt *st, const char *what)
{
    enum store_result r = sq_result(c, sqlite3_step(st), what);
    sqlite3_finalize(st);
    return r;
}

enum store_result sq_create_session(struct store *s, const struct validate_session *v, int64_t now_ms)
{
    struct sq_store *ss = sq_of(s);
    if (!v || !sq_fits(v->token, STORE_TOKEN_MAX) || !v->token[0] || !sq_fits(v->callback_url, STORE_URL_MAX) ||
        !sq_fits(v->h5_link, STORE_LINK_MAX))
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = ss_prepare(c, "INSERT INTO validate_sessions(token, customer_id, callback_url, h5_link,"
                                     " expire_ms, group_id, create_ms, update_ms, state, group_handle,"
                                     " next_poll_ms, polls)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?6, 0, ?7, ?8, 0)");
    if (!st) {
        r = STORE_ERROR;
    } else {
        sq_bind_text(st, 1, v->token);
        sqlite3_bind_int64(st, 2, v->customer_id);
        sq_bind_text(st, 3, v->callback_url);
        sq_bind_text(st, 4, v->h5_link);
        sqlite3_bind_int64(st, 5, v->expire_ms);
        sqlite3_bind_int64(st, 6, now_ms);
        if (v->group_handle)
            sqlite3_bind_int64(st, 7, v->group_handle);
        else
            sqlite3_bind_null(st, 7);
        sqlite3_bind_int64(st, 8, v->next_poll_ms);
        r = ss_exec(c, st, "create_session");
    }
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

enum store_result sq_get_session(struct store *s, int64_t customer_id, const char *token,
                                 struct validate_session *out)
{
    struct sq_store *ss = sq_of(s);
    if (!token || !out)
        return STORE_ERROR;
    if (!sq_fits(token, STORE_TOKEN_MAX))
        return STORE_NOT_FOUND; /* longer than any token we record */
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = STORE_ERROR;
    /* customer_id in the WHERE: another customer's token reads as unknown. */
    sqlite3_stmt *st = ss_prepare(c, "SELECT " SS_COLS " FROM validate_sessions WHERE token = ?1 AND customer_id = ?2");
    if (!st)
        goto out;
    sq_bind_text(st, 1, token);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ss_read(st, out);
        r = STORE_OK;
    } else if (rc == SQLITE_DONE) {
        r = STORE_NOT_FOUND;
    } else {
        r = sq_result(c, rc, "get_session");
    }
    sqlite3_finalize(st);
out:
    sq_put(ss, c);
    return r;
}

/* Inside the write transaction: the session's recorded group into out
 * ("" if none), its state and the group place it holds. NOT_FOUND if the
 * session is not the customer's. */
static enum store_result ss_session_group(struct sq_conn *c, int64_t customer_id, const char *token,
                                          char out[static IDS_MAX], int *state, int64_t *handle)
{
    sqlite3_stmt *st = ss_prepare(c, "SELECT COALESCE(group_id, ''), state, COALESCE(group_handle, 0)"
                                     " FROM validate_sessions WHERE token = ?1 AND customer_id = ?2");
    if (!st)
        return STORE_ERROR;
    sq_bind_text(st, 1, token);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    enum store_result r = STORE_NOT_FOUND;
    if (rc == SQLITE_ROW) {
        sq_col_text(st, 0, out, IDS_MAX);
        *state = sqlite3_column_int(st, 1);
        *handle = sqlite3_column_int64(st, 2);
        r = STORE_OK;
    } else if (rc != SQLITE_DONE) {
        r = sq_result(c, rc, "record_session_group select");
    }
    sqlite3_finalize(st);
    return r;
}

enum store_result sq_record_session_group(struct store *s, int64_t customer_id, const char *token,
                                          const char *group_id, const char *name, int max_groups, int64_t now_ms,
                                          char group_out[static IDS_MAX])
{
    struct sq_store *ss = sq_of(s);
    if (!sq_fits(token, STORE_TOKEN_MAX) || !sq_fits(group_id, IDS_MAX) || !group_id[0] ||
        !sq_fits(name, STORE_NAME_MAX) || !name[0])
        return STORE_ERROR;
    char recorded[IDS_MAX] = "";
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    /* BEGIN IMMEDIATE: the session row, the quota count and the insert are
     * read and written under one write lock, so the session row is the lock
     * that lets only the first of concurrent callers record a group. */
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    int state = 0;
    int64_t held = 0;
    r = ss_session_group(c, customer_id, token, recorded, &state, &held);
    if (r != STORE_OK || recorded[0])
        goto end; /* unknown session, or the group is recorded already */
    if (state != STORE_SESSION_PENDING) {
        r = STORE_CONFLICT; /* closed: its place is gone */
        goto end;
    }
    sqlite3_stmt *st;
    if (held) {
        /* The place the session holds becomes the group. */
        st = ss_prepare(c, "UPDATE groups SET id = ?2, type = 'LivenessFace', name = ?3, description = '',"
                           " state = 1, create_ms = ?4, update_ms = ?4"
                           " WHERE handle = ?1 AND customer_id = ?5 AND state = 0 AND id IS NULL");
        if (!st) {
            r = STORE_ERROR;
            goto end;
        }
        sqlite3_bind_int64(st, 1, held);
        sq_bind_text(st, 2, group_id);
        sq_bind_text(st, 3, name);
        sqlite3_bind_int64(st, 4, now_ms);
        sqlite3_bind_int64(st, 5, customer_id);
        r = ss_exec(c, st, "record_session_group confirm");
        if (r != STORE_OK)
            goto end;
        if (sqlite3_changes(c->db) == 1)
            goto session;
        /* The reservation is gone (dropped by a start-up that thought it
         * abandoned): count the quota as for an old session. */
    }

    st = ss_prepare(c, "SELECT COUNT(*) FROM groups WHERE customer_id = ?1 AND state IN (0, 1)");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sqlite3_bind_int64(st, 1, customer_id);
    int rc = sqlite3_step(st);
    int64_t count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    r = sq_result(c, rc, "record_session_group count");
    sqlite3_finalize(st);
    if (r != STORE_OK)
        goto end;
    if (count >= max_groups) {
        r = STORE_QUOTA;
        goto end;
    }

    st = ss_prepare(c, "INSERT INTO groups(id, customer_id, type, name, description, state, reserved_ms,"
                       " create_ms, update_ms) VALUES (?1, ?2, 'LivenessFace', ?3, '', 1, ?4, ?4, ?4)");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_text(st, 1, group_id);
    sqlite3_bind_int64(st, 2, customer_id);
    sq_bind_text(st, 3, name);
    sqlite3_bind_int64(st, 4, now_ms);
    r = ss_exec(c, st, "record_session_group insert");
    if (r != STORE_OK)
        goto end;

session:
    st = ss_prepare(c, "UPDATE validate_sessions SET group_id = ?3, update_ms = ?4, state = 1"
                       " WHERE token = ?1 AND customer_id = ?2 AND group_id IS NULL");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_text(st, 1, token);
    sqlite3_bind_int64(st, 2, customer_id);
    sq_bind_text(st, 3, group_id);
    sqlite3_bind_int64(st, 4, now_ms);
    r = ss_exec(c, st, "record_session_group update");
    if (r == STORE_OK)
        snprintf(recorded, sizeof recorded, "%s", group_id);
end:
    r = sq_end_write(ss, c, r);
    if (r == STORE_OK)
        snprintf(group_out, IDS_MAX, "%s", recorded);
out:
    sq_put(ss, c);
    return r;
}

/* ---- the background poller's work (core/liveness_poller.c) ---- */

enum store_result sq_close_session(struct store *s, const char *token, enum store_session_state state,
                                   int64_t now_ms)
{
    struct sq_store *ss = sq_of(s);
    if (!sq_fits(token, STORE_TOKEN_MAX) ||
        (state != STORE_SESSION_EXPIRED && state != STORE_SESSION_FAILED))
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    /* The place first, while the session still names it. */
    sqlite3_stmt *st = ss_prepare(c, "DELETE FROM groups WHERE id IS NULL AND state = 0 AND handle ="
                                     " (SELECT group_handle FROM validate_sessions WHERE token = ?1 AND state = 0)");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_text(st, 1, token);
    r = ss_exec(c, st, "close_session release");
    if (r != STORE_OK)
        goto end;
    st = ss_prepare(c, "UPDATE validate_sessions SET state = ?2, update_ms = ?3 WHERE token = ?1 AND state = 0");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_text(st, 1, token);
    sqlite3_bind_int(st, 2, (int)state);
    sqlite3_bind_int64(st, 3, now_ms);
    r = ss_exec(c, st, "close_session");
    if (r == STORE_OK && sqlite3_changes(c->db) == 0)
        r = STORE_NOT_FOUND;
end:
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

/* One node uses an SQLite store, and its poller finishes a batch before it
 * reads the next: the lease is the read plus pushing next_poll_ms, in one
 * write transaction. */
enum store_result sq_lease_due_sessions(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                        struct validate_session_list *out)
{
    struct sq_store *ss = sq_of(s);
    if (!out || lease_ms < 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return STORE_OK;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    out->items = calloc(limit, sizeof *out->items);
    sqlite3_stmt *st = out->items ? ss_prepare(c, "SELECT " SS_COLS " FROM validate_sessions"
                                                  " WHERE state = 0 AND next_poll_ms <= ?1"
                                                  " ORDER BY next_poll_ms, create_ms LIMIT ?2")
                                  : NULL;
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < limit)
        ss_read(st, &out->items[out->n++]);
    r = sq_result(c, rc == SQLITE_ROW ? SQLITE_DONE : rc, "lease_due_sessions");
    sqlite3_finalize(st);
    for (size_t i = 0; r == STORE_OK && i < out->n; i++) {
        st = ss_prepare(c, "UPDATE validate_sessions SET next_poll_ms = ?2 WHERE token = ?1 AND state = 0");
        if (!st) {
            r = STORE_ERROR;
            break;
        }
        sq_bind_text(st, 1, out->items[i].token);
        sqlite3_bind_int64(st, 2, now_ms + lease_ms);
        r = ss_exec(c, st, "lease_due_sessions lease");
    }
end:
    r = sq_end_write(ss, c, r);
out:
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    sq_put(ss, c);
    return r;
}

enum store_result sq_schedule_session_poll(struct store *s, const char *token, int64_t next_poll_ms, int polls)
{
    struct sq_store *ss = sq_of(s);
    if (!sq_fits(token, STORE_TOKEN_MAX))
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = ss_prepare(c, "UPDATE validate_sessions SET next_poll_ms = ?2, polls = ?3"
                                     " WHERE token = ?1 AND state = 0");
    if (!st) {
        r = STORE_ERROR;
    } else {
        sq_bind_text(st, 1, token);
        sqlite3_bind_int64(st, 2, next_poll_ms);
        sqlite3_bind_int(st, 3, polls);
        r = ss_exec(c, st, "schedule_session_poll");
    }
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

/* A read of one integer from sql with ?1 bound to text (NULL: none). */
static enum store_result ss_read_int(struct store *s, const char *sql, const char *text, int64_t *out,
                                     const char *what)
{
    struct sq_store *ss = sq_of(s);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = STORE_ERROR;
    sqlite3_stmt *st = ss_prepare(c, sql);
    if (st) {
        if (text)
            sq_bind_text(st, 1, text);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *out = sqlite3_column_int64(st, 0);
        r = sq_result(c, rc == SQLITE_ROW ? SQLITE_DONE : rc, what);
        sqlite3_finalize(st);
    }
    sq_put(ss, c);
    return r;
}

enum store_result sq_oldest_pending_session(struct store *s, int64_t *create_ms_out)
{
    *create_ms_out = INT64_MAX;
    return ss_read_int(s, "SELECT COALESCE(MIN(create_ms), 9223372036854775807) FROM validate_sessions WHERE state = 0",
                       NULL, create_ms_out, "oldest_pending_session");
}

enum store_result sq_group_known(struct store *s, const char *id, int *known)
{
    int64_t n = 1; /* unsure counts as known */
    if (!sq_fits(id, IDS_MAX))
        return STORE_ERROR;
    enum store_result r = ss_read_int(s,
                                      "SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?1)"
                                      " OR EXISTS (SELECT 1 FROM validate_sessions WHERE group_id = ?1)",
                                      id, &n, "group_known");
    *known = r != STORE_OK || n != 0;
    return r;
}
