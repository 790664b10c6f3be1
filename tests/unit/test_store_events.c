/* test_store_events.c — the event log, webhooks and outbox on SQLite
 * (the cases are store_events_cases.h; test_store_pg.c runs them on
 * PostgreSQL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store_events_cases.h"

#include "sqlite_fixture.h"

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
    if (fixture_root_make("events") != 0)
        return 1;
    RUN(test_status_change_appends_event_once);
    RUN(test_outbox_lease_and_finish);
    RUN(test_sessions_and_videos_append_events);
    fixture_root_remove();
    return check_summary();
}
