/* fleet.c — the nodes sharing the store and the upstream account's budget
 * they share, written once over the driver (driver.h).
 *
 * The account is one, whatever the number of nodes: its token buckets
 * (creates, lists/updates/deletes, gets per second) are rows of
 * fleet_buckets, from which a node leases a few tokens at a time
 * (lease_tokens); its creations in flight — UPSTREAM.md "Account limits",
 * read as assets still Processing — are the asset rows themselves: a
 * reservation queues for one (slot_wait_ms), takes one (slot_ms) when its
 * turn comes, and holds it while the create is sent and the asset is
 * Processing; it gives it back by settling, so no node has to remember to.
 * A pending reservation whose node died holds its place for at most
 * FLEET_PENDING_SLOT_MS, and take_over_dead hands it to a living node to
 * settle long before that.
 *
 * Every time here is the database's clock (NOW below), never a node's, so
 * that nodes whose clocks disagree still share one bucket. Claims of
 * places in flight are serialized: an advisory lock on PostgreSQL, the
 * single writer on SQLite; a count and the claim it allows are one
 * transaction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

/* The database's clock in ms, in each dialect; a statement that needs it
 * is written once around it (FLEET_SQL) and picked by dialect (pick). */
#define NOW_SQLITE "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
#define NOW_PG "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
#define FLEET_SQL(before, after) {before NOW_SQLITE after, before NOW_PG after}

/* A reservation's place in flight lapses this long after it was taken if
 * its row is still pending: longer than any request's create with its
 * retries, so only a dead node's can lapse (reconcile.c). */
#define FLEET_PENDING_SLOT_MS (5 * 60 * 1000)
/* A lease made within this window is another node still asking: its
 * customers count in the shares. */
#define FLEET_DEMAND_MS 1000
#define FLEET_SLOT_LOCK "4217017" /* pg_advisory_xact_lock key of the in-flight claims */

static const char *pick(struct sql_conn *c, const char *const v[2])
{
    return v[c->d->dialect == SQL_DIALECT_PG];
}

static enum store_result db_now(struct sql_conn *c, int64_t *now)
{
    static const char *const sql[2] = FLEET_SQL("SELECT ", "");
    return sql_int(c, SQL_CACHE, pick(c, sql), now, NULL, "");
}

int sql_fleet_shared(struct store *s)
{
    return sql_driver_of(s)->row_locks;
}

/* ---- nodes ---- */

static enum store_result put_node(struct store *s, int64_t *now_out)
{
    const struct sql_fleet *f = sql_fleet_of(s);
    struct sql_conn *c;
    int64_t now = 0;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = db_now(c, &now);
    if (r == STORE_OK)
        r = sql_exec(c, SQL_CACHE,
                     "INSERT INTO fleet_nodes(node, started_ms, seen_ms) VALUES ($1, $2, $2)"
                     " ON CONFLICT (node) DO UPDATE SET seen_ms = excluded.seen_ms",
                     NULL, "ti", f->node, now);
    r = sql_done(s, c, r);
    if (r == STORE_OK && now_out)
        *now_out = now;
    return r;
}

enum store_result sql_fleet_join(struct store *s, const struct store_fleet_config *cfg)
{
    if (!cfg || !cfg->node || !cfg->node[0] || !sql_fits(cfg->node, FLEET_NODE_MAX) || cfg->max_inflight < 0 ||
        cfg->slot_wait_ms < 0)
        return STORE_ERROR;
    struct sql_fleet *f = &((struct sql_store *)s)->fleet;
    snprintf(f->node, sizeof f->node, "%s", cfg->node);
    f->max_inflight = cfg->max_inflight;
    f->slot_wait_ms = cfg->slot_wait_ms;
    return put_node(s, NULL);
}

enum store_result sql_fleet_heartbeat(struct store *s, int64_t *now_ms)
{
    if (!sql_fleet_of(s)->node[0])
        return STORE_ERROR;
    return put_node(s, now_ms);
}

enum store_result sql_fleet_leave(struct store *s)
{
    const struct sql_fleet *f = sql_fleet_of(s);
    if (!f->node[0])
        return STORE_OK;
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = sql_exec(c, 0, "DELETE FROM fleet_leases WHERE node = $1", NULL, "t", f->node);
    if (r == STORE_OK)
        r = sql_exec(c, 0, "DELETE FROM fleet_nodes WHERE node = $1", NULL, "t", f->node);
    return sql_done(s, c, r);
}

/* ---- token buckets ---- */

struct bucket_row {
    int64_t tokens_milli, updated_ms, rate_milli, burst_milli, now_ms;
};
static const struct sql_field bucket_fields[] = {
    SQL_L(struct bucket_row, tokens_milli), SQL_L(struct bucket_row, updated_ms), SQL_L(struct bucket_row, rate_milli),
    SQL_L(struct bucket_row, burst_milli), SQL_L(struct bucket_row, now_ms)};
static const struct sql_row bucket_row = SQL_ROW(struct bucket_row, bucket_fields);

/* The lease's arithmetic, on integers (thousandths of a token), apart from
 * the store so that a unit test can hold it to its word. */
void sql_fleet_lease_math(struct store_token_lease *l, int64_t *tokens_milli, int64_t elapsed_ms, int64_t others)
{
    int64_t rate = llround(l->rate * 1000), burst = llround(l->burst * 1000);
    if (rate < 1)
        rate = 1;
    if (burst < 1000)
        burst = 1000;
    if (elapsed_ms < 0)
        elapsed_ms = 0; /* the database's clock went back (a fail-over): no refill, no loss */
    if (elapsed_ms > 3600 * 1000)
        elapsed_ms = 3600 * 1000; /* full long before: keeps the product in range */
    int64_t t = *tokens_milli + elapsed_ms * rate / 1000;
    if (t > burst)
        t = burst;
    if (t < 0)
        t = 0;
    int64_t avail = t / 1000, mine = l->customers > 0 ? l->customers : 1;
    int64_t share = avail;
    if (others > 0) /* what this node's customers are owed of what is there, at least one token */
        share = (avail * mine + mine + others - 1) / (mine + others);
    int64_t g = l->want;
    if (g > avail)
        g = avail;
    if (g > share)
        g = share;
    if (g < 0)
        g = 0;
    t -= g * 1000;
    l->granted = (int)g;
    l->retry_ms = 0;
    if (g < l->want) {
        /* Until the next whole token, stretched by the other nodes'
         * customers: a node with a small share asks less often. */
        int64_t missing = 1000 - t % 1000;
        int64_t ms = (missing * 1000 + rate - 1) / rate;
        if (others > 0)
            ms = ms * (mine + others) / mine;
        l->retry_ms = ms < 1 ? 1 : ms > 1000 ? 1000 : ms;
    }
    *tokens_milli = t;
}

enum store_result sql_lease_tokens(struct store *s, struct store_token_lease *l)
{
    const struct sql_fleet *f = sql_fleet_of(s);
    if (!l || !l->bucket || !sql_fits(l->bucket, 16) || !(l->rate > 0) || !(l->burst > 0) || l->want < 1 ||
        !f->node[0])
        return STORE_ERROR;
    static const char *const row_sql[2] = {
        "SELECT tokens_milli, updated_ms, rate_milli, burst_milli, " NOW_SQLITE " FROM fleet_buckets WHERE name = $1",
        "SELECT tokens_milli, updated_ms, rate_milli, burst_milli, " NOW_PG
        " FROM fleet_buckets WHERE name = $1 FOR UPDATE"};
    struct sql_conn *c;
    struct bucket_row b = {0};
    int64_t others = 0;
    l->granted = 0;
    l->retry_ms = 0;
    l->fleet_rate = l->fleet_burst = 0;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_one(c, SQL_CACHE, pick(c, row_sql), &bucket_row, &b, "t", l->bucket);
    if (r == STORE_NOT_FOUND) {
        /* First use: the bucket starts full, as the account's does. */
        r = sql_exec(c, 0,
                     "INSERT INTO fleet_buckets(name, tokens_milli, updated_ms, rate_milli, burst_milli)"
                     " VALUES ($1, $2, 0, 0, 0) ON CONFLICT (name) DO NOTHING",
                     NULL, "ti", l->bucket, (int64_t)llround(l->burst * 1000));
        if (r == STORE_OK)
            r = sql_one(c, SQL_CACHE, pick(c, row_sql), &bucket_row, &b, "t", l->bucket);
        b.updated_ms = b.now_ms;
    }
    if (r == STORE_OK)
        r = sql_int(c, SQL_CACHE,
                    "SELECT COALESCE(SUM(customers), 0) FROM fleet_leases"
                    " WHERE bucket = $1 AND node <> $2 AND leased_ms > $3 AND customers > 0",
                    &others, NULL, "tti", l->bucket, f->node, b.now_ms - FLEET_DEMAND_MS);
    if (r == STORE_OK) {
        l->fleet_rate = (double)b.rate_milli / 1000.0;
        l->fleet_burst = (double)b.burst_milli / 1000.0;
        sql_fleet_lease_math(l, &b.tokens_milli, b.now_ms - b.updated_ms, others);
        /* PostgreSQL may read the clock before the row lock is granted:
         * a lease that waited for another's must not move the bucket's time
         * back, which would count that wait's refill twice. */
        int64_t updated = b.now_ms > b.updated_ms ? b.now_ms : b.updated_ms;
        r = sql_exec(c, SQL_CACHE,
                     "UPDATE fleet_buckets SET tokens_milli = $2, updated_ms = $3, rate_milli = $4, burst_milli = $5"
                     " WHERE name = $1",
                     NULL, "tiiii", l->bucket, b.tokens_milli, updated, (int64_t)llround(l->rate * 1000),
                     (int64_t)llround(l->burst * 1000));
    }
    if (r == STORE_OK)
        r = sql_exec(c, SQL_CACHE,
                     "INSERT INTO fleet_leases(node, bucket, leased_ms, leases, granted, customers)"
                     " VALUES ($1, $2, $3, 1, $4, $5) ON CONFLICT (node, bucket) DO UPDATE SET"
                     " leased_ms = excluded.leased_ms, leases = fleet_leases.leases + 1,"
                     " granted = fleet_leases.granted + excluded.granted, customers = excluded.customers",
                     NULL, "ttiii", f->node, l->bucket, b.now_ms, (int64_t)l->granted,
                     /* still waiting: a node that got all it asked for holds no share back */
                     (int64_t)(l->granted < l->want ? (l->customers > 0 ? l->customers : 1) : 0));
    r = sql_done(s, c, r);
    if (r != STORE_OK)
        l->granted = 0;
    return r;
}

/* ---- creations in flight ---- */

/* Rows holding a place: a pending reservation that took it (until it
 * lapses), or an asset still Processing that did. $1: the lapse bound. */
#define HOLDING                                                                                                \
    " state IN (0, 1) AND status = 'Processing' AND slot_ms IS NOT NULL AND (state = 1 OR slot_ms > $1)"
/* Reservations waiting for one until their deadline ($2, now). */
#define WAITING " state = 0 AND status = 'Processing' AND slot_ms IS NULL AND slot_wait_ms > $2"

struct inflight_row {
    int64_t held, waiting, now_ms;
};
static const struct sql_field inflight_fields[] = {SQL_L(struct inflight_row, held),
                                                   SQL_L(struct inflight_row, waiting)};
static const struct sql_row inflight_row = SQL_ROW(struct inflight_row, inflight_fields);

/* Inside a write transaction: takes the claims' lock and counts. */
static enum store_result count_inflight(struct sql_conn *c, struct inflight_row *n)
{
    /* The count and the claim it allows must not interleave with another
     * node's: one claimer at a time (SQLite's writer is one already). */
    enum store_result r = c->d->row_locks
                              ? sql_exec(c, 0, "SELECT pg_advisory_xact_lock(" FLEET_SLOT_LOCK ")", NULL, "")
                              : STORE_OK;
    int64_t now = 0;
    if (r == STORE_OK)
        r = db_now(c, &now);
    if (r == STORE_OK)
        r = sql_one(c, SQL_CACHE,
                    "SELECT (SELECT COUNT(*) FROM assets WHERE" HOLDING "),"
                    " (SELECT COUNT(*) FROM assets WHERE" WAITING ")",
                    &inflight_row, n, "ii", now - FLEET_PENDING_SLOT_MS, now);
    n->now_ms = now;
    return r;
}

/* The waiting reservations whose turn has come, best first: each
 * customer's k-th waiting one after the places its assets hold, ties by
 * age. At most limit handles into *out (malloc'd). */
static enum store_result turns(struct sql_conn *c, int64_t now, int64_t limit, int64_t **out, size_t *n)
{
    void *items = NULL;
    enum store_result r = sql_many(
        c, SQL_CACHE,
        "WITH held AS (SELECT customer_id, COUNT(*) AS n FROM assets WHERE" HOLDING " GROUP BY customer_id),"
        " waiting AS (SELECT handle, customer_id FROM assets WHERE" WAITING "),"
        " turns AS (SELECT w.handle, COALESCE(h.n, 0)"
        "   + ROW_NUMBER() OVER (PARTITION BY w.customer_id ORDER BY w.handle) AS turn"
        "  FROM waiting w LEFT JOIN held h ON h.customer_id = w.customer_id)"
        " SELECT handle FROM turns ORDER BY turn, handle LIMIT $3",
        &sql_i64_row, 0, &items, n, "iii", now - FLEET_PENDING_SLOT_MS, now, limit);
    *out = items;
    return r;
}

static enum store_result take_slot(struct sql_conn *c, int64_t handle, int64_t now, int *took)
{
    int changes = 0;
    enum store_result r = sql_exec(c, SQL_CACHE,
                                   "UPDATE assets SET slot_ms = $2, slot_wait_ms = NULL"
                                   " WHERE handle = $1 AND state = 0 AND slot_ms IS NULL",
                                   &changes, "ii", handle, now);
    *took = r == STORE_OK && changes > 0;
    return r;
}

/* Grants places to those of handles[0..n) whose turn has come (granted[i]
 * = 1), inside a write transaction; the count first. */
static enum store_result grant(struct sql_conn *c, int max_inflight, const int64_t *handles, size_t n, int *granted)
{
    struct inflight_row cnt = {0};
    enum store_result r = count_inflight(c, &cnt);
    int64_t free_places = max_inflight - cnt.held;
    if (r != STORE_OK || free_places <= 0)
        return r;
    int64_t *best = NULL;
    size_t nb = 0;
    r = turns(c, cnt.now_ms, free_places, &best, &nb);
    for (size_t i = 0; i < n && r == STORE_OK; i++)
        for (size_t k = 0; k < nb && r == STORE_OK; k++)
            if (best[k] == handles[i])
                r = take_slot(c, handles[i], cnt.now_ms, &granted[i]);
    free(best);
    return r;
}

enum store_result sql_fleet_hold_asset(struct store *s, struct sql_conn *c, int64_t handle, int *slot)
{
    const struct sql_fleet *f = sql_fleet_of(s);
    int took = 0;
    if (slot)
        *slot = !f->node[0]; /* not joined: nothing is counted, nothing waits */
    if (!f->node[0])
        return STORE_OK;
    enum store_result r = STORE_OK;
    if (f->max_inflight <= 0) { /* nothing counted: never waits */
        r = sql_exec(c, SQL_CACHE, "UPDATE assets SET node = $2 WHERE handle = $1", NULL, "it", handle, f->node);
        if (slot)
            *slot = 1;
        return r;
    }
    struct inflight_row cnt = {0};
    r = count_inflight(c, &cnt);
    if (r == STORE_OK && cnt.waiting == 0 && cnt.held < f->max_inflight) {
        /* The common case: a place is free and nobody waits for it. */
        r = sql_exec(c, SQL_CACHE, "UPDATE assets SET node = $2, slot_ms = $3 WHERE handle = $1", NULL, "iti",
                     handle, f->node, cnt.now_ms);
        took = r == STORE_OK;
    } else if (r == STORE_OK) {
        /* In the queue; first in it if its turn has come already. */
        r = sql_exec(c, SQL_CACHE, "UPDATE assets SET node = $2, slot_wait_ms = $3 WHERE handle = $1", NULL, "iti",
                     handle, f->node, cnt.now_ms + f->slot_wait_ms);
        int64_t free_places = f->max_inflight - cnt.held, *best = NULL;
        size_t nb = 0;
        if (r == STORE_OK && free_places > 0)
            r = turns(c, cnt.now_ms, free_places, &best, &nb);
        for (size_t k = 0; k < nb && r == STORE_OK && !took; k++)
            if (best[k] == handle)
                r = take_slot(c, handle, cnt.now_ms, &took);
        free(best);
    }
    if (slot)
        *slot = r == STORE_OK && took;
    return r;
}

enum store_result sql_grant_slots(struct store *s, const int64_t *handles, size_t n, int *granted)
{
    const struct sql_fleet *f = sql_fleet_of(s);
    if ((n && (!handles || !granted)) || !f->node[0])
        return STORE_ERROR;
    memset(granted, 0, n * sizeof *granted);
    if (n == 0)
        return STORE_OK;
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK && f->max_inflight > 0)
        r = grant(c, f->max_inflight, handles, n, granted);
    /* A handle no longer waiting says so too: it holds a place already
     * (granted by a call whose answer was lost), or its row went (released,
     * swept up by a group delete): its create finds out what became of it. */
    for (size_t i = 0; i < n && r == STORE_OK; i++) {
        int64_t waiting = 0;
        if (!granted[i])
            r = sql_int(c, SQL_CACHE, "SELECT COUNT(*) FROM assets WHERE handle = $1 AND state = 0 AND slot_ms IS NULL",
                        &waiting, NULL, "i", handles[i]);
        if (r == STORE_OK && (f->max_inflight <= 0 || waiting == 0))
            granted[i] = 1;
    }
    return sql_done(s, c, r);
}

/* ---- status ---- */

struct lease_row {
    char node[FLEET_NODE_MAX], bucket[16];
    int64_t leases, granted, customers;
};
static const struct sql_field lease_fields[] = {SQL_T(struct lease_row, node), SQL_T(struct lease_row, bucket),
                                                SQL_L(struct lease_row, leases), SQL_L(struct lease_row, granted),
                                                SQL_L(struct lease_row, customers)};
static const struct sql_row lease_row = SQL_ROW(struct lease_row, lease_fields);

struct bucket_status_row {
    char name[16];
    int64_t tokens_milli, updated_ms, rate_milli, burst_milli;
};
static const struct sql_field bucket_status_fields[] = {
    SQL_T(struct bucket_status_row, name), SQL_L(struct bucket_status_row, tokens_milli),
    SQL_L(struct bucket_status_row, updated_ms), SQL_L(struct bucket_status_row, rate_milli),
    SQL_L(struct bucket_status_row, burst_milli)};
static const struct sql_row bucket_status_row = SQL_ROW(struct bucket_status_row, bucket_status_fields);

static const struct sql_field node_fields[] = {SQL_T(struct fleet_node, node), SQL_L(struct fleet_node, started_ms),
                                               SQL_L(struct fleet_node, seen_ms)};
static const struct sql_row node_row = SQL_ROW(struct fleet_node, node_fields);

struct node_places {
    char node[FLEET_NODE_MAX];
    int64_t inflight, waiting;
};
static const struct sql_field node_places_fields[] = {SQL_T(struct node_places, node),
                                                      SQL_L(struct node_places, inflight),
                                                      SQL_L(struct node_places, waiting)};
static const struct sql_row node_places_row = SQL_ROW(struct node_places, node_places_fields);

static const char *const bucket_names[FLEET_BUCKETS] = {"create", "mutate", "get"};

static int bucket_index(const char *name)
{
    for (int i = 0; i < FLEET_BUCKETS; i++)
        if (strcmp(name, bucket_names[i]) == 0)
            return i;
    return -1;
}

static struct fleet_node *node_of(struct fleet_status *out, const char *node)
{
    for (size_t i = 0; i < out->n_nodes; i++)
        if (strcmp(out->nodes[i].node, node) == 0)
            return &out->nodes[i];
    return NULL;
}

enum store_result sql_fleet_status(struct store *s, struct fleet_status *out)
{
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    out->shared = sql_fleet_shared(s);
    out->max_inflight = sql_fleet_of(s)->max_inflight;
    for (int i = 0; i < FLEET_BUCKETS; i++)
        snprintf(out->buckets[i].name, sizeof out->buckets[i].name, "%s", bucket_names[i]);
    struct sql_conn *c;
    void *items = NULL;
    size_t n = 0;
    int64_t now = 0;
    enum store_result r = sql_start(s, SQL_TX_SNAPSHOT, &c);
    if (r == STORE_OK)
        r = db_now(c, &now);
    out->now_ms = now;
    if (r == STORE_OK)
        r = sql_many(c, 0, "SELECT name, tokens_milli, updated_ms, rate_milli, burst_milli FROM fleet_buckets",
                     &bucket_status_row, FLEET_BUCKETS * 4, &items, &n, "");
    for (size_t i = 0; r == STORE_OK && i < n; i++) {
        const struct bucket_status_row *b = (const struct bucket_status_row *)items + i;
        int k = bucket_index(b->name);
        if (k < 0)
            continue;
        double t = (double)b->tokens_milli + (double)(now > b->updated_ms ? now - b->updated_ms : 0) *
                                                 (double)b->rate_milli / 1000.0;
        out->buckets[k].tokens = (t > (double)b->burst_milli ? (double)b->burst_milli : t) / 1000.0;
        out->buckets[k].rate = (double)b->rate_milli / 1000.0;
        out->buckets[k].burst = (double)b->burst_milli / 1000.0;
    }
    free(items);
    items = NULL;
    if (r == STORE_OK) {
        r = sql_many(c, 0, "SELECT node, started_ms, seen_ms FROM fleet_nodes ORDER BY started_ms, node", &node_row,
                     FLEET_NODES_MAX, &items, &n, "");
        if (r == STORE_OK) {
            memcpy(out->nodes, items, n * sizeof out->nodes[0]);
            out->n_nodes = n;
        }
        free(items);
        items = NULL;
    }
    if (r == STORE_OK)
        r = sql_many(c, 0, "SELECT node, bucket, leases, granted, customers FROM fleet_leases", &lease_row, 0, &items,
                     &n, "");
    for (size_t i = 0; r == STORE_OK && i < n; i++) {
        const struct lease_row *l = (const struct lease_row *)items + i;
        struct fleet_node *fn = node_of(out, l->node);
        int k = bucket_index(l->bucket);
        if (fn && k >= 0) {
            fn->leases[k] = l->leases;
            fn->granted[k] = l->granted;
            fn->customers[k] = l->customers;
        }
    }
    free(items);
    items = NULL;
    if (r == STORE_OK)
        r = sql_many(c, 0,
                     "SELECT COALESCE(node, ''),"
                     " SUM(CASE WHEN" HOLDING " THEN 1 ELSE 0 END), SUM(CASE WHEN" WAITING " THEN 1 ELSE 0 END)"
                     " FROM assets WHERE state IN (0, 1) AND status = 'Processing' GROUP BY COALESCE(node, '')",
                     &node_places_row, 0, &items, &n, "ii", now - FLEET_PENDING_SLOT_MS, now);
    for (size_t i = 0; r == STORE_OK && i < n; i++) {
        const struct node_places *p = (const struct node_places *)items + i;
        out->inflight += p->inflight;
        out->waiting += p->waiting;
        struct fleet_node *fn = node_of(out, p->node);
        if (fn) {
            fn->inflight = p->inflight;
            fn->waiting = p->waiting;
        }
    }
    free(items);
    return sql_done(s, c, r);
}

/* ---- nodes that died ---- */

static const struct sql_field dead_fields[] = {
    SQL_I(struct store_pending, is_group),      SQL_L(struct store_pending, handle),
    SQL_L(struct store_pending, customer_id),   SQL_L(struct store_pending, reserved_ms),
    SQL_I(struct store_pending, group_deleted), SQL_T(struct store_pending, type),
    SQL_T(struct store_pending, group_id),      SQL_T(struct store_pending, blob_key),
    SQL_T(struct store_pending, tag),           SQL_I(struct store_pending, maybe_sent)};
static const struct sql_row dead_row = SQL_ROW(struct store_pending, dead_fields);

/* A node is alive while its heartbeat is younger than $3 ($2 is this node). */
#define GONE " node IS NOT NULL AND node <> $2 AND node NOT IN (SELECT node FROM fleet_nodes WHERE seen_ms > $3)"

enum store_result sql_take_over_dead(struct store *s, int64_t dead_after_ms, struct store_pending_list *out)
{
    const struct sql_fleet *f = sql_fleet_of(s);
    if (!out || dead_after_ms <= 0 || !f->node[0])
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct sql_conn *c;
    int64_t now = 0;
    void *groups = NULL, *assets = NULL;
    size_t ng = 0, na = 0;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = db_now(c, &now);
    /* The same rows list_pending would settle: a pending face scan's
     * place is its session's, not a create's. Whether a group's create was
     * sent is not recorded: it may have been. */
    if (r == STORE_OK)
        r = sql_many(c, 0,
                     "UPDATE groups SET node = $1 WHERE id IS NULL AND state = 0 AND" GONE
                     " AND NOT EXISTS (SELECT 1 FROM validate_sessions v WHERE v.group_handle = groups.handle"
                     "  AND v.state = 0)"
                     " RETURNING 1, handle, customer_id, reserved_ms, 0, type, '', '', tag, 1",
                     &dead_row, 0, &groups, &ng, "tti", f->node, f->node, now - dead_after_ms);
    /* An asset's create is sent only after it took a place in flight. */
    if (r == STORE_OK)
        r = sql_many(c, 0,
                     "UPDATE assets SET node = $1 WHERE id IS NULL AND" GONE
                     " RETURNING 0, handle, customer_id, reserved_ms, CASE WHEN state = 2 THEN 1 ELSE 0 END, type,"
                     " group_id, blob_key, tag, CASE WHEN slot_ms IS NULL THEN 0 ELSE 1 END",
                     &dead_row, 0, &assets, &na, "tti", f->node, f->node, now - dead_after_ms);
    if (r == STORE_OK)
        r = sql_exec(c, 0,
                     "DELETE FROM fleet_leases WHERE node NOT IN (SELECT node FROM fleet_nodes WHERE seen_ms > $1)",
                     NULL, "i", now - dead_after_ms);
    if (r == STORE_OK)
        r = sql_exec(c, 0, "DELETE FROM fleet_nodes WHERE seen_ms <= $1 AND node <> $2", NULL, "it",
                     now - dead_after_ms, f->node);
    r = sql_done(s, c, r);
    if (r == STORE_OK && ng + na) {
        out->items = malloc((ng + na) * sizeof *out->items);
        if (!out->items) {
            r = STORE_ERROR;
        } else {
            memcpy(out->items, groups, ng * sizeof *out->items);
            memcpy(out->items + ng, assets, na * sizeof *out->items);
            out->n = ng + na;
        }
    }
    free(groups);
    free(assets);
    return r;
}
