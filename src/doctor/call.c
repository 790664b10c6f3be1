/* call.c — how the doctor talks to the upstream: one signed Action through
 * the port's raw_action, its reply parsed but kept as sent, and what every
 * reply says about the envelope (RequestId, the error shape, throttling)
 * noted in the report on the way.
 *
 * Invariant: a call is retried at most once, and only after a throttle
 * reply: the doctor spends a handful of calls per Action, never more. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor_int.h"
#include "util/clock.h"

#define DOCTOR_THROTTLE_WAIT_MS 1000 /* before the one retry of a throttled call */

volatile sig_atomic_t doctor_stop;

void doctor_reply_free(struct doctor_reply *rp)
{
    json_decref(rp->root);
    memset(rp, 0, sizeof *rp);
}

int doctor_auth_code(const char *code)
{
    static const char *const codes[] = {"MissingAuthenticationToken", "InvalidAccessKey", "SignatureDoesNotMatch",
                                        "InvalidTimestamp", "AccessDenied", "InvalidCredential"};
    for (size_t i = 0; code && i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i]) == 0)
            return 1;
    return 0;
}

static int doctor_is_throttle(const struct doctor_reply *rp, json_t *error)
{
    json_t *coden = json_object_get(error, "CodeN");
    return rp->status == 429 || (rp->code && strcmp(rp->code, "FlowLimitExceeded") == 0) ||
           (json_is_integer(coden) && json_integer_value(coden) == 100018);
}

/* "Result {Id, Name}", "Result {}", or "no Result object". */
void doctor_keys(json_t *o, const char *what, char *out, size_t cap)
{
    if (!json_is_object(o)) {
        snprintf(out, cap, "no %s object", what);
        return;
    }
    size_t n = (size_t)snprintf(out, cap, "%s {", what);
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(o, k, v)
    {
        if (n < cap)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", first ? "" : ", ", k);
        first = 0;
    }
    if (n < cap)
        snprintf(out + n, cap - n, "}");
}

/* A short account of an answer for the report; never the whole body. */
void doctor_describe(const struct doctor_reply *rp, char *out, size_t cap)
{
    if (!rp->answered) {
        snprintf(out, cap, "no answer: %s", rp->failure);
    } else if (rp->code) {
        snprintf(out, cap, "HTTP %ld %s: %.120s", rp->status, rp->code, rp->message ? rp->message : "");
    } else if (!rp->root) {
        snprintf(out, cap, "HTTP %ld with a body that is not JSON", rp->status);
    } else {
        char keys[200];
        doctor_keys(rp->result, "Result", keys, sizeof keys);
        snprintf(out, cap, "HTTP %ld %s", rp->status, keys);
    }
}

/* What every reply says about the envelope: RequestId and the error shape. */
static void doctor_note_envelope(struct doctor *d, const char *action, const struct doctor_reply *rp)
{
    json_t *meta = json_object_get(rp->root, "ResponseMetadata");
    json_t *rid = json_object_get(meta, "RequestId");
    const char *s = json_is_string(rid) ? json_string_value(rid) : NULL;
    if (!s || !*s) {
        doctor_set(d->rep, DC_REQUEST_ID, DOCTOR_DIFFERS, "%s: HTTP %ld without ResponseMetadata.RequestId", action,
                   rp->status);
    } else if (d->rep->verdict[DC_REQUEST_ID] == DOCTOR_NOT_CHECKED) {
        size_t n = strlen(s), digits = 0, upper_hex = 0;
        for (size_t i = 0; i < n; i++) {
            digits += i < 14 && s[i] >= '0' && s[i] <= '9';
            upper_hex += i >= 14 && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F'));
        }
        int documented = n == 34 && digits == 14 && upper_hex == 20;
        doctor_set(d->rep, DC_REQUEST_ID, DOCTOR_AGREES, "present, %zu characters, %s", n,
                   documented ? "of the documented form" : "not of the documented form");
    }
    if (rp->status == 200 && !rp->code)
        return;
    json_t *error = json_object_get(meta, "Error");
    json_t *coden = json_object_get(error, "CodeN");
    if (rp->code && json_is_string(json_object_get(error, "Message"))) {
        char cn[40] = "no CodeN";
        if (json_is_integer(coden))
            snprintf(cn, sizeof cn, "CodeN %lld", (long long)json_integer_value(coden));
        if (d->rep->verdict[DC_ERROR_ENVELOPE] == DOCTOR_NOT_CHECKED)
            doctor_set(d->rep, DC_ERROR_ENVELOPE, DOCTOR_AGREES, "e.g. %s: HTTP %ld Error {Code %s, Message}, %s",
                       action, rp->status, rp->code, cn);
    } else {
        doctor_set(d->rep, DC_ERROR_ENVELOPE, DOCTOR_DIFFERS, "%s: HTTP %ld without ResponseMetadata.Error {Code, Message}",
                   action, rp->status);
    }
    if (doctor_is_throttle(rp, error)) {
        d->throttles++;
        int shaped = rp->status == 429 && rp->code && strcmp(rp->code, "FlowLimitExceeded") == 0 &&
                     (!coden || (json_is_integer(coden) && json_integer_value(coden) == 100018));
        doctor_set(d->rep, DC_THROTTLE, shaped ? DOCTOR_AGREES : DOCTOR_DIFFERS,
                   "%d throttle repl%s, e.g. %s: HTTP %ld %s%s%lld", d->throttles, d->throttles == 1 ? "y" : "ies",
                   action, rp->status, rp->code ? rp->code : "(no code)", json_is_integer(coden) ? " CodeN " : "",
                   json_is_integer(coden) ? (long long)json_integer_value(coden) : 0LL);
    }
}

/* One signed Action; body is consumed (ProjectName added, as Portico
 * sends it on every Action). A throttled call is retried once, after a
 * pause: a handful of calls per Action at most. */
void doctor_call(struct doctor *d, const char *action, json_t *body, struct doctor_reply *rp)
{
    memset(rp, 0, sizeof *rp);
    char *req = NULL;
    if (!body || (!json_object_get(body, "ProjectName") &&
                  json_object_set_new(body, "ProjectName", json_string(d->project)) != 0) ||
        !(req = json_dumps(body, JSON_COMPACT))) {
        snprintf(rp->failure, sizeof rp->failure, "cannot build the request");
        json_decref(body);
        return;
    }
    json_decref(body);
    for (int attempt = 1; attempt <= 2; attempt++) {
        doctor_reply_free(rp);
        char *raw = NULL;
        struct up_error err;
        enum up_result r = d->up->ops->raw_action(d->up, action, req, &rp->status, &raw, &err);
        if (r != UP_OK) {
            snprintf(rp->failure, sizeof rp->failure, "%.63s: %.150s", err.code, err.message);
            break;
        }
        rp->answered = 1;
        json_error_t jerr;
        rp->root = raw && *raw ? json_loads(raw, 0, &jerr) : NULL;
        free(raw);
        json_t *error = json_object_get(json_object_get(rp->root, "ResponseMetadata"), "Error");
        json_t *code = json_object_get(error, "Code"), *msg = json_object_get(error, "Message");
        rp->code = json_is_string(code) ? json_string_value(code) : NULL;
        rp->message = json_is_string(msg) ? json_string_value(msg) : NULL;
        json_t *res = json_object_get(rp->root, "Result");
        rp->result = json_is_object(res) ? res : NULL;
        doctor_note_envelope(d, action, rp);
        if (!doctor_is_throttle(rp, error) || attempt == 2 || doctor_stop)
            break;
        clock_sleep_ms(DOCTOR_THROTTLE_WAIT_MS);
    }
    free(req);
}

const char *doctor_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Sets a check that could not run because an earlier step failed. */
void doctor_skip(struct doctor *d, enum doctor_check_id id, const char *why)
{
    if (d->rep->verdict[id] == DOCTOR_NOT_CHECKED)
        doctor_set(d->rep, id, DOCTOR_NOT_CHECKED, "%s", why);
}

void doctor_sleep(int64_t ms)
{
    /* In slices, so SIGINT ends the wait and the clean-up runs at once. */
    for (int64_t end = clock_mono_ms() + ms; !doctor_stop && clock_mono_ms() < end;)
        clock_sleep_ms(100);
}

