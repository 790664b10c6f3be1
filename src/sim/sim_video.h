/* sim_video.h — the simulator's ModelArk video task API (sim_video.c), for
 * sim.c (life cycle) and sim_http.c (routing). */
#ifndef PORTICO_SIM_VIDEO_H
#define PORTICO_SIM_VIDEO_H
#include <microhttpd.h>

#include "sim/sim_int.h"
#include "util/buf.h"

#define SIM_VIDEO_TASKS_PATH "/api/v3/contents/generations/tasks"
#define SIM_VIDEO_FILES_PATH "/videos/"
#define SIM_VIDEO_MAX_TASKS 100000

struct sim_videos;
/* Generates the MP4 every task serves; NULL on failure (logged). */
struct sim_videos *sim_videos_new(int video_ms);
void sim_videos_free(struct sim_videos *v);

/* 1 when path belongs to the video API or its result files. */
int sim_video_is_path(const char *path);
/* Answers a request whose path sim_video_is_path accepted. */
enum MHD_Result sim_video_handle(struct sim *s, struct MHD_Connection *conn, const char *url, const char *method,
                                 const struct buf *body, int too_large);

#endif
