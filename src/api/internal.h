/* internal.h — shared by the files of api/.
 *
 * A request meets one route table (router.c): a row per endpoint says which
 * envelope its errors use, whether it needs a key, takes a JSON body, is
 * refused while draining, creates, may block on the upstream or streams
 * its body. The generic checks run once, in the dispatcher, in that row's
 * envelope; handlers translate fields to core calls and answer every error
 * through api_fail (the one catalog, errors.c). The Action endpoint is one
 * row, with its Actions a second-level table under it (portrait.c), as a
 * Redis command's subcommands. api/ includes no port header (core/core.h). */
#ifndef PORTICO_API_INTERNAL_H
#define PORTICO_API_INTERNAL_H
#include <jansson.h>
#include <stdatomic.h>

#include "api/api.h"
#include "api/errors.h"
#include "util/buf.h"

#define API_VERSION "2024-01-01"

struct route;
struct action_set;

struct api {
    struct core *core;
    char region[64];
    atomic_int draining;
    int admin; /* the admin listener's (API.md §7): its own route table */
    const struct route *routes;
    size_t n_routes;
    const struct action_set *actions; /* the Actions of its one ROUTE_ACTIONS row */
};

/* Which envelope a surface's errors use. */
enum api_surface {
    API_SURFACE_ACTION, /* the Volcengine envelope of API.md §2, with Action and Version */
    API_SURFACE_VIDEO,  /* {"error": {"code", "message"[, "upstream_code"]}} (API.md §4) */
    API_SURFACE_MEDIA,  /* signed media URLs: {"Error": {"Code", "Message"}, "RequestId"} */
};

/* Where an answer goes: the surface, and the Action and Version the
 * Volcengine envelope echoes (NULL: ""). */
struct api_reply {
    enum api_surface surface;
    const char *action;
    const char *version;
};

/* The error answer of an outcome in to's envelope, from the catalog:
 * status, body, error_code for the log, Retry-After, and on the video
 * surface the upstream's own code. An empty message is the catalog's. */
void api_fail(struct api *a, const struct api_request *req, const struct api_reply *to, const struct core_status *st,
              struct api_response *resp);
/* The same for a code and message (NULL or "": the catalog's default). */
void api_fail_code(struct api *a, const struct api_request *req, const struct api_reply *to, enum core_code code,
                   const char *message, struct api_response *resp);

/* router.c — the route table. */
enum route_flags {
    ROUTE_AUTH = 1 << 0,    /* needs a Bearer key: the dispatcher authenticates */
    ROUTE_BODY = 1 << 1,    /* a buffered body of at most API_BODY_MAX: PayloadTooLarge past it */
    ROUTE_JSON = 1 << 2,    /* the body is a JSON object ("" = {}): parsed by the dispatcher */
    ROUTE_DRAIN = 1 << 3,   /* refused with ServiceUnavailable while the gateway drains */
    ROUTE_CREATES = 1 << 4, /* creates with a ClientToken (quota, upstream budget): the upload's stream and
                             * each creating Action (portrait.c) claim the token */
    ROUTE_SLOW = 1 << 5,    /* may block on the upstream: a worker thread runs it */
    ROUTE_STREAM = 1 << 6,  /* the body streams to .open (api_stream) instead of being buffered */
    ROUTE_ACTIONS = 1 << 7, /* the Action named in the query decides (the listener's action_set) */
    ROUTE_ADMIN = 1 << 8,   /* needs an admin key (API.md §7): the dispatcher authenticates */
};

struct route;
struct action;
struct admin_action;

/* What the dispatcher established before the handler runs. */
struct api_call {
    const struct route *route;
    struct api_reply to;     /* where this request's errors go */
    struct customer cu;      /* ROUTE_AUTH: the caller */
    struct actor who;        /* ROUTE_AUTH, ROUTE_ADMIN: whose key, from which address (audit) */
    json_t *body;            /* ROUTE_JSON: the body object, the dispatcher's (freed after); NULL when one is set */
    /* ROUTE_JSON, for an Action whose body is one string field (action_set
     * one_field): that field's value when the body was exactly that
     * (param_one_string), read without a JSON tree; else NULL. */
    const char *one;
    char one_value[128];
    int action_known;        /* ROUTE_ACTIONS: the query's Action is in the listener's action_set */
    const struct action *act; /* ROUTE_ACTIONS on the public listener: the Action's row (portrait.c) */
    const struct admin_action *admin_act; /* ROUTE_ACTIONS on the admin listener: its row (admin.c) */
};

/* The second level of an Action endpoint (a ROUTE_ACTIONS row; one per
 * listener: portrait_actions on the public one, admin_actions on the
 * admin one): its Actions. The dispatcher echoes and resolves Action and
 * Version through it, the same way for every Action endpoint. */
struct action_set {
    /* The catalogued name of Action name (NULL: none), with its row put
     * into call; NULL when there is no such Action. */
    const char *(*find)(const char *name, struct api_call *call);
    /* 1 when the Action may block on the upstream (run on a worker). */
    int (*is_slow)(const char *name);
    /* The field, for an Action (call's, from find) that reads a body of
     * one string field: the dispatcher then takes such a body without a
     * JSON tree (api_call one). NULL: every body is parsed. May be NULL. */
    const char *(*one_field)(const struct api_call *call);
};

typedef void (*route_fn)(struct api *a, const struct api_request *req, struct api_call *call,
                         struct api_response *resp);
typedef struct api_stream *(*route_open_fn)(struct api *a, const struct api_request *req, const char *content_type,
                                            uint64_t content_length);

/* envelope.c — the Volcengine envelope. result is stolen (decref'd). */
void envelope_ok(const struct api_request *req, const char *action, const char *version, const char *region,
                 json_t *result, struct api_response *resp);
/* As envelope_ok, with the Result given as JSON text. */
void envelope_ok_text(const struct api_request *req, const char *action, const char *version, const char *region,
                      const char *result, struct api_response *resp);
/* The same, written straight into one buffer: envelope_open writes all
 * that comes before the Result (0, or -1 when b is full), the caller
 * appends the Result's JSON text, envelope_close ends the envelope and
 * hands b's data to resp (a 500 if it cannot). */
int envelope_open(const struct api_request *req, const char *action, const char *version, const char *region,
                  struct buf *b);
void envelope_close(struct buf *b, struct api_response *resp);
void response_text(struct api_response *resp, int status, const char *content_type, char *body, size_t len);
/* A JSON body (stolen) with status; NULL: 500 in the surface's words. */
void response_json(struct api_response *resp, int status, json_t *root, enum api_surface surface);

/* params.c — typed access to a request's JSON fields. Each returns 0, or -1
 * with st set to InvalidParameter naming the field. An absent or null field
 * leaves the default. */
int param_string(json_t *obj, const char *field, const char **out, struct core_status *st);
int param_int(json_t *obj, const char *field, int *out, struct core_status *st);
int param_object(json_t *obj, const char *field, json_t **out, struct core_status *st);
/* A JSON true or false: *out 1 or 0. */
int param_bool(json_t *obj, const char *field, int *out, struct core_status *st);
/* A JSON integer that fits 64 bits. */
int param_int64(json_t *obj, const char *field, int64_t *out, struct core_status *st);
/* *out is a malloc'd array (free it) of borrowed strings; max entries. */
/* The key of an "Authorization: Bearer <key>" header, or NULL. */
const char *api_bearer(const char *authorization);
int param_strings(json_t *obj, const char *field, size_t max, const char ***out, size_t *n, struct core_status *st);
/* 1 when body (len bytes) is exactly one JSON object {"<field>": "<value>"}
 * (whitespace allowed where JSON allows it) whose key and value are plain
 * printable ASCII without escapes, and value fits out (cap bytes with the
 * NUL): out gets value. Such a body means to jansson what it means here,
 * so a caller may skip the JSON tree for it; 0 for anything else, which
 * the caller parses as usual (and answers its errors as usual). */
int param_one_string(const char *body, size_t len, const char *field, char *out, size_t cap);

/* render.c — API objects. */
json_t *render_group(const struct group *g);
/* The Asset object with jansson, for lists; the same object as text, for
 * GetAsset's hot path, is core's render_asset_text (core/render.c). */
json_t *render_asset(const struct asset *a);

/* portrait.c — the Action endpoint's second level (its rows: Actions). */
extern const struct action_set portrait_actions;
void portrait_handle(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);

/* admin.c — the operators' Action endpoint, POST /admin/?Action=&Version=
 * on the admin listener only (API.md §7), and its Actions: one row each in
 * admin.c's table (name, handler, slow). A handler sets *result (the
 * Result object) and returns CORE_OK, or returns an error code with st
 * set; CORE_OK with *result left NULL means it filled resp itself (a
 * Result that is not JSON, e.g. GetUsage's CSV). call->who is the
 * operator's admin key and address; call->body the JSON object. */
#define ADMIN_PATH "/admin/"
typedef enum core_code (*admin_fn)(struct api *a, const struct api_request *req, struct api_call *call,
                                   json_t **result, struct api_response *resp, struct core_status *st);
extern const struct action_set admin_actions;
void admin_handle(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);

/* admin_usage.c — GetUsage (JSON, or CSV answered by the handler itself)
 * and ListAuditEvents: rows of admin.c's table. */
enum core_code admin_get_usage(struct api *a, const struct api_request *req, struct api_call *call,
                               json_t **result, struct api_response *resp, struct core_status *st);
enum core_code admin_list_audit(struct api *a, const struct api_request *req, struct api_call *call,
                                json_t **result, struct api_response *resp, struct core_status *st);

/* liveness.c — Action handlers (rows in portrait.c's table). */
enum core_code liveness_create_session(struct api *a, const struct customer *cu, const struct actor *who,
                                       json_t *body, json_t **result, struct core_status *st);
enum core_code liveness_get_result(struct api *a, const struct customer *cu, const struct actor *who,
                                   json_t *body, json_t **result, struct core_status *st);

/* upload.c — POST /v1/portrait/upload, a streamed body (api_stream). */
#define UPLOAD_PATH "/v1/portrait/upload"
#define UPLOAD_ACTION "Upload"
struct api_stream *upload_open(struct api *a, const struct api_request *req, const char *content_type,
                               uint64_t content_length);

/* notify.c — API.md §4a: the notification Actions (rows in portrait.c). */
enum core_code notify_update_config(struct api *a, const struct customer *cu, const struct actor *who,
                                    json_t *body, json_t **result, struct core_status *st);
enum core_code notify_get_config(struct api *a, const struct customer *cu, const struct actor *who,
                                 json_t *body, json_t **result, struct core_status *st);
enum core_code notify_delete_config(struct api *a, const struct customer *cu, const struct actor *who,
                                    json_t *body, json_t **result, struct core_status *st);
enum core_code notify_list(struct api *a, const struct customer *cu, const struct actor *who,
                           json_t *body, json_t **result, struct core_status *st);

/* upload_session.c — API.md §4b: Action handlers (rows in portrait.c) and
 * PUT /v1/media/<key>, the fs backend's signed upload URL (a streamed body). */
enum core_code upload_session_create(struct api *a, const struct customer *cu, const struct actor *who,
                                     json_t *body, json_t **result, struct core_status *st);
enum core_code upload_session_complete(struct api *a, const struct customer *cu, const struct actor *who,
                                       json_t *body, json_t **result, struct core_status *st);
enum core_code upload_session_abort(struct api *a, const struct customer *cu, const struct actor *who,
                                    json_t *body, json_t **result, struct core_status *st);
struct api_stream *media_put_open(struct api *a, const struct api_request *req, const char *content_type,
                                  uint64_t content_length);

/* media.c — GET/HEAD /v1/media/<key>: signed URLs of stored uploads. */
#define MEDIA_PREFIX "/v1/media/"
void media_handle(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);

/* videos.c — POST /v1/videos/generations, GET /v1/videos/generations/{id},
 * GET/HEAD /v1/videos/results/{id}?c=&exp=&sig= (a finished video, no key). */
#define VIDEOS_PATH "/v1/videos/generations/"
void videos_create(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);
void videos_get(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);
void video_results_handle(struct api *a, const struct api_request *req, struct api_call *call,
                          struct api_response *resp);

/* events.c — API.md §4a: WaitAsset (a row in portrait.c: it may park the
 * request) and GET /v1/portrait/events, the event stream. */
#define EVENTS_PATH "/v1/portrait/events"
enum core_code wait_asset(struct api *a, const struct api_request *req, struct api_call *call,
                          struct api_response *resp, struct buf *out, struct core_status *st);
void events_stream(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);

/* console_media.c — the customers' console's pictures (API.md §7):
 * GET /v1/portrait/thumbnails/{AssetId}, GET /v1/portrait/qrcodes/{BytedToken}. */
#define THUMBNAILS_PATH "/v1/portrait/thumbnails/"
#define QRCODES_PATH "/v1/portrait/qrcodes/"
void console_thumbnail(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);
void console_qrcode(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);

/* ops.c */
void ops_healthz(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);
void ops_readyz(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);
void ops_metrics(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);

/* static.c — files built into the binary (api/static.h): GET /console/...
 * (the customers' console, or the operators' on the admin listener) and
 * GET /openapi.yaml. */
void static_console(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);
void static_openapi(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp);

/* test_image.c — GET PNG_TEST_IMAGE_PATH: the built-in PNG `porticod doctor` hands upstream. */
void test_image_handle(struct api *a, const struct api_request *req, struct api_call *call,
                       struct api_response *resp);

/* ops_budget.c — the upstream account's budget as the fleet uses it:
 * appended to /metrics, and to /readyz on the admin listener. 0, or -1
 * when b is full. */
int ops_budget_metrics(struct api *a, struct buf *b);
int ops_budget_readyz(struct api *a, struct buf *b);

#endif
