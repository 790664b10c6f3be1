/* admin_keys.c — the operators' admin keys (API.md §7), written once over
 * the driver (driver.h). Stored as customers' keys are: the prefix and the
 * SHA-256 only. Nothing is cached, so a key created or revoked by any
 * process on the store is seen by the very next find_admin_key. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/crypto.h"

#define ADMIN_PREFIX_MAX sizeof((struct admin_key_info *)0)->prefix

enum store_result sql_add_admin_key(struct store *s, const char *prefix, const uint8_t hash[32], int64_t now_ms,
                                    const struct actor *who)
{
    if (!sql_fits(prefix, ADMIN_PREFIX_MAX) || !prefix[0] || !hash)
        return STORE_ERROR;
    struct sql_conn *c;
    struct audit_event e;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = sql_exec(c, SQL_CACHE, "INSERT INTO admin_keys(prefix, hash, created_ms) VALUES ($1, $2, $3)", NULL,
                     "tbi", prefix, (const void *)hash, 32, now_ms);
    if (r == STORE_OK) { /* the audit log (customer 0: an operator's key) */
        sql_audit_init(&e, AUDIT_ADMIN_KEY_CREATED, 0, prefix, "", who, now_ms);
        r = sql_audit(c, &e);
    }
    return sql_done(s, c, r);
}

struct admin_key_match {
    struct admin_key_info k;
    uint8_t hash[32];
    int hash_len;
};
static const struct sql_field admin_match_fields[] = {
    SQL_T(struct admin_key_match, k.prefix), SQL_L(struct admin_key_match, k.created_ms),
    SQL_L(struct admin_key_match, k.revoked_ms), SQL_B(struct admin_key_match, hash),
    SQL_I(struct admin_key_match, hash_len)};
static const struct sql_row admin_match_row = SQL_ROW(struct admin_key_match, admin_match_fields);

enum store_result sql_find_admin_key(struct store *s, const uint8_t hash[32], struct admin_key_info *out)
{
    if (!hash)
        return STORE_ERROR;
    struct admin_key_match m;
    enum store_result r = sql_query_one(s, SQL_CACHE,
                                        "SELECT prefix, created_ms, revoked_ms, hash, length(hash) FROM admin_keys"
                                        " WHERE hash = $1 AND revoked_ms = 0",
                                        &admin_match_row, &m, "b", (const void *)hash, 32);
    /* As find_key: the answer never depends on a timing of memcmp. */
    if (r == STORE_OK && (m.hash_len != 32 || !crypto_equal(m.hash, hash, 32)))
        r = STORE_NOT_FOUND;
    if (r == STORE_OK && out)
        *out = m.k;
    return r;
}

static const struct sql_field admin_key_fields[] = {
    SQL_T(struct admin_key_info, prefix), SQL_L(struct admin_key_info, created_ms),
    SQL_L(struct admin_key_info, revoked_ms)};
static const struct sql_row admin_key_row = SQL_ROW(struct admin_key_info, admin_key_fields);

enum store_result sql_list_admin_keys(struct store *s, struct admin_key_list *out)
{
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    void *items = NULL;
    enum store_result r = sql_query_rows(s, 0, "SELECT prefix, created_ms, revoked_ms FROM admin_keys"
                                               " ORDER BY created_ms, id",
                                         &admin_key_row, 0, &items, &out->n, "");
    out->items = items;
    return r;
}

enum store_result sql_revoke_admin_key(struct store *s, const char *prefix, int64_t now_ms, const struct actor *who)
{
    if (!sql_fits(prefix, ADMIN_PREFIX_MAX))
        return STORE_ERROR;
    struct sql_conn *c;
    struct audit_event e;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    /* revoked_ms 0 means active, so a revocation is stamped at least 1. */
    if (r == STORE_OK)
        r = sql_exec_row(c, SQL_CACHE, "UPDATE admin_keys SET revoked_ms = $2 WHERE prefix = $1 AND revoked_ms = 0",
                         "ti", prefix, (int64_t)(now_ms > 0 ? now_ms : 1));
    if (r == STORE_OK) {
        sql_audit_init(&e, AUDIT_ADMIN_KEY_REVOKED, 0, prefix, "", who, now_ms);
        r = sql_audit(c, &e);
    }
    return sql_done(s, c, r);
}
