/* porticod.c — the gateway's main: configuration, start, stop, and the
 * `keys`, `admin` and `migrate` subcommands.
 *
 * Every setting is a flag and a PORTICO_* environment variable (DESIGN.md);
 * a flag wins over the environment. SIGTERM/SIGINT drain: stop accepting,
 * answer what is in flight, exit 0. */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "blob/blob.h"
#include "core/core.h"
#include "core/keys.h"
#include "core/usage_verify.h"
#include "doctor/doctor.h"
#include "http/server.h"
#include "sim/sim.h" /* the one gateway file that knows the simulator: it starts it */
#include "store/store.h"
#include "upstream/upstream.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/ids.h"
#include "util/log.h"
#include "util/signals.h"

struct config {
    const char *listen;
    const char *admin_listen; /* API.md §7: the operators' listener, never the public one */
    const char *data_dir;
    const char *store;
    const char *blob;
    const char *public_url;
    const char *url_allow; /* outbound URL policy: exceptions to "public addresses only" */
    const char *upstream;
    const char *volc_ak, *volc_sk, *volc_region;
    int threads, workers, log_requests, sim_port;
    double create_rate, mutate_rate, get_rate;
    int max_inflight, create_wait_ms;
    int key_rate, key_burst;
    int max_connections, idle_timeout_s, header_timeout_s, body_timeout_s;
    /* video tasks: ModelArk */
    const char *ark_endpoint, *ark_api_key;
    /* UPSTREAM.md "ProjectName": sent on every Action (default "default") */
    const char *project_name;
    int validate_ttl_s; /* liveness links without an expiry: assumed lifetime (120) */
    /* reconciliation: with PostgreSQL, reservations older than this are
     * settled (other nodes may be creating younger ones) */
    int reconcile_after_s;
    int reconcile_grace_ms; /* how long the upstream may still act on a dead process's create */
    int upload_session_ttl_s; /* upload sessions (API.md §4b): lifetime */
    /* liveness: the orphan sweep of unowned LivenessFace groups */
    int liveness_sweep_s, liveness_orphan_age_s, liveness_poll_ms;
    /* webhooks (API.md §4a) */
    int webhook_workers, webhook_timeout_ms, webhook_backoff_ms, webhook_retry_s;
    int video_wait_s; /* wait_for_assets: how long a task waits for its assets */
    int sse_heartbeat_ms; /* the event stream */
    int usage_flush_ms;   /* usage metering: upstream calls */
};

enum opt_kind { OPT_STR, OPT_INT, OPT_DBL, OPT_BOOL_OFF };

struct opt {
    const char *flag;
    const char *env;
    enum opt_kind kind;
    size_t offset;
    const char *help;
};

#define O(field) offsetof(struct config, field)
static const struct opt opts[] = {
    {"--listen", "PORTICO_LISTEN", OPT_STR, O(listen), "address to serve on (127.0.0.1:8080)"},
    {"--admin-listen", "PORTICO_ADMIN_LISTEN", OPT_STR, O(admin_listen),
     "operators' API, console and /metrics (127.0.0.1:9090)"},
    {"--data-dir", "PORTICO_DATA_DIR", OPT_STR, O(data_dir), "SQLite file and blobs (./portico-data)"},
    {"--store", "PORTICO_STORE", OPT_STR, O(store), "record store: sqlite (default) or postgres://USER@HOST/DB"},
    {"--blob", "PORTICO_BLOB", OPT_STR, O(blob), "media store: fs (default) or s3://BUCKET?endpoint=URL&region=R"},
    {"--public-url", "PORTICO_PUBLIC_URL", OPT_STR, O(public_url), "base of media URLs handed upstream"},
    {"--url-allow", "PORTICO_URL_ALLOW", OPT_STR, O(url_allow), "hosts, host:port, CIDRs media may be fetched from besides public addresses"},
    {"--upstream", "PORTICO_UPSTREAM", OPT_STR, O(upstream), "sim (embedded simulator), volcengine, byteplus or an https:// endpoint"},
    {NULL, "PORTICO_VOLC_AK", OPT_STR, O(volc_ak), "access key for the real upstream"},
    {NULL, "PORTICO_VOLC_SK", OPT_STR, O(volc_sk), "secret key for the real upstream"},
    {NULL, "PORTICO_VOLC_REGION", OPT_STR, O(volc_region), "upstream region (cn-beijing; byteplus: ap-southeast-1)"},
    {"--project-name", "PORTICO_PROJECT_NAME", OPT_STR, O(project_name), "upstream project sent on every Action (default)"},
    {"--validate-ttl", "PORTICO_VALIDATE_TTL_S", OPT_INT, O(validate_ttl_s), "seconds an H5 liveness link is assumed valid (120)"},
    {"--threads", "PORTICO_THREADS", OPT_INT, O(threads), "HTTP I/O threads (number of CPUs)"},
    {"--workers", "PORTICO_WORKERS", OPT_INT, O(workers), "threads for upstream-bound requests (64)"},
    {"--quiet", "PORTICO_LOG_REQUESTS", OPT_BOOL_OFF, O(log_requests), "no per-request log lines"},
    {"--sim-port", "PORTICO_SIM_PORT", OPT_INT, O(sim_port), "port of the embedded simulator (ephemeral)"},
    {"--upstream-create-rate", "PORTICO_UPSTREAM_CREATE_RATE", OPT_DBL, O(create_rate), "upstream creates/s (30)"},
    {"--upstream-list-rate", "PORTICO_UPSTREAM_LIST_RATE", OPT_DBL, O(mutate_rate), "upstream lists, updates, deletes/s (30)"},
    {"--upstream-get-rate", "PORTICO_UPSTREAM_GET_RATE", OPT_DBL, O(get_rate), "upstream gets/s (100)"},
    {"--key-rate", "PORTICO_KEY_RATE", OPT_INT, O(key_rate), "requests/s per API key, 0 = unlimited (100)"},
    {"--key-burst", "PORTICO_KEY_BURST", OPT_INT, O(key_burst), "burst per API key (200)"},
    {"--max-connections", "PORTICO_MAX_CONNECTIONS", OPT_INT, O(max_connections), "open connections at most (10000)"},
    {"--idle-timeout", "PORTICO_IDLE_TIMEOUT_S", OPT_INT, O(idle_timeout_s), "seconds a connection may sit idle (30)"},
    {"--header-timeout", "PORTICO_HEADER_TIMEOUT_S", OPT_INT, O(header_timeout_s), "seconds to send a request head (10)"},
    {"--body-timeout", "PORTICO_BODY_TIMEOUT_S", OPT_INT, O(body_timeout_s), "seconds to send a request body (120)"},
    {"--upstream-max-inflight", "PORTICO_UPSTREAM_MAX_INFLIGHT_CREATES", OPT_INT, O(max_inflight), "upstream creates in flight (30)"},
    {"--create-wait-ms", "PORTICO_CREATE_WAIT_MS", OPT_INT, O(create_wait_ms), "longest wait for upstream budget (10000)"},
    /* video tasks */
    {"--ark-endpoint", "PORTICO_ARK_ENDPOINT", OPT_STR, O(ark_endpoint), "ModelArk video tasks (per --upstream's profile)"},
    {NULL, "PORTICO_ARK_API_KEY", OPT_STR, O(ark_api_key), "ARK API key for the real video task API"},
    /* reconciliation */
    {"--reconcile-after", "PORTICO_RECONCILE_AFTER_S", OPT_INT, O(reconcile_after_s), "postgres: settle unfinished creates older than this (600)"},
    {"--reconcile-grace-ms", "PORTICO_RECONCILE_GRACE_MS", OPT_INT, O(reconcile_grace_ms), "wait before settling creates cut by a crash (12000)"},
    /* upload sessions */
    {"--upload-session-ttl", "PORTICO_UPLOAD_SESSION_TTL_S", OPT_INT, O(upload_session_ttl_s), "seconds an upload session and its PUT URL live (3600)"},
    /* liveness */
    {"--liveness-poll-ms", "PORTICO_LIVENESS_POLL_MS", OPT_INT, O(liveness_poll_ms), "how often a pending face scan's outcome is asked upstream in the background (2000)"},
    {"--liveness-sweep", "PORTICO_LIVENESS_SWEEP_S", OPT_INT, O(liveness_sweep_s), "seconds between sweeps removing LivenessFace groups no record owns; 0: never (600)"},
    /* the event stream */
    {"--sse-heartbeat-ms", "PORTICO_SSE_HEARTBEAT_MS", OPT_INT, O(sse_heartbeat_ms), "an idle event stream gets a keep-alive comment this often (15000)"},
    {"--usage-flush-ms", "PORTICO_USAGE_FLUSH_MS", OPT_INT, O(usage_flush_ms), "how often a node writes the upstream calls it counted (1000; a crash loses at most that)"},
    {"--liveness-orphan-age", "PORTICO_LIVENESS_ORPHAN_AGE_S", OPT_INT, O(liveness_orphan_age_s), "age an unowned LivenessFace group must reach before it is removed (900)"},
    /* webhooks */
    {"--webhook-workers", "PORTICO_WEBHOOK_WORKERS", OPT_INT, O(webhook_workers), "webhook deliveries in flight at once (8)"},
    {"--webhook-timeout-ms", "PORTICO_WEBHOOK_TIMEOUT_MS", OPT_INT, O(webhook_timeout_ms), "time limit of one webhook delivery attempt (10000)"},
    {"--webhook-backoff-ms", "PORTICO_WEBHOOK_BACKOFF_MS", OPT_INT, O(webhook_backoff_ms), "wait before a failed delivery's first retry, doubled per failure up to 1 h (1000)"},
    {"--webhook-retry", "PORTICO_WEBHOOK_RETRY_S", OPT_INT, O(webhook_retry_s), "seconds after its event a delivery is retried before it is Failed (86400)"},
    /* video generation that waits for its assets */
    {"--video-wait", "PORTICO_VIDEO_WAIT_S", OPT_INT, O(video_wait_s), "seconds a video task waits for its assets before it fails with asset_timeout (600)"},
};
#undef O

static void usage(FILE *f)
{
    fprintf(f, "usage: porticod [OPTIONS]                 serve the Portrait API\n"
               "       porticod keys create --customer NAME [--no-aigc] [--data-dir DIR]\n"
               "       porticod keys list [--data-dir DIR]\n"
               "       porticod keys revoke PREFIX [--data-dir DIR]\n"
               "       porticod admin create|list [--data-dir DIR]   operators' admin keys (API.md §7)\n"
               "       porticod admin revoke PREFIX [--data-dir DIR]\n"
               "       porticod migrate [--data-dir DIR]\n"
               "       porticod usage verify [--data-dir DIR]     the usage counters against a recount\n"
               "       porticod doctor [--image-url URL] [--timeout S] [--json]  check the upstream\n"
               "                                                  (see porticod doctor --help)\n\noptions (each also an environment variable):\n");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        fprintf(f, "  %-26s %-38s %s\n", opts[i].flag ? opts[i].flag : "", opts[i].env, opts[i].help);
}

static int set_opt(struct config *c, const struct opt *o, const char *v)
{
    char *p = (char *)c + o->offset, *end;
    switch (o->kind) {
    case OPT_STR:
        *(const char **)p = v;
        return 0;
    case OPT_INT: {
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 0 || n > 1000000)
            goto bad;
        *(int *)p = (int)n;
        return 0;
    }
    case OPT_DBL: {
        double d = strtod(v, &end);
        if (!*v || *end || !(d > 0) || d > 1e6)
            goto bad;
        *(double *)p = d;
        return 0;
    }
    case OPT_BOOL_OFF:
        *(int *)p = !(strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0);
        return 0;
    }
bad:
    fprintf(stderr, "porticod: %s: '%s' is not a valid value\n", o->flag ? o->flag : o->env, v);
    return -1;
}

static void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->listen = "127.0.0.1:8080";
    c->admin_listen = "127.0.0.1:9090";
    c->data_dir = "./portico-data";
    c->store = "sqlite";
    c->blob = "fs";
    c->upstream = "sim";
    c->log_requests = 1;
    struct core_config cc;
    core_config_defaults(&cc);
    c->create_rate = cc.create_rate;
    c->mutate_rate = cc.mutate_rate;
    c->get_rate = cc.get_rate;
    c->max_inflight = cc.max_inflight_creates;
    c->create_wait_ms = cc.create_wait_ms;
    c->key_rate = (int)cc.key_rate;
    c->key_burst = (int)cc.key_burst;
    c->max_connections = 10000;
    c->idle_timeout_s = 30;
    c->header_timeout_s = 10;
    c->body_timeout_s = 120;
    c->workers = 64;
    c->project_name = "default";
    c->validate_ttl_s = 120;
    c->reconcile_after_s = 600;                            /* reconciliation */
    c->reconcile_grace_ms = 12000; /* > the upstream timeout (10 s): a create of the dead process is done by then */
    c->upload_session_ttl_s = cc.upload_session_ttl_s; /* upload sessions */
    c->liveness_sweep_s = (int)(cc.liveness_sweep_ms / 1000); /* liveness */
    c->liveness_orphan_age_s = (int)(cc.liveness_orphan_age_ms / 1000);
    c->liveness_poll_ms = cc.liveness_poll_ms;
    c->webhook_workers = cc.webhook_workers; /* webhooks */
    c->webhook_timeout_ms = cc.webhook_timeout_ms;
    c->webhook_backoff_ms = (int)cc.webhook_backoff_ms;
    c->webhook_retry_s = (int)(cc.webhook_retry_ms / 1000);
    c->video_wait_s = (int)(cc.video_wait_ms / 1000); /* wait_for_assets */
    c->sse_heartbeat_ms = cc.sse_heartbeat_ms; /* the event stream */
    c->usage_flush_ms = cc.usage_flush_ms;     /* usage metering */
}

/* Environment first, then flags; leaves the non-option words in rest. */
static int config_parse(struct config *c, int argc, char **argv, char **rest, int *n_rest, int *no_aigc,
                        const char **customer)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const char *v = getenv(opts[i].env);
        if (v && *v && set_opt(c, &opts[i], v) != 0)
            return -1;
    }
    *n_rest = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--no-aigc") == 0) {
            *no_aigc = 1;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            c->log_requests = 0;
            continue;
        }
        if (strncmp(a, "--customer", 10) == 0 && (a[10] == '\0' || a[10] == '=')) {
            const char *v = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                fprintf(stderr, "porticod: --customer needs a value\n");
                return -1;
            }
            *customer = v;
            continue;
        }
        const struct opt *o = NULL;
        const char *v = NULL;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
            size_t n = opts[k].flag ? strlen(opts[k].flag) : 0;
            if (n && strncmp(a, opts[k].flag, n) == 0 && (a[n] == '\0' || a[n] == '=')) {
                o = &opts[k];
                v = a[n] == '=' ? a + n + 1 : NULL;
                break;
            }
        }
        if (!o) {
            if (a[0] == '-') {
                fprintf(stderr, "porticod: unknown option %s (see porticod --help)\n", a);
                return -1;
            }
            rest[(*n_rest)++] = argv[i];
            continue;
        }
        if (!v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "porticod: %s needs a value\n", o->flag);
                return -1;
            }
            v = argv[++i];
        }
        if (set_opt(c, o, v) != 0)
            return -1;
    }
    return 0;
}

/* PostgreSQL: several nodes share the database (DESIGN.md, Scale-out). */
static int store_is_pg(const struct config *c)
{
    return strncmp(c->store, "postgres://", 11) == 0 || strncmp(c->store, "postgresql://", 13) == 0;
}

static struct store *open_store(const struct config *c)
{
    if (store_is_pg(c)) {
        struct store *pg = store_pg_open(c->store);
        if (!pg)
            fprintf(stderr, "porticod: cannot open the postgres store (see the log above)\n");
        return pg;
    }
    if (strcmp(c->store, "sqlite") != 0) {
        fprintf(stderr, "porticod: --store %s is not supported; use sqlite or postgres://...\n", c->store);
        return NULL;
    }
    struct store *s = store_sqlite_open(c->data_dir);
    if (!s)
        fprintf(stderr, "porticod: cannot open the store in %s\n", c->data_dir);
    return s;
}

/* `porticod keys` (customers' API keys) and `porticod admin` (the
 * operators' admin keys, API.md §7) are one command over two kinds of key:
 * create|list|revoke PREFIX, straight in the store, so that the first
 * admin key can be made before any exists. A row says what differs. */
struct key_command {
    const char *name; /* the subcommand, in messages too: "keys", "admin" */
    const char *noun; /* what a key is called: "key", "admin key" */
    /* The command's own checks of its arguments: 0, or a message and 2. */
    int (*check)(const char *sub, const char *customer);
    /* key_out has room for the longer kind (KEY_COMMAND_KEY_MAX + 1). */
    enum store_result (*create)(struct store *s, const char *customer, int aigc_enabled, char *key_out);
    enum store_result (*list)(struct store *s, FILE *out);
    enum store_result (*revoke)(struct store *s, const char *prefix);
};

#define KEY_COMMAND_KEY_MAX (KEYS_LEN > ADMIN_KEYS_LEN ? KEYS_LEN : ADMIN_KEYS_LEN)

/* `keys create` needs --customer, and a name the store can hold. */
static int customer_keys_check(const char *sub, const char *customer)
{
    if (strcmp(sub, "create") == 0 && !customer) {
        fprintf(stderr, "porticod: keys create needs --customer NAME\n");
        return 2;
    }
    if (customer && (!*customer || strlen(customer) >= STORE_CUSTOMER_MAX)) {
        fprintf(stderr, "porticod: --customer must be 1 to %d characters\n", STORE_CUSTOMER_MAX - 1);
        return 2;
    }
    return 0;
}

static enum store_result customer_keys_create(struct store *s, const char *customer, int aigc_enabled, char *key_out)
{
    return keys_create(s, customer, aigc_enabled, key_out);
}

static enum store_result customer_keys_revoke(struct store *s, const char *prefix)
{
    return keys_revoke(s, NULL, prefix); /* NULL: the command line (ACTOR_CLI) */
}

static enum store_result admin_keys_create_cli(struct store *s, const char *customer, int aigc_enabled, char *key_out)
{
    return admin_keys_create(s, key_out); /* --customer and --no-aigc mean nothing to an admin key */
}

static const struct key_command customer_keys_command = {
    "keys", "key", customer_keys_check, customer_keys_create, keys_list, customer_keys_revoke,
};
static const struct key_command admin_keys_command = {
    "admin", "admin key", NULL, admin_keys_create_cli, admin_keys_list, admin_keys_revoke,
};

static int cmd_key_command(const struct key_command *kc, const struct config *c, char **rest, int n_rest,
                           int no_aigc, const char *customer)
{
    if (n_rest < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = rest[1];
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke")) {
        fprintf(stderr, "porticod: unknown %s command '%s'\n", kc->name, sub);
        return 2;
    }
    if (strcmp(sub, "revoke") == 0 && n_rest < 3) {
        fprintf(stderr, "porticod: %s revoke needs the %s's PREFIX (see porticod %s list)\n", kc->name, kc->noun,
                kc->name);
        return 2;
    }
    if (kc->check && kc->check(sub, customer) != 0)
        return 2;
    struct store *s = open_store(c);
    if (!s)
        return 1;
    enum store_result r;
    if (strcmp(sub, "create") == 0) {
        char key[KEY_COMMAND_KEY_MAX + 1];
        r = kc->create(s, customer, !no_aigc, key);
        if (r == STORE_OK)
            printf("%s\n", key);
    } else if (strcmp(sub, "list") == 0) {
        r = kc->list(s, stdout);
    } else {
        r = kc->revoke(s, rest[2]);
        if (r == STORE_NOT_FOUND)
            fprintf(stderr, "porticod: no active %s has prefix %s\n", kc->noun, rest[2]);
        else if (r == STORE_OK)
            fprintf(stderr, "porticod: revoked %s\n", rest[2]);
    }
    s->ops->close(s);
    if (r != STORE_OK && r != STORE_NOT_FOUND)
        fprintf(stderr, "porticod: %s %s failed: %s\n", kc->name, sub, store_result_str(r));
    return r == STORE_OK ? 0 : 1;
}

/* `porticod usage verify`: the usage counters against a recount of the
 * records; exit 0 when they agree, 1 on a mismatch (each printed), 2 when
 * the store cannot be read. */
static int cmd_usage(const struct config *c, char **rest, int n_rest)
{
    if (n_rest < 2 || strcmp(rest[1], "verify") != 0) {
        if (n_rest >= 2)
            fprintf(stderr, "porticod: unknown usage command '%s'\n", rest[1]);
        else
            usage(stderr);
        return 2;
    }
    struct store *s = open_store(c);
    if (!s)
        return 2;
    int rc = usage_verify(s, stdout);
    s->ops->close(s);
    return rc;
}

/* The upstream configuration, for serve and doctor alike; with --upstream
 * sim it starts the embedded simulator on fresh credentials. 0 on success. */
struct upstream_setup {
    struct upstream_config uc;
    struct sim *sim;
    char sim_url[64], sim_ak[32], sim_sk[48], sim_ark_key[48];
};

static int upstream_setup(const struct config *c, const char *url_allow, struct upstream_setup *s)
{
    memset(s, 0, sizeof *s);
    struct upstream_config *uc = &s->uc;
    *uc = (struct upstream_config){.region = c->volc_region, .service = "ark", .version = "2024-01-01",
                                   .timeout_ms = 10000, .connect_timeout_ms = 3000, .max_attempts = 3,
                                   .project_name = c->project_name, .validate_ttl_s = c->validate_ttl_s};
    if (strcmp(c->upstream, "sim") == 0) {
        struct sim_config sc;
        sim_config_defaults(&sc);
        /* Fresh credentials each start: only this process can sign for its simulator. */
        memcpy(s->sim_ak, "AKLT", 4);
        ids_random_alnum(s->sim_ak + 4, 24);
        ids_random_alnum(s->sim_sk, 40);
        sc.access_key = s->sim_ak;
        sc.secret_key = s->sim_sk;
        ids_random_alnum(s->sim_ark_key, 40); /* video tasks: a fresh ARK API key, too */
        sc.ark_api_key = s->sim_ark_key;
        sc.region = c->volc_region;
        sc.port = c->sim_port;
        sc.quiet = 1;
        sc.url_allow = url_allow; /* the gateway's own list: its operator's, plus its public URL */
        s->sim = sim_start(&sc);
        if (!s->sim) {
            fprintf(stderr, "porticod: cannot start the embedded simulator\n");
            return -1;
        }
        snprintf(s->sim_url, sizeof s->sim_url, "http://127.0.0.1:%d", sim_port(s->sim));
        uc->endpoint = s->sim_url;
        uc->access_key = s->sim_ak;
        uc->secret_key = s->sim_sk;
        uc->ark_endpoint = s->sim_url;
        uc->ark_api_key = s->sim_ark_key;
    } else {
        if (!c->volc_ak || !c->volc_sk) {
            fprintf(stderr, "porticod: --upstream %s needs PORTICO_VOLC_AK and PORTICO_VOLC_SK\n", c->upstream);
            return -1;
        }
        uc->endpoint = c->upstream;
        uc->access_key = c->volc_ak;
        uc->secret_key = c->volc_sk;
        uc->ark_endpoint = c->ark_endpoint;
        uc->ark_api_key = c->ark_api_key;
    }
    return 0;
}

static int serve(const struct config *c)
{
    int rc = 1;
    struct sim *sim = NULL;
    struct upstream *up = NULL;
    struct core *core = NULL;
    struct api *api = NULL, *admin_api = NULL;
    struct http_server *http = NULL, *admin_http = NULL;
    struct blob *blob = NULL;

    /* Signals are taken by sigwait in this thread only (signals.h). */
    sigset_t stop;
    signals_block_stop(&stop);
    /* Each connection is a descriptor: allow as many as the hard limit. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }

    if (strcmp(c->admin_listen, c->listen) == 0) {
        fprintf(stderr, "porticod: --admin-listen must differ from --listen: the operators' API is never public\n");
        return 2;
    }
    /* A PostgreSQL store is always one a fleet may share: any node can join
     * it at any time, and nothing in it can promise otherwise. Each node's
     * embedded simulator would be an upstream account of its own, whose
     * limits the fleet's budget (core/budget.c) does not describe. */
    if (store_is_pg(c) && strcmp(c->upstream, "sim") == 0) {
        fprintf(stderr,
                "porticod: --upstream sim (the embedded simulator) cannot serve a PostgreSQL store: every node "
                "sharing the database would have an upstream account of its own. Run one simulator "
                "(portico-sim --listen HOST:PORT --access-key AK --secret-key SK) and start every node with "
                "--upstream http://HOST:PORT --ark-endpoint http://HOST:PORT and PORTICO_VOLC_AK=AK "
                "PORTICO_VOLC_SK=SK (see porticod(8), FLEET)\n");
        return 2;
    }
    struct store *store = open_store(c);
    if (!store)
        return 1;
    /* The media store; the upstream fetches uploads from public_url. */
    char public_url[300];
    snprintf(public_url, sizeof public_url, "http://%s", c->listen);
    struct blob_config bc = {.spec = c->blob, .data_dir = c->data_dir,
                             .public_url = c->public_url && *c->public_url ? c->public_url : public_url};
    blob = blob_open(&bc);
    if (!blob) {
        fprintf(stderr, "porticod: cannot open the media store (--blob %s)\n", c->blob);
        goto out;
    }
    /* An upload cut short by a crash left a staging file: remove it. The
     * reservations an earlier stop left are settled once the upstream is
     * up (reconciliation, below): not dropped blindly, since the upstream
     * may have made what they were creating. */
    int swept_blobs = blob_sweep_staging(blob);
    if (swept_blobs > 0)
        log_info("removed %d staging files of unfinished uploads left by an earlier stop", swept_blobs);

    /* The outbound URL policy's exceptions: the operator's, plus this
     * gateway's public URL, from which the upstream fetches uploads. */
    char url_allow[4096], err[200];
    if (core_url_allow_list(c->url_allow, bc.public_url, url_allow, sizeof url_allow, err, sizeof err) != 0) {
        fprintf(stderr, "porticod: --url-allow: %s\n", err);
        goto out;
    }
    struct upstream_setup us;
    if (upstream_setup(c, url_allow, &us) != 0)
        goto out;
    sim = us.sim;
    if (!sim && !c->ark_api_key)
        log_warn("PORTICO_ARK_API_KEY is not set: video generation requests will be refused upstream");
    up = upstream_volc_new(&us.uc);
    struct core_config cc;
    core_config_defaults(&cc);
    cc.create_rate = c->create_rate;
    cc.mutate_rate = c->mutate_rate;
    cc.get_rate = c->get_rate;
    cc.max_inflight_creates = c->max_inflight;
    cc.create_wait_ms = c->create_wait_ms;
    cc.key_rate = c->key_rate;
    cc.key_burst = c->key_burst;
    cc.reconcile_after_ms = (int64_t)c->reconcile_after_s * 1000; /* reconciliation */
    cc.upload_session_ttl_s = c->upload_session_ttl_s;             /* upload sessions */
    snprintf(cc.public_url, sizeof cc.public_url, "%s", bc.public_url); /* video result URLs */
    cc.url_allow = url_allow;
    cc.liveness_sweep_ms = (int64_t)c->liveness_sweep_s * 1000;   /* liveness */
    cc.liveness_orphan_age_ms = (int64_t)c->liveness_orphan_age_s * 1000;
    cc.liveness_poll_ms = c->liveness_poll_ms > 0 ? c->liveness_poll_ms : cc.liveness_poll_ms;
    cc.webhook_workers = c->webhook_workers;                       /* webhooks */
    cc.webhook_timeout_ms = c->webhook_timeout_ms;
    cc.webhook_backoff_ms = c->webhook_backoff_ms;
    cc.webhook_retry_ms = (int64_t)c->webhook_retry_s * 1000;
    cc.video_wait_ms = c->video_wait_s > 0 ? (int64_t)c->video_wait_s * 1000 : cc.video_wait_ms; /* wait_for_assets */
    cc.sse_heartbeat_ms = c->sse_heartbeat_ms > 0 ? c->sse_heartbeat_ms : cc.sse_heartbeat_ms;
    cc.usage_flush_ms = c->usage_flush_ms > 0 ? c->usage_flush_ms : cc.usage_flush_ms;
    core = up ? core_new(&cc, store, up) : NULL;
    if (core)
        core_set_blob(core, blob);
    if (!core || core_start(core) != 0)
        goto out;
    /* reconciliation: settle what an earlier stop left half-done before
     * serving, so quotas and records are exact from the first request.
     * With PostgreSQL, other nodes may be creating right now: only
     * reservations old enough to be certainly abandoned are settled. */
    int64_t settle_before = store_is_pg(c) ? clock_wall_ms() - (int64_t)c->reconcile_after_s * 1000 : INT64_MAX;
    struct core_reconcile_counts rn;
    if (core_reconcile_startup(core, settle_before, c->reconcile_grace_ms, &rn) == 0 && (rn.adopted || rn.undone || rn.released || rn.left))
        log_info("settled unfinished creates left by an earlier stop: %d adopted, %d undone upstream, %d released,"
                 " %d left for the background reconciler", rn.adopted, rn.undone, rn.released, rn.left);
    api = api_new(core, c->volc_region);
    struct http_config hc = {.listen = c->listen, .io_threads = c->threads, .workers = c->workers,
                             .log_requests = c->log_requests, .conn_limit = c->max_connections,
                             .idle_timeout_s = c->idle_timeout_s, .header_timeout_s = c->header_timeout_s,
                             .body_timeout_s = c->body_timeout_s};
    http = api ? http_start(&hc, api) : NULL;
    if (!http)
        goto out;
    /* The operators' listener: few connections, none of them slow. */
    admin_api = api_new_admin(core, c->volc_region);
    struct http_config ahc = {.listen = c->admin_listen, .io_threads = 1, .workers = 4,
                              .log_requests = c->log_requests, .conn_limit = 256,
                              .idle_timeout_s = c->idle_timeout_s, .header_timeout_s = c->header_timeout_s,
                              .body_timeout_s = c->body_timeout_s};
    admin_http = admin_api ? http_start(&ahc, admin_api) : NULL;
    if (!admin_http) {
        fprintf(stderr, "porticod: cannot serve the admin listener on %s (--admin-listen)\n", c->admin_listen);
        goto out;
    }
    log_info("porticod admin listener on http://%s (operators' API, console, /metrics)", c->admin_listen);
    log_info("porticod listening on http://%s (store: %s in %s; upstream: %s)", c->listen,
             store_is_pg(c) ? "postgres" : "sqlite", store_is_pg(c) ? "the shared database" : c->data_dir,
             sim ? us.sim_url : c->upstream);

    int sig = signals_wait_stop(&stop);
    log_info("received %s: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    api_set_draining(api, 1);
    api_set_draining(admin_api, 1);
    http_drain(http, 30000);
    http_drain(admin_http, 5000);
    rc = 0;
out:
    http_stop(http);
    http_stop(admin_http);
    core_free(core);
    api_free(api);
    api_free(admin_api);
    if (up)
        up->ops->destroy(up);
    if (sim)
        sim_stop(sim);
    blob_close(blob);
    store->ops->close(store);
    if (rc == 0)
        log_info("porticod stopped");
    return rc;
}

/* The two public deployments of the same API (UPSTREAM.md "Hosts"):
 * --upstream NAME picks the endpoint, and the region and video endpoint
 * unless PORTICO_VOLC_REGION / --ark-endpoint say otherwise. */
static const struct upstream_profile {
    const char *name, *endpoint, *region, *ark_endpoint;
} upstream_profiles[] = {
    {"volcengine", "https://open.volcengineapi.com", "cn-beijing", "https://ark.cn-beijing.volces.com"},
    /* BytePlus ModelArk's data plane: docs.byteplus.com/en/docs/modelark/1399008
     * (base_url https://ark.ap-southeast.bytepluses.com/api/v3) */
    {"byteplus", "https://open.byteplusapi.com", "ap-southeast-1", "https://ark.ap-southeast.bytepluses.com"},
};

static void config_resolve_upstream(struct config *c)
{
    const struct upstream_profile *p = &upstream_profiles[0];
    size_t n = sizeof upstream_profiles / sizeof upstream_profiles[0], i;
    for (i = 0; i < n && strcmp(c->upstream, upstream_profiles[i].name) != 0; i++)
        ;
    if (i < n) {
        p = &upstream_profiles[i];
        c->upstream = p->endpoint;
    } else if (strstr(c->upstream, "byteplusapi.com")) {
        p = &upstream_profiles[1]; /* an explicit BytePlus endpoint */
    }
    if (!c->volc_region)
        c->volc_region = p->region;
    if (!c->ark_endpoint)
        c->ark_endpoint = p->ark_endpoint;
}

/* doctor: `porticod doctor [--image-url URL] [--timeout S] [--json] [OPTIONS]`. */
static int cmd_doctor(int argc, char **argv)
{
    struct doctor_options o;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int n_rest = 0, no_aigc = 0, rc;
    const char *customer = NULL;
    struct config c;
    if (!rest)
        return DOCTOR_USAGE;
    rest[0] = argv[0];
    rc = doctor_parse_args(argc - 1, argv + 1, &o, rest + 1, &n_rest);
    if (rc != 0) {
        free(rest);
        return rc > 0 ? 0 : DOCTOR_USAGE;
    }
    config_defaults(&c);
    char **words = calloc((size_t)argc + 1, sizeof *words);
    int n_words = 0;
    if (!words || config_parse(&c, n_rest + 1, rest, words, &n_words, &no_aigc, &customer) != 0 || n_words) {
        if (words && n_words)
            fprintf(stderr, "porticod doctor: unexpected argument '%s' (see porticod doctor --help)\n", words[0]);
        free(words);
        free(rest);
        return DOCTOR_USAGE;
    }
    free(words);
    free(rest);
    config_resolve_upstream(&c);
    signal(SIGPIPE, SIG_IGN);
    struct upstream_setup us;
    char url_allow[4096], err[200];
    if (core_url_allow_list(c.url_allow, NULL, url_allow, sizeof url_allow, err, sizeof err) != 0) {
        fprintf(stderr, "porticod doctor: --url-allow: %s\n", err);
        return DOCTOR_USAGE;
    }
    if (upstream_setup(&c, url_allow, &us) != 0)
        return DOCTOR_USAGE;
    o.public_url = c.public_url;
    o.upstream_is_sim = us.sim != NULL;
    struct upstream *up = upstream_volc_new(&us.uc);
    if (!up) {
        fprintf(stderr, "porticod doctor: cannot set up the upstream client (see the log above)\n");
        rc = DOCTOR_USAGE;
    } else {
        rc = doctor_run(up, &us.uc, &o);
        up->ops->destroy(up);
    }
    if (us.sim)
        sim_stop(us.sim);
    return rc;
}

int main(int argc, char **argv)
{
    struct config c;
    if (argc >= 2 && strcmp(argv[1], "doctor") == 0) /* doctor: its own flags, then ours */
        return cmd_doctor(argc, argv);
    config_defaults(&c);
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int n_rest = 0, no_aigc = 0;
    const char *customer = NULL;
    if (!rest || config_parse(&c, argc, argv, rest, &n_rest, &no_aigc, &customer) != 0) {
        free(rest);
        return 2;
    }
    config_resolve_upstream(&c);
    int rc;
    if (n_rest == 0 || strcmp(rest[0], "serve") == 0) {
        rc = serve(&c);
    } else if (strcmp(rest[0], "keys") == 0) {
        rc = cmd_key_command(&customer_keys_command, &c, rest, n_rest, no_aigc, customer);
    } else if (strcmp(rest[0], "admin") == 0) {
        rc = cmd_key_command(&admin_keys_command, &c, rest, n_rest, no_aigc, customer);
    } else if (strcmp(rest[0], "usage") == 0) {
        rc = cmd_usage(&c, rest, n_rest);
    } else if (strcmp(rest[0], "migrate") == 0) {
        struct store *s = open_store(&c);
        rc = s ? 0 : 1;
        if (s) {
            s->ops->close(s);
            if (store_is_pg(&c))
                fprintf(stderr, "porticod: the postgres store is migrated\n");
            else
                fprintf(stderr, "porticod: the store in %s is migrated\n", c.data_dir);
        }
    } else {
        fprintf(stderr, "porticod: unknown command '%s' (see porticod --help)\n", rest[0]);
        rc = 2;
    }
    free(rest);
    return rc;
}
