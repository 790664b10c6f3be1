/* portrait.c — the Action endpoint, POST /v1/portrait/?Action=&Version=:
 * the second level of the route table (router.c), as a Redis command's
 * subcommands.
 *
 * One row per Action: name, handler, whether it may block on the upstream
 * (the HTTP front then runs it on a worker thread), and, for the creates
 * that take a ClientToken, the fields that make two requests the same. The
 * generic checks — key, body size, draining, JSON object, Action and
 * Version (the dispatcher, through portrait_actions), the ClientToken of a create
 * (portrait_handle) — are written once; handlers only translate fields to
 * core calls. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/buf.h"

/* A handler sets *result on success or returns an error code in st. */
typedef enum core_code (*action_fn)(struct api *a, const struct customer *cu, const struct actor *who,
                                    json_t *body, json_t **result, struct core_status *st);

/* For the hottest reads: writes the Result JSON text itself instead of
 * building a jansson tree (see render.c). Or, for an Action that may answer
 * later (WaitAsset), sets resp->park (api.h) and leaves out empty. */
typedef enum core_code (*action_raw_fn)(struct api *a, const struct api_request *req, struct api_call *call,
                                        struct api_response *resp, struct buf *out, struct core_status *st);

#define ONCE_FIELDS_MAX 6

struct action {
    const char *name;
    action_fn fn;
    int slow;             /* may call the upstream */
    action_raw_fn raw_fn; /* when set, used instead of fn */
    /* Creates with a ClientToken: the string fields that make two requests
     * "the same" (NULL-terminated). portrait_handle claims the token and
     * answers a repeat {"Id": <the first Id>}; the handler only creates.
     * NULL: no ClientToken, or one the handler's core call takes itself
     * (CreateUploadSession: its sameness includes a number and its repeat
     * is the session's PUT signed again). */
    const char *const once[ONCE_FIELDS_MAX + 1];
};

static json_t *id_result(const char *id)
{
    return json_pack("{s:s}", "Id", id);
}

/* ---- groups ---- */

static enum core_code create_asset_group(struct api *a, const struct customer *cu, const struct actor *who,
                                         json_t *body, json_t **result, struct core_status *st)
{
    const char *name = NULL, *type = NULL, *desc = NULL;
    if (param_string(body, "Name", &name, st) || param_string(body, "GroupType", &type, st) ||
        param_string(body, "Description", &desc, st))
        return st->code;
    char id[IDS_MAX];
    if (core_create_group(a->core, cu, name, desc, type, id, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

static enum core_code get_asset_group(struct api *a, const struct customer *cu, const struct actor *who,
                                      json_t *body, json_t **result, struct core_status *st)
{
    const char *id = NULL;
    struct group g;
    if (param_string(body, "Id", &id, st) || core_get_group(a->core, cu, id, &g, st))
        return st->code;
    *result = render_group(&g);
    return CORE_OK;
}

static enum core_code page_params(json_t *body, int *number, int *size, struct core_status *st)
{
    *number = 1;
    *size = CORE_PAGE_SIZE_DEFAULT;
    if (param_int(body, "PageNumber", number, st) || param_int(body, "PageSize", size, st))
        return st->code;
    return CORE_OK;
}

static json_t *page_result(json_t *items, int64_t total, int number, int size)
{
    return json_pack("{s:o, s:I, s:i, s:i}", "Items", items, "TotalCount", (json_int_t)total, "PageNumber", number,
                     "PageSize", size);
}

static enum core_code list_asset_groups(struct api *a, const struct customer *cu, const struct actor *who,
                                        json_t *body, json_t **result, struct core_status *st)
{
    struct group_filter f = {0};
    json_t *filter = NULL;
    int number, size;
    if (page_params(body, &number, &size, st) || param_object(body, "Filter", &filter, st))
        return st->code;
    if (filter && (param_string(filter, "GroupType", &f.type, st) || param_string(filter, "Name", &f.name_sub, st)))
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.%s", st->message);
    struct group_list l = {0};
    if (core_list_groups(a->core, cu, &f, number, size, &l, st))
        return st->code;
    json_t *items = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(items, render_group(&l.items[i]));
    free(l.items);
    *result = page_result(items, l.total, number, size);
    return CORE_OK;
}

static enum core_code update_asset_group(struct api *a, const struct customer *cu, const struct actor *who,
                                         json_t *body, json_t **result, struct core_status *st)
{
    const char *id = NULL, *name = NULL, *desc = NULL;
    if (param_string(body, "Id", &id, st) || param_string(body, "Name", &name, st) ||
        param_string(body, "Description", &desc, st) || core_update_group(a->core, cu, id, name, desc, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

static enum core_code delete_asset_group(struct api *a, const struct customer *cu, const struct actor *who,
                                         json_t *body, json_t **result, struct core_status *st)
{
    const char *id = NULL;
    if (param_string(body, "Id", &id, st) || core_delete_group(a->core, cu, who, id, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

/* ---- assets ---- */

static enum core_code create_asset(struct api *a, const struct customer *cu, const struct actor *who,
                                   json_t *body, json_t **result, struct core_status *st)
{
    const char *group = NULL, *url = NULL, *type = NULL, *name = NULL;
    if (param_string(body, "GroupId", &group, st) || param_string(body, "URL", &url, st) ||
        param_string(body, "AssetType", &type, st) || param_string(body, "Name", &name, st))
        return st->code;
    char id[IDS_MAX];
    if (core_create_asset(a->core, cu, who, group, url, type, name, id, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

static enum core_code get_asset(struct api *a, const struct api_request *req, struct api_call *call,
                                struct api_response *resp, struct buf *out, struct core_status *st)
{
    const char *id = NULL;
    struct asset as;
    if (param_string(call->body, "Id", &id, st) || core_get_asset(a->core, &call->cu, id, &as, st))
        return st->code;
    core_asset_media_url(a->core, &as); /* uploads: a freshly signed URL */
    if (render_asset_text(&as, out) != 0)
        return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
    return CORE_OK;
}

static enum core_code list_assets(struct api *a, const struct customer *cu, const struct actor *who,
                                  json_t *body, json_t **result, struct core_status *st)
{
    struct asset_filter f = {0};
    json_t *filter = NULL;
    const char **groups = NULL, **statuses = NULL;
    int number, size;
    if (page_params(body, &number, &size, st) || param_object(body, "Filter", &filter, st))
        return st->code;
    if (filter &&
        (param_strings(filter, "GroupIds", CORE_FILTER_IDS_MAX, &groups, &f.n_group_ids, st) ||
         param_strings(filter, "Statuses", 3, &statuses, &f.n_statuses, st) ||
         param_string(filter, "AssetType", &f.type, st) || param_string(filter, "Name", &f.name_sub, st))) {
        free(groups);
        free(statuses);
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.%s", st->message);
    }
    f.group_ids = groups;
    f.statuses = statuses;
    struct asset_list l = {0};
    enum core_code rc = core_list_assets(a->core, cu, &f, number, size, &l, st);
    free(groups);
    free(statuses);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < l.n; i++) {
        core_asset_media_url(a->core, &l.items[i]); /* uploads: a freshly signed URL */
        json_array_append_new(items, render_asset(&l.items[i]));
    }
    free(l.items);
    *result = page_result(items, l.total, number, size);
    return CORE_OK;
}

static enum core_code update_asset(struct api *a, const struct customer *cu, const struct actor *who,
                                   json_t *body, json_t **result, struct core_status *st)
{
    const char *id = NULL, *name = NULL;
    if (param_string(body, "Id", &id, st) || param_string(body, "Name", &name, st) ||
        core_update_asset(a->core, cu, id, name, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

static enum core_code delete_asset(struct api *a, const struct customer *cu, const struct actor *who,
                                   json_t *body, json_t **result, struct core_status *st)
{
    const char *id = NULL;
    if (param_string(body, "Id", &id, st) || core_delete_asset(a->core, cu, who, id, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

static const struct action actions[] = {
    /* name                 handler  slow  raw handler  ClientToken: what makes a repeat the same */
    {"CreateAssetGroup", create_asset_group, 1, NULL, {"Name", "GroupType", "Description"}},
    {"GetAssetGroup", get_asset_group, 0, NULL, {NULL}},
    {"ListAssetGroups", list_asset_groups, 0, NULL, {NULL}},
    {"UpdateAssetGroup", update_asset_group, 1, NULL, {NULL}},
    {"DeleteAssetGroup", delete_asset_group, 1, NULL, {NULL}},
    {"CreateAsset", create_asset, 1, NULL, {"GroupId", "URL", "AssetType", "Name"}},
    {"GetAsset", NULL, 0, get_asset, {NULL}},
    {"ListAssets", list_assets, 0, NULL, {NULL}},
    {"UpdateAsset", update_asset, 1, NULL, {NULL}},
    {"DeleteAsset", delete_asset, 1, NULL, {NULL}},
    /* liveness (api/liveness.c) */
    {"CreateVisualValidateSession", liveness_create_session, 1, NULL, {NULL}},
    {"GetVisualValidateResult", liveness_get_result, 1, NULL, {NULL}},
    /* upload sessions (api/upload_session.c); CreateUploadSession's
     * ClientToken: core_offer_upload_session */
    {"CreateUploadSession", upload_session_create, 1, NULL, {NULL}},
    {"CompleteUpload", upload_session_complete, 1, NULL, {NULL}},
    {"AbortUpload", upload_session_abort, 1, NULL, {NULL}},
    /* notifications (api/notify.c) */
    {"UpdateNotificationConfig", notify_update_config, 0, NULL, {NULL}},
    {"GetNotificationConfig", notify_get_config, 0, NULL, {NULL}},
    {"DeleteNotificationConfig", notify_delete_config, 0, NULL, {NULL}},
    {"ListNotifications", notify_list, 0, NULL, {NULL}},
    /* waiting (api/events.c): may park the request, never on a worker */
    {"WaitAsset", NULL, 0, wait_asset, {NULL}},
};

static const struct action *find_action(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(actions[i].name, name) == 0)
            return &actions[i];
    return NULL;
}

static int portrait_is_slow(const char *action)
{
    const struct action *act = find_action(action);
    return act && act->slow;
}

static const char *portrait_find(const char *name, struct api_call *call)
{
    call->act = find_action(name);
    return call->act ? call->act->name : NULL;
}

const struct action_set portrait_actions = {portrait_find, portrait_is_slow};

/* The ClientToken of a create, claimed once for every creating Action:
 * the fields that make a repeat the same are type-checked in the row's
 * order, then the token. CORE_OK with once->replay set: answer that. */
static enum core_code once_begin(struct api *a, const struct action *act, const struct customer *cu, json_t *body,
                                 struct core_once *once, struct core_status *st)
{
    const char *fields[ONCE_FIELDS_MAX] = {0}, *token = NULL;
    size_t n = 0;
    for (; n < ONCE_FIELDS_MAX && act->once[n]; n++)
        if (param_string(body, act->once[n], &fields[n], st))
            return st->code;
    if (param_string(body, "ClientToken", &token, st))
        return st->code;
    return core_once_begin(a->core, cu, token, act->name, fields, n, once, st);
}

void portrait_handle(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    const struct action *act = call->act;
    struct core_status st = {0};
    json_t *result = NULL;

    if (act->raw_fn) {
        struct buf raw;
        buf_init(&raw, 16 * 1024 * 1024);
        if (act->raw_fn(a, req, call, resp, &raw, &st)) {
            buf_free(&raw);
            goto fail;
        }
        if (resp->park) { /* answered when the front wakes it */
            buf_free(&raw);
            return;
        }
        envelope_ok_text(req, call->to.action, call->to.version, a->region, raw.data ? raw.data : "{}", resp);
        buf_free(&raw);
        return;
    }
    struct core_once once = {0};
    if (act->once[0]) {
        if (once_begin(a, act, &call->cu, call->body, &once, &st))
            goto fail;
        if (once.replay[0]) { /* a repeat: the first Id, nothing created */
            envelope_ok(req, call->to.action, call->to.version, a->region, id_result(once.replay), resp);
            return;
        }
    }
    enum core_code rc = act->fn(a, &call->cu, &call->who, call->body, &result, &st);
    if (act->once[0])
        core_once_end(a->core, &once, rc == CORE_OK ? json_string_value(json_object_get(result, "Id")) : NULL);
    if (rc)
        goto fail;
    if (!result) {
        core_fail(&st, CORE_INTERNAL_ERROR, NULL);
        goto fail;
    }
    envelope_ok(req, call->to.action, call->to.version, a->region, result, resp);
    return;

fail:
    json_decref(result);
    api_fail(a, req, &call->to, &st, resp);
}
