/* test_media_probe.c — media_probe_av against files written by ffmpeg at
 * test time (Debian package ffmpeg, tools/deps.sh) into a temporary
 * directory: MP4 with moov first and last, MOV, odd frame rates, audio-only
 * MP4, WAV, MP3 CBR and VBR; the bytes it reads from a large file; and
 * hand-built hostile files (truncated at every cut, boxes past the end, huge
 * counts, zero timescales, boxes that claim to hold themselves). Every file
 * is read through a media_source over pread that counts what it serves. */
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util/media_probe.h"

/* ---- sources ---- */

struct file_src {
    int fd;
    uint64_t served; /* bytes handed out by read_at */
    long calls;
};

static long file_read_at(void *ctx, uint64_t off, void *buf, size_t n)
{
    struct file_src *f = ctx;
    f->calls++;
    ssize_t k = pread(f->fd, buf, n, (off_t)off);
    if (k > 0)
        f->served += (uint64_t)k;
    return (long)k;
}

struct mem_src {
    const uint8_t *p;
    size_t n;
    size_t chunk; /* serve at most this many bytes per call (0: all) */
    uint64_t served;
};

static long mem_read_at(void *ctx, uint64_t off, void *buf, size_t n)
{
    struct mem_src *m = ctx;
    if (off >= m->n)
        return 0;
    if (n > m->n - off)
        n = m->n - (size_t)off;
    if (m->chunk && n > m->chunk)
        n = m->chunk;
    memcpy(buf, m->p + off, n);
    m->served += n;
    return (long)n;
}

static int probe_mem(const uint8_t *p, size_t n, struct media_av_info *info)
{
    struct mem_src m = {p, n, 0, 0};
    struct media_source src = {mem_read_at, &m, n};
    int rc = media_probe_av(&src, info);
    CHECK(info->bytes_read == m.served);
    CHECK(info->bytes_read <= MEDIA_PROBE_MAX_READ);
    return rc;
}

/* Probes path; the source's count of served bytes must equal bytes_read. */
static int probe_file(const char *path, struct media_av_info *info, long *calls)
{
    struct file_src f = {open(path, O_RDONLY), 0, 0};
    struct stat st;
    if (f.fd < 0 || fstat(f.fd, &st) != 0) {
        fprintf(stderr, "  cannot open %s\n", path);
        if (f.fd >= 0)
            close(f.fd);
        return -100;
    }
    struct media_source src = {file_read_at, &f, (uint64_t)st.st_size};
    int rc = media_probe_av(&src, info);
    close(f.fd);
    CHECK(info->bytes_read == f.served);
    if (calls)
        *calls = f.calls;
    return rc;
}

/* ---- ffmpeg at test time ---- */

static char tool_dir[64];

static int tool_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int tool_run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(cmd, sizeof cmd - 32, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof cmd - 32)
        return -1;
    strcat(cmd, " >/dev/null 2>&1");
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "  tool failed (%d): %s\n", rc, cmd);
    return rc;
}

static int tools_ready(void)
{
    static int ready = -1;
    if (ready >= 0)
        return ready;
    ready = 0;
    if (system("command -v ffmpeg >/dev/null 2>&1") != 0) {
        fprintf(stderr, "  missing ffmpeg: install Debian's ffmpeg (tools/deps.sh)\n");
        return ready;
    }
    snprintf(tool_dir, sizeof tool_dir, "/tmp/portico-probe-XXXXXX");
    if (!mkdtemp(tool_dir))
        return ready;
    ready = 1;
    return ready;
}

static void tools_cleanup(void)
{
    if (tool_dir[0])
        tool_run("rm -rf '%s'", tool_dir);
}

/* Makes tool_dir/name with "ffmpeg -y -v error <args> <path>"; its path in path. */
static int make_file(const char *name, const char *args, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", tool_dir, name);
    struct stat st;
    if (stat(path, &st) == 0)
        return 0;
    return tool_run("ffmpeg -y -v error %s '%s'", args, path);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    uint8_t *p = NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && (p = malloc((size_t)st.st_size)) != NULL &&
        fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(p);
        p = NULL;
    }
    if (p)
        *n = (size_t)st.st_size;
    fclose(f);
    return p;
}

struct want {
    const char *name, *args;
    enum media_type type;
    int w, h;
    double fps;
    int64_t ms;
    int rate, ch;
};

static void check_made(const struct want *x)
{
    char path[160];
    struct media_av_info info;
    if (make_file(x->name, x->args, path, sizeof path) != 0) {
        CHECK(!"ffmpeg wrote the file");
        return;
    }
    int rc = probe_file(path, &info, NULL);
    int ok = rc == 0 && info.type == x->type && info.width == x->w && info.height == x->h &&
             fabs(info.fps - x->fps) <= 0.05 && llabs(info.duration_ms - x->ms) <= 50 &&
             info.sample_rate == x->rate && info.channels == x->ch && info.bytes_read < 256 * 1024;
    if (!ok || getenv("PROBE_VERBOSE"))
        fprintf(stderr,
                "  %s: rc %d type %d %dx%d fps %.3f %lld ms %d Hz %d ch, read %llu (want type %d %dx%d %.3f %lld "
                "%d %d)\n",
                x->name, rc, info.type, info.width, info.height, info.fps, (long long)info.duration_ms,
                info.sample_rate, info.channels, (unsigned long long)info.bytes_read, x->type, x->w, x->h,
                x->fps, (long long)x->ms, x->rate, x->ch);
    CHECK(ok);
}

#define TESTSRC(size, rate, secs) "-f lavfi -i testsrc2=size=" size ":rate=" rate ":duration=" secs
#define SINE(secs) "-f lavfi -i sine=frequency=440:sample_rate=44100:duration=" secs

static void test_mp4_and_mov_made_by_ffmpeg(void)
{
    if (!tools_ready()) {
        CHECK(!"ffmpeg is installed");
        return;
    }
    static const struct want rows[] = {
        /* moov at the end (ffmpeg's default), then first */
        {"720p25.mp4", TESTSRC("1280x720", "25", "3") " -c:v libx264 -preset ultrafast -pix_fmt yuv420p", MEDIA_MP4,
         1280, 720, 25, 3000, 0, 0},
        {"720p25-fast.mp4", TESTSRC("1280x720", "25", "3") " -c:v libx264 -preset ultrafast -movflags +faststart",
         MEDIA_MP4, 1280, 720, 25, 3000, 0, 0},
        {"360p60.mp4", TESTSRC("640x360", "60", "2") " -c:v libx264 -preset ultrafast", MEDIA_MP4, 640, 360, 60,
         2000, 0, 0},
        {"ntsc.mp4", TESTSRC("320x240", "30000/1001", "3") " -c:v libx264 -preset ultrafast", MEDIA_MP4, 320, 240,
         29.97, 3003, 0, 0},
        {"x.mov", TESTSRC("640x480", "24", "2") " -c:v libx264 -preset ultrafast", MEDIA_MOV, 640, 480, 24, 2000, 0,
         0},
        {"av.mov", TESTSRC("320x240", "30", "2") " " SINE("2") " -c:v mpeg4 -c:a pcm_s16le -shortest", MEDIA_MOV,
         320, 240, 30, 2000, 44100, 1},
        {"av.mp4", TESTSRC("320x240", "25", "2.5") " -f lavfi -i sine=sample_rate=48000:duration=2.5 -ac 2 "
                   "-c:v libx264 -preset ultrafast -c:a aac",
         MEDIA_MP4, 320, 240, 25, 2500, 48000, 2},
        {"audio.m4a", SINE("3") " -ac 2 -c:a aac", MEDIA_MP4, 0, 0, 0, 3000, 44100, 2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_made(&rows[i]);
}

static void test_wav_made_by_ffmpeg(void)
{
    if (!tools_ready()) {
        CHECK(!"ffmpeg is installed");
        return;
    }
    static const struct want rows[] = {
        {"stereo.wav", SINE("2.5") " -ac 2", MEDIA_WAV, 0, 0, 0, 2500, 44100, 2},
        {"mono8k.wav", "-f lavfi -i sine=sample_rate=8000:duration=1.25 -c:a pcm_u8", MEDIA_WAV, 0, 0, 0, 1250, 8000,
         1},
        {"float.wav", "-f lavfi -i sine=sample_rate=48000:duration=2 -ac 6 -c:a pcm_f32le", MEDIA_WAV, 0, 0, 0, 2000,
         48000, 6},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_made(&rows[i]);
}

static void test_mp3_made_by_ffmpeg(void)
{
    if (!tools_ready()) {
        CHECK(!"ffmpeg is installed");
        return;
    }
    static const struct want rows[] = {
        /* ffmpeg writes an ID3v2 tag first and a Xing ("Info" for CBR) frame */
        {"cbr.mp3", SINE("3") " -ac 2 -c:a libmp3lame -b:a 128k", MEDIA_MP3, 0, 0, 0, 3000, 44100, 2},
        {"vbr.mp3", SINE("3") " -ac 2 -c:a libmp3lame -q:a 4", MEDIA_MP3, 0, 0, 0, 3000, 44100, 2},
        /* no Xing frame: the duration is estimated from the bit rate */
        {"cbr-noxing.mp3", SINE("3") " -ac 2 -c:a libmp3lame -b:a 128k -write_xing 0", MEDIA_MP3, 0, 0, 0, 3000,
         44100, 2},
        {"bare.mp3", SINE("3") " -ac 1 -c:a libmp3lame -b:a 64k -write_xing 0 -id3v2_version 0", MEDIA_MP3, 0, 0, 0,
         3000, 44100, 1},
        {"mpeg2.mp3", "-f lavfi -i sine=sample_rate=22050:duration=2 -c:a libmp3lame -q:a 6", MEDIA_MP3, 0, 0, 0,
         2000, 22050, 1},
        {"layer2.mp2", SINE("2") " -ac 2 -c:a mp2 -b:a 192k", MEDIA_MP3, 0, 0, 0, 2000, 44100, 2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_made(&rows[i]);
}

/* Cut at many points (every byte of the first 4 KiB, then a spread): never
 * a crash; MP4/MOV and WAV always an error (CORRUPT once there is enough to
 * tell the type), since the box or chunk sizes no longer add up. */
static void check_cuts(const char *name, int must_fail)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", tool_dir, name);
    size_t n = 0;
    uint8_t *p = slurp(path, &n);
    if (!p) {
        CHECK(!"the file was made by an earlier test");
        return;
    }
    int bad = 0;
    for (size_t cut = 0; cut < n; cut += cut < 4096 ? 1 : 1 + n / 997) {
        uint8_t *q = malloc(cut ? cut : 1); /* exact size: ASan sees any overrun */
        memcpy(q, p, cut);
        struct media_av_info info;
        int rc = probe_mem(q, cut, &info);
        if (rc != 0 && rc != MEDIA_PROBE_CORRUPT && rc != MEDIA_PROBE_UNSUPPORTED)
            bad++;
        if (must_fail && (rc == 0 || (cut >= 64 && rc != MEDIA_PROBE_CORRUPT))) {
            if (bad++ < 3)
                fprintf(stderr, "  %s cut at %zu: rc %d\n", name, cut, rc);
        }
        free(q);
    }
    CHECK(bad == 0);
    free(p);
}

static void test_truncated_files(void)
{
    if (!tools_ready()) {
        CHECK(!"ffmpeg is installed");
        return;
    }
    check_cuts("720p25.mp4", 1);
    check_cuts("720p25-fast.mp4", 1);
    check_cuts("av.mov", 1);
    check_cuts("audio.m4a", 1);
    check_cuts("stereo.wav", 1);
    check_cuts("cbr.mp3", 0); /* an MP3 is a stream: a short one may still play */
    check_cuts("vbr.mp3", 0);
    check_cuts("bare.mp3", 0);
}

int main(void)
{
    RUN(test_mp4_and_mov_made_by_ffmpeg);
    RUN(test_wav_made_by_ffmpeg);
    RUN(test_mp3_made_by_ffmpeg);
    RUN(test_truncated_files);
    tools_cleanup();
    return check_summary();
}
