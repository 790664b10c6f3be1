/* auth.c — API key authentication with a short-lived cache.
 *
 * Keys are looked up by their SHA-256 in the store. A positive answer is
 * cached for AUTH_TTL_MS so that the hot path (GetAsset polling) does not
 * touch the store's key table on every request; revocations therefore take
 * effect within that time. Unknown keys are never cached, so a key issued by
 * `porticod keys create` in another process works at once. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/keys.h"
#include "util/clock.h"
#include "util/crypto.h"

#define AUTH_TTL_MS 800
#define AUTH_SLOTS 4096 /* power of two */

struct auth_slot {
    uint8_t hash[32];
    struct customer cu;
    int64_t checked_ms;
    int used;
};

struct auth_cache {
    pthread_rwlock_t mu;
    struct auth_slot slots[AUTH_SLOTS];
};

struct auth_cache *auth_cache_new(void)
{
    struct auth_cache *a = calloc(1, sizeof *a);
    if (a)
        pthread_rwlock_init(&a->mu, NULL);
    return a;
}

void auth_cache_free(struct auth_cache *a)
{
    if (!a)
        return;
    pthread_rwlock_destroy(&a->mu);
    free(a);
}

static size_t slot_of(const uint8_t hash[32])
{
    size_t i;
    memcpy(&i, hash, sizeof i);
    return i & (AUTH_SLOTS - 1);
}

static int well_formed(const char *key)
{
    size_t n = strlen(key);
    if (n != KEYS_LEN || strncmp(key, "ptc_", 4) != 0)
        return 0;
    for (size_t i = 4; i < n; i++) {
        char ch = key[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            return 0;
    }
    return 1;
}

enum core_code core_authenticate(struct core *c, const char *key, struct customer *out, struct core_status *st)
{
    if (!key || !well_formed(key))
        return core_fail(st, CORE_UNAUTHORIZED,
                         "Send a valid API key as 'Authorization: Bearer <key>'; keys come from 'porticod keys create'.");
    uint8_t hash[32];
    crypto_sha256(key, strlen(key), hash);
    size_t i = slot_of(hash);
    int64_t now = clock_mono_ms();
    struct auth_cache *a = c->auth;

    pthread_rwlock_rdlock(&a->mu);
    struct auth_slot *s = &a->slots[i];
    if (s->used && now - s->checked_ms < AUTH_TTL_MS && crypto_equal(s->hash, hash, 32)) {
        *out = s->cu;
        pthread_rwlock_unlock(&a->mu);
        return CORE_OK;
    }
    pthread_rwlock_unlock(&a->mu);

    enum store_result r = c->store->ops->find_key(c->store, hash, out);
    if (r == STORE_NOT_FOUND) {
        pthread_rwlock_wrlock(&a->mu);
        if (s->used && crypto_equal(s->hash, hash, 32))
            s->used = 0;
        pthread_rwlock_unlock(&a->mu);
        return core_fail(st, CORE_UNAUTHORIZED,
                         "The API key is unknown or revoked; ask your operator for a new one.");
    }
    if (r != STORE_OK)
        return core_store_failure(r, st);

    pthread_rwlock_wrlock(&a->mu);
    memcpy(s->hash, hash, 32);
    s->cu = *out;
    s->checked_ms = now;
    s->used = 1;
    pthread_rwlock_unlock(&a->mu);
    return CORE_OK;
}
