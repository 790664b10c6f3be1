/* pg_sessions.c — liveness (H5 face scan) sessions in the PostgreSQL store:
 * the validate_sessions table of schema step 2.
 *
 * Invariant: a session's group_id goes from NULL to a group exactly once,
 * in the transaction that checks the customer's group quota and inserts
 * that group. The customer's row is locked first (the same lock
 * reserve_group takes, so the quota stays exact across nodes), then the
 * session's row: concurrent callers on any node queue on those locks, and
 * only the first records a group. The group takes the place the pending
 * session holds (its LivenessFace reservation); a session from before
 * places were held checks the quota instead. A session leaves the pending
 * state once: recorded, or closed with its place released in the same
 * transaction. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

#define PS_COLS                                                                                          \
    "token, customer_id, callback_url, h5_link, expire_ms, COALESCE(group_id, ''), create_ms, update_ms,"   \
    " state, COALESCE(group_handle, 0), next_poll_ms, polls"

static void ps_read(PGresult *res, int row, struct validate_session *out)
{
    memset(out, 0, sizeof *out);
    pg_col_text(res, row, 0, out->token, sizeof out->token);
    out->customer_id = pg_col_i64(res, row, 1);
    pg_col_text(res, row, 2, out->callback_url, sizeof out->callback_url);
    pg_col_text(res, row, 3, out->h5_link, sizeof out->h5_link);
    out->expire_ms = pg_col_i64(res, row, 4);
    pg_col_text(res, row, 5, out->group_id, sizeof out->group_id);
    out->create_ms = pg_col_i64(res, row, 6);
    out->update_ms = pg_col_i64(res, row, 7);
    out->state = (enum store_session_state)pg_col_i64(res, row, 8);
    out->group_handle = pg_col_i64(res, row, 9);
    out->next_poll_ms = pg_col_i64(res, row, 10);
    out->polls = (int)pg_col_i64(res, row, 11);
}

enum store_result pg_create_session(struct store *s, const struct validate_session *v, int64_t now_ms)
{
    if (!v || !pg_fits(v->token, STORE_TOKEN_MAX) || !v->token[0] || !pg_fits(v->callback_url, STORE_URL_MAX) ||
        !pg_fits(v->h5_link, STORE_LINK_MAX))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, v->token);
    pg_p_i64(&p, v->customer_id);
    pg_p_text(&p, v->callback_url);
    pg_p_text(&p, v->h5_link);
    pg_p_i64(&p, v->expire_ms);
    pg_p_i64(&p, now_ms);
    char handle[24];
    snprintf(handle, sizeof handle, "%lld", (long long)v->group_handle);
    pg_p_text(&p, v->group_handle ? handle : NULL);
    pg_p_i64(&p, v->next_poll_ms);
    return pg_write_one(s,
                        "INSERT INTO validate_sessions(token, customer_id, callback_url, h5_link,"
                        " expire_ms, group_id, create_ms, update_ms, state, group_handle, next_poll_ms, polls)"
                        " VALUES ($1, $2, $3, $4, $5, NULL, $6, $6, 0, $7::bigint, $8, 0)",
                        &p, NULL, "create_session");
}

enum store_result pg_get_session(struct store *s, int64_t customer_id, const char *token,
                                 struct validate_session *out)
{
    struct pg_store *ps = pg_of(s);
    if (!token || !out)
        return STORE_ERROR;
    if (!pg_fits(token, STORE_TOKEN_MAX))
        return STORE_NOT_FOUND; /* longer than any token we record */
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, token);
    pg_p_i64(&p, customer_id);
    PGresult *res = NULL;
    /* customer_id in the WHERE: another customer's token reads as unknown. */
    enum store_result r = pg_exec(c, PG_ADHOC,
                                  "SELECT " PS_COLS " FROM validate_sessions WHERE token = $1 AND customer_id = $2",
                                  &p, &res, "get_session");
    if (r == STORE_OK && PQntuples(res) != 1)
        r = STORE_NOT_FOUND;
    if (r == STORE_OK)
        ps_read(res, 0, out);
    PQclear(res);
    pg_put(ps, c);
    return r;
}

enum store_result pg_record_session_group(struct store *s, int64_t customer_id, const char *token,
                                          const char *group_id, const char *name, int max_groups, int64_t now_ms,
                                          char group_out[static IDS_MAX])
{
    struct pg_store *ps = pg_of(s);
    if (!pg_fits(token, STORE_TOKEN_MAX) || !pg_fits(group_id, IDS_MAX) || !group_id[0] ||
        !pg_fits(name, STORE_NAME_MAX) || !name[0])
        return STORE_ERROR;
    char recorded[IDS_MAX] = "";
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    int64_t count = 0;
    enum store_result r = pg_begin(c);
    if (r != STORE_OK)
        goto out;
    r = sql_lock_count_groups(&c->base, customer_id, &count);
    if (r != STORE_OK)
        goto end;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, token);
    pg_p_i64(&p, customer_id);
    r = pg_exec(c, PG_ADHOC,
                "SELECT COALESCE(group_id, ''), state, COALESCE(group_handle, 0) FROM validate_sessions"
                " WHERE token = $1 AND customer_id = $2 FOR UPDATE",
                &p, &res, "record_session_group select");
    if (r == STORE_OK && PQntuples(res) != 1)
        r = STORE_NOT_FOUND;
    if (r != STORE_OK)
        goto end;
    pg_col_text(res, 0, 0, recorded, sizeof recorded);
    int64_t state = pg_col_i64(res, 0, 1), held = pg_col_i64(res, 0, 2);
    PQclear(res);
    res = NULL;
    if (recorded[0])
        goto end; /* the group is recorded already */
    if (state != STORE_SESSION_PENDING) {
        r = STORE_CONFLICT; /* closed: its place is gone */
        goto end;
    }
    if (held) {
        /* The place the session holds becomes the group. */
        struct pg_params h;
        pg_p_init(&h);
        pg_p_i64(&h, held);
        pg_p_text(&h, group_id);
        pg_p_text(&h, name);
        pg_p_i64(&h, now_ms);
        pg_p_i64(&h, customer_id);
        r = pg_exec(c, PG_ADHOC,
                    "UPDATE groups SET id = $2, type = 'LivenessFace', name = $3, description = '', state = 1,"
                    " create_ms = $4, update_ms = $4"
                    " WHERE handle = $1 AND customer_id = $5 AND state = 0 AND id IS NULL",
                    &h, &res, "record_session_group confirm");
        if (r != STORE_OK)
            goto end;
        int changed = pg_changes(res);
        PQclear(res);
        res = NULL;
        if (changed == 1)
            goto session;
        /* The reservation is gone (dropped by a start-up that thought it
         * abandoned): count the quota as for an old session. */
    }
    if (count >= max_groups) {
        r = STORE_QUOTA;
        goto end;
    }
    struct pg_params q;
    pg_p_init(&q);
    pg_p_text(&q, group_id);
    pg_p_i64(&q, customer_id);
    pg_p_text(&q, name);
    pg_p_i64(&q, now_ms);
    r = pg_exec(c, PG_ADHOC,
                "INSERT INTO groups(id, customer_id, type, name, description, state, reserved_ms,"
                " create_ms, update_ms) VALUES ($1, $2, 'LivenessFace', $3, '', 1, $4, $4, $4)",
                &q, NULL, "record_session_group insert");
    if (r != STORE_OK)
        goto end;
session:
    pg_p_text(&p, group_id);
    pg_p_i64(&p, now_ms);
    r = pg_exec(c, PG_ADHOC,
                "UPDATE validate_sessions SET group_id = $3, update_ms = $4, state = 1"
                " WHERE token = $1 AND customer_id = $2 AND group_id IS NULL",
                &p, NULL, "record_session_group update");
    if (r == STORE_OK)
        snprintf(recorded, sizeof recorded, "%s", group_id);
end:
    r = pg_end(c, r);
    if (r == STORE_OK)
        snprintf(group_out, IDS_MAX, "%s", recorded);
out:
    PQclear(res);
    pg_put(ps, c);
    return r;
}

/* ---- the background poller's work (core/liveness_poller.c) ---- */

enum store_result pg_close_session(struct store *s, const char *token, enum store_session_state state,
                                   int64_t now_ms)
{
    if (!pg_fits(token, STORE_TOKEN_MAX) || (state != STORE_SESSION_EXPIRED && state != STORE_SESSION_FAILED))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, token);
    pg_p_i64(&p, (int64_t)state);
    pg_p_i64(&p, now_ms);
    /* One statement, one transaction: the session leaves pending and its
     * place goes with it. */
    struct pg_store *ps = pg_of(s);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC,
                                  "WITH closed AS (UPDATE validate_sessions SET state = $2, update_ms = $3"
                                  "  WHERE token = $1 AND state = 0 RETURNING group_handle),"
                                  " released AS (DELETE FROM groups WHERE id IS NULL AND state = 0"
                                  "  AND handle IN (SELECT group_handle FROM closed) RETURNING handle)"
                                  " SELECT (SELECT COUNT(*) FROM closed), (SELECT COUNT(*) FROM released)",
                                  &p, &res, "close_session");
    pg_put(ps, c);
    if (r == STORE_OK && (PQntuples(res) != 1 || pg_col_i64(res, 0, 0) == 0))
        r = STORE_NOT_FOUND;
    PQclear(res);
    return r;
}

/* Several nodes share the store: the due sessions are taken with FOR
 * UPDATE SKIP LOCKED and their next poll pushed past the lease in one
 * statement, so no two nodes poll one session at once. */
enum store_result pg_lease_due_sessions(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                        struct validate_session_list *out)
{
    struct pg_store *ps = pg_of(s);
    if (!out || lease_ms < 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return STORE_OK;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, now_ms);
    pg_p_i64(&p, lease_ms);
    pg_p_i64(&p, limit > (size_t)INT32_MAX ? INT32_MAX : (int64_t)limit);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC,
                                  "WITH due AS (SELECT token AS due_token FROM validate_sessions"
                                  "  WHERE state = 0 AND next_poll_ms <= $1::bigint"
                                  "  ORDER BY next_poll_ms, create_ms LIMIT $3 FOR UPDATE SKIP LOCKED)"
                                  " UPDATE validate_sessions v SET next_poll_ms = $1::bigint + $2::bigint FROM due"
                                  " WHERE v.token = due.due_token RETURNING " PS_COLS,
                                  &p, &res, "lease_due_sessions");
    pg_put(ps, c);
    if (r != STORE_OK)
        return r;
    int n = PQntuples(res);
    out->items = calloc((size_t)(n ? n : 1), sizeof *out->items);
    if (!out->items) {
        PQclear(res);
        return STORE_ERROR;
    }
    for (int i = 0; i < n; i++)
        ps_read(res, i, &out->items[out->n++]);
    PQclear(res);
    return STORE_OK;
}

enum store_result pg_schedule_session_poll(struct store *s, const char *token, int64_t next_poll_ms, int polls)
{
    if (!pg_fits(token, STORE_TOKEN_MAX))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, token);
    pg_p_i64(&p, next_poll_ms);
    pg_p_i64(&p, polls);
    return pg_write_one(s, "UPDATE validate_sessions SET next_poll_ms = $2, polls = $3 WHERE token = $1 AND state = 0",
                        &p, NULL, "schedule_session_poll");
}

/* One integer from sql with $1 bound to text (NULL: no parameter). */
static enum store_result ps_read_int(struct store *s, const char *sql, const char *text, int64_t *out,
                                     const char *what)
{
    struct pg_store *ps = pg_of(s);
    struct pg_params p;
    pg_p_init(&p);
    if (text)
        pg_p_text(&p, text);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC, sql, &p, &res, what);
    pg_put(ps, c);
    if (r == STORE_OK && PQntuples(res) == 1)
        *out = pg_col_i64(res, 0, 0);
    else if (r == STORE_OK)
        r = STORE_ERROR;
    PQclear(res);
    return r;
}

enum store_result pg_oldest_pending_session(struct store *s, int64_t *create_ms_out)
{
    *create_ms_out = INT64_MAX;
    return ps_read_int(s, "SELECT COALESCE(MIN(create_ms), 9223372036854775807) FROM validate_sessions WHERE state = 0",
                       NULL, create_ms_out, "oldest_pending_session");
}

enum store_result pg_group_known(struct store *s, const char *id, int *known)
{
    int64_t n = 1; /* unsure counts as known */
    if (!pg_fits(id, IDS_MAX))
        return STORE_ERROR;
    enum store_result r = ps_read_int(s,
                                      "SELECT CASE WHEN EXISTS (SELECT 1 FROM groups WHERE id = $1)"
                                      " OR EXISTS (SELECT 1 FROM validate_sessions WHERE group_id = $1)"
                                      " THEN 1 ELSE 0 END",
                                      id, &n, "group_known");
    *known = r != STORE_OK || n != 0;
    return r;
}
