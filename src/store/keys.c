/* keys.c — customers and API keys, and the store's ping, written once over
 * the driver (driver.h).
 *
 * The server and `porticod keys ...` may use the same database at once:
 * nothing here caches rows, so a key created or revoked by another process
 * is seen by the very next find_key. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/crypto.h"

#define KEY_PREFIX_MAX sizeof((struct key_info *)0)->prefix

enum store_result sql_ping(struct store *s)
{
    struct sql_conn *c = sql_get(s);
    if (!c)
        return STORE_UNAVAILABLE;
    int64_t n = 0;
    /* A read of a table, so a vanished or unreadable database shows. */
    enum store_result r = sql_int(c, SQL_CACHE, "SELECT 1 FROM customers LIMIT 1", &n, NULL, "");
    sql_put(s, c);
    return r;
}

/* Reads (id, name, aigc_enabled) from column col on. */
static void read_customer(struct sql_stmt *st, int col, struct customer *out)
{
    memset(out, 0, sizeof *out);
    out->id = sql_col_i64(st, col);
    sql_col_text(st, col + 1, out->name, sizeof out->name);
    out->aigc_enabled = (int)sql_col_i64(st, col + 2);
}

static void read_customer_row(struct sql_stmt *st, void *item)
{
    read_customer(st, 0, item);
}

enum store_result sql_put_customer(struct store *s, const char *name, int aigc_enabled, struct customer *out)
{
    if (!sql_fits(name, STORE_CUSTOMER_MAX) || !name[0])
        return STORE_ERROR;
    struct customer tmp;
    struct sql_conn *c = sql_get(s);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sql_begin(c, SQL_TX_ONE);
    if (r != STORE_OK)
        goto out;
    /* One UPSERT: find-or-create is atomic, so two processes (or nodes)
     * creating the same customer both end with the one row and its id. */
    struct sql_stmt *st;
    r = sql_open(c, SQL_CACHE,
                 "INSERT INTO customers(name, aigc_enabled) VALUES ($1, $2)"
                 " ON CONFLICT(name) DO UPDATE SET aigc_enabled = excluded.aigc_enabled"
                 " RETURNING id, name, aigc_enabled",
                 &st, "ti", name, (int64_t)(aigc_enabled ? 1 : 0));
    if (r == STORE_OK) {
        int row = 0;
        r = sql_step(st, &row);
        if (r == STORE_OK && !row)
            r = STORE_ERROR;
        if (r == STORE_OK)
            read_customer_row(st, out ? out : &tmp);
        while (r == STORE_OK && row)
            r = sql_step(st, &row);
        sql_finish(st);
    }
    r = sql_end(c, r);
out:
    sql_put(s, c);
    return r;
}

enum store_result sql_add_key(struct store *s, int64_t customer_id, const char *prefix, const uint8_t hash[32],
                              int64_t now_ms)
{
    if (!sql_fits(prefix, KEY_PREFIX_MAX) || !prefix[0] || !hash)
        return STORE_ERROR;
    return sql_write(s, SQL_CACHE,
                     "INSERT INTO api_keys(customer_id, prefix, hash, created_ms) VALUES ($1, $2, $3, $4)", NULL,
                     "itbi", customer_id, prefix, (const void *)hash, 32, now_ms);
}

struct found_key {
    uint8_t hash[32];
    int n;
    struct customer cu;
};

static void read_found_key(struct sql_stmt *st, void *item)
{
    struct found_key *k = item;
    k->n = st->c->d->col_blob(st, 0, k->hash, sizeof k->hash);
    read_customer(st, 1, &k->cu);
}

enum store_result sql_find_key(struct store *s, const uint8_t hash[32], struct customer *out)
{
    if (!hash)
        return STORE_ERROR;
    struct found_key k;
    memset(&k, 0, sizeof k);
    enum store_result r = sql_query_one(s, SQL_CACHE,
                                        "SELECT k.hash, c.id, c.name, c.aigc_enabled FROM api_keys k"
                                        " JOIN customers c ON c.id = k.customer_id"
                                        " WHERE k.hash = $1 AND k.revoked_ms = 0",
                                        read_found_key, &k, "b", (const void *)hash, 32);
    if (r != STORE_OK)
        return r;
    /* The index lookup compared bytes with memcmp; compare again in
     * constant time so that the answer never depends on timing. */
    if (k.n != 32 || !crypto_equal(k.hash, hash, 32))
        return STORE_NOT_FOUND;
    if (out)
        *out = k.cu;
    return STORE_OK;
}

static void read_key_info(struct sql_stmt *st, void *item)
{
    struct key_info *k = item;
    sql_col_text(st, 0, k->prefix, sizeof k->prefix);
    sql_col_text(st, 1, k->customer, sizeof k->customer);
    k->created_ms = sql_col_i64(st, 2);
    k->revoked_ms = sql_col_i64(st, 3);
}

enum store_result sql_list_keys(struct store *s, store_key_fn fn, void *ctx)
{
    if (!fn)
        return STORE_ERROR;
    void *items;
    size_t n;
    enum store_result r = sql_query_rows(s, 0,
                                         "SELECT k.prefix, c.name, k.created_ms, k.revoked_ms FROM api_keys k"
                                         " JOIN customers c ON c.id = k.customer_id ORDER BY k.created_ms, k.id",
                                         read_key_info, sizeof(struct key_info), 0, &items, &n, "");
    if (r != STORE_OK)
        return r;
    const struct key_info *keys = items;
    for (size_t i = 0; i < n; i++)
        fn(ctx, &keys[i]);
    free(items);
    return STORE_OK;
}

enum store_result sql_revoke_key(struct store *s, const char *prefix, int64_t now_ms)
{
    if (!sql_fits(prefix, KEY_PREFIX_MAX))
        return STORE_ERROR;
    /* revoked_ms 0 means active, so a revocation is stamped at least 1. */
    return sql_write_row(s, SQL_CACHE, "UPDATE api_keys SET revoked_ms = $2 WHERE prefix = $1 AND revoked_ms = 0",
                         "ti", prefix, (int64_t)(now_ms > 0 ? now_ms : 1));
}
