/* sim_mp4.h — the small, real, playable MP4 the simulator serves as every
 * generated video (sim_mp4.c). Its own code, no third-party media. */
#ifndef PORTICO_SIM_MP4_H
#define PORTICO_SIM_MP4_H
#include <stddef.h>
#include <stdint.h>

struct sim_mp4_spec {
    int width, height; /* pixels; multiples of 16, 16..1024 */
    int frames;        /* 1..300 */
    int fps;           /* 1..60 */
};

/* The spec the simulator uses: 64x64, 10 frames at 10 fps (1 s). */
void sim_mp4_default_spec(struct sim_mp4_spec *s);

/* Builds an ISO-BMFF MP4 holding one H.264 Constrained Baseline video
 * track of spec->frames IDR pictures made of I_PCM macroblocks (raw
 * samples: no transform or entropy coding needed, any decoder plays it).
 * On success *out is a malloc'd buffer of *len bytes and 0 is returned;
 * -1 for a bad spec or out of memory. */
int sim_mp4_build(const struct sim_mp4_spec *spec, uint8_t **out, size_t *len);

/* The H.264 pieces, for tests: the SPS and PPS NAL units (header byte
 * included, emulation prevention applied) into buffers of cap bytes;
 * return their length or -1. */
int sim_mp4_sps(const struct sim_mp4_spec *spec, uint8_t *out, size_t cap);
int sim_mp4_pps(uint8_t *out, size_t cap);

#endif
