/* sigv4.h — AWS Signature Version 4 for the S3 blob backend: header
 * signing (PUT, DELETE) and presigned GET URLs (query-string auth).
 *
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + SK, YYYYMMDD), region), service),
 * "aws4_request"); the canonical request is METHOD \n URI \n QUERY \n
 * canonical-headers \n signed-headers \n payload-hash. Reproduces the two
 * worked examples of AWS's S3 API reference (tests/unit/test_blob.c): the
 * header-auth "GET /test.txt, Range: bytes=0-9" and the presigned GET of
 * examplebucket/test.txt. Nothing here does I/O except sigv4_sha256_file. */
#ifndef PORTICO_SIGV4_H
#define PORTICO_SIGV4_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"

#define SIGV4_MAX_EXPIRES 604800 /* seven days: S3's limit for a presigned URL */

struct sigv4_key {
    const char *access_key;
    const char *secret_key;
    const char *region;  /* "us-east-1", "auto" (R2) */
    const char *service; /* "s3" */
};

/* A signed header: name lowercase; the value is trimmed when canonicalised. */
struct sigv4_header {
    const char *name;
    const char *value;
};

struct sigv4_request {
    const char *method;       /* "GET", "PUT", "DELETE" */
    const char *path;         /* raw path, "/bucket/key"; encoded here (RFC 3986, '/' kept) */
    const char *query;        /* canonical query (sorted, encoded), "" for none */
    const struct sigv4_header *headers; /* sorted by name; must include "host" */
    size_t n_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    const char *amz_date;     /* "20130524T000000Z" */
};

/* Each appends to out; 0 on success, -1 on a malformed input or a full buf. */
int sigv4_uri_encode(const char *s, int keep_slash, struct buf *out);
int sigv4_canonical_request(const struct sigv4_request *rq, struct buf *out);
int sigv4_string_to_sign(const struct sigv4_key *k, const struct sigv4_request *rq, struct buf *out);
void sigv4_signing_key(const char *secret_key, const char *date8, const char *region, const char *service,
                       uint8_t out[32]);

/* The hex signature of rq; 0 on success. */
int sigv4_signature(const struct sigv4_key *k, const struct sigv4_request *rq, char out[65]);
/* The Authorization header value ("AWS4-HMAC-SHA256 Credential=..,
 * SignedHeaders=.., Signature=.."), appended to out; 0 on success. */
int sigv4_authorization(const struct sigv4_key *k, const struct sigv4_request *rq, struct buf *out);

/* Appends a presigned GET URL: base ("https://host[:port]", no trailing
 * slash) + path + the X-Amz-* query, signing only the host header (host is
 * the Host header value the server will see). expires_s in 1..604800.
 * 0 on success. */
int sigv4_presign_get(const struct sigv4_key *k, const char *base, const char *host, const char *path,
                      const char *amz_date, int64_t expires_s, struct buf *out);

/* Appends a presigned URL for method: base + path + the X-Amz-* query,
 * signing exactly headers (lowercase names, sorted, "host" among them; the
 * client must send each with that value, so a PUT can be bound to its
 * content-length and content-type). UNSIGNED-PAYLOAD. 0 on success. */
int sigv4_presign(const struct sigv4_key *k, const char *method, const char *base, const char *path,
                  const struct sigv4_header *headers, size_t n_headers, const char *amz_date, int64_t expires_s,
                  struct buf *out);

/* "YYYYMMDDThhmmssZ" for unix seconds; out holds 17 bytes. */
void sigv4_amz_date(int64_t unix_s, char out[static 17]);
/* Hex SHA-256 of f from its current position to EOF; rewinds f after.
 * 0 on success, -1 on a read error. */
int sigv4_sha256_file(FILE *f, char out[static 65]);

#endif
