/* admin_usage.c — the operators' reads of usage and of the audit log
 * (API.md §7): GetUsage, as JSON or CSV, and ListAuditEvents; rows of
 * admin.c's table.
 *
 * GetUsage's rows are core's (core_get_usage): one per customer and UTC
 * day, the day's moves and the stocks at its end; here they only get their
 * wire shapes. The CSV is RFC 4180 (a header row, CRLF, fields quoted when
 * they hold a comma, a quote or a line break) with one fixed column per
 * figure, so a spreadsheet reads it as is; a text field that a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR first) is defused with a
 * leading apostrophe. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "util/buf.h"
#include "util/clock.h"

#define USAGE_CSV_MAX (64 * 1024 * 1024)

/* The statuses an asset stock is shown by; any other word is "Other". */
static const char *const known_statuses[] = {"Processing", "Active", "Failed"};
#define N_KNOWN (sizeof known_statuses / sizeof known_statuses[0])

/* The stock of assets in statuses that are none of the known ones. */
static int64_t other_assets(const struct core_usage_row *r)
{
    size_t prefix = strlen(USAGE_LIVE_ASSETS);
    int64_t n = 0;
    for (size_t i = 0; i < r->n_values; i++) {
        const char *m = r->values[i].metric;
        if (strncmp(m, USAGE_LIVE_ASSETS, prefix) != 0)
            continue;
        size_t k = 0;
        while (k < N_KNOWN && strcmp(m + prefix, known_statuses[k]) != 0)
            k++;
        if (k == N_KNOWN)
            n += r->values[i].n;
    }
    return n;
}

static int64_t value(const struct core_usage_row *r, const char *prefix, const char *name)
{
    char metric[USAGE_METRIC_MAX];
    snprintf(metric, sizeof metric, "%s%s", prefix, name);
    return core_usage_value(r, metric);
}

/* The GetUsage row object of API.md §7. */
static json_t *render_usage_row(const struct core_usage_row *r)
{
    json_t *live = json_object(), *calls = json_object();
    size_t prefix = strlen(USAGE_LIVE_ASSETS);
    for (size_t k = 0; k < N_KNOWN; k++)
        json_object_set_new(live, known_statuses[k], json_integer(value(r, USAGE_LIVE_ASSETS, known_statuses[k])));
    /* Statuses the upstream reported beyond those, verbatim, when held. */
    for (size_t i = 0; i < r->n_values; i++)
        if (strncmp(r->values[i].metric, USAGE_LIVE_ASSETS, prefix) == 0 && r->values[i].n &&
            !json_object_get(live, r->values[i].metric + prefix))
            json_object_set_new(live, r->values[i].metric + prefix, json_integer(r->values[i].n));
    const char *const *actions;
    size_t n_actions = core_usage_actions(&actions);
    for (size_t k = 0; k < n_actions; k++)
        json_object_set_new(calls, actions[k], json_integer(value(r, USAGE_UPSTREAM, actions[k])));
    return json_pack(
        "{s:I, s:s, s:s, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:o}, s:I, s:I, s:o, s:{s:I, s:I, s:I, s:I},"
        " s:{s:I, s:I, s:I, s:I}}",
        "CustomerId", (json_int_t)r->customer_id, "CustomerName", r->customer, "Date", r->date,
        "Groups", "Created", (json_int_t)core_usage_value(r, USAGE_GROUPS_CREATED), "Deleted",
        (json_int_t)core_usage_value(r, USAGE_GROUPS_DELETED), "Live",
        (json_int_t)core_usage_value(r, USAGE_LIVE_GROUPS),
        "Assets", "Created", (json_int_t)core_usage_value(r, USAGE_ASSETS_CREATED), "Deleted",
        (json_int_t)core_usage_value(r, USAGE_ASSETS_DELETED), "Live", live,
        "BytesStored", (json_int_t)core_usage_value(r, USAGE_LIVE_BYTES),
        "UploadBytes", (json_int_t)core_usage_value(r, USAGE_BYTES_UPLOADED),
        "UpstreamCalls", calls,
        "VideoTasks", "Created", (json_int_t)core_usage_value(r, USAGE_VIDEOS_CREATED), "Succeeded",
        (json_int_t)core_usage_value(r, USAGE_VIDEOS_SUCCEEDED), "Failed",
        (json_int_t)core_usage_value(r, USAGE_VIDEOS_FAILED), "Seconds",
        (json_int_t)core_usage_value(r, USAGE_VIDEO_SECONDS),
        "LivenessSessions", "Started", (json_int_t)core_usage_value(r, USAGE_LIVENESS_STARTED), "Passed",
        (json_int_t)core_usage_value(r, USAGE_LIVENESS_PASSED), "Failed",
        (json_int_t)core_usage_value(r, USAGE_LIVENESS_FAILED), "Expired",
        (json_int_t)core_usage_value(r, USAGE_LIVENESS_EXPIRED));
}

/* ---- CSV ---- */

/* One text field, RFC 4180: quoted when it must be, formulas defused. */
static int csv_text(struct buf *b, const char *s)
{
    int defuse = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    int quote = defuse || strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ');
    int rc = quote ? buf_puts(b, "\"") : 0;
    if (defuse)
        rc |= buf_puts(b, "'");
    for (const char *p = s; *p && rc == 0; p++)
        rc |= *p == '"' ? buf_puts(b, "\"\"") : buf_append(b, p, 1);
    return rc | (quote ? buf_puts(b, "\"") : 0);
}

/* The CSV's figures, in column order: header name and how to read it. */
struct csv_column {
    const char *name;
    const char *metric; /* NULL: computed (AssetsOther) */
};
static const struct csv_column csv_columns[] = {
    {"GroupsCreated", USAGE_GROUPS_CREATED},
    {"GroupsDeleted", USAGE_GROUPS_DELETED},
    {"GroupsLive", USAGE_LIVE_GROUPS},
    {"AssetsCreated", USAGE_ASSETS_CREATED},
    {"AssetsDeleted", USAGE_ASSETS_DELETED},
    {"AssetsProcessing", USAGE_LIVE_ASSETS "Processing"},
    {"AssetsActive", USAGE_LIVE_ASSETS "Active"},
    {"AssetsFailed", USAGE_LIVE_ASSETS "Failed"},
    {"AssetsOther", NULL},
    {"BytesStored", USAGE_LIVE_BYTES},
    {"UploadBytes", USAGE_BYTES_UPLOADED},
    {"VideoTasksCreated", USAGE_VIDEOS_CREATED},
    {"VideoTasksSucceeded", USAGE_VIDEOS_SUCCEEDED},
    {"VideoTasksFailed", USAGE_VIDEOS_FAILED},
    {"VideoSeconds", USAGE_VIDEO_SECONDS},
    {"LivenessStarted", USAGE_LIVENESS_STARTED},
    {"LivenessPassed", USAGE_LIVENESS_PASSED},
    {"LivenessFailed", USAGE_LIVENESS_FAILED},
    {"LivenessExpired", USAGE_LIVENESS_EXPIRED},
};
#define N_COLUMNS (sizeof csv_columns / sizeof csv_columns[0])

/* Header, then a row per customer and day; the upstream calls close each
 * row, one column per metered Action (UpstreamCalls<Action>). */
static int usage_csv(const struct core_usage *u, struct buf *b)
{
    const char *const *actions;
    size_t n_actions = core_usage_actions(&actions);
    int rc = buf_puts(b, "CustomerId,CustomerName,Date");
    for (size_t k = 0; k < N_COLUMNS; k++)
        rc |= buf_printf(b, ",%s", csv_columns[k].name);
    for (size_t k = 0; k < n_actions; k++)
        rc |= buf_printf(b, ",UpstreamCalls%s", actions[k]);
    rc |= buf_puts(b, "\r\n");
    for (size_t i = 0; i < u->n && rc == 0; i++) {
        const struct core_usage_row *r = &u->rows[i];
        rc |= buf_printf(b, "%lld,", (long long)r->customer_id);
        rc |= csv_text(b, r->customer);
        rc |= buf_printf(b, ",%s", r->date);
        for (size_t k = 0; k < N_COLUMNS; k++)
            rc |= buf_printf(b, ",%lld",
                             (long long)(csv_columns[k].metric ? core_usage_value(r, csv_columns[k].metric)
                                                               : other_assets(r)));
        for (size_t k = 0; k < n_actions; k++)
            rc |= buf_printf(b, ",%lld", (long long)value(r, USAGE_UPSTREAM, actions[k]));
        rc |= buf_puts(b, "\r\n");
    }
    return rc;
}

enum core_code admin_get_usage(struct api *a, const struct api_request *req, struct api_call *call,
                               json_t **result, struct api_response *resp, struct core_status *st)
{
    const char *from = NULL, *to = NULL, *format = NULL;
    int64_t customer = -1;
    json_t *given = json_object_get(call->body, "CustomerId");
    if (param_int64(call->body, "CustomerId", &customer, st) || param_string(call->body, "From", &from, st) ||
        param_string(call->body, "To", &to, st) || param_string(call->body, "Format", &format, st))
        return st->code;
    if (given && !json_is_null(given) && customer < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "CustomerId must be a customer's Id (0: the gateway's own).");
    int csv = 0;
    if (format && strcasecmp(format, "csv") == 0)
        csv = 1;
    else if (format && strcasecmp(format, "json") != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "Format must be \"json\" or \"csv\".");
    struct core_usage u;
    if (core_get_usage(a->core, customer, from, to, &u, st))
        return st->code;
    if (csv) {
        struct buf b;
        buf_init(&b, USAGE_CSV_MAX);
        int rc = usage_csv(&u, &b);
        core_usage_free(a->core, &u);
        if (rc) {
            buf_free(&b);
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "The answer is too large; narrow From and To, or give a CustomerId.");
        }
        size_t len = b.len;
        response_text(resp, 200, "text/csv; charset=utf-8", buf_take(&b), len);
        return CORE_OK; /* answered: *result stays NULL */
    }
    json_t *items = json_array();
    int bad = !items;
    for (size_t i = 0; i < u.n && !bad; i++)
        bad = json_array_append_new(items, render_usage_row(&u.rows[i])) != 0;
    *result = bad ? NULL : json_pack("{s:s, s:s, s:o}", "From", u.from, "To", u.to, "Items", items);
    if (bad)
        json_decref(items);
    core_usage_free(a->core, &u);
    return *result ? CORE_OK : core_fail(st, CORE_INTERNAL_ERROR, "The usage could not be rendered.");
}

/* ---- the audit log ---- */

/* The AuditEvent object of API.md §7. */
static json_t *render_audit(const struct audit_event *e)
{
    char when[21];
    clock_rfc3339(e->create_ms, when);
    json_t *detail = json_loads(e->detail, 0, NULL);
    if (!json_is_object(detail)) {
        json_decref(detail);
        detail = json_object();
    }
    return json_pack("{s:I, s:s, s:s, s:I, s:s, s:{s:s, s:s}, s:s, s:s, s:o}", "Id", (json_int_t)e->seq, "Time",
                     when, "Type", e->type, "CustomerId", (json_int_t)e->customer_id, "CustomerName", e->customer,
                     "Actor", "KeyPrefix", e->actor, "Address", e->actor_addr, "Subject", e->subject, "GroupId",
                     e->group_id, "Detail", detail);
}

enum core_code admin_list_audit(struct api *a, const struct api_request *req, struct api_call *call,
                                json_t **result, struct api_response *resp, struct core_status *st)
{
    struct core_audit_query q = {.customer_id = -1};
    json_t *given = json_object_get(call->body, "CustomerId");
    if (param_int64(call->body, "CustomerId", &q.customer_id, st) || param_string(call->body, "Type", &q.type, st) ||
        param_string(call->body, "GroupId", &q.group_id, st) || param_string(call->body, "From", &q.from, st) ||
        param_string(call->body, "To", &q.to, st) || param_string(call->body, "Cursor", &q.cursor, st) ||
        param_int(call->body, "PageSize", &q.page_size, st))
        return st->code;
    if (given && !json_is_null(given) && q.customer_id < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "CustomerId must be a customer's Id (0: operators' keys).");
    if (json_is_integer(json_object_get(call->body, "PageSize")) && q.page_size == 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "PageSize must be 1 to %d.", CORE_AUDIT_PAGE_MAX);
    if (q.cursor && !*q.cursor)
        q.cursor = NULL; /* "": the first page, as NextCursor "" says there is no next */
    struct audit_list l;
    if (core_list_audit(a->core, &q, &l, st))
        return st->code;
    json_t *items = json_array();
    int bad = !items;
    for (size_t i = 0; i < l.n && !bad; i++)
        bad = json_array_append_new(items, render_audit(&l.items[i])) != 0;
    if (bad) {
        json_decref(items);
        free(l.items);
        return core_fail(st, CORE_INTERNAL_ERROR, "The audit log could not be rendered.");
    }
    char next[24] = "";
    if (l.next_seq)
        snprintf(next, sizeof next, "%lld", (long long)l.next_seq);
    free(l.items);
    *result = json_pack("{s:o, s:s}", "Items", items, "NextCursor", next);
    return *result ? CORE_OK : core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
}
