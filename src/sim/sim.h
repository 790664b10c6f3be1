/* sim.h — the upstream simulator: Volcengine's ark asset API over HTTP.
 *
 * Runs as its own binary (portico-sim) or inside porticod (--upstream sim),
 * always behind its own libmicrohttpd listener: the gateway reaches it only
 * over HTTP, exactly as it reaches Volcengine. */
#ifndef PORTICO_SIM_H
#define PORTICO_SIM_H
#include <stddef.h>

struct sim_config {
    const char *listen_host;     /* "127.0.0.1" */
    int port;                    /* 0: an ephemeral port, see sim_port() */
    const char *access_key;      /* the only credentials the simulator accepts */
    const char *secret_key;
    const char *region;          /* "cn-beijing" */
    int processing_ms;           /* PORTICO_SIM_PROCESSING_MS, default 3000 */
    int token_ttl_s;             /* PORTICO_SIM_TOKEN_TTL_S, default 120 */
    double create_rate;          /* requests/s for CreateAssetGroup+CreateAsset; default 30 */
    double list_update_rate;     /* requests/s for List* and Update* (and Delete*); default 30 */
    double get_rate;             /* requests/s for GetAsset/GetAssetGroup; default 100 */
    int max_creations_in_flight; /* default 30 */
    size_t max_fetch_bytes;      /* largest media the simulator downloads; default 64 MiB */
    int fetch_timeout_ms;        /* default 10000 */
    /* the outbound URL policy (util/urlpolicy.h): media is fetched from
     * public addresses only, except these comma-separated hosts, host:port
     * and CIDRs; PORTICO_URL_ALLOW or --url-allow. porticod adds its own
     * public URL's host:port. Malformed: sim_start fails. */
    const char *url_allow;
    int quiet;                   /* 1: no request log lines */
    /* video tasks (sim_video.c): ModelArk's Bearer-authenticated API */
    const char *ark_api_key;     /* the only ARK API key accepted; PORTICO_ARK_API_KEY or "portico-sim-ark-key" */
    int video_ms;                /* PORTICO_SIM_VIDEO_MS: queued -> running -> succeeded; default 5000 */
    int video_expire_ms;         /* PORTICO_SIM_VIDEO_EXPIRE_MS: a task still queued this long expires; default 48 h */
    int video_url_ttl_s;         /* PORTICO_SIM_VIDEO_URL_TTL_S: life of a result URL (then 403); default 86400 */
    const char *ark_project;     /* PORTICO_SIM_ARK_PROJECT: the ARK key's project; default "default" */
    /* faults (sim_faults.c): probabilities 0..1 that a signed Action request
     * meets each fault; PORTICO_SIM_FAULT_RATE spreads one overall rate over
     * the five, PORTICO_SIM_FAULT_{LATENCY,5XX,THROTTLE,DROP,LOST_REPLY}
     * set one each; default 0. Changeable at run time: POST /_sim/faults. */
    double fault_latency, fault_5xx, fault_throttle, fault_drop, fault_lost_reply;
    int fault_latency_ms;        /* PORTICO_SIM_FAULT_LATENCY_MS: longest injected delay; default 200 */
    unsigned long fault_seed;    /* PORTICO_SIM_FAULT_SEED: fixes the draws; 0: random */
    /* test endpoints (/_sim/stats, /_sim/faults, /_sim/objects): they exist
     * only when this is set (PORTICO_SIM_TEST_TOKEN, portico-sim
     * --test-token), and then answer only requests carrying
     * "Authorization: Bearer <test_token>". NULL or "": 404. */
    const char *test_token;
};

/* Fills defaults, then PORTICO_SIM_* environment variables. */
void sim_config_defaults(struct sim_config *c);
/* Starts the listener and background workers; NULL on failure (logged). */
struct sim *sim_start(const struct sim_config *c);
int sim_port(const struct sim *s);
/* Stops the listener and workers and frees everything. */
void sim_stop(struct sim *s);

#endif
