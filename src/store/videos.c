/* videos.c — video generation tasks (table video_tasks, schema step 3),
 * written once over the driver (driver.h).
 *
 * The result column holds one JSON object, built and read with the
 * database's own JSON functions so that its shape lives here only:
 *   {"video_url": "...", "error": {"code", "message"} | null,
 *    "usage": {"completion_tokens": N, "total_tokens": N}}
 * SQLite (json_object) and PostgreSQL (jsonb) spell those functions
 * differently, so the statements that build or read it stand below in both
 * dialects, side by side; everything else is written once. request holds
 * the customer's request as they sent it, for the record.
 *
 * Invariant: customer-scoped reads filter on customer_id, so another
 * customer's task is NOT_FOUND exactly like a missing one. The refresher's
 * leases are per backend (sqlite_leases.c, pg_leases.c). */
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"

/* The result object from parameters a (video_url), b (error code, '' for
 * none), c (message), d and e (usage). */
#define RESULT_SQLITE(a, b, c, d, e)                                                                          \
    "json_object('video_url', " a ", 'error', CASE WHEN " b " = '' THEN NULL ELSE json_object('code', " b     \
    ", 'message', " c ") END, 'usage', json_object('completion_tokens', " d ", 'total_tokens', " e "))"
#define RESULT_PG(a, b, c, d, e)                                                                              \
    "jsonb_build_object('video_url', " a "::text, 'error', CASE WHEN " b "::text = '' THEN NULL ELSE"         \
    " jsonb_build_object('code', " b "::text, 'message', " c "::text) END, 'usage',"                          \
    " jsonb_build_object('completion_tokens', " d "::bigint, 'total_tokens', " e "::bigint))::text"

/* The request is checked to be JSON (a non-JSON one is an error): the
 * record column promises JSON text. */
#define INSERT_VIDEO(request, result)                                                                         \
    "INSERT INTO video_tasks(id, customer_id, upstream_id, model, status, request, result,"                   \
    " create_ms, update_ms, next_poll_ms, polls, submit, deadline_ms, seconds) VALUES ($1, $2, $3, $4, $5, "   \
    request ", " result ", $7, $8, $9, $10, $16, $17, $18)"

/* SET expressions see the row's old values: update_ms moves only when the
 * status or the result really changed. */
#define UPDATE_VIDEO(result)                                                                                  \
    "UPDATE video_tasks SET update_ms = CASE WHEN status = $2 AND result = " result                           \
    " THEN update_ms ELSE $3 END, status = $2, result = " result ", next_poll_ms = $4, polls = $5,"             \
    " seconds = $11 WHERE id = $1"

static const struct sql_field video_fields[] = {
    SQL_T(struct video_task, id), SQL_L(struct video_task, customer_id), SQL_T(struct video_task, upstream_id),
    SQL_T(struct video_task, model), SQL_T(struct video_task, status), SQL_T(struct video_task, video_url),
    SQL_T(struct video_task, error_code), SQL_T(struct video_task, error_message),
    SQL_L(struct video_task, completion_tokens), SQL_L(struct video_task, total_tokens),
    SQL_L(struct video_task, create_ms), SQL_L(struct video_task, update_ms), SQL_L(struct video_task, next_poll_ms),
    SQL_I(struct video_task, polls), SQL_L(struct video_task, deadline_ms), SQL_L(struct video_task, seconds)};
const struct sql_row sql_video_row = SQL_ROW(struct video_task, video_fields);

static int video_fits(const struct video_task *t)
{
    return t && sql_fits(t->id, IDS_MAX) && t->id[0] && sql_fits(t->upstream_id, IDS_MAX) &&
           sql_fits(t->model, STORE_MODEL_MAX) && sql_fits(t->status, sizeof t->status) && t->status[0] &&
           sql_fits(t->video_url, STORE_URL_MAX) && sql_fits(t->error_code, STORE_ERROR_CODE_MAX) &&
           sql_fits(t->error_message, STORE_REASON_MAX);
}

static int is_pg(struct store *s)
{
    return sql_driver_of(s)->dialect == SQL_DIALECT_PG;
}

/* The counters a task's status moves: created, and the end it reaches
 * (with the seconds of a video that succeeded). */
static void usage_video(struct sql_usage *u, const struct video_task *t, int64_t now_ms)
{
    if (strcmp(t->status, "succeeded") == 0) {
        sql_usage_add(u, t->customer_id, now_ms, USAGE_VIDEOS_SUCCEEDED, NULL, 1);
        sql_usage_add(u, t->customer_id, now_ms, USAGE_VIDEO_SECONDS, NULL, t->seconds);
    } else if (strcmp(t->status, "failed") == 0) {
        sql_usage_add(u, t->customer_id, now_ms, USAGE_VIDEOS_FAILED, NULL, 1);
    }
}

/* A new task; submit_json "" for one that is not waiting for its assets. */
static enum store_result insert_task(struct store *s, const struct video_task *t, const char *request_json,
                                     const char *submit_json)
{
    if (!video_fits(t) || t->seconds < 0)
        return STORE_ERROR;
    const char *sql = is_pg(s) ? INSERT_VIDEO("$6::jsonb::text", RESULT_PG("$11", "$12", "$13", "$14", "$15"))
                               : INSERT_VIDEO("json($6)", RESULT_SQLITE("$11", "$12", "$13", "$14", "$15"));
    struct sql_conn *c;
    struct sql_usage u = {0};
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_exec(c, 0, sql, NULL, "tittttiiiitttiitii", t->id, t->customer_id, t->upstream_id, t->model, t->status,
                 request_json && *request_json ? request_json : "{}", t->create_ms, t->update_ms, t->next_poll_ms,
                 (int64_t)t->polls, t->video_url, t->error_code, t->error_message, t->completion_tokens,
                 t->total_tokens, submit_json, t->deadline_ms, t->seconds);
    if (r == STORE_OK) {
        sql_usage_add(&u, t->customer_id, t->create_ms, USAGE_VIDEOS_CREATED, NULL, 1);
        usage_video(&u, t, t->update_ms);
        r = sql_usage_write(c, &u);
    }
    return sql_done(s, c, r);
}

enum store_result sql_insert_video_task(struct store *s, const struct video_task *t, const char *request_json)
{
    return insert_task(s, t, request_json, "");
}

enum store_result sql_get_video_task(struct store *s, int64_t customer_id, const char *id, struct video_task *out)
{
    if (!id || !out)
        return STORE_ERROR;
    const char *sql = is_pg(s) ? "SELECT " SQL_VIDEO_COLS_PG " FROM video_tasks v WHERE v.id = $1 AND v.customer_id = $2"
                               : "SELECT " SQL_VIDEO_COLS_SQLITE
                                 " FROM video_tasks v WHERE v.id = $1 AND v.customer_id = $2";
    return sql_query_one(s, 0, sql, &sql_video_row, out, "ti", id, customer_id);
}

#define VIDEO_STATUS "SELECT status, customer_id FROM video_tasks WHERE id = $1"

struct video_was {
    char status[24];
    int64_t customer_id;
};
static const struct sql_field video_was_fields[] = {SQL_T(struct video_was, status),
                                                    SQL_L(struct video_was, customer_id)};
static const struct sql_row video_was_row = SQL_ROW(struct video_was, video_was_fields);

enum store_result sql_update_video_task(struct store *s, const struct video_task *t, int64_t now_ms,
                                        int64_t next_poll_ms, int polls, const struct event *ev)
{
    if (!video_fits(t) || t->seconds < 0)
        return STORE_ERROR;
    const char *sql = is_pg(s) ? UPDATE_VIDEO(RESULT_PG("$6", "$7", "$8", "$9", "$10"))
                               : UPDATE_VIDEO(RESULT_SQLITE("$6", "$7", "$8", "$9", "$10"));
    struct sql_conn *c;
    struct video_was was;
    struct sql_usage u = {0};
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    /* The status before, locked where rows lock: the event and the
     * counters move exactly when it changes. */
    r = sql_one(c, 0, sql_driver_of(s)->row_locks ? VIDEO_STATUS " FOR UPDATE" : VIDEO_STATUS, &video_was_row, &was,
                "t", t->id);
    if (r == STORE_OK)
        r = sql_exec(c, 0, sql, NULL, "ttiiitttiii", t->id, t->status, now_ms, next_poll_ms, (int64_t)polls,
                     t->video_url, t->error_code, t->error_message, t->completion_tokens, t->total_tokens,
                     t->seconds);
    if (r == STORE_OK && strcmp(was.status, t->status) != 0) {
        struct video_task now = *t;
        now.customer_id = was.customer_id;
        usage_video(&u, &now, now_ms);
        if (ev)
            r = sql_append_event(c, ev);
        if (r == STORE_OK)
            r = sql_usage_write(c, &u);
    }
    return sql_done(s, c, r);
}

/* ---- generation that waits for its assets (core/video_waiter.c) ---- */

enum store_result sql_insert_waiting_video_task(struct store *s, const struct video_task *t, const char *request_json,
                                                const char *submit_json)
{
    if (!submit_json || !*submit_json)
        return STORE_ERROR;
    return insert_task(s, t, request_json, submit_json);
}

enum store_result sql_get_video_submit(struct store *s, const char *id, char **submit_out)
{
    if (!id || !submit_out)
        return STORE_ERROR;
    *submit_out = NULL;
    struct sql_conn *c;
    struct sql_stmt *st = NULL;
    enum store_result r = sql_start(s, SQL_TX_NONE, &c);
    if (r != STORE_OK)
        return r;
    r = sql_open(c, 0, "SELECT submit FROM video_tasks WHERE id = $1", &st, "t", id);
    int row = 0;
    if (r == STORE_OK)
        r = sql_step(st, &row);
    if (r == STORE_OK && !row)
        r = STORE_NOT_FOUND;
    if (r == STORE_OK) {
        const char *v = c->d->col_text(st, 0);
        *submit_out = strdup(v ? v : "");
        if (!*submit_out)
            r = STORE_ERROR;
    }
    sql_finish(st);
    return sql_done(s, c, r);
}

enum store_result sql_submit_video_task(struct store *s, const char *id, const char *upstream_id, int64_t now_ms,
                                        int64_t next_poll_ms)
{
    if (!id || !sql_fits(upstream_id, IDS_MAX) || !upstream_id[0])
        return STORE_ERROR;
    /* Only a task still waiting: a second node whose lease lapsed cannot
     * overwrite what the first recorded. */
    return sql_write_row(s, 0,
                         "UPDATE video_tasks SET upstream_id = $2, status = 'queued', update_ms = $3,"
                         " next_poll_ms = $4, polls = 0 WHERE id = $1 AND status = 'waiting_for_assets'",
                         "ttii", id, upstream_id, now_ms, next_poll_ms);
}
