/* poller.h — the lease-and-poll engine every background worker of the core
 * runs on (asset refresher, video tasks, liveness sessions, upload session
 * expiry; the webhook outbox next).
 *
 * One loop thread leases a round of due items from the store (a lease, not a
 * read: other nodes sharing the store skip them until the item's next poll
 * is written or the lease lapses), puts them in order, spends a budget
 * token on each if asked to, and hands them to a few workers that call
 * poll_one. A round finishes before the next lease, so an item is never
 * polled twice at once by one node. A round that leased fewer items than
 * it asked for means nothing more is due: the loop sleeps idle_ms, or
 * until poller_kick. Every wait is on the monotonic clock.
 *
 * Invariant: poll_one must end each item's lease itself (write its next
 * poll, settle it, or leave it to lapse); the engine never touches the
 * store. */
#ifndef PORTICO_CORE_POLLER_H
#define PORTICO_CORE_POLLER_H
#include <stddef.h>
#include <stdint.h>

struct budget_pool;
struct poller;

struct poller_config {
    const char *name;      /* in logs */
    void *ctx;             /* handed to every callback */
    int workers;           /* threads calling poll_one; at least 1 */
    size_t batch;          /* most items leased per round; at least 1 */
    int64_t lease_ms;      /* how long a leased item is this node's */
    int64_t idle_ms;       /* the sleep when nothing more is due */
    size_t item_size;      /* bytes of one item of lease's array */
    struct budget_pool *budget; /* optional: one token per item, before it is handed out */
    /* Leases up to limit items due at now_ms (wall clock) for lease_ms:
     * *items a malloc'd array of *n items of item_size bytes (the engine
     * frees it). 0, or -1 on failure (then the round is empty). */
    int (*lease)(void *ctx, int64_t now_ms, int64_t lease_ms, size_t limit, void **items, size_t *n);
    /* Optional: puts the round's items (pointers into the leased array)
     * in the order they are handed out; without it, the store's order. */
    void (*order)(void *ctx, void **items, size_t n);
    /* Polls one item on a worker thread. */
    void (*poll_one)(struct poller *p, void *ctx, void *item);
    /* Optional: runs on the loop thread after every round (also an empty
     * one), never while a poll_one runs: periodic chores of the user. */
    void (*after_round)(struct poller *p, void *ctx);
};

/* Starts the loop and the workers; NULL (logged) when it cannot. cfg is
 * copied. */
struct poller *poller_start(const struct poller_config *cfg);
/* New work may be due: the next round starts now rather than after the
 * idle sleep. NULL is a no-op. */
void poller_kick(struct poller *p);
/* 1 once poller_stop has begun: long work in a callback should end. */
int poller_stopping(struct poller *p);
/* Waits for a token of b (the gateway's own work), checking for stop now
 * and then: 0 with the token, -1 when stopping (no token taken). */
int poller_take(struct poller *p, struct budget_pool *b);
/* Stops: items not yet started are skipped (their leases lapse), polls in
 * flight finish, threads are joined, p is freed. NULL is a no-op. */
void poller_stop(struct poller *p);

#endif
