/* notify.c — the rules of a customer's webhook (API.md §4a):
 * UpdateNotificationConfig, GetNotificationConfig, DeleteNotificationConfig,
 * ListNotifications, and the two pure pieces the delivery worker
 * (outbox.c) and its unit tests share: the signature and the backoff.
 *
 * The URL is a customer's, so it passes the outbound URL policy
 * (core_url_check) here and again at connect time (util/urlguard.c, on
 * every delivery). https is required; plain http only when the operator's
 * allow-list (PORTICO_URL_ALLOW) names the host: a receiver on the public
 * internet gets signed bodies over TLS or not at all.
 *
 * The secret is shown once, when it is made (the first config, or
 * RotateSecret); afterwards only its last four characters. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/urlpolicy.h"

static const char *const status_names[] = {[NOTIFY_PENDING] = "Pending", [NOTIFY_DELIVERED] = "Delivered",
                                           [NOTIFY_FAILED] = "Failed"};

const char *core_notify_status_name(int status)
{
    return status >= NOTIFY_PENDING && status <= NOTIFY_FAILED ? status_names[status] : "Pending";
}

void core_notify_signature(const char *secret, int64_t unix_s, const char *body, size_t len, char out[65])
{
    /* HMAC-SHA256(secret, "<unix seconds>.<body>"): the timestamp is signed
     * with the body, so a captured delivery cannot be replayed later
     * under a fresh Portico-Timestamp. */
    char prefix[24];
    int n = snprintf(prefix, sizeof prefix, "%lld.", (long long)unix_s);
    uint8_t mac[32];
    struct buf b;
    buf_init(&b, (size_t)n + len + 1);
    if (buf_append(&b, prefix, (size_t)n) == 0 && buf_append(&b, body, len) == 0)
        crypto_hmac_sha256(secret, strlen(secret), b.data, b.len, mac);
    else
        memset(mac, 0, sizeof mac); /* out of memory: a signature no receiver accepts */
    buf_free(&b);
    crypto_hex(mac, sizeof mac, out);
}

int64_t core_notify_backoff_ms(int64_t base_ms, int attempts, double jitter)
{
    /* base, 2 base, 4 base, ... after the 1st, 2nd, 3rd failed attempt,
     * capped at an hour; jitter (0..1) spreads it over [0.8, 1.2) of that,
     * so receivers that come back are not hit by every retry at once. */
    if (base_ms < 1)
        base_ms = 1;
    if (attempts < 1)
        attempts = 1;
    int64_t d = base_ms;
    for (int i = 1; i < attempts && d < CORE_WEBHOOK_BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > CORE_WEBHOOK_BACKOFF_MAX_MS)
        d = CORE_WEBHOOK_BACKOFF_MAX_MS;
    if (jitter < 0)
        jitter = 0;
    if (jitter >= 1)
        jitter = 0.999999;
    return d - d / 5 + (int64_t)((double)(2 * d / 5) * jitter);
}

/* The webhook URL: http(s) and the outbound URL policy; http only to a
 * host the operator's allow-list names. */
static enum core_code notify_url_check(struct core *c, const char *url, struct core_status *st)
{
    if (rules_url(url, st) || core_url_check(c, url, st))
        return st->code;
    struct urlpolicy_url u;
    const char *why;
    if (urlpolicy_parse_url(url, &u, &why) != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "%s", why);
    if (!u.https && !urlpolicy_allowed(c->url_policy, u.host, u.is_ip ? &u.addr : NULL, u.port))
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "URL must be an https:// URL; plain http is accepted only for hosts the operator allows.");
    return CORE_OK;
}

int core_notify_events_mask(const char *const *types, size_t n, int *mask_out, struct core_status *st)
{
    int mask = 0;
    for (size_t i = 0; i < n; i++) {
        int k = core_event_kind(types[i]);
        if (k < 0)
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "Events[%zu] must be one of AssetActive, AssetFailed, LivenessPassed, LivenessFailed,"
                             " VideoSucceeded, VideoFailed.",
                             i);
        mask |= EVENT_BIT(k);
    }
    if (n > 0 && mask == 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "Events must name at least one event type; omit it for all.");
    *mask_out = mask;
    return CORE_OK;
}

static void notify_new_secret(char out[NOTIFY_SECRET_MAX])
{
    uint8_t raw[CORE_WEBHOOK_SECRET_BYTES];
    _Static_assert(2 * CORE_WEBHOOK_SECRET_BYTES < NOTIFY_SECRET_MAX, "the secret's hex fits its column");
    if (crypto_random(raw, sizeof raw) != 0) {
        out[0] = '\0';
        return;
    }
    crypto_hex(raw, sizeof raw, out);
}

enum core_code core_update_notify_config(struct core *c, const struct customer *cu, const char *url,
                                         const char *const *events, size_t n_events, int has_events, int rotate,
                                         struct notify_config *out, int *secret_shown, struct core_status *st)
{
    *secret_shown = 0;
    if (!url)
        return core_fail(st, CORE_INVALID_PARAMETER, "URL is required.");
    if (notify_url_check(c, url, st))
        return st->code;
    int mask = EVENT_ALL;
    if (has_events) {
        if (n_events == 0)
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "Events must name at least one event type; omit it for all.");
        if (core_notify_events_mask(events, n_events, &mask, st))
            return st->code;
    }
    struct notify_config cur;
    enum store_result r = c->store->ops->get_notify_config(c->store, cu->id, &cur);
    if (r != STORE_OK && r != STORE_NOT_FOUND)
        return core_store_failure(r, st);
    int had = r == STORE_OK;
    memset(out, 0, sizeof *out);
    out->customer_id = cu->id;
    snprintf(out->url, sizeof out->url, "%s", url);
    out->events = mask;
    if (had && !rotate && cur.secret[0]) {
        memcpy(out->secret, cur.secret, sizeof out->secret);
    } else {
        notify_new_secret(out->secret);
        if (!out->secret[0])
            return core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
        *secret_shown = 1;
    }
    int64_t now = clock_wall_ms();
    r = c->store->ops->put_notify_config(c->store, out, now);
    if (r != STORE_OK) {
        *secret_shown = 0;
        return core_store_failure(r, st);
    }
    out->update_ms = now;
    out->create_ms = had ? cur.create_ms : now;
    return CORE_OK;
}

enum core_code core_get_notify_config(struct core *c, const struct customer *cu, struct notify_config *out,
                                      struct core_status *st)
{
    enum store_result r = c->store->ops->get_notify_config(c->store, cu->id, out);
    if (r == STORE_NOT_FOUND) { /* none set: the same shape, empty (API.md §4a) */
        memset(out, 0, sizeof *out);
        out->customer_id = cu->id;
        return CORE_OK;
    }
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}

enum core_code core_delete_notify_config(struct core *c, const struct customer *cu, struct core_status *st)
{
    enum store_result r = c->store->ops->delete_notify_config(c->store, cu->id);
    return r == STORE_OK || r == STORE_NOT_FOUND ? CORE_OK : core_store_failure(r, st);
}

enum core_code core_list_notifications(struct core *c, const struct customer *cu, const char *const *statuses,
                                       size_t n_statuses, int page_number, int page_size,
                                       struct notification_list *out, struct core_status *st)
{
    if (rules_page(page_number, page_size, st))
        return st->code;
    int mask = 0;
    for (size_t i = 0; i < n_statuses; i++) {
        int found = -1;
        for (int s = NOTIFY_PENDING; s <= NOTIFY_FAILED; s++)
            if (strcmp(statuses[i], status_names[s]) == 0)
                found = s;
        if (found < 0)
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "Filter.Statuses[%zu] must be Pending, Delivered or Failed.", i);
        mask |= NOTIFY_STATUS_BIT(found);
    }
    enum store_result r =
        c->store->ops->list_notifications(c->store, cu->id, mask, page_number, page_size, out);
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}
