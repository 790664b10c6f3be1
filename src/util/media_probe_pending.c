/* media_probe_pending.c — TEMPORARY: a weak media_probe_av until branch
 * i15-probe (the real probe, util/media_probe.c) is merged; removed then.
 * It refuses every video and audio file as unreadable. */
#include "util/media_probe.h"

__attribute__((weak)) int media_probe_av(const struct media_source *src, struct media_av_info *out)
{
    (void)src;
    (void)out;
    return MEDIA_PROBE_UNSUPPORTED;
}
