/* sqlite.c — the embedded SQLite store: open (directory, WAL, schema) and
 * close. The operations are written once over the driver (driver.h,
 * sqlite_driver.c). */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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


/* Switches the file to WAL (persistent, so later connections inherit it).
 * Changing the journal mode needs the file to itself, and SQLite may answer
 * SQLITE_BUSY without calling the busy handler when several processes open a
 * brand-new file at once — so retry for as long as the busy timeout. */
static int sq_set_wal(sqlite3 *db)
{
    for (int waited_ms = 0;; waited_ms += 10) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const char *mode = (const char *)sqlite3_column_text(st, 0);
            int ok = mode && strcmp(mode, "wal") == 0;
            if (!ok)
                log_error("store: journal_mode is %s, not wal", mode ? mode : "?");
            sqlite3_finalize(st);
            return ok ? 0 : -1;
        }
        sqlite3_finalize(st);
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited_ms >= SQ_BUSY_TIMEOUT_MS) {
            log_error("store: cannot set WAL mode: %s", sqlite3_errmsg(db));
            return -1;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
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
    ss->db.base.ops = &sql_store_ops;
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
