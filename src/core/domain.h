/* domain.h — Portico's domain types: customers, groups, assets, liveness
 * sessions, video tasks, upload sessions, and the sizes of their fields.
 *
 * core/ owns them: the rules are written in these words, and the store port
 * (store/store.h) includes this header to record them, not the other way
 * round. The STORE_ prefix of the size constants is historical (they are the
 * sizes of the recorded fields). The invariant: nothing here depends on a
 * port; this header includes only util/ids.h. */
#ifndef PORTICO_CORE_DOMAIN_H
#define PORTICO_CORE_DOMAIN_H
#include <stddef.h>
#include <stdint.h>

#include "util/ids.h"

/* Text sizes in bytes including NUL: names are up to 50 and descriptions up
 * to 300 Unicode characters of UTF-8 (4 bytes each at most). */
#define STORE_NAME_MAX (50 * 4 + 1)
#define STORE_DESC_MAX (300 * 4 + 1)
#define STORE_URL_MAX 2049
#define STORE_LINK_MAX 8193 /* H5 links (UP_H5_LINK_MAX) */
#define STORE_REASON_MAX 256
#define STORE_CUSTOMER_MAX 65
/* reconciliation: the random tag a create's upstream Name ends in
 * (core/reconcile.c): 12 characters today, room for 16. */
#define STORE_TAG_MAX 17

/* API keys (core/keys.h): a customer's key is "ptc_" + 8 characters of
 * prefix + 32 secret characters; an operator's admin key (API.md §7) is
 * "ptca_" + 8 + 32, so neither can pass for the other. Only the SHA-256 of a
 * key and its prefix (the first KEYS_PREFIX_LEN / ADMIN_KEYS_PREFIX_LEN
 * characters) are stored. */
#define KEYS_LEN 44 /* "ptc_" + 8 + 32 */
#define KEYS_PREFIX_LEN 12
#define ADMIN_KEYS_LEN 45 /* "ptca_" + 8 + 32 */
#define ADMIN_KEYS_PREFIX_LEN 13
#define CORE_KEY_RATE_MAX 1000000 /* a customer's KeyRate, as --key-rate */

struct customer {
    int64_t id;
    char name[STORE_CUSTOMER_MAX];
    int aigc_enabled;
    int key_rate;       /* requests/s for each of its keys (burst: twice that); 0: the gateway's --key-rate */
    int disabled;       /* 1: its keys are refused (Unauthorized) */
    int64_t create_ms;  /* 0 for customers made before it was recorded and never keyed */
    int active_keys;    /* lists only: its keys not revoked */
};

struct customer_list {
    struct customer *items; /* malloc'd; free(list.items) */
    size_t n;
    int64_t total; /* rows matching the filter, all pages */
};

/* CreateCustomer / UpdateCustomer: the fields given (name NULL, the
 * others -1: not given; create takes defaults for those). */
struct customer_fields {
    const char *name;
    int aigc_enabled;
    int key_rate;
    int disabled;
};

struct key_info {
    char prefix[32];
    char customer[STORE_CUSTOMER_MAX];
    int64_t created_ms;
    int64_t revoked_ms; /* 0 when active */
    int64_t customer_id;
};

struct key_list {
    struct key_info *items; /* malloc'd; free(list.items) */
    size_t n;
    int64_t total;
};

/* An operator's admin key (API.md §7). */
struct admin_key_info {
    char prefix[32];
    int64_t created_ms;
    int64_t revoked_ms; /* 0 when active */
};

struct admin_key_list {
    struct admin_key_info *items; /* malloc'd; free(list.items) */
    size_t n;
};

/* Who made an authenticated request (audit): a customer's key, or an
 * operator's admin key, and from which address. */
struct actor {
    int64_t customer_id; /* 0: an operator */
    char key_prefix[32];
    char addr[64];
};
/* The actor's key_prefix when `porticod keys ...` or `porticod admin ...`
 * changed a key, or `porticod keys create` a customer. */
#define ACTOR_CLI "cli"

struct group {
    char id[IDS_MAX];
    int64_t customer_id;
    char type[16]; /* "AIGC" or "LivenessFace" */
    char name[STORE_NAME_MAX];
    char description[STORE_DESC_MAX];
    int asset_count;   /* live assets (not pending, not deleted) */
    int64_t create_ms; /* wall clock */
    int64_t update_ms;
    char tag[STORE_TAG_MAX]; /* the upstream Name's tag; "" when it has none (never shown to customers) */
};

struct asset {
    char id[IDS_MAX];
    char group_id[IDS_MAX];
    int64_t customer_id;
    char type[8]; /* "Image", "Video", "Audio" */
    char name[STORE_NAME_MAX];
    char url[STORE_URL_MAX];
    char blob_key[128]; /* "" unless the bytes are in Portico's blob store */
    /* "Processing", "Active", "Failed", or another word the upstream
     * reported, kept verbatim (polled slowly, never usable in video) */
    char status[32];
    char failure_reason[STORE_REASON_MAX]; /* Portico's advice, when Failed */
    char error_code[64];                   /* the upstream's Error.Code, when Failed */
    char error_message[STORE_REASON_MAX];  /* the upstream's Error.Message, when Failed */
    int64_t create_ms;
    int64_t update_ms;
    int64_t next_poll_ms; /* refresher: wall-clock time of the next upstream poll */
    int polls;            /* refresher: upstream polls so far */
    char tag[STORE_TAG_MAX]; /* the upstream Name's tag; "" when it has none (never shown to customers) */
};

struct group_filter {
    const char *type;     /* NULL: any */
    const char *name_sub; /* NULL: any; else substring of Name */
};

struct asset_filter {
    const char *const *group_ids; /* n_group_ids == 0: any */
    size_t n_group_ids;
    const char *const *statuses;  /* n_statuses == 0: any */
    size_t n_statuses;
    const char *type;     /* NULL: any */
    const char *name_sub; /* NULL: any */
};

/* Lists are malloc'd arrays; free with free(list.items). */
struct group_list {
    struct group *items;
    size_t n;
    int64_t total; /* rows matching the filter, all pages */
};

struct asset_list {
    struct asset *items;
    size_t n;
    int64_t total;
};

struct asset_counts {
    int64_t processing, active, failed;
};

/* The upstream account's budget as the fleet uses it (core/budget.c,
 * store/fleet.c): what /readyz and /metrics on the admin listener show.
 * Times are the database's clock. */
#define FLEET_BUCKETS 3 /* create, mutate (lists, updates, deletes), get */
#define FLEET_NODES_MAX 64
#define FLEET_NODE_MAX 64 /* a node's name, with its NUL */
struct fleet_bucket {
    char name[16];
    double tokens, rate, burst; /* tokens in the account's bucket now; its settings */
};
struct fleet_node {
    char node[FLEET_NODE_MAX];
    int64_t started_ms, seen_ms;   /* joined; last heartbeat */
    int64_t leases[FLEET_BUCKETS]; /* token leases taken, by bucket (fleet_status.buckets' order) */
    int64_t granted[FLEET_BUCKETS]; /* tokens they granted */
    int64_t customers[FLEET_BUCKETS]; /* customers still waiting on the node after its last lease (its share) */
    int64_t inflight;              /* creations in flight its requests hold (their reservations) */
    int64_t waiting;               /* its reservations waiting for one */
};
struct fleet_status {
    int64_t now_ms;
    int shared; /* 1: the buckets are the fleet's (PostgreSQL); 0: this process's */
    struct fleet_bucket buckets[FLEET_BUCKETS];
    int64_t inflight, waiting, max_inflight; /* the account's creations in flight (assets still Processing) */
    struct fleet_node nodes[FLEET_NODES_MAX];
    size_t n_nodes;
};

/* liveness sessions: one H5 face scan a customer started. A pending
 * session holds one place of the customer's group quota (a LivenessFace
 * group reservation, group_handle) until its scan's group is recorded
 * there or the session is closed. */
#define STORE_TOKEN_MAX 129
enum store_session_state {
    STORE_SESSION_PENDING = 0,  /* the scan's outcome is not known yet */
    STORE_SESSION_RECORDED = 1, /* group_id is the scan's group, recorded */
    STORE_SESSION_EXPIRED = 2,  /* closed: expired (or given up) without a recorded group */
    STORE_SESSION_FAILED = 3,   /* closed: the scan did not pass */
};
/* result_code of a passed scan: the H5 page's resultCode for success. */
#define STORE_RESULT_PASSED "10000"
struct validate_session {
    char token[STORE_TOKEN_MAX]; /* the upstream's BytedToken */
    int64_t customer_id;
    char callback_url[STORE_URL_MAX]; /* "" when none */
    char h5_link[STORE_LINK_MAX]; /* BytePlus links carry STS credentials: long */
    int64_t expire_ms;      /* wall clock: the token's end of life */
    char group_id[IDS_MAX]; /* "" until the scan's group is recorded */
    int64_t create_ms;
    int64_t update_ms;
    enum store_session_state state;
    int64_t group_handle; /* the group slot a pending session holds (reserve_group); 0: none */
    int64_t next_poll_ms; /* the background poller's next look upstream */
    int polls;
    /* audit: which key started it, from which address (create_session
     * records them), and how the scan ended ("10000" passed, else the
     * upstream's code; "" while pending) */
    char actor[32];
    char actor_addr[64];
    char result_code[32];
};

struct validate_session_list {
    struct validate_session *items; /* malloc'd; free(list.items) */
    size_t n;
};

/* video tasks: one Seedance generation a customer started. */
#define STORE_MODEL_MAX 32
#define STORE_ERROR_CODE_MAX 64
struct video_task {
    char id[IDS_MAX];            /* Portico's task id */
    int64_t customer_id;
    char upstream_id[IDS_MAX];   /* the upstream's ("cgt-...") */
    char model[STORE_MODEL_MAX]; /* Portico's model name, e.g. "seedance-2.0" */
    char status[24];             /* "waiting_for_assets", "queued", "running", "succeeded", "failed" */
    char video_url[STORE_URL_MAX];         /* when succeeded */
    char error_code[STORE_ERROR_CODE_MAX]; /* when failed */
    char error_message[STORE_REASON_MAX];
    int64_t completion_tokens, total_tokens; /* the upstream's usage, 0 until known */
    int64_t create_ms, update_ms; /* wall clock; update_ms moves when status or result change */
    int64_t next_poll_ms;         /* refresher: wall-clock time of the next upstream poll */
    int polls;
    int64_t deadline_ms; /* waiting_for_assets: when it fails with asset_timeout (wall clock); else 0 */
    int64_t seconds;     /* the video's length: the upstream's duration once known, else the requested; 0: unknown */
};

struct video_task_list {
    struct video_task *items; /* malloc'd; free(list.items) */
    size_t n;
};

/* ClientTokens (idempotency): the recorded token, request hash and answer. */
#define STORE_IDEM_TOKEN_MAX 65  /* 64 bytes and the NUL */
#define STORE_IDEM_HASH_MAX 65   /* hex SHA-256 */
#define STORE_IDEM_RESULT_MAX 256

/* upload sessions (API.md §4b): a client sends large media straight to
 * the blob store; the session holds one slot of its group's asset quota
 * while it is OPEN, UPLOADING or UPLOADED (reserve_asset counts those too). */
enum store_upload_state {
    STORE_UPLOAD_OPEN = 0,       /* created; no bytes known yet (S3 bytes may be there) */
    STORE_UPLOAD_UPLOADING = 1,  /* fs: a PUT is streaming in */
    STORE_UPLOAD_UPLOADED = 2,   /* fs: the PUT's bytes are committed (put_sha256 set) */
    STORE_UPLOAD_COMPLETING = 3, /* CompleteUpload holds it: the slot moved to a pending asset row */
    STORE_UPLOAD_COMPLETED = 4,  /* the asset exists (asset_id) */
    STORE_UPLOAD_ENDING = 5,     /* aborted, expired or refused: its bytes are being removed (leased) */
    STORE_UPLOAD_ENDED = 6,      /* its bytes are gone */
};
#define STORE_UPLOAD_MASK(st) (1 << (st))
#define STORE_UPLOAD_HOLDING                                                                                   \
    (STORE_UPLOAD_MASK(STORE_UPLOAD_OPEN) | STORE_UPLOAD_MASK(STORE_UPLOAD_UPLOADING) |                         \
     STORE_UPLOAD_MASK(STORE_UPLOAD_UPLOADED))
#define STORE_CONTENT_TYPE_MAX 64
#define STORE_SHA256_MAX 65

struct upload_session {
    char id[IDS_MAX]; /* UploadId */
    int64_t customer_id;
    char group_id[IDS_MAX];
    char asset_type[8]; /* "Image", "Video", "Audio" */
    char name[STORE_NAME_MAX];
    char content_type[STORE_CONTENT_TYPE_MAX];
    uint64_t content_length;
    char sha256[STORE_SHA256_MAX];     /* the client's, lower-case hex; "" when not given */
    char put_sha256[STORE_SHA256_MAX]; /* fs: the bytes' own, hashed while streaming in */
    char blob_key[128];
    int state; /* enum store_upload_state */
    int64_t expire_ms;
    int64_t lease_ms;     /* ENDING: when another node may take over removing its bytes */
    char asset_id[IDS_MAX]; /* COMPLETED */
    int64_t create_ms, update_ms;
};

struct upload_session_list {
    struct upload_session *items; /* malloc'd; free(list.items) */
    size_t n;
};

/* events (API.md §4a): what happened to a customer's records, in the order
 * the store recorded them. The store writes an event in the same
 * transaction as the change it reports, so none is lost and none invented;
 * data is the whole event object as customers receive it (webhook body,
 * SSE data), rendered once by core/events.c. */
enum event_kind {
    EVENT_ASSET_ACTIVE,
    EVENT_ASSET_FAILED,
    EVENT_LIVENESS_PASSED,
    EVENT_LIVENESS_FAILED,
    EVENT_VIDEO_SUCCEEDED,
    EVENT_VIDEO_FAILED,
    EVENT_KINDS
};
#define EVENT_BIT(kind) (1 << (kind))
#define EVENT_ALL ((1 << EVENT_KINDS) - 1)
#define EVENT_TYPE_MAX 24
#define EVENT_DATA_MAX 8192

struct event {
    int64_t seq; /* the store's order (set when read back; 0 when appending) */
    char id[IDS_MAX]; /* "evt-..." */
    int64_t customer_id;
    int kind; /* enum event_kind */
    char type[EVENT_TYPE_MAX]; /* "AssetActive", ... */
    char subject[STORE_TOKEN_MAX]; /* the asset, task or BytedToken it is about */
    int64_t create_ms;
    char data[EVENT_DATA_MAX]; /* {"Id","Type","CreateTime","Data"}, compact JSON */
};

struct event_list {
    struct event *items; /* malloc'd; free(list.items) */
    size_t n;
};

/* A customer's webhook (UpdateNotificationConfig). */
#define NOTIFY_SECRET_MAX 65 /* 64 characters and the NUL */
struct notify_config {
    int64_t customer_id;
    char url[STORE_URL_MAX];
    int events; /* EVENT_BIT mask */
    char secret[NOTIFY_SECRET_MAX];
    int64_t create_ms, update_ms;
};

/* One event's delivery to the customer's webhook: the outbox row. */
enum notify_status { NOTIFY_PENDING = 0, NOTIFY_DELIVERED = 1, NOTIFY_FAILED = 2 };
#define NOTIFY_STATUS_BIT(st) (1 << (st))
struct notification {
    char event_id[IDS_MAX];
    int64_t customer_id;
    char type[EVENT_TYPE_MAX];
    int status; /* enum notify_status */
    int attempts;
    int last_status_code; /* the receiver's HTTP status; 0: none yet (or no answer) */
    int64_t next_attempt_ms;
    int64_t create_ms; /* the event's */
};

struct notification_list {
    struct notification *items; /* malloc'd; free(list.items) */
    size_t n;
    int64_t total; /* list_notifications: all that match, for paging */
};

/* A leased delivery: the outbox row, the event's body and where it goes
 * (the customer's config as it is now). */
struct notification_job {
    struct notification n;
    char url[STORE_URL_MAX];
    char secret[NOTIFY_SECRET_MAX];
    char body[EVENT_DATA_MAX];
};

struct notification_job_list {
    struct notification_job *items; /* malloc'd; free(list.items) */
    size_t n;
};

/* Usage metering (API.md §7 GetUsage; store/usage.c). A counter is how
 * much a metric moved for a customer on a UTC day (days since 1970-01-01),
 * moved in the transaction of the change it counts. Metrics named "live."
 * are stocks (live groups, live assets by status, bytes stored) kept as
 * their moves: a day's value is the sum of every move up to its end. The
 * names are USAGE_* below; customer 0 is the gateway's own upstream calls
 * (readiness pings, orphan sweeps). */
#define USAGE_DAY_MS 86400000LL
#define USAGE_METRIC_MAX 64
#define USAGE_GROUPS_CREATED "groups.created"
#define USAGE_GROUPS_DELETED "groups.deleted"
#define USAGE_LIVE_GROUPS "live.groups"
#define USAGE_ASSETS_CREATED "assets.created"
#define USAGE_ASSETS_DELETED "assets.deleted"
#define USAGE_LIVE_ASSETS "live.assets." /* + the UpstreamStatus */
#define USAGE_LIVE_BYTES "live.bytes"    /* bytes of media Portico stores for live assets */
#define USAGE_BYTES_UPLOADED "bytes.uploaded"
#define USAGE_UPSTREAM "upstream."       /* + the upstream Action */
#define USAGE_VIDEOS_CREATED "videos.created"
#define USAGE_VIDEOS_SUCCEEDED "videos.succeeded"
#define USAGE_VIDEOS_FAILED "videos.failed"
#define USAGE_VIDEO_SECONDS "videos.seconds" /* of the videos that succeeded */
#define USAGE_LIVENESS_STARTED "liveness.started"
#define USAGE_LIVENESS_PASSED "liveness.passed"
#define USAGE_LIVENESS_FAILED "liveness.failed"
#define USAGE_LIVENESS_EXPIRED "liveness.expired"
#define USAGE_LIVE_PREFIX "live."

struct usage_count {
    int64_t customer_id;
    int64_t day; /* UTC days since 1970-01-01 */
    char metric[USAGE_METRIC_MAX];
    int64_t n;
};

struct usage_count_list {
    struct usage_count *items; /* malloc'd; free(list.items) */
    size_t n;
};

struct usage_customer {
    int64_t id;
    char name[STORE_CUSTOMER_MAX];
};

/* What GetUsage reads: the moves of days from..to, and every "live."
 * stock as it stood at the end of day to (day field: to). */
struct usage_report {
    struct usage_count_list days;
    struct usage_count_list ends;
    struct usage_customer *customers; /* the names of the customers in days and ends */
    size_t n_customers;
};

/* A recount that disagrees with the counters: day -1 for a stock or a
 * total (every day summed). */
struct usage_mismatch {
    int64_t customer_id;
    int64_t day;
    char metric[USAGE_METRIC_MAX];
    int64_t counted, recounted;
};

struct usage_mismatch_list {
    struct usage_mismatch *items; /* malloc'd; free(list.items) */
    size_t n;
};

/* The audit log (API.md §7 ListAuditEvents; store/audit.c): append-only,
 * each entry written in the transaction of the change it records. */
#define AUDIT_KEY_CREATED "ApiKeyCreated"
#define AUDIT_KEY_REVOKED "ApiKeyRevoked"
#define AUDIT_ADMIN_KEY_CREATED "AdminKeyCreated"
#define AUDIT_ADMIN_KEY_REVOKED "AdminKeyRevoked"
#define AUDIT_LIVENESS_STARTED "LivenessSessionStarted"
#define AUDIT_LIVENESS_PASSED "LivenessSessionPassed"
#define AUDIT_LIVENESS_FAILED "LivenessSessionFailed"
#define AUDIT_LIVENESS_EXPIRED "LivenessSessionExpired"
#define AUDIT_LIVENESS_ASSET "LivenessAssetRegistered"
#define AUDIT_GROUP_DELETED "AssetGroupDeleted"
#define AUDIT_ASSET_DELETED "AssetDeleted"
/* A customer's record (CreateCustomer, UpdateCustomer, `porticod keys
 * create`): Disabled flipped is its own entry, the other fields' changes
 * one CustomerUpdated; a change that changes nothing leaves none. */
#define AUDIT_CUSTOMER_CREATED "CustomerCreated"
#define AUDIT_CUSTOMER_UPDATED "CustomerUpdated"
#define AUDIT_CUSTOMER_DISABLED "CustomerDisabled"
#define AUDIT_CUSTOMER_ENABLED "CustomerEnabled"
#define AUDIT_TYPE_MAX 32
#define AUDIT_DETAIL_MAX 1024

struct audit_event {
    int64_t seq;                   /* the log's order: newest is highest */
    int64_t customer_id;           /* whose record changed; 0: none (an operator's key) */
    char customer[STORE_CUSTOMER_MAX]; /* its name, when read back */
    char type[AUDIT_TYPE_MAX];     /* AUDIT_* */
    char subject[STORE_TOKEN_MAX]; /* the key prefix, BytedToken, group or asset id, customer's name */
    char group_id[IDS_MAX];        /* the group concerned; "" for none */
    char actor[32];                /* the key prefix that did it, ACTOR_CLI, or "" (Portico itself) */
    char actor_addr[64];           /* its address; "" when none */
    int64_t create_ms;
    char detail[AUDIT_DETAIL_MAX]; /* a JSON object: what else the entry says (per type) */
};

struct audit_filter {
    int64_t customer_id;  /* -1: every customer's */
    const char *type;     /* NULL: any */
    const char *group_id; /* NULL: any */
    int64_t from_ms, to_ms; /* create_ms in [from_ms, to_ms); 0: unbounded */
    int64_t before_seq;   /* 0: from the newest; else entries older than this seq */
    int limit;            /* 1..1000 */
};

struct audit_list {
    struct audit_event *items; /* malloc'd; free(list.items); newest first */
    size_t n;
    int64_t next_seq; /* the before_seq of the next page; 0: this was the last */
};

#endif
