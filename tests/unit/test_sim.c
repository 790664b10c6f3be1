/* test_sim.c — the upstream simulator in-process, driven over real HTTP with
 * V4-signed requests, fetching its media from a second libmicrohttpd server
 * in this test that serves generated PNG/GIF bytes, a redirect and a 404. */
#include <curl/curl.h>
#include <jansson.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "sim/sim.h"
#include "upstream/sign.h"
#include "upstream/upstream.h"
#include "util/buf.h"
#include "util/clock.h"

#define AK "AKLTtest-key"
#define SK "test-secret"
#define REGION "cn-beijing"

/* ---- media server ---- */

static uint8_t png400[64], png200[64], png_wide[64], gif400[16], *mp4_big;
static size_t png400_len, png200_len, png_wide_len, gif400_len;
#define MP4_BIG_LEN (2 * 1024 * 1024)

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* A PNG signature, a real IHDR chunk (with CRC) and IEND. */
static size_t make_png(uint8_t *p, uint32_t w, uint32_t h)
{
    memcpy(p, "\x89PNG\r\n\x1a\n", 8);
    be32(p + 8, 13);
    memcpy(p + 12, "IHDR", 4);
    be32(p + 16, w);
    be32(p + 20, h);
    memcpy(p + 24, "\x08\x06\x00\x00\x00", 5);
    be32(p + 29, crc32_of(p + 12, 17));
    be32(p + 33, 0);
    memcpy(p + 37, "IEND", 4);
    be32(p + 41, crc32_of(p + 37, 4));
    return 45;
}

/* The big MP4 again, in chunks of unknown total: no Content-Length. */
static ssize_t chunked_mp4(void *cls, uint64_t pos, char *buf, size_t max)
{
    if (pos >= MP4_BIG_LEN)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = MP4_BIG_LEN - (size_t)pos < max ? MP4_BIG_LEN - (size_t)pos : max;
    memcpy(buf, mp4_big + pos, n);
    return (ssize_t)n;
}

/* A 400x400 PNG header declared (Content-Length) as one byte over the
 * record's 30 MB image limit; the check must refuse it by the header alone. */
#define PNG_HUGE_LEN ((size_t)30 * 1024 * 1024 + 1)
static ssize_t huge_png(void *cls, uint64_t pos, char *buf, size_t max)
{
    if (pos >= PNG_HUGE_LEN)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = PNG_HUGE_LEN - (size_t)pos < max ? PNG_HUGE_LEN - (size_t)pos : max;
    memset(buf, 0, n);
    if (pos < png400_len)
        memcpy(buf, png400 + pos, png400_len - (size_t)pos < n ? png400_len - (size_t)pos : n);
    return (ssize_t)n;
}

static enum MHD_Result media_serve(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                   const char *version, const char *upload, size_t *upload_size, void **ctx)
{
    const void *data = "not found";
    size_t len = 9;
    unsigned status = 200;
    const char *location = NULL;
    if (strcmp(url, "/ok.png") == 0)
        data = png400, len = png400_len;
    else if (strcmp(url, "/small.png") == 0)
        data = png200, len = png200_len;
    else if (strcmp(url, "/wide.png") == 0)
        data = png_wide, len = png_wide_len;
    else if (strcmp(url, "/anim.gif") == 0)
        data = gif400, len = gif400_len;
    else if (strcmp(url, "/page.html") == 0)
        data = "<html>hello</html>", len = 18;
    else if (strcmp(url, "/clip.mp4") == 0)
        data = mp4_big, len = 4096;
    else if (strcmp(url, "/big.mp4") == 0)
        data = mp4_big, len = MP4_BIG_LEN;
    else if (strcmp(url, "/moved") == 0)
        status = 302, location = "/ok.png", data = "", len = 0;
    else if (strcmp(url, "/loop") == 0)
        status = 302, location = "/loop", data = "", len = 0;
    else
        status = 404;
    struct MHD_Response *r;
    if (strcmp(url, "/big-chunked.mp4") == 0)
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, chunked_mp4, NULL, NULL), status = 200;
    else if (strcmp(url, "/huge.png") == 0)
        r = MHD_create_response_from_callback(PNG_HUGE_LEN, 32 * 1024, huge_png, NULL, NULL), status = 200;
    else
        r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
    if (location)
        MHD_add_response_header(r, "Location", location);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *media_start(int *port)
{
    png400_len = make_png(png400, 400, 400);
    png200_len = make_png(png200, 200, 200);
    png_wide_len = make_png(png_wide, 1000, 300);
    memcpy(gif400, "GIF89a\x90\x01\x90\x01\x00\x00\x00", 13);
    gif400_len = 13;
    mp4_big = calloc(1, MP4_BIG_LEN);
    memcpy(mp4_big, "\x00\x00\x00\x18" "ftypisom\x00\x00\x02\x00" "isommp41", 24);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, media_serve, NULL,
                                            MHD_OPTION_END);
    *port = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port : 0;
    return d;
}

/* ---- a signed client ---- */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    return buf_append(ud, p, size * n) == 0 ? size * n : 0;
}

/* POSTs body to /?query signed with ak/sk (NULL ak: no signature at all).
 * Returns the HTTP status; *out gets the parsed JSON (caller decrefs). */
static long post_raw(int port, const char *query, const char *body, const char *ak, const char *sk, json_t **out)
{
    char host[64], url[256], x_date[17];
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    snprintf(url, sizeof url, "http://%s/?%s", host, query);
    sign_x_date(clock_wall_ms(), x_date);
    struct sign_input in = {.method = "POST", .host = host, .path = "/", .query = query, .x_date = x_date,
                            .content_type = "application/json", .body = body, .body_len = strlen(body),
                            .sign_content_sha256 = 1, .region = REGION, .service = "ark",
                            .access_key = ak, .secret_key = sk};
    struct sign_output so;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char line[600];
    if (ak) {
        if (sign_v4(&in, &so) != 0)
            return -1;
        snprintf(line, sizeof line, "X-Date: %s", x_date);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof line, "X-Content-Sha256: %s", so.payload_hash);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof line, "Authorization: %s", so.authorization);
        h = curl_slist_append(h, line);
    }
    struct buf resp;
    buf_init(&resp, 1 << 20);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (out)
        *out = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
    buf_free(&resp);
    return status;
}

static long call(int port, const char *action, const char *body, json_t **out)
{
    char q[128];
    snprintf(q, sizeof q, "Action=%s&Version=2024-01-01", action);
    return post_raw(port, q, body, AK, SK, out);
}

static const char *error_code(json_t *o)
{
    return json_string_value(json_object_get(json_object_get(json_object_get(o, "ResponseMetadata"), "Error"), "Code"));
}

static const char *result_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(json_object_get(o, "Result"), key));
}

static json_t *get_stats(int port)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/_sim/stats", port);
    struct buf resp;
    buf_init(&resp, 1 << 20);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    json_t *o = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
    buf_free(&resp);
    return o;
}

static long long stat_of(json_t *st, const char *section, const char *key)
{
    json_t *v = section ? json_object_get(json_object_get(st, section), key) : json_object_get(st, key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* ---- fixtures ---- */

static struct sim *sim_up_with(int processing_ms, size_t max_fetch_bytes)
{
    struct sim_config c;
    sim_config_defaults(&c);
    c.access_key = AK;
    c.secret_key = SK;
    c.region = REGION;
    c.port = 0;
    c.processing_ms = processing_ms;
    c.fetch_timeout_ms = 3000;
    c.create_rate = 30;
    c.list_update_rate = 30;
    c.get_rate = 100;
    c.max_creations_in_flight = 30;
    c.quiet = 1;
    if (max_fetch_bytes)
        c.max_fetch_bytes = max_fetch_bytes;
    return sim_start(&c);
}

static struct sim *sim_up(int processing_ms)
{
    return sim_up_with(processing_ms, 0);
}

static int media_port;

static void create_group(int port, char id[64])
{
    json_t *o = NULL;
    id[0] = '\0';
    CHECK(call(port, "CreateAssetGroup", "{\"Name\":\"g1\",\"GroupType\":\"AIGC\"}", &o) == 200);
    const char *s = result_str(o, "Id");
    CHECK(s && strncmp(s, "group-", 6) == 0);
    snprintf(id, 64, "%s", s ? s : "");
    json_decref(o);
}

static void create_asset(int port, const char *group, const char *path, const char *type, char id[64])
{
    char body[512];
    json_t *o = NULL;
    if (strncmp(path, "http", 4) == 0)
        snprintf(body, sizeof body, "{\"GroupId\":\"%s\",\"URL\":\"%s\",\"AssetType\":\"%s\",\"Name\":\"a\"}", group,
                 path, type);
    else
        snprintf(body, sizeof body,
                 "{\"GroupId\":\"%s\",\"URL\":\"http://127.0.0.1:%d%s\",\"AssetType\":\"%s\",\"Name\":\"a\"}", group,
                 media_port, path, type);
    id[0] = '\0';
    CHECK(call(port, "CreateAsset", body, &o) == 200);
    const char *s = result_str(o, "Id");
    CHECK(s && strncmp(s, "asset-", 6) == 0);
    snprintf(id, 64, "%s", s ? s : "");
    json_decref(o);
}

/* Polls GetAsset until it leaves Processing (or 5 s); returns the asset
 * object (caller decrefs) with *elapsed_ms since the call. */
static json_t *wait_final(int port, const char *id, int64_t *elapsed_ms)
{
    char body[128];
    snprintf(body, sizeof body, "{\"Id\":\"%s\"}", id);
    int64_t t0 = clock_mono_ms();
    for (;;) {
        json_t *o = NULL;
        long st = call(port, "GetAsset", body, &o);
        const char *status = result_str(o, "Status");
        if (st != 200 || !status || strcmp(status, "Processing") != 0 || clock_mono_ms() - t0 > 5000) {
            if (elapsed_ms)
                *elapsed_ms = clock_mono_ms() - t0;
            return o;
        }
        json_decref(o);
        clock_sleep_ms(25);
    }
}

static int reason_has(json_t *o, const char *needle)
{
    const char *r = result_str(o, "FailureReason");
    if (!r)
        return 0;
    if (!strstr(r, needle))
        fprintf(stderr, "  reason: %s\n", r);
    return strstr(r, needle) != NULL;
}

/* ---- tests ---- */

static void test_asset_processing_then_active(void)
{
    struct sim *s = sim_up(300);
    CHECK(s != NULL);
    if (!s)
        return;
    int port = sim_port(s);
    CHECK(port > 0);
    char g[64], a[64];
    create_group(port, g);
    create_asset(port, g, "/ok.png", "Image", a);

    json_t *o = NULL;
    char body[128];
    snprintf(body, sizeof body, "{\"Id\":\"%s\"}", a);
    CHECK(call(port, "GetAsset", body, &o) == 200);
    CHECK_STR(result_str(o, "Status"), "Processing");
    CHECK_STR(result_str(o, "GroupId"), g);
    CHECK_STR(result_str(o, "AssetType"), "Image");
    CHECK(json_object_get(json_object_get(o, "Result"), "FailureReason") == NULL);
    json_t *meta = json_object_get(o, "ResponseMetadata");
    CHECK_STR(json_string_value(json_object_get(meta, "Action")), "GetAsset");
    CHECK_STR(json_string_value(json_object_get(meta, "Service")), "ark");
    CHECK_STR(json_string_value(json_object_get(meta, "Region")), REGION);
    CHECK(json_string_length(json_object_get(meta, "RequestId")) > 0);
    const char *ct = result_str(o, "CreateTime");
    CHECK(ct && strlen(ct) == 20 && ct[10] == 'T' && ct[19] == 'Z');
    json_decref(o);

    int64_t took = 0;
    o = wait_final(port, a, &took);
    CHECK_STR(result_str(o, "Status"), "Active");
    CHECK(took >= 200 && took < 3000);
    json_decref(o);

    /* a redirect to the same image is followed */
    create_asset(port, g, "/moved", "Image", a);
    o = wait_final(port, a, NULL);
    CHECK_STR(result_str(o, "Status"), "Active");
    json_decref(o);
    sim_stop(s);
}

static void test_unreachable_and_404_fail(void)
{
    struct sim *s = sim_up(50);
    int port = sim_port(s);
    char g[64], a1[64], a2[64], a3[64];
    create_group(port, g);
    create_asset(port, g, "http://127.0.0.1:1/nothing.png", "Image", a1);
    create_asset(port, g, "/missing.png", "Image", a2);
    create_asset(port, g, "/loop", "Image", a3);
    json_t *o = wait_final(port, a1, NULL);
    /* one sentence for every download failure: no transport detail leaks */
    CHECK_STR(result_str(o, "Status"), "Failed");
    CHECK(reason_has(o, "The media could not be downloaded from the URL."));
    CHECK(!strstr(result_str(o, "FailureReason") ? result_str(o, "FailureReason") : "", "connect"));
    json_decref(o);
    o = wait_final(port, a2, NULL);
    CHECK_STR(result_str(o, "Status"), "Failed");
    CHECK(reason_has(o, "The media could not be downloaded from the URL."));
    CHECK(!strstr(result_str(o, "FailureReason") ? result_str(o, "FailureReason") : "", "404"));
    json_decref(o);
    o = wait_final(port, a3, NULL);
    CHECK_STR(result_str(o, "Status"), "Failed");
    CHECK(reason_has(o, "The media could not be downloaded from the URL."));
    json_decref(o);
    sim_stop(s);
}

static void test_media_rules_fail_assets(void)
{
    struct sim *s = sim_up(50);
    int port = sim_port(s);
    char g[64], small[64], gif[64], html[64], wide[64], video[64], audio[64], huge[64];
    create_group(port, g);
    create_asset(port, g, "/huge.png", "Image", huge);
    create_asset(port, g, "/small.png", "Image", small);
    create_asset(port, g, "/anim.gif", "Image", gif);
    create_asset(port, g, "/page.html", "Image", html);
    create_asset(port, g, "/wide.png", "Image", wide);
    create_asset(port, g, "/ok.png", "Video", video);
    create_asset(port, g, "/ok.png", "Audio", audio);
    json_t *o = wait_final(port, small, NULL);
    CHECK_STR(result_str(o, "Status"), "Failed");
    CHECK(reason_has(o, "200x200"));
    json_decref(o);
    o = wait_final(port, gif, NULL); /* GIF is one of the record's eight image formats */
    CHECK_STR(result_str(o, "Status"), "Active");
    json_decref(o);
    o = wait_final(port, html, NULL);
    CHECK(reason_has(o, "Unsupported image format"));
    json_decref(o);
    o = wait_final(port, huge, NULL); /* "Media": images < 30 MB */
    CHECK_STR(result_str(o, "Status"), "Failed");
    CHECK(reason_has(o, "at most 31457280 bytes"));
    json_decref(o);
    o = wait_final(port, wide, NULL);
    CHECK(reason_has(o, "1000x300") && reason_has(o, "aspect"));
    json_decref(o);
    o = wait_final(port, video, NULL);
    CHECK(reason_has(o, "Unsupported video format (image/png)"));
    json_decref(o);
    o = wait_final(port, audio, NULL);
    CHECK(reason_has(o, "Unsupported audio format"));
    json_decref(o);

    /* ListAssets filters on the computed status */
    char body[256];
    snprintf(body, sizeof body, "{\"Filter\":{\"GroupIds\":[\"%s\"],\"Statuses\":[\"Failed\"]},\"PageSize\":100}", g);
    CHECK(call(port, "ListAssets", body, &o) == 200);
    CHECK(json_integer_value(json_object_get(json_object_get(o, "Result"), "TotalCount")) == 6);
    json_decref(o);
    snprintf(body, sizeof body, "{\"Filter\":{\"Statuses\":[\"Active\"]}}");
    CHECK(call(port, "ListAssets", body, &o) == 200);
    CHECK(json_integer_value(json_object_get(json_object_get(o, "Result"), "TotalCount")) == 1);
    json_decref(o);
    sim_stop(s);
}

static void test_signature_is_required(void)
{
    struct sim *s = sim_up(50);
    int port = sim_port(s);
    json_t *o = NULL;
    const char *q = "Action=ListAssetGroups&Version=2024-01-01";
    CHECK(post_raw(port, q, "{}", AK, "wrong-secret", &o) == 401);
    CHECK_STR(error_code(o), "SignatureDoesNotMatch");
    json_decref(o);
    CHECK(post_raw(port, q, "{}", NULL, NULL, &o) == 401);
    CHECK_STR(error_code(o), "MissingAuthenticationToken");
    json_decref(o);
    CHECK(post_raw(port, q, "{}", "AKLTsomeone-else", SK, &o) == 401);
    CHECK_STR(error_code(o), "InvalidAccessKey");
    json_decref(o);
    CHECK(post_raw(port, q, "{}", AK, SK, &o) == 200);
    json_decref(o);
    json_t *st = get_stats(port);
    CHECK(stat_of(st, NULL, "signature_failures") == 3);
    CHECK(stat_of(st, "requests", "ListAssetGroups") == 1);
    json_decref(st);
    sim_stop(s);
}

static void test_protocol_errors(void)
{
    struct sim *s = sim_up(50);
    int port = sim_port(s);
    json_t *o = NULL;
    CHECK(post_raw(port, "Action=ListAssetGroups&Version=2023-01-01", "{}", AK, SK, &o) == 400);
    CHECK_STR(error_code(o), "InvalidVersion");
    json_decref(o);
    CHECK(call(port, "MakeCoffee", "{}", &o) == 400);
    CHECK_STR(error_code(o), "InvalidAction");
    json_decref(o);
    CHECK(call(port, "CreateAssetGroup", "{\"Name\":", &o) == 400);
    CHECK_STR(error_code(o), "InvalidParameter");
    json_decref(o);
    CHECK(call(port, "CreateAssetGroup", "[1]", &o) == 400);
    CHECK_STR(error_code(o), "InvalidParameter");
    json_decref(o);
    CHECK(call(port, "CreateAssetGroup", "{}", &o) == 400);
    CHECK_STR(error_code(o), "InvalidParameter");
    json_decref(o);
    CHECK(call(port, "CreateAssetGroup",
               "{\"Name\":\"123456789012345678901234567890123456789012345678901\"}", &o) == 400);
    CHECK_STR(error_code(o), "InvalidParameter");
    json_decref(o);
    CHECK(call(port, "CreateAssetGroup", "{\"Name\":\"x\",\"GroupType\":\"Other\"}", &o) == 400);
    json_decref(o);
    CHECK(call(port, "CreateAssetGroup", "{\"Name\":7}", &o) == 400);
    json_decref(o);
    char g[64];
    create_group(port, g);
    char body[256];
    snprintf(body, sizeof body, "{\"GroupId\":\"%s\",\"URL\":\"ftp://x/y.png\",\"AssetType\":\"Image\"}", g);
    CHECK(call(port, "CreateAsset", body, &o) == 400);
    CHECK_STR(error_code(o), "InvalidParameter");
    json_decref(o);
    snprintf(body, sizeof body, "{\"GroupId\":\"%s\",\"URL\":\"http://x/y.png\",\"AssetType\":\"Doc\"}", g);
    CHECK(call(port, "CreateAsset", body, &o) == 400);
    json_decref(o);
    CHECK(call(port, "ListAssets", "{\"PageSize\":1000}", &o) == 400);
    json_decref(o);
    /* a body over 1 MiB */
    size_t big = 1100 * 1024;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    CHECK(call(port, "ListAssets", huge, &o) == 413);
    json_decref(o);
    free(huge);
    sim_stop(s);
}

static void test_unknown_ids_are_not_found(void)
{
    struct sim *s = sim_up(50);
    int port = sim_port(s);
    json_t *o = NULL;
    CHECK(call(port, "GetAsset", "{\"Id\":\"asset-20240101000000-zzzzz\"}", &o) == 404);
    CHECK_STR(error_code(o), "NotFound");
    json_decref(o);
    CHECK(call(port, "GetAssetGroup", "{\"Id\":\"group-20240101000000-zzzzz\"}", &o) == 404);
    CHECK_STR(error_code(o), "NotFound");
    json_decref(o);
    CHECK(call(port, "DeleteAsset", "{\"Id\":\"nope\"}", &o) == 404);
    json_decref(o);
    CHECK(call(port, "UpdateAssetGroup", "{\"Id\":\"nope\",\"Name\":\"x\"}", &o) == 404);
    json_decref(o);
    CHECK(call(port, "CreateAsset",
               "{\"GroupId\":\"group-20240101000000-zzzzz\",\"URL\":\"http://x/a.png\",\"AssetType\":\"Image\"}",
               &o) == 404);
    CHECK_STR(error_code(o), "NotFound");
    json_decref(o);
    sim_stop(s);
}

static void test_groups_lifecycle(void)
{
    struct sim *s = sim_up(50);
    int port = sim_port(s);
    char g1[64], g2[64], a[64], body[256];
    json_t *o = NULL;
    create_group(port, g1);
    create_group(port, g2);
    create_asset(port, g1, "/ok.png", "Image", a);

    snprintf(body, sizeof body, "{\"Id\":\"%s\",\"Name\":\"renamed\",\"Description\":\"d\"}", g1);
    CHECK(call(port, "UpdateAssetGroup", body, &o) == 200);
    json_decref(o);
    snprintf(body, sizeof body, "{\"Id\":\"%s\"}", g1);
    CHECK(call(port, "GetAssetGroup", body, &o) == 200);
    CHECK_STR(result_str(o, "Name"), "renamed");
    CHECK_STR(result_str(o, "Description"), "d");
    CHECK_STR(result_str(o, "GroupType"), "AIGC");
    json_decref(o);

    /* newest first, paged */
    CHECK(call(port, "ListAssetGroups", "{\"PageNumber\":1,\"PageSize\":1}", &o) == 200);
    json_t *res = json_object_get(o, "Result");
    CHECK(json_integer_value(json_object_get(res, "TotalCount")) == 2);
    CHECK(json_array_size(json_object_get(res, "Items")) == 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(res, "Items"), 0), "Id")), g2);
    json_decref(o);
    CHECK(call(port, "ListAssetGroups", "{\"Filter\":{\"Name\":\"rena\"}}", &o) == 200);
    CHECK(json_integer_value(json_object_get(json_object_get(o, "Result"), "TotalCount")) == 1);
    json_decref(o);

    snprintf(body, sizeof body, "{\"Id\":\"%s\",\"Name\":\"pic\"}", a);
    CHECK(call(port, "UpdateAsset", body, &o) == 200);
    json_decref(o);
    snprintf(body, sizeof body, "{\"Id\":\"%s\"}", a);
    CHECK(call(port, "GetAsset", body, &o) == 200);
    CHECK_STR(result_str(o, "Name"), "pic");
    json_decref(o);

    json_t *st = get_stats(port);
    CHECK(stat_of(st, NULL, "groups") == 2 && stat_of(st, NULL, "assets") == 1);
    json_decref(st);

    snprintf(body, sizeof body, "{\"Id\":\"%s\"}", g1);
    CHECK(call(port, "DeleteAssetGroup", body, &o) == 200);
    CHECK_STR(result_str(o, "Id"), g1);
    json_decref(o);
    snprintf(body, sizeof body, "{\"Id\":\"%s\"}", a);
    CHECK(call(port, "GetAsset", body, &o) == 404); /* went with its group */
    json_decref(o);
    st = get_stats(port);
    CHECK(stat_of(st, NULL, "groups") == 1 && stat_of(st, NULL, "assets") == 0);
    json_decref(st);
    sim_stop(s);
}

static void test_burst_of_creates_is_throttled(void)
{
    struct sim *s = sim_up(50);
    int port = sim_port(s);
    int ok = 0, throttled = 0, other = 0;
    int64_t t0 = clock_mono_ms();
    for (int i = 0; i < 45; i++) {
        json_t *o = NULL;
        long st = call(port, "CreateAssetGroup", "{\"Name\":\"burst\"}", &o);
        if (st == 200) {
            ok++;
        } else if (st == 429 && error_code(o) && strcmp(error_code(o), "FlowLimitExceeded") == 0) {
            const char *m = json_string_value(json_object_get(
                json_object_get(json_object_get(o, "ResponseMetadata"), "Error"), "Message"));
            CHECK(m && strncmp(m, "Request was throttled: ", 23) == 0);
            throttled++;
        } else {
            other++;
        }
        json_decref(o);
    }
    int64_t took = clock_mono_ms() - t0;
    CHECK(other == 0);
    if (took < 500) { /* only meaningful when the burst really was fast */
        CHECK(throttled >= 1);
        CHECK(ok >= 30 && ok <= 30 + (int)(took * 30 / 1000) + 1);
    }
    json_t *st = get_stats(port);
    CHECK(stat_of(st, "throttled", "CreateAssetGroup") == throttled);
    CHECK(stat_of(st, NULL, "throttled_total") == throttled);
    CHECK(stat_of(st, "requests", "CreateAssetGroup") == 45);
    CHECK(stat_of(st, NULL, "groups") == ok);
    json_decref(st);
    sim_stop(s);
}

static void test_video_type_and_size_limit(void)
{
    struct sim *s = sim_up_with(50, 1024 * 1024);
    int port = sim_port(s);
    char g[64], clip[64], big[64], chunked[64];
    create_group(port, g);
    create_asset(port, g, "/clip.mp4", "Video", clip);
    create_asset(port, g, "/big.mp4", "Video", big);
    create_asset(port, g, "/big-chunked.mp4", "Video", chunked);
    json_t *o = wait_final(port, clip, NULL);
    CHECK_STR(result_str(o, "Status"), "Active");
    json_decref(o);
    /* 2 MiB declared by Content-Length: within the record's 200 MB, and only
     * its first bytes are downloaded, so the 1 MiB download cap is moot */
    o = wait_final(port, big, NULL);
    CHECK_STR(result_str(o, "Status"), "Active");
    json_decref(o);
    /* the same bytes undeclared must be counted: past the cap, refused */
    o = wait_final(port, chunked, NULL);
    CHECK_STR(result_str(o, "Status"), "Failed");
    CHECK(reason_has(o, "larger than 1048576 bytes"));
    json_decref(o);
    sim_stop(s);
}

/* A check stuck on a server that never answers must not hold up sim_stop:
 * the socket listens (so connect succeeds) but nothing ever accepts. */
static void test_stop_aborts_downloads(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 4) == 0 &&
          getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    struct sim *s = sim_up(50);
    int port = sim_port(s);
    char g[64], a[64], url[128], body[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/never.png", ntohs(sa.sin_port));
    create_group(port, g);
    create_asset(port, g, url, "Image", a);
    clock_sleep_ms(300);
    json_t *o = NULL;
    snprintf(body, sizeof body, "{\"Id\":\"%s\"}", a);
    CHECK(call(port, "GetAsset", body, &o) == 200);
    CHECK_STR(result_str(o, "Status"), "Processing"); /* the check is still waiting */
    json_decref(o);
    int64_t t0 = clock_mono_ms();
    sim_stop(s);
    CHECK(clock_mono_ms() - t0 < 2000); /* well before the 3 s fetch timeout */
    close(fd);
}

/* The gateway's real client against the simulator: the two must agree on
 * signing, envelope and fields. */
static void test_volc_client_interop(void)
{
    struct sim *s = sim_up(100);
    char endpoint[64], g[IDS_MAX], a[IDS_MAX], url[128];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", sim_port(s));
    struct upstream_config uc = {.endpoint = endpoint, .access_key = AK, .secret_key = SK, .region = REGION,
                                 .service = "ark", .version = "2024-01-01", .timeout_ms = 5000,
                                 .connect_timeout_ms = 2000, .max_attempts = 2};
    struct upstream *u = upstream_volc_new(&uc);
    CHECK(u != NULL);
    if (!u) {
        sim_stop(s);
        return;
    }
    struct up_error err;
    memset(&err, 0, sizeof err);
    CHECK(u->ops->create_group(u, "interop", "desc", "AIGC", g, &err) == UP_OK);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok.png", media_port);
    CHECK(u->ops->create_asset(u, g, url, "Image", "n", a, &err) == UP_OK);
    struct up_asset ua;
    CHECK(u->ops->get_asset(u, a, &ua, &err) == UP_OK);
    CHECK_STR(ua.status, "Processing");
    CHECK_STR(ua.group_id, g);
    int64_t t0 = clock_mono_ms();
    while (strcmp(ua.status, "Processing") == 0 && clock_mono_ms() - t0 < 5000) {
        clock_sleep_ms(50);
        CHECK(u->ops->get_asset(u, a, &ua, &err) == UP_OK);
    }
    CHECK_STR(ua.status, "Active");
    CHECK(u->ops->get_asset(u, "asset-20240101000000-zzzzz", &ua, &err) == UP_NOT_FOUND);
    CHECK(u->ops->ping(u, &err) == UP_OK);
    CHECK(u->ops->delete_group(u, g, &err) == UP_OK);
    u->ops->destroy(u);
    sim_stop(s);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct MHD_Daemon *media = media_start(&media_port);
    if (!media) {
        printf("FAIL media_server\n");
        return 1;
    }
    RUN(test_asset_processing_then_active);
    RUN(test_unreachable_and_404_fail);
    RUN(test_media_rules_fail_assets);
    RUN(test_signature_is_required);
    RUN(test_protocol_errors);
    RUN(test_unknown_ids_are_not_found);
    RUN(test_groups_lifecycle);
    RUN(test_burst_of_creates_is_throttled);
    RUN(test_video_type_and_size_limit);
    RUN(test_stop_aborts_downloads);
    RUN(test_volc_client_interop);
    MHD_stop_daemon(media);
    free(mp4_big);
    curl_global_cleanup();
    return check_summary();
}
