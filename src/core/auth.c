/* auth.c — API key authentication with a short-lived cache.
 *
 * Keys are looked up by their SHA-256 in the store. A positive answer is
 * cached for AUTH_TTL_MS so that the hot path (GetAsset polling) does not
 * touch the store's key table on every request; revocations therefore take
 * effect within that time. Unknown keys are never cached, so a key issued by
 * `porticod keys create` in another process works at once. The cache slot
 * of a key also carries its per-key rate limit.
 *
 * The cached answer includes the customer's Disabled flag and KeyRate
 * (API.md §7): an operator's change to either, like a revocation, reaches
 * every node within AUTH_TTL_MS, since each node reads the store again
 * once its slot is that old. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/keys.h"
#include "util/clock.h"
#include "util/crypto.h"

#define AUTH_TTL_MS 800
#define AUTH_SLOTS 4096 /* power of two */
#define AUTH_STRIPES 64

/* A slot also holds its key's request budget (per-key rate limit): a
 * token bucket of key_rate tokens per second, key_burst deep. */
struct auth_slot {
    uint8_t hash[32];
    struct customer cu;
    char prefix[32]; /* the key's (audit: struct actor) */
    int64_t checked_ms;
    int used;
    double tokens;
    int64_t refill_ms;
};

struct auth_cache {
    pthread_mutex_t mu[AUTH_STRIPES];
    struct auth_slot slots[AUTH_SLOTS];
};

struct auth_cache *auth_cache_new(void)
{
    struct auth_cache *a = calloc(1, sizeof *a);
    if (a)
        for (int i = 0; i < AUTH_STRIPES; i++)
            pthread_mutex_init(&a->mu[i], NULL);
    return a;
}

void auth_cache_free(struct auth_cache *a)
{
    if (!a)
        return;
    for (int i = 0; i < AUTH_STRIPES; i++)
        pthread_mutex_destroy(&a->mu[i]);
    free(a);
}

static size_t slot_of(const uint8_t hash[32])
{
    size_t i;
    memcpy(&i, hash, sizeof i);
    return i & (AUTH_SLOTS - 1);
}

/* The request rate of a customer's keys: its own KeyRate (burst twice
 * that), else the gateway's --key-rate / --key-burst; 0: no limit. */
static void key_rate_of(const struct core_config *cfg, const struct customer *cu, double *rate, double *burst)
{
    if (cu->key_rate > 0) {
        *rate = cu->key_rate;
        *burst = 2.0 * cu->key_rate;
        return;
    }
    *rate = cfg->key_rate;
    *burst = cfg->key_burst > 0 ? cfg->key_burst : cfg->key_rate;
}

/* Takes one request token of the slot's key; 0, or the wait in ms. Called
 * with the slot's stripe locked. */
static int64_t take_request_token(const struct core_config *cfg, struct auth_slot *s, int64_t now)
{
    double rate, burst;
    key_rate_of(cfg, &s->cu, &rate, &burst);
    if (rate <= 0)
        return 0;
    s->tokens += (double)(now - s->refill_ms) * rate / 1000.0;
    if (s->tokens > burst)
        s->tokens = burst;
    s->refill_ms = now;
    if (s->tokens >= 1) {
        s->tokens -= 1;
        return 0;
    }
    return (int64_t)((1 - s->tokens) * 1000.0 / rate) + 1;
}

static enum core_code rate_limited(struct core_status *st, int64_t wait_ms)
{
    core_fail(st, CORE_TOO_MANY_REQUESTS,
              "This API key is sending requests too fast; retry after the time in the Retry-After header.");
    st->retry_after_s = (int)((wait_ms + 999) / 1000);
    return CORE_TOO_MANY_REQUESTS;
}

/* The answer for a known key: refused when its customer is disabled, else
 * rate-limited. Called with the slot's stripe locked. */
static enum core_code admit(struct core *c, struct auth_slot *s, int64_t now, struct customer *out,
                            struct actor *who, struct core_status *st)
{
    *out = s->cu;
    if (who) {
        who->customer_id = s->cu.id;
        memcpy(who->key_prefix, s->prefix, sizeof who->key_prefix);
    }
    if (s->cu.disabled)
        return core_fail(st, CORE_UNAUTHORIZED,
                         "The customer of this API key is disabled; contact your operator.");
    int64_t wait = take_request_token(&c->cfg, s, now);
    return wait ? rate_limited(st, wait) : CORE_OK;
}

void core_key_memo_wipe(struct core_key_memo *memo)
{
    if (memo)
        explicit_bzero(memo, sizeof *memo);
}

/* The key's SHA-256, from the connection's memo when it is the same key
 * as last time: compared in full and in constant time (a proxy's
 * connection may carry several clients' keys). */
static void key_hash(const char *key, struct core_key_memo *memo, uint8_t hash[32])
{
    size_t n = strlen(key); /* KEYS_LEN: keys_well_formed */
    if (memo && n < sizeof memo->key && crypto_equal(memo->key, key, n + 1)) {
        memcpy(hash, memo->hash, 32);
        return;
    }
    crypto_sha256(key, n, hash);
    if (memo && n < sizeof memo->key) {
        memcpy(memo->key, key, n + 1);
        memcpy(memo->hash, hash, 32);
    }
}

enum core_code core_authenticate(struct core *c, const char *key, struct customer *out, struct actor *who,
                                 struct core_status *st)
{
    return core_authenticate_memo(c, key, NULL, out, who, st);
}

enum core_code core_authenticate_memo(struct core *c, const char *key, struct core_key_memo *memo,
                                      struct customer *out, struct actor *who, struct core_status *st)
{
    if (!key || !keys_well_formed(key))
        return core_fail(st, CORE_UNAUTHORIZED,
                         "Send a valid API key as 'Authorization: Bearer <key>'; keys come from 'porticod keys create'.");
    uint8_t hash[32];
    key_hash(key, memo, hash);
    size_t i = slot_of(hash);
    pthread_mutex_t *mu = &c->auth->mu[i % AUTH_STRIPES];
    struct auth_slot *s = &c->auth->slots[i];
    int64_t now = clock_mono_ms();
    enum core_code rc;

    pthread_mutex_lock(mu);
    if (s->used && now - s->checked_ms < AUTH_TTL_MS && crypto_equal(s->hash, hash, 32)) {
        rc = admit(c, s, now, out, who, st);
        pthread_mutex_unlock(mu);
        return rc;
    }
    pthread_mutex_unlock(mu);

    char prefix[32] = "";
    enum store_result r = c->store->ops->find_key(c->store, hash, out, prefix);
    if (r == STORE_NOT_FOUND) {
        pthread_mutex_lock(mu);
        if (s->used && crypto_equal(s->hash, hash, 32))
            s->used = 0;
        pthread_mutex_unlock(mu);
        return core_fail(st, CORE_UNAUTHORIZED,
                         "The API key is unknown or revoked; ask your operator for a new one.");
    }
    if (r != STORE_OK)
        return core_store_failure(r, st);

    pthread_mutex_lock(mu);
    if (!s->used || !crypto_equal(s->hash, hash, 32)) {
        /* A new occupant starts with a full budget. */
        double rate, burst;
        key_rate_of(&c->cfg, out, &rate, &burst);
        memcpy(s->hash, hash, 32);
        s->tokens = burst;
        s->refill_ms = now;
    }
    s->cu = *out;
    memcpy(s->prefix, prefix, sizeof s->prefix);
    s->checked_ms = now;
    s->used = 1;
    rc = admit(c, s, now, out, who, st);
    pthread_mutex_unlock(mu);
    return rc;
}
