/* upload.c — assets whose bytes Portico stores (API.md §3): register an
 * upload, sign URLs of stored bytes, clean up after a crash.
 *
 * The order of an upload is fixed by what can be undone: the quota is
 * reserved first (a full group or a foreign GroupId costs nothing), then
 * the bytes are committed, then the upstream is asked to fetch them, and
 * only then is the record confirmed. Every failure after the commit removes
 * the bytes and releases the reservation, so a failed upload leaves
 * neither. A crash between reserve and confirm leaves a pending row that
 * names the key; start-up reconciliation (reconcile.c) adopts the upload if
 * the upstream made it, else removes those bytes and then the row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"

void core_set_blob(struct core *c, struct blob *b)
{
    c->blob = b;
}

struct blob *core_blob(struct core *c)
{
    return c->blob;
}

static enum core_code blob_failure(const char *what, enum blob_result r, struct core_status *st)
{
    log_error("upload: %s failed: %s", what, blob_result_str(r));
    if (r == BLOB_UNAVAILABLE)
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
    return core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
}

/* Best effort: the caller already has the answer it will give. */
static void remove_bytes(struct blob *b, const char *key)
{
    enum blob_result r = b->ops->remove(b, key);
    if (r != BLOB_OK)
        log_error("could not remove stored media %s: %s", key, blob_result_str(r));
}

enum core_code core_upload_asset(struct core *c, const struct customer *cu, const char *group_id, const char *name,
                                 struct blob_stage *stage, const char *ext, const char *content_type,
                                 struct asset *out, struct core_status *st)
{
    struct store *s = c->store;
    struct blob *b = c->blob;
    int64_t handle = 0;
    int reserved = 0, committed = 0;
    int64_t reserved_ms = clock_wall_ms();
    char tag[STORE_TAG_MAX]; /* the upstream Name's, for good (reconcile.c) */
    reconcile_new_tag(tag);
    char key[BLOB_KEY_MAX];
    char *url = NULL;

    if (rules_id("GroupId", group_id, st) || rules_name("Name", name, 0, st))
        goto fail;
    if (!b) {
        log_error("upload: no blob store configured");
        core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
        goto fail;
    }
    url = malloc(BLOB_URL_MAX);
    if (!url) {
        core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
        goto fail;
    }
    /* The key and the upstream's URL exist before the bytes do, so the
     * reservation can name the key: a crash after the commit then still
     * leaves a record of what to remove. */
    blob_new_key(ext, key);
    int64_t now_s = clock_wall_ms() / 1000;
    enum blob_result br = b->ops->url(b, key, now_s + CORE_UPSTREAM_URL_TTL_S, url);
    if (br != BLOB_OK) {
        blob_failure("url", br, st);
        goto fail;
    }
    /* The record keeps the URL handed upstream when it fits; reads show a
     * freshly signed one anyway (core_asset_media_url). */
    enum store_result r = s->ops->reserve_asset(s, cu->id, group_id, "Image", name ? name : "",
                                                strlen(url) < STORE_URL_MAX ? url : "", key, CORE_MAX_ASSETS,
                                                reserved_ms, tag, &handle);
    if (r == STORE_NOT_FOUND) {
        core_forbidden(st, "asset group");
        goto fail;
    }
    if (r == STORE_QUOTA) {
        core_fail(st, CORE_QUOTA_EXCEEDED, "The group already has %d assets; delete one or use another group.",
                  CORE_MAX_ASSETS);
        goto fail;
    }
    if (r != STORE_OK) {
        core_store_failure(r, st);
        goto fail;
    }
    reserved = 1;

    br = b->ops->commit(b, stage, key, content_type);
    stage = NULL; /* consumed */
    committed = 1; /* even a failed commit may have left something: remove it */
    if (br != BLOB_OK) {
        blob_failure("commit", br, st);
        goto fail;
    }

    /* reconciliation: a lost answer is found again by the tag, not repeated
     * blindly; in doubt, the reconciler owns the bytes and the reservation */
    struct reconcile_create rq = {.is_group = 0, .handle = handle, .reserved_ms = reserved_ms, .customer_id = cu->id,
                                  .name = name, .group_id = group_id, .url = url, .asset_type = "Image",
                                  .blob_key = key, .tag = tag};
    int in_doubt = 0;
    char id[IDS_MAX];
    if (reconcile_create(c, &rq, id, &in_doubt, st) != CORE_OK) {
        if (in_doubt)
            committed = reserved = 0;
        goto fail;
    }
    struct up_error err = {0};
    int64_t now = clock_wall_ms();
    r = s->ops->confirm_asset(s, handle, id, now, refresher_next_poll(now, now));
    if (r != STORE_OK) {
        /* NOT_FOUND: the group was deleted meanwhile, taking the
         * reservation with it. Either way undo the upstream side too. */
        enum up_result d = c->up->ops->delete_asset(c->up, id, &err);
        core_count_upstream("DeleteAsset", d);
        if (r == STORE_NOT_FOUND)
            core_forbidden(st, "asset group");
        else
            core_store_failure(r, st);
        goto fail;
    }
    poller_kick(c->refresher);
    free(url);

    if (s->ops->get_asset(s, cu->id, id, out) != STORE_OK) {
        /* Confirmed, so the upload succeeded; describe it from what we know. */
        memset(out, 0, sizeof *out);
        snprintf(out->id, sizeof out->id, "%s", id);
        snprintf(out->group_id, sizeof out->group_id, "%s", group_id);
        out->customer_id = cu->id;
        snprintf(out->type, sizeof out->type, "Image");
        snprintf(out->name, sizeof out->name, "%s", name ? name : "");
        snprintf(out->blob_key, sizeof out->blob_key, "%s", key);
        snprintf(out->status, sizeof out->status, "Processing");
        out->create_ms = out->update_ms = now;
    }
    core_asset_media_url(c, out);
    return CORE_OK;

fail:
    if (stage)
        blob_stage_discard(stage);
    if (committed)
        remove_bytes(b, key);
    if (reserved)
        s->ops->release_asset(s, handle);
    free(url);
    return st->code;
}

void core_asset_media_url(struct core *c, struct asset *a)
{
    if (!a->blob_key[0] || !c->blob)
        return;
    char *url = malloc(BLOB_URL_MAX);
    if (!url)
        return;
    int64_t expires = clock_wall_ms() / 1000 + CORE_MEDIA_URL_TTL_S;
    enum blob_result r = c->blob->ops->url(c->blob, a->blob_key, expires, url);
    if (r == BLOB_OK && strlen(url) < sizeof a->url)
        memcpy(a->url, url, strlen(url) + 1);
    else
        log_error("could not sign a media URL for %s: %s", a->id, r == BLOB_OK ? "too long" : blob_result_str(r));
    free(url);
}

int core_sweep_uploads(struct store *s, struct blob *b)
{
    return core_sweep_uploads_before(s, b, INT64_MAX);
}

int core_sweep_uploads_before(struct store *s, struct blob *b, int64_t older_than_ms)
{
    int n = blob_sweep_staging(b);
    if (n < 0)
        n = 0;
    if (!s->ops->list_pending_blob_keys)
        return n;
    struct asset_list l = {0};
    if (s->ops->list_pending_blob_keys(s, older_than_ms, &l) != STORE_OK)
        return n;
    for (size_t i = 0; i < l.n; i++)
        if (b->ops->remove(b, l.items[i].blob_key) == BLOB_OK)
            n++;
    free(l.items);
    return n;
}

void core_remove_blob(struct core *c, const char *key)
{
    if (key && key[0] && c->blob)
        remove_bytes(c->blob, key);
}

void core_remove_group_blobs(struct core *c, const struct customer *cu, const char *group_id, int64_t deleted_ms)
{
    struct store *s = c->store;
    if (!c->blob || !s->ops->list_group_blob_keys)
        return;
    struct asset_list l = {0};
    enum store_result r = s->ops->list_group_blob_keys(s, cu->id, group_id, deleted_ms, &l);
    if (r != STORE_OK) {
        log_error("could not list the stored media of group %s: %s", group_id, store_result_str(r));
        return;
    }
    for (size_t i = 0; i < l.n; i++)
        remove_bytes(c->blob, l.items[i].blob_key);
    free(l.items);
}
