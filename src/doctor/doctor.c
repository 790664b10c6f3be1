/* doctor.c — the sequence `porticod doctor` runs against the upstream.
 *
 * Signed Actions go through call.c (the port's raw_action: one attempt,
 * the reply as sent) so that the variants the typed client tolerates stay
 * visible: an empty Result, an extra field, the exact error code and
 * status. The asset steps are in assets.c; this file holds the run, the
 * liveness steps and the video task GET, which uses the typed op and reads
 * its status from up_error.
 *
 * Invariant: what the doctor creates it deletes, on every path after the
 * create (a failed step, the timeout, SIGINT/SIGTERM); when a delete fails
 * it prints the id for the operator. It never deletes anything it did not
 * create, and never lists in order to delete. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doctor/doctor_int.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

#define DOCTOR_LINK_MAX (UP_H5_LINK_MAX - 1) /* the longest H5Link Portico keeps */
#define DOCTOR_CALLBACK "https://example.com/portico-doctor"
#define DOCTOR_VIDEO_TASK "cgt-portico-doctor-nonexistent"

static void doctor_on_signal(int sig)
{
    (void)sig;
    doctor_stop = 1;
}

/* The host of an http(s) URL, without userinfo; "" when there is none. */
static void doctor_host(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    out[0] = '\0';
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    snprintf(out, cap, "%.*s", (int)(n < 200 ? n : 200), p);
}

/* Liveness: one session nobody scans, and one question about it. */
static void doctor_liveness(struct doctor *d)
{
    char text[400], keys[200];
    struct doctor_reply rp;
    doctor_call(d, "CreateVisualValidateSession", json_pack("{s:s}", "CallbackURL", DOCTOR_CALLBACK), &rp);
    const char *token = rp.status == 200 && !rp.code ? doctor_str(rp.result, "BytedToken") : NULL;
    const char *link = rp.status == 200 && !rp.code ? doctor_str(rp.result, "H5Link") : NULL;
    if (!rp.result || rp.status != 200 || rp.code) {
        doctor_describe(&rp, text, sizeof text);
        doctor_set(d->rep, DC_VALIDATE_SESSION, DOCTOR_DIFFERS, "%s", text);
        doctor_skip(d, DC_H5_LINK, "not reached: no session");
        doctor_skip(d, DC_VALIDATE_PENDING, "not reached: no session");
        doctor_reply_free(&rp);
        return;
    }
    /* Only the names of the fields: values may be links with credentials. */
    doctor_keys(rp.result, "Result", keys, sizeof keys);
    char expiry[160] = "";
    const char *k;
    json_t *v;
    json_object_foreach(rp.result, k, v)
    {
        if (strcasestr(k, "expir") || strcasestr(k, "ttl") || strcasestr(k, "deadline"))
            snprintf(expiry + strlen(expiry), sizeof expiry - strlen(expiry), "%s%s", expiry[0] ? ", " : "", k);
    }
    int complete = token && *token && link && *link && json_object_get(rp.result, "CallbackURL");
    doctor_set(d->rep, DC_VALIDATE_SESSION, complete && !expiry[0] ? DOCTOR_AGREES : DOCTOR_DIFFERS,
               "HTTP 200 %s; %s%s; BytedToken %zu characters", keys, expiry[0] ? "expiry field present: " : "no expiry field",
               expiry, token ? strlen(token) : (size_t)0);
    if (link) {
        char host[210];
        size_t n = strlen(link);
        doctor_host(link, host, sizeof host);
        int http = strncmp(link, "http://", 7) == 0 || strncmp(link, "https://", 8) == 0;
        doctor_set(d->rep, DC_H5_LINK, http && n <= DOCTOR_LINK_MAX ? DOCTOR_AGREES : DOCTOR_DIFFERS,
                   "%zu characters%s, host %s%s", n, n > DOCTOR_LINK_MAX ? " (longer than Portico keeps)" : "",
                   host[0] ? host : "(none)", http ? "" : " (not an http(s) URL)");
    } else {
        doctor_set(d->rep, DC_H5_LINK, DOCTOR_DIFFERS, "no H5Link in the reply");
    }
    if (!token || !*token) {
        doctor_skip(d, DC_VALIDATE_PENDING, "not reached: no BytedToken");
        doctor_reply_free(&rp);
        return;
    }
    struct doctor_reply pend;
    doctor_call(d, "GetVisualValidateResult", json_pack("{s:s}", "BytedToken", token), &pend);
    doctor_describe(&pend, text, sizeof text);
    int pending = pend.answered && pend.status == 409 && pend.code && strcmp(pend.code, "ValidatePending") == 0;
    doctor_set(d->rep, DC_VALIDATE_PENDING, pending ? DOCTOR_AGREES : DOCTOR_DIFFERS, "%s", text);
    doctor_reply_free(&pend);
    doctor_reply_free(&rp);
}

/* Video tasks: the GET of a task nobody made. */
static void doctor_video(struct doctor *d)
{
    if (!d->cfg->ark_api_key || !*d->cfg->ark_api_key) {
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_NOT_CHECKED, "PORTICO_ARK_API_KEY is not set");
        return;
    }
    struct up_video_task task;
    struct up_error err;
    memset(&err, 0, sizeof err);
    enum up_result r = d->up->ops->get_video_task(d->up, DOCTOR_VIDEO_TASK, &task, &err);
    if (r == UP_NOT_FOUND && err.http_status == 404)
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_AGREES, "HTTP 404 %.64s", err.code);
    else if (r == UP_OK)
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_DIFFERS, "HTTP 200: a task " DOCTOR_VIDEO_TASK " exists");
    else if (err.http_status)
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_DIFFERS, "HTTP %d %.64s: %.120s", err.http_status, err.code,
                   err.message);
    else
        doctor_set(d->rep, DC_VIDEO_TASK_404, DOCTOR_DIFFERS, "no answer: %.64s: %.120s", err.code, err.message);
}

int doctor_run(struct upstream *up, const struct upstream_config *cfg, const struct doctor_options *o)
{
    struct doctor_report rep;
    struct doctor_image *im = NULL;
    char image_url[2100];

    if (!up || !up->ops->raw_action || !up->ops->get_video_task) {
        fprintf(stderr, "porticod doctor: this upstream backend cannot send raw Actions\n");
        return DOCTOR_USAGE;
    }
    if (o->image_url) {
        snprintf(image_url, sizeof image_url, "%s", o->image_url);
    } else if (o->upstream_is_sim) {
        im = doctor_image_start(image_url, sizeof image_url);
        if (!im) {
            fprintf(stderr, "porticod doctor: cannot serve the test image on 127.0.0.1\n");
            return DOCTOR_USAGE;
        }
    } else if (o->public_url && *o->public_url) {
        size_t n = strlen(o->public_url);
        while (n > 0 && o->public_url[n - 1] == '/')
            n--;
        snprintf(image_url, sizeof image_url, "%.*s%s", (int)(n < 2000 ? n : 2000), o->public_url,
                 DOCTOR_IMAGE_PATH);
    } else {
        fprintf(stderr, "porticod doctor: a real upstream cannot fetch an image from this machine's loopback: give "
                        "--image-url URL (a public JPEG or PNG, sides 300-6000 px) or --public-url URL of a running "
                        "porticod, which serves " DOCTOR_IMAGE_PATH "\n");
        return DOCTOR_USAGE;
    }

    doctor_report_init(&rep);
    snprintf(rep.upstream, sizeof rep.upstream, "upstream %.100s%s, region %.32s", cfg->endpoint,
             o->upstream_is_sim ? " (the embedded simulator)" : "", cfg->region ? cfg->region : "cn-beijing");
    struct doctor d = {.up = up, .cfg = cfg, .o = o, .rep = &rep,
                       .project = cfg->project_name && *cfg->project_name ? cfg->project_name : "default"};
    int64_t deadline = clock_mono_ms() + (int64_t)o->timeout_s * 1000;

    /* SIGINT/SIGTERM end the waiting, never the clean-up. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = doctor_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    doctor_stop = 0;

    /* Signing, and the page shape with Filter: ListAssetGroups. */
    struct doctor_reply rp;
    char text[400];
    doctor_call(&d, "ListAssetGroups",
                json_pack("{s:{s:s}, s:i, s:i}", "Filter", "GroupType", "AIGC", "PageNumber", 1, "PageSize", 1), &rp);
    doctor_describe(&rp, text, sizeof text);
    if (rp.answered && (rp.status == 401 || rp.status == 403 || doctor_auth_code(rp.code)))
        doctor_set(&rep, DC_SIGNING, DOCTOR_DIFFERS, "%s", text);
    else if (rp.answered && rp.root && json_object_get(rp.root, "ResponseMetadata"))
        doctor_set(&rep, DC_SIGNING, DOCTOR_AGREES, "%s", rp.status == 200 ? "HTTP 200" : text);
    else
        doctor_set(&rep, DC_SIGNING, DOCTOR_DIFFERS, "%s", text);
    d.signing_ok = rep.verdict[DC_SIGNING] == DOCTOR_AGREES;
    if (d.signing_ok)
        doctor_list_judge(&d, &rp, 1, DC_LIST_GROUPS_FILTER, NULL);
    doctor_reply_free(&rp);
    if (d.signing_ok) {
        doctor_list(&d, "ListAssetGroups", NULL, DC_LIST_GROUPS_NO_FILTER, NULL);
        if (!doctor_stop)
            doctor_assets(&d, image_url, deadline);
        if (!doctor_stop)
            doctor_liveness(&d);
    } else {
        for (int i = DC_LIST_GROUPS_FILTER; i <= DC_VALIDATE_PENDING; i++)
            doctor_skip(&d, (enum doctor_check_id)i, "not reached: signed requests are refused");
    }
    if (!doctor_stop)
        doctor_video(&d);
    if (doctor_stop)
        fprintf(stderr, "porticod doctor: interrupted; the clean-up ran (see the report)\n");

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    doctor_image_stop(im);
    return doctor_report_print(&rep, stdout, o->json);
}
