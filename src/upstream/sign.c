/* sign.c — Volcengine V4 request signing for the asset-library client; see
 * sign.h. A thin adapter: the input checks Volcengine's scope format needs,
 * then the shared core (util/sigv4.c, Volcengine flavour), which the
 * simulator's verifier (sim/sim_verify.c) canonicalises with too. */
#include "upstream/sign.h"

#include <stdio.h>
#include <string.h>

#include "util/crypto.h"
#include "util/sigv4.h"

#define SIGN_MAX_AK 128
#define SIGN_MAX_SCOPE_PART 64 /* region, service */

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
    return in && in->method && in->host && *in->host && sigv4_date_valid(in->x_date) &&
           sign_valid_token(in->region, SIGN_MAX_SCOPE_PART) && sign_valid_token(in->service, SIGN_MAX_SCOPE_PART) &&
           sign_valid_token(in->access_key, SIGN_MAX_AK) && in->secret_key && (in->body || in->body_len == 0);
}

/* The core's view of in: its key, and the call with the headers it signs.
 * hash receives the body's hex SHA-256. */
static int sign_prepare(const struct sign_input *in, char hash[65], struct sigv4_key *k, struct sigv4_call *c)
{
    if (!sign_valid_input(in))
        return -1;
    crypto_sha256_hex(in->body ? in->body : "", in->body_len, hash);
    *k = (struct sigv4_key){in->access_key, in->secret_key, in->region, in->service};
    *c = (struct sigv4_call){
        .flavour = SIGV4_VOLC,
        .method = in->method,
        .path = in->path,
        .query = in->query,
        .host = in->host,
        .content_type = in->content_type,
        .payload_hash = hash,
        .sign_payload_hash = in->sign_content_sha256,
        .date = in->x_date,
    };
    return 0;
}

/* The request sign_v4 signs, for its intermediate strings. */
static int sign_request(const struct sign_input *in, char hash[65], struct sigv4_key *k,
                        struct sigv4_header hdrs[4], struct sigv4_request *rq)
{
    struct sigv4_call c;
    if (sign_prepare(in, hash, k, &c) != 0)
        return -1;
    sigv4_call_request(&c, hdrs, rq);
    return 0;
}

int sign_canonical_request(const struct sign_input *in, struct buf *out)
{
    char hash[65];
    struct sigv4_key k;
    struct sigv4_header hdrs[4];
    struct sigv4_request rq;
    return sign_request(in, hash, &k, hdrs, &rq) == 0 ? sigv4_canonical_request(&rq, out) : -1;
}

int sign_string_to_sign(const struct sign_input *in, struct buf *out)
{
    char hash[65];
    struct sigv4_key k;
    struct sigv4_header hdrs[4];
    struct sigv4_request rq;
    return sign_request(in, hash, &k, hdrs, &rq) == 0 ? sigv4_string_to_sign(&k, &rq, out) : -1;
}

void sign_signing_key(const char *secret_key, const char *date8, const char *region, const char *service,
                      uint8_t out[32])
{
    sigv4_signing_key(SIGV4_VOLC, secret_key, date8, region, service, out);
}

int sign_v4(const struct sign_input *in, struct sign_output *out)
{
    struct sigv4_key k;
    struct sigv4_call c;
    struct sigv4_signed s;
    memset(out, 0, sizeof *out);
    if (sign_prepare(in, out->payload_hash, &k, &c) != 0 || sigv4_sign(&k, &c, &s) != 0 ||
        snprintf(out->signed_headers, sizeof out->signed_headers, "%s", s.signed_headers) >=
            (int)sizeof out->signed_headers ||
        snprintf(out->authorization, sizeof out->authorization, "%s", s.authorization) >=
            (int)sizeof out->authorization) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    memcpy(out->signature, s.signature, sizeof out->signature);
    return 0;
}

void sign_x_date(int64_t wall_ms, char out[static 17])
{
    int64_t s = wall_ms / 1000;
    if (wall_ms % 1000 < 0)
        s--;
    sigv4_amz_date(s, out);
}
