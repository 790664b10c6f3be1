/* sqlite_int.h — shared internals of the SQLite store backend (sqlite*.c).
 * Nothing outside src/store/sqlite*.c includes this.
 *
 * Connections come from a small pool: an operation takes one (sq_get), uses
 * it alone, and gives it back (sq_put). A connection is never used by two
 * threads at once, so it is opened with SQLITE_OPEN_NOMUTEX, and it caches
 * its prepared statements (sq_stmt) for the hot reads.
 *
 * Writers of this process queue on one mutex before they ask SQLite for the
 * write lock, so they wait their turn instead of sleeping in SQLite's busy
 * handler; other processes (`porticod keys ...`) are held off by the
 * database's own lock and busy_timeout.
 *
 * Row state: every group and asset row is pending (reserved, id NULL), live
 * or deleted. Reads see live rows only. */
#ifndef PORTICO_STORE_SQLITE_INT_H
#define PORTICO_STORE_SQLITE_INT_H
#include <pthread.h>
#include <sqlite3.h>

#include "store/driver.h"

#define SQ_PENDING 0
#define SQ_LIVE 1
#define SQ_DELETED 2

#define SQ_BUSY_TIMEOUT_MS 5000
#define SQ_POOL_IDLE_MAX 64

/* Ids of the cached statements; the SQL text sits next to its one user. */
enum sq_stmt_id {
    SQ_PING,
    SQ_PUT_CUSTOMER,
    SQ_ADD_KEY,
    SQ_FIND_KEY,
    SQ_LIST_KEYS,
    SQ_REVOKE_KEY,
    SQ_COUNT_GROUPS,
    SQ_INSERT_GROUP,
    SQ_CONFIRM_GROUP,
    SQ_RELEASE_GROUP,
    SQ_GET_GROUP,
    SQ_LIST_GROUPS,
    SQ_COUNT_LIST_GROUPS,
    SQ_UPDATE_GROUP,
    SQ_DELETE_GROUP,
    SQ_DELETE_GROUP_ASSETS,
    SQ_LIVE_GROUP,
    SQ_COUNT_ASSETS_IN_GROUP,
    SQ_INSERT_ASSET,
    SQ_CONFIRM_ASSET,
    SQ_RELEASE_ASSET,
    SQ_GET_ASSET,
    SQ_UPDATE_ASSET,
    SQ_DELETE_ASSET,
    SQ_SET_STATUS,
    SQ_DUE_ASSETS,
    SQ_SCHEDULE_POLL,
    SQ_COUNT_BY_STATUS,
    SQ_SWEEP_GROUPS,
    SQ_SWEEP_ASSETS,
    SQ_BEGIN,
    SQ_BEGIN_IMMEDIATE,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_STMT_COUNT
};

/* The driver's statement cache: prepared statements keyed by the address
 * of their (literal) SQL text. */
#define SQ_CACHE_SLOTS 128

struct sq_stmt {
    struct sql_stmt base;
    sqlite3_stmt *st;
    const char *sql;
    int cached;
    int changes;
};

struct sq_conn {
    struct sql_conn base;
    sqlite3 *db;
    sqlite3_stmt *stmt[SQ_STMT_COUNT];
    struct sq_stmt *cache[SQ_CACHE_SLOTS];
    struct sq_store *owner;
    int writing; /* in a write transaction: holds owner->write_mu */
    struct sq_conn *next; /* idle list */
};

struct sq_store {
    struct sql_store db; /* db.base.impl points back here */
    char *path;
    pthread_mutex_t pool_mu;
    struct sq_conn *idle;
    int n_idle;
    pthread_mutex_t write_mu; /* in-process writers queue here */
};

/* Pool (sqlite_pool.c). sq_get returns NULL (reason logged) when a new
 * connection cannot be opened. */
struct sq_conn *sq_conn_open(struct sq_store *s, const char *path, int *rc_out);
extern const struct sql_driver sq_driver;
void sq_close_store(struct store *s);
void sq_conn_close(struct sq_conn *c);
struct sq_conn *sq_get(struct sq_store *s);
void sq_put(struct sq_store *s, struct sq_conn *c);
void sq_pool_drain(struct sq_store *s);

/* The cached statement, reset and ready to bind; NULL (logged) on error. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sq_stmt_id id, const char *sql);
/* Resets a statement and maps its final step code. */
enum store_result sq_done(struct sq_conn *c, sqlite3_stmt *st, int rc, const char *what);
/* Maps an SQLite result code to a store result, logging errors. */
enum store_result sq_result(struct sq_conn *c, int rc, const char *what);

/* Transactions. Writers take write_mu for the whole transaction; end
 * commits when r is STORE_OK (and may turn it into an error), else rolls
 * back, and always releases what begin took. */
enum store_result sq_begin_write(struct sq_store *s, struct sq_conn *c);
enum store_result sq_begin_read(struct sq_conn *c);
enum store_result sq_end_write(struct sq_store *s, struct sq_conn *c, enum store_result r);
enum store_result sq_end_read(struct sq_conn *c, enum store_result r);

/* A cached single-statement write in its own write transaction; bind
 * fills the parameters from arg, *changes (may be NULL) gets the rows it
 * touched. */
struct sq_write {
    enum sq_stmt_id id;
    const char *sql;
    const char *what;
    void (*bind)(sqlite3_stmt *st, const void *arg);
    const void *arg;
};
enum store_result sq_write_one(struct store *s, const struct sq_write *w, int *changes);
/* sq_write_one for a statement that must change a row: STORE_NOT_FOUND
 * when it changed none. */
enum store_result sq_write_row(struct store *s, const struct sq_write *w);
/* A bind function for statements whose only parameter ?1 is an int64_t. */
void sq_bind_handle(sqlite3_stmt *st, const void *arg);

/* Binds text: NULL binds SQL NULL. */
int sq_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Copies a text column into dst (cap bytes with NUL), truncating. */
void sq_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap);
/* 1 when v is non-NULL and shorter than cap bytes (fits with its NUL). */
int sq_fits(const char *v, size_t cap);

/* Schema (sqlite_schema.c): brings the database to the newest version in
 * one BEGIN IMMEDIATE transaction; 0 on success. */
int sq_migrate(sqlite3 *db);

/* Operations, filled into the ops table by sqlite.c. */
enum store_result sq_put_customer(struct store *s, const char *name, int aigc_enabled, struct customer *out);
enum store_result sq_add_key(struct store *s, int64_t customer_id, const char *prefix, const uint8_t hash[32],
                             int64_t now_ms);
enum store_result sq_find_key(struct store *s, const uint8_t hash[32], struct customer *out);
enum store_result sq_list_keys(struct store *s, store_key_fn fn, void *ctx);
enum store_result sq_revoke_key(struct store *s, const char *prefix, int64_t now_ms);

enum store_result sq_reserve_group(struct store *s, int64_t customer_id, const char *type, const char *name,
                                   const char *description, int max_groups, int64_t now_ms, const char *tag,
                                   int64_t *handle);
enum store_result sq_confirm_group(struct store *s, int64_t handle, const char *id, int64_t now_ms);
enum store_result sq_release_group(struct store *s, int64_t handle);
enum store_result sq_get_group(struct store *s, int64_t customer_id, const char *id, struct group *out);
enum store_result sq_list_groups(struct store *s, int64_t customer_id, const struct group_filter *f,
                                 int page_number, int page_size, struct group_list *out);
enum store_result sq_update_group(struct store *s, int64_t customer_id, const char *id, const char *name,
                                  const char *description, int64_t now_ms);
enum store_result sq_delete_group(struct store *s, int64_t customer_id, const char *id, int64_t now_ms);

enum store_result sq_reserve_asset(struct store *s, int64_t customer_id, const char *group_id, const char *type,
                                   const char *name, const char *url, const char *blob_key, int max_assets,
                                   int64_t now_ms, const char *tag, int64_t *handle);
enum store_result sq_confirm_asset(struct store *s, int64_t handle, const char *id, int64_t now_ms,
                                   int64_t next_poll_ms);
enum store_result sq_release_asset(struct store *s, int64_t handle);
enum store_result sq_get_asset(struct store *s, int64_t customer_id, const char *id, struct asset *out);
enum store_result sq_list_assets(struct store *s, int64_t customer_id, const struct asset_filter *f,
                                 int page_number, int page_size, struct asset_list *out);
enum store_result sq_update_asset(struct store *s, int64_t customer_id, const char *id, const char *name,
                                  int64_t now_ms);
enum store_result sq_delete_asset(struct store *s, int64_t customer_id, const char *id, int64_t now_ms);
enum store_result sq_set_asset_status(struct store *s, const char *id, const char *status, const char *reason,
                                      const char *error_code, const char *error_message,
                                      int64_t now_ms);
enum store_result sq_due_assets(struct store *s, int64_t now_ms, size_t limit, struct asset_list *out);
enum store_result sq_schedule_poll(struct store *s, const char *id, int64_t next_poll_ms, int polls);
enum store_result sq_count_assets(struct store *s, struct asset_counts *out);
enum store_result sq_sweep_reservations(struct store *s, int64_t older_than_ms, int *n_out);

/* Liveness sessions (sqlite_sessions.c). */
enum store_result sq_create_session(struct store *s, const struct validate_session *v, int64_t now_ms);
enum store_result sq_get_session(struct store *s, int64_t customer_id, const char *token,
                                 struct validate_session *out);
enum store_result sq_record_session_group(struct store *s, int64_t customer_id, const char *token,
                                          const char *group_id, const char *name, int max_groups, int64_t now_ms,
                                          char group_out[static IDS_MAX]);
enum store_result sq_close_session(struct store *s, const char *token, enum store_session_state state,
                                   int64_t now_ms);
enum store_result sq_lease_due_sessions(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                        struct validate_session_list *out);
enum store_result sq_schedule_session_poll(struct store *s, const char *token, int64_t next_poll_ms, int polls);
enum store_result sq_oldest_pending_session(struct store *s, int64_t *create_ms_out);
enum store_result sq_group_known(struct store *s, const char *id, int *known);

/* Blob keys of upload records (sqlite_blobs.c). */
enum store_result sq_list_group_blob_keys(struct store *s, int64_t customer_id, const char *group_id,
                                          int64_t deleted_ms, struct asset_list *out);
enum store_result sq_list_pending_blob_keys(struct store *s, int64_t older_than_ms, struct asset_list *out);

/* Video tasks (sqlite_videos.c). */
enum store_result sq_insert_video_task(struct store *s, const struct video_task *t, const char *request_json);
enum store_result sq_get_video_task(struct store *s, int64_t customer_id, const char *id, struct video_task *out);
enum store_result sq_update_video_task(struct store *s, const struct video_task *t, int64_t now_ms,
                                       int64_t next_poll_ms, int polls);
enum store_result sq_due_video_tasks(struct store *s, int64_t now_ms, size_t limit, struct video_task_list *out);

/* Leases of the refresher's work (sqlite_leases.c). */
enum store_result sq_lease_due_assets(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                      struct asset_list *out);
enum store_result sq_lease_due_video_tasks(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                           struct video_task_list *out);

/* reconciliation (sqlite_reconcile.c) */
enum store_result sq_list_pending(struct store *s, int64_t older_than_ms, size_t limit,
                                  struct store_pending_list *out);
/* idempotency (sqlite_idem.c) */
enum store_result sq_idem_claim(struct store *s, int64_t customer_id, const char *token, const char *request_hash,
                                int64_t now_ms, int64_t expire_before_ms, int64_t stale_before_ms,
                                enum store_idem *state, char result[static STORE_IDEM_RESULT_MAX]);
enum store_result sq_idem_complete(struct store *s, int64_t customer_id, const char *token, const char *result);
enum store_result sq_idem_release(struct store *s, int64_t customer_id, const char *token);
enum store_result sq_idem_expire(struct store *s, int64_t before_ms, int *n_out);

/* upload sessions (sqlite_uploads.c) */
enum store_result sq_create_upload(struct store *s, const struct upload_session *u, int max_assets, int64_t now_ms);
enum store_result sq_get_upload(struct store *s, int64_t customer_id, const char *id, struct upload_session *out);
enum store_result sq_get_upload_by_key(struct store *s, const char *blob_key, struct upload_session *out);
enum store_result sq_upload_set_state(struct store *s, const char *id, int from_mask, int to, int64_t now_ms,
                                      const struct upload_change *ch);
enum store_result sq_upload_begin_complete(struct store *s, int64_t customer_id, const char *id, int from_mask,
                                           const char *url, const char *tag, int64_t now_ms, int64_t *handle);
enum store_result sq_upload_cancel_complete(struct store *s, const char *id, int64_t handle, int to, int64_t now_ms);
enum store_result sq_lease_expired_uploads(struct store *s, int64_t now_ms, int64_t expired_before_ms,
                                           int64_t lease_ms, size_t limit, struct upload_session_list *out);

static inline struct sq_store *sq_of(struct store *s)
{
    return (struct sq_store *)s->impl;
}

#endif
