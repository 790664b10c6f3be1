/* assets.c — the asset library part of the doctor's run: a group and an
 * asset of its own, the List Actions with and without Filter, GetAsset until
 * the asset settles, both Update Actions, and the deletes.
 *
 * Invariant: once CreateAssetGroup has answered with an id, every path of
 * doctor_assets ends in the deletes (a failed step, the timeout, a signal);
 * a delete that fails leaves the id in the report and on stderr. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor_int.h"
#include "util/clock.h"

#define DOCTOR_MAX_GET_ASSET 15 /* GetAsset calls while waiting for the asset to settle */
#define DOCTOR_RETRY_WAIT_MS 1000

/* UPSTREAM.md "Ids": prefix, 14 digits, '-', 5 or 6 of [a-z0-9]. */
static int doctor_id_shaped(const char *id, const char *prefix)
{
    size_t p = strlen(prefix), n = strlen(id);
    if (strncmp(id, prefix, p) != 0 || n < p + 14 + 1 + 5 || n > p + 14 + 1 + 6 || id[p + 14] != '-')
        return 0;
    for (size_t i = p; i < n; i++) {
        char c = id[i];
        if (i == p + 14)
            continue;
        if (i < p + 14 ? !(c >= '0' && c <= '9') : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* Judges a List Action's answer: with Filter the page shape, without it
 * the refusal. */
void doctor_list_judge(struct doctor *d, const struct doctor_reply *rp0, int filtered,
                              enum doctor_check_id id, const char *listed_id)
{
    char text[400];
    const struct doctor_reply rp = *rp0;
    doctor_describe(&rp, text, sizeof text);
    if (!filtered) {
        int refused = rp.answered && rp.status == 400 && rp.code && strcmp(rp.code, "MissingParameter.Filter") == 0;
        if (refused)
            doctor_set(d->rep, id, DOCTOR_AGREES, "%s", text);
        else if (rp.answered && rp.status == 200)
            doctor_set(d->rep, id, DOCTOR_DIFFERS, "HTTP 200: Filter is optional (%s)", text);
        else
            doctor_set(d->rep, id, DOCTOR_DIFFERS, "%s", text);
    } else {
        json_t *items = json_object_get(rp.result, "Items"), *total = json_object_get(rp.result, "TotalCount");
        if (rp.status == 200 && !rp.code && json_is_array(items) && json_is_integer(total)) {
            int listed = 0;
            size_t i;
            json_t *it;
            json_array_foreach(items, i, it)
            {
                const char *x = doctor_str(it, "Id");
                listed |= listed_id && x && strcmp(x, listed_id) == 0;
            }
            doctor_set(d->rep, id, DOCTOR_AGREES, "HTTP 200 Items (%zu), TotalCount %lld%s", json_array_size(items),
                       (long long)json_integer_value(total),
                       !listed_id ? "" : listed ? "; the new asset is listed" : "; the new asset is not (yet) listed");
        } else {
            doctor_set(d->rep, id, DOCTOR_DIFFERS, "%s", text);
        }
    }
}

/* A List Action, one page; filter (consumed) may be NULL: none sent. */
void doctor_list(struct doctor *d, const char *action, json_t *filter, enum doctor_check_id id,
                        const char *listed_id)
{
    struct doctor_reply rp;
    json_t *body = json_pack("{s:i, s:i}", "PageNumber", 1, "PageSize", filter ? 10 : 1);
    int filtered = filter != NULL;
    if (filter)
        json_object_set_new(body, "Filter", filter);
    doctor_call(d, action, body, &rp);
    doctor_list_judge(d, &rp, filtered, id, listed_id);
    doctor_reply_free(&rp);
}

/* Create* whose answer is Result {Id}; fills id (empty when none). */
static void doctor_create(struct doctor *d, const char *action, json_t *body, enum doctor_check_id check,
                          const char *prefix, char id[static IDS_MAX])
{
    char text[400];
    struct doctor_reply rp;
    id[0] = '\0';
    doctor_call(d, action, body, &rp);
    const char *got = rp.status == 200 && !rp.code ? doctor_str(rp.result, "Id") : NULL;
    if (got && strlen(got) < IDS_MAX && strspn(got, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
                                             strlen(got) && *got) {
        snprintf(id, IDS_MAX, "%s", got);
        if (doctor_id_shaped(got, prefix))
            doctor_set(d->rep, check, DOCTOR_AGREES, "HTTP 200 Result {Id}: %s", got);
        else
            doctor_set(d->rep, check, DOCTOR_DIFFERS, "Id %s is not shaped %sYYYYMMDDHHMMSS-xxxxx", got, prefix);
    } else {
        doctor_describe(&rp, text, sizeof text);
        doctor_set(d->rep, check, DOCTOR_DIFFERS, "%s", text);
    }
    doctor_reply_free(&rp);
}

/* Update*: Portico accepts Result {Id} and Result {}; the shape is the news. */
static void doctor_update(struct doctor *d, const char *action, json_t *body, enum doctor_check_id check)
{
    char text[400];
    struct doctor_reply rp;
    doctor_call(d, action, body, &rp);
    doctor_describe(&rp, text, sizeof text);
    int ok = rp.answered && rp.status == 200 && !rp.code && rp.result;
    doctor_set(d->rep, check, ok ? DOCTOR_AGREES : DOCTOR_DIFFERS, "%s", text);
    doctor_reply_free(&rp);
}

/* Delete*: expected Result {}. 0 when the object is gone (or was never
 * known), -1 when it may still exist. Retried once on a transport error
 * or 5xx: this is the clean-up. */
static int doctor_delete(struct doctor *d, const char *action, const char *id, enum doctor_check_id check)
{
    char text[400];
    struct doctor_reply rp;
    int gone = 0;
    for (int attempt = 1; attempt <= 2; attempt++) {
        doctor_call(d, action, json_pack("{s:s}", "Id", id), &rp);
        doctor_describe(&rp, text, sizeof text);
        if (rp.answered && rp.status == 200 && !rp.code) {
            gone = 1;
            if (rp.result && json_object_size(rp.result) == 0)
                doctor_set(d->rep, check, DOCTOR_AGREES, "%s", text);
            else
                doctor_set(d->rep, check, DOCTOR_DIFFERS, "%s (Portico accepts it; the record says Result {})", text);
        } else if (attempt == 2 && rp.answered && rp.status == 404) {
            gone = 1; /* the first attempt did delete it */
        } else {
            doctor_set(d->rep, check, DOCTOR_DIFFERS, "%s", text);
        }
        int again = !gone && (!rp.answered || rp.status >= 500 || rp.status == 429);
        doctor_reply_free(&rp);
        if (!again)
            break;
        clock_sleep_ms(DOCTOR_RETRY_WAIT_MS);
    }
    return gone ? 0 : -1;
}

/* GetAsset until the asset leaves Processing, the timeout, or a signal. */
static void doctor_poll_asset(struct doctor *d, const char *asset_id, int64_t deadline)
{
    static const int waits_ms[] = {500, 1000, 2000, 4000, 8000, 15000};
    char seen[200] = "", text[400];
    const char *last = NULL;
    char last_buf[64] = "";
    int calls = 0;
    int64_t start = clock_mono_ms();
    for (;;) {
        struct doctor_reply rp;
        doctor_call(d, "GetAsset", json_pack("{s:s}", "Id", asset_id), &rp);
        calls++;
        const char *status = rp.status == 200 && !rp.code ? doctor_str(rp.result, "Status") : NULL;
        if (!status) {
            doctor_describe(&rp, text, sizeof text);
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_DIFFERS, "GetAsset: %s", text);
            doctor_reply_free(&rp);
            return;
        }
        if (!last || strcmp(status, last) != 0) {
            size_t n = strlen(seen);
            snprintf(seen + n, sizeof seen - n, "%s%.40s", n ? " -> " : "", status);
            snprintf(last_buf, sizeof last_buf, "%s", status);
            last = last_buf;
        }
        double secs = (double)(clock_mono_ms() - start) / 1000.0;
        int known = !strcmp(status, "Processing") || !strcmp(status, "Active") || !strcmp(status, "Failed");
        if (!known) {
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_DIFFERS, "unknown Status value %.40s (%s; %d GetAsset calls)",
                       status, seen, calls);
        } else if (!strcmp(status, "Active")) {
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_AGREES, "%s after %.1f s (%d GetAsset calls)", seen, secs, calls);
            doctor_set(d->rep, DC_ASSET_FAILURE, DOCTOR_NOT_CHECKED, "the asset did not fail (Active)");
        } else if (!strcmp(status, "Failed")) {
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_AGREES, "%s after %.1f s (%d GetAsset calls)", seen, secs, calls);
            json_t *e = json_object_get(rp.result, "Error");
            const char *code = doctor_str(e, "Code"), *msg = doctor_str(e, "Message");
            const char *reason = doctor_str(rp.result, "FailureReason");
            if (code && msg)
                doctor_set(d->rep, DC_ASSET_FAILURE, DOCTOR_AGREES, "Error {Code %.64s, Message \"%.120s\"}", code, msg);
            else if (reason)
                doctor_set(d->rep, DC_ASSET_FAILURE, DOCTOR_DIFFERS, "no Error object; FailureReason \"%.120s\"", reason);
            else
                doctor_set(d->rep, DC_ASSET_FAILURE, DOCTOR_DIFFERS, "a Failed asset without Error {Code, Message}");
        }
        doctor_reply_free(&rp);
        if (strcmp(last_buf, "Processing") != 0)
            return;
        int wait = waits_ms[calls - 1 < 5 ? calls - 1 : 5];
        if (doctor_stop || calls >= DOCTOR_MAX_GET_ASSET || clock_mono_ms() + wait > deadline) {
            doctor_set(d->rep, DC_ASSET_STATUS, DOCTOR_NOT_CHECKED, "still Processing after %.1f s (%d GetAsset calls)%s",
                       (double)(clock_mono_ms() - start) / 1000.0, calls, doctor_stop ? "; interrupted" : "");
            doctor_skip(d, DC_ASSET_FAILURE, "the asset did not settle");
            return;
        }
        doctor_sleep(wait);
    }
}

/* The asset library: group, asset, lists, status, updates, deletes. */
void doctor_assets(struct doctor *d, const char *image_url, int64_t deadline)
{
    char stamp[15], name[64], group_id[IDS_MAX], asset_id[IDS_MAX];
    clock_compact(clock_wall_ms(), stamp);
    snprintf(name, sizeof name, "portico-doctor-%s", stamp);

    doctor_create(d, "CreateAssetGroup",
                  json_pack("{s:s, s:s, s:s}", "Name", name, "Description",
                            "made by porticod doctor, which deletes it when done", "GroupType", "AIGC"),
                  DC_CREATE_GROUP, "group-", group_id);
    if (!group_id[0]) {
        static const enum doctor_check_id after[] = {DC_CREATE_ASSET, DC_LIST_ASSETS_FILTER, DC_LIST_ASSETS_NO_FILTER,
                                                     DC_ASSET_STATUS, DC_ASSET_FAILURE, DC_UPDATE_ASSET,
                                                     DC_UPDATE_GROUP, DC_DELETE_ASSET, DC_DELETE_GROUP};
        for (size_t i = 0; i < sizeof after / sizeof after[0]; i++)
            doctor_skip(d, after[i], "not reached: CreateAssetGroup gave no group");
        return;
    }
    /* From here on every path ends in the deletes below. */
    if (!doctor_stop)
        doctor_create(d, "CreateAsset",
                      json_pack("{s:s, s:s, s:s, s:s}", "GroupId", group_id, "URL", image_url, "AssetType", "Image",
                                "Name", name),
                      DC_CREATE_ASSET, "asset-", asset_id);
    else
        asset_id[0] = '\0';
    if (!doctor_stop)
        doctor_list(d, "ListAssets", json_pack("{s:[s]}", "GroupIds", group_id), DC_LIST_ASSETS_FILTER,
                    asset_id[0] ? asset_id : NULL);
    if (!doctor_stop)
        doctor_list(d, "ListAssets", NULL, DC_LIST_ASSETS_NO_FILTER, NULL);
    if (asset_id[0]) {
        if (!doctor_stop)
            doctor_poll_asset(d, asset_id, deadline);
        if (!doctor_stop) {
            char renamed[80];
            snprintf(renamed, sizeof renamed, "%s-renamed", name);
            doctor_update(d, "UpdateAsset", json_pack("{s:s, s:s}", "Id", asset_id, "Name", renamed),
                          DC_UPDATE_ASSET);
        }
    } else {
        static const enum doctor_check_id after[] = {DC_ASSET_STATUS, DC_ASSET_FAILURE, DC_UPDATE_ASSET,
                                                     DC_DELETE_ASSET};
        for (size_t i = 0; i < sizeof after / sizeof after[0]; i++)
            doctor_skip(d, after[i], "not reached: CreateAsset gave no asset");
    }
    if (!doctor_stop)
        doctor_update(d, "UpdateAssetGroup",
                      json_pack("{s:s, s:s}", "Id", group_id, "Description", "checked by porticod doctor"),
                      DC_UPDATE_GROUP);

    /* The clean-up: the asset first, since a group may refuse to go while it holds one. */
    if (asset_id[0] && doctor_delete(d, "DeleteAsset", asset_id, DC_DELETE_ASSET) != 0) {
        snprintf(d->rep->left_behind[0], sizeof d->rep->left_behind[0], "asset %s", asset_id);
        fprintf(stderr, "porticod doctor: could not delete asset %s (group %s); delete it yourself\n", asset_id,
                group_id);
    }
    if (doctor_delete(d, "DeleteAssetGroup", group_id, DC_DELETE_GROUP) != 0) {
        snprintf(d->rep->left_behind[1], sizeof d->rep->left_behind[1], "group %s", group_id);
        fprintf(stderr, "porticod doctor: could not delete group %s; delete it yourself\n", group_id);
    }
}

