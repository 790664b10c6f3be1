/* assets.c — assets, and the refresher's writes to them, written once over
 * the driver (driver.h).
 *
 * Invariant: customer-scoped statements filter on customer_id and
 * state = 1 (live); the refresher's statements filter on state = 1 only.
 * get_asset is on the hot path: one cached SELECT by the unique id index,
 * no explicit transaction.
 *
 * Quota: reserve_asset checks ownership, counts the group's slots and
 * inserts in one write transaction; on PostgreSQL it first locks the
 * group's row (sql_lock_live_group), so concurrent reservations into one
 * group, from any node, count and insert one after the other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "util/buf.h"

/* The API layer caps filter lists long before this. */
#define FILTER_LIST_MAX 100

static const struct sql_field asset_fields[] = {
    SQL_T(struct asset, id), SQL_T(struct asset, group_id), SQL_L(struct asset, customer_id),
    SQL_T(struct asset, type), SQL_T(struct asset, name), SQL_T(struct asset, url), SQL_T(struct asset, blob_key),
    SQL_T(struct asset, status), SQL_T(struct asset, failure_reason), SQL_L(struct asset, create_ms),
    SQL_L(struct asset, update_ms), SQL_L(struct asset, next_poll_ms), SQL_I(struct asset, polls),
    SQL_T(struct asset, error_code), SQL_T(struct asset, error_message), SQL_T(struct asset, tag)};
const struct sql_row sql_asset_row = SQL_ROW(struct asset, asset_fields);

#define LIVE_GROUP "SELECT 1 FROM groups WHERE id = $1 AND customer_id = $2 AND state = 1"

enum store_result sql_lock_live_group(struct sql_conn *c, const char *group_id, int64_t customer_id)
{
    int64_t one = 0;
    /* Ownership and the lock in one statement: a deleted group or another
     * customer's reads as missing. */
    return sql_one(c, SQL_CACHE, c->d->row_locks ? LIVE_GROUP " FOR UPDATE" : LIVE_GROUP, &sql_i64_row, &one, "ti",
                   group_id, customer_id);
}

enum store_result sql_claim_group_slot(struct sql_conn *c, const char *group_id, int64_t customer_id, int max_assets)
{
    int64_t count = 0, pending = 0;
    enum store_result r = sql_lock_live_group(c, group_id, customer_id);
    if (r == STORE_OK)
        r = sql_int(c, SQL_CACHE,
                    "SELECT (SELECT COUNT(*) FROM assets WHERE group_id = $1 AND state IN (0, 1))"
                    " + (SELECT COUNT(*) FROM upload_sessions WHERE group_id = $1 AND state IN (0, 1, 2))",
                    &count, NULL, "t", group_id);
    if (r != STORE_OK || count < max_assets)
        return r;
    /* Full. Truly, unless creates in flight hold places they may give back. */
    r = sql_int(c, SQL_CACHE, "SELECT COUNT(*) FROM assets WHERE group_id = $1 AND state = 0", &pending, NULL, "t",
                group_id);
    return r != STORE_OK ? r : count - pending < max_assets ? STORE_QUOTA_PENDING : STORE_QUOTA;
}

enum store_result sql_insert_pending_asset(struct sql_conn *c, const char *group_id, int64_t customer_id,
                                           const char *type, const char *name, const char *url,
                                           const char *blob_key, int64_t bytes, const struct actor *who,
                                           int64_t now_ms, const char *tag, int64_t *handle)
{
    char actor[sizeof who->key_prefix] = "", addr[sizeof who->addr] = "";
    if (who) {
        sql_copy_utf8(actor, sizeof actor, who->key_prefix);
        sql_copy_utf8(addr, sizeof addr, who->addr);
    }
    return sql_int(c, SQL_CACHE,
                   "INSERT INTO assets(group_id, customer_id, type, name, url, blob_key, status, state,"
                   " reserved_ms, create_ms, update_ms, tag, bytes, actor, actor_addr)"
                   " VALUES ($1, $2, $3, $4, $5, $6, 'Processing', 0, $7, $7, $7, $8, $9, $10, $11) RETURNING handle",
                   handle, NULL, "tittttititt", group_id, customer_id, type, name, url, blob_key, now_ms, tag,
                   bytes < 0 ? (int64_t)0 : bytes, actor, addr);
}

/* reserve_asset, and with sha256 (not "") reserve_content_asset: the
 * group's lock also orders the look for the same bytes before the quota
 * and the insert (the same bytes are the same asset even in a full
 * group), and the unique index assets_content holds even where it would
 * not. */
static enum store_result reserve(struct store *s, int64_t customer_id, const char *group_id, const char *type,
                                 const char *name, const char *url, const char *blob_key, const char *sha256,
                                 int64_t bytes, const struct actor *who, int max_assets, int64_t now_ms,
                                 const char *tag, int64_t *handle, int *slot)
{
    if (!name)
        name = "";
    if (!blob_key)
        blob_key = "";
    if (!tag)
        tag = "";
    if (!sql_fits(tag, STORE_TAG_MAX) || !group_id || !sql_fits(type, sizeof((struct asset *)0)->type) ||
        !type[0] || !sql_fits(name, STORE_NAME_MAX) || !sql_fits(url, STORE_URL_MAX) ||
        !sql_fits(blob_key, sizeof((struct asset *)0)->blob_key) || !handle || !sql_fits(sha256, STORE_SHA256_MAX))
        return STORE_ERROR;
    struct sql_conn *c;
    int64_t one = 0;
    int found = 0;
    /* Ownership, quota and insert in one write transaction: the group
     * cannot be deleted, nor the quota filled, between check and insert. */
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    if (sha256[0]) {
        r = sql_lock_live_group(c, group_id, customer_id);
        if (r == STORE_OK)
            r = sql_int(c, 0, "SELECT 1 FROM assets WHERE group_id = $1 AND sha256 = $2 AND state IN (0, 1)", &one,
                        &found, "tt", group_id, sha256);
        if (r == STORE_OK && found)
            r = STORE_CONFLICT;
    }
    if (r == STORE_OK)
        r = sql_claim_group_slot(c, group_id, customer_id, max_assets);
    if (r == STORE_OK)
        r = sql_insert_pending_asset(c, group_id, customer_id, type, name, url, blob_key, bytes, who, now_ms, tag,
                                     handle);
    if (r == STORE_OK && sha256[0])
        r = sql_exec(c, 0, "UPDATE assets SET sha256 = $2 WHERE handle = $1", NULL, "it", *handle, sha256);
    /* The account's creations in flight: in the same transaction, so the
     * common case costs no round trip of its own (fleet.c). */
    if (r == STORE_OK)
        r = sql_fleet_hold_asset(s, c, *handle, slot);
    return sql_done(s, c, r);
}

enum store_result sql_reserve_asset(struct store *s, int64_t customer_id, const char *group_id, const char *type,
                                    const char *name, const char *url, const char *blob_key, int64_t bytes,
                                    const struct actor *who, int max_assets, int64_t now_ms, const char *tag,
                                    int64_t *handle, int *slot)
{
    return reserve(s, customer_id, group_id, type, name, url, blob_key, "", bytes, who, max_assets, now_ms, tag,
                   handle, slot);
}

enum store_result sql_reserve_content_asset(struct store *s, int64_t customer_id, const char *group_id,
                                            const char *type, const char *name, const char *url,
                                            const char *blob_key, const char *sha256, int64_t bytes,
                                            const struct actor *who, int max_assets, int64_t now_ms,
                                            const char *tag, int64_t *handle, int *slot)
{
    if (!sha256 || !sha256[0])
        return STORE_ERROR;
    return reserve(s, customer_id, group_id, type, name, url, blob_key, sha256, bytes, who, max_assets, now_ms, tag,
                   handle, slot);
}

enum store_result sql_find_asset_by_sha256(struct store *s, int64_t customer_id, const char *group_id,
                                           const char *sha256, struct asset *out)
{
    if (!group_id || !sha256 || !sha256[0] || !out)
        return STORE_ERROR;
    return sql_query_one(s, 0,
                         "SELECT " SQL_ASSET_COLS " FROM assets a WHERE a.group_id = $1 AND a.sha256 = $2"
                         " AND a.customer_id = $3 AND a.state = 1",
                         &sql_asset_row, out, "tti", group_id, sha256, customer_id);
}

/* A confirmed asset as its counters and its audit entry need it. */
struct asset_born {
    int64_t customer_id, bytes;
    char group_id[IDS_MAX], type[8], actor[32], actor_addr[64];
    char group_type[16], token[STORE_TOKEN_MAX]; /* its group's type, and the session that made the group */
};
static const struct sql_field asset_born_fields[] = {
    SQL_L(struct asset_born, customer_id), SQL_L(struct asset_born, bytes),    SQL_T(struct asset_born, group_id),
    SQL_T(struct asset_born, type),        SQL_T(struct asset_born, actor),    SQL_T(struct asset_born, actor_addr),
    SQL_T(struct asset_born, group_type),  SQL_T(struct asset_born, token)};
static const struct sql_row asset_born_row = SQL_ROW(struct asset_born, asset_born_fields);

enum store_result sql_confirm_asset(struct store *s, int64_t handle, const char *id, int64_t now_ms,
                                    int64_t next_poll_ms)
{
    if (!sql_fits(id, IDS_MAX) || !id[0])
        return STORE_ERROR;
    struct sql_conn *c;
    struct asset_born b;
    struct sql_usage u = {0};
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    /* state = 0: a reservation whose group was deleted meanwhile is
     * state 2 and is not revived. */
    r = sql_exec_row(c, SQL_CACHE,
                     "UPDATE assets SET id = $2, state = 1, status = 'Processing', failure_reason = '',"
                     " create_ms = $3, update_ms = $3, next_poll_ms = $4, polls = 0"
                     " WHERE handle = $1 AND state = 0 AND id IS NULL",
                     "itii", handle, id, now_ms, next_poll_ms);
    if (r == STORE_OK)
        r = sql_one(c, SQL_CACHE,
                    "SELECT a.customer_id, a.bytes, a.group_id, a.type, a.actor, a.actor_addr, g.type,"
                    " CASE WHEN g.type = 'LivenessFace' THEN COALESCE((SELECT v.token FROM validate_sessions v"
                    "  WHERE v.group_id = a.group_id), '') ELSE '' END"
                    " FROM assets a JOIN groups g ON g.id = a.group_id WHERE a.handle = $1",
                    &asset_born_row, &b, "i", handle);
    if (r == STORE_OK) {
        sql_usage_add(&u, b.customer_id, now_ms, USAGE_ASSETS_CREATED, NULL, 1);
        sql_usage_add(&u, b.customer_id, now_ms, USAGE_LIVE_ASSETS, "Processing", 1);
        sql_usage_add(&u, b.customer_id, now_ms, USAGE_LIVE_BYTES, NULL, b.bytes);
        sql_usage_add(&u, b.customer_id, now_ms, USAGE_BYTES_UPLOADED, NULL, b.bytes);
        r = sql_usage_write(c, &u);
    }
    /* A real person's face: the audit log says who registered it and
     * which face scan made the group it joins. */
    if (r == STORE_OK && strcmp(b.group_type, "LivenessFace") == 0) {
        struct audit_event e;
        struct actor who = {.customer_id = b.customer_id};
        snprintf(who.key_prefix, sizeof who.key_prefix, "%s", b.actor);
        snprintf(who.addr, sizeof who.addr, "%s", b.actor_addr);
        sql_audit_init(&e, AUDIT_LIVENESS_ASSET, b.customer_id, id, b.group_id, &who, now_ms);
        sql_audit_detail(&e, "sis", "AssetType", b.type, "Bytes", b.bytes, "BytedToken", b.token);
        r = sql_audit(c, &e);
    }
    return sql_done(s, c, r);
}

enum store_result sql_get_asset(struct store *s, int64_t customer_id, const char *id, struct asset *out)
{
    return sql_get_owned(s, SQL_CACHE,
                         "SELECT " SQL_ASSET_COLS " FROM assets a WHERE a.id = $1 AND a.customer_id = $2 AND a.state = 1",
                         &sql_asset_row, id, customer_id, out);
}

/* Appends " AND col IN ($k, ...)" for n values from parameter *next on;
 * -1 on overflow. */
static int where_in(struct buf *b, int *next, const char *col, const char *const *v, size_t n)
{
    if (n == 0)
        return 0;
    if (n > FILTER_LIST_MAX || !v)
        return -1;
    if (buf_printf(b, " AND %s IN (", col) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!v[i] || buf_printf(b, "%s$%d", i ? ", " : "", (*next)++) < 0)
            return -1;
    }
    return buf_puts(b, ")");
}

/* Binds $1 customer_id, then the filter values in the order the WHERE was
 * built; returns the next free parameter number. */
static int bind_asset_filter(struct sql_stmt *st, int64_t customer_id, const struct asset_filter *f)
{
    int i = 1;
    sql_bind_i64(st, i++, customer_id);
    if (!f)
        return i;
    for (size_t k = 0; k < f->n_group_ids; k++)
        sql_bind_text(st, i++, f->group_ids[k]);
    for (size_t k = 0; k < f->n_statuses; k++)
        sql_bind_text(st, i++, f->statuses[k]);
    if (f->type)
        sql_bind_text(st, i++, f->type);
    if (f->name_sub)
        sql_bind_text(st, i++, f->name_sub);
    return i;
}

/* Lists need a variable IN (...), so their SQL is built per call, with
 * every user value bound, never spliced into the text. */
enum store_result sql_list_assets(struct store *s, int64_t customer_id, const struct asset_filter *f,
                                  int page_number, int page_size, struct asset_list *out)
{
    struct buf where, sql;
    struct sql_conn *c = NULL;
    struct sql_stmt *st = NULL;
    enum store_result r = STORE_ERROR;
    if (!out || page_number < 1 || page_size < 1)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    buf_init(&where, 4096);
    buf_init(&sql, 8192);
    int next = 2;
    if (buf_puts(&where, " WHERE a.customer_id = $1 AND a.state = 1") < 0)
        goto done;
    if (f) {
        if (where_in(&where, &next, "a.group_id", f->group_ids, f->n_group_ids) < 0 ||
            where_in(&where, &next, "a.status", f->statuses, f->n_statuses) < 0 ||
            (f->type && buf_printf(&where, " AND a.type = $%d", next++) < 0) ||
            (f->name_sub && buf_printf(&where, " AND strpos(a.name, $%d) > 0", next++) < 0))
            goto done;
    }
    if (buf_printf(&sql, "SELECT COUNT(*) FROM assets a%s", where.data) < 0)
        goto done;
    int64_t offset = (int64_t)(page_number - 1) * page_size;
    /* Count and page on one snapshot, so total matches the page. */
    r = sql_start(s, SQL_TX_SNAPSHOT, &c);
    if (r != STORE_OK)
        goto done;
    r = sql_open(c, 0, sql.data, &st, "");
    if (r == STORE_OK) {
        int row = 0;
        bind_asset_filter(st, customer_id, f);
        r = sql_step(st, &row);
        if (r == STORE_OK && row)
            out->total = sql_col_i64(st, 0);
        sql_finish(st);
    }
    if (r != STORE_OK || out->total <= offset)
        goto end;
    int64_t want = out->total - offset < page_size ? out->total - offset : page_size;
    buf_reset(&sql);
    if (buf_printf(&sql, "SELECT " SQL_ASSET_COLS " FROM assets a%s ORDER BY a.create_ms DESC, a.handle DESC"
                         " LIMIT $%d OFFSET $%d", where.data, next, next + 1) < 0) {
        r = STORE_ERROR;
        goto end;
    }
    r = sql_open(c, 0, sql.data, &st, "");
    if (r == STORE_OK) {
        int i = bind_asset_filter(st, customer_id, f);
        sql_bind_i64(st, i, want);
        sql_bind_i64(st, i + 1, offset);
        void *items;
        r = sql_rows(st, &sql_asset_row, (size_t)want, &items, &out->n);
        out->items = items;
        sql_finish(st);
    }
end:
    r = sql_done(s, c, r);
done:
    if (r != STORE_OK) {
        free(out->items);
        memset(out, 0, sizeof *out);
    }
    buf_free(&where);
    buf_free(&sql);
    return r;
}

enum store_result sql_update_asset(struct store *s, int64_t customer_id, const char *id, const char *name,
                                   int64_t now_ms)
{
    if (!id || (name && !sql_fits(name, STORE_NAME_MAX)))
        return STORE_ERROR;
    return sql_write_row(s, SQL_CACHE,
                         "UPDATE assets SET name = coalesce(CAST($3 AS TEXT), name), update_ms = $4"
                         " WHERE id = $1 AND customer_id = $2 AND state = 1",
                         "titi", id, customer_id, name, now_ms);
}

enum store_result sql_delete_asset(struct store *s, int64_t customer_id, const char *id, int64_t now_ms,
                                   const struct actor *who)
{
    if (!id)
        return STORE_ERROR;
    struct sql_conn *c;
    struct sql_usage u = {0};
    struct asset_gone_info {
        char status[32];
        int64_t bytes;
        char group_id[IDS_MAX], type[8], group_type[16];
    } g;
    static const struct sql_field gone_fields[] = {
        SQL_T(struct asset_gone_info, status), SQL_L(struct asset_gone_info, bytes),
        SQL_T(struct asset_gone_info, group_id), SQL_T(struct asset_gone_info, type)};
    static const struct sql_row gone_row = SQL_ROW(struct asset_gone_info, gone_fields);
    static const struct sql_field group_type_fields[] = {{0, sizeof g.group_type, 't'}};
    static const struct sql_row group_type_row = {sizeof g.group_type, group_type_fields, 1};
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    /* RETURNING: the status as this delete found it (a refresher's write
     * meanwhile is waited for), so the counters lose what it held. */
    r = sql_one(c, SQL_CACHE,
                "UPDATE assets SET state = 2, deleted_ms = $3 WHERE id = $1 AND customer_id = $2 AND state = 1"
                " RETURNING status, bytes, group_id, type",
                &gone_row, &g, "tii", id, customer_id, now_ms);
    if (r == STORE_OK)
        r = sql_one(c, SQL_CACHE, "SELECT type FROM groups WHERE id = $1", &group_type_row, g.group_type, "t",
                    g.group_id);
    if (r == STORE_OK) {
        sql_usage_add(&u, customer_id, now_ms, USAGE_ASSETS_DELETED, NULL, 1);
        sql_usage_add(&u, customer_id, now_ms, USAGE_LIVE_ASSETS, g.status, -1);
        sql_usage_add(&u, customer_id, now_ms, USAGE_LIVE_BYTES, NULL, -g.bytes);
        r = sql_usage_write(c, &u);
    }
    if (r == STORE_OK) {
        struct audit_event e;
        sql_audit_init(&e, AUDIT_ASSET_DELETED, customer_id, id, g.group_id, who, now_ms);
        sql_audit_detail(&e, "ss", "AssetType", g.type, "GroupType", g.group_type);
        r = sql_audit(c, &e);
    }
    return sql_done(s, c, r);
}

/* ---- the refresher (customers ignored: the gateway's own work) ---------- */

#define SET_ASSET_STATUS                                                                                      \
    "UPDATE assets SET update_ms = CASE WHEN status <> $2 THEN $4 ELSE update_ms END,"                         \
    " status = $2, failure_reason = $3, error_code = $5, error_message = $6"                                   \
    " WHERE id = $1 AND state = 1"
#define ASSET_STATUS "SELECT status, customer_id FROM assets WHERE id = $1 AND state = 1"

struct status_of {
    char status[32];
    int64_t customer_id;
};
static const struct sql_field status_of_fields[] = {SQL_T(struct status_of, status),
                                                    SQL_L(struct status_of, customer_id)};
static const struct sql_row status_of_row = SQL_ROW(struct status_of, status_of_fields);

enum store_result sql_set_asset_status(struct store *s, const char *id, const char *status, const char *reason,
                                       const char *error_code, const char *error_message, int64_t now_ms,
                                       const struct event *ev)
{
    char why[STORE_REASON_MAX], code[sizeof((struct asset *)0)->error_code], message[STORE_REASON_MAX];
    if (!id || !sql_fits(status, sizeof((struct asset *)0)->status) || !status[0])
        return STORE_ERROR;
    /* An upstream's long failure reason is cut to fit, never mid-character. */
    sql_copy_utf8(why, sizeof why, reason ? reason : "");
    sql_copy_utf8(code, sizeof code, error_code ? error_code : "");
    sql_copy_utf8(message, sizeof message, error_message ? error_message : "");
    struct sql_conn *c;
    struct status_of old;
    struct sql_usage u = {0};
    enum store_result r = sql_start(s, SQL_TX_WRITE, &c);
    if (r != STORE_OK)
        return r;
    /* The status before, locked where rows lock: the event and the
     * counters move exactly when it changes. */
    r = sql_one(c, SQL_CACHE, sql_driver_of(s)->row_locks ? ASSET_STATUS " FOR UPDATE" : ASSET_STATUS,
                &status_of_row, &old, "t", id);
    /* SET expressions all read the old row, so the CASE compares against
     * the status before this update. */
    if (r == STORE_OK)
        r = sql_exec(c, SQL_CACHE, SET_ASSET_STATUS, NULL, "tttitt", id, status, why, now_ms, code, message);
    if (r == STORE_OK && strcmp(old.status, status) != 0) {
        sql_usage_add(&u, old.customer_id, now_ms, USAGE_LIVE_ASSETS, old.status, -1);
        sql_usage_add(&u, old.customer_id, now_ms, USAGE_LIVE_ASSETS, status, 1);
        if (ev)
            r = sql_append_event(c, ev);
        if (r == STORE_OK)
            r = sql_usage_write(c, &u);
    }
    return sql_done(s, c, r);
}

enum store_result sql_schedule_poll(struct store *s, const char *id, int64_t next_poll_ms, int polls)
{
    if (!id)
        return STORE_ERROR;
    return sql_write_row(s, SQL_CACHE, "UPDATE assets SET next_poll_ms = $2, polls = $3 WHERE id = $1 AND state = 1",
                         "tii", id, next_poll_ms, (int64_t)polls);
}

struct status_count {
    char status[32];
    int64_t n;
};
static const struct sql_field status_count_fields[] = {SQL_T(struct status_count, status),
                                                       SQL_L(struct status_count, n)};
static const struct sql_row status_count_row = SQL_ROW(struct status_count, status_count_fields);

enum store_result sql_count_assets(struct store *s, struct asset_counts *out)
{
    if (!out)
        return STORE_ERROR;
    memset(out, 0, sizeof *out);
    void *items;
    size_t n;
    enum store_result r = sql_query_rows(s, SQL_CACHE,
                                         "SELECT status, COUNT(*) FROM assets WHERE state = 1 GROUP BY status",
                                         &status_count_row, 0, &items, &n, "");
    if (r != STORE_OK)
        return r;
    const struct status_count *sc = items;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(sc[i].status, "Processing") == 0)
            out->processing = sc[i].n;
        else if (strcmp(sc[i].status, "Active") == 0)
            out->active = sc[i].n;
        else if (strcmp(sc[i].status, "Failed") == 0)
            out->failed = sc[i].n;
    }
    free(items);
    return STORE_OK;
}
