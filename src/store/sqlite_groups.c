/* sqlite_groups.c — asset groups in the SQLite store.
 *
 * Invariant: every customer-scoped statement has customer_id and
 * state = 1 (live) in its WHERE clause, so another customer's row, a
 * pending row and a deleted row all read as STORE_NOT_FOUND. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

#define SQ_GROUP_COLS                                                                          \
    "g.id, g.customer_id, g.type, g.name, g.description,"                                      \
    " (SELECT COUNT(*) FROM assets a WHERE a.group_id = g.id AND a.state = 1),"                \
    " g.create_ms, g.update_ms, g.tag"

static void sq_read_group(sqlite3_stmt *st, struct group *out)
{
    memset(out, 0, sizeof *out);
    sq_col_text(st, 0, out->id, sizeof out->id);
    out->customer_id = sqlite3_column_int64(st, 1);
    sq_col_text(st, 2, out->type, sizeof out->type);
    sq_col_text(st, 3, out->name, sizeof out->name);
    sq_col_text(st, 4, out->description, sizeof out->description);
    out->asset_count = sqlite3_column_int(st, 5);
    out->create_ms = sqlite3_column_int64(st, 6);
    out->update_ms = sqlite3_column_int64(st, 7);
    sq_col_text(st, 8, out->tag, sizeof out->tag);
}

enum store_result sq_reserve_group(struct store *s, int64_t customer_id, const char *type, const char *name,
                                   const char *description, int max_groups, int64_t now_ms, const char *tag,
                                   int64_t *handle)
{
    struct sq_store *ss = sq_of(s);
    if (!description)
        description = "";
    if (!tag)
        tag = "";
    if (!sq_fits(tag, STORE_TAG_MAX) || !sq_fits(type, sizeof((struct group *)0)->type) || !type[0] || !sq_fits(name, STORE_NAME_MAX) ||
        !sq_fits(description, STORE_DESC_MAX) || !handle)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    /* Quota is checked inside the insert's write transaction: a separate
     * SELECT would let two concurrent creates both see 49. */
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = sq_stmt(c, SQ_COUNT_GROUPS,
                               "SELECT COUNT(*) FROM groups WHERE customer_id = ?1 AND state IN (0, 1)");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sqlite3_bind_int64(st, 1, customer_id);
    int rc = sqlite3_step(st);
    int64_t count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    r = sq_done(c, st, rc, "reserve_group count");
    if (r != STORE_OK)
        goto end;
    if (count >= max_groups) {
        r = STORE_QUOTA;
        goto end;
    }
    st = sq_stmt(c, SQ_INSERT_GROUP,
                 "INSERT INTO groups(customer_id, type, name, description, state, reserved_ms, create_ms, update_ms,"
                 " tag) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5, ?5, ?6)");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sqlite3_bind_int64(st, 1, customer_id);
    sq_bind_text(st, 2, type);
    sq_bind_text(st, 3, name);
    sq_bind_text(st, 4, description);
    sqlite3_bind_int64(st, 5, now_ms);
    sq_bind_text(st, 6, tag);
    r = sq_done(c, st, sqlite3_step(st), "reserve_group insert");
    if (r == STORE_OK)
        *handle = sqlite3_last_insert_rowid(c->db);
end:
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

struct sq_confirm_args {
    int64_t handle;
    const char *id;
    int64_t now_ms;
};

static void sq_bind_confirm_group(sqlite3_stmt *st, const void *arg)
{
    const struct sq_confirm_args *a = arg;
    sqlite3_bind_int64(st, 1, a->handle);
    sq_bind_text(st, 2, a->id);
    sqlite3_bind_int64(st, 3, a->now_ms);
}

enum store_result sq_confirm_group(struct store *s, int64_t handle, const char *id, int64_t now_ms)
{
    if (!sq_fits(id, IDS_MAX) || !id[0])
        return STORE_ERROR;
    struct sq_confirm_args a = {handle, id, now_ms};
    struct sq_write w = {SQ_CONFIRM_GROUP,
                         "UPDATE groups SET id = ?2, state = 1, create_ms = ?3, update_ms = ?3"
                         " WHERE handle = ?1 AND state = 0 AND id IS NULL",
                         "confirm_group", sq_bind_confirm_group, &a};
    return sq_write_row(s, &w);
}

enum store_result sq_release_group(struct store *s, int64_t handle)
{
    struct sq_write w = {SQ_RELEASE_GROUP, "DELETE FROM groups WHERE handle = ?1 AND id IS NULL", "release_group",
                         sq_bind_handle, &handle};
    return sq_write_row(s, &w);
}

enum store_result sq_get_group(struct store *s, int64_t customer_id, const char *id, struct group *out)
{
    struct sq_store *ss = sq_of(s);
    if (!id || !out)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = STORE_ERROR;
    sqlite3_stmt *st = sq_stmt(c, SQ_GET_GROUP,
                               "SELECT " SQ_GROUP_COLS " FROM groups g"
                               " WHERE g.id = ?1 AND g.customer_id = ?2 AND g.state = 1");
    if (st) {
        sq_bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, customer_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            sq_read_group(st, out);
        r = sq_done(c, st, rc, "get_group");
        if (r == STORE_OK && rc == SQLITE_DONE)
            r = STORE_NOT_FOUND;
    }
    sq_put(ss, c);
    return r;
}

/* The optional filters are NULL-able parameters, so both list statements
 * stay fixed and cached. instr(), not LIKE: '%' and '_' from a user's
 * filter are literal characters. */
#define SQ_GROUP_WHERE                                                  \
    " WHERE g.customer_id = ?1 AND g.state = 1"                         \
    " AND (?2 IS NULL OR g.type = ?2) AND (?3 IS NULL OR instr(g.name, ?3) > 0)"

static void sq_bind_group_filter(sqlite3_stmt *st, int64_t customer_id, const struct group_filter *f)
{
    sqlite3_bind_int64(st, 1, customer_id);
    sq_bind_text(st, 2, f ? f->type : NULL);
    sq_bind_text(st, 3, f ? f->name_sub : NULL);
}

enum store_result sq_list_groups(struct store *s, int64_t customer_id, const struct group_filter *f,
                                 int page_number, int page_size, struct group_list *out)
{
    struct sq_store *ss = sq_of(s);
    if (!out || page_number < 1 || page_size < 1)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    int64_t offset = (int64_t)(page_number - 1) * page_size;
    /* Count and page in one read transaction, so total matches the page. */
    enum store_result r = sq_begin_read(c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = sq_stmt(c, SQ_COUNT_LIST_GROUPS, "SELECT COUNT(*) FROM groups g" SQ_GROUP_WHERE);
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_group_filter(st, customer_id, f);
    int rc = sqlite3_step(st);
    out->total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    r = sq_done(c, st, rc, "list_groups count");
    if (r != STORE_OK || out->total <= offset)
        goto end;
    int64_t want = out->total - offset < page_size ? out->total - offset : page_size;
    out->items = calloc((size_t)want, sizeof *out->items);
    if (!out->items) {
        r = STORE_ERROR;
        goto end;
    }
    st = sq_stmt(c, SQ_LIST_GROUPS,
                 "SELECT " SQ_GROUP_COLS " FROM groups g" SQ_GROUP_WHERE
                 " ORDER BY g.create_ms DESC, g.handle DESC LIMIT ?4 OFFSET ?5");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_group_filter(st, customer_id, f);
    sqlite3_bind_int64(st, 4, want);
    sqlite3_bind_int64(st, 5, offset);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < (size_t)want)
        sq_read_group(st, &out->items[out->n++]);
    r = sq_done(c, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "list_groups");
end:
    r = sq_end_read(c, r);
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
out:
    sq_put(ss, c);
    return r;
}

struct sq_update_group_args {
    int64_t customer_id;
    const char *id, *name, *description;
    int64_t now_ms;
};

static void sq_bind_update_group(sqlite3_stmt *st, const void *arg)
{
    const struct sq_update_group_args *a = arg;
    sq_bind_text(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->customer_id);
    sq_bind_text(st, 3, a->name);
    sq_bind_text(st, 4, a->description);
    sqlite3_bind_int64(st, 5, a->now_ms);
}

enum store_result sq_update_group(struct store *s, int64_t customer_id, const char *id, const char *name,
                                  const char *description, int64_t now_ms)
{
    if (!id || (name && !sq_fits(name, STORE_NAME_MAX)) || (description && !sq_fits(description, STORE_DESC_MAX)))
        return STORE_ERROR;
    struct sq_update_group_args a = {customer_id, id, name, description, now_ms};
    struct sq_write w = {SQ_UPDATE_GROUP,
                         "UPDATE groups SET name = coalesce(?3, name), description = coalesce(?4, description),"
                         " update_ms = ?5 WHERE id = ?1 AND customer_id = ?2 AND state = 1",
                         "update_group", sq_bind_update_group, &a};
    return sq_write_row(s, &w);
}

enum store_result sq_delete_group(struct store *s, int64_t customer_id, const char *id, int64_t now_ms)
{
    struct sq_store *ss = sq_of(s);
    if (!id)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = sq_stmt(c, SQ_DELETE_GROUP,
                               "UPDATE groups SET state = 2, deleted_ms = ?3, update_ms = ?3"
                               " WHERE id = ?1 AND customer_id = ?2 AND state = 1");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, customer_id);
    sqlite3_bind_int64(st, 3, now_ms);
    r = sq_done(c, st, sqlite3_step(st), "delete_group");
    if (r == STORE_OK && sqlite3_changes(c->db) == 0)
        r = STORE_NOT_FOUND;
    if (r != STORE_OK)
        goto end;
    /* Pending assets go too: their confirm then finds nothing, so an
     * asset can never become live inside a deleted group. */
    st = sq_stmt(c, SQ_DELETE_GROUP_ASSETS,
                 "UPDATE assets SET state = 2, deleted_ms = ?2 WHERE group_id = ?1 AND state IN (0, 1)");
    if (!st) {
        r = STORE_ERROR;
        goto end;
    }
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
    r = sq_done(c, st, sqlite3_step(st), "delete_group assets");
end:
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}
