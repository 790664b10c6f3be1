/* ark_video.c — port 3's video tasks: ModelArk's content generation API
 * (Seedance), over util/http_call with the ARK API key as a Bearer token.
 *
 * Wire shapes (the real ModelArk API; the simulator speaks the same):
 *
 *   POST {ark_endpoint}/api/v3/contents/generations/tasks
 *   Authorization: Bearer <ARK API key>
 *   {"model": "doubao-seedance-2-0-260128",
 *    "content": [{"type": "text", "text": "<prompt>"},
 *                {"type": "image_url", "image_url": {"url": "asset://asset-..."}, "role": "reference_image"},
 *                {"type": "video_url", "video_url": {"url": "https://..."}, "role": "reference_video"},
 *                {"type": "audio_url", "audio_url": {"url": "https://..."}, "role": "reference_audio"}],
 *    "ratio": "16:9", "duration": 5, "resolution": "720p"}
 *   → 200 {"id": "cgt-20260101120000-abcde"}
 *
 *   GET {ark_endpoint}/api/v3/contents/generations/tasks/{id}
 *   → 200 {"id", "model", "status": "queued|running|succeeded|failed|expired|cancelled",
 *          "content": {"video_url": "..."},            (when succeeded)
 *          "usage": {"completion_tokens": N, "total_tokens": N},
 *          "created_at": <unix s>, "updated_at": <unix s>, "duration": <s>,
 *          "error": {"code", "message"}}               (when failed)
 *
 *   Errors: HTTP 4xx/5xx with {"error": {"code": "...", "message": "..."}},
 *   e.g. 400 InputImageSensitiveContentDetected.PrivacyInformation for a
 *   real face sent by URL (UPSTREAM.md "Video tasks", last row).
 *
 * The status is kept verbatim, known or not (UPSTREAM.md rule 2: an
 * unknown Status value is a documented outcome, never a false failure);
 * core/video_refresher.c decides what each means to a customer. Unknown
 * extra fields are ignored.
 *
 * The generation parameters travel as top-level fields (ratio, duration,
 * resolution), the form ModelArk documents for Seedance 1.5 and 2.0, not
 * as "--rs 720p" flags inside the prompt text; the roles and the
 * asset://<id> references are passed through exactly as core validated
 * them (the upstream resolves assets itself).
 *
 * Invariant, as in volc.c: a create is retried only when the upstream
 * cannot have acted (no connection, or throttled), since a retry after a
 * timeout could start a second, paid generation nobody records. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "upstream/volc_int.h"
#include "util/buf.h"
#include "util/log.h"

#define ARK_MAX_RESPONSE (1024 * 1024)
#define ARK_MAX_URL 2048
#define ARK_TASKS_PATH "/api/v3/contents/generations/tasks"
#define ARK_DEFAULT_ENDPOINT "https://ark.cn-beijing.volces.com"

struct ark_video {
    char *base_url; /* endpoint without a trailing '/' */
    char *auth;     /* the whole "Authorization: Bearer ..." header line */
    long timeout_ms;
    long connect_timeout_ms;
    int max_attempts;
};

static const char *ark_json_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Maps a complete HTTP answer; on UP_OK *root holds the parsed object. */
enum up_result ark_classify(long status, const struct buf *body, json_t **root, struct up_error *err)
{
    json_error_t jerr;
    json_t *o = body->len ? json_loadb(body->data, body->len, 0, &jerr) : NULL;
    json_t *e = json_object_get(o, "error");
    const char *code = json_is_object(e) ? ark_json_str(e, "code") : NULL;
    const char *message = json_is_object(e) ? ark_json_str(e, "message") : NULL;
    enum up_result r;

    /* A 200 task may carry "error": null, or an error object when the task
     * failed: that is the task's state, not a failed call. */
    if (status == 200 && json_is_object(o)) {
        *root = o;
        return UP_OK;
    }
    if (status == 404 || (code && strstr(code, "NotFound")))
        r = UP_NOT_FOUND;
    else if (status == 429)
        r = UP_THROTTLED;
    else if (status >= 400 && status < 500)
        r = UP_REJECTED;
    else
        r = UP_UNAVAILABLE;
    if (code) {
        volc_set_error(err, (int)status, code, message);
    } else {
        char c[32];
        snprintf(c, sizeof c, status == 200 ? "InvalidResponse" : "Http%ld", status);
        volc_set_error(err, (int)status, c, status == 200 ? "200 with a body that is not a JSON object"
                                                          : "no ModelArk error in the response body");
    }
    json_decref(o);
    return r;
}

/* One request: POST with body, or GET when body is NULL. *not_acted is set
 * when the upstream certainly did not act on it. */
static enum up_result ark_attempt(struct ark_video *a, const char *url, const char *body, json_t **root,
                                  struct up_error *err, int *not_acted)
{
    struct buf reply;
    long status = 0;
    const char *const hdrs[] = {"Accept: application/json", "Expect:", a->auth, "Content-Type: application/json"};
    struct http_call call = {
        .url = url,
        .headers = hdrs,
        .n_headers = body ? 4 : 3,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = a->timeout_ms,
        .connect_timeout_ms = a->connect_timeout_ms,
        .response = &reply,
    };
    struct http_call_out out;
    *not_acted = 0;
    buf_init(&reply, ARK_MAX_RESPONSE);
    enum up_result r = volc_http_result(http_call(&call, &out), &out, &status, err, not_acted);
    if (r == UP_OK) {
        r = ark_classify(status, &reply, root, err);
        *not_acted = r == UP_THROTTLED;
    }
    buf_free(&reply);
    return r;
}

/* The attempt loop; create says which retry rule applies. */
static enum up_result ark_call(struct ark_video *a, const char *url, const char *body, int create, json_t **root,
                               struct up_error *err)
{
    enum up_result r = UP_UNAVAILABLE;
    for (int attempt = 1;; attempt++) {
        int not_acted = 0;
        *root = NULL;
        r = ark_attempt(a, url, body, root, err, &not_acted);
        if (r == UP_OK)
            break;
        int retriable = (r == UP_THROTTLED || r == UP_UNAVAILABLE) && (!create || not_acted);
        if (!retriable || attempt >= a->max_attempts)
            break;
        log_warn("upstream %s attempt %d/%d failed: %s %s (http %d); retrying",
                 create ? "CreateVideoTask" : "GetVideoTask", attempt, a->max_attempts, up_result_str(r),
                 err->code, err->http_status);
        volc_backoff(attempt);
    }
    return r;
}

static json_t *ark_request_json(const struct up_video_request *req)
{
    json_t *content = json_array();
    json_t *o = json_object();
    if (!content || !o)
        goto fail;
    if (json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text", "text", req->prompt)))
        goto fail;
    for (size_t i = 0; i < req->n_items; i++) {
        const struct up_video_item *it = &req->items[i];
        json_t *item = json_pack("{s:s, s:{s:s}}", "type", it->type, it->type, "url", it->url);
        if (item && it->role && json_object_set_new(item, "role", json_string(it->role))) {
            json_decref(item);
            goto fail;
        }
        if (json_array_append_new(content, item))
            goto fail;
    }
    if (json_object_set_new(o, "model", json_string(req->model)) || json_object_set(o, "content", content) ||
        (req->ratio && json_object_set_new(o, "ratio", json_string(req->ratio))) ||
        /* UPSTREAM.md "Video tasks", Parameters row: 4..15, or -1 */
        (req->duration != 0 && json_object_set_new(o, "duration", json_integer(req->duration))) ||
        (req->resolution && json_object_set_new(o, "resolution", json_string(req->resolution))))
        goto fail;
    json_decref(content);
    return o;
fail:
    json_decref(content);
    json_decref(o);
    return NULL;
}

enum up_result ark_create_video_task(struct upstream *u, const struct up_video_request *req,
                                     char id_out[static IDS_MAX], struct up_error *err)
{
    struct ark_video *a = volc_ark(u);
    struct up_error scratch;
    char url[ARK_MAX_URL + 64];
    json_t *root = NULL;
    char *body = NULL;
    enum up_result r = UP_REJECTED;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if (!req || !req->model || !req->prompt || (req->n_items && !req->items)) {
        volc_set_error(err, 0, "InvalidParameter", "model and prompt are required");
        return UP_REJECTED;
    }
    for (size_t i = 0; i < req->n_items; i++)
        if (!req->items[i].type || !req->items[i].url) {
            volc_set_error(err, 0, "InvalidParameter", "every content item needs a type and a url");
            return UP_REJECTED;
        }
    json_t *o = ark_request_json(req);
    body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body) {
        volc_set_error(err, 0, "OutOfMemory", "cannot encode the request");
        return UP_UNAVAILABLE;
    }
    snprintf(url, sizeof url, "%s" ARK_TASKS_PATH, a->base_url);
    r = ark_call(a, url, body, 1, &root, err);
    if (r == UP_OK) {
        const char *id = ark_json_str(root, "id");
        if (!volc_valid_id(id)) {
            volc_set_error(err, 200, "InvalidResponse", "the create answer lacks a valid id");
            r = UP_UNAVAILABLE;
        } else {
            snprintf(id_out, IDS_MAX, "%s", id);
        }
    }
    json_decref(root);
    free(body);
    return r;
}

static int ark_http_url(const char *s)
{
    if (!s || strnlen(s, UP_VIDEO_URL_MAX) >= UP_VIDEO_URL_MAX ||
        (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0))
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static int64_t ark_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* Fills out from a task object; -1 when it is not one. UPSTREAM.md "Video
 * tasks", Status row: every status is kept verbatim; a succeeded task must
 * carry content.video_url, and error {code, message} is read whenever the
 * task carries one (failed, and whatever else the upstream explains). */
int ark_parse_task(json_t *root, const char *id, struct up_video_task *out)
{
    const char *rid = ark_json_str(root, "id");
    const char *status = ark_json_str(root, "status");
    if (!volc_valid_id(rid) || strcmp(rid, id) != 0 || !status || !*status)
        return -1;
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", rid);
    snprintf(out->status, sizeof out->status, "%s", status);
    if (!strcmp(status, "succeeded")) {
        const char *v = ark_json_str(json_object_get(root, "content"), "video_url");
        if (!ark_http_url(v))
            return -1;
        snprintf(out->video_url, sizeof out->video_url, "%s", v);
    }
    json_t *e = json_object_get(root, "error");
    if (json_is_object(e)) {
        const char *c = ark_json_str(e, "code"), *m = ark_json_str(e, "message");
        snprintf(out->error_code, sizeof out->error_code, "%s", c ? c : "");
        snprintf(out->error_message, sizeof out->error_message, "%s", m ? m : "");
    }
    if (!strcmp(status, "failed") && !out->error_code[0])
        snprintf(out->error_code, sizeof out->error_code, "Failed");
    if (!strcmp(status, "failed") && !out->error_message[0])
        snprintf(out->error_message, sizeof out->error_message, "The generation failed.");
    json_t *usage = json_object_get(root, "usage");
    out->completion_tokens = ark_int(usage, "completion_tokens");
    out->total_tokens = ark_int(usage, "total_tokens");
    out->created_at = ark_int(root, "created_at");
    out->updated_at = ark_int(root, "updated_at");
    /* The video's length in seconds, when the task says it (usage); a
     * negative (-1: follow the input) or absurd value says nothing. */
    int64_t d = ark_int(root, "duration");
    out->duration = d > 0 && d <= 3600 ? d : 0;
    return 0;
}

enum up_result ark_get_video_task(struct upstream *u, const char *id, struct up_video_task *out,
                                  struct up_error *err)
{
    struct ark_video *a = volc_ark(u);
    struct up_error scratch;
    char url[ARK_MAX_URL + 64 + IDS_MAX];
    json_t *root = NULL;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    /* The id goes into the path: only the boring alphabet, never escapes. */
    if (!volc_valid_id(id) || !out) {
        volc_set_error(err, 0, "InvalidParameter", "a valid task id is required");
        return UP_REJECTED;
    }
    snprintf(url, sizeof url, "%s" ARK_TASKS_PATH "/%s", a->base_url, id);
    enum up_result r = ark_call(a, url, NULL, 0, &root, err);
    if (r == UP_OK && ark_parse_task(root, id, out) != 0) {
        volc_set_error(err, 200, "InvalidResponse", "the task answer lacks a valid id, status or video_url");
        r = UP_UNAVAILABLE;
    }
    json_decref(root);
    return r;
}

/* A video download: bytes into an unlinked file (http_call bounds them). */
struct ark_file {
    int fd;
    uint64_t size;
    int io_error;
};

static int ark_file_write(void *ctx, const struct http_head *head, const char *p, size_t len)
{
    struct ark_file *f = ctx;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(f->fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            f->io_error = 1;
            return -1;
        }
        off += (size_t)w;
    }
    f->size += len;
    return 0;
}

static int ark_tmpfile(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char path[512];
    snprintf(path, sizeof path, "%s/portico-video-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

enum up_result ark_open_video_result(struct upstream *u, const char *url, uint64_t max_bytes, int *fd,
                                    uint64_t *size, struct up_error *err)
{
    struct ark_video *a = volc_ark(u);
    struct up_error scratch;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    *fd = -1;
    *size = 0;
    if (!ark_http_url(url)) {
        volc_set_error(err, 0, "InvalidParameter", "the video URL is not an http(s) URL");
        return UP_REJECTED;
    }
    struct ark_file f = {.fd = ark_tmpfile()};
    if (f.fd < 0) {
        volc_set_error(err, 0, "TempFile", "cannot create a temporary file for the video");
        return UP_UNAVAILABLE;
    }
    struct http_call call = {
        .url = url,
        .connect_timeout_ms = a->connect_timeout_ms,
        /* A video is larger than an API answer: time for the bytes, not the call. */
        .timeout_ms = 120000L,
        .max_redirs = 3,
        .max_response = max_bytes,
        .sink = ark_file_write,
        .sink_ctx = &f,
    };
    struct http_call_out out;
    enum http_call_result hr = http_call(&call, &out);
    long status = out.status;
    enum up_result r = UP_OK;
    if (hr == HTTP_CALL_TOO_LARGE) {
        volc_set_error(err, (int)status, "TooLarge", "the video is larger than the gateway serves");
        r = UP_REJECTED;
    } else if (hr != HTTP_CALL_OK || f.io_error) {
        volc_set_error(err, (int)status, "DownloadFailed", f.io_error ? "writing the temporary file failed"
                                                                       : out.message);
        r = UP_UNAVAILABLE;
    } else if (status == 404 || status == 403 || status == 410) {
        volc_set_error(err, (int)status, "Expired", "the upstream no longer serves the video");
        r = UP_NOT_FOUND;
    } else if (status != 200) {
        volc_set_error(err, (int)status, "DownloadFailed", "the upstream answered the video download with an error");
        r = UP_UNAVAILABLE;
    } else if (lseek(f.fd, 0, SEEK_SET) != 0) {
        volc_set_error(err, 0, "DownloadFailed", "cannot rewind the temporary file");
        r = UP_UNAVAILABLE;
    }
    if (r != UP_OK) {
        close(f.fd);
        return r;
    }
    *fd = f.fd;
    *size = f.size;
    return UP_OK;
}

void ark_video_free(struct ark_video *a)
{
    if (!a)
        return;
    free(a->base_url);
    if (a->auth) {
        volatile char *p = a->auth; /* the key: wiped, not just freed */
        while (*p)
            *p++ = 0;
    }
    free(a->auth);
    free(a);
}

struct ark_video *ark_video_new(const struct upstream_config *cfg)
{
    const char *ep = cfg->ark_endpoint && *cfg->ark_endpoint ? cfg->ark_endpoint : ARK_DEFAULT_ENDPOINT;
    const char *key = cfg->ark_api_key ? cfg->ark_api_key : "";
    if ((strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0) || strlen(ep) > ARK_MAX_URL / 2 ||
        strpbrk(ep, "?# \r\n\t@")) {
        log_error("upstream: the ark endpoint must be http(s)://host[:port][/path]");
        return NULL;
    }
    if (strpbrk(key, "\r\n") || strlen(key) > 1024) {
        log_error("upstream: the ARK API key must be one line of at most 1024 characters");
        return NULL;
    }
    struct ark_video *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    size_t n = strlen(ep);
    while (n > 0 && ep[n - 1] == '/')
        n--;
    a->base_url = strndup(ep, n);
    size_t alen = strlen(key) + sizeof "Authorization: Bearer ";
    a->auth = malloc(alen);
    if (!a->base_url || !a->auth) {
        ark_video_free(a);
        return NULL;
    }
    snprintf(a->auth, alen, "Authorization: Bearer %s", key);
    a->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    a->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 3000;
    a->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 3;
    return a;
}
