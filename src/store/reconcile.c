/* reconcile.c — the rows core/ settles after the fact, written once over
 * the driver (driver.h): the reservations whose create may or may not have
 * happened upstream (a crash, or an upstream that never answered), for
 * core/reconcile.c to adopt or drop, and the blob keys behind asset
 * records, for removing the bytes of uploads when their records go. With
 * several nodes, callers ask only for reservations old enough that no live
 * node is still creating them. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

static const struct sql_field pending_fields[] = {
    SQL_I(struct store_pending, is_group), SQL_L(struct store_pending, handle),
    SQL_L(struct store_pending, customer_id), SQL_L(struct store_pending, reserved_ms),
    SQL_I(struct store_pending, group_deleted), SQL_T(struct store_pending, type),
    SQL_T(struct store_pending, group_id), SQL_T(struct store_pending, blob_key), SQL_T(struct store_pending, tag)};
static const struct sql_row pending_row = SQL_ROW(struct store_pending, pending_fields);

enum store_result sql_list_pending(struct store *s, int64_t older_than_ms, size_t limit,
                                   struct store_pending_list *out)
{
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return STORE_OK;
    void *items;
    /* id IS NULL: never confirmed. Asset reservations swept up by a group
     * delete are state 2 and still listed: their bytes and row must go. A
     * LivenessFace reservation is a pending session's group slot: listed
     * only once no pending session holds it (its start was cut short). */
    enum store_result r = sql_query_rows(
        s, 0,
        "SELECT 1, handle, customer_id, reserved_ms, 0, type, '', '', tag FROM groups g"
        " WHERE id IS NULL AND reserved_ms < $1 AND NOT EXISTS (SELECT 1 FROM validate_sessions v"
        "  WHERE v.group_handle = g.handle AND v.state = 0)"
        " UNION ALL "
        "SELECT 0, handle, customer_id, reserved_ms, CASE WHEN state = 2 THEN 1 ELSE 0 END,"
        " type, group_id, blob_key, tag FROM assets WHERE id IS NULL AND reserved_ms < $1"
        " ORDER BY 4, 2 LIMIT $2",
        &pending_row, limit, &items, &out->n, "ii", older_than_ms,
        (int64_t)(limit > INT32_MAX ? INT32_MAX : limit));
    out->items = items;
    return r;
}

/* (id, blob_key) rows into assets: only those two filled. */
static const struct sql_field blob_key_fields[] = {SQL_T(struct asset, id), SQL_T(struct asset, blob_key)};
static const struct sql_row blob_key_row = SQL_ROW(struct asset, blob_key_fields);

enum store_result sql_list_group_blob_keys(struct store *s, int64_t customer_id, const char *group_id,
                                           int64_t deleted_ms, struct asset_list *out)
{
    if (!group_id || !out)
        return STORE_ERROR;
    void *items;
    /* deleted_ms picks the rows this delete_group marked: assets deleted
     * earlier already had their bytes removed. */
    enum store_result r = sql_query_rows(s, 0,
                                         "SELECT COALESCE(id, ''), blob_key FROM assets WHERE group_id = $1"
                                         " AND customer_id = $2 AND state = 2 AND deleted_ms = $3 AND blob_key <> ''",
                                         &blob_key_row, 0, &items, &out->n, "tii", group_id,
                                         customer_id, deleted_ms);
    out->items = items;
    out->total = (int64_t)out->n;
    return r;
}

/* release_group and release_asset: a never-confirmed row goes (id IS NULL:
 * pending, or an asset reservation swept up by a group delete); a
 * confirmed one is never released. */
#define RELEASE_OP(fn, table)                                                                                  \
    enum store_result fn(struct store *s, int64_t handle)                                                      \
    {                                                                                                          \
        return sql_write_row(s, SQL_CACHE, "DELETE FROM " table " WHERE handle = $1 AND id IS NULL", "i", handle); \
    }
RELEASE_OP(sql_release_group, "groups")
RELEASE_OP(sql_release_asset, "assets")
