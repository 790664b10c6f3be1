/* signals.h — how the daemons (porticod, portico-sim) are stopped.
 *
 * Invariant: signals_block_stop runs in main before any thread starts, so
 * every thread inherits the mask and SIGINT/SIGTERM reach only the
 * sigwait in main (signals_wait_stop) instead of killing a worker. */
#ifndef PORTICO_SIGNALS_H
#define PORTICO_SIGNALS_H
#include <signal.h>

/* Blocks SIGINT and SIGTERM (set gets them, for signals_wait_stop) and
 * ignores SIGPIPE: a peer that hangs up is an error return on the socket. */
void signals_block_stop(sigset_t *set);
/* Waits for one of set's signals; returns it. */
int signals_wait_stop(const sigset_t *set);

#endif
