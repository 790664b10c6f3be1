/* ids.c — see ids.h. */
#include "util/ids.h"

#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "util/crypto.h"

static void random_from(const char *alphabet, size_t alen, char *out, size_t n)
{
    uint8_t r[64];
    while (n > 0) {
        size_t chunk = n < sizeof r ? n : sizeof r;
        crypto_random(r, chunk);
        for (size_t i = 0; i < chunk; i++) {
            /* 256 % 36 != 0 leaves a tiny bias; irrelevant for ids that are
             * not secrets. Keys use ids_random_alnum over 62 the same way. */
            *out++ = alphabet[r[i] % alen];
        }
        n -= chunk;
    }
    *out = '\0';
}

void ids_resource(const char *kind, int64_t wall_ms, char out[static IDS_MAX])
{
    char stamp[15], tail[6];
    clock_compact(wall_ms, stamp);
    random_from("abcdefghijklmnopqrstuvwxyz0123456789", 36, tail, 5);
    snprintf(out, IDS_MAX, "%s-%s-%s", kind, stamp, tail);
}

int ids_is_resource(const char *kind, const char *s)
{
    size_t k = strlen(kind);
    if (strncmp(s, kind, k) != 0 || s[k] != '-')
        return 0;
    s += k + 1;
    for (int i = 0; i < 14; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    if (s[14] != '-')
        return 0;
    for (int i = 15; i < 20; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return s[20] == '\0';
}

void ids_request(char out[static 33])
{
    uint8_t r[16];
    crypto_random(r, sizeof r);
    crypto_hex(r, sizeof r, out);
}

void ids_random_alnum(char *out, size_t n)
{
    random_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 62, out, n);
}
