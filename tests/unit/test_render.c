/* test_render.c — the hand-written JSON of the hot paths must be exactly
 * what jansson would write for the same objects. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "check.h"
#include "util/jsonw.h"

static struct asset sample(const char *name, const char *status)
{
    struct asset a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "asset-20261125123515-ab12c");
    snprintf(a.group_id, sizeof a.group_id, "group-20261125123515-zz9x0");
    snprintf(a.type, sizeof a.type, "Image");
    snprintf(a.name, sizeof a.name, "%s", name);
    snprintf(a.url, sizeof a.url, "https://cdn.example.com/a/b.png?x=1&y=\"2\"");
    snprintf(a.status, sizeof a.status, "%s", status);
    snprintf(a.failure_reason, sizeof a.failure_reason, "image is 200x200 px; each side must be 300 to 6000 px");
    a.create_ms = 1764074115000;
    a.update_ms = 1764074116000;
    return a;
}

static void same_as_jansson(const struct asset *a)
{
    json_t *o = render_asset(a);
    char *want = json_dumps(o, JSON_COMPACT);
    struct buf b;
    buf_init(&b, 1 << 20);
    CHECK(render_asset_text(a, &b) == 0);
    CHECK_STR(b.data, want);
    buf_free(&b);
    free(want);
    json_decref(o);
}

static void test_asset_text_matches_jansson(void)
{
    struct asset a = sample("plain", "Active");
    same_as_jansson(&a);
    a = sample("quotes \" back\\slash / tab\t nl\n cr\r bell\x07 del\x7f", "Failed");
    same_as_jansson(&a);
    a = sample("é漢字😀 zh-Hant 繁體", "Processing");
    same_as_jansson(&a);
    /* API.md §2: a Failed asset carries the upstream's Error verbatim */
    a = sample("failed with code", "Failed");
    snprintf(a.error_code, sizeof a.error_code, "InvalidParameter.DownloadFailed");
    snprintf(a.error_message, sizeof a.error_message, "download \"failed\"\n");
    same_as_jansson(&a);
    json_t *o = render_asset(&a);
    CHECK_STR(json_string_value(json_object_get(json_object_get(o, "Error"), "Code")),
              "InvalidParameter.DownloadFailed");
    json_decref(o);
    /* an unknown Status is passed through verbatim, with no Error */
    a = sample("unknown", "Inactive");
    snprintf(a.error_code, sizeof a.error_code, "X");
    same_as_jansson(&a);
    o = render_asset(&a);
    CHECK_STR(json_string_value(json_object_get(o, "UpstreamStatus")), "Inactive");
    CHECK(json_object_get(o, "Error") == NULL && json_object_get(o, "FailureReason") == NULL);
    json_decref(o);
}

static void test_jsonw_escapes_control_characters(void)
{
    struct buf b;
    buf_init(&b, 1024);
    CHECK(jsonw_string(&b, "a\x01z\x1f") == 0);
    CHECK_STR(b.data, "\"a\\u0001z\\u001f\"");
    buf_free(&b);
}

static void test_jsonw_respects_the_buffer_limit(void)
{
    struct buf b;
    buf_init(&b, 4);
    CHECK(jsonw_string(&b, "abcdef") == -1);
    buf_free(&b);
}

int main(void)
{
    RUN(test_asset_text_matches_jansson);
    RUN(test_jsonw_escapes_control_characters);
    RUN(test_jsonw_respects_the_buffer_limit);
    return check_summary();
}
