/* assets.c — assets: register by URL, read, list, rename, delete.
 *
 * Reads are answered from Portico's own records: a customer polling
 * GetAsset every few seconds never costs the shared upstream account a
 * call. The refresher (refresher.c) keeps Processing records fresh. */
#include <string.h>

#include "core/asset_cache.h"
#include "core/internal.h"
#include "util/clock.h"

enum core_code core_create_asset(struct core *c, const struct customer *cu, const struct actor *who,
                                 const char *group_id, const char *url, const char *type, const char *name,
                                 char id_out[static IDS_MAX], struct core_status *st)
{
    if (rules_id("GroupId", group_id, st) || rules_url(url, st) || core_url_check(c, url, st) ||
        rules_asset_type(type, st) || rules_name("Name", name, 0, st))
        return st->code;

    /* The default pipeline: a pending row, then the upstream fetches url. */
    struct core_create cr = {.cu = cu, .who = who, .group_id = group_id, .asset_type = type, .name = name,
                             .url = url, .record_url = url};
    return core_create_pipeline(c, &cr, id_out, st);
}

enum core_code core_get_asset(struct core *c, const struct customer *cu, const char *id, struct asset *out,
                              struct core_status *st)
{
    if (rules_id("Id", id, st))
        return st->code;
    if (asset_cache_get(c->asset_cache, id, out)) {
        if (out->customer_id != cu->id)
            return core_forbidden(st, "asset");
        return CORE_OK;
    }
    uint64_t gen = asset_cache_generation(c->asset_cache);
    enum store_result r = c->store->ops->get_asset(c->store, cu->id, id, out);
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    asset_cache_put(c->asset_cache, out, gen);
    return CORE_OK;
}

enum core_code core_get_asset_text(struct core *c, const struct customer *cu, const char *id, struct buf *out,
                                   struct core_status *st)
{
    if (rules_id("Id", id, st))
        return st->code;
    switch (asset_cache_text(c->asset_cache, id, cu->id, out)) {
    case ASSET_CACHE_HIT:
        return CORE_OK;
    case ASSET_CACHE_NOT_YOURS:
        return core_forbidden(st, "asset");
    case ASSET_CACHE_MISS:
        break;
    }
    struct asset as;
    if (core_get_asset(c, cu, id, &as, st))
        return st->code;
    core_asset_media_url(c, &as); /* uploads: a freshly signed URL */
    if (render_asset_text(&as, out) != 0)
        return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
    return CORE_OK;
}

enum core_code core_get_asset_fresh(struct core *c, const struct customer *cu, const char *id, struct asset *out,
                                    struct core_status *st)
{
    if (rules_id("Id", id, st))
        return st->code;
    enum store_result r = c->store->ops->get_asset(c->store, cu->id, id, out);
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset");
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}

static int known_status(const char *s)
{
    return !strcmp(s, "Processing") || !strcmp(s, "Active") || !strcmp(s, "Failed");
}

enum core_code core_list_assets(struct core *c, const struct customer *cu, const struct asset_filter *f,
                                int page_number, int page_size, struct asset_list *out, struct core_status *st)
{
    if (rules_page(page_number, page_size, st))
        return st->code;
    if (f->n_group_ids > CORE_FILTER_IDS_MAX)
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.GroupIds may hold at most %d ids.", CORE_FILTER_IDS_MAX);
    if (f->n_statuses > 3)
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.Statuses may hold at most 3 statuses.");
    for (size_t i = 0; i < f->n_statuses; i++)
        if (!known_status(f->statuses[i]))
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "Filter.Statuses may contain only Processing, Active and Failed.");
    if (f->type && rules_asset_type(f->type, st))
        return st->code;
    /* A GroupId in the filter is an id like any other: naming a group the
     * caller does not own is Forbidden, never an empty page that would
     * tell existing from missing apart. */
    for (size_t i = 0; i < f->n_group_ids; i++) {
        struct group g;
        enum store_result gr = c->store->ops->get_group(c->store, cu->id, f->group_ids[i], &g);
        if (gr == STORE_NOT_FOUND)
            return core_forbidden(st, "asset group");
        if (gr != STORE_OK)
            return core_store_failure(gr, st);
    }
    if (f->name_sub && core_utf8_chars(f->name_sub) > CORE_NAME_CHARS)
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.Name must be at most %d characters.", CORE_NAME_CHARS);
    enum store_result r = c->store->ops->list_assets(c->store, cu->id, f, page_number, page_size, out);
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

/* The common start of changing an asset: the id is the caller's (else
 * Forbidden, whether or not it exists), and the shared budget allows one
 * more upstream update or delete. */
static enum core_code owned_asset_to_change(struct core *c, const struct customer *cu, const char *id,
                                            struct asset *out, struct core_status *st)
{
    if (rules_id("Id", id, st))
        return st->code;
    enum store_result r = c->store->ops->get_asset(c->store, cu->id, id, out);
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return budget_take(&c->budget, &c->budget.mutate, cu->id, budget_deadline(&c->budget), st);
}

enum core_code core_update_asset(struct core *c, const struct customer *cu, const char *id, const char *name,
                                 struct core_status *st)
{
    if (rules_name("Name", name, 1, st))
        return st->code;
    struct asset a;
    if (owned_asset_to_change(c, cu, id, &a, st))
        return st->code;
    enum store_result r;
    struct up_error err = {0};
    /* The asset's own tag stays last in its upstream Name (reconcile.c). */
    char up_name[UP_NAME_MAX];
    if (a.tag[0])
        reconcile_upstream_name(name, "asset", a.tag, up_name);
    enum up_result u = c->up->ops->update_asset(c->up, id, a.tag[0] ? up_name : name, &err);
    core_count_upstream(c, cu->id, "UpdateAsset", u);
    if (u != UP_OK)
        return core_upstream_failure("UpdateAsset", u, &err, st);
    r = c->store->ops->update_asset(c->store, cu->id, id, name, clock_wall_ms());
    asset_cache_invalidate(c->asset_cache);
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

enum core_code core_delete_asset(struct core *c, const struct customer *cu, const struct actor *who, const char *id,
                                 struct core_status *st)
{
    struct asset a;
    if (owned_asset_to_change(c, cu, id, &a, st))
        return st->code;
    enum store_result r;
    struct up_error err = {0};
    enum up_result u = c->up->ops->delete_asset(c->up, id, &err);
    core_count_upstream(c, cu->id, "DeleteAsset", u);
    if (u != UP_OK && u != UP_NOT_FOUND)
        return core_upstream_failure("DeleteAsset", u, &err, st);
    r = c->store->ops->delete_asset(c->store, cu->id, id, clock_wall_ms(), who);
    asset_cache_invalidate(c->asset_cache);
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    inflight_kick(c); /* its place in the group, and in flight while Processing */
    /* Uploaded bytes go after the record: the other order could leave a
     * live record whose URL points at nothing. */
    core_remove_blob(c, a.blob_key);
    return CORE_OK;
}
