/* internal.h — the core's private state, shared by the files of core/.
 * Nothing outside core/ includes this. */
#ifndef PORTICO_CORE_INTERNAL_H
#define PORTICO_CORE_INTERNAL_H
#include <pthread.h>
#include <stdatomic.h>

#include "core/core.h"
#include "store/store.h"       /* core.h names the ports only as opaque handles; */
#include "upstream/upstream.h" /* inside core/ they are called */
#include "core/budget.h"
#include "core/poller.h"

struct auth_cache;
struct asset_cache;

/* This node's waits for the account's creations in flight (inflight.c),
 * and its kicks: something settled here. */
struct slot_waiter;
struct inflight {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot_waiter *waiters;
    int n_waiters;
    int claiming;          /* a grant_slots is running (one at a time) */
    int failing;           /* the last grant_slots failed (logged once) */
    int64_t next_claim_ms; /* mono */
    uint64_t kicks, kicks_claimed;
};

/* The shared upstream account: one token bucket per budget (budget.h),
 * the creations in flight, and how long a create waits for them. */
struct budget {
    struct budget_pool create;
    struct budget_pool mutate;
    struct budget_pool get;
    struct inflight inflight;
    int max_inflight_creates;
    int create_wait_ms;
};

struct fleet;

struct core {
    struct core_config cfg;
    struct store *store;
    struct upstream *up;
    struct budget budget;
    struct auth_cache *auth;
    /* assets: polls Processing assets upstream (refresher.c) */
    struct poller *refresher;
    /* readiness: last upstream ping, monotonic ms and result */
    pthread_mutex_t ready_mu;
    int64_t ready_checked_ms;
    int ready_upstream_ok;
    /* uploads: the blob port holding uploaded bytes (core_set_blob); NULL
     * until set, and then uploads answer InternalError */
    struct blob *blob;
    /* video tasks: polls queued/running tasks upstream (video_refresher.c) */
    struct poller *video_refresher;
    /* GetAsset's short-lived cache; see asset_cache.h */
    struct asset_cache *asset_cache;
    /* reconciliation: settles reservations whose create is in doubt */
    struct reconciler *reconciler;
    /* the outbound URL policy (rules.c, core_url_check): cfg.url_allow parsed */
    struct urlpolicy *url_policy;
    /* liveness: polls pending sessions, removes unowned LivenessFace groups */
    struct poller *liveness_poller;
    int64_t liveness_next_sweep_ms; /* monotonic; the liveness poller's loop thread only */
    /* upload sessions: ends expired ones (upload_session.c) */
    struct poller *upload_expiry;
    /* webhooks: delivers the outbox (outbox.c); outbox_stopping aborts
     * deliveries in flight (read atomically by http_call) */
    struct poller *outbox;
    int outbox_stopping;
    int64_t outbox_next_prune_ms; /* monotonic; the outbox's loop thread only */
    /* video tasks waiting_for_assets: submits them (video_waiter.c) */
    struct poller *video_waiter;
    atomic_int video_waiter_kicked; /* core_video_waiters_kick: the next lease looks ahead */
    /* the event hub: streams and WaitAsset waiters (event_hub.c) */
    struct event_hub *hub;
    /* usage metering: upstream calls counted on this node (usage_meter.c) */
    struct usage_meter *meter;
    /* the fleet: this node's name, heartbeat and the dead nodes' leftovers (fleet.c) */
    struct fleet *fleet;
    char node[FLEET_NODE_MAX];
};

/* events.c: the event a change makes, built into ev for the store
 * operation that records both in one transaction; NULL when the change
 * makes none (a status that is not final) or it cannot be built (logged). */
const struct event *core_event_asset(struct core *c, struct event *ev, const struct asset *a, int64_t now_ms);
const struct event *core_event_video(struct core *c, struct event *ev, const struct video_task *t, int64_t now_ms);
/* group_id NULL: LivenessFailed (reason says why), else LivenessPassed. */
const struct event *core_event_liveness(struct event *ev, int64_t customer_id, const char *token,
                                        const char *group_id, const char *reason, int64_t now_ms);
/* Called after this node's store recorded ev (NULL: nothing happens): the
 * event's consumers on this node (webhook outbox, event stream, waiters)
 * hear of it now rather than at their next poll of the store. */
void core_event_recorded(struct core *c, const struct event *ev);

/* event_hub.c — the hub's life cycle; kick: this node recorded an event. */
struct event_hub;
struct event_hub *event_hub_start(struct core *c);
void event_hub_kick(struct event_hub *h); /* NULL is a no-op */
void event_hub_stop(struct event_hub *h); /* NULL is a no-op */
/* refresher.c asks: when to poll an awaited asset next (now + ~100 ms),
 * or 0 when nobody on this node waits for it. */
int64_t refresher_hot(struct core *c, const char *asset_id, int64_t now_ms);

/* A poller's lease (poller.h) answering with a store list: the engine
 * takes the list's items (it frees them) when r is STORE_OK; 0, or -1. */
static inline int core_leased(enum store_result r, void *list_items, size_t list_n, void **items, size_t *n)
{
    *items = list_items;
    *n = r == STORE_OK ? list_n : 0;
    return r == STORE_OK ? 0 : -1;
}

/* budget.c — fleet: the store the buckets are leased from (NULL: local). */
void budget_init(struct budget *b, const struct core_config *cfg, struct store *fleet);
void budget_destroy(struct budget *b);
/* A create's deadline (monotonic ms): now + create_wait_ms. Every wait of
 * one create (a quota full of creates in flight, a place in flight, a
 * token) ends by it. */
int64_t budget_deadline(struct budget *b);
/* Waits until deadline for a token of which, customer_id's turn kept (0:
 * the gateway's own work). CORE_OK or CORE_TOO_MANY_REQUESTS with st
 * filled (Retry-After). */
enum core_code budget_take(struct budget *b, struct budget_pool *which, int64_t customer_id, int64_t deadline,
                           struct core_status *st);
/* budget_take for the gateway's own work, up to create_wait_ms. */
enum core_code budget_wait(struct budget *b, struct budget_pool *which, struct core_status *st);
/* TooManyRequests with a Retry-After of retry_ms (at least 1 s). */
enum core_code budget_too_many(struct core_status *st, int64_t retry_ms, const char *why);

/* inflight.c — the account's creations in flight (UPSTREAM.md: assets
 * still Processing), counted by the store across the fleet. */
void inflight_init(struct inflight *f);
void inflight_destroy(struct inflight *f);
/* Waits until deadline for the asset reservation handle (which got no
 * place when it was made) to be granted one: CORE_OK, or
 * CORE_TOO_MANY_REQUESTS with st filled. */
enum core_code inflight_wait_slot(struct core *c, int64_t handle, int64_t deadline, struct core_status *st);
/* Something settled on this node (a create confirmed or released, an
 * asset Active, Failed or deleted, a group deleted): waiting places in
 * flight and full quotas are looked at again now. */
void inflight_kick(struct core *c);
/* The kicks so far, then: waits for the next (or SETTLE_POLL_MS, for
 * other nodes' settles) unless deadline (mono) has passed: 0, or -1 when
 * it has. A request that found a quota full of creates in flight tries
 * its reservation again after each. */
uint64_t inflight_kicks(struct core *c);
int inflight_wait_settle(struct core *c, uint64_t seen, int64_t deadline);
/* This node's reservations waiting for a place (for /metrics). */
int inflight_waiting(struct core *c);
/* TooManyRequests for a request whose quota stayed full of creates in
 * flight until its deadline: it never answers QuotaExceeded for places
 * that may yet come free. */
enum core_code core_quota_busy(struct core_status *st);

/* fleet.c — this node among the nodes sharing the store. */
/* Names the node and joins the fleet (the store keeps the name on its
 * reservations); with a shared store, starts the heartbeat, which also
 * hands the reservations of nodes that died to the reconciler. 0 or -1. */
int fleet_start(struct core *c);
/* Stops the heartbeat and leaves the fleet. NULL-safe. */
void fleet_stop(struct core *c);

/* auth.c */
struct auth_cache *auth_cache_new(void);
void auth_cache_free(struct auth_cache *a);

/* asset_failure.c: FailureReason for a failed asset, from the upstream's
 * Error code and message (or a legacy reason string); never NULL inputs needed. */
void core_failure_advice(const char *code, const char *message, const char *legacy, char *out, size_t cap);

/* rules.c — validation of the contract's field rules; each returns CORE_OK
 * or CORE_INVALID_PARAMETER with a message naming the field. */
enum core_code rules_name(const char *field, const char *name, int required, struct core_status *st);
enum core_code rules_description(const char *desc, struct core_status *st);
enum core_code rules_url(const char *url, struct core_status *st);
/* The outbound URL policy for a URL the upstream will fetch on a customer's
 * behalf: InvalidParameter saying why, when no upstream could or should
 * fetch it (userinfo, a non-public address literal, localhost), unless the
 * operator's allow-list or the gateway's own public URL admits it. */
enum core_code core_url_check(struct core *c, const char *url, struct core_status *st);
enum core_code rules_asset_type(const char *type, struct core_status *st);
enum core_code rules_page(int page_number, int page_size, struct core_status *st);
enum core_code rules_id(const char *field, const char *id, struct core_status *st);

/* Maps a store failure (not OK, not NOT_FOUND/QUOTA which callers handle) to a status. */
enum core_code core_store_failure(enum store_result r, struct core_status *st);
/* Maps an upstream failure to UpstreamError / TooManyRequests. */
enum core_code core_upstream_failure(const char *op, enum up_result r, const struct up_error *err,
                                     struct core_status *st);
/* Counts an upstream call made for customer_id (0: the gateway's own) in
 * the metrics and in the customer's usage (usage_meter.c). */
void core_count_upstream(struct core *c, int64_t customer_id, const char *op, enum up_result r);
/* usage_meter.c — upstream calls, counted per node and written in batches. */
struct usage_meter;
struct usage_meter *usage_meter_new(void);
int usage_meter_start(struct core *c);
/* Stops the flusher, writes what is left and frees the meter. */
void usage_meter_stop(struct core *c);

/* The body every not-yours-or-not-there answer carries, so that the two are
 * indistinguishable. */
enum core_code core_forbidden(struct core_status *st, const char *field);

/* upload.c — removing stored bytes after their records are gone; best
 * effort (logged): the delete has already happened. */
/* The blob port set by core_set_blob, or NULL (core/upload.c). */
struct blob *core_blob(struct core *c);
/* Removes the bytes under key and the thumbnail made of them. */
void core_remove_blob(struct core *c, const char *key);
/* The bytes of the assets that delete_group(.., deleted_ms) took with it. */
void core_remove_group_blobs(struct core *c, const struct customer *cu, const char *group_id, int64_t deleted_ms);

/* thumbnails.c — where the thumbnail of the bytes under blob_key is kept
 * ("thumbs/<blob_key>.jpg"): 0, or -1 ("" in out) when no valid key can
 * be derived (then none is kept). out holds BLOB_KEY_MAX (128) bytes. */
int core_thumbnail_key(const char *blob_key, char out[static 128]);

/* The background pollers below run on the lease-and-poll engine
 * (poller.h): poller_kick when new work is due, poller_stop to end one. */

/* refresher.c — keeps Processing assets fresh. */
struct poller *refresher_start(struct core *c);
/* When a Processing asset created at create_ms should next be polled. */
int64_t refresher_next_poll(int64_t now_ms, int64_t create_ms);

/* reconcile.c — creates whose outcome upstream is unknown. */
struct reconciler;
struct reconciler *reconciler_start(struct core *c);
void reconciler_stop(struct reconciler *rc); /* NULL is a no-op */
/* A fresh tag for a reservation (reserve_*): RECONCILE_TAG_CHARS random
 * characters of [a-z0-9], which nobody can guess or forge. */
#define RECONCILE_TAG_CHARS 12
void reconcile_new_tag(char out[static STORE_TAG_MAX]);
/* The tag of a reservation: its own, or for a reservation made before
 * tags were random, the old one its create used (handle and time). */
void reconcile_tag(const struct store_pending *p, char out[static UP_TAG_MAX]);
/* The Name sent upstream: name (or fallback when empty) shortened to fit,
 * UP_TAG_SEP, tag. Creates and every rename send it, so an object's Name
 * always ends in its own tag, whatever the customer names it. */
void reconcile_upstream_name(const char *name, const char *fallback, const char *tag,
                             char out[static UP_NAME_MAX]);
/* A reserved create's upstream side. */
struct reconcile_create {
    int is_group;
    int64_t handle, reserved_ms, customer_id;
    int64_t deadline;  /* mono: budget waits end by then (budget_deadline) */
    int needs_slot;    /* an asset whose reservation waits for a place in flight */
    const char *name;                        /* the customer's; NULL: none */
    const char *description, *group_type;    /* groups */
    const char *group_id, *url, *asset_type; /* assets */
    const char *blob_key;                    /* uploads; NULL: none */
    const char *tag;                         /* the reservation's (reconcile_new_tag) */
};
/* Sends the create (up to a few times), finding out after an ambiguous
 * failure whether it was made (adopted: CORE_OK) before sending it again.
 * On failure the caller releases the reservation and removes the bytes —
 * unless *in_doubt: then the reconciler owns both and undoes the create. */
enum core_code reconcile_create(struct core *c, const struct reconcile_create *rq, char id_out[static IDS_MAX],
                                int *in_doubt, struct core_status *st);

/* reconcile.c — after a create succeeded upstream whose record cannot be
 * confirmed: deletes the object upstream (0), or, when the upstream cannot
 * be asked now, hands the reservation to the reconciler to undo (-1; the
 * reservation and the bytes it names are then the reconciler's). */
int reconcile_undo_created(struct core *c, const struct reconcile_create *rq, const char *id);

/* reconcile.c — a reservation a dead node left, now this node's
 * (fleet.c): released at once when its create was certainly never sent,
 * else settled as a crash's (adopted when the upstream made it). */
void reconcile_orphan(struct core *c, const struct store_pending *p);

/* create.c — the one create pipeline: reserve -> [blob] -> register
 * upstream -> confirm, shared by CreateAsset, upload and CompleteUpload. */
enum create_undo {
    CREATE_UNDO_RETRYABLE,  /* nothing stays upstream, and the bytes were not at fault: they may be tried again */
    CREATE_UNDO_REFUSED,    /* nothing stays upstream (never made, or deleted again); the bytes go */
    CREATE_UNDO_RECONCILER, /* in doubt: the reconciler owns the reservation and the bytes it names */
};
struct core_create;
struct core_create_ops {
    /* Optional: the reservation (fills cr->handle, records cr->tag); NULL:
     * a pending asset row within the group's quota (reserve_asset). */
    enum core_code (*reserve)(struct core *c, struct core_create *cr, struct core_status *st);
    /* Optional blob step after the reservation: commit or judge the bytes.
     * A ServiceUnavailable/InternalError failure is retryable, any other
     * refuses the bytes. */
    enum core_code (*blob)(struct core *c, struct core_create *cr, struct core_status *st);
    int commits_bytes; /* the blob step writes cr->blob_key: undoing removes it */
    /* Optional: undoes the reservation; NULL: the bytes (when this create
     * stored them) go, then the pending row. Nothing to do when in doubt. */
    void (*release)(struct core *c, struct core_create *cr, enum create_undo how);
    /* Optional: after the confirm, before the refresher is kicked. */
    void (*confirmed)(struct core *c, struct core_create *cr, const char *id, int64_t now_ms);
};
struct core_create {
    const struct customer *cu;
    const struct actor *who; /* who registers it (audit); NULL: nobody known */
    const char *group_id, *asset_type;
    const char *name;       /* the customer's; NULL: none */
    const char *url;        /* what the upstream fetches */
    const char *record_url; /* what the pending row keeps ("" or NULL: none) */
    const char *blob_key;   /* bytes Portico stores; NULL: none */
    int64_t bytes;          /* how many (usage: bytes stored and uploaded); 0 for none */
    const char *sha256;     /* the bytes' hash (content hash), with the default reserve; NULL: none */
    const struct core_create_ops *ops; /* NULL: all defaults */
    void *ctx;                         /* the caller's, for ops */
    /* set by the pipeline */
    int64_t handle, reserved_ms;
    int64_t deadline; /* mono: the waits of this create end by then (budget_deadline) */
    int slot;         /* the reservation holds a place in flight (reserve sets it) */
    char tag[STORE_TAG_MAX];
    int bytes_stored;
};
/* Content hash: how long a create that finds the same bytes being
 * registered in its group (CORE_CONFLICT) waits for that asset, looking
 * again every slice (upload.c, upload_session.c). */
#define SAME_BYTES_WAIT_MS 30000 /* longer than a create's upstream call with its retries */
#define SAME_BYTES_SLICE_MS 100
/* Runs the pipeline: CORE_OK with the upstream id, or the first failure in
 * st with everything before it undone (see create.c for the rule). */
enum core_code core_create_pipeline(struct core *c, struct core_create *cr, char id_out[static IDS_MAX],
                                    struct core_status *st);
/* The confirmed asset as the caller answers it, with a fresh media URL. */
void core_created_asset(struct core *c, const struct core_create *cr, const char *id, struct asset *out);

/* liveness.c — what a session's scan outcome means for the records:
 * shared by GetVisualValidateResult and the background poller. */
#define LIVENESS_LATE_MS (10 * 60 * 1000) /* past expiry, the upstream is still asked this long */
/* A passed scan's group becomes the customer's (the session's place turns
 * into it); CORE_QUOTA_EXCEEDED when a session that held no place finds
 * the customer at the quota: the group is then removed upstream and the
 * session closed. CORE_TOKEN_EXPIRED when the session was closed. */
/* Closes a pending session as state (EXPIRED or FAILED), with its
 * LivenessFailed event, in one store transaction. */
enum store_result liveness_close(struct core *c, int64_t customer_id, const char *token,
                                 enum store_session_state state, const char *result_code, int64_t now_ms);
/* The result code a failed or expired scan is recorded with (audit): the
 * H5 page's resultCode when the upstream's message carries one, else
 * "ValidateFailed" or "TokenExpired". */
void liveness_result_code(const struct up_validate_result *res, char out[static 32]);
enum core_code liveness_record(struct core *c, int64_t customer_id, const char *token, const char *group_id,
                               char group_id_out[static IDS_MAX], struct core_status *st);
/* Deletes a LivenessFace group upstream that no record may own; 0 when it is gone. */
int liveness_delete_upstream(struct core *c, int64_t customer_id, const char *group_id);

/* liveness_poller.c — fetches every pending session's outcome in the
 * background (leased, several nodes share it) and sweeps orphans. */
struct poller *liveness_poller_start(struct core *c);

/* upload_session.c — ends expired upload sessions, each on one node. */
struct poller *upload_expiry_start(struct core *c);

/* outbox.c — delivers webhook notifications (leased, several nodes share
 * the outbox) and prunes old events. Setting c->outbox_stopping aborts
 * the deliveries in flight (their leases lapse: they are sent again). */
struct poller *outbox_start(struct core *c);

/* video_refresher.c — keeps queued/running video tasks fresh. */
struct poller *video_refresher_start(struct core *c);
/* When a queued/running task created at create_ms should next be polled. */
int64_t video_next_poll(int64_t now_ms, int64_t create_ms);

/* videos.c — what the waiter shares with the create. */
/* Starts req upstream (its asset:// all Active), paying from the create
 * budget: CORE_OK with the upstream's task id; a 400 refusal by the
 * upstream is InvalidParameter with st->upstream_code set. */
enum core_code video_submit(struct core *c, int64_t customer_id, const struct core_video_request *req,
                            char upstream_id[static IDS_MAX], struct core_status *st);

/* video_waiter.c — generation that waits for its assets (wait_for_assets). */
/* Records req (checked, its assets the caller's and none Failed) as a task
 * waiting_for_assets, submitted by the waiter once every asset is Active. */
enum core_code video_wait(struct core *c, const struct customer *cu, const struct core_video_request *req,
                          struct video_task *out, struct core_status *st);
struct poller *video_waiter_start(struct core *c);

/* inline_asset.c — register_asset: the item's image becomes an asset of
 * the caller (content-hashed: the same bytes give the same asset); id_out
 * its id. i names the item in messages. */
enum core_code inline_asset(struct core *c, const struct customer *cu, const struct actor *who, size_t i,
                            const struct core_video_item *it,
                            char id_out[static IDS_MAX], struct core_status *st);

#endif
