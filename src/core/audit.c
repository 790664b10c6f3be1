/* audit.c — the audit log as operators read it (API.md §7
 * ListAuditEvents): its filters checked, its pages by cursor.
 *
 * Entries are written by the store operations that make the changes they
 * record (store/audit.c), never here: core only reads the log. A cursor is
 * the seq of the last entry of a page, as decimal text; the next page holds
 * the entries older than it, so pages stay put while new entries arrive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "util/decimal.h"

static const char *const audit_types[] = {
    AUDIT_KEY_CREATED,      AUDIT_KEY_REVOKED,      AUDIT_ADMIN_KEY_CREATED, AUDIT_ADMIN_KEY_REVOKED,
    AUDIT_LIVENESS_STARTED, AUDIT_LIVENESS_PASSED,  AUDIT_LIVENESS_FAILED,   AUDIT_LIVENESS_EXPIRED,
    AUDIT_LIVENESS_ASSET,   AUDIT_GROUP_DELETED,    AUDIT_ASSET_DELETED,     AUDIT_CUSTOMER_CREATED,
    AUDIT_CUSTOMER_UPDATED, AUDIT_CUSTOMER_DISABLED, AUDIT_CUSTOMER_ENABLED,
};

size_t core_audit_types(const char *const **names)
{
    *names = audit_types;
    return sizeof audit_types / sizeof audit_types[0];
}

/* n digits at s as a number; -1 when one is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int64_t core_parse_time(const char *s)
{
    if (!s)
        return -1;
    size_t len = strlen(s);
    char date[11] = "";
    if (len >= 10)
        snprintf(date, sizeof date, "%.10s", s);
    int64_t day = core_usage_day(date);
    if (day < 0)
        return -1;
    if (len == 10)
        return day * USAGE_DAY_MS;
    /* YYYY-MM-DDTHH:MM:SS[.f...](Z|+00:00) */
    if (len < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return -1;
    int h = digits(s + 11, 2), m = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
        return -1;
    const char *p = s + 19;
    int ms = 0, places = 0;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, places++)
            if (places < 3)
                ms = ms * 10 + (*p - '0');
        if (places == 0)
            return -1;
        for (int k = places; k < 3; k++)
            ms *= 10;
    }
    if (strcmp(p, "Z") != 0 && strcmp(p, "z") != 0 && strcmp(p, "+00:00") != 0)
        return -1; /* times are UTC (API.md §2) */
    return day * USAGE_DAY_MS + ((int64_t)h * 3600 + m * 60 + (sec > 59 ? 59 : sec)) * 1000 + ms;
}

enum core_code core_list_audit(struct core *c, const struct core_audit_query *q, struct audit_list *out,
                               struct core_status *st)
{
    memset(out, 0, sizeof *out);
    struct audit_filter f = {.customer_id = q->customer_id, .type = q->type, .group_id = q->group_id};
    if (q->customer_id < -1)
        return core_fail(st, CORE_INVALID_PARAMETER, "CustomerId must be a customer's Id.");
    if (q->type) {
        const char *const *types;
        size_t n = core_audit_types(&types), i = 0;
        while (i < n && strcmp(types[i], q->type) != 0)
            i++;
        if (i == n) /* the whole list no longer fits a message */
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "Type must be an audit entry's type, e.g. ApiKeyCreated, LivenessSessionPassed, "
                             "AssetDeleted or CustomerDisabled (every one: AuditType in /openapi.yaml).");
    }
    if (q->group_id && rules_id("GroupId", q->group_id, st))
        return st->code;
    if (q->group_id && strlen(q->group_id) >= IDS_MAX)
        return core_fail(st, CORE_INVALID_PARAMETER, "GroupId is no group's Id (they are at most %d characters).",
                         IDS_MAX - 1);
    if (q->from && (f.from_ms = core_parse_time(q->from)) < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "From must be an RFC 3339 UTC time, e.g. 2026-05-01T00:00:00Z.");
    if (q->to && (f.to_ms = core_parse_time(q->to)) < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "To must be an RFC 3339 UTC time, e.g. 2026-05-02T00:00:00Z.");
    if (f.from_ms && f.to_ms && f.from_ms >= f.to_ms)
        return core_fail(st, CORE_INVALID_PARAMETER, "From must be before To.");
    if (q->from && f.from_ms == 0)
        f.from_ms = 1; /* 1970-01-01T00:00:00Z: 0 would mean "unbounded", the same rows */
    if (q->cursor) {
        f.before_seq = decimal_parse(q->cursor);
        if (f.before_seq <= 0 || strlen(q->cursor) > 19)
            return core_fail(st, CORE_INVALID_PARAMETER, "Cursor must be a NextCursor from an earlier page.");
    }
    f.limit = q->page_size ? q->page_size : CORE_AUDIT_PAGE_DEFAULT;
    if (f.limit < 1 || f.limit > CORE_AUDIT_PAGE_MAX)
        return core_fail(st, CORE_INVALID_PARAMETER, "PageSize must be 1 to %d.", CORE_AUDIT_PAGE_MAX);
    enum store_result r = c->store->ops->list_audit(c->store, &f, out);
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}
