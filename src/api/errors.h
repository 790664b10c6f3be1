/* errors.h — the error catalog of API.md §6: code → HTTP status → default
 * message, in one table. Handlers return a code; nobody builds an error
 * body by hand. */
#ifndef PORTICO_API_ERRORS_H
#define PORTICO_API_ERRORS_H

#include "core/result.h"

enum api_err {
    API_OK = 0,
    API_INVALID_PARAMETER,
    API_INVALID_ACTION,
    API_UNAUTHORIZED,
    API_AIGC_NOT_AVAILABLE,
    API_FORBIDDEN,
    API_VALIDATE_PENDING,
    API_INVALID_TOKEN,
    API_TOKEN_EXPIRED,
    API_QUOTA_EXCEEDED,
    API_PAYLOAD_TOO_LARGE,
    API_UNSUPPORTED_MEDIA_TYPE,
    API_TOO_MANY_REQUESTS,
    API_INTERNAL_ERROR,
    API_UPSTREAM_ERROR,
    API_SERVICE_UNAVAILABLE,
    API_NOT_FOUND,          /* no such endpoint */
    API_METHOD_NOT_ALLOWED, /* endpoint exists, method does not */
    API_ERR_COUNT
};

struct api_error_def {
    const char *code;
    int http_status;
    const char *message;
};

const struct api_error_def *api_error_def(enum api_err e);
enum api_err api_err_from_core(enum core_code c);

#endif
