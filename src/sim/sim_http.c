/* sim_http.c — the simulator's wire protocol over libmicrohttpd: POST
 * /?Action=A&Version=2024-01-01 with a JSON body and a V4 signature, answered
 * in Volcengine's ResponseMetadata/Result envelope. One table row per Action
 * (handler + throttling class); the generic checks run once, in this order:
 * path and method, body size, signature, Version, Action, throttling, JSON.
 * Also the test endpoints /_sim/... (test_endpoint): absent unless a test
 * token is configured, and then only for requests that carry it.
 *
 * Invariant: the signature is checked over the raw query string exactly as
 * it arrived (captured by the URI log callback), never one rebuilt from
 * MHD's decoded arguments, which would change encoding and order. */
#include <ctype.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sim/sim_faults.h"
#include "sim/sim_h5.h"
#include "sim/sim_http.h"
#include "sim/sim_verify.h"
#include "sim/sim_video.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"

#define SIM_VERSION "2024-01-01"
#define SIM_SERVICE "ark"
#define SIM_BODY_MAX (1024 * 1024)
#define SIM_POOL_THREADS 4

struct sim_action {
    const char *name;
    sim_handler fn;
    enum sim_limit_class limit;
};

static const struct sim_action sim_actions[] = {
    {"CreateAssetGroup", sim_create_group, SIM_LIMIT_CREATE},
    {"GetAssetGroup", sim_get_group, SIM_LIMIT_GET},
    {"ListAssetGroups", sim_list_groups, SIM_LIMIT_LIST_UPDATE},
    {"UpdateAssetGroup", sim_update_group, SIM_LIMIT_LIST_UPDATE},
    {"DeleteAssetGroup", sim_delete_group, SIM_LIMIT_LIST_UPDATE},
    {"CreateAsset", sim_create_asset, SIM_LIMIT_CREATE},
    {"GetAsset", sim_get_asset, SIM_LIMIT_GET},
    {"ListAssets", sim_list_assets, SIM_LIMIT_LIST_UPDATE},
    {"UpdateAsset", sim_update_asset, SIM_LIMIT_LIST_UPDATE},
    {"DeleteAsset", sim_delete_asset, SIM_LIMIT_LIST_UPDATE},
    /* liveness (sim_liveness.c): a session is a create, asking for its result a list */
    {"CreateVisualValidateSession", sim_create_validate_session, SIM_LIMIT_CREATE},
    {"GetVisualValidateResult", sim_get_validate_result, SIM_LIMIT_LIST_UPDATE},
};
#define SIM_N_ACTIONS (sizeof sim_actions / sizeof sim_actions[0])
_Static_assert(SIM_N_ACTIONS <= SIM_MAX_ACTIONS, "grow SIM_MAX_ACTIONS");

/* One request's state, from the URI log callback to the completion notice. */
struct sim_req {
    char *raw_uri;
    struct buf body;
    int started;
    int too_large;
    int no_memory; /* the body could not be held (buf_append: BUF_NOMEM) */
    int64_t start_mono;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct sim_req *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->raw_uri = strdup(uri ? uri : "");
    buf_init(&q->body, SIM_BODY_MAX);
    q->start_mono = clock_mono_ms();
    return q;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t)
{
    struct sim_req *q = *con_cls;
    if (!q)
        return;
    buf_free(&q->body);
    free(q->raw_uri);
    free(q);
    *con_cls = NULL;
}

static const char *header_of(void *ctx, const char *name)
{
    /* MHD compares header names case-insensitively. */
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

enum MHD_Result sim_http_send(struct MHD_Connection *conn, unsigned status, char *body, const char *content_type,
                              const char *name, const char *value)
{
    if (!body)
        return MHD_NO;
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", content_type);
    if (name)
        MHD_add_response_header(resp, name, value);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, int status, json_t *body, const char *request_id)
{
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    return sim_http_send(conn, (unsigned)status, s ? s : strdup("{}"), "application/json; charset=utf-8",
                         request_id ? "X-Tt-Logid" : NULL, request_id);
}

/* UPSTREAM.md "Success envelope": a RequestId is the UTC time as 14 digits
 * and 20 upper-case hex digits, e.g. 20260521162915DFB89755D1A21AAE8036. */
void sim_request_id(char out[static SIM_REQUEST_ID_LEN + 1])
{
    uint8_t rnd[10];
    char hex[21];
    clock_compact(clock_wall_ms(), out);
    if (crypto_random(rnd, sizeof rnd) != 0)
        memset(rnd, 0, sizeof rnd);
    crypto_hex(rnd, sizeof rnd, hex);
    for (int i = 0; i < 20; i++)
        out[14 + i] = (char)toupper((unsigned char)hex[i]);
    out[SIM_REQUEST_ID_LEN] = '\0';
}

/* ---- stats ---- */

static void stats_count(struct sim *s, int action, int throttled, int sig_failure)
{
    pthread_mutex_lock(&s->stats.mu);
    if (action >= 0)
        s->stats.requests[action]++;
    if (action >= 0 && throttled) {
        s->stats.throttled[action]++;
        s->stats.throttled_total++;
    }
    if (sig_failure)
        s->stats.signature_failures++;
    pthread_mutex_unlock(&s->stats.mu);
}

/* A request already counted that a handler then throttled. */
static void stats_throttled(struct sim *s, int action)
{
    pthread_mutex_lock(&s->stats.mu);
    s->stats.throttled[action]++;
    s->stats.throttled_total++;
    pthread_mutex_unlock(&s->stats.mu);
}

static json_t *stats_json(struct sim *s)
{
    json_t *req = json_object(), *thr = json_object();
    size_t groups, assets;
    sim_assets_counts(s->assets, &groups, &assets);
    pthread_mutex_lock(&s->stats.mu);
    for (size_t i = 0; i < SIM_N_ACTIONS; i++) {
        json_object_set_new(req, sim_actions[i].name, json_integer((json_int_t)s->stats.requests[i]));
        json_object_set_new(thr, sim_actions[i].name, json_integer((json_int_t)s->stats.throttled[i]));
    }
    json_t *o = json_pack("{s:o, s:o, s:I, s:I, s:I, s:I}", "requests", req, "throttled", thr, "throttled_total",
                          (json_int_t)s->stats.throttled_total, "signature_failures",
                          (json_int_t)s->stats.signature_failures, "groups", (json_int_t)groups, "assets",
                          (json_int_t)assets);
    pthread_mutex_unlock(&s->stats.mu);
    /* faults: injected by kind, and Actions performed (creates made) */
    const char *names[SIM_N_ACTIONS];
    for (size_t i = 0; i < SIM_N_ACTIONS; i++)
        names[i] = sim_actions[i].name;
    if (o)
        json_object_set_new(o, "faults", sim_faults_stats(s->faults, names, SIM_N_ACTIONS));
    return o;
}

/* ---- test endpoints ---- */

/* "Authorization: Bearer <token>" with the test token. The comparison takes
 * the same time wherever the first difference is: the token is a password. */
static int test_token_ok(const struct sim *s, struct MHD_Connection *conn)
{
    const char *auth = header_of(conn, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return 0;
    const char *given = auth + 7;
    size_t n = strlen(s->test_token);
    return strlen(given) == n && crypto_equal(given, s->test_token, n);
}

static enum MHD_Result test_reply(struct MHD_Connection *conn, int status, const char *why)
{
    json_t *o = json_pack("{s:s}", "error", why);
    enum MHD_Result ret = send_json(conn, status, o, NULL);
    json_decref(o);
    return ret;
}

/* /_sim/stats, /_sim/faults, /_sim/objects: what tests (and an operator
 * who set the token) use to watch and steer the simulator. Without a test
 * token they do not exist (404, like any unknown path), so a local process
 * or a browser page cannot break every tenant with faults or read every
 * tenant's objects; with one, a request must carry it, and a browser page
 * cannot add an Authorization header to a cross-origin request without a
 * CORS preflight, which this listener never grants. */
static enum MHD_Result test_endpoint(struct sim *s, struct MHD_Connection *conn, const char *url,
                                     const char *method, const struct sim_req *q)
{
    int known = strcmp(url, "/_sim/stats") == 0 || strcmp(url, "/_sim/faults") == 0 ||
                strcmp(url, "/_sim/objects") == 0;
    if (!s->test_token || !known)
        return test_reply(conn, 404, "No such path.");
    if (!test_token_ok(s, conn)) {
        int given = header_of(conn, "Authorization") != NULL;
        return test_reply(conn, given ? 403 : 401,
                          given ? "The test token is wrong." : "The test endpoints need Authorization: Bearer <test token>.");
    }
    if (strcmp(url, "/_sim/stats") == 0 && strcmp(method, "GET") == 0) {
        json_t *st = stats_json(s);
        enum MHD_Result ret = send_json(conn, st ? 200 : 500, st, NULL);
        json_decref(st);
        return ret;
    }
    if (strcmp(url, "/_sim/faults") == 0)
        return sim_faults_http(s, conn, method, q->body.data, q->body.len);
    if (strcmp(url, "/_sim/objects") == 0 && strcmp(method, "GET") == 0)
        return sim_faults_objects(s, conn);
    return test_reply(conn, 405, "Use GET (or POST for /_sim/faults).");
}

/* ---- signature ---- */

static const struct {
    enum sign_verdict verdict;
    enum sim_code code;
    const char *message;
} sim_verdicts[] = {
    {SIGN_MISSING, SIM_MISSING_AUTH, "The request is not signed: Authorization and X-Date are required."},
    {SIGN_MALFORMED, SIM_SIGNATURE_MISMATCH, "The Authorization header is malformed or its credential scope is wrong."},
    {SIGN_UNKNOWN_KEY, SIM_INVALID_ACCESS_KEY, "The access key in the credential is not known."},
    /* UPSTREAM.md "Error envelope": a stale X-Date is InvalidTimestamp 400 */
    {SIGN_EXPIRED, SIM_INVALID_TIMESTAMP, "The signature of the request is expired: X-Date is more than 15 minutes away from the server's clock."},
    {SIGN_BAD_SIGNATURE, SIM_SIGNATURE_MISMATCH, "The signature does not match the one computed for the request."},
};

/* The region of the Authorization's credential scope
 * ("Credential=AK/YYYYMMDD/REGION/SERVICE/request") into out; -1 if absent. */
static int scope_region(const char *auth, char *out, size_t cap)
{
    const char *p = auth ? strstr(auth, "Credential=") : NULL;
    if (!p)
        return -1;
    for (int slashes = 0; slashes < 2; p++) {
        if (!*p || *p == ',')
            return -1;
        slashes += *p == '/';
    }
    size_t n = strcspn(p, "/,");
    if (n == 0 || n >= cap || p[n] != '/')
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

static enum sim_code check_signature(struct sim *s, struct MHD_Connection *conn, const char *query,
                                     const struct buf *body, struct sim_reply *r)
{
    enum sign_verdict v = sign_verify("POST", "/", query, body->data, body->len, header_of, conn, s->access_key,
                                      s->secret_key, SIM_SERVICE, clock_wall_ms());
    for (size_t i = 0; v != SIGN_OK && i < sizeof sim_verdicts / sizeof sim_verdicts[0]; i++)
        if (sim_verdicts[i].verdict == v)
            return sim_fail(r, sim_verdicts[i].code, "%s", sim_verdicts[i].message);
    if (v != SIGN_OK)
        return sim_fail(r, SIM_SIGNATURE_MISMATCH, "The signature was rejected (%s).", sign_verdict_str(v));
    char region[64];
    const char *auth = header_of(conn, "Authorization");
    if (scope_region(auth, region, sizeof region) != 0 || strcmp(region, s->region) != 0)
        return sim_fail(r, SIM_SIGNATURE_MISMATCH, "The credential scope must name region %s.", s->region);
    return SIM_OK;
}

/* ---- the Action endpoint ---- */

static int find_action(const char *name)
{
    for (size_t i = 0; name && i < SIM_N_ACTIONS; i++)
        if (strcmp(sim_actions[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Runs everything between the raw request and the reply; fills r. */
static void handle_action(struct sim *s, struct MHD_Connection *conn, const char *method, struct sim_req *q,
                          const char *action, const char *version, int *action_index, struct sim_reply *r)
{
    *action_index = -1;
    if (strcmp(method, "POST") != 0) {
        sim_fail(r, SIM_METHOD_NOT_ALLOWED, "Actions are called with POST.");
        return;
    }
    if (q->too_large) {
        sim_fail(r, SIM_PAYLOAD_TOO_LARGE, "The request body is larger than %d bytes.", SIM_BODY_MAX);
        return;
    }
    const char *qmark = strchr(q->raw_uri, '?');
    if (check_signature(s, conn, qmark ? qmark + 1 : "", &q->body, r) != SIM_OK) {
        stats_count(s, -1, 0, 1);
        return;
    }
    sim_run_action(s, action, version, q->body.data, q->body.len, action_index, r);
}

/* The checks after the signature, and the handler: the part of a request
 * that reads its body (tests/fuzz/fuzz_sim_request.c calls it directly). */
void sim_run_action(struct sim *s, const char *action, const char *version, const char *body, size_t body_len,
                    int *action_index, struct sim_reply *r)
{
    *action_index = -1;
    /* UPSTREAM.md "Error envelope": an unknown Action or Version is
     * InvalidActionOrVersion 404, one code for both. */
    int i = version && strcmp(version, SIM_VERSION) == 0 ? find_action(action) : -1;
    if (i < 0) {
        sim_fail(r, SIM_INVALID_ACTION_OR_VERSION, "Could not find operation %.64s for version %.32s.",
                 action ? action : "(missing)", version ? version : "(missing)");
        return;
    }
    *action_index = i;
    const struct sim_action *act = &sim_actions[i];
    if (sim_limits_enter(&s->limits, act->limit, r->message, sizeof r->message) != 0) {
        r->code = SIM_FLOW_LIMIT;
        stats_count(s, i, 1, 0);
        return;
    }
    stats_count(s, i, 0, 0);

    json_error_t jerr;
    json_t *req = body_len == 0 ? json_object() : json_loadb(body, body_len, 0, &jerr);
    if (!req || !json_is_object(req))
        sim_fail(r, SIM_INVALID_PARAMETER, "The request body must be a JSON object.");
    else
        r->code = act->fn(s->assets, req, r);
    json_decref(req);
    if (r->code == SIM_OK)
        sim_faults_acted(s->faults, i); /* faults: what the upstream really did */
    if (r->code == SIM_FLOW_LIMIT)      /* CreateAsset: too many assets Processing */
        stats_throttled(s, i);
    if (r->code == SIM_OK && !r->result)
        sim_fail(r, SIM_INTERNAL, "Out of memory.");
}

json_t *sim_envelope(struct sim *s, const char *request_id, const char *action, const char *version,
                     struct sim_reply *r)
{
    json_t *meta = json_pack("{s:s, s:s, s:s, s:s, s:s}", "RequestId", request_id, "Action", action ? action : "",
                             "Version", version ? version : "", "Service", SIM_SERVICE, "Region", s->region);
    if (!meta)
        return NULL;
    if (r->code != SIM_OK) {
        /* UPSTREAM.md "Error envelope": ResponseMetadata.Error {Code, CodeN, Message} */
        char code[128];
        sim_reply_code(r, code, sizeof code);
        json_object_set_new(meta, "Error", json_pack("{s:s, s:I, s:s}", "Code", code, "CodeN",
                                                     (json_int_t)sim_code_number(r->code), "Message", r->message));
        return json_pack("{s:o}", "ResponseMetadata", meta);
    }
    json_t *o = json_pack("{s:o, s:O}", "ResponseMetadata", meta, "Result", r->result);
    return o;
}

static void log_request(struct sim *s, const struct sim_req *q, const char *request_id, const char *method,
                        const char *path, const char *action, int status, const struct sim_reply *r)
{
    if (s->cfg.quiet)
        return;
    char when[21], code[128] = "";
    clock_rfc3339(clock_wall_ms(), when);
    if (r->code != SIM_OK)
        sim_reply_code(r, code, sizeof code);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I}", "time", when, "RequestId", request_id,
                          "method", method, "path", path, "Action", action ? action : "", "status", status,
                          "code", code, "duration_ms",
                          (json_int_t)(clock_mono_ms() - q->start_mono));
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line)
        log_line(line);
    free(line);
    json_decref(o);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct sim *s = cls;
    struct sim_req *q = *con_cls;
    if (!q)
        return MHD_NO; /* the URI callback could not allocate */
    if (!q->started) {
        q->started = 1;
        return MHD_YES; /* headers are in; the body (if any) follows */
    }
    if (*upload_data_size > 0) {
        /* Past the limit the rest is drained and dropped, then answered 413. */
        int br = q->too_large || q->no_memory ? BUF_OK : buf_append(&q->body, upload_data, *upload_data_size);
        if (br == BUF_TOO_LARGE)
            q->too_large = 1;
        else if (br != BUF_OK)
            q->no_memory = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* A body the simulator could not hold is not too large: it is not
     * answered at all, as a server out of memory would not (the gateway
     * sees a dropped connection, never a 413 it did not earn). */
    if (q->no_memory)
        return MHD_NO;

    /* test endpoints: absent without a test token, and then only for its holder */
    if (strncmp(url, "/_sim/", 6) == 0)
        return test_endpoint(s, conn, url, method, q);

    /* liveness: the end user's browser, unsigned and unthrottled */
    if (strcmp(url, SIM_H5_PATH) == 0)
        return sim_h5_liveness(s, conn, method, q->body.data, q->body.len, q->too_large);

    /* video tasks: ModelArk's Bearer API and its result files (sim_video.c) */
    if (sim_video_is_path(url))
        return sim_video_handle(s, conn, url, method, &q->body, q->too_large);

    char request_id[SIM_REQUEST_ID_LEN + 1];
    sim_request_id(request_id);
    const char *action = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "Action");
    const char *ver = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "Version");
    struct sim_reply r = {.code = SIM_OK};
    int action_index = -1;
    /* faults (sim_faults.c): at most one per Action request */
    enum sim_fault fault = strcmp(url, "/") == 0 ? sim_faults_draw(s->faults) : SIM_FAULT_NONE;
    if (fault == SIM_FAULT_DROP)
        return MHD_NO; /* closed without answering, before acting */
    if (strcmp(url, "/") != 0)
        sim_fail(&r, SIM_NOT_FOUND, "No such path; call POST /?Action=...&Version=%s.", SIM_VERSION);
    else if (fault == SIM_FAULT_5XX)
        sim_fail(&r, SIM_UNAVAILABLE, "The service is temporarily unavailable (injected fault).");
    else if (fault == SIM_FAULT_THROTTLE)
        sim_fail(&r, SIM_FLOW_LIMIT, "Too many requests (injected fault); retry later.");
    else
        handle_action(s, conn, method, q, action, ver, &action_index, &r);
    if (fault == SIM_FAULT_LOST_REPLY) {
        json_decref(r.result);
        return MHD_NO; /* acted, then closed: the answer is lost */
    }

    json_t *body = sim_envelope(s, request_id, action, ver, &r);
    int status = body ? sim_code_status(r.code) : 500;
    log_request(s, q, request_id, method, url, action, status, &r);
    enum MHD_Result ret = send_json(conn, status, body, request_id);
    json_decref(body);
    json_decref(r.result);
    return ret;
}

/* ---- the listener ---- */

int sim_http_start(struct sim *s)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", s->cfg.port);
    int gai = getaddrinfo(s->listen_host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        log_error("sim: cannot resolve listen host %s: %s", s->listen_host, gai_strerror(gai));
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(flags, (uint16_t)s->cfg.port, NULL, NULL, on_request, s,
                              MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SIM_POOL_THREADS,
                              MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                              MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                              /* No LISTENING_ADDRESS_REUSE (SO_REUSEPORT): a second
                               * simulator on a taken port fails rather than sharing it. */
                              MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->mhd) {
        log_error("sim: cannot listen on %s:%d", s->listen_host, s->cfg.port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : s->cfg.port;
    return 0;
}

void sim_http_stop(struct sim *s)
{
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
}
