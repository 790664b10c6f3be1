/* sqlite_leases.c — the refresher's leases in the SQLite store.
 *
 * SQLite serves one node, whose refresher reads a batch and finishes it
 * before the next read, so a lease here only has to match the contract:
 * the due rows are read (due_assets / due_video_tasks), then their next
 * poll is pushed to now + lease_ms in one write transaction. The UPDATE
 * re-checks that each row is still due, so a row whose poll was written
 * meanwhile keeps that poll. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

/* Pushes next_poll_ms of the n ids to until_ms, where still due at now_ms. */
static enum store_result sq_lease_ids(struct store *s, const char *sql, const char *const *ids, size_t n,
                                      int64_t now_ms, int64_t until_ms)
{
    struct sq_store *ss = sq_of(s);
    if (n == 0)
        return STORE_OK;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = NULL;
    r = sq_result(c, sqlite3_prepare_v2(c->db, sql, -1, &st, NULL), "lease prepare");
    for (size_t i = 0; r == STORE_OK && i < n; i++) {
        sqlite3_reset(st);
        sq_bind_text(st, 1, ids[i]);
        sqlite3_bind_int64(st, 2, until_ms);
        sqlite3_bind_int64(st, 3, now_ms);
        r = sq_result(c, sqlite3_step(st), "lease");
    }
    sqlite3_finalize(st);
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

/* One write transaction: the due rows are read and leased under SQLite's
 * single writer, so what is read is what is leased. The literals match the
 * partial index assets_due, which the planner can only use when the
 * query's WHERE implies the index's. Customers take turns: every
 * customer's k-th due asset comes before anyone's (k+1)-th, so one
 * customer's 50 Processing assets cannot fill a batch and starve another's
 * one. The returned next_poll_ms is when the row fell due. */
enum store_result sq_lease_due_assets(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                      struct asset_list *out)
{
    if (!out || lease_ms < 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return STORE_OK;
    struct sql_conn *c = sql_get(s);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sql_begin(c, SQL_TX_WRITE);
    if (r != STORE_OK)
        goto out;
    struct sql_stmt *st;
    r = sql_open(c, SQL_CACHE,
                 "SELECT " SQL_ASSET_COLS " FROM ("
                 "  SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.customer_id"
                 "                                 ORDER BY d.next_poll_ms, d.handle) AS turn"
                 "  FROM assets d"
                 "  WHERE d.state = 1 AND d.status NOT IN ('Active', 'Failed') AND d.next_poll_ms <= $1) a"
                 " ORDER BY a.turn, a.next_poll_ms, a.handle LIMIT $2",
                 &st, "ii", now_ms, (int64_t)(limit > (size_t)INT64_MAX ? INT64_MAX : limit));
    if (r == STORE_OK) {
        void *items;
        r = sql_rows(st, sql_read_asset, sizeof *out->items, limit, &items, &out->n);
        out->items = items;
        sql_finish(st);
    }
    for (size_t i = 0; r == STORE_OK && i < out->n; i++)
        r = sql_exec(c, SQL_CACHE,
                     "UPDATE assets SET next_poll_ms = $2 WHERE id = $1 AND state = 1"
                     " AND status NOT IN ('Active', 'Failed') AND next_poll_ms <= $3",
                     NULL, "tii", out->items[i].id, now_ms + lease_ms, now_ms);
    r = sql_end(c, r);
out:
    sql_put(s, c);
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    return r;
}

enum store_result sq_lease_due_video_tasks(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                           struct video_task_list *out)
{
    if (!out || lease_ms < 0)
        return STORE_ERROR;
    enum store_result r = sq_due_video_tasks(s, now_ms, limit, out);
    if (r != STORE_OK || out->n == 0)
        return r;
    const char **ids = calloc(out->n, sizeof *ids);
    if (!ids) {
        r = STORE_ERROR;
    } else {
        for (size_t i = 0; i < out->n; i++)
            ids[i] = out->items[i].id;
        r = sq_lease_ids(s,
                         "UPDATE video_tasks SET next_poll_ms = ?2 WHERE id = ?1"
                         " AND status IN ('queued', 'running') AND next_poll_ms <= ?3",
                         ids, out->n, now_ms, now_ms + lease_ms);
        free(ids);
    }
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    return r;
}
