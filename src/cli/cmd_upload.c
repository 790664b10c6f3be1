/* cmd_upload.c — portico upload GROUP FILE...: each file to POST
 * /v1/portrait/upload (API.md §3), one after another, a progress bar per
 * file on a terminal (plain lines otherwise), then optionally a wait.
 *
 * Every file is checked readable before the first byte goes out, so a typo
 * in the fifth name does not leave four uploads behind. One file the
 * gateway refuses does not stop the others; the exit status says so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/table.h"
#include "util/clock.h"

#define BAR_COLS 24
#define NAME_MAX_CHARS 50 /* API.md: Name is at most 50 characters */

struct file_up {
    const char *path;
    char name[4 * NAME_MAX_CHARS + 1];
    int64_t size, sent;
    int state; /* 0 pending, 1 sending, 2 done, 3 failed */
    json_t *asset;
    char *raw;
};

struct upload_view {
    struct cli_ctx *c;
    struct file_up *f;
    int n;
    struct cli_board board;
    int64_t last_draw;
};

/* The default asset name: the file's base name, cut to 50 characters on a
 * UTF-8 boundary. */
static void default_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t i = 0, chars = 0;
    while (base[i] && chars < NAME_MAX_CHARS) {
        size_t len = 1;
        while ((base[i + len] & 0xC0) == 0x80)
            len++;
        if (i + len >= cap)
            break;
        i += len;
        chars++;
    }
    memcpy(out, base, i);
    out[i] = '\0';
}

static void draw(struct upload_view *v)
{
    struct buf t;
    buf_init(&t, 1 << 20);
    for (int i = 0; i < v->n; i++) {
        const struct file_up *f = &v->f[i];
        cli_bar_format(&t, f->name, f->state == 2 ? f->size : f->sent, f->size, BAR_COLS);
        if (f->state == 2)
            buf_printf(&t, "  %s", cli_str(f->asset, "Id"));
        else if (f->state == 3)
            buf_puts(&t, "  failed");
        buf_puts(&t, "\n");
    }
    cli_board_draw(&v->board, t.data ? t.data : "");
    buf_free(&t);
    v->last_draw = clock_mono_ms();
}

struct progress_arg {
    struct upload_view *v;
    struct file_up *f;
};

static void on_progress(void *arg, int64_t now, int64_t total)
{
    struct progress_arg *p = arg;
    /* The multipart body is a little larger than the file; the bar follows
     * the file's own size. */
    p->f->sent = now > p->f->size ? p->f->size : now;
    (void)total;
    if (clock_mono_ms() - p->v->last_draw >= 100)
        draw(p->v);
}

static void print_results(struct cli_ctx *c, struct file_up *f, int n)
{
    if (c->json) {
        for (int i = 0; i < n; i++)
            if (f[i].raw)
                printf("%s\n", f[i].raw);
        return;
    }
    static const char *const hdr[] = {"FILE", "ID", "NAME", "STATUS"};
    struct cli_table t;
    struct buf out;
    buf_init(&out, 16u << 20);
    cli_table_init(&t, 4, hdr);
    for (int i = 0; i < n; i++) {
        if (!f[i].asset)
            continue;
        const char *row[] = {f[i].path, cli_str(f[i].asset, "Id"), cli_str(f[i].asset, "Name"),
                             cli_str(f[i].asset, "UpstreamStatus")};
        cli_table_add(&t, row);
    }
    cli_table_render(&t, &out);
    cli_out(out.data ? out.data : "", out.len);
    buf_free(&out);
    cli_table_free(&t);
}

enum cli_status cmd_upload(struct cli_ctx *c, const struct cli_args *a)
{
    const char *group = a->pos[0], *name = cli_args_value(a, "name");
    int wait = cli_args_value(a, "wait") != NULL, n = a->npos - 1;
    long timeout = cli_timeout_arg(c, a, 120);
    if (timeout < 0)
        return CLI_ERR_USAGE;
    if (n < 1 || n > CLI_ARGS_MAX)
        return cli_usage_error(c->cmd, "name at least one file");
    for (int i = 0; i < n; i++) {
        struct stat sb;
        const char *p = a->pos[i + 1];
        if (stat(p, &sb) != 0)
            return cli_usage_error(c->cmd, "cannot read %s: %s", p, strerror(errno));
        if (!S_ISREG(sb.st_mode))
            return cli_usage_error(c->cmd, "%s is not a regular file", p);
    }
    struct file_up *f = calloc((size_t)n, sizeof *f);
    if (!f)
        return CLI_ERR_API;
    struct upload_view v = {.c = c, .f = f, .n = n};
    for (int i = 0; i < n; i++) {
        struct stat sb;
        f[i].path = a->pos[i + 1];
        f[i].size = stat(f[i].path, &sb) == 0 ? (int64_t)sb.st_size : 0;
        if (name)
            snprintf(f[i].name, sizeof f[i].name, "%s", name);
        else
            default_name(f[i].path, f[i].name, sizeof f[i].name);
    }

    enum cli_status st = CLI_OK;
    int ok = 0;
    for (int i = 0; i < n; i++) {
        struct progress_arg pa = {&v, &f[i]};
        struct cli_reply r;
        f[i].state = 1;
        if (c->tty_err)
            draw(&v);
        int rc = cli_upload_call(c, group, f[i].path, f[i].name, c->tty_err ? on_progress : NULL, &pa, &r);
        if (rc == 0) {
            f[i].state = 2;
            f[i].asset = json_incref(r.result);
            f[i].raw = buf_take(&r.http.body);
            ok++;
            if (c->tty_err) {
                draw(&v);
            } else {
                char sz[32];
                cli_human_bytes(f[i].size, sz);
                fprintf(stderr, "uploaded %s (%s): %s\n", f[i].path, sz, cli_str(f[i].asset, "Id"));
            }
        } else {
            f[i].state = 3;
            if (c->tty_err) {
                draw(&v);
                cli_board_keep(&v.board);
            }
            cli_fail_for(c, &r, f[i].path);
            st = CLI_ERR_API;
        }
        cli_reply_free(&r);
        if (c->tty_err && !v.board.lines)
            draw(&v); /* the bars again, under the message */
    }
    if (c->tty_err)
        cli_board_keep(&v.board);

    if (wait && ok) {
        const char **ids = calloc((size_t)ok, sizeof *ids);
        json_t **finals = calloc((size_t)ok, sizeof *finals);
        char **raws = calloc((size_t)ok, sizeof *raws);
        int *which = calloc((size_t)ok, sizeof *which);
        if (!ids || !finals || !raws || !which) {
            st = CLI_ERR_API;
        } else {
            int k = 0;
            for (int i = 0; i < n; i++)
                if (f[i].asset) {
                    which[k] = i;
                    ids[k++] = cli_str(f[i].asset, "Id");
                }
            if (cli_wait_assets(c, ids, ok, timeout, finals, raws) != CLI_OK)
                st = CLI_ERR_API;
            /* The results show each asset as it ended up, not as uploaded. */
            for (k = 0; k < ok; k++) {
                struct file_up *x = &f[which[k]];
                if (finals[k]) {
                    json_decref(x->asset);
                    x->asset = finals[k];
                    free(x->raw);
                    x->raw = raws[k];
                } else {
                    free(raws[k]);
                }
            }
        }
        free(ids);
        free(finals);
        free(raws);
        free(which);
    }
    print_results(c, f, n);
    for (int i = 0; i < n; i++) {
        json_decref(f[i].asset);
        free(f[i].raw);
    }
    free(f);
    return st;
}
