/* pg_refresh.c — the refresher's queries in the PostgreSQL store, and the
 * leases that share its work between nodes.
 *
 * A lease is the row's next_poll_ms pushed into the future: one statement
 * picks the due rows with FOR UPDATE SKIP LOCKED (so two nodes leasing at
 * the same moment never pick the same row, and neither waits for the
 * other) and moves their next poll to now + lease_ms. Once it commits,
 * every other node sees those rows as not due. The poller ends the lease
 * by writing the real next poll or the final status; if its node dies, the
 * lease runs out and another node picks the row up. Nothing is lost: the
 * row itself is the queue. These statements ignore customers: they are the
 * gateway's own work. */
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

/* Copies at most cap-1 bytes of s, cutting before a partial UTF-8
 * sequence, so an upstream's long failure reason stays valid text. */
static void pg_copy_utf8(char *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

enum store_result pg_set_asset_status(struct store *s, const char *id, const char *status, const char *reason,
                                      const char *error_code, const char *error_message, int64_t now_ms)
{
    char why[STORE_REASON_MAX], code[sizeof((struct asset *)0)->error_code], message[STORE_REASON_MAX];
    if (!id || !pg_fits(status, sizeof((struct asset *)0)->status) || !status[0])
        return STORE_ERROR;
    pg_copy_utf8(why, sizeof why, reason ? reason : "");
    pg_copy_utf8(code, sizeof code, error_code ? error_code : "");
    pg_copy_utf8(message, sizeof message, error_message ? error_message : "");
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_text(&p, status);
    pg_p_text(&p, why);
    pg_p_i64(&p, now_ms);
    pg_p_text(&p, code);
    pg_p_text(&p, message);
    int changes = 0;
    /* SET expressions all read the old row, so the CASE compares against
     * the status before this update. */
    enum store_result r =
        pg_write_one(s,
                     "UPDATE assets SET update_ms = CASE WHEN status <> $2 THEN $4 ELSE update_ms END,"
                     " status = $2, failure_reason = $3, error_code = $5, error_message = $6"
                     " WHERE id = $1 AND state = 1",
                     &p, &changes, "set_asset_status");
    return r == STORE_OK && changes == 0 ? STORE_NOT_FOUND : r;
}

/* Runs a query returning asset rows (PG_ASSET_COLS) into out. */
static enum store_result pg_asset_rows(struct store *s, const char *sql, const struct pg_params *p,
                                       struct asset_list *out, const char *what)
{
    struct pg_store *ps = pg_of(s);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC, sql, p, &res, what);
    pg_put(ps, c);
    if (r != STORE_OK)
        return r;
    int n = PQntuples(res);
    out->items = calloc((size_t)(n ? n : 1), sizeof *out->items);
    if (!out->items) {
        PQclear(res);
        return STORE_ERROR;
    }
    for (int i = 0; i < n; i++)
        pg_read_asset(res, i, &out->items[out->n++]);
    out->total = (int64_t)out->n;
    PQclear(res);
    return STORE_OK;
}

enum store_result pg_due_assets(struct store *s, int64_t now_ms, size_t limit, struct asset_list *out)
{
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return STORE_OK;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, now_ms);
    pg_p_i64(&p, limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit);
    /* The literals match the partial index assets_due. Customers take
     * turns, as in the SQLite store and the lease below. */
    return pg_asset_rows(s,
                         "SELECT " PG_ASSET_COLS " FROM ("
                         "  SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.customer_id"
                         "                                 ORDER BY d.next_poll_ms, d.handle) AS turn"
                         "  FROM assets d"
                         "  WHERE d.state = 1 AND d.status NOT IN ('Active', 'Failed') AND d.next_poll_ms <= $1) a"
                         " ORDER BY a.turn, a.next_poll_ms, a.handle LIMIT $2",
                         &p, out, "due_assets");
}

enum store_result pg_lease_due_assets(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                      struct asset_list *out)
{
    if (!out || lease_ms < 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return STORE_OK;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, now_ms);
    pg_p_i64(&p, lease_ms);
    pg_p_i64(&p, limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit);
    /* One statement, so one transaction: pick (skipping rows another node
     * holds right now), lease, and return in the order they fell due. The
     * returned next_poll_ms is when the row fell due, as due_assets says. */
    return pg_asset_rows(s,
                         /* Customers take turns: every customer's k-th due asset
                          * comes before anyone's (k+1)-th, so one customer's 50
                          * cannot fill the batch and starve another's one. The
                          * ranking is a CTE of its own: FOR UPDATE may not share a
                          * query level with a window function. */
                         "WITH ranked AS ("
                         "  SELECT handle, ROW_NUMBER() OVER (PARTITION BY customer_id"
                         "                                    ORDER BY next_poll_ms, handle) AS turn"
                         "  FROM assets"
                         "  WHERE state = 1 AND status NOT IN ('Active', 'Failed') AND next_poll_ms <= $1::bigint),"
                         " due AS ("
                         "  SELECT d.handle, d.next_poll_ms AS due_ms, r.turn FROM assets d JOIN ranked r USING (handle)"
                         "  WHERE d.state = 1 AND d.status NOT IN ('Active', 'Failed') AND d.next_poll_ms <= $1::bigint"
                         "  ORDER BY r.turn, d.next_poll_ms, d.handle LIMIT $3 FOR UPDATE OF d SKIP LOCKED),"
                         " leased AS ("
                         "  UPDATE assets a SET next_poll_ms = $1::bigint + $2::bigint FROM due"
                         "  WHERE a.handle = due.handle"
                         "  RETURNING a.id, a.group_id, a.customer_id, a.type, a.name, a.url, a.blob_key, a.status,"
                         "  a.failure_reason, a.create_ms, a.update_ms, due.due_ms AS next_poll_ms, a.polls,"
                         "  a.error_code, a.error_message, a.tag, a.handle, due.turn)"
                         " SELECT " PG_ASSET_COLS " FROM leased a ORDER BY a.turn, a.next_poll_ms, a.handle",
                         &p, out, "lease_due_assets");
}

enum store_result pg_schedule_poll(struct store *s, const char *id, int64_t next_poll_ms, int polls)
{
    if (!id)
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_i64(&p, next_poll_ms);
    pg_p_i64(&p, polls);
    return pg_write_row(s, "UPDATE assets SET next_poll_ms = $2, polls = $3 WHERE id = $1 AND state = 1",
                                       &p, "schedule_poll");
}

enum store_result pg_count_assets(struct store *s, struct asset_counts *out)
{
    struct pg_store *ps = pg_of(s);
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC, "SELECT status, COUNT(*) FROM assets WHERE state = 1 GROUP BY status",
                                  NULL, &res, "count_assets");
    pg_put(ps, c);
    if (r != STORE_OK)
        return r;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *status = PQgetvalue(res, i, 0);
        int64_t n = pg_col_i64(res, i, 1);
        if (strcmp(status, "Processing") == 0)
            out->processing = n;
        else if (strcmp(status, "Active") == 0)
            out->active = n;
        else if (strcmp(status, "Failed") == 0)
            out->failed = n;
    }
    PQclear(res);
    return STORE_OK;
}

enum store_result pg_sweep_reservations(struct store *s, int64_t older_than_ms, int *n_out)
{
    struct pg_store *ps = pg_of(s);
    if (n_out)
        *n_out = 0;
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    int n = 0;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, older_than_ms);
    enum store_result r = pg_begin(c);
    if (r != STORE_OK)
        goto out;
    /* Assets first: a pending asset sits in a live group, never in a
     * pending one, so this order never trips a foreign key. */
    r = pg_exec(c, PG_ADHOC, "DELETE FROM assets WHERE id IS NULL AND reserved_ms < $1", &p, &res, "sweep assets");
    if (r != STORE_OK)
        goto end;
    n += pg_changes(res);
    PQclear(res);
    res = NULL;
    r = pg_exec(c, PG_ADHOC, "DELETE FROM groups WHERE id IS NULL AND reserved_ms < $1", &p, &res, "sweep groups");
    if (r == STORE_OK)
        n += pg_changes(res);
end:
    r = pg_end(c, r);
    if (r == STORE_OK && n_out)
        *n_out = n;
out:
    PQclear(res);
    pg_put(ps, c);
    return r;
}
