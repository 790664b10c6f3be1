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
