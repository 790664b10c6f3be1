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
#include "tools.h"
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

/* ---- hand-built files: every branch and hostile input ---- */

struct w {
    uint8_t *p;
    size_t n, cap;
    size_t open[16];
    int depth;
};

static void w_bytes(struct w *w, const void *b, size_t k)
{
    if (w->n + k > w->cap) {
        w->cap = (w->n + k) * 2;
        w->p = realloc(w->p, w->cap);
    }
    memcpy(w->p + w->n, b, k);
    w->n += k;
}

static void w_u8(struct w *w, uint32_t v) { uint8_t b = (uint8_t)v; w_bytes(w, &b, 1); }
static void w_be16(struct w *w, uint32_t v) { w_u8(w, v >> 8); w_u8(w, v); }
static void w_be32(struct w *w, uint32_t v) { w_be16(w, v >> 16); w_be16(w, v); }
static void w_be64(struct w *w, uint64_t v) { w_be32(w, (uint32_t)(v >> 32)); w_be32(w, (uint32_t)v); }
static void w_le16(struct w *w, uint32_t v) { w_u8(w, v); w_u8(w, v >> 8); }
static void w_le32(struct w *w, uint32_t v) { w_le16(w, v); w_le16(w, v >> 16); }
static void w_zero(struct w *w, size_t k) { while (k--) w_u8(w, 0); }

static void w_open(struct w *w, const char *type)
{
    w->open[w->depth++] = w->n;
    w_be32(w, 0);
    w_bytes(w, type, 4);
}

static void w_close(struct w *w)
{
    size_t at = w->open[--w->depth];
    uint32_t sz = (uint32_t)(w->n - at);
    w->p[at] = (uint8_t)(sz >> 24); w->p[at + 1] = (uint8_t)(sz >> 16);
    w->p[at + 2] = (uint8_t)(sz >> 8); w->p[at + 3] = (uint8_t)sz;
}

/* The offset of the first box of this type (its size field), or 0. */
static size_t find_box(const struct w *w, const char *type)
{
    for (size_t i = 4; i + 4 <= w->n; i++)
        if (memcmp(w->p + i, type, 4) == 0)
            return i - 4;
    return 0;
}

static void put_be32_at(struct w *w, size_t at, uint32_t v)
{
    w->p[at] = (uint8_t)(v >> 24); w->p[at + 1] = (uint8_t)(v >> 16);
    w->p[at + 2] = (uint8_t)(v >> 8); w->p[at + 3] = (uint8_t)v;
}

struct mp4_opts {
    int v1;            /* mvhd, tkhd, mdhd version 1 */
    int moov_last;     /* mdat before moov */
    int rotation;      /* tkhd matrix for 0, 90, 180, 270 */
    int no_tkhd_size;  /* tkhd width/height 0: the sample entry's is used */
    int audio;         /* add a sound track (mp4a, 2 ch, 48 kHz) */
    int largesize_mdat;/* mdat with size 1 and a 64-bit size */
    int mdat_to_end;   /* mdat with size 0 (to the end) */
};

/* A video track of 50 frames at 25 fps (timescale 12800, delta 512),
 * 1920x1080, one chunk of 50 samples of 10 bytes in mdat. */
static void make_mp4(struct w *w, const struct mp4_opts *o)
{
    memset(w, 0, sizeof *w);
    const uint32_t frames = 50, vts = 12800, delta = 512;
    w_open(w, "ftyp");
    w_bytes(w, "isom\0\0\2\0isomiso2mp41mp42", 24);
    w_close(w);
    size_t mdat_bytes = frames * 10 + (o->audio ? 94 * 4 : 0);
    size_t stco_fix[2] = {0, 0};
    for (int pass = 0; pass < 2; pass++) {
        int write_moov = pass == (o->moov_last ? 1 : 0), write_mdat = !write_moov;
        if (write_mdat) {
            size_t at = w->n;
            if (o->largesize_mdat) {
                w_be32(w, 1);
                w_bytes(w, "mdat", 4);
                w_be64(w, 16 + mdat_bytes);
            } else {
                w_be32(w, o->mdat_to_end ? 0 : (uint32_t)(8 + mdat_bytes));
                w_bytes(w, "mdat", 4);
            }
            size_t data = w->n;
            w_zero(w, mdat_bytes);
            /* patch the chunk offsets now that they are known */
            for (int k = 0; k < 2; k++)
                if (stco_fix[k])
                    put_be32_at(w, stco_fix[k], (uint32_t)(data + (k ? frames * 10 : 0)));
            stco_fix[0] = stco_fix[1] = (size_t)-1 - at; /* mark done */
            continue;
        }
        w_open(w, "moov");
        w_open(w, "mvhd");
        if (o->v1) {
            w_be32(w, 1 << 24);
            w_be64(w, 0); w_be64(w, 0);
            w_be32(w, 1000);
            w_be64(w, 2000);
        } else {
            w_be32(w, 0);
            w_be32(w, 0); w_be32(w, 0);
            w_be32(w, 1000);
            w_be32(w, 2000);
        }
        w_zero(w, 80);
        w_close(w);
        for (int t = 0; t < 1 + (o->audio ? 1 : 0); t++) {
            int vid = t == 0;
            w_open(w, "trak");
            w_open(w, "tkhd");
            if (o->v1) {
                w_be32(w, 1 << 24 | 3);
                w_be64(w, 0); w_be64(w, 0); w_be32(w, (uint32_t)t + 1); w_be32(w, 0); w_be64(w, 2000);
            } else {
                w_be32(w, 3);
                w_be32(w, 0); w_be32(w, 0); w_be32(w, (uint32_t)t + 1); w_be32(w, 0); w_be32(w, 2000);
            }
            w_zero(w, 8 + 8);
            static const int32_t mats[4][4] = {{1, 0, 0, 1}, {0, 1, -1, 0}, {-1, 0, 0, -1}, {0, -1, 1, 0}};
            const int32_t *m = mats[vid ? o->rotation / 90 : 0];
            w_be32(w, (uint32_t)(m[0] * 65536)); w_be32(w, (uint32_t)(m[1] * 65536)); w_be32(w, 0);
            w_be32(w, (uint32_t)(m[2] * 65536)); w_be32(w, (uint32_t)(m[3] * 65536)); w_be32(w, 0);
            w_be32(w, 0); w_be32(w, 0); w_be32(w, 0x40000000);
            w_be32(w, vid && !o->no_tkhd_size ? 1920u << 16 : 0);
            w_be32(w, vid && !o->no_tkhd_size ? 1080u << 16 : 0);
            w_close(w);
            w_open(w, "mdia");
            w_open(w, "mdhd");
            uint32_t ts = vid ? vts : 48000;
            uint64_t dur = vid ? (uint64_t)frames * delta : 94 * 1024;
            if (o->v1) {
                w_be32(w, 1 << 24);
                w_be64(w, 0); w_be64(w, 0); w_be32(w, ts); w_be64(w, dur);
            } else {
                w_be32(w, 0);
                w_be32(w, 0); w_be32(w, 0); w_be32(w, ts); w_be32(w, (uint32_t)dur);
            }
            w_be32(w, 0);
            w_close(w);
            w_open(w, "hdlr");
            w_be32(w, 0); w_be32(w, 0);
            w_bytes(w, vid ? "vide" : "soun", 4);
            w_zero(w, 13);
            w_close(w);
            w_open(w, "minf");
            w_open(w, "stbl");
            w_open(w, "stsd");
            w_be32(w, 0); w_be32(w, 1);
            if (vid) {
                w_open(w, "avc1");
                w_zero(w, 6); w_be16(w, 1); w_zero(w, 16);
                w_be16(w, 1280); w_be16(w, 720);
                w_zero(w, 50);
                w_close(w);
            } else {
                w_open(w, "mp4a");
                w_zero(w, 6); w_be16(w, 1); w_zero(w, 8);
                w_be16(w, 2); w_be16(w, 16); w_be32(w, 0); w_be32(w, 48000u << 16);
                w_close(w);
            }
            w_close(w);
            w_open(w, "stts");
            w_be32(w, 0); w_be32(w, 1);
            w_be32(w, vid ? frames : 94); w_be32(w, vid ? delta : 1024);
            w_close(w);
            w_open(w, "stsc");
            w_be32(w, 0); w_be32(w, 1);
            w_be32(w, 1); w_be32(w, vid ? frames : 94); w_be32(w, 1);
            w_close(w);
            w_open(w, "stsz");
            w_be32(w, 0); w_be32(w, vid ? 10 : 4); w_be32(w, vid ? frames : 94);
            w_close(w);
            w_open(w, "stco");
            w_be32(w, 0); w_be32(w, 1);
            if (stco_fix[t] == 0)
                stco_fix[t] = w->n;
            w_be32(w, 0);
            w_close(w);
            w_close(w); /* stbl */
            w_close(w); /* minf */
            w_close(w); /* mdia */
            w_close(w); /* trak */
        }
        w_close(w); /* moov */
    }
    /* moov first: its chunk offsets were patched when mdat was written;
     * moov last: mdat came first, so patch them now */
    if (o->moov_last) {
        size_t mdat = find_box(w, "mdat");
        size_t data = mdat + (o->largesize_mdat ? 16 : 8);
        size_t co = 0;
        for (int t = 0; t < 1 + (o->audio ? 1 : 0); t++) {
            size_t i = co + 4;
            while (i + 4 <= w->n && memcmp(w->p + i, "stco", 4) != 0)
                i++;
            put_be32_at(w, i + 12, (uint32_t)(data + (t ? frames * 10 : 0)));
            co = i + 4;
        }
    }
}

static int probe_w(const struct w *w, struct media_av_info *info)
{
    return probe_mem(w->p, w->n, info);
}

static void test_mp4_built_by_hand(void)
{
    struct w w;
    struct media_av_info info;
    for (int v1 = 0; v1 < 2; v1++)
        for (int last = 0; last < 2; last++)
            for (int big = 0; big < 3; big++) {
                struct mp4_opts o = {.v1 = v1, .moov_last = last, .audio = 1, .largesize_mdat = big == 1,
                                     .mdat_to_end = big == 2 && last == 0};
                make_mp4(&w, &o);
                int rc = probe_w(&w, &info);
                CHECK(rc == 0);
                CHECK(info.type == MEDIA_MP4 && info.width == 1920 && info.height == 1080);
                CHECK(info.duration_ms == 2000 && fabs(info.fps - 25.0) < 1e-9);
                CHECK(info.sample_rate == 48000 && info.channels == 2);
                CHECK_STR(info.video_codec, "avc1");
                CHECK_STR(info.audio_codec, "mp4a");
                CHECK(info.rotation == 0);
                if (rc != 0)
                    fprintf(stderr, "  v1 %d last %d big %d: rc %d\n", v1, last, big, rc);
                free(w.p);
            }
    for (int r = 0; r < 360; r += 90) {
        struct mp4_opts o = {.rotation = r};
        make_mp4(&w, &o);
        CHECK(probe_w(&w, &info) == 0 && info.rotation == r && info.width == 1920);
        free(w.p);
    }
    struct mp4_opts o = {.no_tkhd_size = 1};
    make_mp4(&w, &o);
    CHECK(probe_w(&w, &info) == 0 && info.width == 1280 && info.height == 720);
    CHECK(info.sample_rate == 0 && info.channels == 0 && info.audio_codec[0] == 0);
    free(w.p);
}

/* One mutation of the hand-built file: the box of this type (or the
 * file's start when NULL), a 32-bit value at a distance from its start. */
struct mutation {
    const char *what, *box;
    size_t at;
    uint32_t value;
    int video_only; /* on a file without the sound track */
};

static void test_mp4_hostile(void)
{
    static const struct mutation rows[] = {
        {"mvhd timescale 0", "mvhd", 20, 0, 0},
        {"mdhd timescale 0", "mdhd", 20, 0, 0},
        {"stsd count 2^32-1", "stsd", 12, 0xFFFFFFFF, 0},
        {"stsd count 0", "stsd", 12, 0, 0},
        {"stts count 2^32-1", "stts", 12, 0xFFFFFFFF, 0},
        {"stsc count 2^28", "stsc", 12, 1u << 28, 0},
        {"stco count 2^30", "stco", 12, 1u << 30, 0},
        {"chunk offset past the end", "stco", 16, 0x7FFFFFF0, 0},
        {"samples per chunk above the samples", "stsc", 20, 1000, 0},
        {"moov size past the end", "moov", 0, 0x00100000, 0},
        {"mdat size past the end", "mdat", 0, 0x00100000, 0},
        {"trak size past moov", "trak", 0, 0x00100000, 0},
        {"stbl size 7", "stbl", 0, 7, 0},
        {"stsd entry size past stsd", "avc1", 0, 0xFFFF, 0},
        {"tkhd too short", "tkhd", 0, 20, 0},
        {"mdhd too short", "mdhd", 0, 12, 0},
        {"hdlr too short", "hdlr", 0, 16, 0},
        {"mvhd too short", "mvhd", 0, 12, 0},
        {"no mvhd", "mvhd", 4, 0x66726565 /* free */, 0},
        {"no media track", "hdlr", 16, 0x74657874 /* text */, 1},
        {"largesize below its header", "mdat", 0, 1, 0},
        {"ftyp size past the end", NULL, 0, 0x00100000, 0},
    };
    struct media_av_info info;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        for (int last = 0; last < 2; last++) {
            struct w w;
            struct mp4_opts o = {.moov_last = last, .audio = !rows[i].video_only};
            make_mp4(&w, &o);
            size_t at = rows[i].box ? find_box(&w, rows[i].box) : 0;
            CHECK(!rows[i].box || at > 0);
            put_be32_at(&w, at + rows[i].at, rows[i].value);
            int rc = probe_w(&w, &info);
            if (rc != MEDIA_PROBE_CORRUPT)
                fprintf(stderr, "  %s (moov %s): rc %d\n", rows[i].what, last ? "last" : "first", rc);
            CHECK(rc == MEDIA_PROBE_CORRUPT);
            CHECK(info.type == MEDIA_MP4 && info.width == 0 && info.duration_ms == 0);
            free(w.p);
        }
}

/* Boxes that claim to hold themselves, nest deep, or never end: bounded. */
static void test_mp4_nesting_and_counts(void)
{
    struct media_av_info info;
    struct w w;
    /* trak inside trak inside ... 2000 deep: walked by fixed code, no recursion */
    memset(&w, 0, sizeof w);
    w_open(&w, "ftyp");
    w_bytes(&w, "isom\0\0\0\0", 8);
    w_close(&w);
    size_t start = w.n;
    w_be32(&w, 0);
    w_bytes(&w, "moov", 4);
    for (int i = 0; i < 2000; i++) {
        w_be32(&w, (uint32_t)(8 * (2000 - i)));
        w_bytes(&w, i % 2 ? "mdia" : "trak", 4);
    }
    put_be32_at(&w, start, (uint32_t)(w.n - start));
    CHECK(probe_w(&w, &info) == MEDIA_PROBE_CORRUPT);
    free(w.p);
    /* 10000 empty top-level boxes: stops at its bound, each header read once */
    memset(&w, 0, sizeof w);
    w_open(&w, "ftyp");
    w_bytes(&w, "isom\0\0\0\0", 8);
    w_close(&w);
    for (int i = 0; i < 10000; i++) {
        w_be32(&w, 8);
        w_bytes(&w, "free", 4);
    }
    CHECK(probe_w(&w, &info) == MEDIA_PROBE_CORRUPT);
    CHECK(info.bytes_read < 200 * 1024);
    free(w.p);
    /* a moov over the cap is refused without being read */
    memset(&w, 0, sizeof w);
    w_open(&w, "ftyp");
    w_bytes(&w, "isom\0\0\0\0", 8);
    w_close(&w);
    w_open(&w, "moov");
    w_zero(&w, 5u << 20);
    w_close(&w);
    CHECK(probe_w(&w, &info) == MEDIA_PROBE_CORRUPT);
    CHECK(info.bytes_read < 1024);
    free(w.p);
    /* two moov boxes */
    struct mp4_opts o = {0};
    make_mp4(&w, &o);
    size_t moov = find_box(&w, "moov");
    uint32_t len = (uint32_t)(w.p[moov] << 24 | w.p[moov + 1] << 16 | w.p[moov + 2] << 8 | w.p[moov + 3]);
    uint8_t *copy = malloc(len);
    memcpy(copy, w.p + moov, len);
    w_bytes(&w, copy, len);
    free(copy);
    CHECK(probe_w(&w, &info) == MEDIA_PROBE_CORRUPT);
    free(w.p);
}

struct flaky {
    struct mem_src m;
    int fail_after; /* calls that succeed before one fails */
};

static long flaky_read_at(void *ctx, uint64_t off, void *buf, size_t n)
{
    struct flaky *f = ctx;
    if (f->fail_after-- <= 0)
        return -1;
    return mem_read_at(&f->m, off, buf, n);
}

/* Short reads change nothing; a failing or short source is IO. */
static void test_sources(void)
{
    struct w w;
    struct mp4_opts o = {.audio = 1, .moov_last = 1};
    make_mp4(&w, &o);
    struct media_av_info whole, bytewise;
    CHECK(probe_w(&w, &whole) == 0);
    struct mem_src m = {w.p, w.n, 1, 0};
    struct media_source src = {mem_read_at, &m, w.n};
    CHECK(media_probe_av(&src, &bytewise) == 0);
    CHECK(memcmp(&whole, &bytewise, sizeof whole) == 0);
    /* the read that fails may be any of them: sniff, box headers, moov */
    int k = 0;
    for (;; k++) {
        struct flaky f = {{w.p, w.n, 0, 0}, k};
        struct media_source fs = {flaky_read_at, &f, w.n};
        int rc = media_probe_av(&fs, &bytewise);
        if (rc == 0)
            break;
        CHECK(rc == MEDIA_PROBE_IO);
    }
    CHECK(k == 5); /* sniff, ftyp, mdat and moov headers, moov */
    /* a source that says it is longer than it is */
    struct mem_src liar = {w.p, w.n, 0, 0};
    struct media_source ls = {mem_read_at, &liar, w.n + 100};
    CHECK(media_probe_av(&ls, &bytewise) == MEDIA_PROBE_IO);
    free(w.p);
    static const uint8_t png[] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR";
    CHECK(probe_mem(png, sizeof png, &bytewise) == MEDIA_PROBE_UNSUPPORTED && bytewise.type == MEDIA_UNKNOWN);
    CHECK(probe_mem(png, 0, &bytewise) == MEDIA_PROBE_UNSUPPORTED);
    CHECK(media_probe_av(NULL, &bytewise) == MEDIA_PROBE_UNSUPPORTED);
}

/* A WAV: RIFF header, fmt (PCM), optional chunks, data of n bytes. */
static void make_wav(struct w *w, uint32_t ch, uint32_t rate, uint32_t bits, uint32_t data, int list_first)
{
    memset(w, 0, sizeof *w);
    w_bytes(w, "RIFF", 4);
    w_le32(w, 0);
    w_bytes(w, "WAVE", 4);
    if (list_first) { /* an odd chunk, then its pad byte */
        w_bytes(w, "LIST", 4);
        w_le32(w, 5);
        w_bytes(w, "INFOx\0", 6);
    }
    w_bytes(w, "fmt ", 4);
    w_le32(w, 16);
    w_le16(w, 1);
    w_le16(w, ch);
    w_le32(w, rate);
    w_le32(w, rate * ch * bits / 8);
    w_le16(w, ch * bits / 8);
    w_le16(w, bits);
    w_bytes(w, "data", 4);
    w_le32(w, data);
    w_zero(w, data);
    w->p[4] = (uint8_t)(w->n - 8); w->p[5] = (uint8_t)((w->n - 8) >> 8); w->p[6] = (uint8_t)((w->n - 8) >> 16);
}

static void test_wav_built_by_hand(void)
{
    struct w w;
    struct media_av_info info;
    make_wav(&w, 2, 16000, 16, 16000 * 4 * 3 / 2, 1);
    CHECK(probe_w(&w, &info) == 0 && info.duration_ms == 1500 && info.sample_rate == 16000 && info.channels == 2);
    /* an unknown data size (a writer that could not seek back): the rest of the file */
    size_t data = find_box(&w, "data");
    put_be32_at(&w, data + 8, 0xFFFFFFFF);
    CHECK(probe_w(&w, &info) == 0 && info.duration_ms == 1500);
    free(w.p);
    static const struct {
        const char *what, *chunk;
        size_t at;
        uint32_t value; /* little-endian 32 bits at chunk + at */
    } rows[] = {
        {"channels 0", "fmt ", 10, 16000u << 16},
        {"rate 0", "fmt ", 12, 0},
        {"rate beyond an int (found by fuzz_media_probe)", "fmt ", 12, 0xB2003E80},
        {"byte rate 0", "fmt ", 16, 0},
        {"data past the end", "data", 4, 1000000},
        {"fmt shorter than 16", "fmt ", 4, 12},
        {"fmt past the end", "fmt ", 4, 0x7FFFFFFF},
        {"no fmt before data", "fmt ", 0, 0x6b6e756a /* "junk" */},
        {"no data", "data", 0, 0x6b6e756a},
        {"LIST past the end", "LIST", 4, 0xFFFFFFF0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        make_wav(&w, 2, 16000, 16, 4000, 1);
        size_t at = find_box(&w, rows[i].chunk) + 4 + rows[i].at;
        uint32_t v = rows[i].value;
        w.p[at] = (uint8_t)v; w.p[at + 1] = (uint8_t)(v >> 8); w.p[at + 2] = (uint8_t)(v >> 16);
        w.p[at + 3] = (uint8_t)(v >> 24);
        int rc = probe_w(&w, &info);
        if (rc != MEDIA_PROBE_CORRUPT)
            fprintf(stderr, "  %s: rc %d\n", rows[i].what, rc);
        CHECK(rc == MEDIA_PROBE_CORRUPT && info.type == MEDIA_WAV);
        free(w.p);
    }
}

/* An MPEG-1 layer III frame header, 128 kbit/s 44.1 kHz stereo, and its
 * 417-byte frame (no padding). */
static void w_mp3_frame(struct w *w, const char *tag)
{
    size_t at = w->n;
    w_bytes(w, "\xFF\xFB\x90\x00", 4);
    w_zero(w, 417 - 4);
    if (tag && strcmp(tag, "VBRI") == 0) {
        memcpy(w->p + at + 36, "VBRI\0\1\0\0\0\0", 10);
        put_be32_at(w, at + 36 + 10, 2000);
        put_be32_at(w, at + 36 + 14, 1000); /* frames: 1000 * 1152 / 44100 = 26.122 s */
    } else if (tag) {
        memcpy(w->p + at + 36, tag, 4);
        put_be32_at(w, at + 40, 1 | 2);
        put_be32_at(w, at + 44, 100);   /* frames: 2.612 s */
        put_be32_at(w, at + 48, 40000); /* bytes */
    }
}

static void test_mp3_built_by_hand(void)
{
    struct w w;
    struct media_av_info info;
    /* an ID3v2 tag with a footer, junk with a false sync, then frames */
    memset(&w, 0, sizeof w);
    w_bytes(&w, "ID3\4\0\x10\0\0\1\0", 10); /* 128 bytes, footer */
    w_zero(&w, 128 + 10);
    w_bytes(&w, "\0\xFF\xFB\x90\x00junk", 9);
    w_mp3_frame(&w, "VBRI");
    for (int i = 0; i < 5; i++)
        w_mp3_frame(&w, NULL);
    CHECK(probe_w(&w, &info) == 0 && info.duration_ms == 26122 && info.sample_rate == 44100 &&
          info.channels == 2);
    CHECK_STR(info.audio_codec, "mp3");
    free(w.p);
    /* Xing claims more bytes than the file: cut short */
    memset(&w, 0, sizeof w);
    w_mp3_frame(&w, "Xing");
    w_mp3_frame(&w, NULL);
    CHECK(probe_w(&w, &info) == MEDIA_PROBE_CORRUPT);
    put_be32_at(&w, 48, 834);
    CHECK(probe_w(&w, &info) == 0 && info.duration_ms == 2612);
    free(w.p);
    /* CBR: 10 frames of 417 bytes at 128 kbit/s and an ID3v1 tag */
    memset(&w, 0, sizeof w);
    for (int i = 0; i < 10; i++)
        w_mp3_frame(&w, NULL);
    w_bytes(&w, "TAG", 3);
    w_zero(&w, 125);
    CHECK(probe_w(&w, &info) == 0 && info.duration_ms == 4170 * 8 / 128);
    free(w.p);
    /* ID3v2 sizes that are not syncsafe or run past the end; a tag and nothing else */
    static const char *const bad[] = {"ID3\4\0\0\0\0\x80\0", "ID3\4\0\0\0\x7f\x7f\x7f", "ID3\4\0\0\0\0\0\0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&w, 0, sizeof w);
        w_bytes(&w, bad[i], 10);
        w_zero(&w, 64);
        CHECK(probe_w(&w, &info) == MEDIA_PROBE_CORRUPT && info.type == MEDIA_MP3);
        free(w.p);
    }
    /* a sync whose successor is not a header, then nothing */
    memset(&w, 0, sizeof w);
    w_bytes(&w, "\xFF\xFB\x90\x00", 4);
    w_zero(&w, 2000);
    CHECK(probe_w(&w, &info) == MEDIA_PROBE_CORRUPT);
    free(w.p);
}

/* ---- ffmpeg at test time ---- */

static char tool_dir[64];

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

struct want {
    const char *name, *args;
    enum media_type type;
    int w, h;
    double fps; /* within 0.05; negative: within 0.5 of its opposite */
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
             (x->fps >= 0 ? fabs(info.fps - x->fps) <= 0.05 : fabs(info.fps + x->fps) <= 0.5) && llabs(info.duration_ms - x->ms) <= 50 &&
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
        /* fragmented: timing in moof/trun (and trex defaults), none in stts */
        {"frag.mp4", TESTSRC("320x240", "30", "3") " -c:v libx264 -preset ultrafast -g 30 "
                     "-movflags frag_keyframe+empty_moov",
         MEDIA_MP4, 320, 240, 30, 3000, 0, 0},
        {"frag-dbm.mp4", TESTSRC("640x360", "60", "2") " -c:v libx264 -preset ultrafast -g 30 "
                         "-movflags frag_keyframe+empty_moov+default_base_moof",
         MEDIA_MP4, 640, 360, 60, 2000, 0, 0},
        /* with AAC the video's last fragment runs on to the audio's end: ffprobe says
         * avg_frame_rate 29.77 over 3.023 s too */
        {"frag-av.mp4", TESTSRC("320x240", "30", "3") " " SINE("3") " -c:v libx264 -preset ultrafast -g 30 "
                        "-c:a aac -movflags frag_keyframe+empty_moov",
         MEDIA_MP4, 320, 240, -30, 3000, 44100, 1},
        /* mono AAC: the sample entry says 2 channels, esds's AudioSpecificConfig 1 */
        {"mono.m4a", SINE("2") " -c:a aac", MEDIA_MP4, 0, 0, 0, 2000, 44100, 1},
        {"mono-aac.mov", SINE("2") " -c:a aac", MEDIA_MOV, 0, 0, 0, 2000, 44100, 1},
        {"51.m4a", "-f lavfi -i sine=sample_rate=48000:duration=2 -ac 6 -c:a aac", MEDIA_MP4, 0, 0, 0, 2000, 48000,
         6},
        /* fragments after a moov that holds the first samples itself */
        {"frag-moov.mp4", TESTSRC("320x240", "25", "4") " -c:v libx264 -preset ultrafast -g 25 "
                          "-movflags frag_keyframe",
         MEDIA_MP4, 320, 240, 25, 4000, 0, 0},
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
    check_cuts("frag-av.mp4", 1);
    check_cuts("stereo.wav", 1);
    check_cuts("cbr.mp3", 0); /* an MP3 is a stream: a short one may still play */
    check_cuts("vbr.mp3", 0);
    check_cuts("bare.mp3", 0);
}

/* A 20 MB MP4 with moov at its end: the probe reads a few KiB in a few calls. */
static void test_large_file_reads_little(void)
{
    if (!tools_ready()) {
        CHECK(!"ffmpeg is installed");
        return;
    }
    char path[160];
    if (make_file("big.mp4",
                  "-f lavfi -i testsrc2=size=1280x720:rate=25:duration=4,noise=alls=60:allf=t "
                  "-c:v libx264 -preset ultrafast -b:v 40M -maxrate 40M -bufsize 20M",
                  path, sizeof path) != 0) {
        CHECK(!"ffmpeg wrote the file");
        return;
    }
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size > 15 * 1024 * 1024);
    struct media_av_info info;
    long calls = 0;
    CHECK(probe_file(path, &info, &calls) == 0);
    CHECK(info.width == 1280 && info.height == 720 && fabs(info.fps - 25) < 0.05 &&
          llabs(info.duration_ms - 4000) <= 50);
    CHECK(info.bytes_read < 2 * 1024 * 1024);
    CHECK(calls < 16);
    if (getenv("PROBE_VERBOSE"))
        fprintf(stderr, "  big.mp4: %lld bytes, read %llu in %ld calls\n", (long long)st.st_size,
                (unsigned long long)info.bytes_read, calls);
}

int main(void)
{
    RUN(test_mp4_built_by_hand);
    RUN(test_mp4_hostile);
    RUN(test_mp4_nesting_and_counts);
    RUN(test_sources);
    RUN(test_wav_built_by_hand);
    RUN(test_mp3_built_by_hand);
    RUN(test_mp4_and_mov_made_by_ffmpeg);
    RUN(test_wav_made_by_ffmpeg);
    RUN(test_mp3_made_by_ffmpeg);
    RUN(test_truncated_files);
    RUN(test_large_file_reads_little);
    tools_cleanup();
    return check_summary();
}
