/* test_volc.c — the upstream client against a tiny in-test HTTP server that
 * answers canned responses and records what it was sent. This tests the
 * client's wire behaviour (signing, retries, mapping, limits), not the
 * simulator. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "sim/sim_verify.h"
#include "upstream/sign.h"
#include "upstream/upstream.h"
#include "util/clock.h"

#define AK "AKLTtestclient"
#define SK "test-client-secret"

/* ---------- the canned server ---------- */

struct canned {
    int status;
    const char *body;
    int delay_ms;   /* sleep before answering */
    size_t big;     /* > 0: answer 200 with this many bytes instead of body */
    int no_length;  /* 1: no Content-Length, the body ends when we close */
};

#define SRV_MAX 8
#define SRV_MAX_HDRS 24

struct rec {
    char method[16];
    char target[512];
    char names[SRV_MAX_HDRS][64];
    char values[SRV_MAX_HDRS][1024];
    int nh;
    char body[8192];
    size_t body_len;
};

struct srv {
    int fd;
    int port;
    pthread_t th;
    atomic_int stop;
    pthread_mutex_t mu;
    struct canned script[SRV_MAX];
    int nscript, next;
    struct rec recs[SRV_MAX];
    int nrecs;
};

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Reads one request; 0 on success. */
static int srv_read(int c, struct rec *r)
{
    static char buf[65536];
    size_t len = 0;
    char *hend = NULL;
    while (!hend) {
        if (len == sizeof buf - 1)
            return -1;
        ssize_t n = recv(c, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        hend = strstr(buf, "\r\n\r\n");
    }
    *hend = '\0';
    char *line = buf, *save = NULL;
    line = strtok_r(buf, "\r\n", &save);
    if (!line || sscanf(line, "%15s %511s", r->method, r->target) != 2)
        return -1;
    size_t clen = 0;
    while ((line = strtok_r(NULL, "\r\n", &save)) && r->nh < SRV_MAX_HDRS) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        snprintf(r->names[r->nh], sizeof r->names[0], "%s", line);
        snprintf(r->values[r->nh], sizeof r->values[0], "%s", v);
        if (strcasecmp(line, "Content-Length") == 0)
            clen = strtoul(v, NULL, 10);
        r->nh++;
    }
    if (clen >= sizeof r->body)
        return -1;
    char *b = hend + 4;
    size_t have = len - (size_t)(b - buf);
    if (have > clen)
        have = clen;
    memcpy(r->body, b, have);
    while (have < clen) {
        ssize_t n = recv(c, r->body + have, clen - have, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    r->body[clen] = '\0';
    r->body_len = clen;
    return 0;
}

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        struct timeval tv = {.tv_sec = 2};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        struct rec r;
        memset(&r, 0, sizeof r);
        if (srv_read(c, &r) != 0) {
            close(c);
            continue;
        }
        struct canned k = {500, "{}", 0, 0, 0};
        pthread_mutex_lock(&s->mu);
        if (s->nrecs < SRV_MAX)
            s->recs[s->nrecs++] = r;
        if (s->next < s->nscript)
            k = s->script[s->next++];
        pthread_mutex_unlock(&s->mu);
        if (k.delay_ms)
            clock_sleep_ms(k.delay_ms);
        char head[256];
        size_t blen = k.big ? k.big : strlen(k.body);
        int hn = k.no_length
                     ? snprintf(head, sizeof head,
                                "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
                                k.status)
                     : snprintf(head, sizeof head,
                                "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                                "Connection: close\r\n\r\n",
                                k.status, blen);
        send_all(c, head, (size_t)hn);
        if (k.big) {
            static char chunk[65536];
            memset(chunk, ' ', sizeof chunk);
            for (size_t sent = 0; sent < k.big; sent += sizeof chunk)
                send_all(c, chunk, k.big - sent < sizeof chunk ? k.big - sent : sizeof chunk);
        } else {
            send_all(c, k.body, blen);
        }
        close(c);
    }
    return NULL;
}

static struct srv *srv_start(const struct canned *script, int n)
{
    struct srv *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    atomic_init(&s->stop, 0);
    for (int i = 0; i < n && i < SRV_MAX; i++)
        s->script[i] = script[i];
    s->nscript = n;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->fd, 16) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &al) != 0 ||
        pthread_create(&s->th, NULL, srv_main, s) != 0) {
        if (s->fd >= 0)
            close(s->fd);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    return s;
}

static int srv_count(struct srv *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->nrecs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void srv_stop(struct srv *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->th, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static const char *rec_hdr(void *ctx, const char *name)
{
    struct rec *r = ctx;
    for (int i = 0; i < r->nh; i++)
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    return NULL;
}

static struct upstream *client_for(int port, int max_attempts, long timeout_ms)
{
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", port);
    struct upstream_config cfg = {
        .endpoint = ep,
        .access_key = AK,
        .secret_key = SK,
        .region = "cn-beijing",
        .service = "ark",
        .version = "2024-01-01",
        .timeout_ms = timeout_ms,
        .connect_timeout_ms = 1000,
        .max_attempts = max_attempts,
    };
    return upstream_volc_new(&cfg);
}

#define OK_ID(id) "{\"ResponseMetadata\":{\"RequestId\":\"r1\",\"Action\":\"X\",\"Version\":\"2024-01-01\"},\"Result\":{\"Id\":\"" id "\"}}"
#define ERR(code) "{\"ResponseMetadata\":{\"RequestId\":\"r1\",\"Action\":\"X\",\"Version\":\"2024-01-01\",\"Service\":\"ark\",\"Region\":\"cn-beijing\",\"Error\":{\"Code\":\"" code "\",\"Message\":\"msg " code "\"}}}"
#define GOOD_ASSET "{\"ResponseMetadata\":{\"RequestId\":\"r2\"},\"Result\":{\"Id\":\"asset-20240619071306-abcde\",\"GroupId\":\"group-20240619071306-fghij\",\"Name\":\"n\",\"AssetType\":\"Image\",\"URL\":\"http://127.0.0.1:9/y.png\",\"Status\":\"Failed\",\"FailureReason\":\"blurry\",\"CreateTime\":\"2024-06-19T07:13:06Z\",\"UpdateTime\":\"2024-06-19T07:13:06Z\"}}"

/* ---------- the public record's replies (tests/vectors/upstream) ----------
 * Every reply UPSTREAM.md shows or documents, success and error, served to
 * the real client ops; each file says which op parses it and the outcome
 * Portico promises (../shared/UPSTREAM.md rule 2: every variant accepted
 * and turned into a documented outcome). */

#define VECTOR_DIR "tests/vectors/upstream"

static const char *vec_str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Runs the op of action against a server answering the vector; returns
 * the result and fills what the op gives back. */
static enum up_result run_vector_op(struct upstream *u, const char *action, char *id, struct up_asset *a,
                                    struct up_validate_session *vs, struct up_validate_result *vr,
                                    struct up_error *err)
{
    const char *aid = "asset-20260521162915-k2m4q", *gid = "group-20260521162915-a1b2c";
    if (strcmp(action, "CreateAssetGroup") == 0)
        return u->ops->create_group(u, "demo", NULL, "AIGC", id, err);
    if (strcmp(action, "CreateAsset") == 0)
        return u->ops->create_asset(u, gid, "http://127.0.0.1:9/a.png", "Image", NULL, id, err);
    if (strcmp(action, "GetAsset") == 0)
        return u->ops->get_asset(u, aid, a, err);
    if (strcmp(action, "ListAssetGroups") == 0)
        return u->ops->ping(u, err);
    if (strcmp(action, "ListAssets") == 0)
        return u->ops->find_asset(u, gid, "p1t2", id, err);
    if (strcmp(action, "UpdateAssetGroup") == 0)
        return u->ops->update_group(u, gid, "n", NULL, err);
    if (strcmp(action, "UpdateAsset") == 0)
        return u->ops->update_asset(u, aid, "n", err);
    if (strcmp(action, "DeleteAssetGroup") == 0)
        return u->ops->delete_group(u, gid, err);
    if (strcmp(action, "DeleteAsset") == 0)
        return u->ops->delete_asset(u, aid, err);
    if (strcmp(action, "CreateVisualValidateSession") == 0)
        return u->ops->create_validate_session(u, NULL, vs, err);
    if (strcmp(action, "GetVisualValidateResult") == 0)
        return u->ops->get_validate_result(u, "20260521162915BF9DC22A7A65ADF905D8", vr, err);
    return (enum up_result)-1;
}

static const char *validate_state_name(enum up_validate_state s)
{
    static const char *const names[] = {"passed", "pending", "failed", "expired", "unknown"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static void check_vector(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", VECTOR_DIR, file);
    json_error_t jerr;
    json_t *v = json_load_file(path, 0, &jerr);
    CHECK(v != NULL);
    if (!v)
        return;
    const char *action = vec_str(v, "action");
    json_t *expect = json_object_get(v, "expect");
    json_t *reply = json_object_get(v, "reply");
    char *body = reply ? json_dumps(reply, JSON_COMPACT) : strdup("");
    struct canned sc[] = {{(int)json_integer_value(json_object_get(v, "status")), body, 0, 0, 0}};
    struct srv *s = srv_start(sc, 1);
    CHECK(s != NULL && action && json_is_object(expect) && body);
    if (!s || !action || !body) {
        free(body);
        json_decref(v);
        srv_stop(s);
        return;
    }
    struct upstream *u = client_for(s->port, 1, 5000);
    char id[IDS_MAX] = "";
    struct up_asset a;
    struct up_validate_session *vs = calloc(1, sizeof *vs);
    struct up_validate_result vr;
    struct up_error err;
    memset(&a, 0, sizeof a);
    memset(&vr, 0, sizeof vr);
    int64_t before = clock_wall_ms();
    enum up_result r = run_vector_op(u, action, id, &a, vs, &vr, &err);
    const char *want;
    int ok = 1;
#define VEC_CHECK(cond)                                                                              \
    do {                                                                                             \
        if (!(cond)) {                                                                               \
            fprintf(stderr, "  vector %s: %s\n", file, #cond);                                      \
            ok = 0;                                                                                  \
        }                                                                                            \
    } while (0)
    VEC_CHECK(strcmp(up_result_str(r), vec_str(expect, "result")) == 0);
    if ((want = vec_str(expect, "code")))
        VEC_CHECK(strcmp(err.code, want) == 0);
    if ((want = vec_str(expect, "id")))
        VEC_CHECK(strcmp(id, want) == 0);
    if ((want = vec_str(expect, "status")))
        VEC_CHECK(strcmp(a.status, want) == 0);
    if ((want = vec_str(expect, "error_code")))
        VEC_CHECK(strcmp(a.error_code, want) == 0);
    if ((want = vec_str(expect, "error_message")))
        VEC_CHECK(strcmp(a.error_message, want) == 0);
    if ((want = vec_str(expect, "validate_state")))
        VEC_CHECK(strcmp(validate_state_name(vr.state), want) == 0);
    if ((want = vec_str(expect, "token"))) {
        VEC_CHECK(strcmp(vs->token, want) == 0);
        /* the whole link is kept, however long (BytePlus: STS credentials) */
        VEC_CHECK(strcmp(vs->h5_link, vec_str(json_object_get(reply, "Result"), "H5Link")) == 0);
    }
    if ((want = vec_str(expect, "expiry")) && strcmp(want, "derived") == 0)
        VEC_CHECK(vs->expire_ms >= before + 119000 && vs->expire_ms <= clock_wall_ms() + 121000);
#undef VEC_CHECK
    CHECK(ok);
    free(vs);
    u->ops->destroy(u);
    srv_stop(s);
    free(body);
    json_decref(v);
}

static int vector_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_replies_of_the_public_record(void)
{
    DIR *d = opendir(VECTOR_DIR);
    CHECK(d != NULL);
    if (!d)
        return;
    char *names[128];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < sizeof names / sizeof names[0])
        if (strlen(e->d_name) > 5 && strcmp(e->d_name + strlen(e->d_name) - 5, ".json") == 0)
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], vector_name_cmp);
    CHECK(n >= 30);
    for (size_t i = 0; i < n; i++) {
        check_vector(names[i]);
        free(names[i]);
    }
}

/* A session answered with an expiry after all keeps it; the configured
 * TTL is used only when none is given. */
static void test_validate_session_expiry_variants(void)
{
    struct canned sc[] = {
        {200, "{\"ResponseMetadata\":{},\"Result\":{\"BytedToken\":\"T1\",\"H5Link\":\"http://127.0.0.1:9/h5\",\"ExpireTime\":\"2030-01-01T00:00:00Z\"}}", 0, 0, 0},
        {200, "{\"ResponseMetadata\":{},\"Result\":{\"BytedToken\":\"T2\",\"H5Link\":\"http://127.0.0.1:9/h5\"}}", 0, 0, 0},
    };
    struct srv *s = srv_start(sc, 2);
    CHECK(s != NULL);
    if (!s)
        return;
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", s->port);
    struct upstream_config cfg = {.endpoint = ep, .access_key = AK, .secret_key = SK, .region = "cn-beijing",
                                  .max_attempts = 1, .validate_ttl_s = 30, .project_name = "video-prod"};
    struct upstream *u = upstream_volc_new(&cfg);
    struct up_validate_session *vs = calloc(1, sizeof *vs);
    struct up_error err;
    CHECK(u->ops->create_validate_session(u, NULL, vs, &err) == UP_OK);
    CHECK(vs->expire_ms == (int64_t)1893456000 * 1000);
    int64_t before = clock_wall_ms();
    CHECK(u->ops->create_validate_session(u, NULL, vs, &err) == UP_OK);
    CHECK(vs->expire_ms >= before + 29000 && vs->expire_ms <= clock_wall_ms() + 31000);
    /* UPSTREAM.md "ProjectName": the configured project on every Action */
    CHECK(strstr(s->recs[1].body, "\"ProjectName\":\"video-prod\"") != NULL);
    free(vs);
    u->ops->destroy(u);
    srv_stop(s);
}

/* ---------- tests ---------- */

static void test_request_is_signed_and_verifiable(void)
{
    struct canned sc[] = {{200, OK_ID("group-20240619071306-abcde"), 0, 0, 0}};
    struct srv *s = srv_start(sc, 1);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 5000);
    CHECK(u != NULL);
    char id[IDS_MAX] = "";
    struct up_error err;
    CHECK(u->ops->create_group(u, "demo", "a group", "AIGC", id, &err) == UP_OK);
    CHECK_STR(id, "group-20240619071306-abcde");
    CHECK(srv_count(s) == 1);

    struct rec *r = &s->recs[0];
    CHECK_STR(r->method, "POST");
    CHECK_STR(r->target, "/?Action=CreateAssetGroup&Version=2024-01-01");
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", s->port);
    CHECK_STR(rec_hdr(r, "Host"), host);
    CHECK_STR(rec_hdr(r, "Content-Type"), "application/json");
    CHECK(rec_hdr(r, "X-Date") != NULL && strlen(rec_hdr(r, "X-Date")) == 16);
    CHECK(rec_hdr(r, "X-Content-Sha256") != NULL);
    const char *auth = rec_hdr(r, "Authorization");
    CHECK(auth && strstr(auth, "HMAC-SHA256 Credential=" AK "/") == auth);
    CHECK(auth && strstr(auth, "/cn-beijing/ark/request, SignedHeaders=content-type;host;x-content-sha256;x-date, Signature="));
    CHECK(sign_verify("POST", "/", strchr(r->target, '?') + 1, r->body, r->body_len, rec_hdr, r, AK, SK,
                      "ark", clock_wall_ms()) == SIGN_OK);
    CHECK(sign_verify("POST", "/", strchr(r->target, '?') + 1, r->body, r->body_len, rec_hdr, r, AK,
                      "other-secret", "ark", clock_wall_ms()) == SIGN_BAD_SIGNATURE);

    json_error_t je;
    json_t *b = json_loads(r->body, 0, &je);
    CHECK(b != NULL);
    CHECK_STR(json_string_value(json_object_get(b, "Name")), "demo");
    CHECK_STR(json_string_value(json_object_get(b, "Description")), "a group");
    CHECK_STR(json_string_value(json_object_get(b, "GroupType")), "AIGC");
    json_decref(b);
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_get_asset_retries_on_503(void)
{
    struct canned sc[] = {{503, ERR("ServiceUnavailable"), 0, 0, 0}, {503, "", 0, 0, 0}, {200, GOOD_ASSET, 0, 0, 0}};
    struct srv *s = srv_start(sc, 3);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 5000);
    struct up_asset a;
    struct up_error err;
    CHECK(u->ops->get_asset(u, "asset-20240619071306-abcde", &a, &err) == UP_OK);
    CHECK(srv_count(s) == 3);
    CHECK_STR(a.id, "asset-20240619071306-abcde");
    CHECK_STR(a.group_id, "group-20240619071306-fghij");
    CHECK_STR(a.status, "Failed");
    CHECK_STR(a.failure_reason, "blurry");
    CHECK_STR(s->recs[2].target, "/?Action=GetAsset&Version=2024-01-01");
    /* UPSTREAM.md "ProjectName": sent on every Action */
    CHECK_STR(s->recs[2].body, "{\"Id\":\"asset-20240619071306-abcde\",\"ProjectName\":\"default\"}");
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_get_asset_gives_up_after_max_attempts(void)
{
    struct canned sc[] = {{503, ERR("ServiceUnavailable"), 0, 0, 0}, {502, ERR("BadGateway"), 0, 0, 0},
                          {200, GOOD_ASSET, 0, 0, 0}};
    struct srv *s = srv_start(sc, 3);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 2, 5000);
    struct up_asset a;
    struct up_error err;
    CHECK(u->ops->get_asset(u, "asset-20240619071306-abcde", &a, &err) == UP_UNAVAILABLE);
    CHECK(srv_count(s) == 2);
    CHECK(err.http_status == 502);
    CHECK_STR(err.code, "BadGateway");
    CHECK_STR(err.message, "msg BadGateway");
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_create_asset_not_retried_after_500(void)
{
    struct canned sc[] = {{500, ERR("InternalError"), 0, 0, 0}, {200, OK_ID("asset-20240619071306-abcde"), 0, 0, 0}};
    struct srv *s = srv_start(sc, 2);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 5000);
    char id[IDS_MAX] = "";
    struct up_error err;
    CHECK(u->ops->create_asset(u, "group-20240619071306-fghij", "http://127.0.0.1:9/y.png", "Image", NULL, id,
                               &err) == UP_UNAVAILABLE);
    CHECK(srv_count(s) == 1);
    CHECK(err.http_status == 500);
    CHECK_STR(err.code, "InternalError");
    json_t *b = json_loads(s->recs[0].body, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(b, "GroupId")), "group-20240619071306-fghij");
    CHECK_STR(json_string_value(json_object_get(b, "URL")), "http://127.0.0.1:9/y.png");
    CHECK_STR(json_string_value(json_object_get(b, "AssetType")), "Image");
    CHECK(json_object_get(b, "Name") == NULL);
    json_decref(b);
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_create_retried_after_429(void)
{
    struct canned sc[] = {{429, ERR("FlowLimitExceeded"), 0, 0, 0}, {200, OK_ID("asset-20240619071306-abcde"), 0, 0, 0}};
    struct srv *s = srv_start(sc, 2);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 5000);
    char id[IDS_MAX] = "";
    struct up_error err;
    CHECK(u->ops->create_asset(u, "group-20240619071306-fghij", "http://127.0.0.1:9/y.png", "Image", "n", id,
                               &err) == UP_OK);
    CHECK(srv_count(s) == 2);
    CHECK_STR(id, "asset-20240619071306-abcde");
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_throttled_after_retries(void)
{
    struct canned sc[] = {{429, "", 0, 0, 0}, {400, ERR("FlowLimitExceeded"), 0, 0, 0}};
    struct srv *s = srv_start(sc, 2);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 2, 5000);
    struct up_error err;
    CHECK(u->ops->update_asset(u, "asset-20240619071306-abcde", "new", &err) == UP_THROTTLED);
    CHECK(srv_count(s) == 2);
    CHECK_STR(err.code, "FlowLimitExceeded");
    CHECK(err.http_status == 400);
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_not_found_and_rejected_mapping(void)
{
    struct canned sc[] = {{404, ERR("NotFound"), 0, 0, 0},
                          {400, ERR("NotFound"), 0, 0, 0},
                          {404, "not json", 0, 0, 0},
                          {400, ERR("InvalidParameter"), 0, 0, 0}};
    struct srv *s = srv_start(sc, 4);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 5000);
    struct up_asset a;
    struct up_error err;
    CHECK(u->ops->get_asset(u, "asset-20240619071306-abcde", &a, &err) == UP_NOT_FOUND);
    CHECK(err.http_status == 404);
    CHECK_STR(err.code, "NotFound");
    CHECK_STR(err.message, "msg NotFound");
    CHECK(u->ops->update_group(u, "group-20240619071306-fghij", "x", NULL, &err) == UP_NOT_FOUND);
    CHECK(err.http_status == 400);
    /* A 404 without a NotFound code (a wrong host answers 404 with no body)
     * is a configuration error, never "the asset is gone". */
    CHECK(u->ops->get_asset(u, "asset-20240619071306-abcde", &a, &err) == UP_REJECTED);
    CHECK_STR(err.code, "Http404");
    CHECK(u->ops->update_group(u, "group-20240619071306-fghij", NULL, "d", &err) == UP_REJECTED);
    CHECK_STR(err.code, "InvalidParameter");
    CHECK(srv_count(s) == 4); /* none of these is retried */
    json_t *b = json_loads(s->recs[3].body, 0, NULL);
    CHECK(json_object_get(b, "Name") == NULL);
    CHECK_STR(json_string_value(json_object_get(b, "Description")), "d");
    json_decref(b);
    CHECK_STR(up_result_str(UP_NOT_FOUND), "not_found");
    CHECK_STR(up_result_str(UP_UNAVAILABLE), "unavailable");
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_delete_not_found_on_retry_is_ok(void)
{
    struct canned sc[] = {{503, "", 0, 0, 0}, {404, ERR("NotFound"), 0, 0, 0}, {404, ERR("NotFound"), 0, 0, 0},
                          {200, OK_ID("group-20240619071306-fghij"), 0, 0, 0}};
    struct srv *s = srv_start(sc, 4);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 5000);
    struct up_error err;
    CHECK(u->ops->delete_asset(u, "asset-20240619071306-abcde", &err) == UP_OK);
    CHECK(srv_count(s) == 2);
    /* NotFound on the first attempt is a real NotFound */
    CHECK(u->ops->delete_asset(u, "asset-20240619071306-abcde", &err) == UP_NOT_FOUND);
    CHECK(u->ops->delete_group(u, "group-20240619071306-fghij", &err) == UP_OK);
    CHECK_STR(s->recs[3].target, "/?Action=DeleteAssetGroup&Version=2024-01-01");
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_oversized_response(void)
{
    /* once announced by Content-Length, once only discovered while reading */
    struct canned sc[] = {{200, NULL, 0, 2u << 20, 0}, {200, NULL, 0, 2u << 20, 1}};
    struct srv *s = srv_start(sc, 2);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 5000);
    char id[IDS_MAX];
    struct up_error err;
    CHECK(u->ops->create_group(u, "demo", NULL, "AIGC", id, &err) == UP_UNAVAILABLE);
    CHECK_STR(err.code, "ResponseTooLarge");
    CHECK(u->ops->create_group(u, "demo", NULL, "AIGC", id, &err) == UP_UNAVAILABLE);
    CHECK_STR(err.code, "ResponseTooLarge");
    CHECK(srv_count(s) == 2);
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_timeout(void)
{
    struct canned sc[] = {{200, OK_ID("asset-20240619071306-abcde"), 1200, 0, 0}};
    struct srv *s = srv_start(sc, 1);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 300);
    char id[IDS_MAX];
    struct up_error err;
    int64_t t0 = clock_mono_ms();
    CHECK(u->ops->create_asset(u, "group-20240619071306-fghij", "http://127.0.0.1:9/y.png", "Image", NULL, id,
                               &err) == UP_UNAVAILABLE);
    int64_t took = clock_mono_ms() - t0;
    CHECK(took >= 250 && took < 1000);
    CHECK_STR(err.code, "CURLE_OPERATION_TIMEDOUT");
    CHECK(err.http_status == 0);
    CHECK(srv_count(s) == 1); /* a create that timed out may have acted: no retry */
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_connection_refused_create_is_retried(void)
{
    /* a port nobody listens on: bind, learn it, close */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
          getsockname(fd, (struct sockaddr *)&a, &al) == 0);
    close(fd);
    struct upstream *u = client_for(ntohs(a.sin_port), 2, 1000);
    char id[IDS_MAX];
    struct up_error err;
    int64_t t0 = clock_mono_ms();
    CHECK(u->ops->create_group(u, "demo", NULL, "AIGC", id, &err) == UP_UNAVAILABLE);
    CHECK(clock_mono_ms() - t0 >= 50); /* it backed off once before the second try */
    CHECK_STR(err.code, "CURLE_COULDNT_CONNECT");
    CHECK(u->ops->ping(u, &err) == UP_UNAVAILABLE);
    u->ops->destroy(u);
}

static void test_invalid_responses_rejected(void)
{
    struct canned sc[] = {
        {200, "{\"ResponseMetadata\":{},\"Result\":{\"Id\":5}}", 0, 0, 0},
        {200, "this is not json", 0, 0, 0},
        {200, "{\"ResponseMetadata\":{},\"Result\":{\"Id\":\"group-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}", 0, 0, 0},
        {200, "{\"ResponseMetadata\":{},\"Result\":{\"Id\":\"asset-20240619071306-abcde\",\"GroupId\":\"group-20240619071306-fghij\",\"Status\":\"Weird\"}}", 0, 0, 0},
        {200, "{\"ResponseMetadata\":{},\"Result\":{\"Id\":\"asset-20240619071306-zzzzz\",\"GroupId\":\"group-20240619071306-fghij\",\"Status\":\"Active\"}}", 0, 0, 0},
        {200, "{\"ResponseMetadata\":{}}", 0, 0, 0},
        {200, "{\"ResponseMetadata\":{},\"Result\":{\"Id\":\"bad id\"}}", 0, 0, 0},
        {200, "{\"ResponseMetadata\":{},\"Result\":{\"Id\":\"asset-20240619071306-abcde\",\"Status\":\"not a word!\"}}", 0, 0, 0},
    };
    struct srv *s = srv_start(sc, 8);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 1, 5000);
    char id[IDS_MAX];
    struct up_asset a;
    struct up_error err;
    CHECK(u->ops->create_group(u, "demo", NULL, "AIGC", id, &err) == UP_UNAVAILABLE);
    CHECK_STR(err.code, "InvalidResponse");
    CHECK(u->ops->create_group(u, "demo", NULL, "AIGC", id, &err) == UP_UNAVAILABLE);
    CHECK_STR(err.code, "InvalidResponse");
    CHECK(u->ops->create_group(u, "demo", NULL, "AIGC", id, &err) == UP_UNAVAILABLE); /* too long */
    /* UPSTREAM.md "GetAsset": a Status the record does not name is kept verbatim */
    CHECK(u->ops->get_asset(u, "asset-20240619071306-abcde", &a, &err) == UP_OK);
    CHECK_STR(a.status, "Weird");
    CHECK(u->ops->get_asset(u, "asset-20240619071306-abcde", &a, &err) == UP_UNAVAILABLE); /* other id */
    CHECK_STR(err.code, "InvalidResponse");
    /* UPSTREAM.md "UpdateAsset ... DeleteAsset": the 200 is the success,
     * whatever the Result holds ({Id}, {} or nothing) */
    CHECK(u->ops->update_asset(u, "asset-20240619071306-abcde", "n", &err) == UP_OK);
    CHECK(u->ops->delete_group(u, "group-20240619071306-fghij", &err) == UP_OK);
    CHECK(u->ops->get_asset(u, "asset-20240619071306-abcde", &a, &err) == UP_UNAVAILABLE); /* not a Status */
    CHECK(srv_count(s) == 8);
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_ping(void)
{
    struct canned sc[] = {{200, "{\"ResponseMetadata\":{},\"Result\":{\"Items\":[],\"TotalCount\":0,\"PageNumber\":1,\"PageSize\":1}}", 0, 0, 0}};
    struct srv *s = srv_start(sc, 1);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 5000);
    struct up_error err;
    CHECK(u->ops->ping(u, &err) == UP_OK);
    CHECK_STR(s->recs[0].target, "/?Action=ListAssetGroups&Version=2024-01-01");
    /* UPSTREAM.md "ListAssetGroups / ListAssets": Filter is required */
    CHECK_STR(s->recs[0].body,
              "{\"Filter\":{\"GroupType\":\"AIGC\"},\"PageNumber\":1,\"PageSize\":1,\"ProjectName\":\"default\"}");
    u->ops->destroy(u);
    srv_stop(s);
}

static void *ping_twice(void *arg)
{
    struct upstream *u = arg;
    struct up_error err;
    long ok = 0;
    for (int i = 0; i < 2; i++)
        ok += u->ops->ping(u, &err) == UP_OK;
    return (void *)ok;
}

/* One upstream shared by threads, each with its own cached curl handle
 * (freed by the thread-key destructor when the thread ends: LSan checks). */
static void test_threads_share_one_upstream(void)
{
    struct canned ok = {200, "{\"ResponseMetadata\":{},\"Result\":{\"Items\":[],\"TotalCount\":0}}", 0, 0, 0};
    struct canned sc[SRV_MAX];
    for (int i = 0; i < SRV_MAX; i++)
        sc[i] = ok;
    struct srv *s = srv_start(sc, SRV_MAX);
    CHECK(s != NULL);
    if (!s)
        return;
    struct upstream *u = client_for(s->port, 3, 5000);
    pthread_t th[4];
    long total = 0;
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, ping_twice, u) == 0);
    for (int i = 0; i < 4; i++) {
        void *r = NULL;
        pthread_join(th[i], &r);
        total += (long)r;
    }
    CHECK(total == 8);
    CHECK(srv_count(s) == 8);
    u->ops->destroy(u);
    srv_stop(s);
}

static void test_bad_config(void)
{
    struct upstream_config cfg = {.endpoint = "ftp://127.0.0.1:9", .access_key = AK, .secret_key = SK};
    CHECK(upstream_volc_new(&cfg) == NULL);
    cfg.endpoint = "http://";
    CHECK(upstream_volc_new(&cfg) == NULL);
    cfg.endpoint = "http://user:pw@127.0.0.1:1";
    CHECK(upstream_volc_new(&cfg) == NULL);
    cfg.endpoint = "http://127.0.0.1:1/?x=1";
    CHECK(upstream_volc_new(&cfg) == NULL);
    cfg.endpoint = "https://localhost:9/";
    struct upstream *u = upstream_volc_new(&cfg); /* defaults fill the rest */
    CHECK(u != NULL);
    if (u)
        u->ops->destroy(u);
}

int main(void)
{
    RUN(test_request_is_signed_and_verifiable);
    RUN(test_get_asset_retries_on_503);
    RUN(test_get_asset_gives_up_after_max_attempts);
    RUN(test_create_asset_not_retried_after_500);
    RUN(test_create_retried_after_429);
    RUN(test_throttled_after_retries);
    RUN(test_not_found_and_rejected_mapping);
    RUN(test_delete_not_found_on_retry_is_ok);
    RUN(test_oversized_response);
    RUN(test_timeout);
    RUN(test_connection_refused_create_is_retried);
    RUN(test_invalid_responses_rejected);
    RUN(test_ping);
    RUN(test_replies_of_the_public_record);
    RUN(test_validate_session_expiry_variants);
    RUN(test_threads_share_one_upstream);
    RUN(test_bad_config);
    return check_summary();
}
