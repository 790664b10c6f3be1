/* videos.c — Seedance video generation, API.md §4:
 *
 *   POST /v1/videos/generations        {model, prompt, ratio, duration,
 *                                       resolution, content[]} → the task
 *   GET  /v1/videos/generations/{id}   → the task
 *
 * The task object: {"id", "object": "video.generation", "model", "status",
 * "created_at": <unix s>} plus "video_url" and "usage" {completion_tokens,
 * total_tokens} when succeeded, "error" {code, message} when failed.
 *
 * This surface speaks the OpenAI-style error format, not the Volcengine
 * envelope: {"error": {"code": "...", "message": "..."}}, codes from the
 * table below (one row per core outcome), plus "upstream_code" when the
 * upstream itself refused the create (HTTP 400). Handlers here only translate
 * JSON to core calls; every rule is in core/videos.c. Unknown fields are
 * ignored; a field of the wrong JSON type is invalid_request.
 *
 *   GET  /v1/videos/results/{id}?c=..&exp=..&sig=..   the finished video
 *
 * A succeeded task's video_url is that Portico URL, signed (core.h), not the
 * upstream's: the upstream task id stays internal, and the bytes are fetched
 * from the upstream and streamed to whoever holds the URL, without a key. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"

#define VIDEOS_PATH "/v1/videos/generations"

/* The error catalog of this surface. */
struct video_error {
    enum core_code core;
    const char *code;
    int status;
    const char *message; /* when core gave none */
};

static const struct video_error video_errors[] = {
    {CORE_INVALID_PARAMETER, "invalid_request", 400, "The request is invalid."},
    {CORE_MODEL_NOT_SUPPORTED_ASSET, "model_not_supported_asset", 400, "This model does not accept asset:// references."},
    {CORE_ASSET_NOT_READY, "asset_not_ready", 400, "A referenced asset is not Active yet."},
    {CORE_UNAUTHORIZED, "unauthorized", 401, "Send a valid API key as 'Authorization: Bearer <key>'."},
    {CORE_FORBIDDEN, "forbidden", 403, "The asset does not exist or you do not have access to it."},
    {CORE_NOT_FOUND, "not_found", 404, "No video generation task with this id exists for you."},
    {CORE_PAYLOAD_TOO_LARGE, "payload_too_large", 413, "The request body is too large; the limit is 64 KiB."},
    {CORE_TOO_MANY_REQUESTS, "too_many_requests", 429, "Too many requests; retry after the Retry-After time."},
    {CORE_UPSTREAM_ERROR, "upstream_error", 502, "The upstream failed; nothing was started, retry later."},
    {CORE_SERVICE_UNAVAILABLE, "service_unavailable", 503, "The service is unavailable; retry shortly."},
    {CORE_INTERNAL_ERROR, "internal_error", 500, "An internal error occurred; report the X-Request-Id."},
};

static const struct video_error *video_error_of(enum core_code c)
{
    for (size_t i = 0; i < sizeof video_errors / sizeof video_errors[0]; i++)
        if (video_errors[i].core == c)
            return &video_errors[i];
    return &video_errors[sizeof video_errors / sizeof video_errors[0] - 1];
}

static void send_json(struct api_response *resp, int status, json_t *root)
{
    char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!s) {
        s = strdup("{\"error\":{\"code\":\"internal_error\",\"message\":\"Out of memory.\"}}");
        status = 500;
    }
    response_text(resp, status, "application/json", s, s ? strlen(s) : 0);
}

static void video_fail(struct api_response *resp, const struct core_status *st)
{
    const struct video_error *e = video_error_of(st->code);
    const char *msg = st->message[0] ? st->message : e->message;
    json_t *o = json_pack("{s:{s:s, s:s}}", "error", "code", e->code, "message", msg);
    /* API.md §4: an upstream refusal keeps the upstream's own code, so the
     * customer knows e.g. to register a face as an asset. */
    if (o && st->upstream_code[0])
        json_object_set_new(json_object_get(o, "error"), "upstream_code", json_string(st->upstream_code));
    send_json(resp, e->status, o);
    snprintf(resp->error_code, sizeof resp->error_code, "%s", e->code);
    resp->retry_after_s = st->retry_after_s;
}

static void video_fail_with(struct api_response *resp, enum core_code code, const char *msg)
{
    struct core_status st;
    core_fail(&st, code, "%s", msg ? msg : "");
    video_fail(resp, &st);
}

static json_t *render_video(struct api *a, const struct video_task *t)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", t->id, "object", "video.generation", "model", t->model,
                          "status", t->status, "created_at", (json_int_t)(t->create_ms / 1000));
    if (!o)
        return NULL;
    if (strcmp(t->status, "succeeded") == 0) {
        char url[1024];
        if (core_video_result_url(a->core, t, url, sizeof url) == 0)
            json_object_set_new(o, "video_url", json_string(url));
        json_object_set_new(o, "usage", json_pack("{s:I, s:I}", "completion_tokens", (json_int_t)t->completion_tokens,
                                                  "total_tokens", (json_int_t)t->total_tokens));
    } else if (strcmp(t->status, "failed") == 0) {
        json_object_set_new(o, "error", json_pack("{s:s, s:s}", "code", t->error_code[0] ? t->error_code : "failed",
                                                  "message", t->error_message[0] ? t->error_message
                                                                                 : "The generation failed."));
    }
    return o;
}

/* content[i] → items[i]; the JSON stays owned by body. */
static int parse_content(json_t *body, struct core_video_item *items, size_t *n, struct core_status *st)
{
    json_t *content = json_object_get(body, "content");
    *n = 0;
    if (!content || json_is_null(content))
        return 0;
    if (!json_is_array(content)) {
        core_fail(st, CORE_INVALID_PARAMETER, "content must be an array of objects.");
        return -1;
    }
    if (json_array_size(content) > CORE_VIDEO_ITEMS_MAX) {
        core_fail(st, CORE_INVALID_PARAMETER, "content may hold at most %d items.", CORE_VIDEO_ITEMS_MAX);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(content); i++) {
        json_t *e = json_array_get(content, i);
        struct core_video_item *it = &items[i];
        memset(it, 0, sizeof *it);
        if (!json_is_object(e)) {
            core_fail(st, CORE_INVALID_PARAMETER, "content[%zu] must be an object.", i);
            return -1;
        }
        json_t *media = NULL;
        if (param_string(e, "type", &it->type, st) || param_string(e, "role", &it->role, st))
            goto field;
        /* Only a known type names the object that holds the url. */
        if (it->type && (!strcmp(it->type, "image_url") || !strcmp(it->type, "video_url") ||
                         !strcmp(it->type, "audio_url"))) {
            if (param_object(e, it->type, &media, st))
                goto field;
            if (!media) {
                core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].%s must be an object {\"url\": ...}.", i,
                          it->type);
                return -1;
            }
            if (param_string(media, "url", &it->url, st))
                goto field;
        }
        continue;
    field:
        /* param_* named the field alone; say which item it belongs to. */
        {
            char why[sizeof st->message];
            memcpy(why, st->message, sizeof why);
            core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].%s%s%s", i, media ? it->type : "", media ? "." : "",
                      why);
        }
        return -1;
    }
    *n = json_array_size(content);
    return 0;
}

static void videos_create(struct api *a, const struct api_request *req, const struct customer *cu,
                          struct api_response *resp)
{
    struct core_status st = {0};
    json_t *body = NULL;
    char *record = NULL;
    struct core_video_item items[CORE_VIDEO_ITEMS_MAX];
    struct core_video_request vr = {0};

    if (req->body_len == 0) {
        body = json_object();
    } else {
        json_error_t jerr;
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!body || !json_is_object(body)) {
            core_fail(&st, CORE_INVALID_PARAMETER, body ? "The body must be a JSON object." : "The body is not valid JSON.");
            goto fail;
        }
    }
    if (param_string(body, "model", &vr.model, &st) || param_string(body, "prompt", &vr.prompt, &st) ||
        param_string(body, "ratio", &vr.ratio, &st) || param_string(body, "resolution", &vr.resolution, &st) ||
        param_int(body, "duration", &vr.duration, &st) || parse_content(body, items, &vr.n_items, &st))
        goto fail;
    json_t *d = json_object_get(body, "duration");
    vr.has_duration = d && !json_is_null(d);
    vr.items = items;
    record = json_dumps(body, JSON_COMPACT);
    vr.record_json = record;
    struct video_task t;
    if (core_create_video(a->core, cu, &vr, &t, &st))
        goto fail;
    json_decref(body);
    free(record);
    send_json(resp, 200, render_video(a, &t));
    return;
fail:
    json_decref(body);
    free(record);
    video_fail(resp, &st);
}

static void videos_get(struct api *a, const char *id, const struct customer *cu, struct api_response *resp)
{
    struct core_status st = {0};
    struct video_task t;
    if (core_get_video(a->core, cu, id, &t, &st)) {
        video_fail(resp, &st);
        return;
    }
    send_json(resp, 200, render_video(a, &t));
}

void videos_reject(const struct api_request *req, struct api_response *resp, const char *message)
{
    video_fail_with(resp, CORE_INVALID_PARAMETER, message);
}

int video_results_is_path(const char *path)
{
    return strncmp(path, CORE_VIDEO_RESULT_PATH, strlen(CORE_VIDEO_RESULT_PATH)) == 0;
}

void video_results_handle(struct api *a, const struct api_request *req, struct api_response *resp)
{
    snprintf(resp->action, sizeof resp->action, "GetVideoResult");
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        send_json(resp, 405, json_pack("{s:{s:s, s:s}}", "error", "code", "method_not_allowed", "message",
                                       "Video results answer GET and HEAD only."));
        snprintf(resp->error_code, sizeof resp->error_code, "method_not_allowed");
        return;
    }
    if (req->overloaded) {
        video_fail_with(resp, CORE_SERVICE_UNAVAILABLE, "The gateway is overloaded; retry shortly.");
        return;
    }
    struct core_status st = {0};
    int fd = -1;
    uint64_t size = 0;
    const char *id = req->path + strlen(CORE_VIDEO_RESULT_PATH);
    if (core_open_video_result(a->core, id, api_query(req, "c"), api_query(req, "exp"), api_query(req, "sig"), &fd,
                               &size, &st)) {
        video_fail(resp, &st);
        return;
    }
    resp->status = 200;
    resp->has_fd = 1;
    resp->body_fd = fd;
    resp->body_fd_size = size;
    resp->content_type = "video/mp4";
}

int videos_is_path(const char *path)
{
    size_t n = strlen(VIDEOS_PATH);
    return strncmp(path, VIDEOS_PATH, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int videos_is_slow(const struct api_request *req)
{
    /* The create waits for the upstream, and so does a result (its bytes
     * come from there); task reads are answered from records. */
    return (strcmp(req->path, VIDEOS_PATH) == 0 && strcmp(req->method, "POST") == 0) ||
           video_results_is_path(req->path);
}

void videos_handle(struct api *a, const struct api_request *req, struct api_response *resp)
{
    const char *p = req->path;
    size_t n = strlen(VIDEOS_PATH);
    int create = p[n] == '\0' || (p[n] == '/' && p[n + 1] == '\0');
    const char *id = create ? NULL : p + n + 1;
    int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    snprintf(resp->action, sizeof resp->action, "%s", create ? "CreateVideoGeneration" : "GetVideoGeneration");

    if (create ? strcmp(req->method, "POST") != 0 : !get) {
        send_json(resp, 405, json_pack("{s:{s:s, s:s}}", "error", "code", "method_not_allowed", "message",
                                       create ? "Video generations are created with POST."
                                              : "A video generation is read with GET."));
        snprintf(resp->error_code, sizeof resp->error_code, "method_not_allowed");
        return;
    }
    struct core_status st = {0};
    struct customer cu;
    if (core_authenticate(a->core, api_bearer(req->authorization), &cu, &st)) {
        video_fail(resp, &st);
        return;
    }
    resp->customer_id = cu.id;
    if (req->body_too_large)
        video_fail_with(resp, CORE_PAYLOAD_TOO_LARGE, NULL);
    else if (req->overloaded)
        video_fail_with(resp, CORE_SERVICE_UNAVAILABLE, "The gateway is overloaded; retry shortly.");
    else if (atomic_load(&a->draining))
        video_fail_with(resp, CORE_SERVICE_UNAVAILABLE, "The gateway is shutting down; retry on another node or shortly.");
    else if (create)
        videos_create(a, req, &cu, resp);
    else
        videos_get(a, id, &cu, resp);
}
