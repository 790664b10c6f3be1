/* thumbnails.c — the customers' console shows each stored image as a
 * thumbnail (API.md §7) that Portico makes from the stored bytes once and
 * keeps in the blob store, beside them.
 *
 * An asset's thumbnail lives under a key derived from its bytes' key
 * (core_thumbnail_key), so it needs no record of its own and goes wherever
 * the bytes go: core_remove_blob removes both (asset and group deletes).
 * A thumbnail made while the asset is being deleted could outlive it, so
 * after storing one the asset is read again, and the thumbnail removed if
 * the asset is gone.
 *
 * The invariants: the owner check comes first and answers as every other
 * not-yours-or-not-there id does (core_forbidden), before any byte is
 * read; a source image is decoded only within util/thumb.c's limits, by at
 * most THUMB_DECODERS threads of the process at once (each may hold the
 * source and its pixels: up to ~180 MB). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "core/internal.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/media.h"
#include "util/thumb.h"

#define THUMB_PREFIX "thumbs/"
#define THUMB_SUFFIX ".jpg"
#define THUMB_DECODERS 2
/* A stored image: upload sessions allow the most (API.md §4b). */
#define THUMB_SOURCE_MAX_BYTES CORE_SESSION_IMAGE_MAX_BYTES
/* What a cached thumbnail may be: anything larger is not one of ours. */
#define THUMB_STORED_MAX (1024 * 1024)

_Static_assert(BLOB_KEY_MAX == 128, "core_thumbnail_key's out (core/internal.h) holds a blob key");

static const struct thumb_limits source_limits = {
    .max_bytes = THUMB_SOURCE_MAX_BYTES,
    .max_side = MEDIA_MAX_SIDE, /* the upstream's largest side: nothing stored is larger */
    .max_pixels = (int64_t)MEDIA_MAX_SIDE * MEDIA_MAX_SIDE,
};

static pthread_mutex_t decoders_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t decoders_cv = PTHREAD_COND_INITIALIZER;
static int decoders_busy;

int core_thumbnail_key(const char *blob_key, char out[static BLOB_KEY_MAX])
{
    int n = snprintf(out, BLOB_KEY_MAX, THUMB_PREFIX "%s" THUMB_SUFFIX, blob_key ? blob_key : "");
    if (!blob_key || !blob_key[0] || n < 0 || n >= BLOB_KEY_MAX || !blob_key_valid(out)) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

void core_thumbnail_free(struct core_thumbnail *t)
{
    free(t->data);
    t->data = NULL;
    t->len = 0;
}

static int collect(void *ctx, const void *p, size_t n)
{
    return buf_append(ctx, p, n) == BUF_OK ? 0 : -1;
}

/* The whole object key into b (at most max bytes): BLOB_OK, BLOB_NOT_FOUND,
 * BLOB_TOO_LARGE, or a failure of the store. */
static enum blob_result read_object(struct blob *b, const char *key, uint64_t max, struct buf *out)
{
    uint64_t size = 0;
    enum blob_result r = b->ops->size(b, key, &size);
    if (r != BLOB_OK)
        return r;
    if (size > max)
        return BLOB_TOO_LARGE;
    buf_init(out, (size_t)size);
    if (size == 0)
        return BLOB_OK;
    r = b->ops->read_range(b, key, 0, size, collect, out);
    if (r != BLOB_OK)
        buf_free(out);
    return r;
}

static void decoders_enter(void)
{
    pthread_mutex_lock(&decoders_mu);
    while (decoders_busy >= THUMB_DECODERS)
        pthread_cond_wait(&decoders_cv, &decoders_mu);
    decoders_busy++;
    pthread_mutex_unlock(&decoders_mu);
}

static void decoders_leave(void)
{
    pthread_mutex_lock(&decoders_mu);
    decoders_busy--;
    pthread_cond_signal(&decoders_cv);
    pthread_mutex_unlock(&decoders_mu);
}

/* Makes the thumbnail of a's bytes into out: CORE_OK, or CORE_OK with
 * out->placeholder when no thumbnail can be made of them; a store failure
 * is ServiceUnavailable. */
static enum core_code make_thumbnail(struct core *c, const struct asset *a, struct core_thumbnail *out,
                                     struct core_status *st)
{
    struct buf src;
    enum blob_result r = read_object(c->blob, a->blob_key, THUMB_SOURCE_MAX_BYTES, &src);
    if (r == BLOB_NOT_FOUND || r == BLOB_TOO_LARGE) {
        out->placeholder = 1;
        return CORE_OK;
    }
    if (r != BLOB_OK) {
        log_error("thumbnail of %s: cannot read %s: %s", a->id, a->blob_key, blob_result_str(r));
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
    }
    struct thumb t;
    decoders_enter();
    enum thumb_result tr = thumb_make((const uint8_t *)src.data, src.len, CORE_THUMBNAIL_BOX, &source_limits, &t);
    decoders_leave();
    buf_free(&src);
    if (tr != THUMB_OK) {
        log_warn("thumbnail of %s: none made (%s); a placeholder instead", a->id, thumb_result_str(tr));
        out->placeholder = 1;
        return CORE_OK;
    }
    out->data = malloc(t.len);
    if (!out->data) {
        thumb_free(&t);
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The server is out of memory; retry shortly.");
    }
    memcpy(out->data, t.data, t.len);
    out->len = t.len;
    thumb_free(&t);
    out->made = 1;
    return CORE_OK;
}

/* Keeps a made thumbnail under key; best effort (the answer is already
 * made): a failure only means the next request makes it again. */
static void store_thumbnail(struct core *c, const char *key, const struct core_thumbnail *t)
{
    struct blob_stage *stage = blob_stage_new(c->blob, THUMB_STORED_MAX);
    enum blob_result r = stage ? blob_stage_write(stage, t->data, t->len) : BLOB_UNAVAILABLE;
    if (r == BLOB_OK)
        r = c->blob->ops->commit(c->blob, stage, key, "image/jpeg"); /* consumes the stage */
    else if (stage)
        blob_stage_discard(stage);
    if (r != BLOB_OK)
        log_error("thumbnail %s: cannot store it: %s", key, blob_result_str(r));
}

enum core_code core_asset_thumbnail(struct core *c, const struct customer *cu, const char *asset_id,
                                    struct core_thumbnail *out, struct core_status *st)
{
    memset(out, 0, sizeof *out);
    struct asset a;
    if (core_get_asset(c, cu, asset_id, &a, st)) /* Forbidden alike for another's and a missing id */
        return st->code;
    char key[BLOB_KEY_MAX];
    if (!c->blob || !a.blob_key[0] || strcmp(a.type, "Image") != 0) {
        out->placeholder = 1; /* registered by URL, or not an image */
        return CORE_OK;
    }
    int cacheable = core_thumbnail_key(a.blob_key, key) == 0;
    if (cacheable) {
        struct buf kept;
        enum blob_result r = read_object(c->blob, key, THUMB_STORED_MAX, &kept);
        if (r == BLOB_OK && kept.len > 0) {
            out->len = kept.len;
            out->data = (uint8_t *)buf_take(&kept);
            return CORE_OK;
        }
        if (r == BLOB_OK)
            buf_free(&kept);
        if (r != BLOB_OK && r != BLOB_NOT_FOUND && r != BLOB_TOO_LARGE) {
            log_error("thumbnail %s: cannot read it: %s", key, blob_result_str(r));
            return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
        }
    }
    if (make_thumbnail(c, &a, out, st))
        return st->code;
    if (out->placeholder || !cacheable)
        return CORE_OK;
    store_thumbnail(c, key, out);
    /* Deleted meanwhile: its delete may have removed the thumbnail before
     * this stored it. The asset is gone; so is what was made of it. */
    struct asset again;
    if (c->store->ops->get_asset(c->store, cu->id, a.id, &again) == STORE_NOT_FOUND) {
        core_remove_blob(c, a.blob_key);
        core_thumbnail_free(out);
        return core_forbidden(st, "asset");
    }
    return CORE_OK;
}
