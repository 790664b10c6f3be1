/* asset_cache.c — see asset_cache.h. Slots are direct-mapped by a hash of
 * the id. Writers and asset_cache_get hold the slot's striped mutex.
 *
 * asset_cache_text, GetAsset's read, takes no lock: a slot's view (id,
 * owner, age, generation and the Asset's JSON text) is a seqlock, written
 * under the mutex and read optimistically — the reader copies it with
 * relaxed atomic loads and keeps the copy only if the sequence number was
 * even and unchanged across the copy (H.-J. Boehm, "Can seqlocks get
 * along with programming language memory models?", 2012). So the polling
 * that all clients do never writes to a shared cache line. */
#include "core/asset_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "util/buf.h"
#include "util/clock.h"

#define SLOTS 1024 /* power of two */
#define STRIPES 64
/* An Asset's JSON text longer than this is not kept (rendered per read). */
#define TEXT_WORDS 192
#define ID_WORDS (IDS_MAX / 8)

/* What asset_cache_text reads without the lock; every field is written
 * with seq odd. */
struct view {
    atomic_uint_fast64_t seq;
    _Atomic uint64_t gen, filled_ms, customer_id, text_len; /* text_len 0: no text */
    _Atomic uint64_t id[ID_WORDS];
    _Atomic uint64_t text[TEXT_WORDS];
};

struct slot {
    struct asset a;
    uint64_t gen;
    int64_t filled_ms;
    int used;
    struct view v;
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

static int fresh(const struct asset_cache *c, uint64_t gen, int64_t filled_ms, int64_t now)
{
    return gen == atomic_load(&c->gen) && now - filled_ms < ASSET_CACHE_TTL_MS;
}

int asset_cache_get(struct asset_cache *c, const char *id, struct asset *out)
{
    size_t i = slot_of(id);
    int64_t now = clock_mono_ms();
    int hit = 0;
    pthread_mutex_lock(&c->mu[i % STRIPES]);
    struct slot *s = &c->slots[i];
    if (s->used && fresh(c, s->gen, s->filled_ms, now) && strcmp(s->a.id, id) == 0) {
        *out = s->a;
        hit = 1;
    }
    pthread_mutex_unlock(&c->mu[i % STRIPES]);
    return hit;
}

/* Copies n words from the slot's view, each an atomic load. */
static void load_words(uint64_t *dst, _Atomic uint64_t *src, size_t n)
{
    for (size_t k = 0; k < n; k++)
        dst[k] = atomic_load_explicit(&src[k], memory_order_relaxed);
}

static void store_words(_Atomic uint64_t *dst, const void *src, size_t bytes)
{
    uint64_t w;
    for (size_t k = 0; k * 8 < bytes; k++) {
        size_t n = bytes - k * 8 < 8 ? bytes - k * 8 : 8;
        w = 0;
        memcpy(&w, (const char *)src + k * 8, n);
        atomic_store_explicit(&dst[k], w, memory_order_relaxed);
    }
}

enum asset_cache_hit asset_cache_text(struct asset_cache *c, const char *id, int64_t customer_id, struct buf *out)
{
    size_t id_len = strlen(id);
    if (id_len >= IDS_MAX)
        return ASSET_CACHE_MISS;
    struct view *v = &c->slots[slot_of(id)].v;
    uint64_t seq = atomic_load_explicit(&v->seq, memory_order_acquire);
    if (seq & 1)
        return ASSET_CACHE_MISS; /* being written */
    uint64_t gen = atomic_load_explicit(&v->gen, memory_order_relaxed);
    uint64_t filled = atomic_load_explicit(&v->filled_ms, memory_order_relaxed);
    uint64_t owner = atomic_load_explicit(&v->customer_id, memory_order_relaxed);
    uint64_t len = atomic_load_explicit(&v->text_len, memory_order_relaxed);
    uint64_t idw[ID_WORDS], text[TEXT_WORDS];
    load_words(idw, v->id, ID_WORDS);
    if (len == 0 || len > sizeof text)
        return ASSET_CACHE_MISS;
    load_words(text, v->text, (size_t)(len + 7) / 8);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&v->seq, memory_order_relaxed) != seq)
        return ASSET_CACHE_MISS; /* changed meanwhile: the copy may be torn */
    /* A consistent copy: now judge it. */
    const char *cached_id = (const char *)idw;
    if (memcmp(cached_id, id, id_len + 1) != 0 || !fresh(c, gen, (int64_t)filled, clock_mono_ms()))
        return ASSET_CACHE_MISS;
    if ((int64_t)owner != customer_id)
        return ASSET_CACHE_NOT_YOURS;
    return buf_append(out, text, (size_t)len) == BUF_OK ? ASSET_CACHE_HIT : ASSET_CACHE_MISS;
}

void asset_cache_put(struct asset_cache *c, const struct asset *a, uint64_t gen)
{
    /* The text of an asset whose URL is signed per read is not kept. */
    struct buf text;
    buf_init(&text, TEXT_WORDS * 8);
    int has_text = !a->blob_key[0] && render_asset_text(a, &text) == 0 && text.len > 0;
    int64_t now = clock_mono_ms();
    size_t i = slot_of(a->id);
    pthread_mutex_lock(&c->mu[i % STRIPES]);
    struct slot *s = &c->slots[i];
    s->a = *a;
    s->gen = gen;
    s->filled_ms = now;
    s->used = 1;
    struct view *v = &s->v;
    uint64_t seq = atomic_load_explicit(&v->seq, memory_order_relaxed);
    atomic_store_explicit(&v->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&v->gen, gen, memory_order_relaxed);
    atomic_store_explicit(&v->filled_ms, (uint64_t)now, memory_order_relaxed);
    atomic_store_explicit(&v->customer_id, (uint64_t)a->customer_id, memory_order_relaxed);
    char id[IDS_MAX] = {0};
    memcpy(id, a->id, strnlen(a->id, IDS_MAX - 1));
    store_words(v->id, id, sizeof id);
    if (has_text)
        store_words(v->text, text.data, text.len);
    atomic_store_explicit(&v->text_len, has_text ? text.len : 0, memory_order_relaxed);
    atomic_store_explicit(&v->seq, seq + 2, memory_order_release);
    pthread_mutex_unlock(&c->mu[i % STRIPES]);
    buf_free(&text);
}
