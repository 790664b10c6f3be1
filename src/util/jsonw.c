/* jsonw.c — see jsonw.h. */
#include "util/jsonw.h"

#include <stdio.h>
#include <string.h>

int jsonw_string(struct buf *b, const char *s)
{
    int rc = buf_append(b, "\"", 1);
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *esc = NULL;
        char u[8];
        switch (*p) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (*p < 0x20) {
                snprintf(u, sizeof u, "\\u%04x", *p);
                esc = u;
            }
        }
        if (esc) {
            rc |= buf_append(b, run, (size_t)((const char *)p - run));
            rc |= buf_puts(b, esc);
            run = (const char *)p + 1;
        }
    }
    rc |= buf_puts(b, run);
    rc |= buf_append(b, "\"", 1);
    return rc ? -1 : 0;
}
