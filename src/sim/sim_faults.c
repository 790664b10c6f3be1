/* sim_faults.c — the upstream misbehaving on purpose, at configurable rates.
 *
 * Each signed Action request draws at most one fault (sim_http.c applies
 * it): latency (answered late), 5xx and throttling (answered with an error
 * before acting), a dropped connection (closed before acting, no answer)
 * and a lost reply (the Action is performed, then the connection closes:
 * the create happened and its answer never arrived — the case a gateway
 * must reconcile rather than repeat). Rates come from PORTICO_SIM_FAULT_*
 * at start and can be changed at run time through POST /_sim/faults, so a
 * test can stop the faults without restarting. The counts of injected
 * faults and of Actions performed are in /_sim/stats; /_sim/objects lists
 * every live group and asset, so a test can compare the upstream with the
 * gateway's records object for object.
 *
 * Invariant: the rates always sum to at most 1 (a draw is one uniform
 * number walked through them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_faults.h"
#include "sim/sim_http.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"

static const char *const kind_names[SIM_FAULT_KINDS] = {"none", "latency", "5xx", "throttle", "drop",
                                                        "lost_reply"};

struct sim_faults {
    pthread_mutex_t mu;
    double rate[SIM_FAULT_KINDS]; /* [0] unused */
    int latency_ms;
    uint64_t rng;
    uint64_t injected[SIM_FAULT_KINDS];
    uint64_t draws;
    uint64_t acted[SIM_MAX_ACTIONS];
};

/* ---- configuration ---- */

static int parse_rate(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= 0) || x > 1)
        return -1;
    *out = x;
    return 0;
}

static void env_rate(const char *name, double *out)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return;
    if (parse_rate(v, out) != 0)
        log_warn("%s=%s is not a rate in 0..1; keeping %g", name, v, *out);
}

void sim_faults_env(struct sim_config *c)
{
    double overall = 0;
    env_rate("PORTICO_SIM_FAULT_RATE", &overall);
    /* An overall rate is spread evenly over the five kinds; a kind's own
     * variable overrides its share. */
    c->fault_latency = c->fault_5xx = c->fault_throttle = c->fault_drop = c->fault_lost_reply = overall / 5;
    env_rate("PORTICO_SIM_FAULT_LATENCY", &c->fault_latency);
    env_rate("PORTICO_SIM_FAULT_5XX", &c->fault_5xx);
    env_rate("PORTICO_SIM_FAULT_THROTTLE", &c->fault_throttle);
    env_rate("PORTICO_SIM_FAULT_DROP", &c->fault_drop);
    env_rate("PORTICO_SIM_FAULT_LOST_REPLY", &c->fault_lost_reply);
    c->fault_latency_ms = 200;
    const char *v = getenv("PORTICO_SIM_FAULT_LATENCY_MS");
    if (v && *v) {
        char *end;
        long ms = strtol(v, &end, 10);
        if (*end || end == v || ms < 0 || ms > 60000)
            log_warn("PORTICO_SIM_FAULT_LATENCY_MS=%s is not 0..60000; keeping 200", v);
        else
            c->fault_latency_ms = (int)ms;
    }
    v = getenv("PORTICO_SIM_FAULT_SEED");
    c->fault_seed = v && *v ? strtoul(v, NULL, 10) : 0;
}

/* Scales the rates down so that they sum to at most 1. Caller holds mu. */
static void normalise(struct sim_faults *f)
{
    double sum = 0;
    for (int k = 1; k < SIM_FAULT_KINDS; k++)
        sum += f->rate[k];
    if (sum > 1)
        for (int k = 1; k < SIM_FAULT_KINDS; k++)
            f->rate[k] /= sum;
}

struct sim_faults *sim_faults_new(const struct sim_config *c)
{
    struct sim_faults *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->mu, NULL);
    f->rate[SIM_FAULT_LATENCY] = c->fault_latency;
    f->rate[SIM_FAULT_5XX] = c->fault_5xx;
    f->rate[SIM_FAULT_THROTTLE] = c->fault_throttle;
    f->rate[SIM_FAULT_DROP] = c->fault_drop;
    f->rate[SIM_FAULT_LOST_REPLY] = c->fault_lost_reply;
    for (int k = 1; k < SIM_FAULT_KINDS; k++)
        if (!(f->rate[k] >= 0) || f->rate[k] > 1)
            f->rate[k] = 0;
    normalise(f);
    f->latency_ms = c->fault_latency_ms > 0 ? c->fault_latency_ms : 0;
    f->rng = c->fault_seed;
    if (!f->rng)
        crypto_random(&f->rng, sizeof f->rng);
    if (!f->rng)
        f->rng = 0x9E3779B97F4A7C15ull;
    return f;
}

void sim_faults_free(struct sim_faults *f)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* ---- drawing ---- */

/* xorshift64*: uniform in [0, 1). Caller holds mu. */
static double next_unit(struct sim_faults *f)
{
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return (double)((f->rng * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

enum sim_fault sim_faults_draw(struct sim_faults *f)
{
    if (!f)
        return SIM_FAULT_NONE;
    pthread_mutex_lock(&f->mu);
    f->draws++;
    double u = next_unit(f), acc = 0;
    enum sim_fault k = SIM_FAULT_NONE;
    for (int i = 1; i < SIM_FAULT_KINDS && k == SIM_FAULT_NONE; i++) {
        acc += f->rate[i];
        if (u < acc)
            k = (enum sim_fault)i;
    }
    int delay = 0;
    if (k != SIM_FAULT_NONE)
        f->injected[k]++;
    if (k == SIM_FAULT_LATENCY)
        delay = (int)(next_unit(f) * f->latency_ms);
    pthread_mutex_unlock(&f->mu);
    if (delay > 0)
        clock_sleep_ms(delay);
    return k;
}

void sim_faults_acted(struct sim_faults *f, int action)
{
    if (!f || action < 0 || action >= SIM_MAX_ACTIONS)
        return;
    pthread_mutex_lock(&f->mu);
    f->acted[action]++;
    pthread_mutex_unlock(&f->mu);
}

/* ---- reporting and the run-time switch ---- */

static json_t *rates_json(struct sim_faults *f)
{
    json_t *o = json_object();
    double sum = 0;
    for (int k = 1; k < SIM_FAULT_KINDS; k++) {
        json_object_set_new(o, kind_names[k], json_real(f->rate[k]));
        sum += f->rate[k];
    }
    json_object_set_new(o, "rate", json_real(sum));
    json_object_set_new(o, "latency_ms", json_integer(f->latency_ms));
    return o;
}

json_t *sim_faults_stats(struct sim_faults *f, const char *const *names, size_t n_actions)
{
    if (!f)
        return json_object();
    json_t *inj = json_object(), *acted = json_object();
    pthread_mutex_lock(&f->mu);
    uint64_t total = 0;
    for (int k = 1; k < SIM_FAULT_KINDS; k++) {
        json_object_set_new(inj, kind_names[k], json_integer((json_int_t)f->injected[k]));
        total += f->injected[k];
    }
    for (size_t i = 0; i < n_actions && i < SIM_MAX_ACTIONS; i++)
        json_object_set_new(acted, names[i], json_integer((json_int_t)f->acted[i]));
    json_t *o = json_pack("{s:o, s:o, s:I, s:I, s:o}", "rates", rates_json(f), "injected", inj, "injected_total",
                          (json_int_t)total, "requests_drawn", (json_int_t)f->draws, "acted", acted);
    pthread_mutex_unlock(&f->mu);
    return o;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, json_t *body)
{
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return sim_http_send(conn, status, s ? s : strdup("{}"), "application/json; charset=utf-8", NULL, NULL);
}

static enum MHD_Result bad(struct MHD_Connection *conn, const char *why)
{
    return reply(conn, 400, json_pack("{s:s}", "error", why));
}

/* The number under key in o, when present: 0 absent, 1 set, -1 malformed. */
static int number(json_t *o, const char *key, double *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 1;
}

enum MHD_Result sim_faults_http(struct sim *s, struct MHD_Connection *conn, const char *method, const char *body,
                                size_t len)
{
    struct sim_faults *f = s->faults;
    if (!f)
        return reply(conn, 503, json_pack("{s:s}", "error", "faults are not available"));
    if (strcmp(method, "GET") == 0) {
        pthread_mutex_lock(&f->mu);
        json_t *o = rates_json(f);
        pthread_mutex_unlock(&f->mu);
        return reply(conn, 200, o);
    }
    if (strcmp(method, "POST") != 0)
        return reply(conn, 405, json_pack("{s:s}", "error", "use GET or POST"));
    json_error_t jerr;
    json_t *req = len ? json_loadb(body, len, 0, &jerr) : json_object();
    if (!json_is_object(req)) {
        json_decref(req);
        return bad(conn, "the body must be a JSON object");
    }
    double rate[SIM_FAULT_KINDS] = {0}, overall = 0, ms = 0;
    int has_overall = number(req, "rate", &overall);
    int has_ms = number(req, "latency_ms", &ms);
    int has[SIM_FAULT_KINDS] = {0};
    int ok = has_overall >= 0 && has_ms >= 0 && (!has_overall || (overall >= 0 && overall <= 1)) &&
             (!has_ms || (ms >= 0 && ms <= 60000));
    for (int k = 1; k < SIM_FAULT_KINDS && ok; k++) {
        has[k] = number(req, kind_names[k], &rate[k]);
        ok = has[k] >= 0 && (!has[k] || (rate[k] >= 0 && rate[k] <= 1));
    }
    json_decref(req);
    if (!ok)
        return bad(conn, "rates are numbers from 0 to 1, latency_ms from 0 to 60000");
    pthread_mutex_lock(&f->mu);
    /* "rate" replaces every kind's rate (spread evenly); then kinds given
     * by name override their share. */
    for (int k = 1; k < SIM_FAULT_KINDS; k++) {
        if (has_overall)
            f->rate[k] = overall / (SIM_FAULT_KINDS - 1);
        if (has[k] > 0)
            f->rate[k] = rate[k];
    }
    normalise(f);
    if (has_ms > 0)
        f->latency_ms = (int)ms;
    json_t *o = rates_json(f);
    pthread_mutex_unlock(&f->mu);
    return reply(conn, 200, o);
}

enum MHD_Result sim_faults_objects(struct sim *s, struct MHD_Connection *conn)
{
    json_t *o = sim_assets_objects(s->assets);
    return reply(conn, o ? 200 : 500, o);
}
