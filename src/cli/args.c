/* args.c — option parsing for the portico CLI; see args.h. Pure: no I/O. */
#include "cli/args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt *find_long(const struct cli_opt *const *tables, const char *name, size_t len)
{
    for (size_t t = 0; tables[t]; t++)
        for (const struct cli_opt *o = tables[t]; o->name; o++)
            if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                return o;
    return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *const *tables, char c)
{
    for (size_t t = 0; tables[t]; t++)
        for (const struct cli_opt *o = tables[t]; o->name; o++)
            if (o->shortname && o->shortname == c)
                return o;
    return NULL;
}

static int add_opt(struct cli_args *a, const struct cli_opt *o, const char *value, char *err, size_t errlen)
{
    if (a->nopt >= CLI_ARGS_MAX) {
        snprintf(err, errlen, "too many options");
        return -1;
    }
    a->opts[a->nopt].opt = o;
    a->opts[a->nopt].value = value;
    a->nopt++;
    return 0;
}

int cli_args_parse(int argc, char *const *argv, const struct cli_opt *const *tables, struct cli_args *a, char *err,
                   size_t errlen)
{
    memset(a, 0, sizeof *a);
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        const struct cli_opt *o = NULL;
        const char *value = NULL;
        if (only_pos || s[0] != '-' || s[1] == '\0') {
            if (a->npos >= CLI_ARGS_MAX) {
                snprintf(err, errlen, "too many arguments");
                return -1;
            }
            a->pos[a->npos++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (s[1] == '-') {
            const char *name = s + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(tables, name, len);
            if (!o) {
                snprintf(err, errlen, "unknown option --%.*s", (int)(len > 64 ? 64 : len), name);
                return -1;
            }
            if (eq && !o->takes_value) {
                snprintf(err, errlen, "option --%s takes no value", o->name);
                return -1;
            }
            value = eq ? eq + 1 : NULL;
        } else {
            o = s[2] == '\0' ? find_short(tables, s[1]) : NULL;
            if (!o) {
                snprintf(err, errlen, "unknown option %.64s", s);
                return -1;
            }
        }
        if (o->takes_value && !value) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option --%s needs a value", o->name);
                return -1;
            }
            value = argv[++i];
        }
        if (add_opt(a, o, value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

const char *cli_args_value(const struct cli_args *a, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < a->nopt; i++)
        if (strcmp(a->opts[i].opt->name, name) == 0)
            v = a->opts[i].value ? a->opts[i].value : "";
    return v;
}

int cli_args_count(const struct cli_args *a, const char *name)
{
    int n = 0;
    for (int i = 0; i < a->nopt; i++)
        n += strcmp(a->opts[i].opt->name, name) == 0;
    return n;
}

int cli_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int cli_media_ref(const char *s, char *out, size_t outlen)
{
    int n;
    if (strncmp(s, "asset://", 8) == 0 || strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0)
        n = snprintf(out, outlen, "%s", s);
    else if (strncmp(s, "asset-", 6) == 0)
        n = snprintf(out, outlen, "asset://%s", s);
    else
        return -1;
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
