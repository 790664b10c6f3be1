/* media_access.c — what api/ may do with stored bytes, as core functions:
 * serve a signed media URL, stage an upload's file, offer an upload
 * session's signed PUT and take that PUT's body.
 *
 * api/ includes no port header (DESIGN.md: a media read goes through core,
 * not through the blob port); these are the few doors it needs, each
 * applying the rule that guards it before it touches the blob port. The
 * invariant: no function here hands a struct blob, a key of another
 * customer or an unverified object to the caller. */
#include <stdio.h>
#include <string.h>

#include "blob/blob.h"
#include "core/internal.h"
#include "util/clock.h"

_Static_assert(CORE_UPLOAD_HEAD_MAX == BLOB_HEAD_MAX, "the staged head core promises is the blob port's");
_Static_assert(CORE_PUT_URL_MAX >= BLOB_URL_MAX, "an offer holds any signed PUT URL");
_Static_assert(CORE_PUT_HEADERS_MAX >= BLOB_PUT_HEADERS_MAX, "an offer holds every header of a signed PUT");

/* ---- signed media URLs ---- */

enum core_code core_open_media(struct core *c, const char *key, const char *expires, const char *signature,
                               int *fd, uint64_t *size, struct core_status *st)
{
    struct blob *b = c->blob;
    /* The signature is checked before the object is looked at: without a
     * valid one, a missing and an existing object look the same. */
    if (!b || !b->ops->open_read || !key || !blob_key_valid(key) || !expires || !signature ||
        !blob_verify_media_url(b, key, expires, signature, clock_wall_ms() / 1000))
        return core_fail(st, CORE_FORBIDDEN, "The media URL is invalid or has expired.");
    enum blob_result r = b->ops->open_read(b, key, fd, size);
    if (r == BLOB_NOT_FOUND) /* signed, so the caller may know: the asset was deleted */
        return core_fail(st, CORE_NOT_FOUND, "The media no longer exists.");
    if (r != BLOB_OK)
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
    return CORE_OK;
}

/* ---- upload staging ---- */

int core_uploads_enabled(struct core *c)
{
    return c->blob != NULL;
}

struct blob_stage *core_upload_stage_new(struct core *c)
{
    return c->blob ? blob_stage_new(c->blob, CORE_UPLOAD_MAX_BYTES) : NULL;
}

enum core_code core_upload_stage_write(struct blob_stage *stage, const void *p, size_t n, struct core_status *st)
{
    enum blob_result r = blob_stage_write(stage, p, n);
    if (r == BLOB_OK)
        return CORE_OK;
    if (r == BLOB_TOO_LARGE)
        return core_fail(st, CORE_PAYLOAD_TOO_LARGE, "The file is larger than 10 MiB (%u bytes).",
                         CORE_UPLOAD_MAX_BYTES);
    return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
}

uint64_t core_upload_stage_size(const struct blob_stage *stage)
{
    return blob_stage_size(stage);
}

const uint8_t *core_upload_stage_head(const struct blob_stage *stage, size_t *n)
{
    return blob_stage_head(stage, n);
}

void core_upload_stage_discard(struct blob_stage *stage)
{
    if (stage)
        blob_stage_discard(stage);
}

/* ---- upload sessions ---- */

enum core_code core_offer_upload_session(struct core *c, const struct customer *cu,
                                         const struct core_upload_request *rq, const char *client_token,
                                         struct core_upload_offer *out, struct core_status *st)
{
    struct blob_put_target put;
    memset(&put, 0, sizeof put);
    struct core_upload_ticket t = {.put = &put};
    /* idempotency: what makes two CreateUploadSession requests the same */
    char length[24];
    snprintf(length, sizeof length, "%lld", (long long)rq->content_length);
    const char *fields[] = {rq->group_id, rq->asset_type, rq->content_type, length, rq->name, rq->sha256};
    struct core_once once;
    enum core_code rc = core_once_begin(c, cu, client_token, "CreateUploadSession", fields, 6, &once, st);
    if (rc == CORE_OK && once.replay[0]) {
        rc = core_upload_session_ticket(c, cu, once.replay, &t, st);
    } else if (rc == CORE_OK) {
        rc = core_create_upload_session(c, cu, rq, &t, st);
        core_once_end(c, &once, rc == CORE_OK ? t.upload_id : NULL);
    }
    if (rc != CORE_OK)
        return rc;
    memset(out, 0, sizeof *out);
    snprintf(out->upload_id, sizeof out->upload_id, "%s", t.upload_id);
    snprintf(out->url, sizeof out->url, "%s", put.url);
    out->n_headers = put.n_headers < CORE_PUT_HEADERS_MAX ? put.n_headers : CORE_PUT_HEADERS_MAX;
    for (size_t i = 0; i < out->n_headers; i++) {
        snprintf(out->headers[i].name, sizeof out->headers[i].name, "%s", put.headers[i].name);
        snprintf(out->headers[i].value, sizeof out->headers[i].value, "%s", put.headers[i].value);
    }
    out->expire_ms = t.expire_ms;
    return CORE_OK;
}

/* core/upload_session.c says CORE_NOT_FOUND when the session was used
 * already or has ended; to the client holding the signed URL that is a
 * conflict with the session's state (409), not a missing resource. */
static enum core_code put_outcome(enum core_code rc, struct core_status *st)
{
    if (rc == CORE_NOT_FOUND) {
        st->code = CORE_CONFLICT;
        return CORE_CONFLICT;
    }
    return rc;
}

enum core_code core_media_put_open(struct core *c, const char *key, const char *expires, const char *length,
                                   const char *signature, const char *content_type, uint64_t content_length,
                                   struct core_upload_put **out, struct core_status *st)
{
    return put_outcome(
        core_upload_put_open(c, key, expires, length, signature, content_type, content_length, out, st), st);
}

int core_media_put_write(struct core_upload_put *p, const void *data, size_t n)
{
    return core_upload_put_write(p, data, n);
}

enum core_code core_media_put_finish(struct core_upload_put *p, struct core_status *st)
{
    return put_outcome(core_upload_put_finish(p, st), st);
}

void core_media_put_abort(struct core_upload_put *p)
{
    core_upload_put_abort(p);
}
