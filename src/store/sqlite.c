/* sqlite.c — the embedded SQLite store: open (directory, WAL, schema) and
 * close. The operations are written once over the driver (driver.h,
 * sqlite_driver.c). */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/sqlite_int.h"
#include "util/log.h"

/* ---- open, close, ping ------------------------------------------------- */

void sq_close_store(struct store *s)
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
    .close = sq_close_store,
    .ping = sql_ping,
    .put_customer = sql_put_customer,
    .add_key = sql_add_key,
    .find_key = sql_find_key,
    .list_keys = sql_list_keys,
    .revoke_key = sql_revoke_key,
    .reserve_group = sql_reserve_group,
    .confirm_group = sql_confirm_group,
    .release_group = sql_release_group,
    .get_group = sql_get_group,
    .list_groups = sql_list_groups,
    .update_group = sql_update_group,
    .delete_group = sql_delete_group,
    .reserve_asset = sql_reserve_asset,
    .confirm_asset = sql_confirm_asset,
    .release_asset = sql_release_asset,
    .get_asset = sql_get_asset,
    .list_assets = sql_list_assets,
    .update_asset = sql_update_asset,
    .delete_asset = sql_delete_asset,
    .set_asset_status = sql_set_asset_status,
    .schedule_poll = sql_schedule_poll,
    .count_assets = sql_count_assets,
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
    ss->db.base.ops = &sq_ops;
    ss->db.base.impl = ss;
    ss->db.d = &sq_driver;

    c = sq_conn_open(ss, ss->path, NULL);
    if (!c || sq_set_wal(c->db) != 0 || sq_migrate(c->db) != 0)
        goto fail;
    sq_put(ss, c);
    return &ss->db.base;

fail_alloc:
    log_error("store: out of memory");
    if (ss)
        free(ss);
    return NULL;
fail:
    sq_conn_close(c);
    sq_close_store(&ss->db.base);
    return NULL;
}
