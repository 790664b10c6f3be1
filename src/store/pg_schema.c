/* pg_schema.c — the PostgreSQL schema as an ordered list of migrations.
 *
 * The same tables and columns as the SQLite schema (sqlite_schema.c), step
 * for step, in PostgreSQL's types. Table schema_version records each step
 * applied. Steps are applied at open in one transaction that first takes a
 * transaction-scoped advisory lock, so several nodes starting at once
 * migrate exactly once: the others wait for the lock, then find the new
 * version and have nothing to do. DDL is transactional in PostgreSQL, so a
 * failed step leaves the database as it was.
 *
 * Invariant: a step, once released, is never edited. Change the schema by
 * appending a step (and the matching step to sqlite_schema.c). */
#include <stdio.h>
#include <stdlib.h>

#include "store/pg_int.h"
#include "util/clock.h"
#include "util/log.h"

/* Any constant will do, as long as every node uses the same one. */
#define PG_MIGRATE_LOCK "7406291117"

/* Row state columns: state is 0 pending, 1 live, 2 deleted. A pending row
 * has id NULL until confirm; reserved_ms is when it was reserved, for
 * sweep_reservations. */
static const char *const pg_steps[] = {
    /* 1: customers, keys, groups, assets. */
    "CREATE TABLE customers ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  aigc_enabled INTEGER NOT NULL DEFAULT 1"
    ");"
    "CREATE TABLE api_keys ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  customer_id BIGINT NOT NULL REFERENCES customers(id),"
    "  prefix TEXT NOT NULL UNIQUE,"
    "  hash BYTEA NOT NULL UNIQUE,"
    "  created_ms BIGINT NOT NULL,"
    "  revoked_ms BIGINT NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX api_keys_customer ON api_keys(customer_id);"
    "CREATE TABLE groups ("
    "  handle BIGSERIAL PRIMARY KEY,"
    "  id TEXT UNIQUE,"
    "  customer_id BIGINT NOT NULL REFERENCES customers(id),"
    "  type TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  state INTEGER NOT NULL,"
    "  reserved_ms BIGINT NOT NULL,"
    "  create_ms BIGINT NOT NULL,"
    "  update_ms BIGINT NOT NULL,"
    "  deleted_ms BIGINT NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX groups_customer ON groups(customer_id, state, create_ms);"
    "CREATE INDEX groups_pending ON groups(reserved_ms) WHERE id IS NULL;"
    "CREATE TABLE assets ("
    "  handle BIGSERIAL PRIMARY KEY,"
    "  id TEXT UNIQUE,"
    "  group_id TEXT NOT NULL REFERENCES groups(id),"
    "  customer_id BIGINT NOT NULL REFERENCES customers(id),"
    "  type TEXT NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  url TEXT NOT NULL,"
    "  blob_key TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'Processing',"
    "  failure_reason TEXT NOT NULL DEFAULT '',"
    "  state INTEGER NOT NULL,"
    "  reserved_ms BIGINT NOT NULL,"
    "  create_ms BIGINT NOT NULL,"
    "  update_ms BIGINT NOT NULL,"
    "  deleted_ms BIGINT NOT NULL DEFAULT 0,"
    "  next_poll_ms BIGINT NOT NULL DEFAULT 0,"
    "  polls INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX assets_group ON assets(group_id, state);"
    "CREATE INDEX assets_customer ON assets(customer_id, state, create_ms);"
    "CREATE INDEX assets_due ON assets(next_poll_ms) WHERE state = 1 AND status = 'Processing';"
    "CREATE INDEX assets_pending ON assets(reserved_ms) WHERE id IS NULL;",

    /* 2: liveness (H5 face scan) sessions. */
    "CREATE TABLE validate_sessions ("
    "  token TEXT PRIMARY KEY,"
    "  customer_id BIGINT NOT NULL REFERENCES customers(id),"
    "  callback_url TEXT NOT NULL DEFAULT '',"
    "  h5_link TEXT NOT NULL DEFAULT '',"
    "  expire_ms BIGINT NOT NULL,"
    "  group_id TEXT,"
    "  create_ms BIGINT NOT NULL,"
    "  update_ms BIGINT NOT NULL"
    ");"
    "CREATE INDEX validate_sessions_customer ON validate_sessions(customer_id, create_ms);",

    /* 3: video generation tasks. request and result are JSON text. */
    "CREATE TABLE video_tasks ("
    "  handle BIGSERIAL PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  customer_id BIGINT NOT NULL REFERENCES customers(id),"
    "  upstream_id TEXT NOT NULL DEFAULT '',"
    "  model TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'queued',"
    "  request TEXT NOT NULL DEFAULT '{}',"
    "  result TEXT NOT NULL DEFAULT '{}',"
    "  create_ms BIGINT NOT NULL,"
    "  update_ms BIGINT NOT NULL,"
    "  next_poll_ms BIGINT NOT NULL DEFAULT 0,"
    "  polls INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX video_tasks_customer ON video_tasks(customer_id, create_ms);"
    "CREATE INDEX video_tasks_due ON video_tasks(next_poll_ms) WHERE status IN ('queued', 'running');",

    /* 4: idempotency keys (ClientToken). state 0: the create is in
     * progress, 1: done, result holds its answer (the created id).
     * request_hash tells a repeat from a different request. */
    "CREATE TABLE idempotency_keys ("
    "  customer_id BIGINT NOT NULL REFERENCES customers(id),"
    "  token TEXT NOT NULL,"
    "  request_hash TEXT NOT NULL,"
    "  result TEXT NOT NULL DEFAULT '',"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  created_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (customer_id, token)"
    ");"
    "CREATE INDEX idempotency_keys_created ON idempotency_keys(created_ms);",

    /* 5: UPSTREAM.md "GetAsset": a failed asset's Error {Code, Message},
     * kept verbatim; and a Status the record does not name is polled like
     * Processing (slowly), so the refresher's index covers every unsettled one. */
    "ALTER TABLE assets ADD COLUMN error_code TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE assets ADD COLUMN error_message TEXT NOT NULL DEFAULT '';"
    "DROP INDEX assets_due;"
    "CREATE INDEX assets_due ON assets(next_poll_ms) WHERE state = 1 AND status NOT IN ('Active', 'Failed');",

    /* 6: security review. Reconciliation tags: every group and asset created
     * upstream keeps its own random tag (core/reconcile.c), re-appended on
     * every rename; "" for records from before (and for LivenessFace
     * groups, which the upstream names). Liveness sessions: state 0
     * pending (it holds the group slot group_handle reserved), 1 its group
     * is recorded, 2 closed without one; the background poller's schedule. */
    "ALTER TABLE groups ADD COLUMN tag TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE assets ADD COLUMN tag TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE validate_sessions ADD COLUMN state INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE validate_sessions ADD COLUMN group_handle BIGINT;"
    "ALTER TABLE validate_sessions ADD COLUMN next_poll_ms BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE validate_sessions ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;"
    "UPDATE validate_sessions SET state = 1 WHERE group_id IS NOT NULL;"
    "CREATE INDEX validate_sessions_due ON validate_sessions(next_poll_ms) WHERE state = 0;",
    /* 7 (issue 15): upload sessions (API.md §4b), as sqlite_schema.c's
     * step. Self-contained: renumber freely. */
    "CREATE TABLE upload_sessions ("
    "  id TEXT PRIMARY KEY,"
    "  customer_id BIGINT NOT NULL REFERENCES customers(id),"
    "  group_id TEXT NOT NULL,"
    "  asset_type TEXT NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  content_type TEXT NOT NULL,"
    "  content_length BIGINT NOT NULL,"
    "  sha256 TEXT NOT NULL DEFAULT '',"
    "  put_sha256 TEXT NOT NULL DEFAULT '',"
    "  blob_key TEXT NOT NULL UNIQUE,"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  expire_ms BIGINT NOT NULL,"
    "  lease_ms BIGINT NOT NULL DEFAULT 0,"
    "  asset_id TEXT,"
    "  create_ms BIGINT NOT NULL,"
    "  update_ms BIGINT NOT NULL"
    ");"
    "CREATE INDEX upload_sessions_group ON upload_sessions(group_id, state);"
    "CREATE INDEX upload_sessions_expiry ON upload_sessions(expire_ms) WHERE state IN (0, 1, 2, 5);",
    /* 8 (issue 14): generation that waits for its assets, and content
     * hashes. A task waiting_for_assets keeps what it will submit (submit,
     * JSON) and when it gives up (deadline_ms); the waiter leases it like
     * the refresher leases queued tasks. An uploaded or inline asset keeps
     * the SHA-256 of its bytes: one live or pending asset per bytes and
     * group, which the unique index holds even against a race.
     * Self-contained: renumber freely. */
    "ALTER TABLE video_tasks ADD COLUMN submit TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE video_tasks ADD COLUMN deadline_ms BIGINT NOT NULL DEFAULT 0;"
    "CREATE INDEX video_tasks_waiting ON video_tasks(next_poll_ms) WHERE status = 'waiting_for_assets';"
    "ALTER TABLE assets ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';"
    "CREATE UNIQUE INDEX assets_content ON assets(group_id, sha256) WHERE sha256 <> '' AND state IN (0, 1);",
};

#define PG_N_STEPS ((int)(sizeof pg_steps / sizeof pg_steps[0]))

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
    if (version > PG_N_STEPS) {
        log_error("store: database schema version %d is newer than this binary's %d", version, PG_N_STEPS);
        goto fail;
    }
    for (int i = version; i < PG_N_STEPS; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO schema_version(version, applied_ms) VALUES (%d, %lld)", i + 1,
                 (long long)clock_wall_ms());
        if (pg_mig_exec(db, pg_steps[i], NULL) != 0 || pg_mig_exec(db, sql, NULL) != 0)
            goto fail;
    }
    if (pg_mig_exec(db, "COMMIT", NULL) != 0)
        goto fail;
    if (version < PG_N_STEPS)
        log_info("store: migrated the postgres schema from version %d to %d", version, PG_N_STEPS);
    return PQsetnonblocking(db, 1) == 0 ? 0 : -1;

fail:
    PQclear(PQexec(db, "ROLLBACK"));
    return -1;
}
