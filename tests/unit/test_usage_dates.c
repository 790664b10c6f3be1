/* test_usage_dates.c — the dates and times of the operators' reads
 * (core/usage.c, core/audit.c): GetUsage's From/To as real UTC calendar
 * dates, ListAuditEvents' RFC 3339 times. */
#include <string.h>

#include "check.h"
#include "core/core.h"

static void test_usage_days_are_real_calendar_dates(void)
{
    CHECK(core_usage_day("1970-01-01") == 0);
    CHECK(core_usage_day("2024-10-04") == 20000);
    CHECK(core_usage_day("2024-02-29") == core_usage_day("2024-02-28") + 1); /* a leap day */
    const char *bad[] = {"2023-02-29", "2026-02-30", "2026-13-01", "2026-00-10", "2026-04-31", "1969-12-31",
                         "2026-1-01", "2026/01/01", "20260101", "2026-01-01 ", "", "2026-01-0a", "+026-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(core_usage_day(bad[i]) == -1);
    CHECK(core_usage_day(NULL) == -1);
    char out[11];
    core_usage_date(20000, out);
    CHECK_STR(out, "2024-10-04");
    for (int64_t d = 0; d < 40000; d += 97) { /* back and forth */
        core_usage_date(d, out);
        CHECK(core_usage_day(out) == d);
    }
}

static void test_audit_times_are_rfc3339_utc(void)
{
    int64_t day = 20000LL * 86400000;
    CHECK(core_parse_time("2024-10-04") == day);
    CHECK(core_parse_time("2024-10-04T00:00:00Z") == day);
    CHECK(core_parse_time("2024-10-04T01:02:03Z") == day + 3723000);
    CHECK(core_parse_time("2024-10-04T01:02:03.5Z") == day + 3723500);
    CHECK(core_parse_time("2024-10-04T01:02:03.123456+00:00") == day + 3723123);
    CHECK(core_parse_time("2024-10-04t01:02:03z") == day + 3723000);
    const char *bad[] = {"2024-10-04T01:02:03", "2024-10-04T01:02:03+08:00", "2024-10-04T24:00:00Z",
                         "2024-10-04T01:60:00Z", "2024-10-04T01:02:03.Z", "2024-10-04 01:02:03Z",
                         "2024-10-32T00:00:00Z", "yesterday", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(core_parse_time(bad[i]) == -1);
}

int main(void)
{
    RUN(test_usage_days_are_real_calendar_dates);
    RUN(test_audit_times_are_rfc3339_utc);
    return check_summary();
}
