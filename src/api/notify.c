/* notify.c — the notification Actions of API.md §4a:
 * UpdateNotificationConfig, GetNotificationConfig, DeleteNotificationConfig
 * and ListNotifications. They translate fields to core/notify.c and back;
 * none calls the upstream. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/clock.h"

static json_t *events_array(int mask)
{
    json_t *arr = json_array();
    for (int k = 0; k < EVENT_KINDS; k++)
        if (mask & EVENT_BIT(k))
            json_array_append_new(arr, json_string(core_event_type(k)));
    return arr;
}

enum core_code notify_update_config(struct api *a, const struct customer *cu, const struct actor *who,
                                    json_t *body, json_t **result, struct core_status *st)
{
    const char *url = NULL, **events = NULL;
    size_t n_events = 0;
    json_t *rotate = json_object_get(body, "RotateSecret");
    if (rotate && !json_is_null(rotate) && !json_is_boolean(rotate))
        return core_fail(st, CORE_INVALID_PARAMETER, "RotateSecret must be true or false.");
    json_t *ev = json_object_get(body, "Events");
    int has_events = ev && !json_is_null(ev);
    if (param_string(body, "URL", &url, st) || param_strings(body, "Events", 16, &events, &n_events, st))
        return st->code;
    struct notify_config cfg;
    int shown = 0;
    enum core_code rc = core_update_notify_config(a->core, cu, url, events, n_events, has_events,
                                                  json_is_true(rotate), &cfg, &shown, st);
    free(events);
    if (rc)
        return rc;
    *result = json_pack("{s:s, s:o}", "URL", cfg.url, "Events", events_array(cfg.events));
    if (shown)
        json_object_set_new(*result, "Secret", json_string(cfg.secret));
    return CORE_OK;
}

enum core_code notify_get_config(struct api *a, const struct customer *cu, const struct actor *who,
                                 json_t *body, json_t **result, struct core_status *st)
{
    struct notify_config cfg;
    if (core_get_notify_config(a->core, cu, &cfg, st))
        return st->code;
    size_t n = strlen(cfg.secret);
    *result = json_pack("{s:s, s:o, s:s}", "URL", cfg.url, "Events", events_array(cfg.events), "SecretHint",
                        n >= 4 ? cfg.secret + n - 4 : "");
    return CORE_OK;
}

enum core_code notify_delete_config(struct api *a, const struct customer *cu, const struct actor *who,
                                    json_t *body, json_t **result, struct core_status *st)
{
    if (core_delete_notify_config(a->core, cu, st))
        return st->code;
    *result = json_object();
    return CORE_OK;
}

static json_t *render_notification(const struct notification *n)
{
    char created[21], next[21];
    clock_rfc3339(n->create_ms, created);
    clock_rfc3339(n->next_attempt_ms, next);
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:s}", "Id", n->event_id, "Type", n->type, "Status",
                     core_notify_status_name(n->status), "Attempts", n->attempts, "LastStatusCode",
                     n->last_status_code, "NextAttemptTime",
                     n->status == NOTIFY_PENDING ? json_string(next) : json_null(), "CreateTime", created);
}

enum core_code notify_list(struct api *a, const struct customer *cu, const struct actor *who,
                           json_t *body, json_t **result, struct core_status *st)
{
    json_t *filter = NULL;
    const char **statuses = NULL;
    size_t n_statuses = 0;
    int number = 1, size = CORE_PAGE_SIZE_DEFAULT;
    if (param_int(body, "PageNumber", &number, st) || param_int(body, "PageSize", &size, st) ||
        param_object(body, "Filter", &filter, st))
        return st->code;
    if (filter && param_strings(filter, "Statuses", 3, &statuses, &n_statuses, st))
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.%s", st->message);
    struct notification_list l = {0};
    enum core_code rc = core_list_notifications(a->core, cu, statuses, n_statuses, number, size, &l, st);
    free(statuses);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(items, render_notification(&l.items[i]));
    free(l.items);
    *result = json_pack("{s:o, s:I, s:i, s:i}", "Items", items, "TotalCount", (json_int_t)l.total, "PageNumber",
                        number, "PageSize", size);
    return CORE_OK;
}
