/* sqlite.c — the embedded SQLite store: open, close, ping, customers and
 * API keys, and the ops table. Groups live in sqlite_groups.c, assets and
 * the refresher's queries in sqlite_assets.c.
 *
 * The server and `porticod keys ...` may have the same file open at once:
 * nothing here caches rows, so a key created or revoked by another process
 * is seen by the very next find_key. */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/sqlite_int.h"
#include "util/crypto.h"
#include "util/log.h"

/* ---- customers and keys ------------------------------------------------ */

static void sq_read_customer(sqlite3_stmt *st, int col, struct customer *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, col);
    sq_col_text(st, col + 1, out->name, sizeof out->name);
    out->aigc_enabled = sqlite3_column_int(st, col + 2);
}

enum store_result sq_put_customer(struct store *s, const char *name, int aigc_enabled, struct customer *out)
{
    struct sq_store *ss = sq_of(s);
    if (!sq_fits(name, STORE_CUSTOMER_MAX) || !name[0])
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    /* One UPSERT: find-or-create is atomic, so two processes creating the
     * same customer both end with the one row and its single id. */
    sqlite3_stmt *st = sq_stmt(c, SQ_PUT_CUSTOMER,
                               "INSERT INTO customers(name, aigc_enabled) VALUES (?1, ?2)"
                               " ON CONFLICT(name) DO UPDATE SET aigc_enabled = excluded.aigc_enabled"
                               " RETURNING id, name, aigc_enabled");
    if (!st) {
        r = STORE_ERROR;
    } else {
        sq_bind_text(st, 1, name);
        sqlite3_bind_int(st, 2, aigc_enabled ? 1 : 0);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && out)
            sq_read_customer(st, 0, out);
        r = rc == SQLITE_ROW ? STORE_OK : STORE_ERROR;
        if (rc == SQLITE_ROW)
            rc = sqlite3_step(st);
        enum store_result e = sq_done(c, st, rc, "put_customer");
        if (e != STORE_OK)
            r = e;
    }
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

enum store_result sq_add_key(struct store *s, int64_t customer_id, const char *prefix, const uint8_t hash[32],
                             int64_t now_ms)
{
    struct sq_store *ss = sq_of(s);
    if (!sq_fits(prefix, sizeof((struct key_info *)0)->prefix) || !prefix[0] || !hash)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = sq_stmt(c, SQ_ADD_KEY,
                               "INSERT INTO api_keys(customer_id, prefix, hash, created_ms) VALUES (?1, ?2, ?3, ?4)");
    if (!st) {
        r = STORE_ERROR;
    } else {
        sqlite3_bind_int64(st, 1, customer_id);
        sq_bind_text(st, 2, prefix);
        sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now_ms);
        r = sq_done(c, st, sqlite3_step(st), "add_key");
    }
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

enum store_result sq_find_key(struct store *s, const uint8_t hash[32], struct customer *out)
{
    struct sq_store *ss = sq_of(s);
    if (!hash)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = STORE_ERROR;
    sqlite3_stmt *st = sq_stmt(c, SQ_FIND_KEY,
                               "SELECT k.hash, c.id, c.name, c.aigc_enabled FROM api_keys k"
                               " JOIN customers c ON c.id = k.customer_id"
                               " WHERE k.hash = ?1 AND k.revoked_ms = 0");
    if (!st)
        goto out;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        /* The index lookup compared bytes with memcmp; compare again in
         * constant time so that the answer never depends on timing. */
        const void *stored = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        if (n == 32 && stored && crypto_equal(stored, hash, 32)) {
            if (out)
                sq_read_customer(st, 1, out);
            r = STORE_OK;
        } else {
            r = STORE_NOT_FOUND;
        }
        sqlite3_reset(st);
    } else if (rc == SQLITE_DONE) {
        r = STORE_NOT_FOUND;
        sqlite3_reset(st);
    } else {
        r = sq_done(c, st, rc, "find_key");
    }
out:
    sq_put(ss, c);
    return r;
}

enum store_result sq_list_keys(struct store *s, store_key_fn fn, void *ctx)
{
    struct sq_store *ss = sq_of(s);
    if (!fn)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = STORE_ERROR;
    sqlite3_stmt *st = sq_stmt(c, SQ_LIST_KEYS,
                               "SELECT k.prefix, c.name, k.created_ms, k.revoked_ms FROM api_keys k"
                               " JOIN customers c ON c.id = k.customer_id ORDER BY k.created_ms, k.id");
    if (!st)
        goto out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct key_info k;
        memset(&k, 0, sizeof k);
        sq_col_text(st, 0, k.prefix, sizeof k.prefix);
        sq_col_text(st, 1, k.customer, sizeof k.customer);
        k.created_ms = sqlite3_column_int64(st, 2);
        k.revoked_ms = sqlite3_column_int64(st, 3);
        fn(ctx, &k);
    }
    r = sq_done(c, st, rc, "list_keys");
out:
    sq_put(ss, c);
    return r;
}

enum store_result sq_revoke_key(struct store *s, const char *prefix, int64_t now_ms)
{
    struct sq_store *ss = sq_of(s);
    if (!sq_fits(prefix, sizeof((struct key_info *)0)->prefix))
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = sq_stmt(c, SQ_REVOKE_KEY,
                               "UPDATE api_keys SET revoked_ms = ?2 WHERE prefix = ?1 AND revoked_ms = 0");
    if (!st) {
        r = STORE_ERROR;
    } else {
        sq_bind_text(st, 1, prefix);
        /* revoked_ms 0 means active, so a revocation is stamped at least 1. */
        sqlite3_bind_int64(st, 2, now_ms > 0 ? now_ms : 1);
        r = sq_done(c, st, sqlite3_step(st), "revoke_key");
        if (r == STORE_OK && sqlite3_changes(c->db) == 0)
            r = STORE_NOT_FOUND;
    }
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

/* ---- open, close, ping ------------------------------------------------- */

static enum store_result sq_ping(struct store *s)
{
    struct sq_store *ss = sq_of(s);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = STORE_ERROR;
    /* Reads the schema page, so a vanished or unreadable file shows. */
    sqlite3_stmt *st = sq_stmt(c, SQ_PING, "SELECT count(*) FROM sqlite_master");
    if (st)
        r = sq_done(c, st, sqlite3_step(st), "ping");
    sq_put(ss, c);
    return r;
}

static void sq_close(struct store *s)
{
    if (!s)
        return;
    struct sq_store *ss = sq_of(s);
    sq_pool_drain(ss);
    pthread_mutex_destroy(&ss->pool_mu);
    pthread_mutex_destroy(&ss->write_mu);
    free(ss->path);
    free(ss);
}

/* mkdir -p, new directories 0700 (the database holds key hashes). */
static int sq_mkdirs(const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return -1;
    for (char *q = p + 1;; q++) {
        if (*q != '/' && *q != '\0')
            continue;
        char saved = *q;
        *q = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            log_error("store: cannot create directory %s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *q = saved;
        if (saved == '\0')
            break;
    }
    free(p);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        log_error("store: %s is not a directory", dir);
        return -1;
    }
    return 0;
}

static const struct store_ops sq_ops = {
    .close = sq_close,
    .ping = sq_ping,
    .put_customer = sq_put_customer,
    .add_key = sq_add_key,
    .find_key = sq_find_key,
    .list_keys = sq_list_keys,
    .revoke_key = sq_revoke_key,
    .reserve_group = sq_reserve_group,
    .confirm_group = sq_confirm_group,
    .release_group = sq_release_group,
    .get_group = sq_get_group,
    .list_groups = sq_list_groups,
    .update_group = sq_update_group,
    .delete_group = sq_delete_group,
    .reserve_asset = sq_reserve_asset,
    .confirm_asset = sq_confirm_asset,
    .release_asset = sq_release_asset,
    .get_asset = sq_get_asset,
    .list_assets = sq_list_assets,
    .update_asset = sq_update_asset,
    .delete_asset = sq_delete_asset,
    .set_asset_status = sq_set_asset_status,
    .due_assets = sq_due_assets,
    .schedule_poll = sq_schedule_poll,
    .count_assets = sq_count_assets,
    .sweep_reservations = sq_sweep_reservations,
    /* liveness sessions */
    .create_session = sq_create_session,
    .get_session = sq_get_session,
    .record_session_group = sq_record_session_group,
    .close_session = sq_close_session,
    .lease_due_sessions = sq_lease_due_sessions,
    .schedule_session_poll = sq_schedule_session_poll,
    .oldest_pending_session = sq_oldest_pending_session,
    .group_known = sq_group_known,
    /* blobs */
    .list_group_blob_keys = sq_list_group_blob_keys,
    .list_pending_blob_keys = sq_list_pending_blob_keys,
    /* video tasks */
    .insert_video_task = sq_insert_video_task,
    .get_video_task = sq_get_video_task,
    .update_video_task = sq_update_video_task,
    .due_video_tasks = sq_due_video_tasks,
    /* leases */
    .lease_due_assets = sq_lease_due_assets,
    .lease_due_video_tasks = sq_lease_due_video_tasks,
    /* reconciliation */
    .list_pending = sq_list_pending,
    /* idempotency */
    .idem_claim = sq_idem_claim,
    .idem_complete = sq_idem_complete,
    .idem_release = sq_idem_release,
    .idem_expire = sq_idem_expire,
    /* upload sessions */
    .create_upload = sq_create_upload,
    .get_upload = sq_get_upload,
    .get_upload_by_key = sq_get_upload_by_key,
    .upload_set_state = sq_upload_set_state,
    .upload_begin_complete = sq_upload_begin_complete,
    .upload_cancel_complete = sq_upload_cancel_complete,
    .lease_expired_uploads = sq_lease_expired_uploads,
};

/* Switches the file to WAL (persistent, so later connections inherit it). */
static int sq_set_wal(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        ok = mode && strcmp(mode, "wal") == 0;
        if (!ok)
            log_error("store: journal_mode is %s, not wal", mode ? mode : "?");
    } else {
        log_error("store: cannot set WAL mode: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

/* Memory statistics take a global mutex on every SQLite allocation; the
 * gateway never reads them. Must run before SQLite initialises. */
static void sq_global_config(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct store *store_sqlite_open(const char *data_dir)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sq_global_config);
    struct sq_store *ss = NULL;
    struct sq_conn *c = NULL;
    if (!data_dir || !data_dir[0]) {
        log_error("store: no data directory");
        return NULL;
    }
    if (sq_mkdirs(data_dir) != 0)
        return NULL;
    ss = calloc(1, sizeof *ss);
    if (!ss)
        goto fail_alloc;
    size_t n = strlen(data_dir) + sizeof "/portico.db";
    ss->path = malloc(n);
    if (!ss->path)
        goto fail_alloc;
    snprintf(ss->path, n, "%s/portico.db", data_dir);
    pthread_mutex_init(&ss->pool_mu, NULL);
    pthread_mutex_init(&ss->write_mu, NULL);
    ss->base.ops = &sq_ops;
    ss->base.impl = ss;

    c = sq_conn_open(ss->path, NULL);
    if (!c || sq_set_wal(c->db) != 0 || sq_migrate(c->db) != 0)
        goto fail;
    sq_put(ss, c);
    return &ss->base;

fail_alloc:
    log_error("store: out of memory");
    if (ss)
        free(ss);
    return NULL;
fail:
    sq_conn_close(c);
    sq_close(&ss->base);
    return NULL;
}
