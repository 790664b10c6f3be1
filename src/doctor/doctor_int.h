/* doctor_int.h — what the doctor's files share. Private to src/doctor/. */
#ifndef PORTICO_DOCTOR_INT_H
#define PORTICO_DOCTOR_INT_H
#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "doctor/doctor.h"
#include "util/png.h"

enum doctor_verdict { DOCTOR_NOT_CHECKED = 0, DOCTOR_AGREES, DOCTOR_DIFFERS };

/* The checks, in report order: one row each in report.c's table. */
enum doctor_check_id {
    DC_SIGNING,
    DC_LIST_GROUPS_FILTER,
    DC_LIST_GROUPS_NO_FILTER,
    DC_CREATE_GROUP,
    DC_CREATE_ASSET,
    DC_LIST_ASSETS_FILTER,
    DC_LIST_ASSETS_NO_FILTER,
    DC_ASSET_STATUS,
    DC_ASSET_FAILURE,
    DC_UPDATE_ASSET,
    DC_UPDATE_GROUP,
    DC_DELETE_ASSET,
    DC_DELETE_GROUP,
    DC_VALIDATE_SESSION,
    DC_H5_LINK,
    DC_VALIDATE_PENDING,
    DC_VALIDATE_FAILED_EXPIRED,
    DC_H5_LIFETIME,
    DC_VIDEO_TASK_404,
    DC_ERROR_ENVELOPE,
    DC_REQUEST_ID,
    DC_THROTTLE,
    DC_IN_FLIGHT,
    DC_COUNT
};

#define DOCTOR_OBSERVED_MAX 512

struct doctor_report {
    enum doctor_verdict verdict[DC_COUNT];
    char observed[DC_COUNT][DOCTOR_OBSERVED_MAX];
    char upstream[256];          /* what was checked, for the header line */
    char left_behind[2][96];     /* ids the doctor created and could not delete */
};

/* report.c */
/* Every check NOT CHECKED with the default reason of its row. */
void doctor_report_init(struct doctor_report *r);
/* Sets a check's verdict and observation (printf-style). A later call on
 * the same check replaces an earlier one, except that DIFFER is never
 * replaced by AGREE. */
void doctor_set(struct doctor_report *r, enum doctor_check_id id, enum doctor_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prints the table (or JSON) on f; returns DOCTOR_AGREE or DOCTOR_DIFFER. */
int doctor_report_print(const struct doctor_report *r, FILE *f, int json);

/* call.c: the run's state and one signed call. */
struct doctor {
    struct upstream *up;
    const struct upstream_config *cfg;
    const struct doctor_options *o;
    struct doctor_report *rep;
    const char *project;
    int signing_ok;
    int throttles;
};

/* One signed call's answer. */
struct doctor_reply {
    int answered;        /* an HTTP answer arrived */
    long status;
    json_t *root;        /* the parsed body; NULL when it is not JSON */
    json_t *result;      /* borrowed: root.Result when it is an object */
    const char *code;    /* borrowed: ResponseMetadata.Error.Code */
    const char *message; /* borrowed: ResponseMetadata.Error.Message */
    char failure[256];   /* when !answered: what went wrong */
};

extern volatile sig_atomic_t doctor_stop; /* SIGINT/SIGTERM: stop waiting, clean up */

void doctor_reply_free(struct doctor_reply *rp);
/* One signed Action; body is consumed (ProjectName added). */
void doctor_call(struct doctor *d, const char *action, json_t *body, struct doctor_reply *rp);
/* "HTTP 400 Code: message", "HTTP 200 Result {Id}", "no answer: ...": never a whole body. */
void doctor_describe(const struct doctor_reply *rp, char *out, size_t cap);
/* "Result {Id, Name}" (the names of o's fields only), or "no Result object". */
void doctor_keys(json_t *o, const char *what, char *out, size_t cap);
int doctor_auth_code(const char *code);
const char *doctor_str(json_t *o, const char *key);
/* Leaves a check NOT CHECKED with why, unless it has a verdict already. */
void doctor_skip(struct doctor *d, enum doctor_check_id id, const char *why);
/* Sleeps in slices, returning early on a signal. */
void doctor_sleep(int64_t ms);

/* assets.c */
void doctor_list_judge(struct doctor *d, const struct doctor_reply *rp, int filtered, enum doctor_check_id id,
                       const char *listed_id);
void doctor_list(struct doctor *d, const char *action, json_t *filter, enum doctor_check_id id,
                 const char *listed_id);
/* Group, asset, lists, status, updates and the deletes; deadline is when
 * waiting for the asset ends (clock_mono_ms). */
void doctor_assets(struct doctor *d, const char *image_url, int64_t deadline);

/* image.c: a loopback listener serving the built-in PNG at
 * DOCTOR_IMAGE_PATH, for the embedded simulator to fetch. */
#define DOCTOR_IMAGE_PATH PNG_TEST_IMAGE_PATH
struct doctor_image;
/* NULL on failure (logged); url_out gets http://127.0.0.1:PORT/doctor/test-image.png. */
struct doctor_image *doctor_image_start(char *url_out, size_t cap);
void doctor_image_stop(struct doctor_image *im);

#endif
