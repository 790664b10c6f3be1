/* groups.c — asset groups: create, read, list, rename, delete.
 *
 * A create reserves its place in the customer's quota before calling the
 * upstream (store.h explains the reservation): the quota check and the
 * insert share one transaction, so no number of concurrent creates ever
 * yields more than CORE_MAX_GROUPS groups, and the upstream is never asked
 * for a group that would exceed it. */
#include <string.h>

#include "core/asset_cache.h"
#include "core/internal.h"
#include "util/clock.h"

enum core_code core_create_group(struct core *c, const struct customer *cu, const char *name,
                                 const char *description, const char *type, char id_out[static IDS_MAX],
                                 struct core_status *st)
{
    if (rules_name("Name", name, 1, st) || rules_description(description, st))
        return st->code;
    if (!type)
        return core_fail(st, CORE_INVALID_PARAMETER, "GroupType is required; use \"AIGC\".");
    if (strcmp(type, "LivenessFace") == 0)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "LivenessFace groups are created only by the H5 liveness flow "
                         "(CreateVisualValidateSession); use GroupType \"AIGC\".");
    if (strcmp(type, "AIGC") != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "GroupType must be \"AIGC\".");
    if (!cu->aigc_enabled)
        return core_fail(st, CORE_AIGC_NOT_AVAILABLE,
                         "AIGC groups are not enabled for your account; ask your operator to enable them.");

    struct store *s = c->store;
    int64_t handle;
    int64_t reserved = clock_wall_ms(), deadline = budget_deadline(&c->budget);
    char tag[STORE_TAG_MAX]; /* the upstream Name's, for good (reconcile.c) */
    reconcile_new_tag(tag);
    enum store_result r;
    /* At the quota only because creates are in flight: not full yet. Wait
     * for them to settle (inflight.c), then answer for good. */
    for (;;) {
        uint64_t seen = inflight_kicks(c);
        r = s->ops->reserve_group(s, cu->id, type, name, description ? description : "", CORE_MAX_GROUPS, reserved,
                                  tag, &handle);
        if (r != STORE_QUOTA_PENDING)
            break;
        if (inflight_wait_settle(c, seen, deadline) != 0)
            return core_quota_busy(st);
    }
    if (r == STORE_QUOTA)
        return core_fail(st, CORE_QUOTA_EXCEEDED,
                         "You already have %d asset groups; delete one before creating another.", CORE_MAX_GROUPS);
    if (r != STORE_OK)
        return core_store_failure(r, st);

    /* reconciliation: a lost answer is found again by the tag, not repeated blindly */
    struct reconcile_create rq = {.is_group = 1, .handle = handle, .reserved_ms = reserved, .customer_id = cu->id,
                                  .name = name, .description = description ? description : "", .group_type = type,
                                  .tag = tag, .deadline = deadline};
    int in_doubt = 0;
    if (reconcile_create(c, &rq, id_out, &in_doubt, st) != CORE_OK) {
        if (!in_doubt) { /* in doubt: the reconciler owns the reservation */
            s->ops->release_group(s, handle);
            inflight_kick(c); /* its place is free again */
        }
        return st->code;
    }
    r = s->ops->confirm_group(s, handle, id_out, clock_wall_ms());
    inflight_kick(c); /* a request waiting on a full quota may answer now */
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

enum core_code core_get_group(struct core *c, const struct customer *cu, const char *id, struct group *out,
                              struct core_status *st)
{
    if (rules_id("Id", id, st))
        return st->code;
    enum store_result r = c->store->ops->get_group(c->store, cu->id, id, out);
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset group");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

enum core_code core_list_groups(struct core *c, const struct customer *cu, const struct group_filter *f,
                                int page_number, int page_size, struct group_list *out, struct core_status *st)
{
    if (rules_page(page_number, page_size, st))
        return st->code;
    if (f->type && strcmp(f->type, "AIGC") && strcmp(f->type, "LivenessFace"))
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.GroupType must be \"AIGC\" or \"LivenessFace\".");
    if (f->name_sub && core_utf8_chars(f->name_sub) > CORE_NAME_CHARS)
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.Name must be at most %d characters.", CORE_NAME_CHARS);
    enum store_result r = c->store->ops->list_groups(c->store, cu->id, f, page_number, page_size, out);
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

/* The common start of changing a group: the id is the caller's (else
 * Forbidden, whether or not it exists: core_get_group), and the shared
 * budget allows one more upstream update or delete. */
static enum core_code owned_group_to_change(struct core *c, const struct customer *cu, const char *id,
                                            struct group *out, struct core_status *st)
{
    enum core_code code = core_get_group(c, cu, id, out, st);
    return code != CORE_OK ? code : budget_take(&c->budget, &c->budget.mutate, cu->id, budget_deadline(&c->budget), st);
}

enum core_code core_update_group(struct core *c, const struct customer *cu, const char *id, const char *name,
                                 const char *description, struct core_status *st)
{
    if (!name && !description)
        return core_fail(st, CORE_INVALID_PARAMETER, "Give Name, Description or both to update.");
    if (rules_name("Name", name, 0, st) || rules_description(description, st))
        return st->code;
    struct group g;
    if (owned_group_to_change(c, cu, id, &g, st))
        return st->code;
    enum store_result r;
    struct up_error err = {0};
    /* The group's own tag stays last in its upstream Name (reconcile.c). */
    char up_name[UP_NAME_MAX];
    if (name && g.tag[0])
        reconcile_upstream_name(name, "group", g.tag, up_name);
    enum up_result u = c->up->ops->update_group(c->up, id, name && g.tag[0] ? up_name : name, description, &err);
    core_count_upstream(c, cu->id, "UpdateAssetGroup", u);
    if (u != UP_OK)
        return core_upstream_failure("UpdateAssetGroup", u, &err, st);
    r = c->store->ops->update_group(c->store, cu->id, id, name, description, clock_wall_ms());
    if (r == STORE_NOT_FOUND) /* deleted meanwhile */
        return core_forbidden(st, "asset group");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

enum core_code core_delete_group(struct core *c, const struct customer *cu, const struct actor *who, const char *id,
                                 struct core_status *st)
{
    struct group g;
    if (owned_group_to_change(c, cu, id, &g, st))
        return st->code;
    enum store_result r;
    struct up_error err = {0};
    enum up_result u = c->up->ops->delete_group(c->up, id, &err);
    core_count_upstream(c, cu->id, "DeleteAssetGroup", u);
    /* NotFound: already gone upstream, which is what we wanted. */
    if (u != UP_OK && u != UP_NOT_FOUND)
        return core_upstream_failure("DeleteAssetGroup", u, &err, st);
    int64_t now = clock_wall_ms();
    r = c->store->ops->delete_group(c->store, cu->id, id, now, who);
    asset_cache_invalidate(c->asset_cache);
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset group");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    inflight_kick(c); /* its Processing assets held places in flight */
    core_remove_group_blobs(c, cu, id, now);
    return CORE_OK;
}
