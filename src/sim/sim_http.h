/* sim_http.h — the simulator's listener (sim_http.c), for sim.c. */
#ifndef PORTICO_SIM_HTTP_H
#define PORTICO_SIM_HTTP_H
#include "sim/sim_int.h"

/* Listens on s->listen_host:s->cfg.port and sets s->port; 0 or -1 (logged). */
int sim_http_start(struct sim *s);
/* Stops the listener; requests being handled finish first. */
void sim_http_stop(struct sim *s);

#endif
