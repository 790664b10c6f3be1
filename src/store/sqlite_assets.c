/* sqlite_assets.c — assets in the SQLite store, and the refresher's
 * queries over them.
 *
 * Invariant: customer-scoped statements filter on customer_id and
 * state = 1 (live); the refresher's statements filter on state = 1 only.
 * get_asset is on the hot path: one cached SELECT by the unique id index,
 * no explicit transaction. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "util/buf.h"

#define SQ_ASSET_COLS                                                                         \
    "a.id, a.group_id, a.customer_id, a.type, a.name, a.url, a.blob_key, a.status,"          \
    " a.failure_reason, a.create_ms, a.update_ms, a.next_poll_ms, a.polls, a.error_code, a.error_message, a.tag"

/* The API layer caps filter lists long before this. */
#define SQ_FILTER_LIST_MAX 100

static void sq_read_asset(sqlite3_stmt *st, struct asset *out)
{
    memset(out, 0, sizeof *out);
    sq_col_text(st, 0, out->id, sizeof out->id);
    sq_col_text(st, 1, out->group_id, sizeof out->group_id);
    out->customer_id = sqlite3_column_int64(st, 2);
    sq_col_text(st, 3, out->type, sizeof out->type);
    sq_col_text(st, 4, out->name, sizeof out->name);
    sq_col_text(st, 5, out->url, sizeof out->url);
    sq_col_text(st, 6, out->blob_key, sizeof out->blob_key);
    sq_col_text(st, 7, out->status, sizeof out->status);
    sq_col_text(st, 8, out->failure_reason, sizeof out->failure_reason);
    out->create_ms = sqlite3_column_int64(st, 9);
    out->update_ms = sqlite3_column_int64(st, 10);
    out->next_poll_ms = sqlite3_column_int64(st, 11);
    out->polls = sqlite3_column_int(st, 12);
    sq_col_text(st, 13, out->error_code, sizeof out->error_code);
    sq_col_text(st, 14, out->error_message, sizeof out->error_message);
    sq_col_text(st, 15, out->tag, sizeof out->tag);
}

enum store_result sq_reserve_asset(struct store *s, int64_t customer_id, const char *group_id, const char *type,
                                   const char *name, const char *url, const char *blob_key, int max_assets,
                                   int64_t now_ms, const char *tag, int64_t *handle)
{
    struct sq_store *ss = sq_of(s);
    if (!name)
        name = "";
    if (!blob_key)
        blob_key = "";
    if (!tag)
        tag = "";
    if (!sq_fits(tag, STORE_TAG_MAX) || !group_id || !sq_fits(type, sizeof((struct asset *)0)->type) || !type[0] || !sq_fits(name, STORE_NAME_MAX) ||
        !sq_fits(url, STORE_URL_MAX) || !sq_fits(blob_key, sizeof((struct asset *)0)->blob_key) || !handle)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    /* Ownership, quota and insert in one write transaction: the group
     * cannot be deleted, nor the quota filled, between check and insert. */
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = sq_stmt(c, SQ_LIVE_GROUP,
                               "SELECT 1 FROM groups WHERE id = ?1 AND customer_id = ?2 AND state = 1");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_text(st, 1, group_id);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    r = sq_done(c, st, rc, "reserve_asset group");
    if (r == STORE_OK && rc != SQLITE_ROW)
        r = STORE_NOT_FOUND;
    if (r != STORE_OK)
        goto end;
    st = sq_stmt(c, SQ_COUNT_ASSETS_IN_GROUP,
                 "SELECT (SELECT COUNT(*) FROM assets WHERE group_id = ?1 AND state IN (0, 1))"
                 /* upload sessions holding a slot (sqlite_uploads.c) */
                 " + (SELECT COUNT(*) FROM upload_sessions WHERE group_id = ?1 AND state IN (0, 1, 2))");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_text(st, 1, group_id);
    rc = sqlite3_step(st);
    int64_t count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    r = sq_done(c, st, rc, "reserve_asset count");
    if (r != STORE_OK)
        goto end;
    if (count >= max_assets) {
        r = STORE_QUOTA;
        goto end;
    }
    st = sq_stmt(c, SQ_INSERT_ASSET,
                 "INSERT INTO assets(group_id, customer_id, type, name, url, blob_key, status, state,"
                 " reserved_ms, create_ms, update_ms, tag)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'Processing', 0, ?7, ?7, ?7, ?8)");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_text(st, 1, group_id);
    sqlite3_bind_int64(st, 2, customer_id);
    sq_bind_text(st, 3, type);
    sq_bind_text(st, 4, name);
    sq_bind_text(st, 5, url);
    sq_bind_text(st, 6, blob_key);
    sqlite3_bind_int64(st, 7, now_ms);
    sq_bind_text(st, 8, tag);
    r = sq_done(c, st, sqlite3_step(st), "reserve_asset insert");
    if (r == STORE_OK)
        *handle = sqlite3_last_insert_rowid(c->db);
end:
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

struct sq_confirm_asset_args {
    int64_t handle;
    const char *id;
    int64_t now_ms, next_poll_ms;
};

static void sq_bind_confirm_asset(sqlite3_stmt *st, const void *arg)
{
    const struct sq_confirm_asset_args *a = arg;
    sqlite3_bind_int64(st, 1, a->handle);
    sq_bind_text(st, 2, a->id);
    sqlite3_bind_int64(st, 3, a->now_ms);
    sqlite3_bind_int64(st, 4, a->next_poll_ms);
}

enum store_result sq_confirm_asset(struct store *s, int64_t handle, const char *id, int64_t now_ms,
                                   int64_t next_poll_ms)
{
    if (!sq_fits(id, IDS_MAX) || !id[0])
        return STORE_ERROR;
    struct sq_confirm_asset_args a = {handle, id, now_ms, next_poll_ms};
    /* state = 0: a reservation whose group was deleted meanwhile is
     * state 2 and is not revived. */
    struct sq_write w = {SQ_CONFIRM_ASSET,
                         "UPDATE assets SET id = ?2, state = 1, status = 'Processing', failure_reason = '',"
                         " create_ms = ?3, update_ms = ?3, next_poll_ms = ?4, polls = 0"
                         " WHERE handle = ?1 AND state = 0 AND id IS NULL",
                         "confirm_asset", sq_bind_confirm_asset, &a};
    return sq_write_row(s, &w);
}

enum store_result sq_release_asset(struct store *s, int64_t handle)
{
    /* id IS NULL: any never-confirmed row, pending or swept up by a group
     * delete; a confirmed asset is never released. */
    struct sq_write w = {SQ_RELEASE_ASSET, "DELETE FROM assets WHERE handle = ?1 AND id IS NULL", "release_asset",
                         sq_bind_handle, &handle};
    return sq_write_row(s, &w);
}

enum store_result sq_get_asset(struct store *s, int64_t customer_id, const char *id, struct asset *out)
{
    struct sq_store *ss = sq_of(s);
    if (!id || !out)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = STORE_ERROR;
    sqlite3_stmt *st = sq_stmt(c, SQ_GET_ASSET,
                               "SELECT " SQ_ASSET_COLS " FROM assets a"
                               " WHERE a.id = ?1 AND a.customer_id = ?2 AND a.state = 1");
    if (st) {
        sq_bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, customer_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            sq_read_asset(st, out);
        r = sq_done(c, st, rc, "get_asset");
        if (r == STORE_OK && rc == SQLITE_DONE)
            r = STORE_NOT_FOUND;
    }
    sq_put(ss, c);
    return r;
}

/* Appends " AND col IN (?, ?, ...)" for n values; -1 on overflow. */
static int sq_where_in(struct buf *b, const char *col, const char *const *v, size_t n)
{
    if (n == 0)
        return 0;
    if (n > SQ_FILTER_LIST_MAX || !v)
        return -1;
    if (buf_printf(b, " AND %s IN (", col) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!v[i] || buf_puts(b, i ? ", ?" : "?") < 0)
            return -1;
    }
    return buf_puts(b, ")");
}

/* Binds ?1 customer_id, then the filter values in the order the WHERE was
 * built; returns the next free parameter index. */
static int sq_bind_asset_filter(sqlite3_stmt *st, int64_t customer_id, const struct asset_filter *f)
{
    int i = 1;
    sqlite3_bind_int64(st, i++, customer_id);
    if (!f)
        return i;
    for (size_t k = 0; k < f->n_group_ids; k++)
        sq_bind_text(st, i++, f->group_ids[k]);
    for (size_t k = 0; k < f->n_statuses; k++)
        sq_bind_text(st, i++, f->statuses[k]);
    if (f->type)
        sq_bind_text(st, i++, f->type);
    if (f->name_sub)
        sq_bind_text(st, i++, f->name_sub);
    return i;
}

/* Lists need a variable IN (...), so their SQL is built per call, with
 * every user value bound, never spliced into the text. */
enum store_result sq_list_assets(struct store *s, int64_t customer_id, const struct asset_filter *f,
                                 int page_number, int page_size, struct asset_list *out)
{
    struct sq_store *ss = sq_of(s);
    struct buf where, sql;
    sqlite3_stmt *st = NULL;
    struct sq_conn *c = NULL;
    enum store_result r = STORE_ERROR;
    if (!out || page_number < 1 || page_size < 1)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    buf_init(&where, 4096);
    buf_init(&sql, 8192);
    if (buf_puts(&where, " WHERE a.customer_id = ? AND a.state = 1") < 0)
        goto done;
    if (f) {
        if (sq_where_in(&where, "a.group_id", f->group_ids, f->n_group_ids) < 0 ||
            sq_where_in(&where, "a.status", f->statuses, f->n_statuses) < 0 ||
            (f->type && buf_puts(&where, " AND a.type = ?") < 0) ||
            (f->name_sub && buf_puts(&where, " AND instr(a.name, ?) > 0") < 0))
            goto done;
    }
    c = sq_get(ss);
    if (!c) {
        r = STORE_UNAVAILABLE;
        goto done;
    }
    int64_t offset = (int64_t)(page_number - 1) * page_size;
    /* Count and page in one read transaction, so total matches the page. */
    r = sq_begin_read(c);
    if (r != STORE_OK)
        goto done;
    r = STORE_ERROR;
    if (buf_printf(&sql, "SELECT COUNT(*) FROM assets a%s", where.data) < 0 ||
        sqlite3_prepare_v2(c->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
        r = sq_result(c, sqlite3_errcode(c->db), "list_assets prepare");
        if (r == STORE_OK)
            r = STORE_ERROR;
        goto end;
    }
    sq_bind_asset_filter(st, customer_id, f);
    int rc = sqlite3_step(st);
    out->total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    r = sq_result(c, rc, "list_assets count");
    sqlite3_finalize(st);
    st = NULL;
    if (r != STORE_OK || out->total <= offset)
        goto end;
    int64_t want = out->total - offset < page_size ? out->total - offset : page_size;
    out->items = calloc((size_t)want, sizeof *out->items);
    buf_reset(&sql);
    if (!out->items ||
        buf_printf(&sql, "SELECT " SQ_ASSET_COLS " FROM assets a%s ORDER BY a.create_ms DESC, a.handle DESC"
                         " LIMIT ? OFFSET ?", where.data) < 0 ||
        sqlite3_prepare_v2(c->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
        r = STORE_ERROR;
        goto end;
    }
    int next = sq_bind_asset_filter(st, customer_id, f);
    sqlite3_bind_int64(st, next, want);
    sqlite3_bind_int64(st, next + 1, offset);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < (size_t)want)
        sq_read_asset(st, &out->items[out->n++]);
    r = sq_result(c, rc == SQLITE_ROW ? SQLITE_DONE : rc, "list_assets");
end:
    sqlite3_finalize(st);
    r = sq_end_read(c, r);
done:
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    sq_put(ss, c);
    buf_free(&where);
    buf_free(&sql);
    return r;
}

struct sq_update_asset_args {
    int64_t customer_id;
    const char *id, *name;
    int64_t now_ms;
};

static void sq_bind_update_asset(sqlite3_stmt *st, const void *arg)
{
    const struct sq_update_asset_args *a = arg;
    sq_bind_text(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->customer_id);
    sq_bind_text(st, 3, a->name);
    sqlite3_bind_int64(st, 4, a->now_ms);
}

enum store_result sq_update_asset(struct store *s, int64_t customer_id, const char *id, const char *name,
                                  int64_t now_ms)
{
    if (!id || (name && !sq_fits(name, STORE_NAME_MAX)))
        return STORE_ERROR;
    struct sq_update_asset_args a = {customer_id, id, name, now_ms};
    struct sq_write w = {SQ_UPDATE_ASSET,
                         "UPDATE assets SET name = coalesce(?3, name), update_ms = ?4"
                         " WHERE id = ?1 AND customer_id = ?2 AND state = 1",
                         "update_asset", sq_bind_update_asset, &a};
    return sq_write_row(s, &w);
}

struct sq_delete_asset_args {
    int64_t customer_id;
    const char *id;
    int64_t now_ms;
};

static void sq_bind_delete_asset(sqlite3_stmt *st, const void *arg)
{
    const struct sq_delete_asset_args *a = arg;
    sq_bind_text(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->customer_id);
    sqlite3_bind_int64(st, 3, a->now_ms);
}

enum store_result sq_delete_asset(struct store *s, int64_t customer_id, const char *id, int64_t now_ms)
{
    if (!id)
        return STORE_ERROR;
    struct sq_delete_asset_args a = {customer_id, id, now_ms};
    struct sq_write w = {SQ_DELETE_ASSET,
                         "UPDATE assets SET state = 2, deleted_ms = ?3"
                         " WHERE id = ?1 AND customer_id = ?2 AND state = 1",
                         "delete_asset", sq_bind_delete_asset, &a};
    return sq_write_row(s, &w);
}

/* ---- the refresher ----------------------------------------------------- */

struct sq_status_args {
    const char *id, *status, *reason, *code, *message;
    int64_t now_ms;
};

static void sq_bind_status(sqlite3_stmt *st, const void *arg)
{
    const struct sq_status_args *a = arg;
    sq_bind_text(st, 1, a->id);
    sq_bind_text(st, 2, a->status);
    sq_bind_text(st, 3, a->reason);
    sqlite3_bind_int64(st, 4, a->now_ms);
    sq_bind_text(st, 5, a->code);
    sq_bind_text(st, 6, a->message);
}

/* Copies at most cap-1 bytes of s, cutting before a partial UTF-8
 * sequence, so an upstream's long failure reason stays valid text. */
static void sq_copy_utf8(char *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

enum store_result sq_set_asset_status(struct store *s, const char *id, const char *status, const char *reason,
                                      const char *error_code, const char *error_message, int64_t now_ms)
{
    char why[STORE_REASON_MAX], code[sizeof((struct asset *)0)->error_code], message[STORE_REASON_MAX];
    if (!id || !sq_fits(status, sizeof((struct asset *)0)->status) || !status[0])
        return STORE_ERROR;
    sq_copy_utf8(why, sizeof why, reason ? reason : "");
    sq_copy_utf8(code, sizeof code, error_code ? error_code : "");
    sq_copy_utf8(message, sizeof message, error_message ? error_message : "");
    struct sq_status_args a = {id, status, why, code, message, now_ms};
    /* SET expressions all read the old row, so the CASE compares against
     * the status before this update. */
    struct sq_write w = {SQ_SET_STATUS,
                         "UPDATE assets SET update_ms = CASE WHEN status <> ?2 THEN ?4 ELSE update_ms END,"
                         " status = ?2, failure_reason = ?3, error_code = ?5, error_message = ?6"
                         " WHERE id = ?1 AND state = 1",
                         "set_asset_status", sq_bind_status, &a};
    return sq_write_row(s, &w);
}

enum store_result sq_due_assets(struct store *s, int64_t now_ms, size_t limit, struct asset_list *out)
{
    struct sq_store *ss = sq_of(s);
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return STORE_OK;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = STORE_ERROR;
    size_t cap = 0;
    /* The literals match the partial index assets_due, which the planner
     * can only use when the query's WHERE implies the index's. Customers
     * take turns: every customer's k-th due asset comes before anyone's
     * (k+1)-th, so one customer's 50 Processing assets cannot fill a batch
     * and starve another's one. */
    sqlite3_stmt *st = sq_stmt(c, SQ_DUE_ASSETS,
                               "SELECT " SQ_ASSET_COLS " FROM ("
                               "  SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.customer_id"
                               "                                 ORDER BY d.next_poll_ms, d.handle) AS turn"
                               "  FROM assets d"
                               "  WHERE d.state = 1 AND d.status NOT IN ('Active', 'Failed') AND d.next_poll_ms <= ?1) a"
                               " ORDER BY a.turn, a.next_poll_ms, a.handle LIMIT ?2");
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < limit) {
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct asset *p = realloc(out->items, ncap * sizeof *p);
            if (!p) {
                rc = SQLITE_NOMEM;
                break;
            }
            out->items = p;
            cap = ncap;
        }
        sq_read_asset(st, &out->items[out->n++]);
    }
    r = sq_done(c, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "due_assets");
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
out:
    sq_put(ss, c);
    return r;
}

struct sq_poll_args {
    const char *id;
    int64_t next_poll_ms;
    int polls;
};

static void sq_bind_poll(sqlite3_stmt *st, const void *arg)
{
    const struct sq_poll_args *a = arg;
    sq_bind_text(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->next_poll_ms);
    sqlite3_bind_int(st, 3, a->polls);
}

enum store_result sq_schedule_poll(struct store *s, const char *id, int64_t next_poll_ms, int polls)
{
    if (!id)
        return STORE_ERROR;
    struct sq_poll_args a = {id, next_poll_ms, polls};
    struct sq_write w = {SQ_SCHEDULE_POLL,
                         "UPDATE assets SET next_poll_ms = ?2, polls = ?3 WHERE id = ?1 AND state = 1",
                         "schedule_poll", sq_bind_poll, &a};
    return sq_write_row(s, &w);
}

enum store_result sq_count_assets(struct store *s, struct asset_counts *out)
{
    struct sq_store *ss = sq_of(s);
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = STORE_ERROR;
    sqlite3_stmt *st = sq_stmt(c, SQ_COUNT_BY_STATUS,
                               "SELECT status, COUNT(*) FROM assets WHERE state = 1 GROUP BY status");
    if (st) {
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *status = (const char *)sqlite3_column_text(st, 0);
            int64_t n = sqlite3_column_int64(st, 1);
            if (!status)
                continue;
            if (strcmp(status, "Processing") == 0)
                out->processing = n;
            else if (strcmp(status, "Active") == 0)
                out->active = n;
            else if (strcmp(status, "Failed") == 0)
                out->failed = n;
        }
        r = sq_done(c, st, rc, "count_assets");
    }
    sq_put(ss, c);
    return r;
}

enum store_result sq_sweep_reservations(struct store *s, int64_t older_than_ms, int *n_out)
{
    struct sq_store *ss = sq_of(s);
    int n = 0;
    if (n_out)
        *n_out = 0;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    /* Assets first: a pending asset sits in a live group, never in a
     * pending one, so this order never trips a foreign key. */
    sqlite3_stmt *st = sq_stmt(c, SQ_SWEEP_ASSETS, "DELETE FROM assets WHERE id IS NULL AND reserved_ms < ?1");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sqlite3_bind_int64(st, 1, older_than_ms);
    r = sq_done(c, st, sqlite3_step(st), "sweep assets");
    if (r != STORE_OK)
        goto end;
    n += sqlite3_changes(c->db);
    st = sq_stmt(c, SQ_SWEEP_GROUPS, "DELETE FROM groups WHERE id IS NULL AND reserved_ms < ?1");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sqlite3_bind_int64(st, 1, older_than_ms);
    r = sq_done(c, st, sqlite3_step(st), "sweep groups");
    if (r == STORE_OK)
        n += sqlite3_changes(c->db);
end:
    r = sq_end_write(ss, c, r);
    if (r == STORE_OK && n_out)
        *n_out = n;
out:
    sq_put(ss, c);
    return r;
}
