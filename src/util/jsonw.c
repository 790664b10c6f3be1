/* jsonw.c — see jsonw.h. */
#include "util/jsonw.h"

#include <stdio.h>
#include <string.h>

/* The usual string (ids, names, the envelope's fields) needs no escape:
 * written with one reservation and one copy. */
static int plain(struct buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n + 2) != BUF_OK)
        return -1;
    char *p = b->data + b->len;
    p[0] = '"';
    memcpy(p + 1, s, n);
    p[n + 1] = '"';
    p[n + 2] = '\0';
    b->len += n + 2;
    return 0;
}

int jsonw_string(struct buf *b, const char *s)
{
    size_t n = 0;
    for (unsigned char c; (c = (unsigned char)s[n]) >= 0x20 && c != '"' && c != '\\';)
        n++;
    if (!s[n])
        return plain(b, s, n);
    int rc = buf_append(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (;; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue; /* the common case: copied with its run */
        if (c == 0)
            break;
        const char *esc;
        char u[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            snprintf(u, sizeof u, "\\u%04x", c);
            esc = u;
        }
        rc |= buf_append(b, run, (size_t)(p - run));
        rc |= buf_puts(b, esc);
        run = p + 1;
    }
    rc |= buf_append(b, run, (size_t)(p - run));
    rc |= buf_append(b, "\"", 1);
    return rc ? -1 : 0;
}
