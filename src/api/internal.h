/* internal.h — shared by the files of api/. */
#ifndef PORTICO_API_INTERNAL_H
#define PORTICO_API_INTERNAL_H
#include <jansson.h>
#include <stdatomic.h>

#include "api/api.h"
#include "api/errors.h"

struct api {
    struct core *core;
    char region[64];
    atomic_int draining;
};

/* envelope.c — the Volcengine envelope. result is stolen (decref'd). */
void envelope_ok(const struct api_request *req, const char *action, const char *version, const char *region,
                 json_t *result, struct api_response *resp);
/* message NULL or "" → the catalog's default. */
void envelope_error(const struct api_request *req, const char *action, const char *version, const char *region,
                    enum api_err e, const char *message, struct api_response *resp);
void response_text(struct api_response *resp, int status, const char *content_type, char *body, size_t len);

/* params.c — typed access to a request's JSON fields. Each returns 0, or -1
 * with st set to InvalidParameter naming the field. An absent or null field
 * leaves the default. */
int param_string(json_t *obj, const char *field, const char **out, struct core_status *st);
int param_int(json_t *obj, const char *field, int *out, struct core_status *st);
int param_object(json_t *obj, const char *field, json_t **out, struct core_status *st);
/* *out is a malloc'd array (free it) of borrowed strings; max entries. */
int param_strings(json_t *obj, const char *field, size_t max, const char ***out, size_t *n, struct core_status *st);

/* render.c — API objects. */
json_t *render_group(const struct group *g);
json_t *render_asset(const struct asset *a);

/* portrait.c */
void portrait_handle(struct api *a, const struct api_request *req, struct api_response *resp);
int portrait_is_slow(const char *action);

/* ops.c */
void ops_healthz(struct api *a, const struct api_request *req, struct api_response *resp);
void ops_readyz(struct api *a, const struct api_request *req, struct api_response *resp);
void ops_metrics(struct api *a, const struct api_request *req, struct api_response *resp);

#endif
