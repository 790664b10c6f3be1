/* cmd_video.c — portico video create|get (API.md §4): a Seedance task,
 * optionally followed until it ends, and its video downloaded with -o.
 *
 * Media options keep their order: each --role applies to the --image,
 * --video or --audio just before it. Downloads go to FILE.part and are
 * renamed into place only when complete, so a broken transfer never leaves
 * a truncated FILE that looks finished. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/table.h"
#include "util/clock.h"

#define VIDEOS_PATH "/v1/videos/generations"
#define BAR_COLS 24

static int task_id_ok(const char *id)
{
    if (!*id || strlen(id) > 128)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return 0;
    return 1;
}

static void print_task(struct cli_ctx *c, const struct cli_reply *r, const char *file)
{
    if (c->json) {
        cli_print_raw(r);
        return;
    }
    const json_t *t = r->result, *err = json_object_get(t, "error");
    char created[32] = "";
    json_t *ca = json_object_get(t, "created_at");
    if (json_is_integer(ca)) {
        char stamp[21];
        clock_rfc3339((int64_t)json_integer_value(ca) * 1000, stamp);
        snprintf(created, sizeof created, "%s", stamp);
    }
    const char *video = json_string_value(json_object_get(t, "video_url"));
    const char *pairs[] = {"id", cli_str(t, "id"), "model", cli_str(t, "model"), "status", cli_str(t, "status"),
                           "created_at", created, "video_url", video, "error",
                           err ? cli_str(err, "code") : NULL, "message", err ? cli_str(err, "message") : NULL,
                           "file", file, NULL};
    cli_kv_print(pairs);
}

struct dl_view {
    struct cli_board board;
    const char *label;
    int64_t last_draw;
};

static void on_download(void *arg, int64_t now, int64_t total)
{
    struct dl_view *v = arg;
    if (clock_mono_ms() - v->last_draw < 100 && !(total > 0 && now >= total))
        return;
    struct buf t;
    buf_init(&t, 4096);
    cli_bar_format(&t, v->label, now, total, BAR_COLS);
    buf_puts(&t, "\n");
    cli_board_draw(&v->board, t.data ? t.data : "");
    buf_free(&t);
    v->last_draw = clock_mono_ms();
}

static enum cli_status download(struct cli_ctx *c, const char *url, const char *file)
{
    size_t n = strlen(file) + 6;
    char *part = malloc(n);
    if (!part)
        return CLI_ERR_API;
    snprintf(part, n, "%s.part", file);
    FILE *f = fopen(part, "wb");
    if (!f) {
        fprintf(stderr, "portico: cannot write %s: %s\n", part, strerror(errno));
        free(part);
        return CLI_ERR_API;
    }
    struct dl_view v = {.label = file};
    int rc = cli_http_download(&c->http, url, f, c->tty_err ? on_download : NULL, &v);
    if (fclose(f) != 0 && rc == 0) {
        snprintf(c->http.errmsg, sizeof c->http.errmsg, "cannot write the file");
        rc = -1;
    }
    enum cli_status st = CLI_OK;
    if (rc != 0) {
        fprintf(stderr, "portico: the video was not downloaded: %s\n", c->http.errmsg);
        remove(part);
        st = CLI_ERR_API;
    } else if (rename(part, file) != 0) {
        fprintf(stderr, "portico: cannot move %s into place: %s\n", part, strerror(errno));
        remove(part);
        st = CLI_ERR_API;
    } else if (!c->tty_err) {
        fprintf(stderr, "saved %s\n", file);
    }
    free(part);
    return st;
}

/* Polls GET .../{id} until succeeded or failed; r holds the last answer. */
static enum cli_status wait_task(struct cli_ctx *c, const char *id, long timeout_s, struct cli_reply *r)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", VIDEOS_PATH, id);
    struct cli_board board = {0};
    int64_t start = clock_mono_ms(), deadline = start + timeout_s * 1000;
    unsigned tick = 0;
    char last[32] = "";
    for (;;) {
        if (cli_video_call(c, "GET", path, NULL, r) != 0) {
            if (r->http.status == 429 || r->http.status == 503) {
                cli_reply_free(r);
                clock_sleep_ms(c->poll_ms);
                continue;
            }
            return cli_fail(c, r);
        }
        const char *status = cli_str(r->result, "status");
        if (!c->tty_err && strcmp(status, last) != 0)
            fprintf(stderr, "%s %s\n", id, status);
        snprintf(last, sizeof last, "%s", status);
        int64_t now = clock_mono_ms();
        if (!strcmp(status, "succeeded") || !strcmp(status, "failed")) {
            if (c->tty_err) {
                char line[256];
                snprintf(line, sizeof line, "%s %s  %s  %llds\n", *status == 's' ? "\xe2\x9c\x94" : "\xe2\x9c\x98", id,
                         status, (long long)((now - start) / 1000));
                cli_board_draw(&board, line);
            }
            return CLI_OK;
        }
        if (now >= deadline) {
            fprintf(stderr, "portico: video %s still %s after %ld s (raise --timeout, or run `portico video get %s` later)\n",
                    id, status, timeout_s, id);
            return CLI_ERR_API;
        }
        cli_reply_free(r);
        int64_t next = now + c->poll_ms;
        if (next > deadline)
            next = deadline;
        while ((now = clock_mono_ms()) < next) {
            if (c->tty_err) {
                char line[256];
                snprintf(line, sizeof line, "%s %s  %s  %llds\n", cli_spinner(tick++), id, last,
                         (long long)((now - start) / 1000));
                cli_board_draw(&board, line);
            }
            clock_sleep_ms(next - now < 100 ? next - now : 100);
        }
    }
}

/* After the create or the first get: wait if asked, download if asked. */
static enum cli_status follow(struct cli_ctx *c, struct cli_reply *r, const struct cli_args *a)
{
    const char *file = cli_args_value(a, "output");
    int wait = cli_args_value(a, "wait") != NULL || file;
    long timeout = cli_timeout_arg(c, a, 600);
    if (timeout < 0)
        return CLI_ERR_USAGE;
    const char *status = cli_str(r->result, "status");
    if (wait && strcmp(status, "succeeded") != 0 && strcmp(status, "failed") != 0) {
        char id[160];
        snprintf(id, sizeof id, "%s", cli_str(r->result, "id"));
        cli_reply_free(r);
        enum cli_status st = wait_task(c, id, timeout, r);
        if (st != CLI_OK)
            return st;
        status = cli_str(r->result, "status");
    }
    enum cli_status st = CLI_OK;
    if (!strcmp(status, "failed")) {
        json_t *err = json_object_get(r->result, "error");
        if (wait) {
            fprintf(stderr, "portico: the video failed: %s: %s\n", cli_str(err, "code"), cli_str(err, "message"));
            st = CLI_ERR_API;
        }
        file = NULL;
    }
    if (file && !strcmp(status, "succeeded")) {
        const char *url = json_string_value(json_object_get(r->result, "video_url"));
        if (!url) {
            fprintf(stderr, "portico: the finished task has no video_url\n");
            st = CLI_ERR_API;
        } else {
            st = download(c, url, file);
        }
    }
    print_task(c, r, st == CLI_OK && file && !strcmp(status, "succeeded") ? file : NULL);
    return st;
}

#define REGISTER_MAX_BYTES (10u * 1024 * 1024) /* the gateway's limit for an inline image */

/* --register FILE: the file as a base64 data: URL (malloc'd), its media
 * type guessed from its first bytes (the gateway judges them anyway). */
static char *file_data_url(struct cli_ctx *c, const char *path)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "portico: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    unsigned char *data = malloc(REGISTER_MAX_BYTES + 1);
    size_t n = data ? fread(data, 1, REGISTER_MAX_BYTES + 1, f) : 0;
    int bad = !data || ferror(f);
    fclose(f);
    if (bad || n > REGISTER_MAX_BYTES) {
        fprintf(stderr, "portico: %s: %s\n", path, bad ? "cannot read it" : "larger than 10 MiB");
        free(data);
        return NULL;
    }
    const char *type = n >= 8 && !memcmp(data, "\x89PNG", 4)                        ? "image/png"
                       : n >= 3 && data[0] == 0xff && data[1] == 0xd8                ? "image/jpeg"
                       : n >= 12 && !memcmp(data, "RIFF", 4) && !memcmp(data + 8, "WEBP", 4) ? "image/webp"
                                                                                      : "application/octet-stream";
    size_t cap = strlen("data:;base64,") + strlen(type) + (n + 2) / 3 * 4 + 1;
    char *url = malloc(cap), *o = url;
    if (url) {
        o += sprintf(o, "data:%s;base64,", type);
        for (size_t i = 0; i < n; i += 3) {
            uint32_t w = (uint32_t)data[i] << 16 | (i + 1 < n ? (uint32_t)data[i + 1] << 8 : 0) |
                         (i + 2 < n ? data[i + 2] : 0);
            *o++ = b64[w >> 18 & 63];
            *o++ = b64[w >> 12 & 63];
            *o++ = i + 1 < n ? b64[w >> 6 & 63] : '=';
            *o++ = i + 2 < n ? b64[w & 63] : '=';
        }
        *o = '\0';
    }
    free(data);
    (void)c;
    return url;
}

/* Appends the media items and their roles, in the order given. */
static enum cli_status add_content(struct cli_ctx *c, const struct cli_args *a, json_t *content)
{
    json_t *last = NULL;
    const char *reg_group = cli_args_value(a, "register-group");
    for (int i = 0; i < a->nopt; i++) {
        const char *o = a->opts[i].opt->name, *v = a->opts[i].value;
        if (!strcmp(o, "register")) {
            char *url = file_data_url(c, v);
            if (!url)
                return CLI_ERR_USAGE;
            last = json_pack("{s:s, s:{s:s}, s:{}}", "type", "image_url", "image_url", "url", url, "register_asset");
            free(url);
            if (!last)
                return CLI_ERR_API;
            if (reg_group)
                json_object_set_new(json_object_get(last, "register_asset"), "group_id", json_string(reg_group));
            json_array_append_new(content, last);
        } else if (!strcmp(o, "image") || !strcmp(o, "video") || !strcmp(o, "audio")) {
            char url[2200], type[16];
            if (cli_media_ref(v, url, sizeof url) != 0)
                return cli_usage_error(c->cmd, "--%s needs an asset Id (asset-...), asset://ID or an http(s) URL", o);
            snprintf(type, sizeof type, "%s_url", o);
            last = json_pack("{s:s, s:{s:s}}", "type", type, type, "url", url);
            json_array_append_new(content, last);
        } else if (!strcmp(o, "role")) {
            if (!last)
                return cli_usage_error(c->cmd, "--role must follow the --image, --video or --audio it describes");
            if (json_object_get(last, "role"))
                return cli_usage_error(c->cmd, "one --role per media item");
            json_object_set_new(last, "role", json_string(v));
        }
    }
    return CLI_OK;
}

enum cli_status cmd_video_create(struct cli_ctx *c, const struct cli_args *a)
{
    const char *model = cli_args_value(a, "model"), *prompt = cli_args_value(a, "prompt");
    const char *ratio = cli_args_value(a, "ratio"), *res = cli_args_value(a, "resolution");
    const char *dur = cli_args_value(a, "duration");
    long seconds = 0;
    if (!model || !*model)
        return cli_usage_error(c->cmd, "--model is required");
    if (!prompt || !*prompt)
        return cli_usage_error(c->cmd, "--prompt is required");
    if (dur && cli_parse_long(dur, 1, 3600, &seconds) != 0)
        return cli_usage_error(c->cmd, "--duration must be a whole number of seconds");
    if (cli_timeout_arg(c, a, 600) < 0)
        return CLI_ERR_USAGE;
    json_t *body = json_pack("{s:s, s:s}", "model", model, "prompt", prompt), *content = json_array();
    enum cli_status st = add_content(c, a, content);
    if (st != CLI_OK) {
        json_decref(body);
        json_decref(content);
        return st;
    }
    if (json_array_size(content))
        json_object_set(body, "content", content);
    json_decref(content);
    if (ratio)
        json_object_set_new(body, "ratio", json_string(ratio));
    if (dur)
        json_object_set_new(body, "duration", json_integer(seconds));
    if (res)
        json_object_set_new(body, "resolution", json_string(res));
    if (cli_args_count(a, "wait-for-assets") > 0)
        json_object_set_new(body, "wait_for_assets", json_true());

    struct cli_reply r;
    if (cli_video_call(c, "POST", VIDEOS_PATH, body, &r) != 0) {
        st = cli_fail(c, &r);
        cli_reply_free(&r);
        return st;
    }
    /* With --wait, the JSON printed is the task's final state (as for
     * upload --wait and assets add --wait): the id is in it too. */
    st = follow(c, &r, a);
    cli_reply_free(&r);
    return st;
}

enum cli_status cmd_video_get(struct cli_ctx *c, const struct cli_args *a)
{
    if (!task_id_ok(a->pos[0]))
        return cli_usage_error(c->cmd, "a video task id has only letters, digits, '-', '_' and '.'");
    char path[256];
    snprintf(path, sizeof path, "%s/%s", VIDEOS_PATH, a->pos[0]);
    struct cli_reply r;
    enum cli_status st;
    if (cli_video_call(c, "GET", path, NULL, &r) != 0)
        st = cli_fail(c, &r);
    else
        st = follow(c, &r, a);
    cli_reply_free(&r);
    return st;
}
