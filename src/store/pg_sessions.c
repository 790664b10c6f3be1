/* pg_sessions.c — liveness (H5 face scan) sessions in the PostgreSQL store:
 * the validate_sessions table of schema step 2.
 *
 * Invariant: a session's group_id goes from NULL to a group exactly once,
 * in the transaction that checks the customer's group quota and inserts
 * that group. The customer's row is locked first (the same lock
 * reserve_group takes, so the quota stays exact across nodes), then the
 * session's row: concurrent callers on any node queue on those locks, and
 * only the first records a group. */
#include <stdio.h>
#include <string.h>

#include "store/pg_int.h"

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
    return pg_write_one(s,
                        "INSERT INTO validate_sessions(token, customer_id, callback_url, h5_link,"
                        " expire_ms, group_id, create_ms, update_ms) VALUES ($1, $2, $3, $4, $5, NULL, $6, $6)",
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
                                  "SELECT token, customer_id, callback_url, h5_link, expire_ms,"
                                  " COALESCE(group_id, ''), create_ms, update_ms"
                                  " FROM validate_sessions WHERE token = $1 AND customer_id = $2",
                                  &p, &res, "get_session");
    if (r == STORE_OK && PQntuples(res) != 1)
        r = STORE_NOT_FOUND;
    if (r == STORE_OK) {
        memset(out, 0, sizeof *out);
        pg_col_text(res, 0, 0, out->token, sizeof out->token);
        out->customer_id = pg_col_i64(res, 0, 1);
        pg_col_text(res, 0, 2, out->callback_url, sizeof out->callback_url);
        pg_col_text(res, 0, 3, out->h5_link, sizeof out->h5_link);
        out->expire_ms = pg_col_i64(res, 0, 4);
        pg_col_text(res, 0, 5, out->group_id, sizeof out->group_id);
        out->create_ms = pg_col_i64(res, 0, 6);
        out->update_ms = pg_col_i64(res, 0, 7);
    }
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
    r = pg_lock_count_groups(c, customer_id, &count);
    if (r != STORE_OK)
        goto end;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, token);
    pg_p_i64(&p, customer_id);
    r = pg_exec(c, PG_ADHOC,
                "SELECT COALESCE(group_id, '') FROM validate_sessions"
                " WHERE token = $1 AND customer_id = $2 FOR UPDATE",
                &p, &res, "record_session_group select");
    if (r == STORE_OK && PQntuples(res) != 1)
        r = STORE_NOT_FOUND;
    if (r != STORE_OK)
        goto end;
    pg_col_text(res, 0, 0, recorded, sizeof recorded);
    PQclear(res);
    res = NULL;
    if (recorded[0])
        goto end; /* the group is recorded already */
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
    pg_p_text(&p, group_id);
    pg_p_i64(&p, now_ms);
    r = pg_exec(c, PG_ADHOC,
                "UPDATE validate_sessions SET group_id = $3, update_ms = $4"
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
