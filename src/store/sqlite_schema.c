/* sqlite_schema.c — the SQLite schema as an ordered list of migrations.
 *
 * PRAGMA user_version holds how many steps the database has had. Steps are
 * applied at open inside one BEGIN IMMEDIATE transaction, so two processes
 * opening a fresh file at once migrate it exactly once: the second waits
 * for the write lock, then reads the new version and has nothing to do.
 *
 * The steps themselves are schema.c's, in SQLite's types. */
#include <stdio.h>
#include <stdlib.h>

#include "store/sqlite_int.h"
#include "util/log.h"

static int sq_user_version(sqlite3 *db, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int sq_migrate(sqlite3 *db)
{
    char *err = NULL;
    char sql[64];
    int version = 0;
    int n_steps = sql_schema_steps();
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err);
    if (rc != SQLITE_OK)
        goto fail;
    rc = sq_user_version(db, &version);
    if (rc != SQLITE_OK)
        goto fail;
    if (version > n_steps) {
        log_error("store: database schema version %d is newer than this binary's %d", version, n_steps);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    for (int i = version; i < n_steps; i++) {
        char *step = sql_schema_step(SQL_DIALECT_SQLITE, i);
        rc = step ? sqlite3_exec(db, step, NULL, NULL, &err) : SQLITE_NOMEM;
        free(step);
        if (rc != SQLITE_OK)
            goto fail;
    }
    if (version < n_steps) {
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", n_steps);
        rc = sqlite3_exec(db, sql, NULL, NULL, &err);
        if (rc != SQLITE_OK)
            goto fail;
        log_info("store: migrated schema from version %d to %d", version, n_steps);
    }
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &err);
    if (rc != SQLITE_OK)
        goto fail;
    return 0;

fail:
    log_error("store: migration failed: %s", err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}
