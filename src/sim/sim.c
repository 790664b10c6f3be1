/* sim.c — the simulator's lifecycle: wires config, limits, state, the fetch
 * workers and the listener together, and takes them down in reverse order
 * (listener first, so no request can reach a freed part). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_faults.h"
#include "sim/sim_http.h"
#include "sim/sim_video.h"
#include "util/log.h"
#include "util/urlpolicy.h"

#define SIM_FETCH_THREADS 4
#define SIM_FETCH_QUEUE 4096

static char *dup_str(const char *s, const char *fallback)
{
    return strdup(s && *s ? s : fallback);
}

struct sim *sim_start(const struct sim_config *c)
{
    struct sim *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *c;
    s->listen_host = dup_str(c->listen_host, "127.0.0.1");
    s->access_key = dup_str(c->access_key, "AKLTportico-sim");
    s->secret_key = dup_str(c->secret_key, "portico-sim-secret");
    s->region = dup_str(c->region, "cn-beijing");
    s->ark_api_key = dup_str(c->ark_api_key, "portico-sim-ark-key"); /* video tasks */
    s->cfg.ark_api_key = s->ark_api_key;
    s->cfg.listen_host = s->listen_host;
    s->cfg.access_key = s->access_key;
    s->cfg.secret_key = s->secret_key;
    s->cfg.region = s->region;
    /* test endpoints: only with a token; cfg keeps no pointer to it */
    s->test_token = c->test_token && *c->test_token ? strdup(c->test_token) : NULL;
    s->cfg.test_token = NULL;
    if (s->cfg.processing_ms < 0)
        s->cfg.processing_ms = 0;
    if (s->cfg.fetch_timeout_ms <= 0)
        s->cfg.fetch_timeout_ms = 10000;
    if (s->cfg.max_fetch_bytes == 0)
        s->cfg.max_fetch_bytes = (size_t)64 << 20;
    /* Reference-counted and thread-safe in the libcurl we require (>= 7.84). */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sim_limits_init(&s->limits, &s->cfg);
    pthread_mutex_init(&s->stats.mu, NULL);
    if (!s->listen_host || !s->access_key || !s->secret_key || !s->region)
        goto fail;
    /* The outbound URL policy: public addresses, plus the operator's list. */
    s->url_policy = malloc(sizeof *s->url_policy);
    if (!s->url_policy)
        goto fail;
    urlpolicy_init(s->url_policy);
    char err[160];
    if (urlpolicy_allow(s->url_policy, c->url_allow, err, sizeof err) != 0) {
        log_error("sim: PORTICO_URL_ALLOW: %s", err);
        goto fail;
    }
    s->cfg.url_allow = NULL; /* not owned; the policy holds what it said */
    s->assets = sim_assets_new(s->cfg.processing_ms);
    if (!s->assets)
        goto fail;
    s->fetch = sim_fetch_start(s->assets, SIM_FETCH_THREADS, SIM_FETCH_QUEUE, s->cfg.max_fetch_bytes,
                               s->cfg.fetch_timeout_ms, s->url_policy);
    if (!s->fetch)
        goto fail;
    sim_assets_set_fetch(s->assets, s->fetch);
    sim_assets_set_max_processing(s->assets, s->cfg.max_creations_in_flight);
    s->liveness = sim_liveness_new(s->cfg.token_ttl_s, s->assets);
    if (!s->liveness)
        goto fail;
    sim_assets_set_liveness(s->assets, s->liveness);
    s->videos = s->ark_api_key ? sim_videos_new(&s->cfg) : NULL; /* video tasks */
    if (!s->videos)
        goto fail;
    s->faults = sim_faults_new(&s->cfg); /* faults */
    if (!s->faults)
        goto fail;
    if (sim_http_start(s) != 0)
        goto fail;
    char base[96];
    if (strchr(s->listen_host, ':'))
        snprintf(base, sizeof base, "http://[%s]:%d", strcmp(s->listen_host, "::") ? s->listen_host : "::1", s->port);
    else
        snprintf(base, sizeof base, "http://%s:%d",
                 strcmp(s->listen_host, "0.0.0.0") ? s->listen_host : "127.0.0.1", s->port);
    sim_liveness_set_link_base(s->liveness, base);
    return s;
fail:
    log_error("sim: start failed");
    sim_stop(s);
    return NULL;
}

int sim_port(const struct sim *s)
{
    return s ? s->port : 0;
}

void sim_stop(struct sim *s)
{
    if (!s)
        return;
    sim_http_stop(s);
    sim_fetch_stop(s->fetch);
    sim_videos_free(s->videos); /* video tasks */
    sim_faults_free(s->faults); /* faults */
    sim_liveness_free(s->liveness);
    sim_assets_free(s->assets);
    sim_limits_destroy(&s->limits);
    pthread_mutex_destroy(&s->stats.mu);
    curl_global_cleanup();
    free(s->listen_host);
    free(s->access_key);
    free(s->secret_key);
    free(s->region);
    free(s->ark_api_key);
    free(s->url_policy);
    free(s->test_token);
    free(s);
}
