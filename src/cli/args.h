/* args.h — the CLI's argument parser: positionals and long/short options
 * checked against per-command option tables, with no global state.
 *
 * Invariant: options are kept in the order given, so a command can read
 * pairs whose meaning depends on order (video create's --image ... --role). */
#ifndef PORTICO_CLI_ARGS_H
#define PORTICO_CLI_ARGS_H
#include <stddef.h>

#define CLI_ARGS_MAX 128

struct cli_opt {
    const char *name;   /* long name without dashes: "timeout" */
    char shortname;     /* 'o' for -o, or 0 */
    int takes_value;    /* 1: --name VALUE or --name=VALUE */
    const char *value_name; /* shown in help: "SECONDS" */
    const char *help;
};

struct cli_opt_value {
    const struct cli_opt *opt;
    const char *value; /* NULL for a flag */
};

struct cli_args {
    int npos;
    const char *pos[CLI_ARGS_MAX];
    int nopt;
    struct cli_opt_value opts[CLI_ARGS_MAX];
};

/* Parses argv[0..argc) against tables (a NULL-terminated list of option
 * arrays, each ending with a {NULL} row). "--" ends the options; a lone "-"
 * is a positional. 0, or -1 with a one-line reason in err. */
int cli_args_parse(int argc, char *const *argv, const struct cli_opt *const *tables, struct cli_args *a, char *err,
                   size_t errlen);
/* The last value given for an option, or NULL. */
const char *cli_args_value(const struct cli_args *a, const char *name);
/* How many times an option was given. */
int cli_args_count(const struct cli_args *a, const char *name);
/* Parses a decimal integer in [min, max]; 0 or -1. */
int cli_parse_long(const char *s, long min, long max, long *out);
/* "asset-..." becomes "asset://asset-..."; URLs and asset:// pass as is.
 * out holds at least 2100 bytes; 0, or -1 for anything else. */
int cli_media_ref(const char *s, char *out, size_t outlen);

#endif
