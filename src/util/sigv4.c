/* sigv4.c — the V4 signing core, AWS and Volcengine flavours; see sigv4.h.
 *
 * Invariant: every input is treated as hostile (the simulator's verifier
 * feeds it header values and queries straight off the wire). Each length is
 * bounded before it is copied, a header value cannot carry a line break
 * (it would forge further canonical lines), and anything unexpected is -1,
 * never a crash or a truncation. */
#include "util/sigv4.h"

#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "util/crypto.h"

#define SIGV4_MAX_QUERY 8192 /* raw query bytes we canonicalise */
#define SIGV4_MAX_PARAMS 128
#define SIGV4_MAX_PATH (3 * 4096) /* an encoded 4 KiB blob path */
#define SIGV4_MAX_HEADER_VALUE 4096
#define SIGV4_MAX_CANONICAL (64 * 1024)
#define SIGV4_MAX_FIELD 256 /* access key, region, service; a prefixed secret */

static const struct sigv4_scheme sigv4_schemes[] = {
    [SIGV4_AWS] = {"AWS4-HMAC-SHA256", "AWS4", "aws4_request", "x-amz-date", "x-amz-content-sha256", 1, 1},
    [SIGV4_VOLC] = {"HMAC-SHA256", "", "request", "x-date", "x-content-sha256", 0, 0},
};

const struct sigv4_scheme *sigv4_scheme(enum sigv4_flavour f)
{
    return f == SIGV4_VOLC ? &sigv4_schemes[SIGV4_VOLC] : &sigv4_schemes[SIGV4_AWS];
}

/* ---------- URI encoding ---------- */

static int sigv4_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

static int sigv4_put_byte(struct buf *out, unsigned char c, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    if (sigv4_unreserved(c) || (keep_slash && c == '/'))
        return buf_append(out, &c, 1);
    char e[3] = {'%', hex[c >> 4], hex[c & 15]};
    return buf_append(out, e, 3);
}

int sigv4_uri_encode(const char *s, int keep_slash, struct buf *out)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (sigv4_put_byte(out, *p, keep_slash) != 0)
            return -1;
    return 0;
}

/* Decodes s[0..n) ("%XX" -> byte; '+' -> space when plus_is_space) and
 * re-encodes it, so "a%20b", "a b" and "a+b" in a query all canonicalise to
 * "a%20b" — the bytes Volcengine's SDK signs (it parses the query as a
 * form, then re-escapes with %20), and for an already-canonical AWS query
 * the same bytes again. -1 on a broken escape or overflow. */
static int sigv4_normalise(struct buf *out, const char *s, size_t n, int plus_is_space, int keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (n - i < 3)
                return -1;
            int hi = crypto_hex_digit((unsigned char)s[i + 1]);
            int lo = crypto_hex_digit((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (sigv4_put_byte(out, c, keep_slash) != 0)
            return -1;
    }
    return 0;
}

/* ---------- canonical query ---------- */

struct sigv4_param {
    size_t name, value; /* offsets into the scratch buffer, NUL-terminated */
};

/* Insertion sort: qsort's comparator has no context argument in C11 and
 * SIGV4_MAX_PARAMS keeps n small. Orders by encoded name, then value. */
static void sigv4_sort_params(struct sigv4_param *p, size_t n, const char *base)
{
    for (size_t i = 1; i < n; i++) {
        struct sigv4_param key = p[i];
        size_t j = i;
        while (j > 0) {
            int c = strcmp(base + p[j - 1].name, base + key.name);
            if (c == 0)
                c = strcmp(base + p[j - 1].value, base + key.value);
            if (c <= 0)
                break;
            p[j] = p[j - 1];
            j--;
        }
        p[j] = key;
    }
}

int sigv4_canonical_query(const char *query, struct buf *out)
{
    struct sigv4_param params[SIGV4_MAX_PARAMS];
    size_t nparams = 0;
    struct buf scratch;
    int rc = -1;

    buf_init(&scratch, SIGV4_MAX_QUERY * 3 + 2 * SIGV4_MAX_PARAMS + 16);
    if (!query)
        query = "";
    size_t qlen = strnlen(query, SIGV4_MAX_QUERY + 1);
    if (qlen > SIGV4_MAX_QUERY)
        goto done;

    const char *p = query, *end = query + qlen;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *seg_end = amp ? amp : end;
        if (seg_end > p) { /* "a&&b": empty segments carry nothing */
            if (nparams == SIGV4_MAX_PARAMS)
                goto done;
            const char *eq = memchr(p, '=', (size_t)(seg_end - p));
            const char *name_end = eq ? eq : seg_end;
            params[nparams].name = scratch.len;
            if (sigv4_normalise(&scratch, p, (size_t)(name_end - p), 1, 0) != 0 || buf_append(&scratch, "", 1) != 0)
                goto done;
            params[nparams].value = scratch.len;
            if (eq && sigv4_normalise(&scratch, eq + 1, (size_t)(seg_end - eq - 1), 1, 0) != 0)
                goto done;
            if (buf_append(&scratch, "", 1) != 0)
                goto done;
            nparams++;
        }
        p = amp ? amp + 1 : end;
    }
    sigv4_sort_params(params, nparams, scratch.data);
    for (size_t i = 0; i < nparams; i++)
        if (buf_printf(out, "%s%s=%s", i ? "&" : "", scratch.data + params[i].name, scratch.data + params[i].value) !=
            0)
            goto done;
    rc = 0;
done:
    buf_free(&scratch);
    return rc;
}

/* ---------- canonical request ---------- */

/* "name:value\n": the value trimmed of surrounding blanks, and with
 * trimall (AWS) inner runs collapsed to one space, so cosmetic whitespace
 * cannot change the signature. */
static int sigv4_put_header(const struct sigv4_header *h, int trimall, struct buf *out)
{
    const char *v = h->value;
    size_t n = strnlen(v, SIGV4_MAX_HEADER_VALUE + 1);
    if (n > SIGV4_MAX_HEADER_VALUE)
        return -1;
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (memchr(v, '\n', n) || memchr(v, '\r', n))
        return -1;
    if (buf_puts(out, h->name) != 0 || buf_append(out, ":", 1) != 0)
        return -1;
    if (!trimall) {
        if (buf_append(out, v, n) != 0)
            return -1;
    } else {
        int space = 0;
        for (size_t i = 0; i < n; i++) {
            char c = v[i] == '\t' ? ' ' : v[i];
            if (c == ' ' && space)
                continue;
            space = c == ' ';
            if (buf_append(out, &c, 1) != 0)
                return -1;
        }
    }
    return buf_append(out, "\n", 1);
}

/* Lowercase names in strictly ascending order (so no duplicates: the
 * signed list would lie), each with a value; host when the flavour wants it. */
static int sigv4_headers_ok(const struct sigv4_request *rq)
{
    int host = 0;
    if (rq->n_headers && !rq->headers)
        return 0;
    for (size_t i = 0; i < rq->n_headers; i++) {
        const char *n = rq->headers[i].name;
        if (!n || !*n || !rq->headers[i].value)
            return 0;
        for (const char *p = n; *p; p++)
            if ((*p >= 'A' && *p <= 'Z') || *p == ':' || *p == ';' || (unsigned char)*p <= ' ')
                return 0;
        if (i > 0 && strcmp(rq->headers[i - 1].name, n) >= 0)
            return 0;
        host |= strcmp(n, "host") == 0;
    }
    return host || !sigv4_scheme(rq->flavour)->require_host;
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
    const char *path = rq->path && *rq->path ? rq->path : "/";
    size_t plen = strnlen(path, SIGV4_MAX_PATH + 1);
    if (!rq->method || !*rq->method || strnlen(rq->method, 16) >= 16 || plen > SIGV4_MAX_PATH ||
        !rq->payload_hash || !sigv4_headers_ok(rq))
        return -1;
    int trimall = sigv4_scheme(rq->flavour)->trimall;
    if (buf_puts(out, rq->method) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    if (sigv4_normalise(out, path, plen, 0, 1) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    if (sigv4_canonical_query(rq->query, out) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    for (size_t i = 0; i < rq->n_headers; i++)
        if (sigv4_put_header(&rq->headers[i], trimall, out) != 0)
            return -1;
    if (buf_append(out, "\n", 1) != 0 || sigv4_signed_headers(rq, out) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    return buf_puts(out, rq->payload_hash);
}

/* ---------- string to sign, key, signature ---------- */

int sigv4_date_valid(const char *d)
{
    if (!d || strnlen(d, 17) != 16 || d[8] != 'T' || d[15] != 'Z')
        return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9'))
            return 0;
    return 1;
}

static int sigv4_field_ok(const char *s, int slash_ok)
{
    return s && *s && strnlen(s, SIGV4_MAX_FIELD + 1) <= SIGV4_MAX_FIELD && (slash_ok || !strchr(s, '/'));
}

/* A '/' would break the scope "AK/date/region/service/terminator"; only
 * the secret, which never appears in it, may hold one. A secret that gets a
 * prefix must fit the key buffer; Volcengine's is used as is. */
static int sigv4_key_ok(const struct sigv4_key *k, enum sigv4_flavour f)
{
    int prefixed = *sigv4_scheme(f)->key_prefix != '\0';
    return sigv4_field_ok(k->access_key, 0) && sigv4_field_ok(k->region, 0) && sigv4_field_ok(k->service, 0) &&
           (prefixed ? sigv4_field_ok(k->secret_key, 1) : k->secret_key != NULL);
}

/* "20130524/us-east-1/s3/aws4_request" */
static int sigv4_scope(const struct sigv4_key *k, enum sigv4_flavour f, const char *date, struct buf *out)
{
    return buf_printf(out, "%.8s/%s/%s/%s", date, k->region, k->service, sigv4_scheme(f)->terminator);
}

int sigv4_string_to_sign(const struct sigv4_key *k, const struct sigv4_request *rq, struct buf *out)
{
    if (!sigv4_key_ok(k, rq->flavour) || !sigv4_date_valid(rq->amz_date))
        return -1;
    struct buf canon;
    buf_init(&canon, SIGV4_MAX_CANONICAL);
    int rc = -1;
    char hash[65];
    if (sigv4_canonical_request(rq, &canon) != 0)
        goto done;
    crypto_sha256_hex(canon.data, canon.len, hash);
    if (buf_printf(out, "%s\n%s\n", sigv4_scheme(rq->flavour)->algorithm, rq->amz_date) != 0 ||
        sigv4_scope(k, rq->flavour, rq->amz_date, out) != 0 || buf_printf(out, "\n%s", hash) != 0)
        goto done;
    rc = 0;
done:
    buf_free(&canon);
    return rc;
}

void sigv4_signing_key(enum sigv4_flavour f, const char *secret_key, const char *date8, const char *region,
                       const char *service, uint8_t out[32])
{
    const struct sigv4_scheme *s = sigv4_scheme(f);
    const char *k0 = secret_key;
    size_t k0_len = strlen(secret_key);
    char prefixed[8 + SIGV4_MAX_FIELD + 1];
    if (*s->key_prefix) {
        int n = snprintf(prefixed, sizeof prefixed, "%s%s", s->key_prefix, secret_key);
        if (n < 0 || (size_t)n >= sizeof prefixed)
            n = (int)sizeof prefixed - 1; /* unreachable: sigv4_key_ok bounds the secret */
        k0 = prefixed;
        k0_len = (size_t)n;
    }
    uint8_t a[32], b[32];
    crypto_hmac_sha256(k0, k0_len, date8, strnlen(date8, 8), a);
    crypto_hmac_sha256(a, 32, region, strlen(region), b);
    crypto_hmac_sha256(b, 32, service, strlen(service), a);
    crypto_hmac_sha256(a, 32, s->terminator, strlen(s->terminator), out);
}

int sigv4_signature(const struct sigv4_key *k, const struct sigv4_request *rq, char out[65])
{
    struct buf sts;
    buf_init(&sts, SIGV4_MAX_CANONICAL);
    int rc = -1;
    uint8_t key[32], sig[32];
    if (sigv4_string_to_sign(k, rq, &sts) != 0)
        goto done;
    sigv4_signing_key(rq->flavour, k->secret_key, rq->amz_date, k->region, k->service, key);
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
    if (buf_printf(out, "%s Credential=%s/", sigv4_scheme(rq->flavour)->algorithm, k->access_key) != 0 ||
        sigv4_scope(k, rq->flavour, rq->amz_date, out) != 0 || buf_puts(out, ", SignedHeaders=") != 0 ||
        sigv4_signed_headers(rq, out) != 0 || buf_printf(out, ", Signature=%s", sig) != 0)
        return -1;
    return 0;
}

void sigv4_call_request(const struct sigv4_call *c, struct sigv4_header hdrs[4], struct sigv4_request *rq)
{
    const struct sigv4_scheme *s = sigv4_scheme(c->flavour);
    size_t n = 0;
    /* In canonical order: content-type < host < x-(amz-)content-sha256 < x-(amz-)date. */
    if (c->content_type)
        hdrs[n++] = (struct sigv4_header){"content-type", c->content_type};
    hdrs[n++] = (struct sigv4_header){"host", c->host};
    if (c->sign_payload_hash)
        hdrs[n++] = (struct sigv4_header){s->hash_header, c->payload_hash};
    hdrs[n++] = (struct sigv4_header){s->date_header, c->date};
    *rq = (struct sigv4_request){
        .method = c->method,
        .path = c->path,
        .query = c->query,
        .headers = hdrs,
        .n_headers = n,
        .payload_hash = c->payload_hash,
        .amz_date = c->date,
        .flavour = c->flavour,
    };
}

int sigv4_sign(const struct sigv4_key *k, const struct sigv4_call *c, struct sigv4_signed *out)
{
    const struct sigv4_scheme *s = sigv4_scheme(c->flavour);
    struct sigv4_request rq;
    struct buf auth, names;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (!c->host || !c->payload_hash || !c->date)
        return -1;
    sigv4_call_request(c, out->headers, &rq);
    out->n_headers = rq.n_headers;
    buf_init(&auth, sizeof out->authorization - 1);
    buf_init(&names, sizeof out->signed_headers - 1);
    if (sigv4_signature(k, &rq, out->signature) != 0 || sigv4_signed_headers(&rq, &names) != 0 ||
        buf_printf(&auth, "%s Credential=%s/", s->algorithm, k->access_key) != 0 ||
        sigv4_scope(k, c->flavour, c->date, &auth) != 0 ||
        buf_printf(&auth, ", SignedHeaders=%s, Signature=%s", names.data, out->signature) != 0)
        goto done;
    memcpy(out->signed_headers, names.data, names.len + 1);
    memcpy(out->authorization, auth.data, auth.len + 1);
    rc = 0;
done:
    buf_free(&auth);
    buf_free(&names);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ---------- AWS presigned URLs ---------- */

int sigv4_presign(const struct sigv4_key *k, const char *method, const char *base, const char *path,
                  const struct sigv4_header *headers, size_t n_headers, const char *amz_date, int64_t expires_s,
                  struct buf *out)
{
    if (!sigv4_key_ok(k, SIGV4_AWS) || !sigv4_date_valid(amz_date) || expires_s < 1 ||
        expires_s > SIGV4_MAX_EXPIRES || !method || !base || !path || path[0] != '/')
        return -1;
    struct buf query, cred, epath, names;
    buf_init(&query, SIGV4_MAX_CANONICAL);
    buf_init(&cred, SIGV4_MAX_CANONICAL);
    buf_init(&epath, SIGV4_MAX_CANONICAL);
    buf_init(&names, SIGV4_MAX_CANONICAL);
    int rc = -1;
    char sig[65];
    struct sigv4_request rq = {
        .method = method,
        .headers = headers,
        .n_headers = n_headers,
        .payload_hash = "UNSIGNED-PAYLOAD",
        .amz_date = amz_date,
        .flavour = SIGV4_AWS,
    };
    if (!sigv4_headers_ok(&rq) || sigv4_signed_headers(&rq, &names) != 0)
        goto done;
    if (buf_printf(&cred, "%s/", k->access_key) != 0 || sigv4_scope(k, SIGV4_AWS, amz_date, &cred) != 0)
        goto done;
    /* Already in code-point order, as the canonical query will be. */
    if (buf_puts(&query, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=") != 0 ||
        sigv4_uri_encode(cred.data, 0, &query) != 0 ||
        buf_printf(&query, "&X-Amz-Date=%s&X-Amz-Expires=%lld&X-Amz-SignedHeaders=", amz_date,
                   (long long)expires_s) != 0 ||
        sigv4_uri_encode(names.data, 0, &query) != 0)
        goto done;
    /* The URL and the signature are built from the same encoded path. */
    if (sigv4_uri_encode(path, 1, &epath) != 0)
        goto done;
    rq.path = epath.data;
    rq.query = query.data;
    if (sigv4_signature(k, &rq, sig) != 0)
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

/* ---------- dates, files ---------- */

void sigv4_amz_date(int64_t unix_s, char out[static 17])
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
        memcpy(out, "19700101T000000Z", 17);
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
