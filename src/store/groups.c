/* groups.c — asset groups, written once over the driver (driver.h).
 *
 * Invariant: every customer-scoped statement has customer_id and
 * state = 1 (live) in its WHERE clause, so another customer's row, a
 * pending row and a deleted row all read as STORE_NOT_FOUND.
 *
 * Quota: reserve_group counts the customer's live and pending groups and
 * inserts inside one write transaction. SQLite has one writer at a time,
 * so nothing can come between; on PostgreSQL the transaction first locks
 * the customer's row (FOR UPDATE), so concurrent reservations of one
 * customer, from any node, count and insert one after the other. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

#define GROUP_COLS                                                                                             \
    "g.id, g.customer_id, g.type, g.name, g.description,"                                                      \
    " (SELECT COUNT(*) FROM assets a WHERE a.group_id = g.id AND a.state = 1),"                                \
    " g.create_ms, g.update_ms, g.tag"

static const struct sql_field group_fields[] = {
    SQL_T(struct group, id), SQL_L(struct group, customer_id), SQL_T(struct group, type), SQL_T(struct group, name),
    SQL_T(struct group, description), SQL_I(struct group, asset_count), SQL_L(struct group, create_ms),
    SQL_L(struct group, update_ms), SQL_T(struct group, tag)};
static const struct sql_row group_row = SQL_ROW(struct group, group_fields);

enum store_result sql_lock_count_groups(struct sql_conn *c, int64_t customer_id, int64_t *count)
{
    if (c->d->row_locks) {
        int64_t one = 0;
        enum store_result r = sql_one(c, SQL_CACHE, "SELECT 1 FROM customers WHERE id = $1 FOR UPDATE", &sql_i64_row,
                                      &one, "i", customer_id);
        if (r != STORE_OK)
            return r;
    }
    *count = 0;
    return sql_int(c, SQL_CACHE, "SELECT COUNT(*) FROM groups WHERE customer_id = $1 AND state IN (0, 1)", count,
                   NULL, "i", customer_id);
}

/* Inside a write transaction: room for one more group of the customer
 * (sql_lock_count_groups), else STORE_QUOTA, or STORE_QUOTA_PENDING when
 * it is full only of creates in flight (pending rows no pending face
 * scan holds). */
static enum store_result group_quota(struct sql_conn *c, int64_t customer_id, int max_groups)
{
    int64_t count = 0, creating = 0;
    enum store_result r = sql_lock_count_groups(c, customer_id, &count);
    if (r == STORE_NOT_FOUND)
        r = STORE_ERROR; /* a customer id always comes from a found key */
    if (r != STORE_OK || count < max_groups)
        return r;
    r = sql_int(c, SQL_CACHE,
                "SELECT COUNT(*) FROM groups g WHERE customer_id = $1 AND state = 0 AND NOT EXISTS"
                " (SELECT 1 FROM validate_sessions v WHERE v.group_handle = g.handle AND v.state = 0)",
                &creating, NULL, "i", customer_id);
    return r != STORE_OK ? r : count - creating < max_groups ? STORE_QUOTA_PENDING : STORE_QUOTA;
}

enum store_result sql_reserve_group(struct store *s, int64_t customer_id, const char *type, const char *name,
                                    const char *description, int max_groups, int64_t now_ms, const char *tag,
                                    int64_t *handle)
{
    if (!description)
        description = "";
    if (!tag)
        tag = "";
    if (!sql_fits(tag, STORE_TAG_MAX) || !sql_fits(type, sizeof((struct group *)0)->type) || !type[0] ||
        !sql_fits(name, STORE_NAME_MAX) || !sql_fits(description, STORE_DESC_MAX) || !handle)
        return STORE_ERROR;
    struct sql_conn *c;
    /* Quota is checked inside the insert's write transaction: a separate
     * SELECT would let two concurrent creates both see 49. */
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    r = group_quota(c, customer_id, max_groups);
    /* node: whose request holds the reservation (NULL before the node
     * joins the fleet), so that another settles it if this one dies. */
    const char *node = sql_fleet_of(s)->node;
    if (r == STORE_OK)
        r = sql_int(c, SQL_CACHE,
                    "INSERT INTO groups(customer_id, type, name, description, state, reserved_ms, create_ms,"
                    " update_ms, tag, node) VALUES ($1, $2, $3, $4, 0, $5, $5, $5, $6, $7) RETURNING handle",
                    handle, NULL, "itttitt", customer_id, type, name, description, now_ms, tag,
                    node[0] ? node : NULL);
    return sql_done(s, c, r);
}

enum store_result sql_confirm_group(struct store *s, int64_t handle, const char *id, int64_t now_ms)
{
    if (!sql_fits(id, IDS_MAX) || !id[0])
        return STORE_ERROR;
    struct sql_conn *c;
    struct sql_usage u = {0};
    int64_t customer_id = 0;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = sql_one(c, SQL_CACHE,
                    "UPDATE groups SET id = $2, state = 1, create_ms = $3, update_ms = $3"
                    " WHERE handle = $1 AND state = 0 AND id IS NULL RETURNING customer_id",
                    &sql_i64_row, &customer_id, "iti", handle, id, now_ms);
    if (r == STORE_OK) {
        sql_usage_add(&u, customer_id, now_ms, USAGE_GROUPS_CREATED, NULL, 1);
        sql_usage_add(&u, customer_id, now_ms, USAGE_LIVE_GROUPS, NULL, 1);
        r = sql_usage_write(c, &u);
    }
    return sql_done(s, c, r);
}

enum store_result sql_get_group(struct store *s, int64_t customer_id, const char *id, struct group *out)
{
    return sql_get_owned(s, SQL_CACHE,
                         "SELECT " GROUP_COLS " FROM groups g WHERE g.id = $1 AND g.customer_id = $2 AND g.state = 1",
                         &group_row, id, customer_id, out);
}

/* The optional filters are NULL-able parameters, so both list statements
 * stay fixed. strpos(), not LIKE: '%' and '_' from a user's filter are
 * literal characters. */
#define GROUP_WHERE                                                                                            \
    " WHERE g.customer_id = $1 AND g.state = 1"                                                                \
    " AND (CAST($2 AS TEXT) IS NULL OR g.type = CAST($2 AS TEXT))"                                             \
    " AND (CAST($3 AS TEXT) IS NULL OR strpos(g.name, CAST($3 AS TEXT)) > 0)"

enum store_result sql_list_groups(struct store *s, int64_t customer_id, const struct group_filter *f,
                                  int page_number, int page_size, struct group_list *out)
{
    if (!out || page_number < 1 || page_size < 1)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    const char *type = f ? f->type : NULL, *name_sub = f ? f->name_sub : NULL;
    int64_t offset = (int64_t)(page_number - 1) * page_size;
    void *items = NULL;
    struct sql_conn *c;
    /* Count and page on one snapshot, so total matches the page. */
    enum store_result r = sql_start(s, SQL_TX_SNAPSHOT, &c);
    if (r != STORE_OK)
        return r;
    r = sql_int(c, SQL_CACHE, "SELECT COUNT(*) FROM groups g" GROUP_WHERE, &out->total, NULL, "itt", customer_id,
                type, name_sub);
    if (r == STORE_OK && out->total > offset) {
        int64_t want = out->total - offset < page_size ? out->total - offset : page_size;
        r = sql_many(c, SQL_CACHE,
                     "SELECT " GROUP_COLS " FROM groups g" GROUP_WHERE
                     " ORDER BY g.create_ms DESC, g.handle DESC LIMIT $4 OFFSET $5",
                     &group_row, (size_t)want, &items, &out->n, "ittii", customer_id, type, name_sub, want, offset);
    }
    r = sql_done_rows(s, c, r, &items, &out->n);
    out->items = items;
    if (r != STORE_OK)
        out->total = 0;
    return r;
}

enum store_result sql_update_group(struct store *s, int64_t customer_id, const char *id, const char *name,
                                   const char *description, int64_t now_ms)
{
    if (!id || (name && !sql_fits(name, STORE_NAME_MAX)) || (description && !sql_fits(description, STORE_DESC_MAX)))
        return STORE_ERROR;
    return sql_write_row(s, SQL_CACHE,
                         "UPDATE groups SET name = coalesce(CAST($3 AS TEXT), name),"
                         " description = coalesce(CAST($4 AS TEXT), description),"
                         " update_ms = $5 WHERE id = $1 AND customer_id = $2 AND state = 1",
                         "titti", id, customer_id, name, description, now_ms);
}

/* A live asset as a delete takes it: what its counters lose. */
struct asset_gone {
    char status[32];
    int64_t bytes;
};
static const struct sql_field asset_gone_fields[] = {SQL_T(struct asset_gone, status), SQL_L(struct asset_gone, bytes)};
static const struct sql_row sql_asset_gone_row = SQL_ROW(struct asset_gone, asset_gone_fields);

static void usage_assets_gone(struct sql_usage *u, int64_t customer_id, int64_t now_ms, const void *gone, size_t n)
{
    const struct asset_gone *g = gone;
    for (size_t i = 0; i < n; i++) {
        sql_usage_add(u, customer_id, now_ms, USAGE_ASSETS_DELETED, NULL, 1);
        sql_usage_add(u, customer_id, now_ms, USAGE_LIVE_ASSETS, g[i].status, -1);
        sql_usage_add(u, customer_id, now_ms, USAGE_LIVE_BYTES, NULL, -g[i].bytes);
    }
}

enum store_result sql_delete_group(struct store *s, int64_t customer_id, const char *id, int64_t now_ms,
                                   const struct actor *who)
{
    if (!id)
        return STORE_ERROR;
    struct sql_conn *c;
    char type[16] = "";
    void *gone = NULL;
    size_t n_gone = 0;
    struct sql_usage u = {0};
    struct audit_event e;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    /* On PostgreSQL, updating the group row waits for a reserve_asset
     * holding its lock, so no asset can be reserved into the group after
     * this commits. */
    struct sql_stmt *st;
    r = sql_open(c, SQL_CACHE,
                 "UPDATE groups SET state = 2, deleted_ms = $3, update_ms = $3"
                 " WHERE id = $1 AND customer_id = $2 AND state = 1 RETURNING type",
                 &st, "tii", id, customer_id, now_ms);
    if (r == STORE_OK) {
        int row = 0;
        r = sql_step(st, &row);
        if (r == STORE_OK && !row)
            r = STORE_NOT_FOUND;
        if (r == STORE_OK)
            sql_col_text(st, 0, type, sizeof type);
        sql_finish(st);
    }
    /* The live assets go with it, each as it stands at this moment (a
     * status written meanwhile by a refresher is waited for: the UPDATE
     * takes the row's lock), so their counters lose exactly what they hold. */
    if (r == STORE_OK)
        r = sql_many(c, SQL_CACHE,
                     "UPDATE assets SET state = 2, deleted_ms = $2 WHERE group_id = $1 AND state = 1"
                     " RETURNING status, bytes",
                     &sql_asset_gone_row, 0, &gone, &n_gone, "ti", id, now_ms);
    /* Pending assets go too: their confirm then finds nothing, so an
     * asset can never become live inside a deleted group. */
    if (r == STORE_OK)
        r = sql_exec(c, SQL_CACHE, "UPDATE assets SET state = 2, deleted_ms = $2 WHERE group_id = $1 AND state = 0",
                     NULL, "ti", id, now_ms);
    if (r == STORE_OK) {
        sql_audit_init(&e, AUDIT_GROUP_DELETED, customer_id, id, id, who, now_ms);
        sql_audit_detail(&e, "si", "GroupType", type, "AssetsDeleted", (int64_t)n_gone);
        r = sql_audit(c, &e);
    }
    if (r == STORE_OK) {
        sql_usage_add(&u, customer_id, now_ms, USAGE_GROUPS_DELETED, NULL, 1);
        sql_usage_add(&u, customer_id, now_ms, USAGE_LIVE_GROUPS, NULL, -1);
        usage_assets_gone(&u, customer_id, now_ms, gone, n_gone);
        r = sql_usage_write(c, &u);
    }
    free(gone);
    return sql_done(s, c, r);
}
