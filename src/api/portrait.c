/* portrait.c — the Action endpoint, POST /v1/portrait/?Action=&Version=.
 *
 * One row per Action: name, handler, and whether it may block on the
 * upstream (the HTTP front then runs it on a worker thread). The generic
 * checks — key, Action, Version, body size, JSON object — live once in
 * portrait_handle; handlers only translate fields to core calls. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/buf.h"

#define API_VERSION "2024-01-01"

/* A handler sets *result on success or returns an error code in st. */
typedef enum core_code (*action_fn)(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                    struct core_status *st);

/* For the hottest reads: writes the Result JSON text itself instead of
 * building a jansson tree (see render.c). */
typedef enum core_code (*action_raw_fn)(struct api *a, const struct customer *cu, json_t *body, struct buf *out,
                                        struct core_status *st);

struct action {
    const char *name;
    action_fn fn;
    int slow;            /* may call the upstream */
    action_raw_fn raw_fn; /* when set, used instead of fn */
};

static json_t *id_result(const char *id)
{
    return json_pack("{s:s}", "Id", id);
}

/* ---- groups ---- */

static enum core_code create_asset_group(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                         struct core_status *st)
{
    const char *name = NULL, *type = NULL, *desc = NULL, *token = NULL;
    if (param_string(body, "Name", &name, st) || param_string(body, "GroupType", &type, st) ||
        param_string(body, "Description", &desc, st) || param_string(body, "ClientToken", &token, st))
        return st->code;
    /* idempotency: a repeat of the same ClientToken answers the first Id */
    const char *fields[] = {name, type, desc};
    struct core_once once;
    if (core_once_begin(a->core, cu, token, "CreateAssetGroup", fields, 3, &once, st))
        return st->code;
    if (once.replay[0]) {
        *result = id_result(once.replay);
        return CORE_OK;
    }
    char id[IDS_MAX];
    enum core_code rc = core_create_group(a->core, cu, name, desc, type, id, st);
    core_once_end(a->core, &once, rc == CORE_OK ? id : NULL);
    if (rc)
        return rc;
    *result = id_result(id);
    return CORE_OK;
}

static enum core_code get_asset_group(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                      struct core_status *st)
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

static enum core_code list_asset_groups(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                        struct core_status *st)
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

static enum core_code update_asset_group(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                         struct core_status *st)
{
    const char *id = NULL, *name = NULL, *desc = NULL;
    if (param_string(body, "Id", &id, st) || param_string(body, "Name", &name, st) ||
        param_string(body, "Description", &desc, st) || core_update_group(a->core, cu, id, name, desc, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

static enum core_code delete_asset_group(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                         struct core_status *st)
{
    const char *id = NULL;
    if (param_string(body, "Id", &id, st) || core_delete_group(a->core, cu, id, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

/* ---- assets ---- */

static enum core_code create_asset(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                   struct core_status *st)
{
    const char *group = NULL, *url = NULL, *type = NULL, *name = NULL, *token = NULL;
    if (param_string(body, "GroupId", &group, st) || param_string(body, "URL", &url, st) ||
        param_string(body, "AssetType", &type, st) || param_string(body, "Name", &name, st) ||
        param_string(body, "ClientToken", &token, st))
        return st->code;
    /* idempotency: a repeat of the same ClientToken answers the first Id */
    const char *fields[] = {group, url, type, name};
    struct core_once once;
    if (core_once_begin(a->core, cu, token, "CreateAsset", fields, 4, &once, st))
        return st->code;
    if (once.replay[0]) {
        *result = id_result(once.replay);
        return CORE_OK;
    }
    char id[IDS_MAX];
    enum core_code rc = core_create_asset(a->core, cu, group, url, type, name, id, st);
    core_once_end(a->core, &once, rc == CORE_OK ? id : NULL);
    if (rc)
        return rc;
    *result = id_result(id);
    return CORE_OK;
}

static enum core_code get_asset(struct api *a, const struct customer *cu, json_t *body, struct buf *out,
                                struct core_status *st)
{
    const char *id = NULL;
    struct asset as;
    if (param_string(body, "Id", &id, st) || core_get_asset(a->core, cu, id, &as, st))
        return st->code;
    core_asset_media_url(a->core, &as); /* uploads: a freshly signed URL */
    if (render_asset_text(&as, out) != 0)
        return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
    return CORE_OK;
}

static enum core_code list_assets(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                  struct core_status *st)
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

static enum core_code update_asset(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                   struct core_status *st)
{
    const char *id = NULL, *name = NULL;
    if (param_string(body, "Id", &id, st) || param_string(body, "Name", &name, st) ||
        core_update_asset(a->core, cu, id, name, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

static enum core_code delete_asset(struct api *a, const struct customer *cu, json_t *body, json_t **result,
                                   struct core_status *st)
{
    const char *id = NULL;
    if (param_string(body, "Id", &id, st) || core_delete_asset(a->core, cu, id, st))
        return st->code;
    *result = id_result(id);
    return CORE_OK;
}

static const struct action actions[] = {
    {"CreateAssetGroup", create_asset_group, 1, NULL},
    {"GetAssetGroup", get_asset_group, 0, NULL},
    {"ListAssetGroups", list_asset_groups, 0, NULL},
    {"UpdateAssetGroup", update_asset_group, 1, NULL},
    {"DeleteAssetGroup", delete_asset_group, 1, NULL},
    {"CreateAsset", create_asset, 1, NULL},
    {"GetAsset", NULL, 0, get_asset},
    {"ListAssets", list_assets, 0, NULL},
    {"UpdateAsset", update_asset, 1, NULL},
    {"DeleteAsset", delete_asset, 1, NULL},
    /* liveness (api/liveness.c) */
    {"CreateVisualValidateSession", liveness_create_session, 1, NULL},
    {"GetVisualValidateResult", liveness_get_result, 1, NULL},
    /* upload sessions (api/upload_session.c) */
    {"CreateUploadSession", upload_session_create, 1, NULL},
    {"CompleteUpload", upload_session_complete, 1, NULL},
    {"AbortUpload", upload_session_abort, 1, NULL},
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

int portrait_is_slow(const char *action)
{
    const struct action *act = find_action(action);
    return act && act->slow;
}

void portrait_handle(struct api *a, const struct api_request *req, struct api_response *resp)
{
    struct core_status st = {0};
    const struct action *act = find_action(req->action);
    /* Echo only a catalogued Action name: the request's may be anything. */
    const char *action = act ? act->name : (req->action ? req->action : "");
    const char *version = req->version && strcmp(req->version, API_VERSION) == 0 ? API_VERSION : "";
    snprintf(resp->action, sizeof resp->action, "%s", act ? act->name : "");
    enum api_err err = API_OK;
    const char *msg = NULL;
    json_t *body = NULL, *result = NULL;

    if (strlen(action) > 64 || core_utf8_chars(action) < 0)
        action = "";
    if (strcmp(req->method, "POST") != 0) {
        err = API_METHOD_NOT_ALLOWED;
        msg = "Actions are sent with POST.";
        goto fail;
    }
    struct customer cu;
    if (core_authenticate(a->core, api_bearer(req->authorization), &cu, &st))
        goto fail_core;
    resp->customer_id = cu.id;
    if (req->query_error) {
        /* ?action=DeleteAssetGroup&Action=ListAssetGroups names two Actions;
         * no reading of it is safe to act on. */
        action = "";
        version = "";
        err = API_INVALID_PARAMETER;
        msg = req->query_error;
        goto fail;
    }
    if (!act) {
        err = API_INVALID_ACTION;
        msg = req->action ? "The Action is not supported; see the API reference for the list."
                          : "Action is required in the query string: ?Action=...&Version=2024-01-01.";
        goto fail;
    }
    if (!req->version || strcmp(req->version, API_VERSION) != 0) {
        err = API_INVALID_PARAMETER;
        msg = req->version ? "Version is not supported; use Version=2024-01-01."
                           : "Version is required in the query string: Version=2024-01-01.";
        goto fail;
    }
    if (req->body_too_large) {
        err = API_PAYLOAD_TOO_LARGE;
        goto fail;
    }
    if (req->overloaded) {
        err = API_SERVICE_UNAVAILABLE;
        msg = "The gateway is overloaded; retry shortly.";
        goto fail;
    }
    if (atomic_load(&a->draining)) {
        err = API_SERVICE_UNAVAILABLE;
        msg = "The gateway is shutting down; retry on another node or shortly.";
        goto fail;
    }
    if (req->body_len == 0) {
        body = json_object();
    } else {
        json_error_t jerr;
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!body) {
            err = API_INVALID_PARAMETER;
            msg = "The body is not valid JSON.";
            goto fail;
        }
        if (!json_is_object(body)) {
            err = API_INVALID_PARAMETER;
            msg = "The body must be a JSON object.";
            goto fail;
        }
    }
    if (act->raw_fn) {
        struct buf raw;
        buf_init(&raw, 16 * 1024 * 1024);
        if (act->raw_fn(a, &cu, body, &raw, &st)) {
            buf_free(&raw);
            goto fail_core;
        }
        json_decref(body);
        envelope_ok_text(req, action, version, a->region, raw.data ? raw.data : "{}", resp);
        buf_free(&raw);
        return;
    }
    if (act->fn(a, &cu, body, &result, &st))
        goto fail_core;
    json_decref(body);
    if (!result) {
        err = API_INTERNAL_ERROR;
        goto fail;
    }
    envelope_ok(req, action, version, a->region, result, resp);
    return;

fail_core:
    err = api_err_from_core(st.code);
    msg = st.message;
    resp->retry_after_s = st.retry_after_s;
fail:
    json_decref(body);
    json_decref(result);
    envelope_error(req, action, version, a->region, err, msg, resp);
}
