/* schema.c — the schema's released steps, written once for both databases.
 *
 * Both backends apply the same ordered list of steps (sqlite_schema.c keeps
 * PRAGMA user_version, pg_schema.c a schema_version table). Where the two
 * databases name a type differently, a step says so with a token that
 * sql_schema_step expands for the backend:
 *   {KEY}   an auto-numbered 64-bit key: SQLite INTEGER (the rowid), PostgreSQL BIGSERIAL
 *   {I64}   a 64-bit integer: SQLite INTEGER, PostgreSQL BIGINT
 *   {BLOB}  bytes: SQLite BLOB, PostgreSQL BYTEA
 *   {SEQ}   a key that only grows, never reused after deletes: SQLite
 *           INTEGER PRIMARY KEY AUTOINCREMENT, PostgreSQL BIGSERIAL PRIMARY KEY
 * Anything else, '{}' included, is SQL as written.
 *
 * Invariant: a step, once released, is never edited: the SQL each backend
 * runs for it stays byte for byte what it was (tests/unit/test_schema.c
 * holds their digests). Change the schema by appending a step. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

/* Row state columns: state is 0 pending, 1 live, 2 deleted (SQL_PENDING,
 * SQL_LIVE, SQL_DELETED). A pending row has id NULL until confirm;
 * reserved_ms is when it was reserved, for sweep_reservations. */
static const char *const schema_steps[] = {
    /* 1: customers, keys, groups, assets. */
    "CREATE TABLE customers ("
    "  id {KEY} PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  aigc_enabled INTEGER NOT NULL DEFAULT 1"
    ");"
    "CREATE TABLE api_keys ("
    "  id {KEY} PRIMARY KEY,"
    "  customer_id {I64} NOT NULL REFERENCES customers(id),"
    "  prefix TEXT NOT NULL UNIQUE,"
    "  hash {BLOB} NOT NULL UNIQUE,"
    "  created_ms {I64} NOT NULL,"
    "  revoked_ms {I64} NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX api_keys_customer ON api_keys(customer_id);"
    "CREATE TABLE groups ("
    "  handle {KEY} PRIMARY KEY,"
    "  id TEXT UNIQUE,"
    "  customer_id {I64} NOT NULL REFERENCES customers(id),"
    "  type TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  state INTEGER NOT NULL,"
    "  reserved_ms {I64} NOT NULL,"
    "  create_ms {I64} NOT NULL,"
    "  update_ms {I64} NOT NULL,"
    "  deleted_ms {I64} NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX groups_customer ON groups(customer_id, state, create_ms);"
    "CREATE INDEX groups_pending ON groups(reserved_ms) WHERE id IS NULL;"
    "CREATE TABLE assets ("
    "  handle {KEY} PRIMARY KEY,"
    "  id TEXT UNIQUE,"
    "  group_id TEXT NOT NULL REFERENCES groups(id),"
    "  customer_id {I64} NOT NULL REFERENCES customers(id),"
    "  type TEXT NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  url TEXT NOT NULL,"
    "  blob_key TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'Processing',"
    "  failure_reason TEXT NOT NULL DEFAULT '',"
    "  state INTEGER NOT NULL,"
    "  reserved_ms {I64} NOT NULL,"
    "  create_ms {I64} NOT NULL,"
    "  update_ms {I64} NOT NULL,"
    "  deleted_ms {I64} NOT NULL DEFAULT 0,"
    "  next_poll_ms {I64} NOT NULL DEFAULT 0,"
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
    "  customer_id {I64} NOT NULL REFERENCES customers(id),"
    "  callback_url TEXT NOT NULL DEFAULT '',"
    "  h5_link TEXT NOT NULL DEFAULT '',"
    "  expire_ms {I64} NOT NULL,"
    "  group_id TEXT,"
    "  create_ms {I64} NOT NULL,"
    "  update_ms {I64} NOT NULL"
    ");"
    "CREATE INDEX validate_sessions_customer ON validate_sessions(customer_id, create_ms);",

    /* 3: video generation tasks. id is Portico's task id; upstream_id the
     * upstream's. request and result are JSON text. */
    "CREATE TABLE video_tasks ("
    "  handle {KEY} PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  customer_id {I64} NOT NULL REFERENCES customers(id),"
    "  upstream_id TEXT NOT NULL DEFAULT '',"
    "  model TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'queued',"
    "  request TEXT NOT NULL DEFAULT '{}',"
    "  result TEXT NOT NULL DEFAULT '{}',"
    "  create_ms {I64} NOT NULL,"
    "  update_ms {I64} NOT NULL,"
    "  next_poll_ms {I64} NOT NULL DEFAULT 0,"
    "  polls INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX video_tasks_customer ON video_tasks(customer_id, create_ms);"
    "CREATE INDEX video_tasks_due ON video_tasks(next_poll_ms) WHERE status IN ('queued', 'running');",

    /* 4: idempotency keys (ClientToken). state 0: the create is in
     * progress, 1: done, result holds its answer (the created id).
     * request_hash tells a repeat from a different request. */
    "CREATE TABLE idempotency_keys ("
    "  customer_id {I64} NOT NULL REFERENCES customers(id),"
    "  token TEXT NOT NULL,"
    "  request_hash TEXT NOT NULL,"
    "  result TEXT NOT NULL DEFAULT '',"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  created_ms {I64} NOT NULL,"
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
    "ALTER TABLE validate_sessions ADD COLUMN group_handle {I64};"
    "ALTER TABLE validate_sessions ADD COLUMN next_poll_ms {I64} NOT NULL DEFAULT 0;"
    "ALTER TABLE validate_sessions ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;"
    "UPDATE validate_sessions SET state = 1 WHERE group_id IS NOT NULL;"
    "CREATE INDEX validate_sessions_due ON validate_sessions(next_poll_ms) WHERE state = 0;",
    /* 7 (issue 15): upload sessions (API.md §4b). state: 0 open, 1 a PUT
     * streaming in, 2 uploaded, 3 completing, 4 completed, 5 ending (its
     * bytes being removed, leased until lease_ms), 6 ended. States 0-2 hold
     * a slot of the group's asset quota. Self-contained: renumber freely. */
    "CREATE TABLE upload_sessions ("
    "  id TEXT PRIMARY KEY,"
    "  customer_id {I64} NOT NULL REFERENCES customers(id),"
    "  group_id TEXT NOT NULL,"
    "  asset_type TEXT NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  content_type TEXT NOT NULL,"
    "  content_length {I64} NOT NULL,"
    "  sha256 TEXT NOT NULL DEFAULT '',"
    "  put_sha256 TEXT NOT NULL DEFAULT '',"
    "  blob_key TEXT NOT NULL UNIQUE,"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  expire_ms {I64} NOT NULL,"
    "  lease_ms {I64} NOT NULL DEFAULT 0,"
    "  asset_id TEXT,"
    "  create_ms {I64} NOT NULL,"
    "  update_ms {I64} NOT NULL"
    ");"
    "CREATE INDEX upload_sessions_group ON upload_sessions(group_id, state);"
    "CREATE INDEX upload_sessions_expiry ON upload_sessions(expire_ms) WHERE state IN (0, 1, 2, 5);",
    /* 8 (issue 14): events and webhooks (API.md §4a). events: every
     * customer's, in seq order (the SSE stream's and the outbox's source),
     * kept 48 h; seq never goes back, even after a prune ({SEQ}: SQLite's
     * AUTOINCREMENT); notify_configs: a customer's webhook, events an
     * EVENT_BIT mask; notifications: the outbox, one row per event delivered
     * to a webhook (status 0 pending, 1 delivered, 2 failed), leased by
     * pushing next_attempt_ms. */
    "CREATE TABLE events ("
    "  seq {SEQ},"
    "  id TEXT NOT NULL UNIQUE,"
    "  customer_id {I64} NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  create_ms {I64} NOT NULL,"
    "  data TEXT NOT NULL"
    ");"
    "CREATE INDEX events_customer ON events(customer_id, seq);"
    "CREATE INDEX events_age ON events(create_ms);"
    "CREATE TABLE notify_configs ("
    "  customer_id {I64} PRIMARY KEY REFERENCES customers(id),"
    "  url TEXT NOT NULL,"
    "  events {I64} NOT NULL,"
    "  secret TEXT NOT NULL,"
    "  create_ms {I64} NOT NULL,"
    "  update_ms {I64} NOT NULL"
    ");"
    "CREATE TABLE notifications ("
    "  event_id TEXT PRIMARY KEY,"
    "  event_seq {I64} NOT NULL,"
    "  customer_id {I64} NOT NULL,"
    "  type TEXT NOT NULL,"
    "  status INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_status_code INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_ms {I64} NOT NULL,"
    "  create_ms {I64} NOT NULL"
    ");"
    "CREATE INDEX notifications_due ON notifications(next_attempt_ms) WHERE status = 0;"
    "CREATE INDEX notifications_customer ON notifications(customer_id, event_seq);",
    /* 9 (issue 14): generation that waits for its assets, and content
     * hashes. A task waiting_for_assets keeps what it will submit (submit,
     * JSON) and when it gives up (deadline_ms); the waiter leases it like
     * the refresher leases queued tasks. An uploaded or inline asset keeps
     * the SHA-256 of its bytes: one live or pending asset per bytes and
     * group, which the unique index holds even against a race. */
    "ALTER TABLE video_tasks ADD COLUMN submit TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE video_tasks ADD COLUMN deadline_ms {I64} NOT NULL DEFAULT 0;"
    "CREATE INDEX video_tasks_waiting ON video_tasks(next_poll_ms) WHERE status = 'waiting_for_assets';"
    "ALTER TABLE assets ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';"
    "CREATE UNIQUE INDEX assets_content ON assets(group_id, sha256) WHERE sha256 <> '' AND state IN (0, 1);",
    /* 10 (issue 16): the operators' API (API.md §7). admin_keys: operators'
     * keys, hashed like api_keys. A customer's own rate for each of its
     * keys (key_rate, requests/s; 0: the gateway's --key-rate), a switch
     * that refuses all its keys (disabled), and when it was made (older
     * customers: their first key's time, else 0). */
    "CREATE TABLE admin_keys ("
    "  id {KEY} PRIMARY KEY,"
    "  prefix TEXT NOT NULL UNIQUE,"
    "  hash {BLOB} NOT NULL UNIQUE,"
    "  created_ms {I64} NOT NULL,"
    "  revoked_ms {I64} NOT NULL DEFAULT 0"
    ");"
    "ALTER TABLE customers ADD COLUMN key_rate INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE customers ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE customers ADD COLUMN create_ms {I64} NOT NULL DEFAULT 0;"
    "UPDATE customers SET create_ms = coalesce((SELECT min(k.created_ms) FROM api_keys k"
    " WHERE k.customer_id = customers.id), 0);",
    /* 11 (issue 16): usage metering and the audit log. usage_counters: how
     * much a metric moved for a customer on a UTC day (days since
     * 1970-01-01), written in the transaction of the change it counts
     * (store/usage.c); "live." metrics are stocks kept as their moves, with
     * their running sums in usage_totals. audit_events: append-only, each
     * in the transaction of the change it records (store/audit.c). An
     * asset keeps how many bytes of it Portico stores and which key (from
     * which address) registered it, a liveness session which key started
     * it and how it ended (the session of a LivenessFace group is looked
     * up by the group: indexed), a video task its length. The counters
     * start from the records already there, so a recount holds from day
     * one. */
    "CREATE TABLE usage_counters ("
    "  customer_id {I64} NOT NULL,"
    "  day {I64} NOT NULL,"
    "  metric TEXT NOT NULL,"
    "  n {I64} NOT NULL,"
    "  PRIMARY KEY (customer_id, day, metric)"
    ");"
    "CREATE INDEX usage_counters_day ON usage_counters(day);"
    "CREATE TABLE usage_totals ("
    "  customer_id {I64} NOT NULL,"
    "  metric TEXT NOT NULL,"
    "  n {I64} NOT NULL,"
    "  PRIMARY KEY (customer_id, metric)"
    ");"
    "CREATE TABLE audit_events ("
    "  seq {SEQ},"
    "  customer_id {I64} NOT NULL,"
    "  type TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  group_id TEXT NOT NULL DEFAULT '',"
    "  actor TEXT NOT NULL DEFAULT '',"
    "  actor_addr TEXT NOT NULL DEFAULT '',"
    "  create_ms {I64} NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT '{}'"
    ");"
    "CREATE INDEX audit_events_customer ON audit_events(customer_id, seq);"
    "CREATE INDEX audit_events_type ON audit_events(type, seq);"
    "CREATE INDEX audit_events_time ON audit_events(create_ms);"
    "CREATE INDEX audit_events_group ON audit_events(group_id) WHERE group_id <> '';"
    "ALTER TABLE assets ADD COLUMN bytes {I64} NOT NULL DEFAULT 0;"
    "ALTER TABLE assets ADD COLUMN actor TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE assets ADD COLUMN actor_addr TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE validate_sessions ADD COLUMN actor TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE validate_sessions ADD COLUMN actor_addr TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE validate_sessions ADD COLUMN result_code TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE video_tasks ADD COLUMN seconds {I64} NOT NULL DEFAULT 0;"
    "CREATE INDEX validate_sessions_group ON validate_sessions(group_id) WHERE group_id IS NOT NULL;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, create_ms / 86400000, 'groups.created', COUNT(*) FROM groups"
    " WHERE state IN (1, 2) GROUP BY customer_id, create_ms / 86400000;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, deleted_ms / 86400000, 'groups.deleted', COUNT(*) FROM groups"
    " WHERE state = 2 GROUP BY customer_id, deleted_ms / 86400000;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, create_ms / 86400000, 'live.groups', COUNT(*) FROM groups"
    " WHERE state = 1 GROUP BY customer_id, create_ms / 86400000;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, create_ms / 86400000, 'assets.created', COUNT(*) FROM assets"
    " WHERE state IN (1, 2) AND id IS NOT NULL GROUP BY customer_id, create_ms / 86400000;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, deleted_ms / 86400000, 'assets.deleted', COUNT(*) FROM assets"
    " WHERE state = 2 AND id IS NOT NULL GROUP BY customer_id, deleted_ms / 86400000;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, create_ms / 86400000, 'live.assets.' || status, COUNT(*) FROM assets"
    " WHERE state = 1 GROUP BY customer_id, create_ms / 86400000, status;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, create_ms / 86400000, 'videos.created', COUNT(*) FROM video_tasks"
    " GROUP BY customer_id, create_ms / 86400000;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, update_ms / 86400000, 'videos.' || status, COUNT(*) FROM video_tasks"
    " WHERE status IN ('succeeded', 'failed') GROUP BY customer_id, update_ms / 86400000, status;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, create_ms / 86400000, 'liveness.started', COUNT(*) FROM validate_sessions"
    " GROUP BY customer_id, create_ms / 86400000;"
    "INSERT INTO usage_counters(customer_id, day, metric, n)"
    " SELECT customer_id, update_ms / 86400000,"
    " CASE state WHEN 1 THEN 'liveness.passed' WHEN 2 THEN 'liveness.expired' ELSE 'liveness.failed' END,"
    " COUNT(*) FROM validate_sessions WHERE state IN (1, 2, 3) GROUP BY customer_id, update_ms / 86400000, state;"
    "INSERT INTO usage_totals(customer_id, metric, n)"
    " SELECT customer_id, metric, SUM(n) FROM usage_counters WHERE metric LIKE 'live.%' GROUP BY customer_id, metric;",
    /* 12 (issue 17): one upstream budget for the fleet (store/fleet.c).
     * fleet_nodes: the nodes sharing the store, each with its heartbeat
     * (seen_ms; every time here is the database's clock). fleet_buckets:
     * the account's token buckets, in thousandths of a token as of
     * updated_ms, with the settings of the node that leased last;
     * fleet_leases: what each node leased, and how many customers waited
     * on it (its share). groups.node, assets.node: the node whose request
     * holds a reservation. assets.slot_ms: when the asset's create took
     * one of the account's creations in flight (UPSTREAM.md: assets still
     * Processing), held while it stays Processing; slot_wait_ms: until
     * when a reservation waits for one. Assets Processing now hold one. */
    "CREATE TABLE fleet_nodes ("
    "  node TEXT PRIMARY KEY,"
    "  started_ms {I64} NOT NULL,"
    "  seen_ms {I64} NOT NULL"
    ");"
    "CREATE TABLE fleet_buckets ("
    "  name TEXT PRIMARY KEY,"
    "  tokens_milli {I64} NOT NULL,"
    "  updated_ms {I64} NOT NULL,"
    "  rate_milli {I64} NOT NULL,"
    "  burst_milli {I64} NOT NULL"
    ");"
    "CREATE TABLE fleet_leases ("
    "  node TEXT NOT NULL,"
    "  bucket TEXT NOT NULL,"
    "  leased_ms {I64} NOT NULL,"
    "  leases {I64} NOT NULL DEFAULT 0,"
    "  granted {I64} NOT NULL DEFAULT 0,"
    "  customers {I64} NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (node, bucket)"
    ");"
    "ALTER TABLE groups ADD COLUMN node TEXT;"
    "ALTER TABLE assets ADD COLUMN node TEXT;"
    "ALTER TABLE assets ADD COLUMN slot_ms {I64};"
    "ALTER TABLE assets ADD COLUMN slot_wait_ms {I64};"
    "UPDATE assets SET slot_ms = reserved_ms WHERE state = 1 AND status = 'Processing';"
    "CREATE INDEX assets_processing ON assets(customer_id) WHERE state IN (0, 1) AND status = 'Processing';",
};

int sql_schema_steps(void)
{
    return (int)(sizeof schema_steps / sizeof schema_steps[0]);
}

static const struct {
    const char *token, *sqlite, *pg;
} schema_types[] = {
    {"{KEY}", "INTEGER", "BIGSERIAL"},
    {"{I64}", "INTEGER", "BIGINT"},
    {"{BLOB}", "BLOB", "BYTEA"},
    {"{SEQ}", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"},
};

/* Writes step's expansion for d into out (when not NULL); returns its length. */
static size_t schema_expand(const char *step, enum sql_dialect d, char *out)
{
    size_t n = 0;
    while (*step) {
        const char *with = NULL;
        size_t skip = 1;
        for (size_t k = 0; k < sizeof schema_types / sizeof schema_types[0] && !with; k++) {
            size_t len = strlen(schema_types[k].token);
            if (strncmp(step, schema_types[k].token, len) == 0) {
                with = d == SQL_DIALECT_PG ? schema_types[k].pg : schema_types[k].sqlite;
                skip = len;
            }
        }
        size_t add = with ? strlen(with) : 1;
        if (out)
            memcpy(out + n, with ? with : step, add);
        n += add;
        step += skip;
    }
    if (out)
        out[n] = '\0';
    return n;
}

char *sql_schema_step(enum sql_dialect d, int i)
{
    if (i < 0 || i >= sql_schema_steps())
        return NULL;
    char *sql = malloc(schema_expand(schema_steps[i], d, NULL) + 1);
    if (sql)
        schema_expand(schema_steps[i], d, sql);
    return sql;
}
