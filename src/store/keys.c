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
    struct sql_conn *c;
    int64_t n = 0;
    enum store_result r = sql_start(s, SQL_TX_NONE, &c);
    /* A read of a table, so a vanished or unreadable database shows. */
    return r == STORE_OK ? sql_done(s, c, sql_int(c, SQL_CACHE, "SELECT 1 FROM customers LIMIT 1", &n, NULL, "")) : r;
}

static const struct sql_field customer_fields[] = {
    SQL_L(struct customer, id), SQL_T(struct customer, name), SQL_I(struct customer, aigc_enabled)};
static const struct sql_row customer_row = SQL_ROW(struct customer, customer_fields);

enum store_result sql_put_customer(struct store *s, const char *name, int aigc_enabled, struct customer *out)
{
    if (!sql_fits(name, STORE_CUSTOMER_MAX) || !name[0])
        return STORE_ERROR;
    struct customer tmp;
    /* One UPSERT: find-or-create is atomic, so two processes (or nodes)
     * creating the same customer both end with the one row and its id. */
    enum store_result r = sql_write_one(s, SQL_CACHE,
                                        "INSERT INTO customers(name, aigc_enabled) VALUES ($1, $2)"
                                        " ON CONFLICT(name) DO UPDATE SET aigc_enabled = excluded.aigc_enabled"
                                        " RETURNING id, name, aigc_enabled",
                                        &customer_row, out ? out : &tmp, "ti", name, (int64_t)(aigc_enabled ? 1 : 0));
    return r == STORE_NOT_FOUND ? STORE_ERROR : r;
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

/* A key's customer, and the key's hash as stored. */
struct key_match {
    struct customer cu;
    uint8_t hash[32];
    int hash_len;
};
static const struct sql_field key_match_fields[] = {
    SQL_L(struct key_match, cu.id), SQL_T(struct key_match, cu.name), SQL_I(struct key_match, cu.aigc_enabled),
    SQL_B(struct key_match, hash), SQL_I(struct key_match, hash_len)};
static const struct sql_row key_match_row = SQL_ROW(struct key_match, key_match_fields);

enum store_result sql_find_key(struct store *s, const uint8_t hash[32], struct customer *out)
{
    if (!hash)
        return STORE_ERROR;
    struct key_match m;
    enum store_result r = sql_query_one(s, SQL_CACHE,
                                        "SELECT c.id, c.name, c.aigc_enabled, k.hash, length(k.hash) FROM api_keys k"
                                        " JOIN customers c ON c.id = k.customer_id"
                                        " WHERE k.hash = $1 AND k.revoked_ms = 0",
                                        &key_match_row, &m, "b", (const void *)hash, 32);
    /* The index lookup compared bytes with memcmp; compare again in
     * constant time so that the answer never depends on timing. */
    if (r == STORE_OK && (m.hash_len != 32 || !crypto_equal(m.hash, hash, 32)))
        r = STORE_NOT_FOUND;
    if (r == STORE_OK && out)
        *out = m.cu;
    return r;
}

static const struct sql_field key_fields[] = {
    SQL_T(struct key_info, prefix), SQL_T(struct key_info, customer), SQL_L(struct key_info, created_ms),
    SQL_L(struct key_info, revoked_ms)};
static const struct sql_row key_row = SQL_ROW(struct key_info, key_fields);

enum store_result sql_list_keys(struct store *s, store_key_fn fn, void *ctx)
{
    if (!fn)
        return STORE_ERROR;
    void *items;
    size_t n;
    enum store_result r = sql_query_rows(s, 0,
                                         "SELECT k.prefix, c.name, k.created_ms, k.revoked_ms FROM api_keys k"
                                         " JOIN customers c ON c.id = k.customer_id ORDER BY k.created_ms, k.id",
                                         &key_row, 0, &items, &n, "");
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
