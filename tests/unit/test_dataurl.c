/* test_dataurl.c — util/dataurl.c: base64 data: URLs as register_asset
 * takes them (API.md §4): decoded exactly, bounded before allocating,
 * and anything but strict base64 refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/dataurl.h"

static enum dataurl_result dec(const char *url, size_t max, uint8_t **out, size_t *n, char *type)
{
    char why[160];
    return dataurl_decode(url, max, type, 32, out, n, why, sizeof why);
}

static void test_dataurl_decodes_base64_exactly(void)
{
    uint8_t *b;
    size_t n;
    char type[32];
    CHECK(dec("data:image/PNG;base64,aGVsbG8=", 100, &b, &n, type) == DATAURL_OK);
    CHECK(n == 5 && memcmp(b, "hello", 5) == 0);
    CHECK_STR(type, "image/png");
    free(b);
    CHECK(dec("DATA:image/jpeg;name=x;base64,aGk=", 100, &b, &n, type) == DATAURL_OK);
    CHECK(n == 2 && memcmp(b, "hi", 2) == 0);
    CHECK_STR(type, "image/jpeg");
    free(b);
    CHECK(dec("data:;base64,AAECAw==", 100, &b, &n, type) == DATAURL_OK);
    CHECK(n == 4 && b[0] == 0 && b[3] == 3);
    CHECK_STR(type, "");
    free(b);
    CHECK(dec("data:image/png;base64,/+/+", 100, &b, &n, type) == DATAURL_OK);
    CHECK(n == 3 && b[0] == 0xff && b[1] == 0xef && b[2] == 0xfe);
    free(b);
}

static void test_dataurl_bounds_the_decoded_size(void)
{
    uint8_t *b = (uint8_t *)"x";
    size_t n = 9;
    /* 8 characters decode to 6 bytes: within 6, not within 5 */
    CHECK(dec("data:image/png;base64,aGVsbG8h", 6, &b, &n, NULL) == DATAURL_OK && n == 6);
    free(b);
    CHECK(dec("data:image/png;base64,aGVsbG8h", 5, &b, &n, NULL) == DATAURL_TOO_LARGE);
    CHECK(b == NULL && n == 0);
    /* 10 MiB + 1 decoded is refused before anything is allocated */
    size_t chars = (10u * 1024 * 1024 + 3) / 3 * 4;
    char *big = malloc(chars + 32);
    CHECK(big != NULL);
    strcpy(big, "data:image/png;base64,");
    memset(big + strlen(big), 'A', chars);
    big[22 + chars] = '\0';
    CHECK(dec(big, 10u * 1024 * 1024, &b, &n, NULL) == DATAURL_TOO_LARGE);
    free(big);
}

static void test_dataurl_refuses_anything_else(void)
{
    static const char *const bad[] = {
        "http://x/a.png",                     /* not data: */
        "data:image/png,hello",               /* not base64 */
        "data:image/png;base64",              /* no comma */
        "data:image/png;base64,",             /* no bytes */
        "data:image/png;base64,aGVsbG8",      /* not a multiple of 4 */
        "data:image/png;base64,aGV sbG8=",    /* a space */
        "data:image/png;base64,aGVs\nbG8=",   /* a newline */
        "data:image/png;base64,aG=sbG8=",     /* padding inside */
        "data:image/png;base64,a===",         /* too much padding */
        "data:image/png;base64,aGVsbG8_",     /* the URL-safe alphabet */
        "data:image/p ng;base64,aGVsbG8=",    /* a space in the type */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *b = (uint8_t *)"x";
        size_t n = 1;
        CHECK(dec(bad[i], 100, &b, &n, NULL) == DATAURL_INVALID);
        CHECK(b == NULL && n == 0);
    }
    CHECK(dataurl_is("Data:x") && !dataurl_is("dat") && !dataurl_is(NULL));
}

int main(void)
{
    RUN(test_dataurl_decodes_base64_exactly);
    RUN(test_dataurl_bounds_the_decoded_size);
    RUN(test_dataurl_refuses_anything_else);
    return check_summary();
}
