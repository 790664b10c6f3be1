/* cmd_groups.c — portico groups create|list|get|rename|delete (API.md §2
 * Groups). Mutations print the Id alone, so `gid=$(portico groups create x)`
 * works; reads print a table or key/value lines, or the API's JSON. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/table.h"

static const char *const group_types[] = {"AIGC", "LivenessFace", NULL};

enum cli_status cmd_groups_create(struct cli_ctx *c, const struct cli_args *a)
{
    json_t *b = json_pack("{s:s, s:s}", "Name", a->pos[0], "GroupType", "AIGC");
    const char *d = cli_args_value(a, "description");
    if (d)
        json_object_set_new(b, "Description", json_string(d));
    return cli_id_action(c, "CreateAssetGroup", b);
}

enum cli_status cmd_groups_list(struct cli_ctx *c, const struct cli_args *a)
{
    const char *type = cli_args_value(a, "type"), *name = cli_args_value(a, "name");
    if (type && !cli_one_of(type, group_types))
        return cli_usage_error(c->cmd, "--type must be AIGC or LivenessFace");
    json_t *filter = json_object(), *items = json_array();
    if (type)
        json_object_set_new(filter, "GroupType", json_string(type));
    if (name)
        json_object_set_new(filter, "Name", json_string(name));
    enum cli_status st = cli_list_all(c, "ListAssetGroups", json_pack("{s:o}", "Filter", filter), items);
    if (st == CLI_OK && !c->json) {
        static const char *const hdr[] = {"ID", "NAME", "TYPE", "ASSETS", "CREATED"};
        struct cli_table t;
        cli_table_init(&t, 5, hdr);
        size_t i;
        json_t *g;
        json_array_foreach(items, i, g)
        {
            char n[32];
            snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(g, "AssetCount")));
            const char *row[] = {cli_str(g, "Id"), cli_str(g, "Name"), cli_str(g, "GroupType"), n,
                                 cli_str(g, "CreateTime")};
            cli_table_add(&t, row);
        }
        cli_table_print(&t, 64u << 20);
        cli_table_free(&t);
    }
    json_decref(items);
    return st;
}

enum cli_status cmd_groups_get(struct cli_ctx *c, const struct cli_args *a)
{
    struct cli_reply r;
    enum cli_status st = cli_action_or_fail(c, "GetAssetGroup", json_pack("{s:s}", "Id", a->pos[0]), &r);
    if (st != CLI_OK)
        return st;
    if (c->json) {
        cli_print_raw(&r);
    } else {
        const json_t *g = r.result;
        char n[32];
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(g, "AssetCount")));
        const char *pairs[] = {"Id", cli_str(g, "Id"), "Name", cli_str(g, "Name"), "Description",
                               cli_str(g, "Description"), "GroupType", cli_str(g, "GroupType"), "AssetCount", n,
                               "CreateTime", cli_str(g, "CreateTime"), "UpdateTime", cli_str(g, "UpdateTime"), NULL};
        cli_kv_print(pairs);
    }
    cli_reply_free(&r);
    return CLI_OK;
}

enum cli_status cmd_groups_rename(struct cli_ctx *c, const struct cli_args *a)
{
    return cli_id_action(c, "UpdateAssetGroup", json_pack("{s:s, s:s}", "Id", a->pos[0], "Name", a->pos[1]));
}

enum cli_status cmd_groups_delete(struct cli_ctx *c, const struct cli_args *a)
{
    return cli_id_action(c, "DeleteAssetGroup", json_pack("{s:s}", "Id", a->pos[0]));
}
