/* upload_session.c — the upload-session Actions of API.md §4b
 * (CreateUploadSession, CompleteUpload, AbortUpload; rows in portrait.c)
 * and the fs backend's PUT of a session's bytes (PUT /v1/media/<key>, a
 * streamed body, no API key: the signed URL is the credential).
 * Fields are translated to core/upload_session.c and back. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/clock.h"

/* ---- Actions ---- */

/* ContentLength as a JSON integer of any size (an int would wrap past
 * 2 GiB and turn a huge file into a small one). */
static int param_length(json_t *body, int64_t *out, struct core_status *st)
{
    json_t *v = json_object_get(body, "ContentLength");
    *out = -1;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        core_fail(st, CORE_INVALID_PARAMETER, "ContentLength must be a non-negative integer (bytes).");
        return -1;
    }
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static json_t *render_offer(const struct core_upload_offer *t)
{
    json_t *headers = json_object();
    for (size_t i = 0; i < t->n_headers; i++)
        json_object_set_new(headers, t->headers[i].name, json_string(t->headers[i].value));
    char expire[21];
    clock_rfc3339(t->expire_ms, expire);
    return json_pack("{s:s, s:s, s:s, s:o, s:s}", "UploadId", t->upload_id, "UploadURL", t->url, "Method", "PUT",
                     "Headers", headers, "ExpireTime", expire);
}

enum core_code upload_session_create(struct api *a, const struct customer *cu, const struct actor *who,
                                     json_t *body, json_t **result, struct core_status *st)
{
    struct core_upload_request rq = {0};
    const char *token = NULL;
    if (param_string(body, "GroupId", &rq.group_id, st) || param_string(body, "AssetType", &rq.asset_type, st) ||
        param_string(body, "ContentType", &rq.content_type, st) || param_length(body, &rq.content_length, st) ||
        param_string(body, "Name", &rq.name, st) || param_string(body, "Sha256", &rq.sha256, st) ||
        param_string(body, "ClientToken", &token, st))
        return st->code;
    /* idempotency: a repeat of the same ClientToken answers the first session */
    struct core_upload_offer *offer = malloc(sizeof *offer);
    if (!offer)
        return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
    enum core_code rc = core_offer_upload_session(a->core, cu, &rq, token, offer, st);
    if (rc == CORE_OK)
        *result = render_offer(offer);
    free(offer);
    return rc;
}

enum core_code upload_session_complete(struct api *a, const struct customer *cu, const struct actor *who,
                                       json_t *body, json_t **result, struct core_status *st)
{
    const char *id = NULL;
    struct asset as;
    if (param_string(body, "UploadId", &id, st) || core_complete_upload(a->core, cu, who, id, &as, st))
        return st->code;
    *result = render_asset(&as);
    return CORE_OK;
}

enum core_code upload_session_abort(struct api *a, const struct customer *cu, const struct actor *who,
                                    json_t *body, json_t **result, struct core_status *st)
{
    const char *id = NULL;
    if (param_string(body, "UploadId", &id, st) || core_abort_upload(a->core, cu, id, st))
        return st->code;
    *result = json_object();
    return CORE_OK;
}

/* ---- the fs PUT ---- */

struct media_put {
    struct api_stream base; /* first: the front sees a struct api_stream */
    struct api *api;
    char request_id[64];
    struct core_upload_put *put; /* NULL once decided */
    int decided;
    struct core_status st;
};

static const struct api_reply put_reply_to = {API_SURFACE_MEDIA, NULL, NULL};

static void put_reply(struct media_put *m, struct api_response *resp)
{
    struct api_request req = {.request_id = m->request_id};
    snprintf(resp->action, sizeof resp->action, "UploadPut");
    if (m->decided) {
        api_fail(m->api, &req, &put_reply_to, &m->st, resp);
        return;
    }
    response_json(resp, 200, json_pack("{s:s}", "RequestId", m->request_id), API_SURFACE_MEDIA);
}

static void put_decide(struct media_put *m)
{
    m->decided = 1;
    if (m->put) {
        core_media_put_abort(m->put);
        m->put = NULL;
    }
}

static int put_write(struct api_stream *s, const char *data, size_t n)
{
    struct media_put *m = (struct media_put *)s;
    if (m->decided)
        return -1;
    if (core_media_put_write(m->put, data, n) != 0) {
        core_fail(&m->st, CORE_PAYLOAD_TOO_LARGE, "The body is longer than the session's ContentLength.");
        put_decide(m);
        return -1;
    }
    return 0;
}

static int put_done(struct api_stream *s)
{
    return ((struct media_put *)s)->decided;
}

static int put_is_slow(struct api_stream *s)
{
    return 1; /* fsync and rename */
}

static void put_finish(struct api_stream *s, struct api_response *resp)
{
    struct media_put *m = (struct media_put *)s;
    if (!m->decided) {
        struct core_upload_put *p = m->put;
        m->put = NULL;
        if (core_media_put_finish(p, &m->st) != CORE_OK)
            m->decided = 1;
    }
    put_reply(m, resp);
    if (m->put)
        core_media_put_abort(m->put);
    free(m);
}

static void put_abort(struct api_stream *s)
{
    struct media_put *m = (struct media_put *)s;
    if (m->put)
        core_media_put_abort(m->put);
    free(m);
}

static const struct api_stream_ops put_ops = {
    .write = put_write,
    .done = put_done,
    .is_slow = put_is_slow,
    .finish = put_finish,
    .abort = put_abort,
};

struct api_stream *media_put_open(struct api *a, const struct api_request *req, const char *content_type,
                                  uint64_t content_length)
{
    struct media_put *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->base.ops = &put_ops;
    m->api = a;
    snprintf(m->request_id, sizeof m->request_id, "%s", req->request_id ? req->request_id : "");
    const char *key = req->path + strlen("/v1/media/");
    if (atomic_load(&a->draining)) {
        core_fail(&m->st, CORE_SERVICE_UNAVAILABLE, "The gateway is shutting down; retry shortly.");
        m->decided = 1;
    } else if (core_media_put_open(a->core, key, api_query(req, "Expires"), api_query(req, "Length"),
                                    api_query(req, "Signature"), content_type, content_length, &m->put,
                                    &m->st) != CORE_OK) {
        m->decided = 1;
    }
    return &m->base;
}
