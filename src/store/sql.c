/* sql.c — the helpers every domain operation uses over the driver:
 * binding from a format, running a statement to its end, single-statement
 * writes, reading rows into arrays, and argument checks.
 *
 * Invariant: a helper that takes a connection gives it back on every path,
 * and a statement it opens is finished before it returns (sql_open hands
 * its statement to the caller, who finishes it). */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

/* Each variadic helper forwards its binds, as ap, to a va_list version:
 * SQL_RETURN_VA(sql_vx(..., fmt, ap)) returns what that call returns. */
#define SQL_RETURN_VA(call)                                                                                   \
    do {                                                                                                      \
        va_list ap;                                                                                           \
        va_start(ap, fmt);                                                                                    \
        enum store_result r_ = (call);                                                                        \
        va_end(ap);                                                                                           \
        return r_;                                                                                            \
    } while (0)

enum store_result sql_start(struct store *s, enum sql_tx kind, struct sql_conn **c)
{
    const struct sql_driver *d = sql_driver_of(s);
    *c = d->get(s);
    if (!*c)
        return STORE_UNAVAILABLE;
    enum store_result r = kind == SQL_TX_NONE ? STORE_OK : d->begin(*c, kind);
    if (r != STORE_OK) {
        d->put(s, *c);
        *c = NULL;
    }
    return r;
}

/* SQL_TX_NONE began nothing: a driver's end is a no-op then, as its begin
 * was never called (the SQLite driver ends only what it began). c NULL (a
 * sql_start that failed): r, as it is. */
enum store_result sql_done(struct store *s, struct sql_conn *c, enum store_result r)
{
    if (!c)
        return r;
    r = c->d->end(c, r);
    c->d->put(s, c);
    return r;
}

static void sql_vbind(struct sql_stmt *st, const char *fmt, va_list ap)
{
    const struct sql_driver *d = st->c->d;
    for (int i = 1; fmt && *fmt; fmt++, i++) {
        switch (*fmt) {
        case 't':
            d->bind_text(st, i, va_arg(ap, const char *));
            break;
        case 'i':
            d->bind_i64(st, i, va_arg(ap, int64_t));
            break;
        case 'h': {
            int64_t v = va_arg(ap, int64_t);
            if (v)
                d->bind_i64(st, i, v);
            else
                d->bind_text(st, i, NULL);
            break;
        }
        case 'b': {
            const void *v = va_arg(ap, const void *);
            int n = va_arg(ap, int);
            d->bind_blob(st, i, v, n);
            break;
        }
        default:
            break;
        }
    }
}

enum store_result sql_vopen(struct sql_conn *c, int flags, const char *sql, struct sql_stmt **st, const char *fmt,
                            va_list ap)
{
    enum store_result r = c->d->prepare(c, sql, flags, st);
    if (r != STORE_OK) {
        *st = NULL;
        return r;
    }
    sql_vbind(*st, fmt, ap);
    return STORE_OK;
}

enum store_result sql_open(struct sql_conn *c, int flags, const char *sql, struct sql_stmt **st, const char *fmt,
                           ...)
{
    SQL_RETURN_VA(sql_vopen(c, flags, sql, st, fmt, ap));
}

/* Steps st to its end; *changes (may be NULL) gets the rows it touched. */
static enum store_result sql_run(struct sql_stmt *st, int *changes)
{
    int row = 1;
    enum store_result r = STORE_OK;
    while (r == STORE_OK && row)
        r = sql_step(st, &row);
    if (r == STORE_OK && changes)
        *changes = st->c->d->changes(st);
    sql_finish(st);
    return r;
}

static enum store_result sql_vexec(struct sql_conn *c, int flags, const char *sql, int *changes, const char *fmt,
                                   va_list ap)
{
    struct sql_stmt *st;
    enum store_result r = sql_vopen(c, flags, sql, &st, fmt, ap);
    return r == STORE_OK ? sql_run(st, changes) : r;
}

enum store_result sql_exec(struct sql_conn *c, int flags, const char *sql, int *changes, const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vexec(c, flags, sql, changes, fmt, ap));
}

static enum store_result sql_vexec_row(struct sql_conn *c, int flags, const char *sql, const char *fmt, va_list ap)
{
    int changes = 0;
    enum store_result r = sql_vexec(c, flags, sql, &changes, fmt, ap);
    return r == STORE_OK && changes == 0 ? STORE_NOT_FOUND : r;
}

enum store_result sql_exec_row(struct sql_conn *c, int flags, const char *sql, const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vexec_row(c, flags, sql, fmt, ap));
}

static enum store_result sql_vwrite(struct store *s, int flags, const char *sql, int *changes, const char *fmt,
                                    va_list ap)
{
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_ONE, &c);
    return r == STORE_OK ? sql_done(s, c, sql_vexec(c, flags, sql, changes, fmt, ap)) : r;
}

enum store_result sql_write(struct store *s, int flags, const char *sql, int *changes, const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vwrite(s, flags, sql, changes, fmt, ap));
}

static enum store_result sql_vwrite_row(struct store *s, int flags, const char *sql, const char *fmt, va_list ap)
{
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_ONE, &c);
    return r == STORE_OK ? sql_done(s, c, sql_vexec_row(c, flags, sql, fmt, ap)) : r;
}

enum store_result sql_write_row(struct store *s, int flags, const char *sql, const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vwrite_row(s, flags, sql, fmt, ap));
}

void sql_read(struct sql_stmt *st, const struct sql_row *t, void *item)
{
    memset(item, 0, t->size);
    for (size_t k = 0; k < t->n; k++) {
        const struct sql_field *f = &t->f[k];
        char *at = (char *)item + f->off;
        if (f->kind == 't') {
            sql_col_text(st, (int)k, at, f->size);
        } else if (f->kind == 'b') {
            if (st->c->d->col_blob(st, (int)k, at, (int)f->size) < 0)
                memset(at, 0, f->size);
        } else if (f->kind == 'i') {
            int v = (int)sql_col_i64(st, (int)k);
            memcpy(at, &v, sizeof v);
        } else {
            int64_t v = sql_col_i64(st, (int)k);
            memcpy(at, &v, sizeof v);
        }
    }
}

enum store_result sql_rows(struct sql_stmt *st, const struct sql_row *t, size_t limit, void **items, size_t *n)
{
    size_t cap = 0;
    int row = 1;
    enum store_result r = STORE_OK;
    *items = NULL;
    *n = 0;
    while (r == STORE_OK && (!limit || *n < limit)) {
        r = sql_step(st, &row);
        if (r != STORE_OK || !row)
            break;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            if (limit && ncap > limit)
                ncap = limit;
            char *p = realloc(*items, ncap * t->size);
            if (!p) {
                r = STORE_ERROR;
                break;
            }
            *items = p;
            cap = ncap;
        }
        sql_read(st, t, (char *)*items + (*n)++ * t->size);
    }
    if (r == STORE_OK && !*items)
        *items = calloc(1, t->size); /* an empty list is not NULL */
    if (r != STORE_OK || !*items) {
        free(*items);
        *items = NULL;
        *n = 0;
        if (r == STORE_OK)
            r = STORE_ERROR;
    }
    return r;
}

static enum store_result sql_vone(struct sql_conn *c, int flags, const char *sql, const struct sql_row *t,
                                  void *item, const char *fmt, va_list ap)
{
    struct sql_stmt *st;
    enum store_result r = sql_vopen(c, flags, sql, &st, fmt, ap);
    if (r != STORE_OK)
        return r;
    int row = 0;
    r = sql_step(st, &row);
    if (r == STORE_OK && row)
        sql_read(st, t, item);
    else if (r == STORE_OK)
        r = STORE_NOT_FOUND;
    sql_finish(st);
    return r;
}

static const struct sql_field sql_i64_field[] = {{0, sizeof(int64_t), 'l'}};
const struct sql_row sql_i64_row = {sizeof(int64_t), sql_i64_field, 1};

static enum store_result sql_vint(struct sql_conn *c, int flags, const char *sql, int64_t *v, int *found,
                                  const char *fmt, va_list ap)
{
    int64_t first;
    enum store_result r = sql_vone(c, flags, sql, &sql_i64_row, &first, fmt, ap);
    if (r == STORE_OK)
        *v = first;
    if (found)
        *found = r == STORE_OK;
    return r == STORE_NOT_FOUND ? STORE_OK : r;
}

enum store_result sql_int(struct sql_conn *c, int flags, const char *sql, int64_t *v, int *found, const char *fmt,
                          ...)
{
    SQL_RETURN_VA(sql_vint(c, flags, sql, v, found, fmt, ap));
}

enum store_result sql_one(struct sql_conn *c, int flags, const char *sql, const struct sql_row *t, void *item,
                          const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vone(c, flags, sql, t, item, fmt, ap));
}

static enum store_result sql_vmany(struct sql_conn *c, int flags, const char *sql, const struct sql_row *t,
                                   size_t limit, void **items, size_t *n, const char *fmt, va_list ap)
{
    struct sql_stmt *st;
    *items = NULL;
    *n = 0;
    enum store_result r = sql_vopen(c, flags, sql, &st, fmt, ap);
    if (r != STORE_OK)
        return r;
    r = sql_rows(st, t, limit, items, n);
    sql_finish(st);
    return r;
}

enum store_result sql_many(struct sql_conn *c, int flags, const char *sql, const struct sql_row *t, size_t limit,
                           void **items, size_t *n, const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vmany(c, flags, sql, t, limit, items, n, fmt, ap));
}

enum store_result sql_done_rows(struct store *s, struct sql_conn *c, enum store_result r, void **items, size_t *n)
{
    r = sql_done(s, c, r);
    if (r != STORE_OK) {
        free(*items);
        *items = NULL;
        *n = 0;
    }
    return r;
}

static enum store_result sql_vquery_rows(struct store *s, enum sql_tx kind, int flags, const char *sql,
                                        const struct sql_row *t, size_t limit, void **items, size_t *n,
                                        const char *fmt, va_list ap)
{
    struct sql_conn *c;
    *items = NULL;
    *n = 0;
    enum store_result r = sql_start(s, kind, &c);
    return r == STORE_OK ? sql_done_rows(s, c, sql_vmany(c, flags, sql, t, limit, items, n, fmt, ap), items, n) : r;
}

enum store_result sql_query_rows(struct store *s, int flags, const char *sql, const struct sql_row *t, size_t limit,
                                 void **items, size_t *n, const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vquery_rows(s, SQL_TX_NONE, flags, sql, t, limit, items, n, fmt, ap));
}

enum store_result sql_write_rows(struct store *s, int flags, const char *sql, const struct sql_row *t, size_t limit,
                                 void **items, size_t *n, const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vquery_rows(s, SQL_TX_ONE, flags, sql, t, limit, items, n, fmt, ap));
}

static enum store_result sql_vquery_one(struct store *s, enum sql_tx kind, int flags, const char *sql,
                                        const struct sql_row *t, void *item, const char *fmt, va_list ap)
{
    struct sql_conn *c;
    enum store_result r = sql_start(s, kind, &c);
    return r == STORE_OK ? sql_done(s, c, sql_vone(c, flags, sql, t, item, fmt, ap)) : r;
}

enum store_result sql_query_one(struct store *s, int flags, const char *sql, const struct sql_row *t, void *item,
                                const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vquery_one(s, SQL_TX_NONE, flags, sql, t, item, fmt, ap));
}

enum store_result sql_write_one(struct store *s, int flags, const char *sql, const struct sql_row *t, void *item,
                                const char *fmt, ...)
{
    SQL_RETURN_VA(sql_vquery_one(s, SQL_TX_ONE, flags, sql, t, item, fmt, ap));
}

enum store_result sql_get_owned(struct store *s, int flags, const char *sql, const struct sql_row *t, const char *id,
                                int64_t customer_id, void *out)
{
    if (!id || !out)
        return STORE_ERROR;
    return sql_query_one(s, flags, sql, t, out, "ti", id, customer_id);
}

enum store_result sql_lease(struct store *s, const struct sql_lease *l, int64_t now_ms, int64_t lease_ms,
                            size_t limit, void **items, size_t *n)
{
    struct sql_conn *c;
    *items = NULL;
    *n = 0;
    enum store_result r = sql_start(s, l->push ? SQL_TX_WRITE : SQL_TX_ONE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_many(c, SQL_CACHE, l->take, l->row, limit, items, n, "iii", now_ms, lease_ms,
                 (int64_t)(limit > INT32_MAX ? INT32_MAX : limit));
    for (size_t i = 0; r == STORE_OK && l->push && i < *n; i++)
        r = sql_exec(c, SQL_CACHE, l->push, NULL, "tii", (const char *)*items + i * l->row->size + l->key_off,
                     now_ms + lease_ms, now_ms);
    return sql_done_rows(s, c, r, items, n);
}

void sql_col_text(struct sql_stmt *st, int i, char *dst, size_t cap)
{
    if (!cap)
        return;
    const char *v = st->c->d->col_text(st, i);
    size_t n = v ? strlen(v) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, v, n);
    dst[n] = '\0';
}

int sql_fits(const char *v, size_t cap)
{
    return v && strnlen(v, cap) < cap;
}

void sql_copy_utf8(char *dst, size_t cap, const char *s)
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
