/* sqlite_leases.c — the pollers' leases in the SQLite store.
 *
 * SQLite serves one node, and its write transactions run one at a time: a
 * lease is the due rows read (take) and their next poll pushed to now +
 * lease_ms (push, for each row) inside one write transaction, so what is
 * read is what is leased. push re-checks that each row is still due.
 * PostgreSQL shares the work between nodes with FOR UPDATE SKIP LOCKED
 * instead (pg_leases.c). take binds $1 now_ms and $3 limit ($2, the lease,
 * is push's business). */
#include <stddef.h>

#include "store/sqlite_int.h"

/* push, the same for every lease: the row keyed $1, if it is still due,
 * falls due again at the lease's end ($2). */
#define SQ_PUSH(table, key, due)                                                                               \
    "UPDATE " table " SET next_poll_ms = $2 WHERE " key " = $1 AND " due " AND next_poll_ms <= $3"

const struct sql_leases sq_leases = {
    /* The literals match the partial index assets_due, which the planner
     * can only use when the query's WHERE implies the index's. Customers
     * take turns: every customer's k-th due asset comes before anyone's
     * (k+1)-th, so one customer's 50 Processing assets cannot fill a batch
     * and starve another's one. The returned next_poll_ms is when the row
     * fell due. */
    .assets = {"SELECT " SQL_ASSET_COLS " FROM ("
               "  SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.customer_id"
               "                                 ORDER BY d.next_poll_ms, d.handle) AS turn"
               "  FROM assets d"
               "  WHERE d.state = 1 AND d.status NOT IN ('Active', 'Failed') AND d.next_poll_ms <= $1) a"
               " ORDER BY a.turn, a.next_poll_ms, a.handle LIMIT $3",
               SQ_PUSH("assets", "id", "state = 1 AND status NOT IN ('Active', 'Failed')"),
               &sql_asset_row, offsetof(struct asset, id)},
    /* The partial index video_tasks_due covers exactly this WHERE. */
    .video_tasks = {"SELECT " SQL_VIDEO_COLS_SQLITE " FROM video_tasks v"
                    " WHERE v.status IN ('queued', 'running') AND v.next_poll_ms <= $1"
                    " ORDER BY v.next_poll_ms, v.handle LIMIT $3",
                    SQ_PUSH("video_tasks", "id", "status IN ('queued', 'running')"),
                    &sql_video_row, offsetof(struct video_task, id)},
    /* The partial index video_tasks_waiting covers exactly this WHERE. */
    .waiting_video_tasks = {"SELECT " SQL_VIDEO_COLS_SQLITE " FROM video_tasks v"
                            " WHERE v.status = 'waiting_for_assets' AND v.next_poll_ms <= $1"
                            " ORDER BY v.next_poll_ms, v.handle LIMIT $3",
                            SQ_PUSH("video_tasks", "id", "status = 'waiting_for_assets'"),
                            &sql_video_row, offsetof(struct video_task, id)},
    .sessions = {"SELECT " SQL_SESSION_COLS " FROM validate_sessions"
                 " WHERE state = 0 AND next_poll_ms <= $1 ORDER BY next_poll_ms, create_ms LIMIT $3",
                 SQ_PUSH("validate_sessions", "token", "state = 0"),
                 &sql_session_row, offsetof(struct validate_session, token)},
    /* The outbox: the partial index notifications_due covers the WHERE. */
    .notifications = {"SELECT " SQL_NOTIFICATION_JOB_COLS " FROM notifications n"
                      " JOIN events e ON e.seq = n.event_seq"
                      " LEFT JOIN notify_configs c ON c.customer_id = n.customer_id"
                      " WHERE n.status = 0 AND n.next_attempt_ms <= $1"
                      " ORDER BY n.next_attempt_ms, n.event_seq LIMIT $3",
                      "UPDATE notifications SET next_attempt_ms = $2 WHERE event_id = $1 AND status = 0"
                      " AND next_attempt_ms <= $3",
                      &sql_notification_job_row, offsetof(struct notification_job, n.event_id)},
};
