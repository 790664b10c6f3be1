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

/* advice: a printf format with one %s, the upstream's message (or, when it
 * sent none, its code), so the customer sees what was wrong and what to do. */
static const struct {
    const char *code; /* exact, or a prefix ending in '.' */
    const char *advice;
} advice_table[] = {
    {"InvalidParameter.DownloadFailed",
     "The upstream could not download the media (%s): make sure the URL is publicly reachable, then register it again."},
    {"InvalidParameter.FormatUnsupported",
     "The upstream does not accept this media (%s): use JPEG, PNG, WebP, BMP, TIFF, GIF or HEIC images, MP4 or MOV "
     "video, MP3 or WAV audio within the documented limits, then register it again."},
    {"InvalidParameter.FpsTooLow", "The video's frame rate is too low (%s): use 24 to 60 frames per second."},
    {"NotFound.", "The upstream no longer knows this asset (%s): register the media again."},
    {"NotFound", "The upstream no longer knows this asset (%s): register the media again."},
    {"InvalidParameter.", "The upstream refused the media (%s): fix that, then register it again."},
};

void core_failure_advice(const char *code, const char *message, const char *legacy, char *out, size_t cap)
{
    code = code ? code : "";
    /* the upstream's sentence goes inside our parentheses: without its full stop */
    char why[256];
    snprintf(why, sizeof why, "%s", message && message[0] ? message : code);
    for (size_t len = strlen(why); len > 0 && (why[len - 1] == '.' || why[len - 1] == ' ');)
        why[--len] = '\0';
    for (size_t i = 0; code[0] && i < sizeof advice_table / sizeof advice_table[0]; i++) {
        const char *k = advice_table[i].code;
        size_t n = strlen(k);
        if (k[n - 1] == '.' ? strncmp(code, k, n) == 0 : strcmp(code, k) == 0) {
            snprintf(out, cap, advice_table[i].advice, why);
            return;
        }
    }
    if (legacy && legacy[0])
        snprintf(out, cap, "%s", legacy);
    else if (why[0])
        snprintf(out, cap, "The upstream's compliance check refused this asset (%s): register different media.", why);
    else
        snprintf(out, cap, "The upstream's compliance check refused this asset: register different media.");
}
