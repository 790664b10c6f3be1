/* sim_assets.c — the simulated account's asset groups and assets, in memory,
 * and the ten asset Actions over them. The facts they reproduce are rows of
 * shared/UPSTREAM.md ("Asset API"), cited where each is implemented.
 *
 * Invariant: every group and asset is reached only under a->mu, and an asset
 * exists only while its group does (DeleteAssetGroup removes both at once).
 * An asset's Status is computed when read: Processing until both its
 * processing time has passed and its compliance check has finished.
 * a->unchecked counts the assets whose check has not finished. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/sim_int.h"
#include "util/clock.h"

/* UPSTREAM.md "CreateAssetGroup": Name ≤ 64, Description ≤ 300 */
#define SIM_NAME_MAX 64
#define SIM_DESCRIPTION_MAX 300
#define SIM_URL_MAX 2048
/* UPSTREAM.md "ListAssetGroups / ListAssets": PageSize ≤ 100 */
#define SIM_PAGE_SIZE_MAX 100
#define SIM_DEFAULT_PROJECT "default"
#define SIM_DEFAULT_MAX_PROCESSING 30

struct sim_group {
    struct sim_node node; /* first: a node pointer is a group pointer */
    char *name;
    char *description;
    char *project;
    char type[16];
    int64_t create_wall, update_wall;
    size_t asset_count;
};

struct sim_asset {
    struct sim_node node;
    char group_id[IDS_MAX];
    char *name;
    char *url;
    char *project;
    enum sim_asset_kind kind;
    int64_t create_wall, update_wall, create_mono;
    int check_done, check_ok;
    int64_t done_mono;
    char error_code[64]; /* Error.Code of a failed asset */
    char reason[256];    /* Error.Message */
};

struct sim_assets {
    pthread_mutex_t mu;
    struct sim_table groups, assets;
    int processing_ms;
    int max_processing;   /* "creations in flight": assets Processing at once */
    size_t unchecked;     /* assets whose compliance check has not finished */
    struct sim_fetch *fetch;
    struct sim_liveness *liveness; /* liveness: the account's H5 sessions (sim_liveness.c) */
};

static const char *const kind_names[] = {"Image", "Video", "Audio"};

/* ---- lifecycle ---- */

static void group_free(struct sim_group *g)
{
    free(g->name);
    free(g->description);
    free(g->project);
    free(g);
}

static void asset_free(struct sim_asset *x)
{
    free(x->name);
    free(x->url);
    free(x->project);
    free(x);
}

/* Unlinks and frees an asset. Caller holds mu. */
static void asset_remove(struct sim_assets *a, struct sim_asset *x)
{
    if (!x->check_done)
        a->unchecked--;
    sim_table_remove(&a->assets, &x->node);
    asset_free(x);
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
    a->max_processing = SIM_DEFAULT_MAX_PROCESSING;
    return a;
}

void sim_assets_free(struct sim_assets *a)
{
    if (!a)
        return;
    while (a->assets.newest)
        asset_remove(a, (struct sim_asset *)a->assets.newest);
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

void sim_assets_set_max_processing(struct sim_assets *a, int max)
{
    pthread_mutex_lock(&a->mu);
    a->max_processing = max > 0 ? max : 1;
    pthread_mutex_unlock(&a->mu);
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

void sim_assets_finish_check(struct sim_assets *a, const char *asset_id, int ok, const char *code,
                             const char *reason)
{
    pthread_mutex_lock(&a->mu);
    struct sim_asset *x = (struct sim_asset *)sim_table_find(&a->assets, asset_id);
    if (x && !x->check_done) {
        a->unchecked--;
        x->check_done = 1;
        x->check_ok = ok;
        x->done_mono = clock_mono_ms();
        /* UPSTREAM.md "GetAsset": a failed asset carries Error {Code, Message} */
        snprintf(x->error_code, sizeof x->error_code, "%s", ok ? "" : code && *code ? code : "InvalidParameter");
        snprintf(x->reason, sizeof x->reason, "%s", ok ? "" : reason ? reason : "");
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

/* ---- request fields ----
 * UPSTREAM.md "Parameter errors": a missing required field is
 * MissingParameter.<Field> 400, a bad value InvalidParameter.<Field> 400.
 * Unknown extra fields are ignored (UPSTREAM.md rule 2 on both sides). */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((uint8_t)*s & 0xC0) != 0x80;
    return n;
}

/* The field's name in codes and messages: "Name", or "Filter.Name" inside
 * Filter (where). */
static void field_label(const char *where, const char *key, char out[SIM_DETAIL_MAX])
{
    snprintf(out, SIM_DETAIL_MAX, "%s%s%s", where ? where : "", where ? "." : "", key);
}

/* A string field of obj: absent or null gives *out = NULL (an error if
 * required, as is ""); present must be a string of at most max_chars
 * characters. 0 or -1 (r set). */
static int field_str(json_t *obj, const char *where, const char *key, int required, size_t max_chars,
                     const char **out, struct sim_reply *r)
{
    json_t *v = json_object_get(obj, key);
    char label[SIM_DETAIL_MAX];
    field_label(where, key, label);
    *out = NULL;
    if (!v || json_is_null(v) || (required && json_is_string(v) && json_string_length(v) == 0)) {
        if (required)
            return sim_fail_at(r, SIM_MISSING_PARAMETER, label, "The request is missing %s parameter.", label), -1;
        return 0;
    }
    if (!json_is_string(v))
        return sim_fail_at(r, SIM_INVALID_PARAMETER, label, "%s must be a string.", label), -1;
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return sim_fail_at(r, SIM_INVALID_PARAMETER, label, "%s must not contain NUL characters.", label), -1;
    if (utf8_chars(s) > max_chars)
        return sim_fail_at(r, SIM_INVALID_PARAMETER, label, "%s must be at most %zu characters.", label, max_chars),
               -1;
    *out = s;
    return 0;
}

static int field_int(json_t *req, const char *key, long long def, long long min, long long max, long long *out,
                     struct sim_reply *r)
{
    json_t *v = json_object_get(req, key);
    *out = def;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return sim_fail_at(r, SIM_INVALID_PARAMETER, key, "%s must be an integer from %lld to %lld.", key, min, max),
               -1;
    *out = json_integer_value(v);
    return 0;
}

/* An optional array of strings in Filter; *out NULL when absent. */
static int field_str_array(json_t *filter, const char *key, json_t **out, struct sim_reply *r)
{
    json_t *v = json_object_get(filter, key);
    char label[SIM_DETAIL_MAX];
    field_label("Filter", key, label);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    size_t i;
    json_t *e;
    if (!json_is_array(v))
        return sim_fail_at(r, SIM_INVALID_PARAMETER, label, "%s must be an array of strings.", label), -1;
    json_array_foreach(v, i, e) if (!json_is_string(e))
        return sim_fail_at(r, SIM_INVALID_PARAMETER, label, "%s must be an array of strings.", label), -1;
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

/* UPSTREAM.md "ProjectName" (S): accepted by every Action, default
 * "default". Lenient: any string of 1..64 characters is a project (the
 * record has no rule for project names); "" counts as absent. */
static int project_field(json_t *req, const char **out, struct sim_reply *r)
{
    if (field_str(req, NULL, "ProjectName", 0, SIM_PROJECT_MAX, out, r) != 0)
        return -1;
    if (!*out || !**out)
        *out = SIM_DEFAULT_PROJECT;
    return 0;
}

/* ---- lists ----
 * UPSTREAM.md "ListAssetGroups / ListAssets": Filter is required (an empty
 * object is fine); PageNumber, PageSize ≤ 100; optional SortBy
 * (CreateTime/UpdateTime) and SortOrder (Asc/Desc), default newest first by
 * CreateTime; Result {Items, TotalCount, PageNumber, PageSize}. */

struct list_opts {
    json_t *filter;
    const char *name;    /* Filter.Name: a case-insensitive substring ("fuzzy match") */
    const char *project; /* the request's ProjectName: a list shows only its objects */
    long long number, size;
    int by_update, ascending;
};

static int list_opts_parse(json_t *req, struct list_opts *o, struct sim_reply *r)
{
    memset(o, 0, sizeof *o);
    o->filter = json_object_get(req, "Filter");
    if (!o->filter || json_is_null(o->filter))
        return sim_fail_at(r, SIM_MISSING_PARAMETER, "Filter", "The request is missing Filter parameter."), -1;
    if (!json_is_object(o->filter))
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "Filter", "Filter must be an object."), -1;
    const char *by, *order;
    if (field_int(req, "PageNumber", 1, 1, 1000000, &o->number, r) ||
        field_int(req, "PageSize", 10, 1, SIM_PAGE_SIZE_MAX, &o->size, r) ||
        field_str(req, NULL, "SortBy", 0, 16, &by, r) || field_str(req, NULL, "SortOrder", 0, 16, &order, r) ||
        field_str(o->filter, "Filter", "Name", 0, SIM_NAME_MAX, &o->name, r) || project_field(req, &o->project, r))
        return -1;
    /* Lenient on case: "createtime" and "desc" are taken too. */
    if (by && strcasecmp(by, "CreateTime") != 0 && strcasecmp(by, "UpdateTime") != 0)
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "SortBy", "SortBy must be CreateTime or UpdateTime."), -1;
    if (order && strcasecmp(order, "Asc") != 0 && strcasecmp(order, "Desc") != 0)
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "SortOrder", "SortOrder must be Asc or Desc."), -1;
    o->by_update = by && strcasecmp(by, "UpdateTime") == 0;
    o->ascending = order && strcasecmp(order, "Asc") == 0;
    if (o->name && !*o->name)
        o->name = NULL;
    return 0;
}

struct list_hit {
    struct sim_node *node;
    int64_t key;     /* UpdateTime when sorting by it */
    size_t position; /* in newest-first creation order: breaks ties */
};

static int hit_cmp(const void *pa, const void *pb)
{
    const struct list_hit *x = pa, *y = pb;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1; /* newest first */
    return x->position < y->position ? -1 : x->position > y->position;
}

/* Orders hits (collected newest first by creation) as o asks. */
static void list_sort(struct list_hit *hits, size_t n, const struct list_opts *o)
{
    if (o->by_update)
        qsort(hits, n, sizeof *hits, hit_cmp);
    if (o->ascending)
        for (size_t i = 0; i < n / 2; i++) {
            struct list_hit t = hits[i];
            hits[i] = hits[n - 1 - i];
            hits[n - 1 - i] = t;
        }
}

static json_t *list_result(json_t *items, size_t total, const struct list_opts *o)
{
    return json_pack("{s:o, s:I, s:I, s:I}", "Items", items, "TotalCount", (json_int_t)total, "PageNumber",
                     (json_int_t)o->number, "PageSize", (json_int_t)o->size);
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

/* Moves *v, when set, into *field (freeing what was there). */
static void take_str(char **field, char **v)
{
    if (*v) {
        free(*field);
        *field = *v;
        *v = NULL;
    }
}

/* A List Result: the page o asks for of the n hits, sorted here, each item
 * made by item_json. hits (NULL: out of memory) is freed. Caller holds mu. */
static enum sim_code list_reply(const struct sim_assets *a, struct list_hit *hits, size_t n, const struct list_opts *o,
                                json_t *(*item_json)(const struct sim_assets *a, const struct sim_node *p, int64_t now),
                                int64_t now, struct sim_reply *r)
{
    json_t *items = hits ? json_array() : NULL;
    if (!items) {
        free(hits);
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    }
    list_sort(hits, n, o);
    for (size_t i = (size_t)((o->number - 1) * o->size); i < n && (long long)json_array_size(items) < o->size; i++)
        json_array_append_new(items, item_json(a, hits[i].node, now));
    free(hits);
    r->result = list_result(items, n, o);
    return SIM_OK;
}

/* Get and Delete take an Id and any ProjectName. */
static int id_fields(json_t *req, const char **id, struct sim_reply *r)
{
    const char *project;
    return field_str(req, NULL, "Id", 1, IDS_MAX, id, r) || project_field(req, &project, r);
}

/* ---- groups ---- */

static json_t *group_json(const struct sim_group *g)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Id", g->node.id, "Name", g->name, "Description",
                          g->description, "GroupType", g->type, "ProjectName", g->project);
    if (o) {
        set_time(o, "CreateTime", g->create_wall);
        set_time(o, "UpdateTime", g->update_wall);
    }
    return o;
}

/* NULL with r set if there is no such group. Caller holds mu.
 * UPSTREAM.md "Parameter errors": unknown ids are 404 NotFound.group_id,
 * the message naming the id. */
static struct sim_group *find_group(struct sim_assets *a, const char *id, struct sim_reply *r)
{
    struct sim_group *g = (struct sim_group *)sim_table_find(&a->groups, id);
    if (!g)
        sim_fail_at(r, SIM_NOT_FOUND, "group_id", "The asset group %.64s does not exist.", id);
    return g;
}

/* The group req's Id names, with mu held; NULL with r set (and mu not
 * held) when the fields are wrong or there is no such group. */
static struct sim_group *lock_group(struct sim_assets *a, json_t *req, const char **id, struct sim_reply *r)
{
    if (id_fields(req, id, r))
        return NULL;
    pthread_mutex_lock(&a->mu);
    struct sim_group *g = find_group(a, *id, r);
    if (!g)
        pthread_mutex_unlock(&a->mu);
    return g;
}

static json_t *group_item(const struct sim_assets *a, const struct sim_node *p, int64_t now)
{
    return group_json((const struct sim_group *)p);
}

/* Creates a group of any type; the one path of both CreateAssetGroup and
 * the H5 flow. id_out (IDS_MAX) gets its id. */
static enum sim_code group_insert(struct sim_assets *a, const char *name, const char *desc, const char *type,
                                  const char *project, char *id_out, struct sim_reply *r)
{
    struct sim_group *g = calloc(1, sizeof *g);
    if (!g || !(g->name = strdup(name)) || !(g->description = dup_or_empty(desc)) ||
        !(g->project = strdup(project))) {
        if (g)
            group_free(g);
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    }
    snprintf(g->type, sizeof g->type, "%s", type);

    pthread_mutex_lock(&a->mu);
    if (a->groups.count >= SIM_MAX_GROUPS) {
        pthread_mutex_unlock(&a->mu);
        group_free(g);
        return sim_fail(r, SIM_QUOTA_EXCEEDED, "The account already has %d asset groups.", SIM_MAX_GROUPS);
    }
    g->create_wall = g->update_wall = clock_wall_ms();
    do /* ids carry 5 random characters: retry the rare collision */
        ids_resource("group", g->create_wall, g->node.id);
    while (sim_table_find(&a->groups, g->node.id));
    sim_table_insert(&a->groups, &g->node);
    snprintf(id_out, IDS_MAX, "%s", g->node.id);
    pthread_mutex_unlock(&a->mu);
    return SIM_OK;
}

int sim_assets_create_liveness_group(struct sim_assets *a, const char *project, const char *name,
                                     char id_out[static IDS_MAX])
{
    struct sim_reply r = {.code = SIM_OK};
    return group_insert(a, name, "", "LivenessFace", project && *project ? project : SIM_DEFAULT_PROJECT, id_out,
                        &r) == SIM_OK
               ? 0
               : -1;
}

enum sim_code sim_create_group(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *name, *desc, *type, *project;
    if (field_str(req, NULL, "Name", 1, SIM_NAME_MAX, &name, r) ||
        field_str(req, NULL, "Description", 0, SIM_DESCRIPTION_MAX, &desc, r) ||
        field_str(req, NULL, "GroupType", 0, 16, &type, r) || project_field(req, &project, r))
        return r->code;
    /* UPSTREAM.md "CreateAssetGroup": GroupType AIGC; LivenessFace groups
     * come from the H5 flow only (sim_liveness.c), never from this Action. */
    if (type && strcmp(type, "LivenessFace") == 0)
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "GroupType",
                           "LivenessFace groups are created only by the H5 liveness flow; GroupType must be AIGC.");
    if (type && strcmp(type, "AIGC") != 0)
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "GroupType", "GroupType must be AIGC.");
    char id[IDS_MAX];
    if (group_insert(a, name, desc, "AIGC", project, id, r) != SIM_OK)
        return r->code;
    r->result = result_id(id);
    return SIM_OK;
}

/* Get, Update and Delete take any ProjectName and find the object by Id
 * alone: lenient (the record does not say whether they are scoped), and
 * the video tasks (sim_video.c) read an asset's ProjectName from GetAsset. */
enum sim_code sim_get_group(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id;
    struct sim_group *g = lock_group(a, req, &id, r);
    if (!g)
        return r->code;
    r->result = group_json(g);
    pthread_mutex_unlock(&a->mu);
    return SIM_OK;
}

enum sim_code sim_list_groups(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    struct list_opts o;
    json_t *ids = NULL;
    const char *type = NULL;
    if (list_opts_parse(req, &o, r) || field_str_array(o.filter, "GroupIds", &ids, r) ||
        field_str(o.filter, "Filter", "GroupType", 0, 16, &type, r))
        return r->code;

    pthread_mutex_lock(&a->mu);
    struct list_hit *hits = malloc((a->groups.count + 1) * sizeof *hits);
    size_t n = 0;
    for (struct sim_node *p = a->groups.newest; hits && p; p = p->older) {
        struct sim_group *g = (struct sim_group *)p;
        if (strcmp(g->project, o.project) != 0 || (ids && !in_str_array(ids, g->node.id)) ||
            (o.name && !strcasestr(g->name, o.name)) || (type && strcmp(type, g->type) != 0))
            continue;
        hits[n] = (struct list_hit){p, g->update_wall, n};
        n++;
    }
    enum sim_code code = list_reply(a, hits, n, &o, group_item, 0, r);
    pthread_mutex_unlock(&a->mu);
    return code;
}

/* UPSTREAM.md "UpdateAssetGroup / UpdateAsset": Result {Id} (one source). */
enum sim_code sim_update_group(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id, *name, *desc, *project;
    if (field_str(req, NULL, "Id", 1, IDS_MAX, &id, r) || field_str(req, NULL, "Name", 0, SIM_NAME_MAX, &name, r) ||
        field_str(req, NULL, "Description", 0, SIM_DESCRIPTION_MAX, &desc, r) || project_field(req, &project, r))
        return r->code;
    if (name && !*name)
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "Name", "Name must not be empty.");
    if (!name && !desc) /* a guess: the record does not say what an empty update answers */
        return sim_fail_at(r, SIM_MISSING_PARAMETER, "Name", "Give Name or Description (or both) to update.");
    char *new_name = name ? strdup(name) : NULL, *new_desc = desc ? strdup(desc) : NULL;
    if ((name && !new_name) || (desc && !new_desc)) {
        free(new_name);
        free(new_desc);
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    }
    pthread_mutex_lock(&a->mu);
    struct sim_group *g = find_group(a, id, r);
    if (g) {
        take_str(&g->name, &new_name);
        take_str(&g->description, &new_desc);
        g->update_wall = clock_wall_ms();
        r->result = result_id(id);
    }
    pthread_mutex_unlock(&a->mu);
    free(new_name);
    free(new_desc);
    return g ? SIM_OK : r->code;
}

/* UPSTREAM.md "UpdateAssetGroup / ... DeleteAsset": a delete answers Result {}. */
enum sim_code sim_delete_group(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id;
    struct sim_group *g = lock_group(a, req, &id, r);
    if (!g)
        return r->code;
    for (struct sim_node *n = a->assets.newest, *older; g->asset_count > 0 && n; n = older) {
        older = n->older;
        struct sim_asset *x = (struct sim_asset *)n;
        if (strcmp(x->group_id, id) == 0) {
            asset_remove(a, x);
            g->asset_count--;
        }
    }
    r->result = json_object();
    sim_table_remove(&a->groups, &g->node);
    group_free(g);
    pthread_mutex_unlock(&a->mu);
    return SIM_OK;
}

/* ---- assets ---- */

static int asset_final(const struct sim_assets *a, const struct sim_asset *x, int64_t now_mono)
{
    return x->check_done && now_mono >= x->create_mono + a->processing_ms;
}

/* UPSTREAM.md "GetAsset": Status ∈ Processing, Active, Failed. */
static const char *asset_status(const struct sim_assets *a, const struct sim_asset *x, int64_t now_mono)
{
    if (!asset_final(a, x, now_mono))
        return "Processing";
    return x->check_ok ? "Active" : "Failed";
}

/* The status changed when the later of the two conditions came true. */
static int64_t asset_update_wall(const struct sim_assets *a, const struct sim_asset *x, int64_t now_mono)
{
    int64_t update = x->update_wall;
    if (asset_final(a, x, now_mono)) {
        int64_t took = x->done_mono - x->create_mono;
        int64_t changed = x->create_wall + (took > a->processing_ms ? took : a->processing_ms);
        if (changed > update)
            update = changed;
    }
    return update;
}

/* UPSTREAM.md "GetAsset": {Id, Name, URL, AssetType, GroupId, Status,
 * ProjectName, CreateTime, UpdateTime, Error?}; a failed asset carries
 * Error {Code, Message} (no FailureReason). */
static json_t *asset_json(const struct sim_assets *a, const struct sim_asset *x, int64_t now_mono)
{
    const char *status = asset_status(a, x, now_mono);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Id", x->node.id, "GroupId", x->group_id, "Name",
                          x->name, "AssetType", kind_names[x->kind], "URL", x->url, "Status", status, "ProjectName",
                          x->project);
    if (!o)
        return NULL;
    if (strcmp(status, "Failed") == 0)
        json_object_set_new(o, "Error", json_pack("{s:s, s:s}", "Code", x->error_code, "Message", x->reason));
    set_time(o, "CreateTime", x->create_wall);
    set_time(o, "UpdateTime", asset_update_wall(a, x, now_mono));
    return o;
}

/* NULL with r set if there is no such asset. Caller holds mu. */
static struct sim_asset *find_asset(struct sim_assets *a, const char *id, struct sim_reply *r)
{
    struct sim_asset *x = (struct sim_asset *)sim_table_find(&a->assets, id);
    if (!x)
        sim_fail_at(r, SIM_NOT_FOUND, "asset_id", "The asset %.64s does not exist.", id);
    return x;
}

/* The asset req's Id names, with mu held; NULL with r set (and mu not
 * held) when the fields are wrong or there is no such asset. */
static struct sim_asset *lock_asset(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id;
    if (id_fields(req, &id, r))
        return NULL;
    pthread_mutex_lock(&a->mu);
    struct sim_asset *x = find_asset(a, id, r);
    if (!x)
        pthread_mutex_unlock(&a->mu);
    return x;
}

static json_t *asset_item(const struct sim_assets *a, const struct sim_node *p, int64_t now)
{
    return asset_json(a, (const struct sim_asset *)p, now);
}

/* Whether the account has at least cap assets Processing. Caller holds mu.
 * Those are the assets whose check has not finished (a->unchecked) plus
 * those checked but still inside their processing time — all among the
 * newest, as every asset has the same processing time and create_mono is
 * taken under mu. Stops at cap, so this costs at most ~2 cap steps. */
static int processing_at_least(const struct sim_assets *a, size_t cap, int64_t now_mono)
{
    size_t n = a->unchecked;
    for (struct sim_node *p = a->assets.newest; p && n < cap; p = p->older) {
        const struct sim_asset *x = (const struct sim_asset *)p;
        if (now_mono >= x->create_mono + a->processing_ms)
            break;
        n += x->check_done;
    }
    return n >= cap;
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

/* UPSTREAM.md "CreateAsset": {GroupId, URL (public http/https), AssetType
 * Image/Video/Audio, Name, ProjectName?} -> Result {Id}. The sim fetches
 * any http(s) URL, loopback included (lenient: tests serve media locally). */
enum sim_code sim_create_asset(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *group_id, *url, *type, *name, *project;
    if (field_str(req, NULL, "GroupId", 1, IDS_MAX, &group_id, r) ||
        field_str(req, NULL, "URL", 1, SIM_URL_MAX, &url, r) || field_str(req, NULL, "AssetType", 1, 16, &type, r) ||
        field_str(req, NULL, "Name", 0, SIM_NAME_MAX, &name, r) || project_field(req, &project, r))
        return r->code;
    int kind = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(type, kind_names[i]) == 0)
            kind = i;
    if (kind < 0)
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "AssetType", "AssetType must be Image, Video or Audio.");
    if (!url_ok(url))
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "URL", "URL must be an http or https URL.");

    struct sim_asset *x = calloc(1, sizeof *x);
    if (!x || !(x->name = dup_or_empty(name)) || !(x->url = strdup(url)) || !(x->project = strdup(project))) {
        if (x)
            asset_free(x);
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    }
    x->kind = (enum sim_asset_kind)kind;

    pthread_mutex_lock(&a->mu);
    struct sim_group *g = find_group(a, group_id, r);
    if (!g)
        goto fail;
    /* UPSTREAM.md "ProjectName": a group of another project is not there
     * for this request. */
    if (strcmp(g->project, project) != 0) {
        sim_fail_at(r, SIM_NOT_FOUND, "group_id", "The asset group %.64s does not exist in project %.64s.",
                    group_id, project);
        goto fail;
    }
    x->create_wall = x->update_wall = clock_wall_ms();
    x->create_mono = clock_mono_ms();
    /* UPSTREAM.md "Account limits": at most 30 creations in flight, read as
     * assets still Processing (the meaning is unverified: a guess). */
    if (processing_at_least(a, (size_t)a->max_processing, x->create_mono)) {
        sim_fail(r, SIM_FLOW_LIMIT, "Request was throttled: %d assets of the account are still Processing.",
                 a->max_processing);
        goto fail;
    }
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
    a->unchecked++;
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
    struct sim_asset *x = lock_asset(a, req, r);
    if (!x)
        return r->code;
    r->result = asset_json(a, x, clock_mono_ms());
    pthread_mutex_unlock(&a->mu);
    return SIM_OK;
}

enum sim_code sim_list_assets(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    struct list_opts o;
    json_t *group_ids = NULL, *statuses = NULL;
    const char *type = NULL, *group_type = NULL;
    if (list_opts_parse(req, &o, r) || field_str_array(o.filter, "GroupIds", &group_ids, r) ||
        field_str_array(o.filter, "Statuses", &statuses, r) ||
        field_str(o.filter, "Filter", "AssetType", 0, 16, &type, r) ||
        field_str(o.filter, "Filter", "GroupType", 0, 16, &group_type, r))
        return r->code;
    size_t i;
    json_t *e;
    /* Inactive is taken (one reseller lists it) and matches nothing here. */
    if (statuses)
        json_array_foreach(statuses, i, e)
        {
            const char *s = json_string_value(e);
            if (strcmp(s, "Processing") != 0 && strcmp(s, "Active") != 0 && strcmp(s, "Failed") != 0 &&
                strcmp(s, "Inactive") != 0)
                return sim_fail_at(r, SIM_INVALID_PARAMETER, "Filter.Statuses",
                                   "Filter.Statuses may hold Processing, Active, Failed and Inactive.");
        }

    pthread_mutex_lock(&a->mu);
    int64_t now = clock_mono_ms();
    struct list_hit *hits = malloc((a->assets.count + 1) * sizeof *hits);
    size_t n = 0;
    for (struct sim_node *p = a->assets.newest; hits && p; p = p->older) {
        struct sim_asset *x = (struct sim_asset *)p;
        if (strcmp(x->project, o.project) != 0 || (group_ids && !in_str_array(group_ids, x->group_id)) ||
            (statuses && !in_str_array(statuses, asset_status(a, x, now))) ||
            (type && strcmp(type, kind_names[x->kind]) != 0) || (o.name && !strcasestr(x->name, o.name)))
            continue;
        if (group_type) {
            const struct sim_group *g = (const struct sim_group *)sim_table_find(&a->groups, x->group_id);
            if (!g || strcmp(g->type, group_type) != 0)
                continue;
        }
        hits[n] = (struct list_hit){p, o.by_update ? asset_update_wall(a, x, now) : 0, n};
        n++;
    }
    enum sim_code code = list_reply(a, hits, n, &o, asset_item, now, r);
    pthread_mutex_unlock(&a->mu);
    return code;
}

enum sim_code sim_update_asset(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    const char *id, *name, *project;
    if (field_str(req, NULL, "Id", 1, IDS_MAX, &id, r) || field_str(req, NULL, "Name", 1, SIM_NAME_MAX, &name, r) ||
        project_field(req, &project, r))
        return r->code;
    char *copy = strdup(name);
    if (!copy)
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    pthread_mutex_lock(&a->mu);
    struct sim_asset *x = find_asset(a, id, r);
    if (x) {
        take_str(&x->name, &copy);
        x->update_wall = clock_wall_ms();
        r->result = result_id(id);
    }
    pthread_mutex_unlock(&a->mu);
    free(copy);
    return x ? SIM_OK : r->code;
}

enum sim_code sim_delete_asset(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    struct sim_asset *x = lock_asset(a, req, r);
    if (!x)
        return r->code;
    struct sim_group *g = (struct sim_group *)sim_table_find(&a->groups, x->group_id);
    if (g)
        g->asset_count--;
    asset_remove(a, x);
    r->result = json_object();
    pthread_mutex_unlock(&a->mu);
    return SIM_OK;
}
