/* bucket.c — see bucket.h. Time is the monotonic clock. */
#include "util/bucket.h"

#include "util/clock.h"

void bucket_init(struct bucket *b, double rate, double burst)
{
    pthread_mutex_init(&b->mu, NULL);
    b->rate = rate > 0 ? rate : 1;
    b->burst = burst >= 1 ? burst : 1;
    b->tokens = b->burst;
    b->last_ms = clock_mono_ms();
}

void bucket_destroy(struct bucket *b)
{
    pthread_mutex_destroy(&b->mu);
}

int bucket_try(struct bucket *b, int64_t *wait_ms)
{
    pthread_mutex_lock(&b->mu);
    int64_t now = clock_mono_ms();
    b->tokens += (double)(now - b->last_ms) * b->rate / 1000.0;
    if (b->tokens > b->burst)
        b->tokens = b->burst;
    b->last_ms = now;
    int ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    else if (wait_ms)
        *wait_ms = (int64_t)((1.0 - b->tokens) * 1000.0 / b->rate) + 1;
    pthread_mutex_unlock(&b->mu);
    return ok ? 0 : -1;
}

double bucket_level(struct bucket *b)
{
    pthread_mutex_lock(&b->mu);
    double t = b->tokens + (double)(clock_mono_ms() - b->last_ms) * b->rate / 1000.0;
    pthread_mutex_unlock(&b->mu);
    return t > b->burst ? b->burst : t;
}

int bucket_take(struct bucket *b, int64_t timeout_ms, int64_t *retry_after_ms)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        int64_t wait = 0;
        if (bucket_try(b, &wait) == 0)
            return 0;
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0) {
            if (retry_after_ms)
                *retry_after_ms = wait;
            return -1;
        }
        /* Short naps keep many waiters from all waking at once. */
        clock_sleep_ms(wait < left ? (wait < 20 ? wait : 20) : left);
    }
}
