/* test_clock.c — util/clock.c: the hand-rolled RFC 3339 formatter writes
 * exactly what gmtime_r + strftime write, at every kind of date; so does
 * the HTTP Date formatter. */
#include <stdint.h>
#include <time.h>

#include "check.h"
#include "util/clock.h"

static void reference(int64_t wall_ms, char out[21])
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int same(int64_t wall_ms)
{
    char got[21], want[21];
    reference(wall_ms, want);
    clock_rfc3339(wall_ms, got);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "  %lld: %s != %s\n", (long long)wall_ms, got, want);
        return 0;
    }
    return 1;
}

static void test_rfc3339_known_dates(void)
{
    char out[21];
    clock_rfc3339(0, out);
    CHECK_STR(out, "1970-01-01T00:00:00Z");
    clock_rfc3339(1764074115999, out);
    CHECK_STR(out, "2025-11-25T12:35:15Z");
    clock_rfc3339(951782400000, out); /* a leap day in a century leap year */
    CHECK_STR(out, "2000-02-29T00:00:00Z");
    clock_rfc3339(253402300799000, out);
    CHECK_STR(out, "9999-12-31T23:59:59Z");
}

static void test_rfc3339_matches_strftime(void)
{
    /* every day boundary and a spread of times across 1970..2400, the
     * edges of the fast range, and times before 1970 (after 9999 neither
     * fits 21 bytes: strftime leaves the buffer undefined) */
    int ok = 1;
    for (int64_t d = 0; d < 157000 && ok; d += d < 20000 ? 1 : 7) /* every day to 2024, then weekly */
        ok = same(d * 86400000 + (d * 7919 % 86400) * 1000) && same(d * 86400000 - 1) && same(d * 86400000);
    const int64_t edges[] = {-1, -999, -1000, -86400001, -2208988800000, 253402300799999};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        ok = ok && same(edges[i]);
    CHECK(ok);
}

static void test_http_date_matches_strftime(void)
{
    char out[30], want[64];
    clock_http_date(1764074115, out);
    CHECK_STR(out, "Tue, 25 Nov 2025 12:35:15 GMT");
    int ok = 1;
    for (int64_t d = 0; d < 157000 && ok; d += d < 20000 ? 1 : 7) {
        time_t t = (time_t)(d * 86400 + d * 7919 % 86400);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm); /* the C locale's names */
        clock_http_date((int64_t)t, out);
        if (strcmp(out, want) != 0) {
            fprintf(stderr, "  %lld: %s != %s\n", (long long)t, out, want);
            ok = 0;
        }
    }
    CHECK(ok);
}

int main(void)
{
    RUN(test_rfc3339_known_dates);
    RUN(test_rfc3339_matches_strftime);
    RUN(test_http_date_matches_strftime);
    return check_summary();
}
