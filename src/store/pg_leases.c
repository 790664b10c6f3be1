/* pg_leases.c — the pollers' leases in the PostgreSQL store, which share
 * their work between nodes.
 *
 * A lease is the row's next_poll_ms pushed into the future: one statement
 * picks the due rows with FOR UPDATE SKIP LOCKED (so two nodes leasing at
 * the same moment never pick the same row, and neither waits for the
 * other), moves their next poll to now + lease_ms ($1 now_ms, $2 lease_ms,
 * $3 limit) and returns them in the order they fell due, with the time each
 * fell due. Once it commits, every other node sees those rows as not due.
 * The poller ends the lease by writing the real next poll or the final
 * status; if its node dies, the lease runs out and another node picks the
 * row up. Nothing is lost: the row itself is the queue. SQLite's single
 * writer needs none of this (sqlite_leases.c). */
#include "store/pg_int.h"

/* Video tasks in the statuses `which` names, oldest due first. */
#define PG_VIDEO_LEASE(which)                                                                                  \
    "WITH due AS ("                                                                                            \
    "  SELECT handle, next_poll_ms AS due_ms FROM video_tasks"                                                 \
    "  WHERE " which " AND next_poll_ms <= $1::bigint"                                                         \
    "  ORDER BY next_poll_ms, handle LIMIT $3 FOR UPDATE SKIP LOCKED),"                                        \
    " leased AS ("                                                                                             \
    "  UPDATE video_tasks t SET next_poll_ms = $1::bigint + $2::bigint FROM due"                               \
    "  WHERE t.handle = due.handle"                                                                            \
    "  RETURNING t.id, t.customer_id, t.upstream_id, t.model, t.status, t.result, t.create_ms,"                \
    "  t.update_ms, due.due_ms AS next_poll_ms, t.polls, t.deadline_ms, t.seconds, t.handle)"                            \
    " SELECT " SQL_VIDEO_COLS_PG " FROM leased v ORDER BY v.next_poll_ms, v.handle"

const struct sql_leases pg_leases = {
    /* Customers take turns: every customer's k-th due asset comes before
     * anyone's (k+1)-th, so one customer's 50 cannot fill the batch and
     * starve another's one. The ranking is a CTE of its own: FOR UPDATE may
     * not share a query level with a window function. */
    .assets = {"WITH ranked AS ("
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
               NULL, &sql_asset_row, 0},
    .video_tasks = {PG_VIDEO_LEASE("status IN ('queued', 'running')"), NULL, &sql_video_row, 0},
    /* Tasks waiting_for_assets (core/video_waiter.c): each is submitted
     * upstream by the one node that holds its lease. */
    .waiting_video_tasks = {PG_VIDEO_LEASE("status = 'waiting_for_assets'"), NULL, &sql_video_row, 0},
    .sessions = {"WITH due AS (SELECT token AS due_token FROM validate_sessions"
                 "  WHERE state = 0 AND next_poll_ms <= $1::bigint"
                 "  ORDER BY next_poll_ms, create_ms LIMIT $3 FOR UPDATE SKIP LOCKED)"
                 " UPDATE validate_sessions v SET next_poll_ms = $1::bigint + $2::bigint FROM due"
                 " WHERE v.token = due.due_token RETURNING " SQL_SESSION_COLS,
                 NULL, &sql_session_row, 0},
    .notifications = {"WITH due AS (SELECT event_id AS due_id, next_attempt_ms AS due_ms FROM notifications"
                      "  WHERE status = 0 AND next_attempt_ms <= $1::bigint"
                      "  ORDER BY next_attempt_ms, event_seq LIMIT $3 FOR UPDATE SKIP LOCKED),"
                      " leased AS ("
                      "  UPDATE notifications n SET next_attempt_ms = $1::bigint + $2::bigint FROM due"
                      "  WHERE n.event_id = due.due_id"
                      "  RETURNING n.event_id, n.customer_id, n.type, n.status, n.attempts, n.last_status_code,"
                      "  due.due_ms AS next_attempt_ms, n.create_ms, n.event_seq)"
                      " SELECT " SQL_NOTIFICATION_JOB_COLS " FROM leased n"
                      " JOIN events e ON e.seq = n.event_seq"
                      " LEFT JOIN notify_configs c ON c.customer_id = n.customer_id"
                      " ORDER BY n.next_attempt_ms, n.event_seq",
                      NULL, &sql_notification_job_row, 0},
};
