/* sim_errors.c — the simulator's error catalog: every Error.Code it answers,
 * with its HTTP status, in one table. Handlers return a code; only the
 * envelope in sim_http.c turns it into a body. */
#include <stdarg.h>
#include <stdio.h>

#include "sim/sim_int.h"

struct sim_error_row {
    enum sim_code code;
    const char *name;
    int status;
};

static const struct sim_error_row sim_errors[] = {
    {SIM_OK, "", 200},
    {SIM_INVALID_PARAMETER, "InvalidParameter", 400},
    {SIM_INVALID_ACTION, "InvalidAction", 400},
    {SIM_INVALID_VERSION, "InvalidVersion", 400},
    {SIM_MISSING_AUTH, "MissingAuthenticationToken", 401},
    {SIM_INVALID_ACCESS_KEY, "InvalidAccessKey", 401},
    {SIM_SIGNATURE_MISMATCH, "SignatureDoesNotMatch", 401},
    {SIM_NOT_FOUND, "NotFound", 404},
    {SIM_QUOTA_EXCEEDED, "QuotaExceeded", 400},
    {SIM_FLOW_LIMIT, "FlowLimitExceeded", 429},
    {SIM_PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", 413},
    {SIM_METHOD_NOT_ALLOWED, "MethodNotAllowed", 405},
    {SIM_UNAVAILABLE, "ServiceUnavailable", 503},
    /* liveness: GetVisualValidateResult before a passed scan */
    {SIM_VALIDATE_PENDING, "ValidatePending", 409},
    {SIM_VALIDATE_FAILED, "ValidateFailed", 400},
    {SIM_TOKEN_EXPIRED, "TokenExpired", 410},
    {SIM_INVALID_TOKEN, "InvalidToken", 400},
    /* last: the fallback of row() */
    {SIM_INTERNAL, "InternalError", 500},
};

static const struct sim_error_row *row(enum sim_code c)
{
    for (size_t i = 0; i < sizeof sim_errors / sizeof sim_errors[0]; i++)
        if (sim_errors[i].code == c)
            return &sim_errors[i];
    return &sim_errors[sizeof sim_errors / sizeof sim_errors[0] - 1];
}

const char *sim_code_name(enum sim_code c)
{
    return row(c)->name;
}

int sim_code_status(enum sim_code c)
{
    return row(c)->status;
}

enum sim_code sim_fail(struct sim_reply *r, enum sim_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->code = code;
    return code;
}
