/* config.c — where the gateway is and which key to use: --url/--key over
 * PORTICO_URL/PORTICO_API_KEY over the default; plus the small output
 * helpers every command uses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/table.h"

/* A base URL without its trailing slashes, so paths can be appended. */
static char base_url[2048];

enum cli_status cli_config_resolve(struct cli_ctx *c, const struct cli_args *a, int needs_key)
{
    const char *url = cli_args_value(a, "url"), *key = cli_args_value(a, "key");
    if (!url || !*url)
        url = getenv("PORTICO_URL");
    if (!url || !*url)
        url = CLI_DEFAULT_URL;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        fprintf(stderr, "portico: the gateway URL must start with http:// or https:// (got %.200s)\n", url);
        return CLI_ERR_USAGE;
    }
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    if (n >= sizeof base_url) {
        fprintf(stderr, "portico: the gateway URL is too long\n");
        return CLI_ERR_USAGE;
    }
    memcpy(base_url, url, n);
    base_url[n] = '\0';
    c->url = base_url;
    if (!key || !*key)
        key = getenv("PORTICO_API_KEY");
    if (needs_key && (!key || !*key)) {
        fprintf(stderr, "portico: no API key: set PORTICO_API_KEY or pass --key "
                        "(the gateway's operator issues one with `porticod keys create --customer NAME`)\n");
        return CLI_ERR_USAGE;
    }
    if (key && strpbrk(key, "\r\n")) {
        fprintf(stderr, "portico: the API key must be one line\n");
        return CLI_ERR_USAGE;
    }
    c->key = key;
    return CLI_OK;
}

enum cli_status cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("portico: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (cmd && cmd->name)
        fprintf(stderr, "usage: portico %s %s %s\nRun 'portico %s %s --help' for its options and examples.\n",
                cmd->group, cmd->name, cmd->args, cmd->group, cmd->name);
    else if (cmd)
        fprintf(stderr, "usage: portico %s %s\nRun 'portico %s --help' for its options and examples.\n", cmd->group,
                cmd->args, cmd->group);
    else
        fputs("Run 'portico help' for the commands.\n", stderr);
    return CLI_ERR_USAGE;
}

void cli_out(const char *text, size_t len)
{
    fwrite(text, 1, len, stdout);
}

void cli_table_print(const struct cli_table *t, size_t limit)
{
    struct buf out;
    buf_init(&out, limit);
    cli_table_render(t, &out);
    cli_out(out.data ? out.data : "", out.len);
    buf_free(&out);
}

void cli_kv_print(const char *const *pairs)
{
    struct buf out;
    buf_init(&out, 1 << 20);
    cli_kv_render(&out, pairs);
    cli_out(out.data ? out.data : "", out.len);
    buf_free(&out);
}
