/* liveness.c — the two LivenessFace Actions of API.md §2:
 * CreateVisualValidateSession and GetVisualValidateResult. They translate
 * fields to core/liveness.c and back; both may call the upstream, so their
 * rows in portrait.c are marked slow. */
#include "api/internal.h"
#include "util/clock.h"

enum core_code liveness_create_session(struct api *a, const struct customer *cu, const struct actor *who,
                                       json_t *body, json_t **result, struct core_status *st)
{
    const char *callback = NULL;
    if (param_string(body, "CallbackURL", &callback, st))
        return st->code;
    struct validate_session v;
    if (core_create_validate_session(a->core, cu, who, callback, &v, st))
        return st->code;
    char expire[21];
    clock_rfc3339(v.expire_ms, expire);
    *result = json_pack("{s:s, s:s, s:s, s:s}", "BytedToken", v.token, "H5Link", v.h5_link, "CallbackURL",
                        v.callback_url, "ExpireTime", expire);
    return CORE_OK;
}

enum core_code liveness_get_result(struct api *a, const struct customer *cu, const struct actor *who,
                                   json_t *body, json_t **result, struct core_status *st)
{
    const char *token = NULL;
    char group_id[IDS_MAX];
    if (param_string(body, "BytedToken", &token, st) || core_get_validate_result(a->core, cu, token, group_id, st))
        return st->code;
    *result = json_pack("{s:s, s:s}", "GroupId", group_id, "GroupType", "LivenessFace");
    return CORE_OK;
}
