/* sqlite_schema.c — the SQLite schema as an ordered list of migrations.
 *
 * PRAGMA user_version holds how many steps the database has had. Steps are
 * applied at open inside one BEGIN IMMEDIATE transaction, so two processes
 * opening a fresh file at once migrate it exactly once: the second waits
 * for the write lock, then reads the new version and has nothing to do.
 *
 * Invariant: a step, once released, is never edited. Change the schema by
 * appending a step. */
#include <stdio.h>

#include "store/sqlite_int.h"
#include "util/log.h"

/* Row state columns: state is 0 pending, 1 live, 2 deleted (SQ_*). A
 * pending row has id NULL until confirm; reserved_ms is when it was
 * reserved, for sweep_reservations. */
static const char *const sq_steps[] = {
    /* 1: customers, keys, groups, assets. */
    "CREATE TABLE customers ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  aigc_enabled INTEGER NOT NULL DEFAULT 1"
    ");"
    "CREATE TABLE api_keys ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id),"
    "  prefix TEXT NOT NULL UNIQUE,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  created_ms INTEGER NOT NULL,"
    "  revoked_ms INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX api_keys_customer ON api_keys(customer_id);"
    "CREATE TABLE groups ("
    "  handle INTEGER PRIMARY KEY,"
    "  id TEXT UNIQUE,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id),"
    "  type TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  state INTEGER NOT NULL,"
    "  reserved_ms INTEGER NOT NULL,"
    "  create_ms INTEGER NOT NULL,"
    "  update_ms INTEGER NOT NULL,"
    "  deleted_ms INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX groups_customer ON groups(customer_id, state, create_ms);"
    "CREATE INDEX groups_pending ON groups(reserved_ms) WHERE id IS NULL;"
    "CREATE TABLE assets ("
    "  handle INTEGER PRIMARY KEY,"
    "  id TEXT UNIQUE,"
    "  group_id TEXT NOT NULL REFERENCES groups(id),"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id),"
    "  type TEXT NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  url TEXT NOT NULL,"
    "  blob_key TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'Processing',"
    "  failure_reason TEXT NOT NULL DEFAULT '',"
    "  state INTEGER NOT NULL,"
    "  reserved_ms INTEGER NOT NULL,"
    "  create_ms INTEGER NOT NULL,"
    "  update_ms INTEGER NOT NULL,"
    "  deleted_ms INTEGER NOT NULL DEFAULT 0,"
    "  next_poll_ms INTEGER NOT NULL DEFAULT 0,"
    "  polls INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX assets_group ON assets(group_id, state);"
    "CREATE INDEX assets_customer ON assets(customer_id, state, create_ms);"
    "CREATE INDEX assets_due ON assets(next_poll_ms) WHERE state = 1 AND status = 'Processing';"
    "CREATE INDEX assets_pending ON assets(reserved_ms) WHERE id IS NULL;",

    /* 2: liveness (H5 face scan) sessions. group_id is set once the scan
     * succeeded and the LivenessFace group was recorded for the customer. */
    "CREATE TABLE validate_sessions ("
    "  token TEXT PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id),"
    "  callback_url TEXT NOT NULL DEFAULT '',"
    "  h5_link TEXT NOT NULL DEFAULT '',"
    "  expire_ms INTEGER NOT NULL,"
    "  group_id TEXT,"
    "  create_ms INTEGER NOT NULL,"
    "  update_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX validate_sessions_customer ON validate_sessions(customer_id, create_ms);",

    /* 3: video generation tasks. id is Portico's task id; upstream_id the
     * upstream's. request and result are JSON text. */
    "CREATE TABLE video_tasks ("
    "  handle INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id),"
    "  upstream_id TEXT NOT NULL DEFAULT '',"
    "  model TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'queued',"
    "  request TEXT NOT NULL DEFAULT '{}',"
    "  result TEXT NOT NULL DEFAULT '{}',"
    "  create_ms INTEGER NOT NULL,"
    "  update_ms INTEGER NOT NULL,"
    "  next_poll_ms INTEGER NOT NULL DEFAULT 0,"
    "  polls INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX video_tasks_customer ON video_tasks(customer_id, create_ms);"
    "CREATE INDEX video_tasks_due ON video_tasks(next_poll_ms) WHERE status IN ('queued', 'running');",

    /* 4: idempotency keys (ClientToken). state 0: the create is in
     * progress, 1: done, result holds its answer (the created id).
     * request_hash tells a repeat from a different request. */
    "CREATE TABLE idempotency_keys ("
    "  customer_id INTEGER NOT NULL REFERENCES customers(id),"
    "  token TEXT NOT NULL,"
    "  request_hash TEXT NOT NULL,"
    "  result TEXT NOT NULL DEFAULT '',"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL,"
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
    "ALTER TABLE validate_sessions ADD COLUMN group_handle INTEGER;"
    "ALTER TABLE validate_sessions ADD COLUMN next_poll_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE validate_sessions ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;"
    "UPDATE validate_sessions SET state = 1 WHERE group_id IS NOT NULL;"
    "CREATE INDEX validate_sessions_due ON validate_sessions(next_poll_ms) WHERE state = 0;",
    /* 7 (issue 15): upload sessions (API.md §4b). state: 0 open, 1 a PUT
     * streaming in, 2 uploaded, 3 completing, 4 completed, 5 ending (its
     * bytes being removed, leased until lease_ms), 6 ended. States 0-2 hold
     * a slot of the group's asset quota. Self-contained: renumber freely. */
    "CREATE TABLE upload_sessions ("
    "  id TEXT PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id),"
    "  group_id TEXT NOT NULL,"
    "  asset_type TEXT NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  content_type TEXT NOT NULL,"
    "  content_length INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL DEFAULT '',"
    "  put_sha256 TEXT NOT NULL DEFAULT '',"
    "  blob_key TEXT NOT NULL UNIQUE,"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  expire_ms INTEGER NOT NULL,"
    "  lease_ms INTEGER NOT NULL DEFAULT 0,"
    "  asset_id TEXT,"
    "  create_ms INTEGER NOT NULL,"
    "  update_ms INTEGER NOT NULL"
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
    "ALTER TABLE video_tasks ADD COLUMN deadline_ms INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX video_tasks_waiting ON video_tasks(next_poll_ms) WHERE status = 'waiting_for_assets';"
    "ALTER TABLE assets ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';"
    "CREATE UNIQUE INDEX assets_content ON assets(group_id, sha256) WHERE sha256 <> '' AND state IN (0, 1);",
};

#define SQ_N_STEPS ((int)(sizeof sq_steps / sizeof sq_steps[0]))

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
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err);
    if (rc != SQLITE_OK)
        goto fail;
    rc = sq_user_version(db, &version);
    if (rc != SQLITE_OK)
        goto fail;
    if (version > SQ_N_STEPS) {
        log_error("store: database schema version %d is newer than this binary's %d", version, SQ_N_STEPS);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    for (int i = version; i < SQ_N_STEPS; i++) {
        rc = sqlite3_exec(db, sq_steps[i], NULL, NULL, &err);
        if (rc != SQLITE_OK)
            goto fail;
    }
    if (version < SQ_N_STEPS) {
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SQ_N_STEPS);
        rc = sqlite3_exec(db, sql, NULL, NULL, &err);
        if (rc != SQLITE_OK)
            goto fail;
        log_info("store: migrated schema from version %d to %d", version, SQ_N_STEPS);
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
