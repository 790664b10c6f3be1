/* sqlite_blobs.c — the blob keys behind asset records, for removing the
 * bytes of uploads when their records go (DeleteAssetGroup) or when a crash
 * left a reservation behind. Rare operations: the statements are prepared
 * per call rather than cached. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

/* Runs a read of (id, blob_key) rows into out; bind fills the parameters. */
static enum store_result read_keys(struct store *s, const char *sql, const char *what,
                                   void (*bind)(sqlite3_stmt *st, const void *arg), const void *arg,
                                   struct asset_list *out)
{
    struct sq_store *ss = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    enum store_result r = sq_result(c, sqlite3_prepare_v2(c->db, sql, -1, &st, NULL), what);
    if (r != STORE_OK)
        goto out;
    bind(st, arg);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct asset *items = realloc(out->items, ncap * sizeof *items);
            if (!items) {
                r = STORE_ERROR;
                goto out;
            }
            out->items = items;
            cap = ncap;
        }
        struct asset *a = &out->items[out->n++];
        memset(a, 0, sizeof *a);
        sq_col_text(st, 0, a->id, sizeof a->id);
        sq_col_text(st, 1, a->blob_key, sizeof a->blob_key);
    }
    r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, what);
    out->total = (int64_t)out->n;
out:
    sqlite3_finalize(st);
    sq_put(ss, c);
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    return r;
}

struct group_keys_arg {
    int64_t customer_id;
    const char *group_id;
    int64_t deleted_ms;
};

static void bind_group_keys(sqlite3_stmt *st, const void *arg)
{
    const struct group_keys_arg *g = arg;
    sq_bind_text(st, 1, g->group_id);
    sqlite3_bind_int64(st, 2, g->customer_id);
    sqlite3_bind_int64(st, 3, g->deleted_ms);
}

enum store_result sq_list_group_blob_keys(struct store *s, int64_t customer_id, const char *group_id,
                                          int64_t deleted_ms, struct asset_list *out)
{
    if (!group_id || !out)
        return STORE_ERROR;
    struct group_keys_arg arg = {customer_id, group_id, deleted_ms};
    /* deleted_ms picks the rows this delete_group marked: assets deleted
     * earlier already had their bytes removed. */
    return read_keys(s,
                     "SELECT id, blob_key FROM assets WHERE group_id = ?1 AND customer_id = ?2"
                     " AND state = 2 AND deleted_ms = ?3 AND blob_key != ''",
                     "list_group_blob_keys", bind_group_keys, &arg, out);
}

static void bind_older_than(sqlite3_stmt *st, const void *arg)
{
    sqlite3_bind_int64(st, 1, *(const int64_t *)arg);
}

enum store_result sq_list_pending_blob_keys(struct store *s, int64_t older_than_ms, struct asset_list *out)
{
    if (!out)
        return STORE_ERROR;
    return read_keys(s,
                     "SELECT id, blob_key FROM assets WHERE id IS NULL AND reserved_ms < ?1 AND blob_key != ''",
                     "list_pending_blob_keys", bind_older_than, &older_than_ms, out);
}
