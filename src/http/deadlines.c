/* deadlines.c — see deadlines.h. shutdown(2) rather than close(2): the fd
 * stays libmicrohttpd's until it closes it, and the entry is removed (under
 * the lock the reaper holds) before that, so the reaper never touches a
 * reused descriptor. */
#include "http/deadlines.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "util/clock.h"

struct deadline {
    int fd;
    atomic_int_fast64_t due_ms; /* 0: none */
    int reaped;
    struct deadline *prev, *next;
};

struct deadlines {
    int64_t header_ms, body_ms, idle_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct deadline *head;
    int stop;
    pthread_t thread;
    atomic_uint_fast64_t reaped;
};

static void *reaper_main(void *arg)
{
    struct deadlines *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        int64_t now = clock_mono_ms();
        for (struct deadline *c = d->head; c; c = c->next) {
            int64_t due = atomic_load(&c->due_ms);
            if (due && now > due && !c->reaped) {
                c->reaped = 1;
                shutdown(c->fd, SHUT_RDWR);
                atomic_fetch_add(&d->reaped, 1);
            }
        }
        struct timespec ts = clock_deadline(250);
        pthread_cond_timedwait(&d->cv, &d->mu, &ts);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

struct deadlines *deadlines_start(int header_s, int body_s, int idle_s)
{
    struct deadlines *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->header_ms = (int64_t)(header_s > 0 ? header_s : 10) * 1000;
    d->body_ms = (int64_t)(body_s > 0 ? body_s : 120) * 1000;
    d->idle_ms = (int64_t)(idle_s > 0 ? idle_s : 30) * 1000;
    pthread_mutex_init(&d->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&d->reaped, 0);
    if (pthread_create(&d->thread, NULL, reaper_main, d) != 0) {
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->cv);
        free(d);
        return NULL;
    }
    return d;
}

void deadlines_stop(struct deadlines *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    while (d->head) {
        struct deadline *c = d->head;
        d->head = c->next;
        free(c);
    }
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}

struct deadline *deadlines_open(struct deadlines *d, int fd)
{
    struct deadline *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    atomic_init(&c->due_ms, clock_mono_ms() + d->header_ms);
    pthread_mutex_lock(&d->mu);
    c->next = d->head;
    if (d->head)
        d->head->prev = c;
    d->head = c;
    pthread_mutex_unlock(&d->mu);
    return c;
}

void deadlines_close(struct deadlines *d, struct deadline *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&d->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        d->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&d->mu);
    free(c);
}

void deadline_body(struct deadlines *d, struct deadline *c, int64_t now_ms)
{
    if (c)
        atomic_store(&c->due_ms, now_ms + d->body_ms);
}

void deadline_busy(struct deadline *c)
{
    if (c)
        atomic_store(&c->due_ms, 0);
}

void deadline_idle(struct deadlines *d, struct deadline *c, int64_t now_ms)
{
    if (c)
        atomic_store(&c->due_ms, now_ms + d->idle_ms);
}

uint64_t deadlines_reaped(struct deadlines *d)
{
    return atomic_load(&d->reaped);
}
