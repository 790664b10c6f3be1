/* sqlite_videos.c — video generation tasks in the SQLite store (table
 * video_tasks, schema step 3).
 *
 * The result column holds one JSON object, built and read with SQLite's
 * own JSON functions so that its shape lives in this file only:
 *   {"video_url": "...", "error": {"code", "message"} | null,
 *    "usage": {"completion_tokens": N, "total_tokens": N}}
 * request holds the customer's request as they sent it, for the record.
 *
 * Invariant: customer-scoped reads filter on customer_id, so another
 * customer's task is NOT_FOUND exactly like a missing one. Statements are
 * prepared per call (not cached): these are not the gateway's hot path,
 * and the cache's statement ids belong to the other files. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

#define SQ_VIDEO_COLS                                                                                    \
    "id, customer_id, upstream_id, model, status, coalesce(json_extract(result, '$.video_url'), ''),"   \
    " coalesce(json_extract(result, '$.error.code'), ''), coalesce(json_extract(result, '$.error.message'), ''),"  \
    " coalesce(json_extract(result, '$.usage.completion_tokens'), 0),"                                 \
    " coalesce(json_extract(result, '$.usage.total_tokens'), 0), create_ms, update_ms, next_poll_ms, polls"

/* The result object from bound parameters ?R (video_url), ?R+1 (error
 * code, '' for none), ?R+2 (message), ?R+3 and ?R+4 (usage). */
#define SQ_VIDEO_RESULT(a, b, c, d, e)                                                                  \
    "json_object('video_url', " a ", 'error', CASE WHEN " b " = '' THEN NULL ELSE json_object('code', " b \
    ", 'message', " c ") END, 'usage', json_object('completion_tokens', " d ", 'total_tokens', " e "))"

static void sq_read_video(sqlite3_stmt *st, struct video_task *out)
{
    memset(out, 0, sizeof *out);
    sq_col_text(st, 0, out->id, sizeof out->id);
    out->customer_id = sqlite3_column_int64(st, 1);
    sq_col_text(st, 2, out->upstream_id, sizeof out->upstream_id);
    sq_col_text(st, 3, out->model, sizeof out->model);
    sq_col_text(st, 4, out->status, sizeof out->status);
    sq_col_text(st, 5, out->video_url, sizeof out->video_url);
    sq_col_text(st, 6, out->error_code, sizeof out->error_code);
    sq_col_text(st, 7, out->error_message, sizeof out->error_message);
    out->completion_tokens = sqlite3_column_int64(st, 8);
    out->total_tokens = sqlite3_column_int64(st, 9);
    out->create_ms = sqlite3_column_int64(st, 10);
    out->update_ms = sqlite3_column_int64(st, 11);
    out->next_poll_ms = sqlite3_column_int64(st, 12);
    out->polls = sqlite3_column_int(st, 13);
}

static int sq_video_fits(const struct video_task *t)
{
    return t && sq_fits(t->id, IDS_MAX) && t->id[0] && sq_fits(t->upstream_id, IDS_MAX) &&
           sq_fits(t->model, STORE_MODEL_MAX) && sq_fits(t->status, sizeof t->status) && t->status[0] &&
           sq_fits(t->video_url, STORE_URL_MAX) && sq_fits(t->error_code, STORE_ERROR_CODE_MAX) &&
           sq_fits(t->error_message, STORE_REASON_MAX);
}

/* Binds the five result parameters starting at index i. */
static void sq_bind_result(sqlite3_stmt *st, int i, const struct video_task *t)
{
    sq_bind_text(st, i, t->video_url);
    sq_bind_text(st, i + 1, t->error_code);
    sq_bind_text(st, i + 2, t->error_message);
    sqlite3_bind_int64(st, i + 3, t->completion_tokens);
    sqlite3_bind_int64(st, i + 4, t->total_tokens);
}

/* Prepares, binds with bind(st, arg), steps once in a write transaction. */
static enum store_result sq_video_write(struct store *s, const char *sql, const char *what,
                                        void (*bind)(sqlite3_stmt *, const void *), const void *arg, int *changes)
{
    struct sq_store *ss = sq_of(s);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    enum store_result r = sq_begin_write(ss, c);
    if (r != STORE_OK)
        goto out;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        r = sq_result(c, rc, what);
        if (r == STORE_OK)
            r = STORE_ERROR;
    } else {
        bind(st, arg);
        r = sq_result(c, sqlite3_step(st), what);
        if (r == STORE_OK && changes)
            *changes = sqlite3_changes(c->db);
    }
    sqlite3_finalize(st);
    r = sq_end_write(ss, c, r);
out:
    sq_put(ss, c);
    return r;
}

struct sq_insert_video_args {
    const struct video_task *t;
    const char *request;
};

static void sq_bind_insert_video(sqlite3_stmt *st, const void *arg)
{
    const struct sq_insert_video_args *a = arg;
    sq_bind_text(st, 1, a->t->id);
    sqlite3_bind_int64(st, 2, a->t->customer_id);
    sq_bind_text(st, 3, a->t->upstream_id);
    sq_bind_text(st, 4, a->t->model);
    sq_bind_text(st, 5, a->t->status);
    sq_bind_text(st, 6, a->request);
    sqlite3_bind_int64(st, 7, a->t->create_ms);
    sqlite3_bind_int64(st, 8, a->t->update_ms);
    sqlite3_bind_int64(st, 9, a->t->next_poll_ms);
    sqlite3_bind_int(st, 10, a->t->polls);
    sq_bind_result(st, 11, a->t);
}

enum store_result sq_insert_video_task(struct store *s, const struct video_task *t, const char *request_json)
{
    if (!sq_video_fits(t))
        return STORE_ERROR;
    struct sq_insert_video_args a = {t, request_json && *request_json ? request_json : "{}"};
    /* json(?6) rejects (as an error) a request that is not JSON: the
     * record column promises JSON text. */
    return sq_video_write(s,
                          "INSERT INTO video_tasks(id, customer_id, upstream_id, model, status, request, result,"
                          " create_ms, update_ms, next_poll_ms, polls) VALUES (?1, ?2, ?3, ?4, ?5, json(?6), "
                          SQ_VIDEO_RESULT("?11", "?12", "?13", "?14", "?15") ", ?7, ?8, ?9, ?10)",
                          "insert_video_task", sq_bind_insert_video, &a, NULL);
}

enum store_result sq_get_video_task(struct store *s, int64_t customer_id, const char *id, struct video_task *out)
{
    struct sq_store *ss = sq_of(s);
    if (!id || !out)
        return STORE_ERROR;
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    enum store_result r;
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT " SQ_VIDEO_COLS " FROM video_tasks WHERE id = ?1 AND customer_id = ?2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        r = sq_result(c, rc, "get_video_task prepare");
        if (r == STORE_OK)
            r = STORE_ERROR;
        goto out;
    }
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, customer_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        sq_read_video(st, out);
    r = sq_result(c, rc, "get_video_task");
    if (r == STORE_OK && rc == SQLITE_DONE)
        r = STORE_NOT_FOUND;
out:
    sqlite3_finalize(st);
    sq_put(ss, c);
    return r;
}

struct sq_update_video_args {
    const struct video_task *t;
    int64_t now_ms, next_poll_ms;
    int polls;
};

static void sq_bind_update_video(sqlite3_stmt *st, const void *arg)
{
    const struct sq_update_video_args *a = arg;
    sq_bind_text(st, 1, a->t->id);
    sq_bind_text(st, 2, a->t->status);
    sqlite3_bind_int64(st, 3, a->now_ms);
    sqlite3_bind_int64(st, 4, a->next_poll_ms);
    sqlite3_bind_int(st, 5, a->polls);
    sq_bind_result(st, 6, a->t);
}

enum store_result sq_update_video_task(struct store *s, const struct video_task *t, int64_t now_ms,
                                       int64_t next_poll_ms, int polls)
{
    if (!sq_video_fits(t))
        return STORE_ERROR;
    struct sq_update_video_args a = {t, now_ms, next_poll_ms, polls};
    int changes = 0;
    /* SET expressions see the row's old values: update_ms moves only
     * when the status or the result really changed. */
    enum store_result r = sq_video_write(
        s,
        "UPDATE video_tasks SET"
        " update_ms = CASE WHEN status = ?2 AND result = " SQ_VIDEO_RESULT("?6", "?7", "?8", "?9", "?10")
        " THEN update_ms ELSE ?3 END,"
        " status = ?2, result = " SQ_VIDEO_RESULT("?6", "?7", "?8", "?9", "?10") ","
        " next_poll_ms = ?4, polls = ?5 WHERE id = ?1",
        "update_video_task", sq_bind_update_video, &a, &changes);
    return r == STORE_OK && changes == 0 ? STORE_NOT_FOUND : r;
}

enum store_result sq_due_video_tasks(struct store *s, int64_t now_ms, size_t limit, struct video_task_list *out)
{
    struct sq_store *ss = sq_of(s);
    if (!out || limit == 0)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    struct sq_conn *c = sq_get(ss);
    if (!c)
        return STORE_UNAVAILABLE;
    sqlite3_stmt *st = NULL;
    enum store_result r = STORE_ERROR;
    out->items = calloc(limit, sizeof *out->items);
    if (!out->items)
        goto out;
    /* The partial index video_tasks_due covers exactly this WHERE. */
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT " SQ_VIDEO_COLS " FROM video_tasks"
                                " WHERE status IN ('queued', 'running') AND next_poll_ms <= ?1"
                                " ORDER BY next_poll_ms, handle LIMIT ?2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        r = sq_result(c, rc, "due_video_tasks prepare");
        if (r == STORE_OK)
            r = STORE_ERROR;
        goto out;
    }
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < limit)
        sq_read_video(st, &out->items[out->n++]);
    r = sq_result(c, rc == SQLITE_ROW ? SQLITE_DONE : rc, "due_video_tasks");
out:
    sqlite3_finalize(st);
    sq_put(ss, c);
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    return r;
}
