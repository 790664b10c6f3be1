/* asset_failure.c — what Portico tells a customer about an asset the
 * upstream failed: FailureReason, one sentence saying what to do, made
 * from the upstream's Error code. The code and message themselves are
 * kept verbatim beside it (the Asset object's Error, API.md §2).
 *
 * UPSTREAM.md "GetAsset": a failed asset carries Error {Code, Message}
 * such as InvalidParameter.DownloadFailed, .FormatUnsupported, .FpsTooLow.
 * Codes the record does not name fall back to the upstream's message. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

static const struct {
    const char *code; /* exact, or a prefix ending in '.' */
    const char *advice;
} advice_table[] = {
    {"InvalidParameter.DownloadFailed",
     "The upstream could not download the media: make sure the URL is publicly reachable, then register it again."},
    {"InvalidParameter.FormatUnsupported",
     "The media's format is not accepted: use JPEG, PNG, WebP, BMP, TIFF, GIF or HEIC images, MP4 or MOV video, "
     "MP3 or WAV audio."},
    {"InvalidParameter.FpsTooLow", "The video's frame rate is too low: use 24 to 60 frames per second."},
    {"NotFound.", "The upstream no longer knows this asset: register the media again."},
    {"NotFound", "The upstream no longer knows this asset: register the media again."},
    {"InvalidParameter.", "The upstream refused the media (see Error): fix it as its message says, then register it again."},
};

void core_failure_advice(const char *code, const char *message, const char *legacy, char *out, size_t cap)
{
    code = code ? code : "";
    for (size_t i = 0; code[0] && i < sizeof advice_table / sizeof advice_table[0]; i++) {
        const char *k = advice_table[i].code;
        size_t n = strlen(k);
        if (k[n - 1] == '.' ? strncmp(code, k, n) == 0 : strcmp(code, k) == 0) {
            snprintf(out, cap, "%s", advice_table[i].advice);
            return;
        }
    }
    if (legacy && legacy[0])
        snprintf(out, cap, "%s", legacy);
    else if (message && message[0])
        snprintf(out, cap, "The upstream's compliance check refused this asset: %s", message);
    else
        snprintf(out, cap, "The upstream's compliance check refused this asset; register different media.");
}
