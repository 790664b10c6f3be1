/* router.c — the route table and its dispatcher.
 *
 * In the spirit of Redis's command table: one row per endpoint, and the
 * dispatcher is a lookup plus the generic checks, written once and in the
 * order below, each answering in the row's envelope (its surface):
 *
 *   1. ambiguous framing (http/framing.h)         InvalidParameter  400
 *   2. overloaded: no worker can take it          ServiceUnavailable 503
 *   3. the method                                 MethodNotAllowed  405
 *   4. ROUTE_AUTH: the Bearer key                 Unauthorized      401
 *      ROUTE_ADMIN: an admin key (API.md §7)      Unauthorized      401
 *   5. ROUTE_ACTIONS: Action and Version (the listener's action_set)
 *   6. ROUTE_BODY: the body fits api_body_max     PayloadTooLarge   413
 *   7. ROUTE_DRAIN: not while draining            ServiceUnavailable 503
 *   8. ROUTE_JSON: the body is a JSON object      InvalidParameter  400
 *
 * 1 and 2 are answered before anything of the request is trusted: the
 * Action envelope then echoes no Action. Streamed rows (uploads) run their
 * checks as the body arrives (upload.c, upload_session.c); they reach
 * api_handle only when their stream could not be taken, and are then
 * answered as overloaded.
 *
 * A path no row matches is NotFound; a path a row matches with another
 * method is 405 in that row's envelope, unless the row hides itself from
 * other methods (NULL wrong_method). Rows are tried in order.
 *
 * Each listener has its own table: the public one (public_routes) and the
 * operators' (admin_routes, API.md §7). A path of one is NotFound on the
 * other, and the keys differ too (a customer's key is Unauthorized on the
 * admin listener, an admin key on the public one), so nothing of the
 * operators' side is reachable from the public port. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/png.h" /* doctor: the test image path */

#define OVERLOADED "The gateway is overloaded; retry shortly."
#define DRAINING "The gateway is shutting down; retry on another node or shortly."
#define DEFAULT_405 "" /* wrong_method: the catalog's message */
#define ADMIN_NOT_FOUND "No such endpoint; admin Actions are POSTed to /admin/?Action=...&Version=2024-01-01."

enum route_match {
    MATCH_EXACT,  /* the path itself */
    MATCH_DIR,    /* the path (ending in '/') or the same without its '/' */
    MATCH_PREFIX, /* anything that starts with the path */
    MATCH_UNDER,  /* the path (ending in '/') and at least one byte more */
};

struct route {
    const char *method; /* "GET" also answers HEAD */
    const char *path;
    enum route_match match;
    enum api_surface surface;
    unsigned flags;      /* enum route_flags */
    const char *name;    /* for the log and metrics; the Action the envelope echoes (Action surface) */
    const char *version; /* the Version the envelope echoes; NULL: "" */
    route_fn handle;
    route_open_fn open;       /* ROUTE_STREAM */
    const char *wrong_method; /* the 405's message; DEFAULT_405: the catalog's; NULL: 404 instead */
};

/* The public listener's endpoints. */
static const struct route public_routes[] = {
    /* method  path  match  surface  flags  name  version  handler  stream  405 message */
    {"POST", "/v1/portrait/", MATCH_DIR, API_SURFACE_ACTION,
     ROUTE_ACTIONS | ROUTE_AUTH | ROUTE_BODY | ROUTE_DRAIN | ROUTE_JSON, NULL, NULL, portrait_handle, NULL,
     "Actions are sent with POST."},
    /* the event stream: a body sent over time (api_source), never on a worker */
    {"GET", EVENTS_PATH, MATCH_EXACT, API_SURFACE_ACTION, ROUTE_AUTH | ROUTE_BODY | ROUTE_DRAIN, "EventStream", NULL,
     events_stream, NULL, "The event stream is read with GET."},
    {"POST", UPLOAD_PATH, MATCH_EXACT, API_SURFACE_ACTION,
     ROUTE_STREAM | ROUTE_AUTH | ROUTE_DRAIN | ROUTE_CREATES | ROUTE_SLOW, UPLOAD_ACTION, API_VERSION, NULL,
     upload_open, "Uploads are sent with POST."},
    /* the customers' console's pictures: a thumbnail may be made now (reads the blob store, decodes) */
    {"GET", THUMBNAILS_PATH, MATCH_UNDER, API_SURFACE_ACTION, ROUTE_AUTH | ROUTE_BODY | ROUTE_DRAIN | ROUTE_SLOW,
     "GetAssetThumbnail", API_VERSION, console_thumbnail, NULL, "Thumbnails are read with GET."},
    {"GET", QRCODES_PATH, MATCH_UNDER, API_SURFACE_ACTION, ROUTE_AUTH | ROUTE_BODY | ROUTE_DRAIN,
     "GetValidateQRCode", API_VERSION, console_qrcode, NULL, "QR codes are read with GET."},
    {"POST", VIDEOS_PATH, MATCH_DIR, API_SURFACE_VIDEO,
     ROUTE_AUTH | ROUTE_BODY | ROUTE_DRAIN | ROUTE_JSON | ROUTE_SLOW, "CreateVideoGeneration", NULL,
     videos_create, NULL, "Video generations are created with POST."},
    {"GET", VIDEOS_PATH, MATCH_UNDER, API_SURFACE_VIDEO, ROUTE_AUTH | ROUTE_BODY | ROUTE_DRAIN,
     "GetVideoGeneration", NULL, videos_get, NULL, "A video generation is read with GET."},
    /* the bytes come from the upstream: slow; the signed URL is the credential */
    {"GET", CORE_VIDEO_RESULT_PATH, MATCH_PREFIX, API_SURFACE_VIDEO, ROUTE_SLOW, "GetVideoResult", NULL,
     video_results_handle, NULL, "Video results answer GET and HEAD only."},
    {"GET", MEDIA_PREFIX, MATCH_PREFIX, API_SURFACE_MEDIA, 0, "Media", NULL, media_handle, NULL,
     "Media URLs answer GET and HEAD (and PUT, with an upload session's signed URL)."},
    /* upload sessions, fs backend: fsync and rename are slow */
    {"PUT", MEDIA_PREFIX, MATCH_PREFIX, API_SURFACE_MEDIA, ROUTE_STREAM | ROUTE_DRAIN | ROUTE_SLOW, "UploadPut",
     NULL, NULL, media_put_open, NULL},
    {"GET", "/healthz", MATCH_EXACT, API_SURFACE_ACTION, 0, "healthz", NULL, ops_healthz, NULL, DEFAULT_405},
    {"GET", "/readyz", MATCH_EXACT, API_SURFACE_ACTION, 0, "readyz", NULL, ops_readyz, NULL, DEFAULT_405},
    {"GET", PNG_TEST_IMAGE_PATH, MATCH_EXACT, API_SURFACE_ACTION, 0, "TestImage", NULL, test_image_handle, NULL,
     NULL},
    {"GET", "/console", MATCH_PREFIX, API_SURFACE_ACTION, 0, "Console", NULL, static_console, NULL, NULL},
    {"GET", "/openapi.yaml", MATCH_EXACT, API_SURFACE_ACTION, 0, "OpenAPI", NULL, static_openapi, NULL, NULL},
};

/* The admin listener's (API.md §7): never reachable from the public one.
 * /metrics is here only: it tells how the gateway and its customers fare. */
static const struct route admin_routes[] = {
    {"POST", ADMIN_PATH, MATCH_DIR, API_SURFACE_ACTION,
     ROUTE_ACTIONS | ROUTE_ADMIN | ROUTE_BODY | ROUTE_DRAIN | ROUTE_JSON, NULL, NULL, admin_handle, NULL,
     "Admin Actions are sent with POST."},
    {"GET", "/healthz", MATCH_EXACT, API_SURFACE_ACTION, 0, "healthz", NULL, ops_healthz, NULL, DEFAULT_405},
    {"GET", "/readyz", MATCH_EXACT, API_SURFACE_ACTION, 0, "readyz", NULL, ops_readyz, NULL, DEFAULT_405},
    {"GET", "/metrics", MATCH_EXACT, API_SURFACE_ACTION, 0, "metrics", NULL, ops_metrics, NULL, DEFAULT_405},
    {"GET", "/console", MATCH_PREFIX, API_SURFACE_ACTION, 0, "Console", NULL, static_console, NULL, NULL},
    {"GET", "/openapi.yaml", MATCH_EXACT, API_SURFACE_ACTION, 0, "OpenAPI", NULL, static_openapi, NULL, NULL},
};

size_t api_body_max(const char *method, const char *path)
{
    size_t n = strlen(VIDEOS_PATH);
    if (method && path && strcmp(method, "POST") == 0 && strncmp(path, VIDEOS_PATH, n - 1) == 0 &&
        (path[n - 1] == '\0' || strcmp(path + n - 1, "/") == 0))
        return API_VIDEO_BODY_MAX;
    return API_BODY_MAX;
}

static struct api *api_with_routes(struct core *core, const char *region, int admin)
{
    struct api *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->core = core;
    a->admin = admin;
    a->routes = admin ? admin_routes : public_routes;
    a->actions = admin ? &admin_actions : &portrait_actions;
    a->n_routes = admin ? sizeof admin_routes / sizeof admin_routes[0] : sizeof public_routes / sizeof public_routes[0];
    snprintf(a->region, sizeof a->region, "%s", region ? region : "cn-beijing");
    atomic_init(&a->draining, 0);
    return a;
}

struct api *api_new(struct core *core, const char *region)
{
    return api_with_routes(core, region, 0);
}

struct api *api_new_admin(struct core *core, const char *region)
{
    return api_with_routes(core, region, 1);
}

void api_free(struct api *a)
{
    free(a);
}

void api_set_draining(struct api *a, int draining)
{
    atomic_store(&a->draining, draining);
    if (draining) /* parked WaitAssets are answered, event streams end */
        core_events_drain(a->core);
}

/* snprintf(dst, cap, "%s", src) without the formatting machinery: the
 * hot path copies an Action name and an address on every request. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int path_matches(const struct route *r, const char *path)
{
    size_t n = strlen(r->path);
    switch (r->match) {
    case MATCH_EXACT:
        return strcmp(path, r->path) == 0;
    case MATCH_DIR:
        return strncmp(path, r->path, n - 1) == 0 && (path[n - 1] == '\0' || strcmp(path + n - 1, "/") == 0);
    case MATCH_PREFIX:
        return strncmp(path, r->path, n) == 0;
    case MATCH_UNDER:
        return strncmp(path, r->path, n) == 0 && path[n] != '\0';
    }
    return 0;
}

static int method_matches(const struct route *r, const char *method)
{
    return strcmp(method, r->method) == 0 || (strcmp(r->method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* The row that serves the request; else, in *path_row, the first row whose
 * path matched (the method did not), or NULL. */
static const struct route *route_find(const struct api *a, const struct api_request *req,
                                      const struct route **path_row)
{
    *path_row = NULL;
    for (size_t i = 0; i < a->n_routes; i++) {
        const struct route *r = &a->routes[i];
        if (!path_matches(r, req->path))
            continue;
        if (method_matches(r, req->method))
            return r;
        if (!*path_row)
            *path_row = r;
    }
    return NULL;
}

/* ROUTE_ACTIONS, right after the route is found: the Action and Version
 * the envelope echoes (only a catalogued or harmless Action name) into
 * call->to, and the Action's row into call. */
static void actions_echo(const struct action_set *set, const struct api_request *req, struct api_call *call,
                         struct api_response *resp)
{
    const char *known = set->find(req->action, call);
    /* Echo only a catalogued Action name: the request's may be anything. */
    const char *action = known ? known : (req->action ? req->action : "");
    if (strlen(action) > 64 || core_utf8_chars(action) < 0)
        action = "";
    call->action_known = known != NULL;
    call->to.action = action;
    call->to.version = req->version && strcmp(req->version, API_VERSION) == 0 ? API_VERSION : "";
    copy_str(resp->action, sizeof resp->action, known ? known : "");
}

/* After authentication: the refusal (a doubtful query, an unknown Action,
 * a wrong Version) in st, or CORE_OK. */
static enum core_code actions_resolve(const struct api_request *req, struct api_call *call, struct core_status *st)
{
    if (req->query_error) {
        /* ?action=DeleteAssetGroup&Action=ListAssetGroups names two Actions;
         * no reading of it is safe to act on. */
        call->to.action = "";
        call->to.version = "";
        return core_fail(st, CORE_INVALID_PARAMETER, "%s", req->query_error);
    }
    if (!call->action_known)
        return core_fail(st, CORE_INVALID_ACTION, "%s",
                         req->action ? "The Action is not supported; see the API reference for the list."
                                     : "Action is required in the query string: ?Action=...&Version=2024-01-01.");
    if (!req->version || strcmp(req->version, API_VERSION) != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "%s",
                         req->version ? "Version is not supported; use Version=2024-01-01."
                                      : "Version is required in the query string: Version=2024-01-01.");
    return CORE_OK;
}

int api_is_slow(struct api *a, const struct api_request *req)
{
    const struct route *other, *r = route_find(a, req, &other);
    if (!r)
        return 0;
    if (r->flags & ROUTE_ACTIONS)
        return a->actions->is_slow(req->action);
    return (r->flags & ROUTE_SLOW) != 0;
}

struct api_stream *api_stream_open(struct api *a, const struct api_request *req, const char *content_type,
                                   uint64_t content_length)
{
    const struct route *other, *r = route_find(a, req, &other);
    if (!r || !(r->flags & ROUTE_STREAM))
        return NULL;
    return r->open(a, req, content_type, content_length);
}

void api_handle(struct api *a, const struct api_request *req, struct api_response *resp)
{
    const struct route *other, *r = route_find(a, req, &other);
    const struct route *row = r ? r : other;
    struct api_call call = {.route = row};
    call.to.surface = row ? row->surface : API_SURFACE_ACTION;
    struct core_status st = {0};

    /* 1, 2: nothing of the request is echoed */
    if (req->bad_request) {
        api_fail_code(a, req, &call.to, CORE_INVALID_PARAMETER, req->bad_request, resp);
        return;
    }
    if (req->overloaded) {
        api_fail_code(a, req, &call.to, CORE_SERVICE_UNAVAILABLE, OVERLOADED, resp);
        return;
    }
    if (!row) {
        api_fail_code(a, req, &call.to, CORE_NOT_FOUND, a->admin ? ADMIN_NOT_FOUND : NULL, resp);
        return;
    }
    if (row->flags & ROUTE_ACTIONS) {
        actions_echo(a->actions, req, &call, resp);
    } else {
        /* An Action envelope echoes a named Action (Upload) only; plain
         * endpoints (/healthz) answer errors in it with none. */
        call.to.action = row->version ? row->name : NULL;
        call.to.version = row->version;
        copy_str(resp->action, sizeof resp->action, row->name ? row->name : "");
    }
    /* 3 */
    if (!r) {
        if (!row->wrong_method) {
            resp->action[0] = '\0';
            api_fail_code(a, req, &call.to, CORE_NOT_FOUND, a->admin ? ADMIN_NOT_FOUND : NULL, resp);
        } else {
            api_fail_code(a, req, &call.to, CORE_METHOD_NOT_ALLOWED, row->wrong_method, resp);
        }
        return;
    }
    if (r->flags & ROUTE_STREAM) { /* its stream could not be taken */
        api_fail_code(a, req, &call.to, CORE_SERVICE_UNAVAILABLE, OVERLOADED, resp);
        return;
    }
    /* 4 */
    if (r->flags & (ROUTE_AUTH | ROUTE_ADMIN)) {
        const char *key = api_bearer(req->authorization);
        if ((r->flags & ROUTE_ADMIN) ? core_admin_authenticate(a->core, key, &call.who, &st)
                                     : core_authenticate_memo(a->core, key, req->key_memo, &call.cu, &call.who, &st)) {
            api_fail(a, req, &call.to, &st, resp);
            return;
        }
        copy_str(call.who.addr, sizeof call.who.addr, req->remote_addr ? req->remote_addr : "");
        resp->customer_id = call.cu.id;
    }
    /* 5 */
    if ((r->flags & ROUTE_ACTIONS) && actions_resolve(req, &call, &st)) {
        api_fail(a, req, &call.to, &st, resp);
        return;
    }
    /* 6, 7 */
    if ((r->flags & ROUTE_BODY) && req->body_too_large) {
        api_fail_code(a, req, &call.to, CORE_PAYLOAD_TOO_LARGE,
                      api_body_max(req->method, req->path) > API_BODY_MAX
                          ? "The request body is too large; the limit is 16 MiB (images inline as data: URLs "
                            "included)."
                          : NULL,
                      resp);
        return;
    }
    if ((r->flags & ROUTE_DRAIN) && atomic_load(&a->draining)) {
        api_fail_code(a, req, &call.to, CORE_SERVICE_UNAVAILABLE, DRAINING, resp);
        return;
    }
    /* 8 */
    if (r->flags & ROUTE_JSON) {
        const char *one = (r->flags & ROUTE_ACTIONS) && a->actions->one_field ? a->actions->one_field(&call) : NULL;
        if (req->body_len == 0) {
            call.body = json_object();
        } else if (one && param_one_string(req->body, req->body_len, one, call.one_value, sizeof call.one_value)) {
            call.one = call.one_value; /* GetAsset's {"Id":"..."}: no tree to build */
        } else {
            json_error_t jerr;
            call.body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
            if (!call.body || !json_is_object(call.body)) {
                api_fail_code(a, req, &call.to, CORE_INVALID_PARAMETER,
                              call.body ? "The body must be a JSON object." : "The body is not valid JSON.", resp);
                json_decref(call.body);
                return;
            }
        }
    }
    r->handle(a, req, &call, resp);
    json_decref(call.body);
}
