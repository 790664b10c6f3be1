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

/* Request ids need to be unique, not secret: a per-thread xorshift128+
 * seeded once from the system's generator, instead of a RAND_bytes call
 * (and its getpid) on every request. */
static _Thread_local uint64_t req_state[2];

static uint64_t req_next(void)
{
    if (req_state[0] == 0 && req_state[1] == 0) {
        while (crypto_random(req_state, sizeof req_state) != 0 || (req_state[0] | req_state[1]) == 0)
            ;
    }
    uint64_t x = req_state[0];
    const uint64_t y = req_state[1];
    req_state[0] = y;
    x ^= x << 23;
    req_state[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return req_state[1] + y;
}

void ids_request(char out[static 33])
{
    uint64_t r[2] = {req_next(), req_next()};
    crypto_hex((const uint8_t *)r, sizeof r, out);
}

void ids_random_lower(char *out, size_t n)
{
    random_from("abcdefghijklmnopqrstuvwxyz0123456789", 36, out, n);
}

void ids_random_alnum(char *out, size_t n)
{
    random_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 62, out, n);
}
