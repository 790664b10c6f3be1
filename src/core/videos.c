/* videos.c — Seedance video generation (API.md §4): the model table, the
 * request rules, the asset:// checks, and the task records.
 *
 * Rules, in the order they are applied (the first failure answers):
 *   model      required; one of the table below, else InvalidParameter
 *   prompt     required, 1..2000 characters of UTF-8
 *   ratio      optional; 16:9 4:3 1:1 3:4 9:16 21:9 adaptive
 *   duration   optional integer seconds within the model's range
 *              (2.0 and 2.0-fast: 4..15; 1.5-pro: 4..12), or -1
 *   resolution optional; 480p 720p 1080p (2.0-fast: 480p 720p)
 *   content    at most 10 items; each has type image_url | video_url |
 *              audio_url, an object of that name with url (http(s) of at
 *              most 2048 characters, or asset://<asset id>), and an
 *              optional role valid for the type: image first_frame |
 *              last_frame | reference_image, video reference_video, audio
 *              reference_audio
 *   asset://   only models that take assets (ModelNotSupportedAsset)
 *   the model  1.5-pro takes images as first_frame/last_frame only
 *   together   at most one first_frame and one last_frame, last_frame
 *              only with a first_frame, and frames never mixed with
 *              reference_* items (ModelArk's own rule)
 *   register   register_asset only on image_url items with an http(s) or
 *              data: URL, and only with models that take assets; the
 *              image is registered (inline_asset.c) and the item then
 *              names it as asset://
 *   assets     each must be the caller's (else Forbidden, also for ids
 *              that do not exist), Active (else AssetNotReady; with
 *              wait_for_assets or an inline registration, any status but
 *              Failed, and the task waits: video_waiter.c), and of the
 *              item's media type (else InvalidParameter)
 * Only then is the shared create budget spent on the upstream call. A 400
 * refusal by the upstream is invalid_request with its code kept.
 *
 * Reads (core_get_video) come from Portico's records only; the video
 * refresher (video_refresher.c) keeps queued/running tasks fresh. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "blob/blob.h"
#include "core/internal.h"
#include "util/clock.h"
#include "util/decimal.h"
#include "util/crypto.h"
#include "util/dataurl.h"
#include "util/log.h"

#define ASSET_SCHEME "asset://"

/* Portico's model names and what the upstream calls them: the one table. */
struct video_model {
    const char *name;
    const char *upstream_id;
    int takes_assets;     /* asset:// references allowed */
    int takes_references; /* reference_* roles, video_url and audio_url */
    int min_duration, max_duration;
    int takes_1080p; /* UPSTREAM.md "Video tasks", Parameters row: 1080p for 2.0, not fast */
};

static const struct video_model video_models[] = {
    {"seedance-2.0", "doubao-seedance-2-0-260128", 1, 1, 4, 15, 1},
    {"seedance-2.0-fast", "doubao-seedance-2-0-fast-260128", 1, 1, 4, 15, 0},
    {"seedance-1.5-pro", "doubao-seedance-1-5-pro-251215", 0, 0, 4, 12, 1},
};

static const char *const video_ratios[] = {"16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"};
static const char *const video_resolutions[] = {"480p", "720p", "1080p"};

/* Each content type, the AssetType its asset:// must have, and its roles. */
struct video_kind {
    const char *type;
    const char *asset_type;
    const char *roles[3];
};

static const struct video_kind video_kinds[] = {
    {"image_url", "Image", {"first_frame", "last_frame", "reference_image"}},
    {"video_url", "Video", {"reference_video", NULL, NULL}},
    {"audio_url", "Audio", {"reference_audio", NULL, NULL}},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct video_model *find_model(const char *name)
{
    for (size_t i = 0; name && i < N_OF(video_models); i++)
        if (strcmp(video_models[i].name, name) == 0)
            return &video_models[i];
    return NULL;
}

static int in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], v) == 0)
            return 1;
    return 0;
}

static const struct video_kind *find_kind(const char *type)
{
    for (size_t i = 0; type && i < N_OF(video_kinds); i++)
        if (strcmp(video_kinds[i].type, type) == 0)
            return &video_kinds[i];
    return NULL;
}

static int is_asset_url(const char *url)
{
    return strncasecmp(url, ASSET_SCHEME, strlen(ASSET_SCHEME)) == 0;
}

size_t core_asset_models(const struct asset *a, const char **names, size_t cap)
{
    size_t n = 0;
    if (!a || strcmp(a->status, "Active") != 0)
        return 0;
    for (size_t i = 0; i < N_OF(video_models) && n < cap; i++)
        if (video_models[i].takes_assets)
            names[n++] = video_models[i].name;
    return n;
}

/* register_asset's own rules: an image by http(s) or data: URL, a group
 * id and a name of the usual shapes. */
static enum core_code check_register(size_t i, const struct core_video_item *it, struct core_status *st)
{
    if (strcmp(it->type, "image_url") != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].register_asset is for image_url items only.", i);
    if (!dataurl_is(it->url) && rules_url(it->url, st) != CORE_OK)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "content[%zu].image_url.url must be an http(s) or data: URL of the image to register.", i);
    if (it->register_group_id && rules_id("register_asset.group_id", it->register_group_id, st))
        return st->code;
    if (rules_name("register_asset.name", it->register_name, 0, st))
        return st->code;
    return CORE_OK;
}

/* One item's own shape: type, url, role. */
static enum core_code check_item(size_t i, const struct core_video_item *it, struct core_status *st)
{
    const struct video_kind *k = find_kind(it->type);
    if (!it->type)
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].type is required.", i);
    if (!k)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "content[%zu].type must be image_url, video_url or audio_url.", i);
    if (!it->url)
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].%s.url is required.", i, k->type);
    if (it->register_asset) {
        if (check_register(i, it, st))
            return st->code;
    } else if (is_asset_url(it->url)) {
        const char *id = it->url + strlen(ASSET_SCHEME);
        if (!*id)
            return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].%s.url must name an asset: asset://<asset id>.",
                             i, k->type);
        if (strncmp(it->url, ASSET_SCHEME, strlen(ASSET_SCHEME)) != 0)
            return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].%s.url must begin with lower-case asset://.",
                             i, k->type);
    } else if (rules_url(it->url, st) != CORE_OK) {
        char why[sizeof st->message];
        memcpy(why, st->message, sizeof why);
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].%s.url: %s Or use asset://<asset id>.", i, k->type,
                         why);
    }
    if (it->role && !in_list(it->role, k->roles, N_OF(k->roles)))
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].role %.32s is not valid for %s; use %s%s%s%s%s.", i,
                         it->role, k->type, k->roles[0], k->roles[1] ? ", " : "", k->roles[1] ? k->roles[1] : "",
                         k->roles[2] ? " or " : "", k->roles[2] ? k->roles[2] : "");
    return CORE_OK;
}

static enum core_code check_fields(const struct core_video_request *req, const struct video_model **model_out,
                                   struct core_status *st)
{
    if (!req->model)
        return core_fail(st, CORE_INVALID_PARAMETER, "model is required.");
    const struct video_model *m = find_model(req->model);
    if (!m)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "model must be seedance-2.0, seedance-2.0-fast or seedance-1.5-pro.");
    if (!req->prompt)
        return core_fail(st, CORE_INVALID_PARAMETER, "prompt is required.");
    long chars = core_utf8_chars(req->prompt);
    if (chars < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "prompt must be valid UTF-8.");
    if (chars == 0 || chars > CORE_PROMPT_CHARS)
        return core_fail(st, CORE_INVALID_PARAMETER, "prompt must be 1 to %d characters; it has %ld.",
                         CORE_PROMPT_CHARS, chars);
    if (req->ratio && !in_list(req->ratio, video_ratios, N_OF(video_ratios)))
        return core_fail(st, CORE_INVALID_PARAMETER, "ratio must be one of 16:9, 4:3, 1:1, 3:4, 9:16, 21:9, adaptive.");
    /* UPSTREAM.md "Video tasks", Parameters row: -1 follows the input. */
    if (req->has_duration && req->duration != -1 &&
        (req->duration < m->min_duration || req->duration > m->max_duration))
        return core_fail(st, CORE_INVALID_PARAMETER, "duration must be %d to %d seconds for %s, or -1 to follow the "
                         "input.", m->min_duration, m->max_duration, m->name);
    if (req->resolution && !in_list(req->resolution, video_resolutions, N_OF(video_resolutions)))
        return core_fail(st, CORE_INVALID_PARAMETER, "resolution must be 480p, 720p or 1080p.");
    if (req->resolution && !m->takes_1080p && strcmp(req->resolution, "1080p") == 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "resolution must be 480p or 720p for %s.", m->name);
    if (req->n_items > CORE_VIDEO_ITEMS_MAX)
        return core_fail(st, CORE_INVALID_PARAMETER, "content may hold at most %d items.", CORE_VIDEO_ITEMS_MAX);
    for (size_t i = 0; i < req->n_items; i++)
        if (check_item(i, &req->items[i], st))
            return st->code;
    *model_out = m;
    return CORE_OK;
}

/* The outbound URL policy (core_url_check) for every http(s) item: the
 * upstream fetches them on the customer's behalf. */
static enum core_code check_urls(struct core *c, const struct core_video_request *req, struct core_status *st)
{
    for (size_t i = 0; i < req->n_items; i++) {
        const struct core_video_item *it = &req->items[i];
        if (is_asset_url(it->url) || (it->register_asset && dataurl_is(it->url)) ||
            core_url_check(c, it->url, st) == CORE_OK)
            continue;
        char why[sizeof st->message];
        memcpy(why, st->message, sizeof why);
        return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu].%s.url: %s", i, it->type, why);
    }
    return CORE_OK;
}

/* What the model accepts, and how the items go together. */
static enum core_code check_combination(const struct video_model *m, const struct core_video_request *req,
                                        struct core_status *st)
{
    for (size_t i = 0; i < req->n_items; i++)
        if (!m->takes_assets && (is_asset_url(req->items[i].url) || req->items[i].register_asset))
            return core_fail(st, CORE_MODEL_NOT_SUPPORTED_ASSET,
                             "%s does not accept asset:// references; use seedance-2.0 or seedance-2.0-fast, or "
                             "an http(s) URL.", m->name);
    int first = 0, last = 0, refs = 0;
    for (size_t i = 0; i < req->n_items; i++) {
        const struct core_video_item *it = &req->items[i];
        const char *role = it->role ? it->role : "";
        int is_ref = strncmp(role, "reference_", 10) == 0 || strcmp(it->type, "image_url") != 0;
        if (is_ref && !m->takes_references)
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "%s takes only images as first_frame or last_frame; content[%zu] is %s%s%s.", m->name, i,
                             it->type, it->role ? " with role " : "", role);
        first += strcmp(role, "first_frame") == 0;
        last += strcmp(role, "last_frame") == 0;
        refs += is_ref;
    }
    if (first > 1 || last > 1)
        return core_fail(st, CORE_INVALID_PARAMETER, "content may hold at most one first_frame and one last_frame.");
    if (last && !first)
        return core_fail(st, CORE_INVALID_PARAMETER, "a last_frame needs a first_frame.");
    if ((first || last) && refs)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "first_frame/last_frame images cannot be combined with reference images, videos or audio.");
    return CORE_OK;
}

/* Every asset:// must be the caller's, Active (or, when wait, not Failed:
 * *all_active says whether all are), and of the item's type. */
static enum core_code check_assets(struct core *c, const struct customer *cu, const struct core_video_request *req,
                                   int wait, int *all_active, struct core_status *st)
{
    *all_active = 1;
    for (size_t i = 0; i < req->n_items; i++) {
        const struct core_video_item *it = &req->items[i];
        if (!is_asset_url(it->url))
            continue;
        const char *id = it->url + strlen(ASSET_SCHEME);
        struct asset a;
        enum store_result r = strlen(id) < IDS_MAX ? c->store->ops->get_asset(c->store, cu->id, id, &a)
                                                   : STORE_NOT_FOUND;
        if (r == STORE_NOT_FOUND)
            return core_forbidden(st, "asset");
        if (r != STORE_OK)
            return core_store_failure(r, st);
        if (strcmp(a.status, "Active") != 0 && wait && strcmp(a.status, "Failed") != 0)
            *all_active = 0;
        else if (strcmp(a.status, "Active") != 0)
            return core_fail(st, CORE_ASSET_NOT_READY,
                             "The asset %s is %s, not Active; poll GetAsset until it is Active%s.", a.id, a.status,
                             strcmp(a.status, "Failed") == 0 ? " (this one failed: use another)" : "");
        const struct video_kind *k = find_kind(it->type);
        if (strcmp(a.type, k->asset_type) != 0)
            return core_fail(st, CORE_INVALID_PARAMETER, "content[%zu] is %s but the asset %s is of type %s.", i,
                             it->type, a.id, a.type);
    }
    return CORE_OK;
}

/* The upstream refused the request as invalid (HTTP 400): the customer's
 * request is at fault, not the upstream, so this is invalid_request with
 * the upstream's own code kept (API.md §4). UPSTREAM.md "Video tasks",
 * last row: a real face sent by URL is refused as
 * InputImageSensitiveContentDetected.PrivacyInformation, and the remedy is
 * the asset library: the message says so. */
static enum core_code upstream_refusal(const struct up_error *err, struct core_status *st)
{
    log_info("upstream CreateVideoTask refused the request: %s: %s", err->code, err->message);
    if (strncmp(err->code, "InputImageSensitiveContentDetected.PrivacyInformation", sizeof err->code) == 0)
        core_fail(st, CORE_INVALID_PARAMETER,
                  "The upstream refused an input image that shows a real person's face; register the face as an "
                  "asset (asset://) and reference it instead of its URL.");
    else
        core_fail(st, CORE_INVALID_PARAMETER, "The upstream refused the request (%s): %.160s", err->code,
                  err->message[0] ? err->message : "no message");
    snprintf(st->upstream_code, sizeof st->upstream_code, "%s", err->code[0] ? err->code : "InvalidParameter");
    return st->code;
}

enum core_code video_submit(struct core *c, int64_t customer_id, const struct core_video_request *req,
                            char upstream_id[static IDS_MAX], struct core_status *st)
{
    const struct video_model *m = find_model(req->model);
    if (!m)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "model must be seedance-2.0, seedance-2.0-fast or seedance-1.5-pro.");
    struct up_video_item items[CORE_VIDEO_ITEMS_MAX];
    for (size_t i = 0; i < req->n_items && i < CORE_VIDEO_ITEMS_MAX; i++)
        items[i] = (struct up_video_item){req->items[i].type, req->items[i].url, req->items[i].role};
    struct up_video_request ur = {
        .model = m->upstream_id,
        .prompt = req->prompt,
        .ratio = req->ratio,
        .duration = req->has_duration ? req->duration : 0,
        .resolution = req->resolution,
        .items = items,
        .n_items = req->n_items < CORE_VIDEO_ITEMS_MAX ? req->n_items : CORE_VIDEO_ITEMS_MAX,
    };
    /* A create of the account's: a create token, no place in flight (those
     * are assets still Processing, UPSTREAM.md "Account limits"). */
    if (budget_wait(&c->budget, &c->budget.create, st) != CORE_OK)
        return st->code;
    struct up_error err = {0};
    enum up_result u = c->up->ops->create_video_task(c->up, &ur, upstream_id, &err);
    core_count_upstream(c, customer_id, "CreateVideoTask", u);
    if (u == UP_REJECTED && err.http_status == 400)
        return upstream_refusal(&err, st);
    if (u != UP_OK)
        return core_upstream_failure("CreateVideoTask", u, &err, st);
    return CORE_OK;
}

enum core_code core_create_video(struct core *c, const struct customer *cu, const struct actor *who,
                                 const struct core_video_request *req,
                                 struct video_task *out, struct core_status *st)
{
    const struct video_model *m = NULL;
    if (check_fields(req, &m, st) || check_urls(c, req, st) || check_combination(m, req, st))
        return st->code;

    /* Inline registration: each such item becomes asset://<its asset>,
     * and the task waits for those assets. */
    struct core_video_item items[CORE_VIDEO_ITEMS_MAX];
    char asset_urls[CORE_VIDEO_ITEMS_MAX][sizeof ASSET_SCHEME + IDS_MAX];
    struct core_video_request r = *req;
    for (size_t i = 0; i < req->n_items; i++) {
        items[i] = req->items[i];
        if (!items[i].register_asset)
            continue;
        char id[IDS_MAX];
        if (inline_asset(c, cu, who, i, &req->items[i], id, st) != CORE_OK)
            return st->code;
        snprintf(asset_urls[i], sizeof asset_urls[i], ASSET_SCHEME "%s", id);
        items[i].url = asset_urls[i];
        items[i].register_asset = 0;
        r.wait_for_assets = 1;
    }
    r.items = items;
    int all_active = 1;
    if (check_assets(c, cu, &r, r.wait_for_assets, &all_active, st))
        return st->code;
    if (!all_active)
        return video_wait(c, cu, &r, out, st);

    char upstream_id[IDS_MAX];
    if (video_submit(c, cu->id, &r, upstream_id, st) != CORE_OK)
        return st->code;

    int64_t now = clock_wall_ms();
    memset(out, 0, sizeof *out);
    out->customer_id = cu->id;
    snprintf(out->upstream_id, sizeof out->upstream_id, "%s", upstream_id);
    snprintf(out->model, sizeof out->model, "%s", m->name);
    snprintf(out->status, sizeof out->status, "queued");
    out->create_ms = out->update_ms = now;
    out->next_poll_ms = video_next_poll(now, now);
    enum store_result sr = STORE_CONFLICT;
    /* Portico's own id: the upstream's stays internal. A clash of the
     * random tail is astronomically rare; try again rather than fail. */
    for (int attempt = 0; sr == STORE_CONFLICT && attempt < 3; attempt++) {
        ids_resource("vid", now, out->id);
        sr = c->store->ops->insert_video_task(c->store, out, req->record_json);
    }
    if (sr != STORE_OK) {
        log_error("video task %s started upstream but could not be recorded: %s", upstream_id,
                  store_result_str(sr));
        return core_store_failure(sr, st);
    }
    poller_kick(c->video_refresher);
    return CORE_OK;
}

enum core_code core_get_video(struct core *c, const struct customer *cu, const char *id, struct video_task *out,
                              struct core_status *st)
{
    if (!id || !*id || strlen(id) >= IDS_MAX)
        return core_fail(st, CORE_NOT_FOUND, "No video generation task with this id exists for you.");
    enum store_result r = c->store->ops->get_video_task(c->store, cu->id, id, out);
    if (r == STORE_NOT_FOUND)
        return core_fail(st, CORE_NOT_FOUND, "No video generation task with this id exists for you.");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

/* ---- video results, served by Portico (core.h) ---- */

/* hex HMAC-SHA256(media secret, "video-result\n<customer>\n<id>\n<exp>"):
 * the prefix keeps it apart from the media URLs signed with the same key. */
static int video_result_signature(struct core *c, int64_t customer, const char *id, int64_t exp, char out[65])
{
    if (!c->blob || strlen(c->blob->media_secret) != 64)
        return -1;
    char msg[64 + IDS_MAX + 64];
    int n = snprintf(msg, sizeof msg, "video-result\n%lld\n%s\n%lld", (long long)customer, id, (long long)exp);
    if (n < 0 || (size_t)n >= sizeof msg)
        return -1;
    uint8_t mac[32];
    crypto_hmac_sha256(c->blob->media_secret, 64, msg, (size_t)n, mac);
    crypto_hex(mac, 32, out);
    return 0;
}

int core_video_result_url(struct core *c, const struct video_task *t, char *out, size_t cap)
{
    /* Valid 2 to 3 hours, and the same URL for an hour of polls. */
    int64_t now = clock_wall_ms() / 1000;
    int64_t exp = (now / 3600 + 3) * 3600;
    char sig[65];
    if (video_result_signature(c, t->customer_id, t->id, exp, sig) != 0)
        return -1;
    int base = (int)strnlen(c->cfg.public_url, sizeof c->cfg.public_url);
    while (base > 0 && c->cfg.public_url[base - 1] == '/')
        base--;
    int n = snprintf(out, cap, "%.*s" CORE_VIDEO_RESULT_PATH "%s?c=%lld&exp=%lld&sig=%s", base, c->cfg.public_url, t->id,
                     (long long)t->customer_id, (long long)exp, sig);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

enum core_code core_open_video_result(struct core *c, const char *id, const char *customer, const char *expires,
                                      const char *signature, int *fd, uint64_t *size, struct core_status *st)
{
    *fd = -1;
    int64_t cu = decimal_parse(customer), exp = decimal_parse(expires);
    char want[65];
    if (!id || !*id || strlen(id) >= IDS_MAX || cu < 0 || exp < clock_wall_ms() / 1000 || !signature ||
        strlen(signature) != 64 || video_result_signature(c, cu, id, exp, want) != 0 ||
        !crypto_equal(want, signature, 64))
        return core_fail(st, CORE_FORBIDDEN, "The video URL is invalid or has expired; read the task again for a "
                                             "fresh one.");
    struct video_task t;
    enum store_result r = c->store->ops->get_video_task(c->store, cu, id, &t);
    if (r == STORE_NOT_FOUND || (r == STORE_OK && (strcmp(t.status, "succeeded") != 0 || !t.video_url[0])))
        return core_fail(st, CORE_NOT_FOUND, "The video no longer exists.");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    struct up_error err = {0};
    if (!c->up->ops->open_video_result)
        return core_fail(st, CORE_INTERNAL_ERROR, "This upstream cannot serve video results.");
    enum up_result u = c->up->ops->open_video_result(c->up, t.video_url, CORE_VIDEO_RESULT_MAX, fd, size, &err);
    if (u == UP_NOT_FOUND)
        return core_fail(st, CORE_NOT_FOUND, "The upstream no longer keeps this video (it lives about 24 hours).");
    if (u != UP_OK) {
        /* The upstream's URL names its task: logged, never shown. */
        log_warn("video %s: the upstream's file could not be fetched: %s: %s", id, err.code, err.message);
        return core_fail(st, CORE_UPSTREAM_ERROR, "The video could not be fetched from the upstream; retry later.");
    }
    return CORE_OK;
}
