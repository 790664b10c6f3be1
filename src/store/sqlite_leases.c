/* sqlite_leases.c — the pollers' leases in the SQLite store.
 *
 * SQLite serves one node, and its write transactions run one at a time: a
 * lease is the due rows read and their next poll pushed to now + lease_ms
 * inside one write transaction, so what is read is what is leased. The
 * UPDATE re-checks that each row is still due. PostgreSQL shares the work
 * between nodes with FOR UPDATE SKIP LOCKED instead (pg_leases.c). */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

/* Reads up to limit due rows with `due` ($1 now_ms, $2 limit), then runs
 * `lease` ($1 the row's key, the text field at key_off; $2 until; $3 now)
 * for each; one write transaction. */
static enum store_result sq_lease(struct store *s, const char *due, const char *lease, const struct sql_row *t,
                                  size_t key_off, int64_t now_ms, int64_t lease_ms, size_t limit, void **items,
                                  size_t *n)
{
    struct sql_conn *c;
    struct sql_stmt *st;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_open(c, SQL_CACHE, due, &st, "ii", now_ms, (int64_t)(limit > (size_t)INT64_MAX ? INT64_MAX : limit));
    if (r == STORE_OK) {
        r = sql_rows(st, t, limit, items, n);
        sql_finish(st);
    }
    for (size_t i = 0; r == STORE_OK && i < *n; i++)
        r = sql_exec(c, SQL_CACHE, lease, NULL, "tii", (const char *)*items + i * t->size + key_off,
                     now_ms + lease_ms, now_ms);
    r = sql_done(s, c, r);
    if (r != STORE_OK) {
        free(*items);
        *items = NULL;
        *n = 0;
    }
    return r;
}

/* The literals match the partial index assets_due, which the planner can
 * only use when the query's WHERE implies the index's. Customers take
 * turns: every customer's k-th due asset comes before anyone's (k+1)-th,
 * so one customer's 50 Processing assets cannot fill a batch and starve
 * another's one. The returned next_poll_ms is when the row fell due. */
static enum store_result sq_lease_assets(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                         struct asset_list *out)
{
    void *items;
    enum store_result r = sq_lease(s,
                                   "SELECT " SQL_ASSET_COLS " FROM ("
                                   "  SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.customer_id"
                                   "                                 ORDER BY d.next_poll_ms, d.handle) AS turn"
                                   "  FROM assets d"
                                   "  WHERE d.state = 1 AND d.status NOT IN ('Active', 'Failed') AND d.next_poll_ms <= $1) a"
                                   " ORDER BY a.turn, a.next_poll_ms, a.handle LIMIT $2",
                                   "UPDATE assets SET next_poll_ms = $2 WHERE id = $1 AND state = 1"
                                   " AND status NOT IN ('Active', 'Failed') AND next_poll_ms <= $3",
                                   &sql_asset_row, offsetof(struct asset, id), now_ms, lease_ms, limit, &items,
                                   &out->n);
    out->items = items;
    return r;
}

/* The partial index video_tasks_due covers exactly this WHERE. */
static enum store_result sq_lease_video_tasks(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                              struct video_task_list *out)
{
    void *items;
    enum store_result r = sq_lease(s,
                                   "SELECT " SQL_VIDEO_COLS_SQLITE " FROM video_tasks v"
                                   " WHERE v.status IN ('queued', 'running') AND v.next_poll_ms <= $1"
                                   " ORDER BY v.next_poll_ms, v.handle LIMIT $2",
                                   "UPDATE video_tasks SET next_poll_ms = $2 WHERE id = $1"
                                   " AND status IN ('queued', 'running') AND next_poll_ms <= $3",
                                   &sql_video_row, offsetof(struct video_task, id), now_ms, lease_ms, limit, &items,
                                   &out->n);
    out->items = items;
    return r;
}

static enum store_result sq_lease_sessions(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                           struct validate_session_list *out)
{
    void *items;
    enum store_result r = sq_lease(s,
                                   "SELECT " SQL_SESSION_COLS " FROM validate_sessions"
                                   " WHERE state = 0 AND next_poll_ms <= $1 ORDER BY next_poll_ms, create_ms LIMIT $2",
                                   "UPDATE validate_sessions SET next_poll_ms = $2 WHERE token = $1 AND state = 0"
                                   " AND next_poll_ms <= $3",
                                   &sql_session_row, offsetof(struct validate_session, token), now_ms, lease_ms,
                                   limit, &items, &out->n);
    out->items = items;
    return r;
}

const struct sql_leases sq_leases = {sq_lease_assets, sq_lease_video_tasks, sq_lease_sessions};
