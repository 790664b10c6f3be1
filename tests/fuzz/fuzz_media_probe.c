/* fuzz_media_probe.c — media_probe_av on any file: the input is the whole
 * object, served by an in-memory media_source that checks every request.
 * The same bytes are probed three ways: whole reads, reads cut to a few
 * bytes each (the answer must not change), and a source that claims to be
 * longer than it is (any code, no crash). On success the fields must be
 * sane; bytes_read must equal what the source served and stay within
 * MEDIA_PROBE_MAX_READ. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/media_probe.h"

struct mem {
    const uint8_t *p;
    size_t n, chunk;
    uint64_t served;
};

static long mem_read_at(void *ctx, uint64_t off, void *buf, size_t n)
{
    struct mem *m = ctx;
    if (n == 0)
        abort(); /* the probe never asks for nothing */
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

static int probe(const uint8_t *p, size_t n, size_t chunk, uint64_t claimed, struct media_av_info *info)
{
    struct mem m = {p, n, chunk, 0};
    struct media_source src = {mem_read_at, &m, claimed};
    int rc = media_probe_av(&src, info);
    if (info->bytes_read != m.served || info->bytes_read > MEDIA_PROBE_MAX_READ)
        abort();
    return rc;
}

static void check_sane(const struct media_av_info *i)
{
    if (i->type != MEDIA_MP4 && i->type != MEDIA_MOV && i->type != MEDIA_MP3 && i->type != MEDIA_WAV)
        abort();
    if (i->duration_ms < 0 || i->width < 0 || i->height < 0 || i->sample_rate < 0 || i->channels < 0)
        abort();
    if (!(i->fps >= 0) || isinf(i->fps))
        abort();
    if (i->rotation != 0 && i->rotation != 90 && i->rotation != 180 && i->rotation != 270)
        abort();
    if (memchr(i->video_codec, 0, sizeof i->video_codec) == NULL ||
        memchr(i->audio_codec, 0, sizeof i->audio_codec) == NULL)
        abort();
    if ((i->width == 0) != (i->height == 0) || (i->sample_rate == 0) != (i->channels == 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that ASan sees any read past the end. */
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        abort();
    if (size)
        memcpy(p, data, size);
    struct media_av_info whole, bits, liar;
    int rc = probe(p, size, 0, size, &whole);
    if (rc != 0 && rc != MEDIA_PROBE_CORRUPT && rc != MEDIA_PROBE_UNSUPPORTED)
        abort(); /* an honest source is never an I/O error */
    if (rc == 0)
        check_sane(&whole);
    if (probe(p, size, 1 + size % 7, size, &bits) != rc || memcmp(&whole, &bits, sizeof whole) != 0)
        abort();
    (void)probe(p, size, 0, (uint64_t)size + 1 + size % 64, &liar);
    free(p);
    return 0;
}
