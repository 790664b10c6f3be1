/* test_notify.c — the webhook's pure pieces (core/notify.c): the
 * Portico-Signature over a fixed vector (computed independently with
 * Python's hmac module when this test was written), the retry schedule
 * (doubling from the base, capped at an hour, jitter within 0.8..1.2),
 * and the event Type names of a config's Events. */
#include <stdint.h>

#include "check.h"
#include "core/core.h"

static void test_signature_fixed_vector(void)
{
    /* python3 -c 'import hmac,hashlib; print(hmac.new(SECRET, b"1767225600." + BODY,
     *             hashlib.sha256).hexdigest())' */
    const char *secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const char *body = "{\"Id\":\"evt-20260101000000-abcde\",\"Type\":\"AssetActive\","
                       "\"CreateTime\":\"2026-01-01T00:00:00Z\",\"Data\":{}}";
    char sig[65];
    core_notify_signature(secret, 1767225600, body, strlen(body), sig);
    CHECK_STR(sig, "3d135df3c223f95ab004700cd5e5c4206d334b77a4eadfd7ffb63b91589064d6");
    /* the timestamp is part of what is signed */
    core_notify_signature(secret, 1767225601, body, strlen(body), sig);
    CHECK(strcmp(sig, "3d135df3c223f95ab004700cd5e5c4206d334b77a4eadfd7ffb63b91589064d6") != 0);
    /* an empty body: the key is the Secret's characters, the message "0." */
    core_notify_signature("whsec", 0, "", 0, sig);
    CHECK_STR(sig, "0d1dbfdae9a6e257f2fa78f48d7310b9ac3ba418a71f5ee3afe129f3c6c15578");
}

static void test_backoff_schedule(void)
{
    /* the middle of the jitter is the schedule itself: 1, 2, 4, 8 ... s */
    int64_t want = 1000;
    for (int attempt = 1; attempt <= 12; attempt++, want *= 2) {
        int64_t w = want > CORE_WEBHOOK_BACKOFF_MAX_MS ? CORE_WEBHOOK_BACKOFF_MAX_MS : want;
        CHECK(core_notify_backoff_ms(1000, attempt, 0.5) == w);
        CHECK(core_notify_backoff_ms(1000, attempt, 0.0) == w - w / 5);
        int64_t hi = core_notify_backoff_ms(1000, attempt, 1.0);
        CHECK(hi < w + w / 5 && hi > w);
    }
    CHECK(core_notify_backoff_ms(1000, 1, 0.5) == 1000);
    CHECK(core_notify_backoff_ms(1000, 2, 0.5) == 2000);
    CHECK(core_notify_backoff_ms(1000, 3, 0.5) == 4000);
    /* capped at an hour however many attempts (no overflow) */
    CHECK(core_notify_backoff_ms(1000, 13, 0.5) == CORE_WEBHOOK_BACKOFF_MAX_MS);
    CHECK(core_notify_backoff_ms(1000, 100000, 0.5) == CORE_WEBHOOK_BACKOFF_MAX_MS);
    CHECK(core_notify_backoff_ms(1000, 100000, 1.0) < CORE_WEBHOOK_BACKOFF_MAX_MS * 6 / 5);
    /* the test knob's base scales the whole schedule */
    CHECK(core_notify_backoff_ms(200, 3, 0.5) == 800);
    /* nonsense in, the first step out */
    CHECK(core_notify_backoff_ms(1000, 0, 0.5) == 1000);
    CHECK(core_notify_backoff_ms(1000, 1, -3) == 800);
}

static void test_event_names(void)
{
    struct core_status st = {0};
    const char *all[] = {"AssetActive", "AssetFailed", "LivenessPassed", "LivenessFailed", "VideoSucceeded",
                         "VideoFailed"};
    int mask = 0;
    CHECK(core_notify_events_mask(all, 6, &mask, &st) == CORE_OK && mask == EVENT_ALL);
    const char *two[] = {"VideoFailed", "AssetActive", "AssetActive"};
    CHECK(core_notify_events_mask(two, 3, &mask, &st) == CORE_OK &&
          mask == (EVENT_BIT(EVENT_VIDEO_FAILED) | EVENT_BIT(EVENT_ASSET_ACTIVE)));
    const char *bad[] = {"AssetActive", "assetactive"};
    CHECK(core_notify_events_mask(bad, 2, &mask, &st) == CORE_INVALID_PARAMETER);
    CHECK(strstr(st.message, "Events[1]") != NULL);
    CHECK_STR(core_notify_status_name(NOTIFY_PENDING), "Pending");
    CHECK_STR(core_notify_status_name(NOTIFY_DELIVERED), "Delivered");
    CHECK_STR(core_notify_status_name(NOTIFY_FAILED), "Failed");
}

int main(void)
{
    RUN(test_signature_fixed_vector);
    RUN(test_backoff_schedule);
    RUN(test_event_names);
    return check_summary();
}
