/* sign.h — Volcengine OpenAPI request signing, V4 (HMAC-SHA256).
 *
 * kSigning = HMAC(HMAC(HMAC(HMAC(SK, YYYYMMDD), Region), Service), "request");
 * the canonical request is METHOD \n PATH \n sorted-encoded-query \n
 * canonical-headers \n signed-headers \n hex(sha256(body)).
 * Reproduces ../shared/vectors/volc-sign-v4.json. The client (volc.c) signs
 * with sign_v4 over the shared V4 core (util/sigv4.h); the simulator's
 * verifier (sim/sim_verify.h) canonicalises with the same core. */
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

#endif
