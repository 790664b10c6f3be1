/* pg_blobs.c — the blob keys behind asset records in the PostgreSQL store,
 * for removing the bytes of uploads when their records go
 * (DeleteAssetGroup) or when a crash left a reservation behind. */
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

/* Runs a read of (id, blob_key) rows into out. */
static enum store_result pg_read_keys(struct store *s, const char *sql, const struct pg_params *p, const char *what,
                                      struct asset_list *out)
{
    struct pg_store *ps = pg_of(s);
    memset(out, 0, sizeof *out);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC, sql, p, &res, what);
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
        struct asset *a = &out->items[out->n++];
        pg_col_text(res, i, 0, a->id, sizeof a->id);
        pg_col_text(res, i, 1, a->blob_key, sizeof a->blob_key);
    }
    out->total = (int64_t)out->n;
    PQclear(res);
    return STORE_OK;
}

enum store_result pg_list_group_blob_keys(struct store *s, int64_t customer_id, const char *group_id,
                                          int64_t deleted_ms, struct asset_list *out)
{
    if (!group_id || !out)
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, group_id);
    pg_p_i64(&p, customer_id);
    pg_p_i64(&p, deleted_ms);
    /* deleted_ms picks the rows this delete_group marked: assets deleted
     * earlier already had their bytes removed. */
    return pg_read_keys(s,
                        "SELECT COALESCE(id, ''), blob_key FROM assets WHERE group_id = $1 AND customer_id = $2"
                        " AND state = 2 AND deleted_ms = $3 AND blob_key <> ''",
                        &p, "list_group_blob_keys", out);
}

enum store_result pg_list_pending_blob_keys(struct store *s, int64_t older_than_ms, struct asset_list *out)
{
    if (!out)
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, older_than_ms);
    return pg_read_keys(s,
                        "SELECT '', blob_key FROM assets WHERE id IS NULL AND reserved_ms < $1 AND blob_key <> ''",
                        &p, "list_pending_blob_keys", out);
}
