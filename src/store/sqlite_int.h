/* sqlite_int.h — internals of the SQLite backend: its driver and pool
 * (sqlite_driver.c), open and close (sqlite.c), applying the schema
 * (sqlite_schema.c) and leases (sqlite_leases.c). Nothing outside
 * src/store/sqlite*.c includes this.
 *
 * Connections come from a small pool: an operation takes one (sq_get), uses
 * it alone, and gives it back (sq_put). A connection is never used by two
 * threads at once, so it is opened with SQLITE_OPEN_NOMUTEX, and it caches
 * the statements the domain files mark SQL_CACHE.
 *
 * Writers of this process queue on one mutex before they ask SQLite for the
 * write lock (BEGIN IMMEDIATE), so they wait their turn instead of sleeping
 * in SQLite's busy handler; other processes (`porticod keys ...`) are held
 * off by the database's own lock and busy_timeout. One writer at a time is
 * also what makes quota checks exact here: a count read inside a write
 * transaction cannot be invalidated before the insert. */
#ifndef PORTICO_STORE_SQLITE_INT_H
#define PORTICO_STORE_SQLITE_INT_H
#include <pthread.h>
#include <sqlite3.h>

#include "store/driver.h"

#define SQ_BUSY_TIMEOUT_MS 5000
#define SQ_POOL_IDLE_MAX 64

/* The driver's statement cache: prepared statements keyed by the address
 * of their (literal) SQL text. */
#define SQ_CACHE_SLOTS 128

#define SQ_TX_NONE 0
#define SQ_TX_READ 1
#define SQ_TX_WRITE 2 /* holds owner->write_mu */

/* The transaction statements, prepared once per connection. */
enum sq_tx_stmt { SQ_BEGIN, SQ_BEGIN_IMMEDIATE, SQ_COMMIT, SQ_ROLLBACK, SQ_TX_STMTS };

struct sq_stmt {
    struct sql_stmt base;
    sqlite3_stmt *st;
    const char *sql;
    int cached;
    int changes;
};

struct sq_store;

struct sq_conn {
    struct sql_conn base;
    sqlite3 *db;
    sqlite3_stmt *tx_stmt[SQ_TX_STMTS];
    struct sq_stmt *cache[SQ_CACHE_SLOTS];
    struct sq_store *owner;
    int tx; /* SQ_TX_*: the transaction sqd_begin opened */
    struct sq_conn *next; /* idle list */
};

struct sq_store {
    struct sql_store db; /* db.base.impl points back here */
    char *path;
    pthread_mutex_t pool_mu;
    struct sq_conn *idle;
    int n_idle;
    pthread_mutex_t write_mu; /* in-process writers queue here */
};

extern const struct sql_driver sq_driver;

/* Pool (sqlite_driver.c). sq_get returns NULL (reason logged) when a new
 * connection cannot be opened. */
struct sq_conn *sq_conn_open(struct sq_store *s, const char *path, int *rc_out);
void sq_conn_close(struct sq_conn *c);
struct sq_conn *sq_get(struct sq_store *s);
void sq_put(struct sq_store *s, struct sq_conn *c);
void sq_pool_drain(struct sq_store *s);

/* Closes the store (sqlite.c). */
void sq_close_store(struct store *s);

/* Schema (sqlite_schema.c): brings the database to the newest version in
 * one BEGIN IMMEDIATE transaction; 0 on success. */
int sq_migrate(sqlite3 *db);

/* The pollers' leases (sqlite_leases.c). */
extern const struct sql_leases sq_leases;

static inline struct sq_store *sq_of(struct store *s)
{
    return (struct sq_store *)s->impl;
}

#endif
