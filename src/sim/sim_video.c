/* sim_video.c — the simulated ModelArk video task API (Seedance):
 *
 *   POST /api/v3/contents/generations/tasks        create → {"id": "cgt-..."}
 *   GET  /api/v3/contents/generations/tasks/{id}   the task
 *   GET  /videos/{id}.mp4                          the result, once succeeded
 *
 * Authorization: Bearer <ARK API key> (the one configured key). Errors are
 * ModelArk's {"error": {"code", "message"}} with its HTTP status. The wire
 * shapes are described in src/upstream/ark_video.c, the client's side.
 *
 * Like the real upstream, every asset://<id> in a request must name an
 * asset of this account that is Active right now (the asset table of
 * sim_assets.c is asked, as GetAsset would be); anything else is a 400
 * InvalidParameter, and seedance 1.5 pro takes no asset:// at all.
 *
 * A task's status is a function of its age: queued for the first fifth of
 * video_ms (PORTICO_SIM_VIDEO_MS), running until video_ms, then succeeded
 * with a URL of the one MP4 sim_mp4.c generated at start-up. A prompt
 * containing "[sim:fail]" ends failed instead, so clients can test that
 * path. Tasks live in memory under v->mu. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_mp4.h"
#include "sim/sim_video.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"

#define SIM_VIDEO_FAIL_MARK "[sim:fail]"
#define SIM_VIDEO_PROMPT_MAX 8000
#define SIM_VIDEO_URL_MAX 2048
#define SIM_VIDEO_ITEMS_MAX 16

struct sim_video_task {
    struct sim_node node; /* first: a node pointer is a task pointer */
    char model[64];
    char ratio[16], resolution[16];
    long long duration;
    int fail;
    int64_t create_wall, create_mono;
};

struct sim_videos {
    pthread_mutex_t mu;
    struct sim_table tasks;
    int video_ms;
    uint8_t *mp4;
    size_t mp4_len;
};

/* The models the account may call, and whether they take asset://. */
static const struct {
    const char *id;
    int assets;
} sim_video_models[] = {
    {"doubao-seedance-2-0-260128", 1},
    {"doubao-seedance-2-0-fast-260128", 1},
    {"doubao-seedance-1-5-pro-251215", 0},
};

struct sim_videos *sim_videos_new(int video_ms)
{
    struct sim_videos *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    struct sim_mp4_spec spec;
    sim_mp4_default_spec(&spec);
    if (sim_table_init(&v->tasks, 1 << 12) != 0 || sim_mp4_build(&spec, &v->mp4, &v->mp4_len) != 0) {
        log_error("sim: cannot prepare the video task table or its MP4");
        sim_table_free(&v->tasks);
        free(v);
        return NULL;
    }
    pthread_mutex_init(&v->mu, NULL);
    v->video_ms = video_ms > 0 ? video_ms : 0;
    return v;
}

void sim_videos_free(struct sim_videos *v)
{
    if (!v)
        return;
    while (v->tasks.newest) {
        struct sim_node *n = v->tasks.newest;
        sim_table_remove(&v->tasks, n);
        free(n);
    }
    sim_table_free(&v->tasks);
    pthread_mutex_destroy(&v->mu);
    free(v->mp4);
    free(v);
}

int sim_video_is_path(const char *path)
{
    size_t n = strlen(SIM_VIDEO_TASKS_PATH);
    return (strncmp(path, SIM_VIDEO_TASKS_PATH, n) == 0 && (path[n] == '\0' || path[n] == '/')) ||
           strncmp(path, SIM_VIDEO_FILES_PATH, strlen(SIM_VIDEO_FILES_PATH)) == 0;
}

/* ---- replies ---- */

static enum MHD_Result send_body(struct MHD_Connection *conn, int status, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) {
        s = strdup("{\"error\":{\"code\":\"InternalServiceError\",\"message\":\"Out of memory.\"}}");
        status = 500;
        if (!s)
            return MHD_NO;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
    char rid[33];
    ids_request(rid);
    MHD_add_response_header(resp, "X-Client-Request-Id", rid);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return send_body(conn, status, json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code, "message", msg, "type",
                                             status >= 500 ? "InternalServiceError" : "BadRequest"));
}

/* ---- create ---- */

static int authorized(struct sim *s, struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return 0;
    const char *key = h + 7, *want = s->ark_api_key;
    size_t n = strlen(want);
    return strlen(key) == n && crypto_equal(key, want, n);
}

/* An asset:// reference: 0 if it names an Active asset of this account,
 * else -1 with why filled. */
static int asset_usable(struct sim *s, const char *id, char *why, size_t cap)
{
    json_t *req = json_pack("{s:s}", "Id", id);
    struct sim_reply r = {.code = SIM_OK};
    int ok = -1;
    if (req && sim_get_asset(s->assets, req, &r) == SIM_OK) {
        const char *status = json_string_value(json_object_get(r.result, "Status"));
        if (status && strcmp(status, "Active") == 0)
            ok = 0;
        else
            snprintf(why, cap, "The asset %s is %s, not Active.", id, status ? status : "in an unknown state");
    } else {
        snprintf(why, cap, "The asset %s does not exist.", id);
    }
    json_decref(r.result);
    json_decref(req);
    return ok;
}

/* Checks content[]; fail set when a fail mark is in the text. Returns 0,
 * or -1 with the message in why. */
static int check_content(struct sim *s, json_t *content, int takes_assets, int *fail, char *why, size_t cap)
{
    size_t n = json_array_size(content);
    int texts = 0;
    if (!json_is_array(content) || n == 0 || n > SIM_VIDEO_ITEMS_MAX) {
        snprintf(why, cap, "content must be an array of 1 to %d items.", SIM_VIDEO_ITEMS_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(content, i);
        const char *type = json_string_value(json_object_get(e, "type"));
        json_t *role = json_object_get(e, "role");
        if (!json_is_object(e) || !type) {
            snprintf(why, cap, "content[%zu] must be an object with a type.", i);
            return -1;
        }
        if (role && !json_is_string(role)) {
            snprintf(why, cap, "content[%zu].role must be a string.", i);
            return -1;
        }
        if (strcmp(type, "text") == 0) {
            const char *text = json_string_value(json_object_get(e, "text"));
            if (!text || strlen(text) > SIM_VIDEO_PROMPT_MAX) {
                snprintf(why, cap, "content[%zu].text must be a string of at most %d bytes.", i, SIM_VIDEO_PROMPT_MAX);
                return -1;
            }
            *fail |= strstr(text, SIM_VIDEO_FAIL_MARK) != NULL;
            texts++;
            continue;
        }
        if (strcmp(type, "image_url") && strcmp(type, "video_url") && strcmp(type, "audio_url")) {
            snprintf(why, cap, "content[%zu].type %.32s is not supported.", i, type);
            return -1;
        }
        const char *url = json_string_value(json_object_get(json_object_get(e, type), "url"));
        if (!url || strlen(url) > SIM_VIDEO_URL_MAX) {
            snprintf(why, cap, "content[%zu].%s.url must be a string of at most %d bytes.", i, type,
                     SIM_VIDEO_URL_MAX);
            return -1;
        }
        if (strncmp(url, "asset://", 8) == 0) {
            if (!takes_assets) {
                snprintf(why, cap, "The model does not support asset:// references.");
                return -1;
            }
            if (asset_usable(s, url + 8, why, cap) != 0)
                return -1;
        } else if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 &&
                   strncmp(url, "data:", 5) != 0) {
            snprintf(why, cap, "content[%zu].%s.url must be http(s), data: or asset://.", i, type);
            return -1;
        }
    }
    if (texts > 1) {
        snprintf(why, cap, "content may hold at most one text item.");
        return -1;
    }
    return 0;
}

static void copy_opt(json_t *req, const char *key, char *out, size_t cap)
{
    const char *v = json_string_value(json_object_get(req, key));
    snprintf(out, cap, "%s", v && strlen(v) < cap ? v : "");
}

static enum MHD_Result video_create(struct sim *s, struct MHD_Connection *conn, const struct buf *body)
{
    struct sim_videos *v = s->videos;
    json_error_t jerr;
    json_t *req = body->len ? json_loadb(body->data, body->len, 0, &jerr) : NULL;
    char why[400];
    enum MHD_Result ret;
    if (!json_is_object(req)) {
        ret = send_error(conn, 400, "InvalidParameter", "The request body must be a JSON object.");
        goto out;
    }
    const char *model = json_string_value(json_object_get(req, "model"));
    int m = -1;
    for (size_t i = 0; model && i < sizeof sim_video_models / sizeof sim_video_models[0]; i++)
        if (strcmp(model, sim_video_models[i].id) == 0)
            m = (int)i;
    if (m < 0) {
        ret = send_error(conn, 404, "InvalidEndpointOrModel.NotFound", "The model %.64s does not exist or you do "
                         "not have access to it.", model ? model : "(missing)");
        goto out;
    }
    json_t *dur = json_object_get(req, "duration");
    json_t *ratio = json_object_get(req, "ratio"), *res = json_object_get(req, "resolution");
    if ((dur && !json_is_integer(dur)) || (ratio && !json_is_string(ratio)) || (res && !json_is_string(res))) {
        ret = send_error(conn, 400, "InvalidParameter", "duration must be an integer, ratio and resolution strings.");
        goto out;
    }
    int fail = 0;
    if (check_content(s, json_object_get(req, "content"), sim_video_models[m].assets, &fail, why, sizeof why) != 0) {
        ret = send_error(conn, 400, "InvalidParameter", "%s", why);
        goto out;
    }
    struct sim_video_task *t = calloc(1, sizeof *t);
    if (!t) {
        ret = send_error(conn, 500, "InternalServiceError", "Out of memory.");
        goto out;
    }
    snprintf(t->model, sizeof t->model, "%s", model);
    copy_opt(req, "ratio", t->ratio, sizeof t->ratio);
    copy_opt(req, "resolution", t->resolution, sizeof t->resolution);
    t->duration = dur ? json_integer_value(dur) : 5;
    t->fail = fail;
    t->create_wall = clock_wall_ms();
    t->create_mono = clock_mono_ms();
    pthread_mutex_lock(&v->mu);
    if (v->tasks.count >= SIM_VIDEO_MAX_TASKS) {
        pthread_mutex_unlock(&v->mu);
        free(t);
        ret = send_error(conn, 429, "QuotaExceeded", "The account has too many tasks.");
        goto out;
    }
    do
        ids_resource("cgt", t->create_wall, t->node.id);
    while (sim_table_find(&v->tasks, t->node.id));
    sim_table_insert(&v->tasks, &t->node);
    char id[IDS_MAX];
    snprintf(id, sizeof id, "%s", t->node.id);
    pthread_mutex_unlock(&v->mu);
    ret = send_body(conn, 200, json_pack("{s:s}", "id", id));
out:
    json_decref(req);
    return ret;
}

/* ---- get ---- */

/* The status at now_mono, and since when (wall ms) it has held. */
static const char *task_status(const struct sim_videos *v, const struct sim_video_task *t, int64_t now_mono,
                               int64_t *since_wall)
{
    int64_t age = now_mono - t->create_mono;
    int64_t queued_for = v->video_ms / 5;
    if (age < queued_for) {
        *since_wall = t->create_wall;
        return "queued";
    }
    if (age < v->video_ms) {
        *since_wall = t->create_wall + queued_for;
        return "running";
    }
    *since_wall = t->create_wall + v->video_ms;
    return t->fail ? "failed" : "succeeded";
}

static void file_base(struct sim *s, char *out, size_t cap)
{
    const char *h = s->listen_host;
    if (strchr(h, ':'))
        snprintf(out, cap, "http://[%s]:%d", strcmp(h, "::") ? h : "::1", s->port);
    else
        snprintf(out, cap, "http://%s:%d", strcmp(h, "0.0.0.0") ? h : "127.0.0.1", s->port);
}

static enum MHD_Result video_get(struct sim *s, struct MHD_Connection *conn, const char *id)
{
    struct sim_videos *v = s->videos;
    pthread_mutex_lock(&v->mu);
    struct sim_video_task *t = *id ? (struct sim_video_task *)sim_table_find(&v->tasks, id) : NULL;
    if (!t) {
        pthread_mutex_unlock(&v->mu);
        return send_error(conn, 404, "ResourceNotFound", "The task %.64s does not exist.", id);
    }
    int64_t since;
    const char *status = task_status(v, t, clock_mono_ms(), &since);
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:I}", "id", t->node.id, "model", t->model, "status",
                          status, "created_at", (json_int_t)(t->create_wall / 1000), "updated_at",
                          (json_int_t)(since / 1000), "ratio", t->ratio[0] ? t->ratio : "16:9", "resolution",
                          t->resolution[0] ? t->resolution : "720p", "duration", (json_int_t)t->duration);
    if (o && strcmp(status, "succeeded") == 0) {
        char url[160];
        file_base(s, url, sizeof url);
        size_t n = strlen(url);
        snprintf(url + n, sizeof url - n, SIM_VIDEO_FILES_PATH "%s.mp4", t->node.id);
        json_object_set_new(o, "content", json_pack("{s:s}", "video_url", url));
        /* ModelArk bills by tokens: about width*height*fps*seconds/1024. */
        json_int_t tokens = (json_int_t)(1280 * 720 * 24 / 1024) * (json_int_t)t->duration;
        json_object_set_new(o, "usage", json_pack("{s:I, s:I}", "completion_tokens", tokens, "total_tokens", tokens));
    } else if (o && strcmp(status, "failed") == 0) {
        json_object_set_new(o, "error", json_pack("{s:s, s:s}", "code", "OutputVideoSensitiveContentDetected",
                                                  "message", "The generated video may contain sensitive content."));
    } else if (o) {
        json_object_set_new(o, "error", json_null());
    }
    pthread_mutex_unlock(&v->mu);
    return send_body(conn, o ? 200 : 500, o);
}

/* ---- the result file ---- */

static enum MHD_Result video_file(struct sim *s, struct MHD_Connection *conn, const char *name, int head)
{
    struct sim_videos *v = s->videos;
    char id[IDS_MAX];
    size_t n = strlen(name);
    int ok = n > 4 && n - 4 < sizeof id && strcmp(name + n - 4, ".mp4") == 0;
    if (ok) {
        memcpy(id, name, n - 4);
        id[n - 4] = '\0';
        pthread_mutex_lock(&v->mu);
        struct sim_video_task *t = (struct sim_video_task *)sim_table_find(&v->tasks, id);
        int64_t since;
        ok = t && strcmp(task_status(v, t, clock_mono_ms(), &since), "succeeded") == 0;
        pthread_mutex_unlock(&v->mu);
    }
    struct MHD_Response *resp;
    if (!ok) {
        static const char nf[] = "not found\n";
        resp = MHD_create_response_from_buffer(sizeof nf - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
    } else {
        /* The bytes live until sim_stop, after the listener has stopped. */
        resp = MHD_create_response_from_buffer(v->mp4_len, v->mp4, MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", ok ? "video/mp4" : "text/plain");
    (void)head; /* libmicrohttpd sends no body for HEAD by itself */
    enum MHD_Result ret = MHD_queue_response(conn, ok ? 200 : 404, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result sim_video_handle(struct sim *s, struct MHD_Connection *conn, const char *url, const char *method,
                                 const struct buf *body, int too_large)
{
    int get = strcmp(method, "GET") == 0, head = strcmp(method, "HEAD") == 0;
    size_t fl = strlen(SIM_VIDEO_FILES_PATH);
    if (strncmp(url, SIM_VIDEO_FILES_PATH, fl) == 0) {
        /* Like the upstream's object-store URL: no API key needed. */
        if (!get && !head)
            return send_error(conn, 405, "MethodNotAllowed", "Result files are read with GET.");
        return video_file(s, conn, url + fl, head);
    }
    if (!authorized(s, conn))
        return send_error(conn, 401, "AuthenticationError",
                          "The API key in the Authorization header is missing or invalid.");
    if (too_large)
        return send_error(conn, 413, "RequestEntityTooLarge", "The request body is too large.");
    size_t tl = strlen(SIM_VIDEO_TASKS_PATH);
    const char *rest = url + tl;
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        if (strcmp(method, "POST") != 0)
            return send_error(conn, 405, "MethodNotAllowed", "Tasks are created with POST.");
        return video_create(s, conn, body);
    }
    if (!get)
        return send_error(conn, 405, "MethodNotAllowed", "A task is read with GET.");
    return video_get(s, conn, rest + 1);
}
