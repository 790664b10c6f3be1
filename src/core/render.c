/* render.c — the Asset and video task objects as customers see them
 * (API.md §2, §4), as compact JSON text: the one renderer behind GetAsset's
 * hot path, the video endpoints and the events' Data (events.c), so an
 * event says exactly what a read would. api/render.c builds the same Asset
 * with jansson for lists; a unit test keeps the two byte-identical. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/jsonw.h"

static int put_field(struct buf *out, const char *key, const char *value)
{
    return buf_puts(out, key) | jsonw_string(out, value);
}

int render_asset_text(const struct asset *a, struct buf *out)
{
    char created[21], updated[21];
    clock_rfc3339(a->create_ms, created);
    clock_rfc3339(a->update_ms, updated);
    int rc = put_field(out, "{\"Id\":", a->id);
    rc |= put_field(out, ",\"GroupId\":", a->group_id);
    rc |= put_field(out, ",\"Name\":", a->name);
    rc |= put_field(out, ",\"AssetType\":", a->type);
    rc |= put_field(out, ",\"URL\":", a->url);
    rc |= put_field(out, ",\"UpstreamStatus\":", a->status);
    if (strcmp(a->status, "Failed") == 0) {
        rc |= put_field(out, ",\"FailureReason\":", a->failure_reason);
        if (a->error_code[0]) {
            rc |= put_field(out, ",\"Error\":{\"Code\":", a->error_code);
            rc |= put_field(out, ",\"Message\":", a->error_message);
            rc |= buf_puts(out, "}");
        }
    }
    /* API.md §2: the video models that accept it now (empty unless Active) */
    const char *models[8];
    size_t n_models = core_asset_models(a, models, sizeof models / sizeof models[0]);
    rc |= buf_puts(out, ",\"AvailableModels\":[");
    for (size_t i = 0; i < n_models; i++)
        rc |= buf_puts(out, i ? "," : "") | jsonw_string(out, models[i]);
    rc |= buf_puts(out, "]");
    rc |= put_field(out, ",\"CreateTime\":", created);
    rc |= put_field(out, ",\"UpdateTime\":", updated);
    rc |= buf_puts(out, "}");
    return rc ? -1 : 0;
}

int core_video_json(struct core *c, const struct video_task *t, struct buf *out)
{
    int rc = put_field(out, "{\"id\":", t->id);
    rc |= put_field(out, ",\"object\":", "video.generation");
    rc |= put_field(out, ",\"model\":", t->model);
    rc |= put_field(out, ",\"status\":", t->status);
    rc |= buf_printf(out, ",\"created_at\":%lld", (long long)(t->create_ms / 1000));
    if (strcmp(t->status, "succeeded") == 0) {
        char url[1024];
        if (core_video_result_url(c, t, url, sizeof url) == 0)
            rc |= put_field(out, ",\"video_url\":", url);
        rc |= buf_printf(out, ",\"usage\":{\"completion_tokens\":%lld,\"total_tokens\":%lld}",
                         (long long)t->completion_tokens, (long long)t->total_tokens);
    } else if (strcmp(t->status, "failed") == 0) {
        rc |= put_field(out, ",\"error\":{\"code\":", t->error_code[0] ? t->error_code : "failed");
        rc |= put_field(out, ",\"message\":", t->error_message[0] ? t->error_message : "The generation failed.");
        rc |= buf_puts(out, "}");
    }
    rc |= buf_puts(out, "}");
    return rc ? -1 : 0;
}
