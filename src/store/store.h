/* store.h — port 1: Portico's records, in the domain's words.
 *
 * Both backends, sqlite.c (embedded default) and pg.c (several nodes on one
 * PostgreSQL), share one ops table: the operations are written once over a
 * narrow SQL driver (store/driver.h). No SQL exists outside store/. Every
 * operation is thread-safe and
 * atomic. Operations that take a customer_id only ever see that customer's
 * rows: a row of another customer is reported as STORE_NOT_FOUND, exactly
 * like a row that does not exist.
 *
 * Creates happen in two steps so that quotas are exact and the upstream is
 * never called for a create that would exceed them: reserve_* checks the
 * quota and inserts a pending row in one transaction (pending rows count
 * toward the quota and are invisible to reads); after the upstream call,
 * confirm_* gives the row its upstream id and makes it visible, or
 * release_* deletes it. Pending rows left by a crash are listed by
 * list_pending and settled by core/reconcile.c (adopted when the upstream
 * made the object, else released).
 *
 * The fleet (store/fleet.c): the nodes sharing the store, and the upstream
 * account's budget they share. A node joins (fleet_join) before it serves;
 * from then on every reservation records the node whose request holds it,
 * and an asset's reservation queues for one of the account's creations in
 * flight (UPSTREAM.md: assets still Processing), taking it at once when
 * its turn has come: the reservation row holds it while the create is
 * sent and the asset Processing, and gives it back by settling (Active,
 * Failed, deleted, released). */
#ifndef PORTICO_STORE_H
#define PORTICO_STORE_H
#ifdef PORTICO_NO_PORTS /* set for src/api and src/http by the Makefile */
#error "api/ and http/ reach the ports only through core/ (core/core.h); see DESIGN.md"
#endif
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h" /* the records: struct customer, group, asset, ... */
#include "util/ids.h"

enum store_result {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* no such row for this customer (or deleted, or pending) */
    STORE_QUOTA,       /* the reservation would exceed the quota */
    STORE_QUOTA_PENDING, /* it would, but only while creates in flight hold places: they may yet be released */
    STORE_CONFLICT,    /* unique constraint (e.g. customer name race) */
    STORE_UNAVAILABLE, /* the database cannot be reached or is busy past its timeout */
    STORE_ERROR,       /* anything else; logged by the backend */
};

typedef void (*store_key_fn)(void *ctx, const struct key_info *k);

/* reconciliation: a reservation (a pending group or asset row) whose
 * create may or may not have happened upstream. */
struct store_pending {
    int is_group;           /* 1: a group reservation; 0: an asset's */
    int64_t handle;
    int64_t customer_id;
    int64_t reserved_ms;    /* the now_ms given to reserve_*: with handle, the upstream tag */
    int group_deleted;      /* assets: the group was deleted while the reservation was pending */
    char type[16];          /* GroupType or AssetType */
    char group_id[IDS_MAX]; /* assets */
    char blob_key[128];     /* assets: "" unless the bytes are in Portico's blob store */
    char tag[STORE_TAG_MAX]; /* the tag given to reserve_*; "" for reservations older than tags */
    int maybe_sent;         /* take_over_dead: 0 when its create was certainly never sent upstream */
};

struct store_pending_list {
    struct store_pending *items; /* malloc'd; free(list.items) */
    size_t n;
};

/* idempotency: what claiming a ClientToken found. */
enum store_idem {
    STORE_IDEM_NEW,         /* the caller now holds the token: create, then complete or release */
    STORE_IDEM_SAME,        /* the same request completed before: result holds its answer */
    STORE_IDEM_DIFFERENT,   /* the token was used for a different request */
    STORE_IDEM_IN_PROGRESS, /* the same request is being created right now */
};

/* What upload_set_state writes besides the state; 0 / NULL: unchanged. */
struct upload_change {
    int64_t live_at_ms;     /* only if expire_ms > live_at_ms (not expired at that time) */
    const char *put_sha256;
    const char *asset_id;
    int64_t lease_ms;
};

/* The fleet (store/fleet.c). */
struct store_fleet_config {
    const char *node;     /* this node's name: unique, at most FLEET_NODE_MAX - 1 bytes */
    int max_inflight;     /* the account's creations in flight; 0: none are counted */
    int64_t slot_wait_ms; /* how long an asset's reservation waits in the queue for one */
};
/* A few tokens of one of the account's token buckets, for this node. */
struct store_token_lease {
    const char *bucket; /* "create", "mutate" or "get" */
    double rate, burst; /* the bucket's: tokens per second, most it holds */
    int want;           /* tokens asked for (at least 1) */
    int customers;      /* customers waiting for them here: this node's share when tokens are short */
    int granted;        /* out: tokens this node may spend now */
    int64_t retry_ms;   /* out, when fewer than wanted: how long before asking again is worth it */
    double fleet_rate, fleet_burst; /* out: the settings of the node that leased before (0: none) */
};

struct store;

struct store_ops {
    void (*close)(struct store *s);
    enum store_result (*ping)(struct store *s);

    /* Customers and API keys. */
    /* Finds the customer by name or creates it with aigc_enabled. An existing
     * customer keeps its id; its aigc flag is set to aigc_enabled. Audited
     * like create_customer and update_customer (who: `porticod keys
     * create`'s ACTOR_CLI; NULL: none known). */
    enum store_result (*put_customer)(struct store *s, const char *name, int aigc_enabled, const struct actor *who,
                                      struct customer *out);
    /* add_key and revoke_key write their audit entry (who: the admin key,
     * ACTOR_CLI, ...; NULL: none known) in the same transaction. */
    enum store_result (*add_key)(struct store *s, int64_t customer_id, const char *prefix,
                                 const uint8_t hash[32], int64_t now_ms, const struct actor *who);
    /* The customer owning an active (not revoked) key with this SHA-256
     * (a disabled customer too: the caller refuses it), and the key's
     * prefix into prefix_out (NULL, or room for 32 bytes). */
    enum store_result (*find_key)(struct store *s, const uint8_t hash[32], struct customer *out, char *prefix_out);
    /* Every key, oldest first. */
    enum store_result (*list_keys)(struct store *s, store_key_fn fn, void *ctx);
    /* Keys of customer_id (0: of every customer), newest first, with
     * their customer's name; page_number from 1, page_size 0: all. */
    enum store_result (*list_api_keys)(struct store *s, int64_t customer_id, int page_number, int page_size,
                                       struct key_list *out);
    /* NOT_FOUND if no active key has this prefix. */
    enum store_result (*revoke_key)(struct store *s, const char *prefix, int64_t now_ms, const struct actor *who);

    /* The operators' API (API.md §7). */
    /* A new customer from in's name, aigc_enabled, key_rate, disabled;
     * CONFLICT when the name is taken. out (may be NULL) gets the row.
     * Its CustomerCreated entry (who: the admin key; NULL: none known) is
     * written in the same transaction. */
    enum store_result (*create_customer)(struct store *s, const struct customer *in, int64_t now_ms,
                                         const struct actor *who, struct customer *out);
    /* With active_keys filled. NOT_FOUND for no such id. */
    enum store_result (*get_customer)(struct store *s, int64_t id, struct customer *out);
    /* Newest first; name_sub (NULL: any) a substring of the name;
     * page_number from 1. */
    enum store_result (*list_customers)(struct store *s, const char *name_sub, int page_number, int page_size,
                                        struct customer_list *out);
    /* Sets the fields f gives (name NULL, others -1: unchanged).
     * NOT_FOUND for no such id, CONFLICT when the name is taken. What
     * changed is audited in the same transaction (CustomerUpdated,
     * CustomerDisabled, CustomerEnabled; none when nothing did). */
    enum store_result (*update_customer)(struct store *s, int64_t id, const struct customer_fields *f,
                                         int64_t now_ms, const struct actor *who);
    /* Admin keys: stored as prefix and SHA-256, like customers' keys. */
    enum store_result (*add_admin_key)(struct store *s, const char *prefix, const uint8_t hash[32], int64_t now_ms,
                                       const struct actor *who);
    /* The active admin key with this SHA-256; NOT_FOUND otherwise. */
    enum store_result (*find_admin_key)(struct store *s, const uint8_t hash[32], struct admin_key_info *out);
    /* Every admin key, oldest first. */
    enum store_result (*list_admin_keys)(struct store *s, struct admin_key_list *out);
    /* NOT_FOUND if no active admin key has this prefix. */
    enum store_result (*revoke_admin_key)(struct store *s, const char *prefix, int64_t now_ms,
                                          const struct actor *who);

    /* Groups. Quota counts live and pending groups of the customer. tag
     * (NULL: "") is kept with the row: the upstream Name's tag.
     * reserve_* answer STORE_QUOTA_PENDING instead of STORE_QUOTA when the
     * quota is full only because of pending rows that creates in flight
     * hold (not a pending face scan's place, nor an upload session's
     * slot): the caller may wait for them to settle. */
    enum store_result (*reserve_group)(struct store *s, int64_t customer_id, const char *type,
                                       const char *name, const char *description, int max_groups,
                                       int64_t now_ms, const char *tag, int64_t *handle);
    enum store_result (*confirm_group)(struct store *s, int64_t handle, const char *id, int64_t now_ms);
    enum store_result (*release_group)(struct store *s, int64_t handle);
    enum store_result (*get_group)(struct store *s, int64_t customer_id, const char *id, struct group *out);
    /* Newest first; page_number from 1. */
    enum store_result (*list_groups)(struct store *s, int64_t customer_id, const struct group_filter *f,
                                     int page_number, int page_size, struct group_list *out);
    /* name or description NULL: unchanged. */
    enum store_result (*update_group)(struct store *s, int64_t customer_id, const char *id,
                                      const char *name, const char *description, int64_t now_ms);
    /* Marks the group and all its assets deleted, in one transaction,
     * with its audit entry (who: NULL for Portico itself) and counters. */
    enum store_result (*delete_group)(struct store *s, int64_t customer_id, const char *id, int64_t now_ms,
                                      const struct actor *who);

    /* Assets. Quota counts live and pending assets of the group; the group
     * must be a live group of customer_id, else STORE_NOT_FOUND. bytes:
     * how many of the asset's bytes Portico stores (0: none); who (NULL:
     * nobody known) registers it: both are kept with the row (usage,
     * audit). *slot (may be NULL) is 1 when the reservation took one of the
     * account's creations in flight (or none are counted: the node has
     * not joined the fleet), 0 when it waits for one (grant_slots). */
    enum store_result (*reserve_asset)(struct store *s, int64_t customer_id, const char *group_id,
                                       const char *type, const char *name, const char *url,
                                       const char *blob_key, int64_t bytes, const struct actor *who,
                                       int max_assets, int64_t now_ms, const char *tag, int64_t *handle,
                                       int *slot);
    /* Makes the asset visible as Processing with its upstream id; the first
     * refresher poll is due at next_poll_ms. Counted (usage) in the same
     * transaction, and audited when the group is a LivenessFace group
     * (who registered it, from the reservation). */
    enum store_result (*confirm_asset)(struct store *s, int64_t handle, const char *id, int64_t now_ms,
                                       int64_t next_poll_ms);
    enum store_result (*release_asset)(struct store *s, int64_t handle);
    enum store_result (*get_asset)(struct store *s, int64_t customer_id, const char *id, struct asset *out);
    /* Newest first; page_number from 1. */
    enum store_result (*list_assets)(struct store *s, int64_t customer_id, const struct asset_filter *f,
                                     int page_number, int page_size, struct asset_list *out);
    enum store_result (*update_asset)(struct store *s, int64_t customer_id, const char *id,
                                      const char *name, int64_t now_ms);
    /* With its audit entry (who: NULL for Portico itself) and counters. */
    enum store_result (*delete_asset)(struct store *s, int64_t customer_id, const char *id, int64_t now_ms,
                                      const struct actor *who);

    /* Refresher. These ignore customers: they are the gateway's own work. */
    /* Sets status (and reason, the upstream's error code and message, ""
     * for none) of a live asset; update_ms moves only when the status changes.
     * ev (NULL: none) is appended (append_event) in the same transaction
     * when, and only when, the status changes. */
    enum store_result (*set_asset_status)(struct store *s, const char *id, const char *status,
                                          const char *reason, const char *error_code,
                                          const char *error_message, int64_t now_ms, const struct event *ev);
    enum store_result (*schedule_poll)(struct store *s, const char *id, int64_t next_poll_ms, int polls);
    enum store_result (*count_assets)(struct store *s, struct asset_counts *out);

    /* Content hashes: uploaded and inline assets keep the SHA-256 (lower-case
     * hex) of their bytes, one live or pending asset per bytes and group. */
    /* reserve_asset that also records sha256; STORE_CONFLICT (nothing
     * reserved) when a live or pending asset of the group has it already. */
    enum store_result (*reserve_content_asset)(struct store *s, int64_t customer_id, const char *group_id,
                                               const char *type, const char *name, const char *url,
                                               const char *blob_key, const char *sha256, int64_t bytes,
                                               const struct actor *who, int max_assets, int64_t now_ms,
                                               const char *tag, int64_t *handle, int *slot);
    /* The live asset of the customer's group with these bytes; NOT_FOUND
     * when there is none (a pending one is not visible). */
    enum store_result (*find_asset_by_sha256)(struct store *s, int64_t customer_id, const char *group_id,
                                              const char *sha256, struct asset *out);

    /* liveness sessions */
    /* Records a new pending session (group_id, state and result_code
     * ignored) holding the group reservation group_handle (0: none), first
     * polled at next_poll_ms, started by actor from actor_addr, with its
     * audit entry. STORE_CONFLICT if the token is already recorded. */
    enum store_result (*create_session)(struct store *s, const struct validate_session *v, int64_t now_ms);
    /* NOT_FOUND for an unknown token and for another customer's token. */
    enum store_result (*get_session)(struct store *s, int64_t customer_id, const char *token,
                                     struct validate_session *out);
    /* Records, once, the LivenessFace group a passed scan created upstream.
     * One transaction: if the session has no group yet, the group takes
     * the place the session's reservation holds (confirmed as the live
     * group: type LivenessFace, name, empty description); a session
     * without a held reservation (one from before sessions held places)
     * checks the customer's group quota instead (STORE_QUOTA: nothing
     * changes) and inserts the group. The session becomes RECORDED. If it
     * has a group already, nothing changes. Either way group_out gets the
     * session's group, so concurrent callers all see the one group that was
     * recorded. STORE_CONFLICT when the session is closed. The session
     * that records its group gets result_code STORE_RESULT_PASSED, its
     * audit entry and its counters in the same transaction. */
    enum store_result (*record_session_group)(struct store *s, int64_t customer_id, const char *token,
                                              const char *group_id, const char *name, int max_groups,
                                              int64_t now_ms, char group_out[static IDS_MAX],
                                              const struct event *ev);
    /* The gateway's own work on sessions (customers ignored): */
    /* Closes a pending session as state (EXPIRED or FAILED) with
     * result_code (the upstream's word on the scan; NULL: ""), and
     * releases the group place it held, in one transaction with its audit
     * entry and counters. NOT_FOUND when it is not pending. ev (NULL: none)
     * is appended in the same transaction. */
    enum store_result (*close_session)(struct store *s, const char *token, enum store_session_state state,
                                       const char *result_code, int64_t now_ms, const struct event *ev);
    /* As lease_due_assets, for pending sessions with next_poll_ms <= now_ms. */
    enum store_result (*lease_due_sessions)(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                            struct validate_session_list *out);
    /* Ends a lease: the next poll of a pending session. */
    enum store_result (*schedule_session_poll)(struct store *s, const char *token, int64_t next_poll_ms,
                                               int polls);
    /* The create_ms of the oldest pending session (INT64_MAX when none). */
    enum store_result (*oldest_pending_session)(struct store *s, int64_t *create_ms_out);
    /* *known = 1 when a group row (any state) or a session names id. */
    enum store_result (*group_known)(struct store *s, const char *id, int *known);

    /* blobs (uploads: the bytes of an asset live in the blob store under
     * its blob_key, and must go when the record goes) */
    /* The group's assets that delete_group(.., now_ms = deleted_ms) marked
     * deleted and that have a blob_key, with only id and blob_key filled:
     * their bytes are removed after the records. */
    enum store_result (*list_group_blob_keys)(struct store *s, int64_t customer_id, const char *group_id,
                                              int64_t deleted_ms, struct asset_list *out);

    /* video tasks */
    /* Records a new task (status, result, times and next poll from t);
     * request_json is the customer's request, kept for the record.
     * STORE_CONFLICT if the id is already taken. */
    enum store_result (*insert_video_task)(struct store *s, const struct video_task *t, const char *request_json);
    /* NOT_FOUND for an unknown id and for another customer's task. */
    enum store_result (*get_video_task)(struct store *s, int64_t customer_id, const char *id, struct video_task *out);
    /* Refresher: sets status and result (video_url, error, usage) of task
     * t->id from t, and its next poll; update_ms becomes now_ms only when
     * status or result changed. Ignores customers. ev (NULL: none) is
     * appended in the same transaction when, and only when, the status
     * changes. */
    enum store_result (*update_video_task)(struct store *s, const struct video_task *t, int64_t now_ms,
                                           int64_t next_poll_ms, int polls, const struct event *ev);
    /* Generation that waits for its assets (core/video_waiter.c). */
    /* Records a new task waiting_for_assets (t->status), with submit_json,
     * what Portico will submit upstream once its assets are Active, and
     * t->deadline_ms, when it gives up; first looked at t->next_poll_ms.
     * STORE_CONFLICT if the id is already taken. */
    enum store_result (*insert_waiting_video_task)(struct store *s, const struct video_task *t,
                                                   const char *request_json, const char *submit_json);
    /* The submit_json of task id (any customer): *submit_out malloc'd. */
    enum store_result (*get_video_submit)(struct store *s, const char *id, char **submit_out);
    /* The waiting task was submitted upstream: it becomes queued with its
     * upstream id, first refreshed at next_poll_ms. NOT_FOUND (nothing
     * changes) when it is no longer waiting_for_assets. */
    enum store_result (*submit_video_task)(struct store *s, const char *id, const char *upstream_id, int64_t now_ms,
                                           int64_t next_poll_ms);
    /* As lease_due_video_tasks, for tasks waiting_for_assets;
     * update_video_task or submit_video_task ends the lease. */
    enum store_result (*lease_waiting_video_tasks)(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                                   struct video_task_list *out);

    /* leases (several nodes share the refresh work) */
    /* Atomically takes up to limit due rows (live, unsettled: any status
     * but Active and Failed, next_poll_ms <= now_ms, oldest due first, each
     * customer's k-th before anyone's (k+1)-th), skipping rows
     * another node is taking at this moment, and pushes their next_poll_ms
     * to now_ms + lease_ms: no other node polls them until the lease runs
     * out. The poller ends the lease by writing the real next poll
     * (schedule_poll) or a final status; a node that dies mid-lease just
     * lets it lapse and another node takes the asset. */
    enum store_result (*lease_due_assets)(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                          struct asset_list *out);
    /* The same for video tasks (queued or running, next_poll_ms <= now_ms,
     * oldest due first); update_video_task ends the lease. */
    enum store_result (*lease_due_video_tasks)(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                               struct video_task_list *out);

    /* reconciliation (core/reconcile.c resolves what these list) */
    /* Never-confirmed rows (pending, or asset reservations swept up by a
     * group delete) reserved before older_than_ms, oldest first, at most
     * limit. confirm_* adopts one (the upstream made it), release_* drops
     * it. */
    enum store_result (*list_pending)(struct store *s, int64_t older_than_ms, size_t limit,
                                      struct store_pending_list *out);

    /* idempotency: ClientTokens, one row per (customer, token). */
    /* In one transaction: no row, or a row created before expire_before_ms
     * (24 h old), or a row still in progress since before stale_before_ms
     * (its request died with its node) — the caller takes the token:
     * STORE_IDEM_NEW. Otherwise a row with another request_hash is
     * DIFFERENT; a completed one SAME (result copied out); else
     * IN_PROGRESS. */
    enum store_result (*idem_claim)(struct store *s, int64_t customer_id, const char *token, const char *request_hash,
                                    int64_t now_ms, int64_t expire_before_ms, int64_t stale_before_ms,
                                    enum store_idem *state, char result[static STORE_IDEM_RESULT_MAX]);
    /* Records the answer of a claimed token (result: at most
     * STORE_IDEM_RESULT_MAX - 1 bytes). */
    enum store_result (*idem_complete)(struct store *s, int64_t customer_id, const char *token, const char *result);
    /* Frees a claimed token whose create failed: the next try creates. */
    enum store_result (*idem_release)(struct store *s, int64_t customer_id, const char *token);
    /* Deletes rows created before before_ms; *n_out (may be NULL) gets how many. */
    enum store_result (*idem_expire)(struct store *s, int64_t before_ms, int *n_out);

    /* upload sessions (API.md §4b) */
    /* Records u (state OPEN) if the group is a live group of u->customer_id
     * (else NOT_FOUND) and its live and pending assets plus its holding
     * sessions are fewer than max_assets (else QUOTA), in one transaction. */
    enum store_result (*create_upload)(struct store *s, const struct upload_session *u, int max_assets, int64_t now_ms);
    /* NOT_FOUND for an unknown id and for another customer's session. */
    enum store_result (*get_upload)(struct store *s, int64_t customer_id, const char *id, struct upload_session *out);
    /* The session whose bytes go to blob_key (fs PUT URLs name the key). */
    enum store_result (*get_upload_by_key)(struct store *s, const char *blob_key, struct upload_session *out);
    /* Moves session id from any state in from_mask (STORE_UPLOAD_MASK bits)
     * to state `to`, writing what ch names; NOT_FOUND when no row was in
     * such a state (or it had expired by ch->live_at_ms). */
    enum store_result (*upload_set_state)(struct store *s, const char *id, int from_mask, int to, int64_t now_ms,
                                          const struct upload_change *ch);
    /* CompleteUpload, in one transaction: the customer's session in a state
     * of from_mask and not expired at now_ms (else NOT_FOUND / CONFLICT),
     * its group live (else NOT_FOUND); inserts a pending asset row (as
     * reserve_asset, without a quota check: the session's slot moves to
     * it, with the reconciliation tag) and sets the session COMPLETING.
     * *handle: the asset row's. sha256 (NULL or "": none) is recorded on
     * that row, as reserve_content_asset does: when a live or pending
     * asset of the group has it already, nothing changes, *same_bytes (may
     * be NULL) is set to 1 and the result is STORE_CONFLICT (a session that
     * moved is STORE_CONFLICT with *same_bytes 0). *slot as reserve_asset. */
    enum store_result (*upload_begin_complete)(struct store *s, int64_t customer_id, const char *id, int from_mask,
                                               const char *url, const char *tag, const char *sha256,
                                               const struct actor *who, int64_t now_ms, int64_t *handle,
                                               int *same_bytes, int *slot);
    /* Undoes upload_begin_complete in one transaction: drops the pending
     * asset row (handle) and sets the session back to state `to`. */
    enum store_result (*upload_cancel_complete)(struct store *s, const char *id, int64_t handle, int to,
                                                int64_t now_ms);
    /* Expiry, shared by every node: atomically takes up to limit sessions
     * that hold a slot and expired at or before expired_before_ms, or that
     * are ENDING with a lapsed lease, skipping rows another node takes at
     * this moment, and sets them ENDING with lease_ms = now_ms + lease_ms.
     * The caller removes their bytes and sets them ENDED. */
    enum store_result (*lease_expired_uploads)(struct store *s, int64_t now_ms, int64_t expired_before_ms,
                                               int64_t lease_ms, size_t limit, struct upload_session_list *out);

    /* events and webhooks (API.md §4a) */
    /* Appends ev (seq ignored) on its own: the state changes above append
     * theirs inside their own transactions. When the customer's config
     * subscribes to the event's kind, its notification is written too
     * (Pending, due at once). CONFLICT if the id is taken. */
    enum store_result (*append_event)(struct store *s, const struct event *ev);
    /* Events with seq > after_seq, in seq order, at most limit: one
     * customer's, or every customer's when customer_id is 0. */
    enum store_result (*list_events)(struct store *s, int64_t customer_id, int64_t after_seq, size_t limit,
                                     struct event_list *out);
    /* The customer's event by id (a Last-Event-ID): NOT_FOUND for an
     * unknown id and for another customer's. */
    enum store_result (*find_event)(struct store *s, int64_t customer_id, const char *id, struct event *out);
    /* The highest seq recorded (0 when none): where a new reader starts. */
    enum store_result (*last_event_seq)(struct store *s, int64_t *seq_out);
    /* Deletes events created before before_ms, with their notifications
     * (the caller first ends pending ones); *n_out (may be NULL) gets how
     * many events. */
    enum store_result (*prune_events)(struct store *s, int64_t before_ms, int *n_out);

    /* The customer's webhook: NOT_FOUND when none is set. */
    enum store_result (*get_notify_config)(struct store *s, int64_t customer_id, struct notify_config *out);
    /* Sets it (insert or replace, every field from cfg). */
    enum store_result (*put_notify_config)(struct store *s, const struct notify_config *cfg, int64_t now_ms);
    /* NOT_FOUND when none was set. Pending notifications stay: each fails
     * at its next attempt, finding no config. */
    enum store_result (*delete_notify_config)(struct store *s, int64_t customer_id);
    /* The customer's notifications whose status is in status_mask
     * (NOTIFY_STATUS_BIT; 0: all), newest first; page_number from 1. */
    enum store_result (*list_notifications)(struct store *s, int64_t customer_id, int status_mask, int page_number,
                                            int page_size, struct notification_list *out);
    /* As lease_due_assets, for Pending notifications with
     * next_attempt_ms <= now_ms (oldest due first), joined with their
     * event's body and the customer's config (url and secret "" when the
     * customer has none). finish_notification ends the lease. */
    enum store_result (*lease_due_notifications)(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                                 struct notification_job_list *out);
    /* Records an attempt's outcome: status, attempts, the receiver's
     * status code and (Pending) the next attempt. NOT_FOUND when the row
     * is gone or no longer Pending. */
    enum store_result (*finish_notification)(struct store *s, const char *event_id, int status, int attempts,
                                             int last_status_code, int64_t next_attempt_ms);

    /* usage metering (API.md §7 GetUsage; store/usage.c). The store
     * operations above count their own changes in their transactions; this
     * adds counts that are no store change (upstream calls, batched per
     * node), in one transaction. */
    enum store_result (*add_usage)(struct store *s, const struct usage_count *items, size_t n);
    /* The counters of customer_id (-1: every customer) for the days
     * from_day..to_day, the "live." stocks at the end of to_day, and the
     * customers' names, on one snapshot. STORE_QUOTA (nothing read) when
     * more than limit day rows match. free_usage_report frees it. */
    enum store_result (*get_usage)(struct store *s, int64_t customer_id, int64_t from_day, int64_t to_day,
                                   size_t limit, struct usage_report *out);
    void (*free_usage_report)(struct usage_report *out);
    /* Every customer's "live." stocks now (into ends, day 0) and their
     * names, on one snapshot. free_usage_report frees it. */
    enum store_result (*usage_stocks)(struct store *s, struct usage_report *out);
    /* Recounts from the records, on one snapshot, what they can tell
     * (groups, assets by status, bytes, uploads, video tasks, liveness
     * sessions) and lists every counter that disagrees (none: n == 0). */
    enum store_result (*usage_recount)(struct store *s, struct usage_mismatch_list *out);

    /* the audit log (API.md §7 ListAuditEvents; store/audit.c):
     * append-only, written by the operations above; newest first. */
    enum store_result (*list_audit)(struct store *s, const struct audit_filter *f, struct audit_list *out);
    /* The fleet (store/fleet.c). */
    /* 1 when other nodes may share these records (PostgreSQL). */
    int (*shared)(struct store *s);
    /* This node joins (or, after a lapse, joins again): its heartbeat row,
     * and cfg (copied) for its reservations from now on. */
    enum store_result (*fleet_join)(struct store *s, const struct store_fleet_config *cfg);
    /* The joined node's heartbeat (its row made again if another node
     * took it for dead); *now_ms (may be NULL): the database's clock. */
    enum store_result (*fleet_heartbeat)(struct store *s, int64_t *now_ms);
    /* The joined node leaves: its row and its leases go. */
    enum store_result (*fleet_leave)(struct store *s);
    /* Takes up to l->want tokens of the bucket (refilled at l->rate up
     * to l->burst since it was last leased, made full on first use). While
     * other nodes lease too, a node gets no more than its share of what is
     * there, by the customers waiting on each; l->retry_ms is longer for a
     * smaller share. */
    enum store_result (*lease_tokens)(struct store *s, struct store_token_lease *l);
    /* Of this node's asset reservations handles[0..n), those whose turn
     * has come take one of the account's creations in flight: granted[i]
     * is 1 when handles[i] holds one now (it may have before), 0 when it
     * still waits (or is gone). Turns: while places are short, every
     * customer's k-th waiting reservation comes before anyone's (k+1)-th,
     * counting the places each customer's assets hold already; a queue
     * shared by every node. */
    enum store_result (*grant_slots)(struct store *s, const int64_t *handles, size_t n, int *granted);
    /* The fleet's buckets (tokens as of now), creations in flight and
     * nodes, for /metrics. */
    enum store_result (*fleet_status)(struct store *s, struct fleet_status *out);
    /* Pending reservations whose node is gone (no heartbeat for
     * dead_after_ms, or no row) become this node's, in one transaction so
     * that one node settles each, and are listed (as list_pending, with
     * maybe_sent); the gone nodes' rows and leases are removed. A pending
     * face scan's place is not a create: it is left to its session. */
    enum store_result (*take_over_dead)(struct store *s, int64_t dead_after_ms, struct store_pending_list *out);
};

struct store {
    const struct store_ops *ops;
    void *impl;
};

/* Opens (creating if needed) <data_dir>/portico.db, applies migrations.
 * NULL on failure, with the reason logged. */
struct store *store_sqlite_open(const char *data_dir);
/* Connects to PostgreSQL (conninfo: a postgres:// URI or key=value
 * string), applies migrations once across nodes. NULL on failure, with the
 * reason logged. */
struct store *store_pg_open(const char *conninfo);
const char *store_result_str(enum store_result r);

#endif
