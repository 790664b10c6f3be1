/* volc.c — port 3 over HTTP: Volcengine-style signed calls (util/http_call.h).
 *
 * Every call is POST {endpoint}/?Action=<A>&Version=<V> with a JSON body,
 * signed with sign_v4 over content-type;host;x-content-sha256;x-date. The
 * answer is {"ResponseMetadata":{...},"Result":{...}} on HTTP 200 and
 * {"ResponseMetadata":{...,"Error":{"Code","CodeN","Message"}}} otherwise.
 *
 * Tolerance (../shared/UPSTREAM.md, rule 2): the client accepts every
 * variant the public record shows or leaves open — `{}` or `{Id}` from
 * deletes and updates, no expiry on liveness sessions, unknown extra
 * fields, an unknown Status, `Error {Code, Message}` on failed assets — and
 * turns each into a documented outcome, never into a false failure.
 *
 * Invariant: a create is retried only when the upstream cannot have acted
 * (we never connected, or it said it was throttling us). After a timeout or
 * a 5xx it may have created the resource, and a retry would create a second
 * one that nobody records. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "upstream/sign.h"
#include "upstream/upstream.h"
#include "upstream/volc_int.h" /* video tasks: ark_video.c shares the helpers */
#include "util/buf.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/http_call.h"
#include "util/log.h"
#include "util/sigv4.h"

#define VOLC_MAX_RESPONSE (1024 * 1024)
#define VOLC_MAX_URL 2048
#define VOLC_BACKOFF_BASE_MS 100
#define VOLC_BACKOFF_MAX_MS 5000

struct volc {
    char *base_url;    /* endpoint without a trailing '/' */
    char *sign_path;   /* the endpoint's path + "/", what we sign */
    char *host;        /* the endpoint's authority: Host header and signing host */
    char *access_key;
    char *secret_key;
    char *region;
    char *service;
    char *version;
    char *project_name; /* UPSTREAM.md "ProjectName": sent on every Action */
    int validate_ttl_s; /* UPSTREAM.md "H5Link valid ~120 s" */
    long timeout_ms;
    long connect_timeout_ms;
    int max_attempts;
    struct ark_video *ark; /* video tasks (ark_video.c) */
};

struct ark_video *volc_ark(struct upstream *u)
{
    return ((struct volc *)u->impl)->ark;
}

/* How the call may be retried. */
enum volc_kind {
    VOLC_IDEMPOTENT, /* reads, updates: retry on throttled/unavailable */
    VOLC_DELETE,     /* as above; NotFound on a retry means it was done */
    VOLC_CREATE,     /* retry only when the upstream cannot have acted */
};

/* ---------- small helpers ---------- */

void volc_set_error(struct up_error *err, int http_status, const char *code, const char *message)
{
    if (!err)
        return;
    err->http_status = http_status;
    snprintf(err->code, sizeof err->code, "%s", code ? code : "");
    snprintf(err->message, sizeof err->message, "%s", message ? message : "");
}

/* An API call's transport outcome (http_call) as the port's result: UP_OK
 * when an answer arrived (*status holds it), else err says what failed and
 * *not_acted is set when no connection was made. */
enum up_result volc_http_result(enum http_call_result hr, const struct http_call_out *out, long *status,
                                struct up_error *err, int *not_acted)
{
    if (hr == HTTP_CALL_OK) {
        *status = out->status;
        return UP_OK;
    }
    if (hr == HTTP_CALL_TOO_LARGE)
        volc_set_error(err, (int)out->status, "ResponseTooLarge", "upstream response exceeds 1 MiB");
    else
        volc_set_error(err, 0, out->curl_name, out->message);
    *not_acted = out->not_connected;
    return UP_UNAVAILABLE;
}

/* Ids come back into our records and URLs: a bounded, boring alphabet. */
int volc_valid_id(const char *s)
{
    size_t n = s ? strnlen(s, IDS_MAX) : 0;
    if (n == 0 || n >= IDS_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

static const char *volc_json_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---------- one attempt ---------- */

/* UPSTREAM.md "Error envelope": FlowLimitExceeded, CodeN 100018. */
#define VOLC_CODEN_FLOW_LIMIT 100018

/* 1 when code is base or base.<detail> (UPSTREAM.md "Parameter errors":
 * NotFound.group_id, MissingParameter.Filter, InvalidParameter.DownloadFailed). */
int volc_code_is(const char *code, const char *base)
{
    size_t n = strlen(base);
    return code && strncmp(code, base, n) == 0 && (code[n] == '\0' || code[n] == '.');
}

/* Maps a complete HTTP answer. On UP_OK *result holds a new reference to
 * the Result object. */
enum up_result volc_classify(long status, const struct buf *body, json_t **result, struct up_error *err)
{
    json_error_t jerr;
    json_t *root = body->len ? json_loadb(body->data, body->len, 0, &jerr) : NULL;
    json_t *meta = json_object_get(root, "ResponseMetadata");
    json_t *error = json_object_get(meta, "Error");
    const char *code = json_is_object(error) ? volc_json_str(error, "Code") : NULL;
    const char *message = json_is_object(error) ? volc_json_str(error, "Message") : NULL;
    json_t *coden = json_is_object(error) ? json_object_get(error, "CodeN") : NULL;
    int flow = (json_is_integer(coden) && json_integer_value(coden) == VOLC_CODEN_FLOW_LIMIT) ||
               (json_is_string(coden) && strcmp(json_string_value(coden), "100018") == 0);
    enum up_result r;

    if (status == 200 && json_is_object(root) && !code) {
        json_t *res = json_object_get(root, "Result");
        /* A Result that is absent or null is an empty one: deletes answer
         * `Result {}` (UPSTREAM.md "DeleteAsset"), and a service that drops
         * an empty object must not turn a success into a failure. */
        if (json_is_object(res) || ((!res || json_is_null(res)) && json_is_object(meta))) {
            *result = json_is_object(res) ? json_incref(res) : json_object();
            json_decref(root);
            return *result ? UP_OK : UP_UNAVAILABLE;
        }
    }
    /* UPSTREAM.md "Error envelope": FlowLimitExceeded is 429 with CodeN
     * 100018; accept it however it is sent (any status, code or CodeN). */
    if (status == 429 || flow || volc_code_is(code, "FlowLimitExceeded"))
        r = UP_THROTTLED;
    /* UPSTREAM.md "Parameter errors": unknown ids are 404 NotFound.group_id /
     * NotFound.asset_id. InvalidActionOrVersion is also a 404, and so is a
     * wrong host (no body): those are configuration errors, never "the
     * object is gone", so only a NotFound code means not found. */
    else if (volc_code_is(code, "NotFound"))
        r = UP_NOT_FOUND;
    else if (status >= 400 && status < 500)
        r = UP_REJECTED;
    else if (status == 200 && code)
        r = UP_REJECTED; /* an explicit error that is neither of the above */
    else
        r = UP_UNAVAILABLE; /* 5xx, 1xx/3xx, or a 200 we cannot read */

    if (code) {
        volc_set_error(err, (int)status, code, message);
    } else if (status == 200) {
        volc_set_error(err, (int)status, "InvalidResponse",
                       root ? "200 without a Result object" : "200 with a body that is not JSON");
    } else {
        char c[32];
        snprintf(c, sizeof c, "Http%ld", status);
        volc_set_error(err, (int)status, c,
                       status == 404 ? "404 without a Volcengine error: is the upstream endpoint's host right?"
                                     : "no Volcengine error in the response body");
    }
    json_decref(root);
    return r;
}

/* What an operator should do about a refusal that no retry will fix; one
 * log line per code and minute, so a misconfigured node does not flood. */
static const struct {
    const char *code;
    const char *hint;
} volc_hints[] = {
    /* UPSTREAM.md "Error envelope": InvalidTimestamp 400 for a stale X-Date */
    {"InvalidTimestamp", "the upstream refused X-Date: this host's clock is off by minutes; sync it (NTP)"},
    {"AccessDenied", "the access key lacks IAM permission for the ark asset Actions; grant the policy "
                     "(README: Using the real upstream)"},
    {"SignatureDoesNotMatch", "the upstream rejected the signature: check PORTICO_VOLC_SK and the region"},
    {"InvalidAccessKey", "the upstream does not know PORTICO_VOLC_AK"},
    {"MissingAuthenticationToken", "the upstream saw no credentials: check PORTICO_VOLC_AK/SK"},
    {"InvalidActionOrVersion", "the upstream does not serve this Action/Version: is the endpoint the ark "
                               "OpenAPI host (open.volcengineapi.com / open.byteplusapi.com)?"},
};

static void volc_hint(const char *action, const struct up_error *err)
{
    static int64_t last[sizeof volc_hints / sizeof volc_hints[0]];
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    for (size_t i = 0; i < sizeof volc_hints / sizeof volc_hints[0]; i++) {
        if (!volc_code_is(err->code, volc_hints[i].code))
            continue;
        int64_t now = clock_mono_ms();
        pthread_mutex_lock(&mu);
        int due = last[i] == 0 || now - last[i] >= 60000;
        if (due)
            last[i] = now;
        pthread_mutex_unlock(&mu);
        if (due)
            log_warn("upstream %s: %s (http %d): %s", action, err->code, err->http_status, volc_hints[i].hint);
        return;
    }
}

/* One signed POST on the wire. UP_OK when an HTTP answer arrived, whatever
 * its status: *status and reply (bounded by its own limit) hold it; else
 * err says what failed and *not_acted is set when the upstream certainly
 * did not act on it (no connection). fresh: on a new connection (see
 * volc_call). */
static enum up_result volc_send(struct volc *v, const char *url, const char *query, const char *body,
                                long *status_out, struct buf *reply, struct up_error *err, int *not_acted,
                                int fresh)
{
    struct sign_output sig;
    char x_date[17];
    char lines[4][600];

    *not_acted = 0;
    *status_out = 0;
    sign_x_date(clock_wall_ms(), x_date);
    struct sign_input in = {
        .method = "POST",
        .host = v->host,
        .path = v->sign_path,
        .query = query,
        .x_date = x_date,
        .content_type = "application/json",
        .body = body,
        .body_len = strlen(body),
        .sign_content_sha256 = 1,
        .region = v->region,
        .service = v->service,
        .access_key = v->access_key,
        .secret_key = v->secret_key,
    };
    if (sign_v4(&in, &sig) != 0) {
        volc_set_error(err, 0, "SignatureFailed", "cannot sign the request (bad credentials or region?)");
        *not_acted = 1;
        return UP_REJECTED;
    }
    snprintf(lines[0], sizeof lines[0], "Host: %s", v->host);
    snprintf(lines[1], sizeof lines[1], "X-Date: %s", x_date);
    snprintf(lines[2], sizeof lines[2], "X-Content-Sha256: %s", sig.payload_hash);
    snprintf(lines[3], sizeof lines[3], "Authorization: %s", sig.authorization);
    const char *const hdrs[] = {"Content-Type: application/json", "Expect:", "Accept: application/json",
                                lines[0], lines[1], lines[2], lines[3]};
    struct http_call call = {
        .method = "POST",
        .url = url,
        .headers = hdrs,
        .n_headers = sizeof hdrs / sizeof hdrs[0],
        .body = body,
        .body_len = in.body_len,
        .timeout_ms = v->timeout_ms,
        .connect_timeout_ms = v->connect_timeout_ms,
        .fresh = fresh,
        .response = reply,
    };
    struct http_call_out out;
    return volc_http_result(http_call(&call, &out), &out, status_out, err, not_acted);
}

/* One signed POST, classified. *not_acted is set when the upstream
 * certainly did not act on it (no connection, or throttled). */
static enum up_result volc_attempt(struct volc *v, const char *url, const char *query,
                                   const char *body, json_t **result, struct up_error *err,
                                   int *not_acted, int fresh)
{
    struct buf reply;
    long status;
    buf_init(&reply, VOLC_MAX_RESPONSE);
    enum up_result r = volc_send(v, url, query, body, &status, &reply, err, not_acted, fresh);
    if (r == UP_OK) {
        r = volc_classify(status, &reply, result, err);
        /* Throttling is decided before the upstream acts. */
        *not_acted = r == UP_THROTTLED;
    }
    buf_free(&reply);
    return r;
}

/* ---------- retries ---------- */

void volc_backoff(int attempt)
{
    int64_t d = VOLC_BACKOFF_BASE_MS;
    for (int i = 1; i < attempt && d < VOLC_BACKOFF_MAX_MS; i++)
        d *= 3;
    if (d > VOLC_BACKOFF_MAX_MS)
        d = VOLC_BACKOFF_MAX_MS;
    /* Jitter in [d/2, 3d/2) spreads out many callers retrying together. */
    uint32_t rnd = 0;
    crypto_random(&rnd, sizeof rnd);
    clock_sleep_ms(d / 2 + (int64_t)(rnd % (uint32_t)d));
}

/* The query "Action=..&Version=.." and the whole URL of an Action; 0, or
 * -1 when they do not fit. */
static int volc_action_url(const struct volc *v, const char *action, struct buf *url, struct buf *query)
{
    return buf_puts(query, "Action=") || sigv4_uri_encode(action, 0, query) || buf_puts(query, "&Version=") ||
                   sigv4_uri_encode(v->version, 0, query) || buf_printf(url, "%s/?%s", v->base_url, query->data) != 0
               ? -1
               : 0;
}

/* Sends action with req (consumed) and applies the retry rules for kind.
 * On UP_OK, *result (if not NULL) holds the Result object. */
static enum up_result volc_call(struct volc *v, const char *action, json_t *req, enum volc_kind kind,
                                json_t **result, struct up_error *err)
{
    struct buf url, query;
    char *body = NULL;
    json_t *res = NULL;
    enum up_result r = UP_UNAVAILABLE;
    struct up_error scratch;

    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    buf_init(&url, VOLC_MAX_URL);
    buf_init(&query, VOLC_MAX_URL);
    /* UPSTREAM.md "ProjectName": accepted by every Action; assets are
     * usable only by video keys of the same project, so every call names it. */
    if (req && !json_object_get(req, "ProjectName") && v->project_name &&
        json_object_set_new(req, "ProjectName", json_string(v->project_name)) != 0) {
        volc_set_error(err, 0, "OutOfMemory", "cannot encode the request");
        goto out;
    }
    if (!req || !(body = json_dumps(req, JSON_COMPACT))) {
        volc_set_error(err, 0, "OutOfMemory", "cannot encode the request");
        goto out;
    }
    if (volc_action_url(v, action, &url, &query) != 0) {
        volc_set_error(err, 0, "InvalidEndpoint", "request URL too long");
        goto out;
    }

    for (int attempt = 1;; attempt++) {
        int not_acted = 0;
        /* reconciliation: libcurl silently resends a request once when a
         * reused keep-alive connection closes without an answer; for a
         * create that the upstream performed before the connection died,
         * that resend is a second create nobody records. Creates therefore
         * go on a fresh connection, where curl never resends. */
        r = volc_attempt(v, url.data, query.data, body, &res, err, &not_acted, kind == VOLC_CREATE);
        /* reconciliation: a create that failed after being sent may have
         * been performed; the caller must look before creating again. */
        err->maybe_acted = kind == VOLC_CREATE && r == UP_UNAVAILABLE && !not_acted;
        if (r == UP_OK)
            break;
        if (kind == VOLC_DELETE && attempt > 1 && r == UP_NOT_FOUND) {
            /* An earlier attempt that timed out or got a 5xx did delete it. */
            memset(err, 0, sizeof *err);
            r = UP_OK;
            break;
        }
        int retriable = (r == UP_THROTTLED || r == UP_UNAVAILABLE) && (kind != VOLC_CREATE || not_acted);
        if (!retriable || attempt >= v->max_attempts)
            break;
        log_warn("upstream %s attempt %d/%d failed: %s %s (http %d); retrying", action, attempt,
                 v->max_attempts, up_result_str(r), err->code, err->http_status);
        volc_backoff(attempt);
    }
    if (r == UP_REJECTED)
        volc_hint(action, err);
out:
    if (r == UP_OK && result)
        *result = res;
    else
        json_decref(res);
    free(body);
    json_decref(req);
    buf_free(&url);
    buf_free(&query);
    return r;
}

/* Checks Result.Id and copies it to id_out (if not NULL). */
static enum up_result volc_take_id(json_t *res, char *id_out, struct up_error *err)
{
    const char *id = volc_json_str(res, "Id");
    if (!volc_valid_id(id)) {
        volc_set_error(err, 200, "InvalidResponse", "Result.Id missing or not a valid id");
        return UP_UNAVAILABLE;
    }
    if (id_out)
        snprintf(id_out, IDS_MAX, "%s", id);
    return UP_OK;
}

/* Runs a create whose Result is {"Id"}. */
static enum up_result volc_create_call(struct upstream *u, const char *action, json_t *req,
                                       char *id_out, struct up_error *err)
{
    json_t *res = NULL;
    enum up_result r = volc_call(u->impl, action, req, VOLC_CREATE, &res, err);
    if (r == UP_OK) {
        r = volc_take_id(res, id_out, err);
        /* reconciliation: a 200 without a usable id still created something */
        if (r != UP_OK && err)
            err->maybe_acted = 1;
    }
    json_decref(res);
    return r;
}

/* Runs an update or a delete. UPSTREAM.md "UpdateAssetGroup / UpdateAsset
 * -> Result {Id} (one source); DeleteAssetGroup / DeleteAsset -> Result {}":
 * success is the 200 itself, whatever the Result holds. */
static enum up_result volc_change_call(struct upstream *u, const char *action, json_t *req,
                                       enum volc_kind kind, struct up_error *err)
{
    json_t *res = NULL;
    enum up_result r = volc_call(u->impl, action, req, kind, &res, err);
    json_decref(res);
    return r;
}

/* reconciliation: a read-only call (volc_find.c), retried like any read. */
enum up_result volc_read_call(struct upstream *u, const char *action, json_t *req, json_t **result,
                              struct up_error *err)
{
    return volc_call(u->impl, action, req, VOLC_IDEMPOTENT, result, err);
}

static enum up_result volc_bad_argument(json_t *req, struct up_error *err, const char *what)
{
    json_decref(req);
    if (err)
        volc_set_error(err, 0, "InvalidParameter", what);
    return UP_REJECTED;
}

/* Adds key=value when value is not NULL; returns -1 on allocation failure. */
static int volc_set_opt(json_t *o, const char *key, const char *value)
{
    return value ? json_object_set_new(o, key, json_string(value)) : 0;
}

/* ---------- the ops ---------- */

static enum up_result volc_create_group(struct upstream *u, const char *name, const char *description,
                                        const char *group_type, char id_out[static IDS_MAX],
                                        struct up_error *err)
{
    json_t *req = json_object();
    if (!name || !group_type)
        return volc_bad_argument(req, err, "Name and GroupType are required");
    if (volc_set_opt(req, "Name", name) || volc_set_opt(req, "Description", description ? description : "") ||
        volc_set_opt(req, "GroupType", group_type))
        return volc_bad_argument(req, err, "cannot build the request");
    return volc_create_call(u, "CreateAssetGroup", req, id_out, err);
}

static enum up_result volc_update_group(struct upstream *u, const char *id, const char *name,
                                        const char *description, struct up_error *err)
{
    json_t *req = json_object();
    if (!id)
        return volc_bad_argument(req, err, "Id is required");
    if (volc_set_opt(req, "Id", id) || volc_set_opt(req, "Name", name) ||
        volc_set_opt(req, "Description", description))
        return volc_bad_argument(req, err, "cannot build the request");
    return volc_change_call(u, "UpdateAssetGroup", req, VOLC_IDEMPOTENT, err);
}

static enum up_result volc_delete_group(struct upstream *u, const char *id, struct up_error *err)
{
    json_t *req = json_object();
    if (!id || volc_set_opt(req, "Id", id))
        return volc_bad_argument(req, err, "Id is required");
    return volc_change_call(u, "DeleteAssetGroup", req, VOLC_DELETE, err);
}

static enum up_result volc_create_asset(struct upstream *u, const char *group_id, const char *url,
                                        const char *asset_type, const char *name,
                                        char id_out[static IDS_MAX], struct up_error *err)
{
    json_t *req = json_object();
    if (!group_id || !url || !asset_type)
        return volc_bad_argument(req, err, "GroupId, URL and AssetType are required");
    if (volc_set_opt(req, "GroupId", group_id) || volc_set_opt(req, "URL", url) ||
        volc_set_opt(req, "AssetType", asset_type) || volc_set_opt(req, "Name", name))
        return volc_bad_argument(req, err, "cannot build the request");
    return volc_create_call(u, "CreateAsset", req, id_out, err);
}

/* UPSTREAM.md "GetAsset": Status is Processing, Active or Failed (one
 * reseller also lists Inactive). Any other word is kept verbatim: the
 * record cannot rule it out, and calling it an invalid reply would keep
 * the asset Processing for ever. A bounded word of letters only. */
static int volc_valid_status(const char *s)
{
    size_t n = s ? strnlen(s, UP_STATUS_MAX) : 0;
    if (n == 0 || n >= UP_STATUS_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
            return 0;
    return 1;
}

/* Copies a JSON string into dst, replacing control bytes: it reaches our
 * records, logs and customers. Absent or not a string: "". */
static void volc_copy_text(char *dst, size_t cap, json_t *v)
{
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    snprintf(dst, cap, "%s", s);
    for (char *p = dst; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

/* The Result of GetAsset into out; -1 (err set) when it is not one. */
int volc_parse_asset(json_t *res, const char *id, struct up_asset *out, struct up_error *err)
{
    const char *rid = volc_json_str(res, "Id");
    const char *gid = volc_json_str(res, "GroupId");
    const char *status = volc_json_str(res, "Status");
    json_t *error = json_object_get(res, "Error");
    if (!volc_valid_id(rid) || (id && strcmp(rid, id) != 0) || (gid && !volc_valid_id(gid)) ||
        !volc_valid_status(status)) {
        volc_set_error(err, 200, "InvalidResponse", "GetAsset Result lacks a valid Id or Status");
        return -1;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", rid);
    snprintf(out->group_id, sizeof out->group_id, "%s", gid ? gid : "");
    snprintf(out->status, sizeof out->status, "%s", status);
    /* UPSTREAM.md "GetAsset": a failed asset carries Error {Code, Message}. */
    if (json_is_object(error)) {
        volc_copy_text(out->error_code, sizeof out->error_code, json_object_get(error, "Code"));
        volc_copy_text(out->error_message, sizeof out->error_message, json_object_get(error, "Message"));
    }
    volc_copy_text(out->failure_reason, sizeof out->failure_reason, json_object_get(res, "FailureReason"));
    return 0;
}

static enum up_result volc_get_asset(struct upstream *u, const char *id, struct up_asset *out,
                                     struct up_error *err)
{
    json_t *req = json_object();
    json_t *res = NULL;
    if (!id || !out || volc_set_opt(req, "Id", id))
        return volc_bad_argument(req, err, "Id is required");
    enum up_result r = volc_call(u->impl, "GetAsset", req, VOLC_IDEMPOTENT, &res, err);
    if (r == UP_OK && volc_parse_asset(res, id, out, err) != 0)
        r = UP_UNAVAILABLE;
    json_decref(res);
    return r;
}

static enum up_result volc_update_asset(struct upstream *u, const char *id, const char *name,
                                        struct up_error *err)
{
    json_t *req = json_object();
    if (!id || !name)
        return volc_bad_argument(req, err, "Id and Name are required");
    if (volc_set_opt(req, "Id", id) || volc_set_opt(req, "Name", name))
        return volc_bad_argument(req, err, "cannot build the request");
    return volc_change_call(u, "UpdateAsset", req, VOLC_IDEMPOTENT, err);
}

static enum up_result volc_delete_asset(struct upstream *u, const char *id, struct up_error *err)
{
    json_t *req = json_object();
    if (!id || volc_set_opt(req, "Id", id))
        return volc_bad_argument(req, err, "Id is required");
    return volc_change_call(u, "DeleteAsset", req, VOLC_DELETE, err);
}

static enum up_result volc_ping(struct upstream *u, struct up_error *err)
{
    /* UPSTREAM.md "ListAssetGroups / ListAssets": Filter is required. */
    json_t *req = json_pack("{s:{s:s}, s:i, s:i}", "Filter", "GroupType", "AIGC", "PageNumber", 1, "PageSize", 1);
    json_t *res = NULL;
    enum up_result r = volc_call(u->impl, "ListAssetGroups", req, VOLC_IDEMPOTENT, &res, err);
    json_decref(res);
    return r;
}

/* ---------- liveness ---------- */

/* "YYYY-MM-DDThh:mm:ss[.fff]Z" to wall-clock ms; -1 if it is not that. */
int64_t volc_parse_time(const char *s)
{
    struct tm tm = {0};
    int n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
        return -1;
    const char *p = s + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return t < 0 ? -1 : (int64_t)t * 1000;
}

/* A URL we hand to a browser: http(s), shorter than cap, no spaces or controls. */
static int volc_valid_link(const char *s, size_t cap)
{
    if (!s || strnlen(s, cap) >= cap || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0))
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* An expiry the reply may carry after all: an RFC 3339 string or unix
 * seconds under any of the names a service would use; -1 when absent. */
static int64_t volc_reply_expiry(json_t *res)
{
    static const char *const names[] = {"ExpireTime", "ExpiredTime", "ExpireAt", "ExpiresAt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        json_t *v = json_object_get(res, names[i]);
        if (json_is_string(v))
            return volc_parse_time(json_string_value(v));
        if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < ((json_int_t)1 << 40))
            return (int64_t)json_integer_value(v) * 1000;
    }
    return -1;
}

/* The Result of CreateVisualValidateSession into out; -1 (err set) when it
 * is not one. now_ms + ttl_s is the expiry when the reply names none. */
int volc_parse_session(json_t *res, int64_t now_ms, int ttl_s, struct up_validate_session *out,
                       struct up_error *err)
{
    const char *token = volc_json_str(res, "BytedToken");
    const char *link = volc_json_str(res, "H5Link");
    const char *cb = volc_json_str(res, "CallbackURL");
    /* The token goes into our records and back to customers: the same
     * boring alphabet as ids, a little longer. */
    int token_ok = token && strnlen(token, UP_TOKEN_MAX) < UP_TOKEN_MAX && token[0];
    for (const char *p = token; token_ok && *p; p++)
        token_ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                   *p == '-' || *p == '_' || *p == '.';
    if (!token_ok || !volc_valid_link(link, UP_H5_LINK_MAX)) {
        volc_set_error(err, 200, "InvalidResponse", "CreateVisualValidateSession Result lacks a valid BytedToken or H5Link");
        return -1;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->token, sizeof out->token, "%s", token);
    snprintf(out->h5_link, sizeof out->h5_link, "%s", link);
    /* The CallbackURL echoed back is informative; one we could not hand to a
     * browser is dropped, not a reason to lose a session the upstream made. */
    snprintf(out->callback_url, sizeof out->callback_url, "%s", volc_valid_link(cb, UP_LINK_MAX) ? cb : "");
    /* UPSTREAM.md "CreateVisualValidateSession ... no expiry field" and
     * "H5Link valid ~120 s": derive the expiry locally unless one is given. */
    int64_t expire = volc_reply_expiry(res);
    out->expire_ms = expire > 0 ? expire : now_ms + (int64_t)(ttl_s > 0 ? ttl_s : 120) * 1000;
    return 0;
}

static enum up_result volc_create_validate_session(struct upstream *u, const char *callback_url,
                                                   struct up_validate_session *out, struct up_error *err)
{
    struct volc *v = u->impl;
    json_t *req = json_object();
    json_t *res = NULL;
    if (!out || volc_set_opt(req, "CallbackURL", callback_url))
        return volc_bad_argument(req, err, "cannot build the request");
    int64_t asked = clock_wall_ms();
    enum up_result r = volc_call(v, "CreateVisualValidateSession", req, VOLC_CREATE, &res, err);
    if (r == UP_OK && volc_parse_session(res, asked, v->validate_ttl_s, out, err) != 0)
        r = UP_UNAVAILABLE;
    json_decref(res);
    return r;
}

/* The upstream's answers about a scan that is not (yet) a success. */
static const struct {
    const char *code;
    enum up_validate_state state;
} volc_validate_codes[] = {
    {"ValidatePending", UP_VALIDATE_PENDING},
    {"ValidateFailed", UP_VALIDATE_FAILED},
    {"TokenExpired", UP_VALIDATE_EXPIRED},
    {"InvalidToken", UP_VALIDATE_UNKNOWN},
};

static enum up_result volc_get_validate_result(struct upstream *u, const char *token,
                                               struct up_validate_result *out, struct up_error *err)
{
    json_t *req = json_object();
    json_t *res = NULL;
    struct up_error scratch;
    if (!err)
        err = &scratch;
    if (!token || !out || volc_set_opt(req, "BytedToken", token))
        return volc_bad_argument(req, err, "BytedToken is required");
    memset(out, 0, sizeof *out);
    enum up_result r = volc_call(u->impl, "GetVisualValidateResult", req, VOLC_IDEMPOTENT, &res, err);
    /* UPSTREAM.md "GetVisualValidateResult": one public fork sees HTTP 404
     * for an expired or used token. A 404 that says InvalidActionOrVersion
     * is a configuration error, not an expired token. */
    if ((r == UP_NOT_FOUND || r == UP_REJECTED) && err->http_status == 404 &&
        !volc_code_is(err->code, "InvalidActionOrVersion")) {
        out->state = UP_VALIDATE_EXPIRED;
        snprintf(out->message, sizeof out->message, "%s", err->message);
        memset(err, 0, sizeof *err);
        return UP_OK;
    }
    if (r == UP_REJECTED) {
        for (size_t i = 0; i < sizeof volc_validate_codes / sizeof volc_validate_codes[0]; i++) {
            if (!volc_code_is(err->code, volc_validate_codes[i].code))
                continue;
            out->state = volc_validate_codes[i].state;
            snprintf(out->message, sizeof out->message, "%s", err->message);
            memset(err, 0, sizeof *err);
            return UP_OK;
        }
        return r;
    }
    if (r != UP_OK)
        return r;
    const char *gid = volc_json_str(res, "GroupId");
    const char *type = volc_json_str(res, "GroupType");
    /* GroupType is checked only when present (crun documents GroupId alone). */
    if (!volc_valid_id(gid) || (type && strcmp(type, "LivenessFace") != 0)) {
        volc_set_error(err, 200, "InvalidResponse", "GetVisualValidateResult Result lacks a valid GroupId");
        r = UP_UNAVAILABLE;
    } else {
        out->state = UP_VALIDATE_PASSED;
        snprintf(out->group_id, sizeof out->group_id, "%s", gid);
    }
    json_decref(res);
    return r;
}

static void volc_free(struct volc *v)
{
    if (!v)
        return;
    free(v->base_url);
    free(v->sign_path);
    free(v->host);
    free(v->access_key);
    if (v->secret_key) {
        /* volatile so the wipe is not optimised away */
        volatile char *p = v->secret_key;
        while (*p)
            *p++ = 0;
    }
    free(v->secret_key);
    free(v->region);
    free(v->service);
    free(v->version);
    free(v->project_name);
    ark_video_free(v->ark);
    free(v);
}

static void volc_destroy(struct upstream *u)
{
    if (!u)
        return;
    volc_free(u->impl);
    free(u);
    /* Release this thread's cached handle now (tests, shutdown); another
     * upstream used later on this thread simply makes a new one. */
    http_call_thread_done();
}

static const struct upstream_ops volc_ops = {
    .create_group = volc_create_group,
    .update_group = volc_update_group,
    .delete_group = volc_delete_group,
    .create_asset = volc_create_asset,
    .get_asset = volc_get_asset,
    .update_asset = volc_update_asset,
    .delete_asset = volc_delete_asset,
    .ping = volc_ping,
    .destroy = volc_destroy,
    /* video tasks */
    .create_video_task = ark_create_video_task,
    .get_video_task = ark_get_video_task,
    .open_video_result = ark_open_video_result,
    .create_validate_session = volc_create_validate_session,
    .get_validate_result = volc_get_validate_result,
    /* reconciliation (volc_find.c) */
    .find_group = volc_find_group,
    .find_asset = volc_find_asset,
    .list_groups = volc_list_groups, /* liveness: the orphan sweep */
    .raw_action = volc_raw_action, /* doctor */
};

/* Splits "scheme://authority[/path]" into base URL, host and the
 * path to sign; 0 on success. */
static int volc_parse_endpoint(struct volc *v, const char *endpoint)
{
    const char *p;
    if (strncmp(endpoint, "http://", 7) == 0)
        p = endpoint + 7;
    else if (strncmp(endpoint, "https://", 8) == 0)
        p = endpoint + 8;
    else
        return -1;
    size_t alen = strcspn(p, "/?#");
    const char *auth = p, *rest = p + alen;
    /* No userinfo: curl would turn it into Basic credentials we never meant to send. */
    if (memchr(auth, '@', alen) || alen == 0 || alen > 255 || strchr(rest, '?') || strchr(rest, '#'))
        return -1;
    size_t rlen = strlen(rest);
    while (rlen && rest[rlen - 1] == '/')
        rlen--;
    size_t blen = (size_t)(rest - endpoint) + rlen;
    if (blen > VOLC_MAX_URL / 2)
        return -1;
    v->host = strndup(auth, alen);
    v->base_url = strndup(endpoint, blen);
    v->sign_path = malloc(rlen + 2);
    if (!v->host || !v->base_url || !v->sign_path)
        return -1;
    memcpy(v->sign_path, rest, rlen);
    v->sign_path[rlen] = '/';
    v->sign_path[rlen + 1] = '\0';
    return 0;
}

struct upstream *upstream_volc_new(const struct upstream_config *cfg)
{
    if (http_call_init() != 0 || !cfg || !cfg->endpoint) {
        log_error("upstream: cannot initialise libcurl or no endpoint");
        return NULL;
    }
    struct upstream *u = calloc(1, sizeof *u);
    struct volc *v = calloc(1, sizeof *v);
    if (!u || !v)
        goto fail;
    if (volc_parse_endpoint(v, cfg->endpoint) != 0) {
        log_error("upstream: endpoint must be http(s)://host[:port][/path]");
        goto fail;
    }
    v->access_key = strdup(cfg->access_key ? cfg->access_key : "");
    v->secret_key = strdup(cfg->secret_key ? cfg->secret_key : "");
    v->region = strdup(cfg->region ? cfg->region : "cn-beijing");
    v->service = strdup(cfg->service ? cfg->service : "ark");
    v->version = strdup(cfg->version ? cfg->version : "2024-01-01");
    v->project_name = strdup(cfg->project_name && *cfg->project_name ? cfg->project_name : "default");
    if (!v->access_key || !v->secret_key || !v->region || !v->service || !v->version || !v->project_name)
        goto fail;
    v->validate_ttl_s = cfg->validate_ttl_s > 0 ? cfg->validate_ttl_s : 120;
    v->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    v->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 3000;
    v->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 3;
    v->ark = ark_video_new(cfg);
    if (!v->ark)
        goto fail;
    u->ops = &volc_ops;
    u->impl = v;
    return u;
fail:
    volc_free(v);
    free(u);
    return NULL;
}

const char *up_result_str(enum up_result r)
{
    switch (r) {
    case UP_OK: return "ok";
    case UP_NOT_FOUND: return "not_found";
    case UP_REJECTED: return "rejected";
    case UP_THROTTLED: return "throttled";
    case UP_UNAVAILABLE: return "unavailable";
    }
    return "unknown";
}

/* doctor: one Action with the caller's JSON body, signed as every call
 * is, sent once (no retries: the doctor counts its calls and must see a
 * throttle reply), on a fresh connection; the answer handed back
 * untouched, bounded like every reply. */
enum up_result volc_raw_action(struct upstream *u, const char *action, const char *json_body, long *http_status,
                               char **reply, struct up_error *err)
{
    struct volc *v = u->impl;
    struct buf url, query, body;
    struct up_error scratch;
    int not_acted;
    enum up_result r = UP_REJECTED;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    *http_status = 0;
    *reply = NULL;
    buf_init(&url, VOLC_MAX_URL);
    buf_init(&query, VOLC_MAX_URL);
    buf_init(&body, VOLC_MAX_RESPONSE);
    if (!action || !json_body)
        volc_set_error(err, 0, "InvalidParameter", "an Action and a body are required");
    else if (volc_action_url(v, action, &url, &query) != 0)
        volc_set_error(err, 0, "InvalidEndpoint", "request URL too long");
    else if ((r = volc_send(v, url.data, query.data, json_body, http_status, &body, err, &not_acted, 1)) == UP_OK)
        *reply = buf_take(&body);
    buf_free(&url);
    buf_free(&query);
    buf_free(&body);
    return r;
}
