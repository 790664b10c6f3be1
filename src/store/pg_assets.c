/* pg_assets.c — assets in the PostgreSQL store.
 *
 * Invariant: customer-scoped statements filter on customer_id and
 * state = 1 (live). get_asset is on the hot path: one prepared SELECT by
 * the unique id index, no explicit transaction.
 *
 * Quota across nodes: reserve_asset locks the group's row (FOR UPDATE)
 * before it counts, so concurrent reservations into one group, from any
 * node, count and insert one after the other, and a concurrent
 * delete_group (which updates that row) waits for them or they for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"
#include "util/buf.h"

/* The API layer caps filter lists long before this. */
#define PG_FILTER_LIST_MAX 100

void pg_read_asset(PGresult *res, int row, struct asset *out)
{
    memset(out, 0, sizeof *out);
    pg_col_text(res, row, 0, out->id, sizeof out->id);
    pg_col_text(res, row, 1, out->group_id, sizeof out->group_id);
    out->customer_id = pg_col_i64(res, row, 2);
    pg_col_text(res, row, 3, out->type, sizeof out->type);
    pg_col_text(res, row, 4, out->name, sizeof out->name);
    pg_col_text(res, row, 5, out->url, sizeof out->url);
    pg_col_text(res, row, 6, out->blob_key, sizeof out->blob_key);
    pg_col_text(res, row, 7, out->status, sizeof out->status);
    pg_col_text(res, row, 8, out->failure_reason, sizeof out->failure_reason);
    out->create_ms = pg_col_i64(res, row, 9);
    out->update_ms = pg_col_i64(res, row, 10);
    out->next_poll_ms = pg_col_i64(res, row, 11);
    out->polls = (int)pg_col_i64(res, row, 12);
    pg_col_text(res, row, 13, out->error_code, sizeof out->error_code);
    pg_col_text(res, row, 14, out->error_message, sizeof out->error_message);
    pg_col_text(res, row, 15, out->tag, sizeof out->tag);
}

enum store_result pg_reserve_asset(struct store *s, int64_t customer_id, const char *group_id, const char *type,
                                   const char *name, const char *url, const char *blob_key, int max_assets,
                                   int64_t now_ms, const char *tag, int64_t *handle)
{
    struct pg_store *ps = pg_of(s);
    if (!name)
        name = "";
    if (!blob_key)
        blob_key = "";
    if (!tag)
        tag = "";
    if (!pg_fits(tag, STORE_TAG_MAX) || !group_id || !pg_fits(type, sizeof((struct asset *)0)->type) || !type[0] || !pg_fits(name, STORE_NAME_MAX) ||
        !pg_fits(url, STORE_URL_MAX) || !pg_fits(blob_key, sizeof((struct asset *)0)->blob_key) || !handle)
        return STORE_ERROR;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_begin(c);
    if (r != STORE_OK)
        goto out;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, group_id);
    pg_p_i64(&p, customer_id);
    /* Ownership and the lock in one statement: a deleted group or another
     * customer's reads as missing. */
    r = pg_exec(c, PG_ADHOC, "SELECT 1 FROM groups WHERE id = $1 AND customer_id = $2 AND state = 1 FOR UPDATE", &p,
                &res, "reserve_asset group");
    if (r == STORE_OK && PQntuples(res) != 1)
        r = STORE_NOT_FOUND;
    PQclear(res);
    res = NULL;
    if (r != STORE_OK)
        goto end;
    struct pg_params q;
    pg_p_init(&q);
    pg_p_text(&q, group_id);
    /* upload sessions holding a slot count too (pg_uploads.c) */
    r = pg_exec(c, PG_ADHOC,
                "SELECT (SELECT COUNT(*) FROM assets WHERE group_id = $1 AND state IN (0, 1))"
                " + (SELECT COUNT(*) FROM upload_sessions WHERE group_id = $1 AND state IN (0, 1, 2))",
                &q, &res, "reserve_asset count");
    if (r != STORE_OK)
        goto end;
    int64_t count = pg_col_i64(res, 0, 0);
    PQclear(res);
    res = NULL;
    if (count >= max_assets) {
        r = STORE_QUOTA;
        goto end;
    }
    pg_p_text(&p, type);
    pg_p_text(&p, name);
    pg_p_text(&p, url);
    pg_p_text(&p, blob_key);
    pg_p_i64(&p, now_ms);
    pg_p_text(&p, tag);
    r = pg_exec(c, PG_ADHOC,
                "INSERT INTO assets(group_id, customer_id, type, name, url, blob_key, status, state,"
                " reserved_ms, create_ms, update_ms, tag)"
                " VALUES ($1, $2, $3, $4, $5, $6, 'Processing', 0, $7, $7, $7, $8) RETURNING handle",
                &p, &res, "reserve_asset insert");
    if (r == STORE_OK)
        *handle = pg_col_i64(res, 0, 0);
end:
    r = pg_end(c, r);
out:
    PQclear(res);
    pg_put(ps, c);
    return r;
}

enum store_result pg_confirm_asset(struct store *s, int64_t handle, const char *id, int64_t now_ms,
                                   int64_t next_poll_ms)
{
    if (!pg_fits(id, IDS_MAX) || !id[0])
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, handle);
    pg_p_text(&p, id);
    pg_p_i64(&p, now_ms);
    pg_p_i64(&p, next_poll_ms);
    int changes = 0;
    /* state = 0: a pending row swept up by a group delete is state 2 and
     * is not revived. */
    enum store_result r = pg_write_one(s,
                                       "UPDATE assets SET id = $2, state = 1, status = 'Processing', failure_reason = '',"
                                       " create_ms = $3, update_ms = $3, next_poll_ms = $4, polls = 0"
                                       " WHERE handle = $1 AND state = 0 AND id IS NULL",
                                       &p, &changes, "confirm_asset");
    return r == STORE_OK && changes == 0 ? STORE_NOT_FOUND : r;
}

enum store_result pg_release_asset(struct store *s, int64_t handle)
{
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, handle);
    int changes = 0;
    /* id IS NULL: any never-confirmed row, pending or swept up by a group
     * delete; a confirmed asset is never released. */
    enum store_result r =
        pg_write_one(s, "DELETE FROM assets WHERE handle = $1 AND id IS NULL", &p, &changes, "release_asset");
    return r == STORE_OK && changes == 0 ? STORE_NOT_FOUND : r;
}

enum store_result pg_get_asset(struct store *s, int64_t customer_id, const char *id, struct asset *out)
{
    struct pg_store *ps = pg_of(s);
    if (!id || !out)
        return STORE_ERROR;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_i64(&p, customer_id);
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_GET_ASSET,
                                  "SELECT " PG_ASSET_COLS " FROM assets a"
                                  " WHERE a.id = $1 AND a.customer_id = $2 AND a.state = 1",
                                  &p, &res, "get_asset");
    if (r == STORE_OK) {
        if (PQntuples(res) == 1)
            pg_read_asset(res, 0, out);
        else
            r = STORE_NOT_FOUND;
    }
    PQclear(res);
    pg_put(ps, c);
    return r;
}

/* Appends " AND col IN ($k, ...)" for n values, binding them; -1 on
 * overflow. */
static int pg_where_in(struct buf *b, struct pg_params *p, const char *col, const char *const *v, size_t n)
{
    if (n == 0)
        return 0;
    if (n > PG_FILTER_LIST_MAX || !v || p->n + (int)n > PG_MAX_PARAMS - 2)
        return -1;
    if (buf_printf(b, " AND %s IN (", col) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!v[i])
            return -1;
        pg_p_text(p, v[i]);
        if (buf_printf(b, "%s$%d", i ? ", " : "", p->n) < 0)
            return -1;
    }
    return buf_puts(b, ")");
}

/* Lists need a variable IN (...), so their SQL is built per call, with
 * every user value bound, never spliced into the text. */
enum store_result pg_list_assets(struct store *s, int64_t customer_id, const struct asset_filter *f,
                                 int page_number, int page_size, struct asset_list *out)
{
    struct pg_store *ps = pg_of(s);
    struct buf where, sql;
    struct pg_conn *c = NULL;
    PGresult *res = NULL;
    enum store_result r = STORE_ERROR;
    struct pg_params p;
    if (!out || page_number < 1 || page_size < 1)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    buf_init(&where, 4096);
    buf_init(&sql, 8192);
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    if (buf_puts(&where, " WHERE a.customer_id = $1 AND a.state = 1") < 0)
        goto done;
    if (f) {
        if (pg_where_in(&where, &p, "a.group_id", f->group_ids, f->n_group_ids) < 0 ||
            pg_where_in(&where, &p, "a.status", f->statuses, f->n_statuses) < 0)
            goto done;
        if (f->type) {
            pg_p_text(&p, f->type);
            if (buf_printf(&where, " AND a.type = $%d", p.n) < 0)
                goto done;
        }
        if (f->name_sub) {
            pg_p_text(&p, f->name_sub);
            if (buf_printf(&where, " AND strpos(a.name, $%d) > 0", p.n) < 0)
                goto done;
        }
    }
    c = pg_get(ps);
    if (!c) {
        r = STORE_UNAVAILABLE;
        goto done;
    }
    int64_t offset = (int64_t)(page_number - 1) * page_size;
    /* Count and page on one snapshot, so total matches the page. */
    r = pg_cmd(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin");
    if (r != STORE_OK)
        goto done;
    if (buf_printf(&sql, "SELECT COUNT(*) FROM assets a%s", where.data) < 0) {
        r = STORE_ERROR;
        goto end;
    }
    r = pg_exec(c, PG_ADHOC, sql.data, &p, &res, "list_assets count");
    if (r != STORE_OK)
        goto end;
    out->total = pg_col_i64(res, 0, 0);
    PQclear(res);
    res = NULL;
    if (out->total <= offset)
        goto end;
    int64_t want = out->total - offset < page_size ? out->total - offset : page_size;
    buf_reset(&sql);
    int n_filter = p.n;
    pg_p_i64(&p, want);
    pg_p_i64(&p, offset);
    if (buf_printf(&sql, "SELECT " PG_ASSET_COLS " FROM assets a%s ORDER BY a.create_ms DESC, a.handle DESC"
                         " LIMIT $%d OFFSET $%d", where.data, n_filter + 1, n_filter + 2) < 0) {
        r = STORE_ERROR;
        goto end;
    }
    r = pg_exec(c, PG_ADHOC, sql.data, &p, &res, "list_assets");
    if (r != STORE_OK)
        goto end;
    int n = PQntuples(res);
    out->items = calloc((size_t)(n ? n : 1), sizeof *out->items);
    if (!out->items) {
        r = STORE_ERROR;
        goto end;
    }
    for (int i = 0; i < n && (int64_t)i < want; i++)
        pg_read_asset(res, i, &out->items[out->n++]);
end:
    r = pg_end(c, r);
done:
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    PQclear(res);
    if (c)
        pg_put(ps, c);
    buf_free(&where);
    buf_free(&sql);
    return r;
}

enum store_result pg_update_asset(struct store *s, int64_t customer_id, const char *id, const char *name,
                                  int64_t now_ms)
{
    if (!id || (name && !pg_fits(name, STORE_NAME_MAX)))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, name);
    pg_p_i64(&p, now_ms);
    return pg_write_row(s,
                                       "UPDATE assets SET name = coalesce($3::text, name), update_ms = $4"
                                       " WHERE id = $1 AND customer_id = $2 AND state = 1",
                                       &p, "update_asset");
}

enum store_result pg_delete_asset(struct store *s, int64_t customer_id, const char *id, int64_t now_ms)
{
    if (!id)
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_i64(&p, customer_id);
    pg_p_i64(&p, now_ms);
    return pg_write_row(s,
                                       "UPDATE assets SET state = 2, deleted_ms = $3"
                                       " WHERE id = $1 AND customer_id = $2 AND state = 1",
                                       &p, "delete_asset");
}
