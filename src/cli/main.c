/* main.c — the portico client CLI: the command table, help, and dispatch.
 *
 * git-style: `portico [global options] GROUP COMMAND [args] [options]`.
 * Adding a command is adding a row to cli_commands (with its options and
 * examples) and a cmd_* function; help and argument checks are generic.
 * The CLI speaks only HTTP to a gateway: it links none of porticod's code. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/table.h"

#define CLI_VERSION "1.0.0"

static const struct cli_opt global_opts[] = {
    {"url", 0, 1, "URL", "gateway base URL (PORTICO_URL; default " CLI_DEFAULT_URL ")"},
    {"key", 0, 1, "KEY", "API key (PORTICO_API_KEY)"},
    {"json", 0, 0, NULL, "print the API's JSON instead of tables"},
    {"help", 'h', 0, NULL, "show help"},
    {NULL, 0, 0, NULL, NULL},
};

#define LIMIT_OPT {"limit", 0, 1, "N", "stop after N results (default: every page)"}
#define WAIT_OPTS                                                                                \
    {"wait", 0, 0, NULL, "wait until the asset is Active or Failed"},                            \
    {"timeout", 0, 1, "SECONDS", "give up waiting after SECONDS (default 120)"}
#define END_OPT {NULL, 0, 0, NULL, NULL}

static const struct cli_opt no_opts[] = {END_OPT};
static const struct cli_opt groups_create_opts[] = {
    {"description", 0, 1, "D", "a description of up to 300 characters"}, END_OPT};
static const struct cli_opt groups_list_opts[] = {
    {"type", 0, 1, "TYPE", "only groups of this type: AIGC or LivenessFace"},
    {"name", 0, 1, "TEXT", "only groups whose name contains TEXT"}, LIMIT_OPT, END_OPT};
static const struct cli_opt assets_add_opts[] = {
    {"type", 0, 1, "TYPE", "Image (default), Video or Audio"},
    {"name", 0, 1, "N", "a name of up to 50 characters"}, WAIT_OPTS, END_OPT};
static const struct cli_opt assets_list_opts[] = {
    {"group", 0, 1, "ID", "only assets of this group (repeatable)"},
    {"status", 0, 1, "S", "only assets in this state: Processing, Active or Failed (repeatable)"},
    {"type", 0, 1, "TYPE", "only assets of this type: Image, Video or Audio"},
    {"name", 0, 1, "TEXT", "only assets whose name contains TEXT"}, LIMIT_OPT, END_OPT};
static const struct cli_opt upload_opts[] = {
    {"name", 0, 1, "N", "the asset name (default: the file's name)"}, WAIT_OPTS, END_OPT};
static const struct cli_opt wait_opts[] = {
    {"timeout", 0, 1, "SECONDS", "give up after SECONDS (default 120)"}, END_OPT};
static const struct cli_opt events_opts[] = {
    {"from", 0, 1, "EVENT_ID", "first replay the events after this one (within 24 h)"},
    {"count", 0, 1, "N", "exit after N events"}, END_OPT};
static const struct cli_opt liveness_start_opts[] = {
    {"callback", 0, 1, "URL", "where the H5 page sends the browser after the scan"},
    {"wait", 0, 0, NULL, "wait for the scan and print the new GroupId"}, END_OPT};
static const struct cli_opt video_create_opts[] = {
    {"model", 0, 1, "M", "seedance-2.0, seedance-2.0-fast or seedance-1.5-pro (required)"},
    {"prompt", 0, 1, "P", "what the video shows (required)"},
    {"image", 0, 1, "ASSET_OR_URL", "an image: an asset Id (asset-...) or an http(s) URL (repeatable)"},
    {"video", 0, 1, "ASSET_OR_URL", "a reference video (repeatable)"},
    {"audio", 0, 1, "ASSET_OR_URL", "a reference audio track (repeatable)"},
    {"register", 0, 1, "FILE", "an image file registered inline as your asset, then used (repeatable; implies waiting)"},
    {"register-group", 0, 1, "GROUP_ID", "the group --register images go to (default: your group named inline)"},
    {"role", 0, 1, "R", "role of the media just before it: first_frame, last_frame, reference_image, ..."},
    {"ratio", 0, 1, "R", "16:9, 4:3, 1:1, 3:4, 9:16, 21:9 or adaptive"},
    {"duration", 0, 1, "S", "length in seconds"},
    {"resolution", 0, 1, "R", "480p, 720p or 1080p"},
    {"wait-for-assets", 0, 0, NULL, "accept assets still Processing: the task waits for them on the gateway"},
    {"wait", 0, 0, NULL, "wait until the video is ready, showing progress"},
    {"output", 'o', 1, "FILE", "download the finished video to FILE (implies --wait)"},
    {"timeout", 0, 1, "SECONDS", "give up waiting after SECONDS (default 600)"}, END_OPT};
static const struct cli_opt video_get_opts[] = {
    {"wait", 0, 0, NULL, "wait until the video is ready, showing progress"},
    {"output", 'o', 1, "FILE", "download the finished video to FILE (implies --wait)"},
    {"timeout", 0, 1, "SECONDS", "give up waiting after SECONDS (default 600)"}, END_OPT};
static const struct cli_opt webhook_set_opts[] = {
    {"events", 0, 1, "A,B", "only these event types (default: all): AssetActive, AssetFailed, LivenessPassed,"
                            " LivenessFailed, VideoSucceeded, VideoFailed"},
    {"rotate-secret", 0, 0, NULL, "make a new signing Secret (printed once)"}, END_OPT};
static const struct cli_opt webhook_list_opts[] = {
    {"status", 0, 1, "S", "only deliveries in this state: Pending, Delivered or Failed (repeatable)"}, LIMIT_OPT,
    END_OPT};

const struct cli_command cli_commands[] = {
    {"groups", "create", "NAME", "Create an AIGC asset group and print its Id",
     "portico groups create portraits\nportico groups create spring --description \"Spring shoot\"",
     groups_create_opts, 1, 1, 1, cmd_groups_create},
    {"groups", "list", "", "List your asset groups, newest first",
     "portico groups list\nportico groups list --type LivenessFace --limit 5\nportico groups list --json | jq '.Result.Items[].Id'",
     groups_list_opts, 0, 0, 1, cmd_groups_list},
    {"groups", "get", "ID", "Show one group", "portico groups get group-20260101120000-ab12c", no_opts, 1, 1, 1,
     cmd_groups_get},
    {"groups", "rename", "ID NAME", "Rename a group", "portico groups rename group-20260101120000-ab12c summer",
     no_opts, 2, 2, 1, cmd_groups_rename},
    {"groups", "delete", "ID", "Delete a group and all of its assets",
     "portico groups delete group-20260101120000-ab12c", no_opts, 1, 1, 1, cmd_groups_delete},
    {"assets", "add", "GROUP URL", "Register media the upstream can fetch by URL; prints the asset Id",
     "portico assets add group-20260101120000-ab12c https://cdn.example.com/face.jpg --wait\n"
     "portico assets add group-20260101120000-ab12c https://cdn.example.com/walk.mp4 --type Video --name walk",
     assets_add_opts, 2, 2, 1, cmd_assets_add},
    {"assets", "list", "", "List your assets, newest first",
     "portico assets list --group group-20260101120000-ab12c\nportico assets list --status Failed --limit 10",
     assets_list_opts, 0, 0, 1, cmd_assets_list},
    {"assets", "get", "ID", "Show one asset", "portico assets get asset-20260101120000-xy12z", no_opts, 1, 1, 1,
     cmd_assets_get},
    {"assets", "rename", "ID NAME", "Rename an asset", "portico assets rename asset-20260101120000-xy12z smile",
     no_opts, 2, 2, 1, cmd_assets_rename},
    {"assets", "delete", "ID", "Delete an asset", "portico assets delete asset-20260101120000-xy12z", no_opts, 1, 1,
     1, cmd_assets_delete},
    {"upload", NULL, "GROUP FILE...", "Upload image files (JPEG, PNG, WebP) into a group",
     "portico upload group-20260101120000-ab12c face.jpg side.png --wait", upload_opts, 2, -1, 1, cmd_upload},
    {"wait", NULL, "ASSET...", "Wait until every asset is Active or Failed",
     "portico wait asset-20260101120000-xy12z asset-20260101120001-xy12w --timeout 60", wait_opts, 1, -1, 1,
     cmd_wait},
    {"events", NULL, "", "Print your events as they happen, one JSON object a line",
     "portico events\nportico events --from evt-20260101120000-ab12c --count 10", events_opts, 0, 0, 1, cmd_events},
    {"liveness", "start", "", "Start a real-person face scan: prints the H5 link and its QR code",
     "portico liveness start --wait\nportico liveness start --callback https://app.example.com/done",
     liveness_start_opts, 0, 0, 1, cmd_liveness_start},
    {"liveness", "result", "TOKEN", "Ask once how a face scan went; prints the GroupId when it passed",
     "portico liveness result 7f3c...", no_opts, 1, 1, 1, cmd_liveness_result},
    {"video", "create", "", "Start a Seedance video generation",
     "portico video create --model seedance-2.0 --prompt \"walks on the beach\" \\\n"
     "    --image asset-20260101120000-xy12z --role reference_image --ratio 16:9 --duration 5 --wait -o beach.mp4",
     video_create_opts, 0, 0, 1, cmd_video_create},
    {"video", "get", "ID", "Show a video generation task",
     "portico video get cgt-20260101120000-abcde\nportico video get cgt-20260101120000-abcde -o beach.mp4",
     video_get_opts, 1, 1, 1, cmd_video_get},
    {"webhook", "set", "URL", "Send your events to URL (signed POSTs); prints the Secret when one is made",
     "portico webhook set https://app.example.com/portico-events\n"
     "portico webhook set https://app.example.com/portico-events --events AssetActive,AssetFailed --rotate-secret",
     webhook_set_opts, 1, 1, 1, cmd_webhook_set},
    {"webhook", "get", "", "Show your webhook: URL, events and the Secret's last 4 characters", "portico webhook get",
     no_opts, 0, 0, 1, cmd_webhook_get},
    {"webhook", "delete", "", "Stop sending events; pending deliveries end Failed", "portico webhook delete",
     no_opts, 0, 0, 1, cmd_webhook_delete},
    {"webhook", "list", "", "List deliveries of your events, newest first",
     "portico webhook list --status Pending\nportico webhook list --status Failed --limit 20", webhook_list_opts, 0,
     0, 1, cmd_webhook_list},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL},
};

static int is_group(const char *word)
{
    for (const struct cli_command *c = cli_commands; c->group; c++)
        if (strcmp(c->group, word) == 0 && c->name)
            return 1;
    return 0;
}

static const struct cli_command *find_command(const char *group, const char *name)
{
    for (const struct cli_command *c = cli_commands; c->group; c++)
        if (strcmp(c->group, group) == 0 && ((!c->name && !name) || (c->name && name && strcmp(c->name, name) == 0)))
            return c;
    return NULL;
}

static void print_opts(FILE *f, const struct cli_opt *opts)
{
    for (const struct cli_opt *o = opts; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "%c%c%c --%s%s%s", o->shortname ? '-' : ' ', o->shortname ? o->shortname : ' ',
                 o->shortname ? ',' : ' ', o->name, o->value_name ? " " : "", o->value_name ? o->value_name : "");
        fprintf(f, "  %-28s %s\n", left, o->help);
    }
}

static void print_examples(FILE *f, const char *ex)
{
    for (const char *p = ex; *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(f, "  %.*s\n", len, p);
        p += len + (nl ? 1 : 0);
    }
}

static void command_help(FILE *f, const struct cli_command *c)
{
    fprintf(f, "usage: portico %s%s%s%s%s [options]\n\n%s.\n", c->group, c->name ? " " : "", c->name ? c->name : "",
            c->args[0] ? " " : "", c->args, c->summary);
    if (c->opts[0].name) {
        fputs("\nOptions:\n", f);
        print_opts(f, c->opts);
    }
    fputs("\nGlobal options:\n", f);
    print_opts(f, global_opts);
    fputs("\nExamples:\n", f);
    print_examples(f, c->examples);
}

static void group_help(FILE *f, const char *group)
{
    fprintf(f, "usage: portico %s COMMAND [args] [options]\n\nCommands:\n", group);
    for (const struct cli_command *c = cli_commands; c->group; c++)
        if (strcmp(c->group, group) == 0) {
            char left[64];
            snprintf(left, sizeof left, "%s %s", c->name, c->args);
            fprintf(f, "  %-24s %s\n", left, c->summary);
        }
    fprintf(f, "\nRun 'portico %s COMMAND --help' for a command's options and examples.\n", group);
}

static void top_help(FILE *f)
{
    fputs("usage: portico [--url URL] [--key KEY] [--json] COMMAND [args] [options]\n\n"
          "A client for the Portico gateway: asset groups, assets, uploads, liveness\n"
          "face scans and Seedance video generation, each one command.\n\nCommands:\n",
          f);
    for (const struct cli_command *c = cli_commands; c->group; c++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s %s", c->group, c->name ? " " : "", c->name ? c->name : "", c->args);
        fprintf(f, "  %-30s %s\n", left, c->summary);
    }
    fputs("  help [COMMAND]                 Show help for a command\n\nGlobal options:\n", f);
    print_opts(f, global_opts);
    fputs("\nExit status: 0 success, 1 API or network error, 2 usage error.\n\n"
          "Examples:\n"
          "  export PORTICO_API_KEY=...    # from `porticod keys create --customer NAME`\n"
          "  gid=$(portico groups create portraits)\n"
          "  portico upload \"$gid\" face.jpg --wait\n"
          "  portico video create --model seedance-2.0 --prompt \"a walk on the beach\" \\\n"
          "      --image asset-20260101120000-xy12z --role reference_image --wait -o beach.mp4\n"
          "  portico liveness start --wait\n\n"
          "Run 'portico COMMAND --help' for a command's options and examples.\n",
          f);
}

/* `portico help [GROUP [COMMAND]]` */
static int help_command(int argc, char **argv)
{
    if (argc == 0) {
        top_help(stdout);
        return CLI_OK;
    }
    const struct cli_command *c = find_command(argv[0], argc > 1 ? argv[1] : NULL);
    if (c) {
        command_help(stdout, c);
        return CLI_OK;
    }
    if (is_group(argv[0]) && argc == 1) {
        group_help(stdout, argv[0]);
        return CLI_OK;
    }
    return cli_usage_error(NULL, "no command %s%s%s", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
}

static int run(int argc, char **argv)
{
    char err[256];
    /* The command words: the first positional and, for a group, the next
     * argument. Only global options may stand before them. */
    int w1 = -1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (s[0] != '-' || s[1] == '\0') {
            w1 = i;
            break;
        }
        if (!strcmp(s, "--version")) {
            printf("portico %s\n", CLI_VERSION);
            return CLI_OK;
        }
        if (!strcmp(s, "--url") || !strcmp(s, "--key"))
            i++;
    }
    if (w1 < 0) {
        struct cli_args a;
        const struct cli_opt *tables[] = {global_opts, NULL};
        if (cli_args_parse(argc - 1, argv + 1, tables, &a, err, sizeof err) != 0)
            return cli_usage_error(NULL, "%s", err);
        if (cli_args_value(&a, "help")) {
            top_help(stdout);
            return CLI_OK;
        }
        top_help(stderr);
        return CLI_ERR_USAGE;
    }
    /* Names and prompts travel as JSON strings, which must be UTF-8. */
    for (int i = 1; i < argc; i++)
        if (!cli_text_valid(argv[i]))
            return cli_usage_error(NULL, "argument %d is not valid UTF-8", i);
    if (strcmp(argv[w1], "help") == 0)
        return help_command(argc - w1 - 1, argv + w1 + 1);

    const char *group = argv[w1];
    const char *name = NULL;
    int words = 1;
    if (is_group(group)) {
        if (w1 + 1 >= argc || argv[w1 + 1][0] == '-') {
            int wants_help = w1 + 1 < argc && (!strcmp(argv[w1 + 1], "--help") || !strcmp(argv[w1 + 1], "-h"));
            group_help(wants_help ? stdout : stderr, group);
            return wants_help ? CLI_OK : CLI_ERR_USAGE;
        }
        name = argv[w1 + 1];
        words = 2;
    }
    const struct cli_command *cmd = find_command(group, name);
    if (!cmd) {
        if (name)
            return cli_usage_error(NULL, "'%s' is not a '%s' command", name, group);
        return cli_usage_error(NULL, "'%s' is not a command", group);
    }

    /* Everything but the command words is parsed against the command's
     * options plus the global ones. */
    char **rest = calloc((size_t)argc, sizeof *rest);
    if (!rest)
        return CLI_ERR_API;
    int nrest = 0;
    for (int i = 1; i < argc; i++)
        if (i < w1 || i >= w1 + words)
            rest[nrest++] = argv[i];
    struct cli_args *a = calloc(1, sizeof *a);
    enum cli_status st = CLI_ERR_USAGE;
    const struct cli_opt *tables[] = {cmd->opts, global_opts, NULL};
    struct cli_ctx c;
    memset(&c, 0, sizeof c);
    if (!a) {
        st = CLI_ERR_API;
        goto done;
    }
    if (cli_args_parse(nrest, rest, tables, a, err, sizeof err) != 0) {
        st = cli_usage_error(cmd, "%s", err);
        goto done;
    }
    if (cli_args_value(a, "help")) {
        command_help(stdout, cmd);
        st = CLI_OK;
        goto done;
    }
    if (a->npos < cmd->min_pos || (cmd->max_pos >= 0 && a->npos > cmd->max_pos)) {
        st = cli_usage_error(cmd, a->npos < cmd->min_pos ? "missing arguments" : "too many arguments");
        goto done;
    }
    c.cmd = cmd;
    c.json = cli_args_value(a, "json") != NULL;
    c.limit = -1;
    const char *limit = cli_args_value(a, "limit");
    if (limit && cli_parse_long(limit, 1, 1000000, &c.limit) != 0) {
        st = cli_usage_error(cmd, "--limit must be a whole number from 1");
        goto done;
    }
    c.tty_out = isatty(STDOUT_FILENO);
    c.tty_err = cli_progress_tty();
    c.poll_ms = 3000; /* API.md: clients poll GetAsset every 3 s */
    const char *poll = getenv("PORTICO_POLL_MS");
    if (poll && cli_parse_long(poll, 10, 600000, &c.poll_ms) != 0)
        c.poll_ms = 3000;
    /* Undocumented, for tests: paging seen without creating 100 records. */
    c.page_size = 100;
    const char *page = getenv("PORTICO_PAGE_SIZE");
    if (page && cli_parse_long(page, 1, 100, &c.page_size) != 0)
        c.page_size = 100;
    if ((st = cli_config_resolve(&c, a, cmd->needs_key)) != CLI_OK)
        goto done;
    if (cli_http_init(&c.http, c.url, c.key) != 0) {
        fprintf(stderr, "portico: cannot start libcurl\n");
        st = CLI_ERR_API;
        goto done;
    }
    st = cmd->run(&c, a);
    cli_http_cleanup(&c.http);
done:
    free(a);
    free(rest);
    return st;
}

int main(int argc, char **argv)
{
    /* A closed pipe (`portico ... | head`) ends output, not the process
     * with a signal: writes then fail and the exit status stays ours. */
    signal(SIGPIPE, SIG_IGN);
    int st = run(argc, argv);
    if (fflush(stdout) != 0 && st == CLI_OK)
        st = CLI_ERR_API;
    return st;
}
