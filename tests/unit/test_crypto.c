/* test_crypto.c — crypto_equal: equal exactly when every byte is, at every
 * length and at every position of a difference (the word loop and the
 * byte tail), and the SHA-256 helpers against a published digest. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "util/crypto.h"

static void test_equal_every_length_and_position(void)
{
    unsigned char a[80], b[80];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof a; len++) {
        memcpy(b, a, sizeof a);
        CHECK(crypto_equal(a, b, len));
        for (size_t at = 0; at < len; at++) {
            for (int bit = 0; bit < 8; bit++) {
                b[at] ^= (unsigned char)(1u << bit);
                CHECK(!crypto_equal(a, b, len));
                b[at] ^= (unsigned char)(1u << bit);
            }
        }
        /* A difference past len does not count. */
        if (len < sizeof a) {
            b[len] ^= 0xff;
            CHECK(crypto_equal(a, b, len));
        }
    }
}

static void test_equal_unaligned(void)
{
    char buf[64];
    memset(buf, 'k', sizeof buf);
    CHECK(crypto_equal(buf + 1, buf + 3, 45));
    buf[40] = 'x';
    CHECK(!crypto_equal(buf + 1, buf + 3, 45));
}

static void test_sha256_known_digest(void)
{
    /* FIPS 180-2 appendix B.1: SHA-256("abc"). */
    uint8_t h[32];
    char hex[65];
    crypto_sha256("abc", 3, h);
    crypto_hex(h, 32, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
    RUN(test_equal_every_length_and_position);
    RUN(test_equal_unaligned);
    RUN(test_sha256_known_digest);
    return check_summary();
}
