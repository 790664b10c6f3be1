/* workers.c — see workers.h. */
#include "http/workers.h"

#include <pthread.h>
#include <stdlib.h>

struct job {
    worker_fn fn;
    void *arg;
};

struct workers {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t *threads;
    int n_threads;
    struct job *ring;
    size_t cap, head, len;
    int stopping;
};

static void *worker_main(void *p)
{
    struct workers *w = p;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->len == 0 && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->len == 0)
            break;
        struct job j = w->ring[w->head];
        w->head = (w->head + 1) % w->cap;
        w->len--;
        pthread_mutex_unlock(&w->mu);
        j.fn(j.arg);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct workers *workers_start(int threads, size_t queue_max)
{
    struct workers *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cap = queue_max ? queue_max : 1;
    w->ring = calloc(w->cap, sizeof *w->ring);
    w->threads = calloc((size_t)(threads > 0 ? threads : 1), sizeof *w->threads);
    if (!w->ring || !w->threads)
        goto fail;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    for (int i = 0; i < (threads > 0 ? threads : 1); i++) {
        if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0)
            break;
        w->n_threads++;
    }
    if (w->n_threads == 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        goto fail;
    }
    return w;
fail:
    free(w->ring);
    free(w->threads);
    free(w);
    return NULL;
}

int workers_submit(struct workers *w, worker_fn fn, void *arg)
{
    pthread_mutex_lock(&w->mu);
    if (w->stopping || w->len == w->cap) {
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    w->ring[(w->head + w->len) % w->cap] = (struct job){fn, arg};
    w->len++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void workers_stop(struct workers *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->n_threads; i++)
        pthread_join(w->threads[i], NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->ring);
    free(w->threads);
    free(w);
}
