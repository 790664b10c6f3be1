/* sim_liveness.c — the simulated H5 liveness (face scan) sessions, and the
 * two Actions over them: CreateVisualValidateSession and
 * GetVisualValidateResult. The page the end user sees is sim_h5.c.
 *
 * A session is pending until the end user submits the H5 page; a passed
 * scan creates the LivenessFace group in the account (sim_assets) at that
 * moment, like Volcengine does. Tokens live PORTICO_SIM_TOKEN_TTL_S seconds
 * for the page, but the outcome is remembered for a day past that: the
 * gateway may ask again after expiry and must get the same group.
 *
 * Wire answers of GetVisualValidateResult (sim_errors.c has the statuses):
 *   passed            200 {"GroupId", "GroupType": "LivenessFace"}
 *   not scanned yet   409 ValidatePending
 *   scan failed       400 ValidateFailed (the message carries resultCode)
 *   expired unscanned 410 TokenExpired
 *   unknown token     400 InvalidToken
 * Throttling (sim_http.c): creating a session counts as a create, asking
 * for the result as a list/update call.
 *
 * Invariant: sessions are reached only under l->mu. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/sim_int.h"
#include "util/clock.h"
#include "util/crypto.h"

#define SIM_SESSIONS_MAX 100000
#define SIM_SESSION_KEEP_MS (24LL * 3600 * 1000)

struct sim_session {
    struct sim_node node; /* first: id is the token */
    struct sim_scan scan;
};

struct sim_liveness {
    pthread_mutex_t mu;
    struct sim_table sessions;
    int ttl_s;
    struct sim_assets *assets;
    char link_base[96]; /* "" until the listener has its port */
};

struct sim_liveness *sim_liveness_new(int ttl_s, struct sim_assets *assets)
{
    struct sim_liveness *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (sim_table_init(&l->sessions, 1 << 10) != 0) {
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    l->ttl_s = ttl_s > 0 ? ttl_s : 120;
    l->assets = assets;
    return l;
}

void sim_liveness_free(struct sim_liveness *l)
{
    if (!l)
        return;
    while (l->sessions.newest) {
        struct sim_node *n = l->sessions.newest;
        sim_table_remove(&l->sessions, n);
        free(n);
    }
    sim_table_free(&l->sessions);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

/* Drops sessions whose outcome nobody may ask for any more. Sessions share
 * one lifetime, so the oldest created is the oldest expired. Caller holds mu. */
static void prune(struct sim_liveness *l, int64_t now)
{
    while (l->sessions.oldest) {
        struct sim_session *x = (struct sim_session *)l->sessions.oldest;
        if (x->scan.expire_wall + SIM_SESSION_KEEP_MS > now)
            break;
        sim_table_remove(&l->sessions, &x->node);
        free(x);
    }
}

int sim_liveness_find(struct sim_liveness *l, const char *token, struct sim_scan *out)
{
    pthread_mutex_lock(&l->mu);
    struct sim_session *x = (struct sim_session *)sim_table_find(&l->sessions, token);
    if (x)
        *out = x->scan;
    pthread_mutex_unlock(&l->mu);
    return x ? 0 : -1;
}

/* Creates the scan's LivenessFace group through the account's own Action,
 * so it is an ordinary group there: it takes assets, lists, deletes. */
static int create_group(struct sim_liveness *l, int64_t now, char id_out[static IDS_MAX])
{
    char when[21], name[64];
    clock_rfc3339(now, when);
    snprintf(name, sizeof name, "LivenessFace %s", when);
    json_t *req = json_pack("{s:s, s:s, s:s}", "Name", name, "GroupType", "LivenessFace", "Description", "");
    struct sim_reply r = {.code = SIM_OK};
    int rc = -1;
    if (req && sim_create_group(l->assets, req, &r) == SIM_OK) {
        const char *id = json_string_value(json_object_get(r.result, "Id"));
        if (id) {
            snprintf(id_out, IDS_MAX, "%s", id);
            rc = 0;
        }
    }
    json_decref(r.result);
    json_decref(req);
    return rc;
}

int sim_liveness_complete(struct sim_liveness *l, const char *token, int pass, struct sim_scan *out)
{
    int64_t now = clock_wall_ms();
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    struct sim_session *x = (struct sim_session *)sim_table_find(&l->sessions, token);
    if (!x) {
        rc = -1;
    } else if (x->scan.state != SIM_SCAN_PENDING) {
        *out = x->scan; /* a second submit: the first outcome stands */
    } else if (now >= x->scan.expire_wall) {
        rc = -2;
    } else if (!pass) {
        x->scan.state = SIM_SCAN_FAILED;
        x->scan.result_code = SIM_RESULT_FACE_MISMATCH;
        *out = x->scan;
    } else if (create_group(l, now, x->scan.group_id) != 0) {
        rc = -3;
    } else {
        x->scan.state = SIM_SCAN_PASSED;
        x->scan.result_code = SIM_RESULT_PASS;
        *out = x->scan;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

/* ---- the Actions ---- */

static int callback_ok(const char *u)
{
    const char *rest = NULL;
    if (strncasecmp(u, "http://", 7) == 0)
        rest = u + 7;
    else if (strncasecmp(u, "https://", 8) == 0)
        rest = u + 8;
    if (!rest || !*rest || *rest == '/' || strlen(u) >= SIM_CALLBACK_MAX)
        return 0;
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7F)
            return 0;
    return 1;
}

void sim_liveness_set_link_base(struct sim_liveness *l, const char *base)
{
    pthread_mutex_lock(&l->mu);
    snprintf(l->link_base, sizeof l->link_base, "%s", base);
    pthread_mutex_unlock(&l->mu);
}

enum sim_code sim_create_validate_session(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    json_t *cb = json_object_get(req, "CallbackURL");
    const char *callback = "";
    if (cb && !json_is_null(cb)) {
        if (!json_is_string(cb))
            return sim_fail(r, SIM_INVALID_PARAMETER, "CallbackURL must be a string.");
        callback = json_string_value(cb);
        if (*callback && !callback_ok(callback))
            return sim_fail(r, SIM_INVALID_PARAMETER, "CallbackURL must be an http or https URL of at most %d characters.",
                            SIM_CALLBACK_MAX - 1);
    }
    struct sim_liveness *l = sim_assets_liveness(a);
    struct sim_session *x = calloc(1, sizeof *x);
    if (!x)
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    int64_t now = clock_wall_ms();
    x->scan.state = SIM_SCAN_PENDING;
    x->scan.expire_wall = now + (int64_t)l->ttl_s * 1000;
    snprintf(x->scan.callback_url, sizeof x->scan.callback_url, "%s", callback);
    char token[IDS_MAX], expire[21], base[96], link[256];
    clock_rfc3339(x->scan.expire_wall, expire);

    pthread_mutex_lock(&l->mu);
    prune(l, now);
    if (l->sessions.count >= SIM_SESSIONS_MAX) {
        pthread_mutex_unlock(&l->mu);
        free(x);
        return sim_fail(r, SIM_QUOTA_EXCEEDED, "The account has %d liveness sessions open.", SIM_SESSIONS_MAX);
    }
    do { /* 128 random bits: a collision is theoretical, but cheap to rule out */
        uint8_t rnd[16];
        crypto_random(rnd, sizeof rnd);
        crypto_hex(rnd, sizeof rnd, x->node.id);
    } while (sim_table_find(&l->sessions, x->node.id));
    sim_table_insert(&l->sessions, &x->node);
    snprintf(token, sizeof token, "%s", x->node.id);
    snprintf(base, sizeof base, "%s", l->link_base);
    pthread_mutex_unlock(&l->mu);

    snprintf(link, sizeof link, "%s/h5/liveness?token=%s&lng=en", base, token);
    r->result = json_pack("{s:s, s:s, s:s, s:s}", "BytedToken", token, "H5Link", link, "CallbackURL", callback,
                          "ExpireTime", expire);
    return SIM_OK;
}

enum sim_code sim_get_validate_result(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    json_t *t = json_object_get(req, "BytedToken");
    if (!json_is_string(t) || !*json_string_value(t))
        return sim_fail(r, SIM_INVALID_PARAMETER, "BytedToken is required.");
    struct sim_scan scan;
    if (json_string_length(t) >= IDS_MAX || sim_liveness_find(sim_assets_liveness(a), json_string_value(t), &scan) != 0)
        return sim_fail(r, SIM_INVALID_TOKEN, "The BytedToken is unknown.");
    switch (scan.state) {
    case SIM_SCAN_PASSED:
        r->result = json_pack("{s:s, s:s}", "GroupId", scan.group_id, "GroupType", "LivenessFace");
        return SIM_OK;
    case SIM_SCAN_FAILED:
        return sim_fail(r, SIM_VALIDATE_FAILED, "The face scan did not pass (resultCode %d: the face did not match).",
                        scan.result_code);
    case SIM_SCAN_PENDING:
        break;
    }
    if (clock_wall_ms() >= scan.expire_wall)
        return sim_fail(r, SIM_TOKEN_EXPIRED, "The BytedToken expired before the face scan was completed.");
    return sim_fail(r, SIM_VALIDATE_PENDING, "The face scan has not been completed yet.");
}
