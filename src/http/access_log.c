/* access_log.c — see access_log.h. Written by hand into a stack buffer:
 * building a jansson object per request cost more than the request. */
#include "http/access_log.h"

#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

struct out {
    char *p, *end; /* end: the last byte, kept for the NUL */
    int full;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->full || (size_t)(o->end - o->p) < n) {
        o->full = 1;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

#define PUT_LIT(o, lit) put(o, lit, sizeof lit - 1)

/* A JSON string as jansson escapes it (compact, UTF-8 passed through). */
static void put_string(struct out *o, const char *s)
{
    PUT_LIT(o, "\"");
    const char *run = s;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        size_t n = 2;
        switch (*c) {
        case '"': memcpy(esc, "\\\"", 2); break;
        case '\\': memcpy(esc, "\\\\", 2); break;
        case '\b': memcpy(esc, "\\b", 2); break;
        case '\f': memcpy(esc, "\\f", 2); break;
        case '\n': memcpy(esc, "\\n", 2); break;
        case '\r': memcpy(esc, "\\r", 2); break;
        case '\t': memcpy(esc, "\\t", 2); break;
        default:
            if (*c >= 0x20)
                continue;
            n = (size_t)snprintf(esc, sizeof esc, "\\u%04X", *c);
        }
        put(o, run, (size_t)((const char *)c - run));
        put(o, esc, n);
        run = (const char *)c + 1;
    }
    put(o, run, strlen(run));
    PUT_LIT(o, "\"");
}

static void put_int(struct out *o, int64_t v)
{
    char d[24];
    char *q = d + sizeof d;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--q = '-';
    put(o, q, (size_t)(d + sizeof d - q));
}

size_t access_log_format(const struct access_entry *e, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    struct out o = {out, out + cap - 1, 0};
    char when[21];
    clock_rfc3339(e->wall_ms, when);
    PUT_LIT(&o, "{\"time\":");
    put_string(&o, when);
    PUT_LIT(&o, ",\"request_id\":");
    put_string(&o, e->request_id);
    PUT_LIT(&o, ",\"customer\":");
    put_int(&o, e->customer_id);
    PUT_LIT(&o, ",\"method\":");
    put_string(&o, e->method);
    PUT_LIT(&o, ",\"path\":");
    put_string(&o, e->path);
    PUT_LIT(&o, ",\"action\":");
    put_string(&o, e->action);
    PUT_LIT(&o, ",\"status\":");
    put_int(&o, e->status);
    PUT_LIT(&o, ",\"error\":");
    put_string(&o, e->error);
    PUT_LIT(&o, ",\"duration_ms\":");
    put_int(&o, e->duration_ms);
    PUT_LIT(&o, "}");
    *o.p = '\0';
    return o.full ? 0 : (size_t)(o.p - out);
}

void access_log_write(const struct access_entry *e)
{
    char line[2048];
    size_t n = access_log_format(e, line, sizeof line - 1);
    if (n) {
        line[n++] = '\n';
        log_write_lines(line, n);
    }
}
