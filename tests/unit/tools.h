/* tools.h — for unit tests that pin a parser with files made by independent
 * tools (ImageMagick, cwebp, heif-enc, ffmpeg from Debian's packages, see
 * tools/deps.sh): run a tool quietly, ask whether one is installed, read a
 * whole file. Header-only: each unit test is one translation unit. */
#ifndef PORTICO_TEST_TOOLS_H
#define PORTICO_TEST_TOOLS_H
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Runs a printf-formatted shell command with its output discarded; its
 * status (0 = success), -1 when the command does not fit. */
static int tool_run(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static int tool_run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(cmd, sizeof cmd - 32, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof cmd - 32)
        return -1;
    strcat(cmd, " >/dev/null 2>&1");
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "  tool failed (%d): %s\n", rc, cmd);
    return rc;
}

/* 1 when name is a command on PATH. */
static __attribute__((unused)) int tool_have(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* The whole file, malloc'd (size in *n); NULL if it cannot be read or is empty. */
static __attribute__((unused)) uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    uint8_t *p = NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && (p = malloc((size_t)st.st_size)) != NULL &&
        fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(p);
        p = NULL;
    }
    if (p)
        *n = (size_t)st.st_size;
    fclose(f);
    return p;
}

#endif
