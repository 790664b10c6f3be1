/* sim_mp4.c — writes a small MP4 from scratch: the simulator's "generated
 * video". The bytes are produced at start-up by this code, so nothing is
 * downloaded and no third-party media sits in the tree.
 *
 * Video: H.264 Constrained Baseline (profile 66, level 3.0), CAVLC, every
 * picture an IDR slice whose macroblocks are all I_PCM (mb_type 25): the
 * 16x16 luma and two 8x8 chroma blocks are stored as raw 8-bit samples,
 * so the encoder is a bit writer and nothing more. POC type 2 (output in
 * decoding order); consecutive IDRs alternate idr_pic_id, as required.
 *
 * Container: ftyp, moov (mvhd, trak: tkhd, mdia: mdhd, hdlr, minf: vmhd,
 * dinf/dref, stbl: stsd/avc1/avcC, stts, stsc, stsz, stco), mdat. One
 * chunk holds every sample; samples are 4-byte length-prefixed NAL units
 * (avcC lengthSizeMinusOne = 3), SPS and PPS live only in avcC.
 *
 * Invariant: every NAL unit leaves here with emulation prevention applied
 * (00 00 0x, x <= 3, becomes 00 00 03 0x); PCM samples are kept in video
 * range (16..235) as early H.264 profiles require non-zero PCM samples. */
#include "sim/sim_mp4.h"

#include <stdlib.h>
#include <string.h>

#define MP4_LEVEL_IDC 30
#define MP4_PROFILE_IDC 66
#define MP4_CONSTRAINTS 0xC0 /* constraint_set0 and set1: Constrained Baseline */

/* ---- a growable byte array that remembers a failure ---- */

struct bytes {
    uint8_t *d;
    size_t len, cap;
    int err;
};

static void put(struct bytes *b, const void *p, size_t n)
{
    if (b->err)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->d, cap);
        if (!d) {
            b->err = 1;
            return;
        }
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->len, p, n);
    b->len += n;
}

static void put8(struct bytes *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void put16(struct bytes *b, unsigned v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 2);
}

static void put32(struct bytes *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 4);
}

static void put_zeros(struct bytes *b, size_t n)
{
    static const uint8_t z[64];
    while (n > 0) {
        size_t k = n < sizeof z ? n : sizeof z;
        put(b, z, k);
        n -= k;
    }
}

static void patch32(struct bytes *b, size_t at, uint32_t v)
{
    if (b->err || at + 4 > b->len)
        return;
    b->d[at] = (uint8_t)(v >> 24);
    b->d[at + 1] = (uint8_t)(v >> 16);
    b->d[at + 2] = (uint8_t)(v >> 8);
    b->d[at + 3] = (uint8_t)v;
}

/* ---- RBSP bit writer (big-endian bit order, as H.264 writes) ---- */

struct bits {
    struct bytes out;
    uint32_t acc;
    int n; /* bits in acc, < 8 */
};

static void bit_put(struct bits *w, uint32_t v, int nbits)
{
    for (int i = nbits - 1; i >= 0; i--) {
        w->acc = (w->acc << 1) | ((v >> i) & 1);
        if (++w->n == 8) {
            put8(&w->out, w->acc);
            w->acc = 0;
            w->n = 0;
        }
    }
}

/* ue(v): Exp-Golomb, (len-1) zeros then x+1 in len bits. */
static void bit_ue(struct bits *w, uint32_t x)
{
    uint32_t v = x + 1;
    int len = 0;
    for (uint32_t t = v; t; t >>= 1)
        len++;
    bit_put(w, 0, len - 1);
    bit_put(w, v, len);
}

static void bit_se(struct bits *w, int32_t k)
{
    bit_ue(w, k > 0 ? (uint32_t)(2 * k - 1) : (uint32_t)(-2 * k));
}

static void bit_align_zero(struct bits *w)
{
    while (w->n != 0)
        bit_put(w, 0, 1);
}

static void bit_trailing(struct bits *w)
{
    bit_put(w, 1, 1); /* rbsp_stop_one_bit */
    bit_align_zero(w);
}

/* Header byte, then the RBSP with emulation prevention bytes inserted. */
static void nal_wrap(struct bytes *out, unsigned ref_idc, unsigned type, const struct bytes *rbsp)
{
    put8(out, (ref_idc << 5) | type);
    int zeros = 0;
    for (size_t i = 0; i < rbsp->len; i++) {
        uint8_t c = rbsp->d[i];
        if (zeros >= 2 && c <= 3) {
            put8(out, 3);
            zeros = 0;
        }
        put8(out, c);
        zeros = c == 0 ? zeros + 1 : 0;
    }
}

static int spec_ok(const struct sim_mp4_spec *s)
{
    return s && s->width >= 16 && s->width <= 1024 && s->width % 16 == 0 && s->height >= 16 &&
           s->height <= 1024 && s->height % 16 == 0 && s->frames >= 1 && s->frames <= 300 && s->fps >= 1 &&
           s->fps <= 60;
}

void sim_mp4_default_spec(struct sim_mp4_spec *s)
{
    s->width = 64;
    s->height = 64;
    s->frames = 10;
    s->fps = 10;
}

/* ---- parameter sets and slices ---- */

static void sps_nal(const struct sim_mp4_spec *s, struct bytes *out)
{
    struct bits w = {0};
    bit_put(&w, MP4_PROFILE_IDC, 8);
    bit_put(&w, MP4_CONSTRAINTS, 8);
    bit_put(&w, MP4_LEVEL_IDC, 8);
    bit_ue(&w, 0);                               /* seq_parameter_set_id */
    bit_ue(&w, 0);                               /* log2_max_frame_num_minus4: frame_num is 4 bits */
    bit_ue(&w, 2);                               /* pic_order_cnt_type 2: output = decoding order */
    bit_ue(&w, 1);                               /* max_num_ref_frames */
    bit_put(&w, 0, 1);                           /* gaps_in_frame_num_value_allowed_flag */
    bit_ue(&w, (uint32_t)(s->width / 16 - 1));   /* pic_width_in_mbs_minus1 */
    bit_ue(&w, (uint32_t)(s->height / 16 - 1));  /* pic_height_in_map_units_minus1 */
    bit_put(&w, 1, 1);                           /* frame_mbs_only_flag */
    bit_put(&w, 1, 1);                           /* direct_8x8_inference_flag */
    bit_put(&w, 0, 1);                           /* frame_cropping_flag */
    bit_put(&w, 0, 1);                           /* vui_parameters_present_flag: timing is the container's */
    bit_trailing(&w);
    out->err |= w.out.err;
    nal_wrap(out, 3, 7, &w.out);
    free(w.out.d);
}

static void pps_nal(struct bytes *out)
{
    struct bits w = {0};
    bit_ue(&w, 0);     /* pic_parameter_set_id */
    bit_ue(&w, 0);     /* seq_parameter_set_id */
    bit_put(&w, 0, 1); /* entropy_coding_mode_flag: CAVLC */
    bit_put(&w, 0, 1); /* bottom_field_pic_order_in_frame_present_flag */
    bit_ue(&w, 0);     /* num_slice_groups_minus1 */
    bit_ue(&w, 0);     /* num_ref_idx_l0_default_active_minus1 */
    bit_ue(&w, 0);     /* num_ref_idx_l1_default_active_minus1 */
    bit_put(&w, 0, 1); /* weighted_pred_flag */
    bit_put(&w, 0, 2); /* weighted_bipred_idc */
    bit_se(&w, 0);     /* pic_init_qp_minus26 */
    bit_se(&w, 0);     /* pic_init_qs_minus26 */
    bit_se(&w, 0);     /* chroma_qp_index_offset */
    bit_put(&w, 1, 1); /* deblocking_filter_control_present_flag: lets slices turn it off */
    bit_put(&w, 0, 1); /* constrained_intra_pred_flag */
    bit_put(&w, 0, 1); /* redundant_pic_cnt_present_flag */
    bit_trailing(&w);
    out->err |= w.out.err;
    nal_wrap(out, 3, 8, &w.out);
    free(w.out.d);
}

/* Video-range 8-bit sample from any int. */
static uint8_t clamp_sample(int v, int hi)
{
    return (uint8_t)(v < 16 ? 16 : v > hi ? hi : v);
}

/* Frame f: a diagonal gradient whose hue turns frame by frame, with a
 * bright square that walks across the picture. */
static void mb_samples(const struct sim_mp4_spec *s, int f, int mbx, int mby, uint8_t y[256], uint8_t cb[64],
                       uint8_t cr[64])
{
    int sq = s->width / 4;
    int sqx = (f * (s->width - sq)) / (s->frames > 1 ? s->frames - 1 : 1);
    int sqy = (s->height - sq) / 2;
    for (int j = 0; j < 16; j++)
        for (int i = 0; i < 16; i++) {
            int px = mbx * 16 + i, py = mby * 16 + j;
            int in_sq = px >= sqx && px < sqx + sq && py >= sqy && py < sqy + sq;
            y[j * 16 + i] = in_sq ? 225 : clamp_sample(40 + (px + py) * 120 / (s->width + s->height), 235);
        }
    static const int hue_cb[] = {90, 160, 200, 110, 60, 128};
    static const int hue_cr[] = {200, 80, 120, 60, 170, 128};
    int h = f % 6;
    for (int j = 0; j < 8; j++)
        for (int i = 0; i < 8; i++) {
            int px = mbx * 16 + i * 2, py = mby * 16 + j * 2;
            int in_sq = px >= sqx && px < sqx + sq && py >= sqy && py < sqy + sq;
            cb[j * 8 + i] = in_sq ? 128 : clamp_sample(hue_cb[h] + (px - py) / 4, 240);
            cr[j * 8 + i] = in_sq ? 128 : clamp_sample(hue_cr[h] + (py - px) / 4, 240);
        }
}

/* One IDR picture as one slice of I_PCM macroblocks. */
static void idr_nal(const struct sim_mp4_spec *s, int f, struct bytes *out)
{
    struct bits w = {0};
    bit_ue(&w, 0);              /* first_mb_in_slice */
    bit_ue(&w, 7);              /* slice_type: I, and every slice of the picture is I */
    bit_ue(&w, 0);              /* pic_parameter_set_id */
    bit_put(&w, 0, 4);          /* frame_num: 0 in an IDR picture */
    bit_ue(&w, (uint32_t)(f % 2)); /* idr_pic_id: differs between consecutive IDRs */
    bit_put(&w, 0, 1);          /* dec_ref_pic_marking: no_output_of_prior_pics_flag */
    bit_put(&w, 0, 1);          /* long_term_reference_flag */
    bit_se(&w, 0);              /* slice_qp_delta */
    bit_ue(&w, 1);              /* disable_deblocking_filter_idc: off */
    uint8_t y[256], cb[64], cr[64];
    for (int mby = 0; mby < s->height / 16; mby++)
        for (int mbx = 0; mbx < s->width / 16; mbx++) {
            bit_ue(&w, 25); /* mb_type I_PCM */
            bit_align_zero(&w); /* pcm_alignment_zero_bit */
            mb_samples(s, f, mbx, mby, y, cb, cr);
            put(&w.out, y, sizeof y);
            put(&w.out, cb, sizeof cb);
            put(&w.out, cr, sizeof cr);
        }
    bit_trailing(&w); /* rbsp_slice_trailing_bits */
    out->err |= w.out.err;
    nal_wrap(out, 3, 5, &w.out);
    free(w.out.d);
}

static int copy_nal(const struct bytes *b, uint8_t *out, size_t cap)
{
    if (b->err || b->len > cap) {
        free(b->d);
        return -1;
    }
    memcpy(out, b->d, b->len);
    free(b->d);
    return (int)b->len;
}

int sim_mp4_sps(const struct sim_mp4_spec *spec, uint8_t *out, size_t cap)
{
    if (!spec_ok(spec))
        return -1;
    struct bytes b = {0};
    sps_nal(spec, &b);
    return copy_nal(&b, out, cap);
}

int sim_mp4_pps(uint8_t *out, size_t cap)
{
    struct bytes b = {0};
    pps_nal(&b);
    return copy_nal(&b, out, cap);
}

/* ---- ISO-BMFF boxes ---- */

static size_t box_open(struct bytes *b, const char type[4])
{
    size_t at = b->len;
    put32(b, 0); /* size, patched by box_close */
    put(b, type, 4);
    return at;
}

static size_t full_box_open(struct bytes *b, const char type[4], unsigned version, uint32_t flags)
{
    size_t at = box_open(b, type);
    put32(b, ((uint32_t)version << 24) | (flags & 0xFFFFFF));
    return at;
}

static void box_close(struct bytes *b, size_t at)
{
    patch32(b, at, (uint32_t)(b->len - at));
}

static void put_matrix(struct bytes *b)
{
    static const uint32_t unity[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
    for (int i = 0; i < 9; i++)
        put32(b, unity[i]);
}

static void avcc_box(struct bytes *b, const struct bytes *sps, const struct bytes *pps)
{
    size_t at = box_open(b, "avcC");
    put8(b, 1);                /* configurationVersion */
    put8(b, MP4_PROFILE_IDC);  /* AVCProfileIndication */
    put8(b, MP4_CONSTRAINTS);  /* profile_compatibility */
    put8(b, MP4_LEVEL_IDC);    /* AVCLevelIndication */
    put8(b, 0xFC | 3);         /* lengthSizeMinusOne = 3 */
    put8(b, 0xE0 | 1);         /* numOfSequenceParameterSets = 1 */
    put16(b, (unsigned)sps->len);
    put(b, sps->d, sps->len);
    put8(b, 1);                /* numOfPictureParameterSets */
    put16(b, (unsigned)pps->len);
    put(b, pps->d, pps->len);
    box_close(b, at);
}

static void stsd_box(struct bytes *b, const struct sim_mp4_spec *s, const struct bytes *sps,
                     const struct bytes *pps)
{
    size_t stsd = full_box_open(b, "stsd", 0, 0);
    put32(b, 1); /* entry_count */
    size_t avc1 = box_open(b, "avc1");
    put_zeros(b, 6);              /* reserved */
    put16(b, 1);                  /* data_reference_index */
    put16(b, 0);                  /* pre_defined */
    put16(b, 0);                  /* reserved */
    put_zeros(b, 12);             /* pre_defined */
    put16(b, (unsigned)s->width);
    put16(b, (unsigned)s->height);
    put32(b, 0x00480000);         /* 72 dpi */
    put32(b, 0x00480000);
    put32(b, 0);                  /* reserved */
    put16(b, 1);                  /* frame_count */
    static const char name[] = "Portico sim";
    uint8_t compressor[32] = {0};
    compressor[0] = (uint8_t)(sizeof name - 1);
    memcpy(compressor + 1, name, sizeof name - 1);
    put(b, compressor, sizeof compressor);
    put16(b, 0x0018);             /* depth */
    put16(b, 0xFFFF);             /* pre_defined = -1 */
    avcc_box(b, sps, pps);
    box_close(b, avc1);
    box_close(b, stsd);
}

/* Writes moov; *stco_at gets the offset of the one chunk offset to patch. */
static void moov_box(struct bytes *b, const struct sim_mp4_spec *s, const struct bytes *sps,
                     const struct bytes *pps, const uint32_t *sizes, size_t *stco_at)
{
    uint32_t movie_scale = 1000, media_scale = (uint32_t)s->fps * 1000, delta = 1000;
    uint32_t movie_dur = (uint32_t)((uint64_t)s->frames * 1000 / (uint32_t)s->fps);
    uint32_t media_dur = (uint32_t)s->frames * delta;

    size_t moov = box_open(b, "moov");
    size_t mvhd = full_box_open(b, "mvhd", 0, 0);
    put32(b, 0); /* creation_time */
    put32(b, 0); /* modification_time */
    put32(b, movie_scale);
    put32(b, movie_dur);
    put32(b, 0x00010000); /* rate 1.0 */
    put16(b, 0x0100);     /* volume 1.0 */
    put_zeros(b, 10);     /* reserved */
    put_matrix(b);
    put_zeros(b, 24);     /* pre_defined */
    put32(b, 2);          /* next_track_ID */
    box_close(b, mvhd);

    size_t trak = box_open(b, "trak");
    size_t tkhd = full_box_open(b, "tkhd", 0, 3); /* enabled, in movie */
    put32(b, 0);
    put32(b, 0);
    put32(b, 1); /* track_ID */
    put32(b, 0);
    put32(b, movie_dur);
    put_zeros(b, 8);
    put16(b, 0); /* layer */
    put16(b, 0); /* alternate_group */
    put16(b, 0); /* volume: 0 for video */
    put16(b, 0);
    put_matrix(b);
    put32(b, (uint32_t)s->width << 16);
    put32(b, (uint32_t)s->height << 16);
    box_close(b, tkhd);

    size_t mdia = box_open(b, "mdia");
    size_t mdhd = full_box_open(b, "mdhd", 0, 0);
    put32(b, 0);
    put32(b, 0);
    put32(b, media_scale);
    put32(b, media_dur);
    put16(b, 0x55C4); /* language "und" */
    put16(b, 0);
    box_close(b, mdhd);
    size_t hdlr = full_box_open(b, "hdlr", 0, 0);
    put32(b, 0);
    put(b, "vide", 4);
    put_zeros(b, 12);
    put(b, "VideoHandler", sizeof "VideoHandler"); /* with its NUL */
    box_close(b, hdlr);

    size_t minf = box_open(b, "minf");
    size_t vmhd = full_box_open(b, "vmhd", 0, 1);
    put_zeros(b, 8); /* graphicsmode, opcolor */
    box_close(b, vmhd);
    size_t dinf = box_open(b, "dinf");
    size_t dref = full_box_open(b, "dref", 0, 0);
    put32(b, 1);
    box_close(b, full_box_open(b, "url ", 0, 1)); /* media in this file */
    box_close(b, dref);
    box_close(b, dinf);

    size_t stbl = box_open(b, "stbl");
    stsd_box(b, s, sps, pps);
    size_t stts = full_box_open(b, "stts", 0, 0);
    put32(b, 1);
    put32(b, (uint32_t)s->frames);
    put32(b, delta);
    box_close(b, stts);
    size_t stsc = full_box_open(b, "stsc", 0, 0);
    put32(b, 1);
    put32(b, 1);                   /* first_chunk */
    put32(b, (uint32_t)s->frames); /* samples_per_chunk */
    put32(b, 1);                   /* sample_description_index */
    box_close(b, stsc);
    size_t stsz = full_box_open(b, "stsz", 0, 0);
    put32(b, 0); /* sizes follow */
    put32(b, (uint32_t)s->frames);
    for (int i = 0; i < s->frames; i++)
        put32(b, sizes[i]);
    box_close(b, stsz);
    size_t stco = full_box_open(b, "stco", 0, 0);
    put32(b, 1);
    *stco_at = b->len;
    put32(b, 0);
    box_close(b, stco);
    /* No stss: every sample is a sync sample (all IDR). */
    box_close(b, stbl);
    box_close(b, minf);
    box_close(b, mdia);
    box_close(b, trak);
    box_close(b, moov);
}

int sim_mp4_build(const struct sim_mp4_spec *spec, uint8_t **out, size_t *len)
{
    if (!spec_ok(spec) || !out || !len)
        return -1;
    struct bytes sps = {0}, pps = {0}, samples = {0}, file = {0};
    uint32_t *sizes = calloc((size_t)spec->frames, sizeof *sizes);
    int rc = -1;
    if (!sizes)
        goto done;
    sps_nal(spec, &sps);
    pps_nal(&pps);
    for (int f = 0; f < spec->frames; f++) {
        struct bytes nal = {0};
        idr_nal(spec, f, &nal);
        if (nal.err) {
            free(nal.d);
            goto done;
        }
        put32(&samples, (uint32_t)nal.len);
        put(&samples, nal.d, nal.len);
        sizes[f] = (uint32_t)nal.len + 4;
        free(nal.d);
    }
    if (sps.err || pps.err || samples.err)
        goto done;

    size_t ftyp = box_open(&file, "ftyp");
    put(&file, "isom", 4);
    put32(&file, 0x200);
    put(&file, "isomiso2avc1mp41", 16);
    box_close(&file, ftyp);
    size_t stco_at = 0;
    moov_box(&file, spec, &sps, &pps, sizes, &stco_at);
    size_t mdat = box_open(&file, "mdat");
    patch32(&file, stco_at, (uint32_t)file.len); /* the one chunk starts right here */
    put(&file, samples.d, samples.len);
    box_close(&file, mdat);
    if (file.err)
        goto done;
    *out = file.d;
    *len = file.len;
    file.d = NULL;
    rc = 0;
done:
    free(sizes);
    free(sps.d);
    free(pps.d);
    free(samples.d);
    free(file.d);
    return rc;
}
