/* volc_find.c — reconciliation: finding again, by its tag, a group or asset
 * that a create may have made although its answer never arrived.
 *
 * The ark API has no idempotency token. Portico therefore ends the Name of
 * every upstream create with UP_TAG_SEP and a tag unique to the reservation
 * (core/reconcile.c), and after an ambiguous failure lists the upstream
 * filtered by that tag. The upstream's Name filter matches substrings, so a
 * hit counts only when the Name ends in exactly UP_TAG_SEP + tag: another
 * object whose Name merely contains the tag (a customer's name is free
 * text) never matches, because its own Name ends in its own tag.
 *
 * Invariant: these calls only read; the caller spends the list budget. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "upstream/volc_int.h"
#include "util/log.h"

/* Enough to see every object a reservation can have made: one create and
 * the few retries a reconciliation allows. */
#define FIND_PAGE_SIZE 20

/* 1 when name ends in UP_TAG_SEP tag. */
static int tagged(const char *name, const char *tag)
{
    size_t n = strlen(name), sep = strlen(UP_TAG_SEP), t = strlen(tag);
    return n >= sep + t && memcmp(name + n - t, tag, t) == 0 && memcmp(name + n - t - sep, UP_TAG_SEP, sep) == 0;
}

/* Picks the tagged item from a List* Result; UP_NOT_FOUND when none. */
static enum up_result pick(json_t *res, const char *tag, const char *action, char id_out[static IDS_MAX],
                           struct up_error *err)
{
    json_t *items = json_object_get(res, "Items");
    if (!json_is_array(items)) {
        volc_set_error(err, 200, "InvalidResponse", "the list Result has no Items array");
        return UP_UNAVAILABLE;
    }
    size_t i, hits = 0;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *name = json_string_value(json_object_get(it, "Name"));
        const char *id = json_string_value(json_object_get(it, "Id"));
        if (!name || !tagged(name, tag) || !volc_valid_id(id))
            continue;
        if (hits++ == 0)
            snprintf(id_out, IDS_MAX, "%s", id);
    }
    if (hits > 1) /* a create performed twice upstream: the rest are orphans to report */
        log_warn("upstream %s: %zu objects carry the tag %s; adopting %s", action, hits, tag, id_out);
    return hits ? UP_OK : UP_NOT_FOUND;
}

/* Runs action (a List, req its body) and picks the one item named tag. */
static enum up_result find_tagged(struct upstream *u, const char *action, json_t *req, const char *tag,
                                  char id_out[static IDS_MAX], struct up_error *err)
{
    json_t *res = NULL;
    enum up_result r = volc_read_call(u, action, req, &res, err);
    if (r == UP_OK)
        r = pick(res, tag, action, id_out, err);
    json_decref(res);
    return r;
}

static int valid_tag(const char *tag)
{
    return tag && tag[0] && strlen(tag) < UP_TAG_MAX;
}

enum up_result volc_find_group(struct upstream *u, const char *group_type, const char *tag,
                               char id_out[static IDS_MAX], struct up_error *err)
{
    if (!valid_tag(tag) || !group_type) {
        volc_set_error(err, 0, "InvalidParameter", "a tag and a GroupType are required");
        return UP_REJECTED;
    }
    json_t *req = json_pack("{s:{s:s, s:s}, s:i, s:i}", "Filter", "Name", tag, "GroupType", group_type,
                            "PageNumber", 1, "PageSize", FIND_PAGE_SIZE);
    return find_tagged(u, "ListAssetGroups", req, tag, id_out, err);
}

enum up_result volc_find_asset(struct upstream *u, const char *group_id, const char *tag,
                               char id_out[static IDS_MAX], struct up_error *err)
{
    if (!valid_tag(tag) || !volc_valid_id(group_id)) {
        volc_set_error(err, 0, "InvalidParameter", "a tag and a GroupId are required");
        return UP_REJECTED;
    }
    json_t *req = json_pack("{s:{s:[s], s:s}, s:i, s:i}", "Filter", "GroupIds", group_id, "Name", tag,
                            "PageNumber", 1, "PageSize", FIND_PAGE_SIZE);
    return find_tagged(u, "ListAssets", req, tag, id_out, err);
}

/* liveness: the account's groups of one type, a page at a time, oldest
 * first (core/liveness_poller.c removes the LivenessFace ones no record
 * owns). An item without a readable Id is skipped; one without a readable
 * CreateTime gets -1, which the caller treats as "too young to judge". */
enum up_result volc_list_groups(struct upstream *u, const char *group_type, int page_number, int page_size,
                                struct up_group_page *out, struct up_error *err)
{
    memset(out, 0, sizeof *out);
    if (!group_type || page_number < 1 || page_size < 1 || page_size > UP_LIST_PAGE_MAX) {
        volc_set_error(err, 0, "InvalidParameter", "a GroupType and a page of 1..100 are required");
        return UP_REJECTED;
    }
    json_t *req = json_pack("{s:{s:s}, s:i, s:i, s:s, s:s}", "Filter", "GroupType", group_type, "PageNumber",
                            page_number, "PageSize", page_size, "SortBy", "CreateTime", "SortOrder", "Asc");
    json_t *res = NULL;
    enum up_result r = volc_read_call(u, "ListAssetGroups", req, &res, err);
    if (r != UP_OK) {
        json_decref(res);
        return r;
    }
    json_t *items = json_object_get(res, "Items");
    if (!json_is_array(items)) {
        json_decref(res);
        volc_set_error(err, 200, "InvalidResponse", "the list Result has no Items array");
        return UP_UNAVAILABLE;
    }
    json_t *total = json_object_get(res, "TotalCount");
    out->total = json_is_integer(total) ? json_integer_value(total) : -1;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *id = json_string_value(json_object_get(it, "Id"));
        if (!volc_valid_id(id) || out->n >= UP_LIST_PAGE_MAX)
            continue;
        struct up_group_item *g = &out->items[out->n++];
        snprintf(g->id, sizeof g->id, "%s", id);
        g->create_ms = volc_parse_time(json_string_value(json_object_get(it, "CreateTime")));
    }
    json_decref(res);
    return UP_OK;
}
