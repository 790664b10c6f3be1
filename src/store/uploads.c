/* uploads.c — upload sessions (API.md §4b), written once over the driver
 * (driver.h).
 *
 * A session holds one slot of its group's asset quota while its state is
 * OPEN, UPLOADING or UPLOADED: create_upload counts those sessions with the
 * group's live and pending assets inside the write transaction that
 * inserts it, and reserve_asset (assets.c) counts them too. When a
 * CompleteUpload begins, the slot moves from the session to a pending asset
 * row in one transaction, so the count never dips or doubles. On
 * PostgreSQL create_upload and upload_begin_complete lock the group's row
 * first, as reserve_asset does, so quota checks from any node run one after
 * the other; lease_expired_uploads takes rows with FOR UPDATE SKIP LOCKED,
 * so each expired session is taken by exactly one node.
 *
 * Invariant: every state change is a single UPDATE guarded by the states
 * it may leave, so of two concurrent callers (a PUT and an expiry sweep, a
 * Complete and an Abort) exactly one moves the row. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

#define UPLOAD_COLS                                                                                           \
    "id, customer_id, group_id, asset_type, name, content_type, content_length, sha256, put_sha256, blob_key," \
    " state, expire_ms, lease_ms, COALESCE(asset_id, ''), create_ms, update_ms"

static const struct sql_field upload_fields[] = {
    SQL_T(struct upload_session, id), SQL_L(struct upload_session, customer_id), SQL_T(struct upload_session, group_id),
    SQL_T(struct upload_session, asset_type), SQL_T(struct upload_session, name),
    SQL_T(struct upload_session, content_type), SQL_L(struct upload_session, content_length),
    SQL_T(struct upload_session, sha256), SQL_T(struct upload_session, put_sha256),
    SQL_T(struct upload_session, blob_key), SQL_I(struct upload_session, state), SQL_L(struct upload_session, expire_ms),
    SQL_L(struct upload_session, lease_ms), SQL_T(struct upload_session, asset_id),
    SQL_L(struct upload_session, create_ms), SQL_L(struct upload_session, update_ms)};
static const struct sql_row upload_row = SQL_ROW(struct upload_session, upload_fields);

enum store_result sql_create_upload(struct store *s, const struct upload_session *u, int max_assets, int64_t now_ms)
{
    if (!u || !u->id[0] || !u->blob_key[0])
        return STORE_ERROR;
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_claim_group_slot(c, u->group_id, u->customer_id, max_assets);
    if (r == STORE_OK)
        r = sql_exec(c, 0,
                     "INSERT INTO upload_sessions(id, customer_id, group_id, asset_type, name, content_type,"
                     " content_length, sha256, blob_key, state, expire_ms, create_ms, update_ms)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $11)",
                     NULL, "tittttittii", u->id, u->customer_id, u->group_id, u->asset_type, u->name,
                     u->content_type, (int64_t)u->content_length, u->sha256, u->blob_key, u->expire_ms, now_ms);
    return sql_done(s, c, r);
}

#define UPLOAD_OF_CUSTOMER "SELECT " UPLOAD_COLS " FROM upload_sessions WHERE id = $1 AND customer_id = $2"

enum store_result sql_get_upload(struct store *s, int64_t customer_id, const char *id, struct upload_session *out)
{
    return sql_get_owned(s, 0, UPLOAD_OF_CUSTOMER, &upload_row, id, customer_id, out);
}

enum store_result sql_get_upload_by_key(struct store *s, const char *blob_key, struct upload_session *out)
{
    if (!blob_key || !out)
        return STORE_ERROR;
    return sql_query_one(s, 0, "SELECT " UPLOAD_COLS " FROM upload_sessions WHERE blob_key = $1", &upload_row, out,
                         "t", blob_key);
}

enum store_result sql_upload_set_state(struct store *s, const char *id, int from_mask, int to, int64_t now_ms,
                                       const struct upload_change *ch)
{
    static const struct upload_change no_change = {0};
    if (!ch)
        ch = &no_change;
    if (!id)
        return STORE_ERROR;
    return sql_write_row(s, 0,
                         "UPDATE upload_sessions SET state = $3, update_ms = $4,"
                         " put_sha256 = COALESCE(CAST($5 AS TEXT), put_sha256),"
                         " asset_id = COALESCE(CAST($6 AS TEXT), asset_id),"
                         " lease_ms = CASE WHEN CAST($7 AS BIGINT) > 0 THEN CAST($7 AS BIGINT) ELSE lease_ms END"
                         " WHERE id = $1 AND ((1 << state) & CAST($2 AS INTEGER)) <> 0"
                         " AND (CAST($8 AS BIGINT) = 0 OR expire_ms > CAST($8 AS BIGINT))",
                         "tiiittii", id, (int64_t)from_mask, (int64_t)to, now_ms, ch->put_sha256, ch->asset_id,
                         ch->lease_ms, ch->live_at_ms);
}

enum store_result sql_upload_begin_complete(struct store *s, int64_t customer_id, const char *id, int from_mask,
                                            const char *url, const char *tag, const char *sha256,
                                            const struct actor *who, int64_t now_ms, int64_t *handle,
                                            int *same_bytes, int *slot)
{
    if (!sha256)
        sha256 = "";
    if (!id || !handle || !sql_fits(url, STORE_URL_MAX) || !sql_fits(tag, STORE_TAG_MAX) ||
        !sql_fits(sha256, STORE_SHA256_MAX))
        return STORE_ERROR;
    struct sql_conn *c;
    struct upload_session u;
    int64_t one = 0;
    int found = 0;
    if (same_bytes)
        *same_bytes = 0;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_one(c, 0, c->d->row_locks ? UPLOAD_OF_CUSTOMER " FOR UPDATE" : UPLOAD_OF_CUSTOMER, &upload_row, &u,
                "ti", id, customer_id);
    if (r == STORE_OK && (!(STORE_UPLOAD_MASK(u.state) & from_mask) || u.expire_ms <= now_ms))
        r = STORE_CONFLICT;
    if (r == STORE_OK)
        r = sql_lock_live_group(c, u.group_id, customer_id);
    /* Content hash, under the group's lock as reserve_content_asset: the
     * same bytes already live or pending in the group reserve nothing. */
    if (r == STORE_OK && sha256[0])
        r = sql_int(c, 0, "SELECT 1 FROM assets WHERE group_id = $1 AND sha256 = $2 AND state IN (0, 1)", &one,
                    &found, "tt", u.group_id, sha256);
    if (r == STORE_OK && found) {
        if (same_bytes)
            *same_bytes = 1;
        r = STORE_CONFLICT;
    }
    /* No quota check: the session's slot moves to the pending asset row. */
    if (r == STORE_OK)
        r = sql_insert_pending_asset(c, u.group_id, customer_id, u.asset_type, u.name, url, u.blob_key,
                                     (int64_t)u.content_length, who, now_ms, tag, handle);
    if (r == STORE_OK && sha256[0])
        r = sql_exec(c, 0, "UPDATE assets SET sha256 = $2 WHERE handle = $1", NULL, "it", *handle, sha256);
    if (r == STORE_OK)
        r = sql_exec(c, 0, "UPDATE upload_sessions SET state = 3, update_ms = $2 WHERE id = $1", NULL, "ti", id,
                     now_ms);
    if (r == STORE_OK) /* the account's creations in flight, as reserve_asset */
        r = sql_fleet_hold_asset(s, c, *handle, slot);
    return sql_done(s, c, r);
}

enum store_result sql_upload_cancel_complete(struct store *s, const char *id, int64_t handle, int to, int64_t now_ms)
{
    if (!id)
        return STORE_ERROR;
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = sql_exec(c, 0, "DELETE FROM assets WHERE handle = $1 AND id IS NULL", NULL, "i", handle);
    if (r == STORE_OK)
        r = sql_exec(c, 0, "UPDATE upload_sessions SET state = $2, update_ms = $3 WHERE id = $1 AND state = 3", NULL,
                     "tii", id, (int64_t)to, now_ms);
    return sql_done(s, c, r);
}

/* FOR UPDATE SKIP LOCKED where several nodes share the work; SQLite's
 * write transaction already makes what is read what is leased. */
#define EXPIRED_UPLOADS(lock)                                                                                 \
    "UPDATE upload_sessions SET state = 5, lease_ms = $2, update_ms = $1 WHERE id IN ("                        \
    " SELECT id FROM upload_sessions WHERE (state IN (0, 1, 2) AND expire_ms <= $3)"                           \
    " OR (state = 5 AND lease_ms <= $1) ORDER BY expire_ms LIMIT $4" lock ") RETURNING " UPLOAD_COLS

enum store_result sql_lease_expired_uploads(struct store *s, int64_t now_ms, int64_t expired_before_ms,
                                            int64_t lease_ms, size_t limit, struct upload_session_list *out)
{
    if (!out || limit == 0)
        return STORE_ERROR;
    const char *sql = sql_driver_of(s)->row_locks ? EXPIRED_UPLOADS(" FOR UPDATE SKIP LOCKED") : EXPIRED_UPLOADS("");
    void *items;
    enum store_result r = sql_write_rows(s, 0, sql, &upload_row, limit, &items, &out->n, "iiii", now_ms,
                                         now_ms + lease_ms, expired_before_ms, (int64_t)limit);
    out->items = items;
    return r;
}
