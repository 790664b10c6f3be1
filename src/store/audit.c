/* audit.c — the audit log (API.md §7 ListAuditEvents), written once over
 * the driver (driver.h): keys created and revoked, customers created and
 * changed, liveness sessions started and ended, assets registered into
 * LivenessFace groups, deletes.
 *
 * Invariant: an entry is appended by the store operation that makes the
 * change it records, inside that change's transaction (sql_audit), so no
 * change is committed without its entry and no entry without its change.
 * The log is append-only: nothing here or anywhere else updates or deletes
 * its rows. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/jsonw.h"

static int audit_fits(const struct audit_event *e)
{
    return e && e->customer_id >= 0 && sql_fits(e->type, AUDIT_TYPE_MAX) && e->type[0] &&
           sql_fits(e->subject, STORE_TOKEN_MAX) && sql_fits(e->group_id, IDS_MAX) &&
           sql_fits(e->actor, sizeof e->actor) && sql_fits(e->actor_addr, sizeof e->actor_addr) &&
           sql_fits(e->detail, AUDIT_DETAIL_MAX);
}

enum store_result sql_audit(struct sql_conn *c, const struct audit_event *e)
{
    if (!audit_fits(e))
        return STORE_ERROR;
    return sql_exec(c, SQL_CACHE,
                    "INSERT INTO audit_events(customer_id, type, subject, group_id, actor, actor_addr, create_ms,"
                    " detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    NULL, "itttttit", e->customer_id, e->type, e->subject, e->group_id, e->actor, e->actor_addr,
                    e->create_ms, e->detail[0] ? e->detail : "{}");
}

void sql_audit_init(struct audit_event *e, const char *type, int64_t customer_id, const char *subject,
                    const char *group_id, const struct actor *who, int64_t now_ms)
{
    memset(e, 0, sizeof *e);
    snprintf(e->type, sizeof e->type, "%s", type);
    e->customer_id = customer_id;
    sql_copy_utf8(e->subject, sizeof e->subject, subject ? subject : "");
    sql_copy_utf8(e->group_id, sizeof e->group_id, group_id ? group_id : "");
    if (who) {
        sql_copy_utf8(e->actor, sizeof e->actor, who->key_prefix);
        sql_copy_utf8(e->actor_addr, sizeof e->actor_addr, who->addr);
    }
    e->create_ms = now_ms;
}

/* One value of a detail, as its kind's arguments give it. */
struct detail_value {
    char kind; /* 's', 'i', 'b', 't' */
    const char *s;
    int64_t i;
};

static struct detail_value detail_arg(char kind, va_list *ap)
{
    struct detail_value v = {kind, NULL, 0};
    if (kind == 's')
        v.s = va_arg(*ap, const char *);
    else if (kind == 'b')
        v.i = va_arg(*ap, int) != 0;
    else /* 'i', 't' */
        v.i = va_arg(*ap, int64_t);
    return v;
}

static int detail_write(struct buf *b, const struct detail_value *v)
{
    char when[21];
    switch (v->kind) {
    case 's':
        return jsonw_string(b, v->s);
    case 'i':
        return buf_printf(b, "%lld", (long long)v->i);
    case 'b':
        return buf_puts(b, v->i ? "true" : "false");
    default: /* 't': a time, RFC 3339 */
        clock_rfc3339(v->i, when);
        return jsonw_string(b, when);
    }
}

static int detail_same(const struct detail_value *a, const struct detail_value *b)
{
    return a->kind == 's' ? strcmp(a->s ? a->s : "", b->s ? b->s : "") == 0 : a->i == b->i;
}

void sql_audit_detail(struct audit_event *e, const char *kinds, ...)
{
    struct buf b;
    buf_init(&b, AUDIT_DETAIL_MAX - 1);
    va_list ap;
    va_start(ap, kinds);
    int bad = buf_puts(&b, "{") < 0, first = 1;
    for (const char *k = kinds; *k && !bad; k++) {
        const char *key = va_arg(ap, const char *);
        int change = *k >= 'A' && *k <= 'Z';
        struct detail_value v = detail_arg(change ? (char)(*k - 'A' + 'a') : *k, &ap), was = v;
        if (change) {
            v = detail_arg(was.kind, &ap);
            if (detail_same(&was, &v))
                continue; /* unchanged: not written */
        }
        bad |= (!first && buf_puts(&b, ",") < 0) || jsonw_string(&b, key) < 0 || buf_puts(&b, ":") < 0;
        if (change)
            bad |= buf_puts(&b, "{\"From\":") < 0 || detail_write(&b, &was) < 0 || buf_puts(&b, ",\"To\":") < 0 ||
                   detail_write(&b, &v) < 0 || buf_puts(&b, "}") < 0;
        else
            bad |= detail_write(&b, &v) < 0;
        first = 0;
    }
    va_end(ap);
    bad |= buf_puts(&b, "}") < 0;
    /* Too long for the column (a bug: details are short): the entry stays, without them. */
    snprintf(e->detail, sizeof e->detail, "%s", bad || !b.data ? "{}" : b.data);
    buf_free(&b);
}

static const struct sql_field audit_fields[] = {
    SQL_L(struct audit_event, seq),        SQL_L(struct audit_event, customer_id), SQL_T(struct audit_event, customer),
    SQL_T(struct audit_event, type),       SQL_T(struct audit_event, subject),     SQL_T(struct audit_event, group_id),
    SQL_T(struct audit_event, actor),      SQL_T(struct audit_event, actor_addr),  SQL_L(struct audit_event, create_ms),
    SQL_T(struct audit_event, detail)};
static const struct sql_row audit_row = SQL_ROW(struct audit_event, audit_fields);

/* Every filter is a NULL-able (or 0/-1) parameter, so the statement stays
 * fixed; newest first by seq, which only grows. */
#define AUDIT_LIST                                                                                             \
    "SELECT a.seq, a.customer_id, COALESCE(c.name, ''), a.type, a.subject, a.group_id, a.actor, a.actor_addr,"  \
    " a.create_ms, a.detail FROM audit_events a LEFT JOIN customers c ON c.id = a.customer_id"                 \
    " WHERE (CAST($1 AS BIGINT) < 0 OR a.customer_id = $1)"                                                   \
    " AND (CAST($2 AS TEXT) IS NULL OR a.type = CAST($2 AS TEXT))"                                             \
    " AND (CAST($3 AS TEXT) IS NULL OR a.group_id = CAST($3 AS TEXT))"                                         \
    " AND (CAST($4 AS BIGINT) = 0 OR a.create_ms >= $4) AND (CAST($5 AS BIGINT) = 0 OR a.create_ms < $5)"       \
    " AND (CAST($6 AS BIGINT) = 0 OR a.seq < $6) ORDER BY a.seq DESC LIMIT $7"

enum store_result sql_list_audit(struct store *s, const struct audit_filter *f, struct audit_list *out)
{
    if (!f || !out || f->limit < 1 || f->limit > 1000 || f->before_seq < 0 || f->from_ms < 0 || f->to_ms < 0 ||
        (f->type && !sql_fits(f->type, AUDIT_TYPE_MAX)) || (f->group_id && !sql_fits(f->group_id, IDS_MAX)))
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    void *items = NULL;
    /* One more than asked: whether another page follows. */
    enum store_result r = sql_query_rows(s, SQL_CACHE, AUDIT_LIST, &audit_row, (size_t)f->limit + 1, &items, &out->n,
                                         "ittiiii", f->customer_id, f->type, f->group_id, f->from_ms, f->to_ms,
                                         f->before_seq, (int64_t)f->limit + 1);
    out->items = items;
    if (r == STORE_OK && out->n > (size_t)f->limit) {
        out->n = (size_t)f->limit;
        out->next_seq = out->items[out->n - 1].seq;
    }
    return r;
}
