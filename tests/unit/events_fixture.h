/* events_fixture.h — records for the event tests (store_events_cases.h,
 * test_event_hub.c): a customer, an event, a live Processing asset. */
#ifndef PORTICO_EVENTS_FIXTURE_H
#define PORTICO_EVENTS_FIXTURE_H
#include <stdio.h>
#include <string.h>

#include "store/store.h"

static int64_t ev_customer(struct store *s, const char *name)
{
    struct customer c;
    return s->ops->put_customer(s, name, 1, NULL, &c) == STORE_OK ? c.id : -1;
}

static struct event ev_make(int64_t customer, int kind, const char *type, const char *id, const char *subject,
                            int64_t now)
{
    struct event ev;
    memset(&ev, 0, sizeof ev);
    ev.customer_id = customer;
    ev.kind = kind;
    snprintf(ev.type, sizeof ev.type, "%s", type);
    snprintf(ev.id, sizeof ev.id, "%s", id);
    snprintf(ev.subject, sizeof ev.subject, "%s", subject);
    ev.create_ms = now;
    snprintf(ev.data, sizeof ev.data, "{\"Id\":\"%s\",\"Type\":\"%s\"}", id, type);
    return ev;
}

/* A live Processing asset of a fresh group of customer. */
static int ev_asset(struct store *s, int64_t customer, const char *group, const char *asset, int64_t now)
{
    int64_t h = 0;
    if (s->ops->reserve_group(s, customer, "AIGC", "g", "", 50, now, NULL, &h) != STORE_OK ||
        s->ops->confirm_group(s, h, group, now) != STORE_OK)
        return -1;
    if (s->ops->reserve_asset(s, customer, group, "Image", "a", "http://127.0.0.1/a.png", NULL, 0, NULL, 50, now, NULL,
                              &h, NULL) != STORE_OK)
        return -1;
    return s->ops->confirm_asset(s, h, asset, now, now) == STORE_OK ? 0 : -1;
}

#endif
