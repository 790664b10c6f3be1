/* sim_limits.c — the upstream account's limits, as Volcengine enforces them:
 * a token bucket per class of Action (burst = one second's worth) and a cap
 * on create requests being handled at once. */
#include <stdio.h>

#include "sim/sim_int.h"

void sim_limits_init(struct sim_limits *l, const struct sim_config *c)
{
    bucket_init(&l->create, c->create_rate, c->create_rate);
    bucket_init(&l->list_update, c->list_update_rate, c->list_update_rate);
    bucket_init(&l->get, c->get_rate, c->get_rate);
    pthread_mutex_init(&l->mu, NULL);
    l->in_flight_creates = 0;
    l->max_in_flight_creates = c->max_creations_in_flight > 0 ? c->max_creations_in_flight : 1;
}

void sim_limits_destroy(struct sim_limits *l)
{
    bucket_destroy(&l->create);
    bucket_destroy(&l->list_update);
    bucket_destroy(&l->get);
    pthread_mutex_destroy(&l->mu);
}

int sim_limits_enter(struct sim_limits *l, enum sim_limit_class k, char *why, size_t why_cap)
{
    switch (k) {
    case SIM_LIMIT_NONE:
        return 0;
    case SIM_LIMIT_GET:
        if (bucket_try(&l->get, NULL) == 0)
            return 0;
        snprintf(why, why_cap, "Request was throttled: the account's Get* rate of %.0f/s is exceeded.",
                 l->get.rate);
        return -1;
    case SIM_LIMIT_LIST_UPDATE:
        if (bucket_try(&l->list_update, NULL) == 0)
            return 0;
        snprintf(why, why_cap,
                 "Request was throttled: the account's List/Update/Delete rate of %.0f/s is exceeded.",
                 l->list_update.rate);
        return -1;
    case SIM_LIMIT_CREATE:
        break;
    }
    /* The in-flight slot is taken before the token, so a request refused for
     * concurrency does not also burn a second's budget. */
    pthread_mutex_lock(&l->mu);
    int full = l->in_flight_creates >= l->max_in_flight_creates;
    if (!full)
        l->in_flight_creates++;
    pthread_mutex_unlock(&l->mu);
    if (full) {
        snprintf(why, why_cap, "Request was throttled: more than %d creations are in flight.",
                 l->max_in_flight_creates);
        return -1;
    }
    if (bucket_try(&l->create, NULL) == 0)
        return 0;
    sim_limits_leave(l, SIM_LIMIT_CREATE);
    snprintf(why, why_cap, "Request was throttled: the account's Create rate of %.0f/s is exceeded.",
             l->create.rate);
    return -1;
}

void sim_limits_leave(struct sim_limits *l, enum sim_limit_class k)
{
    if (k != SIM_LIMIT_CREATE)
        return;
    pthread_mutex_lock(&l->mu);
    l->in_flight_creates--;
    pthread_mutex_unlock(&l->mu);
}
