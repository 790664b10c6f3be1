/* usage.c — usage metering (API.md §7 GetUsage), written once over the
 * driver (driver.h): the counters a change moves, and reading them back.
 *
 * A store operation that makes a countable change (a group, an asset, a
 * status, a video task, a liveness session) collects its counters in a
 * struct sql_usage while it runs and writes them with sql_usage_write
 * just before its commit, in its own transaction: a change without its
 * counters (or counters without their change) is never committed, on any
 * node. Each counter is one atomic upsert (n = n + excluded.n), so
 * concurrent changes on several nodes add up exactly. "live." metrics are
 * stocks kept as their moves; their running sums are kept in usage_totals
 * by the same upserts, so a stock is read without summing its history.
 *
 * Invariant: a transaction writes its counters last, sorted (day rows by
 * customer, day, metric, then the totals): PostgreSQL row locks on the
 * counters are always taken in one order after the change's own rows, so
 * two transactions counting the same metrics cannot deadlock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

void sql_usage_add(struct sql_usage *u, int64_t customer_id, int64_t now_ms, const char *metric,
                   const char *suffix, int64_t n)
{
    char name[USAGE_METRIC_MAX];
    int len = snprintf(name, sizeof name, "%s%s", metric, suffix ? suffix : "");
    if (len < 0 || (size_t)len >= sizeof name) {
        u->overflow = 1;
        return;
    }
    if (n == 0)
        return;
    int64_t day = now_ms / USAGE_DAY_MS;
    for (size_t i = 0; i < u->n; i++) {
        struct usage_count *d = &u->d[i];
        if (d->customer_id == customer_id && d->day == day && strcmp(d->metric, name) == 0) {
            d->n += n;
            return;
        }
    }
    if (u->n == SQL_USAGE_MAX) {
        u->overflow = 1;
        return;
    }
    struct usage_count *d = &u->d[u->n++];
    d->customer_id = customer_id;
    d->day = day;
    memcpy(d->metric, name, (size_t)len + 1);
    d->n = n;
}

int sql_usage_count_order(const void *pa, const void *pb)
{
    const struct usage_count *a = pa, *b = pb;
    if (a->customer_id != b->customer_id)
        return a->customer_id < b->customer_id ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return strcmp(a->metric, b->metric);
}

static int is_live(const char *metric)
{
    return strncmp(metric, USAGE_LIVE_PREFIX, strlen(USAGE_LIVE_PREFIX)) == 0;
}

/* The upserts of n counters (sorted in place), on c inside its transaction. */
static enum store_result write_counts(struct sql_conn *c, struct usage_count *d, size_t n)
{
    qsort(d, n, sizeof *d, sql_usage_count_order);
    enum store_result r = STORE_OK;
    for (size_t i = 0; r == STORE_OK && i < n; i++)
        if (d[i].n != 0)
            r = sql_exec(c, SQL_CACHE,
                         "INSERT INTO usage_counters(customer_id, day, metric, n) VALUES ($1, $2, $3, $4)"
                         " ON CONFLICT (customer_id, day, metric) DO UPDATE SET n = usage_counters.n + excluded.n",
                         NULL, "iiti", d[i].customer_id, d[i].day, d[i].metric, d[i].n);
    /* The stocks' running sums, after every day row (the one lock order). */
    for (size_t i = 0; r == STORE_OK && i < n; i++)
        if (d[i].n != 0 && is_live(d[i].metric))
            r = sql_exec(c, SQL_CACHE,
                         "INSERT INTO usage_totals(customer_id, metric, n) VALUES ($1, $2, $3)"
                         " ON CONFLICT (customer_id, metric) DO UPDATE SET n = usage_totals.n + excluded.n",
                         NULL, "iti", d[i].customer_id, d[i].metric, d[i].n);
    return r;
}

enum store_result sql_usage_write(struct sql_conn *c, struct sql_usage *u)
{
    if (u->overflow)
        return STORE_ERROR; /* a metric name or a change too big to count: a bug, never a silent loss */
    return write_counts(c, u->d, u->n);
}

enum store_result sql_add_usage(struct store *s, const struct usage_count *items, size_t n)
{
    if (!items && n)
        return STORE_ERROR;
    if (n == 0)
        return STORE_OK;
    struct usage_count *d = malloc(n * sizeof *d);
    if (!d)
        return STORE_ERROR;
    memcpy(d, items, n * sizeof *d);
    enum store_result r = STORE_OK;
    for (size_t i = 0; i < n; i++)
        if (d[i].customer_id < 0 || d[i].day < 0 || !sql_fits(d[i].metric, USAGE_METRIC_MAX) || !d[i].metric[0])
            r = STORE_ERROR;
    struct sql_conn *c;
    if (r == STORE_OK)
        r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = sql_done(s, c, write_counts(c, d, n));
    free(d);
    return r;
}

static const struct sql_field count_fields[] = {SQL_L(struct usage_count, customer_id), SQL_L(struct usage_count, day),
                                                SQL_T(struct usage_count, metric), SQL_L(struct usage_count, n)};
const struct sql_row sql_usage_count_row = SQL_ROW(struct usage_count, count_fields);

static const struct sql_field name_fields[] = {SQL_L(struct usage_customer, id), SQL_T(struct usage_customer, name)};
static const struct sql_row name_row = SQL_ROW(struct usage_customer, name_fields);

#define OF_CUSTOMER(col) " (CAST($1 AS BIGINT) < 0 OR " col " = $1)"

void sql_free_usage_report(struct usage_report *out)
{
    free(out->days.items);
    free(out->ends.items);
    free(out->customers);
    memset(out, 0, sizeof *out);
}

enum store_result sql_get_usage(struct store *s, int64_t customer_id, int64_t from_day, int64_t to_day, size_t limit,
                                struct usage_report *out)
{
    if (!out || from_day < 0 || to_day < from_day || limit == 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct sql_conn *c;
    void *items = NULL;
    /* One snapshot: the days' moves and the stocks they end in agree. */
    enum store_result r = sql_start(s, SQL_TX_SNAPSHOT, &c);
    if (r != STORE_OK)
        return r;
    r = sql_many(c, 0,
                 "SELECT customer_id, day, metric, n FROM usage_counters WHERE day >= $2 AND day <= $3 AND"
                 OF_CUSTOMER("customer_id") " ORDER BY customer_id, day, metric LIMIT $4",
                 &sql_usage_count_row, limit + 1, &items, &out->days.n, "iiii", customer_id, from_day, to_day,
                 (int64_t)limit + 1);
    out->days.items = items;
    if (r == STORE_OK && out->days.n > limit)
        r = STORE_QUOTA;
    /* A stock at the end of to_day: its running sum less what moved after. */
    if (r == STORE_OK) {
        items = NULL;
        r = sql_many(c, 0,
                     "SELECT t.customer_id, CAST($2 AS BIGINT), t.metric, t.n - COALESCE((SELECT SUM(u.n) FROM usage_counters u"
                     " WHERE u.customer_id = t.customer_id AND u.metric = t.metric AND u.day > $2), 0)"
                     " FROM usage_totals t WHERE" OF_CUSTOMER("t.customer_id") " ORDER BY t.customer_id, t.metric",
                     &sql_usage_count_row, 0, &items, &out->ends.n, "ii", customer_id, to_day);
        out->ends.items = items;
    }
    if (r == STORE_OK) {
        items = NULL;
        r = sql_many(c, 0, "SELECT id, name FROM customers WHERE" OF_CUSTOMER("id") " ORDER BY id", &name_row, 0,
                     &items, &out->n_customers, "i", customer_id);
        out->customers = items;
    }
    r = sql_done(s, c, r);
    if (r != STORE_OK)
        sql_free_usage_report(out);
    return r;
}

enum store_result sql_usage_stocks(struct store *s, struct usage_report *out)
{
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct sql_conn *c;
    void *items = NULL;
    enum store_result r = sql_start(s, SQL_TX_SNAPSHOT, &c);
    if (r != STORE_OK)
        return r;
    r = sql_many(c, 0, "SELECT customer_id, 0, metric, n FROM usage_totals ORDER BY customer_id, metric",
                 &sql_usage_count_row, 0, &items, &out->ends.n, "");
    out->ends.items = items;
    if (r == STORE_OK) {
        items = NULL;
        r = sql_many(c, 0, "SELECT id, name FROM customers WHERE id IN (SELECT customer_id FROM usage_totals) ORDER BY id",
                     &name_row, 0, &items, &out->n_customers, "");
        out->customers = items;
    }
    r = sql_done(s, c, r);
    if (r != STORE_OK)
        sql_free_usage_report(out);
    return r;
}
