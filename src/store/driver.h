/* driver.h — the narrow SQL driver under the store, like SQLite's VFS.
 *
 * The domain operations (keys.c, groups.c, assets.c, sessions.c,
 * uploads.c, videos.c, idem.c, reconcile.c) are written once, over this
 * driver: validate, take a connection, run statements, decode rows with
 * one reader per type, give the connection back. A backend is a driver:
 * sqlite_driver.c (embedded, one writer at a time) and pg_driver.c (several
 * nodes on one PostgreSQL). What truly differs stays in files named for the
 * backend: pools, schema steps, and the refresher's leases (SQLite's single
 * writer vs FOR UPDATE SKIP LOCKED).
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
    SQL_TX_ONE,      /* one writing statement follows (SQLite: queue for the writer; PG: autocommit) */
    SQL_TX_WRITE,    /* several statements that read and write atomically */
    SQL_TX_SNAPSHOT, /* several reads that must see one snapshot (a count and its page) */
};

/* prepare flags */
#define SQL_CACHE 1 /* a fixed statement worth keeping prepared on the connection (sql must be a literal) */

struct sql_driver {
    const char *name;
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

    /* The refresher's leases: the one place where the backends' SQL and
     * locking truly differ (sqlite_leases.c, pg_leases.c). */
    enum store_result (*lease_due_assets)(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                          struct asset_list *out);
    enum store_result (*lease_due_video_tasks)(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                               struct video_task_list *out);
    enum store_result (*lease_due_sessions)(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                            struct validate_session_list *out);
    void (*close)(struct store *s);
};

/* Every backend's store begins with this. */
struct sql_store {
    struct store base; /* base.impl points at the backend's struct */
    const struct sql_driver *d;
};

static inline const struct sql_driver *sql_driver_of(struct store *s)
{
    return ((struct sql_store *)s)->d;
}

/* The one ops table of both backends (ops.c). */
extern const struct store_ops sql_store_ops;

/* ---- helpers over the driver (sql.c) ------------------------------------ */

struct sql_conn *sql_get(struct store *s);
void sql_put(struct store *s, struct sql_conn *c);
enum store_result sql_begin(struct sql_conn *c, enum sql_tx kind);
enum store_result sql_end(struct sql_conn *c, enum store_result r);

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
/* Runs a query whose first row's first column is an integer: *found (may
 * be NULL) says whether there was a row; *v is left alone when not. */
enum store_result sql_int(struct sql_conn *c, int flags, const char *sql, int64_t *v, int *found, const char *fmt,
                          ...);
/* A single writing statement on its own connection and transaction. */
enum store_result sql_write(struct store *s, int flags, const char *sql, int *changes, const char *fmt, ...);
/* sql_write for a statement that must change a row: NOT_FOUND when none. */
enum store_result sql_write_row(struct store *s, int flags, const char *sql, const char *fmt, ...);

/* Reads rows into a malloc'd array of item_size items: read(st, item)
 * decodes one; at most limit (0: no limit). On error the array is freed. */
typedef void (*sql_reader)(struct sql_stmt *st, void *item);
enum store_result sql_rows(struct sql_stmt *st, sql_reader read, size_t item_size, size_t limit, void **items,
                           size_t *n);
/* On a pooled connection: runs sql with fmt's binds and reads its rows. */
enum store_result sql_query_rows(struct store *s, int flags, const char *sql, sql_reader read, size_t item_size,
                                 size_t limit, void **items, size_t *n, const char *fmt, ...);
/* One row: NOT_FOUND when there is none. */
enum store_result sql_query_one(struct store *s, int flags, const char *sql, sql_reader read, void *item,
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
void sql_read_asset(struct sql_stmt *st, void *item); /* struct asset */

#define SQL_SESSION_COLS                                                                                     \
    "token, customer_id, callback_url, h5_link, expire_ms, COALESCE(group_id, ''), create_ms, update_ms,"    \
    " state, COALESCE(group_handle, 0), next_poll_ms, polls"
void sql_read_session(struct sql_stmt *st, void *item); /* struct validate_session */

/* Video tasks keep their result as JSON built by each database's own JSON
 * functions (videos.c): the column list is the backend's. */
const char *sql_video_cols(const struct sql_driver *d);
void sql_read_video(struct sql_stmt *st, void *item); /* struct video_task */

/* The operations, filled into sql_store_ops (ops.c). */
enum store_result sql_ping(struct store *s);
enum store_result sql_put_customer(struct store *s, const char *name, int aigc_enabled, struct customer *out);
enum store_result sql_add_key(struct store *s, int64_t customer_id, const char *prefix, const uint8_t hash[32],
                              int64_t now_ms);
enum store_result sql_find_key(struct store *s, const uint8_t hash[32], struct customer *out);
enum store_result sql_list_keys(struct store *s, store_key_fn fn, void *ctx);
enum store_result sql_revoke_key(struct store *s, const char *prefix, int64_t now_ms);

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
enum store_result sql_delete_group(struct store *s, int64_t customer_id, const char *id, int64_t now_ms);
/* Inside a write transaction: locks the customer's row where the driver
 * has row locks (serializing the group quota across nodes), then counts
 * the customer's live and pending groups. NOT_FOUND for no such customer. */
enum store_result sql_lock_count_groups(struct sql_conn *c, int64_t customer_id, int64_t *count);


enum store_result sql_reserve_asset(struct store *s, int64_t customer_id, const char *group_id, const char *type,
                                    const char *name, const char *url, const char *blob_key, int max_assets,
                                    int64_t now_ms, const char *tag, int64_t *handle);
enum store_result sql_confirm_asset(struct store *s, int64_t handle, const char *id, int64_t now_ms,
                                    int64_t next_poll_ms);
enum store_result sql_release_asset(struct store *s, int64_t handle);
enum store_result sql_get_asset(struct store *s, int64_t customer_id, const char *id, struct asset *out);
enum store_result sql_list_assets(struct store *s, int64_t customer_id, const struct asset_filter *f,
                                  int page_number, int page_size, struct asset_list *out);
enum store_result sql_update_asset(struct store *s, int64_t customer_id, const char *id, const char *name,
                                   int64_t now_ms);
enum store_result sql_delete_asset(struct store *s, int64_t customer_id, const char *id, int64_t now_ms);
enum store_result sql_set_asset_status(struct store *s, const char *id, const char *status, const char *reason,
                                       const char *error_code, const char *error_message, int64_t now_ms);
enum store_result sql_schedule_poll(struct store *s, const char *id, int64_t next_poll_ms, int polls);
enum store_result sql_count_assets(struct store *s, struct asset_counts *out);
/* Inside a write transaction: the group is a live group of the customer
 * (else NOT_FOUND), its row locked where the driver has row locks, so
 * quota checks into one group run one after the other on every node and a
 * concurrent delete_group waits for them or they for it. */
enum store_result sql_lock_live_group(struct sql_conn *c, const char *group_id, int64_t customer_id);
/* The group's asset slots in use: live and pending assets, and upload
 * sessions holding a slot (uploads.c). */
enum store_result sql_count_group_slots(struct sql_conn *c, const char *group_id, int64_t *count);
/* Inserts a pending asset row; *handle gets its handle. */
enum store_result sql_insert_pending_asset(struct sql_conn *c, const char *group_id, int64_t customer_id,
                                           const char *type, const char *name, const char *url,
                                           const char *blob_key, int64_t now_ms, const char *tag, int64_t *handle);

#endif
