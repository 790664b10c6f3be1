/* errors.c — the error catalog; see errors.h.
 *
 * Why here and not in core/: the key is core's (enum core_code, one enum
 * for every layer), but the columns are wire vocabulary — HTTP statuses,
 * Volcengine and OpenAI-style spellings — which core/ never speaks. The
 * table is indexed by the code itself and sized by CORE_CODE_COUNT; a code
 * without a row fails a unit test, and api_error_def answers it as
 * InternalError rather than crash.
 *
 * Some rows exist for one surface only; their other columns are what that
 * outcome would be called there:
 *  - CORE_NOT_FOUND reaches the Volcengine surface only as "no such
 *    endpoint" (ids a caller does not own are CORE_FORBIDDEN, API.md §6:
 *    existence is never revealed), and media URLs with their own message;
 *  - CORE_ASSET_NOT_READY and CORE_MODEL_NOT_SUPPORTED_ASSET are video
 *    outcomes, InvalidParameter in Volcengine words. */
#include "api/errors.h"

#include <stddef.h>

static const struct api_error_def catalog[CORE_CODE_COUNT] = {
    /* core code               Volcengine Code  HTTP  default message
     *                         video code       video message (NULL: the same) */
    [CORE_OK] = {"", 200, "", "", NULL},
    [CORE_INVALID_PARAMETER] = {"InvalidParameter", 400, "A parameter is missing or invalid.",
                                "invalid_request", "The request is invalid."},
    [CORE_INVALID_ACTION] = {"InvalidAction", 400, "The Action is not supported; see the API reference for the list.",
                             "invalid_request", NULL},
    [CORE_UNAUTHORIZED] = {"Unauthorized", 401, "Send a valid API key as 'Authorization: Bearer <key>'.",
                           "unauthorized", NULL},
    [CORE_AIGC_NOT_AVAILABLE] = {"AIGCNotAvailable", 403, "AIGC groups are not enabled for your account.",
                                 "aigc_not_available", NULL},
    [CORE_FORBIDDEN] = {"Forbidden", 403, "The resource does not exist or you do not have access to it.",
                        "forbidden", "The asset does not exist or you do not have access to it."},
    [CORE_NOT_FOUND] = {"NotFound", 404,
                        "No such endpoint; Actions are POSTed to /v1/portrait/?Action=...&Version=2024-01-01.",
                        "not_found", "No video generation task with this id exists for you."},
    [CORE_METHOD_NOT_ALLOWED] = {"MethodNotAllowed", 405, "This endpoint does not accept that HTTP method.",
                                 "method_not_allowed", NULL},
    [CORE_VALIDATE_PENDING] = {"ValidatePending", 409, "The H5 face scan has not finished yet; poll again shortly.",
                               "validate_pending", NULL},
    [CORE_CONFLICT] = {"Conflict", 409, "The upload session was used already or has ended.", "conflict", NULL},
    [CORE_INVALID_TOKEN] = {"InvalidToken", 400, "The BytedToken is unknown.", "invalid_token", NULL},
    [CORE_TOKEN_EXPIRED] = {"TokenExpired", 410,
                            "The BytedToken expired before the scan completed; start a new session.",
                            "token_expired", NULL},
    [CORE_QUOTA_EXCEEDED] = {"QuotaExceeded", 400, "The quota is reached; delete something first.",
                             "quota_exceeded", NULL},
    [CORE_PAYLOAD_TOO_LARGE] = {"PayloadTooLarge", 413, "The request body is too large; the limit is 64 KiB.",
                                "payload_too_large", NULL},
    [CORE_UNSUPPORTED_MEDIA_TYPE] = {"UnsupportedMediaType", 415, "Only JPEG, PNG and WebP images are accepted.",
                                     "unsupported_media_type", NULL},
    [CORE_RANGE_NOT_SATISFIABLE] = {"InvalidRange", 416, "The Range is outside the media.", "invalid_range", NULL},
    [CORE_ASSET_NOT_READY] = {"InvalidParameter", 400, "A referenced asset is not Active yet.", "asset_not_ready",
                              NULL},
    [CORE_MODEL_NOT_SUPPORTED_ASSET] = {"InvalidParameter", 400, "This model does not accept asset:// references.",
                                        "model_not_supported_asset", NULL},
    [CORE_TOO_MANY_REQUESTS] = {"TooManyRequests", 429, "Too many requests; retry after the Retry-After time.",
                                "too_many_requests", NULL},
    [CORE_INTERNAL_ERROR] = {"InternalError", 500, "An internal error occurred; report the RequestId.",
                             "internal_error", "An internal error occurred; report the X-Request-Id."},
    [CORE_UPSTREAM_ERROR] = {"UpstreamError", 502, "The upstream failed; nothing was changed, retry later.",
                             "upstream_error", "The upstream failed; nothing was started, retry later."},
    [CORE_SERVICE_UNAVAILABLE] = {"ServiceUnavailable", 503, "The service is unavailable; retry shortly.",
                                  "service_unavailable", NULL},
};

/* The table is as long as the enum; that no row is left out (a NULL code)
 * is checked by tests/unit/test_render.c for every code. */
_Static_assert(sizeof catalog / sizeof catalog[0] == CORE_CODE_COUNT, "one catalog row per enum core_code");

const struct api_error_def *api_error_def(enum core_code c)
{
    if ((int)c < 0 || c >= CORE_CODE_COUNT || !catalog[c].code)
        c = CORE_INTERNAL_ERROR;
    return &catalog[c];
}
