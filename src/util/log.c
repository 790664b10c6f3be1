/* log.c — see log.h. */
#include "util/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* One write(2) per line keeps lines from different threads whole. */
static void log_line_fd(int fd, const char *json)
{
    char line[4096];
    int len = snprintf(line, sizeof line, "%s\n", json);
    if (len > 0)
        write_all(fd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

void log_msg(const char *level, const char *fmt, ...)
{
    char msg[1024], when[21];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    clock_rfc3339(clock_wall_ms(), when);
    json_t *o = json_pack("{s:s, s:s, s:s}", "time", when, "level", level, "msg", msg);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s)
        log_line_fd(STDERR_FILENO, s);
    free(s);
    json_decref(o);
}

void log_write_lines(const char *lines, size_t n)
{
    write_all(STDOUT_FILENO, lines, n);
}

void log_line(const char *json)
{
    log_line_fd(STDOUT_FILENO, json);
}
