/* idem.c — idempotency keys (ClientToken), written once over the driver
 * (driver.h).
 *
 * A claim is one write transaction: an INSERT ... ON CONFLICT DO NOTHING,
 * then, if the row existed, that row read (locked FOR UPDATE where the
 * driver has row locks; SQLite's single writer holds everything still) and
 * judged. A concurrent inserter of the same key waits on the unique index
 * (PostgreSQL) or for the write lock (SQLite) until the first commits, so
 * of any number of concurrent repeats, on one node or many, exactly one is
 * told STORE_IDEM_NEW. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

static int valid_key(const char *token)
{
    return token && token[0] && sql_fits(token, STORE_IDEM_TOKEN_MAX);
}

struct idem_row {
    char hash[STORE_IDEM_HASH_MAX];
    char result[STORE_IDEM_RESULT_MAX];
    int state; /* 0: in progress, 1: done */
    int64_t created;
};
static const struct sql_field idem_fields[] = {SQL_T(struct idem_row, hash), SQL_T(struct idem_row, result),
                                               SQL_I(struct idem_row, state), SQL_L(struct idem_row, created)};
static const struct sql_row idem_row = SQL_ROW(struct idem_row, idem_fields);

#define IDEM_ROW                                                                                              \
    "SELECT request_hash, result, state, created_ms FROM idempotency_keys WHERE customer_id = $1 AND token = $2"

enum store_result sql_idem_claim(struct store *s, int64_t customer_id, const char *token, const char *request_hash,
                                 int64_t now_ms, int64_t expire_before_ms, int64_t stale_before_ms,
                                 enum store_idem *state, char result[static STORE_IDEM_RESULT_MAX])
{
    if (!valid_key(token) || !sql_fits(request_hash, STORE_IDEM_HASH_MAX) || !state)
        return STORE_ERROR;
    result[0] = '\0';
    struct sql_conn *c;
    struct idem_row k;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = sql_exec_row(c, 0,
                         "INSERT INTO idempotency_keys(customer_id, token, request_hash, result, state, created_ms)"
                         " VALUES ($1, $2, $3, '', 0, $4) ON CONFLICT (customer_id, token) DO NOTHING",
                         "itti", customer_id, token, request_hash, now_ms);
    if (r == STORE_OK)
        *state = STORE_IDEM_NEW;
    if (r != STORE_NOT_FOUND)
        goto end; /* inserted, or an error */
    r = sql_one(c, 0, c->d->row_locks ? IDEM_ROW " FOR UPDATE" : IDEM_ROW, &idem_row, &k, "it", customer_id, token);
    if (r == STORE_NOT_FOUND)
        r = STORE_UNAVAILABLE; /* released between our insert and read: a rare race, try again */
    if (r != STORE_OK)
        goto end;
    int done = k.state == 1;
    if (!(k.created < expire_before_ms || (!done && k.created < stale_before_ms))) {
        *state = strcmp(k.hash, request_hash) != 0 ? STORE_IDEM_DIFFERENT
                 : done                            ? STORE_IDEM_SAME
                                                   : STORE_IDEM_IN_PROGRESS;
        if (*state == STORE_IDEM_SAME)
            memcpy(result, k.result, STORE_IDEM_RESULT_MAX);
        goto end;
    }
    /* Expired, or in progress since its node died: the caller takes it. */
    r = sql_exec(c, 0,
                 "UPDATE idempotency_keys SET request_hash = $3, result = '', state = 0, created_ms = $4"
                 " WHERE customer_id = $1 AND token = $2",
                 NULL, "itti", customer_id, token, request_hash, now_ms);
    if (r == STORE_OK)
        *state = STORE_IDEM_NEW;
end:
    return sql_done(s, c, r);
}

enum store_result sql_idem_complete(struct store *s, int64_t customer_id, const char *token, const char *result)
{
    if (!valid_key(token) || !sql_fits(result, STORE_IDEM_RESULT_MAX))
        return STORE_ERROR;
    return sql_write_row(s, 0,
                         "UPDATE idempotency_keys SET state = 1, result = $3"
                         " WHERE customer_id = $1 AND token = $2 AND state = 0",
                         "itt", customer_id, token, result);
}

enum store_result sql_idem_release(struct store *s, int64_t customer_id, const char *token)
{
    if (!valid_key(token))
        return STORE_ERROR;
    return sql_write_row(s, 0, "DELETE FROM idempotency_keys WHERE customer_id = $1 AND token = $2 AND state = 0",
                         "it", customer_id, token);
}

enum store_result sql_idem_expire(struct store *s, int64_t before_ms, int *n_out)
{
    int changes = 0;
    enum store_result r =
        sql_write(s, 0, "DELETE FROM idempotency_keys WHERE created_ms < $1", &changes, "i", before_ms);
    if (n_out)
        *n_out = r == STORE_OK ? changes : 0;
    return r;
}
