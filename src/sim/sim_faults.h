/* sim_faults.h — injected upstream faults (sim_faults.c), for sim_http.c. */
#ifndef PORTICO_SIM_FAULTS_H
#define PORTICO_SIM_FAULTS_H
#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>

#include "sim/sim_int.h"

enum sim_fault {
    SIM_FAULT_NONE = 0,
    SIM_FAULT_LATENCY,    /* answered, but late (already slept when drawn) */
    SIM_FAULT_5XX,        /* 503 before acting */
    SIM_FAULT_THROTTLE,   /* 429 FlowLimitExceeded before acting */
    SIM_FAULT_DROP,       /* connection closed before acting, no answer */
    SIM_FAULT_LOST_REPLY, /* acted, then the connection closed: the answer is lost */
    SIM_FAULT_KINDS
};

struct sim_faults;
/* From the config's rates; NULL on allocation failure. */
struct sim_faults *sim_faults_new(const struct sim_config *c);
void sim_faults_free(struct sim_faults *f);
/* sim_config.c: reads PORTICO_SIM_FAULT_* into c. */
void sim_faults_env(struct sim_config *c);
/* Draws the fault of one Action request and counts it; a latency fault
 * sleeps here. NULL f: no faults. */
enum sim_fault sim_faults_draw(struct sim_faults *f);
/* Counts an Action whose handler succeeded (action: its table index). */
void sim_faults_acted(struct sim_faults *f, int action);
/* {"rates":{..}, "injected":{kind:n}, "injected_total":n, "acted":{Action:n}}
 * with names[i] the name of action i (n_actions of them). */
json_t *sim_faults_stats(struct sim_faults *f, const char *const *names, size_t n_actions);
/* GET /_sim/faults (the rates) and POST /_sim/faults {"rate":0.3} or
 * per kind {"latency":..,"5xx":..,"throttle":..,"drop":..,"lost_reply":..,
 * "latency_ms":..}: unsigned, for tests and operators. */
enum MHD_Result sim_faults_http(struct sim *s, struct MHD_Connection *conn, const char *method, const char *body,
                                size_t len);
/* GET /_sim/objects: {"groups":{id:{"Name","GroupType"}}, "assets":{id:group id}}. */
enum MHD_Result sim_faults_objects(struct sim *s, struct MHD_Connection *conn);

#endif
