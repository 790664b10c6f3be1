/* pg_int.h — shared internals of the PostgreSQL store backend (pg*.c).
 * Nothing outside src/store/pg*.c includes this.
 *
 * Several porticod nodes share one database, so nothing here may rely on
 * node-local state for correctness: quotas are made exact by row locks
 * taken inside the reserving transaction (the customer's row for groups,
 * the group's row for assets), and the refresher's work is leased with
 * FOR UPDATE SKIP LOCKED.
 *
 * Connections come from a fixed-size pool per node (pg_pool.c). Every
 * statement is sent asynchronously and waited for with poll(2) against a
 * client-side deadline a little past the server's statement_timeout, so a
 * request can never hang on the database: a dead or stuck server turns into
 * STORE_UNAVAILABLE, the connection is dropped, and the next user of its
 * slot reconnects.
 *
 * Row state: as in SQLite, every group and asset row is pending (reserved,
 * id NULL), live or deleted; reads see live rows only. */
#ifndef PORTICO_STORE_PG_INT_H
#define PORTICO_STORE_PG_INT_H
#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>

#include "store/driver.h"

#define PG_POOL_DEFAULT 16
#define PG_POOL_MAX 256
#define PG_STATEMENT_TIMEOUT_DEFAULT_MS 5000
#define PG_CONNECT_TIMEOUT_S "2"
/* After a failed connect, callers fail fast for this long instead of each
 * trying again: an outage costs one connect attempt per interval. */
#define PG_RECONNECT_BACKOFF_MS 250
#define PG_MAX_PARAMS 112 /* a list filter binds up to 100 group ids */

/* Prepared statements, one name per id; the SQL sits next to its one user. */
enum pg_stmt_id {
    PG_FIND_KEY,
    PG_GET_ASSET,
    PG_GET_GROUP,
    PG_STMT_COUNT,
    PG_ADHOC = -1 /* sent unnamed, not prepared */
};

struct pg_store;

/* Statements the domain files mark SQL_CACHE are prepared once per
 * connection, keyed by the address of their literal SQL text. */
#define PG_CACHE_SLOTS 128

struct pg_conn {
    struct sql_conn base;
    PGconn *db; /* NULL until the slot's first use, and after a failure */
    int prepared[PG_STMT_COUNT];
    const char *cache_sql[PG_CACHE_SLOTS]; /* prepared as "c<slot>" */
    int tx; /* a transaction begun by the driver is open */
    int broken; /* close and reconnect before the next use */
    int slot;
    struct pg_store *owner;
};

struct pg_store {
    struct sql_store db; /* db.base.impl points back here */
    char *conninfo;
    int statement_timeout_ms;
    int pool_size;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pg_conn *slots; /* pool_size entries */
    int *idle;              /* stack of idle slot numbers */
    int n_idle;
    int64_t down_until_ms; /* monotonic: fail fast until then (backoff) */
};

/* Query parameters, bound as text (bytea as binary). */
struct pg_params {
    const char *v[PG_MAX_PARAMS];
    int len[PG_MAX_PARAMS];
    int fmt[PG_MAX_PARAMS];
    char num[PG_MAX_PARAMS][24];
    int n;
};

/* A statement of the driver: its parameters, then its result. */
struct pg_stmt {
    struct sql_stmt base;
    const char *sql;
    int slot; /* cache slot, -1: sent unnamed */
    struct pg_params p;
    PGresult *res;
    int row, n_rows;
    int executed;
};

extern const struct sql_driver pg_driver;
void pg_close_store(struct store *s);

void pg_p_init(struct pg_params *p);
void pg_p_text(struct pg_params *p, const char *v); /* NULL binds SQL NULL */
void pg_p_i64(struct pg_params *p, int64_t v);
void pg_p_bytea(struct pg_params *p, const void *v, int len);

/* Pool (pg_pool.c). pg_get returns NULL when no connection can be had
 * within the statement timeout (or the server is down): STORE_UNAVAILABLE. */
struct pg_conn *pg_get(struct pg_store *s);
void pg_put(struct pg_store *s, struct pg_conn *c);
void pg_pool_drain(struct pg_store *s);
/* A new connection with the session settings applied; NULL (logged). */
PGconn *pg_connect(const char *conninfo, int statement_timeout_ms);

/* Runs one statement: prepared under id (once per connection) or, for
 * PG_ADHOC, unnamed. *res_out (may be NULL) gets the result on success
 * (PQclear it); the store result maps the SQLSTATE (unique violation ->
 * CONFLICT, connection loss, timeouts, shutdowns -> UNAVAILABLE). */
enum store_result pg_exec(struct pg_conn *c, enum pg_stmt_id id, const char *sql, const struct pg_params *p,
                          PGresult **res_out, const char *what);
/* Plain command without parameters (BEGIN, COMMIT, ...). */
enum store_result pg_cmd(struct pg_conn *c, const char *sql, const char *what);
/* Rows a command touched (PQcmdTuples). */
int pg_changes(PGresult *res);

/* Transactions: end commits when r is STORE_OK (and may turn it into an
 * error), else rolls back. */
enum store_result pg_begin(struct pg_conn *c);
enum store_result pg_end(struct pg_conn *c, enum store_result r);

/* A single statement run on a pooled connection: *changes (may be NULL)
 * gets the rows it touched. */
enum store_result pg_write_one(struct store *s, const char *sql, const struct pg_params *p, int *changes,
                               const char *what);
/* pg_write_one for a statement that must change a row: STORE_NOT_FOUND
 * when it changed none. */
enum store_result pg_write_row(struct store *s, const char *sql, const struct pg_params *p, const char *what);

/* Column helpers: text copied with truncation into dst; int64 parsed. */
void pg_col_text(PGresult *res, int row, int col, char *dst, size_t cap);
int64_t pg_col_i64(PGresult *res, int row, int col);
/* 1 when v is non-NULL and shorter than cap bytes (fits with its NUL). */
int pg_fits(const char *v, size_t cap);

/* Schema (pg_schema.c): brings the database to the newest version in one
 * transaction under an advisory lock; 0 on success. */
int pg_migrate(PGconn *db);

/* Inside a transaction: locks the customer's row (serializing the group
 * quota across nodes), then counts its live and pending groups. NOT_FOUND
 * if there is no such customer. (pg_groups.c) */
enum store_result pg_lock_count_groups(struct pg_conn *c, int64_t customer_id, int64_t *count);

/* Operations, filled into the ops table by pg.c. */
enum store_result pg_put_customer(struct store *s, const char *name, int aigc_enabled, struct customer *out);
enum store_result pg_add_key(struct store *s, int64_t customer_id, const char *prefix, const uint8_t hash[32],
                             int64_t now_ms);
enum store_result pg_find_key(struct store *s, const uint8_t hash[32], struct customer *out);
enum store_result pg_list_keys(struct store *s, store_key_fn fn, void *ctx);
enum store_result pg_revoke_key(struct store *s, const char *prefix, int64_t now_ms);

enum store_result pg_reserve_group(struct store *s, int64_t customer_id, const char *type, const char *name,
                                   const char *description, int max_groups, int64_t now_ms, const char *tag,
                                   int64_t *handle);
enum store_result pg_confirm_group(struct store *s, int64_t handle, const char *id, int64_t now_ms);
enum store_result pg_release_group(struct store *s, int64_t handle);
enum store_result pg_get_group(struct store *s, int64_t customer_id, const char *id, struct group *out);
enum store_result pg_list_groups(struct store *s, int64_t customer_id, const struct group_filter *f,
                                 int page_number, int page_size, struct group_list *out);
enum store_result pg_update_group(struct store *s, int64_t customer_id, const char *id, const char *name,
                                  const char *description, int64_t now_ms);
enum store_result pg_delete_group(struct store *s, int64_t customer_id, const char *id, int64_t now_ms);

enum store_result pg_reserve_asset(struct store *s, int64_t customer_id, const char *group_id, const char *type,
                                   const char *name, const char *url, const char *blob_key, int max_assets,
                                   int64_t now_ms, const char *tag, int64_t *handle);
enum store_result pg_confirm_asset(struct store *s, int64_t handle, const char *id, int64_t now_ms,
                                   int64_t next_poll_ms);
enum store_result pg_release_asset(struct store *s, int64_t handle);
enum store_result pg_get_asset(struct store *s, int64_t customer_id, const char *id, struct asset *out);
enum store_result pg_list_assets(struct store *s, int64_t customer_id, const struct asset_filter *f,
                                 int page_number, int page_size, struct asset_list *out);
enum store_result pg_update_asset(struct store *s, int64_t customer_id, const char *id, const char *name,
                                  int64_t now_ms);
enum store_result pg_delete_asset(struct store *s, int64_t customer_id, const char *id, int64_t now_ms);

/* The refresher's work (pg_refresh.c). */
enum store_result pg_set_asset_status(struct store *s, const char *id, const char *status, const char *reason,
                                      const char *error_code, const char *error_message,
                                      int64_t now_ms);
enum store_result pg_due_assets(struct store *s, int64_t now_ms, size_t limit, struct asset_list *out);
enum store_result pg_schedule_poll(struct store *s, const char *id, int64_t next_poll_ms, int polls);
enum store_result pg_count_assets(struct store *s, struct asset_counts *out);
enum store_result pg_sweep_reservations(struct store *s, int64_t older_than_ms, int *n_out);
enum store_result pg_lease_due_assets(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                      struct asset_list *out);

/* Liveness sessions (pg_sessions.c). */
enum store_result pg_create_session(struct store *s, const struct validate_session *v, int64_t now_ms);
enum store_result pg_get_session(struct store *s, int64_t customer_id, const char *token,
                                 struct validate_session *out);
enum store_result pg_record_session_group(struct store *s, int64_t customer_id, const char *token,
                                          const char *group_id, const char *name, int max_groups, int64_t now_ms,
                                          char group_out[static IDS_MAX]);
enum store_result pg_close_session(struct store *s, const char *token, enum store_session_state state,
                                   int64_t now_ms);
enum store_result pg_lease_due_sessions(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                        struct validate_session_list *out);
enum store_result pg_schedule_session_poll(struct store *s, const char *token, int64_t next_poll_ms, int polls);
enum store_result pg_oldest_pending_session(struct store *s, int64_t *create_ms_out);
enum store_result pg_group_known(struct store *s, const char *id, int *known);

/* Blob keys of upload records (pg_blobs.c). */
enum store_result pg_list_group_blob_keys(struct store *s, int64_t customer_id, const char *group_id,
                                          int64_t deleted_ms, struct asset_list *out);
enum store_result pg_list_pending_blob_keys(struct store *s, int64_t older_than_ms, struct asset_list *out);

/* Video tasks (pg_videos.c). */
enum store_result pg_insert_video_task(struct store *s, const struct video_task *t, const char *request_json);
enum store_result pg_get_video_task(struct store *s, int64_t customer_id, const char *id, struct video_task *out);
enum store_result pg_update_video_task(struct store *s, const struct video_task *t, int64_t now_ms,
                                       int64_t next_poll_ms, int polls);
enum store_result pg_due_video_tasks(struct store *s, int64_t now_ms, size_t limit, struct video_task_list *out);
enum store_result pg_lease_due_video_tasks(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                           struct video_task_list *out);

/* Shared by the asset files: the asset column list and its reader. */
#define PG_ASSET_COLS                                                                         \
    "a.id, a.group_id, a.customer_id, a.type, a.name, a.url, a.blob_key, a.status,"          \
    " a.failure_reason, a.create_ms, a.update_ms, a.next_poll_ms, a.polls, a.error_code, a.error_message, a.tag"
void pg_read_asset(PGresult *res, int row, struct asset *out);

/* reconciliation (pg_reconcile.c) */
enum store_result pg_list_pending(struct store *s, int64_t older_than_ms, size_t limit,
                                  struct store_pending_list *out);
/* idempotency (pg_idem.c) */
enum store_result pg_idem_claim(struct store *s, int64_t customer_id, const char *token, const char *request_hash,
                                int64_t now_ms, int64_t expire_before_ms, int64_t stale_before_ms,
                                enum store_idem *state, char result[static STORE_IDEM_RESULT_MAX]);
enum store_result pg_idem_complete(struct store *s, int64_t customer_id, const char *token, const char *result);
enum store_result pg_idem_release(struct store *s, int64_t customer_id, const char *token);
enum store_result pg_idem_expire(struct store *s, int64_t before_ms, int *n_out);

static inline struct pg_store *pg_of(struct store *s)
{
    return (struct pg_store *)s->impl;
}

/* upload sessions (pg_uploads.c) */
enum store_result pg_create_upload(struct store *s, const struct upload_session *u, int max_assets, int64_t now_ms);
enum store_result pg_get_upload(struct store *s, int64_t customer_id, const char *id, struct upload_session *out);
enum store_result pg_get_upload_by_key(struct store *s, const char *blob_key, struct upload_session *out);
enum store_result pg_upload_set_state(struct store *s, const char *id, int from_mask, int to, int64_t now_ms,
                                      const struct upload_change *ch);
enum store_result pg_upload_begin_complete(struct store *s, int64_t customer_id, const char *id, int from_mask,
                                           const char *url, const char *tag, int64_t now_ms, int64_t *handle);
enum store_result pg_upload_cancel_complete(struct store *s, const char *id, int64_t handle, int to, int64_t now_ms);
enum store_result pg_lease_expired_uploads(struct store *s, int64_t now_ms, int64_t expired_before_ms,
                                           int64_t lease_ms, size_t limit, struct upload_session_list *out);

#endif
