/* pg_idem.c — idempotency keys (ClientToken) in the PostgreSQL store.
 *
 * A claim is one transaction: an INSERT ... ON CONFLICT DO NOTHING (a
 * concurrent inserter of the same key waits on the unique index until the
 * first commits), then, if the row existed, that row locked FOR UPDATE and
 * judged. So of any number of concurrent repeats, on one node or many,
 * exactly one is told STORE_IDEM_NEW. */
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

static int valid_key(const char *token)
{
    return token && token[0] && pg_fits(token, STORE_IDEM_TOKEN_MAX);
}

enum store_result pg_idem_claim(struct store *s, int64_t customer_id, const char *token, const char *request_hash,
                                int64_t now_ms, int64_t expire_before_ms, int64_t stale_before_ms,
                                enum store_idem *state, char result[static STORE_IDEM_RESULT_MAX])
{
    struct pg_store *ps = pg_of(s);
    if (!valid_key(token) || !pg_fits(request_hash, STORE_IDEM_HASH_MAX) || !state)
        return STORE_ERROR;
    result[0] = '\0';
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    struct pg_params p;
    enum store_result r = pg_begin(c);
    if (r != STORE_OK)
        goto out;
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, token);
    pg_p_text(&p, request_hash);
    pg_p_i64(&p, now_ms);
    r = pg_exec(c, PG_ADHOC,
                "INSERT INTO idempotency_keys(customer_id, token, request_hash, result, state, created_ms)"
                " VALUES ($1, $2, $3, '', 0, $4) ON CONFLICT (customer_id, token) DO NOTHING",
                &p, &res, "idem_claim insert");
    if (r != STORE_OK)
        goto end;
    if (pg_changes(res) == 1) {
        *state = STORE_IDEM_NEW;
        goto end;
    }
    PQclear(res);
    res = NULL;
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, token);
    r = pg_exec(c, PG_ADHOC,
                "SELECT request_hash, result, state, created_ms FROM idempotency_keys"
                " WHERE customer_id = $1 AND token = $2 FOR UPDATE",
                &p, &res, "idem_claim read");
    if (r != STORE_OK)
        goto end;
    if (PQntuples(res) != 1) { /* released between our insert and read: a rare race, try again */
        r = STORE_UNAVAILABLE;
        goto end;
    }
    char hash[STORE_IDEM_HASH_MAX];
    pg_col_text(res, 0, 0, hash, sizeof hash);
    int done = pg_col_i64(res, 0, 2) == 1;
    int64_t created = pg_col_i64(res, 0, 3);
    if (!(created < expire_before_ms || (!done && created < stale_before_ms))) {
        *state = strcmp(hash, request_hash) != 0 ? STORE_IDEM_DIFFERENT
                 : done                          ? STORE_IDEM_SAME
                                                 : STORE_IDEM_IN_PROGRESS;
        if (*state == STORE_IDEM_SAME)
            pg_col_text(res, 0, 1, result, STORE_IDEM_RESULT_MAX);
        goto end;
    }
    PQclear(res);
    res = NULL;
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, token);
    pg_p_text(&p, request_hash);
    pg_p_i64(&p, now_ms);
    r = pg_exec(c, PG_ADHOC,
                "UPDATE idempotency_keys SET request_hash = $3, result = '', state = 0, created_ms = $4"
                " WHERE customer_id = $1 AND token = $2",
                &p, &res, "idem_claim take");
    if (r == STORE_OK)
        *state = STORE_IDEM_NEW;
end:
    r = pg_end(c, r);
out:
    PQclear(res);
    pg_put(ps, c);
    return r;
}

enum store_result pg_idem_complete(struct store *s, int64_t customer_id, const char *token, const char *result)
{
    if (!valid_key(token) || !pg_fits(result, STORE_IDEM_RESULT_MAX))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, token);
    pg_p_text(&p, result);
    return pg_write_row(s,
                                       "UPDATE idempotency_keys SET state = 1, result = $3"
                                       " WHERE customer_id = $1 AND token = $2 AND state = 0",
                                       &p, "idem_complete");
}

enum store_result pg_idem_release(struct store *s, int64_t customer_id, const char *token)
{
    if (!valid_key(token))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, customer_id);
    pg_p_text(&p, token);
    return pg_write_row(s,
                                       "DELETE FROM idempotency_keys WHERE customer_id = $1 AND token = $2 AND state = 0",
                                       &p, "idem_release");
}

enum store_result pg_idem_expire(struct store *s, int64_t before_ms, int *n_out)
{
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, before_ms);
    int changes = 0;
    enum store_result r =
        pg_write_one(s, "DELETE FROM idempotency_keys WHERE created_ms < $1", &p, &changes, "idem_expire");
    if (n_out)
        *n_out = r == STORE_OK ? changes : 0;
    return r;
}
