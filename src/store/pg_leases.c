/* pg_leases.c — the refresher's leases in the PostgreSQL store, which
 * share its work between nodes.
 *
 * A lease is the row's next_poll_ms pushed into the future: one statement
 * picks the due rows with FOR UPDATE SKIP LOCKED (so two nodes leasing at
 * the same moment never pick the same row, and neither waits for the
 * other) and moves their next poll to now + lease_ms. Once it commits,
 * every other node sees those rows as not due. The poller ends the lease
 * by writing the real next poll or the final status; if its node dies, the
 * lease runs out and another node picks the row up. Nothing is lost: the
 * row itself is the queue. SQLite's single writer needs none of this
 * (sqlite_leases.c). */
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

enum store_result pg_lease_due_assets(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                      struct asset_list *out)
{
    if (!out || lease_ms < 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return STORE_OK;
    void *items;
    /* One statement, so one transaction: pick (skipping rows another node
     * holds right now), lease, and return in the order they fell due. The
     * returned next_poll_ms is when the row fell due. Customers take
     * turns: every customer's k-th due asset comes before anyone's
     * (k+1)-th, so one customer's 50 cannot fill the batch and starve
     * another's one. The ranking is a CTE of its own: FOR UPDATE may not
     * share a query level with a window function. */
    enum store_result r = sql_query_rows(
        s, SQL_CACHE,
        "WITH ranked AS ("
        "  SELECT handle, ROW_NUMBER() OVER (PARTITION BY customer_id"
        "                                    ORDER BY next_poll_ms, handle) AS turn"
        "  FROM assets"
        "  WHERE state = 1 AND status NOT IN ('Active', 'Failed') AND next_poll_ms <= $1::bigint),"
        " due AS ("
        "  SELECT d.handle, d.next_poll_ms AS due_ms, r.turn FROM assets d JOIN ranked r USING (handle)"
        "  WHERE d.state = 1 AND d.status NOT IN ('Active', 'Failed') AND d.next_poll_ms <= $1::bigint"
        "  ORDER BY r.turn, d.next_poll_ms, d.handle LIMIT $3 FOR UPDATE OF d SKIP LOCKED),"
        " leased AS ("
        "  UPDATE assets a SET next_poll_ms = $1::bigint + $2::bigint FROM due"
        "  WHERE a.handle = due.handle"
        "  RETURNING a.id, a.group_id, a.customer_id, a.type, a.name, a.url, a.blob_key, a.status,"
        "  a.failure_reason, a.create_ms, a.update_ms, due.due_ms AS next_poll_ms, a.polls,"
        "  a.error_code, a.error_message, a.tag, a.handle, due.turn)"
        " SELECT " SQL_ASSET_COLS " FROM leased a ORDER BY a.turn, a.next_poll_ms, a.handle",
        sql_read_asset, sizeof *out->items, 0, &items, &out->n, "iii", now_ms, lease_ms,
        (int64_t)(limit > (size_t)INT64_MAX ? INT64_MAX : limit));
    out->items = items;
    out->total = (int64_t)out->n;
    return r;
}
