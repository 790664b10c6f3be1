/* upload.c — assets whose bytes Portico stores (API.md §3): register an
 * upload, sign URLs of stored bytes, clean up after a crash.
 *
 * The order of an upload is fixed by what can be undone, and is the create
 * pipeline's (create.c) with the commit as its blob step: the quota is
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

/* The upload's blob step: the staged bytes become the object the
 * reservation names. */
struct upload_commit {
    struct blob_stage *stage; /* consumed by the step */
    const char *content_type;
};

static enum core_code commit_bytes(struct core *c, struct core_create *cr, struct core_status *st)
{
    struct upload_commit *uc = cr->ctx;
    enum blob_result br = c->blob->ops->commit(c->blob, uc->stage, cr->blob_key, uc->content_type);
    uc->stage = NULL; /* consumed */
    if (br != BLOB_OK)
        return blob_failure("commit", br, st);
    return CORE_OK;
}

static const struct core_create_ops upload_ops = {.blob = commit_bytes, .commits_bytes = 1};

/* Content hash: the group's live asset with these bytes, as the caller
 * answers it; 1 when there is one. */
static int same_bytes(struct core *c, const struct customer *cu, const char *group_id, const char *sha256,
                      struct asset *out)
{
    if (!sha256 || !sha256[0] || c->store->ops->find_asset_by_sha256(c->store, cu->id, group_id, sha256, out) != STORE_OK)
        return 0;
    core_asset_media_url(c, out);
    return 1;
}

enum core_code core_upload_asset(struct core *c, const struct customer *cu, const struct actor *who,
                                 const char *group_id, const char *name, struct blob_stage *stage, const char *ext,
                                 const char *content_type, const char *sha256, struct asset *out,
                                 struct core_status *st)
{
    struct blob *b = c->blob;
    char key[BLOB_KEY_MAX];
    char *url = NULL;
    struct upload_commit uc = {.stage = stage, .content_type = content_type};

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
    struct core_create cr = {.cu = cu, .who = who, .group_id = group_id, .asset_type = "Image", .name = name,
                             .url = url, .record_url = strlen(url) < STORE_URL_MAX ? url : "", .blob_key = key,
                             .bytes = (int64_t)core_upload_stage_size(stage), .sha256 = sha256, .ops = &upload_ops,
                             .ctx = &uc};
    char id[IDS_MAX];
    /* Content hash: the same bytes in the same group are the same asset.
     * While another request registers them (its reservation holds the
     * hash: CORE_CONFLICT), wait for its asset rather than make a second
     * one upstream; if it fails, its reservation goes and this one tries. */
    int64_t give_up = clock_mono_ms() + SAME_BYTES_WAIT_MS;
    for (;;) {
        if (same_bytes(c, cu, group_id, sha256, out)) {
            if (uc.stage)
                blob_stage_discard(uc.stage);
            free(url);
            return CORE_OK;
        }
        if (core_create_pipeline(c, &cr, id, st) == CORE_OK)
            break;
        if (st->code != CORE_CONFLICT || !sha256 || clock_mono_ms() > give_up) {
            if (st->code == CORE_CONFLICT)
                core_fail(st, CORE_SERVICE_UNAVAILABLE,
                          "The same image is still being registered in this group by another request; retry shortly.");
            goto fail;
        }
        clock_sleep_ms(SAME_BYTES_SLICE_MS);
    }
    free(url);
    core_created_asset(c, &cr, id, out);
    return CORE_OK;

fail:
    if (uc.stage) /* the pipeline stopped before the blob step */
        blob_stage_discard(uc.stage);
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

void core_remove_blob(struct core *c, const char *key)
{
    if (!key || !key[0] || !c->blob)
        return;
    remove_bytes(c->blob, key);
    char thumb[BLOB_KEY_MAX]; /* the console's thumbnail of them (thumbnails.c), if one was made */
    if (core_thumbnail_key(key, thumb) == 0)
        remove_bytes(c->blob, thumb);
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
        core_remove_blob(c, l.items[i].blob_key);
    free(l.items);
}
