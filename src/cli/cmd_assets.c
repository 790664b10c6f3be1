/* cmd_assets.c — portico assets add|list|get|rename|delete (API.md §2
 * Assets). add prints the new Id alone (and with --wait, waits for it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/table.h"

static const char *const asset_types[] = {"Image", "Video", "Audio", NULL};
static const char *const statuses[] = {"Processing", "Active", "Failed", NULL};

enum cli_status cmd_assets_add(struct cli_ctx *c, const struct cli_args *a)
{
    const char *type = cli_args_value(a, "type"), *name = cli_args_value(a, "name");
    int wait = cli_args_value(a, "wait") != NULL;
    long timeout = cli_timeout_arg(c, a, 120);
    if (timeout < 0)
        return CLI_ERR_USAGE;
    if (type && !cli_one_of(type, asset_types))
        return cli_usage_error(c->cmd, "--type must be Image, Video or Audio");
    json_t *b = json_pack("{s:s, s:s, s:s}", "GroupId", a->pos[0], "URL", a->pos[1], "AssetType", type ? type : "Image");
    if (name)
        json_object_set_new(b, "Name", json_string(name));
    if (!wait)
        return cli_id_action(c, "CreateAsset", b);

    struct cli_reply r;
    enum cli_status st = cli_action_or_fail(c, "CreateAsset", b, &r);
    if (st != CLI_OK)
        return st;
    const char *id = cli_str(r.result, "Id");
    json_t *final = NULL;
    char *raw = NULL;
    st = cli_wait_assets(c, &id, 1, timeout, &final, &raw);
    if (c->json && raw)
        printf("%s\n", raw);
    else if (!c->json)
        printf("%s\n", id);
    json_decref(final);
    free(raw);
    cli_reply_free(&r);
    return st;
}

enum cli_status cmd_assets_list(struct cli_ctx *c, const struct cli_args *a)
{
    const char *type = cli_args_value(a, "type"), *name = cli_args_value(a, "name");
    if (type && !cli_one_of(type, asset_types))
        return cli_usage_error(c->cmd, "--type must be Image, Video or Audio");
    json_t *filter = json_object(), *groups = json_array(), *sts = json_array();
    for (int i = 0; i < a->nopt; i++) {
        const char *o = a->opts[i].opt->name, *v = a->opts[i].value;
        if (!strcmp(o, "group")) {
            json_array_append_new(groups, json_string(v));
        } else if (!strcmp(o, "status")) {
            if (!cli_one_of(v, statuses)) {
                json_decref(filter), json_decref(groups), json_decref(sts);
                return cli_usage_error(c->cmd, "--status must be Processing, Active or Failed");
            }
            json_array_append_new(sts, json_string(v));
        }
    }
    if (json_array_size(groups))
        json_object_set(filter, "GroupIds", groups);
    if (json_array_size(sts))
        json_object_set(filter, "Statuses", sts);
    json_decref(groups), json_decref(sts);
    if (type)
        json_object_set_new(filter, "AssetType", json_string(type));
    if (name)
        json_object_set_new(filter, "Name", json_string(name));
    json_t *items = json_array();
    enum cli_status st = cli_list_all(c, "ListAssets", json_pack("{s:o}", "Filter", filter), items);
    if (st == CLI_OK && !c->json) {
        static const char *const hdr[] = {"ID", "NAME", "TYPE", "STATUS", "GROUP", "CREATED"};
        struct cli_table t;
        cli_table_init(&t, 6, hdr);
        size_t i;
        json_t *x;
        json_array_foreach(items, i, x)
        {
            const char *row[] = {cli_str(x, "Id"), cli_str(x, "Name"), cli_str(x, "AssetType"),
                                 cli_str(x, "UpstreamStatus"), cli_str(x, "GroupId"), cli_str(x, "CreateTime")};
            cli_table_add(&t, row);
        }
        cli_table_print(&t, 64u << 20);
        cli_table_free(&t);
    }
    json_decref(items);
    return st;
}

enum cli_status cmd_assets_get(struct cli_ctx *c, const struct cli_args *a)
{
    struct cli_reply r;
    enum cli_status st = cli_action_or_fail(c, "GetAsset", json_pack("{s:s}", "Id", a->pos[0]), &r);
    if (st != CLI_OK)
        return st;
    if (c->json) {
        cli_print_raw(&r);
    } else {
        const json_t *x = r.result;
        const char *reason = json_string_value(json_object_get(x, "FailureReason"));
        /* API.md §2: the upstream's own Error {Code, Message}, when Failed */
        json_t *error = json_object_get(x, "Error");
        char error_line[400] = "";
        if (json_is_object(error))
            snprintf(error_line, sizeof error_line, "%s: %s", cli_str(error, "Code"), cli_str(error, "Message"));
        const char *pairs[] = {"Id", cli_str(x, "Id"), "Name", cli_str(x, "Name"), "GroupId", cli_str(x, "GroupId"),
                               "AssetType", cli_str(x, "AssetType"), "UpstreamStatus", cli_str(x, "UpstreamStatus"),
                               "FailureReason", reason && *reason ? reason : NULL,
                               "Error", error_line[0] ? error_line : NULL, "URL", cli_str(x, "URL"),
                               "CreateTime", cli_str(x, "CreateTime"), "UpdateTime", cli_str(x, "UpdateTime"), NULL};
        cli_kv_print(pairs);
    }
    cli_reply_free(&r);
    return CLI_OK;
}

enum cli_status cmd_assets_rename(struct cli_ctx *c, const struct cli_args *a)
{
    return cli_id_action(c, "UpdateAsset", json_pack("{s:s, s:s}", "Id", a->pos[0], "Name", a->pos[1]));
}

enum cli_status cmd_assets_delete(struct cli_ctx *c, const struct cli_args *a)
{
    return cli_id_action(c, "DeleteAsset", json_pack("{s:s}", "Id", a->pos[0]));
}
