/* report.c — the doctor's checks as one table, and how they are printed.
 *
 * Each row is a fact of UPSTREAM.md (mostly of its "Only a live account can
 * settle" list) and what Portico assumes of it; doctor.c fills in what it
 * observed. Invariant: nothing printed here may carry a credential; doctor.c
 * writes only lengths and hosts of links (BytePlus H5 links carry STS keys). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doctor/doctor_int.h"

static const struct {
    const char *key;
    const char *fact;
    const char *assumes;
    const char *unchecked; /* why, when it stays NOT CHECKED */
} doctor_rows[DC_COUNT] = {
    [DC_SIGNING] = {"signing", "signed requests accepted",
                    "a V4-signed ListAssetGroups with Filter answers 200", "not reached"},
    [DC_LIST_GROUPS_FILTER] = {"list_groups_filter", "ListAssetGroups with Filter",
                               "200 Result {Items, TotalCount, PageNumber, PageSize}", "not reached"},
    [DC_LIST_GROUPS_NO_FILTER] = {"list_groups_no_filter", "ListAssetGroups without Filter",
                                  "400 MissingParameter.Filter (Filter is required)", "not reached"},
    [DC_CREATE_GROUP] = {"create_group", "CreateAssetGroup reply",
                         "200 Result {Id}, Id shaped group-YYYYMMDDHHMMSS-xxxxx", "not reached"},
    [DC_CREATE_ASSET] = {"create_asset", "CreateAsset reply",
                         "200 Result {Id}, Id shaped asset-YYYYMMDDHHMMSS-xxxxx", "not reached"},
    [DC_LIST_ASSETS_FILTER] = {"list_assets_filter", "ListAssets with Filter.GroupIds",
                               "200 Result {Items, TotalCount, PageNumber, PageSize} listing the new asset",
                               "not reached"},
    [DC_LIST_ASSETS_NO_FILTER] = {"list_assets_no_filter", "ListAssets without Filter",
                                  "400 MissingParameter.Filter (Filter is required)", "not reached"},
    [DC_ASSET_STATUS] = {"asset_status", "GetAsset Status values",
                         "Processing, then Active or Failed; no other value", "not reached"},
    [DC_ASSET_FAILURE] = {"asset_failure", "a failed asset's error",
                          "Result.Error {Code, Message}", "the asset did not fail"},
    [DC_UPDATE_ASSET] = {"update_asset", "UpdateAsset reply",
                         "200 with Result {Id} or Result {} (Portico accepts both)", "not reached"},
    [DC_UPDATE_GROUP] = {"update_group", "UpdateAssetGroup reply",
                         "200 with Result {Id} or Result {} (Portico accepts both)", "not reached"},
    [DC_DELETE_ASSET] = {"delete_asset", "DeleteAsset reply", "200 with an empty Result {}", "not reached"},
    [DC_DELETE_GROUP] = {"delete_group", "DeleteAssetGroup reply", "200 with an empty Result {}",
                         "not reached"},
    [DC_VALIDATE_SESSION] = {"validate_session", "CreateVisualValidateSession reply",
                             "200 Result {BytedToken, H5Link, CallbackURL} with no expiry field "
                             "(Portico derives 120 s)",
                             "not reached"},
    [DC_H5_LINK] = {"h5_link", "H5Link length and host", "an http(s) URL of at most 8192 characters",
                    "not reached"},
    [DC_VALIDATE_PENDING] = {"validate_pending", "GetVisualValidateResult before any scan",
                             "409 ValidatePending", "not reached"},
    [DC_VALIDATE_FAILED_EXPIRED] = {"validate_failed_expired",
                                    "GetVisualValidateResult after a failed scan or expiry",
                                    "400 ValidateFailed / 404 for an expired token",
                                    "not provoked: needs a person to fail a scan, or waiting out the link"},
    [DC_H5_LIFETIME] = {"h5_lifetime", "H5Link lifetime", "120 s",
                        "not provoked: would mean waiting past 120 s and asking again"},
    [DC_VIDEO_TASK_404] = {"video_task_404", "GET of an unknown video task",
                           "404 (Portico reads it as: the upstream does not know the task)", "not reached"},
    [DC_ERROR_ENVELOPE] = {"error_envelope", "error replies",
                           "ResponseMetadata.Error {Code, Message} (CodeN optional)", "no error reply was seen"},
    [DC_REQUEST_ID] = {"request_id", "ResponseMetadata.RequestId",
                       "present (documented form: 14-digit time + 20 upper-case hex; Portico only logs it)",
                       "no reply was seen"},
    [DC_THROTTLE] = {"throttle", "throttle replies", "429 FlowLimitExceeded (CodeN 100018)",
                     "not provoked: would cost many calls; none occurred"},
    [DC_IN_FLIGHT] = {"in_flight", "meaning of \"30 creations in flight\"",
                      "assets still Processing count, not HTTP requests",
                      "not provoked: would cost many calls"},
};

void doctor_report_init(struct doctor_report *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < DC_COUNT; i++)
        snprintf(r->observed[i], sizeof r->observed[i], "%s", doctor_rows[i].unchecked);
}

void doctor_set(struct doctor_report *r, enum doctor_check_id id, enum doctor_verdict v, const char *fmt, ...)
{
    if (r->verdict[id] == DOCTOR_DIFFERS && v != DOCTOR_DIFFERS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->observed[id], sizeof r->observed[id], fmt, ap);
    va_end(ap);
    r->verdict[id] = v;
}

static const char *doctor_verdict_str(enum doctor_verdict v)
{
    return v == DOCTOR_AGREES ? "AGREE" : v == DOCTOR_DIFFERS ? "DIFFER" : "NOT CHECKED";
}

static int doctor_print_json(const struct doctor_report *r, FILE *f, int n[3])
{
    json_t *checks = json_array(), *left = json_array();
    for (int i = 0; i < DC_COUNT; i++)
        json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s, s:s}", "check", doctor_rows[i].key, "fact",
                                                doctor_rows[i].fact, "assumes", doctor_rows[i].assumes, "observed",
                                                r->observed[i], "verdict", doctor_verdict_str(r->verdict[i])));
    for (int i = 0; i < 2; i++)
        if (r->left_behind[i][0])
            json_array_append_new(left, json_string(r->left_behind[i]));
    json_t *o = json_pack("{s:s, s:o, s:b, s:i, s:i, s:i, s:o}", "upstream", r->upstream, "checks", checks, "agree",
                          n[DOCTOR_DIFFERS] == 0, "agreeing", n[DOCTOR_AGREES], "differing", n[DOCTOR_DIFFERS],
                          "not_checked", n[DOCTOR_NOT_CHECKED], "left_behind", left);
    int rc = o && json_dumpf(o, f, JSON_INDENT(2)) == 0 ? 0 : -1;
    fputc('\n', f);
    json_decref(o);
    return rc;
}

int doctor_report_print(const struct doctor_report *r, FILE *f, int json)
{
    int n[3] = {0, 0, 0};
    for (int i = 0; i < DC_COUNT; i++)
        n[r->verdict[i]]++;
    if (json) {
        doctor_print_json(r, f, n);
    } else {
        fprintf(f, "porticod doctor: %s\n\n", r->upstream);
        for (int i = 0; i < DC_COUNT; i++) {
            fprintf(f, "%-12s %-24s %s\n", doctor_verdict_str(r->verdict[i]), doctor_rows[i].key,
                    doctor_rows[i].fact);
            fprintf(f, "%-12s   Portico assumes: %s\n", "", doctor_rows[i].assumes);
            fprintf(f, "%-12s   observed:        %s\n", "", r->observed[i]);
        }
        fprintf(f, "\n%d agree, %d differ, %d not checked\n", n[DOCTOR_AGREES], n[DOCTOR_DIFFERS],
                n[DOCTOR_NOT_CHECKED]);
        for (int i = 0; i < 2; i++)
            if (r->left_behind[i][0])
                fprintf(f, "LEFT BEHIND: %s could not be deleted; remove it yourself\n", r->left_behind[i]);
    }
    fflush(f);
    return n[DOCTOR_DIFFERS] ? DOCTOR_DIFFER : DOCTOR_AGREE;
}
