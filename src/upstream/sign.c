/* sign.c — Volcengine V4 request signing and verification; see sign.h.
 *
 * One canonicalisation routine serves both sides: sign_v4 (the client) and
 * sign_verify (the simulator) build the canonical request through
 * sign_canonical_over(), so a client and server built from this file can
 * only disagree if the bytes on the wire differ.
 *
 * Invariant: sign_verify treats every header as hostile. Each length is
 * bounded before it is copied, every field is checked character by
 * character, and anything unexpected is SIGN_MALFORMED — never a crash. */
#include "upstream/sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/crypto.h"

#define SIGN_ALGORITHM "HMAC-SHA256"
#define SIGN_MAX_QUERY 8192       /* raw query bytes we canonicalise */
#define SIGN_MAX_PARAMS 128
#define SIGN_MAX_PATH 2048
#define SIGN_MAX_HEADERS 16       /* signed headers in one request */
#define SIGN_MAX_HEADER_NAME 64
#define SIGN_MAX_HEADER_VALUE 4096
#define SIGN_MAX_AUTH 1024        /* Authorization header we are willing to parse */
#define SIGN_MAX_AK 128
#define SIGN_MAX_SCOPE_PART 64    /* region, service */
#define SIGN_MAX_CANONICAL (64 * 1024)
#define SIGN_SKEW_MS (15LL * 60 * 1000)

/* A header as it enters the canonical request: name already lowercase. */
struct sign_hdr {
    const char *name;
    const char *value;
};

/* ---------- URI encoding ---------- */

static int sign_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

/* Decodes s[0..n) ("%XX" -> byte; '+' -> space when plus_is_space) and
 * re-encodes it per RFC 3986, so "a%20b", "a b" and "a+b" in a query all
 * canonicalise to "a%20b" — the same bytes Volcengine's own SDK signs (it
 * parses the query as a form, then re-escapes with %20). keep_slash leaves
 * '/' alone for paths. -1 on a broken escape or overflow. */
static int sign_uri_encode(struct buf *out, const char *s, size_t n, int plus_is_space, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
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
        if (sign_unreserved(c) || (keep_slash && c == '/')) {
            if (buf_append(out, &c, 1) != 0)
                return -1;
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (buf_append(out, esc, 3) != 0)
                return -1;
        }
    }
    return 0;
}

/* ---------- canonical query ---------- */

struct sign_param {
    size_t name, value; /* offsets into the scratch buffer, NUL-terminated */
};

/* Insertion sort: qsort's comparator has no context argument in C11 and
 * SIGN_MAX_PARAMS keeps n small. Orders by encoded name, then value. */
static void sign_sort_params(struct sign_param *p, size_t n, const char *base)
{
    for (size_t i = 1; i < n; i++) {
        struct sign_param key = p[i];
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

static int sign_canonical_query(const char *query, struct buf *out)
{
    struct sign_param params[SIGN_MAX_PARAMS];
    size_t nparams = 0;
    struct buf scratch;
    int rc = -1;

    buf_init(&scratch, SIGN_MAX_QUERY * 3 + 2 * SIGN_MAX_PARAMS + 16);
    if (!query)
        query = "";
    size_t qlen = strnlen(query, SIGN_MAX_QUERY + 1);
    if (qlen > SIGN_MAX_QUERY)
        goto fail;

    const char *p = query, *end = query + qlen;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *seg_end = amp ? amp : end;
        if (seg_end > p) { /* "a&&b": empty segments carry nothing */
            if (nparams == SIGN_MAX_PARAMS)
                goto fail;
            const char *eq = memchr(p, '=', (size_t)(seg_end - p));
            const char *name_end = eq ? eq : seg_end;
            params[nparams].name = scratch.len;
            if (sign_uri_encode(&scratch, p, (size_t)(name_end - p), 1, 0) != 0 ||
                buf_append(&scratch, "", 1) != 0)
                goto fail;
            params[nparams].value = scratch.len;
            if (eq && sign_uri_encode(&scratch, eq + 1, (size_t)(seg_end - eq - 1), 1, 0) != 0)
                goto fail;
            if (buf_append(&scratch, "", 1) != 0)
                goto fail;
            nparams++;
        }
        p = amp ? amp + 1 : end;
    }
    if (nparams == 0) {
        rc = 0;
        goto fail;
    }
    sign_sort_params(params, nparams, scratch.data);
    for (size_t i = 0; i < nparams; i++) {
        if (buf_printf(out, "%s%s=%s", i ? "&" : "", scratch.data + params[i].name,
                       scratch.data + params[i].value) != 0)
            goto fail;
    }
    rc = 0;
fail:
    buf_free(&scratch);
    return rc;
}

/* ---------- canonical request ---------- */

/* Header values are trimmed of surrounding whitespace; the value must not
 * carry a line break, which would let it forge further canonical lines. */
static int sign_append_header(struct buf *out, const struct sign_hdr *h)
{
    const char *v = h->value;
    size_t n = strnlen(v, SIGN_MAX_HEADER_VALUE + 1);
    if (n > SIGN_MAX_HEADER_VALUE)
        return -1;
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (memchr(v, '\n', n) || memchr(v, '\r', n))
        return -1;
    if (buf_puts(out, h->name) != 0 || buf_append(out, ":", 1) != 0 || buf_append(out, v, n) != 0 ||
        buf_append(out, "\n", 1) != 0)
        return -1;
    return 0;
}

/* The shared core: headers must already be lowercase and sorted. */
static int sign_canonical_over(const char *method, const char *path, const char *query,
                               const struct sign_hdr *hdrs, size_t nhdrs,
                               const char payload_hash[65], struct buf *out)
{
    if (!method || !*method || strnlen(method, 16) >= 16)
        return -1;
    if (!path || !*path)
        path = "/";
    size_t plen = strnlen(path, SIGN_MAX_PATH + 1);
    if (plen > SIGN_MAX_PATH)
        return -1;
    if (buf_puts(out, method) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    if (sign_uri_encode(out, path, plen, 0, 1) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    if (sign_canonical_query(query, out) != 0 || buf_append(out, "\n", 1) != 0)
        return -1;
    for (size_t i = 0; i < nhdrs; i++)
        if (sign_append_header(out, &hdrs[i]) != 0)
            return -1;
    if (buf_append(out, "\n", 1) != 0)
        return -1;
    for (size_t i = 0; i < nhdrs; i++)
        if (buf_printf(out, "%s%s", i ? ";" : "", hdrs[i].name) != 0)
            return -1;
    if (buf_append(out, "\n", 1) != 0 || buf_puts(out, payload_hash) != 0)
        return -1;
    return 0;
}

/* ---------- inputs of sign_v4 ---------- */

static int sign_valid_x_date(const char *d)
{
    if (!d || strnlen(d, 17) != 16 || d[8] != 'T' || d[15] != 'Z')
        return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9'))
            return 0;
    return 1;
}

/* Credential scope parts and the access key end up inside the
 * Authorization header, split on '/', ',' and ' ' by the verifier. */
static int sign_valid_token(const char *s, size_t max)
{
    if (!s || !*s)
        return 0;
    size_t n = strnlen(s, max + 1);
    if (n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '/' || c == ',' || c == ';' || c == '=')
            return 0;
    }
    return 1;
}

static int sign_valid_input(const struct sign_input *in)
{
    return in && in->method && in->host && *in->host && sign_valid_x_date(in->x_date) &&
           sign_valid_token(in->region, SIGN_MAX_SCOPE_PART) &&
           sign_valid_token(in->service, SIGN_MAX_SCOPE_PART) &&
           sign_valid_token(in->access_key, SIGN_MAX_AK) && in->secret_key &&
           (in->body || in->body_len == 0);
}

/* Fills hdrs (sorted: content-type < host < x-content-sha256 < x-date). */
static size_t sign_input_headers(const struct sign_input *in, const char *payload_hash,
                                 struct sign_hdr hdrs[4])
{
    size_t n = 0;
    if (in->content_type)
        hdrs[n++] = (struct sign_hdr){"content-type", in->content_type};
    hdrs[n++] = (struct sign_hdr){"host", in->host};
    if (in->sign_content_sha256)
        hdrs[n++] = (struct sign_hdr){"x-content-sha256", payload_hash};
    hdrs[n++] = (struct sign_hdr){"x-date", in->x_date};
    return n;
}

int sign_canonical_request(const struct sign_input *in, struct buf *out)
{
    if (!sign_valid_input(in))
        return -1;
    char payload_hash[65];
    struct sign_hdr hdrs[4];
    crypto_sha256_hex(in->body ? in->body : "", in->body_len, payload_hash);
    size_t n = sign_input_headers(in, payload_hash, hdrs);
    return sign_canonical_over(in->method, in->path, in->query, hdrs, n, payload_hash, out);
}

static int sign_string_over(const char *x_date, const char *region, const char *service,
                            const char *canonical, size_t canonical_len, struct buf *out)
{
    char hash[65];
    crypto_sha256_hex(canonical, canonical_len, hash);
    return buf_printf(out, SIGN_ALGORITHM "\n%s\n%.8s/%s/%s/request\n%s", x_date, x_date, region,
                      service, hash);
}

int sign_string_to_sign(const struct sign_input *in, struct buf *out)
{
    struct buf canon;
    buf_init(&canon, SIGN_MAX_CANONICAL);
    int rc = sign_canonical_request(in, &canon);
    if (rc == 0)
        rc = sign_string_over(in->x_date, in->region, in->service, canon.data ? canon.data : "",
                              canon.len, out);
    buf_free(&canon);
    return rc;
}

void sign_signing_key(const char *secret_key, const char *date8, const char *region,
                      const char *service, uint8_t out[32])
{
    uint8_t k1[32], k2[32], k3[32];
    crypto_hmac_sha256(secret_key, strlen(secret_key), date8, strnlen(date8, 8), k1);
    crypto_hmac_sha256(k1, 32, region, strlen(region), k2);
    crypto_hmac_sha256(k2, 32, service, strlen(service), k3);
    crypto_hmac_sha256(k3, 32, "request", 7, out);
}

/* Signature over the canonical request; sig holds 65 bytes. */
static int sign_compute(const char *secret_key, const char *x_date, const char *region,
                        const char *service, const char *canonical, size_t canonical_len,
                        char sig[65])
{
    struct buf sts;
    char date8[9];
    uint8_t key[32], mac[32];
    buf_init(&sts, 1024);
    if (sign_string_over(x_date, region, service, canonical, canonical_len, &sts) != 0) {
        buf_free(&sts);
        return -1;
    }
    memcpy(date8, x_date, 8);
    date8[8] = '\0';
    sign_signing_key(secret_key, date8, region, service, key);
    crypto_hmac_sha256(key, sizeof key, sts.data, sts.len, mac);
    crypto_hex(mac, sizeof mac, sig);
    buf_free(&sts);
    return 0;
}

int sign_v4(const struct sign_input *in, struct sign_output *out)
{
    struct buf canon;
    struct sign_hdr hdrs[4];
    int rc = -1;

    memset(out, 0, sizeof *out);
    buf_init(&canon, SIGN_MAX_CANONICAL);
    if (!sign_valid_input(in))
        goto fail;
    crypto_sha256_hex(in->body ? in->body : "", in->body_len, out->payload_hash);
    size_t n = sign_input_headers(in, out->payload_hash, hdrs);
    if (sign_canonical_over(in->method, in->path, in->query, hdrs, n, out->payload_hash, &canon) != 0)
        goto fail;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out->signed_headers + used, sizeof out->signed_headers - used, "%s%s",
                         i ? ";" : "", hdrs[i].name);
        if (w < 0 || (size_t)w >= sizeof out->signed_headers - used)
            goto fail;
        used += (size_t)w;
    }
    if (sign_compute(in->secret_key, in->x_date, in->region, in->service, canon.data, canon.len,
                     out->signature) != 0)
        goto fail;
    int w = snprintf(out->authorization, sizeof out->authorization,
                     SIGN_ALGORITHM " Credential=%s/%.8s/%s/%s/request, SignedHeaders=%s, Signature=%s",
                     in->access_key, in->x_date, in->region, in->service, out->signed_headers,
                     out->signature);
    if (w < 0 || (size_t)w >= sizeof out->authorization)
        goto fail;
    rc = 0;
fail:
    buf_free(&canon);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

void sign_x_date(int64_t wall_ms, char out[static 17])
{
    int64_t s = wall_ms / 1000;
    if (wall_ms % 1000 < 0)
        s--;
    time_t t = (time_t)s;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
        memcpy(out, "19700101T000000Z", 17);
}

/* ---------- verification ---------- */

/* "YYYYMMDDThhmmssZ" -> wall ms; -1 if not exactly that shape or not a
 * real calendar time. */
static int64_t sign_parse_x_date(const char *d)
{
    if (!sign_valid_x_date(d))
        return -1;
    struct tm tm = {0};
    int v[6], pos[6] = {0, 4, 6, 9, 11, 13}, len[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int j = 0; j < len[i]; j++)
            v[i] = v[i] * 10 + (d[pos[i] + j] - '0');
    }
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 ||
        v[5] > 60)
        return -1;
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    return (int64_t)t * 1000;
}

struct sign_auth {
    char access_key[SIGN_MAX_AK + 1];
    char date8[9];
    char region[SIGN_MAX_SCOPE_PART + 1];
    char service[SIGN_MAX_SCOPE_PART + 1];
    char signature[65];
    char header_names[SIGN_MAX_HEADERS][SIGN_MAX_HEADER_NAME + 1];
    size_t nheaders;
};

/* Copies s[0..n) into dst (cap bytes) if it is a valid token; 0 on success. */
static int sign_take_token(char *dst, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '/' || c == ',' || c == ';' || c == '=')
            return -1;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

/* "AK/YYYYMMDD/region/service/request" */
static int sign_parse_credential(struct sign_auth *a, const char *s, size_t n)
{
    const char *part[5];
    size_t plen[5];
    size_t k = 0;
    const char *p = s, *end = s + n;
    while (k < 5) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *pe = slash ? slash : end;
        part[k] = p;
        plen[k] = (size_t)(pe - p);
        k++;
        if (!slash)
            break;
        p = slash + 1;
    }
    if (k != 5 || part[4] + plen[4] != end)
        return -1;
    if (sign_take_token(a->access_key, sizeof a->access_key, part[0], plen[0]) != 0 ||
        sign_take_token(a->date8, sizeof a->date8, part[1], plen[1]) != 0 || plen[1] != 8 ||
        sign_take_token(a->region, sizeof a->region, part[2], plen[2]) != 0 ||
        sign_take_token(a->service, sizeof a->service, part[3], plen[3]) != 0 || plen[4] != 7 ||
        memcmp(part[4], "request", 7) != 0)
        return -1;
    for (int i = 0; i < 8; i++)
        if (a->date8[i] < '0' || a->date8[i] > '9')
            return -1;
    return 0;
}

/* "content-type;host;x-date": lowercase [a-z0-9-], strictly ascending (the
 * canonical order, so no duplicates). x-date and x-content-sha256 must be
 * signed (they bind the time and the body); host need not be:
 * UPSTREAM.md "Asset API" row 3 — Volcengine's official SDKs sign only
 * "x-content-sha256;x-date" and the service accepts that. */
static int sign_parse_signed_headers(struct sign_auth *a, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    int have_date = 0, have_sha = 0;
    a->nheaders = 0;
    while (p <= end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *pe = semi ? semi : end;
        size_t len = (size_t)(pe - p);
        if (len == 0 || len > SIGN_MAX_HEADER_NAME || a->nheaders == SIGN_MAX_HEADERS)
            return -1;
        for (size_t i = 0; i < len; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                return -1;
        }
        char *dst = a->header_names[a->nheaders];
        memcpy(dst, p, len);
        dst[len] = '\0';
        if (a->nheaders > 0 && strcmp(a->header_names[a->nheaders - 1], dst) >= 0)
            return -1;
        have_date |= strcmp(dst, "x-date") == 0;
        have_sha |= strcmp(dst, "x-content-sha256") == 0;
        a->nheaders++;
        if (!semi)
            break;
        p = semi + 1;
    }
    return have_date && have_sha ? 0 : -1;
}

/* "HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...": the three
 * fields in any order, each exactly once, separated by commas and spaces. */
static int sign_parse_authorization(struct sign_auth *a, const char *auth)
{
    static const char prefix[] = SIGN_ALGORITHM " ";
    size_t n = strnlen(auth, SIGN_MAX_AUTH + 1);
    if (n > SIGN_MAX_AUTH || n < sizeof prefix - 1 || memcmp(auth, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *p = auth + sizeof prefix - 1, *end = auth + n;
    int seen_cred = 0, seen_sh = 0, seen_sig = 0;
    for (;;) {
        while (p < end && (*p == ' ' || *p == ','))
            p++;
        if (p == end)
            break;
        const char *fe = p;
        while (fe < end && *fe != ',' && *fe != ' ')
            fe++;
        const char *eq = memchr(p, '=', (size_t)(fe - p));
        if (!eq)
            return -1;
        size_t klen = (size_t)(eq - p), vlen = (size_t)(fe - eq - 1);
        const char *v = eq + 1;
        if (klen == 10 && memcmp(p, "Credential", 10) == 0) {
            if (seen_cred++ || sign_parse_credential(a, v, vlen) != 0)
                return -1;
        } else if (klen == 13 && memcmp(p, "SignedHeaders", 13) == 0) {
            if (seen_sh++ || sign_parse_signed_headers(a, v, vlen) != 0)
                return -1;
        } else if (klen == 9 && memcmp(p, "Signature", 9) == 0) {
            if (seen_sig++ || vlen != 64)
                return -1;
            for (size_t i = 0; i < 64; i++)
                if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
                    return -1;
            memcpy(a->signature, v, 64);
            a->signature[64] = '\0';
        } else {
            return -1;
        }
        p = fe;
    }
    return seen_cred && seen_sh && seen_sig ? 0 : -1;
}

static int sign_hex_equal_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'F')
            x = (char)(x - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

enum sign_verdict sign_verify(const char *method, const char *path, const char *query,
                              const void *body, size_t body_len,
                              sign_header_fn hdr, void *ctx,
                              const char *access_key, const char *secret_key,
                              const char *service, int64_t now_wall_ms)
{
    struct sign_auth *a = NULL;
    struct sign_hdr hdrs[SIGN_MAX_HEADERS];
    struct buf canon;
    char payload_hash[65], sig[65];
    enum sign_verdict v = SIGN_MALFORMED;

    buf_init(&canon, SIGN_MAX_CANONICAL);
    const char *auth = hdr ? hdr(ctx, "Authorization") : NULL;
    const char *x_date = hdr ? hdr(ctx, "X-Date") : NULL;
    if (!auth || !*auth || !x_date || !*x_date) {
        v = SIGN_MISSING;
        goto out;
    }
    if (!access_key || !secret_key || !service || (!body && body_len))
        goto out;
    a = calloc(1, sizeof *a);
    if (!a || sign_parse_authorization(a, auth) != 0)
        goto out;
    int64_t when = sign_parse_x_date(x_date);
    if (when < 0 || memcmp(a->date8, x_date, 8) != 0 || strcmp(a->service, service) != 0)
        goto out;
    if (when - now_wall_ms > SIGN_SKEW_MS || now_wall_ms - when > SIGN_SKEW_MS) {
        v = SIGN_EXPIRED;
        goto out;
    }
    if (strcmp(a->access_key, access_key) != 0) {
        v = SIGN_UNKNOWN_KEY;
        goto out;
    }

    crypto_sha256_hex(body ? body : "", body_len, payload_hash);
    for (size_t i = 0; i < a->nheaders; i++) {
        const char *val = hdr(ctx, a->header_names[i]);
        if (!val)
            goto out; /* a header it claims to sign is not there */
        if (strcmp(a->header_names[i], "x-content-sha256") == 0) {
            /* The signature covers the header, so a mismatch here means the
             * body was changed (or never hashed honestly). */
            const char *t = val;
            while (*t == ' ' || *t == '\t')
                t++;
            size_t tl = strnlen(t, 80);
            while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t'))
                tl--;
            if (tl != 64 || !sign_hex_equal_ci(t, payload_hash, 64)) {
                v = SIGN_BAD_SIGNATURE;
                goto out;
            }
        }
        hdrs[i] = (struct sign_hdr){a->header_names[i], val};
    }
    if (sign_canonical_over(method, path, query, hdrs, a->nheaders, payload_hash, &canon) != 0)
        goto out;
    if (sign_compute(secret_key, x_date, a->region, a->service, canon.data, canon.len, sig) != 0)
        goto out;
    v = crypto_equal(sig, a->signature, 64) ? SIGN_OK : SIGN_BAD_SIGNATURE;
out:
    buf_free(&canon);
    free(a);
    return v;
}

const char *sign_verdict_str(enum sign_verdict v)
{
    switch (v) {
    case SIGN_OK: return "ok";
    case SIGN_MISSING: return "missing";
    case SIGN_MALFORMED: return "malformed";
    case SIGN_UNKNOWN_KEY: return "unknown_key";
    case SIGN_EXPIRED: return "expired";
    case SIGN_BAD_SIGNATURE: return "bad_signature";
    }
    return "unknown";
}
