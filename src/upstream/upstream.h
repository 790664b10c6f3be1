/* upstream.h — port 3: the Volcengine ark asset library, as a vtable.
 *
 * One backend today: volc.c, libcurl + V4 signing, which talks to the real
 * https://open.volcengineapi.com or to the simulator (same wire protocol).
 * Calls are blocking and thread-safe. Each returns an enum up_result; on
 * anything but UP_OK, err (if not NULL) says what the upstream answered.
 *
 * Retries: reads, updates and deletes are retried with backoff on network
 * errors, 5xx and throttling; creates only when the upstream cannot have
 * acted (connection refused, throttled before acting). The caller's budgets
 * (token buckets) are above this port, in core/. */
#ifndef PORTICO_UPSTREAM_H
#define PORTICO_UPSTREAM_H
#ifdef PORTICO_NO_PORTS /* set for src/api and src/http by the Makefile */
#error "api/ and http/ reach the ports only through core/ (core/core.h); see DESIGN.md"
#endif
#include <stddef.h>
#include <stdint.h>

#include "util/ids.h"

enum up_result {
    UP_OK = 0,
    UP_NOT_FOUND,   /* the upstream does not know the id */
    UP_REJECTED,    /* 4xx: the upstream refused the request as invalid */
    UP_THROTTLED,   /* still throttled after retries */
    UP_UNAVAILABLE, /* network error, timeout or 5xx after retries */
};

struct up_error {
    int http_status;   /* 0 when no response arrived */
    char code[64];     /* the upstream's Error.Code, or a curl error name */
    char message[256];
    /* reconciliation: 1 when a failed create may nonetheless have taken
     * effect upstream (the request was sent and no answer said otherwise:
     * timeout, dropped connection, 5xx, unreadable 200). The caller must
     * find out (find_group/find_asset) before creating again. */
    int maybe_acted;
};

/* UPSTREAM.md "GetAsset": Status is Processing, Active or Failed, and one
 * reseller also lists Inactive; any other value is kept verbatim (never
 * usable in video) rather than treated as an invalid reply. */
#define UP_STATUS_MAX 32
struct up_asset {
    char id[IDS_MAX];
    char group_id[IDS_MAX];
    char status[UP_STATUS_MAX]; /* "Processing", "Active", "Failed" or verbatim */
    /* when Failed: UPSTREAM.md "GetAsset": Error {Code, Message}, e.g.
     * InvalidParameter.DownloadFailed; "" when the reply had none. */
    char error_code[64];
    char error_message[256];
    char failure_reason[256]; /* a legacy FailureReason string, if the reply had one */
};

/* liveness: what CreateVisualValidateSession answers. */
#define UP_TOKEN_MAX 129
#define UP_LINK_MAX 2049
/* UPSTREAM.md "H5Link": BytePlus links carry STS credentials in the query
 * (accessKeyId, secretAccessKey, sessionToken): long, kept whole, never logged. */
#define UP_H5_LINK_MAX 8193
struct up_validate_session {
    char token[UP_TOKEN_MAX];        /* BytedToken */
    char h5_link[UP_H5_LINK_MAX];    /* H5Link, for the end user's browser */
    char callback_url[UP_LINK_MAX];  /* "" when none was given */
    /* ExpireTime, wall clock. UPSTREAM.md "CreateVisualValidateSession":
     * the real reply has no expiry field, so the client derives it locally
     * (creation + upstream_config.validate_ttl_s) unless one is present. */
    int64_t expire_ms;
};

/* liveness: how a scan stands, from GetVisualValidateResult. */
enum up_validate_state {
    UP_VALIDATE_PASSED,  /* the upstream created the LivenessFace group */
    UP_VALIDATE_PENDING, /* ValidatePending: not scanned yet */
    UP_VALIDATE_FAILED,  /* ValidateFailed: the scan was completed and did not pass */
    UP_VALIDATE_EXPIRED, /* TokenExpired: the token's life ended without a scan */
    UP_VALIDATE_UNKNOWN, /* InvalidToken: the upstream does not know the token */
};

struct up_validate_result {
    enum up_validate_state state;
    char group_id[IDS_MAX]; /* when PASSED */
    char message[256];      /* the upstream's words otherwise */
};

/* video tasks: one content item of a generation request. */
struct up_video_item {
    const char *type; /* "image_url", "video_url" or "audio_url" */
    const char *url;  /* http(s)://... or asset://<asset id>, passed as is */
    const char *role; /* "first_frame", "reference_image", ...; NULL: none */
};

/* video tasks: a generation request, already validated by core. */
struct up_video_request {
    const char *model;      /* the upstream model id, e.g. "doubao-seedance-2-0-260128" */
    const char *prompt;
    const char *ratio;      /* NULL: the upstream's default */
    int duration;           /* seconds, or -1 (follow the input); 0: the upstream's default */
    const char *resolution; /* NULL: the upstream's default */
    const struct up_video_item *items;
    size_t n_items;
};

/* video tasks: how a task stands. UPSTREAM.md "Video tasks", Status row:
 * queued, running, succeeded, failed, expired, cancelled; any other value
 * is kept verbatim (core decides what it means) rather than treated as an
 * invalid reply. */
#define UP_VIDEO_URL_MAX 2049
struct up_video_task {
    char id[IDS_MAX];
    char status[UP_STATUS_MAX];      /* the upstream's word, verbatim */
    char video_url[UP_VIDEO_URL_MAX]; /* when succeeded */
    int64_t completion_tokens, total_tokens;
    int64_t created_at, updated_at;  /* unix seconds, 0 if absent */
    int64_t duration;                /* seconds of video, 0 if absent */
    char error_code[64];             /* when failed */
    char error_message[256];
};

/* liveness: one page of the account's groups of a type (list_groups). */
#define UP_LIST_PAGE_MAX 100
struct up_group_item {
    char id[IDS_MAX];
    int64_t create_ms; /* CreateTime, wall clock; -1 when absent or unreadable */
};
struct up_group_page {
    struct up_group_item items[UP_LIST_PAGE_MAX];
    size_t n;
    int64_t total; /* TotalCount: groups of the type in the account */
};

struct upstream;

struct upstream_ops {
    enum up_result (*create_group)(struct upstream *u, const char *name, const char *description,
                                   const char *group_type, char id_out[static IDS_MAX], struct up_error *err);
    /* name or description may be NULL: unchanged. */
    enum up_result (*update_group)(struct upstream *u, const char *id, const char *name,
                                   const char *description, struct up_error *err);
    enum up_result (*delete_group)(struct upstream *u, const char *id, struct up_error *err);
    /* name may be NULL. */
    enum up_result (*create_asset)(struct upstream *u, const char *group_id, const char *url,
                                   const char *asset_type, const char *name,
                                   char id_out[static IDS_MAX], struct up_error *err);
    enum up_result (*get_asset)(struct upstream *u, const char *id, struct up_asset *out, struct up_error *err);
    enum up_result (*update_asset)(struct upstream *u, const char *id, const char *name, struct up_error *err);
    enum up_result (*delete_asset)(struct upstream *u, const char *id, struct up_error *err);
    /* A cheap authenticated call (ListAssetGroups, PageSize 1) for /readyz. */
    enum up_result (*ping)(struct upstream *u, struct up_error *err);
    void (*destroy)(struct upstream *u);

    /* liveness: the H5 face-scan flow (API.md §2 LivenessFace).
     * CreateVisualValidateSession; callback_url may be NULL. A create:
     * retried only when the upstream cannot have acted. */
    enum up_result (*create_validate_session)(struct upstream *u, const char *callback_url,
                                              struct up_validate_session *out, struct up_error *err);
    /* GetVisualValidateResult. UP_OK whenever the upstream answered about the
     * token (out->state says how the scan stands); other results are
     * transport or protocol failures. */
    enum up_result (*get_validate_result)(struct upstream *u, const char *token, struct up_validate_result *out,
                                          struct up_error *err);

    /* video tasks: ModelArk content generation (src/upstream/ark_video.c).
     * create: POST /api/v3/contents/generations/tasks, retried only when the
     * upstream cannot have acted; id_out gets its task id ("cgt-..."). */
    enum up_result (*create_video_task)(struct upstream *u, const struct up_video_request *req,
                                        char id_out[static IDS_MAX], struct up_error *err);
    /* get: GET .../tasks/{id}; UP_NOT_FOUND when the upstream does not know it. */
    enum up_result (*get_video_task)(struct upstream *u, const char *id, struct up_video_task *out,
                                     struct up_error *err);
    /* The finished video at url (a task's video_url, signed by the
     * upstream), downloaded into an unlinked temporary file: *fd is open at
     * offset 0 and the caller's to close, *size its length. At most
     * max_bytes (UP_REJECTED past it); one attempt. Portico serves it under
     * its own signed URL, so the upstream's URL and task id stay internal. */
    enum up_result (*open_video_result)(struct upstream *u, const char *url, uint64_t max_bytes, int *fd,
                                        uint64_t *size, struct up_error *err);

    /* reconciliation (src/upstream/volc_find.c): the ark API has no
     * idempotency token, so a create whose answer was lost is found again
     * by its name. Portico tags every upstream create: the Name it sends
     * ends in UP_TAG_SEP followed by a tag unique to the reservation (see
     * core/reconcile.c). These list the upstream (ListAssetGroups with
     * Filter.Name = tag and GroupType; ListAssets with Filter.GroupIds =
     * [group_id] and Filter.Name = tag; a read, retried like one) and
     * answer UP_OK with the id of the object whose Name ends in exactly
     * UP_TAG_SEP tag, or UP_NOT_FOUND when the upstream has none. */
    enum up_result (*find_group)(struct upstream *u, const char *group_type, const char *tag,
                                 char id_out[static IDS_MAX], struct up_error *err);
    enum up_result (*find_asset)(struct upstream *u, const char *group_id, const char *tag,
                                 char id_out[static IDS_MAX], struct up_error *err);
    /* liveness (volc_find.c): ListAssetGroups with Filter {GroupType},
     * oldest first, page_number from 1, page_size up to UP_LIST_PAGE_MAX; a
     * read, retried like one. Finds the LivenessFace groups no record owns. */
    enum up_result (*list_groups)(struct upstream *u, const char *group_type, int page_number, int page_size,
                                  struct up_group_page *out, struct up_error *err);

    /* doctor (src/upstream/volc.c): one Action with json_body sent as
     * is, signed exactly like every other call, one attempt, no retries and
     * no interpretation, so `porticod doctor` sees what the upstream sent.
     * UP_OK whenever an HTTP answer arrived, whatever its status:
     * *http_status is that status and *reply the body as received (malloc'd,
     * NUL-terminated, at most 1 MiB; the caller frees it). Otherwise
     * *http_status is 0, *reply NULL and err says what failed. */
    enum up_result (*raw_action)(struct upstream *u, const char *action, const char *json_body,
                                 long *http_status, char **reply, struct up_error *err);
};

/* reconciliation: what separates a customer's name from the tag in the
 * Name Portico sends upstream ("<name, shortened> #<tag>"). */
#define UP_TAG_SEP " #"
#define UP_TAG_MAX 32
/* UPSTREAM.md "CreateAssetGroup": the upstream's Name holds 64 characters:
 * a customer's 50, UP_TAG_SEP and a 12-character tag fit whole. */
#define UP_NAME_CHARS 64
#define UP_NAME_MAX (UP_NAME_CHARS * 4 + 1)

struct upstream {
    const struct upstream_ops *ops;
    void *impl;
};

struct upstream_config {
    const char *endpoint;   /* "https://open.volcengineapi.com" or "http://127.0.0.1:PORT" */
    const char *access_key;
    const char *secret_key;
    const char *region;     /* "cn-beijing" */
    const char *service;    /* "ark" */
    const char *version;    /* "2024-01-01" */
    long timeout_ms;        /* per attempt, whole request; default 10000 */
    long connect_timeout_ms;/* default 3000 */
    int max_attempts;       /* for retriable calls; default 3 */
    /* video tasks: ModelArk, Bearer-authenticated. */
    const char *ark_endpoint; /* "https://ark.cn-beijing.volces.com" or the simulator; NULL: that default */
    const char *ark_api_key;  /* PORTICO_ARK_API_KEY */
    /* UPSTREAM.md "ProjectName": accepted by every Action, assets usable
     * only by video keys of the same project. Sent on every Action; NULL:
     * "default". */
    const char *project_name;
    /* UPSTREAM.md "H5Link valid ~120 s": the lifetime assumed for a
     * liveness session whose reply carries no expiry; 0: 120. */
    int validate_ttl_s;
};

/* NULL on allocation failure. Copies every string it needs. */
struct upstream *upstream_volc_new(const struct upstream_config *cfg);
const char *up_result_str(enum up_result r);

#endif
