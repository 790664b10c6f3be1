/* sqlite_uploads.c — upload sessions (API.md §4b) in the SQLite store.
 *
 * A session holds one slot of its group's asset quota while its state is
 * OPEN, UPLOADING or UPLOADED: create_upload counts those sessions with the
 * group's live and pending assets inside the write transaction that
 * inserts it, and reserve_asset (sqlite_assets.c) counts them too. When a
 * CompleteUpload begins, the slot moves from the session to a pending asset
 * row in one transaction, so the count never dips or doubles.
 *
 * Invariant: every state change is a single UPDATE guarded by the states
 * it may leave, so of two concurrent callers (a PUT and an expiry sweep, a
 * Complete and an Abort) exactly one moves the row. Statements are
 * prepared per call: sessions are rare next to GetAsset. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

#define SQ_UPLOAD_COLS                                                                                        \
    "id, customer_id, group_id, asset_type, name, content_type, content_length, sha256, put_sha256, blob_key," \
    " state, expire_ms, lease_ms, COALESCE(asset_id, ''), create_ms, update_ms"

static enum store_result prep(struct sq_conn *c, const char *sql, sqlite3_stmt **st, const char *what)
{
    *st = NULL;
    return sq_result(c, sqlite3_prepare_v2(c->db, sql, -1, st, NULL), what);
}

static void read_upload(sqlite3_stmt *st, struct upload_session *u)
{
    memset(u, 0, sizeof *u);
    sq_col_text(st, 0, u->id, sizeof u->id);
    u->customer_id = sqlite3_column_int64(st, 1);
    sq_col_text(st, 2, u->group_id, sizeof u->group_id);
    sq_col_text(st, 3, u->asset_type, sizeof u->asset_type);
    sq_col_text(st, 4, u->name, sizeof u->name);
    sq_col_text(st, 5, u->content_type, sizeof u->content_type);
    u->content_length = (uint64_t)sqlite3_column_int64(st, 6);
    sq_col_text(st, 7, u->sha256, sizeof u->sha256);
    sq_col_text(st, 8, u->put_sha256, sizeof u->put_sha256);
    sq_col_text(st, 9, u->blob_key, sizeof u->blob_key);
    u->state = sqlite3_column_int(st, 10);
    u->expire_ms = sqlite3_column_int64(st, 11);
    u->lease_ms = sqlite3_column_int64(st, 12);
    sq_col_text(st, 13, u->asset_id, sizeof u->asset_id);
    u->create_ms = sqlite3_column_int64(st, 14);
    u->update_ms = sqlite3_column_int64(st, 15);
}

/* The group is a live group of the customer: STORE_OK, else NOT_FOUND. */
static enum store_result live_group(struct sq_conn *c, const char *group_id, int64_t customer_id)
{
    sqlite3_stmt *st;
    enum store_result r = prep(c, "SELECT 1 FROM groups WHERE id = ?1 AND customer_id = ?2 AND state = 1", &st,
                               "upload group");
    if (r != STORE_OK)
        return r;
    sq_bind_text(st, 1, group_id);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    r = rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_result(c, rc, "upload group");
    sqlite3_finalize(st);
    return r;
}

enum store_result sq_create_upload(struct store *s, const struct upload_session *u, int max_assets, int64_t now_ms)
{
    struct sq_store *ss = sq_of(s);
    if (!u || !u->id[0] || !u->blob_key[0])
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    r = live_group(c, u->group_id, u->customer_id);
    if (r != STORE_OK)
        goto end;
    r = prep(c,
             "SELECT (SELECT COUNT(*) FROM assets WHERE group_id = ?1 AND state IN (0, 1))"
             " + (SELECT COUNT(*) FROM upload_sessions WHERE group_id = ?1 AND state IN (0, 1, 2))",
             &st, "create_upload count");
    if (r != STORE_OK)
        goto end;
    sq_bind_text(st, 1, u->group_id);
    int rc = sqlite3_step(st);
    int64_t count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    r = rc == SQLITE_ROW ? STORE_OK : sq_result(c, rc, "create_upload count");
    sqlite3_finalize(st);
    st = NULL;
    if (r != STORE_OK)
        goto end;
    if (count >= max_assets) {
        r = STORE_QUOTA;
        goto end;
    }
    r = prep(c,
             "INSERT INTO upload_sessions(id, customer_id, group_id, asset_type, name, content_type,"
             " content_length, sha256, blob_key, state, expire_ms, create_ms, update_ms)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11, ?11)",
             &st, "create_upload insert");
    if (r != STORE_OK)
        goto end;
    sq_bind_text(st, 1, u->id);
    sqlite3_bind_int64(st, 2, u->customer_id);
    sq_bind_text(st, 3, u->group_id);
    sq_bind_text(st, 4, u->asset_type);
    sq_bind_text(st, 5, u->name);
    sq_bind_text(st, 6, u->content_type);
    sqlite3_bind_int64(st, 7, (int64_t)u->content_length);
    sq_bind_text(st, 8, u->sha256);
    sq_bind_text(st, 9, u->blob_key);
    sqlite3_bind_int64(st, 10, u->expire_ms);
    sqlite3_bind_int64(st, 11, now_ms);
    rc = sqlite3_step(st);
    r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, "create_upload insert");
end:
    sqlite3_finalize(st);
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

static enum store_result get_one(struct store *s, const char *sql, const char *text, int64_t customer_id,
                                 struct upload_session *out)
{
    struct sq_store *ss = sq_of(s);
    if (!text || !out)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st;
    enum store_result r = prep(c, sql, &st, "get_upload");
    if (r == STORE_OK) {
        sq_bind_text(st, 1, text);
        if (customer_id)
            sqlite3_bind_int64(st, 2, customer_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            read_upload(st, out);
        r = rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_result(c, rc, "get_upload");
        sqlite3_finalize(st);
    }
    sq_put(ss, c);
    return r;
}

enum store_result sq_get_upload(struct store *s, int64_t customer_id, const char *id, struct upload_session *out)
{
    return get_one(s, "SELECT " SQ_UPLOAD_COLS " FROM upload_sessions WHERE id = ?1 AND customer_id = ?2", id,
                   customer_id ? customer_id : -1, out);
}

enum store_result sq_get_upload_by_key(struct store *s, const char *blob_key, struct upload_session *out)
{
    return get_one(s, "SELECT " SQ_UPLOAD_COLS " FROM upload_sessions WHERE blob_key = ?1", blob_key, 0, out);
}

enum store_result sq_upload_set_state(struct store *s, const char *id, int from_mask, int to, int64_t now_ms,
                                      const struct upload_change *ch)
{
    struct sq_store *ss = sq_of(s);
    static const struct upload_change no_change = {0};
    if (!ch)
        ch = &no_change;
    if (!id)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    r = prep(c,
             "UPDATE upload_sessions SET state = ?3, update_ms = ?4,"
             " put_sha256 = COALESCE(?5, put_sha256), asset_id = COALESCE(?6, asset_id),"
             " lease_ms = CASE WHEN ?7 > 0 THEN ?7 ELSE lease_ms END"
             " WHERE id = ?1 AND ((1 << state) & ?2) != 0 AND (?8 = 0 OR expire_ms > ?8)",
             &st, "upload_set_state");
    if (r == STORE_OK) {
        sq_bind_text(st, 1, id);
        sqlite3_bind_int(st, 2, from_mask);
        sqlite3_bind_int(st, 3, to);
        sqlite3_bind_int64(st, 4, now_ms);
        sq_bind_text(st, 5, ch->put_sha256);
        sq_bind_text(st, 6, ch->asset_id);
        sqlite3_bind_int64(st, 7, ch->lease_ms);
        sqlite3_bind_int64(st, 8, ch->live_at_ms);
        int rc = sqlite3_step(st);
        r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, "upload_set_state");
        if (r == STORE_OK && sqlite3_changes(c->db) == 0)
            r = STORE_NOT_FOUND;
    }
    sqlite3_finalize(st);
    int unchanged = r == STORE_NOT_FOUND;
    r = sq_end_write(ss, c, unchanged ? STORE_OK : r);
    if (r == STORE_OK && unchanged)
        r = STORE_NOT_FOUND;
out:
    sq_put(ss, c);
    return r;
}

enum store_result sq_upload_begin_complete(struct store *s, int64_t customer_id, const char *id, int from_mask,
                                           const char *url, const char *tag, int64_t now_ms, int64_t *handle)
{
    struct sq_store *ss = sq_of(s);
    if (!id || !handle || !sq_fits(url, STORE_URL_MAX) || !sq_fits(tag, STORE_TAG_MAX))
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    struct upload_session u;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    r = prep(c, "SELECT " SQ_UPLOAD_COLS " FROM upload_sessions WHERE id = ?1 AND customer_id = ?2", &st,
             "begin_complete read");
    if (r != STORE_OK)
        goto end;
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_upload(st, &u);
    r = rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_result(c, rc, "begin_complete read");
    sqlite3_finalize(st);
    st = NULL;
    if (r != STORE_OK)
        goto end;
    if (!(STORE_UPLOAD_MASK(u.state) & from_mask) || u.expire_ms <= now_ms) {
        r = STORE_CONFLICT;
        goto end;
    }
    r = live_group(c, u.group_id, customer_id);
    if (r != STORE_OK)
        goto end;
    r = prep(c,
             "INSERT INTO assets(group_id, customer_id, type, name, url, blob_key, status, state,"
             " reserved_ms, create_ms, update_ms, tag) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'Processing', 0, ?7, ?7, ?7, ?8)",
             &st, "begin_complete reserve");
    if (r != STORE_OK)
        goto end;
    sq_bind_text(st, 1, u.group_id);
    sqlite3_bind_int64(st, 2, customer_id);
    sq_bind_text(st, 3, u.asset_type);
    sq_bind_text(st, 4, u.name);
    sq_bind_text(st, 5, url);
    sq_bind_text(st, 6, u.blob_key);
    sqlite3_bind_int64(st, 7, now_ms);
    sq_bind_text(st, 8, tag);
    rc = sqlite3_step(st);
    r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, "begin_complete reserve");
    sqlite3_finalize(st);
    st = NULL;
    if (r != STORE_OK)
        goto end;
    *handle = sqlite3_last_insert_rowid(c->db);
    r = prep(c, "UPDATE upload_sessions SET state = 3, update_ms = ?2 WHERE id = ?1", &st, "begin_complete state");
    if (r != STORE_OK)
        goto end;
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
    rc = sqlite3_step(st);
    r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, "begin_complete state");
end:
    sqlite3_finalize(st);
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

enum store_result sq_upload_cancel_complete(struct store *s, const char *id, int64_t handle, int to, int64_t now_ms)
{
    struct sq_store *ss = sq_of(s);
    if (!id)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    r = prep(c, "DELETE FROM assets WHERE handle = ?1 AND id IS NULL", &st, "cancel_complete release");
    if (r != STORE_OK)
        goto end;
    sqlite3_bind_int64(st, 1, handle);
    int rc = sqlite3_step(st);
    r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, "cancel_complete release");
    sqlite3_finalize(st);
    st = NULL;
    if (r != STORE_OK)
        goto end;
    r = prep(c, "UPDATE upload_sessions SET state = ?2, update_ms = ?3 WHERE id = ?1 AND state = 3", &st,
             "cancel_complete state");
    if (r != STORE_OK)
        goto end;
    sq_bind_text(st, 1, id);
    sqlite3_bind_int(st, 2, to);
    sqlite3_bind_int64(st, 3, now_ms);
    rc = sqlite3_step(st);
    r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, "cancel_complete state");
end:
    sqlite3_finalize(st);
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

enum store_result sq_lease_expired_uploads(struct store *s, int64_t now_ms, int64_t expired_before_ms,
                                           int64_t lease_ms, size_t limit, struct upload_session_list *out)
{
    struct sq_store *ss = sq_of(s);
    if (!out || limit == 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    /* One write transaction: what is read is what is leased. */
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    r = prep(c,
             "UPDATE upload_sessions SET state = 5, lease_ms = ?2, update_ms = ?1 WHERE id IN ("
             " SELECT id FROM upload_sessions WHERE (state IN (0, 1, 2) AND expire_ms <= ?3)"
             " OR (state = 5 AND lease_ms <= ?1) ORDER BY expire_ms LIMIT ?4)"
             " RETURNING " SQ_UPLOAD_COLS,
             &st, "lease_expired_uploads");
    if (r != STORE_OK)
        goto end;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, now_ms + lease_ms);
    sqlite3_bind_int64(st, 3, expired_before_ms);
    sqlite3_bind_int64(st, 4, (int64_t)limit);
    out->items = calloc(limit, sizeof *out->items);
    if (!out->items) {
        r = STORE_ERROR;
        goto end;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < limit)
        read_upload(st, &out->items[out->n++]);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        r = sq_result(c, rc, "lease_expired_uploads");
end:
    sqlite3_finalize(st);
    r = sq_end_write(ss, c, r);
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
out:
    sq_put(ss, c);
    return r;
}
