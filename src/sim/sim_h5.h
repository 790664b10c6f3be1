/* sim_h5.h — the simulated H5 liveness page (sim_h5.c), for sim_http.c. */
#ifndef PORTICO_SIM_H5_H
#define PORTICO_SIM_H5_H
#include <microhttpd.h>

#include "sim/sim_int.h"

#define SIM_H5_PATH "/h5/liveness"

/* Answers GET/HEAD/POST SIM_H5_PATH?token=..&lng=..; body is the request
 * body (a form), too_large set when it was cut at the listener's limit. */
enum MHD_Result sim_h5_liveness(struct sim *s, struct MHD_Connection *conn, const char *method, const char *body,
                                size_t len, int too_large);
/* The value of field in an application/x-www-form-urlencoded body, decoded
 * into out; -1 if absent, malformed or longer than cap. Non-static for
 * tests/fuzz/fuzz_sim_request.c. */
int h5_form_value(const char *body, size_t len, const char *field, char *out, size_t cap);

#endif
