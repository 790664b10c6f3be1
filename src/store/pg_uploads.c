/* pg_uploads.c — upload sessions (API.md §4b) in the PostgreSQL store.
 *
 * The same rules as sqlite_uploads.c. Across nodes: create_upload and
 * upload_begin_complete lock the group's row (FOR UPDATE) before they
 * count or insert, as reserve_asset does, so quota checks from any node
 * run one after the other; lease_expired_uploads takes rows with FOR
 * UPDATE SKIP LOCKED, so each expired session is taken by exactly one
 * node, and its slot is released by that one UPDATE. */
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

#define PG_UPLOAD_COLS                                                                                        \
    "id, customer_id, group_id, asset_type, name, content_type, content_length, sha256, put_sha256, blob_key," \
    " state, expire_ms, lease_ms, COALESCE(asset_id, ''), create_ms, update_ms"

static void read_upload(PGresult *res, int row, struct upload_session *u)
{
    memset(u, 0, sizeof *u);
    pg_col_text(res, row, 0, u->id, sizeof u->id);
    u->customer_id = pg_col_i64(res, row, 1);
    pg_col_text(res, row, 2, u->group_id, sizeof u->group_id);
    pg_col_text(res, row, 3, u->asset_type, sizeof u->asset_type);
    pg_col_text(res, row, 4, u->name, sizeof u->name);
    pg_col_text(res, row, 5, u->content_type, sizeof u->content_type);
    u->content_length = (uint64_t)pg_col_i64(res, row, 6);
    pg_col_text(res, row, 7, u->sha256, sizeof u->sha256);
    pg_col_text(res, row, 8, u->put_sha256, sizeof u->put_sha256);
    pg_col_text(res, row, 9, u->blob_key, sizeof u->blob_key);
    u->state = (int)pg_col_i64(res, row, 10);
    u->expire_ms = pg_col_i64(res, row, 11);
    u->lease_ms = pg_col_i64(res, row, 12);
    pg_col_text(res, row, 13, u->asset_id, sizeof u->asset_id);
    u->create_ms = pg_col_i64(res, row, 14);
    u->update_ms = pg_col_i64(res, row, 15);
}

/* Inside a transaction: locks the customer's live group; NOT_FOUND if none. */
static enum store_result lock_group(struct pg_conn *c, const char *group_id, int64_t customer_id)
{
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, group_id);
    pg_p_i64(&p, customer_id);
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC,
                                  "SELECT 1 FROM groups WHERE id = $1 AND customer_id = $2 AND state = 1 FOR UPDATE",
                                  &p, &res, "upload group");
    if (r == STORE_OK && PQntuples(res) != 1)
        r = STORE_NOT_FOUND;
    PQclear(res);
    return r;
}

enum store_result pg_create_upload(struct store *s, const struct upload_session *u, int max_assets, int64_t now_ms)
{
    struct pg_store *ps = pg_of(s);
    if (!u || !u->id[0] || !u->blob_key[0])
        return STORE_ERROR;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_begin(c);
    if (r != STORE_OK)
        goto out;
    r = lock_group(c, u->group_id, u->customer_id);
    if (r != STORE_OK)
        goto end;
    struct pg_params q;
    pg_p_init(&q);
    pg_p_text(&q, u->group_id);
    r = pg_exec(c, PG_ADHOC,
                "SELECT (SELECT COUNT(*) FROM assets WHERE group_id = $1 AND state IN (0, 1))"
                " + (SELECT COUNT(*) FROM upload_sessions WHERE group_id = $1 AND state IN (0, 1, 2))",
                &q, &res, "create_upload count");
    if (r != STORE_OK)
        goto end;
    int64_t count = pg_col_i64(res, 0, 0);
    PQclear(res);
    res = NULL;
    if (count >= max_assets) {
        r = STORE_QUOTA;
        goto end;
    }
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, u->id);
    pg_p_i64(&p, u->customer_id);
    pg_p_text(&p, u->group_id);
    pg_p_text(&p, u->asset_type);
    pg_p_text(&p, u->name);
    pg_p_text(&p, u->content_type);
    pg_p_i64(&p, (int64_t)u->content_length);
    pg_p_text(&p, u->sha256);
    pg_p_text(&p, u->blob_key);
    pg_p_i64(&p, u->expire_ms);
    pg_p_i64(&p, now_ms);
    r = pg_exec(c, PG_ADHOC,
                "INSERT INTO upload_sessions(id, customer_id, group_id, asset_type, name, content_type,"
                " content_length, sha256, blob_key, state, expire_ms, create_ms, update_ms)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $11)",
                &p, NULL, "create_upload insert");
end:
    r = pg_end(c, r);
out:
    PQclear(res);
    pg_put(ps, c);
    return r;
}

static enum store_result get_one(struct store *s, const char *sql, const struct pg_params *p,
                                 struct upload_session *out)
{
    struct pg_store *ps = pg_of(s);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC, sql, p, &res, "get_upload");
    pg_put(ps, c);
    if (r == STORE_OK) {
        if (PQntuples(res) == 1)
            read_upload(res, 0, out);
        else
            r = STORE_NOT_FOUND;
    }
    PQclear(res);
    return r;
}

enum store_result pg_get_upload(struct store *s, int64_t customer_id, const char *id, struct upload_session *out)
{
    if (!id || !out)
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_i64(&p, customer_id);
    return get_one(s, "SELECT " PG_UPLOAD_COLS " FROM upload_sessions WHERE id = $1 AND customer_id = $2", &p, out);
}

enum store_result pg_get_upload_by_key(struct store *s, const char *blob_key, struct upload_session *out)
{
    if (!blob_key || !out)
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, blob_key);
    return get_one(s, "SELECT " PG_UPLOAD_COLS " FROM upload_sessions WHERE blob_key = $1", &p, out);
}

enum store_result pg_upload_set_state(struct store *s, const char *id, int from_mask, int to, int64_t now_ms,
                                      const struct upload_change *ch)
{
    static const struct upload_change no_change = {0};
    if (!ch)
        ch = &no_change;
    if (!id)
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_i64(&p, from_mask);
    pg_p_i64(&p, to);
    pg_p_i64(&p, now_ms);
    pg_p_text(&p, ch->put_sha256);
    pg_p_text(&p, ch->asset_id);
    pg_p_i64(&p, ch->lease_ms);
    pg_p_i64(&p, ch->live_at_ms);
    return pg_write_row(s,
                        "UPDATE upload_sessions SET state = $3, update_ms = $4,"
                        " put_sha256 = COALESCE($5, put_sha256), asset_id = COALESCE($6, asset_id),"
                        " lease_ms = CASE WHEN $7::bigint > 0 THEN $7::bigint ELSE lease_ms END"
                        " WHERE id = $1 AND ((1 << state) & $2::integer) <> 0"
                        " AND ($8::bigint = 0 OR expire_ms > $8::bigint)",
                        &p, "upload_set_state");
}

enum store_result pg_upload_begin_complete(struct store *s, int64_t customer_id, const char *id, int from_mask,
                                           const char *url, const char *tag, int64_t now_ms, int64_t *handle)
{
    struct pg_store *ps = pg_of(s);
    if (!id || !handle || !pg_fits(url, STORE_URL_MAX) || !pg_fits(tag, STORE_TAG_MAX))
        return STORE_ERROR;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    struct upload_session u;
    enum store_result r = pg_begin(c);
    if (r != STORE_OK)
        goto out;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_i64(&p, customer_id);
    r = pg_exec(c, PG_ADHOC,
                "SELECT " PG_UPLOAD_COLS " FROM upload_sessions WHERE id = $1 AND customer_id = $2 FOR UPDATE", &p,
                &res, "begin_complete read");
    if (r != STORE_OK)
        goto end;
    if (PQntuples(res) != 1) {
        r = STORE_NOT_FOUND;
        goto end;
    }
    read_upload(res, 0, &u);
    PQclear(res);
    res = NULL;
    if (!(STORE_UPLOAD_MASK(u.state) & from_mask) || u.expire_ms <= now_ms) {
        r = STORE_CONFLICT;
        goto end;
    }
    r = lock_group(c, u.group_id, customer_id);
    if (r != STORE_OK)
        goto end;
    struct pg_params q;
    pg_p_init(&q);
    pg_p_text(&q, u.group_id);
    pg_p_i64(&q, customer_id);
    pg_p_text(&q, u.asset_type);
    pg_p_text(&q, u.name);
    pg_p_text(&q, url);
    pg_p_text(&q, u.blob_key);
    pg_p_i64(&q, now_ms);
    pg_p_text(&q, tag);
    r = pg_exec(c, PG_ADHOC,
                "INSERT INTO assets(group_id, customer_id, type, name, url, blob_key, status, state,"
                " reserved_ms, create_ms, update_ms, tag) VALUES ($1, $2, $3, $4, $5, $6, 'Processing', 0, $7, $7, $7, $8)"
                " RETURNING handle",
                &q, &res, "begin_complete reserve");
    if (r != STORE_OK)
        goto end;
    *handle = pg_col_i64(res, 0, 0);
    PQclear(res);
    res = NULL;
    struct pg_params w;
    pg_p_init(&w);
    pg_p_text(&w, id);
    pg_p_i64(&w, now_ms);
    r = pg_exec(c, PG_ADHOC, "UPDATE upload_sessions SET state = 3, update_ms = $2 WHERE id = $1", &w, NULL,
                "begin_complete state");
end:
    r = pg_end(c, r);
out:
    PQclear(res);
    pg_put(ps, c);
    return r;
}

enum store_result pg_upload_cancel_complete(struct store *s, const char *id, int64_t handle, int to, int64_t now_ms)
{
    struct pg_store *ps = pg_of(s);
    if (!id)
        return STORE_ERROR;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = pg_begin(c);
    if (r != STORE_OK)
        goto out;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, handle);
    r = pg_exec(c, PG_ADHOC, "DELETE FROM assets WHERE handle = $1 AND id IS NULL", &p, NULL,
                "cancel_complete release");
    if (r != STORE_OK)
        goto end;
    struct pg_params q;
    pg_p_init(&q);
    pg_p_text(&q, id);
    pg_p_i64(&q, to);
    pg_p_i64(&q, now_ms);
    r = pg_exec(c, PG_ADHOC, "UPDATE upload_sessions SET state = $2, update_ms = $3 WHERE id = $1 AND state = 3", &q,
                NULL, "cancel_complete state");
end:
    r = pg_end(c, r);
out:
    pg_put(ps, c);
    return r;
}

enum store_result pg_lease_expired_uploads(struct store *s, int64_t now_ms, int64_t expired_before_ms,
                                           int64_t lease_ms, size_t limit, struct upload_session_list *out)
{
    struct pg_store *ps = pg_of(s);
    if (!out || limit == 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, now_ms);
    pg_p_i64(&p, now_ms + lease_ms);
    pg_p_i64(&p, expired_before_ms);
    pg_p_i64(&p, (int64_t)limit);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC,
                                  "UPDATE upload_sessions SET state = 5, lease_ms = $2, update_ms = $1 WHERE id IN ("
                                  " SELECT id FROM upload_sessions WHERE (state IN (0, 1, 2) AND expire_ms <= $3)"
                                  " OR (state = 5 AND lease_ms <= $1) ORDER BY expire_ms LIMIT $4"
                                  " FOR UPDATE SKIP LOCKED) RETURNING " PG_UPLOAD_COLS,
                                  &p, &res, "lease_expired_uploads");
    pg_put(ps, c);
    if (r != STORE_OK)
        return r;
    int n = PQntuples(res);
    out->items = calloc((size_t)(n ? n : 1), sizeof *out->items);
    if (!out->items) {
        PQclear(res);
        return STORE_ERROR;
    }
    for (int i = 0; i < n && (size_t)i < limit; i++)
        read_upload(res, i, &out->items[out->n++]);
    PQclear(res);
    return STORE_OK;
}
