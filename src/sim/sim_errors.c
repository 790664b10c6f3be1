/* sim_errors.c — the simulator's error catalog: every Error.Code it answers,
 * with its HTTP status and CodeN, in one table. Handlers return a code (and
 * a detail for the families MissingParameter.<Field>, InvalidParameter.<X>,
 * NotFound.<what>); only the envelope in sim_http.c turns it into a body.
 *
 * UPSTREAM.md "Asset API", error envelope: ResponseMetadata.Error {Code,
 * CodeN, Message}. CodeN numbers marked "documented" are BytePlus's common
 * OpenAPI error codes (docs.byteplus.com/byteplus-platform/reference/
 * common-error-codes). The others have no public CodeN: 9xxxxx numbers are
 * the simulator's own, stable, and a client must not depend on them. */
#include <stdarg.h>
#include <stdio.h>

#include "sim/sim_int.h"

struct sim_error_row {
    enum sim_code code;
    const char *name;
    int status;
    long code_n;
};

static const struct sim_error_row sim_errors[] = {
    {SIM_OK, "", 200, 0},
    /* UPSTREAM.md "Parameter errors": MissingParameter.<Field> / InvalidParameter.<Detail> 400 */
    {SIM_MISSING_PARAMETER, "MissingParameter", 400, 100002},   /* documented */
    {SIM_INVALID_PARAMETER, "InvalidParameter", 400, 900001},
    /* UPSTREAM.md "Error envelope": the gateway codes */
    {SIM_MISSING_AUTH, "MissingAuthenticationToken", 401, 100003},         /* documented */
    {SIM_INVALID_TIMESTAMP, "InvalidTimestamp", 400, 100006},              /* documented */
    {SIM_INVALID_ACTION_OR_VERSION, "InvalidActionOrVersion", 404, 100008}, /* documented */
    {SIM_INVALID_ACCESS_KEY, "InvalidAccessKey", 401, 100009},             /* documented */
    {SIM_SIGNATURE_MISMATCH, "SignatureDoesNotMatch", 401, 100010},        /* documented */
    {SIM_ACCESS_DENIED, "AccessDenied", 403, 100013}, /* documented; the simulator has no sub-accounts to deny */
    {SIM_FLOW_LIMIT, "FlowLimitExceeded", 429, 100018},                    /* documented */
    /* UPSTREAM.md "Parameter errors": unknown ids are 404 NotFound.group_id / .asset_id */
    {SIM_NOT_FOUND, "NotFound", 404, 900002},
    /* not in the record: the simulator's own limits and failures */
    {SIM_QUOTA_EXCEEDED, "QuotaExceeded", 400, 900003},
    {SIM_PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", 413, 900004},
    {SIM_METHOD_NOT_ALLOWED, "MethodNotAllowed", 405, 900005},
    {SIM_UNAVAILABLE, "ServiceUnavailable", 503, 900006},
    /* liveness: GetVisualValidateResult before a passed scan. UPSTREAM.md
     * "LivenessFace": the answers while pending and after a failed scan are
     * not public; both rows are guesses (see sim_liveness.c). */
    {SIM_VALIDATE_PENDING, "ValidatePending", 409, 900101},
    {SIM_VALIDATE_FAILED, "ValidateFailed", 400, 900102},
    /* last: the fallback of row() */
    {SIM_INTERNAL, "InternalError", 500, 900000},
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

long sim_code_number(enum sim_code c)
{
    return row(c)->code_n;
}

static enum sim_code fail_v(struct sim_reply *r, enum sim_code code, const char *detail, const char *fmt,
                            va_list ap)
{
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
    r->code = code;
    return code;
}

enum sim_code sim_fail(struct sim_reply *r, enum sim_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(r, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

enum sim_code sim_fail_at(struct sim_reply *r, enum sim_code code, const char *detail, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(r, code, detail, fmt, ap);
    va_end(ap);
    return code;
}

void sim_reply_code(const struct sim_reply *r, char *out, size_t cap)
{
    if (r->detail[0])
        snprintf(out, cap, "%s.%s", sim_code_name(r->code), r->detail);
    else
        snprintf(out, cap, "%s", sim_code_name(r->code));
}
