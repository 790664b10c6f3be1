/* clock.c — see clock.h. */
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

static int64_t ms_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
    return ms_of(CLOCK_MONOTONIC);
}

int64_t clock_wall_ms(void)
{
    return ms_of(CLOCK_REALTIME);
}

static void digits(char *p, unsigned v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Every record, log line and response carries a date: worked out with
 * integers (days to civil date, H. Hinnant's algorithm) rather than
 * gmtime_r and strftime, which take the time zone lock. For s in
 * 0..253402300799 (years 1970..9999). */
struct civil {
    unsigned y, m, d, wday, hh, mm, ss;
};

static struct civil civil_of(int64_t s)
{
    int64_t days = s / 86400, sec = s % 86400;
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    struct civil c;
    c.d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    c.m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    c.y = (unsigned)(yoe + era * 400 + (c.m <= 2));
    c.wday = (unsigned)((days + 4) % 7); /* 1970-01-01 was a Thursday */
    c.hh = (unsigned)(sec / 3600);
    c.mm = (unsigned)(sec / 60 % 60);
    c.ss = (unsigned)(sec % 60);
    return c;
}

#define CIVIL_MAX_S 253402300799LL

/* "hh:mm:ss", as both formats below write the time of day (no NUL). */
static void time_of_day(char out[static 8], const struct civil *c)
{
    digits(out, c->hh, 2);
    out[2] = ':';
    digits(out + 3, c->mm, 2);
    out[5] = ':';
    digits(out + 6, c->ss, 2);
}

/* Years outside 1970..9999 go the slow way, with the same result. */
void clock_rfc3339(int64_t wall_ms, char out[static 21])
{
    int64_t s = wall_ms / 1000;
    if (s < 0 || s > CIVIL_MAX_S) {
        time_t t = (time_t)s;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return;
    }
    struct civil c = civil_of(s);
    digits(out, c.y, 4);
    out[4] = '-';
    digits(out + 5, c.m, 2);
    out[7] = '-';
    digits(out + 8, c.d, 2);
    out[10] = 'T';
    time_of_day(out + 11, &c);
    out[19] = 'Z';
    out[20] = '\0';
}

void clock_http_date(int64_t wall_s, char out[static 30])
{
    static const char wdays[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct civil c = civil_of(wall_s < 0 ? 0 : wall_s > CIVIL_MAX_S ? CIVIL_MAX_S : wall_s);
    memcpy(out, wdays + 3 * c.wday, 3);
    memcpy(out + 3, ", ", 2);
    digits(out + 5, c.d, 2);
    out[7] = ' ';
    memcpy(out + 8, months + 3 * (c.m - 1), 3);
    out[11] = ' ';
    digits(out + 12, c.y, 4);
    out[16] = ' ';
    time_of_day(out + 17, &c);
    memcpy(out + 25, " GMT", 5);
}

void clock_compact(int64_t wall_ms, char out[static 15])
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

void clock_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

struct timespec clock_deadline(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ms < 0)
        ms = 0;
    int64_t ns = (int64_t)ts.tv_nsec + (ms % 1000) * 1000000;
    ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

int clock_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    int r = pthread_condattr_init(&ca);
    if (r != 0)
        return r;
    r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (r == 0)
        r = pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
    return r;
}
