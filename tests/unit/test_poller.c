/* test_poller.c — core/poller.c, the lease-and-poll engine, over an
 * in-memory "store": every due item is polled once per lease, in the
 * order callback's order, budget tokens are spent per item, a kick ends
 * the idle sleep, stop is prompt. And util/clock's clock_deadline. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"
#include "core/poller.h"
#include "core/budget.h"
#include "util/clock.h"

#define N_ITEMS 10

struct fake {
    pthread_mutex_t mu;
    int due[N_ITEMS];      /* 1: due and not leased */
    int polls[N_ITEMS];
    int order_log[N_ITEMS * 4];
    int n_log;
    atomic_int rounds;
};

struct item {
    int id;
};

static int fake_lease(void *ctx, int64_t now_ms, int64_t lease_ms, size_t limit, void **items, size_t *n)
{
    struct fake *f = ctx;
    struct item *out = calloc(N_ITEMS, sizeof *out);
    size_t k = 0;
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < N_ITEMS && k < limit; i++)
        if (f->due[i]) {
            f->due[i] = 0;
            out[k++].id = i;
        }
    pthread_mutex_unlock(&f->mu);
    atomic_fetch_add(&f->rounds, 1);
    *items = out;
    *n = k;
    return 0;
}

/* Highest id first: the opposite of the store's order. */
static void fake_order(void *ctx, void **items, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        void *t = items[i];
        items[i] = items[n - 1 - i];
        items[n - 1 - i] = t;
    }
}

static void fake_poll(struct poller *p, void *ctx, void *item)
{
    struct fake *f = ctx;
    const struct item *it = item;
    pthread_mutex_lock(&f->mu);
    f->polls[it->id]++;
    if (f->n_log < N_ITEMS * 4)
        f->order_log[f->n_log++] = it->id;
    pthread_mutex_unlock(&f->mu);
}

static int total_polls(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    int n = 0;
    for (int i = 0; i < N_ITEMS; i++)
        n += f->polls[i];
    pthread_mutex_unlock(&f->mu);
    return n;
}

static int wait_polls(struct fake *f, int want, int64_t ms)
{
    int64_t end = clock_mono_ms() + ms;
    while (total_polls(f) < want && clock_mono_ms() < end)
        clock_sleep_ms(5);
    return total_polls(f);
}

static void test_poller_polls_each_leased_item_once_in_order(void)
{
    struct fake f = {0};
    pthread_mutex_init(&f.mu, NULL);
    for (int i = 0; i < N_ITEMS; i++)
        f.due[i] = 1;
    struct poller_config cfg = {.name = "test", .ctx = &f, .workers = 1, .batch = 4, .lease_ms = 1000,
                                .idle_ms = 20, .item_size = sizeof(struct item), .lease = fake_lease,
                                .order = fake_order, .poll_one = fake_poll};
    struct poller *p = poller_start(&cfg);
    CHECK(p != NULL);
    CHECK(wait_polls(&f, N_ITEMS, 2000) == N_ITEMS);
    poller_stop(p);
    for (int i = 0; i < N_ITEMS; i++)
        CHECK(f.polls[i] == 1);
    /* rounds of 4 (full: the next follows at once), each reversed */
    int want[N_ITEMS] = {3, 2, 1, 0, 7, 6, 5, 4, 9, 8};
    for (int i = 0; i < N_ITEMS; i++)
        CHECK(f.order_log[i] == want[i]);
    pthread_mutex_destroy(&f.mu);
}

static void test_poller_kick_ends_the_idle_sleep(void)
{
    struct fake f = {0};
    pthread_mutex_init(&f.mu, NULL);
    struct poller_config cfg = {.name = "test", .ctx = &f, .workers = 3, .batch = 8, .lease_ms = 1000,
                                .idle_ms = 60000, .item_size = sizeof(struct item), .lease = fake_lease,
                                .poll_one = fake_poll};
    struct poller *p = poller_start(&cfg);
    CHECK(p != NULL);
    while (atomic_load(&f.rounds) < 1)
        clock_sleep_ms(5);
    clock_sleep_ms(50); /* asleep now, for a minute */
    pthread_mutex_lock(&f.mu);
    f.due[5] = 1;
    pthread_mutex_unlock(&f.mu);
    int64_t t0 = clock_mono_ms();
    poller_kick(p);
    CHECK(wait_polls(&f, 1, 2000) == 1);
    CHECK(clock_mono_ms() - t0 < 1000);
    CHECK(f.polls[5] == 1);
    int64_t s0 = clock_mono_ms();
    poller_stop(p); /* prompt, though the idle sleep is a minute */
    CHECK(clock_mono_ms() - s0 < 1000);
    pthread_mutex_destroy(&f.mu);
}

static void test_poller_spends_a_budget_token_per_item(void)
{
    struct fake f = {0};
    pthread_mutex_init(&f.mu, NULL);
    for (int i = 0; i < N_ITEMS; i++)
        f.due[i] = 1;
    struct budget_pool b;
    budget_pool_init(&b, "get", 20, 1, NULL); /* a local bucket: one token at once, 20 a second */
    struct poller_config cfg = {.name = "test", .ctx = &f, .workers = 4, .batch = N_ITEMS, .lease_ms = 1000,
                                .idle_ms = 20, .item_size = sizeof(struct item), .budget = &b,
                                .lease = fake_lease, .poll_one = fake_poll};
    int64_t t0 = clock_mono_ms();
    struct poller *p = poller_start(&cfg);
    CHECK(wait_polls(&f, N_ITEMS, 3000) == N_ITEMS);
    int64_t took = clock_mono_ms() - t0;
    CHECK(took >= 9 * 50 - 20); /* 9 tokens beyond the burst of 1, 50 ms apart */
    poller_stop(p);
    budget_pool_destroy(&b);
    pthread_mutex_destroy(&f.mu);
}

static void test_clock_deadline_is_monotonic_and_normalised(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct timespec d = clock_deadline(1999);
    CHECK(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    int64_t diff_ms = ((int64_t)d.tv_sec - now.tv_sec) * 1000 + (d.tv_nsec - now.tv_nsec) / 1000000;
    CHECK(diff_ms >= 1999 && diff_ms < 2100);
    struct timespec z = clock_deadline(-5); /* the past counts as now */
    CHECK(z.tv_sec >= now.tv_sec && z.tv_nsec < 1000000000L);

    /* A cond from clock_cond_init times out at a clock_deadline. */
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv;
    CHECK(clock_cond_init(&cv) == 0);
    int64_t t0 = clock_mono_ms();
    pthread_mutex_lock(&mu);
    struct timespec ts = clock_deadline(100);
    while (pthread_cond_timedwait(&cv, &mu, &ts) == 0)
        ;
    pthread_mutex_unlock(&mu);
    int64_t waited = clock_mono_ms() - t0;
    CHECK(waited >= 99 && waited < 1000);
    pthread_cond_destroy(&cv);
}

int main(void)
{
    RUN(test_poller_polls_each_leased_item_once_in_order);
    RUN(test_poller_kick_ends_the_idle_sleep);
    RUN(test_poller_spends_a_budget_token_per_item);
    RUN(test_clock_deadline_is_monotonic_and_normalised);
    return check_summary();
}
