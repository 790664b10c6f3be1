/* core.h — the rules of Portico: who may see what, quotas, names, the asset
 * life cycle and the shared upstream account's budgets. No I/O of its own:
 * it calls the store and upstream ports. Every function is thread-safe. */
#ifndef PORTICO_CORE_H
#define PORTICO_CORE_H
#include <stdint.h>

#include "core/result.h"
#include "store/store.h"
#include "upstream/upstream.h"

/* The contract's limits (API.md). */
#define CORE_MAX_GROUPS 50
#define CORE_MAX_ASSETS 50
#define CORE_NAME_CHARS 50
#define CORE_DESC_CHARS 300
#define CORE_URL_BYTES 2048
#define CORE_PAGE_SIZE_MAX 100
#define CORE_PAGE_SIZE_DEFAULT 10
#define CORE_FILTER_IDS_MAX 100

struct core_config {
    /* The shared upstream account's budgets (requests per second). */
    double create_rate;       /* CreateAssetGroup + CreateAsset; default 30 */
    double mutate_rate;       /* List*, Update*, Delete*; default 30 */
    double get_rate;          /* GetAsset (refresher) + GetAssetGroup; default 100 */
    int max_inflight_creates; /* default 30 */
    int create_wait_ms;       /* how long a create waits for budget; default 10000 */
    int refresh_workers;      /* concurrent refresher polls; default 8 */
};

void core_config_defaults(struct core_config *c);

struct core;

/* Takes no ownership of store or upstream; they must outlive the core. */
struct core *core_new(const struct core_config *cfg, struct store *store, struct upstream *up);
/* Starts the background refresher. */
int core_start(struct core *c);
/* Stops the refresher (waits for in-flight polls) and frees the core. */
void core_free(struct core *c);

/* Authentication: the customer a Bearer key belongs to. CORE_UNAUTHORIZED
 * for unknown or revoked keys; revocations take effect within a second. */
enum core_code core_authenticate(struct core *c, const char *key, struct customer *out, struct core_status *st);

/* Groups. */
enum core_code core_create_group(struct core *c, const struct customer *cu, const char *name,
                                 const char *description, const char *type, char id_out[static IDS_MAX],
                                 struct core_status *st);
enum core_code core_get_group(struct core *c, const struct customer *cu, const char *id, struct group *out,
                              struct core_status *st);
enum core_code core_list_groups(struct core *c, const struct customer *cu, const struct group_filter *f,
                                int page_number, int page_size, struct group_list *out, struct core_status *st);
enum core_code core_update_group(struct core *c, const struct customer *cu, const char *id, const char *name,
                                 const char *description, struct core_status *st);
enum core_code core_delete_group(struct core *c, const struct customer *cu, const char *id, struct core_status *st);

/* Assets. */
enum core_code core_create_asset(struct core *c, const struct customer *cu, const char *group_id,
                                 const char *url, const char *type, const char *name,
                                 char id_out[static IDS_MAX], struct core_status *st);
enum core_code core_get_asset(struct core *c, const struct customer *cu, const char *id, struct asset *out,
                              struct core_status *st);
enum core_code core_list_assets(struct core *c, const struct customer *cu, const struct asset_filter *f,
                                int page_number, int page_size, struct asset_list *out, struct core_status *st);
enum core_code core_update_asset(struct core *c, const struct customer *cu, const char *id, const char *name,
                                 struct core_status *st);
enum core_code core_delete_asset(struct core *c, const struct customer *cu, const char *id, struct core_status *st);

/* Operations. */
/* 1 when the store answers and the upstream answered recently. */
int core_ready(struct core *c);
enum store_result core_count_assets(struct core *c, struct asset_counts *out);

/* Number of UTF-8 characters in s, or -1 if s is not valid UTF-8. */
long core_utf8_chars(const char *s);

#endif
