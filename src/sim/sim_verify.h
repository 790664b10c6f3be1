/* sim_verify.h — the simulator's check of a Volcengine V4 signature
 * (HMAC-SHA256), what the real upstream does to every Action request.
 *
 * Built on the same V4 core as the gateway's signer (util/sigv4.h,
 * Volcengine flavour), so the client and the server canonicalise with one
 * routine; it must accept what Volcengine's official SDKs send
 * (../shared/UPSTREAM.md). Part of the simulator: no gateway file uses it. */
#ifndef PORTICO_SIM_VERIFY_H
#define PORTICO_SIM_VERIFY_H
#include <stddef.h>
#include <stdint.h>

enum sign_verdict {
    SIGN_OK = 0,
    SIGN_MISSING,       /* no Authorization or X-Date */
    SIGN_MALFORMED,     /* Authorization not parseable, scope inconsistent */
    SIGN_UNKNOWN_KEY,   /* Credential's access key is not ours */
    SIGN_EXPIRED,       /* X-Date more than 15 minutes from now */
    SIGN_BAD_SIGNATURE, /* recomputed signature differs, or body hash differs */
};

/* Case-insensitive header lookup supplied by the server; NULL if absent. */
typedef const char *(*sign_header_fn)(void *ctx, const char *name);

/* Verifies a received request: parses Authorization, rebuilds the canonical
 * request over the headers it names (via hdr), recomputes the signature with
 * secret_key and compares in constant time. Any SignedHeaders set is
 * accepted that covers x-date and x-content-sha256 (host is optional, as
 * Volcengine's own SDKs send it; see shared/UPSTREAM.md); a stale X-Date is
 * SIGN_EXPIRED whatever the signature. */
enum sign_verdict sign_verify(const char *method, const char *path, const char *query,
                              const void *body, size_t body_len,
                              sign_header_fn hdr, void *ctx,
                              const char *access_key, const char *secret_key,
                              const char *service, int64_t now_wall_ms);
const char *sign_verdict_str(enum sign_verdict v);

#endif
