/* pg_schema.c — the PostgreSQL schema as an ordered list of migrations.
 *
 * The same steps as the SQLite schema (sqlite_schema.c): schema.c's, in
 * PostgreSQL's types. Table schema_version records each step
 * applied. Steps are applied at open in one transaction that first takes a
 * transaction-scoped advisory lock, so several nodes starting at once
 * migrate exactly once: the others wait for the lock, then find the new
 * version and have nothing to do. DDL is transactional in PostgreSQL, so a
 * failed step leaves the database as it was.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store/pg_int.h"
#include "util/clock.h"
#include "util/log.h"

/* Any constant will do, as long as every node uses the same one. */
#define PG_MIGRATE_LOCK "7406291117"

/* Runs sql (no parameters, may hold several statements); 0 when it
 * succeeded, else logs and returns -1. *out (may be NULL) gets the result. */
static int pg_mig_exec(PGconn *db, const char *sql, PGresult **out)
{
    PGresult *res = PQexec(db, sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        log_error("store: postgres migration failed: %s", res ? PQresultErrorMessage(res) : PQerrorMessage(db));
        PQclear(res);
        return -1;
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

int pg_migrate(PGconn *db)
{
    PGresult *res = NULL;
    int version = 0;
    int n_steps = sql_schema_steps();
    /* Blocking calls are fine here: this runs once, at open, and a schema
     * change may legitimately take longer than a request's timeout. */
    if (PQsetnonblocking(db, 0) != 0)
        return -1;
    if (pg_mig_exec(db, "BEGIN; SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = '60s';"
                        " SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")", NULL) != 0)
        goto fail;
    if (pg_mig_exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
                        "  version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)", NULL) != 0 ||
        pg_mig_exec(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &res) != 0)
        goto fail;
    version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (version > n_steps) {
        log_error("store: database schema version %d is newer than this binary's %d", version, n_steps);
        goto fail;
    }
    for (int i = version; i < n_steps; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO schema_version(version, applied_ms) VALUES (%d, %lld)", i + 1,
                 (long long)clock_wall_ms());
        char *step = sql_schema_step(SQL_DIALECT_PG, i);
        if (!step)
            log_error("store: postgres migration failed: out of memory");
        int failed = !step || pg_mig_exec(db, step, NULL) != 0 || pg_mig_exec(db, sql, NULL) != 0;
        free(step);
        if (failed)
            goto fail;
    }
    if (pg_mig_exec(db, "COMMIT", NULL) != 0)
        goto fail;
    if (version < n_steps)
        log_info("store: migrated the postgres schema from version %d to %d", version, n_steps);
    return PQsetnonblocking(db, 1) == 0 ? 0 : -1;

fail:
    PQclear(PQexec(db, "ROLLBACK"));
    return -1;
}
