/* pg_groups.c — asset groups in the PostgreSQL store.
 *
 * Invariant: every customer-scoped statement has customer_id and
 * state = 1 (live) in its WHERE clause, so another customer's row, a
 * pending row and a deleted row all read as STORE_NOT_FOUND.
 *
 * Quota across nodes: reserve_group locks the customer's row (FOR UPDATE)
 * before it counts, so concurrent reservations of one customer, from any
 * node, count and insert one after the other; under READ COMMITTED each
 * statement after the lock sees every reservation committed before it. */
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

#define PG_GROUP_COLS                                                                          \
    "g.id, g.customer_id, g.type, g.name, g.description,"                                      \
    " (SELECT COUNT(*) FROM assets a WHERE a.group_id = g.id AND a.state = 1),"                \
    " g.create_ms, g.update_ms, g.tag"

static void pg_read_group(PGresult *res, int row, struct group *out)
{
    memset(out, 0, sizeof *out);
    pg_col_text(res, row, 0, out->id, sizeof out->id);
    out->customer_id = pg_col_i64(res, row, 1);
    pg_col_text(res, row, 2, out->type, sizeof out->type);
    pg_col_text(res, row, 3, out->name, sizeof out->name);
    pg_col_text(res, row, 4, out->description, sizeof out->description);
    out->asset_count = (int)pg_col_i64(res, row, 5);
    out->create_ms = pg_col_i64(res, row, 6);
    out->update_ms = pg_col_i64(res, row, 7);
    pg_col_text(res, row, 8, out->tag, sizeof out->tag);
}

enum store_result pg_lock_count_groups(struct pg_conn *c, int64_t customer_id, int64_t *count)
{
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    PGresult *res = NULL;
    enum store_result r =
        pg_exec(c, PG_ADHOC, "SELECT 1 FROM customers WHERE id = $1 FOR UPDATE", &p, &res, "lock customer");
    if (r == STORE_OK && PQntuples(res) != 1)
        r = STORE_NOT_FOUND;
    PQclear(res);
    res = NULL;
    if (r != STORE_OK)
        return r;
    r = pg_exec(c, PG_ADHOC, "SELECT COUNT(*) FROM groups WHERE customer_id = $1 AND state IN (0, 1)", &p, &res,
                "count groups");
    if (r == STORE_OK)
        *count = pg_col_i64(res, 0, 0);
    PQclear(res);
    return r;
}

enum store_result pg_reserve_group(struct store *s, int64_t customer_id, const char *type, const char *name,
                                   const char *description, int max_groups, int64_t now_ms, const char *tag,
                                   int64_t *handle)
{
    struct pg_store *ps = pg_of(s);
    if (!description)
        description = "";
    if (!tag)
        tag = "";
    if (!pg_fits(tag, STORE_TAG_MAX) || !pg_fits(type, sizeof((struct group *)0)->type) || !type[0] || !pg_fits(name, STORE_NAME_MAX) ||
        !pg_fits(description, STORE_DESC_MAX) || !handle)
        return STORE_ERROR;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    int64_t count = 0;
    enum store_result r = pg_begin(c);
    if (r != STORE_OK)
        goto out;
    r = pg_lock_count_groups(c, customer_id, &count);
    if (r == STORE_NOT_FOUND)
        r = STORE_ERROR; /* a customer id always comes from a found key */
    if (r != STORE_OK)
        goto end;
    if (count >= max_groups) {
        r = STORE_QUOTA;
        goto end;
    }
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, type);
    pg_p_text(&p, name);
    pg_p_text(&p, description);
    pg_p_i64(&p, now_ms);
    pg_p_text(&p, tag);
    r = pg_exec(c, PG_ADHOC,
                "INSERT INTO groups(customer_id, type, name, description, state, reserved_ms, create_ms, update_ms,"
                " tag) VALUES ($1, $2, $3, $4, 0, $5, $5, $5, $6) RETURNING handle",
                &p, &res, "reserve_group insert");
    if (r == STORE_OK)
        *handle = pg_col_i64(res, 0, 0);
end:
    r = pg_end(c, r);
out:
    PQclear(res);
    pg_put(ps, c);
    return r;
}

enum store_result pg_confirm_group(struct store *s, int64_t handle, const char *id, int64_t now_ms)
{
    if (!pg_fits(id, IDS_MAX) || !id[0])
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, handle);
    pg_p_text(&p, id);
    pg_p_i64(&p, now_ms);
    return pg_write_row(s,
                                       "UPDATE groups SET id = $2, state = 1, create_ms = $3, update_ms = $3"
                                       " WHERE handle = $1 AND state = 0 AND id IS NULL",
                                       &p, "confirm_group");
}

enum store_result pg_release_group(struct store *s, int64_t handle)
{
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, handle);
    return pg_write_row(s, "DELETE FROM groups WHERE handle = $1 AND id IS NULL", &p, "release_group");
}

enum store_result pg_get_group(struct store *s, int64_t customer_id, const char *id, struct group *out)
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
    enum store_result r = pg_exec(c, PG_GET_GROUP,
                                  "SELECT " PG_GROUP_COLS " FROM groups g"
                                  " WHERE g.id = $1 AND g.customer_id = $2 AND g.state = 1",
                                  &p, &res, "get_group");
    if (r == STORE_OK) {
        if (PQntuples(res) == 1)
            pg_read_group(res, 0, out);
        else
            r = STORE_NOT_FOUND;
    }
    PQclear(res);
    pg_put(ps, c);
    return r;
}

/* The optional filters are NULL-able parameters, so the statements stay
 * fixed. strpos(), not LIKE: '%' and '_' from a user's filter are literal
 * characters. */
#define PG_GROUP_WHERE                                                  \
    " WHERE g.customer_id = $1 AND g.state = 1"                         \
    " AND ($2::text IS NULL OR g.type = $2::text)"                      \
    " AND ($3::text IS NULL OR strpos(g.name, $3::text) > 0)"

enum store_result pg_list_groups(struct store *s, int64_t customer_id, const struct group_filter *f,
                                 int page_number, int page_size, struct group_list *out)
{
    struct pg_store *ps = pg_of(s);
    if (!out || page_number < 1 || page_size < 1)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    int64_t offset = (int64_t)(page_number - 1) * page_size;
    PGresult *res = NULL;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, f ? f->type : NULL);
    pg_p_text(&p, f ? f->name_sub : NULL);
    /* Count and page in one REPEATABLE READ transaction: one snapshot, so
     * total matches the page. */
    enum store_result r = pg_cmd(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin");
    if (r != STORE_OK)
        goto out;
    r = pg_exec(c, PG_ADHOC, "SELECT COUNT(*) FROM groups g" PG_GROUP_WHERE, &p, &res, "list_groups count");
    if (r != STORE_OK)
        goto end;
    out->total = pg_col_i64(res, 0, 0);
    PQclear(res);
    res = NULL;
    if (out->total <= offset)
        goto end;
    int64_t want = out->total - offset < page_size ? out->total - offset : page_size;
    pg_p_i64(&p, want);
    pg_p_i64(&p, offset);
    r = pg_exec(c, PG_ADHOC,
                "SELECT " PG_GROUP_COLS " FROM groups g" PG_GROUP_WHERE
                " ORDER BY g.create_ms DESC, g.handle DESC LIMIT $4 OFFSET $5",
                &p, &res, "list_groups");
    if (r != STORE_OK)
        goto end;
    int n = PQntuples(res);
    out->items = calloc((size_t)(n ? n : 1), sizeof *out->items);
    if (!out->items) {
        r = STORE_ERROR;
        goto end;
    }
    for (int i = 0; i < n && (int64_t)i < want; i++)
        pg_read_group(res, i, &out->items[out->n++]);
end:
    r = pg_end(c, r);
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
out:
    PQclear(res);
    pg_put(ps, c);
    return r;
}

enum store_result pg_update_group(struct store *s, int64_t customer_id, const char *id, const char *name,
                                  const char *description, int64_t now_ms)
{
    if (!id || (name && !pg_fits(name, STORE_NAME_MAX)) || (description && !pg_fits(description, STORE_DESC_MAX)))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, name);
    pg_p_text(&p, description);
    pg_p_i64(&p, now_ms);
    return pg_write_row(s,
                     "UPDATE groups SET name = coalesce($3::text, name), description = coalesce($4::text, description),"
                     " update_ms = $5 WHERE id = $1 AND customer_id = $2 AND state = 1",
                     &p, "update_group");
}

enum store_result pg_delete_group(struct store *s, int64_t customer_id, const char *id, int64_t now_ms)
{
    struct pg_store *ps = pg_of(s);
    if (!id)
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
    pg_p_text(&p, id);
    pg_p_i64(&p, customer_id);
    pg_p_i64(&p, now_ms);
    /* Updating the group row waits for a reserve_asset holding its lock,
     * so no asset can be reserved into the group after this commits. */
    r = pg_exec(c, PG_ADHOC,
                "UPDATE groups SET state = 2, deleted_ms = $3, update_ms = $3"
                " WHERE id = $1 AND customer_id = $2 AND state = 1",
                &p, &res, "delete_group");
    if (r == STORE_OK && pg_changes(res) == 0)
        r = STORE_NOT_FOUND;
    if (r != STORE_OK)
        goto end;
    /* Pending assets go too: their confirm then finds nothing, so an
     * asset can never become live inside a deleted group. */
    struct pg_params q;
    pg_p_init(&q);
    pg_p_text(&q, id);
    pg_p_i64(&q, now_ms);
    r = pg_exec(c, PG_ADHOC, "UPDATE assets SET state = 2, deleted_ms = $2 WHERE group_id = $1 AND state IN (0, 1)",
                &q, NULL, "delete_group assets");
end:
    r = pg_end(c, r);
out:
    PQclear(res);
    pg_put(ps, c);
    return r;
}
