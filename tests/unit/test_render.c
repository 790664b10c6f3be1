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
    snprintf(a.url, sizeof a.url, "http://127.0.0.1:9/a/b.png?x=1&y=\"2\"");
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
    /* API.md §2: AvailableModels, the models taking asset:// — none unless Active */
    CHECK(json_array_size(json_object_get(o = render_asset(&a), "AvailableModels")) == 0);
    json_decref(o);
    a = sample("active", "Active");
    o = render_asset(&a);
    json_t *models = json_object_get(o, "AvailableModels");
    CHECK(json_array_size(models) == 2);
    CHECK_STR(json_string_value(json_array_get(models, 0)), "seedance-2.0");
    CHECK_STR(json_string_value(json_array_get(models, 1)), "seedance-2.0-fast");
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

/* The one error catalog (api/errors.c): a row for every core code, each
 * with both surfaces' spellings. */
static void test_every_core_code_has_a_catalog_row(void)
{
    const struct api_error_def *internal = api_error_def(CORE_INTERNAL_ERROR);
    for (int c = 1; c < CORE_CODE_COUNT; c++) {
        const struct api_error_def *d = api_error_def((enum core_code)c);
        CHECK(c == CORE_INTERNAL_ERROR || d != internal);
        CHECK(d->code && d->code[0] && d->video_code && d->video_code[0] && d->message && d->message[0]);
        CHECK(d->http_status >= 400 && d->http_status < 600);
    }
    CHECK(api_error_def(CORE_CODE_COUNT) == internal);
}

/* The route table's generic checks answer in the row's envelope, before
 * any core call (so no core is needed here). */
static json_t *handle(struct api *a, const char *method, const char *path, int overloaded, int *status)
{
    struct api_request req = {.method = method, .path = path, .body = "", .request_id = "req-1",
                              .overloaded = overloaded};
    struct api_response resp;
    memset(&resp, 0, sizeof resp);
    api_handle(a, &req, &resp);
    *status = resp.status;
    json_t *o = json_loadb(resp.body, resp.body_len, 0, NULL);
    free(resp.body);
    return o;
}

static void test_overload_answers_in_the_routes_envelope(void)
{
    struct api *a = api_new(NULL, "cn-beijing");
    int status;
    json_t *o = handle(a, "POST", "/v1/videos/generations", 1, &status);
    CHECK(status == 503);
    CHECK_STR(json_string_value(json_object_get(json_object_get(o, "error"), "code")), "service_unavailable");
    CHECK(json_object_get(o, "ResponseMetadata") == NULL);
    json_decref(o);
    o = handle(a, "GET", "/v1/videos/results/x", 1, &status);
    CHECK(status == 503);
    CHECK_STR(json_string_value(json_object_get(json_object_get(o, "error"), "code")), "service_unavailable");
    json_decref(o);
    o = handle(a, "POST", "/v1/portrait/", 1, &status);
    CHECK(status == 503);
    CHECK_STR(json_string_value(
                  json_object_get(json_object_get(json_object_get(o, "ResponseMetadata"), "Error"), "Code")),
              "ServiceUnavailable");
    json_decref(o);
    o = handle(a, "GET", "/nowhere", 0, &status);
    CHECK(status == 404);
    CHECK_STR(json_string_value(
                  json_object_get(json_object_get(json_object_get(o, "ResponseMetadata"), "Error"), "Code")),
              "NotFound");
    json_decref(o);
    o = handle(a, "DELETE", "/v1/media/k", 0, &status);
    CHECK(status == 405);
    CHECK_STR(json_string_value(json_object_get(json_object_get(o, "Error"), "Code")), "MethodNotAllowed");
    json_decref(o);
    api_free(a);
}

int main(void)
{
    RUN(test_asset_text_matches_jansson);
    RUN(test_jsonw_escapes_control_characters);
    RUN(test_jsonw_respects_the_buffer_limit);
    RUN(test_every_core_code_has_a_catalog_row);
    RUN(test_overload_answers_in_the_routes_envelope);
    return check_summary();
}
