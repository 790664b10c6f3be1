/* sigv4.h — the one V4 request-signing core, in two flavours:
 *
 *   flavour      algorithm          signing key of SK          scope ends   headers
 *   SIGV4_AWS    AWS4-HMAC-SHA256   HMAC("AWS4" + SK, date)    aws4_request x-amz-date, x-amz-content-sha256
 *   SIGV4_VOLC   HMAC-SHA256        HMAC(SK, date)             request      x-date, x-content-sha256
 *
 * kSigning = HMAC(HMAC(HMAC(HMAC(k0, YYYYMMDD), region), service), terminator);
 * the canonical request is METHOD \n PATH \n QUERY \n canonical-headers \n
 * signed-headers \n payload-hash; the string to sign is ALGORITHM \n DATE \n
 * SCOPE \n hex(sha256(canonical request)). The rest is shared: the path and
 * query are taken as sent on the wire and normalised (escapes decoded, then
 * RFC 3986-encoded once; query parameters sorted by name, then value; '+'
 * in a query is a space), so a signer and a verifier built on this file can
 * only disagree when the bytes on the wire differ.
 *
 * Users: upstream/sign.c (the Volcengine client), blob/s3.c (S3, incl.
 * presigned GET/PUT), sim/sim_verify.c (the simulator's verifier).
 * Reproduces Volcengine's published example (../shared/vectors/volc-sign-v4.json,
 * tests/unit/test_sign.c) and AWS's S3 examples (tests/unit/test_blob.c).
 * Nothing here does I/O except sigv4_sha256_file. */
#ifndef PORTICO_UTIL_SIGV4_H
#define PORTICO_UTIL_SIGV4_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"

#define SIGV4_MAX_EXPIRES 604800 /* seven days: S3's limit for a presigned URL */

/* Zero is AWS's, so a request initialised without a flavour is an AWS one. */
enum sigv4_flavour {
    SIGV4_AWS = 0,
    SIGV4_VOLC = 1,
};

/* What a flavour varies; the rest of the scheme is the same code. */
struct sigv4_scheme {
    const char *algorithm;   /* "AWS4-HMAC-SHA256" | "HMAC-SHA256" */
    const char *key_prefix;  /* prepended to the secret: "AWS4" | "" */
    const char *terminator;  /* last scope element: "aws4_request" | "request" */
    const char *date_header; /* "x-amz-date" | "x-date" */
    const char *hash_header; /* "x-amz-content-sha256" | "x-content-sha256" */
    int trimall;             /* AWS: inner runs of blanks in a header value collapse to
                              * one space; Volcengine's SDKs only trim the ends */
    int require_host;        /* AWS signs host always; Volcengine's SDKs may not */
};
const struct sigv4_scheme *sigv4_scheme(enum sigv4_flavour f);

struct sigv4_key {
    const char *access_key;
    const char *secret_key;
    const char *region;  /* "us-east-1", "auto" (R2), "cn-beijing" */
    const char *service; /* "s3", "ark" */
};

/* A signed header: name lowercase; the value is trimmed when canonicalised. */
struct sigv4_header {
    const char *name;
    const char *value;
};

struct sigv4_request {
    const char *method;       /* "GET", "PUT", "POST", "DELETE" */
    const char *path;         /* as sent ("/a%20b"); a raw path without '%' signs the same */
    const char *query;        /* as sent, any order, without '?'; "" or NULL for none */
    const struct sigv4_header *headers; /* sorted by name, lowercase, no duplicates */
    size_t n_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    const char *amz_date;     /* "20130524T000000Z" */
    enum sigv4_flavour flavour;
};

/* Appends s percent-encoded (RFC 3986 unreserved kept; '/' too when
 * keep_slash); 0 on success. For raw strings: keys, Action names. */
int sigv4_uri_encode(const char *s, int keep_slash, struct buf *out);
/* The canonical form of a query as sent ("b=2&a=1" -> "a=1&b=2"), appended;
 * -1 on a broken escape or one too long (8 KiB, 128 parameters). */
int sigv4_canonical_query(const char *query, struct buf *out);

/* Each appends to out; 0 on success, -1 on a malformed input or a full buf. */
int sigv4_canonical_request(const struct sigv4_request *rq, struct buf *out);
int sigv4_string_to_sign(const struct sigv4_key *k, const struct sigv4_request *rq, struct buf *out);
void sigv4_signing_key(enum sigv4_flavour f, const char *secret_key, const char *date8, const char *region,
                       const char *service, uint8_t out[32]);
/* The hex signature of rq; 0 on success. */
int sigv4_signature(const struct sigv4_key *k, const struct sigv4_request *rq, char out[65]);
/* The Authorization header value ("<algorithm> Credential=AK/scope,
 * SignedHeaders=.., Signature=.."), appended to out; 0 on success. */
int sigv4_authorization(const struct sigv4_key *k, const struct sigv4_request *rq, struct buf *out);

/* A client's request signed the way both our clients sign: content-type
 * (when given), host, the flavour's payload-hash header (when
 * sign_payload_hash) and date header. */
struct sigv4_call {
    enum sigv4_flavour flavour;
    const char *method;
    const char *path;         /* as sent */
    const char *query;        /* as sent, or NULL */
    const char *host;         /* the Host header value */
    const char *content_type; /* NULL: not signed */
    const char *payload_hash; /* hex SHA-256 of the body */
    int sign_payload_hash;
    const char *date;         /* "YYYYMMDDThhmmssZ" */
};

struct sigv4_signed {
    struct sigv4_header headers[4]; /* what to send, in signed order; values point into the call */
    size_t n_headers;
    char signed_headers[128];       /* "content-type;host;x-content-sha256;x-date" */
    char signature[65];
    char authorization[1024];       /* the Authorization header value */
};

/* The request c describes, for the canonical request or string to sign:
 * hdrs receives the signed headers (values point into c). */
void sigv4_call_request(const struct sigv4_call *c, struct sigv4_header hdrs[4], struct sigv4_request *rq);
/* 0 on success; -1 (out zeroed) on a malformed input. */
int sigv4_sign(const struct sigv4_key *k, const struct sigv4_call *c, struct sigv4_signed *out);

/* AWS query-string authentication. Appends a presigned URL for method:
 * base ("https://host[:port]", no trailing slash) + path (raw; encoded here,
 * once, for the URL and the signature alike) + the X-Amz-* query, signing
 * exactly headers (lowercase names, sorted, "host" among them; the client
 * must send each with that value, so a PUT can be bound to its
 * content-length and content-type). UNSIGNED-PAYLOAD; expires_s in
 * 1..604800. 0 on success. */
int sigv4_presign(const struct sigv4_key *k, const char *method, const char *base, const char *path,
                  const struct sigv4_header *headers, size_t n_headers, const char *amz_date, int64_t expires_s,
                  struct buf *out);
/* The same for a GET signing only the host header. */
int sigv4_presign_get(const struct sigv4_key *k, const char *base, const char *host, const char *path,
                      const char *amz_date, int64_t expires_s, struct buf *out);

/* "YYYYMMDDThhmmssZ" for unix seconds; out holds 17 bytes. */
void sigv4_amz_date(int64_t unix_s, char out[static 17]);
/* 1 when d has exactly that shape (digits, 'T', 'Z'). */
int sigv4_date_valid(const char *d);
/* Hex SHA-256 of f from its current position to EOF; rewinds f after.
 * 0 on success, -1 on a read error. */
int sigv4_sha256_file(FILE *f, char out[static 65]);

#endif
