/* admin.c — the operators' Action endpoint, POST /admin/?Action=&Version=
 * on the admin listener (API.md §7): customers and their API keys.
 *
 * The same envelope and generic checks as the public Action endpoint (the
 * dispatcher, router.c, through admin_actions), with an admin key instead
 * of a customer's. One row per Action; handlers (admin_fn, internal.h)
 * translate fields to core calls (core/admin.c). Ids of customers are
 * integers; times RFC 3339 UTC. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/clock.h"

struct admin_action {
    const char *name;
    admin_fn fn;
    int slow; /* may block long (the upstream, a large scan): run on a worker */
};

static void set_time(json_t *o, const char *field, int64_t ms)
{
    char t[21];
    if (ms > 0) {
        clock_rfc3339(ms, t);
        json_object_set_new(o, field, json_string(t));
    } else {
        json_object_set_new(o, field, json_null());
    }
}

/* The Customer object. */
static json_t *render_customer(const struct customer *cu)
{
    json_t *o = json_pack("{s:I, s:s, s:b, s:i, s:b, s:i}", "Id", (json_int_t)cu->id, "Name", cu->name,
                          "AIGCEnabled", cu->aigc_enabled, "KeyRate", cu->key_rate, "Disabled", cu->disabled,
                          "ActiveKeyCount", cu->active_keys);
    if (o)
        set_time(o, "CreateTime", cu->create_ms);
    return o;
}

/* The ApiKey object: never the key nor its hash. */
static json_t *render_key(const struct key_info *k)
{
    json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "Prefix", k->prefix, "CustomerId", (json_int_t)k->customer_id,
                          "CustomerName", k->customer, "Status", k->revoked_ms ? "Revoked" : "Active");
    if (o) {
        set_time(o, "CreateTime", k->created_ms);
        set_time(o, "RevokeTime", k->revoked_ms);
    }
    return o;
}

static json_t *page_result(json_t *items, int64_t total, int number, int size)
{
    return json_pack("{s:o, s:I, s:i, s:i}", "Items", items, "TotalCount", (json_int_t)total, "PageNumber", number,
                     "PageSize", size);
}

static enum core_code page_params(json_t *body, int *number, int *size, struct core_status *st)
{
    *number = 1;
    *size = CORE_PAGE_SIZE_DEFAULT;
    if (param_int(body, "PageNumber", number, st) || param_int(body, "PageSize", size, st))
        return st->code;
    return CORE_OK;
}

/* Name, AIGCEnabled, KeyRate, Disabled: absent is -1 (NULL). */
static enum core_code customer_params(json_t *body, struct customer_fields *f, struct core_status *st)
{
    *f = (struct customer_fields){NULL, -1, -1, -1};
    if (param_string(body, "Name", &f->name, st) || param_bool(body, "AIGCEnabled", &f->aigc_enabled, st) ||
        param_int(body, "KeyRate", &f->key_rate, st) || param_bool(body, "Disabled", &f->disabled, st))
        return st->code;
    /* -1 means "not given" below: a negative KeyRate sent is refused here. */
    if (json_is_integer(json_object_get(body, "KeyRate")) && f->key_rate < 0)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "KeyRate must be between 0 (the gateway's default) and %d requests per second.",
                         CORE_KEY_RATE_MAX);
    return CORE_OK;
}

/* ---- customers ---- */

static enum core_code create_customer(struct api *a, const struct api_request *req, struct api_call *call,
                                      json_t **result, struct api_response *resp, struct core_status *st)
{
    struct customer_fields f;
    struct customer cu;
    if (customer_params(call->body, &f, st) || core_create_customer(a->core, &call->who, &f, &cu, st))
        return st->code;
    *result = json_pack("{s:I}", "Id", (json_int_t)cu.id);
    return CORE_OK;
}

static enum core_code list_customers(struct api *a, const struct api_request *req, struct api_call *call,
                                     json_t **result, struct api_response *resp, struct core_status *st)
{
    json_t *filter = NULL;
    const char *name = NULL;
    int number, size;
    if (page_params(call->body, &number, &size, st) || param_object(call->body, "Filter", &filter, st))
        return st->code;
    if (filter && param_string(filter, "Name", &name, st))
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.%s", st->message);
    struct customer_list l;
    if (core_list_customers(a->core, name, number, size, &l, st))
        return st->code;
    json_t *items = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(items, render_customer(&l.items[i]));
    free(l.items);
    *result = page_result(items, l.total, number, size);
    return CORE_OK;
}

static enum core_code update_customer(struct api *a, const struct api_request *req, struct api_call *call,
                                      json_t **result, struct api_response *resp, struct core_status *st)
{
    struct customer_fields f;
    int64_t id = 0;
    if (param_int64(call->body, "Id", &id, st) || customer_params(call->body, &f, st) ||
        core_update_customer(a->core, &call->who, id, &f, st))
        return st->code;
    *result = json_pack("{s:I}", "Id", (json_int_t)id);
    return CORE_OK;
}

/* ---- API keys ---- */

static enum core_code create_api_key(struct api *a, const struct api_request *req, struct api_call *call,
                                     json_t **result, struct api_response *resp, struct core_status *st)
{
    int64_t customer = 0;
    char key[KEYS_LEN + 1];
    struct key_info k;
    if (param_int64(call->body, "CustomerId", &customer, st) ||
        core_create_api_key(a->core, &call->who, customer, key, &k, st))
        return st->code;
    /* The key itself is shown here only, once. */
    *result = json_pack("{s:s, s:s, s:I}", "Key", key, "Prefix", k.prefix, "CustomerId", (json_int_t)customer);
    if (*result)
        set_time(*result, "CreateTime", k.created_ms);
    memset(key, 0, sizeof key);
    return CORE_OK;
}

static enum core_code list_api_keys(struct api *a, const struct api_request *req, struct api_call *call,
                                    json_t **result, struct api_response *resp, struct core_status *st)
{
    int64_t customer = 0;
    int number, size;
    if (page_params(call->body, &number, &size, st) || param_int64(call->body, "CustomerId", &customer, st))
        return st->code;
    struct key_list l;
    if (core_list_api_keys(a->core, customer, number, size, &l, st))
        return st->code;
    json_t *items = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(items, render_key(&l.items[i]));
    free(l.items);
    *result = page_result(items, l.total, number, size);
    return CORE_OK;
}

static enum core_code revoke_api_key(struct api *a, const struct api_request *req, struct api_call *call,
                                     json_t **result, struct api_response *resp, struct core_status *st)
{
    const char *prefix = NULL;
    if (param_string(call->body, "Prefix", &prefix, st) || core_revoke_api_key(a->core, &call->who, prefix, st))
        return st->code;
    *result = json_pack("{s:s}", "Prefix", prefix);
    return CORE_OK;
}

static const struct admin_action admin_table[] = {
    /* name            handler           slow */
    {"CreateCustomer", create_customer, 0},
    {"ListCustomers", list_customers, 0},
    {"UpdateCustomer", update_customer, 0},
    {"CreateApiKey", create_api_key, 0},
    {"ListApiKeys", list_api_keys, 0},
    {"RevokeApiKey", revoke_api_key, 0},
    /* usage and the audit log (admin_usage.c) */
    {"GetUsage", admin_get_usage, 1},
    {"ListAuditEvents", admin_list_audit, 0},
};

static const struct admin_action *find_admin_action(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof admin_table / sizeof admin_table[0]; i++)
        if (strcmp(admin_table[i].name, name) == 0)
            return &admin_table[i];
    return NULL;
}

static const char *admin_find(const char *name, struct api_call *call)
{
    call->admin_act = find_admin_action(name);
    return call->admin_act ? call->admin_act->name : NULL;
}

static int admin_is_slow(const char *name)
{
    const struct admin_action *act = find_admin_action(name);
    return act && act->slow;
}

const struct action_set admin_actions = {admin_find, admin_is_slow, NULL};

void admin_handle(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    struct core_status st = {0};
    json_t *result = NULL;
    enum core_code rc = call->admin_act->fn(a, req, call, &result, resp, &st);
    if (rc) {
        json_decref(result);
        api_fail(a, req, &call->to, &st, resp);
        return;
    }
    if (!result) { /* the handler answered itself */
        if (!resp->status)
            api_fail_code(a, req, &call->to, CORE_INTERNAL_ERROR, NULL, resp);
        return;
    }
    envelope_ok(req, call->to.action, call->to.version, a->region, result, resp);
}
