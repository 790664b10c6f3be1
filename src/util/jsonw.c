/* jsonw.c — see jsonw.h. */
#include "util/jsonw.h"

#include <stdio.h>
#include <string.h>

int jsonw_string(struct buf *b, const char *s)
{
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
