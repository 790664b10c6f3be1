/* fuzz_media.c — what an upload is, judged by its bytes: media_sniff
 * (including the ISO BMFF brands that tell HEIC/HEIF, MOV and MP4 apart),
 * media_image_size (for the sniffed type and, to reach every reader, for
 * each image type whatever the bytes are: JPEG, PNG, WebP, GIF, BMP, TIFF,
 * HEIC/HEIF), media_check_image_dims, and the simulator's compliance check
 * (sim_check_media) on the same bytes, whole and as a prefix. */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "util/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that ASan sees any read past the end. */
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        abort();
    if (size)
        memcpy(p, data, size);
    enum media_type t = media_sniff(p, size);
    if (!media_type_name(t))
        abort();
    (void)media_is_image(t);
    (void)media_is_video(t);
    (void)media_is_audio(t);
    static const enum media_type images[] = {MEDIA_JPEG, MEDIA_PNG, MEDIA_WEBP, MEDIA_GIF, MEDIA_BMP, MEDIA_TIFF,
                                             MEDIA_HEIC, MEDIA_HEIF, MEDIA_UNKNOWN, MEDIA_MP4, MEDIA_MOV};
    for (size_t i = 0; i < sizeof images / sizeof images[0] + 1; i++) {
        enum media_type which = i == 0 ? t : images[i - 1];
        int w = -7, h = -7;
        int rc = media_image_size(p, size, which, &w, &h);
        if (rc != 0 && rc != MEDIA_SIZE_CORRUPT && rc != MEDIA_SIZE_TRUNCATED)
            abort();
        if (rc == 0 && (w <= 0 || h <= 0))
            abort();
        if (rc == 0) {
            char msg[160], tiny[8];
            (void)media_check_image_dims(w, h, msg, sizeof msg);
            (void)media_check_image_dims(w, h, tiny, sizeof tiny);
            (void)media_check_image_dims(w, h, NULL, 0);
        }
    }
    if (size >= 8) { /* any pair of ints, not only those a reader returns */
        int w, h;
        char msg[160];
        memcpy(&w, p, sizeof w);
        memcpy(&h, p + 4, sizeof h);
        (void)media_check_image_dims(w, h, msg, sizeof msg);
    }
    char code[64], reason[256], tiny[4];
    for (int k = SIM_KIND_IMAGE; k <= SIM_KIND_AUDIO; k++) {
        enum sim_asset_kind kind = (enum sim_asset_kind)k;
        code[0] = 0;
        if (sim_check_media(kind, p, size, 1, size, code, sizeof code, reason, sizeof reason) != 0 &&
            strncmp(code, "InvalidParameter.", 17) != 0)
            abort(); /* every refusal names its code */
        (void)sim_check_media(kind, p, size, 0, (size_t)1 << 30, code, sizeof code, reason, sizeof reason);
        (void)sim_check_media(kind, p, size, 0, 0, tiny, sizeof tiny, tiny, sizeof tiny);
        (void)sim_check_media(kind, p, size, 1, size, NULL, 0, NULL, 0);
    }
    free(p);
    return 0;
}
