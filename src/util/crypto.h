/* crypto.h — the few primitives Portico needs, over OpenSSL's libcrypto:
 * SHA-256, HMAC-SHA256, hex, constant-time compare, secure random bytes. */
#ifndef PORTICO_CRYPTO_H
#define PORTICO_CRYPTO_H
#include <stddef.h>
#include <stdint.h>

void crypto_sha256(const void *data, size_t len, uint8_t out[32]);
void crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t out[32]);
/* The value of one hex digit (either case), or -1. */
int crypto_hex_digit(int c);
/* Writes 2*len lowercase hex digits and a NUL. */
void crypto_hex(const uint8_t *in, size_t len, char *out);
/* Lowercase hex SHA-256 of data; out holds 65 bytes. */
void crypto_sha256_hex(const void *data, size_t len, char out[65]);
/* 1 when equal; time depends only on len. */
int crypto_equal(const void *a, const void *b, size_t len);
/* Fills out with cryptographically secure random bytes; 0 on success. */
int crypto_random(void *out, size_t len);

/* SHA-256 over bytes that arrive in pieces (a streamed upload). begin
 * returns NULL when out of memory; end writes the hex digest and frees. */
struct crypto_sha256_stream;
struct crypto_sha256_stream *crypto_sha256_begin(void);
void crypto_sha256_update(struct crypto_sha256_stream *s, const void *p, size_t n);
void crypto_sha256_end(struct crypto_sha256_stream *s, char out[65]);
/* Frees without a digest; NULL-safe. */
void crypto_sha256_free(struct crypto_sha256_stream *s);

#endif
