/* pg_videos.c — video generation tasks in the PostgreSQL store (table
 * video_tasks, schema step 3).
 *
 * The result column holds one JSON object as text, built and read with
 * PostgreSQL's jsonb functions so that its shape lives in this file only:
 *   {"video_url": "...", "error": {"code", "message"} | null,
 *    "usage": {"completion_tokens": N, "total_tokens": N}}
 * jsonb's text form is canonical, so comparing two results as text tells
 * whether anything changed. request holds the customer's request.
 *
 * Invariant: customer-scoped reads filter on customer_id, so another
 * customer's task is NOT_FOUND exactly like a missing one. */
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

#define PG_VIDEO_COLS                                                                                     \
    "v.id, v.customer_id, v.upstream_id, v.model, v.status,"                                              \
    " coalesce(v.result::jsonb ->> 'video_url', ''),"                                                     \
    " coalesce(v.result::jsonb -> 'error' ->> 'code', ''),"                                               \
    " coalesce(v.result::jsonb -> 'error' ->> 'message', ''),"                                            \
    " coalesce((v.result::jsonb -> 'usage' ->> 'completion_tokens')::bigint, 0),"                        \
    " coalesce((v.result::jsonb -> 'usage' ->> 'total_tokens')::bigint, 0),"                             \
    " v.create_ms, v.update_ms, v.next_poll_ms, v.polls"

/* The result object from bound parameters a (video_url), b (error code,
 * '' for none), c (message), d and e (usage). */
#define PG_VIDEO_RESULT(a, b, c, d, e)                                                                   \
    "jsonb_build_object('video_url', " a "::text, 'error', CASE WHEN " b "::text = '' THEN NULL ELSE"     \
    " jsonb_build_object('code', " b "::text, 'message', " c "::text) END, 'usage',"                      \
    " jsonb_build_object('completion_tokens', " d "::bigint, 'total_tokens', " e "::bigint))::text"

static void pg_read_video(PGresult *res, int row, struct video_task *out)
{
    memset(out, 0, sizeof *out);
    pg_col_text(res, row, 0, out->id, sizeof out->id);
    out->customer_id = pg_col_i64(res, row, 1);
    pg_col_text(res, row, 2, out->upstream_id, sizeof out->upstream_id);
    pg_col_text(res, row, 3, out->model, sizeof out->model);
    pg_col_text(res, row, 4, out->status, sizeof out->status);
    pg_col_text(res, row, 5, out->video_url, sizeof out->video_url);
    pg_col_text(res, row, 6, out->error_code, sizeof out->error_code);
    pg_col_text(res, row, 7, out->error_message, sizeof out->error_message);
    out->completion_tokens = pg_col_i64(res, row, 8);
    out->total_tokens = pg_col_i64(res, row, 9);
    out->create_ms = pg_col_i64(res, row, 10);
    out->update_ms = pg_col_i64(res, row, 11);
    out->next_poll_ms = pg_col_i64(res, row, 12);
    out->polls = (int)pg_col_i64(res, row, 13);
}

static int pg_video_fits(const struct video_task *t)
{
    return t && pg_fits(t->id, IDS_MAX) && t->id[0] && pg_fits(t->upstream_id, IDS_MAX) &&
           pg_fits(t->model, STORE_MODEL_MAX) && pg_fits(t->status, sizeof t->status) && t->status[0] &&
           pg_fits(t->video_url, STORE_URL_MAX) && pg_fits(t->error_code, STORE_ERROR_CODE_MAX) &&
           pg_fits(t->error_message, STORE_REASON_MAX);
}

static void pg_p_result(struct pg_params *p, const struct video_task *t)
{
    pg_p_text(p, t->video_url);
    pg_p_text(p, t->error_code);
    pg_p_text(p, t->error_message);
    pg_p_i64(p, t->completion_tokens);
    pg_p_i64(p, t->total_tokens);
}

enum store_result pg_insert_video_task(struct store *s, const struct video_task *t, const char *request_json)
{
    if (!pg_video_fits(t))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, t->id);
    pg_p_i64(&p, t->customer_id);
    pg_p_text(&p, t->upstream_id);
    pg_p_text(&p, t->model);
    pg_p_text(&p, t->status);
    pg_p_text(&p, request_json && *request_json ? request_json : "{}");
    pg_p_i64(&p, t->create_ms);
    pg_p_i64(&p, t->update_ms);
    pg_p_i64(&p, t->next_poll_ms);
    pg_p_i64(&p, t->polls);
    pg_p_result(&p, t);
    /* ::jsonb rejects (as an error) a request that is not JSON: the record
     * column promises JSON text. */
    return pg_write_one(s,
                        "INSERT INTO video_tasks(id, customer_id, upstream_id, model, status, request, result,"
                        " create_ms, update_ms, next_poll_ms, polls) VALUES ($1, $2, $3, $4, $5, $6::jsonb::text, "
                        PG_VIDEO_RESULT("$11", "$12", "$13", "$14", "$15") ", $7, $8, $9, $10)",
                        &p, NULL, "insert_video_task");
}

/* Runs a query returning video rows (PG_VIDEO_COLS) into items. */
static enum store_result pg_video_rows(struct store *s, const char *sql, const struct pg_params *p,
                                       struct video_task_list *out, const char *what)
{
    struct pg_store *ps = pg_of(s);
    struct pg_conn *c = pg_get(ps);
    if (!c)
        return STORE_UNAVAILABLE;
    PGresult *res = NULL;
    enum store_result r = pg_exec(c, PG_ADHOC, sql, p, &res, what);
    pg_put(ps, c);
    if (r != STORE_OK)
        return r;
    int n = PQntuples(res);
    out->items = calloc((size_t)(n ? n : 1), sizeof *out->items);
    if (!out->items) {
        PQclear(res);
        return STORE_ERROR;
    }
    for (int i = 0; i < n; i++)
        pg_read_video(res, i, &out->items[out->n++]);
    PQclear(res);
    return STORE_OK;
}

enum store_result pg_get_video_task(struct store *s, int64_t customer_id, const char *id, struct video_task *out)
{
    if (!id || !out)
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, id);
    pg_p_i64(&p, customer_id);
    struct video_task_list l = {0};
    enum store_result r = pg_video_rows(s, "SELECT " PG_VIDEO_COLS " FROM video_tasks v WHERE v.id = $1 AND v.customer_id = $2",
                                        &p, &l, "get_video_task");
    if (r == STORE_OK) {
        if (l.n == 1)
            *out = l.items[0];
        else
            r = STORE_NOT_FOUND;
    }
    free(l.items);
    return r;
}

enum store_result pg_update_video_task(struct store *s, const struct video_task *t, int64_t now_ms,
                                       int64_t next_poll_ms, int polls)
{
    if (!pg_video_fits(t))
        return STORE_ERROR;
    struct pg_params p;
    pg_p_init(&p);
    pg_p_text(&p, t->id);
    pg_p_text(&p, t->status);
    pg_p_i64(&p, now_ms);
    pg_p_i64(&p, next_poll_ms);
    pg_p_i64(&p, polls);
    pg_p_result(&p, t);
    int changes = 0;
    /* SET expressions see the row's old values: update_ms moves only
     * when the status or the result really changed. */
    enum store_result r = pg_write_one(
        s,
        "UPDATE video_tasks SET"
        " update_ms = CASE WHEN status = $2 AND result = " PG_VIDEO_RESULT("$6", "$7", "$8", "$9", "$10")
        " THEN update_ms ELSE $3 END,"
        " status = $2, result = " PG_VIDEO_RESULT("$6", "$7", "$8", "$9", "$10") ","
        " next_poll_ms = $4, polls = $5 WHERE id = $1",
        &p, &changes, "update_video_task");
    return r == STORE_OK && changes == 0 ? STORE_NOT_FOUND : r;
}

enum store_result pg_due_video_tasks(struct store *s, int64_t now_ms, size_t limit, struct video_task_list *out)
{
    if (!out || limit == 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, now_ms);
    pg_p_i64(&p, limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit);
    /* The partial index video_tasks_due covers exactly this WHERE. */
    return pg_video_rows(s,
                         "SELECT " PG_VIDEO_COLS " FROM video_tasks v"
                         " WHERE v.status IN ('queued', 'running') AND v.next_poll_ms <= $1"
                         " ORDER BY v.next_poll_ms, v.handle LIMIT $2",
                         &p, out, "due_video_tasks");
}

enum store_result pg_lease_due_video_tasks(struct store *s, int64_t now_ms, int64_t lease_ms, size_t limit,
                                           struct video_task_list *out)
{
    if (!out || limit == 0 || lease_ms < 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct pg_params p;
    pg_p_init(&p);
    pg_p_i64(&p, now_ms);
    pg_p_i64(&p, lease_ms);
    pg_p_i64(&p, limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit);
    /* As pg_lease_due_assets (pg_refresh.c): pick skipping locked rows,
     * lease, return in due order with the time each fell due. */
    return pg_video_rows(s,
                         "WITH due AS ("
                         "  SELECT handle, next_poll_ms AS due_ms FROM video_tasks"
                         "  WHERE status IN ('queued', 'running') AND next_poll_ms <= $1::bigint"
                         "  ORDER BY next_poll_ms, handle LIMIT $3 FOR UPDATE SKIP LOCKED),"
                         " leased AS ("
                         "  UPDATE video_tasks t SET next_poll_ms = $1::bigint + $2::bigint FROM due"
                         "  WHERE t.handle = due.handle"
                         "  RETURNING t.id, t.customer_id, t.upstream_id, t.model, t.status, t.result, t.create_ms,"
                         "  t.update_ms, due.due_ms AS next_poll_ms, t.polls, t.handle)"
                         " SELECT " PG_VIDEO_COLS " FROM leased v ORDER BY v.next_poll_ms, v.handle",
                         &p, out, "lease_due_video_tasks");
}
