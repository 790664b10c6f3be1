/* sign.h — Volcengine OpenAPI request signing, V4 (HMAC-SHA256).
 *
 * kSigning = HMAC(HMAC(HMAC(HMAC(SK, YYYYMMDD), Region), Service), "request");
 * the canonical request is METHOD \n PATH \n sorted-encoded-query \n
 * canonical-headers \n signed-headers \n hex(sha256(body)).
 * Reproduces ../shared/vectors/volc-sign-v4.json. The client (volc.c) signs
 * with sign_v4; the simulator verifies with sign_verify — the same code. */
#ifndef PORTICO_SIGN_H
#define PORTICO_SIGN_H
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct sign_input {
    const char *method;       /* "POST", "GET" */
    const char *host;         /* value of the Host header, e.g. "open.volcengineapi.com" */
    const char *path;         /* "/" */
    const char *query;        /* raw query without '?', any order: "Action=X&Version=Y" */
    const char *x_date;       /* "20240619T071306Z" */
    const char *content_type; /* NULL: not signed, else signed as content-type */
    const void *body;
    size_t body_len;
    int sign_content_sha256;  /* 1: x-content-sha256 is sent and signed */
    const char *region;       /* "cn-beijing" */
    const char *service;      /* "ark" */
    const char *access_key;
    const char *secret_key;
};

struct sign_output {
    char payload_hash[65];    /* hex SHA-256 of the body: the X-Content-Sha256 value */
    char signed_headers[128]; /* "content-type;host;x-content-sha256;x-date" */
    char signature[65];
    char authorization[512];  /* the Authorization header value */
};

/* 0 on success, -1 if an input is too long or malformed. */
int sign_v4(const struct sign_input *in, struct sign_output *out);

/* The intermediate strings, for tests and debugging. Each appends to out;
 * 0 on success. */
int sign_canonical_request(const struct sign_input *in, struct buf *out);
int sign_string_to_sign(const struct sign_input *in, struct buf *out);
void sign_signing_key(const char *secret_key, const char *date8, const char *region,
                      const char *service, uint8_t out[32]);

/* "YYYYMMDDThhmmssZ" for a wall-clock time; out holds 17 bytes. */
void sign_x_date(int64_t wall_ms, char out[static 17]);

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
