/* fuzz_sim_request.c — the simulator's Action endpoint past its signature
 * check (sim_run_action in src/sim/sim_http.c: Version, Action, throttling,
 * the JSON body, every handler in sim_assets.c and sim_liveness.c) and its
 * envelope, on a simulator state built here with no listener and no fetch
 * workers (CreateAsset's compliance checks stay queued; nothing is
 * downloaded).
 *
 * Each input is a short session on a fresh state: up to 8 requests, each an
 * Action line and a body ended by a NUL. In a body, "@G", "@A" and "@T"
 * stand for the last group id, asset id and BytedToken the session was
 * given, so later requests can name what earlier ones made. Pseudo-Actions
 * drive the background work: "!pass"/"!fail" complete the last token's
 * scan, "!ok"/"!bad" finish the last asset's compliance check; "!form"
 * parses the body as the H5 page's form (h5_form_value in sim_h5.c) and
 * compares it with a reference decoder. An Action line starting with '~'
 * is sent without a Version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_gw.h"
#include "sim/sim_h5.h"
#include "sim/sim_int.h"
#include "util/buf.h"
#include "util/urlpolicy.h"

static struct sim *sim_new(void)
{
    struct sim *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    sim_config_defaults(&s->cfg);
    s->cfg.quiet = 1;
    s->cfg.create_rate = s->cfg.list_update_rate = s->cfg.get_rate = 1e9;
    s->cfg.max_creations_in_flight = 1000;
    s->region = strdup("cn-beijing");
    s->cfg.region = s->region;
    sim_limits_init(&s->limits, &s->cfg);
    pthread_mutex_init(&s->stats.mu, NULL);
    s->assets = sim_assets_new(0);
    static struct urlpolicy no_exceptions; /* zeroed: public addresses only (no worker runs anyway) */
    s->fetch = s->assets ? sim_fetch_start(s->assets, 0, 64, 1 << 20, 1000, &no_exceptions) : NULL;
    s->liveness = s->assets ? sim_liveness_new(120, s->assets) : NULL;
    if (!s->region || !s->fetch || !s->liveness)
        abort();
    sim_assets_set_fetch(s->assets, s->fetch);
    sim_assets_set_liveness(s->assets, s->liveness);
    sim_liveness_set_link_base(s->liveness, "http://127.0.0.1:1");
    return s;
}

static void sim_free(struct sim *s)
{
    sim_fetch_stop(s->fetch);
    sim_liveness_free(s->liveness);
    sim_assets_free(s->assets);
    sim_limits_destroy(&s->limits);
    pthread_mutex_destroy(&s->stats.mu);
    free(s->region);
    free(s);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* What h5_form_value should answer: the first field=value pair, '+' a
 * space, %XY (two hex digits) a byte, any other '%' followed by two
 * characters malformed, a '%' near the end itself. */
static int form_reference(const char *body, size_t len, const char *field, char *out, size_t cap)
{
    size_t flen = strlen(field);
    for (size_t i = 0; i <= len;) {
        const char *amp = memchr(body + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - body) : len;
        if (end - i > flen && memcmp(body + i, field, flen) == 0 && body[i + flen] == '=') {
            size_t n = 0;
            for (size_t q = i + flen + 1; q < end; q++) {
                char c = body[q];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%' && end - q > 2) {
                    int hi = hexval(body[q + 1]), lo = hexval(body[q + 2]);
                    if (hi < 0 || lo < 0)
                        return -1;
                    c = (char)(hi * 16 + lo);
                    q += 2;
                }
                if (n + 1 >= cap)
                    return -1;
                out[n++] = c;
            }
            out[n] = '\0';
            return 0;
        }
        if (!amp)
            break;
        i = end + 1;
    }
    return -1;
}

static void form(const char *raw, size_t len)
{
    static const char *const fields[] = {"result", "token", "r"};
    static const size_t caps[] = {1, 2, 8, 64, 512};
    for (size_t f = 0; f < 3; f++) {
        for (size_t k = 0; k < 5; k++) {
            char got[512], want[512];
            int rg = h5_form_value(raw, len, fields[f], got, caps[k]);
            int rw = form_reference(raw, len, fields[f], want, caps[k]);
            if (rg != rw || (rg == 0 && memcmp(got, want, strnlen(want, caps[k]) + 1) != 0)) {
                fprintf(stderr, "h5_form_value(%s, cap %zu) = %d, reference %d\n", fields[f], caps[k], rg, rw);
                abort();
            }
        }
    }
}

/* body with the placeholders replaced, into out. */
static void expand(struct buf *out, const char *body, size_t n, const char *g, const char *a, const char *t)
{
    buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        if (body[i] == '@' && i + 1 < n && (body[i + 1] == 'G' || body[i + 1] == 'A' || body[i + 1] == 'T')) {
            const char *v = body[i + 1] == 'G' ? g : body[i + 1] == 'A' ? a : t;
            buf_puts(out, v);
            i++;
        } else {
            buf_append(out, &body[i], 1);
        }
    }
}

static void remember(json_t *result, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(result, key);
    if (json_is_string(v))
        snprintf(out, cap, "%s", json_string_value(v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    /* A fresh state per input: deterministic, and libFuzzer's per-input
     * leak check only runs when an input leaves memory allocated. */
    struct sim *s = sim_new();
    char group[IDS_MAX] = "group-20240101000000-aaaaa", asset[IDS_MAX] = "asset-20240101000000-aaaaa";
    char token[160] = "tok";
    struct buf body;
    buf_init(&body, 1 << 20);
    for (int n = 0; n < 8 && in.n; n++) {
        char *action = fuzz_take(&in, '\n', NULL);
        size_t raw_len;
        char *raw = fuzz_take(&in, '\0', &raw_len);
        struct sim_scan scan;
        if (!strcmp(action, "!pass") || !strcmp(action, "!fail")) {
            (void)sim_liveness_complete(s->liveness, token, action[1] == 'p', &scan);
            (void)sim_liveness_find(s->liveness, token, &scan);
        } else if (!strcmp(action, "!form")) {
            form(raw, raw_len);
        } else if (!strcmp(action, "!ok") || !strcmp(action, "!bad")) {
            sim_assets_finish_check(s->assets, asset, action[1] == 'o', "InvalidParameter.FormatUnsupported", "fuzz verdict");
        } else {
            const char *name = action[0] == '~' ? action + 1 : action;
            const char *version = action[0] == '~' ? NULL : "2024-01-01";
            expand(&body, raw, raw_len, group, asset, token);
            struct sim_reply r = {.code = SIM_OK};
            int index;
            sim_run_action(s, name, version, body.data ? body.data : "", body.len, &index, &r);
            if (r.code == SIM_OK && !r.result)
                abort();
            if (!sim_code_name(r.code) || sim_code_status(r.code) < 100)
                abort();
            if (r.code == SIM_OK) {
                if (!strcmp(name, "CreateAssetGroup"))
                    remember(r.result, "Id", group, sizeof group);
                else if (!strcmp(name, "CreateAsset"))
                    remember(r.result, "Id", asset, sizeof asset);
                else if (!strcmp(name, "CreateVisualValidateSession"))
                    remember(r.result, "BytedToken", token, sizeof token);
            }
            json_t *env = sim_envelope(s, "fuzz-request", name, version, &r);
            char *text = env ? json_dumps(env, JSON_COMPACT) : NULL;
            free(text);
            json_decref(env);
            json_decref(r.result);
        }
        free(action);
        free(raw);
    }
    buf_free(&body);
    sim_free(s);
    return 0;
}
