/* store_usage_cases.h — usage metering and the audit log of the store
 * (store/usage.c, usage_recount.c, audit.c), as cases over any backend:
 * test_store_usage.c runs them on SQLite, test_store_pg.c on PostgreSQL.
 * Each case gets a fresh, empty store. */
#ifndef PORTICO_STORE_USAGE_CASES_H
#define PORTICO_STORE_USAGE_CASES_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/store.h"

static int64_t uc_customer(struct store *s, const char *name)
{
    struct customer c;
    return s->ops->put_customer(s, name, 1, NULL, &c) == STORE_OK ? c.id : -1;
}

#define DAY0 (20000LL * USAGE_DAY_MS) /* 2024-10-04T00:00:00Z */
#define ON_DAY(d, ms) (DAY0 + (d) * USAGE_DAY_MS + (ms))

/* The counter of (customer, day, metric) in a day list; 0 when absent. */
static int64_t uc_get(const struct usage_count_list *l, int64_t customer, int64_t day, const char *metric)
{
    int64_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].customer_id == customer && l->items[i].day == day && strcmp(l->items[i].metric, metric) == 0)
            n += l->items[i].n;
    return n;
}

/* Day d's counter of metric, read back with get_usage. */
static int64_t uc_day(struct store *s, int64_t customer, int64_t d, const char *metric)
{
    struct usage_report rep;
    int64_t day = DAY0 / USAGE_DAY_MS + d;
    if (s->ops->get_usage(s, customer, day, day, 1000, &rep) != STORE_OK)
        return -999;
    int64_t n = uc_get(&rep.days, customer, day, metric);
    s->ops->free_usage_report(&rep);
    return n;
}

/* A stock at the end of day d. */
static int64_t uc_stock(struct store *s, int64_t customer, int64_t d, const char *metric)
{
    struct usage_report rep;
    int64_t day = DAY0 / USAGE_DAY_MS + d;
    if (s->ops->get_usage(s, customer, day, day, 1000, &rep) != STORE_OK)
        return -999;
    int64_t n = uc_get(&rep.ends, customer, day, metric);
    s->ops->free_usage_report(&rep);
    return n;
}

/* How many counters disagree with a recount of the records (-1: error). */
static long uc_mismatches(struct store *s)
{
    struct usage_mismatch_list m;
    if (s->ops->usage_recount(s, &m) != STORE_OK)
        return -1;
    for (size_t i = 0; i < m.n; i++)
        fprintf(stderr, "  mismatch: customer %lld day %lld %s counted %lld recounted %lld\n",
                (long long)m.items[i].customer_id, (long long)m.items[i].day, m.items[i].metric,
                (long long)m.items[i].counted, (long long)m.items[i].recounted);
    long n = (long)m.n;
    free(m.items);
    return n;
}

static struct actor uc_who(int64_t customer, const char *prefix, const char *addr)
{
    struct actor w = {.customer_id = customer};
    snprintf(w.key_prefix, sizeof w.key_prefix, "%s", prefix);
    snprintf(w.addr, sizeof w.addr, "%s", addr);
    return w;
}

static int uc_group(struct store *s, int64_t customer, const char *id, int64_t now)
{
    int64_t h = 0;
    return s->ops->reserve_group(s, customer, "AIGC", "g", "", 50, now, NULL, &h) == STORE_OK &&
                   s->ops->confirm_group(s, h, id, now) == STORE_OK
               ? 0
               : -1;
}

static int uc_asset(struct store *s, int64_t customer, const char *group, const char *id, int64_t bytes,
                    const struct actor *who, int64_t now)
{
    int64_t h = 0;
    return s->ops->reserve_asset(s, customer, group, "Image", "a", "http://127.0.0.1:9/a.png", bytes ? "k" : NULL,
                                 bytes, who, 50, now, NULL, &h, NULL) == STORE_OK &&
                   s->ops->confirm_asset(s, h, id, now, now) == STORE_OK
               ? 0
               : -1;
}

/* Groups and assets move their counters in their own transactions, on the
 * day they change; a stock is read as it stood at the end of each day; a
 * recount of the records agrees, and notices a counter that lies. */
static void case_usage_counts_groups_and_assets(struct store *s)
{
    int64_t a = uc_customer(s, "alice"), b = uc_customer(s, "bob");
    struct actor wa = uc_who(a, "ptc_AAAAAAAA", "127.0.0.1");
    CHECK(uc_group(s, a, "group-20241004000000-aaaaa", ON_DAY(0, 1000)) == 0);
    CHECK(uc_asset(s, a, "group-20241004000000-aaaaa", "asset-20241004000000-aaaa1", 1000, &wa, ON_DAY(0, 2000)) == 0);
    CHECK(uc_asset(s, a, "group-20241004000000-aaaaa", "asset-20241004000000-aaaa2", 0, &wa, ON_DAY(0, 3000)) == 0);
    CHECK(uc_group(s, b, "group-20241004000000-bbbbb", ON_DAY(0, 1000)) == 0);
    /* a reservation never confirmed counts nothing */
    int64_t h = 0;
    CHECK(s->ops->reserve_asset(s, a, "group-20241004000000-aaaaa", "Image", "p", "http://127.0.0.1:9/p.png", "kp", 77,
                                &wa, 50, ON_DAY(0, 4000), NULL, &h, NULL) == STORE_OK);
    CHECK(uc_day(s, a, 0, USAGE_GROUPS_CREATED) == 1);
    CHECK(uc_day(s, a, 0, USAGE_ASSETS_CREATED) == 2);
    CHECK(uc_day(s, a, 0, USAGE_BYTES_UPLOADED) == 1000);
    CHECK(uc_stock(s, a, 0, USAGE_LIVE_BYTES) == 1000);
    CHECK(uc_stock(s, a, 0, USAGE_LIVE_ASSETS "Processing") == 2);
    CHECK(uc_stock(s, b, 0, USAGE_LIVE_GROUPS) == 1);
    CHECK(uc_stock(s, b, 0, USAGE_LIVE_ASSETS "Processing") == 0);

    /* day 1: one turns Active (once: the same status again moves nothing) */
    CHECK(s->ops->set_asset_status(s, "asset-20241004000000-aaaa1", "Active", "", "", "", ON_DAY(1, 0), NULL) ==
          STORE_OK);
    CHECK(s->ops->set_asset_status(s, "asset-20241004000000-aaaa1", "Active", "", "", "", ON_DAY(1, 5), NULL) ==
          STORE_OK);
    CHECK(uc_stock(s, a, 0, USAGE_LIVE_ASSETS "Active") == 0);
    CHECK(uc_stock(s, a, 1, USAGE_LIVE_ASSETS "Active") == 1);
    CHECK(uc_stock(s, a, 1, USAGE_LIVE_ASSETS "Processing") == 1);
    CHECK(uc_day(s, a, 1, USAGE_ASSETS_CREATED) == 0);
    /* day 2: the Active one is deleted, its bytes with it */
    struct actor wd = uc_who(a, "ptc_AAAAAAAA", "127.0.0.3");
    CHECK(s->ops->delete_asset(s, a, "asset-20241004000000-aaaa1", ON_DAY(2, 0), &wd) == STORE_OK);
    CHECK(s->ops->delete_asset(s, a, "asset-20241004000000-aaaa1", ON_DAY(2, 1), &wd) == STORE_NOT_FOUND);
    CHECK(uc_day(s, a, 2, USAGE_ASSETS_DELETED) == 1);
    CHECK(uc_stock(s, a, 2, USAGE_LIVE_ASSETS "Active") == 0);
    CHECK(uc_stock(s, a, 2, USAGE_LIVE_BYTES) == 0);
    CHECK(uc_stock(s, a, 1, USAGE_LIVE_BYTES) == 1000); /* as it stood then */
    CHECK(uc_mismatches(s) == 0);

    /* A counter that lies is caught: one group too many on day 1. */
    struct usage_count lie = {.customer_id = a, .day = DAY0 / USAGE_DAY_MS + 1, .n = 1};
    snprintf(lie.metric, sizeof lie.metric, "%s", USAGE_GROUPS_CREATED);
    CHECK(s->ops->add_usage(s, &lie, 1) == STORE_OK);
    struct usage_mismatch_list m;
    CHECK(s->ops->usage_recount(s, &m) == STORE_OK);
    CHECK(m.n == 1);
    if (m.n == 1) {
        CHECK(m.items[0].customer_id == a && m.items[0].day == DAY0 / USAGE_DAY_MS + 1);
        CHECK_STR(m.items[0].metric, USAGE_GROUPS_CREATED);
        CHECK(m.items[0].counted == 1 && m.items[0].recounted == 0);
    }
    free(m.items);
    /* and so is a stock whose running sum went astray */
    lie.n = -1;
    CHECK(s->ops->add_usage(s, &lie, 1) == STORE_OK);
    snprintf(lie.metric, sizeof lie.metric, "%s", USAGE_LIVE_BYTES);
    lie.n = 5;
    CHECK(s->ops->add_usage(s, &lie, 1) == STORE_OK);
    CHECK(uc_mismatches(s) == 2); /* the sum of its moves, and its running sum */
}

/* Deleting a group takes its live assets, each counted in the status it
 * had, and counts nothing for a pending reservation it sweeps up. */
static void case_usage_delete_group_counts_its_assets(struct store *s)
{
    int64_t a = uc_customer(s, "alice");
    const char *g = "group-20241004000000-ggggg";
    CHECK(uc_group(s, a, g, ON_DAY(0, 0)) == 0);
    CHECK(uc_asset(s, a, g, "asset-20241004000000-ggg01", 10, NULL, ON_DAY(0, 1)) == 0);
    CHECK(uc_asset(s, a, g, "asset-20241004000000-ggg02", 20, NULL, ON_DAY(0, 2)) == 0);
    CHECK(uc_asset(s, a, g, "asset-20241004000000-ggg03", 0, NULL, ON_DAY(0, 3)) == 0);
    CHECK(s->ops->set_asset_status(s, "asset-20241004000000-ggg01", "Active", "", "", "", ON_DAY(0, 4), NULL) ==
          STORE_OK);
    CHECK(s->ops->set_asset_status(s, "asset-20241004000000-ggg02", "Failed", "r", "c", "m", ON_DAY(0, 5), NULL) ==
          STORE_OK);
    int64_t h = 0;
    CHECK(s->ops->reserve_asset(s, a, g, "Image", "p", "http://127.0.0.1:9/p.png", "kp", 99, NULL, 50, ON_DAY(0, 6),
                                NULL, &h, NULL) == STORE_OK);
    struct actor who = uc_who(a, "ptc_GGGGGGGG", "::1");
    CHECK(s->ops->delete_group(s, a, g, ON_DAY(1, 0), &who) == STORE_OK);
    CHECK(uc_day(s, a, 1, USAGE_GROUPS_DELETED) == 1);
    CHECK(uc_day(s, a, 1, USAGE_ASSETS_DELETED) == 3);
    CHECK(uc_stock(s, a, 1, USAGE_LIVE_GROUPS) == 0);
    CHECK(uc_stock(s, a, 1, USAGE_LIVE_BYTES) == 0);
    CHECK(uc_stock(s, a, 0, USAGE_LIVE_BYTES) == 30);
    CHECK(uc_stock(s, a, 0, USAGE_LIVE_ASSETS "Failed") == 1);
    CHECK(uc_stock(s, a, 1, USAGE_LIVE_ASSETS "Failed") == 0);
    CHECK(uc_stock(s, a, 1, USAGE_LIVE_ASSETS "Active") == 0);
    CHECK(uc_stock(s, a, 1, USAGE_LIVE_ASSETS "Processing") == 0);
    /* the swept reservation cannot come alive, nor be counted */
    CHECK(s->ops->confirm_asset(s, h, "asset-20241004000000-ggg04", ON_DAY(1, 1), 0) == STORE_NOT_FOUND);
    CHECK(uc_day(s, a, 1, USAGE_ASSETS_CREATED) == 0);
    CHECK(uc_mismatches(s) == 0);

    struct audit_filter f = {.customer_id = a, .type = AUDIT_GROUP_DELETED, .limit = 10};
    struct audit_list l;
    CHECK(s->ops->list_audit(s, &f, &l) == STORE_OK);
    CHECK(l.n == 1 && l.next_seq == 0);
    if (l.n == 1) {
        CHECK_STR(l.items[0].subject, g);
        CHECK_STR(l.items[0].group_id, g);
        CHECK_STR(l.items[0].actor, "ptc_GGGGGGGG");
        CHECK_STR(l.items[0].actor_addr, "::1");
        CHECK_STR(l.items[0].customer, "alice");
        CHECK(l.items[0].create_ms == ON_DAY(1, 0));
        CHECK_STR(l.items[0].detail, "{\"GroupType\":\"AIGC\",\"AssetsDeleted\":3}");
    }
    free(l.items);
}

/* Liveness sessions and video tasks: started, passed, failed, expired;
 * created, succeeded (with their seconds), failed. Each session leaves its
 * audit entries, with the key that started it; an asset registered into
 * the LivenessFace group names the session that made it. */
static void case_usage_sessions_videos_and_audit(struct store *s)
{
    int64_t a = uc_customer(s, "alice");
    const char *tok[3] = {"tok-pass", "tok-fail", "tok-late"};
    for (int i = 0; i < 3; i++) {
        int64_t h = 0;
        struct validate_session v;
        memset(&v, 0, sizeof v);
        snprintf(v.token, sizeof v.token, "%s", tok[i]);
        v.customer_id = a;
        v.expire_ms = ON_DAY(0, 120000);
        snprintf(v.actor, sizeof v.actor, "ptc_SSSSSSS%d", i);
        snprintf(v.actor_addr, sizeof v.actor_addr, "127.0.2.%d", i + 1);
        CHECK(s->ops->reserve_group(s, a, "LivenessFace", "LivenessFace session", "", 50, ON_DAY(0, 0), NULL, &h) ==
              STORE_OK);
        v.group_handle = h;
        CHECK(s->ops->create_session(s, &v, ON_DAY(0, 10 + i)) == STORE_OK);
    }
    char out[IDS_MAX];
    const char *lg = "group-20241004000000-lllll";
    CHECK(s->ops->record_session_group(s, a, "tok-pass", lg, "LivenessFace x", 50, ON_DAY(1, 0), out, NULL) ==
          STORE_OK);
    CHECK_STR(out, lg);
    /* again: the same group, nothing counted twice */
    CHECK(s->ops->record_session_group(s, a, "tok-pass", lg, "LivenessFace x", 50, ON_DAY(1, 1), out, NULL) ==
          STORE_OK);
    CHECK(s->ops->close_session(s, "tok-fail", STORE_SESSION_FAILED, "10001", ON_DAY(1, 2), NULL) == STORE_OK);
    CHECK(s->ops->close_session(s, "tok-late", STORE_SESSION_EXPIRED, "TokenExpired", ON_DAY(2, 0), NULL) ==
          STORE_OK);
    CHECK(s->ops->close_session(s, "tok-late", STORE_SESSION_EXPIRED, "TokenExpired", ON_DAY(2, 1), NULL) ==
          STORE_NOT_FOUND);
    CHECK(uc_day(s, a, 0, USAGE_LIVENESS_STARTED) == 3);
    CHECK(uc_day(s, a, 1, USAGE_LIVENESS_PASSED) == 1);
    CHECK(uc_day(s, a, 1, USAGE_LIVENESS_FAILED) == 1);
    CHECK(uc_day(s, a, 2, USAGE_LIVENESS_EXPIRED) == 1);
    CHECK(uc_day(s, a, 1, USAGE_GROUPS_CREATED) == 1);
    CHECK(uc_stock(s, a, 1, USAGE_LIVE_GROUPS) == 1);
    struct validate_session got;
    CHECK(s->ops->get_session(s, a, "tok-fail", &got) == STORE_OK);
    CHECK_STR(got.result_code, "10001");
    CHECK_STR(got.actor, "ptc_SSSSSSS1");
    CHECK(s->ops->get_session(s, a, "tok-pass", &got) == STORE_OK);
    CHECK_STR(got.result_code, STORE_RESULT_PASSED);

    /* a real person's face into the LivenessFace group: audited */
    struct actor wa = uc_who(a, "ptc_UUUUUUUU", "127.51.100.7");
    CHECK(uc_asset(s, a, lg, "asset-20241004000000-face1", 4096, &wa, ON_DAY(3, 0)) == 0);

    /* videos: one succeeds with its seconds, one fails */
    struct video_task t;
    memset(&t, 0, sizeof t);
    t.customer_id = a;
    snprintf(t.model, sizeof t.model, "seedance-2.0");
    snprintf(t.status, sizeof t.status, "queued");
    t.create_ms = t.update_ms = ON_DAY(3, 0);
    t.seconds = 5;
    snprintf(t.id, sizeof t.id, "vid-20241007000000-vvvv1");
    CHECK(s->ops->insert_video_task(s, &t, "{}") == STORE_OK);
    snprintf(t.id, sizeof t.id, "vid-20241007000000-vvvv2");
    CHECK(s->ops->insert_video_task(s, &t, "{}") == STORE_OK);
    snprintf(t.id, sizeof t.id, "vid-20241007000000-vvvv1");
    snprintf(t.status, sizeof t.status, "running");
    CHECK(s->ops->update_video_task(s, &t, ON_DAY(3, 10), 0, 1, NULL) == STORE_OK);
    snprintf(t.status, sizeof t.status, "succeeded");
    snprintf(t.video_url, sizeof t.video_url, "http://127.0.0.1:9/v.mp4");
    t.seconds = 8; /* the upstream's own length */
    CHECK(s->ops->update_video_task(s, &t, ON_DAY(4, 0), 0, 2, NULL) == STORE_OK);
    CHECK(s->ops->update_video_task(s, &t, ON_DAY(4, 5), 0, 3, NULL) == STORE_OK); /* again: no second count */
    snprintf(t.id, sizeof t.id, "vid-20241007000000-vvvv2");
    snprintf(t.status, sizeof t.status, "failed");
    t.video_url[0] = '\0';
    snprintf(t.error_code, sizeof t.error_code, "asset_timeout");
    CHECK(s->ops->update_video_task(s, &t, ON_DAY(4, 1), 0, 1, NULL) == STORE_OK);
    CHECK(uc_day(s, a, 3, USAGE_VIDEOS_CREATED) == 2);
    CHECK(uc_day(s, a, 4, USAGE_VIDEOS_SUCCEEDED) == 1);
    CHECK(uc_day(s, a, 4, USAGE_VIDEOS_FAILED) == 1);
    CHECK(uc_day(s, a, 4, USAGE_VIDEO_SECONDS) == 8);
    CHECK(uc_mismatches(s) == 0);

    /* The audit log, newest first: every entry once, with its who. */
    struct audit_filter f = {.customer_id = -1, .limit = 100};
    struct audit_list l;
    CHECK(s->ops->list_audit(s, &f, &l) == STORE_OK);
    CHECK(l.n == 8); /* 3 started, passed, failed, expired, the face; alice created first */
    const char *want[] = {AUDIT_LIVENESS_ASSET,  AUDIT_LIVENESS_EXPIRED, AUDIT_LIVENESS_FAILED, AUDIT_LIVENESS_PASSED,
                          AUDIT_LIVENESS_STARTED, AUDIT_LIVENESS_STARTED, AUDIT_LIVENESS_STARTED};
    for (size_t i = 0; i < l.n && i < 7; i++) {
        CHECK_STR(l.items[i].type, want[i]);
        CHECK(i == 0 || l.items[i].seq < l.items[i - 1].seq);
        CHECK(l.items[i].customer_id == a);
    }
    if (l.n == 8) {
        CHECK_STR(l.items[7].type, AUDIT_CUSTOMER_CREATED);
        CHECK_STR(l.items[0].subject, "asset-20241004000000-face1");
        CHECK_STR(l.items[0].group_id, lg);
        CHECK_STR(l.items[0].actor, "ptc_UUUUUUUU");
        CHECK_STR(l.items[0].actor_addr, "127.51.100.7");
        CHECK_STR(l.items[0].detail, "{\"AssetType\":\"Image\",\"Bytes\":4096,\"BytedToken\":\"tok-pass\"}");
        CHECK_STR(l.items[1].subject, "tok-late");
        CHECK_STR(l.items[1].actor, "ptc_SSSSSSS2");
        CHECK(strstr(l.items[1].detail, "\"ResultCode\":\"TokenExpired\"") != NULL);
        CHECK_STR(l.items[2].actor_addr, "127.0.2.2");
        CHECK(strstr(l.items[2].detail, "\"ResultCode\":\"10001\"") != NULL);
        /* the passed session: its group, its times, its key and address */
        CHECK_STR(l.items[3].subject, "tok-pass");
        CHECK_STR(l.items[3].group_id, lg);
        CHECK_STR(l.items[3].actor, "ptc_SSSSSSS0");
        CHECK_STR(l.items[3].actor_addr, "127.0.2.1");
        CHECK_STR(l.items[3].detail, "{\"StartTime\":\"2024-10-04T00:00:00Z\",\"ExpireTime\":\"2024-10-04T00:02:00Z\","
                                     "\"EndTime\":\"2024-10-05T00:00:00Z\",\"ResultCode\":\"10000\"}");
        CHECK(l.items[3].create_ms == ON_DAY(1, 0));
        CHECK_STR(l.items[6].subject, "tok-pass");
        CHECK(strstr(l.items[6].detail, "\"ExpireTime\":\"2024-10-04T00:02:00Z\"") != NULL);
    }
    free(l.items);

    /* filters: type, group, time range, and pages by cursor */
    struct audit_filter by_group = {.customer_id = a, .group_id = lg, .limit = 10};
    CHECK(s->ops->list_audit(s, &by_group, &l) == STORE_OK);
    CHECK(l.n == 2); /* passed, and the face */
    free(l.items);
    struct audit_filter by_time = {.customer_id = -1, .from_ms = ON_DAY(1, 0), .to_ms = ON_DAY(2, 0), .limit = 10};
    CHECK(s->ops->list_audit(s, &by_time, &l) == STORE_OK);
    CHECK(l.n == 2); /* passed, failed: To is not included */
    free(l.items);
    struct audit_filter other = {.customer_id = a + 1000, .limit = 10};
    CHECK(s->ops->list_audit(s, &other, &l) == STORE_OK);
    CHECK(l.n == 0);
    free(l.items);
    struct audit_filter page = {.customer_id = -1, .type = AUDIT_LIVENESS_STARTED, .limit = 2};
    CHECK(s->ops->list_audit(s, &page, &l) == STORE_OK);
    CHECK(l.n == 2 && l.next_seq == (l.n == 2 ? l.items[1].seq : -1));
    page.before_seq = l.next_seq;
    free(l.items);
    CHECK(s->ops->list_audit(s, &page, &l) == STORE_OK);
    CHECK(l.n == 1 && l.next_seq == 0);
    if (l.n == 1)
        CHECK_STR(l.items[0].subject, "tok-pass");
    free(l.items);
    struct audit_filter bad = {.customer_id = -1, .limit = 0};
    CHECK(s->ops->list_audit(s, &bad, &l) == STORE_ERROR);
}

/* Counts added from outside a change (upstream calls, batched per node)
 * add up, and the range read back holds only its days. */
static void case_usage_add_and_ranges(struct store *s)
{
    int64_t a = uc_customer(s, "alice");
    struct usage_count c[3] = {{a, DAY0 / USAGE_DAY_MS, "upstream.GetAsset", 4},
                               {a, DAY0 / USAGE_DAY_MS, "upstream.GetAsset", 3},
                               {0, DAY0 / USAGE_DAY_MS + 1, "upstream.ListAssetGroups", 2}};
    CHECK(s->ops->add_usage(s, c, 3) == STORE_OK);
    CHECK(s->ops->add_usage(s, c, 1) == STORE_OK);
    CHECK(uc_day(s, a, 0, "upstream.GetAsset") == 11);
    CHECK(uc_day(s, 0, 1, "upstream.ListAssetGroups") == 2);
    struct usage_report rep;
    CHECK(s->ops->get_usage(s, -1, DAY0 / USAGE_DAY_MS + 1, DAY0 / USAGE_DAY_MS + 5, 1000, &rep) == STORE_OK);
    CHECK(rep.days.n == 1);
    CHECK(rep.n_customers == 1); /* alice; customer 0 is none */
    s->ops->free_usage_report(&rep);
    /* more day rows than the limit: refused, nothing held */
    CHECK(s->ops->get_usage(s, -1, DAY0 / USAGE_DAY_MS, DAY0 / USAGE_DAY_MS + 5, 1, &rep) == STORE_QUOTA);
    CHECK(rep.days.items == NULL && rep.days.n == 0);
    struct usage_count bad = {a, 1, "", 1};
    CHECK(s->ops->add_usage(s, &bad, 1) == STORE_ERROR);
    CHECK(uc_mismatches(s) == 0); /* upstream calls are not recounted */
}

/* Keys created and revoked: an entry each, in the key's transaction, with
 * the admin key or the command line that did it; a refused change (a
 * prefix taken, a key not active) leaves none. */
static void case_audit_keys(struct store *s)
{
    int64_t a = uc_customer(s, "alice");
    uint8_t h1[32] = {1}, h2[32] = {2}, h3[32] = {3};
    struct actor op = uc_who(0, "ptca_OPERATOR", "127.0.0.9"), cli = uc_who(0, ACTOR_CLI, "");
    CHECK(s->ops->add_key(s, a, "ptc_K1K1K1K1", h1, 1000, &op) == STORE_OK);
    CHECK(s->ops->add_key(s, a, "ptc_K1K1K1K1", h2, 1001, &op) == STORE_CONFLICT);
    CHECK(s->ops->add_key(s, a, "ptc_K2K2K2K2", h2, 1002, &cli) == STORE_OK);
    CHECK(s->ops->revoke_key(s, "ptc_K1K1K1K1", 2000, &cli) == STORE_OK);
    CHECK(s->ops->revoke_key(s, "ptc_K1K1K1K1", 2001, &cli) == STORE_NOT_FOUND);
    CHECK(s->ops->add_admin_key(s, "ptca_ADMIN001", h3, 3000, &cli) == STORE_OK);
    CHECK(s->ops->revoke_admin_key(s, "ptca_ADMIN001", 3001, &cli) == STORE_OK);
    CHECK(s->ops->revoke_admin_key(s, "ptca_ADMIN001", 3002, &cli) == STORE_NOT_FOUND);
    struct audit_filter f = {.customer_id = -1, .limit = 100};
    struct audit_list l;
    CHECK(s->ops->list_audit(s, &f, &l) == STORE_OK);
    CHECK(l.n == 6); /* the keys' five, after alice's CustomerCreated */
    const char *type[] = {AUDIT_ADMIN_KEY_REVOKED, AUDIT_ADMIN_KEY_CREATED, AUDIT_KEY_REVOKED, AUDIT_KEY_CREATED,
                          AUDIT_KEY_CREATED};
    const char *subject[] = {"ptca_ADMIN001", "ptca_ADMIN001", "ptc_K1K1K1K1", "ptc_K2K2K2K2", "ptc_K1K1K1K1"};
    const char *actor[] = {ACTOR_CLI, ACTOR_CLI, ACTOR_CLI, ACTOR_CLI, "ptca_OPERATOR"};
    const int64_t when[] = {3001, 3000, 2000, 1002, 1000}, who_for[] = {0, 0, a, a, a};
    for (size_t i = 0; i < l.n && i < 5; i++) {
        CHECK_STR(l.items[i].type, type[i]);
        CHECK_STR(l.items[i].subject, subject[i]);
        CHECK_STR(l.items[i].actor, actor[i]);
        CHECK(l.items[i].create_ms == when[i]);
        CHECK(l.items[i].customer_id == who_for[i]);
    }
    if (l.n == 6) {
        CHECK_STR(l.items[4].actor_addr, "127.0.0.9");
        CHECK_STR(l.items[5].type, AUDIT_CUSTOMER_CREATED);
    }
    free(l.items);
    struct audit_filter mine = {.customer_id = a, .type = AUDIT_KEY_CREATED, .limit = 100};
    CHECK(s->ops->list_audit(s, &mine, &l) == STORE_OK);
    CHECK(l.n == 2);
    free(l.items);
}

#endif
