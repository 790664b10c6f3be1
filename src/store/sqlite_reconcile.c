/* sqlite_reconcile.c — reconciliation in the SQLite store: the reservations
 * whose create may or may not have happened upstream (a crash, or an
 * upstream that never answered), for core/reconcile.c to adopt or drop.
 * A rare operation: the statement is prepared per call. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

enum store_result sq_list_pending(struct store *s, int64_t older_than_ms, size_t limit,
                                  struct store_pending_list *out)
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
    sqlite3_stmt *st = NULL;
    /* id IS NULL: never confirmed. Asset reservations swept up by a group
     * delete are state 2 and still listed: their bytes and row must go. A
     * LivenessFace reservation is a pending session's group slot: listed
     * only once no pending session holds it (its start was cut short). */
    enum store_result r = sq_result(
        c,
        sqlite3_prepare_v2(c->db,
                           "SELECT 1, handle, customer_id, reserved_ms, 0, type, '', '', tag FROM groups g"
                           " WHERE id IS NULL AND reserved_ms < ?1 AND NOT EXISTS (SELECT 1 FROM validate_sessions v"
                           "  WHERE v.group_handle = g.handle AND v.state = 0)"
                           " UNION ALL "
                           "SELECT 0, handle, customer_id, reserved_ms, state = 2, type, group_id, blob_key, tag"
                           " FROM assets WHERE id IS NULL AND reserved_ms < ?1"
                           " ORDER BY 4, 2 LIMIT ?2",
                           -1, &st, NULL),
        "list_pending");
    if (r != STORE_OK)
        goto out;
    sqlite3_bind_int64(st, 1, older_than_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(limit > INT32_MAX ? INT32_MAX : limit));
    out->items = calloc(limit < 64 ? limit : 64, sizeof *out->items);
    size_t cap = limit < 64 ? limit : 64;
    if (!out->items) {
        r = STORE_ERROR;
        goto out;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            struct store_pending *items = realloc(out->items, cap * 2 * sizeof *items);
            if (!items) {
                r = STORE_ERROR;
                goto out;
            }
            out->items = items;
            cap *= 2;
        }
        struct store_pending *p = &out->items[out->n++];
        memset(p, 0, sizeof *p);
        p->is_group = sqlite3_column_int(st, 0);
        p->handle = sqlite3_column_int64(st, 1);
        p->customer_id = sqlite3_column_int64(st, 2);
        p->reserved_ms = sqlite3_column_int64(st, 3);
        p->group_deleted = sqlite3_column_int(st, 4);
        sq_col_text(st, 5, p->type, sizeof p->type);
        sq_col_text(st, 6, p->group_id, sizeof p->group_id);
        sq_col_text(st, 7, p->blob_key, sizeof p->blob_key);
        sq_col_text(st, 8, p->tag, sizeof p->tag);
    }
    r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, "list_pending");
out:
    sqlite3_finalize(st);
    sq_put(ss, c);
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    return r;
}
