/* upstream.h — port 3: the Volcengine ark asset library, as a vtable.
 *
 * One backend today: volc.c, libcurl + V4 signing, which talks to the real
 * https://open.volcengineapi.com or to the simulator (same wire protocol).
 * Calls are blocking and thread-safe. Each returns an enum up_result; on
 * anything but UP_OK, err (if not NULL) says what the upstream answered.
 *
 * Retries: reads, updates and deletes are retried with backoff on network
 * errors, 5xx and throttling; creates only when the upstream cannot have
 * acted (connection refused, throttled before acting). The caller's budgets
 * (token buckets) are above this port, in core/. */
#ifndef PORTICO_UPSTREAM_H
#define PORTICO_UPSTREAM_H
#include <stdint.h>

#include "util/ids.h"

enum up_result {
    UP_OK = 0,
    UP_NOT_FOUND,   /* the upstream does not know the id */
    UP_REJECTED,    /* 4xx: the upstream refused the request as invalid */
    UP_THROTTLED,   /* still throttled after retries */
    UP_UNAVAILABLE, /* network error, timeout or 5xx after retries */
};

struct up_error {
    int http_status;   /* 0 when no response arrived */
    char code[64];     /* the upstream's Error.Code, or a curl error name */
    char message[256];
};

struct up_asset {
    char id[IDS_MAX];
    char group_id[IDS_MAX];
    char status[16];          /* "Processing", "Active", "Failed" */
    char failure_reason[256]; /* when Failed */
};

struct upstream;

struct upstream_ops {
    enum up_result (*create_group)(struct upstream *u, const char *name, const char *description,
                                   const char *group_type, char id_out[static IDS_MAX], struct up_error *err);
    /* name or description may be NULL: unchanged. */
    enum up_result (*update_group)(struct upstream *u, const char *id, const char *name,
                                   const char *description, struct up_error *err);
    enum up_result (*delete_group)(struct upstream *u, const char *id, struct up_error *err);
    /* name may be NULL. */
    enum up_result (*create_asset)(struct upstream *u, const char *group_id, const char *url,
                                   const char *asset_type, const char *name,
                                   char id_out[static IDS_MAX], struct up_error *err);
    enum up_result (*get_asset)(struct upstream *u, const char *id, struct up_asset *out, struct up_error *err);
    enum up_result (*update_asset)(struct upstream *u, const char *id, const char *name, struct up_error *err);
    enum up_result (*delete_asset)(struct upstream *u, const char *id, struct up_error *err);
    /* A cheap authenticated call (ListAssetGroups, PageSize 1) for /readyz. */
    enum up_result (*ping)(struct upstream *u, struct up_error *err);
    void (*destroy)(struct upstream *u);
};

struct upstream {
    const struct upstream_ops *ops;
    void *impl;
};

struct upstream_config {
    const char *endpoint;   /* "https://open.volcengineapi.com" or "http://127.0.0.1:PORT" */
    const char *access_key;
    const char *secret_key;
    const char *region;     /* "cn-beijing" */
    const char *service;    /* "ark" */
    const char *version;    /* "2024-01-01" */
    long timeout_ms;        /* per attempt, whole request; default 10000 */
    long connect_timeout_ms;/* default 3000 */
    int max_attempts;       /* for retriable calls; default 3 */
};

/* NULL on allocation failure. Copies every string it needs. */
struct upstream *upstream_volc_new(const struct upstream_config *cfg);
const char *up_result_str(enum up_result r);

#endif
