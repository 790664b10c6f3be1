/* pg.c — the PostgreSQL store, for running several porticod nodes on one
 * database: open (pool, migrations), close, ping, customers and API keys,
 * and the ops table. Groups live in pg_groups.c, assets in pg_assets.c, the
 * refresher's queries and leases in pg_refresh.c, liveness sessions in
 * pg_sessions.c, upload blob keys in pg_blobs.c, video tasks in
 * pg_videos.c.
 *
 * Settings beyond the conninfo come from the environment, read once at
 * open: PORTICO_PG_POOL (connections per node, default 16) and
 * PORTICO_PG_STATEMENT_TIMEOUT_MS (default 5000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"

/* ---- customers and keys ------------------------------------------------ */

static void pg_read_customer(PGresult *res, int row, int col, struct customer *out)
{
    memset(out, 0, sizeof *out);
    out->id = pg_col_i64(res, row, col);
    pg_col_text(res, row, col + 1, out->name, sizeof out->name);
    out->aigc_enabled = (int)pg_col_i64(res, row, col + 2);
}

enum store_result pg_put_customer(struct store *s, const char *name, int aigc_enabled, struct customer *out)
{
    struct pg_store *ps = pg_of(s);
    if (!pg_fits(name, STORE_CUSTOMER_MAX) || !name[0])
        return STORE_ERROR;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, name);
    pg_p_i64(&p, aigc_enabled ? 1 : 0);
    PGresult *res = NULL;
    /* One UPSERT: find-or-create is atomic across nodes. */
    enum store_result r = pg_exec(c, PG_ADHOC,
                                  "INSERT INTO customers(name, aigc_enabled) VALUES ($1, $2)"
                                  " ON CONFLICT(name) DO UPDATE SET aigc_enabled = excluded.aigc_enabled"
                                  " RETURNING id, name, aigc_enabled",
                                  &p, &res, "put_customer");
    if (r == STORE_OK) {
        if (PQntuples(res) != 1)
            r = STORE_ERROR;
        else if (out)
            pg_read_customer(res, 0, 0, out);
    }
    PQclear(res);
    pg_put(ps, c);
    return r;
}

enum store_result pg_add_key(struct store *s, int64_t customer_id, const char *prefix, const uint8_t hash[32],
                             int64_t now_ms)
{
    if (!pg_fits(prefix, sizeof((struct key_info *)0)->prefix) || !prefix[0] || !hash)
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, prefix);
    pg_p_bytea(&p, hash, 32);
    pg_p_i64(&p, now_ms);
    return pg_write_one(s, "INSERT INTO api_keys(customer_id, prefix, hash, created_ms) VALUES ($1, $2, $3, $4)", &p,
                        NULL, "add_key");
}

/* bytea in text form is "\x" and hex digits. */
static int pg_unhex32(const char *v, uint8_t out[32])
{
    if (!v || v[0] != '\\' || v[1] != 'x' || strlen(v) != 2 + 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned int b;
        if (sscanf(v + 2 + 2 * i, "%2x", &b) != 1)
            return -1;
        out[i] = (uint8_t)b;
    }
    return 0;
}

enum store_result pg_find_key(struct store *s, const uint8_t hash[32], struct customer *out)
{
    struct pg_store *ps = pg_of(s);
    if (!hash)
        return STORE_ERROR;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_bytea(&p, hash, 32);
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_FIND_KEY,
                                  "SELECT k.hash, c.id, c.name, c.aigc_enabled FROM api_keys k"
                                  " JOIN customers c ON c.id = k.customer_id"
                                  " WHERE k.hash = $1 AND k.revoked_ms = 0",
                                  &p, &res, "find_key");
    if (r == STORE_OK) {
        uint8_t stored[32];
        /* The index lookup compared bytes; compare again in constant time
         * so that the answer never depends on timing. */
        if (PQntuples(res) == 1 && pg_unhex32(PQgetvalue(res, 0, 0), stored) == 0 &&
            crypto_equal(stored, hash, 32)) {
            if (out)
                pg_read_customer(res, 0, 1, out);
        } else {
            r = STORE_NOT_FOUND;
        }
    }
    PQclear(res);
    pg_put(ps, c);
    return r;
}

enum store_result pg_list_keys(struct store *s, store_key_fn fn, void *ctx)
{
    struct pg_store *ps = pg_of(s);
    if (!fn)
        return STORE_ERROR;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC,
                                  "SELECT k.prefix, c.name, k.created_ms, k.revoked_ms FROM api_keys k"
                                  " JOIN customers c ON c.id = k.customer_id ORDER BY k.created_ms, k.id",
                                  NULL, &res, "list_keys");
    pg_put(ps, c);
    if (r != STORE_OK)
        return r;
    for (int i = 0; i < PQntuples(res); i++) {
        struct key_info k;
        memset(&k, 0, sizeof k);
        pg_col_text(res, i, 0, k.prefix, sizeof k.prefix);
        pg_col_text(res, i, 1, k.customer, sizeof k.customer);
        k.created_ms = pg_col_i64(res, i, 2);
        k.revoked_ms = pg_col_i64(res, i, 3);
        fn(ctx, &k);
    }
    PQclear(res);
    return STORE_OK;
}

enum store_result pg_revoke_key(struct store *s, const char *prefix, int64_t now_ms)
{
    if (!pg_fits(prefix, sizeof((struct key_info *)0)->prefix))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, prefix);
    /* revoked_ms 0 means active, so a revocation is stamped at least 1. */
    pg_p_i64(&p, now_ms > 0 ? now_ms : 1);
    return pg_write_row(s, "UPDATE api_keys SET revoked_ms = $2 WHERE prefix = $1 AND revoked_ms = 0",
                                       &p, "revoke_key");
}

/* ---- open, close, ping ------------------------------------------------- */

static enum store_result pg_ping(struct store *s)
{
    struct pg_store *ps = pg_of(s);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = pg_exec(c, PG_ADHOC, "SELECT 1", NULL, NULL, "ping");
    pg_put(ps, c);
    return r;
}

static void pg_close(struct store *s)
{
    if (!s)
        return;
    struct pg_store *ps = pg_of(s);
    pg_pool_drain(ps);
    pthread_mutex_destroy(&ps->mu);
    pthread_cond_destroy(&ps->cv);
    free(ps->slots);
    free(ps->idle);
    free(ps->conninfo);
    free(ps);
}

static const struct store_ops pg_ops = {
    .close = pg_close,
    .ping = pg_ping,
    .put_customer = pg_put_customer,
    .add_key = pg_add_key,
    .find_key = pg_find_key,
    .list_keys = pg_list_keys,
    .revoke_key = pg_revoke_key,
    .reserve_group = pg_reserve_group,
    .confirm_group = pg_confirm_group,
    .release_group = pg_release_group,
    .get_group = pg_get_group,
    .list_groups = pg_list_groups,
    .update_group = pg_update_group,
    .delete_group = pg_delete_group,
    .reserve_asset = pg_reserve_asset,
    .confirm_asset = pg_confirm_asset,
    .release_asset = pg_release_asset,
    .get_asset = pg_get_asset,
    .list_assets = pg_list_assets,
    .update_asset = pg_update_asset,
    .delete_asset = pg_delete_asset,
    .set_asset_status = pg_set_asset_status,
    .due_assets = pg_due_assets,
    .schedule_poll = pg_schedule_poll,
    .count_assets = pg_count_assets,
    .sweep_reservations = pg_sweep_reservations,
    /* liveness sessions */
    .create_session = pg_create_session,
    .get_session = pg_get_session,
    .record_session_group = pg_record_session_group,
    .close_session = pg_close_session,
    .lease_due_sessions = pg_lease_due_sessions,
    .schedule_session_poll = pg_schedule_session_poll,
    .oldest_pending_session = pg_oldest_pending_session,
    .group_known = pg_group_known,
    /* blobs */
    .list_group_blob_keys = pg_list_group_blob_keys,
    .list_pending_blob_keys = pg_list_pending_blob_keys,
    /* video tasks */
    .insert_video_task = pg_insert_video_task,
    .get_video_task = pg_get_video_task,
    .update_video_task = pg_update_video_task,
    .due_video_tasks = pg_due_video_tasks,
    /* leases */
    .lease_due_assets = pg_lease_due_assets,
    .lease_due_video_tasks = pg_lease_due_video_tasks,
    /* reconciliation */
    .list_pending = pg_list_pending,
    /* idempotency */
    .idem_claim = pg_idem_claim,
    .idem_complete = pg_idem_complete,
    .idem_release = pg_idem_release,
    .idem_expire = pg_idem_expire,
    /* upload sessions */
    .create_upload = pg_create_upload,
    .get_upload = pg_get_upload,
    .get_upload_by_key = pg_get_upload_by_key,
    .upload_set_state = pg_upload_set_state,
    .upload_begin_complete = pg_upload_begin_complete,
    .upload_cancel_complete = pg_upload_cancel_complete,
    .lease_expired_uploads = pg_lease_expired_uploads,
};

static int pg_env_int(const char *name, int def, int lo, int hi)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < lo || n > hi) {
        log_warn("store: ignoring %s=%s (want %d..%d)", name, v, lo, hi);
        return def;
    }
    return (int)n;
}

struct store *store_pg_open(const char *conninfo)
{
    struct pg_store *ps = NULL;
    if (!conninfo || !conninfo[0]) {
        log_error("store: no postgres connection string");
        return NULL;
    }
    ps = calloc(1, sizeof *ps);
    if (!ps)
        goto fail_alloc;
    ps->conninfo = strdup(conninfo);
    ps->pool_size = pg_env_int("PORTICO_PG_POOL", PG_POOL_DEFAULT, 1, PG_POOL_MAX);
    ps->statement_timeout_ms =
        pg_env_int("PORTICO_PG_STATEMENT_TIMEOUT_MS", PG_STATEMENT_TIMEOUT_DEFAULT_MS, 100, 600000);
    ps->slots = calloc((size_t)ps->pool_size, sizeof *ps->slots);
    ps->idle = calloc((size_t)ps->pool_size, sizeof *ps->idle);
    if (!ps->conninfo || !ps->slots || !ps->idle)
        goto fail_alloc;
    pthread_mutex_init(&ps->mu, NULL);
    clock_cond_init(&ps->cv); /* pg_get waits until a clock_deadline */
    /* Slots pop from the top: slot 0 is handed out first, so a quiet node
     * keeps few connections open. */
    for (int i = 0; i < ps->pool_size; i++) {
        ps->slots[i].slot = i;
        ps->slots[i].owner = ps;
        ps->idle[i] = ps->pool_size - 1 - i;
    }
    ps->n_idle = ps->pool_size;
    ps->base.ops = &pg_ops;
    ps->base.impl = ps;

    /* Connect and migrate on the first slot; it stays in the pool. */
    struct pg_conn *c = &ps->slots[0];
    c->db = pg_connect(ps->conninfo, ps->statement_timeout_ms);
    if (!c->db || pg_migrate(c->db) != 0) {
        log_error("store: cannot open the postgres store");
        pg_close(&ps->base);
        return NULL;
    }
    return &ps->base;

fail_alloc:
    log_error("store: out of memory");
    if (ps) {
        free(ps->conninfo);
        free(ps->slots);
        free(ps->idle);
        free(ps);
    }
    return NULL;
}
