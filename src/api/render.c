/* render.c — the Group and Asset objects of API.md §2. */
#include <string.h>

#include "api/internal.h"
#include "util/clock.h"
#include "util/jsonw.h"

json_t *render_group(const struct group *g)
{
    char created[21], updated[21];
    clock_rfc3339(g->create_ms, created);
    clock_rfc3339(g->update_ms, updated);
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "Id", g->id, "Name", g->name, "Description",
                     g->description, "GroupType", g->type, "AssetCount", g->asset_count, "CreateTime", created,
                     "UpdateTime", updated);
}

json_t *render_asset(const struct asset *a)
{
    char created[21], updated[21];
    clock_rfc3339(a->create_ms, created);
    clock_rfc3339(a->update_ms, updated);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Id", a->id, "GroupId", a->group_id, "Name", a->name,
                          "AssetType", a->type, "URL", a->url, "UpstreamStatus", a->status);
    if (!o)
        return NULL;
    if (strcmp(a->status, "Failed") == 0) {
        json_object_set_new(o, "FailureReason", json_string(a->failure_reason));
        /* API.md §2: the upstream's own code and message, verbatim */
        if (a->error_code[0])
            json_object_set_new(o, "Error", json_pack("{s:s, s:s}", "Code", a->error_code, "Message",
                                                      a->error_message));
    }
    /* API.md §2: the video models that accept it now; empty unless Active */
    const char *models[8];
    size_t n_models = core_asset_models(a, models, sizeof models / sizeof models[0]);
    json_t *am = json_array();
    for (size_t i = 0; i < n_models; i++)
        json_array_append_new(am, json_string(models[i]));
    json_object_set_new(o, "AvailableModels", am);
    json_object_set_new(o, "CreateTime", json_string(created));
    json_object_set_new(o, "UpdateTime", json_string(updated));
    return o;
}

/* Written by hand for GetAsset's hot path; keys, order and escaping are
 * exactly those of json_dumps(render_asset(a), JSON_COMPACT), which a unit
 * test checks. */
int render_asset_text(const struct asset *a, struct buf *out)
{
    char created[21], updated[21];
    clock_rfc3339(a->create_ms, created);
    clock_rfc3339(a->update_ms, updated);
    int rc = buf_puts(out, "{\"Id\":");
    rc |= jsonw_string(out, a->id);
    rc |= buf_puts(out, ",\"GroupId\":");
    rc |= jsonw_string(out, a->group_id);
    rc |= buf_puts(out, ",\"Name\":");
    rc |= jsonw_string(out, a->name);
    rc |= buf_puts(out, ",\"AssetType\":");
    rc |= jsonw_string(out, a->type);
    rc |= buf_puts(out, ",\"URL\":");
    rc |= jsonw_string(out, a->url);
    rc |= buf_puts(out, ",\"UpstreamStatus\":");
    rc |= jsonw_string(out, a->status);
    if (strcmp(a->status, "Failed") == 0) {
        rc |= buf_puts(out, ",\"FailureReason\":");
        rc |= jsonw_string(out, a->failure_reason);
        if (a->error_code[0]) {
            rc |= buf_puts(out, ",\"Error\":{\"Code\":");
            rc |= jsonw_string(out, a->error_code);
            rc |= buf_puts(out, ",\"Message\":");
            rc |= jsonw_string(out, a->error_message);
            rc |= buf_puts(out, "}");
        }
    }
    const char *models[8];
    size_t n_models = core_asset_models(a, models, sizeof models / sizeof models[0]);
    rc |= buf_puts(out, ",\"AvailableModels\":[");
    for (size_t i = 0; i < n_models; i++) {
        rc |= buf_puts(out, i ? "," : "");
        rc |= jsonw_string(out, models[i]);
    }
    rc |= buf_puts(out, "]");
    rc |= buf_puts(out, ",\"CreateTime\":");
    rc |= jsonw_string(out, created);
    rc |= buf_puts(out, ",\"UpdateTime\":");
    rc |= jsonw_string(out, updated);
    rc |= buf_puts(out, "}");
    return rc ? -1 : 0;
}
