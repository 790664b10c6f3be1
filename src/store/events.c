/* events.c — the event log, the customers' webhooks and the outbox of their
 * deliveries (schema step 8), written once over the driver (driver.h).
 *
 * Invariant: an event is appended in the transaction of the change it
 * reports (sql_append_event, called by assets.c, sessions.c, videos.c), and
 * its notification with it, so a change without its event (or an event
 * without its change) is never committed. Customer-scoped reads filter on
 * customer_id: another customer's event or notification is NOT_FOUND like
 * a missing one. The outbox's leases are per backend (sqlite_leases.c,
 * pg_leases.c). */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

static const struct sql_field event_fields[] = {
    SQL_L(struct event, seq),       SQL_T(struct event, id),      SQL_L(struct event, customer_id),
    SQL_I(struct event, kind),      SQL_T(struct event, type),    SQL_T(struct event, subject),
    SQL_L(struct event, create_ms), SQL_T(struct event, data)};
const struct sql_row sql_event_row = SQL_ROW(struct event, event_fields);

static const struct sql_field config_fields[] = {
    SQL_L(struct notify_config, customer_id), SQL_T(struct notify_config, url),
    SQL_I(struct notify_config, events),      SQL_T(struct notify_config, secret),
    SQL_L(struct notify_config, create_ms),   SQL_L(struct notify_config, update_ms)};
static const struct sql_row config_row = SQL_ROW(struct notify_config, config_fields);

static const struct sql_field notification_fields[] = {
    SQL_T(struct notification, event_id),        SQL_L(struct notification, customer_id),
    SQL_T(struct notification, type),            SQL_I(struct notification, status),
    SQL_I(struct notification, attempts),        SQL_I(struct notification, last_status_code),
    SQL_L(struct notification, next_attempt_ms), SQL_L(struct notification, create_ms)};
static const struct sql_row notification_row = SQL_ROW(struct notification, notification_fields);

/* A job is read as its notification's columns, then url, secret, body. */
static const struct sql_field job_fields[] = {
    SQL_T(struct notification_job, n.event_id),        SQL_L(struct notification_job, n.customer_id),
    SQL_T(struct notification_job, n.type),            SQL_I(struct notification_job, n.status),
    SQL_I(struct notification_job, n.attempts),        SQL_I(struct notification_job, n.last_status_code),
    SQL_L(struct notification_job, n.next_attempt_ms), SQL_L(struct notification_job, n.create_ms),
    SQL_T(struct notification_job, url),               SQL_T(struct notification_job, secret),
    SQL_T(struct notification_job, body)};
const struct sql_row sql_notification_job_row = SQL_ROW(struct notification_job, job_fields);

static int event_fits(const struct event *ev)
{
    return ev && sql_fits(ev->id, IDS_MAX) && ev->id[0] && ev->customer_id > 0 && ev->kind >= 0 &&
           ev->kind < EVENT_KINDS && sql_fits(ev->type, EVENT_TYPE_MAX) && ev->type[0] &&
           sql_fits(ev->subject, STORE_TOKEN_MAX) && sql_fits(ev->data, EVENT_DATA_MAX) && ev->data[0];
}

enum store_result sql_append_event(struct sql_conn *c, const struct event *ev)
{
    if (!event_fits(ev))
        return STORE_ERROR;
    int64_t seq = 0;
    int found = 0;
    enum store_result r = sql_int(c, SQL_CACHE,
                                  "INSERT INTO events(id, customer_id, kind, type, subject, create_ms, data)"
                                  " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq",
                                  &seq, &found, "tiittit", ev->id, ev->customer_id, (int64_t)ev->kind, ev->type,
                                  ev->subject, ev->create_ms, ev->data);
    if (r == STORE_OK && !found)
        r = STORE_ERROR;
    if (r != STORE_OK)
        return r;
    /* The outbox row, only for a webhook that wants this kind. */
    return sql_exec(c, SQL_CACHE,
                    "INSERT INTO notifications(event_id, event_seq, customer_id, type, status, attempts,"
                    " last_status_code, next_attempt_ms, create_ms)"
                    " SELECT $1, $2, customer_id, $3, 0, 0, 0, $4, $4 FROM notify_configs"
                    " WHERE customer_id = $5 AND (events & $6) <> 0",
                    NULL, "titiii", ev->id, seq, ev->type, ev->create_ms, ev->customer_id,
                    (int64_t)EVENT_BIT(ev->kind));
}

enum store_result sql_append_event_alone(struct store *s, const struct event *ev)
{
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    return sql_done(s, c, sql_append_event(c, ev));
}

#define EVENT_COLS "seq, id, customer_id, kind, type, subject, create_ms, data"

enum store_result sql_list_events(struct store *s, int64_t customer_id, int64_t after_seq, size_t limit,
                                  struct event_list *out)
{
    if (!out || limit == 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    void *items = NULL;
    int64_t lim = limit > 1000 ? 1000 : (int64_t)limit;
    enum store_result r =
        customer_id
            ? sql_query_rows(s, SQL_CACHE,
                             "SELECT " EVENT_COLS " FROM events WHERE customer_id = $1 AND seq > $2"
                             " ORDER BY seq LIMIT $3",
                             &sql_event_row, (size_t)lim, &items, &out->n, "iii", customer_id, after_seq, lim)
            : sql_query_rows(s, SQL_CACHE, "SELECT " EVENT_COLS " FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
                             &sql_event_row, (size_t)lim, &items, &out->n, "ii", after_seq, lim);
    out->items = items;
    return r;
}

enum store_result sql_find_event(struct store *s, int64_t customer_id, const char *id, struct event *out)
{
    if (!sql_fits(id, IDS_MAX) || !out)
        return STORE_ERROR;
    return sql_query_one(s, SQL_CACHE, "SELECT " EVENT_COLS " FROM events WHERE id = $1 AND customer_id = $2",
                         &sql_event_row, out, "ti", id, customer_id);
}

enum store_result sql_last_event_seq(struct store *s, int64_t *seq_out)
{
    struct sql_conn *c;
    if (!seq_out)
        return STORE_ERROR;
    *seq_out = 0;
    enum store_result r = sql_start(s, SQL_TX_NONE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_int(c, SQL_CACHE, "SELECT COALESCE(MAX(seq), 0) FROM events", seq_out, NULL, "");
    return sql_done(s, c, r);
}

enum store_result sql_prune_events(struct store *s, int64_t before_ms, int *n_out)
{
    struct sql_conn *c;
    int n = 0;
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r == STORE_OK)
        r = sql_exec(c, 0,
                     "DELETE FROM notifications WHERE event_seq IN (SELECT seq FROM events WHERE create_ms < $1)",
                     NULL, "i", before_ms);
    if (r == STORE_OK)
        r = sql_exec(c, 0, "DELETE FROM events WHERE create_ms < $1", &n, "i", before_ms);
    r = sql_done(s, c, r);
    if (n_out)
        *n_out = r == STORE_OK ? n : 0;
    return r;
}

#define CONFIG_COLS "customer_id, url, events, secret, create_ms, update_ms"

enum store_result sql_get_notify_config(struct store *s, int64_t customer_id, struct notify_config *out)
{
    if (!out)
        return STORE_ERROR;
    return sql_query_one(s, SQL_CACHE, "SELECT " CONFIG_COLS " FROM notify_configs WHERE customer_id = $1",
                         &config_row, out, "i", customer_id);
}

enum store_result sql_put_notify_config(struct store *s, const struct notify_config *cfg, int64_t now_ms)
{
    if (!cfg || cfg->customer_id <= 0 || !sql_fits(cfg->url, STORE_URL_MAX) || !cfg->url[0] ||
        !sql_fits(cfg->secret, NOTIFY_SECRET_MAX) || !cfg->secret[0] || (cfg->events & ~EVENT_ALL))
        return STORE_ERROR;
    /* INSERT ... ON CONFLICT DO UPDATE: both databases spell it alike. */
    return sql_write(s, 0,
                     "INSERT INTO notify_configs(customer_id, url, events, secret, create_ms, update_ms)"
                     " VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (customer_id) DO UPDATE SET"
                     " url = excluded.url, events = excluded.events, secret = excluded.secret,"
                     " update_ms = excluded.update_ms",
                     NULL, "ititi", cfg->customer_id, cfg->url, (int64_t)cfg->events, cfg->secret, now_ms);
}

enum store_result sql_delete_notify_config(struct store *s, int64_t customer_id)
{
    return sql_write_row(s, 0, "DELETE FROM notify_configs WHERE customer_id = $1", "i", customer_id);
}

#define NOTIFICATION_COLS                                                                                      \
    "n.event_id, n.customer_id, n.type, n.status, n.attempts, n.last_status_code, n.next_attempt_ms, n.create_ms"

/* The status filter: a mask of NOTIFY_STATUS_BIT, matched in SQL. */
#define STATUS_MATCH " AND ($2 = 0 OR ((CASE n.status WHEN 0 THEN 1 WHEN 1 THEN 2 ELSE 4 END) & $2) <> 0)"

enum store_result sql_list_notifications(struct store *s, int64_t customer_id, int status_mask, int page_number,
                                         int page_size, struct notification_list *out)
{
    if (!out || page_number < 1 || page_size < 1 || page_size > 100 || status_mask < 0 ||
        status_mask > 7)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct sql_conn *c;
    enum store_result r = sql_start(s, SQL_TX_SNAPSHOT, &c);
    if (r != STORE_OK)
        return r;
    r = sql_int(c, 0, "SELECT COUNT(*) FROM notifications n WHERE n.customer_id = $1" STATUS_MATCH, &out->total,
                NULL, "ii", customer_id, (int64_t)status_mask);
    if (r == STORE_OK) {
        struct sql_stmt *st;
        r = sql_open(c, 0,
                     "SELECT " NOTIFICATION_COLS " FROM notifications n WHERE n.customer_id = $1" STATUS_MATCH
                     " ORDER BY n.event_seq DESC LIMIT $3 OFFSET $4",
                     &st, "iiii", customer_id, (int64_t)status_mask, (int64_t)page_size,
                     (int64_t)(page_number - 1) * page_size);
        if (r == STORE_OK) {
            void *items = NULL;
            r = sql_rows(st, &notification_row, (size_t)page_size, &items, &out->n);
            out->items = items;
            sql_finish(st);
        }
    }
    r = sql_done(s, c, r);
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    return r;
}

enum store_result sql_finish_notification(struct store *s, const char *event_id, int status, int attempts,
                                          int last_status_code, int64_t next_attempt_ms)
{
    if (!sql_fits(event_id, IDS_MAX) || status < NOTIFY_PENDING || status > NOTIFY_FAILED || attempts < 0)
        return STORE_ERROR;
    return sql_write_row(s, 0,
                         "UPDATE notifications SET status = $2, attempts = $3, last_status_code = $4,"
                         " next_attempt_ms = $5 WHERE event_id = $1 AND status = 0",
                         "tiiii", event_id, (int64_t)status, (int64_t)attempts, (int64_t)last_status_code,
                         next_attempt_ms);
}
