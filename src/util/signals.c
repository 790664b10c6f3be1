/* signals.c — how the daemons are stopped; see signals.h. */
#include "util/signals.h"

void signals_block_stop(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int signals_wait_stop(const sigset_t *set)
{
    int sig = 0;
    sigwait(set, &sig);
    return sig;
}
