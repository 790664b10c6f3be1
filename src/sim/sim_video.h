/* sim_video.h — the simulator's ModelArk video task API (sim_video.c), for
 * sim.c (life cycle) and sim_http.c (routing).
 *
 * Markers a test puts in a request to steer the simulated outcome (all
 * deterministic; see docs/simulator.md):
 *
 *   SIM_VIDEO_FAIL_MARK   in the prompt text: the task ends failed with
 *                         OutputVideoSensitiveContentDetected.PolicyViolation.
 *   SIM_VIDEO_QUEUE_MARK  in the prompt text: the task is never picked up;
 *                         it stays queued until cancelled or expired.
 *   SIM_VIDEO_FACE_MARK   these ASCII bytes anywhere in the bytes of an
 *                         image sent by http(s) or data: URL (a PNG tEXt
 *                         chunk or a JPEG COM segment carries them
 *                         naturally): the image "shows a real face", and the
 *                         create is refused with 400
 *                         InputImageSensitiveContentDetected.PrivacyInformation.
 *                         The same image registered as an asset and sent as
 *                         asset://<id> passes: that is what the asset library
 *                         is for (UPSTREAM.md "Video tasks", last row). */
#ifndef PORTICO_SIM_VIDEO_H
#define PORTICO_SIM_VIDEO_H
#include <microhttpd.h>

#include "sim/sim_int.h"
#include "util/buf.h"

#define SIM_VIDEO_TASKS_PATH "/api/v3/contents/generations/tasks"
#define SIM_VIDEO_FILES_PATH "/videos/"
#define SIM_VIDEO_MAX_TASKS 100000

#define SIM_VIDEO_FAIL_MARK "[sim:fail]"
#define SIM_VIDEO_QUEUE_MARK "[sim:queued]"
#define SIM_VIDEO_FACE_MARK "PORTICO-SIM-FACE"
/* The largest image the face check reads (UPSTREAM.md "Media": images < 30 MB). */
#define SIM_VIDEO_IMAGE_MAX (30 * 1024 * 1024)

struct sim_videos;
/* Generates the MP4 every task serves and copies what it needs of c
 * (video_ms, video_expire_ms, video_url_ttl_s, ark_project, fetch_timeout_ms);
 * NULL on failure (logged). */
struct sim_videos *sim_videos_new(const struct sim_config *c);
void sim_videos_free(struct sim_videos *v);

/* 1 when path belongs to the video API or its result files. */
int sim_video_is_path(const char *path);
/* Answers a request whose path sim_video_is_path accepted. */
enum MHD_Result sim_video_handle(struct sim *s, struct MHD_Connection *conn, const char *url, const char *method,
                                 const struct buf *body, int too_large);

#endif
