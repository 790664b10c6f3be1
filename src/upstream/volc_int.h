/* volc_int.h — what volc.c (the signed asset-library client) shares with
 * ark_video.c (the Bearer-authenticated video task client). Private to
 * src/upstream/; nothing above the port includes it. */
#ifndef PORTICO_UPSTREAM_VOLC_INT_H
#define PORTICO_UPSTREAM_VOLC_INT_H
#include <jansson.h>

#include "upstream/upstream.h"
#include "util/buf.h"
#include "util/http_call.h"

void volc_set_error(struct up_error *err, int http_status, const char *code, const char *message);
/* An API call's transport outcome (util/http_call.h) as the port's result:
 * UP_OK when an answer arrived (*status holds it); else err carries the
 * CURLE_* name (or ResponseTooLarge) and *not_acted is set when no
 * connection was made, so the upstream cannot have acted. */
enum up_result volc_http_result(enum http_call_result hr, const struct http_call_out *out, long *status,
                                struct up_error *err, int *not_acted);
/* Sleeps the jittered, growing backoff before retry number attempt+1. */
void volc_backoff(int attempt);
/* 1 for an id of the upstream's boring alphabet that fits IDS_MAX. */
int volc_valid_id(const char *s);

/* ark_video.c: the video task client's state, owned by struct volc. */
struct ark_video;
/* NULL on allocation failure or a malformed ark_endpoint (logged). */
struct ark_video *ark_video_new(const struct upstream_config *cfg);
void ark_video_free(struct ark_video *a);
/* volc.c: the ark_video of an upstream made by upstream_volc_new. */
struct ark_video *volc_ark(struct upstream *u);

/* The ops, filled into volc.c's table. */
enum up_result ark_create_video_task(struct upstream *u, const struct up_video_request *req,
                                     char id_out[static IDS_MAX], struct up_error *err);
enum up_result ark_open_video_result(struct upstream *u, const char *url, uint64_t max_bytes, int *fd,
                                    uint64_t *size, struct up_error *err);
enum up_result ark_get_video_task(struct upstream *u, const char *id, struct up_video_task *out,
                                  struct up_error *err);

/* Response parsing, non-static for tests/fuzz/fuzz_upstream_response.c.
 * volc.c: maps a complete answer (status, body) to a result; on UP_OK
 * *result holds a new reference to the Result object, else err is filled. */
enum up_result volc_classify(long status, const struct buf *body, json_t **result, struct up_error *err);
/* "YYYY-MM-DDThh:mm:ss[.fff]Z" to wall-clock ms; -1 if it is not that. */
int64_t volc_parse_time(const char *s);
/* 1 when code is base or base.<detail> ("NotFound.asset_id" is NotFound). */
int volc_code_is(const char *code, const char *base);
/* The Results of GetAsset and CreateVisualValidateSession; 0, or -1 with
 * err set. id NULL: any Id. A session without an expiry field expires at
 * now_ms + ttl_s. (Also used by the reply vectors in tests/unit.) */
int volc_parse_asset(json_t *res, const char *id, struct up_asset *out, struct up_error *err);
int volc_parse_session(json_t *res, int64_t now_ms, int ttl_s, struct up_validate_session *out,
                       struct up_error *err);
/* ark_video.c: the same for ModelArk; on UP_OK *root is the parsed object. */
enum up_result ark_classify(long status, const struct buf *body, json_t **root, struct up_error *err);
/* Fills out from a task object whose id must equal id; -1 when it is not one. */
int ark_parse_task(json_t *root, const char *id, struct up_video_task *out);

/* reconciliation: volc.c runs a read-only Action (req consumed, retried as
 * reads are); on UP_OK *result (if not NULL) holds the Result object. */
enum up_result volc_read_call(struct upstream *u, const char *action, json_t *req, json_t **result,
                              struct up_error *err);
/* volc_find.c: the find_group / find_asset ops (upstream.h). */
enum up_result volc_find_group(struct upstream *u, const char *group_type, const char *tag,
                               char id_out[static IDS_MAX], struct up_error *err);
enum up_result volc_find_asset(struct upstream *u, const char *group_id, const char *tag,
                               char id_out[static IDS_MAX], struct up_error *err);
/* volc_find.c: the list_groups op (upstream.h). */
enum up_result volc_list_groups(struct upstream *u, const char *group_type, int page_number, int page_size,
                                struct up_group_page *out, struct up_error *err);

/* volc.c: the raw_action op (upstream.h), for the doctor. */
enum up_result volc_raw_action(struct upstream *u, const char *action, const char *json_body, long *http_status,
                               char **reply, struct up_error *err);

#endif
