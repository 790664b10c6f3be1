/* sqlite_idem.c — idempotency keys (ClientToken) in the SQLite store.
 *
 * A claim is one write transaction: reading the row and taking it cannot
 * be split by another writer, so of any number of concurrent repeats of a
 * token exactly one is told STORE_IDEM_NEW. Statements are prepared per
 * call: a claim happens only for creates that carry a token. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

static enum store_result prep(struct sq_conn *c, const char *sql, sqlite3_stmt **st, const char *what)
{
    *st = NULL;
    return sq_result(c, sqlite3_prepare_v2(c->db, sql, -1, st, NULL), what);
}

static int valid_key(const char *token)
{
    return token && token[0] && sq_fits(token, STORE_IDEM_TOKEN_MAX);
}

enum store_result sq_idem_claim(struct store *s, int64_t customer_id, const char *token, const char *request_hash,
                                int64_t now_ms, int64_t expire_before_ms, int64_t stale_before_ms,
                                enum store_idem *state, char result[static STORE_IDEM_RESULT_MAX])
{
    struct sq_store *ss = sq_of(s);
    if (!valid_key(token) || !sq_fits(request_hash, STORE_IDEM_HASH_MAX) || !state)
        return STORE_ERROR;
    result[0] = '\0';
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    r = prep(c, "SELECT request_hash, result, state, created_ms FROM idempotency_keys"
                " WHERE customer_id = ?1 AND token = ?2", &st, "idem_claim read");
    if (r != STORE_OK)
        goto end;
    sqlite3_bind_int64(st, 1, customer_id);
    sq_bind_text(st, 2, token);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW, done = 0;
    char hash[STORE_IDEM_HASH_MAX] = "";
    int64_t created = 0;
    if (found) {
        sq_col_text(st, 0, hash, sizeof hash);
        sq_col_text(st, 1, result, STORE_IDEM_RESULT_MAX);
        done = sqlite3_column_int(st, 2) == 1;
        created = sqlite3_column_int64(st, 3);
    } else if (rc != SQLITE_DONE) {
        r = sq_result(c, rc, "idem_claim read");
        goto end;
    }
    sqlite3_finalize(st);
    st = NULL;

    int take = !found || created < expire_before_ms || (!done && created < stale_before_ms);
    if (!take) {
        *state = strcmp(hash, request_hash) != 0 ? STORE_IDEM_DIFFERENT
                 : done                          ? STORE_IDEM_SAME
                                                 : STORE_IDEM_IN_PROGRESS;
        if (*state != STORE_IDEM_SAME)
            result[0] = '\0';
        goto end;
    }
    result[0] = '\0';
    r = prep(c, "INSERT OR REPLACE INTO idempotency_keys(customer_id, token, request_hash, result, state, created_ms)"
                " VALUES (?1, ?2, ?3, '', 0, ?4)", &st, "idem_claim take");
    if (r != STORE_OK)
        goto end;
    sqlite3_bind_int64(st, 1, customer_id);
    sq_bind_text(st, 2, token);
    sq_bind_text(st, 3, request_hash);
    sqlite3_bind_int64(st, 4, now_ms);
    rc = sqlite3_step(st);
    r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, "idem_claim take");
    if (r == STORE_OK)
        *state = STORE_IDEM_NEW;
end:
    sqlite3_finalize(st);
    st = NULL;
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

/* Runs one write on the (customer, token) row; *changes gets the rows touched. */
static enum store_result key_write(struct store *s, const char *sql, int64_t customer_id, const char *token,
                                   const char *text, const char *what, int *changes)
{
    struct sq_store *ss = sq_of(s);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    r = prep(c, sql, &st, what);
    if (r == STORE_OK) {
        sqlite3_bind_int64(st, 1, customer_id);
        sq_bind_text(st, 2, token);
        if (text)
            sq_bind_text(st, 3, text);
        int rc = sqlite3_step(st);
        r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, what);
        *changes = sqlite3_changes(c->db);
    }
    sqlite3_finalize(st);
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

enum store_result sq_idem_complete(struct store *s, int64_t customer_id, const char *token, const char *result)
{
    if (!valid_key(token) || !sq_fits(result, STORE_IDEM_RESULT_MAX))
        return STORE_ERROR;
    int changes = 0;
    enum store_result r = key_write(s,
                                    "UPDATE idempotency_keys SET state = 1, result = ?3"
                                    " WHERE customer_id = ?1 AND token = ?2 AND state = 0",
                                    customer_id, token, result, "idem_complete", &changes);
    return r == STORE_OK && changes == 0 ? STORE_NOT_FOUND : r;
}

enum store_result sq_idem_release(struct store *s, int64_t customer_id, const char *token)
{
    if (!valid_key(token))
        return STORE_ERROR;
    int changes = 0;
    enum store_result r = key_write(s, "DELETE FROM idempotency_keys WHERE customer_id = ?1 AND token = ?2 AND state = 0",
                                    customer_id, token, NULL, "idem_release", &changes);
    return r == STORE_OK && changes == 0 ? STORE_NOT_FOUND : r;
}

static void bind_before(sqlite3_stmt *st, const void *arg)
{
    sqlite3_bind_int64(st, 1, *(const int64_t *)arg);
}

enum store_result sq_idem_expire(struct store *s, int64_t before_ms, int *n_out)
{
    struct sq_store *ss = sq_of(s);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    int n = 0;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    r = prep(c, "DELETE FROM idempotency_keys WHERE created_ms < ?1", &st, "idem_expire");
    if (r == STORE_OK) {
        bind_before(st, &before_ms);
        int rc = sqlite3_step(st);
        r = rc == SQLITE_DONE ? STORE_OK : sq_result(c, rc, "idem_expire");
        n = sqlite3_changes(c->db);
    }
    sqlite3_finalize(st);
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    if (n_out)
        *n_out = r == STORE_OK ? n : 0;
    return r;
}
