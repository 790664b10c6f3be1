/* decimal.c — see decimal.h. */
#include "util/decimal.h"

#include <string.h>

int64_t decimal_parse(const char *s)
{
    size_t n = s ? strnlen(s, 19) : 0;
    if (n == 0 || n > 18) /* 18 digits cannot overflow int64 */
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}
