/* cmd_upload.c — portico upload GROUP FILE...: each file to POST
 * /v1/portrait/upload (API.md §3), one after another, a progress bar per
 * file on a terminal (plain lines otherwise), then optionally a wait.
 * Video, audio and any file over 10 MiB go through an upload session
 * instead (API.md §4b): CreateUploadSession, the bytes PUT straight to
 * UploadURL with exactly its Headers, CompleteUpload. Nothing is resumed
 * silently: a failed PUT is an error, and its session is aborted.
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

/* ---- upload sessions (API.md §4b) ---- */

#define SESSION_OVER_BYTES (10 * 1024 * 1024) /* the upload endpoint's limit */

/* What the file is, by its first bytes: AssetType and ContentType, or
 * NULL when only the upload endpoint should judge it (an image, or bytes
 * we do not know: the gateway says what is wrong). */
static void sniff(const char *path, const char **asset_type, const char **ctype)
{
    unsigned char h[16] = {0};
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(h, 1, sizeof h, f) : 0;
    if (f)
        fclose(f);
    *asset_type = *ctype = NULL;
    if (n >= 12 && !memcmp(h + 4, "ftyp", 4)) {
        *asset_type = "Video";
        *ctype = !memcmp(h + 8, "qt  ", 4) ? "video/quicktime" : "video/mp4";
    } else if (n >= 8 && (!memcmp(h + 4, "moov", 4) || !memcmp(h + 4, "mdat", 4) || !memcmp(h + 4, "wide", 4))) {
        *asset_type = "Video";
        *ctype = "video/quicktime";
    } else if (n >= 12 && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WAVE", 4)) {
        *asset_type = "Audio";
        *ctype = "audio/wav";
    } else if (n >= 3 && (!memcmp(h, "ID3", 3) || (h[0] == 0xFF && (h[1] & 0xE0) == 0xE0))) {
        *asset_type = "Audio";
        *ctype = "audio/mpeg";
    } else if (n >= 8 && !memcmp(h, "\x89PNG", 4)) {
        *asset_type = "Image";
        *ctype = "image/png";
    } else if (n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF) {
        *asset_type = "Image";
        *ctype = "image/jpeg";
    } else if (n >= 12 && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WEBP", 4)) {
        *asset_type = "Image";
        *ctype = "image/webp";
    }
}

static char put_message[640];

static int session_upload(struct cli_ctx *c, const char *group, struct file_up *f, const char *asset_type,
                          const char *ctype, cli_progress_fn fn, void *arg, struct cli_reply *r)
{
    struct cli_reply cr;
    json_t *body = json_pack("{s:s, s:s, s:s, s:I, s:s}", "GroupId", group, "AssetType", asset_type, "ContentType",
                             ctype, "ContentLength", (json_int_t)f->size, "Name", f->name);
    if (cli_action(c, "CreateUploadSession", body, &cr) != 0) {
        *r = cr;
        return -1;
    }
    char *upload_id = strdup(cli_str(cr.result, "UploadId"));
    char *url = strdup(cli_str(cr.result, "UploadURL"));
    json_t *hs = json_object_get(cr.result, "Headers");
    const char *hdrs[8] = {NULL};
    char lines[7][256];
    size_t nh = 0;
    const char *k;
    json_t *v;
    json_object_foreach(hs, k, v)
    {
        if (nh < 7 && json_is_string(v)) {
            snprintf(lines[nh], sizeof lines[nh], "%s: %s", k, json_string_value(v));
            hdrs[nh] = lines[nh];
            nh++;
        }
    }
    cli_reply_free(&cr);
    int rc = -1;
    if (!upload_id || !url)
        goto done;
    struct cli_resp pr;
    int put = cli_http_put(&c->http, url, hdrs, f->path, f->size, fn, arg, &pr);
    long status = put == 0 ? pr.status : 0;
    if (put == 0)
        cli_resp_free(&pr);
    if (status < 200 || status >= 300) {
        /* No silent resume: the session is aborted and the error shown. */
        char why[300];
        if (put != 0)
            snprintf(why, sizeof why, "%s", c->http.errmsg);
        else
            snprintf(why, sizeof why, "HTTP %ld", status);
        struct cli_reply ar;
        cli_action(c, "AbortUpload", json_pack("{s:s}", "UploadId", upload_id), &ar);
        cli_reply_free(&ar);
        memset(r, 0, sizeof *r);
        snprintf(put_message, sizeof put_message, "sending the file to its upload URL failed (%s); session %s aborted",
                 why, upload_id);
        r->code = "UploadFailed";
        r->message = put_message;
        goto done;
    }
    rc = cli_action(c, "CompleteUpload", json_pack("{s:s}", "UploadId", upload_id), r);
done:
    free(upload_id);
    free(url);
    return rc;
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
    cli_table_init(&t, 4, hdr);
    for (int i = 0; i < n; i++) {
        if (!f[i].asset)
            continue;
        const char *row[] = {f[i].path, cli_str(f[i].asset, "Id"), cli_str(f[i].asset, "Name"),
                             cli_str(f[i].asset, "UpstreamStatus")};
        cli_table_add(&t, row);
    }
    cli_table_print(&t, 16u << 20);
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
        const char *asset_type, *ctype;
        sniff(f[i].path, &asset_type, &ctype);
        int session = asset_type && (strcmp(asset_type, "Image") != 0 || f[i].size > SESSION_OVER_BYTES);
        int rc = session ? session_upload(c, group, &f[i], asset_type, ctype, c->tty_err ? on_progress : NULL, &pa, &r)
                         : cli_upload_call(c, group, f[i].path, f[i].name, c->tty_err ? on_progress : NULL, &pa, &r);
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
