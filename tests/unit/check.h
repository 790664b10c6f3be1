/* check.h — the unit tests' whole framework. Each test file is a program:
 *   static void test_x(void) { CHECK(a == b); CHECK_STR(s, "abc"); }
 *   int main(void) { RUN(test_x); return check_summary(); }
 * It prints "ok NAME" or "FAIL NAME: where" per test, and the runner
 * (tests/run.py) counts those lines. */
#ifndef PORTICO_CHECK_H
#define PORTICO_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failed_now, check_passed, check_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            check_failed_now = 1;                                                    \
        }                                                                            \
    } while (0)

#define CHECK_STR(a, b)                                                                     \
    do {                                                                                    \
        const char *check_a_ = (a), *check_b_ = (b);                                        \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                    \
            fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,              \
                    check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");        \
            check_failed_now = 1;                                                           \
        }                                                                                   \
    } while (0)

#define RUN(fn)                                       \
    do {                                              \
        check_failed_now = 0;                         \
        fn();                                         \
        if (check_failed_now) {                       \
            printf("FAIL %s\n", #fn);                 \
            check_failed++;                           \
        } else {                                      \
            printf("ok %s\n", #fn);                   \
            check_passed++;                           \
        }                                             \
        fflush(stdout);                               \
    } while (0)

static inline int check_summary(void)
{
    return check_failed ? 1 : 0;
}

#endif
