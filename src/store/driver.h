/* driver.h — the narrow SQL driver under the store, like SQLite's VFS.
 *
 * The domain operations (keys.c, groups.c, assets.c, sessions.c,
 * uploads.c, videos.c, idem.c, reconcile.c) are written once, over this
 * driver: validate, take a connection, run statements, decode rows with
 * one reader per type, give the connection back. A backend is a driver:
 * sqlite_driver.c (embedded, one writer at a time) and pg_driver.c (several
 * nodes on one PostgreSQL). The schema's steps are one list too (schema.c),
 * with the types that differ as tokens. What truly differs stays in files
 * named for the backend: pools, how the steps are applied, and the
 * refresher's leases (SQLite's single writer vs FOR UPDATE SKIP LOCKED).
 *
 * SQL is written once with $1..$n placeholders (the SQLite driver reads
 * them as ?1..?n) and in the dialect both databases share; where they
 * differ, a file asks the driver's flags (row_locks) or keeps two strings
 * side by side with a comment why.
 *
 * Invariant: a connection goes back to its pool (sql_put) outside any
 * transaction; the driver rolls back whatever a failed path left open.
 * Nothing outside src/store/ includes this. */
#ifndef PORTICO_STORE_DRIVER_H
#define PORTICO_STORE_DRIVER_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Row state of groups and assets: pending (reserved, id NULL), live, or
 * deleted. Reads see live rows only. */
#define SQL_PENDING 0
#define SQL_LIVE 1
#define SQL_DELETED 2

/* A connection and a statement of some driver; each driver's own structs
 * begin with these. */
struct sql_conn {
    const struct sql_driver *d;
};
struct sql_stmt {
    struct sql_conn *c;
};

enum sql_tx {
    SQL_TX_NONE,     /* reads that need no transaction (sql_start/sql_done only) */
    SQL_TX_ONE,      /* one writing statement follows (SQLite: queue for the writer; PG: autocommit) */
    SQL_TX_WRITE,    /* several statements that read and write atomically */
    SQL_TX_SNAPSHOT, /* several reads that must see one snapshot (a count and its page) */
};

/* prepare flags */
#define SQL_CACHE 1 /* a fixed statement worth keeping prepared on the connection (sql must be a literal) */

/* Where the two databases' SQL truly differs (their JSON functions), a
 * file keeps both strings side by side and picks by dialect. */
enum sql_dialect { SQL_DIALECT_SQLITE, SQL_DIALECT_PG };

struct sql_driver {
    const char *name;
    enum sql_dialect dialect;
    /* Several writers at once (PostgreSQL): quota checks lock the rows they
     * count (SELECT ... FOR UPDATE). SQLite has one writer at a time, so
     * its write transaction is the lock. */
    int row_locks;

    /* Connections from the backend's pool; NULL (logged) when none can be
     * had: STORE_UNAVAILABLE. */
    struct sql_conn *(*get)(struct store *s);
    void (*put)(struct store *s, struct sql_conn *c);
    enum store_result (*begin)(struct sql_conn *c, enum sql_tx kind);
    /* Commits when r is STORE_OK (and may turn it into an error), else rolls
     * back; always releases what begin took. */
    enum store_result (*end)(struct sql_conn *c, enum store_result r);

    enum store_result (*prepare)(struct sql_conn *c, const char *sql, int flags, struct sql_stmt **out);
    /* Parameters from 1; text and blobs must outlive the statement's steps.
     * bind_text(NULL) binds SQL NULL. */
    void (*bind_text)(struct sql_stmt *st, int i, const char *v);
    void (*bind_i64)(struct sql_stmt *st, int i, int64_t v);
    void (*bind_blob)(struct sql_stmt *st, int i, const void *v, int n);
    /* STORE_OK with *row = 1 while rows come, then *row = 0; errors map to
     * CONFLICT (unique), NOT_FOUND (missing parent), UNAVAILABLE or ERROR. */
    enum store_result (*step)(struct sql_stmt *st, int *row);
    const char *(*col_text)(struct sql_stmt *st, int i); /* "" for NULL; valid until the next step */
    int64_t (*col_i64)(struct sql_stmt *st, int i);      /* 0 for NULL */
    int (*col_blob)(struct sql_stmt *st, int i, void *dst, int cap); /* bytes copied, -1 when they do not fit */
    int (*changes)(struct sql_stmt *st);                 /* rows the finished statement touched */
    void (*finish)(struct sql_stmt *st);

    const struct sql_leases *leases;
    void (*close)(struct store *s);
};

/* The pollers' leases: the one place where the backends' SQL and locking
 * truly differ, so each backend describes its own (sqlite_leases.c,
 * pg_leases.c) and sql_lease runs them. take picks the due rows and returns
 * them ($1 now_ms, $2 lease_ms, $3 limit); push, when set, is run for each
 * row taken ($1 the row's key: the text field at key_off; $2 the lease's
 * end; $3 now_ms), in the same write transaction. */
struct sql_lease {
    const char *take;
    const char *push; /* NULL: take leases the rows itself */
    const struct sql_row *row;
    size_t key_off;
};
struct sql_leases {
    struct sql_lease assets, video_tasks, sessions, notifications;
    struct sql_lease waiting_video_tasks; /* status waiting_for_assets (core/video_waiter.c) */
};

/* A driver's own connection and statement types begin with these, so it
 * reaches them with one cast each: conn_fn(c), stmt_fn(st). */
#define SQL_DRIVER_CASTS(conn_fn, conn_type, stmt_fn, stmt_type)                                               \
    static inline conn_type *conn_fn(struct sql_conn *c)                                                       \
    {                                                                                                          \
        return (conn_type *)c;                                                                                 \
    }                                                                                                          \
    static inline stmt_type *stmt_fn(struct sql_stmt *st)                                                      \
    {                                                                                                          \
        return (stmt_type *)st;                                                                                \
    }

/* The slot of a connection's statement cache for sql, a literal (SQL_CACHE):
 * its address, hashed, so one statement always lands in one slot. */
static inline size_t sql_cache_slot(const char *sql, size_t slots)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B1u;
    return (size_t)(h >> 7) % slots;
}

/* The node that joined the fleet (fleet_join), as its reservations need
 * it; set before the node serves, read-only after. */
struct sql_fleet {
    char node[FLEET_NODE_MAX]; /* "" until joined */
    int max_inflight;
    int64_t slot_wait_ms;
    int64_t started_ms;
};

/* Every backend's store begins with this. */
struct sql_store {
    struct store base; /* base.impl points at the backend's struct */
    const struct sql_driver *d;
    struct sql_fleet fleet;
};

static inline const struct sql_driver *sql_driver_of(struct store *s)
{
    return ((struct sql_store *)s)->d;
}

static inline const struct sql_fleet *sql_fleet_of(struct store *s)
{
    return &((struct sql_store *)s)->fleet;
}

/* The one ops table of both backends (ops.c). */
extern const struct store_ops sql_store_ops;

/* ---- helpers over the driver (sql.c) ------------------------------------ */

/* Takes a connection and begins a transaction of kind on it; on failure
 * nothing is held. */
enum store_result sql_start(struct store *s, enum sql_tx kind, struct sql_conn **c);
/* Ends what sql_start began (commits when r is STORE_OK, and may turn it
 * into an error; else rolls back) and gives the connection back. After a
 * failed sql_start (c NULL) it returns r: a write may run its statements
 * under "if (r == STORE_OK)" from the start and end with sql_done alone. */
enum store_result sql_done(struct store *s, struct sql_conn *c, enum store_result r);

/* Binds are described by a format, one character an argument:
 *   t  const char *  (NULL: SQL NULL)
 *   i  int64_t       (pass int64_t, cast if need be)
 *   h  int64_t       (0: SQL NULL; a handle that may be absent)
 *   b  const void *, int  (a blob)
 * Parameters are numbered from 1 in the order of the format. */

/* Prepares sql and binds; the caller steps and finishes. */
enum store_result sql_open(struct sql_conn *c, int flags, const char *sql, struct sql_stmt **st, const char *fmt,
                           ...);
enum store_result sql_vopen(struct sql_conn *c, int flags, const char *sql, struct sql_stmt **st, const char *fmt,
                            va_list ap);
/* Runs a statement to its end; *changes (may be NULL) gets the rows it touched. */
enum store_result sql_exec(struct sql_conn *c, int flags, const char *sql, int *changes, const char *fmt, ...);
/* sql_exec for a statement that must change a row: NOT_FOUND when none. */
enum store_result sql_exec_row(struct sql_conn *c, int flags, const char *sql, const char *fmt, ...);
/* Runs a query whose first row's first column is an integer: *found (may
 * be NULL) says whether there was a row; *v is left alone when not. */
enum store_result sql_int(struct sql_conn *c, int flags, const char *sql, int64_t *v, int *found, const char *fmt,
                          ...);
/* A single writing statement on its own connection and transaction. */
enum store_result sql_write(struct store *s, int flags, const char *sql, int *changes, const char *fmt, ...);
/* sql_write for a statement that must change a row: NOT_FOUND when none. */
enum store_result sql_write_row(struct store *s, int flags, const char *sql, const char *fmt, ...);

/* A row reader is a table: column k of a row goes to field k of a struct
 * (text copied with truncation to the field's size, integers parsed), so
 * each type has one reader and one generic function decodes them all. */
struct sql_field {
    size_t off, size;
    char kind; /* 't' text, 'l' 64-bit integer, 'i' int, 'b' bytes (left zeroed when they do not fit) */
};
struct sql_row {
    size_t size; /* of the struct */
    const struct sql_field *f;
    size_t n;
};
#define SQL_T(type, m) {offsetof(type, m), sizeof(((type *)0)->m), 't'}
#define SQL_L(type, m) {offsetof(type, m), sizeof(((type *)0)->m), 'l'}
#define SQL_I(type, m) {offsetof(type, m), sizeof(((type *)0)->m), 'i'}
#define SQL_B(type, m) {offsetof(type, m), sizeof(((type *)0)->m), 'b'}
#define SQL_ROW(type, fields) {sizeof(type), fields, sizeof fields / sizeof fields[0]}

/* A row of one 64-bit integer (an int64_t), for sql_one and sql_query_one:
 * NOT_FOUND when there is no row. */
extern const struct sql_row sql_i64_row;

/* Decodes the current row into item (zeroed first). */
void sql_read(struct sql_stmt *st, const struct sql_row *t, void *item);
/* Reads rows into a malloc'd array (never NULL on success); at most limit
 * (0: no limit). On error nothing is left allocated. */
enum store_result sql_rows(struct sql_stmt *st, const struct sql_row *t, size_t limit, void **items, size_t *n);
/* Runs sql with fmt's binds on c and reads its first row into item:
 * NOT_FOUND when there is none. */
enum store_result sql_one(struct sql_conn *c, int flags, const char *sql, const struct sql_row *t, void *item,
                          const char *fmt, ...);
/* Runs sql with fmt's binds on c and reads its rows (sql_rows). */
enum store_result sql_many(struct sql_conn *c, int flags, const char *sql, const struct sql_row *t, size_t limit,
                           void **items, size_t *n, const char *fmt, ...);
/* sql_done for an operation that read rows into *items: when it ends in
 * an error they are freed and *items, *n zeroed. */
enum store_result sql_done_rows(struct store *s, struct sql_conn *c, enum store_result r, void **items, size_t *n);
/* On a pooled connection: runs sql with fmt's binds and reads its rows. */
enum store_result sql_query_rows(struct store *s, int flags, const char *sql, const struct sql_row *t, size_t limit,
                                 void **items, size_t *n, const char *fmt, ...);
/* sql_query_rows for a single writing statement that returns rows
 * (UPDATE ... RETURNING), in its own transaction (SQL_TX_ONE). */
enum store_result sql_write_rows(struct store *s, int flags, const char *sql, const struct sql_row *t, size_t limit,
                                 void **items, size_t *n, const char *fmt, ...);
/* sql_query_one of a customer's row by its id ($1 id, $2 customer_id):
 * STORE_ERROR when id or out is NULL, NOT_FOUND when there is no such row. */
enum store_result sql_get_owned(struct store *s, int flags, const char *sql, const struct sql_row *t, const char *id,
                                int64_t customer_id, void *out);
/* On a pooled connection: one row, NOT_FOUND when there is none. */
enum store_result sql_query_one(struct store *s, int flags, const char *sql, const struct sql_row *t, void *item,
                                const char *fmt, ...);
/* sql_query_one for a single writing statement that returns its row
 * (INSERT ... RETURNING), in its own transaction (SQL_TX_ONE). */
enum store_result sql_write_one(struct store *s, int flags, const char *sql, const struct sql_row *t, void *item,
                                const char *fmt, ...);

/* Binds one parameter of an open statement (lists with a variable IN). */
static inline void sql_bind_text(struct sql_stmt *st, int i, const char *v)
{
    st->c->d->bind_text(st, i, v);
}
static inline void sql_bind_i64(struct sql_stmt *st, int i, int64_t v)
{
    st->c->d->bind_i64(st, i, v);
}

/* Runs lease l: up to limit rows taken, leased until now_ms + lease_ms,
 * into a malloc'd array. */
enum store_result sql_lease(struct store *s, const struct sql_lease *l, int64_t now_ms, int64_t lease_ms,
                            size_t limit, void **items, size_t *n);

/* The schema's steps (schema.c), one list for both backends: how many, and
 * step i (from 0) in d's SQL, malloc'd (NULL when out of memory). */
int sql_schema_steps(void);
char *sql_schema_step(enum sql_dialect d, int i);

/* Columns. */
void sql_col_text(struct sql_stmt *st, int i, char *dst, size_t cap); /* truncating copy */
static inline int64_t sql_col_i64(struct sql_stmt *st, int i)
{
    return st->c->d->col_i64(st, i);
}
static inline void sql_finish(struct sql_stmt *st)
{
    if (st)
        st->c->d->finish(st);
}
static inline enum store_result sql_step(struct sql_stmt *st, int *row)
{
    return st->c->d->step(st, row);
}

/* 1 when v is non-NULL and shorter than cap bytes (fits with its NUL). */
int sql_fits(const char *v, size_t cap);
/* Copies at most cap-1 bytes of s, cutting before a partial UTF-8 sequence. */
void sql_copy_utf8(char *dst, size_t cap, const char *s);

/* ---- the row readers, one per type, and their column lists -------------- */

#define SQL_ASSET_COLS                                                                                         \
    "a.id, a.group_id, a.customer_id, a.type, a.name, a.url, a.blob_key, a.status,"                           \
    " a.failure_reason, a.create_ms, a.update_ms, a.next_poll_ms, a.polls, a.error_code, a.error_message, a.tag"
extern const struct sql_row sql_asset_row;

#define SQL_SESSION_COLS                                                                                     \
    "token, customer_id, callback_url, h5_link, expire_ms, COALESCE(group_id, ''), create_ms, update_ms,"    \
    " state, COALESCE(group_handle, 0), next_poll_ms, polls, actor, actor_addr, result_code"
extern const struct sql_row sql_session_row;

/* Video tasks keep their result as one JSON object built and read by each
 * database's own JSON functions (videos.c), so the column list is written
 * in both dialects, side by side (jsonb's text form is canonical, so
 * PostgreSQL compares results as text). Rows are aliased v. */
#define SQL_VIDEO_COLS_SQLITE                                                                                 \
    "v.id, v.customer_id, v.upstream_id, v.model, v.status, coalesce(json_extract(v.result, '$.video_url'), ''),"\
    " coalesce(json_extract(v.result, '$.error.code'), ''), coalesce(json_extract(v.result, '$.error.message'), ''),"\
    " coalesce(json_extract(v.result, '$.usage.completion_tokens'), 0),"                                      \
    " coalesce(json_extract(v.result, '$.usage.total_tokens'), 0), v.create_ms, v.update_ms, v.next_poll_ms, v.polls,"\
    " v.deadline_ms, v.seconds"
#define SQL_VIDEO_COLS_PG                                                                                     \
    "v.id, v.customer_id, v.upstream_id, v.model, v.status,"                                                  \
    " coalesce(v.result::jsonb ->> 'video_url', ''),"                                                         \
    " coalesce(v.result::jsonb -> 'error' ->> 'code', ''),"                                                   \
    " coalesce(v.result::jsonb -> 'error' ->> 'message', ''),"                                                \
    " coalesce((v.result::jsonb -> 'usage' ->> 'completion_tokens')::bigint, 0),"                            \
    " coalesce((v.result::jsonb -> 'usage' ->> 'total_tokens')::bigint, 0),"                                 \
    " v.create_ms, v.update_ms, v.next_poll_ms, v.polls, v.deadline_ms, v.seconds"
extern const struct sql_row sql_video_row;

/* A leased delivery: the notification (aliased n), the customer's webhook
 * (c, absent when deleted) and the event's body (e). */
#define SQL_NOTIFICATION_JOB_COLS                                                                              \
    "n.event_id, n.customer_id, n.type, n.status, n.attempts, n.last_status_code, n.next_attempt_ms,"         \
    " n.create_ms, COALESCE(c.url, ''), COALESCE(c.secret, ''), e.data"

/* The operations, filled into sql_store_ops (ops.c). */
enum store_result sql_ping(struct store *s);
/* A customer's columns (keys.c), unqualified, and their reader. */
#define SQL_CUSTOMER_COLS "id, name, aigc_enabled, key_rate, disabled, create_ms"
#define SQL_CUSTOMER_NCOLS 6
extern const struct sql_field sql_customer_fields[SQL_CUSTOMER_NCOLS];
extern const struct sql_row sql_customer_row;
enum store_result sql_add_key(struct store *s, int64_t customer_id, const char *prefix, const uint8_t hash[32],
                              int64_t now_ms, const struct actor *who);
enum store_result sql_find_key(struct store *s, const uint8_t hash[32], struct customer *out, char *prefix_out);
enum store_result sql_list_keys(struct store *s, store_key_fn fn, void *ctx);
enum store_result sql_list_api_keys(struct store *s, int64_t customer_id, int page_number, int page_size,
                                    struct key_list *out);
enum store_result sql_revoke_key(struct store *s, const char *prefix, int64_t now_ms, const struct actor *who);
/* customers.c, admin_keys.c (API.md §7) */
enum store_result sql_put_customer(struct store *s, const char *name, int aigc_enabled, const struct actor *who,
                                   struct customer *out);
enum store_result sql_create_customer(struct store *s, const struct customer *in, int64_t now_ms,
                                      const struct actor *who, struct customer *out);
enum store_result sql_get_customer(struct store *s, int64_t id, struct customer *out);
enum store_result sql_list_customers(struct store *s, const char *name_sub, int page_number, int page_size,
                                     struct customer_list *out);
enum store_result sql_update_customer(struct store *s, int64_t id, const struct customer_fields *f, int64_t now_ms,
                                      const struct actor *who);
enum store_result sql_add_admin_key(struct store *s, const char *prefix, const uint8_t hash[32], int64_t now_ms,
                                    const struct actor *who);
enum store_result sql_find_admin_key(struct store *s, const uint8_t hash[32], struct admin_key_info *out);
enum store_result sql_list_admin_keys(struct store *s, struct admin_key_list *out);
enum store_result sql_revoke_admin_key(struct store *s, const char *prefix, int64_t now_ms, const struct actor *who);

enum store_result sql_reserve_group(struct store *s, int64_t customer_id, const char *type, const char *name,
                                    const char *description, int max_groups, int64_t now_ms, const char *tag,
                                    int64_t *handle);
enum store_result sql_confirm_group(struct store *s, int64_t handle, const char *id, int64_t now_ms);
enum store_result sql_release_group(struct store *s, int64_t handle);
enum store_result sql_get_group(struct store *s, int64_t customer_id, const char *id, struct group *out);
enum store_result sql_list_groups(struct store *s, int64_t customer_id, const struct group_filter *f,
                                  int page_number, int page_size, struct group_list *out);
enum store_result sql_update_group(struct store *s, int64_t customer_id, const char *id, const char *name,
                                   const char *description, int64_t now_ms);
enum store_result sql_delete_group(struct store *s, int64_t customer_id, const char *id, int64_t now_ms,
                                   const struct actor *who);
/* Inside a write transaction: locks the customer's row where the driver
 * has row locks (serializing the group quota across nodes), then counts
 * the customer's live and pending groups. NOT_FOUND for no such customer. */
enum store_result sql_lock_count_groups(struct sql_conn *c, int64_t customer_id, int64_t *count);


enum store_result sql_reserve_asset(struct store *s, int64_t customer_id, const char *group_id, const char *type,
                                    const char *name, const char *url, const char *blob_key, int64_t bytes,
                                    const struct actor *who, int max_assets, int64_t now_ms, const char *tag,
                                    int64_t *handle, int *slot);
enum store_result sql_confirm_asset(struct store *s, int64_t handle, const char *id, int64_t now_ms,
                                    int64_t next_poll_ms);
enum store_result sql_release_asset(struct store *s, int64_t handle);
enum store_result sql_get_asset(struct store *s, int64_t customer_id, const char *id, struct asset *out);
enum store_result sql_list_assets(struct store *s, int64_t customer_id, const struct asset_filter *f,
                                  int page_number, int page_size, struct asset_list *out);
enum store_result sql_update_asset(struct store *s, int64_t customer_id, const char *id, const char *name,
                                   int64_t now_ms);
enum store_result sql_delete_asset(struct store *s, int64_t customer_id, const char *id, int64_t now_ms,
                                   const struct actor *who);
enum store_result sql_set_asset_status(struct store *s, const char *id, const char *status, const char *reason,
                                       const char *error_code, const char *error_message, int64_t now_ms,
                                       const struct event *ev);
enum store_result sql_schedule_poll(struct store *s, const char *id, int64_t next_poll_ms, int polls);
enum store_result sql_count_assets(struct store *s, struct asset_counts *out);
/* Inside a write transaction: the group is a live group of the customer
 * (else NOT_FOUND), its row locked where the driver has row locks, so
 * quota checks into one group run one after the other on every node and a
 * concurrent delete_group waits for them or they for it. */
enum store_result sql_lock_live_group(struct sql_conn *c, const char *group_id, int64_t customer_id);
/* Inside a write transaction: sql_lock_live_group, then a free asset slot
 * in the group (STORE_QUOTA when max_assets are in use; STORE_QUOTA_PENDING
 * when pending assets, creates in flight, are what fills it). Slots in use
 * are live and pending assets, and upload sessions holding a slot
 * (uploads.c). */
enum store_result sql_claim_group_slot(struct sql_conn *c, const char *group_id, int64_t customer_id, int max_assets);
/* Inserts a pending asset row (bytes: of it in the blob store; who: NULL
 * for nobody known); *handle gets its handle. */
enum store_result sql_insert_pending_asset(struct sql_conn *c, const char *group_id, int64_t customer_id,
                                           const char *type, const char *name, const char *url,
                                           const char *blob_key, int64_t bytes, const struct actor *who,
                                           int64_t now_ms, const char *tag, int64_t *handle);

enum store_result sql_create_session(struct store *s, const struct validate_session *v, int64_t now_ms);
enum store_result sql_get_session(struct store *s, int64_t customer_id, const char *token,
                                  struct validate_session *out);
enum store_result sql_record_session_group(struct store *s, int64_t customer_id, const char *token,
                                           const char *group_id, const char *name, int max_groups, int64_t now_ms,
                                           char group_out[static IDS_MAX], const struct event *ev);
enum store_result sql_close_session(struct store *s, const char *token, enum store_session_state state,
                                    const char *result_code, int64_t now_ms, const struct event *ev);
enum store_result sql_schedule_session_poll(struct store *s, const char *token, int64_t next_poll_ms, int polls);
enum store_result sql_oldest_pending_session(struct store *s, int64_t *create_ms_out);
enum store_result sql_group_known(struct store *s, const char *id, int *known);

enum store_result sql_insert_video_task(struct store *s, const struct video_task *t, const char *request_json);
enum store_result sql_get_video_task(struct store *s, int64_t customer_id, const char *id, struct video_task *out);
enum store_result sql_update_video_task(struct store *s, const struct video_task *t, int64_t now_ms,
                                        int64_t next_poll_ms, int polls, const struct event *ev);
enum store_result sql_insert_waiting_video_task(struct store *s, const struct video_task *t, const char *request_json,
                                                const char *submit_json);
enum store_result sql_get_video_submit(struct store *s, const char *id, char **submit_out);
enum store_result sql_submit_video_task(struct store *s, const char *id, const char *upstream_id, int64_t now_ms,
                                        int64_t next_poll_ms);
enum store_result sql_reserve_content_asset(struct store *s, int64_t customer_id, const char *group_id,
                                            const char *type, const char *name, const char *url,
                                            const char *blob_key, const char *sha256, int64_t bytes,
                                            const struct actor *who, int max_assets, int64_t now_ms,
                                            const char *tag, int64_t *handle, int *slot);
enum store_result sql_find_asset_by_sha256(struct store *s, int64_t customer_id, const char *group_id,
                                           const char *sha256, struct asset *out);

enum store_result sql_list_group_blob_keys(struct store *s, int64_t customer_id, const char *group_id,
                                           int64_t deleted_ms, struct asset_list *out);
enum store_result sql_list_pending(struct store *s, int64_t older_than_ms, size_t limit,
                                   struct store_pending_list *out);

enum store_result sql_idem_claim(struct store *s, int64_t customer_id, const char *token, const char *request_hash,
                                 int64_t now_ms, int64_t expire_before_ms, int64_t stale_before_ms,
                                 enum store_idem *state, char result[static STORE_IDEM_RESULT_MAX]);
enum store_result sql_idem_complete(struct store *s, int64_t customer_id, const char *token, const char *result);
enum store_result sql_idem_release(struct store *s, int64_t customer_id, const char *token);
enum store_result sql_idem_expire(struct store *s, int64_t before_ms, int *n_out);

enum store_result sql_create_upload(struct store *s, const struct upload_session *u, int max_assets,
                                    int64_t now_ms);
enum store_result sql_get_upload(struct store *s, int64_t customer_id, const char *id, struct upload_session *out);
enum store_result sql_get_upload_by_key(struct store *s, const char *blob_key, struct upload_session *out);
enum store_result sql_upload_set_state(struct store *s, const char *id, int from_mask, int to, int64_t now_ms,
                                       const struct upload_change *ch);
enum store_result sql_upload_begin_complete(struct store *s, int64_t customer_id, const char *id, int from_mask,
                                            const char *url, const char *tag, const char *sha256,
                                            const struct actor *who, int64_t now_ms, int64_t *handle,
                                            int *same_bytes, int *slot);
enum store_result sql_upload_cancel_complete(struct store *s, const char *id, int64_t handle, int to,
                                             int64_t now_ms);
enum store_result sql_lease_expired_uploads(struct store *s, int64_t now_ms, int64_t expired_before_ms,
                                            int64_t lease_ms, size_t limit, struct upload_session_list *out);

/* usage metering (usage.c): the counters a change moves, collected while
 * its transaction runs and written (sql_usage_write) just before it
 * commits. SQL_USAGE_MAX distinct counters per change: more (or a metric
 * name too long) makes the write fail rather than lose a count. */
#define SQL_USAGE_MAX 64
struct sql_usage {
    struct usage_count d[SQL_USAGE_MAX];
    size_t n;
    int overflow;
};
/* Adds n to metric (with suffix appended, NULL: none) of the customer on
 * now_ms's UTC day; the same counter twice is added up. */
void sql_usage_add(struct sql_usage *u, int64_t customer_id, int64_t now_ms, const char *metric,
                   const char *suffix, int64_t n);
/* Inside the change's write transaction, last: the collected upserts. */
enum store_result sql_usage_write(struct sql_conn *c, struct sql_usage *u);
enum store_result sql_add_usage(struct store *s, const struct usage_count *items, size_t n);
enum store_result sql_get_usage(struct store *s, int64_t customer_id, int64_t from_day, int64_t to_day, size_t limit,
                                struct usage_report *out);
void sql_free_usage_report(struct usage_report *out);
enum store_result sql_usage_stocks(struct store *s, struct usage_report *out);
enum store_result sql_usage_recount(struct store *s, struct usage_mismatch_list *out);
/* A counter row (customer_id, day, metric, n) as a struct usage_count, and
 * the order counters are written and compared in (customer, day, metric;
 * a qsort comparator): shared by metering and its recount. */
extern const struct sql_row sql_usage_count_row;
int sql_usage_count_order(const void *a, const void *b);

/* the audit log (audit.c) */
/* e's fields from its parts (who NULL: Portico itself; strings cut to fit). */
void sql_audit_init(struct audit_event *e, const char *type, int64_t customer_id, const char *subject,
                    const char *group_id, const struct actor *who, int64_t now_ms);
/* e->detail as a JSON object of key/value pairs, one kind a pair: 's' a
 * string (valid UTF-8), 'i' an int64_t, 'b' an int (written as true or
 * false), 't' a wall-clock time in ms (written as RFC 3339); the arguments
 * are key, value for each. A kind in upper case is a change: key, old
 * value, new value, written as {"From": old, "To": new}, and left out when
 * the two are equal. */
void sql_audit_detail(struct audit_event *e, const char *kinds, ...);
/* Inside the change's write transaction: appends e (seq ignored). */
enum store_result sql_audit(struct sql_conn *c, const struct audit_event *e);
enum store_result sql_list_audit(struct store *s, const struct audit_filter *f, struct audit_list *out);
/* the fleet (fleet.c) */
int sql_fleet_shared(struct store *s);
enum store_result sql_fleet_join(struct store *s, const struct store_fleet_config *cfg);
enum store_result sql_fleet_heartbeat(struct store *s, int64_t *now_ms);
enum store_result sql_fleet_leave(struct store *s);
enum store_result sql_lease_tokens(struct store *s, struct store_token_lease *l);
enum store_result sql_grant_slots(struct store *s, const int64_t *handles, size_t n, int *granted);
enum store_result sql_fleet_status(struct store *s, struct fleet_status *out);
enum store_result sql_take_over_dead(struct store *s, int64_t dead_after_ms, struct store_pending_list *out);
/* Inside an asset reservation's write transaction, its pending row in:
 * the row gets the joined node and queues for a place in flight, taking
 * it when its turn has come (*slot = 1; also when nothing is counted).
 * Not joined (a tool, a test): nothing happens, and *slot = 1: nothing
 * counted, nothing to wait for. */
enum store_result sql_fleet_hold_asset(struct store *s, struct sql_conn *c, int64_t handle, int *slot);
/* lease_tokens' arithmetic: *tokens_milli, the bucket's as last written,
 * becomes what is left after l->granted is taken, elapsed_ms after; others:
 * the customers other nodes asked for lately. */
void sql_fleet_lease_math(struct store_token_lease *l, int64_t *tokens_milli, int64_t elapsed_ms, int64_t others);

/* events and webhooks (events.c) */
extern const struct sql_row sql_event_row;
extern const struct sql_row sql_notification_job_row;
/* Inside a write transaction: appends ev and, when the customer's webhook
 * wants its kind, its notification. */
enum store_result sql_append_event(struct sql_conn *c, const struct event *ev);
enum store_result sql_append_event_alone(struct store *s, const struct event *ev);
enum store_result sql_list_events(struct store *s, int64_t customer_id, int64_t after_seq, size_t limit,
                                  struct event_list *out);
enum store_result sql_find_event(struct store *s, int64_t customer_id, const char *id, struct event *out);
enum store_result sql_last_event_seq(struct store *s, int64_t *seq_out);
enum store_result sql_prune_events(struct store *s, int64_t before_ms, int *n_out);
enum store_result sql_get_notify_config(struct store *s, int64_t customer_id, struct notify_config *out);
enum store_result sql_put_notify_config(struct store *s, const struct notify_config *cfg, int64_t now_ms);
enum store_result sql_delete_notify_config(struct store *s, int64_t customer_id);
enum store_result sql_list_notifications(struct store *s, int64_t customer_id, int status_mask, int page_number,
                                         int page_size, struct notification_list *out);
enum store_result sql_finish_notification(struct store *s, const char *event_id, int status, int attempts,
                                          int last_status_code, int64_t next_attempt_ms);

#endif
