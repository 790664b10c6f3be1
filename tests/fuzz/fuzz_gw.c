/* fuzz_gw.c — see fuzz_gw.h. */
#include "fuzz_gw.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/keys.h"
#include "upstream/upstream.h"
#include "util/clock.h"

static struct fuzz_gw gw;
static int gw_ready;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_gw: %s\n", what);
    abort();
}

static void seed_store(struct fuzz_gw *g)
{
    struct customer cu;
    struct core_status st = {0};
    if (core_authenticate(g->core, g->key, &cu, NULL, &st) != CORE_OK)
        die("cannot authenticate the fuzz key");
    struct store *s = g->store;
    int64_t now = clock_wall_ms(), h;
    if (s->ops->reserve_group(s, cu.id, "AIGC", "fuzz group", "seeded", CORE_MAX_GROUPS, now, NULL, &h) != STORE_OK ||
        s->ops->confirm_group(s, h, FUZZ_GROUP_ID, now) != STORE_OK)
        die("cannot seed the group");
    if (s->ops->reserve_asset(s, cu.id, FUZZ_GROUP_ID, "Image", "face", "http://127.0.0.1:9/a.png", NULL, 0, NULL,
                              CORE_MAX_ASSETS, now, NULL, &h, NULL) != STORE_OK ||
        s->ops->confirm_asset(s, h, FUZZ_ASSET_ID, now, now + 3600 * 1000) != STORE_OK ||
        s->ops->set_asset_status(s, FUZZ_ASSET_ID, "Active", "", "", "", now, NULL) != STORE_OK)
        die("cannot seed the active asset");
    if (s->ops->reserve_asset(s, cu.id, FUZZ_GROUP_ID, "Video", "clip", "http://127.0.0.1:9/a.mp4", NULL, 0, NULL,
                              CORE_MAX_ASSETS, now, NULL, &h, NULL) != STORE_OK ||
        s->ops->confirm_asset(s, h, FUZZ_ASSET_PROC, now, now + 3600 * 1000) != STORE_OK)
        die("cannot seed the processing asset");
}

static void cleanup(void)
{
    if (!gw_ready)
        return;
    core_free(gw.core);
    api_free(gw.api);
    api_free(gw.admin_api);
    gw.up->ops->destroy(gw.up);
    blob_close(gw.blob);
    gw.store->ops->close(gw.store);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", gw.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_gw: could not remove %s\n", gw.dir);
}

struct fuzz_gw *fuzz_gw(void)
{
    if (gw_ready)
        return &gw;
    const char *tmp = getenv("TMPDIR");
    snprintf(gw.dir, sizeof gw.dir, "%s/portico-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(gw.dir))
        die("mkdtemp");
    gw.store = store_sqlite_open(gw.dir);
    if (!gw.store)
        die("cannot open the SQLite store");
    if (keys_create(gw.store, "fuzz", 1, gw.key) != STORE_OK)
        die("cannot create a key");
    snprintf(gw.bearer, sizeof gw.bearer, "Bearer %s", gw.key);
    if (admin_keys_create(gw.store, gw.admin_key) != STORE_OK)
        die("cannot create an admin key");
    snprintf(gw.admin_bearer, sizeof gw.admin_bearer, "Bearer %s", gw.admin_key);
    struct blob_config bc = {.spec = "fs", .data_dir = gw.dir, .public_url = "http://127.0.0.1:1"};
    gw.blob = blob_open(&bc);
    if (!gw.blob)
        die("cannot open the fs blob store");
    /* Port 1 on loopback: refused at once, one attempt, never retried. */
    struct upstream_config uc = {.endpoint = "http://127.0.0.1:1", .access_key = "AKLTfuzz",
                                 .secret_key = "fuzz-secret", .region = "cn-beijing", .service = "ark",
                                 .version = "2024-01-01", .timeout_ms = 500, .connect_timeout_ms = 200,
                                 .max_attempts = 1, .ark_endpoint = "http://127.0.0.1:1",
                                 .ark_api_key = "fuzz-ark-key"};
    gw.up = upstream_volc_new(&uc);
    if (!gw.up)
        die("cannot make the upstream client");
    struct core_config cc;
    core_config_defaults(&cc);
    cc.create_rate = cc.mutate_rate = cc.get_rate = 1e6;
    cc.max_inflight_creates = 1000;
    cc.create_wait_ms = 0;
    gw.core = core_new(&cc, gw.store, gw.up);
    if (!gw.core)
        die("cannot make the core");
    core_set_blob(gw.core, gw.blob);
    gw.api = api_new(gw.core, "cn-beijing");
    gw.admin_api = api_new_admin(gw.core, "cn-beijing");
    if (!gw.api || !gw.admin_api)
        die("cannot make the api");
    seed_store(&gw);
    gw_ready = 1;
    atexit(cleanup);
    return &gw;
}

static void handle_on(struct api *api, const struct api_request *req)
{
    struct api_response resp;
    memset(&resp, 0, sizeof resp);
    api_handle(api, req, &resp);
    if (resp.status < 100 || resp.status > 599)
        abort(); /* every answer is a real HTTP status */
    if (!resp.has_fd && resp.body_len && !resp.body)
        abort();
    /* Every JSON answer parses: envelopes and the hand-written GetAsset
     * text echo request bytes, which must come out escaped. */
    if (resp.body && resp.body_len && resp.content_type && strstr(resp.content_type, "json")) {
        json_error_t jerr;
        json_t *j = json_loadb(resp.body, resp.body_len, 0, &jerr);
        if (!json_is_object(j)) {
            fprintf(stderr, "fuzz_gw: %s %s answered JSON that does not parse (%s): %.*s\n", req->method,
                    req->path, jerr.text, (int)resp.body_len, resp.body);
            abort();
        }
        json_decref(j);
    }
    free(resp.body);
    if (resp.has_fd)
        close(resp.body_fd);
}

void fuzz_gw_handle(struct fuzz_gw *g, const struct api_request *req)
{
    handle_on(g->api, req);
}

void fuzz_gw_handle_admin(struct fuzz_gw *g, const struct api_request *req)
{
    handle_on(g->admin_api, req);
}

uint8_t fuzz_byte(struct fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    uint8_t b = in->p[0];
    in->p++;
    in->n--;
    return b;
}

char *fuzz_take(struct fuzz_in *in, uint8_t sep, size_t *len)
{
    const uint8_t *end = in->n ? memchr(in->p, sep, in->n) : NULL;
    size_t n = end ? (size_t)(end - in->p) : in->n;
    char *s = malloc(n + 1);
    if (!s)
        abort();
    if (n) /* in->p may be NULL when n is 0 */
        memcpy(s, in->p, n);
    s[n] = '\0';
    in->p += n + (end ? 1 : 0);
    in->n -= n + (end ? 1 : 0);
    if (len)
        *len = n;
    return s;
}

char *fuzz_rest(struct fuzz_in *in, size_t *len)
{
    char *s = malloc(in->n + 1);
    if (!s)
        abort();
    if (in->n)
        memcpy(s, in->p, in->n);
    s[in->n] = '\0';
    *len = in->n;
    in->p += in->n;
    in->n = 0;
    return s;
}
