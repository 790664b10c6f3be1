/* fuzz_thumb.c — thumbnails of hostile files (util/thumb.c): the type
 * sniffed, the header's dimensions bounded before libgd decodes anything,
 * the decoder's complaints and size mismatches refused. Whatever the bytes,
 * the answer is one of the documented results, and a thumbnail is a JPEG
 * within the box whose own header says so. The limits are smaller than the
 * gateway's (6000 px a side) so that each input decodes quickly. */
#include <stdlib.h>
#include <string.h>

#include "util/media.h"
#include "util/thumb.h"

#define BOX 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct thumb_limits lim = {.max_bytes = 1 << 20, .max_side = 1500, .max_pixels = 1500 * 1000};
    uint8_t *p = malloc(size ? size : 1); /* an exact-size copy: ASan sees any read past the end */
    if (!p)
        abort();
    if (size)
        memcpy(p, data, size);
    struct thumb t;
    enum thumb_result r = thumb_make(p, size, BOX, &lim, &t);
    if (r != THUMB_OK && r != THUMB_UNSUPPORTED && r != THUMB_TOO_LARGE && r != THUMB_CORRUPT && r != THUMB_NOMEM)
        abort();
    if (!thumb_result_str(r))
        abort();
    if (r == THUMB_OK) {
        int w = 0, h = 0;
        if (!t.data || t.width < 1 || t.height < 1 || t.width > BOX || t.height > BOX ||
            media_sniff(t.data, t.len) != MEDIA_JPEG || media_image_size(t.data, t.len, MEDIA_JPEG, &w, &h) != 0 ||
            w != t.width || h != t.height)
            abort();
        thumb_free(&t);
    } else if (t.data) {
        abort(); /* a refusal holds nothing */
    }
    free(p);
    return 0;
}
