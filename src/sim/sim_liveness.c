/* sim_liveness.c — the simulated H5 liveness (face scan) sessions, and the
 * two Actions over them: CreateVisualValidateSession and
 * GetVisualValidateResult. The page the end user sees is sim_h5.c.
 * UPSTREAM.md "LivenessFace" is the record they follow.
 *
 * A session is pending until the end user submits the H5 page; a passed
 * scan creates the LivenessFace group in the account (sim_assets) at that
 * moment, in the session's ProjectName. Tokens live PORTICO_SIM_TOKEN_TTL_S
 * seconds for the page, but the outcome is remembered for a day past that.
 *
 * CreateVisualValidateSession answers {BytedToken, H5Link, CallbackURL}
 * with no expiry field (UPSTREAM.md: verbatim reply); the session expires
 * all the same. Wire answers of GetVisualValidateResult (sim_errors.c has
 * the statuses):
 *   passed            200 {"GroupId", "GroupType": "LivenessFace"}, also
 *                     after expiry and on every later ask (lenient: one
 *                     public fork sees 404 for a "used" token)
 *   not scanned yet   409 ValidatePending   (guess: not public)
 *   scan failed       400 ValidateFailed    (guess: not public; the message
 *                     carries resultCode)
 *   expired unscanned 404 NotFound.byted_token (the one public source: "404
 *                     for an expired or used token"; the Code is a guess)
 *   unknown token     404 NotFound.byted_token, the same: the record gives
 *                     no separate answer, and a service that forgets expired
 *                     tokens cannot tell the two apart
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

/* Creates the scan's LivenessFace group in the account, so it is an
 * ordinary group there: it takes assets, lists, deletes. CreateAssetGroup
 * refuses this type (UPSTREAM.md "CreateAssetGroup"), hence the internal
 * path. */
static int create_group(struct sim_liveness *l, int64_t now, const char *project, char id_out[static IDS_MAX])
{
    char when[21], name[64];
    clock_rfc3339(now, when);
    snprintf(name, sizeof name, "LivenessFace %s", when);
    return sim_assets_create_liveness_group(l->assets, project, name, id_out);
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
    } else if (create_group(l, now, x->scan.project, x->scan.group_id) != 0) {
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

/* ProjectName: UPSTREAM.md "ProjectName" (S), accepted by every Action,
 * default "default"; 1..64 characters, "" counts as absent. */
static int project_of(json_t *req, const char **out, struct sim_reply *r)
{
    json_t *p = json_object_get(req, "ProjectName");
    *out = "default";
    if (!p || json_is_null(p))
        return 0;
    const char *s = json_string_value(p);
    size_t chars = 0;
    for (const char *c = s; c && *c; c++)
        chars += ((unsigned char)*c & 0xC0) != 0x80;
    if (!s || strlen(s) != json_string_length(p) || chars > SIM_PROJECT_MAX)
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "ProjectName", "ProjectName must be a string of at most %d characters.",
                           SIM_PROJECT_MAX), -1;
    if (*s)
        *out = s;
    return 0;
}

enum sim_code sim_create_validate_session(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    json_t *cb = json_object_get(req, "CallbackURL");
    const char *callback = "", *project;
    if (cb && !json_is_null(cb)) {
        if (!json_is_string(cb))
            return sim_fail_at(r, SIM_INVALID_PARAMETER, "CallbackURL", "CallbackURL must be a string.");
        callback = json_string_value(cb);
        if (*callback && !callback_ok(callback))
            return sim_fail_at(r, SIM_INVALID_PARAMETER, "CallbackURL",
                               "CallbackURL must be an http or https URL of at most %d characters.",
                               SIM_CALLBACK_MAX - 1);
    }
    if (project_of(req, &project, r) != 0)
        return r->code;
    struct sim_liveness *l = sim_assets_liveness(a);
    struct sim_session *x = calloc(1, sizeof *x);
    if (!x)
        return sim_fail(r, SIM_INTERNAL, "Out of memory.");
    int64_t now = clock_wall_ms();
    x->scan.state = SIM_SCAN_PENDING;
    x->scan.expire_wall = now + (int64_t)l->ttl_s * 1000;
    snprintf(x->scan.callback_url, sizeof x->scan.callback_url, "%s", callback);
    snprintf(x->scan.project, sizeof x->scan.project, "%s", project);
    char token[IDS_MAX], base[96], link[256];

    pthread_mutex_lock(&l->mu);
    prune(l, now);
    if (l->sessions.count >= SIM_SESSIONS_MAX) {
        pthread_mutex_unlock(&l->mu);
        free(x);
        return sim_fail(r, SIM_QUOTA_EXCEEDED, "The account has %d liveness sessions open.", SIM_SESSIONS_MAX);
    }
    /* UPSTREAM.md "LivenessFace": a BytedToken looks like
     * 20260521162915BF9DC22A7A65ADF905D8 (14-digit time + 20 upper-case
     * hex), the RequestId's shape; 80 random bits, collisions ruled out. */
    do
        sim_request_id(x->node.id);
    while (sim_table_find(&l->sessions, x->node.id));
    sim_table_insert(&l->sessions, &x->node);
    snprintf(token, sizeof token, "%s", x->node.id);
    snprintf(base, sizeof base, "%s", l->link_base);
    pthread_mutex_unlock(&l->mu);

    snprintf(link, sizeof link, "%s/h5/liveness?token=%s&lng=en", base, token);
    /* UPSTREAM.md "LivenessFace": Result {BytedToken, H5Link, CallbackURL}, no expiry field */
    r->result = json_pack("{s:s, s:s, s:s}", "BytedToken", token, "H5Link", link, "CallbackURL", callback);
    return SIM_OK;
}

enum sim_code sim_get_validate_result(struct sim_assets *a, json_t *req, struct sim_reply *r)
{
    json_t *t = json_object_get(req, "BytedToken");
    const char *project;
    if (!t || json_is_null(t) || (json_is_string(t) && !*json_string_value(t)))
        return sim_fail_at(r, SIM_MISSING_PARAMETER, "BytedToken", "The request is missing BytedToken parameter.");
    if (!json_is_string(t))
        return sim_fail_at(r, SIM_INVALID_PARAMETER, "BytedToken", "BytedToken must be a string.");
    if (project_of(req, &project, r) != 0)
        return r->code;
    struct sim_scan scan;
    if (json_string_length(t) >= IDS_MAX || strlen(json_string_value(t)) != json_string_length(t) ||
        sim_liveness_find(sim_assets_liveness(a), json_string_value(t), &scan) != 0)
        return sim_fail_at(r, SIM_NOT_FOUND, "byted_token", "The BytedToken does not exist or has expired.");
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
        return sim_fail_at(r, SIM_NOT_FOUND, "byted_token",
                           "The BytedToken expired before the face scan was completed.");
    return sim_fail(r, SIM_VALIDATE_PENDING, "The face scan has not been completed yet.");
}
