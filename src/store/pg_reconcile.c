/* pg_reconcile.c — reconciliation in the PostgreSQL store: the reservations
 * whose create may or may not have happened upstream, for
 * core/reconcile.c to adopt or drop. With several nodes, callers ask only
 * for reservations old enough that no live node is still creating them. */
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

enum store_result pg_list_pending(struct store *s, int64_t older_than_ms, size_t limit,
                                  struct store_pending_list *out)
{
    struct pg_store *ps = pg_of(s);
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return STORE_OK;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, older_than_ms);
    pg_p_i64(&p, (int64_t)(limit > INT32_MAX ? INT32_MAX : limit));
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    /* id IS NULL: never confirmed; asset reservations swept up by a group
     * delete (state 2) are listed too: their bytes and row must go. A
     * LivenessFace reservation is a pending session's group slot: listed
     * only once no pending session holds it (its start was cut short). */
    enum store_result r = pg_exec(c, PG_ADHOC,
                                  "SELECT 1, handle, customer_id, reserved_ms, 0, type, '', '', tag FROM groups g"
                                  " WHERE id IS NULL AND reserved_ms < $1 AND NOT EXISTS (SELECT 1 FROM"
                                  "  validate_sessions v WHERE v.group_handle = g.handle AND v.state = 0)"
                                  " UNION ALL "
                                  "SELECT 0, handle, customer_id, reserved_ms, CASE WHEN state = 2 THEN 1 ELSE 0 END,"
                                  " type, group_id, blob_key, tag FROM assets WHERE id IS NULL AND reserved_ms < $1"
                                  " ORDER BY 4, 2 LIMIT $2",
                                  &p, &res, "list_pending");
    pg_put(ps, c);
    if (r != STORE_OK)
        return r;
    int n = PQntuples(res);
    out->items = calloc((size_t)(n ? n : 1), sizeof *out->items);
    if (!out->items) {
        PQclear(res);
        return STORE_ERROR;
    }
    for (int i = 0; i < n; i++) {
        struct store_pending *e = &out->items[out->n++];
        e->is_group = (int)pg_col_i64(res, i, 0);
        e->handle = pg_col_i64(res, i, 1);
        e->customer_id = pg_col_i64(res, i, 2);
        e->reserved_ms = pg_col_i64(res, i, 3);
        e->group_deleted = (int)pg_col_i64(res, i, 4);
        pg_col_text(res, i, 5, e->type, sizeof e->type);
        pg_col_text(res, i, 6, e->group_id, sizeof e->group_id);
        pg_col_text(res, i, 7, e->blob_key, sizeof e->blob_key);
        pg_col_text(res, i, 8, e->tag, sizeof e->tag);
    }
    PQclear(res);
    return STORE_OK;
}
