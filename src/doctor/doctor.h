/* doctor.h — `porticod doctor`: checks the configured upstream against
 * what Portico assumes of it (../shared/UPSTREAM.md, last section).
 *
 * Layering: porticod.c → doctor → the upstream port. The doctor never
 * includes a simulator header; when the upstream is the embedded simulator,
 * porticod.c starts it and hands over the same configuration serve uses.
 *
 * The run is short, bounded and self-cleaning: a few calls per Action, a
 * deadline on waiting for the asset; it deletes the group and asset it
 * created on every path (printing their ids when it cannot). It never
 * lists-and-deletes, and never touches an object it did not create. */
#ifndef PORTICO_DOCTOR_H
#define PORTICO_DOCTOR_H
#include <stdio.h>

#include "upstream/upstream.h"

struct doctor_options {
    const char *image_url;  /* --image-url: what CreateAsset is given; NULL: see doctor_usage */
    const char *public_url; /* --public-url: a running porticod serving /doctor/test-image.png */
    int timeout_s;          /* --timeout: how long the asset may stay Processing (120) */
    int json;               /* --json: one JSON object on stdout instead of the table */
    int upstream_is_sim;    /* the embedded simulator: the doctor may serve the image on loopback */
};

/* Exit statuses of `porticod doctor`. */
#define DOCTOR_AGREE 0    /* every check agreed (NOT CHECKED does not fail) */
#define DOCTOR_DIFFER 1   /* at least one check differed */
#define DOCTOR_USAGE 2    /* bad flags or configuration; nothing was sent */

/* The doctor's own flags. Takes --image-url, --timeout, --json and --help
 * out of argv (argv[0] is "doctor"), leaving every other word in rest for
 * porticod's configuration parser. 0 to run; 1 when --help was printed;
 * -1 on a usage error (printed). rest holds at least argc entries. */
int doctor_parse_args(int argc, char **argv, struct doctor_options *o, char **rest, int *n_rest);
void doctor_usage(FILE *f);

/* Runs the checks against up (made from cfg) and prints the report on
 * stdout; returns one of the exit statuses above. */
int doctor_run(struct upstream *up, const struct upstream_config *cfg, const struct doctor_options *o);

#endif
