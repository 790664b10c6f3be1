/* doctor_int.h — what the doctor's files share. Private to src/doctor/. */
#ifndef PORTICO_DOCTOR_INT_H
#define PORTICO_DOCTOR_INT_H
#include <stddef.h>

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

/* image.c: a loopback listener serving the built-in PNG at
 * DOCTOR_IMAGE_PATH, for the embedded simulator to fetch. */
#define DOCTOR_IMAGE_PATH PNG_TEST_IMAGE_PATH
struct doctor_image;
/* NULL on failure (logged); url_out gets http://127.0.0.1:PORT/doctor/test-image.png. */
struct doctor_image *doctor_image_start(char *url_out, size_t cap);
void doctor_image_stop(struct doctor_image *im);

#endif
