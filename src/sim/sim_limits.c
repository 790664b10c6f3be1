/* sim_limits.c — the upstream account's request-rate limits, as Volcengine
 * enforces them: a token bucket per class of Action (burst = one second's
 * worth). UPSTREAM.md "Account limits": Create* 30 QPS, List* and Update* 30,
 * Get* 100. The other limit of that row, "at most 30 creation tasks in
 * flight", is read as assets still Processing (a guess: the meaning is
 * unverified) and is enforced by CreateAsset in sim_assets.c, not here. */
#include <stdio.h>

#include "sim/sim_int.h"

void sim_limits_init(struct sim_limits *l, const struct sim_config *c)
{
    bucket_init(&l->create, c->create_rate, c->create_rate);
    bucket_init(&l->list_update, c->list_update_rate, c->list_update_rate);
    bucket_init(&l->get, c->get_rate, c->get_rate);
}

void sim_limits_destroy(struct sim_limits *l)
{
    bucket_destroy(&l->create);
    bucket_destroy(&l->list_update);
    bucket_destroy(&l->get);
}

int sim_limits_enter(struct sim_limits *l, enum sim_limit_class k, char *why, size_t why_cap)
{
    struct bucket *b = NULL;
    const char *what = "";
    switch (k) {
    case SIM_LIMIT_NONE:
        return 0;
    case SIM_LIMIT_GET:
        b = &l->get, what = "Get*";
        break;
    case SIM_LIMIT_LIST_UPDATE:
        b = &l->list_update, what = "List/Update/Delete";
        break;
    case SIM_LIMIT_CREATE:
        b = &l->create, what = "Create";
        break;
    }
    if (!b || bucket_try(b, NULL) == 0)
        return 0;
    snprintf(why, why_cap, "Request was throttled: the account's %s rate of %.0f/s is exceeded.", what, b->rate);
    return -1;
}
