/* cmd_webhook.c — portico webhook set|get|delete|list (API.md §4a): the
 * customer's webhook and the deliveries of its events. `set` prints the
 * Secret when the gateway makes one (the first set, --rotate-secret): it
 * is never shown again. Reads print key/value lines or a table, or the
 * API's JSON. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/table.h"

static const char *const statuses[] = {"Pending", "Delivered", "Failed", NULL};

/* "AssetActive,VideoFailed" */
static void join_events(const json_t *arr, char *out, size_t cap)
{
    size_t i, n = 0;
    json_t *e;
    out[0] = '\0';
    json_array_foreach(arr, i, e)
    {
        int w = snprintf(out + n, cap - n, "%s%s", n ? "," : "", json_string_value(e) ? json_string_value(e) : "");
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

static enum cli_status print_config(struct cli_ctx *c, struct cli_reply *r, const char *secret_field)
{
    if (c->json) {
        cli_print_raw(r);
        return CLI_OK;
    }
    char events[256];
    join_events(json_object_get(r->result, "Events"), events, sizeof events);
    const char *secret = cli_str(r->result, secret_field);
    const char *pairs[] = {"URL", cli_str(r->result, "URL"), "Events", events, secret[0] ? secret_field : NULL,
                           secret, NULL};
    struct buf out;
    buf_init(&out, 1 << 20);
    cli_kv_render(&out, pairs);
    cli_out(out.data ? out.data : "", out.len);
    buf_free(&out);
    return CLI_OK;
}

enum cli_status cmd_webhook_set(struct cli_ctx *c, const struct cli_args *a)
{
    json_t *b = json_pack("{s:s}", "URL", a->pos[0]);
    const char *events = cli_args_value(a, "events");
    if (events) {
        json_t *arr = json_array();
        char copy[512];
        snprintf(copy, sizeof copy, "%s", events);
        for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (*t)
                json_array_append_new(arr, json_string(t));
        json_object_set_new(b, "Events", arr);
    }
    if (cli_args_count(a, "rotate-secret"))
        json_object_set_new(b, "RotateSecret", json_true());
    struct cli_reply r;
    enum cli_status st;
    if (cli_action(c, "UpdateNotificationConfig", b, &r) != 0) {
        st = cli_fail(c, &r);
    } else {
        st = print_config(c, &r, "Secret");
        if (!c->json && cli_str(r.result, "Secret")[0])
            fprintf(stderr, "portico: keep the Secret: it signs every delivery and is not shown again\n");
    }
    cli_reply_free(&r);
    return st;
}

enum cli_status cmd_webhook_get(struct cli_ctx *c, const struct cli_args *a)
{
    struct cli_reply r;
    enum cli_status st;
    if (cli_action(c, "GetNotificationConfig", NULL, &r) != 0)
        st = cli_fail(c, &r);
    else if (!c->json && !cli_str(r.result, "URL")[0])
        st = (fprintf(stderr, "portico: no webhook is set\n"), CLI_OK);
    else
        st = print_config(c, &r, "SecretHint");
    cli_reply_free(&r);
    return st;
}

enum cli_status cmd_webhook_delete(struct cli_ctx *c, const struct cli_args *a)
{
    struct cli_reply r;
    enum cli_status st = CLI_OK;
    if (cli_action(c, "DeleteNotificationConfig", NULL, &r) != 0)
        st = cli_fail(c, &r);
    else if (c->json)
        cli_print_raw(&r);
    cli_reply_free(&r);
    return st;
}

enum cli_status cmd_webhook_list(struct cli_ctx *c, const struct cli_args *a)
{
    json_t *filter = json_object(), *sts = json_array();
    for (int i = 0; i < a->nopt; i++) {
        if (strcmp(a->opts[i].opt->name, "status") != 0)
            continue;
        if (!cli_one_of(a->opts[i].value, statuses)) {
            json_decref(filter), json_decref(sts);
            return cli_usage_error(c->cmd, "--status must be Pending, Delivered or Failed");
        }
        json_array_append_new(sts, json_string(a->opts[i].value));
    }
    if (json_array_size(sts))
        json_object_set(filter, "Statuses", sts);
    json_decref(sts);
    json_t *items = json_array();
    enum cli_status st = cli_list_all(c, "ListNotifications", json_pack("{s:o}", "Filter", filter), items);
    if (st == CLI_OK && !c->json) {
        static const char *const hdr[] = {"ID", "TYPE", "STATUS", "ATTEMPTS", "LAST", "NEXT", "CREATED"};
        struct cli_table t;
        struct buf out;
        buf_init(&out, 64u << 20);
        cli_table_init(&t, 7, hdr);
        size_t i;
        json_t *n;
        json_array_foreach(items, i, n)
        {
            char att[24], code[24];
            snprintf(att, sizeof att, "%lld", (long long)json_integer_value(json_object_get(n, "Attempts")));
            snprintf(code, sizeof code, "%lld", (long long)json_integer_value(json_object_get(n, "LastStatusCode")));
            const char *row[] = {cli_str(n, "Id"), cli_str(n, "Type"), cli_str(n, "Status"), att, code,
                                 cli_str(n, "NextAttemptTime"), cli_str(n, "CreateTime")};
            cli_table_add(&t, row);
        }
        cli_table_render(&t, &out);
        cli_out(out.data ? out.data : "", out.len);
        buf_free(&out);
        cli_table_free(&t);
    }
    json_decref(items);
    return st;
}
