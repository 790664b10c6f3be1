/* core.h — the rules of Portico: who may see what, quotas, names, the asset
 * life cycle and the shared upstream account's budgets. No I/O of its own:
 * it calls the store, blob and upstream ports. Every function is
 * thread-safe.
 *
 * The invariant: this header exports the domain (core/domain.h), the
 * outcomes (core/result.h) and core's own functions, never a port header.
 * api/ and http/ see the ports only as the opaque handles named below, and
 * reach stored bytes through core (core_open_media, core_upload_stage_*,
 * core_media_put_*), where the rules are; the build seals it (a port header
 * included under PORTICO_NO_PORTS is an #error). */
#ifndef PORTICO_CORE_H
#define PORTICO_CORE_H
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/result.h"

/* The ports, opaque here: set up by porticod.c, used inside core/. */
struct store;
struct upstream;
struct blob;

/* The contract's limits (API.md). */
#define CORE_MAX_GROUPS 50
#define CORE_MAX_ASSETS 50
#define CORE_NAME_CHARS 50
#define CORE_DESC_CHARS 300
#define CORE_URL_BYTES 2048
#define CORE_PAGE_SIZE_MAX 100
#define CORE_PAGE_SIZE_DEFAULT 10
#define CORE_FILTER_IDS_MAX 100

struct core_config {
    /* The shared upstream account's budgets (requests per second). */
    double create_rate;       /* CreateAssetGroup + CreateAsset; default 30 */
    double mutate_rate;       /* List*, Update*, Delete*; default 30 */
    double get_rate;          /* GetAsset (refresher) + GetAssetGroup; default 100 */
    int max_inflight_creates; /* default 30 */
    int create_wait_ms;       /* how long a create waits for budget; default 10000 */
    int refresh_workers;      /* concurrent refresher polls; default 8 */
    /* Per API key: requests per second and burst; 0 = no limit. */
    double key_rate;          /* default 100 */
    double key_burst;         /* default 200 */
    /* reconciliation: reservations older than this are settled by the
     * periodic sweep (no live node can still be creating them); default
     * 10 minutes. */
    int64_t reconcile_after_ms;
    /* upload sessions (API.md §4b): how long a session lives (default
     * 3600 s; PORTICO_UPLOAD_SESSION_TTL_S). */
    int upload_session_ttl_s;
    /* The gateway's public base URL ("http://127.0.0.1:8080"), without a
     * trailing '/': the base of the video result URLs handed to customers. */
    char public_url[512];
    /* The outbound URL policy's exceptions (core_url_allow_list): URLs
     * handed on or fetched for a customer must point to public addresses,
     * except these hosts, host:port and CIDRs. NULL: none. */
    const char *url_allow;
    /* liveness (liveness_poller.c): a pending session is polled upstream
     * every liveness_poll_ms (2000); every liveness_sweep_ms (10 minutes;
     * 0: never) the account's LivenessFace groups that no record owns and
     * that are older than liveness_orphan_age_ms (15 minutes, more than a
     * session's life and its late window) are removed upstream. */
    int liveness_poll_ms;
    int64_t liveness_sweep_ms;
    int64_t liveness_orphan_age_ms;
    /* webhooks (outbox.c, API.md §4a): threads delivering at once (8;
     * PORTICO_WEBHOOK_WORKERS), one attempt's time limit (10000 ms;
     * PORTICO_WEBHOOK_TIMEOUT_MS), the first retry's delay, doubled per
     * failure up to an hour (1000 ms; PORTICO_WEBHOOK_BACKOFF_MS), how
     * long after its event a delivery is retried before it is Failed (24 h;
     * PORTICO_WEBHOOK_RETRY_S), and how long events are kept (48 h). */
    int webhook_workers;
    int webhook_timeout_ms;
    int64_t webhook_backoff_ms;
    int64_t webhook_retry_ms;
    int64_t event_retention_ms;
    /* generation that waits (API.md §4, wait_for_assets): how long a task
     * waits for its assets before it fails with asset_timeout (10 minutes;
     * PORTICO_VIDEO_WAIT_S). */
    int64_t video_wait_ms;
    /* the event stream (API.md §4a): a comment every sse_heartbeat_ms
     * (15000; PORTICO_SSE_HEARTBEAT_MS) keeps an idle stream open */
    int sse_heartbeat_ms;
    /* usage metering (usage_meter.c): how often a node writes the upstream
     * calls it counted (1000 ms; PORTICO_USAGE_FLUSH_MS); a node that dies
     * unstopped loses at most that much of them. */
    int usage_flush_ms;
};

void core_config_defaults(struct core_config *c);

/* The gateway's URL allow-list: the operator's (PORTICO_URL_ALLOW, may be
 * NULL) plus the host:port of its own public URL, from which the upstream
 * fetches uploads. Writes the combined comma-separated list into out (for
 * core_config.url_allow and the embedded simulator's). 0, or -1 with err
 * saying what is wrong with allow or public_url. */
int core_url_allow_list(const char *allow, const char *public_url, char *out, size_t cap, char *err,
                        size_t errcap);

struct core;

/* Takes no ownership of store or upstream; they must outlive the core. */
struct core *core_new(const struct core_config *cfg, struct store *store, struct upstream *up);
/* Starts the background refresher. */
int core_start(struct core *c);
/* Stops the refresher (waits for in-flight polls) and frees the core. */
void core_free(struct core *c);

/* Authentication: the customer a Bearer key belongs to, and who (may be
 * NULL) gets its customer_id and key prefix (addr is the caller's to set).
 * CORE_UNAUTHORIZED for unknown, revoked or malformed keys (an admin key
 * included) and for keys of a disabled customer; revocations, Disabled and
 * KeyRate changes take effect within a second on every node. */
enum core_code core_authenticate(struct core *c, const char *key, struct customer *out, struct actor *who,
                                 struct core_status *st);
/* One connection's memory of the last key it authenticated and that key's
 * SHA-256: a kept-alive client sends the same key with every request, and
 * hashing it again each time costs more than the rest of the check. Owned
 * by the HTTP front, one per connection, zeroed (core_key_memo_wipe) when
 * the connection ends. */
struct core_key_memo {
    char key[KEYS_LEN + 1]; /* "" when empty */
    uint8_t hash[32];
};
/* core_authenticate with the connection's memo (NULL: none). */
enum core_code core_authenticate_memo(struct core *c, const char *key, struct core_key_memo *memo,
                                      struct customer *out, struct actor *who, struct core_status *st);
void core_key_memo_wipe(struct core_key_memo *memo);

/* The operators' API (API.md §7), core/admin.c. */
/* An admin key: who (may be NULL) gets customer_id 0 and its prefix.
 * CORE_UNAUTHORIZED for unknown, revoked or malformed keys (a customer's
 * key included). Not cached: a revocation holds at once on every node. */
enum core_code core_admin_authenticate(struct core *c, const char *key, struct actor *who, struct core_status *st);
/* CreateCustomer: f->name required (1-64 bytes of UTF-8, no control
 * characters, unique); aigc_enabled (default 1), key_rate (0 to
 * CORE_KEY_RATE_MAX, default 0), disabled (default 0). out gets the row.
 * who (the operator's admin key and address) goes into the audit log. */
enum core_code core_create_customer(struct core *c, const struct actor *who, const struct customer_fields *f,
                                   struct customer *out, struct core_status *st);
/* UpdateCustomer: at least one field. InvalidParameter for an unknown id.
 * What changed goes into the audit log with who. */
enum core_code core_update_customer(struct core *c, const struct actor *who, int64_t id,
                                   const struct customer_fields *f, struct core_status *st);
enum core_code core_get_customer(struct core *c, int64_t id, struct customer *out, struct core_status *st);
enum core_code core_list_customers(struct core *c, const char *name_sub, int page_number, int page_size,
                                   struct customer_list *out, struct core_status *st);
/* CreateApiKey: key_out gets the key (shown once), out its record.
 * InvalidParameter for an unknown customer. who (the operator's admin key
 * and address) goes into the audit log with the key. */
enum core_code core_create_api_key(struct core *c, const struct actor *who, int64_t customer_id,
                                   char key_out[static KEYS_LEN + 1], struct key_info *out, struct core_status *st);
/* ListApiKeys: customer_id 0 for every customer's (else it must exist). */
enum core_code core_list_api_keys(struct core *c, int64_t customer_id, int page_number, int page_size,
                                  struct key_list *out, struct core_status *st);
/* RevokeApiKey: InvalidParameter when no active key has the prefix. */
enum core_code core_revoke_api_key(struct core *c, const struct actor *who, const char *prefix,
                                   struct core_status *st);

/* Groups. */
enum core_code core_create_group(struct core *c, const struct customer *cu, const char *name,
                                 const char *description, const char *type, char id_out[static IDS_MAX],
                                 struct core_status *st);
enum core_code core_get_group(struct core *c, const struct customer *cu, const char *id, struct group *out,
                              struct core_status *st);
enum core_code core_list_groups(struct core *c, const struct customer *cu, const struct group_filter *f,
                                int page_number, int page_size, struct group_list *out, struct core_status *st);
enum core_code core_update_group(struct core *c, const struct customer *cu, const char *id, const char *name,
                                 const char *description, struct core_status *st);
/* who (NULL: nobody known) is recorded in the audit log with the delete. */
enum core_code core_delete_group(struct core *c, const struct customer *cu, const struct actor *who, const char *id,
                                 struct core_status *st);

/* Assets. who (NULL: nobody known): recorded with the asset, for the
 * audit log (assets of LivenessFace groups, deletes). */
enum core_code core_create_asset(struct core *c, const struct customer *cu, const struct actor *who,
                                 const char *group_id, const char *url, const char *type, const char *name,
                                 char id_out[static IDS_MAX], struct core_status *st);
enum core_code core_get_asset(struct core *c, const struct customer *cu, const char *id, struct asset *out,
                              struct core_status *st);
/* GetAsset: the Asset as JSON text (render_asset_text, URL signed as
 * core_asset_media_url signs it) appended to out; from the short cache
 * without a lock when it can be. The same answers as core_get_asset. */
struct buf;
enum core_code core_get_asset_text(struct core *c, const struct customer *cu, const char *id, struct buf *out,
                                   struct core_status *st);
enum core_code core_list_assets(struct core *c, const struct customer *cu, const struct asset_filter *f,
                                int page_number, int page_size, struct asset_list *out, struct core_status *st);
enum core_code core_update_asset(struct core *c, const struct customer *cu, const char *id, const char *name,
                                 struct core_status *st);
enum core_code core_delete_asset(struct core *c, const struct customer *cu, const struct actor *who, const char *id,
                                 struct core_status *st);

/* Operations. */
/* 1 when the store answers and the upstream answered recently. */
int core_ready(struct core *c);
/* Live assets by status, for /metrics: CORE_OK, or CORE_SERVICE_UNAVAILABLE
 * when the store does not answer. */
enum core_code core_count_assets(struct core *c, struct asset_counts *out);

/* Usage metering (API.md §7 GetUsage), core/usage.c: one row per
 * customer and UTC day with the day's moves and the stocks at its end. */
#define CORE_USAGE_DAYS_MAX 366    /* From..To, both included */
#define CORE_USAGE_DAYS_DEFAULT 31 /* without From: To and the 30 days before */
#define CORE_USAGE_ROWS_MAX 10000
struct core_usage_row {
    int64_t customer_id;  /* 0: the gateway's own upstream calls */
    const char *customer; /* its name; "" for 0 */
    int64_t day;          /* UTC days since 1970-01-01 */
    char date[11];        /* YYYY-MM-DD */
    /* by metric (USAGE_* in core/domain.h): the day's moves, and every
     * "live." stock as it stood at the end of the day */
    const struct usage_count *values;
    size_t n_values;
};
struct core_usage {
    struct core_usage_row *rows; /* by customer, then day */
    size_t n;
    char from[11], to[11]; /* the range answered */
    /* owned storage */
    struct usage_count *values;
    size_t n_values;
    struct usage_report rep;
};
/* customer_id -1: every customer; from, to: YYYY-MM-DD or NULL (see
 * core/usage.c for the defaults and bounds). InvalidParameter for a bad
 * or too wide range, an unknown customer, or too many rows. */
enum core_code core_get_usage(struct core *c, int64_t customer_id, const char *from, const char *to,
                              struct core_usage *out, struct core_status *st);
void core_usage_free(struct core *c, struct core_usage *u);
/* The value of metric in a row: 0 when absent. */
int64_t core_usage_value(const struct core_usage_row *r, const char *metric);
/* "YYYY-MM-DD" (a real UTC calendar date from 1970) as days since
 * 1970-01-01; -1 when it is not one. And back. */
int64_t core_usage_day(const char *s);
void core_usage_date(int64_t day, char out[static 11]);
/* The upstream Actions metered (static names): how many. */
size_t core_usage_actions(const char *const **names);
/* Writes this node's upstream call counts to the store now. */
void core_usage_flush(struct core *c);
/* /metrics: customers' live assets by status and bytes stored, from the
 * counters. Bounded: the CORE_USAGE_GAUGE_CUSTOMERS customers with the
 * most bytes (then assets) by name, and everyone else summed in one more
 * row with customer_id -1. *out malloc'd (free it). CORE_OK or
 * CORE_SERVICE_UNAVAILABLE. */
#define CORE_USAGE_GAUGE_CUSTOMERS 50
struct core_usage_gauge {
    int64_t customer_id;
    char customer[STORE_CUSTOMER_MAX];
    int64_t processing, active, failed, other, bytes;
};
enum core_code core_usage_gauges(struct core *c, struct core_usage_gauge **out, size_t *n);

/* The audit log (API.md §7 ListAuditEvents), core/audit.c. */
#define CORE_AUDIT_PAGE_DEFAULT 20
#define CORE_AUDIT_PAGE_MAX 100
struct core_audit_query {
    int64_t customer_id;     /* -1: every customer's */
    const char *type;        /* NULL: any; else one of AUDIT_* */
    const char *group_id;    /* NULL: any */
    const char *from, *to;   /* RFC 3339 times (or dates), NULL: unbounded; From included, To not */
    const char *cursor;      /* NULL: the newest; else a NextCursor */
    int page_size;           /* 0: CORE_AUDIT_PAGE_DEFAULT */
};
/* Newest first; out->next_seq is the next page's cursor (0: none). */
enum core_code core_list_audit(struct core *c, const struct core_audit_query *q, struct audit_list *out,
                               struct core_status *st);
/* The audit types (static names): how many. */
size_t core_audit_types(const char *const **names);
/* An RFC 3339 UTC time ("2026-05-01T12:00:00Z", fractions and +00:00
 * allowed) or a date (its midnight) as wall-clock ms; -1 when it is not one. */
int64_t core_parse_time(const char *s);
/* The upstream account's budget (core/fleet.c): the fleet's view from the
 * store (its buckets, creations in flight, nodes) into out, and this
 * node's own side into self (may be NULL). CORE_SERVICE_UNAVAILABLE when
 * the store does not answer (self is still filled). */
struct core_node_budget {
    char node[FLEET_NODE_MAX];       /* this node's name in the fleet */
    int64_t leases[FLEET_BUCKETS];   /* token leases it made (a fleet's store), by bucket */
    int64_t leased[FLEET_BUCKETS];   /* tokens they granted */
    int64_t lapsed[FLEET_BUCKETS];   /* tokens it let lapse unspent */
    double tokens[FLEET_BUCKETS];    /* tokens in hand now */
    int waiting_for_places;          /* its creates waiting for a place in flight */
};
enum core_code core_fleet_status(struct core *c, struct fleet_status *out, struct core_node_budget *self);

/* Number of UTF-8 characters in s, or -1 if s is not valid UTF-8. */
long core_utf8_chars(const char *s);

/* Liveness (API.md §2 LivenessFace): the H5 face-scan flow. */
/* CreateVisualValidateSession: callback_url NULL or "" for none. out gets
 * the recorded session (token, H5 link, callback, expiry). */
enum core_code core_create_validate_session(struct core *c, const struct customer *cu, const struct actor *who,
                                            const char *callback_url, struct validate_session *out,
                                            struct core_status *st);
/* GetVisualValidateResult: the LivenessFace group of a passed scan, the
 * same every time; else ValidatePending, TokenExpired or InvalidToken. */
enum core_code core_get_validate_result(struct core *c, const struct customer *cu, const char *token,
                                        char group_id_out[static IDS_MAX], struct core_status *st);

/* Uploads (API.md §3): the bytes live in the blob port (blob/blob.h). A
 * staging area (struct blob_stage) is an opaque handle outside core/:
 * core_upload_stage_* below. */
struct blob_stage;
#define CORE_UPLOAD_MAX_BYTES (10u * 1024 * 1024) /* the file, not the request */
#define CORE_MEDIA_URL_TTL_S (2 * 3600)          /* URLs shown to customers */
#define CORE_UPSTREAM_URL_TTL_S (24 * 3600)      /* the URL the upstream fetches */
/* Takes no ownership; b must outlive the core. */
void core_set_blob(struct core *c, struct blob *b);
/* Registers an uploaded image (AssetType Image) in group_id: reserves a
 * place in the group's asset quota (shared with CreateAsset; Forbidden for
 * a group that is not the caller's), commits the staged bytes under a fresh
 * key with extension ext, hands the upstream a signed URL of them and
 * records the asset as Processing. Consumes stage in every case; on any
 * failure neither bytes nor record remain. out gets the Asset with a
 * freshly signed URL. name NULL: none. sha256 (lower-case hex of all the
 * bytes; NULL: not known): when the group has a live asset of the same
 * bytes, that asset is the answer and nothing is created (content hash). */
enum core_code core_upload_asset(struct core *c, const struct customer *cu, const struct actor *who,
                                 const char *group_id, const char *name, struct blob_stage *stage, const char *ext,
                                 const char *content_type, const char *sha256, struct asset *out,
                                 struct core_status *st);
/* For an asset whose bytes Portico stores (blob_key set), replaces a->url
 * with a URL signed now and valid for CORE_MEDIA_URL_TTL_S; other assets
 * are left as they are. */
void core_asset_media_url(struct core *c, struct asset *a);

/* render.c: the Asset object (API.md §2) and the video task object (§4) as
 * compact JSON text appended to out; 0 or -1. One renderer for reads and
 * events alike. */
struct buf;
int render_asset_text(const struct asset *a, struct buf *out);
int core_video_json(struct core *c, const struct video_task *t, struct buf *out);

/* events.c: an event kind's Type ("AssetActive", ...), NULL for none; and
 * the kind of a Type, -1 for none. */
const char *core_event_type(int kind);
int core_event_kind(const char *type);

/* Notifications (API.md §4a), core/notify.c: a customer's webhook and
 * the deliveries of its events (the outbox, delivered by core/outbox.c). */
#define CORE_WEBHOOK_SECRET_BYTES 32                  /* the Secret: 64 hex digits */
#define CORE_WEBHOOK_BACKOFF_MAX_MS (3600 * 1000LL)   /* the longest wait between attempts */
/* UpdateNotificationConfig: url (required; https, or http to a host the
 * operator allows), the event Types (has_events 0: all; else n_events
 * names, none unknown), rotate: a new secret. out gets the config as
 * stored; *secret_shown is 1 when out->secret is new (the first config or
 * a rotation) and may be shown, once. */
enum core_code core_update_notify_config(struct core *c, const struct customer *cu, const char *url,
                                         const char *const *events, size_t n_events, int has_events, int rotate,
                                         struct notify_config *out, int *secret_shown, struct core_status *st);
/* The caller's config; when none is set, out->url is "" (and events 0). */
enum core_code core_get_notify_config(struct core *c, const struct customer *cu, struct notify_config *out,
                                      struct core_status *st);
/* Removes it (none set: nothing to do, CORE_OK). Pending deliveries then
 * end Failed at their next attempt. */
enum core_code core_delete_notify_config(struct core *c, const struct customer *cu, struct core_status *st);
/* ListNotifications: statuses by name (Pending, Delivered, Failed; none:
 * all), newest first. */
enum core_code core_list_notifications(struct core *c, const struct customer *cu, const char *const *statuses,
                                       size_t n_statuses, int page_number, int page_size,
                                       struct notification_list *out, struct core_status *st);
/* The EVENT_BIT mask of n event Types; InvalidParameter for an unknown one. */
int core_notify_events_mask(const char *const *types, size_t n, int *mask_out, struct core_status *st);
/* "Pending", "Delivered", "Failed". */
const char *core_notify_status_name(int status);
/* Portico-Signature's hex: HMAC-SHA256 keyed with the Secret's characters
 * over "<unix_s>.<body>". */
void core_notify_signature(const char *secret, int64_t unix_s, const char *body, size_t len, char out[65]);
/* The wait after the attempts-th failed attempt: base_ms * 2^(attempts-1),
 * at most CORE_WEBHOOK_BACKOFF_MAX_MS, spread by jitter (0..1) over 0.8 to
 * 1.2 times that. */
int64_t core_notify_backoff_ms(int64_t base_ms, int attempts, double jitter);
/* Waiting and the event stream (API.md §4a), core/event_hub.c: one hub
 * thread per node reads new events from the store (every customer's, so
 * events recorded by other nodes sharing PostgreSQL count too) and wakes
 * what waits for them. Nothing here blocks a thread per client: the front
 * parks the connection and the wake-up resumes it. A wake function runs
 * once, on any thread (under the hub's lock: it must only signal). */
typedef void (*core_wake_fn)(void *arg);

/* WaitAsset: after the caller read the asset as Processing (core_get_asset)
 * and parked the request, wake(arg) runs once: when an AssetActive or
 * AssetFailed event for it arrives, at deadline_ms (monotonic), while the
 * gateway drains, or at once when the asset settled since that read (it is
 * read again after the waiter is registered). While a waiter exists the
 * refresher polls the asset every ~100 ms. Then core_get_asset_fresh and
 * core_waiter_end (also when the request ends first). */
struct core_waiter;
struct core_waiter *core_wait_asset(struct core *c, const struct customer *cu, const char *asset_id,
                                    int64_t deadline_ms, core_wake_fn wake, void *arg);
void core_waiter_end(struct core *c, struct core_waiter *w);
/* core_get_asset from the store itself, never from the short cache. */
enum core_code core_get_asset_fresh(struct core *c, const struct customer *cu, const char *id, struct asset *out,
                                    struct core_status *st);

/* The event stream: the customer's events from now on, or after
 * last_event_id (one of the customer's events, within the retention of 24
 * h; any other id is InvalidParameter). TooManyRequests past
 * CORE_STREAMS_PER_CUSTOMER open streams. */
#define CORE_STREAMS_PER_CUSTOMER 100
struct core_sub;
enum core_code core_events_subscribe(struct core *c, const struct customer *cu, const char *last_event_id,
                                     struct core_sub **out, struct core_status *st);
/* How the front parks the stream's connection when nothing is to be sent
 * (suspend, called by core_sub_next) and wakes it (resume, by the hub). */
void core_sub_bind(struct core_sub *s, core_wake_fn suspend, core_wake_fn resume, void *arg);
enum core_sub_next {
    CORE_SUB_EVENT,     /* *out: the next event (malloc'd; free it) */
    CORE_SUB_HEARTBEAT, /* a keep-alive comment is due */
    CORE_SUB_PARKED,    /* nothing now: suspend(arg) was called; resume(arg) follows */
    CORE_SUB_END,       /* the stream ends (draining, or too far behind: resume with Last-Event-ID) */
};
enum core_sub_next core_sub_next(struct core *c, struct core_sub *s, struct event **out);
int64_t core_sub_heartbeat_ms(const struct core_sub *s);
/* The connection ended: unsubscribes and frees s (NULL is a no-op). */
void core_sub_close(struct core_sub *s);
/* The gateway drains: every waiter is woken and every stream ends, now
 * and from now on. */
void core_events_drain(struct core *c);

/* Reconciliation (core/reconcile.c): reservations whose create may or may
 * not have happened upstream. */
struct core_reconcile_counts {
    int adopted;  /* made upstream: the record was confirmed */
    int undone;   /* made upstream but not wanted (bytes gone): removed there */
    int released; /* not made upstream: reservation (and stored bytes) dropped */
    int left;     /* could not be settled now (upstream unreachable): retried in the background */
};
/* Settles every reservation made before older_than_ms: adopts what the
 * upstream made, drops the rest with their stored bytes. Blocks on the
 * upstream (lookups from the list budget); for start-up, after core_start.
 * 0, or -1 when the store could not list them. */
int core_reconcile_pending(struct core *c, int64_t older_than_ms, struct core_reconcile_counts *out);
/* Start-up: core_reconcile_pending, but if any of the reservations is
 * young enough that the stopped process may have had its create in flight,
 * first waits until grace_ms after the call (longer than the upstream may
 * go on acting on a request whose client died). */
int core_reconcile_startup(struct core *c, int64_t older_than_ms, int grace_ms, struct core_reconcile_counts *out);

/* ClientToken (core/idempotency.c): a create repeated with the same token
 * within 24 h answers the first result and creates nothing. */
#define CORE_CLIENT_TOKEN_MAX 64
struct core_once {
    int active;            /* the token is claimed: call core_once_end */
    int64_t customer_id;
    char token[CORE_CLIENT_TOKEN_MAX + 1];
    char replay[STORE_IDEM_RESULT_MAX]; /* non-empty: the first request's result; create nothing */
};
/* Begins a create that carries token (NULL: none; o stays inactive).
 * fields are what makes two requests "the same" (NULL entries allowed),
 * action names the create. CORE_OK with o->replay set (answer it), or with
 * o->active (create, then core_once_end). InvalidParameter for a malformed
 * token or one used for a different request; TooManyRequests when the same
 * request is still being created after a short wait. */
enum core_code core_once_begin(struct core *c, const struct customer *cu, const char *token, const char *action,
                               const char *const *fields, size_t n_fields, struct core_once *o,
                               struct core_status *st);
/* Ends a claimed create: result is what a repeat will be answered (the
 * created id), or NULL when the create failed (the token is free again). */
void core_once_end(struct core *c, struct core_once *o, const char *result);

/* Video generation (API.md §4), core/videos.c. */
#define CORE_VIDEO_ITEMS_MAX 10
#define CORE_PROMPT_CHARS 2000
struct core_video_item {
    const char *type; /* "image_url", "video_url" or "audio_url" */
    const char *url;  /* http(s)://... or asset://<asset id>; with register_asset also data: */
    const char *role; /* NULL: none */
    /* inline registration (API.md §4): the image becomes an asset of the
     * caller first, in register_group_id (NULL: the caller's group named
     * "inline"), named register_name (NULL: none) */
    int register_asset;
    const char *register_group_id, *register_name;
};
struct core_video_request {
    const char *model;      /* Portico's name: "seedance-2.0", "seedance-2.0-fast", "seedance-1.5-pro" */
    const char *prompt;
    const char *ratio;      /* NULL: the model's default */
    const char *resolution; /* NULL: the model's default */
    int has_duration;       /* 0: the model's default */
    int duration;           /* seconds */
    const struct core_video_item *items;
    size_t n_items;
    const char *record_json; /* the request as sent, kept with the task; NULL: none */
    int wait_for_assets;     /* Processing assets are waited for (waiting_for_assets) */
};
/* Validates the request, checks that every asset:// is the caller's and
 * Active, starts the upstream task (within the shared create budget) and
 * records it as queued. out gets the record. */
enum core_code core_create_video(struct core *c, const struct customer *cu, const struct actor *who,
                                 const struct core_video_request *req, struct video_task *out,
                                 struct core_status *st);
/* The caller's task, as the video refresher last saw it upstream;
 * CORE_NOT_FOUND for another customer's id or one that does not exist. */
enum core_code core_get_video(struct core *c, const struct customer *cu, const char *id, struct video_task *out,
                              struct core_status *st);
/* Tasks waiting_for_assets are looked at again now rather than at their
 * next poll (call it when an asset turned Active or Failed). */
void core_video_waiters_kick(struct core *c);
/* The video models that accept asset a right now (API.md §2
 * AvailableModels): none unless it is Active. Fills names (static strings)
 * up to cap; returns how many. */
size_t core_asset_models(const struct asset *a, const char **names, size_t cap);

/* Upload sessions (API.md §4b), core/upload_session.c: the client PUTs
 * large media straight to the blob store; CompleteUpload judges the stored
 * bytes (reading only what it needs) before anything goes upstream. */
#define CORE_SESSION_IMAGE_MAX_BYTES (30u * 1024 * 1024)  /* UPSTREAM.md "Media": images < 30 MB */
#define CORE_SESSION_VIDEO_MAX_BYTES (200u * 1024 * 1024) /* "Media": video up to 200 MB (the wider source) */
#define CORE_SESSION_AUDIO_MAX_BYTES (15u * 1024 * 1024)  /* "Media": audio mp3/wav < 15 MB */
struct core_upload_request {
    const char *group_id, *asset_type, *content_type, *name, *sha256; /* name, sha256: NULL for none */
    int64_t content_length; /* -1: absent */
};
struct blob_put_target;
struct core_upload_ticket {
    char upload_id[IDS_MAX];
    struct blob_put_target *put; /* the caller's; filled */
    int64_t expire_ms;
};
/* CreateUploadSession: validates, holds a slot of the group's quota and
 * signs the PUT. out->put must point at caller storage. */
enum core_code core_create_upload_session(struct core *c, const struct customer *cu,
                                          const struct core_upload_request *rq, struct core_upload_ticket *out,
                                          struct core_status *st);
/* The ticket of an existing session of the caller (a ClientToken repeat). */
enum core_code core_upload_session_ticket(struct core *c, const struct customer *cu, const char *upload_id,
                                          struct core_upload_ticket *out, struct core_status *st);
/* CompleteUpload: judges the stored bytes and registers the asset; out is
 * the Asset (Processing) with a freshly signed URL. */
enum core_code core_complete_upload(struct core *c, const struct customer *cu, const struct actor *who,
                                    const char *upload_id, struct asset *out, struct core_status *st);
/* AbortUpload: ends the session, removes its bytes, releases its slot. */
enum core_code core_abort_upload(struct core *c, const struct customer *cu, const char *upload_id,
                                 struct core_status *st);
/* The fs backend's PUT (api/media.c): the body streams to a staging file
 * with its SHA-256 computed on the way; nothing is held in memory. */
struct core_upload_put;
/* Checks the signed URL and the request's Content-Length / Content-Type
 * against what it signed, and claims the session (a second PUT, an expired
 * or ended session, another length or type: refused, *out NULL). */
enum core_code core_upload_put_open(struct core *c, const char *key, const char *expires, const char *length,
                                    const char *signature, const char *content_type, uint64_t content_length,
                                    struct core_upload_put **out, struct core_status *st);
/* 0, or -1 once the body went past its declared length or the disk failed. */
int core_upload_put_write(struct core_upload_put *p, const void *data, size_t n);
/* The body is complete: commits it (exactly the declared length) and
 * frees p. */
enum core_code core_upload_put_finish(struct core_upload_put *p, struct core_status *st);
/* The connection ended first: discards the bytes, reopens the session. */
void core_upload_put_abort(struct core_upload_put *p);
/* Video results are served by Portico itself, never by handing out the
 * upstream's URL (which names the upstream task): CORE_VIDEO_RESULT_PATH
 * <task id>?c=<customer>&exp=<unix>&sig=<hex HMAC-SHA256 with the media
 * signing secret>. Anyone holding the URL may GET it until exp; without a
 * valid, unexpired signature the answer is Forbidden. */
#define CORE_VIDEO_RESULT_PATH "/v1/videos/results/"
#define CORE_VIDEO_RESULT_MAX ((uint64_t)1 << 30) /* bytes a result may have */
/* The signed URL of a succeeded task t into out; 0, or -1 if it does not fit
 * or no signing secret is configured. */
int core_video_result_url(struct core *c, const struct video_task *t, char *out, size_t cap);
/* Verifies the signed URL's parts and opens the video: *fd (the caller
 * closes it) holds *size bytes. CORE_FORBIDDEN for a bad or expired
 * signature, CORE_NOT_FOUND when the task has no video (any more),
 * CORE_UPSTREAM_ERROR when the upstream could not deliver it. */
enum core_code core_open_video_result(struct core *c, const char *id, const char *customer, const char *expires,
                                      const char *signature, int *fd, uint64_t *size, struct core_status *st);

/* The customers' console (API.md §7), core/thumbnails.c: the thumbnail of
 * an asset's stored image, a JPEG that fits CORE_THUMBNAIL_BOX px square,
 * made once and kept in the blob store (removed with the bytes). Forbidden
 * for an id that is not the caller's, as for every asset id. An asset
 * without stored image bytes (registered by URL, video, audio, bytes no
 * thumbnail can be made of) answers CORE_OK with placeholder set. */
#define CORE_THUMBNAIL_BOX 320
struct core_thumbnail {
    uint8_t *data; /* malloc'd JPEG; core_thumbnail_free */
    size_t len;
    int placeholder; /* no thumbnail: show a neutral picture */
    int made;        /* made by this call (not read back from the blob store) */
};
enum core_code core_asset_thumbnail(struct core *c, const struct customer *cu, const char *asset_id,
                                    struct core_thumbnail *out, struct core_status *st);
void core_thumbnail_free(struct core_thumbnail *t);
/* The H5Link of the caller's face scan session while it is open (pending,
 * before its ExpireTime), for its QR code: InvalidToken for a token that
 * is unknown or another customer's, alike; TokenExpired once it closed. */
enum core_code core_validate_session_link(struct core *c, const struct customer *cu, const char *token,
                                          char link_out[static STORE_LINK_MAX], struct core_status *st);

/* Media access (core/media_access.c): everything api/ does with stored
 * bytes goes through these, so the rules (a valid signature, the staging
 * limit, one PUT per session) sit in core/ and api/ needs no port. */
/* GET/HEAD <public url>/v1/media/<key>?Expires=&Signature= (the fs store's
 * signed URLs): checks the key and the URL's signature and expiry at the
 * wall clock, then opens the bytes: *fd (the caller closes it) holds *size
 * bytes. CORE_FORBIDDEN for a bad key, signature or expiry, and when no
 * store here serves such URLs (whether the object exists is told only to a
 * valid signature); CORE_NOT_FOUND when the object is gone (the asset was
 * deleted); CORE_SERVICE_UNAVAILABLE when the store fails. */
enum core_code core_open_media(struct core *c, const char *key, const char *expires, const char *signature,
                               int *fd, uint64_t *size, struct core_status *st);

/* Upload staging (API.md §3): the file of an upload is written, as it
 * arrives, to a local staging area bounded at CORE_UPLOAD_MAX_BYTES, then
 * handed to core_upload_asset (which consumes it) or discarded. */
#define CORE_UPLOAD_HEAD_MAX (64 * 1024) /* bytes of the file's head kept in memory */
/* 1 when this gateway stores uploads (a blob store is configured). */
int core_uploads_enabled(struct core *c);
/* A new, empty staging area; NULL when the media store is unavailable. */
struct blob_stage *core_upload_stage_new(struct core *c);
/* Appends n bytes: CORE_OK, CORE_PAYLOAD_TOO_LARGE past the limit, or
 * CORE_SERVICE_UNAVAILABLE when the disk fails; st says so in a sentence. */
enum core_code core_upload_stage_write(struct blob_stage *stage, const void *p, size_t n, struct core_status *st);
uint64_t core_upload_stage_size(const struct blob_stage *stage);
/* The first bytes written (up to CORE_UPLOAD_HEAD_MAX), for judging the
 * type and dimensions. */
const uint8_t *core_upload_stage_head(const struct blob_stage *stage, size_t *n);
/* Removes the staging area and its bytes. */
void core_upload_stage_discard(struct blob_stage *stage);

/* CreateUploadSession as the caller sees it: the signed PUT, copied out of
 * the store's. */
#define CORE_PUT_URL_MAX 4096
#define CORE_PUT_HEADERS_MAX 4
struct core_upload_offer {
    char upload_id[IDS_MAX];
    char url[CORE_PUT_URL_MAX];
    size_t n_headers;
    struct {
        char name[32];
        char value[128];
    } headers[CORE_PUT_HEADERS_MAX]; /* the PUT must carry exactly these */
    int64_t expire_ms;
};
/* CreateUploadSession with its ClientToken (NULL: none): a repeat of the
 * same token for the same request answers the first session (the same
 * UploadId, signed again); otherwise core_create_upload_session. */
enum core_code core_offer_upload_session(struct core *c, const struct customer *cu,
                                         const struct core_upload_request *rq, const char *client_token,
                                         struct core_upload_offer *out, struct core_status *st);

/* The fs store's PUT of an upload session's bytes (PUT /v1/media/<key>):
 * core_upload_put_* with the outcomes of the PUT's own surface — a session
 * used already or ended is CORE_CONFLICT (409), not "not found". */
enum core_code core_media_put_open(struct core *c, const char *key, const char *expires, const char *length,
                                   const char *signature, const char *content_type, uint64_t content_length,
                                   struct core_upload_put **out, struct core_status *st);
/* 0, or -1 once the body went past its declared length or the disk failed. */
int core_media_put_write(struct core_upload_put *p, const void *data, size_t n);
/* Commits the complete body and frees p. */
enum core_code core_media_put_finish(struct core_upload_put *p, struct core_status *st);
/* Discards the bytes, reopens the session, frees p. */
void core_media_put_abort(struct core_upload_put *p);

#endif
