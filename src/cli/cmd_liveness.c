/* cmd_liveness.c — portico liveness start|result (API.md §2 LivenessFace):
 * a session's H5Link printed and drawn as a QR code for a phone, then
 * optionally GetVisualValidateResult at the poll pace until the scan ends.
 *
 * The QR code goes to stdout only when stdout is a terminal: piped, the
 * output is the plain key/value lines (or the JSON) a script can read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/qr.h"
#include "cli/table.h"
#include "util/clock.h"

/* Tokens live about 120 s (API.md); a gateway that never says TokenExpired
 * must not keep the CLI forever. */
#define LIVENESS_MAX_WAIT_MS (15 * 60 * 1000)
#define RESTART_HINT "run `portico liveness start` again for a new link"

static int is_code(const struct cli_reply *r, const char *code)
{
    return r->code && strcmp(r->code, code) == 0;
}

/* Success or a final failure of GetVisualValidateResult, human or JSON. */
static enum cli_status report_result(struct cli_ctx *c, struct cli_reply *r)
{
    if (r->result) {
        if (c->json) {
            cli_print_raw(r);
        } else {
            const char *pairs[] = {"GroupId", cli_str(r->result, "GroupId"), "GroupType",
                                   cli_str(r->result, "GroupType"), NULL};
            cli_kv_print(pairs);
        }
        return CLI_OK;
    }
    enum cli_status st = cli_fail(c, r);
    if (is_code(r, "TokenExpired"))
        fprintf(stderr, "portico: the link expired before the face scan was completed; " RESTART_HINT "\n");
    else if (is_code(r, "InvalidToken"))
        fprintf(stderr, "portico: this token can no longer make a group; " RESTART_HINT "\n");
    return st;
}

static enum cli_status wait_scan(struct cli_ctx *c, const char *token)
{
    struct cli_board board = {0};
    int64_t start = clock_mono_ms();
    unsigned tick = 0;
    if (!c->tty_err)
        fprintf(stderr, "waiting for the face scan...\n");
    for (;;) {
        struct cli_reply r;
        int rc = cli_action(c, "GetVisualValidateResult", json_pack("{s:s}", "BytedToken", token), &r);
        int pending = rc != 0 && (is_code(&r, "ValidatePending") || is_code(&r, "TooManyRequests") ||
                                  is_code(&r, "ServiceUnavailable"));
        if (!pending) {
            if (c->tty_err)
                cli_board_draw(&board, rc == 0 ? "\xe2\x9c\x94 face scan passed\n" : "\xe2\x9c\x98 face scan ended\n");
            enum cli_status st = report_result(c, &r);
            cli_reply_free(&r);
            return st;
        }
        cli_reply_free(&r);
        if (clock_mono_ms() - start > LIVENESS_MAX_WAIT_MS) {
            fprintf(stderr, "portico: no answer from the face scan in %d minutes; " RESTART_HINT "\n",
                    LIVENESS_MAX_WAIT_MS / 60000);
            return CLI_ERR_API;
        }
        int64_t next = clock_mono_ms() + c->poll_ms, now;
        while ((now = clock_mono_ms()) < next) {
            if (c->tty_err) {
                char line[128];
                snprintf(line, sizeof line, "%s waiting for the face scan  %llds\n", cli_spinner(tick++),
                         (long long)((now - start) / 1000));
                cli_board_draw(&board, line);
            }
            clock_sleep_ms(next - now < 100 ? next - now : 100);
        }
    }
}

enum cli_status cmd_liveness_start(struct cli_ctx *c, const struct cli_args *a)
{
    const char *cb = cli_args_value(a, "callback");
    int wait = cli_args_value(a, "wait") != NULL;
    struct cli_reply r;
    json_t *body = cb ? json_pack("{s:s}", "CallbackURL", cb) : json_object();
    enum cli_status st = cli_action_or_fail(c, "CreateVisualValidateSession", body, &r);
    if (st != CLI_OK)
        return st;
    const char *link = cli_str(r.result, "H5Link");
    char *token = strdup(cli_str(r.result, "BytedToken"));
    if (c->json) {
        cli_print_raw(&r);
    } else {
        const char *cbu = cli_str(r.result, "CallbackURL");
        const char *pairs[] = {"H5Link", link, "BytedToken", token ? token : "", "ExpireTime",
                               cli_str(r.result, "ExpireTime"), "CallbackURL", *cbu ? cbu : NULL, NULL};
        cli_kv_print(pairs);
        if (c->tty_out) {
            struct buf qr;
            buf_init(&qr, 1 << 20);
            if (cli_qr_text(link, &qr) == 0) {
                printf("\nScan with a phone to open the face scan:\n\n");
                cli_out(qr.data, qr.len);
            }
            buf_free(&qr);
        }
        if (!wait && c->tty_out)
            printf("\nThen run: portico liveness result %s\n", token ? token : "");
    }
    fflush(stdout);
    cli_reply_free(&r);
    st = !token ? CLI_ERR_API : wait ? wait_scan(c, token) : CLI_OK;
    free(token);
    return st;
}

enum cli_status cmd_liveness_result(struct cli_ctx *c, const struct cli_args *a)
{
    struct cli_reply r;
    cli_action(c, "GetVisualValidateResult", json_pack("{s:s}", "BytedToken", a->pos[0]), &r);
    enum cli_status st = report_result(c, &r);
    cli_reply_free(&r);
    return st;
}
