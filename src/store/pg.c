/* pg.c — the PostgreSQL store, for running several porticod nodes on one
 * database: open (pool, migrations) and close. The operations are written
 * once over the driver (driver.h, pg_driver.c).
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

/* ---- open, close, ping ------------------------------------------------- */

void pg_close_store(struct store *s)
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
        ps->slots[i].base.d = &pg_driver;
        ps->idle[i] = ps->pool_size - 1 - i;
    }
    ps->n_idle = ps->pool_size;
    ps->db.base.ops = &sql_store_ops;
    ps->db.base.impl = ps;
    ps->db.d = &pg_driver;

    /* Connect and migrate on the first slot; it stays in the pool. */
    struct pg_conn *c = &ps->slots[0];
    c->db = pg_connect(ps->conninfo, ps->statement_timeout_ms);
    if (!c->db || pg_migrate(c->db) != 0) {
        log_error("store: cannot open the postgres store");
        pg_close_store(&ps->db.base);
        return NULL;
    }
    return &ps->db.base;

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
