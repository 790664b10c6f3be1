/* ops.c — the one store_ops table of both backends: every operation is
 * written once over the driver (driver.h); close and the leases, which
 * differ per backend, go to the store's driver. */
#include <string.h>

#include "store/driver.h"

static void sql_close(struct store *s)
{
    if (s)
        sql_driver_of(s)->close(s);
}

/* The leases' arguments are checked here, once, for both backends; the SQL
 * is the backend's (sqlite_leases.c, pg_leases.c). limit 0 asks for nothing
 * (video tasks: a caller's error). One typed wrapper per list type: */
#define LEASE_OP(fn, kind, list_type, zero_limit)                                                             \
    static enum store_result fn(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit, list_type *out) \
    {                                                                                                         \
        if (!out || lease_ms < 0 || (limit == 0 && (zero_limit) != STORE_OK))                                 \
            return STORE_ERROR;                                                                               \
        memset(out, 0, sizeof *out);                                                                          \
        if (limit == 0)                                                                                       \
            return STORE_OK;                                                                                  \
        void *items = NULL;                                                                                   \
        enum store_result r = sql_lease(s, &sql_driver_of(s)->leases->kind, now_ms, lease_ms, limit, &items,  \
                                        &out->n);                                                             \
        out->items = items;                                                                                   \
        return r;                                                                                             \
    }
LEASE_OP(sql_lease_due_assets, assets, struct asset_list, STORE_OK)
LEASE_OP(sql_lease_due_video_tasks, video_tasks, struct video_task_list, STORE_ERROR)
LEASE_OP(sql_lease_due_sessions, sessions, struct validate_session_list, STORE_OK)
LEASE_OP(sql_lease_due_notifications, notifications, struct notification_job_list, STORE_OK)
LEASE_OP(sql_lease_waiting_video_tasks, waiting_video_tasks, struct video_task_list, STORE_ERROR)

const struct store_ops sql_store_ops = {
    .close = sql_close,
    .ping = sql_ping,
    /* customers and keys (keys.c) */
    .put_customer = sql_put_customer,
    .add_key = sql_add_key,
    .find_key = sql_find_key,
    .list_keys = sql_list_keys,
    .list_api_keys = sql_list_api_keys,
    .revoke_key = sql_revoke_key,
    /* the operators' API (customers.c, admin_keys.c) */
    .create_customer = sql_create_customer,
    .get_customer = sql_get_customer,
    .list_customers = sql_list_customers,
    .update_customer = sql_update_customer,
    .add_admin_key = sql_add_admin_key,
    .find_admin_key = sql_find_admin_key,
    .list_admin_keys = sql_list_admin_keys,
    .revoke_admin_key = sql_revoke_admin_key,
    /* groups (groups.c) */
    .reserve_group = sql_reserve_group,
    .confirm_group = sql_confirm_group,
    .release_group = sql_release_group,
    .get_group = sql_get_group,
    .list_groups = sql_list_groups,
    .update_group = sql_update_group,
    .delete_group = sql_delete_group,
    /* assets and the refresher (assets.c) */
    .reserve_asset = sql_reserve_asset,
    .confirm_asset = sql_confirm_asset,
    .release_asset = sql_release_asset,
    .get_asset = sql_get_asset,
    .list_assets = sql_list_assets,
    .update_asset = sql_update_asset,
    .delete_asset = sql_delete_asset,
    .set_asset_status = sql_set_asset_status,
    .schedule_poll = sql_schedule_poll,
    .count_assets = sql_count_assets,
    .reserve_content_asset = sql_reserve_content_asset,
    .find_asset_by_sha256 = sql_find_asset_by_sha256,
    /* liveness sessions (sessions.c) */
    .create_session = sql_create_session,
    .get_session = sql_get_session,
    .record_session_group = sql_record_session_group,
    .close_session = sql_close_session,
    .lease_due_sessions = sql_lease_due_sessions,
    .schedule_session_poll = sql_schedule_session_poll,
    .oldest_pending_session = sql_oldest_pending_session,
    .group_known = sql_group_known,
    /* blob keys (reconcile.c) */
    .list_group_blob_keys = sql_list_group_blob_keys,
    /* video tasks (videos.c) */
    .insert_video_task = sql_insert_video_task,
    .get_video_task = sql_get_video_task,
    .update_video_task = sql_update_video_task,
    .insert_waiting_video_task = sql_insert_waiting_video_task,
    .get_video_submit = sql_get_video_submit,
    .submit_video_task = sql_submit_video_task,
    .lease_waiting_video_tasks = sql_lease_waiting_video_tasks,
    /* leases (sqlite_leases.c, pg_leases.c) */
    .lease_due_assets = sql_lease_due_assets,
    .lease_due_video_tasks = sql_lease_due_video_tasks,
    /* reconciliation (reconcile.c) */
    .list_pending = sql_list_pending,
    /* idempotency (idem.c) */
    .idem_claim = sql_idem_claim,
    .idem_complete = sql_idem_complete,
    .idem_release = sql_idem_release,
    .idem_expire = sql_idem_expire,
    /* upload sessions (uploads.c) */
    .create_upload = sql_create_upload,
    .get_upload = sql_get_upload,
    .get_upload_by_key = sql_get_upload_by_key,
    .upload_set_state = sql_upload_set_state,
    .upload_begin_complete = sql_upload_begin_complete,
    .upload_cancel_complete = sql_upload_cancel_complete,
    .lease_expired_uploads = sql_lease_expired_uploads,
    /* events and webhooks (events.c) */
    .append_event = sql_append_event_alone,
    .list_events = sql_list_events,
    .find_event = sql_find_event,
    .last_event_seq = sql_last_event_seq,
    .prune_events = sql_prune_events,
    .get_notify_config = sql_get_notify_config,
    .put_notify_config = sql_put_notify_config,
    .delete_notify_config = sql_delete_notify_config,
    .list_notifications = sql_list_notifications,
    .lease_due_notifications = sql_lease_due_notifications,
    .finish_notification = sql_finish_notification,
    /* usage metering (usage.c, usage_recount.c) */
    .add_usage = sql_add_usage,
    .get_usage = sql_get_usage,
    .free_usage_report = sql_free_usage_report,
    .usage_stocks = sql_usage_stocks,
    .usage_recount = sql_usage_recount,
    /* the audit log (audit.c) */
    .list_audit = sql_list_audit,
    /* the fleet (fleet.c) */
    .shared = sql_fleet_shared,
    .fleet_join = sql_fleet_join,
    .fleet_heartbeat = sql_fleet_heartbeat,
    .fleet_leave = sql_fleet_leave,
    .lease_tokens = sql_lease_tokens,
    .grant_slots = sql_grant_slots,
    .fleet_status = sql_fleet_status,
    .take_over_dead = sql_take_over_dead,
};
