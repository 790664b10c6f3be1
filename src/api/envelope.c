/* envelope.c — renders the Volcengine envelope of API.md §2:
 * {"ResponseMetadata": {RequestId, Action, Version, Service, Region[, Error]},
 *  "Result": {...}}. Key order is fixed, so two errors that differ only in
 * RequestId are byte-identical apart from it. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

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

void envelope_ok(const struct api_request *req, const char *action, const char *version, const char *region,
                 json_t *result, struct api_response *resp)
{
    json_t *root = json_pack("{s:o, s:o}", "ResponseMetadata", metadata(req, action, version, region), "Result",
                             result ? result : json_object());
    send_json(resp, 200, root);
}

void envelope_error(const struct api_request *req, const char *action, const char *version, const char *region,
                    enum api_err e, const char *message, struct api_response *resp)
{
    const struct api_error_def *d = api_error_def(e);
    json_t *md = metadata(req, action, version, region);
    json_object_set_new(md, "Error", json_pack("{s:s, s:s}", "Code", d->code, "Message",
                                               message && *message ? message : d->message));
    send_json(resp, d->http_status, json_pack("{s:o}", "ResponseMetadata", md));
    snprintf(resp->error_code, sizeof resp->error_code, "%s", d->code);
}
