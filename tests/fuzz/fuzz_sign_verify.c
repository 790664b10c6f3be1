/* fuzz_sign_verify.c — Volcengine V4 signatures (the client, src/upstream/sign.c; the
 * verifier, src/sim/sim_verify.c; both over src/util/sigv4.c) as the
 * simulator receives them: sign_verify over a fuzzed Authorization header,
 * X-Date, other headers, query and body; the query/path canonicaliser via
 * sign_canonical_request; and a round trip: whatever sign_v4 signs,
 * sign_verify must accept (client and server share the canonicaliser, so
 * a disagreement is a bug in it).
 *
 * Input: newline-separated fields — method, path, query, Authorization,
 * X-Date, Host, Content-Type, X-Content-Sha256 — then the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_gw.h"
#include "sim/sim_verify.h"
#include "upstream/sign.h"

#define AK "AKLTfuzzaccesskey"
#define SK "fuzz-secret-key"
#define NOW_MS 1718781186000LL /* 2024-06-19T07:13:06Z */

struct headers {
    const char *auth, *x_date, *host, *content_type, *content_sha;
};

static const char *lookup(void *ctx, const char *name)
{
    const struct headers *h = ctx;
    if (!strcasecmp(name, "Authorization"))
        return h->auth;
    if (!strcasecmp(name, "X-Date"))
        return h->x_date;
    if (!strcasecmp(name, "Host"))
        return h->host;
    if (!strcasecmp(name, "Content-Type"))
        return h->content_type;
    if (!strcasecmp(name, "X-Content-Sha256"))
        return h->content_sha;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    char *f[8];
    for (int i = 0; i < 8; i++)
        f[i] = fuzz_take(&in, '\n', NULL);
    size_t body_len;
    char *body = fuzz_rest(&in, &body_len);
    const char *method = f[0], *path = f[1], *query = f[2];
    struct headers h = {f[3], f[4], f[5], f[6], f[7]};

    enum sign_verdict v = sign_verify(method, path, query, body, body_len, lookup, &h, AK, SK, "ark", NOW_MS);
    if (!sign_verdict_str(v))
        abort();

    /* Sign the same request as the client would, then verify it. */
    struct sign_input si = {.method = method[0] ? method : "POST", .host = h.host, .path = path[0] ? path : "/",
                            .query = query, .x_date = "20240619T071306Z",
                            .content_type = h.content_type[0] ? h.content_type : NULL, .body = body,
                            .body_len = body_len, .sign_content_sha256 = h.content_sha[0] != 0,
                            .region = "cn-beijing", .service = "ark", .access_key = AK, .secret_key = SK};
    struct sign_output so;
    struct buf canon;
    buf_init(&canon, 1 << 20);
    (void)sign_canonical_request(&si, &canon);
    buf_free(&canon);
    if (sign_v4(&si, &so) == 0) {
        struct headers sh = {so.authorization, si.x_date, h.host, h.content_type, so.payload_hash};
        enum sign_verdict rv = sign_verify(si.method, si.path, query, body, body_len, lookup, &sh, AK, SK, "ark",
                                           NOW_MS);
        /* UPSTREAM.md: the verifier accepts any SignedHeaders set that
         * covers x-date and x-content-sha256, so a request signed without
         * x-content-sha256 must be refused and every other one accepted. */
        if ((rv == SIGN_OK) != si.sign_content_sha256) {
            fprintf(stderr, "round trip: sign_v4 signed (x-content-sha256 %s), sign_verify said %s\n",
                    si.sign_content_sha256 ? "signed" : "not signed", sign_verdict_str(rv));
            abort();
        }
    }
    for (int i = 0; i < 8; i++)
        free(f[i]);
    free(body);
    return 0;
}
