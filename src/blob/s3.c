/* s3.c — the S3-compatible blob backend (Cloudflare R2 in production,
 * s3rver in tests): path-style requests {endpoint}/{bucket}/{key}, signed
 * with AWS SigV4 by util/sigv4.c; media URLs are presigned GETs, or
 * {PORTICO_S3_PUBLIC_BASE}/{key} when the bucket is served publicly.
 *
 * Invariant: the URL a request is sent to and the path it is signed over
 * are built from the same encoded string, and the Host header is set
 * explicitly to the signed value; libcurl adds nothing that is signed. */
#include "blob/blob_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/crypto.h"
#include "util/http_call.h"
#include "util/log.h"
#include "util/sigv4.h"

#define S3_CONNECT_TIMEOUT_MS 3000L
#define S3_TIMEOUT_MS 60000L
#define S3_MAX_RESPONSE (64 * 1024)
#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct blob_s3 {
    char bucket[64];
    char base[512];   /* "scheme://authority" exactly as configured */
    char host[512];   /* Host header value: authority without a default port */
    char prefix[256]; /* path under the endpoint, "" or "/x" */
    char region[64];
    char access_key[257];
    char secret_key[257];
    char public_base[1024]; /* "" unless PORTICO_S3_PUBLIC_BASE */
};

/* ---------- configuration ---------- */

/* Percent-decodes s[0..n) into out; -1 if malformed or too long. */
static int s3_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = crypto_hex_digit(s[i + 1]), lo = crypto_hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' || o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

static int s3_bucket_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '-' || b[i] == '.' ||
              b[i] == '_'))
            return 0;
    return 1;
}

static int s3_set_endpoint(struct blob_s3 *s, const char *url)
{
    const char *rest;
    int https;
    if (strncmp(url, "https://", 8) == 0) {
        https = 1;
        rest = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        https = 0;
        rest = url + 7;
    } else {
        return -1;
    }
    if (strpbrk(url, "?#@ \t\r\n"))
        return -1;
    size_t alen = strcspn(rest, "/");
    if (alen == 0 || (size_t)(rest - url) + alen >= sizeof s->base || alen >= sizeof s->host)
        return -1;
    memcpy(s->base, url, (size_t)(rest - url) + alen);
    s->base[(size_t)(rest - url) + alen] = '\0';
    memcpy(s->host, rest, alen);
    s->host[alen] = '\0';
    /* curl leaves a default port out of its Host header; so must we. */
    const char *dflt = https ? ":443" : ":80";
    size_t dl = strlen(dflt);
    if (alen > dl && strcmp(s->host + alen - dl, dflt) == 0)
        s->host[alen - dl] = '\0';
    const char *p = rest + alen;
    size_t plen = strlen(p);
    while (plen && p[plen - 1] == '/')
        plen--;
    if (plen >= sizeof s->prefix)
        return -1;
    memcpy(s->prefix, p, plen);
    s->prefix[plen] = '\0';
    return 0;
}

/* "s3://BUCKET?endpoint=URL&region=R" */
static int s3_parse_spec(struct blob_s3 *s, const char *spec)
{
    const char *p = spec + 5;
    size_t blen = strcspn(p, "?");
    if (blen == 0 || blen >= sizeof s->bucket)
        return -1;
    memcpy(s->bucket, p, blen);
    s->bucket[blen] = '\0';
    if (!s3_bucket_ok(s->bucket))
        return -1;
    snprintf(s->region, sizeof s->region, "auto");
    int have_endpoint = 0;
    p += blen;
    while (*p) {
        p++; /* '?' or '&' */
        size_t plen = strcspn(p, "&");
        const char *eq = memchr(p, '=', plen);
        if (!eq)
            return -1;
        size_t nlen = (size_t)(eq - p);
        char val[1024];
        if (s3_decode(eq + 1, plen - nlen - 1, val, sizeof val) != 0)
            return -1;
        if (nlen == 8 && memcmp(p, "endpoint", 8) == 0) {
            if (s3_set_endpoint(s, val) != 0)
                return -1;
            have_endpoint = 1;
        } else if (nlen == 6 && memcmp(p, "region", 6) == 0) {
            if (!*val || strlen(val) >= sizeof s->region || strchr(val, '/'))
                return -1;
            memcpy(s->region, val, strlen(val) + 1);
        } else {
            return -1; /* a typo must not be silently ignored */
        }
        p += plen;
    }
    return have_endpoint ? 0 : -1;
}

/* ---------- requests ---------- */

/* The <Code> of an S3 error body, for the log. */
static void s3_error_code(const char *body, char out[64])
{
    const char *a = strstr(body, "<Code>");
    const char *z = a ? strstr(a, "</Code>") : NULL;
    size_t n = a && z ? (size_t)(z - a - 6) : 0;
    if (n >= 64)
        n = 63;
    memcpy(out, a ? a + 6 : "", n);
    out[n] = '\0';
}

/* "/prefix/bucket/key", raw (sigv4 encodes it for signing; s3_request
 * encodes the same string for the URL). */
static int s3_path(const struct blob_s3 *s, const char *key, char out[BLOB_PATH_MAX])
{
    int n = snprintf(out, BLOB_PATH_MAX, "%s/%s/%s", s->prefix, s->bucket, key);
    return n < 0 || n >= BLOB_PATH_MAX ? -1 : 0;
}

/* What a GET or HEAD hands back (read_range, size). */
struct s3_read {
    const char *range; /* "bytes=a-b", unsigned (S3 does not require Range to be signed) */
    blob_sink_fn fn;   /* GET: receives a 2xx body as it arrives */
    void *ctx;
    uint64_t got;
    uint64_t length;   /* HEAD: the object's Content-Length */
};

static int s3_read_body(void *ud, const struct http_head *head, const char *data, size_t n)
{
    struct s3_read *rd = ud;
    if (head->status < 200 || head->status >= 300)
        return 0; /* an error body: dropped */
    if (rd->fn(rd->ctx, data, n) != 0)
        return -1;
    rd->got += n;
    return 0;
}

static long s3_request_rd(const struct blob_s3 *s, const char *method, const char *key, const char *payload_hash,
                          const char *content_type, FILE *upload, uint64_t size, struct s3_read *rd);

/* One signed request. Returns the HTTP status, -1 if no response arrived
 * (logged), 0 if rd's reader stopped it. upload/size: the PUT body. */
static long s3_request(const struct blob_s3 *s, const char *method, const char *key, const char *payload_hash,
                       const char *content_type, FILE *upload, uint64_t size)
{
    return s3_request_rd(s, method, key, payload_hash, content_type, upload, size, NULL);
}

static long s3_request_rd(const struct blob_s3 *s, const char *method, const char *key, const char *payload_hash,
                          const char *content_type, FILE *upload, uint64_t size, struct s3_read *rd)
{
    char path[BLOB_PATH_MAX], amz_date[17];
    char lines[6][2048];
    const char *hdrs[6];
    size_t nh = 0;
    struct buf url, reply;
    buf_init(&url, BLOB_URL_MAX);
    buf_init(&reply, S3_MAX_RESPONSE); /* an S3 reply to PUT/DELETE is a short XML body */
    long status = -1;

    if (s3_path(s, key, path) != 0)
        goto done;
    /* The URL's path is what is signed: the same encoded string. */
    if (buf_puts(&url, s->base) != 0 || sigv4_uri_encode(path, 1, &url) != 0)
        goto done;
    sigv4_amz_date((int64_t)time(NULL), amz_date);
    struct sigv4_key k = {s->access_key, s->secret_key, s->region, "s3"};
    struct sigv4_call call = {
        .flavour = SIGV4_AWS,
        .method = method,
        .path = url.data + strlen(s->base),
        .host = s->host,
        .content_type = content_type,
        .payload_hash = payload_hash,
        .sign_payload_hash = 1,
        .date = amz_date,
    };
    struct sigv4_signed sig;
    if (sigv4_sign(&k, &call, &sig) != 0) {
        log_error("blob s3: cannot sign %s", method);
        goto done;
    }
    /* Header names are case-insensitive on the wire: send the signed form. */
    for (size_t i = 0; i < sig.n_headers; i++)
        snprintf(lines[nh++], sizeof lines[0], "%s: %s", sig.headers[i].name, sig.headers[i].value);
    snprintf(lines[nh++], sizeof lines[0], "Authorization: %s", sig.authorization);
    if (rd && rd->range)
        snprintf(lines[nh++], sizeof lines[0], "Range: %s", rd->range);
    for (size_t i = 0; i < nh; i++)
        hdrs[i] = lines[i];

    struct http_call hc = {
        .method = method,
        .url = url.data,
        .headers = hdrs,
        .n_headers = nh,
        .upload = upload,
        .upload_len = size,
        .timeout_ms = S3_TIMEOUT_MS,
        .connect_timeout_ms = S3_CONNECT_TIMEOUT_MS,
        .response = rd && rd->fn ? NULL : &reply,
        .sink = rd && rd->fn ? s3_read_body : NULL,
        .sink_ctx = rd,
    };
    struct http_call_out out;
    enum http_call_result hr = http_call(&hc, &out);
    if (hr == HTTP_CALL_STOPPED) {
        status = 0; /* the reader stopped it: not the store's failure */
        goto done;
    }
    if (rd)
        rd->length = out.content_length >= 0 ? (uint64_t)out.content_length : 0;
    if (hr != HTTP_CALL_OK) {
        log_error("blob s3: %s %s/%s: %s", method, s->bucket, key,
                  hr == HTTP_CALL_TOO_LARGE ? "the reply is too large to be S3's" : out.message);
        goto done;
    }
    status = out.status;
    if (status >= 300 && status != 404) {
        char code[64];
        s3_error_code(reply.data ? reply.data : "", code);
        log_error("blob s3: %s %s/%s: HTTP %ld %s", method, s->bucket, key, status, code);
    }
done:
    buf_free(&url);
    buf_free(&reply);
    return status;
}

/* ---------- ops ---------- */

static int s3_content_type_ok(const char *ct)
{
    if (!ct)
        return 1;
    size_t n = strlen(ct);
    if (n == 0 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)ct[i] < 0x20 || ct[i] == 0x7f)
            return 0;
    return 1;
}

static enum blob_result s3_commit(struct blob *b, struct blob_stage *st, const char *key, const char *content_type)
{
    const struct blob_s3 *s = b->impl;
    FILE *f = NULL;
    enum blob_result r = blob_stage_check(st, key);
    if (r != BLOB_OK)
        goto done;
    r = BLOB_ERROR;
    if (content_type && !*content_type)
        content_type = NULL;
    if (!s3_content_type_ok(content_type))
        goto done;
    r = BLOB_UNAVAILABLE;
    char sha[65];
    f = fopen(st->path, "rb");
    if (!f || sigv4_sha256_file(f, sha) != 0) {
        log_error("blob s3: cannot read a staging file");
        goto done;
    }
    long status = s3_request(s, "PUT", key, sha, content_type, f, st->size);
    r = status == 200 ? BLOB_OK : BLOB_UNAVAILABLE;
done:
    if (f)
        fclose(f);
    blob_stage_free(st);
    return r;
}

static enum blob_result s3_remove(struct blob *b, const char *key)
{
    if (!blob_key_valid(key))
        return BLOB_ERROR;
    long status = s3_request(b->impl, "DELETE", key, S3_EMPTY_SHA256, NULL, NULL, 0);
    return status == 200 || status == 204 || status == 404 ? BLOB_OK : BLOB_UNAVAILABLE;
}

static enum blob_result s3_url(struct blob *b, const char *key, int64_t expires_unix, char out[static BLOB_URL_MAX])
{
    const struct blob_s3 *s = b->impl;
    if (!blob_key_valid(key))
        return BLOB_ERROR;
    if (s->public_base[0]) {
        int n = snprintf(out, BLOB_URL_MAX, "%s/%s", s->public_base, key);
        return n < 0 || n >= BLOB_URL_MAX ? BLOB_ERROR : BLOB_OK;
    }
    int64_t now = (int64_t)time(NULL);
    int64_t ttl = expires_unix - now;
    if (ttl < 1)
        return BLOB_ERROR;
    if (ttl > SIGV4_MAX_EXPIRES)
        ttl = SIGV4_MAX_EXPIRES; /* S3 refuses longer; the URL expires earlier than asked */
    char path[BLOB_PATH_MAX], amz_date[17];
    if (s3_path(s, key, path) != 0)
        return BLOB_ERROR;
    sigv4_amz_date(now, amz_date);
    struct sigv4_key k = {s->access_key, s->secret_key, s->region, "s3"};
    struct buf u;
    buf_init(&u, BLOB_URL_MAX - 1);
    enum blob_result r = BLOB_ERROR;
    if (sigv4_presign_get(&k, s->base, s->host, path, amz_date, ttl, &u) == 0) {
        memcpy(out, u.data, u.len + 1);
        r = BLOB_OK;
    }
    buf_free(&u);
    return r;
}

static enum blob_result s3_presign_put(struct blob *b, const char *key, uint64_t content_length,
                                       const char *content_type, int64_t expires_unix, struct blob_put_target *out)
{
    const struct blob_s3 *s = b->impl;
    if (!blob_key_valid(key) || !content_type || !*content_type || strlen(content_type) >= 128 ||
        !s3_content_type_ok(content_type))
        return BLOB_ERROR;
    int64_t now = (int64_t)time(NULL);
    int64_t ttl = expires_unix - now;
    if (ttl < 1)
        return BLOB_ERROR;
    if (ttl > SIGV4_MAX_EXPIRES)
        ttl = SIGV4_MAX_EXPIRES;
    char path[BLOB_PATH_MAX], amz_date[17], len[24];
    if (s3_path(s, key, path) != 0)
        return BLOB_ERROR;
    sigv4_amz_date(now, amz_date);
    snprintf(len, sizeof len, "%llu", (unsigned long long)content_length);
    /* Signed, so the store refuses a PUT with any other length or type, and
     * (If-None-Match: *) a second PUT once the object exists. */
    const struct sigv4_header sh[] = {
        {"content-length", len},
        {"content-type", content_type},
        {"host", s->host},
        {"if-none-match", "*"},
    };
    struct sigv4_key k = {s->access_key, s->secret_key, s->region, "s3"};
    struct buf u;
    buf_init(&u, BLOB_URL_MAX - 1);
    enum blob_result r = BLOB_ERROR;
    if (sigv4_presign(&k, "PUT", s->base, path, sh, 4, amz_date, ttl, &u) == 0) {
        memcpy(out->url, u.data, u.len + 1);
        out->n_headers = 3;
        snprintf(out->headers[0].name, sizeof out->headers[0].name, "Content-Type");
        snprintf(out->headers[0].value, sizeof out->headers[0].value, "%s", content_type);
        snprintf(out->headers[1].name, sizeof out->headers[1].name, "Content-Length");
        snprintf(out->headers[1].value, sizeof out->headers[1].value, "%s", len);
        snprintf(out->headers[2].name, sizeof out->headers[2].name, "If-None-Match");
        snprintf(out->headers[2].value, sizeof out->headers[2].value, "*");
        r = BLOB_OK;
    }
    buf_free(&u);
    return r;
}

static int s3_discard(void *ctx, const void *p, size_t n)
{
    return 0;
}

static enum blob_result s3_size(struct blob *b, const char *key, uint64_t *size)
{
    if (!blob_key_valid(key))
        return BLOB_ERROR;
    struct s3_read rd = {.fn = s3_discard};
    long status = s3_request_rd(b->impl, "HEAD", key, S3_EMPTY_SHA256, NULL, NULL, 0, &rd);
    if (status == 404)
        return BLOB_NOT_FOUND;
    if (status != 200)
        return BLOB_UNAVAILABLE;
    *size = rd.length;
    return BLOB_OK;
}

static enum blob_result s3_read_range(struct blob *b, const char *key, uint64_t off, uint64_t len, blob_sink_fn fn,
                                      void *ctx)
{
    if (!blob_key_valid(key))
        return BLOB_ERROR;
    if (len == 0)
        return BLOB_OK;
    char range[64];
    snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)off, (unsigned long long)(off + len - 1));
    struct s3_read rd = {.range = range, .fn = fn, .ctx = ctx};
    long status = s3_request_rd(b->impl, "GET", key, S3_EMPTY_SHA256, NULL, NULL, 0, &rd);
    if (status == 0)
        return BLOB_ERROR; /* the reader stopped it */
    if (status == 404)
        return BLOB_NOT_FOUND;
    if (status != 206 && status != 200)
        return BLOB_UNAVAILABLE;
    /* A 200 is the whole object (a store that ignores Range): only right
     * when the range was all of it, which got tells. */
    return rd.got == len ? BLOB_OK : BLOB_ERROR;
}

static void s3_close(struct blob *b)
{
    struct blob_s3 *s = b->impl;
    if (s) {
        memset(s->secret_key, 0, sizeof s->secret_key);
        free(s);
    }
    free(b);
}

static const struct blob_ops s3_ops = {
    .commit = s3_commit,
    .remove = s3_remove,
    .url = s3_url,
    .open_read = NULL,
    .close = s3_close,
    .presign_put = s3_presign_put,
    .size = s3_size,
    .read_range = s3_read_range,
};

static int s3_env(const char *name, char *out, size_t cap, int required)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        if (required)
            log_error("blob s3: %s is not set", name);
        out[0] = '\0';
        return required ? -1 : 0;
    }
    if (strlen(v) >= cap) {
        log_error("blob s3: %s is too long", name);
        return -1;
    }
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

int blob_s3_init(struct blob *b, const struct blob_config *cfg)
{
    struct blob_s3 *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    if (s3_parse_spec(s, cfg->spec) != 0) {
        log_error("blob s3: bad spec; want s3://BUCKET?endpoint=http(s)://HOST[:PORT]&region=R");
        goto fail;
    }
    if (s3_env("PORTICO_S3_ACCESS_KEY_ID", s->access_key, sizeof s->access_key, 1) != 0 ||
        s3_env("PORTICO_S3_SECRET_ACCESS_KEY", s->secret_key, sizeof s->secret_key, 1) != 0 ||
        s3_env("PORTICO_S3_PUBLIC_BASE", s->public_base, sizeof s->public_base, 0) != 0)
        goto fail;
    if (strchr(s->access_key, '/')) {
        log_error("blob s3: PORTICO_S3_ACCESS_KEY_ID may not contain '/'");
        goto fail;
    }
    size_t n = strlen(s->public_base);
    while (n && s->public_base[n - 1] == '/')
        s->public_base[--n] = '\0';
    /* At start-up, before any thread: curl_global_init is not thread-safe
     * on every build. */
    if (http_call_init() != 0) {
        log_error("blob s3: cannot initialise libcurl");
        goto fail;
    }
    b->ops = &s3_ops;
    b->impl = s;
    return 0;
fail:
    memset(s->secret_key, 0, sizeof s->secret_key);
    free(s);
    return -1;
}
