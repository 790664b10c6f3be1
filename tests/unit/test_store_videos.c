/* test_store_videos.c — video tasks in the SQLite store (sqlite_videos.c),
 * against a real database in a temp dir. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/store.h"

#include "sqlite_fixture.h"

static struct video_task task(const char *id, int64_t customer, const char *upstream_id, int64_t now)
{
    struct video_task t;
    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "%s", id);
    t.customer_id = customer;
    snprintf(t.upstream_id, sizeof t.upstream_id, "%s", upstream_id);
    snprintf(t.model, sizeof t.model, "seedance-2.0");
    snprintf(t.status, sizeof t.status, "queued");
    t.create_ms = t.update_ms = now;
    t.next_poll_ms = now + 700;
    return t;
}

/* The due tasks at now_ms, read through the refresher's lease with a lease
 * of 0 ms: the rows stay due at now_ms, as due_video_tasks (removed: no
 * production caller) left them. */
static enum store_result due_video_tasks(struct store *s, int64_t now_ms, size_t limit, struct video_task_list *out)
{
    return s->ops->lease_due_video_tasks(s, now_ms, 0, limit, out);
}

static void test_video_tasks_insert_get_and_isolation(void)
{
    struct store *s = open_fresh_store();
    if (!s)
        return;
    struct customer a, b;
    CHECK(s->ops->put_customer(s, "acme", 1, NULL, &a) == STORE_OK);
    CHECK(s->ops->put_customer(s, "globex", 1, NULL, &b) == STORE_OK);
    struct video_task t = task("vid-20260101000000-aaaaa", a.id, "cgt-20260101000000-xxxxx", 1000);
    CHECK(s->ops->insert_video_task(s, &t, "{\"model\":\"seedance-2.0\"}") == STORE_OK);
    CHECK(s->ops->insert_video_task(s, &t, NULL) == STORE_CONFLICT);
    CHECK(s->ops->insert_video_task(s, &t, "not json") != STORE_OK);

    struct video_task got;
    CHECK(s->ops->get_video_task(s, a.id, t.id, &got) == STORE_OK);
    CHECK_STR(got.id, t.id);
    CHECK_STR(got.upstream_id, "cgt-20260101000000-xxxxx");
    CHECK_STR(got.model, "seedance-2.0");
    CHECK_STR(got.status, "queued");
    CHECK_STR(got.video_url, "");
    CHECK_STR(got.error_code, "");
    CHECK(got.customer_id == a.id && got.create_ms == 1000 && got.update_ms == 1000 && got.next_poll_ms == 1700);
    /* Another customer's task is exactly like no task. */
    CHECK(s->ops->get_video_task(s, b.id, t.id, &got) == STORE_NOT_FOUND);
    CHECK(s->ops->get_video_task(s, a.id, "vid-20260101000000-zzzzz", &got) == STORE_NOT_FOUND);
    s->ops->close(s);
}

static void test_video_tasks_update_and_due(void)
{
    struct store *s = open_fresh_store(); /* a database of its own: no task of the test above is due */
    if (!s)
        return;
    struct customer a;
    CHECK(s->ops->put_customer(s, "acme", 1, NULL, &a) == STORE_OK);
    struct video_task t1 = task("vid-20260101000000-bbbbb", a.id, "cgt-1", 2000);
    struct video_task t2 = task("vid-20260101000000-ccccc", a.id, "cgt-2", 2100);
    CHECK(s->ops->insert_video_task(s, &t1, "{}") == STORE_OK);
    CHECK(s->ops->insert_video_task(s, &t2, "{}") == STORE_OK);

    struct video_task_list l = {0};
    CHECK(due_video_tasks(s, 2750, 10, &l) == STORE_OK);
    int found = 0;
    for (size_t i = 0; i < l.n; i++)
        found += !strcmp(l.items[i].id, t1.id) || !strcmp(l.items[i].id, t2.id);
    CHECK(found == 1); /* t1 due at 2700, t2 at 2800 */
    free(l.items);

    /* A poll that changes nothing moves only the schedule. */
    CHECK(s->ops->update_video_task(s, &t1, 2800, 3500, 1, NULL) == STORE_OK);
    struct video_task got;
    CHECK(s->ops->get_video_task(s, a.id, t1.id, &got) == STORE_OK);
    CHECK(got.update_ms == 2000 && got.next_poll_ms == 3500 && got.polls == 1);

    /* Succeeded: status and result change, update_ms with them; no longer due. */
    snprintf(t1.status, sizeof t1.status, "succeeded");
    snprintf(t1.video_url, sizeof t1.video_url, "http://127.0.0.1:9/v.mp4");
    t1.completion_tokens = t1.total_tokens = 108000;
    CHECK(s->ops->update_video_task(s, &t1, 4000, 4700, 2, NULL) == STORE_OK);
    CHECK(s->ops->get_video_task(s, a.id, t1.id, &got) == STORE_OK);
    CHECK_STR(got.status, "succeeded");
    CHECK_STR(got.video_url, "http://127.0.0.1:9/v.mp4");
    CHECK(got.completion_tokens == 108000 && got.total_tokens == 108000 && got.update_ms == 4000);
    CHECK(due_video_tasks(s, 1000000, 10, &l) == STORE_OK);
    CHECK(l.n == 1 && !strcmp(l.items[0].id, t2.id));
    free(l.items);

    /* Failed: the error reads back. */
    snprintf(t2.status, sizeof t2.status, "failed");
    snprintf(t2.error_code, sizeof t2.error_code, "OutputVideoSensitiveContentDetected");
    snprintf(t2.error_message, sizeof t2.error_message, "It's \"sensitive\".");
    CHECK(s->ops->update_video_task(s, &t2, 5000, 5700, 3, NULL) == STORE_OK);
    CHECK(s->ops->get_video_task(s, a.id, t2.id, &got) == STORE_OK);
    CHECK_STR(got.error_code, "OutputVideoSensitiveContentDetected");
    CHECK_STR(got.error_message, "It's \"sensitive\".");
    CHECK(got.update_ms == 5000);
    CHECK(due_video_tasks(s, 1000000, 10, &l) == STORE_OK);
    CHECK(l.n == 0);
    free(l.items);

    struct video_task ghost = task("vid-20260101000000-ggggg", a.id, "cgt-3", 1);
    CHECK(s->ops->update_video_task(s, &ghost, 1, 1, 1, NULL) == STORE_NOT_FOUND);
    s->ops->close(s);
}

/* wait_for_assets (issue 14): a waiting task keeps what it will submit and
 * its deadline, is leased apart from the refresher's tasks, and is
 * submitted once. */
static void test_waiting_video_tasks_lease_and_submit_once(void)
{
    struct store *s = open_fresh_store();
    if (!s)
        return;
    struct customer a;
    CHECK(s->ops->put_customer(s, "acme", 1, NULL, &a) == STORE_OK);
    struct video_task t = task("vid-20260101000000-wwwww", a.id, "", 1000);
    snprintf(t.status, sizeof t.status, "waiting_for_assets");
    t.next_poll_ms = 1250;
    t.deadline_ms = 601000;
    CHECK(s->ops->insert_waiting_video_task(s, &t, "{}", "{\"model\":\"seedance-2.0\"}") == STORE_OK);
    struct video_task got;
    CHECK(s->ops->get_video_task(s, a.id, t.id, &got) == STORE_OK);
    CHECK_STR(got.status, "waiting_for_assets");
    CHECK(got.deadline_ms == 601000);
    char *submit = NULL;
    CHECK(s->ops->get_video_submit(s, t.id, &submit) == STORE_OK && submit);
    CHECK_STR(submit ? submit : "", "{\"model\":\"seedance-2.0\"}");
    free(submit);
    /* The refresher does not see it; the waiter leases it once. */
    struct video_task_list l = {0};
    CHECK(s->ops->lease_due_video_tasks(s, 5000, 10000, 10, &l) == STORE_OK && l.n == 0);
    free(l.items);
    CHECK(s->ops->lease_waiting_video_tasks(s, 1000, 10000, 10, &l) == STORE_OK && l.n == 0); /* not due yet */
    free(l.items);
    CHECK(s->ops->lease_waiting_video_tasks(s, 5000, 10000, 10, &l) == STORE_OK && l.n == 1);
    CHECK(l.n == 1 && l.items[0].deadline_ms == 601000);
    free(l.items);
    CHECK(s->ops->lease_waiting_video_tasks(s, 5001, 10000, 10, &l) == STORE_OK && l.n == 0); /* leased */
    free(l.items);
    CHECK(s->ops->submit_video_task(s, t.id, "cgt-20260101000000-sssss", 6000, 6700) == STORE_OK);
    CHECK(s->ops->submit_video_task(s, t.id, "cgt-20260101000000-ttttt", 6000, 6700) == STORE_NOT_FOUND);
    CHECK(s->ops->get_video_task(s, a.id, t.id, &got) == STORE_OK);
    CHECK_STR(got.status, "queued");
    CHECK_STR(got.upstream_id, "cgt-20260101000000-sssss");
    CHECK(s->ops->lease_due_video_tasks(s, 7000, 10000, 10, &l) == STORE_OK && l.n == 1);
    free(l.items);
    s->ops->close(s);
}

int main(void)
{
    if (fixture_root_make("videos") != 0)
        return 1;
    RUN(test_video_tasks_insert_get_and_isolation);
    RUN(test_video_tasks_update_and_due);
    RUN(test_waiting_video_tasks_lease_and_submit_once);
    fixture_root_remove();
    return check_summary();
}
