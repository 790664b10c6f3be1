/* media_probe.h — what a video or audio file holds (duration, picture size,
 * frame rate, sample rate), read through a callback so that the caller
 * fetches only the ranges the parser asks for: a ranged GET on S3, pread on
 * a file. The `moov` box of an MP4/MOV may sit at the end of a 200 MB file;
 * the probe seeks to it instead of reading what lies before.
 *
 * Every byte comes from a customer: each box size, offset and count is
 * checked against the source's size and the bytes read so far, and the
 * probe reads at most MEDIA_PROBE_MAX_READ bytes in all. */
#ifndef PORTICO_MEDIA_PROBE_H
#define PORTICO_MEDIA_PROBE_H
#include <stddef.h>
#include <stdint.h>

#include "util/media.h"

struct media_source {
    /* Reads up to n bytes at offset off into buf: the number read (0 only
     * at or past the end), or -1 on an I/O error. */
    long (*read_at)(void *ctx, uint64_t off, void *buf, size_t n);
    void *ctx;
    uint64_t size; /* the whole object's size in bytes */
};

struct media_av_info {
    enum media_type type;      /* MEDIA_MP4, MEDIA_MOV, MEDIA_MP3 or MEDIA_WAV */
    int64_t duration_ms;       /* of the file (the longest track); 0 if unknown */
    int width, height;         /* video: the first video track's picture; 0 for audio */
    double fps;                /* video: frames per second of that track; 0 if unknown */
    int sample_rate, channels; /* audio, or a video's first audio track; 0 if none */
    uint64_t bytes_read;       /* what the probe read in all (stays small: tests and bench check it) */
    /* Added with the implementation (issue 15): */
    int rotation;              /* MP4/MOV: the quarter turns (0, 90, 180, 270 clockwise) a player
                                * applies to width x height, from the video tkhd matrix */
    char video_codec[5];       /* MP4/MOV: the sample entry's four-character code ("avc1",
                                * "hvc1", "mp4v", "apcn", ...); "" otherwise */
    char audio_codec[5];       /* MP4/MOV: likewise ("mp4a", "lpcm", ...); MP3: "mp1", "mp2" or
                                * "mp3" by layer; WAV: "" */
};

#define MEDIA_PROBE_UNSUPPORTED (-1) /* not MP4, MOV, MP3 or WAV */
#define MEDIA_PROBE_CORRUPT (-2)     /* of such a type, but malformed or truncated */
#define MEDIA_PROBE_IO (-3)          /* read_at failed, or returned 0 before src->size */
#define MEDIA_PROBE_MAX_READ (8u * 1024 * 1024)

/* 0 with out filled, or one of the MEDIA_PROBE_* codes above; on an error
 * out holds only type (the sniffed one, MEDIA_UNKNOWN if unsupported) and
 * bytes_read. A moov box over 4 MiB, or a file that would need more than
 * MEDIA_PROBE_MAX_READ bytes read, is CORRUPT. See media_probe.c for what
 * each format's fields are measured from. */
int media_probe_av(const struct media_source *src, struct media_av_info *out);

#endif
