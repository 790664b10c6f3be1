/* usage.c — usage metering as operators read it (API.md §7 GetUsage and
 * the per-customer gauges of /metrics), and the recount behind `porticod
 * usage verify`.
 *
 * The store keeps, per customer and UTC day, how much each metric moved
 * (store/usage.c). GetUsage turns that into one row per customer and day:
 * the day's moves (groups created, upstream calls, ...) and the stocks as
 * they stood at the end of the day (live groups, assets by status, bytes
 * stored), walked back from the stocks at the end of To. Rows are dense
 * (every day of the range) but a row that says nothing — no move, every
 * stock zero — is left out, so customers appear from their first day.
 *
 * The rules: From and To are dates (YYYY-MM-DD, UTC), From <= To, at most
 * CORE_USAGE_DAYS_MAX days; without To, today; without From, the
 * CORE_USAGE_DAYS_DEFAULT days up to To; at most CORE_USAGE_ROWS_MAX rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"

int64_t core_usage_day(const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    struct tm tm = {0};
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
        return -1;
    int mday = tm.tm_mday, mon = tm.tm_mon;
    time_t t = timegm(&tm);
    /* timegm normalises 2026-02-30 to March 2nd: such a date is not one */
    if (t < 0 || tm.tm_mday != mday || tm.tm_mon != mon)
        return -1;
    return (int64_t)t / 86400;
}

void core_usage_date(int64_t day, char out[static 11])
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm);
    unsigned y = (unsigned)(tm.tm_year + 1900) % 10000, m = (unsigned)(tm.tm_mon + 1) % 100,
             d = (unsigned)tm.tm_mday % 100;
    snprintf(out, 11, "%04u-%02u-%02u", y, m, d);
}

static int is_live(const char *metric)
{
    return strncmp(metric, USAGE_LIVE_PREFIX, strlen(USAGE_LIVE_PREFIX)) == 0;
}

int64_t core_usage_value(const struct core_usage_row *r, const char *metric)
{
    for (size_t i = 0; i < r->n_values; i++)
        if (strcmp(r->values[i].metric, metric) == 0)
            return r->values[i].n;
    return 0;
}

void core_usage_free(struct core *c, struct core_usage *u)
{
    if (!u)
        return;
    c->store->ops->free_usage_report(&u->rep);
    free(u->rows);
    free(u->values);
    memset(u, 0, sizeof *u);
}

/* A growing array of values; -1 when out of memory. */
static int push_value(struct core_usage *u, size_t *cap, const struct usage_count *v)
{
    if (u->n_values == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        struct usage_count *p = realloc(u->values, ncap * sizeof *p);
        if (!p)
            return -1;
        u->values = p;
        *cap = ncap;
    }
    u->values[u->n_values++] = *v;
    return 0;
}

static const char *customer_name(const struct usage_report *rep, int64_t id)
{
    for (size_t i = 0; i < rep->n_customers; i++)
        if (rep->customers[i].id == id)
            return rep->customers[i].name;
    return "";
}

/* One customer's rows, To back to From, appended to u (values first, the
 * rows pointing into them once every value is in place). days and ends
 * are that customer's slices, sorted by day then metric. */
static int customer_rows(struct core_usage *u, size_t *vcap, int64_t customer_id, int64_t from, int64_t to,
                         const struct usage_count *days, size_t n_days, struct usage_count *stock, size_t n_stock,
                         size_t *n_rows, size_t *row_cap, struct core_usage_row **rows)
{
    size_t d = n_days; /* walk the day rows from the last */
    for (int64_t day = to; day >= from; day--) {
        size_t first = u->n_values;
        int says = 0;
        size_t end = d;
        while (d > 0 && days[d - 1].day == day)
            d--;
        for (size_t i = d; i < end; i++) /* the day's moves, not the stocks' */
            if (!is_live(days[i].metric)) {
                if (push_value(u, vcap, &days[i]) != 0)
                    return -1;
                says |= days[i].n != 0;
            }
        for (size_t k = 0; k < n_stock; k++) { /* the stocks at the day's end */
            struct usage_count v = stock[k];
            v.day = day;
            if (push_value(u, vcap, &v) != 0)
                return -1;
            says |= v.n != 0;
        }
        /* the stocks at the end of the day before: less the day's moves */
        for (size_t i = d; i < end; i++)
            for (size_t k = 0; k < n_stock; k++)
                if (strcmp(stock[k].metric, days[i].metric) == 0)
                    stock[k].n -= days[i].n;
        if (!says) {
            u->n_values = first;
            continue;
        }
        if (*n_rows == *row_cap) {
            size_t ncap = *row_cap ? *row_cap * 2 : 64;
            struct core_usage_row *p = realloc(*rows, ncap * sizeof *p);
            if (!p)
                return -1;
            *rows = p;
            *row_cap = ncap;
        }
        /* values are an offset until the array stops moving */
        (*rows)[(*n_rows)++] = (struct core_usage_row){.customer_id = customer_id, .day = day,
                                                       .values = (const struct usage_count *)(uintptr_t)first,
                                                       .n_values = u->n_values - first};
        if (*n_rows > CORE_USAGE_ROWS_MAX)
            return 1;
    }
    return 0;
}

/* Rows are made To back to From per customer; the answer goes From to To. */
static void reverse_customer(struct core_usage_row *rows, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        struct core_usage_row t = rows[i];
        rows[i] = rows[n - 1 - i];
        rows[n - 1 - i] = t;
    }
}

enum core_code core_get_usage(struct core *c, int64_t customer_id, const char *from, const char *to,
                              struct core_usage *out, struct core_status *st)
{
    memset(out, 0, sizeof *out);
    int64_t today = clock_wall_ms() / USAGE_DAY_MS;
    int64_t to_day = to ? core_usage_day(to) : today;
    if (to_day < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "To must be a date as YYYY-MM-DD (UTC).");
    int64_t from_day = from ? core_usage_day(from) : to_day - (CORE_USAGE_DAYS_DEFAULT - 1);
    if (from_day < 0 && from)
        return core_fail(st, CORE_INVALID_PARAMETER, "From must be a date as YYYY-MM-DD (UTC).");
    if (from_day < 0)
        from_day = 0;
    if (from_day > to_day)
        return core_fail(st, CORE_INVALID_PARAMETER, "From must not be after To.");
    if (to_day - from_day + 1 > CORE_USAGE_DAYS_MAX)
        return core_fail(st, CORE_INVALID_PARAMETER, "From and To may be at most %d days apart (inclusive).",
                         CORE_USAGE_DAYS_MAX);
    if (customer_id < -1)
        return core_fail(st, CORE_INVALID_PARAMETER, "CustomerId must be a customer's Id.");
    core_usage_flush(c); /* this node's upstream calls, up to now */
    struct store *s = c->store;
    enum store_result r = s->ops->get_usage(s, customer_id, from_day, to_day, CORE_USAGE_ROWS_MAX * 20, &out->rep);
    if (r == STORE_QUOTA)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "The range holds too much usage to answer at once; narrow From and To, or give a CustomerId.");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    if (customer_id > 0 && out->rep.n_customers == 0) {
        core_usage_free(c, out);
        return core_fail(st, CORE_INVALID_PARAMETER, "No customer has this CustomerId.");
    }
    core_usage_date(from_day, out->from);
    core_usage_date(to_day, out->to);

    const struct usage_report *rep = &out->rep;
    size_t vcap = 0, row_cap = 0, di = 0, ei = 0;
    struct core_usage_row *rows = NULL;
    int rc = 0;
    /* Customers in id order: both lists are sorted by customer first. */
    while (rc == 0 && (di < rep->days.n || ei < rep->ends.n)) {
        int64_t id = di < rep->days.n ? rep->days.items[di].customer_id : INT64_MAX;
        if (ei < rep->ends.n && rep->ends.items[ei].customer_id < id)
            id = rep->ends.items[ei].customer_id;
        size_t d0 = di, e0 = ei;
        while (di < rep->days.n && rep->days.items[di].customer_id == id)
            di++;
        while (ei < rep->ends.n && rep->ends.items[ei].customer_id == id)
            ei++;
        size_t first_row = out->n;
        rc = customer_rows(out, &vcap, id, from_day, to_day, rep->days.items + d0, di - d0, rep->ends.items + e0,
                           ei - e0, &out->n, &row_cap, &rows);
        if (rows && out->n > first_row)
            reverse_customer(rows + first_row, out->n - first_row);
    }
    out->rows = rows;
    if (rc != 0) {
        core_usage_free(c, out);
        if (rc > 0)
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "The answer would have more than %d rows; narrow From and To, or give a CustomerId.",
                             CORE_USAGE_ROWS_MAX);
        return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
    }
    for (size_t i = 0; i < out->n; i++) {
        rows[i].values = out->values + (uintptr_t)rows[i].values;
        rows[i].customer = customer_name(rep, rows[i].customer_id);
        core_usage_date(rows[i].day, rows[i].date);
    }
    return CORE_OK;
}

/* ---- the gauges of /metrics ---- */

static int gauge_order(const void *pa, const void *pb)
{
    const struct core_usage_gauge *a = pa, *b = pb;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    int64_t na = a->processing + a->active + a->failed + a->other;
    int64_t nb = b->processing + b->active + b->failed + b->other;
    if (na != nb)
        return na > nb ? -1 : 1;
    return a->customer_id < b->customer_id ? -1 : a->customer_id > b->customer_id;
}

enum core_code core_usage_gauges(struct core *c, struct core_usage_gauge **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct usage_report rep;
    if (c->store->ops->usage_stocks(c->store, &rep) != STORE_OK)
        return CORE_SERVICE_UNAVAILABLE;
    struct core_usage_gauge *g = calloc(rep.n_customers + 1, sizeof *g);
    if (!g) {
        c->store->ops->free_usage_report(&rep);
        return CORE_INTERNAL_ERROR;
    }
    size_t k = 0;
    for (size_t i = 0; i < rep.ends.n; i++) {
        const struct usage_count *v = &rep.ends.items[i];
        if (k == 0 || g[k - 1].customer_id != v->customer_id) {
            if (k == rep.n_customers)
                break; /* a customer without a row: cannot be (one snapshot) */
            g[k].customer_id = v->customer_id;
            snprintf(g[k].customer, sizeof g[k].customer, "%s", customer_name(&rep, v->customer_id));
            k++;
        }
        struct core_usage_gauge *x = &g[k - 1];
        const char *status = v->metric + strlen(USAGE_LIVE_ASSETS);
        if (strcmp(v->metric, USAGE_LIVE_BYTES) == 0)
            x->bytes += v->n;
        else if (strncmp(v->metric, USAGE_LIVE_ASSETS, strlen(USAGE_LIVE_ASSETS)) != 0)
            continue;
        else if (strcmp(status, "Processing") == 0)
            x->processing += v->n;
        else if (strcmp(status, "Active") == 0)
            x->active += v->n;
        else if (strcmp(status, "Failed") == 0)
            x->failed += v->n;
        else
            x->other += v->n;
    }
    c->store->ops->free_usage_report(&rep);
    qsort(g, k, sizeof *g, gauge_order);
    /* Bounded series: the top customers by name, the rest as one. */
    if (k > CORE_USAGE_GAUGE_CUSTOMERS) {
        struct core_usage_gauge rest = {.customer_id = -1};
        for (size_t i = CORE_USAGE_GAUGE_CUSTOMERS; i < k; i++) {
            rest.processing += g[i].processing;
            rest.active += g[i].active;
            rest.failed += g[i].failed;
            rest.other += g[i].other;
            rest.bytes += g[i].bytes;
        }
        k = CORE_USAGE_GAUGE_CUSTOMERS;
        g[k++] = rest;
    }
    *out = g;
    *n = k;
    return CORE_OK;
}
