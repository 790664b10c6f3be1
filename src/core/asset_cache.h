/* asset_cache.h — a short-lived cache of asset records for GetAsset.
 *
 * Clients poll GetAsset every few seconds and platforms poll many assets;
 * each answer would otherwise be a store read. An entry is trusted for at
 * most ASSET_CACHE_TTL_MS, and every change this process makes to any
 * asset record bumps a generation that invalidates all entries at once, so
 * this node never serves an answer older than its own last write, and
 * other nodes' writes (PostgreSQL scale-out) show within the TTL. */
#ifndef PORTICO_CORE_ASSET_CACHE_H
#define PORTICO_CORE_ASSET_CACHE_H
#include <stdint.h>

#include "store/store.h"

#define ASSET_CACHE_TTL_MS 250

struct asset_cache;

struct asset_cache *asset_cache_new(void);
void asset_cache_free(struct asset_cache *c);
/* 1 and *out filled when a fresh entry for id exists. The caller checks
 * ownership against out->customer_id. */
int asset_cache_get(struct asset_cache *c, const char *id, struct asset *out);
/* GetAsset's read, without a lock (asset_cache.c): for a fresh entry of
 * id owned by customer_id, appends the Asset's JSON text (exactly what
 * render_asset_text writes) to out: HIT. NOT_YOURS: a fresh entry of
 * another customer (answer as for a missing asset); MISS: no fresh entry
 * with its text (the asset's bytes are Portico's, so its URL is signed
 * per read; or out is full): read it the usual way. */
enum asset_cache_hit { ASSET_CACHE_MISS, ASSET_CACHE_HIT, ASSET_CACHE_NOT_YOURS };
struct buf;
enum asset_cache_hit asset_cache_text(struct asset_cache *c, const char *id, int64_t customer_id, struct buf *out);
/* gen is asset_cache_generation() read BEFORE the store read that produced
 * a: a write racing the read then keeps the entry from being used. */
void asset_cache_put(struct asset_cache *c, const struct asset *a, uint64_t gen);
uint64_t asset_cache_generation(struct asset_cache *c);
/* Some asset record changed. */
void asset_cache_invalidate(struct asset_cache *c);

#endif
