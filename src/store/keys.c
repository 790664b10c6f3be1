/* keys.c — customers and API keys, and the store's ping, written once over
 * the driver (driver.h).
 *
 * The server and `porticod keys ...` may use the same database at once:
 * nothing here caches rows, so a key created or revoked by another process
 * is seen by the very next find_key. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/clock.h"
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

const struct sql_field sql_customer_fields[SQL_CUSTOMER_NCOLS] = {
    SQL_L(struct customer, id),       SQL_T(struct customer, name),     SQL_I(struct customer, aigc_enabled),
    SQL_I(struct customer, key_rate), SQL_I(struct customer, disabled), SQL_L(struct customer, create_ms)};
const struct sql_row sql_customer_row = SQL_ROW(struct customer, sql_customer_fields);

enum store_result sql_add_key(struct store *s, int64_t customer_id, const char *prefix, const uint8_t hash[32],
                              int64_t now_ms, const struct actor *who)
{
    if (!sql_fits(prefix, KEY_PREFIX_MAX) || !prefix[0] || !hash)
        return STORE_ERROR;
    struct sql_conn *c;
    struct audit_event e;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = sql_exec(c, SQL_CACHE,
                     "INSERT INTO api_keys(customer_id, prefix, hash, created_ms) VALUES ($1, $2, $3, $4)", NULL,
                     "itbi", customer_id, prefix, (const void *)hash, 32, now_ms);
    if (r == STORE_OK) { /* the audit log: a key exists from now on, and who made it */
        sql_audit_init(&e, AUDIT_KEY_CREATED, customer_id, prefix, "", who, now_ms);
        r = sql_audit(c, &e);
    }
    return sql_done(s, c, r);
}

/* A key's customer, its prefix, and the key's hash as stored. */
struct key_match {
    struct customer cu;
    char prefix[32];
    uint8_t hash[32];
    int hash_len;
};
static const struct sql_field key_match_fields[] = {
    SQL_L(struct key_match, cu.id),       SQL_T(struct key_match, cu.name),     SQL_I(struct key_match, cu.aigc_enabled),
    SQL_I(struct key_match, cu.key_rate), SQL_I(struct key_match, cu.disabled), SQL_L(struct key_match, cu.create_ms),
    SQL_T(struct key_match, prefix),      SQL_B(struct key_match, hash),        SQL_I(struct key_match, hash_len)};
static const struct sql_row key_match_row = SQL_ROW(struct key_match, key_match_fields);

enum store_result sql_find_key(struct store *s, const uint8_t hash[32], struct customer *out, char *prefix_out)
{
    if (!hash)
        return STORE_ERROR;
    struct key_match m;
    enum store_result r = sql_query_one(s, SQL_CACHE,
                                        "SELECT c.id, c.name, c.aigc_enabled, c.key_rate, c.disabled, c.create_ms,"
                                        " k.prefix, k.hash, length(k.hash) FROM api_keys k"
                                        " JOIN customers c ON c.id = k.customer_id"
                                        " WHERE k.hash = $1 AND k.revoked_ms = 0",
                                        &key_match_row, &m, "b", (const void *)hash, 32);
    /* The index lookup compared bytes with memcmp; compare again in
     * constant time so that the answer never depends on timing. */
    if (r == STORE_OK && (m.hash_len != 32 || !crypto_equal(m.hash, hash, 32)))
        r = STORE_NOT_FOUND;
    if (r == STORE_OK && out)
        *out = m.cu;
    if (r == STORE_OK && prefix_out)
        memcpy(prefix_out, m.prefix, sizeof m.prefix);
    return r;
}

static const struct sql_field key_fields[] = {
    SQL_T(struct key_info, prefix), SQL_T(struct key_info, customer), SQL_L(struct key_info, created_ms),
    SQL_L(struct key_info, revoked_ms), SQL_L(struct key_info, customer_id)};
static const struct sql_row key_row = SQL_ROW(struct key_info, key_fields);

#define KEY_FROM                                                                                               \
    " FROM api_keys k JOIN customers c ON c.id = k.customer_id"                                                \
    " WHERE (CAST($1 AS BIGINT) = 0 OR k.customer_id = $1)"

enum store_result sql_list_api_keys(struct store *s, int64_t customer_id, int page_number, int page_size,
                                    struct key_list *out)
{
    if (!out || page_number < 1 || page_size < 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    int64_t offset = page_size ? (int64_t)(page_number - 1) * page_size : 0;
    void *items = NULL;
    struct sql_conn *c;
    /* Count and page on one snapshot, so total matches the page. */
    enum store_result r = sql_start(s, SQL_TX_SNAPSHOT, &c);
    if (r != STORE_OK)
        return r;
    r = sql_int(c, SQL_CACHE, "SELECT COUNT(*)" KEY_FROM, &out->total, NULL, "i", customer_id);
    if (r == STORE_OK && out->total > offset) {
        int64_t want = page_size && out->total - offset > page_size ? page_size : out->total - offset;
        r = sql_many(c, SQL_CACHE,
                     "SELECT k.prefix, c.name, k.created_ms, k.revoked_ms, k.customer_id" KEY_FROM
                     " ORDER BY k.created_ms DESC, k.id DESC LIMIT $2 OFFSET $3",
                     &key_row, (size_t)want, &items, &out->n, "iii", customer_id, want, offset);
    }
    r = sql_done_rows(s, c, r, &items, &out->n);
    out->items = items;
    if (r != STORE_OK)
        out->total = 0;
    return r;
}

/* Every key, oldest first (`porticod keys list`). */
enum store_result sql_list_keys(struct store *s, store_key_fn fn, void *ctx)
{
    if (!fn)
        return STORE_ERROR;
    struct key_list l;
    enum store_result r = sql_list_api_keys(s, 0, 1, 0, &l);
    if (r != STORE_OK)
        return r;
    for (size_t i = l.n; i-- > 0;)
        fn(ctx, &l.items[i]);
    free(l.items);
    return STORE_OK;
}

enum store_result sql_revoke_key(struct store *s, const char *prefix, int64_t now_ms, const struct actor *who)
{
    if (!sql_fits(prefix, KEY_PREFIX_MAX))
        return STORE_ERROR;
    struct sql_conn *c;
    struct audit_event e;
    int64_t customer_id = 0;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    /* revoked_ms 0 means active, so a revocation is stamped at least 1. */
    if (r == STORE_OK)
        r = sql_one(c, SQL_CACHE,
                    "UPDATE api_keys SET revoked_ms = $2 WHERE prefix = $1 AND revoked_ms = 0 RETURNING customer_id",
                    &sql_i64_row, &customer_id, "ti", prefix, (int64_t)(now_ms > 0 ? now_ms : 1));
    if (r == STORE_OK) {
        sql_audit_init(&e, AUDIT_KEY_REVOKED, customer_id, prefix, "", who, now_ms);
        r = sql_audit(c, &e);
    }
    return sql_done(s, c, r);
}
