/* liveness.c — real-person portraits: the H5 face-scan flow of API.md §2.
 *
 * A customer opens a session (CreateVisualValidateSession: the upstream
 * issues a BytedToken and an H5Link for the end user's phone), the end user
 * scans their face on that page, and the upstream creates a LivenessFace
 * group when the scan passes. That group is recorded as the customer's,
 * once, counting toward its group quota: by GetVisualValidateResult, or by
 * the background poller (liveness_poller.c) for a customer who never asks.
 *
 * A pending session holds a place of the customer's group quota, like a
 * pending create: at the quota, no session starts (QuotaExceeded), so a
 * passed scan always has a place to become, and no group is made upstream
 * that the customer could not keep (such groups were orphans: in the
 * shared account, outside every quota). The place is released when the
 * session closes without a group.
 *
 * Invariant: once a session's group is recorded, the answer is that group
 * forever, from our own records and without asking the upstream; before
 * that, the upstream is the only source of truth about the scan, and the
 * token's expiry (which we also know) decides between ValidatePending and
 * TokenExpired. A closed session is never asked about again. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"

enum core_code core_create_validate_session(struct core *c, const struct customer *cu, const struct actor *who,
                                            const char *callback_url, struct validate_session *out,
                                            struct core_status *st)
{
    if (callback_url && !callback_url[0])
        callback_url = NULL;
    /* rules_url words its messages for the field "URL". */
    if (callback_url && rules_url(callback_url, st))
        return core_fail(st, CORE_INVALID_PARAMETER, "Callback%s", st->message);

    /* The session's place in the quota comes first, as for a create. */
    struct store *s = c->store;
    int64_t handle = 0, deadline = budget_deadline(&c->budget);
    enum store_result r;
    for (;;) { /* a quota full of creates in flight is not full yet (inflight.c) */
        uint64_t seen = inflight_kicks(c);
        r = s->ops->reserve_group(s, cu->id, "LivenessFace", "LivenessFace session", "", CORE_MAX_GROUPS,
                                  clock_wall_ms(), NULL, &handle);
        if (r != STORE_QUOTA_PENDING)
            break;
        if (inflight_wait_settle(c, seen, deadline) != 0)
            return core_quota_busy(st);
    }
    if (r == STORE_QUOTA)
        return core_fail(st, CORE_QUOTA_EXCEEDED,
                         "You already have %d asset groups (face scans in progress count too); delete one before "
                         "starting a face scan.", CORE_MAX_GROUPS);
    if (r != STORE_OK)
        return core_store_failure(r, st);

    /* A create of the account's (UPSTREAM.md "Account limits"), not an
     * asset: a create token, no place in flight. */
    if (budget_take(&c->budget, &c->budget.create, cu->id, deadline, st) != CORE_OK) {
        s->ops->release_group(s, handle);
        inflight_kick(c);
        return st->code;
    }
    struct up_validate_session us;
    struct up_error err = {0};
    enum up_result u = c->up->ops->create_validate_session(c->up, callback_url, &us, &err);
    core_count_upstream(c, cu->id, "CreateVisualValidateSession", u);
    if (u != UP_OK) {
        /* A session the upstream may have opened anyway has a link nobody
         * was given: no scan, no group can come from it. */
        s->ops->release_group(s, handle);
        return core_upstream_failure("CreateVisualValidateSession", u, &err, st);
    }

    memset(out, 0, sizeof *out);
    /* UP_TOKEN_MAX and UP_LINK_MAX equal the store's sizes: nothing is cut. */
    snprintf(out->token, sizeof out->token, "%s", us.token);
    snprintf(out->h5_link, sizeof out->h5_link, "%s", us.h5_link);
    snprintf(out->callback_url, sizeof out->callback_url, "%s", us.callback_url);
    out->customer_id = cu->id;
    out->expire_ms = us.expire_ms;
    int64_t now = clock_wall_ms();
    out->create_ms = out->update_ms = now;
    out->group_handle = handle;
    out->next_poll_ms = now + c->cfg.liveness_poll_ms;
    if (who) { /* the audit log's: which key started it, from where */
        snprintf(out->actor, sizeof out->actor, "%s", who->key_prefix);
        snprintf(out->actor_addr, sizeof out->actor_addr, "%s", who->addr);
    }
    r = s->ops->create_session(s, out, now);
    if (r != STORE_OK) {
        s->ops->release_group(s, handle);
        return core_store_failure(r, st);
    }
    return CORE_OK;
}

static enum core_code liveness_invalid_token(struct core_status *st)
{
    /* Unknown and another customer's token read the same: a token's
     * existence is never revealed. */
    return core_fail(st, CORE_INVALID_TOKEN, "The BytedToken is unknown; use a token from your own "
                                             "CreateVisualValidateSession.");
}

/* The token is spent: no group can come from it any more. */
static enum core_code liveness_failed(struct core_status *st)
{
    return core_fail(st, CORE_INVALID_TOKEN,
                     "The face scan for this BytedToken did not pass; start a new session with "
                     "CreateVisualValidateSession.");
}

static enum core_code liveness_expired(struct core_status *st)
{
    return core_fail(st, CORE_TOKEN_EXPIRED, "The BytedToken expired before the face scan completed; start a "
                                             "new session with CreateVisualValidateSession.");
}

int liveness_delete_upstream(struct core *c, int64_t customer_id, const char *group_id)
{
    struct core_status st = {0};
    if (budget_wait(&c->budget, &c->budget.mutate, &st) != CORE_OK)
        return -1;
    struct up_error err = {0};
    enum up_result u = c->up->ops->delete_group(c->up, group_id, &err);
    core_count_upstream(c, customer_id, "DeleteAssetGroup", u);
    return u == UP_OK || u == UP_NOT_FOUND ? 0 : -1;
}

void liveness_result_code(const struct up_validate_result *res, char out[static 32])
{
    /* The upstream's message may carry the H5 page's resultCode ("...
     * (resultCode 10001)"); else the outcome's own word. */
    const char *p = res->state == UP_VALIDATE_FAILED ? strstr(res->message, "resultCode") : NULL;
    size_t n = 0;
    if (p) {
        p += strlen("resultCode");
        while (*p == ' ' || *p == '=' || *p == ':')
            p++;
        while (n < 10 && p[n] >= '0' && p[n] <= '9')
            n++;
    }
    if (n)
        snprintf(out, 32, "%.*s", (int)n, p);
    else
        snprintf(out, 32, "%s", res->state == UP_VALIDATE_FAILED ? "ValidateFailed" : "TokenExpired");
}

/* Closes a pending session as state, with its LivenessFailed event. */
enum store_result liveness_close(struct core *c, int64_t customer_id, const char *token,
                                 enum store_session_state state, const char *result_code, int64_t now_ms)
{
    struct event ev;
    const struct event *evp = core_event_liveness(&ev, customer_id, token, NULL,
                                                  state == STORE_SESSION_FAILED ? "Failed" : "Expired", now_ms);
    enum store_result r = c->store->ops->close_session(c->store, token, state, result_code, now_ms, evp);
    if (r == STORE_OK)
        core_event_recorded(c, evp);
    return r;
}

/* The scan passed upstream: make its group the customer's, once. */
enum core_code liveness_record(struct core *c, int64_t customer_id, const char *token, const char *group_id,
                               char group_id_out[static IDS_MAX], struct core_status *st)
{
    int64_t now = clock_wall_ms();
    char when[21], name[64];
    clock_rfc3339(now, when);
    snprintf(name, sizeof name, "LivenessFace %s", when);
    struct event ev;
    const struct event *evp = core_event_liveness(&ev, customer_id, token, group_id, NULL, now);
    enum store_result r = c->store->ops->record_session_group(c->store, customer_id, token, group_id, name,
                                                              CORE_MAX_GROUPS, now, group_id_out, evp);
    /* recorded by this call only when the session's group is the one we gave */
    if (r == STORE_OK && strcmp(group_id_out, group_id) == 0)
        core_event_recorded(c, evp);
    if (r == STORE_NOT_FOUND)
        return liveness_invalid_token(st);
    if (r == STORE_CONFLICT) /* closed meanwhile: the orphan sweep removes the group */
        return liveness_expired(st);
    if (r == STORE_QUOTA) {
        /* Only a session from before sessions held places gets here. The
         * group cannot be kept: remove it rather than leave it in the
         * shared account outside every quota. */
        if (liveness_delete_upstream(c, customer_id, group_id) == 0)
            liveness_close(c, customer_id, token, STORE_SESSION_EXPIRED, "QuotaExceeded", now);
        log_warn("liveness: session over the group quota; removed its group %s upstream", group_id);
        return core_fail(st, CORE_QUOTA_EXCEEDED,
                         "You already have %d asset groups, so the face scan's group could not be kept; delete "
                         "one, then start a new session.", CORE_MAX_GROUPS);
    }
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

/* The customer's session of token (a BytedToken): CORE_OK, or the error
 * that answers for it (none given, unknown, the store failing). */
static enum core_code liveness_session(struct core *c, int64_t customer_id, const char *token,
                                       struct validate_session *v, struct core_status *st)
{
    if (!token || !token[0])
        return core_fail(st, CORE_INVALID_PARAMETER, "BytedToken is required.");
    enum store_result r = c->store->ops->get_session(c->store, customer_id, token, v);
    if (r == STORE_NOT_FOUND)
        return liveness_invalid_token(st);
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

enum core_code core_get_validate_result(struct core *c, const struct customer *cu, const char *token,
                                        char group_id_out[static IDS_MAX], struct core_status *st)
{
    struct validate_session v;
    enum core_code k = liveness_session(c, cu->id, token, &v, st);
    if (k != CORE_OK)
        return k;
    if (v.group_id[0]) {
        snprintf(group_id_out, IDS_MAX, "%s", v.group_id);
        return CORE_OK;
    }
    if (v.state == STORE_SESSION_FAILED)
        return liveness_failed(st);
    int64_t now = clock_wall_ms();
    if (v.state != STORE_SESSION_PENDING || now > v.expire_ms + LIVENESS_LATE_MS)
        return liveness_expired(st);

    if (budget_wait(&c->budget, &c->budget.mutate, st) != CORE_OK)
        return st->code;
    struct up_validate_result res;
    struct up_error err = {0};
    enum up_result u = c->up->ops->get_validate_result(c->up, v.token, &res, &err);
    core_count_upstream(c, cu->id, "GetVisualValidateResult", u);
    if (u != UP_OK)
        return core_upstream_failure("GetVisualValidateResult", u, &err, st);
    if (res.state == UP_VALIDATE_PASSED)
        return liveness_record(c, cu->id, v.token, res.group_id, group_id_out, st);
    /* The upstream's last word on the scan: the session's place goes. */
    if (res.state == UP_VALIDATE_FAILED || res.state == UP_VALIDATE_EXPIRED) {
        char code[32];
        liveness_result_code(&res, code);
        liveness_close(c, cu->id, v.token,
                       res.state == UP_VALIDATE_FAILED ? STORE_SESSION_FAILED : STORE_SESSION_EXPIRED, code,
                       clock_wall_ms());
    }

    /* Not passed: our clock decides expiry, whatever the upstream says. */
    if (res.state != UP_VALIDATE_FAILED && (clock_wall_ms() >= v.expire_ms || res.state == UP_VALIDATE_EXPIRED))
        return liveness_expired(st);
    switch (res.state) {
    case UP_VALIDATE_PENDING:
        return core_fail(st, CORE_VALIDATE_PENDING,
                         "The face scan has not been completed yet; ask again in a few seconds.");
    case UP_VALIDATE_FAILED:
        return liveness_failed(st);
    default:
        /* We issued this token, yet the upstream does not know it. */
        return core_fail(st, CORE_UPSTREAM_ERROR,
                         "The upstream does not know this BytedToken; start a new session.");
    }
}

enum core_code core_validate_session_link(struct core *c, const struct customer *cu, const char *token,
                                          char link_out[static STORE_LINK_MAX], struct core_status *st)
{
    link_out[0] = '\0';
    struct validate_session v;
    enum core_code k = liveness_session(c, cu->id, token, &v, st);
    if (k != CORE_OK)
        return k;
    /* The link is the end user's way in only while the scan can happen. */
    if (v.group_id[0] || v.state != STORE_SESSION_PENDING || clock_wall_ms() >= v.expire_ms)
        return core_fail(st, CORE_TOKEN_EXPIRED,
                         "The H5Link of this BytedToken is closed (the scan finished or the token expired); ask "
                         "GetVisualValidateResult for the outcome, or start a new session.");
    snprintf(link_out, STORE_LINK_MAX, "%s", v.h5_link);
    return CORE_OK;
}
