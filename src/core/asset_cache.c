/* asset_cache.c — see asset_cache.h. Slots are direct-mapped by a hash of
 * the id and guarded by striped mutexes. */
#include "core/asset_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

#define SLOTS 1024 /* power of two */
#define STRIPES 64

struct slot {
    struct asset a;
    uint64_t gen;
    int64_t filled_ms;
    int used;
};

struct asset_cache {
    atomic_uint_fast64_t gen;
    pthread_mutex_t mu[STRIPES];
    struct slot slots[SLOTS];
};

static size_t slot_of(const char *id)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h & (SLOTS - 1));
}

struct asset_cache *asset_cache_new(void)
{
    struct asset_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    atomic_init(&c->gen, 1);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&c->mu[i], NULL);
    return c;
}

void asset_cache_free(struct asset_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&c->mu[i]);
    free(c);
}

uint64_t asset_cache_generation(struct asset_cache *c)
{
    return atomic_load(&c->gen);
}

void asset_cache_invalidate(struct asset_cache *c)
{
    atomic_fetch_add(&c->gen, 1);
}

int asset_cache_get(struct asset_cache *c, const char *id, struct asset *out)
{
    size_t i = slot_of(id);
    uint64_t gen = atomic_load(&c->gen);
    int64_t now = clock_mono_ms();
    int hit = 0;
    pthread_mutex_lock(&c->mu[i % STRIPES]);
    struct slot *s = &c->slots[i];
    if (s->used && s->gen == gen && now - s->filled_ms < ASSET_CACHE_TTL_MS && strcmp(s->a.id, id) == 0) {
        *out = s->a;
        hit = 1;
    }
    pthread_mutex_unlock(&c->mu[i % STRIPES]);
    return hit;
}

void asset_cache_put(struct asset_cache *c, const struct asset *a, uint64_t gen)
{
    size_t i = slot_of(a->id);
    pthread_mutex_lock(&c->mu[i % STRIPES]);
    struct slot *s = &c->slots[i];
    s->a = *a;
    s->gen = gen;
    s->filled_ms = clock_mono_ms();
    s->used = 1;
    pthread_mutex_unlock(&c->mu[i % STRIPES]);
}
