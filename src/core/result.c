/* result.c — core_fail. */
#include "core/result.h"

#include <stdarg.h>
#include <stdio.h>

enum core_code core_fail(struct core_status *st, enum core_code code, const char *fmt, ...)
{
    st->code = code;
    st->retry_after_s = 0;
    st->message[0] = '\0';
    st->upstream_code[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->message, sizeof st->message, fmt, ap);
        va_end(ap);
    }
    return code;
}
