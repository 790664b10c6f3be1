/* media_probe.c — see media_probe.h.
 *
 * Invariant: every byte comes through probe_read, which refuses ranges past
 * src->size or past the read budget, and counts what it got. Offsets and
 * lengths taken from the file are compared with the bytes actually in
 * memory (in_has) or with src->size before use; every loop is bounded by a
 * constant or by the size of what it walks. No recursion: the box path
 * moov/trak/mdia/minf/stbl is walked by fixed code, so a box that claims to
 * contain itself cannot loop.
 *
 * Sources: ISO/IEC 14496-12 (ISO base media file format: box header,
 * mvhd, tkhd, mdhd, hdlr, stsd, stts, stsc, stsz, stco/co64, and for
 * fragmented files mvex/mehd/trex, moof/traf/tfhd/trun), ISO/IEC 14496-1
 * and 14496-3 (esds descriptors, AudioSpecificConfig), Apple's QuickTime File
 * Format (the same atoms, the sound sample description v1/v2), Microsoft's
 * RIFF WAVE (fmt, fact, data chunks), ISO/IEC 11172-3 and 13818-3 (MPEG
 * audio frame header), the Xing/Info and LAME tags, Fraunhofer's VBRI
 * header. */
#include "util/media_probe.h"

#include <stdlib.h>
#include <string.h>

#define CORRUPT MEDIA_PROBE_CORRUPT

/* The first bytes read to tell the type (an ftyp box with its brands). */
#define SNIFF_BYTES 256
/* A moov larger than this is refused: a 30 s 60 fps video with audio has
 * a moov of tens of KiB (4 bytes of stsz per sample). */
#define MOOV_MAX (4u << 20)
/* Top-level boxes walked: a plain MP4 has 3-5; fragmented ones one moof
 * and one mdat per fragment. Each costs one 16-byte read. */
#define TOP_BOXES_MAX 8192
#define WAV_CHUNKS_MAX 512
/* Audio above this many samples a second is nonsense, not hi-res (768 kHz
 * is the highest in use); it also keeps the rate inside an int. */
#define RATE_MAX 10000000u
/* A fragment's moof is read whole when smaller than this (hundreds of
 * bytes in practice: 16 per sample at most). */
#define MOOF_MAX (1u << 20)
#define FRAG_TRACKS 8
/* How far past the ID3v2 tag an MP3's first frame is looked for. */
#define MP3_SCAN 65536
#define MP3_FRAME_MAX 2048 /* the longest frame: layer II, 384 kbit/s at 32 kHz, 1729 bytes */

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

static int in_has(size_t n, size_t off, size_t len)
{
    return off <= n && len <= n - off;
}

#define FOURCC(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct probe {
    const struct media_source *src;
    uint64_t read; /* never above MEDIA_PROBE_MAX_READ */
};

/* Exactly n bytes at off into buf: 0; CORRUPT when they lie past the end of
 * the source (the file says something is there that is not) or past the
 * read budget; MEDIA_PROBE_IO when read_at fails or the source ends before
 * its declared size. */
static int probe_read(struct probe *pr, uint64_t off, void *buf, size_t n)
{
    if (off > pr->src->size || n > pr->src->size - off)
        return CORRUPT;
    if (n > MEDIA_PROBE_MAX_READ - pr->read)
        return CORRUPT;
    uint8_t *p = buf;
    while (n > 0) {
        long got = pr->src->read_at(pr->src->ctx, off, p, n);
        if (got <= 0 || (unsigned long)got > n)
            return MEDIA_PROBE_IO;
        pr->read += (uint64_t)got;
        off += (uint64_t)got;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* d ticks of 1/ts s in milliseconds (rounded down); -1 if it does not fit. */
static int64_t ticks_ms(uint64_t d, uint32_t ts)
{
    uint64_t s = d / ts;
    if (s > (uint64_t)INT64_MAX / 1000 - 1)
        return -1;
    return (int64_t)(s * 1000 + (d % ts) * 1000 / ts);
}

static void fourcc_str(char out[5], uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        uint8_t c = (uint8_t)(v >> (24 - 8 * i));
        out[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    out[4] = 0;
}

/* ---- ISO BMFF / QuickTime (ISO/IEC 14496-12 section 4.2: size, type,
 * largesize when size is 1, "to the end" when size is 0) ---- */

struct box {
    uint32_t type;
    const uint8_t *p; /* the payload, after the header */
    size_t n;
};

/* The box at *pos in [0, n) of p: 1 and *pos past it; 0 at the end;
 * CORRUPT when its header or size runs past n or is smaller than itself.
 * A few bytes too few for a header at the end are corrupt too. */
static int box_next(const uint8_t *p, size_t n, size_t *pos, struct box *b)
{
    size_t at = *pos;
    if (at >= n)
        return 0;
    if (!in_has(n, at, 8))
        return CORRUPT;
    uint64_t size = be32(p + at);
    size_t hdr = 8;
    if (size == 1) {
        if (!in_has(n, at, 16))
            return CORRUPT;
        size = be64(p + at + 8);
        hdr = 16;
    } else if (size == 0) {
        size = n - at;
    }
    if (size < hdr || size > n - at)
        return CORRUPT;
    b->type = be32(p + at + 4);
    b->p = p + at + hdr;
    b->n = (size_t)size - hdr;
    *pos = at + (size_t)size;
    return 1;
}

/* The first child of type t inside the payload of a container: 1, 0 if
 * none, CORRUPT if the children do not tile it. */
static int box_find(const struct box *in, uint32_t t, struct box *out)
{
    size_t pos = 0;
    struct box b;
    int rc;
    while ((rc = box_next(in->p, in->n, &pos, &b)) == 1)
        if (b.type == t) {
            *out = b;
            return 1;
        }
    return rc;
}

struct track {
    uint32_t id;             /* tkhd track_ID */
    uint32_t handler;        /* hdlr handler_type: 'vide', 'soun', ... */
    uint32_t ts;             /* mdhd timescale (0: no mdhd) */
    uint64_t dur;            /* mdhd duration in ts units (0: unknown) */
    uint32_t tk_w, tk_h;     /* tkhd width, height (16.16) */
    int rotation;            /* from the tkhd matrix */
    struct box stsd, stts;   /* n == 0 and p == NULL when absent */
    struct box stsc, stsz, stco; /* stco or co64 (co64 set) */
    int co64;
};

/* Full box (version, flags) durations: all ones means "unknown". */
static uint64_t full_dur(const uint8_t *p, int v1)
{
    uint64_t d = v1 ? be64(p) : be32(p);
    return d == (v1 ? UINT64_MAX : UINT32_MAX) ? 0 : d;
}

/* tkhd: v0 creation(4) modification(4) track_ID(4) reserved(4) duration(4),
 * v1 the times and duration on 8 bytes; then reserved(8) layer alternate_group
 * volume reserved (2 each), matrix[9] (36), width and height (16.16). */
static int parse_tkhd(const struct box *b, struct track *t)
{
    if (b->n < 4)
        return CORRUPT;
    size_t m = b->p[0] == 1 ? 52 : 40; /* the matrix */
    if (b->n < m + 44)
        return CORRUPT;
    t->id = be32(b->p + (b->p[0] == 1 ? 20 : 12));
    const uint8_t *x = b->p + m;
    /* the picture's turn on display from the matrix {a b u, c d v, x y w}:
     * (a, b, c, d) in 16.16 is (0, 1, -1, 0) for a quarter turn clockwise */
    uint32_t a = be32(x), bb = be32(x + 4), c = be32(x + 12), d = be32(x + 16);
    const uint32_t one = 0x10000, minus = 0xFFFF0000u;
    if (a == 0 && bb == one && c == minus && d == 0)
        t->rotation = 90;
    else if (a == minus && bb == 0 && c == 0 && d == minus)
        t->rotation = 180;
    else if (a == 0 && bb == minus && c == one && d == 0)
        t->rotation = 270;
    t->tk_w = be32(x + 36);
    t->tk_h = be32(x + 40);
    return 0;
}

/* mdhd: v0 creation(4) modification(4) timescale(4) duration(4); v1 the
 * times and duration on 8 bytes. */
static int parse_mdhd(const struct box *b, struct track *t)
{
    if (b->n < 4)
        return CORRUPT;
    int v1 = b->p[0] == 1;
    if (b->n < (v1 ? 32u : 20u))
        return CORRUPT;
    t->ts = be32(b->p + (v1 ? 20 : 12));
    t->dur = full_dur(b->p + (v1 ? 24 : 16), v1);
    return t->ts ? 0 : CORRUPT;
}

static int parse_stbl(const struct box *stbl, struct track *t)
{
    size_t pos = 0;
    struct box b;
    int rc;
    while ((rc = box_next(stbl->p, stbl->n, &pos, &b)) == 1) {
        if (b.type == FOURCC('s', 't', 's', 'd') && !t->stsd.p)
            t->stsd = b;
        else if (b.type == FOURCC('s', 't', 't', 's') && !t->stts.p)
            t->stts = b;
        else if (b.type == FOURCC('s', 't', 's', 'c') && !t->stsc.p)
            t->stsc = b;
        else if (b.type == FOURCC('s', 't', 's', 'z') && !t->stsz.p)
            t->stsz = b;
        else if ((b.type == FOURCC('s', 't', 'c', 'o') || b.type == FOURCC('c', 'o', '6', '4')) && !t->stco.p) {
            t->stco = b;
            t->co64 = b.type == FOURCC('c', 'o', '6', '4');
        }
    }
    return rc;
}

static int parse_mdia(const struct box *mdia, struct track *t)
{
    size_t pos = 0;
    struct box b, stbl;
    int rc, have_mdhd = 0;
    while ((rc = box_next(mdia->p, mdia->n, &pos, &b)) == 1) {
        if (b.type == FOURCC('m', 'd', 'h', 'd') && !have_mdhd) {
            if ((rc = parse_mdhd(&b, t)) != 0)
                return rc;
            have_mdhd = 1;
        } else if (b.type == FOURCC('h', 'd', 'l', 'r') && !t->handler) {
            /* version/flags(4), pre_defined (QuickTime: component type)(4),
             * handler_type (QuickTime: component subtype)(4) */
            if (b.n < 12)
                return CORRUPT;
            t->handler = be32(b.p + 8);
        } else if (b.type == FOURCC('m', 'i', 'n', 'f')) {
            int k = box_find(&b, FOURCC('s', 't', 'b', 'l'), &stbl);
            if (k < 0)
                return k;
            if (k == 1 && (rc = parse_stbl(&stbl, t)) != 0)
                return rc;
        }
    }
    return rc;
}

static int parse_trak(const struct box *trak, struct track *t)
{
    size_t pos = 0;
    struct box b;
    int rc, have_tkhd = 0, have_mdia = 0;
    while ((rc = box_next(trak->p, trak->n, &pos, &b)) == 1) {
        if (b.type == FOURCC('t', 'k', 'h', 'd') && !have_tkhd) {
            if ((rc = parse_tkhd(&b, t)) != 0)
                return rc;
            have_tkhd = 1;
        } else if (b.type == FOURCC('m', 'd', 'i', 'a') && !have_mdia) {
            if ((rc = parse_mdia(&b, t)) != 0)
                return rc;
            have_mdia = 1;
        }
    }
    return rc;
}

/* The first sample entry of stsd (version/flags(4), entry_count(4), then
 * entries that are boxes themselves): its box, or CORRUPT. */
static int stsd_first(const struct box *stsd, struct box *entry)
{
    if (stsd->n < 8)
        return CORRUPT;
    uint32_t count = be32(stsd->p + 4);
    if (count == 0 || count > (stsd->n - 8) / 8) /* each entry is at least a header */
        return CORRUPT;
    size_t pos = 8;
    return box_next(stsd->p, stsd->n, &pos, entry) == 1 ? 0 : CORRUPT;
}

/* stts: version/flags(4), entry_count(4), {sample_count, sample_delta}: the
 * samples and their total duration. */
static int parse_stts(const struct box *stts, uint64_t *samples, uint64_t *dur)
{
    *samples = *dur = 0;
    if (!stts->p)
        return 0;
    if (stts->n < 8)
        return CORRUPT;
    uint32_t count = be32(stts->p + 4);
    if (count > (stts->n - 8) / 8)
        return CORRUPT;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = stts->p + 8 + (size_t)i * 8;
        uint64_t c = be32(e), d = (uint64_t)c * be32(e + 4);
        *samples += c; /* at most 2^32 per entry, 2^29 entries in 4 GiB: fits */
        if (*dur > UINT64_MAX - d)
            return CORRUPT;
        *dur += d;
    }
    return 0;
}

/* Whether the track's samples lie inside the file: every chunk offset
 * (stco/co64: version/flags(4), entry_count(4), offsets of 4 or 8 bytes) is
 * below its size, and the last chunk ends by it: that chunk holds the last
 * stsc entry's samples_per_chunk (stsc: version/flags(4), entry_count(4),
 * {first_chunk, samples_per_chunk, sample_description_index}), the last
 * samples of stsz (version/flags(4), sample_size(4), sample_count(4), then
 * entry_size[] when sample_size is 0). A file cut after a moov that came
 * first still has boxes that tile it; this is what tells it is short.
 * Tables that are absent (a fragmented file) or compact (stz2) are not
 * checked. */
static int samples_inside(const struct track *t, uint64_t size)
{
    if (!t->stco.p)
        return 0;
    const struct box *co = &t->stco;
    size_t w = t->co64 ? 8 : 4;
    if (co->n < 8)
        return CORRUPT;
    uint32_t chunks = be32(co->p + 4);
    if (chunks > (co->n - 8) / w)
        return CORRUPT;
    if (chunks == 0)
        return 0;
    uint64_t off = 0;
    for (uint32_t i = 0; i < chunks; i++) {
        const uint8_t *e = co->p + 8 + (size_t)i * w;
        off = w == 8 ? be64(e) : be32(e);
        if (off >= size)
            return CORRUPT;
    }
    /* off: the last chunk's */
    if (!t->stsc.p || !t->stsz.p)
        return 0;
    const struct box *sc = &t->stsc, *sz = &t->stsz;
    if (sc->n < 8 || sz->n < 12)
        return CORRUPT;
    uint32_t entries = be32(sc->p + 4);
    if (entries == 0 || entries > (sc->n - 8) / 12)
        return CORRUPT;
    uint64_t per = be32(sc->p + 8 + (size_t)(entries - 1) * 12 + 4);
    uint32_t fixed = be32(sz->p + 4), count = be32(sz->p + 8);
    if (per > count)
        return CORRUPT;
    uint64_t end = off;
    if (fixed) {
        end += per * fixed;
    } else {
        if (count > (sz->n - 12) / 4)
            return CORRUPT;
        for (uint64_t k = count - per; k < count; k++)
            end += be32(sz->p + 12 + k * 4);
    }
    return end <= size ? 0 : CORRUPT;
}

/* VisualSampleEntry (14496-12 12.1.3): SampleEntry's reserved(6) and
 * data_reference_index(2), pre_defined(2) reserved(2) pre_defined(12),
 * width(2), height(2). The coded size, used when tkhd has none. */
static int video_entry(const struct box *e, int *w, int *h)
{
    if (e->n < 28)
        return CORRUPT;
    *w = (int)be16(e->p + 24);
    *h = (int)be16(e->p + 26);
    return 0;
}

/* AudioSampleEntry (14496-12 12.2.3; QuickTime sound description v0/v1):
 * after SampleEntry's 8 bytes, version(2) revision(2) vendor(4), channelcount
 * (2), samplesize(2), pre_defined(2), reserved(2), samplerate (16.16). A
 * QuickTime v2 description keeps the rate as a float64 at 32 and the
 * channels at 40. A rate of 0 (or above 65535 Hz, which 16.16 cannot hold)
 * falls back to the media timescale, which writers set to the rate. */
/* An MPEG-4 descriptor (14496-1 8.3.3): tag(1), size in 1-4 bytes of 7
 * bits (the top bit says another follows). Its body in [*body, *end)
 * within n; 0 or -1. */
static int es_descriptor(const uint8_t *p, size_t n, size_t at, uint8_t tag, size_t *body, size_t *end)
{
    if (!in_has(n, at, 1) || p[at] != tag)
        return -1;
    size_t len = 0, i = at + 1;
    for (int k = 0; k < 4; k++, i++) {
        if (!in_has(n, i, 1))
            return -1;
        len = len << 7 | (p[i] & 0x7F);
        if (!(p[i] & 0x80))
            break;
    }
    i++;
    if (!in_has(n, i, len))
        return -1;
    *body = i;
    *end = i + len;
    return 0;
}

/* The channels of an AAC track from esds (version/flags(4), then an
 * ES_Descriptor: ES_ID(2), flags(1) and what they announce, then a
 * DecoderConfigDescriptor: objectTypeIndication(1) streamType(1)
 * bufferSizeDB(3) maxBitrate(4) avgBitrate(4), then DecoderSpecificInfo
 * holding the AudioSpecificConfig of 14496-3 1.6.2.1: audioObjectType(5, 6
 * more if 31), samplingFrequencyIndex(4, 24 more if 15),
 * channelConfiguration(4)). MP4 writers leave the sample entry's
 * channelcount at 2 for mono AAC; this is what a decoder outputs. 0 when
 * absent or not understood (configuration 0: a program config element). */
static int esds_channels(const struct box *esds)
{
    const uint8_t *p = esds->p;
    size_t n = esds->n, b, e, db, de, sb, se;
    if (es_descriptor(p, n, 4, 0x03, &b, &e) != 0 || !in_has(e, b, 3))
        return 0;
    uint8_t fl = p[b + 2];
    b += 3 + (fl & 0x80 ? 2 : 0) + (fl & 0x20 ? 2 : 0);
    if (fl & 0x40) {
        if (!in_has(e, b, 1))
            return 0;
        b += 1 + p[b];
    }
    if (es_descriptor(p, e, b, 0x04, &db, &de) != 0 || !in_has(de, db, 13))
        return 0;
    uint8_t oti = p[db];
    if (oti != 0x40 && (oti < 0x66 || oti > 0x68))
        return 0;
    if (es_descriptor(p, de, db + 13, 0x05, &sb, &se) != 0 || !in_has(se, sb, 2))
        return 0;
    /* read the bit fields MSB first */
    uint64_t bits = 0;
    size_t have = se - sb < 8 ? se - sb : 8;
    for (size_t i = 0; i < 8; i++)
        bits = bits << 8 | (i < have ? p[sb + i] : 0);
    int used = 5;
    if ((bits >> 59) == 31)
        used += 6;
    int sfi = (int)(bits >> (60 - used)) & 15;
    used += 4 + (sfi == 15 ? 24 : 0);
    if ((size_t)(used + 4) > have * 8)
        return 0;
    int cfg = (int)(bits >> (60 - used)) & 15;
    return cfg >= 1 && cfg <= 6 ? cfg : cfg == 7 ? 8 : 0;
}

/* esds among the sample entry's child boxes (after the fields: 28 bytes in
 * v0, 44 in QuickTime v1, 64 in v2), or inside QuickTime's wave box. */
static int entry_aac_channels(const struct box *e, uint32_t version)
{
    size_t pos = version == 1 ? 44 : version == 2 ? 64 : 28;
    struct box b, in;
    while (box_next(e->p, e->n, &pos, &b) == 1) {
        if (b.type == FOURCC('e', 's', 'd', 's'))
            return esds_channels(&b);
        if (b.type == FOURCC('w', 'a', 'v', 'e') && box_find(&b, FOURCC('e', 's', 'd', 's'), &in) == 1)
            return esds_channels(&in);
    }
    return 0;
}

static int audio_entry(const struct box *e, uint32_t ts, int *rate, int *ch)
{
    if (e->n < 28)
        return CORRUPT;
    uint32_t version = be16(e->p + 8);
    uint32_t c = be16(e->p + 16), r = be32(e->p + 24) >> 16;
    if (version == 2 && e->n >= 44) {
        uint64_t bits = be64(e->p + 32);
        double d;
        memcpy(&d, &bits, sizeof d);
        c = be32(e->p + 40);
        r = d >= 1 && d <= RATE_MAX ? (uint32_t)d : 0;
    }
    if (r == 0)
        r = ts;
    if (e->type == FOURCC('m', 'p', '4', 'a')) {
        int k = entry_aac_channels(e, version);
        if (k > 0)
            c = (uint32_t)k;
    }
    if (c == 0 || c > 255 || r == 0 || r > RATE_MAX)
        return CORRUPT;
    *rate = (int)r;
    *ch = (int)c;
    return 0;
}

/* ---- movie fragments (14496-12 8.8: moof/traf/tfhd/trun, moov/mvex/trex):
 * a fragmented file (fMP4: Safari's MediaRecorder, -movflags frag_keyframe)
 * keeps its samples' timing in a moof before each mdat, not in stts. ---- */

struct frag_sum {
    uint32_t track_id;
    uint64_t samples;
    uint64_t dur;         /* the durations stated in trun or tfhd */
    uint64_t by_default;  /* samples whose duration is trex's default */
};

struct frags {
    struct frag_sum t[FRAG_TRACKS];
    int n;
};

/* *acc += a * b; -1 on overflow. */
static int add_mul(uint64_t *acc, uint64_t a, uint64_t b)
{
    uint64_t m;
    if (__builtin_mul_overflow(a, b, &m) || __builtin_add_overflow(*acc, m, acc))
        return -1;
    return 0;
}

static struct frag_sum *frag_track(struct frags *f, uint32_t id)
{
    for (int i = 0; i < f->n; i++)
        if (f->t[i].track_id == id)
            return &f->t[i];
    if (f->n == FRAG_TRACKS)
        return NULL; /* more tracks than any upload needs: the rest are not counted */
    f->t[f->n] = (struct frag_sum){.track_id = id};
    return &f->t[f->n++];
}

/* tfhd: version/flags(4), track_ID(4), then by flags base_data_offset(8,
 * 0x01), sample_description_index(4, 0x02), default_sample_duration(4,
 * 0x08), default_sample_size(4, 0x10), default_sample_flags(4, 0x20).
 * trun: version/flags(4), sample_count(4), data_offset(4, 0x001),
 * first_sample_flags(4, 0x004), then per sample duration (0x100), size
 * (0x200), flags (0x400), composition offset (0x800), 4 bytes each. */
static int parse_traf(const struct box *traf, struct frags *f)
{
    struct box tfhd, b;
    int rc = box_find(traf, FOURCC('t', 'f', 'h', 'd'), &tfhd);
    if (rc != 1 || tfhd.n < 8)
        return CORRUPT;
    uint32_t flags = be32(tfhd.p) & 0xFFFFFF;
    size_t at = 8 + (flags & 0x01 ? 8 : 0) + (flags & 0x02 ? 4 : 0);
    int has_default = (flags & 0x08) != 0;
    if (has_default && !in_has(tfhd.n, at, 4))
        return CORRUPT;
    uint64_t def = has_default ? be32(tfhd.p + at) : 0;
    struct frag_sum *sum = frag_track(f, be32(tfhd.p + 4));
    if (!sum)
        return 0;
    size_t pos = 0;
    while ((rc = box_next(traf->p, traf->n, &pos, &b)) == 1) {
        if (b.type != FOURCC('t', 'r', 'u', 'n'))
            continue;
        if (b.n < 8)
            return CORRUPT;
        uint32_t tf = be32(b.p) & 0xFFFFFF, count = be32(b.p + 4);
        size_t first = 8 + (tf & 0x001 ? 4 : 0) + (tf & 0x004 ? 4 : 0);
        size_t rec = 4 * (size_t)__builtin_popcount(tf & 0xF00);
        if (first > b.n || (rec && count > (b.n - first) / rec))
            return CORRUPT;
        sum->samples += count; /* below 2^32 per trun, 2^20 truns in a moof */
        if (tf & 0x100) {
            for (uint32_t i = 0; i < count; i++)
                if (add_mul(&sum->dur, be32(b.p + first + (size_t)i * rec), 1) != 0)
                    return CORRUPT;
        } else if (has_default) {
            if (add_mul(&sum->dur, count, def) != 0)
                return CORRUPT;
        } else {
            sum->by_default += count;
        }
    }
    return rc;
}

static int parse_moof(const uint8_t *p, size_t n, struct frags *f)
{
    struct box moof = {FOURCC('m', 'o', 'o', 'f'), p, n}, b;
    size_t pos = 0;
    int rc;
    while ((rc = box_next(moof.p, moof.n, &pos, &b)) == 1)
        if (b.type == FOURCC('t', 'r', 'a', 'f') && (rc = parse_traf(&b, f)) != 0)
            return rc;
    return rc;
}

/* A track's samples and duration (in its timescale) in the moov's stts and
 * in the fragments; trex gives the default duration per track. */
static int track_timing(const struct track *t, const struct frags *f, const uint32_t trex[][2], int ntrex,
                        uint64_t *samples, uint64_t *dur, int *fragmented)
{
    uint64_t stts_dur;
    if (parse_stts(&t->stts, samples, &stts_dur) != 0)
        return CORRUPT;
    /* edit lists, which may show only part of the media, are ignored */
    *dur = t->dur ? t->dur : stts_dur;
    *fragmented = 0;
    for (int i = 0; f && i < f->n; i++) {
        if (f->t[i].track_id != t->id)
            continue;
        uint64_t def = 0;
        for (int k = 0; k < ntrex; k++)
            if (trex[k][0] == t->id)
                def = trex[k][1];
        /* mdhd covers only the samples in moov: count them from stts */
        *dur = stts_dur;
        *samples += f->t[i].samples;
        if (__builtin_add_overflow(*dur, f->t[i].dur, dur) || add_mul(dur, f->t[i].by_default, def) != 0)
            return CORRUPT;
        *fragmented = 1;
    }
    /* a media track without a sample (an fMP4 cut after its moov) */
    return *samples ? 0 : CORRUPT;
}

static int bmff_moov(const uint8_t *p, size_t n, uint64_t file_size, const struct frags *frags,
                     struct media_av_info *out)
{
    struct box moov = {FOURCC('m', 'o', 'o', 'v'), p, n}, b, sub;
    struct track vid = {0}, aud = {0};
    int have_vid = 0, have_aud = 0, have_mvhd = 0, rc, ntrex = 0;
    uint32_t mv_ts = 0, trex[FRAG_TRACKS][2]; /* track_ID, default_sample_duration */
    uint64_t mv_dur = 0, mehd_dur = 0, track_ms = 0;
    size_t pos = 0;
    while ((rc = box_next(moov.p, moov.n, &pos, &b)) == 1) {
        if (b.type == FOURCC('m', 'v', 'h', 'd') && !have_mvhd) {
            /* v0 creation(4) modification(4) timescale(4) duration(4);
             * v1 the times and duration on 8 bytes */
            if (b.n < 4)
                return CORRUPT;
            int v1 = b.p[0] == 1;
            if (b.n < (v1 ? 32u : 20u))
                return CORRUPT;
            mv_ts = be32(b.p + (v1 ? 20 : 12));
            mv_dur = full_dur(b.p + (v1 ? 24 : 16), v1);
            if (mv_ts == 0)
                return CORRUPT;
            have_mvhd = 1;
        } else if (b.type == FOURCC('m', 'v', 'e', 'x')) {
            /* mehd: version/flags(4), fragment_duration (4, or 8 in v1),
             * the whole length in mvhd's timescale, when the writer knew it;
             * trex: version/flags(4), track_ID(4), default_sample_description_index(4),
             * default_sample_duration(4), ... */
            size_t in = 0;
            while ((rc = box_next(b.p, b.n, &in, &sub)) == 1) {
                if (sub.type == FOURCC('m', 'e', 'h', 'd')) {
                    if (sub.n < 8 || (sub.p[0] == 1 && sub.n < 12))
                        return CORRUPT;
                    mehd_dur = full_dur(sub.p + 4, sub.p[0] == 1);
                } else if (sub.type == FOURCC('t', 'r', 'e', 'x') && ntrex < FRAG_TRACKS) {
                    if (sub.n < 16)
                        return CORRUPT;
                    trex[ntrex][0] = be32(sub.p + 4);
                    trex[ntrex++][1] = be32(sub.p + 12);
                }
            }
            if (rc < 0)
                return rc;
        } else if (b.type == FOURCC('t', 'r', 'a', 'k')) {
            struct track t = {0};
            if ((rc = parse_trak(&b, &t)) != 0)
                return rc;
            if (t.handler == FOURCC('v', 'i', 'd', 'e') && !have_vid) {
                vid = t;
                have_vid = 1;
            } else if (t.handler == FOURCC('s', 'o', 'u', 'n') && !have_aud) {
                aud = t;
                have_aud = 1;
            } else {
                continue;
            }
            /* a media track: it must say how its time is counted */
            if (!t.ts)
                return CORRUPT;
        }
    }
    if (rc < 0)
        return rc;
    if (!have_mvhd || (!have_vid && !have_aud))
        return CORRUPT;
    struct box entry;
    uint64_t samples, dur;
    int fragmented = 0, frag;
    if (have_vid) {
        if (!vid.stsd.p || stsd_first(&vid.stsd, &entry) != 0 || samples_inside(&vid, file_size) != 0 ||
            track_timing(&vid, frags, trex, ntrex, &samples, &dur, &frag) != 0)
            return CORRUPT;
        fragmented |= frag;
        int w = (int)(vid.tk_w >> 16), h = (int)(vid.tk_h >> 16);
        if ((w == 0 || h == 0) && (rc = video_entry(&entry, &w, &h)) != 0)
            return rc;
        if (w == 0 || h == 0)
            return CORRUPT;
        out->width = w;
        out->height = h;
        out->rotation = vid.rotation;
        fourcc_str(out->video_codec, entry.type);
        /* the mean rate: samples over the media duration */
        if (samples && dur)
            out->fps = (double)samples * vid.ts / (double)dur;
        int64_t ms = ticks_ms(dur, vid.ts);
        if (ms < 0)
            return CORRUPT;
        track_ms = (uint64_t)ms;
    }
    if (have_aud) {
        if (!aud.stsd.p || stsd_first(&aud.stsd, &entry) != 0 ||
            audio_entry(&entry, aud.ts, &out->sample_rate, &out->channels) != 0 ||
            samples_inside(&aud, file_size) != 0 || track_timing(&aud, frags, trex, ntrex, &samples, &dur, &frag) != 0)
            return CORRUPT;
        fragmented |= frag;
        fourcc_str(out->audio_codec, entry.type);
        int64_t ms = ticks_ms(dur, aud.ts);
        if (ms < 0)
            return CORRUPT;
        if ((uint64_t)ms > track_ms)
            track_ms = (uint64_t)ms;
    }
    /* mvhd's duration is the presentation's (the longest track after its
     * edits). In a fragmented file it covers only the samples in moov: the
     * length is mehd's, or the longest track's counted through the
     * fragments. */
    int64_t ms;
    if (fragmented || !mv_dur) {
        ms = mehd_dur ? ticks_ms(mehd_dur, mv_ts) : 0;
        if (ms >= 0 && (uint64_t)ms < track_ms)
            ms = (int64_t)track_ms;
    } else {
        ms = ticks_ms(mv_dur, mv_ts);
    }
    if (ms < 0)
        return CORRUPT;
    out->duration_ms = ms;
    return 0;
}

/* Walks the top-level boxes by their headers alone, reads moov whole
 * wherever it is, and checks that the boxes tile the file exactly: a file
 * cut short ends inside a box (usually mdat) and is corrupt even when moov
 * came first. */
static int bmff_probe(struct probe *pr, struct media_av_info *out)
{
    uint64_t off = 0, size = pr->src->size;
    uint8_t *moov = NULL, *moof = NULL;
    size_t moov_n = 0;
    struct frags frags = {.n = 0};
    int rc = CORRUPT, moof_waits = 0; /* a moof whose mdat has not come yet */
    for (int i = 0; off < size; i++) {
        uint8_t h[16];
        if (i == TOP_BOXES_MAX || size - off < 8)
            goto done;
        size_t hn = size - off < 16 ? 8 : 16;
        if ((rc = probe_read(pr, off, h, hn)) != 0)
            goto done;
        rc = CORRUPT;
        uint64_t bsize = be32(h), hdr = 8;
        if (bsize == 1) {
            if (hn < 16)
                goto done;
            bsize = be64(h + 8);
            hdr = 16;
        } else if (bsize == 0) {
            bsize = size - off;
        }
        if (bsize < hdr || bsize > size - off)
            goto done;
        if (be32(h + 4) == FOURCC('m', 'o', 'o', 'v')) {
            if (moov || bsize - hdr > MOOV_MAX)
                goto done;
            moov_n = (size_t)(bsize - hdr);
            if (!(moov = malloc(moov_n ? moov_n : 1))) {
                rc = MEDIA_PROBE_IO;
                goto done;
            }
            if ((rc = probe_read(pr, off + hdr, moov, moov_n)) != 0)
                goto done;
            rc = CORRUPT;
        } else if (be32(h + 4) == FOURCC('m', 'd', 'a', 't')) {
            moof_waits = 0;
        } else if (be32(h + 4) == FOURCC('m', 'o', 'o', 'f')) {
            size_t n = (size_t)(bsize - hdr);
            if (moof_waits || bsize - hdr > MOOF_MAX || !(moof = malloc(n ? n : 1)))
                goto done;
            if ((rc = probe_read(pr, off + hdr, moof, n)) != 0 || (rc = parse_moof(moof, n, &frags)) != 0)
                goto done;
            rc = CORRUPT;
            free(moof);
            moof = NULL;
            moof_waits = 1;
        }
        off += bsize;
    }
    /* a fragment without its data is a file cut between the two */
    if (moov && !moof_waits)
        rc = bmff_moov(moov, moov_n, size, &frags, out);
done:
    free(moov);
    free(moof);
    return rc;
}

/* ---- RIFF WAVE: "RIFF" size "WAVE", then chunks {id, size (LE), data,
 * a pad byte when size is odd}. fmt: format_tag(2) channels(2)
 * samples_per_sec(4) avg_bytes_per_sec(4) block_align(2) bits(2). ---- */

static int wav_probe(struct probe *pr, struct media_av_info *out)
{
    uint64_t size = pr->src->size, off = 12;
    uint8_t h[8], fmt[16];
    int have_fmt = 0, rc;
    uint32_t tag = 0, rate = 0, byte_rate = 0, channels = 0, align = 0;
    uint64_t fact = 0;
    int have_fact = 0;
    for (int i = 0; i < WAV_CHUNKS_MAX && size - off >= 8; i++) {
        if ((rc = probe_read(pr, off, h, 8)) != 0)
            return rc;
        uint64_t body = off + 8, n = le32(h + 4);
        uint32_t id = be32(h);
        if (id == FOURCC('d', 'a', 't', 'a')) {
            if (!have_fmt)
                return CORRUPT;
            /* a writer that could not seek back leaves 0xFFFFFFFF: the rest */
            if (n == UINT32_MAX && n > size - body)
                n = size - body;
            if (n > size - body)
                return CORRUPT; /* cut short */
            out->sample_rate = (int)rate;
            out->channels = (int)channels;
            /* PCM lasts its frames (block_align bytes each) over the rate,
             * as a player counts them, whatever avg_bytes_per_sec claims; a
             * compressed format (ADPCM, ...) says its length in samples in
             * fact, when it can, else its bytes over the average rate */
            int pcm = tag == 1 || tag == 3 || tag == 0xFFFE;
            int64_t ms = pcm && align ? ticks_ms(n / align, rate)
                         : !pcm && have_fact ? ticks_ms(fact, rate)
                                             : ticks_ms(n, byte_rate);
            if (ms < 0)
                return CORRUPT;
            out->duration_ms = ms;
            return 0;
        }
        if (n > size - body)
            return CORRUPT;
        if (id == FOURCC('f', 'm', 't', ' ') && !have_fmt) {
            if (n < 16 || (rc = probe_read(pr, body, fmt, 16)) != 0)
                return n < 16 ? CORRUPT : rc;
            tag = le16(fmt);
            channels = le16(fmt + 2);
            rate = le32(fmt + 4);
            byte_rate = le32(fmt + 8);
            align = le16(fmt + 12);
            if (channels == 0 || rate == 0 || rate > RATE_MAX || byte_rate == 0)
                return CORRUPT;
            have_fmt = 1;
        } else if (id == FOURCC('f', 'a', 'c', 't') && n >= 4) {
            uint8_t f[4];
            if ((rc = probe_read(pr, body, f, 4)) != 0)
                return rc;
            fact = le32(f);
            have_fact = 1;
        }
        off = body + n + (n & 1);
        if (off > size)
            break;
    }
    return CORRUPT; /* no data chunk */
}

/* ---- MPEG audio (ISO/IEC 11172-3 2.4.1.3, 13818-3; 2.5 is Fraunhofer's
 * extension): a frame header of 32 bits, sync(11) version(2) layer(2)
 * protection_absent(1), bitrate_index(4) sampling_frequency(2) padding(1)
 * private(1), mode(2) mode_extension(2) copyright(1) original(1) emphasis(2) ---- */

struct mpa {
    int version;  /* 1, 2 or 25 (MPEG 2.5) */
    int layer;    /* 1, 2, 3 */
    int bitrate;  /* bits per second */
    int rate;     /* samples per second */
    int channels; /* 1 for mode 3 (single channel), else 2 */
    int spf;      /* samples per frame */
    int crc;      /* a 16-bit CRC follows the header */
    size_t len;   /* the frame's bytes, header included */
};

/* 1 when p holds a usable frame header (free-format bitrate 0 is not). */
static int mpa_header(const uint8_t *p, struct mpa *m)
{
    /* kbit/s by [MPEG-1 ? 0 : 1][layer - 1][index] */
    static const uint16_t kbps[2][3][15] = {
        {{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
         {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
         {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}},
        {{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
         {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
         {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}},
    };
    static const int rates[3] = {44100, 48000, 32000}; /* MPEG-1; halved for 2, quartered for 2.5 */
    if (p[0] != 0xFF || (p[1] & 0xE0) != 0xE0)
        return 0;
    int v = (p[1] >> 3) & 3, l = (p[1] >> 1) & 3, bi = p[2] >> 4, ri = (p[2] >> 2) & 3;
    if (v == 1 || l == 0 || bi == 0 || bi == 15 || ri == 3)
        return 0;
    m->version = v == 3 ? 1 : v == 2 ? 2 : 25;
    m->layer = 4 - l;
    m->bitrate = kbps[m->version != 1][m->layer - 1][bi] * 1000;
    m->rate = rates[ri] >> (m->version == 1 ? 0 : m->version == 2 ? 1 : 2);
    m->channels = (p[3] >> 6) == 3 ? 1 : 2;
    m->spf = m->layer == 1 ? 384 : m->layer == 2 || m->version == 1 ? 1152 : 576;
    m->crc = !(p[1] & 1);
    int pad = (p[2] >> 1) & 1;
    /* bytes = samples/8 * bitrate / rate, padding in slots (4 bytes in layer I) */
    m->len = m->layer == 1 ? (size_t)(12 * m->bitrate / m->rate + pad) * 4
                           : (size_t)(m->spf / 8 * m->bitrate / m->rate + pad);
    return 1;
}

static int mpa_same_stream(const struct mpa *a, const struct mpa *b)
{
    return a->version == b->version && a->layer == b->layer && a->rate == b->rate;
}

/* The frame count of a Xing/Info header (LAME, ffmpeg: after the side
 * information of the first layer III frame: "Xing"/"Info", flags(4), then
 * frames(4) if flags&1, bytes(4) if &2, toc(100) if &4, quality(4) if &8;
 * then a LAME tag whose encoder delay and padding, 12 bits each, sit 21
 * bytes in) or of a VBRI header (Fraunhofer: 32 bytes after the header,
 * "VBRI" version(2) delay(2) quality(2) bytes(4) frames(4)). f is the first
 * frame, n its bytes in memory. 1 with *frames (and *trim, the samples to
 * take off, *bytes the stream's bytes or 0) when found. */
static int mpa_vbr_header(const uint8_t *f, size_t n, const struct mpa *m, uint64_t *frames, uint64_t *trim,
                          uint64_t *bytes)
{
    *trim = *bytes = 0;
    size_t side = m->version == 1 ? (m->channels == 1 ? 17 : 32) : (m->channels == 1 ? 9 : 17);
    size_t x = 4 + (m->crc ? 2 : 0) + side;
    if (m->layer == 3 && in_has(n, x, 8) && (memcmp(f + x, "Xing", 4) == 0 || memcmp(f + x, "Info", 4) == 0)) {
        uint32_t flags = be32(f + x + 4);
        size_t at = x + 8;
        if (!(flags & 1) || !in_has(n, at, 4))
            return 0;
        *frames = be32(f + at);
        at += 4;
        if (flags & 2) {
            if (!in_has(n, at, 4))
                return 1;
            *bytes = be32(f + at);
            at += 4;
        }
        at += (flags & 4 ? 100 : 0) + (flags & 8 ? 4 : 0);
        if (in_has(n, at, 24) &&
            (memcmp(f + at, "LAME", 4) == 0 || memcmp(f + at, "Lavf", 4) == 0 || memcmp(f + at, "Lavc", 4) == 0)) {
            const uint8_t *d = f + at + 21;
            *trim = (uint64_t)(d[0] << 4 | d[1] >> 4) + (uint64_t)((d[1] & 15) << 8 | d[2]);
        }
        return 1;
    }
    if (in_has(n, 36, 18) && memcmp(f + 36, "VBRI", 4) == 0) {
        *bytes = be32(f + 36 + 10);
        *frames = be32(f + 36 + 14);
        return 1;
    }
    return 0;
}

/* Makes the first want bytes (rounded up to a block, at most cap) of the
 * stream at off present in buf, of which *have are. */
static int mp3_fill(struct probe *pr, uint64_t off, uint8_t *buf, size_t *have, size_t want, size_t cap)
{
    if (want <= *have)
        return 0;
    want = (want + 4095) / 4096 * 4096;
    if (want > cap)
        want = cap;
    if (want <= *have)
        return 0;
    int rc = probe_read(pr, off + *have, buf + *have, want - *have);
    if (rc == 0)
        *have = want;
    return rc;
}

static int mp3_probe(struct probe *pr, struct media_av_info *out)
{
    uint64_t size = pr->src->size, off = 0;
    uint8_t h[10];
    int rc;
    /* ID3v2 tags (id3.org, ID3v2.4 section 3.1): "ID3" version(2) flags(1)
     * size(4, syncsafe: 7 bits a byte), plus a 10-byte footer if flags&0x10.
     * Some files carry more than one. */
    for (int i = 0; i < 4 && size - off >= 10; i++) {
        if ((rc = probe_read(pr, off, h, 10)) != 0)
            return rc;
        if (memcmp(h, "ID3", 3) != 0)
            break;
        if ((h[6] | h[7] | h[8] | h[9]) & 0x80)
            return CORRUPT;
        uint64_t tag = 10 + ((uint64_t)h[6] << 21 | (uint64_t)h[7] << 14 | (uint64_t)h[8] << 7 | h[9]) +
                       (h[5] & 0x10 ? 10 : 0);
        if (tag > size - off)
            return CORRUPT;
        off += tag;
    }
    /* the first frame: a valid header whose successor, if the file goes
     * on, is a header of the same stream (a lone 0xFFEx in a tag's padding
     * or in junk is not enough) */
    /* read in blocks as the scan advances: most files start at once */
    size_t cap = size - off < MP3_SCAN + MP3_FRAME_MAX ? (size_t)(size - off) : MP3_SCAN + MP3_FRAME_MAX;
    size_t have = 0;
    uint8_t *win = malloc(cap ? cap : 1);
    if (!win)
        return MEDIA_PROBE_IO;
    struct mpa m, next;
    size_t at = 0;
    int found = 0;
    for (; at < MP3_SCAN && in_has(cap, at, 4); at++) {
        if ((rc = mp3_fill(pr, off, win, &have, at + 4, cap)) != 0)
            goto done;
        if (!mpa_header(win + at, &m) || m.len > cap - at)
            continue;
        /* the frame, the next header, or as much as the file has */
        if ((rc = mp3_fill(pr, off, win, &have, at + m.len + 4, cap)) != 0)
            goto done;
        if (!in_has(cap, at + m.len, 4)) {
            found = 1; /* the only frame, or the last bytes are not a header */
            break;
        }
        if (mpa_header(win + at + m.len, &next) && mpa_same_stream(&m, &next)) {
            found = 1;
            break;
        }
    }
    rc = CORRUPT;
    if (!found)
        goto done;
    uint64_t first = off + at;
    out->sample_rate = m.rate;
    out->channels = m.channels;
    memcpy(out->audio_codec, m.layer == 1 ? "mp1" : m.layer == 2 ? "mp2" : "mp3", 4);
    uint64_t frames, trim, bytes;
    if (mpa_vbr_header(win + at, m.len, &m, &frames, &trim, &bytes) && frames > 0) {
        /* the tag counts the bytes of the stream it describes: more than
         * the file holds is a file cut short */
        if (bytes > size)
            goto done;
        uint64_t samples = frames * (uint64_t)m.spf;
        samples = samples > trim ? samples - trim : samples;
        int64_t ms = ticks_ms(samples, (uint32_t)m.rate);
        if (ms < 0)
            goto done;
        out->duration_ms = ms;
        rc = 0;
        goto done;
    }
    /* constant bit rate: the audio bytes over the first frame's rate, less
     * an ID3v1 tag ("TAG", 128 bytes at the end) */
    uint64_t audio = size - first;
    if (audio >= 128 + 4) {
        uint8_t t[3];
        if ((rc = probe_read(pr, size - 128, t, 3)) != 0)
            goto done;
        if (memcmp(t, "TAG", 3) == 0)
            audio -= 128;
    }
    int64_t ms = ticks_ms(audio, (uint32_t)m.bitrate / 8); /* every bitrate is a multiple of 8000 */
    if (ms < 0)
        goto done;
    out->duration_ms = ms;
    rc = 0;
done:
    free(win);
    return rc;
}

int media_probe_av(const struct media_source *src, struct media_av_info *out)
{
    if (!src || !src->read_at || !out)
        return MEDIA_PROBE_UNSUPPORTED;
    memset(out, 0, sizeof *out);
    struct probe pr = {src, 0};
    uint8_t head[SNIFF_BYTES];
    size_t n = src->size < sizeof head ? (size_t)src->size : sizeof head;
    int rc = probe_read(&pr, 0, head, n);
    if (rc == 0) {
        enum media_type t = media_sniff(head, n);
        out->type = t;
        switch (t) {
        case MEDIA_MP4:
        case MEDIA_MOV: rc = bmff_probe(&pr, out); break;
        case MEDIA_WAV: rc = wav_probe(&pr, out); break;
        case MEDIA_MP3: rc = mp3_probe(&pr, out); break;
        default: rc = MEDIA_PROBE_UNSUPPORTED; break;
        }
    }
    if (rc != 0) {
        enum media_type t = rc == MEDIA_PROBE_UNSUPPORTED ? MEDIA_UNKNOWN : out->type;
        memset(out, 0, sizeof *out);
        out->type = t;
    }
    out->bytes_read = pr.read;
    return rc;
}
