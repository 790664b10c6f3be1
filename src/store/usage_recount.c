/* usage_recount.c — the usage counters checked against the records
 * (`porticod usage verify`), written once over the driver (driver.h).
 *
 * What the records can tell is recounted, on one snapshot with the
 * counters: per UTC day, groups and assets created (create_ms) and deleted
 * (deleted_ms), bytes uploaded (the bytes of assets created that day),
 * video tasks created, and the ends of video tasks and liveness sessions
 * (their update_ms, which does not move after the end); and the stocks as
 * they stand now: live groups, live assets by status, bytes stored. A
 * stock is checked twice: the sum of its day moves, and its running sum
 * (usage_totals). Upstream calls are no record: they are not recounted.
 *
 * Invariant: the recount is the schema step's backfill (schema.c, step
 * 11) made per day: a counter written in a change's transaction and the
 * records of that change agree, so any difference is a bug (or a record
 * changed behind the store's back). */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

/* day of a stock compared as the sum of its moves, and as its running sum */
#define DAY_MOVES (-1)
#define DAY_TOTAL (-2)

#define DAY(col) "CAST(" col " / 86400000 AS BIGINT)"

static const char *const recounts[] = {
    ("SELECT customer_id, " DAY("create_ms") ", 'groups.created', COUNT(*) FROM groups"
     " WHERE state IN (1, 2) GROUP BY 1, 2"),
    "SELECT customer_id, " DAY("deleted_ms") ", 'groups.deleted', COUNT(*) FROM groups WHERE state = 2 GROUP BY 1, 2",
    ("SELECT customer_id, " DAY("create_ms") ", 'assets.created', COUNT(*) FROM assets"
     " WHERE state IN (1, 2) AND id IS NOT NULL GROUP BY 1, 2"),
    ("SELECT customer_id, " DAY("deleted_ms") ", 'assets.deleted', COUNT(*) FROM assets"
     " WHERE state = 2 AND id IS NOT NULL GROUP BY 1, 2"),
    ("SELECT customer_id, " DAY("create_ms") ", 'bytes.uploaded', SUM(bytes) FROM assets"
     " WHERE state IN (1, 2) AND id IS NOT NULL AND bytes > 0 GROUP BY 1, 2"),
    "SELECT customer_id, " DAY("create_ms") ", 'videos.created', COUNT(*) FROM video_tasks GROUP BY 1, 2",
    ("SELECT customer_id, " DAY("update_ms") ", 'videos.' || status, COUNT(*) FROM video_tasks"
     " WHERE status IN ('succeeded', 'failed') GROUP BY 1, 2, 3"),
    ("SELECT customer_id, " DAY("update_ms") ", 'videos.seconds', SUM(seconds) FROM video_tasks"
     " WHERE status = 'succeeded' AND seconds > 0 GROUP BY 1, 2"),
    "SELECT customer_id, " DAY("create_ms") ", 'liveness.started', COUNT(*) FROM validate_sessions GROUP BY 1, 2",
    ("SELECT customer_id, " DAY("update_ms") ","
     " CASE state WHEN 1 THEN 'liveness.passed' WHEN 2 THEN 'liveness.expired' ELSE 'liveness.failed' END,"
     " COUNT(*) FROM validate_sessions WHERE state IN (1, 2, 3) GROUP BY 1, 2, 3"),
    /* the stocks, as they stand */
    "SELECT customer_id, -1, 'live.groups', COUNT(*) FROM groups WHERE state = 1 GROUP BY 1",
    "SELECT customer_id, -1, 'live.assets.' || status, COUNT(*) FROM assets WHERE state = 1 GROUP BY 1, 3",
    "SELECT customer_id, -1, 'live.bytes', SUM(bytes) FROM assets WHERE state = 1 AND bytes > 0 GROUP BY 1",
};

/* The counters in the same shapes: day moves of what is recounted per day,
 * the stocks as the sum of their moves, and their running sums. */
static const char *const counters[] = {
    ("SELECT customer_id, day, metric, n FROM usage_counters"
     " WHERE metric NOT LIKE 'live.%' AND metric NOT LIKE 'upstream.%'"),
    "SELECT customer_id, -1, metric, SUM(n) FROM usage_counters WHERE metric LIKE 'live.%' GROUP BY 1, 3",
    "SELECT customer_id, -2, metric, n FROM usage_totals",
};

struct counts {
    struct usage_count *items;
    size_t n, cap;
};

static enum store_result read_all(struct sql_conn *c, const char *const *sqls, size_t n_sql, struct counts *out)
{
    for (size_t k = 0; k < n_sql; k++) {
        void *items = NULL;
        size_t n = 0;
        enum store_result r = sql_many(c, 0, sqls[k], &sql_usage_count_row, 0, &items, &n, "");
        if (r != STORE_OK)
            return r;
        if (out->n + n > out->cap) {
            size_t cap = (out->n + n) * 2 + 16;
            struct usage_count *p = realloc(out->items, cap * sizeof *p);
            if (!p) {
                free(items);
                return STORE_ERROR;
            }
            out->items = p;
            out->cap = cap;
        }
        if (n)
            memcpy(out->items + out->n, items, n * sizeof *out->items);
        out->n += n;
        free(items);
    }
    return STORE_OK;
}

static void sort_counts(struct counts *c)
{
    if (c->n) /* an empty list may have no array at all */
        qsort(c->items, c->n, sizeof *c->items, sql_usage_count_order);
}

static int add_mismatch(struct usage_mismatch_list *out, size_t *cap, const struct usage_count *key, int64_t counted,
                        int64_t recounted)
{
    if (out->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct usage_mismatch *p = realloc(out->items, ncap * sizeof *p);
        if (!p)
            return -1;
        out->items = p;
        *cap = ncap;
    }
    struct usage_mismatch *m = &out->items[out->n++];
    m->customer_id = key->customer_id;
    m->day = key->day;
    memcpy(m->metric, key->metric, sizeof m->metric);
    m->counted = counted;
    m->recounted = recounted;
    return 0;
}

/* The running sums are compared with the recount under DAY_MOVES' key. */
static void totals_as_moves(struct counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->items[i].day == DAY_TOTAL)
            c->items[i].day = DAY_MOVES;
}

/* Walks two sorted lists: every key whose values differ (absent: 0). */
static int diff(const struct counts *counted, const struct counts *records, struct usage_mismatch_list *out,
                size_t *cap, int64_t as_day)
{
    size_t i = 0, j = 0;
    while (i < counted->n || j < records->n) {
        int o = i == counted->n   ? 1
                : j == records->n ? -1
                                  : sql_usage_count_order(&counted->items[i], &records->items[j]);
        const struct usage_count *key = o <= 0 ? &counted->items[i] : &records->items[j];
        int64_t a = o <= 0 ? counted->items[i].n : 0, b = o >= 0 ? records->items[j].n : 0;
        if (a != b) {
            struct usage_count k = *key;
            if (as_day && k.day == DAY_MOVES)
                k.day = as_day;
            if (add_mismatch(out, cap, &k, a, b) != 0)
                return -1;
        }
        i += o <= 0;
        j += o >= 0;
    }
    return 0;
}

enum store_result sql_usage_recount(struct store *s, struct usage_mismatch_list *out)
{
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct counts rec = {0}, moves = {0}, totals = {0};
    struct sql_conn *c;
    /* One snapshot: the records and the counters of one moment. */
    enum store_result r = sql_start(s, SQL_TX_SNAPSHOT, &c);
    if (r != STORE_OK)
        return r;
    r = read_all(c, recounts, sizeof recounts / sizeof recounts[0], &rec);
    if (r == STORE_OK)
        r = read_all(c, counters, 2, &moves);
    if (r == STORE_OK)
        r = read_all(c, counters + 2, 1, &totals);
    r = sql_done(s, c, r);
    if (r == STORE_OK) {
        sort_counts(&rec);
        sort_counts(&moves);
        totals_as_moves(&totals);
        sort_counts(&totals);
        /* the stocks' records, for the running sums: only DAY_MOVES rows */
        struct counts stocks = {calloc(rec.n + 1, sizeof *rec.items), 0, rec.n};
        for (size_t i = 0; stocks.items && i < rec.n; i++)
            if (rec.items[i].day == DAY_MOVES)
                stocks.items[stocks.n++] = rec.items[i];
        size_t cap = 0;
        if (!stocks.items || diff(&moves, &rec, out, &cap, 0) != 0 ||
            diff(&totals, &stocks, out, &cap, DAY_TOTAL) != 0)
            r = STORE_ERROR;
        free(stocks.items);
    }
    free(rec.items);
    free(moves.items);
    free(totals.items);
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    return r;
}
