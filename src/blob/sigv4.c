/* sigv4.c — AWS Signature Version 4; see sigv4.h.
 *
 * Invariant: the presigned URL and the canonical request are built from the
 * same encoded strings (sigv4_uri_encode), so what is signed is exactly what
 * is sent; a caller never re-encodes a piece afterwards. */
#include "blob/sigv4.h"

#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "util/crypto.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_MAX_CANONICAL (16 * 1024)
#define SIGV4_MAX_FIELD 256 /* access key, region, service */

static int sigv4_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

int sigv4_uri_encode(const char *s, int keep_slash, struct buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (sigv4_unreserved(*p) || (keep_slash && *p == '/')) {
            if (buf_append(out, p, 1) != 0)
                return -1;
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (buf_append(out, e, 3) != 0)
                return -1;
        }
    }
    return 0;
}

/* "name:value" with the value trimmed and inner runs of spaces collapsed
 * (AWS's Trimall), so a caller's cosmetic whitespace cannot change the
 * signature. */
static int sigv4_put_header(const struct sigv4_header *h, struct buf *out)
{
    if (buf_puts(out, h->name) != 0 || buf_append(out, ":", 1) != 0)
        return -1;
    const char *v = h->value;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    int space = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i] == '\t' ? ' ' : v[i];
        if (c == '\r' || c == '\n')
            return -1;
        if (c == ' ' && space)
            continue;
        space = c == ' ';
        if (buf_append(out, &c, 1) != 0)
            return -1;
    }
    return buf_append(out, "\n", 1);
}

static int sigv4_headers_ok(const struct sigv4_request *rq)
{
    int host = 0;
    for (size_t i = 0; i < rq->n_headers; i++) {
        const char *n = rq->headers[i].name;
        if (!n || !*n || !rq->headers[i].value)
            return 0;
        for (const char *p = n; *p; p++)
            if ((*p >= 'A' && *p <= 'Z') || *p == ':' || *p == ';' || *p <= ' ')
                return 0;
        if (i > 0 && strcmp(rq->headers[i - 1].name, n) >= 0)
            return 0; /* unsorted or duplicate: the signed list would lie */
        host |= strcmp(n, "host") == 0;
    }
    return host;
}

static int sigv4_signed_headers(const struct sigv4_request *rq, struct buf *out)
{
    for (size_t i = 0; i < rq->n_headers; i++)
        if ((i && buf_append(out, ";", 1) != 0) || buf_puts(out, rq->headers[i].name) != 0)
            return -1;
    return 0;
}

int sigv4_canonical_request(const struct sigv4_request *rq, struct buf *out)
{
    if (!rq->method || !rq->path || rq->path[0] != '/' || !rq->payload_hash || !sigv4_headers_ok(rq))
        return -1;
    if (buf_puts(out, rq->method) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    if (sigv4_uri_encode(rq->path, 1, out) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    if (buf_puts(out, rq->query ? rq->query : "") != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    for (size_t i = 0; i < rq->n_headers; i++)
        if (sigv4_put_header(&rq->headers[i], out) != 0)
            return -1;
    if (buf_append(out, "\n", 1) != 0 || sigv4_signed_headers(rq, out) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    return buf_puts(out, rq->payload_hash);
}

static int sigv4_date_ok(const char *d)
{
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
        return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9'))
            return 0;
    return 1;
}

static int sigv4_field_ok(const char *s, int slash_ok)
{
    return s && *s && strlen(s) <= SIGV4_MAX_FIELD && (slash_ok || !strchr(s, '/'));
}

/* A '/' would break the scope "AK/date/region/service/aws4_request"; only
 * the secret, which never appears in it, may hold one. */
static int sigv4_key_ok(const struct sigv4_key *k)
{
    return sigv4_field_ok(k->access_key, 0) && sigv4_field_ok(k->secret_key, 1) &&
           sigv4_field_ok(k->region, 0) && sigv4_field_ok(k->service, 0);
}

/* "20130524/us-east-1/s3/aws4_request" */
static int sigv4_scope(const struct sigv4_key *k, const char *amz_date, struct buf *out)
{
    return buf_printf(out, "%.8s/%s/%s/aws4_request", amz_date, k->region, k->service);
}

int sigv4_string_to_sign(const struct sigv4_key *k, const struct sigv4_request *rq, struct buf *out)
{
    if (!sigv4_key_ok(k) || !sigv4_date_ok(rq->amz_date))
        return -1;
    struct buf canon;
    buf_init(&canon, SIGV4_MAX_CANONICAL);
    int rc = -1;
    if (sigv4_canonical_request(rq, &canon) != 0)
        goto done;
    char hash[65];
    crypto_sha256_hex(canon.data, canon.len, hash);
    if (buf_printf(out, SIGV4_ALGORITHM "\n%s\n", rq->amz_date) != 0 || sigv4_scope(k, rq->amz_date, out) != 0 ||
        buf_printf(out, "\n%s", hash) != 0)
        goto done;
    rc = 0;
done:
    buf_free(&canon);
    return rc;
}

void sigv4_signing_key(const char *secret_key, const char *date8, const char *region, const char *service,
                       uint8_t out[32])
{
    char k0[4 + SIGV4_MAX_FIELD + 1];
    int n = snprintf(k0, sizeof k0, "AWS4%s", secret_key);
    if (n < 0 || (size_t)n >= sizeof k0)
        n = (int)sizeof k0 - 1; /* unreachable: sigv4_key_ok bounds the secret */
    uint8_t a[32], b[32];
    crypto_hmac_sha256(k0, (size_t)n, date8, 8, a);
    crypto_hmac_sha256(a, 32, region, strlen(region), b);
    crypto_hmac_sha256(b, 32, service, strlen(service), a);
    crypto_hmac_sha256(a, 32, "aws4_request", 12, out);
}

int sigv4_signature(const struct sigv4_key *k, const struct sigv4_request *rq, char out[65])
{
    struct buf sts;
    buf_init(&sts, SIGV4_MAX_CANONICAL);
    int rc = -1;
    if (sigv4_string_to_sign(k, rq, &sts) != 0)
        goto done;
    uint8_t key[32], sig[32];
    sigv4_signing_key(k->secret_key, rq->amz_date, k->region, k->service, key);
    crypto_hmac_sha256(key, 32, sts.data, sts.len, sig);
    crypto_hex(sig, 32, out);
    rc = 0;
done:
    buf_free(&sts);
    return rc;
}

int sigv4_authorization(const struct sigv4_key *k, const struct sigv4_request *rq, struct buf *out)
{
    char sig[65];
    if (sigv4_signature(k, rq, sig) != 0)
        return -1;
    if (buf_printf(out, SIGV4_ALGORITHM " Credential=%s/", k->access_key) != 0 ||
        sigv4_scope(k, rq->amz_date, out) != 0 || buf_puts(out, ", SignedHeaders=") != 0 ||
        sigv4_signed_headers(rq, out) != 0 || buf_printf(out, ", Signature=%s", sig) != 0)
        return -1;
    return 0;
}

int sigv4_presign(const struct sigv4_key *k, const char *method, const char *base, const char *path,
                  const struct sigv4_header *headers, size_t n_headers, const char *amz_date, int64_t expires_s,
                  struct buf *out)
{
    if (!sigv4_key_ok(k) || !sigv4_date_ok(amz_date) || expires_s < 1 || expires_s > SIGV4_MAX_EXPIRES ||
        !method || !base || !path || path[0] != '/')
        return -1;
    struct buf query, cred, epath, names;
    buf_init(&query, SIGV4_MAX_CANONICAL);
    buf_init(&cred, SIGV4_MAX_CANONICAL);
    buf_init(&epath, SIGV4_MAX_CANONICAL);
    buf_init(&names, SIGV4_MAX_CANONICAL);
    int rc = -1;
    struct sigv4_request rq = {
        .method = method,
        .path = path,
        .headers = headers,
        .n_headers = n_headers,
        .payload_hash = "UNSIGNED-PAYLOAD",
        .amz_date = amz_date,
    };
    if (!sigv4_headers_ok(&rq) || sigv4_signed_headers(&rq, &names) != 0)
        goto done;
    /* The parameters below are already in code-point order, which is what
     * the canonical query requires. */
    if (buf_printf(&cred, "%s/", k->access_key) != 0 || sigv4_scope(k, amz_date, &cred) != 0)
        goto done;
    if (buf_puts(&query, "X-Amz-Algorithm=" SIGV4_ALGORITHM "&X-Amz-Credential=") != 0 ||
        sigv4_uri_encode(cred.data, 0, &query) != 0 ||
        buf_printf(&query, "&X-Amz-Date=%s&X-Amz-Expires=%lld&X-Amz-SignedHeaders=", amz_date,
                   (long long)expires_s) != 0 ||
        sigv4_uri_encode(names.data, 0, &query) != 0)
        goto done;
    rq.query = query.data;
    char sig[65];
    if (sigv4_signature(k, &rq, sig) != 0 || sigv4_uri_encode(path, 1, &epath) != 0)
        goto done;
    if (buf_puts(out, base) != 0 || buf_append(out, epath.data, epath.len) != 0 ||
        buf_printf(out, "?%s&X-Amz-Signature=%s", query.data, sig) != 0)
        goto done;
    rc = 0;
done:
    buf_free(&query);
    buf_free(&cred);
    buf_free(&epath);
    buf_free(&names);
    return rc;
}

int sigv4_presign_get(const struct sigv4_key *k, const char *base, const char *host, const char *path,
                      const char *amz_date, int64_t expires_s, struct buf *out)
{
    if (!host)
        return -1;
    struct sigv4_header h = {"host", host};
    return sigv4_presign(k, "GET", base, path, &h, 1, amz_date, expires_s, out);
}

void sigv4_amz_date(int64_t unix_s, char out[static 17])
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int sigv4_sha256_file(FILE *f, char out[static 65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = -1;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto done;
    unsigned char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (EVP_DigestUpdate(ctx, chunk, n) != 1)
            goto done;
    if (ferror(f))
        goto done;
    uint8_t d[32];
    unsigned int dn = 32;
    if (EVP_DigestFinal_ex(ctx, d, &dn) != 1)
        goto done;
    crypto_hex(d, 32, out);
    rewind(f);
    rc = 0;
done:
    EVP_MD_CTX_free(ctx);
    return rc;
}
