/* sim_int.h — the simulator's internals, shared by the files of src/sim/ only.
 *
 *   sim_http.c    listener, routing, body limits, signature, envelope, stats
 *   sim_errors.c  the error catalog: code -> HTTP status
 *   sim_assets.c  in-memory groups and assets, the Actions' handlers
 *   sim_table.c   the id-keyed hash table with newest-first order they use
 *   sim_fetch.c   the worker pool that downloads media for the compliance check
 *   sim_check.c   the compliance rules applied to downloaded bytes
 *   sim_limits.c  per-account throttling
 *   sim_config.c  defaults and environment
 *   sim_liveness.c  H5 liveness sessions and their two Actions
 *   sim_h5.c      the H5 face-scan page the end user's browser opens
 *
 * Lock order: sim_assets' mutex may be held while taking sim_fetch's queue
 * mutex (CreateAsset queues its check atomically), never the reverse. */
#ifndef PORTICO_SIM_INT_H
#define PORTICO_SIM_INT_H
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"
#include "util/bucket.h"
#include "util/ids.h"

/* ---- errors (sim_errors.c) ---- */
enum sim_code {
    SIM_OK = 0,
    SIM_MISSING_PARAMETER,     /* MissingParameter.<Field> */
    SIM_INVALID_PARAMETER,     /* InvalidParameter[.<Detail>] */
    SIM_INVALID_ACTION_OR_VERSION,
    SIM_MISSING_AUTH,
    SIM_INVALID_ACCESS_KEY,
    SIM_SIGNATURE_MISMATCH,
    SIM_INVALID_TIMESTAMP,
    SIM_ACCESS_DENIED,
    SIM_NOT_FOUND,             /* NotFound.<what>: NotFound.group_id, NotFound.asset_id */
    SIM_QUOTA_EXCEEDED,
    SIM_FLOW_LIMIT,
    SIM_PAYLOAD_TOO_LARGE,
    SIM_METHOD_NOT_ALLOWED,
    SIM_UNAVAILABLE,
    SIM_INTERNAL,
    /* liveness */
    SIM_VALIDATE_PENDING,
    SIM_VALIDATE_FAILED,
};
const char *sim_code_name(enum sim_code c);
int sim_code_status(enum sim_code c);
long sim_code_number(enum sim_code c); /* the envelope's CodeN */

#define SIM_DETAIL_MAX 48
/* What a handler hands back: a code (with its detail, the part after the
 * dot) and, for errors, one sentence. */
struct sim_reply {
    enum sim_code code;
    char detail[SIM_DETAIL_MAX]; /* "" or e.g. "GroupId" for MissingParameter.GroupId */
    char message[320];
    json_t *result; /* owned; set on SIM_OK */
};
/* Sets code (no detail) and a printf-formatted message; returns code. */
enum sim_code sim_fail(struct sim_reply *r, enum sim_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with a detail: sim_fail_at(r, SIM_NOT_FOUND, "asset_id", ...)
 * answers Code "NotFound.asset_id". */
enum sim_code sim_fail_at(struct sim_reply *r, enum sim_code code, const char *detail, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The Error.Code as sent: "Name" or "Name.Detail". */
void sim_reply_code(const struct sim_reply *r, char *out, size_t cap);

/* ---- the id-keyed table (sim_table.c) ---- */
struct sim_node {
    char id[IDS_MAX];
    struct sim_node *hnext;         /* bucket chain */
    struct sim_node *newer, *older; /* creation order, for lists */
};
struct sim_table {
    struct sim_node **slots;
    size_t nslots; /* power of two */
    struct sim_node *newest, *oldest;
    size_t count;
};
int sim_table_init(struct sim_table *t, size_t nslots);
void sim_table_free(struct sim_table *t); /* frees the slots, not the nodes */
struct sim_node *sim_table_find(const struct sim_table *t, const char *id);
void sim_table_insert(struct sim_table *t, struct sim_node *n); /* becomes newest */
void sim_table_remove(struct sim_table *t, struct sim_node *n);

/* ---- limits (sim_limits.c) ---- */
enum sim_limit_class { SIM_LIMIT_NONE, SIM_LIMIT_CREATE, SIM_LIMIT_LIST_UPDATE, SIM_LIMIT_GET };
/* Per-second token buckets only: "creations in flight" are assets still
 * Processing, counted by sim_assets (sim_assets_set_max_processing). */
struct sim_limits {
    struct bucket create, list_update, get;
};
void sim_limits_init(struct sim_limits *l, const struct sim_config *c);
void sim_limits_destroy(struct sim_limits *l);
/* 0: admitted; -1: throttled, why says which limit. */
int sim_limits_enter(struct sim_limits *l, enum sim_limit_class k, char *why, size_t why_cap);

/* ---- compliance check (sim_check.c, sim_fetch.c) ---- */
enum sim_asset_kind { SIM_KIND_IMAGE, SIM_KIND_VIDEO, SIM_KIND_AUDIO };
/* Bytes of an image the check keeps: enough to find its dimensions behind
 * large EXIF/ICC segments. Video and audio keep less: only the magic. */
#define SIM_CHECK_IMAGE_PREFIX (512 * 1024)
#define SIM_CHECK_OTHER_PREFIX (64 * 1024)
/* A failed asset's Error.Code (UPSTREAM.md, row "GetAsset"). The first two
 * are documented; the others are ours, in the record's style (sim_check.c). */
#define SIM_CODE_DOWNLOAD_FAILED "InvalidParameter.DownloadFailed"
#define SIM_CODE_FORMAT_UNSUPPORTED "InvalidParameter.FormatUnsupported"
#define SIM_CODE_FILE_TOO_LARGE "InvalidParameter.FileSizeExceeded"
#define SIM_CODE_IMAGE_SIZE_INVALID "InvalidParameter.ImageSizeInvalid"
#define SIM_CODE_ASPECT_RATIO_INVALID "InvalidParameter.AspectRatioInvalid"
/* The Error.Message of every download failure: transport details (curl's
 * words, HTTP statuses) go to the log, never to the customer. */
#define SIM_MSG_DOWNLOAD_FAILED "The media could not be downloaded from the URL."
/* Judges fetched bytes: 0 if the asset passes, else -1 with code (one of
 * SIM_CODE_*) and reason (an Error.Message). prefix is the first n bytes;
 * complete says whether it is the whole file; total_bytes is the file's
 * size (from Content-Length or counted; taken as n if smaller). Not judged,
 * as the record is unsure of them: video duration, fps and resolution. */
int sim_check_media(enum sim_asset_kind kind, const uint8_t *prefix, size_t n, int complete, size_t total_bytes,
                    char *code, size_t code_cap, char *reason, size_t reason_cap);
/* The largest file of this kind the record accepts (inclusive). */
size_t sim_check_max_bytes(enum sim_asset_kind kind);

struct sim_fetch;
struct sim_assets;
/* Starts nthreads workers that report outcomes to assets. NULL on failure. */
struct urlpolicy;
/* Every download obeys policy (util/urlguard.h), which must outlive f. */
struct sim_fetch *sim_fetch_start(struct sim_assets *assets, int nthreads, size_t queue_cap,
                                  size_t max_bytes, int timeout_ms, const struct urlpolicy *policy);
/* Queues a check; -1 when the queue is full or stopping. */
int sim_fetch_enqueue(struct sim_fetch *f, const char *asset_id, const char *url, enum sim_asset_kind kind);
/* Stops the workers (an ongoing download is aborted), joins, frees. */
void sim_fetch_stop(struct sim_fetch *f);

/* ---- assets and groups (sim_assets.c) ---- */
#define SIM_MAX_GROUPS 10000
#define SIM_MAX_ASSETS 100000
struct sim_assets *sim_assets_new(int processing_ms);
void sim_assets_free(struct sim_assets *a);
/* Must be set before the first CreateAsset. */
void sim_assets_set_fetch(struct sim_assets *a, struct sim_fetch *f);
/* CreateAsset refuses (FlowLimitExceeded) while the account has this many
 * assets Processing; default 30. */
void sim_assets_set_max_processing(struct sim_assets *a, int max);
/* A worker's verdict; ignored if the asset was deleted meanwhile. A failed
 * asset then carries Error {Code, Message}: code is e.g.
 * "InvalidParameter.DownloadFailed" or "InvalidParameter.FormatUnsupported",
 * reason the message. */
void sim_assets_finish_check(struct sim_assets *a, const char *asset_id, int ok, const char *code,
                             const char *reason);
void sim_assets_counts(struct sim_assets *a, size_t *groups, size_t *assets);
/* Every live object: {"groups":{id:{"Name","GroupType"}}, "assets":{id:group id}} (for /_sim/objects). */
json_t *sim_assets_objects(struct sim_assets *a);
/* The H5 flow's way to a LivenessFace group (CreateAssetGroup refuses that
 * type): creates one in project; 0 with id_out filled, -1 when full or out
 * of memory. */
int sim_assets_create_liveness_group(struct sim_assets *a, const char *project, const char *name,
                                     char id_out[static IDS_MAX]);

typedef enum sim_code (*sim_handler)(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_create_group(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_get_group(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_list_groups(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_update_group(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_delete_group(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_create_asset(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_get_asset(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_list_assets(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_update_asset(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_delete_asset(struct sim_assets *a, json_t *req, struct sim_reply *r);

/* ---- liveness: the H5 face-scan flow (sim_liveness.c, sim_h5.c) ----
 * Lock order: sim_liveness' mutex may be held while calling into
 * sim_assets (a passed scan creates its group), never the reverse. */
struct sim_liveness;
enum sim_scan_state { SIM_SCAN_PENDING, SIM_SCAN_PASSED, SIM_SCAN_FAILED };
/* H5 result codes (the resultCode of the callback); the table is in sim_h5.c. */
#define SIM_RESULT_PASS 10000
#define SIM_RESULT_FACE_MISMATCH 10001
#define SIM_CALLBACK_MAX 2049
#define SIM_PROJECT_MAX 64 /* characters of a ProjectName */
struct sim_scan {
    enum sim_scan_state state;
    int result_code;  /* 0 while pending */
    int64_t expire_wall;
    char project[SIM_PROJECT_MAX * 4 + 1]; /* the session's ProjectName: its group's */
    char callback_url[SIM_CALLBACK_MAX]; /* "" when none */
    char group_id[IDS_MAX];              /* when passed */
};
struct sim_liveness *sim_liveness_new(int ttl_s, struct sim_assets *assets);
void sim_liveness_free(struct sim_liveness *l);
/* Copies the session out; -1 if the token is unknown. */
int sim_liveness_find(struct sim_liveness *l, const char *token, struct sim_scan *out);
/* Completes the scan of an unexpired session: pass creates the
 * LivenessFace group. A completed scan stays as it was (a second submit is
 * answered with the first outcome). 0 with out filled; -1 unknown token;
 * -2 expired; -3 the group could not be created (try again). */
int sim_liveness_complete(struct sim_liveness *l, const char *token, int pass, struct sim_scan *out);
/* Where H5 links point ("http://127.0.0.1:PORT"); set once the listener has its port. */
void sim_liveness_set_link_base(struct sim_liveness *l, const char *base);
/* The Actions reach the sessions through the account (sim_assets). */
void sim_assets_set_liveness(struct sim_assets *a, struct sim_liveness *l);
struct sim_liveness *sim_assets_liveness(struct sim_assets *a);
enum sim_code sim_create_validate_session(struct sim_assets *a, json_t *req, struct sim_reply *r);
enum sim_code sim_get_validate_result(struct sim_assets *a, json_t *req, struct sim_reply *r);

/* ---- the whole simulator ---- */
#define SIM_MAX_ACTIONS 16
struct sim_stats {
    pthread_mutex_t mu;
    uint64_t requests[SIM_MAX_ACTIONS];
    uint64_t throttled[SIM_MAX_ACTIONS];
    uint64_t throttled_total;
    uint64_t signature_failures;
};

struct sim {
    struct sim_config cfg;  /* strings below point into owned copies */
    char *listen_host, *access_key, *secret_key, *region;
    char *test_token; /* NULL: the /_sim/ test endpoints do not exist */
    struct MHD_Daemon *mhd;
    int port;
    struct sim_limits limits;
    struct sim_stats stats;
    struct sim_assets *assets;
    struct sim_fetch *fetch;
    struct urlpolicy *url_policy; /* what media may be fetched from (cfg.url_allow) */
    /* liveness */
    struct sim_liveness *liveness;
    /* video tasks (sim_video.h) */
    char *ark_api_key; /* owned copy; cfg.ark_api_key points here */
    struct sim_videos *videos;
    /* faults injected on purpose (sim_faults.h) */
    struct sim_faults *faults;
};

/* sim_http.c — the Action endpoint past its signature check: Version,
 * Action, throttling, the JSON body and the handler; fills r (r->result is
 * the caller's to decref). sim_envelope wraps r in ResponseMetadata/Result. */
void sim_run_action(struct sim *s, const char *action, const char *version, const char *body, size_t body_len,
                    int *action_index, struct sim_reply *r);
/* A RequestId (and the shape of a BytedToken): 14-digit UTC time + 20
 * upper-case hex digits. */
#define SIM_REQUEST_ID_LEN 34
void sim_request_id(char out[static SIM_REQUEST_ID_LEN + 1]);
json_t *sim_envelope(struct sim *s, const char *request_id, const char *action, const char *version,
                     struct sim_reply *r);

#endif
