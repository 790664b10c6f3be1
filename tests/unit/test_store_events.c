/* test_store_events.c — the event log, webhooks and outbox on SQLite
 * (the cases are store_events_cases.h; test_store_pg.c runs them on
 * PostgreSQL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store_events_cases.h"

static char root[256];
static int n_dirs;

static void on_fresh_store(void (*fn)(struct store *))
{
    char dir[300], cmd[400];
    snprintf(dir, sizeof dir, "%s/%d", root, ++n_dirs);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    CHECK(system(cmd) == 0);
    struct store *s = store_sqlite_open(dir);
    CHECK(s != NULL);
    if (!s)
        return;
    fn(s);
    s->ops->close(s);
}

static void test_status_change_appends_event_once(void)
{
    on_fresh_store(case_status_change_appends_event_once);
}

static void test_outbox_lease_and_finish(void)
{
    on_fresh_store(case_outbox_lease_and_finish);
}

static void test_sessions_and_videos_append_events(void)
{
    on_fresh_store(case_sessions_and_videos_append_events);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/portico-test-events-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_status_change_appends_event_once);
    RUN(test_outbox_lease_and_finish);
    RUN(test_sessions_and_videos_append_events);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", root);
    return check_summary();
}
