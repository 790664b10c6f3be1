/* volc_int.h — what volc.c (the signed asset-library client) shares with
 * ark_video.c (the Bearer-authenticated video task client). Private to
 * src/upstream/; nothing above the port includes it. */
#ifndef PORTICO_UPSTREAM_VOLC_INT_H
#define PORTICO_UPSTREAM_VOLC_INT_H
#include <curl/curl.h>

#include "upstream/upstream.h"

/* volc.c: this thread's reusable curl handle, reset (keep-alive cache
 * kept); NULL on failure. Valid only after upstream_volc_new ran once. */
CURL *volc_handle(void);
void volc_set_error(struct up_error *err, int http_status, const char *code, const char *message);
/* The CURLE_* name of the common transport failures, else NULL. */
const char *volc_curl_name(CURLcode c);
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
enum up_result ark_get_video_task(struct upstream *u, const char *id, struct up_video_task *out,
                                  struct up_error *err);

#endif
