/* idempotency.c — ClientToken: a create repeated with the same token within
 * 24 hours answers the first result and creates nothing.
 *
 * A token is claimed in the store before the create starts (store.h,
 * idem_claim), so exactly one of any number of concurrent repeats — on one
 * node or several sharing PostgreSQL — creates; the others wait up to
 * ONCE_WAIT_MS for its result and then answer TooManyRequests (retriable:
 * the repeat after Retry-After gets the result). A create that fails frees
 * the token, so a retry with it creates. What makes a repeat "the same
 * request" is a SHA-256 over the Action and the fields the caller names;
 * the same token with different fields is InvalidParameter.
 *
 * A claim whose request died with its process (in progress for longer than
 * ONCE_STALE_MS, far past any create's duration) may be taken over. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"

#define ONCE_TTL_MS (24 * 3600 * 1000LL)
#define ONCE_STALE_MS (10 * 60 * 1000LL)
#define ONCE_WAIT_MS 8000
#define ONCE_POLL_MS 100

static int token_ok(const char *t)
{
    size_t n = strnlen(t, CORE_CLIENT_TOKEN_MAX + 1);
    if (n == 0 || n > CORE_CLIENT_TOKEN_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
            return 0;
    return 1;
}

/* Hex SHA-256 of action and fields, each length-prefixed (a missing field
 * differs from an empty one). */
static int request_hash(const char *action, const char *const *fields, size_t n, char out[static 65])
{
    char buf[8192];
    size_t len = 0;
    int w = snprintf(buf, sizeof buf, "%zu:%s", strlen(action), action);
    if (w < 0 || (size_t)w >= sizeof buf)
        return -1;
    len = (size_t)w;
    for (size_t i = 0; i < n; i++) {
        w = fields[i] ? snprintf(buf + len, sizeof buf - len, "|%zu:%s", strlen(fields[i]), fields[i])
                      : snprintf(buf + len, sizeof buf - len, "|-");
        if (w < 0 || (size_t)w >= sizeof buf - len)
            return -1;
        len += (size_t)w;
    }
    crypto_sha256_hex(buf, len, out);
    return 0;
}

enum core_code core_once_begin(struct core *c, const struct customer *cu, const char *token, const char *action,
                               const char *const *fields, size_t n_fields, struct core_once *o,
                               struct core_status *st)
{
    memset(o, 0, sizeof *o);
    if (!token)
        return CORE_OK;
    if (!token_ok(token))
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "ClientToken must be 1 to %d printable ASCII characters without spaces.",
                         CORE_CLIENT_TOKEN_MAX);
    char hash[65];
    if (request_hash(action, fields, n_fields, hash) != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "The request is too large to be made idempotent.");
    struct store *s = c->store;
    if (!s->ops->idem_claim)
        return core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
    int64_t deadline = clock_mono_ms() + ONCE_WAIT_MS;
    for (;;) {
        int64_t now = clock_wall_ms();
        enum store_idem state;
        enum store_result r =
            s->ops->idem_claim(s, cu->id, token, hash, now, now - ONCE_TTL_MS, now - ONCE_STALE_MS, &state, o->replay);
        if (r != STORE_OK)
            return core_store_failure(r, st);
        switch (state) {
        case STORE_IDEM_NEW:
            o->active = 1;
            o->customer_id = cu->id;
            snprintf(o->token, sizeof o->token, "%s", token);
            o->replay[0] = '\0';
            return CORE_OK;
        case STORE_IDEM_SAME:
            if (o->replay[0])
                return CORE_OK;
            log_error("idempotency: completed token without a result");
            return core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
        case STORE_IDEM_DIFFERENT:
            o->replay[0] = '\0';
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "ClientToken was already used for a different request; use a new token.");
        case STORE_IDEM_IN_PROGRESS:
            break;
        }
        if (clock_mono_ms() >= deadline) {
            core_fail(st, CORE_TOO_MANY_REQUESTS,
                      "A request with this ClientToken is still being processed; retry after the Retry-After time.");
            st->retry_after_s = 1;
            return CORE_TOO_MANY_REQUESTS;
        }
        clock_sleep_ms(ONCE_POLL_MS);
    }
}

void core_once_end(struct core *c, struct core_once *o, const char *result)
{
    if (!o->active)
        return;
    struct store *s = c->store;
    enum store_result r = result ? s->ops->idem_complete(s, o->customer_id, o->token, result)
                                 : s->ops->idem_release(s, o->customer_id, o->token);
    /* A failure here only costs the repeat: it waits out the stale claim. */
    if (r != STORE_OK)
        log_warn("idempotency: cannot %s a ClientToken: %s", result ? "complete" : "release", store_result_str(r));
    o->active = 0;
}
