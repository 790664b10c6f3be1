/* crypto.c — see crypto.h. */
#include "util/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* OpenSSL 3 looks an algorithm up by name on every EVP_sha256() use unless
 * it is fetched once; the key check and request signing are hot paths. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Each thread keeps one digest context for crypto_sha256: a new context
 * per call (EVP_Digest) costs more than hashing an API key. */
static pthread_key_t sha256_ctx_key;
static int sha256_ctx_key_ok;

static void sha256_ctx_free(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    sha256_ctx_key_ok = pthread_key_create(&sha256_ctx_key, sha256_ctx_free) == 0;
}

static const EVP_MD *sha256(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_md ? sha256_md : EVP_sha256();
}

void crypto_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    const EVP_MD *md = sha256();
    EVP_MD_CTX *ctx = sha256_ctx_key_ok ? pthread_getspecific(sha256_ctx_key) : NULL;
    if (!ctx && sha256_ctx_key_ok && (ctx = EVP_MD_CTX_new()) != NULL &&
        pthread_setspecific(sha256_ctx_key, ctx) != 0) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    if (!ctx || EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, data, len) != 1 ||
        EVP_DigestFinal_ex(ctx, out, &n) != 1)
        EVP_Digest(data, len, out, &n, md, NULL);
}

void crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    HMAC(sha256(), key, (int)key_len, data, len, out, &n);
}

int crypto_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void crypto_hex(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void crypto_sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t d[32];
    crypto_sha256(data, len, d);
    crypto_hex(d, 32, out);
}

/* Constant time in the contents (only len decides the work), eight bytes
 * at a time: CRYPTO_memcmp goes byte by byte, and this runs on every
 * request (the key memo, the key cache). The empty asm keeps the compiler
 * from learning anything of d it could stop early on. */
int crypto_equal(const void *a, const void *b, size_t len)
{
    const unsigned char *x = a, *y = b;
    uint64_t d = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t u, v;
        memcpy(&u, x + i, 8);
        memcpy(&v, y + i, 8);
        d |= u ^ v;
        __asm__("" : "+r"(d));
    }
    for (; i < len; i++) {
        d |= (uint64_t)(x[i] ^ y[i]);
        __asm__("" : "+r"(d));
    }
    return d == 0;
}

int crypto_random(void *out, size_t len)
{
    return RAND_bytes(out, (int)len) == 1 ? 0 : -1;
}

struct crypto_sha256_stream *crypto_sha256_begin(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return (struct crypto_sha256_stream *)ctx;
}

void crypto_sha256_update(struct crypto_sha256_stream *s, const void *p, size_t n)
{
    EVP_DigestUpdate((EVP_MD_CTX *)s, p, n);
}

void crypto_sha256_end(struct crypto_sha256_stream *s, char out[65])
{
    uint8_t d[32];
    unsigned int n = 32;
    EVP_DigestFinal_ex((EVP_MD_CTX *)s, d, &n);
    crypto_hex(d, 32, out);
    EVP_MD_CTX_free((EVP_MD_CTX *)s);
}

void crypto_sha256_free(struct crypto_sha256_stream *s)
{
    EVP_MD_CTX_free((EVP_MD_CTX *)s);
}
