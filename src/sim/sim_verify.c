/* sim_verify.c — the simulator's Volcengine V4 verifier; see sim_verify.h.
 *
 * Parsing the Authorization header is the verifier's own; the canonical
 * request and the signature are the shared core's (util/sigv4.c), the same
 * code the gateway's client signs with.
 *
 * Invariant: every header is treated as hostile. Each length is bounded
 * before it is copied, every field is checked character by character, and
 * anything unexpected is SIGN_MALFORMED — never a crash. */
#include "sim/sim_verify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/crypto.h"
#include "util/sigv4.h"

#define SIGN_ALGORITHM "HMAC-SHA256"
#define SIGN_MAX_HEADERS 16 /* signed headers in one request */
#define SIGN_MAX_HEADER_NAME 64
#define SIGN_MAX_AUTH 1024 /* Authorization header we are willing to parse */
#define SIGN_MAX_AK 128
#define SIGN_MAX_SCOPE_PART 64 /* region, service */
#define SIGN_SKEW_MS (15LL * 60 * 1000)

/* "YYYYMMDDThhmmssZ" -> wall ms; -1 if not exactly that shape or not a
 * real calendar time. */
static int64_t sign_parse_x_date(const char *d)
{
    if (!sigv4_date_valid(d))
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
    struct sigv4_header hdrs[SIGN_MAX_HEADERS];
    char payload_hash[65], sig[65];
    enum sign_verdict v = SIGN_MALFORMED;

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
        hdrs[i] = (struct sigv4_header){a->header_names[i], val};
    }
    struct sigv4_key k = {a->access_key, secret_key, a->region, a->service};
    struct sigv4_request rq = {method, path, query, hdrs, a->nheaders, payload_hash, x_date, SIGV4_VOLC};
    if (sigv4_signature(&k, &rq, sig) != 0)
        goto out;
    v = crypto_equal(sig, a->signature, 64) ? SIGN_OK : SIGN_BAD_SIGNATURE;
out:
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
