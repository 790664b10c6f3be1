/* cmd_wait.c — portico wait, and the wait that upload --wait and assets
 * add --wait share: WaitAsset (API.md §4a), which the gateway answers as
 * soon as the asset settles, repeated on its timeouts until each asset is
 * Active or Failed or the wait's own timeout; against a gateway without
 * WaitAsset (InvalidAction), GetAsset at the documented pace (every 3 s).
 *
 * On a terminal a board on stderr shows every asset with a spinner and the
 * time waited; otherwise one plain line per asset as it settles. A 429 or
 * 503 answer is waited out like Processing; any other error ends the wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/table.h"
#include "util/clock.h"

#define DRAW_MS 100

struct waiting {
    const char *id;
    json_t *asset;   /* last WaitAsset (or GetAsset) Result */
    char *raw;       /* its body */
    int done;        /* Active, Failed, or an error */
    int error;
};

long cli_timeout_arg(struct cli_ctx *c, const struct cli_args *a, long dflt)
{
    const char *v = cli_args_value(a, "timeout");
    long t = dflt;
    if (v && cli_parse_long(v, 1, 86400, &t) != 0) {
        cli_usage_error(c->cmd, "--timeout must be a number of seconds from 1 to 86400");
        return -1;
    }
    return t;
}

void cli_poll_sleep(struct cli_ctx *c, int64_t ms)
{
    (void)c;
    clock_sleep_ms(ms);
}

static int transient(const struct cli_reply *r)
{
    return r->code && (!strcmp(r->code, "TooManyRequests") || !strcmp(r->code, "ServiceUnavailable"));
}

static void draw(struct cli_board *b, const struct waiting *w, int n, unsigned tick, int64_t waited_ms)
{
    struct buf t;
    buf_init(&t, 1 << 20);
    for (int i = 0; i < n; i++) {
        const char *status = w[i].asset ? cli_str(w[i].asset, "UpstreamStatus") : "";
        if (!w[i].done)
            buf_printf(&t, "%s %s  %s  %llds\n", cli_spinner(tick), w[i].id, *status ? status : "...",
                       (long long)(waited_ms / 1000));
        else if (w[i].error)
            buf_printf(&t, "\xe2\x9c\x98 %s  error\n", w[i].id);
        else if (!strcmp(status, "Active"))
            buf_printf(&t, "\xe2\x9c\x94 %s  Active\n", w[i].id);
        else {
            buf_printf(&t, "\xe2\x9c\x98 %s  Failed: ", w[i].id);
            cli_text_sanitise(&t, cli_str(w[i].asset, "FailureReason"));
            buf_puts(&t, "\n");
        }
    }
    cli_board_draw(b, t.data ? t.data : "");
    buf_free(&t);
}

/* The longest single WaitAsset (API.md: TimeoutSeconds 1-30); on a
 * terminal 1 s, so that the board keeps turning. */
#define WAIT_ASSET_MAX_S 30

/* One WaitAsset (wait_s > 0) or GetAsset for w; 0 normally, -1 when the
 * wait must end for it, 1 after a transient refusal (429, 503), 2 when the
 * gateway has no WaitAsset (then *wait_s becomes 0: poll from now on). */
static int poll_one(struct cli_ctx *c, struct waiting *w, struct cli_board *board, long *wait_s)
{
    struct cli_reply r;
    int rc = *wait_s > 0 ? cli_action(c, "WaitAsset", json_pack("{s:s, s:i}", "Id", w->id, "TimeoutSeconds",
                                                                (int)*wait_s), &r)
                         : cli_action(c, "GetAsset", json_pack("{s:s}", "Id", w->id), &r);
    if (rc != 0 && *wait_s > 0 && r.code && !strcmp(r.code, "InvalidAction")) {
        cli_reply_free(&r);
        *wait_s = 0;
        return 2;
    }
    if (rc != 0) {
        int keep = transient(&r);
        if (!keep) {
            cli_board_keep(board); /* the message goes below what is drawn */
            cli_fail(c, &r);
            w->done = w->error = 1;
        }
        cli_reply_free(&r);
        return keep ? 1 : -1;
    }
    json_decref(w->asset);
    w->asset = json_incref(r.result);
    free(w->raw);
    w->raw = buf_take(&r.http.body);
    const char *s = cli_str(w->asset, "UpstreamStatus");
    if (!strcmp(s, "Active") || !strcmp(s, "Failed")) {
        w->done = 1;
        if (!c->tty_err) {
            fprintf(stderr, "%s %s", w->id, s);
            if (!strcmp(s, "Failed")) {
                fprintf(stderr, ": %s", cli_str(w->asset, "FailureReason"));
                json_t *error = json_object_get(w->asset, "Error"); /* the upstream's code, verbatim */
                if (json_is_object(error))
                    fprintf(stderr, " (%s)", cli_str(error, "Code"));
            }
            fputc('\n', stderr);
        }
    }
    cli_reply_free(&r);
    return 0;
}

enum cli_status cli_wait_assets(struct cli_ctx *c, const char *const *ids, int n, long timeout_s, json_t **finals,
                                char **raws)
{
    struct waiting *w = calloc((size_t)n, sizeof *w);
    if (!w)
        return CLI_ERR_API;
    for (int i = 0; i < n; i++)
        w[i].id = ids[i];
    struct cli_board board = {0};
    int64_t start = clock_mono_ms(), deadline = start + timeout_s * 1000;
    unsigned tick = 0;
    int left = n;
    long wait_s = 1; /* 0 once the gateway turns out to have no WaitAsset */
    for (;;) {
        int pause = 0; /* poll at the documented pace before the next round */
        for (int i = 0; i < n; i++) {
            if (w[i].done)
                continue;
            int64_t rest = deadline - clock_mono_ms();
            if (wait_s > 0)
                wait_s = c->tty_err || rest < 1000 ? 1 : rest / 1000 > WAIT_ASSET_MAX_S ? WAIT_ASSET_MAX_S : rest / 1000;
            int r = poll_one(c, &w[i], &board, &wait_s);
            if (r == 2) /* no WaitAsset here: the same asset again, by GetAsset */
                r = poll_one(c, &w[i], &board, &wait_s);
            pause |= r == 1 || wait_s == 0;
        }
        left = 0;
        for (int i = 0; i < n; i++)
            left += !w[i].done;
        int64_t now = clock_mono_ms();
        if (c->tty_err)
            draw(&board, w, n, tick++, now - start);
        if (left == 0 || now >= deadline)
            break;
        if (!pause)
            continue; /* WaitAsset did the waiting */
        /* The pace is per round of polls; on a terminal the spinner turns
         * in between. */
        int64_t next = now + c->poll_ms;
        if (next > deadline)
            next = deadline;
        while ((now = clock_mono_ms()) < next) {
            int64_t step = next - now < DRAW_MS ? next - now : DRAW_MS;
            cli_poll_sleep(c, step);
            if (c->tty_err)
                draw(&board, w, n, tick++, clock_mono_ms() - start);
        }
    }
    enum cli_status st = CLI_OK;
    if (left) {
        fprintf(stderr, "portico: still waiting after %ld s for:", timeout_s);
        for (int i = 0; i < n; i++)
            if (!w[i].done)
                fprintf(stderr, " %s", w[i].id);
        fputs(" (raise --timeout to wait longer)\n", stderr);
    }
    for (int i = 0; i < n; i++) {
        if (!w[i].done || w[i].error || strcmp(cli_str(w[i].asset, "UpstreamStatus"), "Active") != 0)
            st = CLI_ERR_API;
        if (finals)
            finals[i] = w[i].asset;
        else
            json_decref(w[i].asset);
        if (raws)
            raws[i] = w[i].raw;
        else
            free(w[i].raw);
    }
    free(w);
    return st;
}

enum cli_status cmd_wait(struct cli_ctx *c, const struct cli_args *a)
{
    long timeout = cli_timeout_arg(c, a, 120);
    if (timeout < 0)
        return CLI_ERR_USAGE;
    int n = a->npos;
    json_t **finals = calloc((size_t)n, sizeof *finals);
    char **raws = calloc((size_t)n, sizeof *raws);
    if (!finals || !raws) {
        free(finals);
        free(raws);
        return CLI_ERR_API;
    }
    enum cli_status st = cli_wait_assets(c, a->pos, n, timeout, finals, raws);
    struct cli_table t;
    static const char *const hdr[] = {"ID", "STATUS", "FAILURE"};
    cli_table_init(&t, 3, hdr);
    for (int i = 0; i < n; i++) {
        if (c->json && raws[i]) {
            cli_out(raws[i], strlen(raws[i]));
            cli_out("\n", 1);
        }
        const char *row[] = {a->pos[i], finals[i] ? cli_str(finals[i], "UpstreamStatus") : "unknown",
                             finals[i] ? cli_str(finals[i], "FailureReason") : ""};
        cli_table_add(&t, row);
        json_decref(finals[i]);
        free(raws[i]);
    }
    if (!c->json)
        cli_table_print(&t, 16u << 20);
    cli_table_free(&t);
    free(finals);
    free(raws);
    return st;
}
