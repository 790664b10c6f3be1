/* videos.c — Seedance video generation, API.md §4:
 *
 *   POST /v1/videos/generations        {model, prompt, ratio, duration,
 *                                       resolution, content[]} → the task
 *   GET  /v1/videos/generations/{id}   → the task
 *
 * "wait_for_assets": true and content[].register_asset {group_id?, name?}
 * (inline registration) are parsed here and ruled on in core/videos.c.
 *
 * The task object: {"id", "object": "video.generation", "model", "status",
 * "created_at": <unix s>} plus "video_url" and "usage" {completion_tokens,
 * total_tokens} when succeeded, "error" {code, message} when failed.
 *
 * This surface speaks the OpenAI-style error format, not the Volcengine
 * envelope: {"error": {"code": "...", "message": "..."}}, codes from the
 * catalog's video column (api/errors.c), plus "upstream_code" when the
 * upstream itself refused the create (HTTP 400). The key, body size,
 * draining and JSON checks are the route table's (api/router.c); handlers
 * here only translate JSON to core calls; every rule is in core/videos.c.
 * Unknown fields are ignored; a field of the wrong JSON type is
 * invalid_request.
 *
 *   GET  /v1/videos/results/{id}?c=..&exp=..&sig=..   the finished video
 *
 * A succeeded task's video_url is that Portico URL, signed (core.h), not the
 * upstream's: the upstream task id stays internal, and the bytes are fetched
 * from the upstream and streamed to whoever holds the URL, without a key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"

static const struct api_reply video_reply = {API_SURFACE_VIDEO, NULL, NULL};

static void send_json(struct api_response *resp, int status, json_t *root)
{
    response_json(resp, status, root, API_SURFACE_VIDEO);
}

static void video_fail(struct api *a, const struct api_request *req, struct api_response *resp,
                       const struct core_status *st)
{
    api_fail(a, req, &video_reply, st, resp);
}

/* The task object, as core renders it for reads and events alike. */
static json_t *render_video(struct api *a, const struct video_task *t)
{
    struct buf b;
    buf_init(&b, 16 * 1024);
    json_t *o = core_video_json(a->core, t, &b) == 0 ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    buf_free(&b);
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
        /* inline registration (API.md §4) */
        json_t *reg = NULL;
        if (param_object(e, "register_asset", &reg, st))
            goto field;
        if (reg) {
            it->register_asset = 1;
            if (param_string(reg, "group_id", &it->register_group_id, st) ||
                param_string(reg, "name", &it->register_name, st)) {
                char why[sizeof st->message];
                memcpy(why, st->message, sizeof why);
                core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].register_asset.%s", i, why);
                return -1;
            }
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

/* The request as kept with the task: an image sent inline as a data: URL
 * (up to 10 MiB) is recorded by its size only; its bytes are the asset's. */
static char *record_of(json_t *body)
{
    json_t *content = json_object_get(body, "content");
    int inline_data = 0;
    for (size_t i = 0; json_is_array(content) && i < json_array_size(content); i++) {
        const char *url = json_string_value(json_object_get(json_object_get(json_array_get(content, i), "image_url"),
                                                            "url"));
        inline_data |= url && strncasecmp(url, "data:", 5) == 0;
    }
    if (!inline_data)
        return json_dumps(body, JSON_COMPACT);
    json_t *copy = json_deep_copy(body);
    json_t *items = json_object_get(copy, "content");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *img = json_object_get(json_array_get(items, i), "image_url");
        const char *url = json_string_value(json_object_get(img, "url"));
        if (url && strncasecmp(url, "data:", 5) == 0) {
            char note[64];
            snprintf(note, sizeof note, "data:(%zu characters, registered as an asset)", strlen(url));
            json_object_set_new(img, "url", json_string(note));
        }
    }
    char *text = copy ? json_dumps(copy, JSON_COMPACT) : NULL;
    json_decref(copy);
    return text;
}

void videos_create(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    struct core_status st = {0};
    json_t *body = call->body;
    char *record = NULL;
    struct core_video_item items[CORE_VIDEO_ITEMS_MAX];
    struct core_video_request vr = {0};

    if (param_string(body, "model", &vr.model, &st) || param_string(body, "prompt", &vr.prompt, &st) ||
        param_string(body, "ratio", &vr.ratio, &st) || param_string(body, "resolution", &vr.resolution, &st) ||
        param_int(body, "duration", &vr.duration, &st) || parse_content(body, items, &vr.n_items, &st))
        goto fail;
    json_t *w = json_object_get(body, "wait_for_assets");
    if (w && !json_is_null(w) && !json_is_boolean(w)) {
        core_fail(&st, CORE_INVALID_PARAMETER, "wait_for_assets must be true or false.");
        goto fail;
    }
    vr.wait_for_assets = json_is_true(w);
    json_t *d = json_object_get(body, "duration");
    vr.has_duration = d && !json_is_null(d);
    vr.items = items;
    record = record_of(body);
    vr.record_json = record;
    struct video_task t;
    if (core_create_video(a->core, &call->cu, &call->who, &vr, &t, &st))
        goto fail;
    free(record);
    send_json(resp, 200, render_video(a, &t));
    return;
fail:
    free(record);
    video_fail(a, req, resp, &st);
}

void videos_get(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    struct core_status st = {0};
    struct video_task t;
    const char *id = req->path + strlen(VIDEOS_PATH);
    if (core_get_video(a->core, &call->cu, id, &t, &st)) {
        video_fail(a, req, resp, &st);
        return;
    }
    send_json(resp, 200, render_video(a, &t));
}

void video_results_handle(struct api *a, const struct api_request *req, struct api_call *call,
                          struct api_response *resp)
{
    struct core_status st = {0};
    int fd = -1;
    uint64_t size = 0;
    const char *id = req->path + strlen(CORE_VIDEO_RESULT_PATH);
    if (core_open_video_result(a->core, id, api_query(req, "c"), api_query(req, "exp"), api_query(req, "sig"), &fd,
                               &size, &st)) {
        video_fail(a, req, resp, &st);
        return;
    }
    resp->status = 200;
    resp->has_fd = 1;
    resp->body_fd = fd;
    resp->body_fd_size = size;
    resp->content_type = "video/mp4";
}
