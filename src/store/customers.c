/* customers.c — customers as the operators' API keeps them (API.md §7),
 * written once over the driver (driver.h).
 *
 * Names are unique (the table's UNIQUE constraint: a clash is
 * STORE_CONFLICT, even between two nodes at once). Nothing is cached:
 * a change is seen by the very next read on any node.
 *
 * Invariant: every change of a customer's row appends its audit entries
 * (store/audit.c) in the change's own transaction, against the row as it
 * was (read locked first), so the log says exactly what changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/clock.h"

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

/* Inside the change's transaction: CustomerCreated for the row cu, with
 * the fields it starts with. */
static enum store_result audit_created(struct sql_conn *c, const struct customer *cu, const struct actor *who,
                                       int64_t now_ms)
{
    struct audit_event e;
    sql_audit_init(&e, AUDIT_CUSTOMER_CREATED, cu->id, cu->name, "", who, now_ms);
    sql_audit_detail(&e, "bib", "AIGCEnabled", cu->aigc_enabled, "KeyRate", (int64_t)cu->key_rate, "Disabled",
                     cu->disabled);
    return sql_audit(c, &e);
}

/* Inside the change's transaction: what changed from was to now, as
 * CustomerUpdated (Name, AIGCEnabled, KeyRate: each changed one From and
 * To) and CustomerDisabled or CustomerEnabled; nothing when nothing did. */
static enum store_result audit_changed(struct sql_conn *c, const struct customer *was, const struct customer *now,
                                       const struct actor *who, int64_t now_ms)
{
    struct audit_event e;
    enum store_result r = STORE_OK;
    if (strcmp(was->name, now->name) != 0 || was->aigc_enabled != now->aigc_enabled ||
        was->key_rate != now->key_rate) {
        sql_audit_init(&e, AUDIT_CUSTOMER_UPDATED, now->id, now->name, "", who, now_ms);
        sql_audit_detail(&e, "SBI", "Name", was->name, now->name, "AIGCEnabled", was->aigc_enabled,
                         now->aigc_enabled, "KeyRate", (int64_t)was->key_rate, (int64_t)now->key_rate);
        r = sql_audit(c, &e);
    }
    if (r == STORE_OK && was->disabled != now->disabled) {
        sql_audit_init(&e, now->disabled ? AUDIT_CUSTOMER_DISABLED : AUDIT_CUSTOMER_ENABLED, now->id, now->name, "",
                       who, now_ms);
        r = sql_audit(c, &e);
    }
    return r;
}

/* Inside a write transaction: inserts in's fields as a new customer (out
 * gets the row) and its CustomerCreated entry. if_new: a name taken is
 * NOT_FOUND (nothing inserted; the INSERT that loses a race waits for the
 * winner's commit), else CONFLICT. */
#define INSERT_CUSTOMER                                                                                      \
    "INSERT INTO customers(name, aigc_enabled, key_rate, disabled, create_ms) VALUES ($1, $2, $3, $4, $5)"
static enum store_result insert_customer(struct sql_conn *c, const struct customer *in, int if_new, int64_t now_ms,
                                         const struct actor *who, struct customer *out)
{
    enum store_result r = sql_one(
        c, SQL_CACHE,
        if_new ? INSERT_CUSTOMER " ON CONFLICT(name) DO NOTHING RETURNING " SQL_CUSTOMER_COLS
               : INSERT_CUSTOMER " RETURNING " SQL_CUSTOMER_COLS,
        &sql_customer_row, out, "tiiii", in->name, (int64_t)in->aigc_enabled, (int64_t)in->key_rate,
        (int64_t)in->disabled, now_ms);
    return r == STORE_OK ? audit_created(c, out, who, now_ms) : r;
}

enum store_result sql_create_customer(struct store *s, const struct customer *in, int64_t now_ms,
                                      const struct actor *who, struct customer *out)
{
    if (!in || !sql_fits(in->name, STORE_CUSTOMER_MAX) || !in->name[0] || !flag_ok(in->aigc_enabled) ||
        !flag_ok(in->disabled) || in->key_rate < 0)
        return STORE_ERROR;
    struct customer cu;
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = insert_customer(c, in, 0, now_ms, who, &cu);
    r = sql_done(s, c, r == STORE_NOT_FOUND ? STORE_ERROR : r);
    if (r == STORE_OK && out)
        *out = cu;
    return r;
}

/* Inside a write transaction: customer id's row as it is, locked where
 * the driver has row locks (SQLite's write transaction is the lock), so
 * the change made next is audited against what it replaced. */
#define CUSTOMER_BY_ID "SELECT " SQL_CUSTOMER_COLS " FROM customers WHERE id = $1"
static enum store_result customer_for_update(struct sql_conn *c, int64_t id, struct customer *out)
{
    return sql_one(c, SQL_CACHE, c->d->row_locks ? CUSTOMER_BY_ID " FOR UPDATE" : CUSTOMER_BY_ID, &sql_customer_row,
                   out, "i", id);
}

/* Inside a write transaction: sets the fields f gives (name NULL, others
 * -1: unchanged) of customer id and appends what changed to the audit
 * log; out gets the row as it is now. */
static enum store_result change_customer(struct sql_conn *c, int64_t id, const struct customer_fields *f,
                                         const struct actor *who, int64_t now_ms, struct customer *out)
{
    struct customer was;
    enum store_result r = customer_for_update(c, id, &was);
    if (r == STORE_OK)
        r = sql_one(c, SQL_CACHE,
                    "UPDATE customers SET name = coalesce(CAST($2 AS TEXT), name),"
                    " aigc_enabled = CASE WHEN $3 < 0 THEN aigc_enabled ELSE $3 END,"
                    " key_rate = CASE WHEN $4 < 0 THEN key_rate ELSE $4 END,"
                    " disabled = CASE WHEN $5 < 0 THEN disabled ELSE $5 END WHERE id = $1 RETURNING " SQL_CUSTOMER_COLS,
                    &sql_customer_row, out, "itiii", id, f->name, (int64_t)f->aigc_enabled, (int64_t)f->key_rate,
                    (int64_t)f->disabled);
    if (r == STORE_OK)
        r = audit_changed(c, &was, out, who, now_ms);
    return r;
}

enum store_result sql_put_customer(struct store *s, const char *name, int aigc_enabled, const struct actor *who,
                                   struct customer *out)
{
    if (!sql_fits(name, STORE_CUSTOMER_MAX) || !name[0])
        return STORE_ERROR;
    int64_t now_ms = clock_wall_ms(), id = 0;
    struct customer in = {.aigc_enabled = aigc_enabled ? 1 : 0}, cu;
    snprintf(in.name, sizeof in.name, "%s", name);
    struct sql_conn *c;
    /* Find-or-create stays atomic, so two processes (or nodes) creating
     * the same customer both end with the one row and its id. */
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = insert_customer(c, &in, 1, now_ms, who, &cu);
    if (r == STORE_NOT_FOUND) { /* there already: its AIGC flag as asked */
        struct customer_fields f = {NULL, in.aigc_enabled, -1, -1};
        r = sql_one(c, SQL_CACHE, "SELECT id FROM customers WHERE name = $1", &sql_i64_row, &id, "t", name);
        if (r == STORE_OK)
            r = change_customer(c, id, &f, who, now_ms, &cu);
    }
    /* NOT_FOUND: renamed meanwhile, no row by that name to give */
    r = sql_done(s, c, r == STORE_NOT_FOUND ? STORE_ERROR : r);
    if (r == STORE_OK && out)
        *out = cu;
    return r;
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

enum store_result sql_update_customer(struct store *s, int64_t id, const struct customer_fields *f, int64_t now_ms,
                                      const struct actor *who)
{
    if (!f || (f->name && (!sql_fits(f->name, STORE_CUSTOMER_MAX) || !f->name[0])) ||
        (f->aigc_enabled != -1 && !flag_ok(f->aigc_enabled)) || (f->disabled != -1 && !flag_ok(f->disabled)) ||
        f->key_rate < -1)
        return STORE_ERROR;
    struct customer now;
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = change_customer(c, id, f, who, now_ms, &now);
    return sql_done(s, c, r);
}
