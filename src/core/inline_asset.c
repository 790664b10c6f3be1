/* inline_asset.c — inline registration (API.md §4, register_asset): a
 * video request's image becomes an asset of the caller before the task
 * starts, exactly as an upload would make it.
 *
 *   bytes    a data: URL decoded (base64, at most CORE_UPLOAD_MAX_BYTES),
 *            or an http(s) URL fetched under the outbound URL policy
 *   judged   as the upload endpoint judges a file: JPEG, PNG or WebP by
 *            the bytes, 300..6000 px a side, aspect 0.4..2.5
 *   group    register_asset.group_id (must be the caller's: Forbidden), or
 *            the caller's AIGC group named "inline", created on first use
 *            (group quota; AIGC must be enabled for the customer)
 *   asset    stored in the blob store and registered through the create
 *            pipeline by core_upload_asset, with the bytes' SHA-256: the
 *            same bytes in the same group give the same asset, so a
 *            repeated request never makes a second upstream asset.
 *
 * The task then waits for the asset (video_waiter.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "core/internal.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/dataurl.h"
#include "util/http_call.h"
#include "util/log.h"
#include "util/media.h"

#define INLINE_GROUP "inline"
#define INLINE_FETCH_TIMEOUT_MS 20000
#define INLINE_FETCH_REDIRECTS 3

/* The image's bytes into b (bounded at CORE_UPLOAD_MAX_BYTES). */
static enum core_code fetch_bytes(struct core *c, size_t i, const char *url, struct buf *b, struct core_status *st)
{
    if (dataurl_is(url)) {
        uint8_t *bytes = NULL;
        size_t n = 0;
        char why[160];
        enum dataurl_result r = dataurl_decode(url, CORE_UPLOAD_MAX_BYTES, NULL, 0, &bytes, &n, why, sizeof why);
        if (r == DATAURL_TOO_LARGE)
            return core_fail(st, CORE_PAYLOAD_TOO_LARGE, "content[%zu].image_url.url: the image is larger than "
                             "10 MiB (%u bytes).", i, CORE_UPLOAD_MAX_BYTES);
        if (r != DATAURL_OK)
            return core_fail(st, r == DATAURL_NOMEM ? CORE_SERVICE_UNAVAILABLE : CORE_INVALID_PARAMETER,
                             "content[%zu].image_url.url: %s", i, why);
        int br = buf_append(b, bytes, n);
        free(bytes);
        return br == BUF_OK ? CORE_OK : core_fail(st, CORE_SERVICE_UNAVAILABLE, "Out of memory; retry shortly.");
    }
    struct http_call call = {.url = url,
                             .timeout_ms = INLINE_FETCH_TIMEOUT_MS,
                             .connect_timeout_ms = 5000,
                             .max_redirs = INLINE_FETCH_REDIRECTS,
                             .max_response = CORE_UPLOAD_MAX_BYTES,
                             .response = b,
                             .policy = c->url_policy};
    struct http_call_out out;
    enum http_call_result r = http_call(&call, &out);
    if (r == HTTP_CALL_TOO_LARGE)
        return core_fail(st, CORE_PAYLOAD_TOO_LARGE, "content[%zu].image_url.url: the image is larger than 10 MiB "
                         "(%u bytes).", i, CORE_UPLOAD_MAX_BYTES);
    if (r == HTTP_CALL_REFUSED)
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].image_url.url may not be fetched: it does not "
                         "point to a public address.", i);
    if (r != HTTP_CALL_OK) {
        log_info("inline registration: fetching %s failed: %s %s", url, out.curl_name, out.message);
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].image_url.url could not be fetched (%s); check "
                         "that it is reachable, or send the image as a data: URL.", i, out.curl_name);
    }
    if (out.status != 200)
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].image_url.url answered HTTP %ld, not 200 with "
                         "the image.", i, out.status);
    return CORE_OK;
}

/* As the upload endpoint judges a file (api/upload.c): the type by the
 * bytes, then the dimensions. */
static enum core_code judge_image(size_t i, const uint8_t *p, size_t n, enum media_type *type, struct core_status *st)
{
    enum media_type t = media_sniff(p, n);
    if (t != MEDIA_JPEG && t != MEDIA_PNG && t != MEDIA_WEBP)
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu]: the image is not a JPEG, PNG or WebP image "
                         "(judged by its bytes).", i);
    int w, h;
    if (media_image_size(p, n, t, &w, &h) != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu]: the image is truncated or corrupt: its "
                         "dimensions cannot be read.", i);
    char why[160];
    if (media_check_image_dims(w, h, why, sizeof why) != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu]: the %s %s", i,
                         t == MEDIA_JPEG ? "JPEG" : t == MEDIA_PNG ? "PNG" : "WebP", why);
    *type = t;
    return CORE_OK;
}

/* The oldest of the caller's AIGC groups named exactly "inline"; 1 when
 * there is one. The oldest, so that two requests that each created one at
 * the same moment both settle on the same group. */
static int find_inline_group(struct core *c, const struct customer *cu, char id[static IDS_MAX],
                             struct core_status *st)
{
    struct group_filter f = {.type = "AIGC", .name_sub = INLINE_GROUP};
    struct group_list l = {0};
    int found = 0;
    int64_t oldest = 0;
    for (int page = 1; page <= 10; page++) {
        if (core_list_groups(c, cu, &f, page, CORE_PAGE_SIZE_MAX, &l, st) != CORE_OK)
            return -1;
        for (size_t k = 0; k < l.n; k++)
            if (strcmp(l.items[k].name, INLINE_GROUP) == 0 && (!found || l.items[k].create_ms <= oldest)) {
                found = 1;
                oldest = l.items[k].create_ms;
                snprintf(id, IDS_MAX, "%s", l.items[k].id);
            }
        size_t n = l.n;
        free(l.items);
        l.items = NULL;
        if (n < CORE_PAGE_SIZE_MAX)
            break;
    }
    return found;
}

static enum core_code inline_group(struct core *c, const struct customer *cu, char id[static IDS_MAX],
                                   struct core_status *st)
{
    int found = find_inline_group(c, cu, id, st);
    if (found < 0)
        return st->code;
    if (found)
        return CORE_OK;
    char made[IDS_MAX];
    if (core_create_group(c, cu, INLINE_GROUP, "Images registered inline with video generation requests.", "AIGC",
                          made, st) != CORE_OK)
        return st->code;
    found = find_inline_group(c, cu, id, st);
    if (found < 0)
        return st->code;
    if (!found)
        snprintf(id, IDS_MAX, "%s", made);
    return CORE_OK;
}

enum core_code inline_asset(struct core *c, const struct customer *cu, const struct actor *who, size_t i,
                            const struct core_video_item *it,
                            char id_out[static IDS_MAX], struct core_status *st)
{
    if (!cu->aigc_enabled)
        return core_fail(st, CORE_FORBIDDEN, "Inline registration (register_asset) registers a virtual portrait, and "
                         "AIGC is not enabled for your account; ask your operator to enable it.");
    if (!core_uploads_enabled(c))
        return core_fail(st, CORE_INTERNAL_ERROR, "Inline registration needs a media store, which this gateway has "
                         "not configured.");
    struct buf b;
    buf_init(&b, CORE_UPLOAD_MAX_BYTES);
    enum media_type type = MEDIA_UNKNOWN;
    char group[IDS_MAX];
    if (fetch_bytes(c, i, it->url, &b, st) || judge_image(i, (const uint8_t *)b.data, b.len, &type, st))
        goto fail;
    if (it->register_group_id)
        snprintf(group, sizeof group, "%s", it->register_group_id);
    else if (inline_group(c, cu, group, st) != CORE_OK)
        goto fail;

    char sha[65];
    crypto_sha256_hex(b.data, b.len, sha);
    struct core_status wst;
    struct blob_stage *stage = core_upload_stage_new(c);
    if (!stage) {
        core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
        goto fail;
    }
    if (core_upload_stage_write(stage, b.data, b.len, &wst) != CORE_OK) {
        core_upload_stage_discard(stage);
        *st = wst;
        goto fail;
    }
    buf_free(&b);
    const char *ext = type == MEDIA_JPEG ? "jpg" : type == MEDIA_PNG ? "png" : "webp";
    struct asset a;
    /* consumes stage */
    if (core_upload_asset(c, cu, who, group, it->register_name, stage, ext, media_type_name(type), sha, &a, st) !=
        CORE_OK)
        return st->code;
    snprintf(id_out, IDS_MAX, "%s", a.id);
    return CORE_OK;
fail:
    buf_free(&b);
    return st->code;
}
