/* store.h — port 1: Portico's records, in the domain's words.
 *
 * Backends fill struct store_ops: sqlite.c (embedded default) and, later,
 * pg.c. No SQL exists outside store/. Every operation is thread-safe and
 * atomic. Operations that take a customer_id only ever see that customer's
 * rows: a row of another customer is reported as STORE_NOT_FOUND, exactly
 * like a row that does not exist.
 *
 * Creates happen in two steps so that quotas are exact and the upstream is
 * never called for a create that would exceed them: reserve_* checks the
 * quota and inserts a pending row in one transaction (pending rows count
 * toward the quota and are invisible to reads); after the upstream call,
 * confirm_* gives the row its upstream id and makes it visible, or
 * release_* deletes it. sweep_reservations removes pending rows left by a
 * crash. */
#ifndef PORTICO_STORE_H
#define PORTICO_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "util/ids.h"

enum store_result {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* no such row for this customer (or deleted, or pending) */
    STORE_QUOTA,       /* the reservation would exceed the quota */
    STORE_CONFLICT,    /* unique constraint (e.g. customer name race) */
    STORE_UNAVAILABLE, /* the database cannot be reached or is busy past its timeout */
    STORE_ERROR,       /* anything else; logged by the backend */
};

/* Text sizes in bytes including NUL: names are up to 50 and descriptions up
 * to 300 Unicode characters of UTF-8 (4 bytes each at most). */
#define STORE_NAME_MAX (50 * 4 + 1)
#define STORE_DESC_MAX (300 * 4 + 1)
#define STORE_URL_MAX 2049
#define STORE_REASON_MAX 256
#define STORE_CUSTOMER_MAX 65

struct customer {
    int64_t id;
    char name[STORE_CUSTOMER_MAX];
    int aigc_enabled;
};

struct key_info {
    char prefix[32];
    char customer[STORE_CUSTOMER_MAX];
    int64_t created_ms;
    int64_t revoked_ms; /* 0 when active */
};

struct group {
    char id[IDS_MAX];
    int64_t customer_id;
    char type[16]; /* "AIGC" or "LivenessFace" */
    char name[STORE_NAME_MAX];
    char description[STORE_DESC_MAX];
    int asset_count;   /* live assets (not pending, not deleted) */
    int64_t create_ms; /* wall clock */
    int64_t update_ms;
};

struct asset {
    char id[IDS_MAX];
    char group_id[IDS_MAX];
    int64_t customer_id;
    char type[8]; /* "Image", "Video", "Audio" */
    char name[STORE_NAME_MAX];
    char url[STORE_URL_MAX];
    char blob_key[128]; /* "" unless the bytes are in Portico's blob store */
    char status[16];    /* "Processing", "Active", "Failed" */
    char failure_reason[STORE_REASON_MAX];
    int64_t create_ms;
    int64_t update_ms;
    int64_t next_poll_ms; /* refresher: wall-clock time of the next upstream poll */
    int polls;            /* refresher: upstream polls so far */
};

struct group_filter {
    const char *type;     /* NULL: any */
    const char *name_sub; /* NULL: any; else substring of Name */
};

struct asset_filter {
    const char *const *group_ids; /* n_group_ids == 0: any */
    size_t n_group_ids;
    const char *const *statuses;  /* n_statuses == 0: any */
    size_t n_statuses;
    const char *type;     /* NULL: any */
    const char *name_sub; /* NULL: any */
};

/* Lists are malloc'd arrays; free with free(list.items). */
struct group_list {
    struct group *items;
    size_t n;
    int64_t total; /* rows matching the filter, all pages */
};

struct asset_list {
    struct asset *items;
    size_t n;
    int64_t total;
};

struct asset_counts {
    int64_t processing, active, failed;
};

typedef void (*store_key_fn)(void *ctx, const struct key_info *k);

struct store;

struct store_ops {
    void (*close)(struct store *s);
    enum store_result (*ping)(struct store *s);

    /* Customers and API keys. */
    /* Finds the customer by name or creates it with aigc_enabled. An existing
     * customer keeps its id; its aigc flag is set to aigc_enabled. */
    enum store_result (*put_customer)(struct store *s, const char *name, int aigc_enabled, struct customer *out);
    enum store_result (*add_key)(struct store *s, int64_t customer_id, const char *prefix,
                                 const uint8_t hash[32], int64_t now_ms);
    /* The customer owning an active (not revoked) key with this SHA-256. */
    enum store_result (*find_key)(struct store *s, const uint8_t hash[32], struct customer *out);
    enum store_result (*list_keys)(struct store *s, store_key_fn fn, void *ctx);
    /* NOT_FOUND if no active key has this prefix. */
    enum store_result (*revoke_key)(struct store *s, const char *prefix, int64_t now_ms);

    /* Groups. Quota counts live and pending groups of the customer. */
    enum store_result (*reserve_group)(struct store *s, int64_t customer_id, const char *type,
                                       const char *name, const char *description, int max_groups,
                                       int64_t now_ms, int64_t *handle);
    enum store_result (*confirm_group)(struct store *s, int64_t handle, const char *id, int64_t now_ms);
    enum store_result (*release_group)(struct store *s, int64_t handle);
    enum store_result (*get_group)(struct store *s, int64_t customer_id, const char *id, struct group *out);
    /* Newest first; page_number from 1. */
    enum store_result (*list_groups)(struct store *s, int64_t customer_id, const struct group_filter *f,
                                     int page_number, int page_size, struct group_list *out);
    /* name or description NULL: unchanged. */
    enum store_result (*update_group)(struct store *s, int64_t customer_id, const char *id,
                                      const char *name, const char *description, int64_t now_ms);
    /* Marks the group and all its assets deleted, in one transaction. */
    enum store_result (*delete_group)(struct store *s, int64_t customer_id, const char *id, int64_t now_ms);

    /* Assets. Quota counts live and pending assets of the group; the group
     * must be a live group of customer_id, else STORE_NOT_FOUND. */
    enum store_result (*reserve_asset)(struct store *s, int64_t customer_id, const char *group_id,
                                       const char *type, const char *name, const char *url,
                                       const char *blob_key, int max_assets, int64_t now_ms,
                                       int64_t *handle);
    /* Makes the asset visible as Processing with its upstream id; the first
     * refresher poll is due at next_poll_ms. */
    enum store_result (*confirm_asset)(struct store *s, int64_t handle, const char *id, int64_t now_ms,
                                       int64_t next_poll_ms);
    enum store_result (*release_asset)(struct store *s, int64_t handle);
    enum store_result (*get_asset)(struct store *s, int64_t customer_id, const char *id, struct asset *out);
    /* Newest first; page_number from 1. */
    enum store_result (*list_assets)(struct store *s, int64_t customer_id, const struct asset_filter *f,
                                     int page_number, int page_size, struct asset_list *out);
    enum store_result (*update_asset)(struct store *s, int64_t customer_id, const char *id,
                                      const char *name, int64_t now_ms);
    enum store_result (*delete_asset)(struct store *s, int64_t customer_id, const char *id, int64_t now_ms);

    /* Refresher. These ignore customers: they are the gateway's own work. */
    /* Sets status (and reason, "" for none) of a live asset; update_ms moves
     * only when the status changes. */
    enum store_result (*set_asset_status)(struct store *s, const char *id, const char *status,
                                          const char *reason, int64_t now_ms);
    /* Live Processing assets with next_poll_ms <= now_ms, oldest due first,
     * at most limit. */
    enum store_result (*due_assets)(struct store *s, int64_t now_ms, size_t limit, struct asset_list *out);
    enum store_result (*schedule_poll)(struct store *s, const char *id, int64_t next_poll_ms, int polls);
    enum store_result (*count_assets)(struct store *s, struct asset_counts *out);
    /* Deletes pending rows reserved before older_than_ms; *n_out (may be
     * NULL) gets how many. */
    enum store_result (*sweep_reservations)(struct store *s, int64_t older_than_ms, int *n_out);
};

struct store {
    const struct store_ops *ops;
    void *impl;
};

/* Opens (creating if needed) <data_dir>/portico.db, applies migrations.
 * NULL on failure, with the reason logged. */
struct store *store_sqlite_open(const char *data_dir);
const char *store_result_str(enum store_result r);

#endif
