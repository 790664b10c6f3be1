/* customers.c — customers as the operators' API keeps them (API.md §7),
 * written once over the driver (driver.h).
 *
 * Names are unique (the table's UNIQUE constraint: a clash is
 * STORE_CONFLICT, even between two nodes at once). Nothing is cached:
 * a change is seen by the very next read on any node. */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

#define CUSTOMER_LIST_COLS                                                                                     \
    SQL_CUSTOMER_COLS ", (SELECT COUNT(*) FROM api_keys k WHERE k.customer_id = customers.id AND k.revoked_ms = 0)"

static const struct sql_field customer_list_fields[] = {
    SQL_L(struct customer, id),       SQL_T(struct customer, name),     SQL_I(struct customer, aigc_enabled),
    SQL_I(struct customer, key_rate), SQL_I(struct customer, disabled), SQL_L(struct customer, create_ms),
    SQL_I(struct customer, active_keys)};
static const struct sql_row customer_list_row = SQL_ROW(struct customer, customer_list_fields);

static int flag_ok(int v)
{
    return v == 0 || v == 1;
}

enum store_result sql_create_customer(struct store *s, const struct customer *in, int64_t now_ms,
                                      struct customer *out)
{
    if (!in || !sql_fits(in->name, STORE_CUSTOMER_MAX) || !in->name[0] || !flag_ok(in->aigc_enabled) ||
        !flag_ok(in->disabled) || in->key_rate < 0)
        return STORE_ERROR;
    struct customer tmp;
    enum store_result r = sql_write_one(s, SQL_CACHE,
                                        "INSERT INTO customers(name, aigc_enabled, key_rate, disabled, create_ms)"
                                        " VALUES ($1, $2, $3, $4, $5) RETURNING " SQL_CUSTOMER_COLS,
                                        &sql_customer_row, out ? out : &tmp, "tiiii", in->name,
                                        (int64_t)in->aigc_enabled, (int64_t)in->key_rate, (int64_t)in->disabled,
                                        now_ms);
    return r == STORE_NOT_FOUND ? STORE_ERROR : r;
}

enum store_result sql_get_customer(struct store *s, int64_t id, struct customer *out)
{
    if (!out)
        return STORE_ERROR;
    return sql_query_one(s, SQL_CACHE, "SELECT " CUSTOMER_LIST_COLS " FROM customers WHERE id = $1",
                         &customer_list_row, out, "i", id);
}

#define CUSTOMER_WHERE " WHERE (CAST($1 AS TEXT) IS NULL OR strpos(name, CAST($1 AS TEXT)) > 0)"

enum store_result sql_list_customers(struct store *s, const char *name_sub, int page_number, int page_size,
                                     struct customer_list *out)
{
    if (!out || page_number < 1 || page_size < 1)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    int64_t offset = (int64_t)(page_number - 1) * page_size;
    void *items = NULL;
    struct sql_conn *c;
    /* Count and page on one snapshot, so total matches the page. */
    enum store_result r = sql_start(s, SQL_TX_SNAPSHOT, &c);
    if (r != STORE_OK)
        return r;
    r = sql_int(c, SQL_CACHE, "SELECT COUNT(*) FROM customers" CUSTOMER_WHERE, &out->total, NULL, "t", name_sub);
    if (r == STORE_OK && out->total > offset) {
        int64_t want = out->total - offset < page_size ? out->total - offset : page_size;
        r = sql_many(c, SQL_CACHE,
                     "SELECT " CUSTOMER_LIST_COLS " FROM customers" CUSTOMER_WHERE
                     " ORDER BY id DESC LIMIT $2 OFFSET $3",
                     &customer_list_row, (size_t)want, &items, &out->n, "tii", name_sub, want, offset);
    }
    r = sql_done_rows(s, c, r, &items, &out->n);
    out->items = items;
    if (r != STORE_OK)
        out->total = 0;
    return r;
}

enum store_result sql_update_customer(struct store *s, int64_t id, const struct customer_fields *f)
{
    if (!f || (f->name && (!sql_fits(f->name, STORE_CUSTOMER_MAX) || !f->name[0])) ||
        (f->aigc_enabled != -1 && !flag_ok(f->aigc_enabled)) || (f->disabled != -1 && !flag_ok(f->disabled)) ||
        f->key_rate < -1)
        return STORE_ERROR;
    /* -1 (and a NULL name) keep the column as it is. */
    return sql_write_row(s, SQL_CACHE,
                         "UPDATE customers SET name = coalesce(CAST($2 AS TEXT), name),"
                         " aigc_enabled = CASE WHEN $3 < 0 THEN aigc_enabled ELSE $3 END,"
                         " key_rate = CASE WHEN $4 < 0 THEN key_rate ELSE $4 END,"
                         " disabled = CASE WHEN $5 < 0 THEN disabled ELSE $5 END WHERE id = $1",
                         "itiii", id, f->name, (int64_t)f->aigc_enabled, (int64_t)f->key_rate,
                         (int64_t)f->disabled);
}
