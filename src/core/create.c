/* create.c — the one path by which an asset comes to exist: CreateAsset (a
 * URL), upload (bytes in the request) and CompleteUpload (bytes already in
 * the blob store) all run it.
 *
 *   reserve   a place in the group's quota, a pending row carrying the
 *             reconciliation tag (and the blob key, when the bytes are ours)
 *   [blob]    optional: commit the bytes, or judge the stored ones
 *   register  the upstream create, paid from the create budget, sent with
 *             the tag so a lost answer is found again (reconcile_create)
 *   confirm   the pending row becomes the Processing asset
 *
 * Every failure undoes what came before it, through one rule for each step
 * (enum create_undo), so the three callers cannot disagree about it. The
 * one that matters most — the upstream made the object but the record
 * cannot be confirmed — is undone at once: the caller is answered a
 * failure, so the object is deleted upstream, then the bytes, then the
 * reservation. Leaving it pending for the reconciler instead would let a
 * later sweep adopt it (a pending row nobody answered for is adopted),
 * turning an answer of "failed" into an asset the customer never sees
 * coming, which holds a quota slot and is duplicated by the customer's
 * retry. Only when the upstream cannot be asked now (the delete fails, or
 * the budget is spent) does the reconciler take the row over, in its undo
 * mode: it remains the backstop, never the plan. */
#include <stdio.h>
#include <string.h>

#include "blob/blob.h"
#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"

enum core_code core_quota_busy(struct core_status *st)
{
    return budget_too_many(st, 1000,
                           "The last places of the quota are held by creates still in flight; retry after the time "
                           "in the Retry-After header.");
}

/* The default reservation: a pending asset row within the group's quota.
 * A group full only of creates in flight is not full yet: the request
 * waits for them to settle (inflight.c), then answers for good. */
static enum core_code reserve_asset(struct core *c, struct core_create *cr, struct core_status *st)
{
    struct store *s = c->store;
    enum store_result r;
    for (;;) {
        uint64_t seen = inflight_kicks(c);
        r = cr->sha256 && cr->sha256[0]
                ? s->ops->reserve_content_asset(s, cr->cu->id, cr->group_id, cr->asset_type, cr->name ? cr->name : "",
                                                cr->record_url ? cr->record_url : "", cr->blob_key ? cr->blob_key : "",
                                                cr->sha256, cr->bytes, cr->who, CORE_MAX_ASSETS, cr->reserved_ms,
                                                cr->tag, &cr->handle, &cr->slot)
                : s->ops->reserve_asset(s, cr->cu->id, cr->group_id, cr->asset_type, cr->name ? cr->name : "",
                                        cr->record_url ? cr->record_url : "", cr->blob_key ? cr->blob_key : "",
                                        cr->bytes, cr->who, CORE_MAX_ASSETS, cr->reserved_ms, cr->tag, &cr->handle,
                                        &cr->slot);
        if (r != STORE_QUOTA_PENDING)
            break;
        if (inflight_wait_settle(c, seen, cr->deadline) != 0)
            return core_quota_busy(st);
    }
    if (r == STORE_CONFLICT) /* the same bytes are being registered into the group right now */
        return core_fail(st, CORE_CONFLICT, "The same image is being registered in this group; retry shortly.");
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset group");
    if (r == STORE_QUOTA)
        return core_fail(st, CORE_QUOTA_EXCEEDED, "The group already has %d assets; delete one or use another group.",
                         CORE_MAX_ASSETS);
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

/* The default undo: stored bytes go before the row that names them (a
 * crash in between leaves a row the reconciler settles, never bytes that
 * no row names); in doubt, both are the reconciler's. */
static void release_asset(struct core *c, struct core_create *cr, enum create_undo how)
{
    if (how == CREATE_UNDO_RECONCILER)
        return;
    if (cr->bytes_stored)
        core_remove_blob(c, cr->blob_key);
    enum store_result r = c->store->ops->release_asset(c->store, cr->handle);
    if (r != STORE_OK && r != STORE_NOT_FOUND) /* the reconciler's periodic sweep finds the row */
        log_warn("create: cannot release reservation %lld: %s", (long long)cr->handle, store_result_str(r));
}

static void undo(struct core *c, struct core_create *cr, enum create_undo how)
{
    if (cr->ops && cr->ops->release)
        cr->ops->release(c, cr, how);
    else
        release_asset(c, cr, how);
    inflight_kick(c); /* its places, in the group and in flight, are free again */
}

enum core_code core_create_pipeline(struct core *c, struct core_create *cr, char id_out[static IDS_MAX],
                                    struct core_status *st)
{
    struct store *s = c->store;
    cr->reserved_ms = clock_wall_ms();
    cr->deadline = budget_deadline(&c->budget);
    cr->slot = 0;
    reconcile_new_tag(cr->tag); /* the upstream Name's, for good (reconcile.c) */
    cr->bytes_stored = 0;

    if ((cr->ops && cr->ops->reserve ? cr->ops->reserve(c, cr, st) : reserve_asset(c, cr, st)) != CORE_OK)
        return st->code; /* nothing reserved, nothing to undo */

    if (cr->ops && cr->ops->blob) {
        cr->bytes_stored = cr->ops->commits_bytes; /* even a failed commit may have left something */
        if (cr->ops->blob(c, cr, st) != CORE_OK) {
            /* Not the file's fault (the store or the blob store failing):
             * the same bytes may be tried again; else they are refused. */
            int retryable = st->code == CORE_SERVICE_UNAVAILABLE || st->code == CORE_INTERNAL_ERROR;
            undo(c, cr, retryable ? CREATE_UNDO_RETRYABLE : CREATE_UNDO_REFUSED);
            return st->code;
        }
    }

    /* register: a lost answer is found again by the tag, not repeated blindly */
    struct reconcile_create rq = {.is_group = 0, .handle = cr->handle, .reserved_ms = cr->reserved_ms,
                                  .customer_id = cr->cu->id, .name = cr->name, .group_id = cr->group_id,
                                  .url = cr->url, .asset_type = cr->asset_type, .blob_key = cr->blob_key,
                                  .tag = cr->tag, .deadline = cr->deadline, .needs_slot = !cr->slot};
    int in_doubt = 0;
    if (reconcile_create(c, &rq, id_out, &in_doubt, st) != CORE_OK) {
        /* in doubt: reconcile_create handed the reservation (and the bytes
         * it names) to the reconciler, which undoes whatever it finds */
        undo(c, cr, in_doubt ? CREATE_UNDO_RECONCILER : CREATE_UNDO_RETRYABLE);
        return st->code;
    }

    int64_t now = clock_wall_ms();
    enum store_result r = s->ops->confirm_asset(s, cr->handle, id_out, now, refresher_next_poll(now, now));
    if (r != STORE_OK) {
        /* NOT_FOUND: the group was deleted while the upstream created the
         * asset, taking the reservation with it. Either way the caller is
         * told it failed: the upstream object goes now (see the top). */
        if (reconcile_undo_created(c, &rq, id_out) == 0)
            undo(c, cr, CREATE_UNDO_REFUSED);
        else
            undo(c, cr, CREATE_UNDO_RECONCILER);
        if (r == STORE_NOT_FOUND)
            return core_forbidden(st, "asset group");
        return core_store_failure(r, st);
    }
    if (cr->ops && cr->ops->confirmed)
        cr->ops->confirmed(c, cr, id_out, now);
    poller_kick(c->refresher);
    inflight_kick(c); /* a request waiting on a full group may answer now */
    return CORE_OK;
}

void core_created_asset(struct core *c, const struct core_create *cr, const char *id, struct asset *out)
{
    if (c->store->ops->get_asset(c->store, cr->cu->id, id, out) != STORE_OK) {
        /* Confirmed, so the create succeeded; describe it from what we know. */
        memset(out, 0, sizeof *out);
        snprintf(out->id, sizeof out->id, "%s", id);
        snprintf(out->group_id, sizeof out->group_id, "%s", cr->group_id);
        out->customer_id = cr->cu->id;
        snprintf(out->type, sizeof out->type, "%s", cr->asset_type);
        snprintf(out->name, sizeof out->name, "%s", cr->name ? cr->name : "");
        snprintf(out->blob_key, sizeof out->blob_key, "%s", cr->blob_key ? cr->blob_key : "");
        snprintf(out->status, sizeof out->status, "Processing");
        out->create_ms = out->update_ms = clock_wall_ms();
    }
    core_asset_media_url(c, out);
}
