/* test_mp4.c — the structure of the simulator's generated MP4 (sim_mp4.c):
 * boxes nest and add up, the sample tables describe mdat exactly, avcC
 * carries the SPS/PPS, and the H.264 syntax reads back as written.
 * Playability itself is proven with ffprobe/ffmpeg in
 * tests/blackbox/test_videos.py. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim/sim_mp4.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The first box of this type inside [p, p+n), recursing into containers;
 * *len gets its whole size. */
static const uint8_t *find_box(const uint8_t *p, size_t n, const char *type, size_t *len)
{
    static const char *const containers[] = {"moov", "trak", "mdia", "minf", "stbl", "dinf"};
    size_t off = 0;
    while (off + 8 <= n) {
        uint32_t sz = be32(p + off);
        if (sz < 8 || off + sz > n)
            return NULL;
        if (memcmp(p + off + 4, type, 4) == 0) {
            *len = sz;
            return p + off;
        }
        for (size_t i = 0; i < sizeof containers / sizeof containers[0]; i++)
            if (memcmp(p + off + 4, containers[i], 4) == 0) {
                const uint8_t *in = find_box(p + off + 8, sz - 8, type, len);
                if (in)
                    return in;
            }
        off += sz;
    }
    return NULL;
}

/* Top-level boxes tile the file exactly. */
static int boxes_tile(const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        if (off + 8 > n)
            return 0;
        uint32_t sz = be32(p + off);
        if (sz < 8 || off + sz > n)
            return 0;
        off += sz;
    }
    return off == n;
}

/* ---- an RBSP reader, after removing emulation prevention bytes ---- */

struct rbsp {
    uint8_t d[8192];
    size_t n, bit;
};

static void unescape(const uint8_t *nal, size_t n, struct rbsp *r)
{
    r->n = r->bit = 0;
    int zeros = 0;
    for (size_t i = 1; i < n && r->n < sizeof r->d; i++) { /* skip the header byte */
        if (zeros >= 2 && nal[i] == 3) {
            zeros = 0;
            continue;
        }
        r->d[r->n++] = nal[i];
        zeros = nal[i] == 0 ? zeros + 1 : 0;
    }
}

static uint32_t rb_bits(struct rbsp *r, int k)
{
    uint32_t v = 0;
    while (k-- > 0) {
        size_t byte = r->bit / 8;
        v = (v << 1) | (byte < r->n ? (r->d[byte] >> (7 - r->bit % 8)) & 1 : 0);
        r->bit++;
    }
    return v;
}

static uint32_t rb_ue(struct rbsp *r)
{
    int lz = 0;
    while (rb_bits(r, 1) == 0 && lz < 32)
        lz++;
    return (1u << lz) - 1 + rb_bits(r, lz);
}

/* 1 when no 00 00 0x (x <= 3) appears after the header byte. */
static int no_emulation(const uint8_t *nal, size_t n)
{
    for (size_t i = 3; i < n; i++)
        if (nal[i - 2] == 0 && nal[i - 1] == 0 && nal[i] <= 3 && i >= 3)
            return 0;
    return 1;
}

static void test_mp4_boxes_and_sample_tables(void)
{
    struct sim_mp4_spec s;
    sim_mp4_default_spec(&s);
    CHECK(s.width == 64 && s.height == 64 && s.frames == 10 && s.fps == 10);
    uint8_t *f = NULL;
    size_t n = 0;
    CHECK(sim_mp4_build(&s, &f, &n) == 0);
    if (!f)
        return;
    CHECK(n > 1000 && n < 200 * 1024);
    CHECK(memcmp(f + 4, "ftyp", 4) == 0 && memcmp(f + 8, "isom", 4) == 0);
    CHECK(boxes_tile(f, n));

    size_t len;
    const uint8_t *moov = find_box(f, n, "moov", &len);
    CHECK(moov != NULL);
    const uint8_t *mvhd = find_box(f, n, "mvhd", &len);
    CHECK(mvhd && be32(mvhd + 20) == 1000 && be32(mvhd + 24) == 1000); /* timescale, 1 s */
    const uint8_t *tkhd = find_box(f, n, "tkhd", &len);
    CHECK(tkhd && be32(tkhd + 84) == 64u << 16 && be32(tkhd + 88) == 64u << 16);
    const uint8_t *mdhd = find_box(f, n, "mdhd", &len);
    CHECK(mdhd && be32(mdhd + 20) == 10000 && be32(mdhd + 24) == 10000); /* fps*1000, 10 frames of 1000 */
    const uint8_t *hdlr = find_box(f, n, "hdlr", &len);
    CHECK(hdlr && memcmp(hdlr + 16, "vide", 4) == 0);

    const uint8_t *stts = find_box(f, n, "stts", &len);
    CHECK(stts && be32(stts + 12) == 1 && be32(stts + 16) == 10 && be32(stts + 20) == 1000);
    const uint8_t *stsc = find_box(f, n, "stsc", &len);
    CHECK(stsc && be32(stsc + 12) == 1 && be32(stsc + 16) == 1 && be32(stsc + 20) == 10);
    const uint8_t *stsz = find_box(f, n, "stsz", &len);
    const uint8_t *stco = find_box(f, n, "stco", &len);
    const uint8_t *mdat = find_box(f, n, "mdat", &len);
    CHECK(stsz && stco && mdat);
    if (!stsz || !stco || !mdat)
        goto out;
    CHECK(be32(stsz + 12) == 0 && be32(stsz + 16) == 10);
    uint32_t chunk = be32(stco + 16);
    CHECK(be32(stco + 12) == 1 && chunk == (uint32_t)(mdat - f) + 8);

    /* The samples fill mdat exactly; each is one length-prefixed IDR NAL. */
    size_t off = chunk, total = 0;
    for (int i = 0; i < 10; i++) {
        uint32_t sz = be32(stsz + 20 + 4 * i);
        CHECK(off + sz <= n);
        if (off + sz > n)
            break;
        uint32_t nal_len = be32(f + off);
        CHECK(nal_len + 4 == sz);
        const uint8_t *nal = f + off + 4;
        CHECK(nal[0] == 0x65); /* nal_ref_idc 3, type 5 (IDR) */
        CHECK(no_emulation(nal, nal_len));
        struct rbsp *r = malloc(sizeof *r);
        unescape(nal, nal_len, r);
        CHECK(rb_ue(r) == 0);                /* first_mb_in_slice */
        CHECK(rb_ue(r) == 7);                /* slice_type I */
        CHECK(rb_ue(r) == 0);                /* pps id */
        CHECK(rb_bits(r, 4) == 0);           /* frame_num */
        CHECK(rb_ue(r) == (uint32_t)(i % 2)); /* idr_pic_id alternates */
        CHECK(rb_bits(r, 2) == 0);           /* dec_ref_pic_marking */
        CHECK(rb_ue(r) == 0);                /* slice_qp_delta se(0) */
        CHECK(rb_ue(r) == 1);                /* deblocking off */
        CHECK(rb_ue(r) == 25);               /* first macroblock: I_PCM */
        /* 16 macroblocks of 384 samples each, plus headers. */
        CHECK(r->n > 16 * 384 && r->n < 16 * 384 + 64);
        CHECK(r->d[r->n - 1] == 0x80); /* rbsp_stop_one_bit, aligned */
        free(r);
        off += sz;
        total += sz;
    }
    CHECK(total + 8 == be32(mdat));
    CHECK(off == n);
out:
    free(f);
}

static void test_mp4_avcc_carries_parameter_sets(void)
{
    struct sim_mp4_spec s = {.width = 320, .height = 240, .frames = 3, .fps = 25};
    uint8_t *f = NULL, sps[64], pps[64];
    size_t n = 0, len;
    CHECK(sim_mp4_build(&s, &f, &n) == 0);
    int sps_n = sim_mp4_sps(&s, sps, sizeof sps), pps_n = sim_mp4_pps(pps, sizeof pps);
    CHECK(sps_n > 4 && pps_n > 1);
    /* stsd (16 bytes of header and count) > avc1 (8 + 78 bytes of fields) > avcC */
    const uint8_t *stsd0 = f ? find_box(f, n, "stsd", &len) : NULL;
    const uint8_t *avcc = stsd0 ? stsd0 + 16 + 8 + 78 : NULL;
    CHECK(avcc != NULL && memcmp(avcc + 4, "avcC", 4) == 0);
    len = avcc ? be32(avcc) : 0;
    if (!avcc || sps_n <= 0 || pps_n <= 0)
        goto out;
    const uint8_t *p = avcc + 8;
    CHECK(p[0] == 1 && p[1] == 66 && p[2] == 0xC0 && p[3] == 30); /* version, Baseline, constraints, level 3.0 */
    CHECK((p[4] & 3) == 3 && (p[5] & 0x1F) == 1);                  /* 4-byte lengths, one SPS */
    CHECK(be16(p + 6) == sps_n && memcmp(p + 8, sps, (size_t)sps_n) == 0);
    const uint8_t *q = p + 8 + sps_n;
    CHECK(q[0] == 1 && be16(q + 1) == pps_n && memcmp(q + 3, pps, (size_t)pps_n) == 0);
    CHECK((size_t)(q + 3 + pps_n - avcc) == len);

    /* The SPS reads back: profile, size in macroblocks, frame-only. */
    struct rbsp *r = malloc(sizeof *r);
    CHECK(sps[0] == 0x67);
    unescape(sps, (size_t)sps_n, r);
    CHECK(rb_bits(r, 8) == 66);
    rb_bits(r, 16);
    CHECK(rb_ue(r) == 0); /* sps id */
    CHECK(rb_ue(r) == 0); /* log2_max_frame_num_minus4 */
    CHECK(rb_ue(r) == 2); /* poc type */
    CHECK(rb_ue(r) == 1); /* max_num_ref_frames */
    CHECK(rb_bits(r, 1) == 0);
    CHECK(rb_ue(r) == 320 / 16 - 1);
    CHECK(rb_ue(r) == 240 / 16 - 1);
    CHECK(rb_bits(r, 1) == 1); /* frame_mbs_only */
    free(r);
    const uint8_t *stsd = find_box(f, n, "stsd", &len);
    CHECK(stsd && memcmp(stsd + 20, "avc1", 4) == 0 && be16(stsd + 16 + 32) == 320 && be16(stsd + 16 + 34) == 240);
out:
    free(f);
}

static void test_mp4_rejects_bad_specs(void)
{
    uint8_t *f = NULL;
    size_t n = 0;
    struct sim_mp4_spec bad[] = {
        {.width = 60, .height = 64, .frames = 1, .fps = 10},   /* not a multiple of 16 */
        {.width = 64, .height = 0, .frames = 1, .fps = 10},
        {.width = 64, .height = 64, .frames = 0, .fps = 10},
        {.width = 64, .height = 64, .frames = 1, .fps = 0},
        {.width = 2048, .height = 64, .frames = 1, .fps = 10}, /* too large */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(sim_mp4_build(&bad[i], &f, &n) == -1);
    CHECK(sim_mp4_build(NULL, &f, &n) == -1);
    CHECK(f == NULL);
}

int main(void)
{
    RUN(test_mp4_boxes_and_sample_tables);
    RUN(test_mp4_avcc_carries_parameter_sets);
    RUN(test_mp4_rejects_bad_specs);
    return check_summary();
}
