/* envelope.c — renders the Volcengine envelope of API.md §2:
 * {"ResponseMetadata": {RequestId, Action, Version, Service, Region[, Error]},
 *  "Result": {...}}. Key order is fixed, so two errors that differ only in
 * RequestId are byte-identical apart from it. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/buf.h"
#include "util/jsonw.h"

void response_text(struct api_response *resp, int status, const char *content_type, char *body, size_t len)
{
    resp->status = status;
    resp->content_type = content_type;
    resp->body = body;
    resp->body_len = len;
}

static json_t *metadata(const struct api_request *req, const char *action, const char *version, const char *region)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "RequestId", req->request_id, "Action", action ? action : "",
                     "Version", version ? version : "", "Service", "portrait", "Region", region);
}

static void send_json(struct api_response *resp, int status, json_t *root)
{
    char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!s) {
        static const char oom[] = "{\"ResponseMetadata\":{\"Error\":{\"Code\":\"InternalError\","
                                  "\"Message\":\"Out of memory.\"}}}";
        s = strdup(oom);
        status = 500;
    }
    response_text(resp, status, "application/json", s, s ? strlen(s) : 0);
}

/* Written by hand rather than through a jansson tree: this is the answer
 * to every successful request, GetAsset polling included. The layout is
 * exactly what json_dumps(JSON_COMPACT) makes of the same object. */
int envelope_open(const struct api_request *req, const char *action, const char *version, const char *region,
                  struct buf *b)
{
#define LIT(s) buf_append(b, s, sizeof s - 1)
    int rc = LIT("{\"ResponseMetadata\":{\"RequestId\":");
    rc |= jsonw_string(b, req->request_id);
    rc |= LIT(",\"Action\":");
    rc |= jsonw_string(b, action ? action : "");
    rc |= LIT(",\"Version\":");
    rc |= jsonw_string(b, version ? version : "");
    rc |= LIT(",\"Service\":\"portrait\",\"Region\":");
    rc |= jsonw_string(b, region);
    rc |= LIT("},\"Result\":");
#undef LIT
    return rc ? -1 : 0;
}

void envelope_close(struct buf *b, struct api_response *resp)
{
    if (buf_append(b, "}", 1) != BUF_OK) {
        buf_free(b);
        send_json(resp, 500, NULL);
        return;
    }
    size_t len = b->len;
    response_text(resp, 200, "application/json", buf_take(b), len);
}

void envelope_ok_text(const struct api_request *req, const char *action, const char *version, const char *region,
                      const char *result, struct api_response *resp)
{
    struct buf b;
    buf_init(&b, 64 * 1024 * 1024);
    if (envelope_open(req, action, version, region, &b) || buf_puts(&b, result)) {
        buf_free(&b);
        send_json(resp, 500, NULL);
        return;
    }
    envelope_close(&b, resp);
}

void envelope_ok(const struct api_request *req, const char *action, const char *version, const char *region,
                 json_t *result, struct api_response *resp)
{
    char *r = result ? json_dumps(result, JSON_COMPACT) : strdup("{}");
    json_decref(result);
    if (!r) {
        send_json(resp, 500, NULL);
        return;
    }
    envelope_ok_text(req, action, version, region, r, resp);
    free(r);
}

/* ---- errors: one catalog (errors.c), one body per surface ---- */

void response_json(struct api_response *resp, int status, json_t *root, enum api_surface surface)
{
    if (surface == API_SURFACE_ACTION) {
        send_json(resp, status, root);
        return;
    }
    char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!s) {
        s = strdup(surface == API_SURFACE_VIDEO ? "{\"error\":{\"code\":\"internal_error\",\"message\":\"Out of memory.\"}}"
                                                : "{}");
        status = 500;
    }
    response_text(resp, status, "application/json", s, s ? strlen(s) : 0);
}

void api_fail(struct api *a, const struct api_request *req, const struct api_reply *to, const struct core_status *st,
              struct api_response *resp)
{
    const struct api_error_def *d = api_error_def(st->code);
    const char *code = d->code, *msg = d->message;
    json_t *root;
    switch (to->surface) {
    case API_SURFACE_VIDEO:
        code = d->video_code;
        if (d->video_message)
            msg = d->video_message;
        if (st->message[0])
            msg = st->message;
        root = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
        /* API.md §4: an upstream refusal keeps the upstream's own code, so
         * the customer knows e.g. to register a face as an asset. */
        if (root && st->upstream_code[0])
            json_object_set_new(json_object_get(root, "error"), "upstream_code", json_string(st->upstream_code));
        break;
    case API_SURFACE_MEDIA:
        if (st->message[0])
            msg = st->message;
        root = json_pack("{s:{s:s, s:s}, s:s}", "Error", "Code", code, "Message", msg, "RequestId",
                         req->request_id ? req->request_id : "");
        break;
    default: {
        if (st->message[0])
            msg = st->message;
        json_t *md = metadata(req, to->action, to->version, a->region);
        json_object_set_new(md, "Error", json_pack("{s:s, s:s}", "Code", code, "Message", msg));
        root = json_pack("{s:o}", "ResponseMetadata", md);
        break;
    }
    }
    response_json(resp, d->http_status, root, to->surface);
    snprintf(resp->error_code, sizeof resp->error_code, "%s", code);
    resp->retry_after_s = st->retry_after_s;
}

void api_fail_code(struct api *a, const struct api_request *req, const struct api_reply *to, enum core_code code,
                   const char *message, struct api_response *resp)
{
    struct core_status st;
    core_fail(&st, code, "%s", message ? message : "");
    api_fail(a, req, to, &st, resp);
}
