/* sim_config.c — the simulator's defaults, then PORTICO_* environment
 * overrides. A malformed variable keeps the default and says so: a typo must
 * not silently turn throttling off. */
#include <errno.h>
#include <stdlib.h>

#include "sim/sim_faults.h"
#include "sim/sim_int.h"
#include "util/log.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void env_int(const char *name, int min, int max, int *out)
{
    const char *v = env(name);
    if (!v)
        return;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || x < min || x > max) {
        log_warn("%s=%s is not an integer in %d..%d; keeping %d", name, v, min, max, *out);
        return;
    }
    *out = (int)x;
}

static void env_rate(const char *name, double *out)
{
    const char *v = env(name);
    if (!v)
        return;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || *end || !(x > 0) || x > 1e6) {
        log_warn("%s=%s is not a positive rate; keeping %g", name, v, *out);
        return;
    }
    *out = x;
}

void sim_config_defaults(struct sim_config *c)
{
    c->listen_host = "127.0.0.1";
    c->port = 0;
    c->access_key = env("PORTICO_VOLC_AK") ? env("PORTICO_VOLC_AK") : "AKLTportico-sim";
    c->secret_key = env("PORTICO_VOLC_SK") ? env("PORTICO_VOLC_SK") : "portico-sim-secret";
    /* The embedded simulator must accept what the gateway's client signs,
     * and the client takes its region from the same variable. */
    c->region = env("PORTICO_VOLC_REGION") ? env("PORTICO_VOLC_REGION") : "cn-beijing";
    c->processing_ms = 3000;
    c->token_ttl_s = 120;
    c->create_rate = 30;
    c->list_update_rate = 30;
    c->get_rate = 100;
    c->max_creations_in_flight = 30;
    c->max_fetch_bytes = (size_t)64 * 1024 * 1024;
    c->fetch_timeout_ms = 10000;
    c->quiet = 0;
    c->url_allow = env("PORTICO_URL_ALLOW"); /* outbound URL policy: none allowed beyond public addresses */

    env_int("PORTICO_SIM_PROCESSING_MS", 0, 24 * 3600 * 1000, &c->processing_ms);
    env_int("PORTICO_SIM_TOKEN_TTL_S", 1, 7 * 24 * 3600, &c->token_ttl_s);
    env_rate("PORTICO_SIM_CREATE_RATE", &c->create_rate);
    env_rate("PORTICO_SIM_LIST_RATE", &c->list_update_rate);
    env_rate("PORTICO_SIM_GET_RATE", &c->get_rate);
    env_int("PORTICO_SIM_MAX_INFLIGHT_CREATES", 1, 1000000, &c->max_creations_in_flight);
    env_int("PORTICO_SIM_FETCH_TIMEOUT_MS", 100, 600000, &c->fetch_timeout_ms);
    int mib = (int)(c->max_fetch_bytes >> 20);
    env_int("PORTICO_SIM_MAX_FETCH_MIB", 1, 4096, &mib);
    c->max_fetch_bytes = (size_t)mib << 20;
    /* video tasks */
    c->ark_api_key = env("PORTICO_ARK_API_KEY") ? env("PORTICO_ARK_API_KEY") : "portico-sim-ark-key";
    c->video_ms = 5000;
    env_int("PORTICO_SIM_VIDEO_MS", 0, 24 * 3600 * 1000, &c->video_ms);
    /* ModelArk's execution_expires_after default (172800 s); UPSTREAM.md has no row yet. */
    c->video_expire_ms = 172800 * 1000;
    env_int("PORTICO_SIM_VIDEO_EXPIRE_MS", 1, 172800 * 1000, &c->video_expire_ms);
    c->video_url_ttl_s = 86400; /* UPSTREAM.md "Video tasks": video_url signed, ~24 h, then 403 */
    env_int("PORTICO_SIM_VIDEO_URL_TTL_S", 1, 7 * 86400, &c->video_url_ttl_s);
    c->ark_project = env("PORTICO_SIM_ARK_PROJECT") ? env("PORTICO_SIM_ARK_PROJECT") : "default";
    sim_faults_env(c); /* faults */
    c->test_token = env("PORTICO_SIM_TEST_TOKEN"); /* test endpoints: off unless set */
}
