/* sessions.c — liveness (H5 face scan) sessions, the validate_sessions
 * table of schema step 2, written once over the driver (driver.h).
 *
 * Invariant: a session's group_id goes from NULL to a group exactly once,
 * in the write transaction that turns the group place the session holds
 * (or, for a session from before places were held, a quota check) into
 * that group; so two concurrent GetVisualValidateResult calls (or the
 * background poller), on any node, can never record two groups, and a
 * quota refusal records nothing. On PostgreSQL the transaction locks the
 * customer's row first (the lock reserve_group takes, so the quota stays
 * exact across nodes), then the session's row; SQLite's single writer
 * serializes the same steps. A session leaves the pending state once:
 * recorded, or closed with its place released in the same transaction.
 * The poller's leases differ per backend (sqlite_leases.c, pg_leases.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

static const struct sql_field session_fields[] = {
    SQL_T(struct validate_session, token), SQL_L(struct validate_session, customer_id),
    SQL_T(struct validate_session, callback_url), SQL_T(struct validate_session, h5_link),
    SQL_L(struct validate_session, expire_ms), SQL_T(struct validate_session, group_id),
    SQL_L(struct validate_session, create_ms), SQL_L(struct validate_session, update_ms),
    SQL_I(struct validate_session, state), SQL_L(struct validate_session, group_handle),
    SQL_L(struct validate_session, next_poll_ms), SQL_I(struct validate_session, polls),
    SQL_T(struct validate_session, actor), SQL_T(struct validate_session, actor_addr),
    SQL_T(struct validate_session, result_code)};
const struct sql_row sql_session_row = SQL_ROW(struct validate_session, session_fields);

enum store_result sql_create_session(struct store *s, const struct validate_session *v, int64_t now_ms)
{
    if (!v || !sql_fits(v->token, STORE_TOKEN_MAX) || !v->token[0] || !sql_fits(v->callback_url, STORE_URL_MAX) ||
        !sql_fits(v->h5_link, STORE_LINK_MAX) || !sql_fits(v->actor, sizeof v->actor) ||
        !sql_fits(v->actor_addr, sizeof v->actor_addr))
        return STORE_ERROR;
    struct sql_conn *c;
    struct sql_usage u = {0};
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_exec(c, 0,
                 "INSERT INTO validate_sessions(token, customer_id, callback_url, h5_link,"
                 " expire_ms, group_id, create_ms, update_ms, state, group_handle, next_poll_ms, polls,"
                 " actor, actor_addr) VALUES ($1, $2, $3, $4, $5, NULL, $6, $6, 0, CAST($7 AS BIGINT), $8, 0, $9, $10)",
                 NULL, "tittiihitt", v->token, v->customer_id, v->callback_url, v->h5_link, v->expire_ms, now_ms,
                 v->group_handle, v->next_poll_ms, v->actor, v->actor_addr);
    if (r == STORE_OK) {
        struct audit_event e;
        struct actor who = {.customer_id = v->customer_id};
        snprintf(who.key_prefix, sizeof who.key_prefix, "%s", v->actor);
        snprintf(who.addr, sizeof who.addr, "%s", v->actor_addr);
        sql_audit_init(&e, AUDIT_LIVENESS_STARTED, v->customer_id, v->token, "", &who, now_ms);
        sql_audit_detail(&e, "ts", "ExpireTime", v->expire_ms, "CallbackURL", v->callback_url);
        r = sql_audit(c, &e);
    }
    if (r == STORE_OK) {
        sql_usage_add(&u, v->customer_id, now_ms, USAGE_LIVENESS_STARTED, NULL, 1);
        r = sql_usage_write(c, &u);
    }
    return sql_done(s, c, r);
}

enum store_result sql_get_session(struct store *s, int64_t customer_id, const char *token,
                                  struct validate_session *out)
{
    if (!token || !out)
        return STORE_ERROR;
    if (!sql_fits(token, STORE_TOKEN_MAX))
        return STORE_NOT_FOUND; /* longer than any token we record */
    /* customer_id in the WHERE: another customer's token reads as unknown. */
    return sql_query_one(s, 0, "SELECT " SQL_SESSION_COLS " FROM validate_sessions WHERE token = $1 AND customer_id = $2",
                         &sql_session_row, out, "ti", token, customer_id);
}

/* What ending a session needs of its row: its group (if recorded), state,
 * the place it holds, and what its audit entry tells. */
struct session_end {
    char group_id[IDS_MAX];
    int64_t state, held, customer_id, create_ms, expire_ms;
    char actor[32], actor_addr[64];
};
static const struct sql_field session_end_fields[] = {
    SQL_T(struct session_end, group_id),    SQL_L(struct session_end, state),     SQL_L(struct session_end, held),
    SQL_L(struct session_end, customer_id), SQL_L(struct session_end, create_ms), SQL_L(struct session_end, expire_ms),
    SQL_T(struct session_end, actor),       SQL_T(struct session_end, actor_addr)};
static const struct sql_row session_end_row = SQL_ROW(struct session_end, session_end_fields);
#define SESSION_END_COLS                                                                                       \
    "COALESCE(group_id, ''), state, COALESCE(group_handle, 0), customer_id, create_ms, expire_ms, actor, actor_addr"

#define SESSION_GROUP "SELECT " SESSION_END_COLS " FROM validate_sessions WHERE token = $1 AND customer_id = $2"

/* Inside the transaction that ends session token: its audit entry (who:
 * the key that started it) and its counters. group_id "" unless passed. */
static enum store_result session_ended(struct sql_conn *c, const char *token, const struct session_end *se,
                                       const char *type, const char *metric, const char *group_id,
                                       const char *result_code, int64_t now_ms)
{
    struct audit_event e;
    struct sql_usage u = {0};
    struct actor who = {.customer_id = se->customer_id};
    snprintf(who.key_prefix, sizeof who.key_prefix, "%s", se->actor);
    snprintf(who.addr, sizeof who.addr, "%s", se->actor_addr);
    sql_audit_init(&e, type, se->customer_id, token, group_id, &who, now_ms);
    sql_audit_detail(&e, "ttts", "StartTime", se->create_ms, "ExpireTime", se->expire_ms, "EndTime", now_ms,
                     "ResultCode", result_code);
    enum store_result r = sql_audit(c, &e);
    if (r != STORE_OK)
        return r;
    sql_usage_add(&u, se->customer_id, now_ms, metric, NULL, 1);
    if (group_id[0]) {
        sql_usage_add(&u, se->customer_id, now_ms, USAGE_GROUPS_CREATED, NULL, 1);
        sql_usage_add(&u, se->customer_id, now_ms, USAGE_LIVE_GROUPS, NULL, 1);
    }
    return sql_usage_write(c, &u);
}

/* Inside record_session_group's transaction: the pending session's group
 * becomes a live LivenessFace group of the customer, in the place the
 * session holds (held), or else in a new row while the customer's groups
 * are not full. */
static enum store_result session_place_group(struct sql_conn *c, int64_t held, int64_t customer_id,
                                             const char *group_id, const char *name, int full, int64_t now_ms)
{
    if (held) {
        enum store_result r = sql_exec_row(c, 0,
                                           "UPDATE groups SET id = $2, type = 'LivenessFace', name = $3, description = '',"
                                           " state = 1, create_ms = $4, update_ms = $4"
                                           " WHERE handle = $1 AND customer_id = $5 AND state = 0 AND id IS NULL",
                                           "ittii", held, group_id, name, now_ms, customer_id);
        if (r != STORE_NOT_FOUND)
            return r;
        /* Else the reservation is gone (dropped by a start-up that thought
         * it abandoned): count the quota as for an old session. */
    }
    if (full)
        return STORE_QUOTA;
    return sql_exec(c, 0,
                    "INSERT INTO groups(id, customer_id, type, name, description, state, reserved_ms,"
                    " create_ms, update_ms) VALUES ($1, $2, 'LivenessFace', $3, '', 1, $4, $4, $4)",
                    NULL, "titi", group_id, customer_id, name, now_ms);
}

enum store_result sql_record_session_group(struct store *s, int64_t customer_id, const char *token,
                                           const char *group_id, const char *name, int max_groups, int64_t now_ms,
                                           char group_out[static IDS_MAX], const struct event *ev)
{
    if (!sql_fits(token, STORE_TOKEN_MAX) || !sql_fits(group_id, IDS_MAX) || !group_id[0] ||
        !sql_fits(name, STORE_NAME_MAX) || !name[0])
        return STORE_ERROR;
    struct session_end sg;
    memset(&sg, 0, sizeof sg);
    struct sql_conn *c;
    int64_t count = 0;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_lock_count_groups(c, customer_id, &count);
    if (r == STORE_OK)
        r = sql_one(c, 0, c->d->row_locks ? SESSION_GROUP " FOR UPDATE" : SESSION_GROUP, &session_end_row, &sg,
                    "ti", token, customer_id);
    if (r != STORE_OK || sg.group_id[0])
        goto end; /* unknown session, or the group is recorded already */
    if (sg.state != STORE_SESSION_PENDING) {
        r = STORE_CONFLICT; /* closed: its place is gone */
        goto end;
    }
    r = session_place_group(c, sg.held, customer_id, group_id, name, count >= max_groups, now_ms);
    if (r == STORE_OK)
        r = sql_exec(c, 0,
                     "UPDATE validate_sessions SET group_id = $3, update_ms = $4, state = 1, result_code = $5"
                     " WHERE token = $1 AND customer_id = $2 AND group_id IS NULL",
                     NULL, "titit", token, customer_id, group_id, now_ms, STORE_RESULT_PASSED);
    if (r == STORE_OK && ev) /* recorded by this call: the scan's event */
        r = sql_append_event(c, ev);
    if (r == STORE_OK)
        r = session_ended(c, token, &sg, AUDIT_LIVENESS_PASSED, USAGE_LIVENESS_PASSED, group_id, STORE_RESULT_PASSED,
                          now_ms);
    if (r == STORE_OK)
        snprintf(sg.group_id, sizeof sg.group_id, "%s", group_id);
end:
    r = sql_done(s, c, r);
    if (r == STORE_OK)
        snprintf(group_out, IDS_MAX, "%s", sg.group_id);
    return r;
}

/* ---- the background poller's work (core/liveness_poller.c) ---- */

enum store_result sql_close_session(struct store *s, const char *token, enum store_session_state state,
                                    const char *result_code, int64_t now_ms, const struct event *ev)
{
    if (!result_code)
        result_code = "";
    if (!sql_fits(token, STORE_TOKEN_MAX) || (state != STORE_SESSION_EXPIRED && state != STORE_SESSION_FAILED) ||
        !sql_fits(result_code, sizeof((struct validate_session *)0)->result_code))
        return STORE_ERROR;
    struct sql_conn *c;
    struct session_end se;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    /* The session first (its row, then the group's: the order
     * record_session_group locks them in), then the place it held. */
    if (r == STORE_OK)
        r = sql_one(c, 0,
                    "UPDATE validate_sessions SET state = $2, update_ms = $3, result_code = $4"
                    " WHERE token = $1 AND state = 0 RETURNING " SESSION_END_COLS,
                    &session_end_row, &se, "tiit", token, (int64_t)state, now_ms, result_code);
    if (r == STORE_OK && se.held)
        r = sql_exec(c, 0, "DELETE FROM groups WHERE id IS NULL AND state = 0 AND handle = $1", NULL, "i", se.held);
    if (r == STORE_OK && ev)
        r = sql_append_event(c, ev);
    if (r == STORE_OK)
        r = session_ended(c, token, &se, state == STORE_SESSION_FAILED ? AUDIT_LIVENESS_FAILED : AUDIT_LIVENESS_EXPIRED,
                          state == STORE_SESSION_FAILED ? USAGE_LIVENESS_FAILED : USAGE_LIVENESS_EXPIRED, "",
                          result_code, now_ms);
    return sql_done(s, c, r);
}

enum store_result sql_schedule_session_poll(struct store *s, const char *token, int64_t next_poll_ms, int polls)
{
    if (!sql_fits(token, STORE_TOKEN_MAX))
        return STORE_ERROR;
    return sql_write(s, 0, "UPDATE validate_sessions SET next_poll_ms = $2, polls = $3 WHERE token = $1 AND state = 0",
                     NULL, "tii", token, next_poll_ms, (int64_t)polls);
}

/* One integer from sql with $1 bound to text (NULL: no parameter). */
static enum store_result read_int(struct store *s, const char *sql, const char *text, int64_t *out)
{
    enum store_result r = sql_query_one(s, 0, sql, &sql_i64_row, out, text ? "t" : "", text);
    return r == STORE_NOT_FOUND ? STORE_ERROR : r;
}

enum store_result sql_oldest_pending_session(struct store *s, int64_t *create_ms_out)
{
    *create_ms_out = INT64_MAX;
    return read_int(s, "SELECT COALESCE(MIN(create_ms), 9223372036854775807) FROM validate_sessions WHERE state = 0",
                    NULL, create_ms_out);
}

enum store_result sql_group_known(struct store *s, const char *id, int *known)
{
    int64_t n = 1; /* unsure counts as known */
    if (!sql_fits(id, IDS_MAX))
        return STORE_ERROR;
    enum store_result r = read_int(s,
                                   "SELECT CASE WHEN EXISTS (SELECT 1 FROM groups WHERE id = $1)"
                                   " OR EXISTS (SELECT 1 FROM validate_sessions WHERE group_id = $1)"
                                   " THEN 1 ELSE 0 END",
                                   id, &n);
    *known = r != STORE_OK || n != 0;
    return r;
}
