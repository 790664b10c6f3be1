/* cli.h — what every part of the portico CLI shares: the run context,
 * the exit codes, the command table row, and the API helpers (api.c).
 *
 * Invariant: the exit status is decided in one place, by the enum below —
 * 0 success, 1 API or network error, 2 usage error — and commands return
 * it rather than calling exit(). */
#ifndef PORTICO_CLI_H
#define PORTICO_CLI_H
#include <jansson.h>
#include <stdint.h>

#include "cli/args.h"
#include "cli/http.h"

enum cli_status { CLI_OK = 0, CLI_ERR_API = 1, CLI_ERR_USAGE = 2 };

#define CLI_DEFAULT_URL "http://127.0.0.1:8080"
#define CLI_API_VERSION "2024-01-01"

struct cli_command;

struct cli_ctx {
    const char *url;
    const char *key;
    int json;        /* --json: print the API's JSON */
    long limit;      /* --limit, or -1 for every page */
    int tty_out;     /* stdout is a terminal (QR code) */
    int tty_err;     /* stderr is a terminal (bars, boards) */
    long poll_ms;    /* pace of status polls (3000; PORTICO_POLL_MS) */
    long page_size;  /* List PageSize (100; PORTICO_PAGE_SIZE, for tests) */
    const struct cli_command *cmd; /* the command running, for usage errors */
    struct cli_http http;
};

struct cli_command {
    const char *group; /* "groups", or the command itself ("upload") */
    const char *name;  /* "create", or NULL for a one-word command */
    const char *args;  /* positional synopsis: "NAME" */
    const char *summary;
    const char *examples; /* lines, each "portico ..." */
    const struct cli_opt *opts;
    int min_pos, max_pos; /* max_pos -1: any number */
    int needs_key;
    enum cli_status (*run)(struct cli_ctx *c, const struct cli_args *a);
};

/* config.c: --url/--key over PORTICO_URL/PORTICO_API_KEY over defaults. */
enum cli_status cli_config_resolve(struct cli_ctx *c, const struct cli_args *a, int needs_key);
/* Prints "portico: ..." and a pointer to --help on stderr; returns CLI_ERR_USAGE. */
enum cli_status cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes a whole buffer to stdout. */
void cli_out(const char *text, size_t len);
/* Renders to stdout (table.h): a table, into at most limit bytes; key/value
 * lines (cli_kv_render), into at most 1 MiB. */
struct cli_table;
void cli_table_print(const struct cli_table *t, size_t limit);
void cli_kv_print(const char *const *pairs);

/* ---- api.c: one call to the gateway, decoded. */
struct cli_reply {
    struct cli_resp http;
    int network_failed;
    json_t *root;        /* parsed body, or NULL */
    json_t *result;      /* Result (Action) or the whole object (videos) */
    const char *code;    /* error code, when the call failed with one */
    const char *message;
    const char *request_id;
};

/* POST /v1/portrait/?Action=...; body is stolen (NULL = {}). 0 on success
 * (result set), -1 otherwise. Prints nothing. */
int cli_action(struct cli_ctx *c, const char *action, json_t *body, struct cli_reply *r);
/* A /v1/videos call (API.md §4); body stolen, may be NULL for a GET. */
int cli_video_call(struct cli_ctx *c, const char *method, const char *path, json_t *body, struct cli_reply *r);
/* GET /v1/portrait/events (API.md §4a), resuming after last_event_id
 * (NULL: from now): the body goes to sink as it arrives. 0 when the stream
 * ran and ended (or sink stopped it), -1 on a refusal (code set) or a
 * network failure, including idle_s seconds without a byte. */
int cli_events_call(struct cli_ctx *c, const char *last_event_id, long idle_s, cli_sink_fn sink, void *arg,
                    struct cli_reply *r);
/* multipart upload of one file (API.md §3). */
int cli_upload_call(struct cli_ctx *c, const char *group, const char *file, const char *name, cli_progress_fn fn,
                    void *arg, struct cli_reply *r);
/* cli_action that reports its own failure: CLI_OK, and r to free; or the
 * failure reported (cli_fail), r freed, and CLI_ERR_API. */
enum cli_status cli_action_or_fail(struct cli_ctx *c, const char *action, json_t *body, struct cli_reply *r);
/* Reports a failed call: "portico: Code: Message (RequestId: ...)" on
 * stderr, and with --json the API's body on stdout. Returns CLI_ERR_API. */
enum cli_status cli_fail(struct cli_ctx *c, const struct cli_reply *r);
/* The same, the line prefixed with what it was about ("face.png: "). */
enum cli_status cli_fail_for(struct cli_ctx *c, const struct cli_reply *r, const char *what);
/* The API's body exactly, plus a newline when it lacks one. */
void cli_print_raw(const struct cli_reply *r);
void cli_reply_free(struct cli_reply *r);
/* Runs an Action whose Result is {Id} and prints the Id alone (or the
 * JSON); body stolen. */
enum cli_status cli_id_action(struct cli_ctx *c, const char *action, json_t *body);
/* Whether v is one of the NULL-terminated set. */
int cli_one_of(const char *v, const char *const *set);
/* A string member of o, or "" (for tables). */
const char *cli_str(const json_t *o, const char *key);

/* Every page of a List action (PageSize 100) until TotalCount or --limit;
 * body (the Filter) is stolen.
 * Items are appended to items; with --json the output is printed here: the
 * API's body when one page answered, otherwise one envelope whose
 * Result.Items holds them all. */
enum cli_status cli_list_all(struct cli_ctx *c, const char *action, json_t *body, json_t *items);

/* ---- shared by upload, assets add and wait (cmd_wait.c). */
/* Waits for each id (WaitAsset; GetAsset polls against a gateway without
 * it) until Active or Failed or timeout_s; shows a board on a terminal,
 * plain lines otherwise; fills finals (the last Asset per id, NULL where
 * unknown; caller decrefs). CLI_OK only when all are Active. raws gets the
 * last answer's body per id (malloc'd, or NULL). */
enum cli_status cli_wait_assets(struct cli_ctx *c, const char *const *ids, int n, long timeout_s, json_t **finals,
                                char **raws);
/* --timeout SECONDS, or dflt; -1 on a bad value (usage error printed). */
long cli_timeout_arg(struct cli_ctx *c, const struct cli_args *a, long dflt);
/* Sleeps the poll pace (PORTICO_POLL_MS or 3 s) in short steps. */
void cli_poll_sleep(struct cli_ctx *c, int64_t ms);

/* ---- the command table (main.c) and the commands. */
extern const struct cli_command cli_commands[];
enum cli_status cmd_groups_create(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_groups_list(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_groups_get(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_groups_rename(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_groups_delete(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_events(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_assets_add(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_assets_list(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_assets_get(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_assets_rename(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_assets_delete(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_upload(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_wait(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_liveness_start(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_liveness_result(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_video_create(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_video_get(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_webhook_set(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_webhook_get(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_webhook_delete(struct cli_ctx *c, const struct cli_args *a);
enum cli_status cmd_webhook_list(struct cli_ctx *c, const struct cli_args *a);

#endif
