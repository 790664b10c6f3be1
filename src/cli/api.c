/* api.c — one call to the gateway, decoded into a cli_reply; error
 * reporting; paging of List actions. The two wire shapes of API.md meet
 * here: the Volcengine envelope (§2, §3) and the videos API (§4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/table.h"

#define UPLOAD_PATH "/v1/portrait/upload"
#define EVENTS_PATH "/v1/portrait/events"

const char *cli_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int cli_one_of(const char *v, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (strcmp(v, set[i]) == 0)
            return 1;
    return 0;
}

enum cli_status cli_id_action(struct cli_ctx *c, const char *action, json_t *body)
{
    struct cli_reply r;
    enum cli_status st = CLI_OK;
    if (cli_action(c, action, body, &r) != 0)
        st = cli_fail(c, &r);
    else if (c->json)
        cli_print_raw(&r);
    else
        printf("%s\n", cli_str(r.result, "Id"));
    cli_reply_free(&r);
    return st;
}

enum cli_status cli_action_or_fail(struct cli_ctx *c, const char *action, json_t *body, struct cli_reply *r)
{
    if (cli_action(c, action, body, r) == 0)
        return CLI_OK;
    enum cli_status st = cli_fail(c, r);
    cli_reply_free(r);
    return st;
}

void cli_reply_free(struct cli_reply *r)
{
    cli_resp_free(&r->http);
    json_decref(r->root);
    memset(r, 0, sizeof *r);
}

static void parse_body(struct cli_reply *r)
{
    if (r->http.body.len)
        r->root = json_loadb(r->http.body.data, r->http.body.len, 0, NULL);
    if (r->root && !json_is_object(r->root)) {
        json_decref(r->root);
        r->root = NULL;
    }
    r->request_id = r->http.request_id[0] ? r->http.request_id : NULL;
}

/* The Volcengine envelope: Result on success, ResponseMetadata.Error else. */
static int decode_envelope(struct cli_reply *r)
{
    parse_body(r);
    json_t *md = json_object_get(r->root, "ResponseMetadata");
    const char *rid = json_string_value(json_object_get(md, "RequestId"));
    if (rid)
        r->request_id = rid;
    json_t *err = json_object_get(md, "Error");
    if (r->http.status == 200 && !err && json_is_object(json_object_get(r->root, "Result"))) {
        r->result = json_object_get(r->root, "Result");
        return 0;
    }
    r->code = json_string_value(json_object_get(err, "Code"));
    r->message = json_string_value(json_object_get(err, "Message"));
    return -1;
}

int cli_action(struct cli_ctx *c, const char *action, json_t *body, struct cli_reply *r)
{
    memset(r, 0, sizeof *r);
    char path[128];
    snprintf(path, sizeof path, "/v1/portrait/?Action=%s&Version=%s", action, CLI_API_VERSION);
    if (!body)
        body = json_object();
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        snprintf(c->http.errmsg, sizeof c->http.errmsg, "out of memory");
        r->network_failed = 1;
        return -1;
    }
    int rc = cli_http_json(&c->http, "POST", path, text, &r->http);
    free(text);
    if (rc != 0) {
        r->network_failed = 1;
        return -1;
    }
    return decode_envelope(r);
}

int cli_events_call(struct cli_ctx *c, const char *last_event_id, long idle_s, cli_sink_fn sink, void *arg,
                    struct cli_reply *r)
{
    memset(r, 0, sizeof *r);
    char hdr[160];
    const char *headers[] = {NULL, NULL};
    if (last_event_id && *last_event_id) {
        snprintf(hdr, sizeof hdr, "Last-Event-ID: %s", last_event_id);
        headers[0] = hdr;
    }
    if (cli_http_stream(&c->http, EVENTS_PATH, headers, idle_s, sink, arg, &r->http) != 0) {
        r->network_failed = 1;
        return -1;
    }
    if (r->http.status >= 200 && r->http.status < 300)
        return 0;
    decode_envelope(r);
    return -1;
}

int cli_upload_call(struct cli_ctx *c, const char *group, const char *file, const char *name, cli_progress_fn fn,
                    void *arg, struct cli_reply *r)
{
    memset(r, 0, sizeof *r);
    const char *fields[] = {"GroupId", group, "Name", name, NULL};
    if (cli_http_upload(&c->http, UPLOAD_PATH, file, fields, fn, arg, &r->http) != 0) {
        r->network_failed = 1;
        return -1;
    }
    return decode_envelope(r);
}

int cli_video_call(struct cli_ctx *c, const char *method, const char *path, json_t *body, struct cli_reply *r)
{
    memset(r, 0, sizeof *r);
    char *text = NULL;
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (!text) {
            snprintf(c->http.errmsg, sizeof c->http.errmsg, "out of memory");
            r->network_failed = 1;
            return -1;
        }
    }
    int rc = cli_http_json(&c->http, method, path, text, &r->http);
    free(text);
    if (rc != 0) {
        r->network_failed = 1;
        return -1;
    }
    parse_body(r);
    /* A failed task is a 200 whose object carries "error" too: only the
     * HTTP status tells a failed call from a task that failed. */
    json_t *err = json_object_get(r->root, "error");
    if (r->http.status >= 200 && r->http.status < 300 && r->root) {
        r->result = r->root;
        return 0;
    }
    r->code = json_string_value(json_object_get(err, "code"));
    r->message = json_string_value(json_object_get(err, "message"));
    return -1;
}

void cli_print_raw(const struct cli_reply *r)
{
    const struct buf *b = &r->http.body;
    if (!b->len)
        return;
    cli_out(b->data, b->len);
    if (b->data[b->len - 1] != '\n')
        cli_out("\n", 1);
}

enum cli_status cli_fail(struct cli_ctx *c, const struct cli_reply *r)
{
    return cli_fail_for(c, r, NULL);
}

enum cli_status cli_fail_for(struct cli_ctx *c, const struct cli_reply *r, const char *what)
{
    struct buf line;
    buf_init(&line, 4096);
    buf_puts(&line, "portico: ");
    if (what) {
        cli_text_sanitise(&line, what);
        buf_puts(&line, ": ");
    }
    if (r->network_failed) {
        fprintf(stderr, "%scannot talk to %s: %s\n", line.data, c->url, c->http.errmsg);
        buf_free(&line);
        return CLI_ERR_API;
    }
    if (c->json && r->root)
        cli_print_raw(r);
    if (r->code) {
        cli_text_sanitise(&line, r->code);
        buf_puts(&line, ": ");
        cli_text_sanitise(&line, r->message ? r->message : "(no message)");
    } else {
        buf_printf(&line, "the gateway answered HTTP %ld without an API error", r->http.status);
    }
    if (r->request_id) {
        buf_puts(&line, " (RequestId: ");
        cli_text_sanitise(&line, r->request_id);
        buf_puts(&line, ")");
    }
    if (r->code && strcmp(r->code, "Unauthorized") == 0)
        buf_puts(&line, "; check PORTICO_API_KEY or --key");
    fprintf(stderr, "%s\n", line.data ? line.data : "portico: error");
    buf_free(&line);
    return CLI_ERR_API;
}

enum cli_status cli_list_all(struct cli_ctx *c, const char *action, json_t *body, json_t *items)
{
    long size = c->limit > 0 && c->limit < c->page_size ? c->limit : c->page_size;
    struct cli_reply last = {0};
    int pages = 0;
    enum cli_status st = CLI_OK;
    for (long page = 1;; page++) {
        json_t *b = json_deep_copy(body);
        json_object_set_new(b, "PageNumber", json_integer(page));
        json_object_set_new(b, "PageSize", json_integer(size));
        cli_reply_free(&last);
        if (cli_action(c, action, b, &last) != 0) {
            st = cli_fail(c, &last);
            goto done;
        }
        pages++;
        json_t *got = json_object_get(last.result, "Items"), *it;
        size_t i;
        json_array_foreach(got, i, it)
        {
            if (c->limit >= 0 && (long)json_array_size(items) >= c->limit)
                break;
            json_array_append(items, it);
        }
        json_int_t total = json_integer_value(json_object_get(last.result, "TotalCount"));
        size_t n = json_array_size(items);
        if (json_array_size(got) < (size_t)size || (json_int_t)n >= total || (c->limit >= 0 && (long)n >= c->limit))
            break;
    }
    if (c->json) {
        json_t *got = json_object_get(last.result, "Items");
        if (pages == 1 && json_array_size(got) == json_array_size(items)) {
            cli_print_raw(&last);
        } else {
            /* Several pages: one envelope, the last page's metadata, every item. */
            json_object_set(last.result, "Items", items);
            json_object_set_new(last.result, "PageNumber", json_integer(1));
            json_object_set_new(last.result, "PageSize", json_integer((json_int_t)json_array_size(items)));
            char *text = json_dumps(last.root, JSON_COMPACT);
            if (text) {
                cli_out(text, strlen(text));
                cli_out("\n", 1);
                free(text);
            }
        }
    }
done:
    cli_reply_free(&last);
    json_decref(body);
    return st;
}
