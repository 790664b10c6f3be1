/* pg_int.h — internals of the PostgreSQL backend: its driver and pool
 * (pg_driver.c), open and close (pg.c), applying the schema (pg_schema.c) and
 * leases (pg_leases.c). Nothing outside src/store/pg*.c includes this.
 *
 * Several porticod nodes share one database, so nothing here may rely on
 * node-local state for correctness: quotas are made exact by row locks
 * taken inside the reserving transaction (the driver's row_locks: the
 * customer's row for groups, the group's row for assets), and the
 * refresher's work is leased with FOR UPDATE SKIP LOCKED.
 *
 * Connections come from a fixed-size pool per node. Every statement is
 * sent asynchronously and waited for with poll(2) against a client-side
 * deadline a little past the server's statement_timeout, so a request can
 * never hang on the database: a dead or stuck server turns into
 * STORE_UNAVAILABLE, the connection is dropped, and the next user of its
 * slot reconnects. */
#ifndef PORTICO_STORE_PG_INT_H
#define PORTICO_STORE_PG_INT_H
#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>

#include "store/driver.h"

#define PG_POOL_DEFAULT 16
#define PG_POOL_MAX 256
#define PG_STATEMENT_TIMEOUT_DEFAULT_MS 5000
#define PG_CONNECT_TIMEOUT_S "5" /* a loaded machine forks a backend slowly; the operator's conninfo may set its own */
/* After a failed connect, callers fail fast for this long instead of each
 * trying again: an outage costs one connect attempt per interval. */
#define PG_RECONNECT_BACKOFF_MS 250
#define PG_MAX_PARAMS 112 /* a list filter binds up to 100 group ids */

/* Statements the domain files mark SQL_CACHE are prepared once per
 * connection, keyed by the address of their literal SQL text. */
#define PG_CACHE_SLOTS 128

struct pg_store;

struct pg_conn {
    struct sql_conn base;
    PGconn *db; /* NULL until the slot's first use, and after a failure */
    const char *cache_sql[PG_CACHE_SLOTS]; /* prepared as "c<slot>" */
    int tx;     /* a transaction begun by the driver is open */
    int broken; /* close and reconnect before the next use */
    int slot;
    struct pg_store *owner;
};

struct pg_store {
    struct sql_store db; /* db.base.impl points back here */
    char *conninfo;
    int statement_timeout_ms;
    int pool_size;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pg_conn *slots; /* pool_size entries */
    int *idle;              /* stack of idle slot numbers */
    int n_idle;
    int64_t down_until_ms; /* monotonic: fail fast until then (backoff) */
};

/* Query parameters, bound as text (bytea as binary). */
struct pg_params {
    const char *v[PG_MAX_PARAMS];
    int len[PG_MAX_PARAMS];
    int fmt[PG_MAX_PARAMS];
    char num[PG_MAX_PARAMS][24];
    int n;
};

/* A statement of the driver: its parameters, then its result. */
struct pg_stmt {
    struct sql_stmt base;
    const char *sql;
    int slot; /* cache slot, -1: sent unnamed */
    struct pg_params p;
    PGresult *res;
    int row, n_rows;
    int executed;
};

extern const struct sql_driver pg_driver;

/* Pool (pg_driver.c). pg_get returns NULL when no connection can be had
 * within the statement timeout (or the server is down): STORE_UNAVAILABLE. */
struct pg_conn *pg_get(struct pg_store *s);
void pg_put(struct pg_store *s, struct pg_conn *c);
void pg_pool_drain(struct pg_store *s);
/* A new connection with the session settings applied; NULL (logged). */
PGconn *pg_connect(const char *conninfo, int statement_timeout_ms);

/* Closes the store (pg.c). */
void pg_close_store(struct store *s);

/* Schema (pg_schema.c): brings the database to the newest version in one
 * transaction under an advisory lock; 0 on success. */
int pg_migrate(PGconn *db);

/* The pollers' leases (pg_leases.c). */
extern const struct sql_leases pg_leases;

static inline struct pg_store *pg_of(struct store *s)
{
    return (struct pg_store *)s->impl;
}

#endif
