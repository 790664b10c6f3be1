/* sim_check.c — the upstream's compliance rules applied to fetched bytes:
 * the bytes must be of the asset's declared kind and of a format the record
 * lists (by magic, never by URL or Content-Type), no larger than the kind's
 * limit, and images must have acceptable dimensions. Pure: no I/O.
 *
 * Each rule cites its row of shared/UPSTREAM.md. Where the record is unsure
 * the rule takes the lenient reading, so the simulator is never stricter than
 * the real service: "MB" is read as MiB, a limit as inclusive, and video gets
 * the wider of the two published limits.
 *
 * Error codes: the record (row "GetAsset") documents only
 * InvalidParameter.DownloadFailed, .FormatUnsupported and .FpsTooLow. The
 * size codes below are ours, named in the same InvalidParameter.<Detail>
 * style; the real codes for those failures are not public. */
#include <stdio.h>

#include "sim/sim_int.h"
#include "util/media.h"

#define MIB ((size_t)1 << 20)

struct kind_rule {
    const char *noun;    /* in messages */
    size_t max_bytes;    /* inclusive */
    const char *formats; /* in messages */
    enum media_type accepted[8];
};

/* Indexed by enum sim_asset_kind. MEDIA_UNKNOWN (0) ends each list. */
static const struct kind_rule rules[] = {
    /* "Media": images jpeg/png/webp/bmp/tiff/gif/heic/heif, < 30 MB (C) */
    [SIM_KIND_IMAGE] = {"image", 30 * MIB, "JPEG, PNG, WebP, BMP, TIFF, GIF, HEIC or HEIF",
                        {MEDIA_JPEG, MEDIA_PNG, MEDIA_WEBP, MEDIA_BMP, MEDIA_TIFF, MEDIA_GIF, MEDIA_HEIC,
                         MEDIA_HEIF}},
    /* "Media": video mp4/mov, < 50 MB per one source, up to 200 MB per
     * another (S, both): the wider one */
    [SIM_KIND_VIDEO] = {"video", 200 * MIB, "MP4 or MOV", {MEDIA_MP4, MEDIA_MOV}},
    /* "Media": audio mp3/wav < 15 MB (S) */
    [SIM_KIND_AUDIO] = {"audio", 15 * MIB, "MP3 or WAV", {MEDIA_MP3, MEDIA_WAV}},
};

static const struct kind_rule *rule_of(enum sim_asset_kind kind)
{
    return (unsigned)kind < sizeof rules / sizeof rules[0] ? &rules[kind] : &rules[SIM_KIND_IMAGE];
}

static int accepted(const struct kind_rule *r, enum media_type t)
{
    for (size_t i = 0; i < sizeof r->accepted / sizeof r->accepted[0] && r->accepted[i] != MEDIA_UNKNOWN; i++)
        if (r->accepted[i] == t)
            return 1;
    return 0;
}

size_t sim_check_max_bytes(enum sim_asset_kind kind)
{
    return rule_of(kind)->max_bytes;
}

/* The format's usual name, for messages. */
static const char *short_name(enum media_type t)
{
    switch (t) {
    case MEDIA_JPEG: return "JPEG";
    case MEDIA_PNG: return "PNG";
    case MEDIA_WEBP: return "WebP";
    case MEDIA_BMP: return "BMP";
    case MEDIA_TIFF: return "TIFF";
    case MEDIA_GIF: return "GIF";
    case MEDIA_HEIC: return "HEIC";
    case MEDIA_HEIF: return "HEIF";
    default: return media_type_name(t);
    }
}

static int verdict(const char *c, char *code, size_t code_cap)
{
    if (code && code_cap)
        snprintf(code, code_cap, "%s", c);
    return -1;
}

int sim_check_media(enum sim_asset_kind kind, const uint8_t *prefix, size_t n, int complete, size_t total_bytes,
                    char *code, size_t code_cap, char *reason, size_t reason_cap)
{
    const struct kind_rule *r = rule_of(kind);
    char scratch[1];
    if (!reason || !reason_cap)
        reason = scratch, reason_cap = sizeof scratch;
    if (total_bytes < n)
        total_bytes = n;
    if (total_bytes > r->max_bytes) {
        snprintf(reason, reason_cap, "The %s is %s%zu bytes; at most %zu bytes (%zu MB) are accepted.", r->noun,
                 complete ? "" : "at least ", total_bytes, r->max_bytes, r->max_bytes / MIB);
        return verdict(SIM_CODE_FILE_TOO_LARGE, code, code_cap);
    }
    if (n == 0) {
        snprintf(reason, reason_cap, "The media URL returned an empty body.");
        return verdict(SIM_CODE_FORMAT_UNSUPPORTED, code, code_cap);
    }
    enum media_type t = media_sniff(prefix, n);
    if (!accepted(r, t)) {
        snprintf(reason, reason_cap, "Unsupported %s format (%s); use %s.", r->noun,
                 t == MEDIA_UNKNOWN ? "not a recognised media file" : media_type_name(t), r->formats);
        return verdict(SIM_CODE_FORMAT_UNSUPPORTED, code, code_cap);
    }
    if (kind != SIM_KIND_IMAGE)
        return 0; /* duration, fps and resolution are not judged: see sim_int.h */

    int w, h, rc = media_image_size(prefix, n, t, &w, &h);
    if (rc == MEDIA_SIZE_TRUNCATED && !complete)
        /* The dimensions lie past the bytes the check keeps (a TIFF's IFD
         * after its strips, a JPEG behind megabytes of EXIF). The upstream
         * reads the whole file; refusing here would be stricter than it. */
        return 0;
    if (rc != 0) {
        snprintf(reason, reason_cap, "The %s image is corrupt: its dimensions could not be read.",
                 short_name(t));
        return verdict(SIM_CODE_FORMAT_UNSUPPORTED, code, code_cap);
    }
    /* "Media": each side 300-6000 px, aspect 0.4-2.5 (C) */
    char why[160];
    if (media_check_image_dims(w, h, why, sizeof why) == 0)
        return 0;
    snprintf(reason, reason_cap, "The %s %s.", short_name(t), why); /* "The PNG image is 200x200 px; ..." */
    int side_ok = w >= MEDIA_MIN_SIDE && h >= MEDIA_MIN_SIDE && w <= MEDIA_MAX_SIDE && h <= MEDIA_MAX_SIDE;
    return verdict(side_ok ? SIM_CODE_ASPECT_RATIO_INVALID : SIM_CODE_IMAGE_SIZE_INVALID, code, code_cap);
}
