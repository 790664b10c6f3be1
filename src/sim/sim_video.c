/* sim_video.c — the simulated ModelArk video task API (Seedance):
 *
 *   POST   /api/v3/contents/generations/tasks        create → {"id": "cgt-..."}
 *   GET    /api/v3/contents/generations/tasks/{id}   the task
 *   DELETE /api/v3/contents/generations/tasks/{id}   cancel a queued task
 *   GET    /videos/{id}.mp4?X-Expires=..&X-Signature=..   the result, once succeeded
 *
 * Authorization: Bearer <ARK API key> (the one configured key). Errors are
 * ModelArk's {"error": {"code", "message"}} with its HTTP status. The wire
 * shapes are described in src/upstream/ark_video.c, the client's side. The
 * facts reproduced here are the rows of UPSTREAM.md "Video tasks (ModelArk
 * data plane)"; each rule below names its row.
 *
 * Like the real upstream, every asset://<id> in a request must name an
 * asset of this account that is Active right now and belongs to the ARK
 * key's project (the asset table of sim_assets.c is asked, as GetAsset
 * would be); anything else is a 400 InvalidParameter, and seedance 1.5 pro
 * takes no asset:// at all.
 *
 * A task's status is a function of its age: queued for the first fifth of
 * video_ms (PORTICO_SIM_VIDEO_MS), running until video_ms, then succeeded
 * with a signed URL of the one MP4 sim_mp4.c generated at start-up. The
 * markers of sim_video.h steer the outcome (failed, never picked up, a
 * face). A task still queued video_expire_ms after its creation is expired;
 * DELETE turns a queued task cancelled. Tasks live in memory under v->mu.
 *
 * Invariant: the face check (an outbound fetch) runs with no lock held,
 * after every cheap rule has passed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_http.h"
#include "sim/sim_mp4.h"
#include "sim/sim_video.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/dataurl.h"
#include "util/http_call.h"
#include "util/log.h"

#define SIM_VIDEO_PROMPT_MAX 8000
#define SIM_VIDEO_URL_MAX 2048
/* data: URLs carry the media itself: bounded by the request body only. */
#define SIM_VIDEO_DATA_URL_MAX (1024 * 1024)
#define SIM_VIDEO_ITEMS_MAX 16
#define SIM_VIDEO_PROJECT_MAX 64
#define SIM_VIDEO_FACE_MAX_MS 10000

/* Resolutions, as a bit mask per model. */
#define RES_480 1
#define RES_720 2
#define RES_1080 4

struct sim_video_task {
    struct sim_node node; /* first: a node pointer is a task pointer */
    char model[64];
    char ratio[16], resolution[16];
    long long duration;
    int fail;  /* SIM_VIDEO_FAIL_MARK */
    int stuck; /* SIM_VIDEO_QUEUE_MARK: never leaves the queue */
    int64_t create_wall, create_mono;
    int64_t cancel_wall, cancel_mono; /* 0 unless cancelled */
};

struct sim_videos {
    pthread_mutex_t mu;
    struct sim_table tasks;
    int video_ms, expire_ms, url_ttl_s, fetch_timeout_ms;
    char project[SIM_VIDEO_PROJECT_MAX];
    uint8_t url_key[32]; /* signs result URLs; random per run */
    uint8_t *mp4;
    size_t mp4_len;
};

/* UPSTREAM.md "Video tasks", Models and Parameters rows: the models the
 * account may call, whether they take asset://, and their resolutions
 * (480p/720p/1080p for 2.0, 480p/720p for fast and mini; 1.5 pro is not in
 * the record: all three, so the simulator is not stricter than it). */
static const struct {
    const char *id;
    int assets;
    unsigned resolutions;
} sim_video_models[] = {
    {"doubao-seedance-2-0-260128", 1, RES_480 | RES_720 | RES_1080},
    {"doubao-seedance-2-0-fast-260128", 1, RES_480 | RES_720},
    {"doubao-seedance-2-0-mini-260615", 1, RES_480 | RES_720},
    {"doubao-seedance-1-5-pro-251215", 0, RES_480 | RES_720 | RES_1080},
};

/* UPSTREAM.md "Video tasks", Parameters row. */
static const char *const sim_video_ratios[] = {"16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "adaptive"};
static const struct {
    const char *name;
    unsigned bit;
} sim_video_resolutions[] = {{"480p", RES_480}, {"720p", RES_720}, {"1080p", RES_1080}};

/* UPSTREAM.md "Video tasks", Content items row: each type and its roles. */
static const struct {
    const char *type;
    const char *roles[3];
    int takes_data; /* data: accepted for image/audio, refused for video */
} sim_video_kinds[] = {
    {"image_url", {"first_frame", "last_frame", "reference_image"}, 1},
    {"video_url", {"reference_video", NULL, NULL}, 0},
    {"audio_url", {"reference_audio", NULL, NULL}, 1},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct sim_videos *sim_videos_new(const struct sim_config *c)
{
    struct sim_videos *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    struct sim_mp4_spec spec;
    sim_mp4_default_spec(&spec);
    if (sim_table_init(&v->tasks, 1 << 12) != 0 || sim_mp4_build(&spec, &v->mp4, &v->mp4_len) != 0 ||
        crypto_random(v->url_key, sizeof v->url_key) != 0) {
        log_error("sim: cannot prepare the video task table or its MP4");
        sim_table_free(&v->tasks);
        free(v->mp4);
        free(v);
        return NULL;
    }
    pthread_mutex_init(&v->mu, NULL);
    v->video_ms = c->video_ms > 0 ? c->video_ms : 0;
    v->expire_ms = c->video_expire_ms > 0 ? c->video_expire_ms : 172800 * 1000;
    v->url_ttl_s = c->video_url_ttl_s > 0 ? c->video_url_ttl_s : 86400;
    v->fetch_timeout_ms = c->fetch_timeout_ms > 0 && c->fetch_timeout_ms < SIM_VIDEO_FACE_MAX_MS
                              ? c->fetch_timeout_ms
                              : SIM_VIDEO_FACE_MAX_MS;
    snprintf(v->project, sizeof v->project, "%s", c->ark_project && *c->ark_project ? c->ark_project : "default");
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
    char rid[33];
    ids_request(rid);
    return sim_http_send(conn, (unsigned)status, s, "application/json; charset=utf-8", "X-Client-Request-Id", rid);
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

/* An asset:// reference: 0 if it names an Active asset of this account in
 * the ARK key's project, else -1 with why filled. */
static int asset_usable(struct sim *s, const char *id, char *why, size_t cap)
{
    json_t *req = json_pack("{s:s}", "Id", id);
    struct sim_reply r = {.code = SIM_OK};
    int ok = -1;
    if (req && sim_get_asset(s->assets, req, &r) == SIM_OK) {
        const char *status = json_string_value(json_object_get(r.result, "Status"));
        /* UPSTREAM.md "ProjectName": assets are only usable by video keys of
         * the same project; absent means "default". The real refusal's code
         * is not public: InvalidParameter, like every other asset refusal
         * here, is a guess. */
        const char *project = json_string_value(json_object_get(r.result, "ProjectName"));
        if (!project || !*project)
            project = "default";
        if (strcmp(project, s->videos->project) != 0)
            snprintf(why, cap, "The asset %s belongs to project %.64s, not to this API key's project %s.", id, project,
                     s->videos->project);
        else if (status && strcmp(status, "Active") == 0)
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

static int find_kind(const char *type)
{
    for (size_t i = 0; i < N_OF(sim_video_kinds); i++)
        if (strcmp(sim_video_kinds[i].type, type) == 0)
            return (int)i;
    return -1;
}

static int role_ok(int kind, const char *role)
{
    for (size_t i = 0; i < N_OF(sim_video_kinds[kind].roles); i++)
        if (sim_video_kinds[kind].roles[i] && strcmp(sim_video_kinds[kind].roles[i], role) == 0)
            return 1;
    return 0;
}

/* Checks content[]; *fail / *stuck set when a marker is in the text.
 * Returns 0, or -1 with the message in why. Every rule is UPSTREAM.md
 * "Video tasks", Content items row, unless it says otherwise. */
static int check_content(struct sim *s, json_t *content, int takes_assets, int *fail, int *stuck, char *why,
                         size_t cap)
{
    size_t n = json_array_size(content);
    int texts = 0, first = 0, last = 0, refs = 0;
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
            *stuck |= strstr(text, SIM_VIDEO_QUEUE_MARK) != NULL;
            texts++;
            continue;
        }
        int k = find_kind(type);
        if (k < 0) {
            snprintf(why, cap, "content[%zu].type %.32s is not supported.", i, type);
            return -1;
        }
        const char *r = json_string_value(role);
        if (r && !role_ok(k, r)) {
            snprintf(why, cap, "content[%zu].role %.32s is not valid for %s.", i, r, type);
            return -1;
        }
        /* An item without a role is neither a frame nor a reference: the
         * record does not say what the service assumes, so no count. */
        if (r) {
            first += strcmp(r, "first_frame") == 0;
            last += strcmp(r, "last_frame") == 0;
            refs += strncmp(r, "reference_", 10) == 0;
        }
        const char *url = json_string_value(json_object_get(json_object_get(e, type), "url"));
        int data = url && strncmp(url, "data:", 5) == 0;
        if (!url || strlen(url) > (data ? SIM_VIDEO_DATA_URL_MAX : SIM_VIDEO_URL_MAX)) {
            snprintf(why, cap, "content[%zu].%s.url must be a string of at most %d bytes.", i, type,
                     data ? SIM_VIDEO_DATA_URL_MAX : SIM_VIDEO_URL_MAX);
            return -1;
        }
        if (strncmp(url, "asset://", 8) == 0) {
            if (!takes_assets) { /* Models row: 1.5 pro takes no asset:// */
                snprintf(why, cap, "The model does not support asset:// references.");
                return -1;
            }
            if (!url[8]) {
                snprintf(why, cap, "content[%zu].%s.url must name an asset: asset://<asset id>.", i, type);
                return -1;
            }
            if (asset_usable(s, url + 8, why, cap) != 0)
                return -1;
        } else if (data) {
            if (!sim_video_kinds[k].takes_data) {
                snprintf(why, cap, "content[%zu].video_url.url may not be a data: URL; use http(s) or asset://.", i);
                return -1;
            }
        } else if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
            /* a bare asset id among them: it must be written asset://<id> */
            snprintf(why, cap, "content[%zu].%s.url must be http(s), data: or asset://<asset id>.", i, type);
            return -1;
        }
    }
    if (texts > 1) {
        snprintf(why, cap, "content may hold at most one text item.");
        return -1;
    }
    if (first > 1 || last > 1) {
        snprintf(why, cap, "content may hold at most one first_frame and one last_frame.");
        return -1;
    }
    if ((first || last) && refs) {
        snprintf(why, cap, "first_frame/last_frame cannot be combined with reference_image, reference_video or "
                           "reference_audio.");
        return -1;
    }
    return 0;
}

/* UPSTREAM.md "Video tasks", Parameters row. 0, or -1 with why. */
static int check_parameters(json_t *req, int m, char *why, size_t cap)
{
    json_t *dur = json_object_get(req, "duration");
    json_t *ratio = json_object_get(req, "ratio"), *res = json_object_get(req, "resolution");
    if ((dur && !json_is_integer(dur)) || (ratio && !json_is_string(ratio)) || (res && !json_is_string(res))) {
        snprintf(why, cap, "duration must be an integer, ratio and resolution strings.");
        return -1;
    }
    static const char *const flags[] = {"generate_audio", "watermark", "return_last_frame"};
    for (size_t i = 0; i < N_OF(flags); i++) {
        json_t *f = json_object_get(req, flags[i]);
        if (f && !json_is_boolean(f)) {
            snprintf(why, cap, "%s must be a boolean.", flags[i]);
            return -1;
        }
    }
    if (dur) {
        json_int_t d = json_integer_value(dur);
        if (d != -1 && (d < 4 || d > 15)) {
            snprintf(why, cap, "duration must be 4 to 15 seconds, or -1 to follow the input.");
            return -1;
        }
    }
    if (ratio) {
        size_t i = 0;
        while (i < N_OF(sim_video_ratios) && strcmp(sim_video_ratios[i], json_string_value(ratio)) != 0)
            i++;
        if (i == N_OF(sim_video_ratios)) {
            snprintf(why, cap, "ratio must be one of 16:9, 9:16, 1:1, 4:3, 3:4, 21:9, adaptive.");
            return -1;
        }
    }
    if (res) {
        size_t i = 0;
        while (i < N_OF(sim_video_resolutions) && strcmp(sim_video_resolutions[i].name, json_string_value(res)) != 0)
            i++;
        if (i == N_OF(sim_video_resolutions) || !(sim_video_models[m].resolutions & sim_video_resolutions[i].bit)) {
            snprintf(why, cap, "resolution %.16s is not supported by %s.", json_string_value(res),
                     sim_video_models[m].id);
            return -1;
        }
    }
    return 0;
}

/* ---- the face check ---- */

/* Scans a stream for SIM_VIDEO_FACE_MARK, chunk by chunk: the last
 * mark-length-minus-one bytes are carried over, so a mark split across
 * chunks is still found. */
struct face_scan {
    char carry[sizeof SIM_VIDEO_FACE_MARK - 1];
    size_t carry_len, total;
    int found, too_large;
};

static void face_feed(struct face_scan *f, const uint8_t *p, size_t n)
{
    const size_t ml = sizeof SIM_VIDEO_FACE_MARK - 1;
    f->total += n;
    /* the seam: carry + the first ml-1 bytes of p */
    char seam[2 * sizeof SIM_VIDEO_FACE_MARK];
    size_t head = n < ml - 1 ? n : ml - 1;
    memcpy(seam, f->carry, f->carry_len);
    memcpy(seam + f->carry_len, p, head);
    if (memmem(seam, f->carry_len + head, SIM_VIDEO_FACE_MARK, ml) || memmem(p, n, SIM_VIDEO_FACE_MARK, ml))
        f->found = 1;
    /* keep the last ml-1 bytes of (carry + p) */
    size_t keep = ml - 1, all = f->carry_len + n;
    if (all <= keep) {
        memcpy(f->carry + f->carry_len, p, n);
        f->carry_len = all;
    } else if (n >= keep) {
        memcpy(f->carry, p + n - keep, keep);
        f->carry_len = keep;
    } else {
        size_t from_carry = keep - n;
        memmove(f->carry, f->carry + f->carry_len - from_carry, from_carry);
        memcpy(f->carry + from_carry, p, n);
        f->carry_len = keep;
    }
}

static int face_write(void *ud, const struct http_head *head, const char *p, size_t n)
{
    struct face_scan *f = ud;
    if (head->status >= 400)
        return -1; /* an error page is not the image */
    if (f->total + n > SIM_VIDEO_IMAGE_MAX) {
        f->too_large = 1;
        return -1; /* stops the transfer */
    }
    face_feed(f, (const uint8_t *)p, n);
    return f->found ? -1 : 0; /* found: no need to read on */
}

/* data:[<type>][;base64],<payload>: decoded into the scan, a few bytes at
 * a time. -1 when it is not a data: URL we can read. */
static int face_scan_data(const char *url, struct face_scan *f)
{
    const char *comma = strchr(url, ',');
    if (!comma)
        return -1;
    size_t hl = (size_t)(comma - url);
    int b64 = hl >= 7 && strncmp(comma - 7, ";base64", 7) == 0;
    uint8_t out[768];
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (const char *p = comma + 1; *p; p++) {
        if (b64) {
            int v = dataurl_b64_digit((unsigned char)*p, 1);
            if (v < 0)
                continue; /* '=' padding and whitespace */
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[o++] = (uint8_t)(acc >> bits);
            }
        } else if (*p == '%' && crypto_hex_digit((unsigned char)p[1]) >= 0 && crypto_hex_digit((unsigned char)p[2]) >= 0) {
            out[o++] = (uint8_t)(crypto_hex_digit((unsigned char)p[1]) << 4 | crypto_hex_digit((unsigned char)p[2]));
            p += 2;
        } else {
            out[o++] = (uint8_t)*p;
        }
        if (o == sizeof out) {
            face_feed(f, out, o);
            o = 0;
        }
    }
    face_feed(f, out, o);
    return 0;
}

/* Downloads an http(s) image into the scan: bounded in time, size (30 MB)
 * and redirects (3), under the outbound URL policy (util/http_call.h).
 * -1 when it could not be read, or the policy refused it (logged). */
static int face_scan_http(struct sim_videos *v, const struct urlpolicy *policy, const char *url,
                          struct face_scan *f)
{
    struct http_call call = {
        .url = url,
        .policy = policy,
        .max_redirs = 3,
        .timeout_ms = (long)v->fetch_timeout_ms,
        .connect_timeout_ms = (long)v->fetch_timeout_ms,
        .max_response = SIM_VIDEO_IMAGE_MAX,
        .user_agent = "portico-sim",
        .sink = face_write,
        .sink_ctx = f,
    };
    struct http_call_out out;
    enum http_call_result hr = http_call(&call, &out);
    if (hr == HTTP_CALL_REFUSED) {
        log_info("sim: video face check: refused by the URL policy: %s", out.message);
        return -1;
    }
    /* found: we stopped the transfer ourselves, the verdict is in */
    return (hr == HTTP_CALL_OK && out.status < 400) || f->found ? 0 : -1;
}

/* UPSTREAM.md "Video tasks", last row: a real face sent by URL (not as an
 * asset) is refused at create. Here "a real face" is SIM_VIDEO_FACE_MARK in
 * the image's bytes. 1 when some image_url item of content carries it.
 * An image that cannot be read is let through: what the real service
 * answers then is not in the record, and the check is about faces. */
static int content_has_face(struct sim *s, json_t *content, size_t *index)
{
    for (size_t i = 0; i < json_array_size(content); i++) {
        json_t *e = json_array_get(content, i);
        const char *type = json_string_value(json_object_get(e, "type"));
        if (!type || strcmp(type, "image_url") != 0)
            continue;
        const char *url = json_string_value(json_object_get(json_object_get(e, "image_url"), "url"));
        struct face_scan f = {0};
        int r;
        if (strncmp(url, "data:", 5) == 0)
            r = face_scan_data(url, &f);
        else if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
            r = face_scan_http(s->videos, s->url_policy, url, &f);
        else
            continue; /* asset://: the library's own, the point of it */
        if (r == 0 && f.found) {
            *index = i;
            return 1;
        }
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
    for (size_t i = 0; model && i < N_OF(sim_video_models); i++)
        if (strcmp(model, sim_video_models[i].id) == 0)
            m = (int)i;
    if (m < 0) {
        ret = send_error(conn, 404, "InvalidEndpointOrModel.NotFound", "The model %.64s does not exist or you do "
                         "not have access to it.", model ? model : "(missing)");
        goto out;
    }
    if (check_parameters(req, m, why, sizeof why) != 0) {
        ret = send_error(conn, 400, "InvalidParameter", "%s", why);
        goto out;
    }
    int fail = 0, stuck = 0;
    json_t *content = json_object_get(req, "content");
    if (check_content(s, content, sim_video_models[m].assets, &fail, &stuck, why, sizeof why) != 0) {
        ret = send_error(conn, 400, "InvalidParameter", "%s", why);
        goto out;
    }
    size_t face_at = 0;
    if (content_has_face(s, content, &face_at)) {
        ret = send_error(conn, 400, "InputImageSensitiveContentDetected.PrivacyInformation",
                         "The request failed because the input image (content[%zu]) may contain a real person.",
                         face_at);
        goto out;
    }
    json_t *dur = json_object_get(req, "duration");
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
    t->stuck = stuck;
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

/* The status at now_mono, and since when (wall ms) it has held. UPSTREAM.md
 * "Video tasks", Status row: queued, running, succeeded, failed, expired,
 * cancelled. */
static const char *task_status(const struct sim_videos *v, const struct sim_video_task *t, int64_t now_mono,
                               int64_t *since_wall)
{
    if (t->cancel_mono) {
        *since_wall = t->cancel_wall;
        return "cancelled";
    }
    int64_t age = now_mono - t->create_mono;
    int64_t queued_for = t->stuck ? INT64_MAX : v->video_ms / 5;
    /* Not picked up within its lifetime: expired (ModelArk's
     * execution_expires_after; the lifetime is a setting). */
    if (queued_for > v->expire_ms && age >= v->expire_ms) {
        *since_wall = t->create_wall + v->expire_ms;
        return "expired";
    }
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

/* The signature of a result URL: hex HMAC-SHA256(url_key, "<id>\n<expires>"). */
static void url_signature(const struct sim_videos *v, const char *id, long long expires, char out[65])
{
    char msg[IDS_MAX + 32];
    uint8_t mac[32];
    int n = snprintf(msg, sizeof msg, "%s\n%lld", id, expires);
    crypto_hmac_sha256(v->url_key, sizeof v->url_key, msg, (size_t)n, mac);
    crypto_hex(mac, sizeof mac, out);
}

/* A task as GET answers it (NULL: out of memory). Caller holds v->mu. */
static json_t *task_json(struct sim *s, const struct sim_video_task *t, const char *status, int64_t since)
{
    struct sim_videos *v = s->videos;
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:I}", "id", t->node.id, "model", t->model, "status",
                          status, "created_at", (json_int_t)(t->create_wall / 1000), "updated_at",
                          (json_int_t)(since / 1000), "ratio", t->ratio[0] ? t->ratio : "16:9", "resolution",
                          t->resolution[0] ? t->resolution : "720p", "duration", (json_int_t)t->duration);
    if (o && strcmp(status, "succeeded") == 0) {
        /* UPSTREAM.md "Video tasks", Status row: content.video_url is
         * signed and lives ~24 h (video_url_ttl_s) from the success. */
        char url[400], sig[65];
        long long expires = (since + 999) / 1000 + v->url_ttl_s;
        url_signature(v, t->node.id, expires, sig);
        file_base(s, url, sizeof url);
        size_t n = strlen(url);
        snprintf(url + n, sizeof url - n, SIM_VIDEO_FILES_PATH "%s.mp4?X-Expires=%lld&X-Signature=%s", t->node.id,
                 expires, sig);
        json_object_set_new(o, "content", json_pack("{s:s}", "video_url", url));
        /* ModelArk bills by tokens: about width*height*fps*seconds/1024. */
        json_int_t secs = t->duration > 0 ? (json_int_t)t->duration : 5;
        json_int_t tokens = (json_int_t)(1280 * 720 * 24 / 1024) * secs;
        json_object_set_new(o, "usage", json_pack("{s:I, s:I}", "completion_tokens", tokens, "total_tokens", tokens));
    } else if (o && strcmp(status, "failed") == 0) {
        /* UPSTREAM.md "Video tasks", last row. */
        json_object_set_new(o, "error", json_pack("{s:s, s:s}", "code",
                                                  "OutputVideoSensitiveContentDetected.PolicyViolation", "message",
                                                  "The generated video may contain sensitive content."));
    } else if (o) {
        json_object_set_new(o, "error", json_null());
    }
    return o;
}

/* GET, or with cancel DELETE, of the task id names.
 * UPSTREAM.md "Video tasks", first row: DELETE cancels a queued task. The
 * answer for a task in any other state is not in the record: 400
 * InvalidParameter naming the state is a guess. So is the empty object a
 * successful cancel answers with. */
static enum MHD_Result video_task(struct sim *s, struct MHD_Connection *conn, const char *id, int cancel)
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
    if (cancel && strcmp(status, "queued") != 0) {
        pthread_mutex_unlock(&v->mu);
        return send_error(conn, 400, "InvalidParameter", "The task %.64s is %s; only a queued task can be cancelled.",
                          id, status);
    }
    json_t *o;
    if (cancel) {
        t->cancel_wall = clock_wall_ms();
        t->cancel_mono = clock_mono_ms();
        if (t->cancel_mono == 0)
            t->cancel_mono = 1;
        o = json_object();
    } else {
        o = task_json(s, t, status, since);
    }
    pthread_mutex_unlock(&v->mu);
    return send_body(conn, o ? 200 : 500, o);
}

/* ---- the result file ---- */

static enum MHD_Result send_file_error(struct MHD_Connection *conn, unsigned status, const char *code,
                                       const char *message)
{
    /* An object store's XML error (TOS speaks S3's dialect). */
    char *b = NULL;
    if (asprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>\n",
                 code, message) < 0)
        return MHD_NO;
    return sim_http_send(conn, status, b, "application/xml", NULL, NULL);
}

static enum MHD_Result video_file(struct sim *s, struct MHD_Connection *conn, const char *name)
{
    struct sim_videos *v = s->videos;
    char id[IDS_MAX];
    size_t n = strlen(name);
    if (!(n > 4 && n - 4 < sizeof id && strcmp(name + n - 4, ".mp4") == 0))
        return send_file_error(conn, 404, "NoSuchKey", "The specified key does not exist.");
    memcpy(id, name, n - 4);
    id[n - 4] = '\0';
    /* UPSTREAM.md "Video tasks", Status row: the URL is signed, and after
     * its lifetime it answers 403. */
    const char *exp_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "X-Expires");
    const char *sig = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "X-Signature");
    char *end = NULL;
    long long expires = exp_s ? strtoll(exp_s, &end, 10) : 0;
    char want[65];
    url_signature(v, id, expires, want);
    if (!exp_s || !end || *end || !sig || strlen(sig) != 64 || !crypto_equal(sig, want, 64))
        return send_file_error(conn, 403, "AccessDenied", "The signature of this URL does not match.");
    if (clock_wall_ms() / 1000 >= expires)
        return send_file_error(conn, 403, "AccessDenied", "Request has expired.");
    pthread_mutex_lock(&v->mu);
    struct sim_video_task *t = (struct sim_video_task *)sim_table_find(&v->tasks, id);
    int64_t since;
    int ok = t && strcmp(task_status(v, t, clock_mono_ms(), &since), "succeeded") == 0;
    pthread_mutex_unlock(&v->mu);
    if (!ok)
        return send_file_error(conn, 404, "NoSuchKey", "The specified key does not exist.");
    /* The bytes live until sim_stop, after the listener has stopped.
     * libmicrohttpd sends no body for HEAD by itself. */
    struct MHD_Response *resp = MHD_create_response_from_buffer(v->mp4_len, v->mp4, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "video/mp4");
    enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result sim_video_handle(struct sim *s, struct MHD_Connection *conn, const char *url, const char *method,
                                 const struct buf *body, int too_large)
{
    int get = strcmp(method, "GET") == 0, head = strcmp(method, "HEAD") == 0;
    size_t fl = strlen(SIM_VIDEO_FILES_PATH);
    if (strncmp(url, SIM_VIDEO_FILES_PATH, fl) == 0) {
        /* Like the upstream's object-store URL: no API key, the signature instead. */
        if (!get && !head)
            return send_error(conn, 405, "MethodNotAllowed", "Result files are read with GET.");
        return video_file(s, conn, url + fl);
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
    if (strcmp(method, "DELETE") == 0)
        return video_task(s, conn, rest + 1, 1);
    if (!get)
        return send_error(conn, 405, "MethodNotAllowed", "A task is read with GET or cancelled with DELETE.");
    return video_task(s, conn, rest + 1, 0);
}
