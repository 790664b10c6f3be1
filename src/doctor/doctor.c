/* doctor.c — the sequence `porticod doctor` runs against the upstream.
 *
 * Signed Actions go through the port's raw_action (one attempt, the reply
 * as sent) so that the variants the typed client tolerates stay visible:
 * an empty Result, an extra field, the exact error code and status. The
 * video task GET uses the typed op and reads its status from up_error.
 *
 * Invariant: what the doctor creates it deletes, on every path after the
 * create (a failed step, the timeout, SIGINT/SIGTERM); when a delete fails
 * it prints the id for the operator. It never deletes anything it did not
 * create, and never lists in order to delete. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doctor/doctor_int.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

#define DOCTOR_MAX_GET_ASSET 15     /* GetAsset calls while waiting for the asset to settle */
#define DOCTOR_THROTTLE_WAIT_MS 1000 /* before the one retry of a throttled call */
#define DOCTOR_LINK_MAX 2048        /* the longest H5Link Portico keeps (UP_LINK_MAX - 1) */
#define DOCTOR_CALLBACK "https://example.com/portico-doctor"
#define DOCTOR_VIDEO_TASK "cgt-portico-doctor-nonexistent"

static volatile sig_atomic_t doctor_stop;

static void doctor_on_signal(int sig)
{
    (void)sig;
    doctor_stop = 1;
}

struct doctor {
    struct upstream *up;
    const struct upstream_config *cfg;
    const struct doctor_options *o;
    struct doctor_report *rep;
    const char *project;
    int signing_ok;
    int throttles;
};

/* One signed call's answer. */
struct doctor_reply {
    int answered;        /* an HTTP answer arrived */
    long status;
    json_t *root;        /* the parsed body; NULL when it is not JSON */
    json_t *result;      /* borrowed: root.Result when it is an object */
    const char *code;    /* borrowed: ResponseMetadata.Error.Code */
    const char *message; /* borrowed: ResponseMetadata.Error.Message */
    char failure[256];   /* when !answered: what went wrong */
};

static void doctor_reply_free(struct doctor_reply *rp)
{
    json_decref(rp->root);
    memset(rp, 0, sizeof *rp);
}

static int doctor_auth_code(const char *code)
{
    static const char *const codes[] = {"MissingAuthenticationToken", "InvalidAccessKey", "SignatureDoesNotMatch",
                                        "InvalidTimestamp", "AccessDenied", "InvalidCredential"};
    for (size_t i = 0; code && i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i]) == 0)
            return 1;
    return 0;
}

static int doctor_is_throttle(const struct doctor_reply *rp, json_t *error)
{
    json_t *coden = json_object_get(error, "CodeN");
    return rp->status == 429 || (rp->code && strcmp(rp->code, "FlowLimitExceeded") == 0) ||
           (json_is_integer(coden) && json_integer_value(coden) == 100018);
}

/* "Result {Id, Name}", "Result {}", or "no Result object". */
static void doctor_keys(json_t *o, const char *what, char *out, size_t cap)
{
    if (!json_is_object(o)) {
        snprintf(out, cap, "no %s object", what);
        return;
    }
    size_t n = (size_t)snprintf(out, cap, "%s {", what);
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(o, k, v)
    {
        if (n < cap)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", first ? "" : ", ", k);
        first = 0;
    }
    if (n < cap)
        snprintf(out + n, cap - n, "}");
}

/* A short account of an answer for the report; never the whole body. */
static void doctor_describe(const struct doctor_reply *rp, char *out, size_t cap)
{
    if (!rp->answered) {
        snprintf(out, cap, "no answer: %s", rp->failure);
    } else if (rp->code) {
        snprintf(out, cap, "HTTP %ld %s: %.120s", rp->status, rp->code, rp->message ? rp->message : "");
    } else if (!rp->root) {
        snprintf(out, cap, "HTTP %ld with a body that is not JSON", rp->status);
    } else {
        char keys[200];
        doctor_keys(rp->result, "Result", keys, sizeof keys);
        snprintf(out, cap, "HTTP %ld %s", rp->status, keys);
    }
}

/* What every reply says about the envelope: RequestId and the error shape. */
static void doctor_note_envelope(struct doctor *d, const char *action, const struct doctor_reply *rp)
{
    json_t *meta = json_object_get(rp->root, "ResponseMetadata");
    json_t *rid = json_object_get(meta, "RequestId");
    const char *s = json_is_string(rid) ? json_string_value(rid) : NULL;
    if (!s || !*s) {
        doctor_set(d->rep, DC_REQUEST_ID, DOCTOR_DIFFERS, "%s: HTTP %ld without ResponseMetadata.RequestId", action,
                   rp->status);
    } else if (d->rep->verdict[DC_REQUEST_ID] == DOCTOR_NOT_CHECKED) {
        size_t n = strlen(s), digits = 0, upper_hex = 0;
        for (size_t i = 0; i < n; i++) {
            digits += i < 14 && s[i] >= '0' && s[i] <= '9';
            upper_hex += i >= 14 && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F'));
        }
        int documented = n == 34 && digits == 14 && upper_hex == 20;
        doctor_set(d->rep, DC_REQUEST_ID, DOCTOR_AGREES, "present, %zu characters, %s", n,
                   documented ? "of the documented form" : "not of the documented form");
    }
    if (rp->status == 200 && !rp->code)
        return;
    json_t *error = json_object_get(meta, "Error");
    json_t *coden = json_object_get(error, "CodeN");
    if (rp->code && json_is_string(json_object_get(error, "Message"))) {
        char cn[40] = "no CodeN";
        if (json_is_integer(coden))
            snprintf(cn, sizeof cn, "CodeN %lld", (long long)json_integer_value(coden));
        if (d->rep->verdict[DC_ERROR_ENVELOPE] == DOCTOR_NOT_CHECKED)
            doctor_set(d->rep, DC_ERROR_ENVELOPE, DOCTOR_AGREES, "e.g. %s: HTTP %ld Error {Code %s, Message}, %s",
                       action, rp->status, rp->code, cn);
    } else {
        doctor_set(d->rep, DC_ERROR_ENVELOPE, DOCTOR_DIFFERS, "%s: HTTP %ld without ResponseMetadata.Error {Code, Message}",
                   action, rp->status);
    }
    if (doctor_is_throttle(rp, error)) {
        d->throttles++;
        int shaped = rp->status == 429 && rp->code && strcmp(rp->code, "FlowLimitExceeded") == 0 &&
                     (!coden || (json_is_integer(coden) && json_integer_value(coden) == 100018));
        doctor_set(d->rep, DC_THROTTLE, shaped ? DOCTOR_AGREES : DOCTOR_DIFFERS,
                   "%d throttle repl%s, e.g. %s: HTTP %ld %s%s%lld", d->throttles, d->throttles == 1 ? "y" : "ies",
                   action, rp->status, rp->code ? rp->code : "(no code)", json_is_integer(coden) ? " CodeN " : "",
                   json_is_integer(coden) ? (long long)json_integer_value(coden) : 0LL);
    }
}

/* One signed Action; body is consumed (ProjectName added, as Portico
 * sends it on every Action). A throttled call is retried once, after a
 * pause: a handful of calls per Action at most. */
static void doctor_call(struct doctor *d, const char *action, json_t *body, struct doctor_reply *rp)
{
    memset(rp, 0, sizeof *rp);
    char *req = NULL;
    if (!body || (!json_object_get(body, "ProjectName") &&
                  json_object_set_new(body, "ProjectName", json_string(d->project)) != 0) ||
        !(req = json_dumps(body, JSON_COMPACT))) {
        snprintf(rp->failure, sizeof rp->failure, "cannot build the request");
        json_decref(body);
        return;
    }
    json_decref(body);
    for (int attempt = 1; attempt <= 2; attempt++) {
        doctor_reply_free(rp);
        char *raw = NULL;
        struct up_error err;
        enum up_result r = d->up->ops->raw_action(d->up, action, req, &rp->status, &raw, &err);
        if (r != UP_OK) {
            snprintf(rp->failure, sizeof rp->failure, "%.63s: %.150s", err.code, err.message);
            break;
        }
        rp->answered = 1;
        json_error_t jerr;
        rp->root = raw && *raw ? json_loads(raw, 0, &jerr) : NULL;
        free(raw);
        json_t *error = json_object_get(json_object_get(rp->root, "ResponseMetadata"), "Error");
        json_t *code = json_object_get(error, "Code"), *msg = json_object_get(error, "Message");
        rp->code = json_is_string(code) ? json_string_value(code) : NULL;
        rp->message = json_is_string(msg) ? json_string_value(msg) : NULL;
        json_t *res = json_object_get(rp->root, "Result");
        rp->result = json_is_object(res) ? res : NULL;
        doctor_note_envelope(d, action, rp);
        if (!doctor_is_throttle(rp, error) || attempt == 2 || doctor_stop)
            break;
        clock_sleep_ms(DOCTOR_THROTTLE_WAIT_MS);
    }
    free(req);
}

static const char *doctor_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* UPSTREAM.md "Ids": prefix, 14 digits, '-', 5 or 6 of [a-z0-9]. */
static int doctor_id_shaped(const char *id, const char *prefix)
{
    size_t p = strlen(prefix), n = strlen(id);
    if (strncmp(id, prefix, p) != 0 || n < p + 14 + 1 + 5 || n > p + 14 + 1 + 6 || id[p + 14] != '-')
        return 0;
    for (size_t i = p; i < n; i++) {
        char c = id[i];
        if (i == p + 14)
            continue;
        if (i < p + 14 ? !(c >= '0' && c <= '9') : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* Sets a check that could not run because an earlier step failed. */
static void doctor_skip(struct doctor *d, enum doctor_check_id id, const char *why)
{
    if (d->rep->verdict[id] == DOCTOR_NOT_CHECKED)
        doctor_set(d->rep, id, DOCTOR_NOT_CHECKED, "%s", why);
}

/* Judges a List Action's answer: with Filter the page shape, without it
 * the refusal. */
static void doctor_list_judge(struct doctor *d, const struct doctor_reply *rp0, int filtered,
                              enum doctor_check_id id, const char *listed_id)
{
    char text[400];
    const struct doctor_reply rp = *rp0;
    doctor_describe(&rp, text, sizeof text);
    if (!filtered) {
        int refused = rp.answered && rp.status == 400 && rp.code && strcmp(rp.code, "MissingParameter.Filter") == 0;
        if (refused)
            doctor_set(d->rep, id, DOCTOR_AGREES, "%s", text);
        else if (rp.answered && rp.status == 200)
            doctor_set(d->rep, id, DOCTOR_DIFFERS, "HTTP 200: Filter is optional (%s)", text);
        else
            doctor_set(d->rep, id, DOCTOR_DIFFERS, "%s", text);
    } else {
        json_t *items = json_object_get(rp.result, "Items"), *total = json_object_get(rp.result, "TotalCount");
        if (rp.status == 200 && !rp.code && json_is_array(items) && json_is_integer(total)) {
            int listed = 0;
            size_t i;
            json_t *it;
            json_array_foreach(items, i, it)
            {
                const char *x = doctor_str(it, "Id");
                listed |= listed_id && x && strcmp(x, listed_id) == 0;
            }
            doctor_set(d->rep, id, DOCTOR_AGREES, "HTTP 200 Items (%zu), TotalCount %lld%s", json_array_size(items),
                       (long long)json_integer_value(total),
                       !listed_id ? "" : listed ? "; the new asset is listed" : "; the new asset is not (yet) listed");
        } else {
            doctor_set(d->rep, id, DOCTOR_DIFFERS, "%s", text);
        }
    }
}

/* A List Action, one page; filter (consumed) may be NULL: none sent. */
static void doctor_list(struct doctor *d, const char *action, json_t *filter, enum doctor_check_id id,
                        const char *listed_id)
{
    struct doctor_reply rp;
    json_t *body = json_pack("{s:i, s:i}", "PageNumber", 1, "PageSize", filter ? 10 : 1);
    int filtered = filter != NULL;
    if (filter)
        json_object_set_new(body, "Filter", filter);
    doctor_call(d, action, body, &rp);
    doctor_list_judge(d, &rp, filtered, id, listed_id);
    doctor_reply_free(&rp);
}

/* Create* whose answer is Result {Id}; fills id (empty when none). */
static void doctor_create(struct doctor *d, const char *action, json_t *body, enum doctor_check_id check,
                          const char *prefix, char id[static IDS_MAX])
{
    char text[400];
    struct doctor_reply rp;
    id[0] = '\0';
    doctor_call(d, action, body, &rp);
    const char *got = rp.status == 200 && !rp.code ? doctor_str(rp.result, "Id") : NULL;
    if (got && strlen(got) < IDS_MAX && strspn(got, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
                                             strlen(got) && *got) {
        snprintf(id, IDS_MAX, "%s", got);
        if (doctor_id_shaped(got, prefix))
            doctor_set(d->rep, check, DOCTOR_AGREES, "HTTP 200 Result {Id}: %s", got);
        else
            doctor_set(d->rep, check, DOCTOR_DIFFERS, "Id %s is not shaped %sYYYYMMDDHHMMSS-xxxxx", got, prefix);
    } else {
        doctor_describe(&rp, text, sizeof text);
        doctor_set(d->rep, check, DOCTOR_DIFFERS, "%s", text);
    }
    doctor_reply_free(&rp);
}

/* Update*: Portico accepts Result {Id} and Result {}; the shape is the news. */
static void doctor_update(struct doctor *d, const char *action, json_t *body, enum doctor_check_id check)
{
    char text[400];
    struct doctor_reply rp;
    doctor_call(d, action, body, &rp);
    doctor_describe(&rp, text, sizeof text);
    int ok = rp.answered && rp.status == 200 && !rp.code && rp.result;
    doctor_set(d->rep, check, ok ? DOCTOR_AGREES : DOCTOR_DIFFERS, "%s", text);
    doctor_reply_free(&rp);
}

/* Delete*: expected Result {}. 0 when the object is gone (or was never
 * known), -1 when it may still exist. Retried once on a transport error
 * or 5xx: this is the clean-up. */
static int doctor_delete(struct doctor *d, const char *action, const char *id, enum doctor_check_id check)
{
    char text[400];
    struct doctor_reply rp;
    int gone = 0;
    for (int attempt = 1; attempt <= 2; attempt++) {
        doctor_call(d, action, json_pack("{s:s}", "Id", id), &rp);
        doctor_describe(&rp, text, sizeof text);
        if (rp.answered && rp.status == 200 && !rp.code) {
            gone = 1;
            if (rp.result && json_object_size(rp.result) == 0)
                doctor_set(d->rep, check, DOCTOR_AGREES, "%s", text);
            else
                doctor_set(d->rep, check, DOCTOR_DIFFERS, "%s (Portico accepts it; the record says Result {})", text);
        } else if (attempt == 2 && rp.answered && rp.status == 404) {
            gone = 1; /* the first attempt did delete it */
        } else {
            doctor_set(d->rep, check, DOCTOR_DIFFERS, "%s", text);
        }
        int again = !gone && (!rp.answered || rp.status >= 500 || rp.status == 429);
        doctor_reply_free(&rp);
        if (!again)
            break;
        clock_sleep_ms(DOCTOR_THROTTLE_WAIT_MS);
    }
    return gone ? 0 : -1;
}

static void doctor_sleep(int64_t ms)
{
    /* In slices, so SIGINT ends the wait and the clean-up runs at once. */
    for (int64_t end = clock_mono_ms() + ms; !doctor_stop && clock_mono_ms() < end;)
        clock_sleep_ms(100);
}

/* GetAsset until the asset leaves Processing, the timeout, or a signal. */
static void doctor_poll_asset(struct doctor *d, const char *asset_id, int64_t deadline)
{
    static const int waits_ms[] = {500, 1000, 2000, 4000, 8000, 15000};
    char seen[200] = "", text[400];
    const char *last = NULL;
    char last_buf[64] = "";
    int calls = 0;
    int64_t start = clock_mono_ms();
    for (;;) {
        struct doctor_reply rp;
        doctor_call(d, "GetAsset", json_pack("{s:s}", "Id", asset_id), &rp);
        calls++;
        const char *status = rp.status == 200 && !rp.code ? doctor_str(rp.result, "Status") : NULL;
        if (!status) {
            doctor_describe(&rp, text, sizeof text);
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_DIFFERS, "GetAsset: %s", text);
            doctor_reply_free(&rp);
            return;
        }
        if (!last || strcmp(status, last) != 0) {
            size_t n = strlen(seen);
            snprintf(seen + n, sizeof seen - n, "%s%.40s", n ? " -> " : "", status);
            snprintf(last_buf, sizeof last_buf, "%s", status);
            last = last_buf;
        }
        double secs = (double)(clock_mono_ms() - start) / 1000.0;
        int known = !strcmp(status, "Processing") || !strcmp(status, "Active") || !strcmp(status, "Failed");
        if (!known) {
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_DIFFERS, "unknown Status value %.40s (%s; %d GetAsset calls)",
                       status, seen, calls);
        } else if (!strcmp(status, "Active")) {
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_AGREES, "%s after %.1f s (%d GetAsset calls)", seen, secs, calls);
            doctor_set(d->rep, DC_ASSET_FAILURE, DOCTOR_NOT_CHECKED, "the asset did not fail (Active)");
        } else if (!strcmp(status, "Failed")) {
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_AGREES, "%s after %.1f s (%d GetAsset calls)", seen, secs, calls);
            json_t *e = json_object_get(rp.result, "Error");
            const char *code = doctor_str(e, "Code"), *msg = doctor_str(e, "Message");
            const char *reason = doctor_str(rp.result, "FailureReason");
            if (code && msg)
                doctor_set(d->rep, DC_ASSET_FAILURE, DOCTOR_AGREES, "Error {Code %.64s, Message \"%.120s\"}", code, msg);
            else if (reason)
                doctor_set(d->rep, DC_ASSET_FAILURE, DOCTOR_DIFFERS, "no Error object; FailureReason \"%.120s\"", reason);
            else
                doctor_set(d->rep, DC_ASSET_FAILURE, DOCTOR_DIFFERS, "a Failed asset without Error {Code, Message}");
        }
        doctor_reply_free(&rp);
        if (strcmp(last_buf, "Processing") != 0)
            return;
        int wait = waits_ms[calls - 1 < 5 ? calls - 1 : 5];
        if (doctor_stop || calls >= DOCTOR_MAX_GET_ASSET || clock_mono_ms() + wait > deadline) {
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_NOT_CHECKED, "still Processing after %.1f s (%d GetAsset calls)%s",
                       (double)(clock_mono_ms() - start) / 1000.0, calls, doctor_stop ? "; interrupted" : "");
            doctor_skip(d, DC_ASSET_FAILURE, "the asset did not settle");
            return;
        }
        doctor_sleep(wait);
    }
}

/* The asset library: group, asset, lists, status, updates, deletes. */
static void doctor_assets(struct doctor *d, const char *image_url, int64_t deadline)
{
    char stamp[15], name[64], group_id[IDS_MAX], asset_id[IDS_MAX];
    clock_compact(clock_wall_ms(), stamp);
    snprintf(name, sizeof name, "portico-doctor-%s", stamp);

    doctor_create(d, "CreateAssetGroup",
                  json_pack("{s:s, s:s, s:s}", "Name", name, "Description",
                            "made by porticod doctor, which deletes it when done", "GroupType", "AIGC"),
                  DC_CREATE_GROUP, "group-", group_id);
    if (!group_id[0]) {
        static const enum doctor_check_id after[] = {DC_CREATE_ASSET, DC_LIST_ASSETS_FILTER, DC_LIST_ASSETS_NO_FILTER,
                                                     DC_ASSET_STATUS, DC_ASSET_FAILURE, DC_UPDATE_ASSET,
                                                     DC_UPDATE_GROUP, DC_DELETE_ASSET, DC_DELETE_GROUP};
        for (size_t i = 0; i < sizeof after / sizeof after[0]; i++)
            doctor_skip(d, after[i], "not reached: CreateAssetGroup gave no group");
        return;
    }
    /* From here on every path ends in the deletes below. */
    if (!doctor_stop)
        doctor_create(d, "CreateAsset",
                      json_pack("{s:s, s:s, s:s, s:s}", "GroupId", group_id, "URL", image_url, "AssetType", "Image",
                                "Name", name),
                      DC_CREATE_ASSET, "asset-", asset_id);
    else
        asset_id[0] = '\0';
    if (!doctor_stop)
        doctor_list(d, "ListAssets", json_pack("{s:[s]}", "GroupIds", group_id), DC_LIST_ASSETS_FILTER,
                    asset_id[0] ? asset_id : NULL);
    if (!doctor_stop)
        doctor_list(d, "ListAssets", NULL, DC_LIST_ASSETS_NO_FILTER, NULL);
    if (asset_id[0]) {
        if (!doctor_stop)
            doctor_poll_asset(d, asset_id, deadline);
        if (!doctor_stop) {
            char renamed[80];
            snprintf(renamed, sizeof renamed, "%s-renamed", name);
            doctor_update(d, "UpdateAsset", json_pack("{s:s, s:s}", "Id", asset_id, "Name", renamed),
                          DC_UPDATE_ASSET);
        }
    } else {
        static const enum doctor_check_id after[] = {DC_ASSET_STATUS, DC_ASSET_FAILURE, DC_UPDATE_ASSET,
                                                     DC_DELETE_ASSET};
        for (size_t i = 0; i < sizeof after / sizeof after[0]; i++)
            doctor_skip(d, after[i], "not reached: CreateAsset gave no asset");
    }
    if (!doctor_stop)
        doctor_update(d, "UpdateAssetGroup",
                      json_pack("{s:s, s:s}", "Id", group_id, "Description", "checked by porticod doctor"),
                      DC_UPDATE_GROUP);

    /* The clean-up: the asset first, since a group may refuse to go while it holds one. */
    if (asset_id[0] && doctor_delete(d, "DeleteAsset", asset_id, DC_DELETE_ASSET) != 0) {
        snprintf(d->rep->left_behind[0], sizeof d->rep->left_behind[0], "asset %s", asset_id);
        fprintf(stderr, "porticod doctor: could not delete asset %s (group %s); delete it yourself\n", asset_id,
                group_id);
    }
    if (doctor_delete(d, "DeleteAssetGroup", group_id, DC_DELETE_GROUP) != 0) {
        snprintf(d->rep->left_behind[1], sizeof d->rep->left_behind[1], "group %s", group_id);
        fprintf(stderr, "porticod doctor: could not delete group %s; delete it yourself\n", group_id);
    }
}

/* The host of an http(s) URL, without userinfo; "" when there is none. */
static void doctor_host(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    out[0] = '\0';
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    snprintf(out, cap, "%.*s", (int)(n < 200 ? n : 200), p);
}

/* Liveness: one session nobody scans, and one question about it. */
static void doctor_liveness(struct doctor *d)
{
    char text[400], keys[200];
    struct doctor_reply rp;
    doctor_call(d, "CreateVisualValidateSession", json_pack("{s:s}", "CallbackURL", DOCTOR_CALLBACK), &rp);
    const char *token = rp.status == 200 && !rp.code ? doctor_str(rp.result, "BytedToken") : NULL;
    const char *link = rp.status == 200 && !rp.code ? doctor_str(rp.result, "H5Link") : NULL;
    if (!rp.result || rp.status != 200 || rp.code) {
        doctor_describe(&rp, text, sizeof text);
        doctor_set(d->rep, DC_VALIDATE_SESSION, DOCTOR_DIFFERS, "%s", text);
        doctor_skip(d, DC_H5_LINK, "not reached: no session");
        doctor_skip(d, DC_VALIDATE_PENDING, "not reached: no session");
        doctor_reply_free(&rp);
        return;
    }
    /* Only the names of the fields: values may be links with credentials. */
    doctor_keys(rp.result, "Result", keys, sizeof keys);
    char expiry[160] = "";
    const char *k;
    json_t *v;
    json_object_foreach(rp.result, k, v)
    {
        if (strcasestr(k, "expir") || strcasestr(k, "ttl") || strcasestr(k, "deadline"))
            snprintf(expiry + strlen(expiry), sizeof expiry - strlen(expiry), "%s%s", expiry[0] ? ", " : "", k);
    }
    int complete = token && *token && link && *link && json_object_get(rp.result, "CallbackURL");
    doctor_set(d->rep, DC_VALIDATE_SESSION, complete && !expiry[0] ? DOCTOR_AGREES : DOCTOR_DIFFERS,
               "HTTP 200 %s; %s%s; BytedToken %zu characters", keys, expiry[0] ? "expiry field present: " : "no expiry field",
               expiry, token ? strlen(token) : (size_t)0);
    if (link) {
        char host[210];
        size_t n = strlen(link);
        doctor_host(link, host, sizeof host);
        int http = strncmp(link, "http://", 7) == 0 || strncmp(link, "https://", 8) == 0;
        doctor_set(d->rep, DC_H5_LINK, http && n <= DOCTOR_LINK_MAX ? DOCTOR_AGREES : DOCTOR_DIFFERS,
                   "%zu characters%s, host %s%s", n, n > DOCTOR_LINK_MAX ? " (Portico keeps at most 2048)" : "",
                   host[0] ? host : "(none)", http ? "" : " (not an http(s) URL)");
    } else {
        doctor_set(d->rep, DC_H5_LINK, DOCTOR_DIFFERS, "no H5Link in the reply");
    }
    if (!token || !*token) {
        doctor_skip(d, DC_VALIDATE_PENDING, "not reached: no BytedToken");
        doctor_reply_free(&rp);
        return;
    }
    struct doctor_reply pend;
    doctor_call(d, "GetVisualValidateResult", json_pack("{s:s}", "BytedToken", token), &pend);
    doctor_describe(&pend, text, sizeof text);
    int pending = pend.answered && pend.status == 409 && pend.code && strcmp(pend.code, "ValidatePending") == 0;
    doctor_set(d->rep, DC_VALIDATE_PENDING, pending ? DOCTOR_AGREES : DOCTOR_DIFFERS, "%s", text);
    doctor_reply_free(&pend);
    doctor_reply_free(&rp);
}

/* Video tasks: the GET of a task nobody made. */
static void doctor_video(struct doctor *d)
{
    if (!d->cfg->ark_api_key || !*d->cfg->ark_api_key) {
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_NOT_CHECKED, "PORTICO_ARK_API_KEY is not set");
        return;
    }
    struct up_video_task task;
    struct up_error err;
    memset(&err, 0, sizeof err);
    enum up_result r = d->up->ops->get_video_task(d->up, DOCTOR_VIDEO_TASK, &task, &err);
    if (r == UP_NOT_FOUND && err.http_status == 404)
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_AGREES, "HTTP 404 %.64s", err.code);
    else if (r == UP_OK)
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_DIFFERS, "HTTP 200: a task " DOCTOR_VIDEO_TASK " exists");
    else if (err.http_status)
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_DIFFERS, "HTTP %d %.64s: %.120s", err.http_status, err.code,
                   err.message);
    else
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_DIFFERS, "no answer: %.64s: %.120s", err.code, err.message);
}

int doctor_run(struct upstream *up, const struct upstream_config *cfg, const struct doctor_options *o)
{
    struct doctor_report rep;
    struct doctor_image *im = NULL;
    char image_url[2100];

    if (!up || !up->ops->raw_action || !up->ops->get_video_task) {
        fprintf(stderr, "porticod doctor: this upstream backend cannot send raw Actions\n");
        return DOCTOR_USAGE;
    }
    if (o->image_url) {
        snprintf(image_url, sizeof image_url, "%s", o->image_url);
    } else if (o->upstream_is_sim) {
        im = doctor_image_start(image_url, sizeof image_url);
        if (!im) {
            fprintf(stderr, "porticod doctor: cannot serve the test image on 127.0.0.1\n");
            return DOCTOR_USAGE;
        }
    } else if (o->public_url && *o->public_url) {
        size_t n = strlen(o->public_url);
        while (n > 0 && o->public_url[n - 1] == '/')
            n--;
        snprintf(image_url, sizeof image_url, "%.*s%s", (int)(n < 2000 ? n : 2000), o->public_url,
                 DOCTOR_IMAGE_PATH);
    } else {
        fprintf(stderr, "porticod doctor: a real upstream cannot fetch an image from this machine's loopback: give "
                        "--image-url URL (a public JPEG or PNG, sides 300-6000 px) or --public-url URL of a running "
                        "porticod, which serves " DOCTOR_IMAGE_PATH "\n");
        return DOCTOR_USAGE;
    }

    doctor_report_init(&rep);
    snprintf(rep.upstream, sizeof rep.upstream, "upstream %.100s%s, region %.32s", cfg->endpoint,
             o->upstream_is_sim ? " (the embedded simulator)" : "", cfg->region ? cfg->region : "cn-beijing");
    struct doctor d = {.up = up, .cfg = cfg, .o = o, .rep = &rep,
                       .project = cfg->project_name && *cfg->project_name ? cfg->project_name : "default"};
    int64_t deadline = clock_mono_ms() + (int64_t)o->timeout_s * 1000;

    /* SIGINT/SIGTERM end the waiting, never the clean-up. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = doctor_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    doctor_stop = 0;

    /* Signing, and the page shape with Filter: ListAssetGroups. */
    struct doctor_reply rp;
    char text[400];
    doctor_call(&d, "ListAssetGroups",
                json_pack("{s:{s:s}, s:i, s:i}", "Filter", "GroupType", "AIGC", "PageNumber", 1, "PageSize", 1), &rp);
    doctor_describe(&rp, text, sizeof text);
    if (rp.answered && (rp.status == 401 || rp.status == 403 || doctor_auth_code(rp.code)))
        doctor_set(&rep, DC_SIGNING, DOCTOR_DIFFERS, "%s", text);
    else if (rp.answered && rp.root && json_object_get(rp.root, "ResponseMetadata"))
        doctor_set(&rep, DC_SIGNING, DOCTOR_AGREES, "%s", rp.status == 200 ? "HTTP 200" : text);
    else
        doctor_set(&rep, DC_SIGNING, DOCTOR_DIFFERS, "%s", text);
    d.signing_ok = rep.verdict[DC_SIGNING] == DOCTOR_AGREES;
    if (d.signing_ok)
        doctor_list_judge(&d, &rp, 1, DC_LIST_GROUPS_FILTER, NULL);
    doctor_reply_free(&rp);
    if (d.signing_ok) {
        doctor_list(&d, "ListAssetGroups", NULL, DC_LIST_GROUPS_NO_FILTER, NULL);
        if (!doctor_stop)
            doctor_assets(&d, image_url, deadline);
        if (!doctor_stop)
            doctor_liveness(&d);
    } else {
        for (int i = DC_LIST_GROUPS_FILTER; i <= DC_VALIDATE_PENDING; i++)
            doctor_skip(&d, (enum doctor_check_id)i, "not reached: signed requests are refused");
    }
    if (!doctor_stop)
        doctor_video(&d);
    if (doctor_stop)
        fprintf(stderr, "porticod doctor: interrupted; the clean-up ran (see the report)\n");

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    doctor_image_stop(im);
    return doctor_report_print(&rep, stdout, o->json);
}
