/* test_buf.c — util/buf.c: an append past the limit (PayloadTooLarge to a
 * client) is told apart from running out of memory (not the client's
 * fault); both leave the contents as they were. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "util/buf.h"

/* ASan aborts on an impossible allocation instead of returning NULL
 * (allocator_may_return_null=0): the out-of-memory case runs without it. */
#if defined(__SANITIZE_ADDRESS__)
#define BUF_TEST_NOMEM 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUF_TEST_NOMEM 0
#endif
#endif
#ifndef BUF_TEST_NOMEM
#define BUF_TEST_NOMEM 1
#endif

static void test_buf_appends_up_to_its_limit(void)
{
    struct buf b;
    buf_init(&b, 8);
    CHECK(buf_append(&b, "abcd", 4) == BUF_OK);
    CHECK(buf_puts(&b, "efgh") == BUF_OK);
    CHECK(b.len == 8);
    CHECK_STR(b.data, "abcdefgh");
    buf_free(&b);
}

static void test_buf_append_past_limit_is_too_large(void)
{
    struct buf b;
    buf_init(&b, 8);
    CHECK(buf_puts(&b, "abcdef") == BUF_OK);
    CHECK(buf_append(&b, "xyz", 3) == BUF_TOO_LARGE);
    CHECK(buf_printf(&b, "%d", 123) == BUF_TOO_LARGE);
    CHECK(buf_append(&b, "x", SIZE_MAX) == BUF_TOO_LARGE); /* no overflow in the arithmetic */
    CHECK(b.len == 6);
    CHECK_STR(b.data, "abcdef");
    buf_free(&b);
}

static void test_buf_out_of_memory_is_not_too_large(void)
{
    struct buf b;
    buf_init(&b, SIZE_MAX / 2); /* a limit no allocation can reach */
    CHECK(buf_puts(&b, "abc") == BUF_OK);
    if (BUF_TEST_NOMEM) {
        char one = 'x';
        /* Within the limit, beyond any memory: realloc fails before a byte is read. */
        int r = buf_append(&b, &one, SIZE_MAX / 4);
        CHECK(r == BUF_NOMEM);
        CHECK(r != BUF_TOO_LARGE && r < 0); /* still "failed" to `if (buf_append(..))` and `< 0` callers */
    }
    CHECK(b.len == 3);
    CHECK_STR(b.data, "abc");
    buf_free(&b);
}

static void test_buf_take_hands_over_and_empties(void)
{
    struct buf b;
    buf_init(&b, 64);
    CHECK(buf_printf(&b, "%s-%d", "n", 7) == BUF_OK);
    char *s = buf_take(&b);
    CHECK_STR(s, "n-7");
    CHECK(b.data == NULL && b.len == 0);
    free(s);
    s = buf_take(&b);
    CHECK(s && s[0] == '\0');
    free(s);
}

int main(void)
{
    RUN(test_buf_appends_up_to_its_limit);
    RUN(test_buf_append_past_limit_is_too_large);
    RUN(test_buf_out_of_memory_is_not_too_large);
    RUN(test_buf_take_hands_over_and_empties);
    return check_summary();
}
