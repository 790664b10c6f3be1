/* budget.h — one of the upstream account's token buckets, as this node
 * spends it (budget.c). Nothing outside core/ includes this.
 *
 * The bucket is the account's, whatever the number of nodes: alone
 * (SQLite) it lives in this process; in a fleet (a store other nodes
 * share) it is a row of the store, from which the pool leases a few
 * tokens at a time (store.h, lease_tokens) and spends them here within
 * BUDGET_LEASE_VALID_MS, or lets them lapse. Waiters take turns by
 * customer, round robin: the next token goes to the waiting customer
 * served longest ago, so one customer's burst cannot starve another's one
 * request; in a fleet, nodes share the bucket by the customers waiting on
 * each. */
#ifndef PORTICO_CORE_BUDGET_H
#define PORTICO_CORE_BUDGET_H
#include <pthread.h>
#include <stdint.h>

#include "util/bucket.h"

struct store;
struct budget_waiter;

/* Customers served lately, for turns: a waiter whose customer was served
 * longest ago (or not lately at all) goes first. */
#define BUDGET_RECENT 128
struct budget_served {
    int64_t customer;
    uint64_t tick; /* 0: free */
};

/* A leased token is spent within this of the lease being asked for, or
 * lapses: what tokens spent in any window can exceed the bucket's burst
 * by is what a lease holds, at most rate * this. */
#define BUDGET_LEASE_VALID_MS 200

struct budget_pool {
    const char *name;    /* the fleet's bucket: "create", "mutate", "get" */
    double rate, burst;
    struct store *fleet; /* NULL: the bucket is this process's (local) */
    struct bucket local;
    pthread_mutex_t mu;
    struct budget_waiter *head, *tail; /* in arrival order */
    uint64_t seq;
    struct budget_served served[BUDGET_RECENT];
    uint64_t tick; /* tokens handed out */
    /* fleet: leased tokens not spent yet, usable until tokens_until (mono) */
    int tokens;
    int64_t tokens_until;
    int leasing;           /* a lease is being asked for (one at a time) */
    int64_t next_lease_ms; /* mono: the fleet said not before then */
    int lease_max;         /* most tokens one lease asks for */
    /* tokens spent in the current and the last second: the next lease's size */
    int64_t window_ms;
    int spent_now, spent_before;
    /* for /metrics: leases made, tokens they granted, tokens that lapsed */
    int64_t leases, leased, lapsed;
    int warned; /* another node leased with other settings: said once */
};

/* fleet NULL: a local bucket. name must outlive the pool. */
void budget_pool_init(struct budget_pool *p, const char *name, double rate, double burst, struct store *fleet);
void budget_pool_destroy(struct budget_pool *p);
/* Waits up to timeout_ms for a token for customer_id (0: the gateway's
 * own work, one more "customer"): 0 when taken; -1 with *retry_ms (may be
 * NULL) how long until one is likely. With timeout_ms 0 it still leases
 * once when the fleet may have tokens. */
int budget_pool_take(struct budget_pool *p, int64_t customer_id, int64_t timeout_ms, int64_t *retry_ms);
/* Tokens in hand for /metrics: the local bucket's level, or the leased
 * ones not lapsed. */
double budget_pool_level(struct budget_pool *p);

#endif
