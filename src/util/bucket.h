/* bucket.h — a thread-safe token bucket: `rate` tokens per second, holding at
 * most `burst`. Used for the shared upstream account's budgets (gateway side)
 * and for the simulator's enforcement of the same limits. */
#ifndef PORTICO_BUCKET_H
#define PORTICO_BUCKET_H
#include <pthread.h>
#include <stdint.h>

struct bucket {
    pthread_mutex_t mu;
    double rate;
    double burst;
    double tokens;
    int64_t last_ms;
};

void bucket_init(struct bucket *b, double rate, double burst);
void bucket_destroy(struct bucket *b);
/* Takes a token now if one is there: 0, else -1 and *wait_ms (if not NULL)
 * is how long until one will be. */
int bucket_try(struct bucket *b, int64_t *wait_ms);
/* Waits up to timeout_ms for a token: 0 when taken, -1 on timeout with
 * *retry_after_ms the estimated wait. Waiters are served in no fixed order. */
int bucket_take(struct bucket *b, int64_t timeout_ms, int64_t *retry_after_ms);
/* The tokens in the bucket now (refilled to this moment, none taken). */
double bucket_level(struct bucket *b);

#endif
