/* internal.h — shared by the files of api/. */
#ifndef PORTICO_API_INTERNAL_H
#define PORTICO_API_INTERNAL_H
#include <jansson.h>
#include <stdatomic.h>

#include "api/api.h"
#include "api/errors.h"
#include "util/buf.h"

struct api {
    struct core *core;
    char region[64];
    atomic_int draining;
};

/* envelope.c — the Volcengine envelope. result is stolen (decref'd). */
void envelope_ok(const struct api_request *req, const char *action, const char *version, const char *region,
                 json_t *result, struct api_response *resp);
/* message NULL or "" → the catalog's default. */
void envelope_error(const struct api_request *req, const char *action, const char *version, const char *region,
                    enum api_err e, const char *message, struct api_response *resp);
/* As envelope_ok, with the Result given as JSON text. */
void envelope_ok_text(const struct api_request *req, const char *action, const char *version, const char *region,
                      const char *result, struct api_response *resp);
void response_text(struct api_response *resp, int status, const char *content_type, char *body, size_t len);

/* params.c — typed access to a request's JSON fields. Each returns 0, or -1
 * with st set to InvalidParameter naming the field. An absent or null field
 * leaves the default. */
int param_string(json_t *obj, const char *field, const char **out, struct core_status *st);
int param_int(json_t *obj, const char *field, int *out, struct core_status *st);
int param_object(json_t *obj, const char *field, json_t **out, struct core_status *st);
/* *out is a malloc'd array (free it) of borrowed strings; max entries. */
/* The key of an "Authorization: Bearer <key>" header, or NULL. */
const char *api_bearer(const char *authorization);
int param_strings(json_t *obj, const char *field, size_t max, const char ***out, size_t *n, struct core_status *st);

/* render.c — API objects. */
json_t *render_group(const struct group *g);
json_t *render_asset(const struct asset *a);
/* The same Asset object as JSON text, appended to out; 0 or -1. */
int render_asset_text(const struct asset *a, struct buf *out);

/* portrait.c */
void portrait_handle(struct api *a, const struct api_request *req, struct api_response *resp);
int portrait_is_slow(const char *action);

/* liveness.c — Action handlers (rows in portrait.c's table). */
enum core_code liveness_create_session(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                       struct core_status *st);
enum core_code liveness_get_result(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                   struct core_status *st);

/* upload.c — POST /v1/portrait/upload, a streamed body (api_stream). */
#define UPLOAD_PATH "/v1/portrait/upload"
struct api_stream *upload_open(struct api *a, const struct api_request *req, const char *content_type,
                               uint64_t content_length);

/* upload_session.c — API.md §4b: Action handlers (rows in portrait.c) and
 * PUT /v1/media/<key>, the fs backend's signed upload URL (a streamed body). */
enum core_code upload_session_create(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                     struct core_status *st);
enum core_code upload_session_complete(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                       struct core_status *st);
enum core_code upload_session_abort(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                    struct core_status *st);
struct api_stream *media_put_open(struct api *a, const struct api_request *req, const char *content_type,
                                  uint64_t content_length);

/* media.c — GET/HEAD /v1/media/<key>: signed URLs of stored uploads. */
int media_is_path(const char *path);
void media_handle(struct api *a, const struct api_request *req, struct api_response *resp);

/* videos.c — POST /v1/videos/generations, GET /v1/videos/generations/{id}. */
int videos_is_path(const char *path);
int videos_is_slow(const struct api_request *req);
void videos_handle(struct api *a, const struct api_request *req, struct api_response *resp);
/* GET/HEAD /v1/videos/results/{id}?c=&exp=&sig=: a finished video, no key. */
int video_results_is_path(const char *path);
void video_results_handle(struct api *a, const struct api_request *req, struct api_response *resp);
/* A request refused before its surface looked at it: invalid_request (400). */
void videos_reject(const struct api_request *req, struct api_response *resp, const char *message);

/* ops.c */
void ops_healthz(struct api *a, const struct api_request *req, struct api_response *resp);
void ops_readyz(struct api *a, const struct api_request *req, struct api_response *resp);
void ops_metrics(struct api *a, const struct api_request *req, struct api_response *resp);

/* test_image.c — GET PNG_TEST_IMAGE_PATH: the built-in PNG `porticod doctor` hands upstream. */
void test_image_handle(struct api *a, const struct api_request *req, struct api_response *resp);

#endif
