/* result.c — core_fail.
 *
 * Callers may pass st->message itself as an argument, to reword a message
 * another check wrote ("Filter.%s", "Callback%s"): the text is formatted
 * into a scratch buffer first, never from st->message into itself. */
#include "core/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum core_code core_fail(struct core_status *st, enum core_code code, const char *fmt, ...)
{
    char text[sizeof st->message] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
    }
    st->code = code;
    st->retry_after_s = 0;
    memcpy(st->message, text, sizeof st->message);
    st->upstream_code[0] = '\0';
    return code;
}
