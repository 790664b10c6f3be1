/* sim_http.h — the simulator's listener (sim_http.c), for sim.c. */
#ifndef PORTICO_SIM_HTTP_H
#define PORTICO_SIM_HTTP_H
#include <microhttpd.h>

#include "sim/sim_int.h"

/* Listens on s->listen_host:s->cfg.port and sets s->port; 0 or -1 (logged). */
int sim_http_start(struct sim *s);
/* Stops the listener; requests being handled finish first. */
void sim_http_stop(struct sim *s);

/* Answers with body, a NUL-terminated string the call takes (freed on
 * every path; NULL: MHD_NO), as content_type, plus one header when name
 * is set. MHD_NO when no response could be made. */
enum MHD_Result sim_http_send(struct MHD_Connection *conn, unsigned status, char *body, const char *content_type,
                              const char *name, const char *value);

#endif
