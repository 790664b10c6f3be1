/* sim_check.c — the upstream's compliance rules applied to fetched bytes:
 * the bytes must be of the asset's declared type (by magic, never by URL or
 * Content-Type), and images must have acceptable dimensions. Pure: no I/O. */
#include <stdio.h>

#include "sim/sim_int.h"
#include "util/media.h"

static const char *what(enum media_type t)
{
    return t == MEDIA_UNKNOWN ? "not a recognised media file" : media_type_name(t);
}

int sim_check_media(enum sim_asset_kind kind, const uint8_t *prefix, size_t n, int complete,
                    char *reason, size_t reason_cap)
{
    if (n == 0) {
        snprintf(reason, reason_cap, "media URL returned an empty body");
        return -1;
    }
    enum media_type t = media_sniff(prefix, n);
    switch (kind) {
    case SIM_KIND_VIDEO:
        if (t == MEDIA_MP4)
            return 0;
        snprintf(reason, reason_cap, "unsupported video format (%s); use MP4", what(t));
        return -1;
    case SIM_KIND_AUDIO:
        if (t == MEDIA_MP3 || t == MEDIA_WAV)
            return 0;
        snprintf(reason, reason_cap, "unsupported audio format (%s); use MP3 or WAV", what(t));
        return -1;
    case SIM_KIND_IMAGE:
        break;
    }
    if (t != MEDIA_JPEG && t != MEDIA_PNG && t != MEDIA_WEBP) {
        snprintf(reason, reason_cap, "unsupported image format (%s); use JPEG, PNG or WebP", what(t));
        return -1;
    }
    int w, h;
    if (media_image_size(prefix, n, t, &w, &h) != 0) {
        snprintf(reason, reason_cap, "%s image is corrupt: its dimensions could not be read%s",
                 media_type_name(t), complete ? "" : " from its first bytes");
        return -1;
    }
    return media_check_image_dims(w, h, reason, reason_cap);
}
