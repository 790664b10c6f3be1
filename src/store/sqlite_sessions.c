/* sqlite_sessions.c — liveness (H5 face scan) sessions in the SQLite store:
 * the validate_sessions table of schema step 2.
 *
 * Invariant: a session's group_id goes from NULL to a group exactly once,
 * in the same write transaction that checks the customer's group quota and
 * inserts that group; so two concurrent GetVisualValidateResult calls can
 * never record two groups, and a quota refusal records nothing.
 *
 * Sessions are rare next to asset reads, so their statements are prepared
 * per call instead of taking slots in the shared statement cache. */
#include <stdio.h>
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
                                     " expire_ms, group_id, create_ms, update_ms)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?6)");
    if (!st) {
        r = STORE_ERROR;
    } else {
        sq_bind_text(st, 1, v->token);
        sqlite3_bind_int64(st, 2, v->customer_id);
        sq_bind_text(st, 3, v->callback_url);
        sq_bind_text(st, 4, v->h5_link);
        sqlite3_bind_int64(st, 5, v->expire_ms);
        sqlite3_bind_int64(st, 6, now_ms);
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
    sqlite3_stmt *st = ss_prepare(c, "SELECT token, customer_id, callback_url, h5_link, expire_ms,"
                                     " COALESCE(group_id, ''), create_ms, update_ms"
                                     " FROM validate_sessions WHERE token = ?1 AND customer_id = ?2");
    if (!st)
        goto out;
    sq_bind_text(st, 1, token);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        sq_col_text(st, 0, out->token, sizeof out->token);
        out->customer_id = sqlite3_column_int64(st, 1);
        sq_col_text(st, 2, out->callback_url, sizeof out->callback_url);
        sq_col_text(st, 3, out->h5_link, sizeof out->h5_link);
        out->expire_ms = sqlite3_column_int64(st, 4);
        sq_col_text(st, 5, out->group_id, sizeof out->group_id);
        out->create_ms = sqlite3_column_int64(st, 6);
        out->update_ms = sqlite3_column_int64(st, 7);
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
 * ("" if none). NOT_FOUND if the session is not the customer's. */
static enum store_result ss_session_group(struct sq_conn *c, int64_t customer_id, const char *token,
                                          char out[static IDS_MAX])
{
    sqlite3_stmt *st = ss_prepare(c, "SELECT COALESCE(group_id, '') FROM validate_sessions"
                                     " WHERE token = ?1 AND customer_id = ?2");
    if (!st)
        return STORE_ERROR;
    sq_bind_text(st, 1, token);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    enum store_result r = STORE_NOT_FOUND;
    if (rc == SQLITE_ROW) {
        sq_col_text(st, 0, out, IDS_MAX);
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
    r = ss_session_group(c, customer_id, token, recorded);
    if (r != STORE_OK || recorded[0])
        goto end; /* unknown session, or the group is recorded already */

    sqlite3_stmt *st = ss_prepare(c, "SELECT COUNT(*) FROM groups WHERE customer_id = ?1 AND state IN (0, 1)");
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

    st = ss_prepare(c, "UPDATE validate_sessions SET group_id = ?3, update_ms = ?4"
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
