/* fuzz_media.c — what an upload is, judged by its bytes: media_sniff,
 * media_image_size (for the sniffed type and, to reach every reader, for
 * each image type whatever the bytes are), media_check_image_dims, and the
 * simulator's compliance check (sim_check_media) on the same bytes. */
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
                                             MEDIA_UNKNOWN, MEDIA_MP4};
    for (size_t i = 0; i < sizeof images / sizeof images[0] + 1; i++) {
        enum media_type which = i == 0 ? t : images[i - 1];
        int w = -7, h = -7;
        if (media_image_size(p, size, which, &w, &h) == 0) {
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
    char reason[256];
    for (int k = SIM_KIND_IMAGE; k <= SIM_KIND_AUDIO; k++) {
        (void)sim_check_media((enum sim_asset_kind)k, p, size, 1, reason, sizeof reason);
        (void)sim_check_media((enum sim_asset_kind)k, p, size, 0, reason, sizeof reason);
    }
    free(p);
    return 0;
}
