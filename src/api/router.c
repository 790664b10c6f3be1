/* router.c — which surface answers a path. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/png.h" /* doctor: the test image path */

struct api *api_new(struct core *core, const char *region)
{
    struct api *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->core = core;
    snprintf(a->region, sizeof a->region, "%s", region ? region : "cn-beijing");
    atomic_init(&a->draining, 0);
    return a;
}

void api_free(struct api *a)
{
    free(a);
}

void api_set_draining(struct api *a, int draining)
{
    atomic_store(&a->draining, draining);
}

static int is_portrait(const char *path)
{
    return strcmp(path, "/v1/portrait/") == 0 || strcmp(path, "/v1/portrait") == 0;
}

int api_is_slow(const struct api_request *req)
{
    if (videos_is_slow(req)) /* video generation: the create waits for the upstream */
        return 1;
    return is_portrait(req->path) && portrait_is_slow(req->action);
}

struct api_stream *api_stream_open(struct api *a, const struct api_request *req, const char *content_type,
                                   uint64_t content_length)
{
    if (strcmp(req->path, UPLOAD_PATH) == 0 && strcmp(req->method, "POST") == 0)
        return upload_open(a, req, content_type, content_length);
    if (media_is_path(req->path) && strcmp(req->method, "PUT") == 0) /* upload sessions, fs */
        return media_put_open(a, req, content_type, content_length);
    return NULL;
}

void api_handle(struct api *a, const struct api_request *req, struct api_response *resp)
{
    const char *p = req->path;
    if (req->bad_request) {
        if (videos_is_path(p) || video_results_is_path(p))
            videos_reject(req, resp, req->bad_request);
        else
            envelope_error(req, "", "", a->region, API_INVALID_PARAMETER, req->bad_request, resp);
        return;
    }
    if (req->overloaded) {
        envelope_error(req, "", "", a->region, API_SERVICE_UNAVAILABLE, "The gateway is overloaded; retry shortly.",
                       resp);
        return;
    }
    int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (is_portrait(p)) {
        portrait_handle(a, req, resp);
    } else if (videos_is_path(p)) { /* video generation */
        videos_handle(a, req, resp);
    } else if (video_results_is_path(p)) { /* finished videos, signed URLs */
        video_results_handle(a, req, resp);
    } else if (media_is_path(p)) {
        media_handle(a, req, resp);
    } else if (strcmp(p, UPLOAD_PATH) == 0) {
        /* A POST lands here only when its stream could not be opened. */
        int post = strcmp(req->method, "POST") == 0;
        envelope_error(req, "Upload", "2024-01-01", a->region, post ? API_SERVICE_UNAVAILABLE : API_METHOD_NOT_ALLOWED,
                       post ? "The gateway is overloaded; retry shortly." : "Uploads are sent with POST.", resp);
    } else if (get && strcmp(p, "/healthz") == 0) {
        ops_healthz(a, req, resp);
    } else if (get && strcmp(p, "/readyz") == 0) {
        ops_readyz(a, req, resp);
    } else if (get && strcmp(p, "/metrics") == 0) {
        ops_metrics(a, req, resp);
    } else if (get && strcmp(p, PNG_TEST_IMAGE_PATH) == 0) { /* doctor */
        test_image_handle(a, req, resp);
    } else {
        int known = !strcmp(p, "/healthz") || !strcmp(p, "/readyz") || !strcmp(p, "/metrics");
        envelope_error(req, "", "", a->region, known ? API_METHOD_NOT_ALLOWED : API_NOT_FOUND, NULL, resp);
    }
}
