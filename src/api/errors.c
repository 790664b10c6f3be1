/* errors.c — the error catalog; see errors.h. */
#include "api/errors.h"

static const struct api_error_def catalog[API_ERR_COUNT] = {
    [API_OK] = {"", 200, ""},
    [API_INVALID_PARAMETER] = {"InvalidParameter", 400, "A parameter is missing or invalid."},
    [API_INVALID_ACTION] = {"InvalidAction", 400, "The Action is not supported; see the API reference for the list."},
    [API_UNAUTHORIZED] = {"Unauthorized", 401, "Send a valid API key as 'Authorization: Bearer <key>'."},
    [API_AIGC_NOT_AVAILABLE] = {"AIGCNotAvailable", 403, "AIGC groups are not enabled for your account."},
    [API_FORBIDDEN] = {"Forbidden", 403, "The resource does not exist or you do not have access to it."},
    [API_VALIDATE_PENDING] = {"ValidatePending", 409, "The H5 face scan has not finished yet; poll again shortly."},
    [API_INVALID_TOKEN] = {"InvalidToken", 400, "The BytedToken is unknown."},
    [API_TOKEN_EXPIRED] = {"TokenExpired", 410, "The BytedToken expired before the scan completed; start a new session."},
    [API_QUOTA_EXCEEDED] = {"QuotaExceeded", 400, "The quota is reached; delete something first."},
    [API_PAYLOAD_TOO_LARGE] = {"PayloadTooLarge", 413, "The request body is too large; the limit is 64 KiB."},
    [API_UNSUPPORTED_MEDIA_TYPE] = {"UnsupportedMediaType", 415, "Only JPEG, PNG and WebP images are accepted."},
    [API_TOO_MANY_REQUESTS] = {"TooManyRequests", 429, "Too many requests; retry after the Retry-After time."},
    [API_INTERNAL_ERROR] = {"InternalError", 500, "An internal error occurred; report the RequestId."},
    [API_UPSTREAM_ERROR] = {"UpstreamError", 502, "The upstream failed; nothing was changed, retry later."},
    [API_SERVICE_UNAVAILABLE] = {"ServiceUnavailable", 503, "The service is unavailable; retry shortly."},
    [API_NOT_FOUND] = {"NotFound", 404, "No such endpoint; Actions are POSTed to /v1/portrait/?Action=...&Version=2024-01-01."},
    [API_METHOD_NOT_ALLOWED] = {"MethodNotAllowed", 405, "This endpoint does not accept that HTTP method."},
};

const struct api_error_def *api_error_def(enum api_err e)
{
    if ((int)e < 0 || e >= API_ERR_COUNT)
        e = API_INTERNAL_ERROR;
    return &catalog[e];
}

enum api_err api_err_from_core(enum core_code c)
{
    switch (c) {
    case CORE_OK: return API_OK;
    case CORE_INVALID_PARAMETER: return API_INVALID_PARAMETER;
    case CORE_UNAUTHORIZED: return API_UNAUTHORIZED;
    case CORE_AIGC_NOT_AVAILABLE: return API_AIGC_NOT_AVAILABLE;
    case CORE_FORBIDDEN: return API_FORBIDDEN;
    case CORE_QUOTA_EXCEEDED: return API_QUOTA_EXCEEDED;
    case CORE_TOO_MANY_REQUESTS: return API_TOO_MANY_REQUESTS;
    case CORE_UPSTREAM_ERROR: return API_UPSTREAM_ERROR;
    case CORE_SERVICE_UNAVAILABLE: return API_SERVICE_UNAVAILABLE;
    case CORE_INTERNAL_ERROR: return API_INTERNAL_ERROR;
    case CORE_VALIDATE_PENDING: return API_VALIDATE_PENDING;
    case CORE_INVALID_TOKEN: return API_INVALID_TOKEN;
    case CORE_TOKEN_EXPIRED: return API_TOKEN_EXPIRED;
    case CORE_PAYLOAD_TOO_LARGE: return API_PAYLOAD_TOO_LARGE;
    case CORE_UNSUPPORTED_MEDIA_TYPE: return API_UNSUPPORTED_MEDIA_TYPE;
    /* The video surface has its own error format (api/videos.c); on the
     * Action surface these cannot occur, and map to their nearest kin. */
    case CORE_NOT_FOUND: return API_FORBIDDEN;
    case CORE_ASSET_NOT_READY: return API_INVALID_PARAMETER;
    case CORE_MODEL_NOT_SUPPORTED_ASSET: return API_INVALID_PARAMETER;
    }
    return API_INTERNAL_ERROR;
}
