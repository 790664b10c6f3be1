/* workers.h — a fixed pool of threads running queued jobs in FIFO order,
 * with a bounded queue: submitting to a full queue fails at once. */
#ifndef PORTICO_HTTP_WORKERS_H
#define PORTICO_HTTP_WORKERS_H
#include <stddef.h>

typedef void (*worker_fn)(void *arg);

struct workers;

struct workers *workers_start(int threads, size_t queue_max);
/* 0 when queued, -1 when the queue is full or the pool is stopping. */
int workers_submit(struct workers *w, worker_fn fn, void *arg);
/* Runs every queued job, then joins the threads and frees the pool. */
void workers_stop(struct workers *w);

#endif
