/* sim_assets.c — the simulated account's asset groups and assets, in memory,
 * and the ten asset Actions over them.
 *
 * Invariant: every group and asset is reached only under a->mu, and an asset
 * exists only while its group does (DeleteAssetGroup removes both at once).
 * An asset's Status is computed when read: Processing until both its
 * processing time has passed and its compliance check has finished. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/sim_int.h"
#include "util/clock.h"

#define SIM_NAME_MAX 50
#define SIM_DESCRIPTION_MAX 300
#define SIM_URL_MAX 2048
#define SIM_PAGE_SIZE_MAX 100

struct sim_group {
    struct sim_node node; /* first: a node pointer is a group pointer */
    char *name;
    char *description;
    char type[16];
    int64_t create_wall, update_wall;
    size_t asset_count;
};

struct sim_asset {
    struct sim_node node;
    char group_id[IDS_MAX];
    char *name;
    char *url;
    enum sim_asset_kind kind;
    int64_t create_wall, update_wall, create_mono;
    int check_done, check_ok;
    int64_t done_mono;
    char reason[256];
};

struct sim_assets {
    pthread_mutex_t mu;
    struct sim_table groups, assets;
    int processing_ms;
    struct sim_fetch *fetch;
    struct sim_liveness *liveness; /* liveness: the account's H5 sessions (sim_liveness.c) */
};

static const char *const kind_names[] = {"Image", "Video", "Audio"};

/* ---- lifecycle ---- */

static void group_free(struct sim_group *g)
{
    free(g->name);
    free(g->description);
    free(g);
}

static void asset_free(struct sim_asset *x)
{
    free(x->name);
    free(x->url);
    free(x);
}

struct sim_assets *sim_assets_new(int processing_ms)
{
    struct sim_assets *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    if (sim_table_init(&a->groups, 1 << 12) != 0 || sim_table_init(&a->assets, 1 << 16) != 0) {
        sim_table_free(&a->groups);
        sim_table_free(&a->assets);
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->mu, NULL);
    a->processing_ms = processing_ms;
    return a;
}

void sim_assets_free(struct sim_assets *a)
{
    if (!a)
        return;
    while (a->assets.newest) {
        struct sim_node *n = a->assets.newest;
        sim_table_remove(&a->assets, n);
        asset_free((struct sim_asset *)n);
    }
    while (a->groups.newest) {
        struct sim_node *n = a->groups.newest;
        sim_table_remove(&a->groups, n);
        group_free((struct sim_group *)n);
    }
    sim_table_free(&a->groups);
    sim_table_free(&a->assets);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

void sim_assets_set_fetch(struct sim_assets *a, struct sim_fetch *f)
{
    a->fetch = f;
}

/* liveness */
void sim_assets_set_liveness(struct sim_assets *a, struct sim_liveness *l)
{
    a->liveness = l;
}

struct sim_liveness *sim_assets_liveness(struct sim_assets *a)
{
    return a->liveness;
}

void sim_assets_finish_check(struct sim_assets *a, const char *asset_id, int ok, const char *code, const char *reason)
{
    pthread_mutex_lock(&a->mu);
    struct sim_asset *x = (struct sim_asset *)sim_table_find(&a->assets, asset_id);
    if (x) {
        x->check_done = 1;
        x->check_ok = ok;
        x->done_mono = clock_mono_ms();
        snprintf(x->reason, sizeof x->reason, "%s", ok ? "" : reason);
    }
    pthread_mutex_unlock(&a->mu);
}

void sim_assets_counts(struct sim_assets *a, size_t *groups, size_t *assets)
{
    pthread_mutex_lock(&a->mu);
    *groups = a->groups.count;
    *assets = a->assets.count;
    pthread_mutex_unlock(&a->mu);
}

json_t *sim_assets_objects(struct sim_assets *a)
{
    json_t *groups = json_object(), *assets = json_object();
    pthread_mutex_lock(&a->mu);
    for (struct sim_node *n = a->groups.newest; n; n = n->older) {
        struct sim_group *g = (struct sim_group *)n;
        json_object_set_new(groups, n->id, json_pack("{s:s, s:s}", "Name", g->name, "GroupType", g->type));
    }
    for (struct sim_node *n = a->assets.newest; n; n = n->older)
        json_object_set_new(assets, n->id, json_string(((struct sim_asset *)n)->group_id));
    pthread_mutex_unlock(&a->mu);
    return json_pack("{s:o, s:o}", "groups", groups, "assets", assets);
}

/* ---- request fields ---- */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((uint8_t)*s & 0xC0) != 0x80;
    return n;
}

/* A string field: absent or null gives *out = NULL (an error if required);
 * present must be a string of 1..max_chars characters. 0 or -1 (r set). */
static int field_str(json_t *req, const char *key, int required, size_t max_chars, const char **out,
                     struct sim_reply *r)
{
    json_t *v = json_object_get(req, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return sim_fail(r, SIM_INVALID_PARAMETER, "%s is required.", key), -1;
        return 0;
    }
    if (!json_is_string(v))
        return sim_fail(r, SIM_INVALID_PARAMETER, "%s must be a string.", key), -1;
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return sim_fail(r, SIM_INVALID_PARAMETER, "%s must not contain NUL characters.", key), -1;
    if (required && !*s)
        return sim_fail(r, SIM_INVALID_PARAMETER, "%s must not be empty.", key), -1;
    if (utf8_chars(s) > max_chars)
        return sim_fail(r, SIM_INVALID_PARAMETER, "%s must be at most %zu characters.", key, max_chars), -1;
    *out = s;
    return 0;
}

static int field_int(json_t *req, const char *key, long long def, long long min, long long max,
                     long long *out, struct sim_reply *r)
{
    json_t *v = json_object_get(req, key);
    *out = def;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return sim_fail(r, SIM_INVALID_PARAMETER, "%s must be an integer from %lld to %lld.", key, min, max), -1;
    *out = json_integer_value(v);
    return 0;
}

/* An optional array of strings (a list filter); *out NULL when absent. */
static int field_str_array(json_t *obj, const char *key, json_t **out, struct sim_reply *r)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    size_t i;
    json_t *e;
    if (!json_is_array(v))
        return sim_fail(r, SIM_INVALID_PARAMETER, "Filter.%s must be an array of strings.", key), -1;
    json_array_foreach(v, i, e) if (!json_is_string(e))
        return sim_fail(r, SIM_INVALID_PARAMETER, "Filter.%s must be an array of strings.", key), -1;
    *out = v;
    return 0;
}

static int in_str_array(json_t *arr, const char *s)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) if (strcmp(json_string_value(e), s) == 0) return 1;
    return 0;
}

static int page_fields(json_t *req, long long *number, long long *size, struct sim_reply *r)
{
    if (field_int(req, "PageNumber", 1, 1, 1000000, number, r) != 0)
        return -1;
    return field_int(req, "PageSize", 10, 1, SIM_PAGE_SIZE_MAX, size, r);
}

static int filter_object(json_t *req, json_t **out, struct sim_reply *r)
{
    json_t *f = json_object_get(req, "Filter");
    *out = NULL;
    if (!f || json_is_null(f))
        return 0;
    if (!json_is_object(f))
        return sim_fail(r, SIM_INVALID_PARAMETER, "Filter must be an object."), -1;
    *out = f;
    return 0;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static void set_time(json_t *o, const char *key, int64_t wall_ms)
{
    char t[21];
    clock_rfc3339(wall_ms, t);
    json_object_set_new(o, key, json_string(t));
}

static json_t *result_id(const char *id)
{
    return json_pack("{s:s}", "Id", id);
}

/* ---- groups ---- */

static json_t *group_json(const struct sim_group *g)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "Id", g->node.id, "Name", g->name, "Description",
                          g->description, "GroupType", g->type);
    if (o) {
        set_time(o, "CreateTime", g->create_wall);
        set_time(o, "UpdateTime", g->update_wall);
    }
    return o;
}

/* NULL with r set (NotFound) if there is no such group. Caller holds mu. */
static struct sim_group *find_group(struct sim_assets *a, const char *id, struct sim_reply *r)
{
    struct sim_group *g = (struct sim_group *)sim_table_find(&a->groups, id);
    if (!g)
        sim_fail(r, SIM_NOT_FOUND, "The asset group %s does not exist.", id);
    return g;
}

enum sim_code sim_create_group(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *name, *desc, *type;
    if (field_str(req, "Name", 1, SIM_NAME_MAX, &name, r) || field_str(req, "Description", 0, SIM_DESCRIPTION_MAX, &desc, r) ||
        field_str(req, "GroupType", 0, 16, &type, r))
        return r->code;
    if (!type)
        type = "AIGC";
    if (strcmp(type, "AIGC") != 0 && strcmp(type, "LivenessFace") != 0)
        return sim_fail(r, SIM_INVALID_PARAMETER, "GroupType must be AIGC or LivenessFace.");

    struct sim_group *g = calloc(1, sizeof *g);
    if (!g || !(g->name = strdup(name)) || !(g->description = dup_or_empty(desc))) {
        if (g)
            group_free(g);
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    }
    snprintf(g->type, sizeof g->type, "%s", type);
    g->create_wall = g->update_wall = clock_wall_ms();

    pthread_mutex_lock(&a->mu);
    if (a->groups.count >= SIM_MAX_GROUPS) {
        pthread_mutex_unlock(&a->mu);
        group_free(g);
        return sim_fail(r, SIM_QUOTA_EXCEEDED, "The account already has %d asset groups.", SIM_MAX_GROUPS);
    }
    do /* ids carry 5 random characters: retry the rare collision */
        ids_resource("group", g->create_wall, g->node.id);
    while (sim_table_find(&a->groups, g->node.id));
    sim_table_insert(&a->groups, &g->node);
    r->result = result_id(g->node.id);
    pthread_mutex_unlock(&a->mu);
    return SIM_OK;
}

enum sim_code sim_get_group(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id;
    if (field_str(req, "Id", 1, IDS_MAX, &id, r))
        return r->code;
    pthread_mutex_lock(&a->mu);
    struct sim_group *g = find_group(a, id, r);
    if (g)
        r->result = group_json(g);
    pthread_mutex_unlock(&a->mu);
    return g ? SIM_OK : r->code;
}

enum sim_code sim_list_groups(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    long long number, size;
    json_t *filter, *ids = NULL;
    const char *name = NULL, *type = NULL;
    if (page_fields(req, &number, &size, r) || filter_object(req, &filter, r))
        return r->code;
    if (filter && (field_str_array(filter, "GroupIds", &ids, r) || field_str(filter, "Name", 0, SIM_NAME_MAX, &name, r) ||
                   field_str(filter, "GroupType", 0, 16, &type, r)))
        return r->code;

    json_t *items = json_array();
    long long total = 0, skip = (number - 1) * size;
    pthread_mutex_lock(&a->mu);
    for (struct sim_node *n = a->groups.newest; n; n = n->older) {
        struct sim_group *g = (struct sim_group *)n;
        if ((ids && !in_str_array(ids, g->node.id)) || (name && !strstr(g->name, name)) ||
            (type && strcmp(type, g->type) != 0))
            continue;
        if (total++ >= skip && (long long)json_array_size(items) < size)
            json_array_append_new(items, group_json(g));
    }
    pthread_mutex_unlock(&a->mu);
    r->result = json_pack("{s:o, s:I, s:I, s:I}", "Items", items, "TotalCount", (json_int_t)total, "PageNumber",
                          (json_int_t)number, "PageSize", (json_int_t)size);
    return SIM_OK;
}

enum sim_code sim_update_group(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id, *name, *desc;
    if (field_str(req, "Id", 1, IDS_MAX, &id, r) || field_str(req, "Name", 0, SIM_NAME_MAX, &name, r) ||
        field_str(req, "Description", 0, SIM_DESCRIPTION_MAX, &desc, r))
        return r->code;
    if (name && !*name)
        return sim_fail(r, SIM_INVALID_PARAMETER, "Name must not be empty.");
    if (!name && !desc)
        return sim_fail(r, SIM_INVALID_PARAMETER, "Give Name or Description (or both) to update.");
    char *new_name = name ? strdup(name) : NULL, *new_desc = desc ? strdup(desc) : NULL;
    if ((name && !new_name) || (desc && !new_desc)) {
        free(new_name);
        free(new_desc);
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    }
    pthread_mutex_lock(&a->mu);
    struct sim_group *g = find_group(a, id, r);
    if (g) {
        if (new_name) {
            free(g->name);
            g->name = new_name;
            new_name = NULL;
        }
        if (new_desc) {
            free(g->description);
            g->description = new_desc;
            new_desc = NULL;
        }
        g->update_wall = clock_wall_ms();
        r->result = result_id(id);
    }
    pthread_mutex_unlock(&a->mu);
    free(new_name);
    free(new_desc);
    return g ? SIM_OK : r->code;
}

enum sim_code sim_delete_group(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id;
    if (field_str(req, "Id", 1, IDS_MAX, &id, r))
        return r->code;
    pthread_mutex_lock(&a->mu);
    struct sim_group *g = find_group(a, id, r);
    if (g) {
        for (struct sim_node *n = a->assets.newest, *older; g->asset_count > 0 && n; n = older) {
            older = n->older;
            struct sim_asset *x = (struct sim_asset *)n;
            if (strcmp(x->group_id, id) == 0) {
                sim_table_remove(&a->assets, n);
                asset_free(x);
                g->asset_count--;
            }
        }
        r->result = result_id(id);
        sim_table_remove(&a->groups, &g->node);
        group_free(g);
    }
    pthread_mutex_unlock(&a->mu);
    return g ? SIM_OK : r->code;
}

/* ---- assets ---- */

static int asset_final(const struct sim_assets *a, const struct sim_asset *x, int64_t now_mono)
{
    return x->check_done && now_mono >= x->create_mono + a->processing_ms;
}

static const char *asset_status(const struct sim_assets *a, const struct sim_asset *x, int64_t now_mono)
{
    if (!asset_final(a, x, now_mono))
        return "Processing";
    return x->check_ok ? "Active" : "Failed";
}

static json_t *asset_json(const struct sim_assets *a, const struct sim_asset *x, int64_t now_mono)
{
    const char *status = asset_status(a, x, now_mono);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Id", x->node.id, "GroupId", x->group_id, "Name",
                          x->name, "AssetType", kind_names[x->kind], "URL", x->url, "Status", status);
    if (!o)
        return NULL;
    if (strcmp(status, "Failed") == 0)
        json_object_set_new(o, "FailureReason", json_string(x->reason));
    /* The status changed when the later of the two conditions came true. */
    int64_t update = x->update_wall;
    if (asset_final(a, x, now_mono)) {
        int64_t took = x->done_mono - x->create_mono;
        int64_t changed = x->create_wall + (took > a->processing_ms ? took : a->processing_ms);
        if (changed > update)
            update = changed;
    }
    set_time(o, "CreateTime", x->create_wall);
    set_time(o, "UpdateTime", update);
    return o;
}

static int url_ok(const char *u)
{
    const char *rest = NULL;
    if (strncasecmp(u, "http://", 7) == 0)
        rest = u + 7;
    else if (strncasecmp(u, "https://", 8) == 0)
        rest = u + 8;
    if (!rest || !*rest || *rest == '/')
        return 0;
    for (const char *p = u; *p; p++)
        if ((uint8_t)*p <= ' ' || *p == 0x7F)
            return 0;
    return 1;
}

enum sim_code sim_create_asset(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *group_id, *url, *type, *name;
    if (field_str(req, "GroupId", 1, IDS_MAX, &group_id, r) || field_str(req, "URL", 1, SIM_URL_MAX, &url, r) ||
        field_str(req, "AssetType", 1, 16, &type, r) || field_str(req, "Name", 0, SIM_NAME_MAX, &name, r))
        return r->code;
    int kind = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(type, kind_names[i]) == 0)
            kind = i;
    if (kind < 0)
        return sim_fail(r, SIM_INVALID_PARAMETER, "AssetType must be Image, Video or Audio.");
    if (!url_ok(url))
        return sim_fail(r, SIM_INVALID_PARAMETER, "URL must be an http or https URL.");

    struct sim_asset *x = calloc(1, sizeof *x);
    if (!x || !(x->name = dup_or_empty(name)) || !(x->url = strdup(url))) {
        if (x)
            asset_free(x);
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    }
    x->kind = (enum sim_asset_kind)kind;
    x->create_wall = x->update_wall = clock_wall_ms();
    x->create_mono = clock_mono_ms();

    pthread_mutex_lock(&a->mu);
    struct sim_group *g = find_group(a, group_id, r);
    if (!g)
        goto fail;
    if (a->assets.count >= SIM_MAX_ASSETS) {
        sim_fail(r, SIM_QUOTA_EXCEEDED, "The account already has %d assets.", SIM_MAX_ASSETS);
        goto fail;
    }
    snprintf(x->group_id, sizeof x->group_id, "%s", group_id);
    do
        ids_resource("asset", x->create_wall, x->node.id);
    while (sim_table_find(&a->assets, x->node.id));
    /* Queued under the lock so that no one sees an asset without its check. */
    if (!a->fetch || sim_fetch_enqueue(a->fetch, x->node.id, x->url, x->kind) != 0) {
        sim_fail(r, SIM_UNAVAILABLE, "The compliance check queue is full; retry later.");
        goto fail;
    }
    sim_table_insert(&a->assets, &x->node);
    g->asset_count++;
    r->result = result_id(x->node.id);
    pthread_mutex_unlock(&a->mu);
    return SIM_OK;
fail:
    pthread_mutex_unlock(&a->mu);
    asset_free(x);
    return r->code;
}

enum sim_code sim_get_asset(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id;
    if (field_str(req, "Id", 1, IDS_MAX, &id, r))
        return r->code;
    pthread_mutex_lock(&a->mu);
    struct sim_asset *x = (struct sim_asset *)sim_table_find(&a->assets, id);
    if (x)
        r->result = asset_json(a, x, clock_mono_ms());
    else
        sim_fail(r, SIM_NOT_FOUND, "The asset %s does not exist.", id);
    pthread_mutex_unlock(&a->mu);
    return x ? SIM_OK : r->code;
}

enum sim_code sim_list_assets(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    long long number, size;
    json_t *filter, *group_ids = NULL, *statuses = NULL;
    const char *type = NULL, *name = NULL;
    if (page_fields(req, &number, &size, r) || filter_object(req, &filter, r))
        return r->code;
    if (filter && (field_str_array(filter, "GroupIds", &group_ids, r) || field_str_array(filter, "Statuses", &statuses, r) ||
                   field_str(filter, "AssetType", 0, 16, &type, r) || field_str(filter, "Name", 0, SIM_NAME_MAX, &name, r)))
        return r->code;
    size_t i;
    json_t *e;
    if (statuses)
        json_array_foreach(statuses, i, e)
        {
            const char *s = json_string_value(e);
            if (strcmp(s, "Processing") != 0 && strcmp(s, "Active") != 0 && strcmp(s, "Failed") != 0)
                return sim_fail(r, SIM_INVALID_PARAMETER, "Filter.Statuses may hold Processing, Active and Failed.");
        }

    json_t *items = json_array();
    long long total = 0, skip = (number - 1) * size;
    pthread_mutex_lock(&a->mu);
    int64_t now = clock_mono_ms();
    for (struct sim_node *n = a->assets.newest; n; n = n->older) {
        struct sim_asset *x = (struct sim_asset *)n;
        if ((group_ids && !in_str_array(group_ids, x->group_id)) ||
            (statuses && !in_str_array(statuses, asset_status(a, x, now))) ||
            (type && strcmp(type, kind_names[x->kind]) != 0) || (name && !strstr(x->name, name)))
            continue;
        if (total++ >= skip && (long long)json_array_size(items) < size)
            json_array_append_new(items, asset_json(a, x, now));
    }
    pthread_mutex_unlock(&a->mu);
    r->result = json_pack("{s:o, s:I, s:I, s:I}", "Items", items, "TotalCount", (json_int_t)total, "PageNumber",
                          (json_int_t)number, "PageSize", (json_int_t)size);
    return SIM_OK;
}

enum sim_code sim_update_asset(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id, *name;
    if (field_str(req, "Id", 1, IDS_MAX, &id, r) || field_str(req, "Name", 1, SIM_NAME_MAX, &name, r))
        return r->code;
    char *copy = strdup(name);
    if (!copy)
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    pthread_mutex_lock(&a->mu);
    struct sim_asset *x = (struct sim_asset *)sim_table_find(&a->assets, id);
    if (x) {
        free(x->name);
        x->name = copy;
        copy = NULL;
        x->update_wall = clock_wall_ms();
        r->result = result_id(id);
    } else {
        sim_fail(r, SIM_NOT_FOUND, "The asset %s does not exist.", id);
    }
    pthread_mutex_unlock(&a->mu);
    free(copy);
    return x ? SIM_OK : r->code;
}

enum sim_code sim_delete_asset(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id;
    if (field_str(req, "Id", 1, IDS_MAX, &id, r))
        return r->code;
    pthread_mutex_lock(&a->mu);
    struct sim_asset *x = (struct sim_asset *)sim_table_find(&a->assets, id);
    if (x) {
        struct sim_group *g = (struct sim_group *)sim_table_find(&a->groups, x->group_id);
        if (g)
            g->asset_count--;
        r->result = result_id(id);
        sim_table_remove(&a->assets, &x->node);
        asset_free(x);
    } else {
        sim_fail(r, SIM_NOT_FOUND, "The asset %s does not exist.", id);
    }
    pthread_mutex_unlock(&a->mu);
    return x ? SIM_OK : r->code;
}
