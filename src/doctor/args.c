/* args.c — the flags of `porticod doctor` and its help text. Every other
 * flag (--upstream, --public-url, --ark-endpoint, ...) and every PORTICO_*
 * variable is porticod's own and is passed through to its parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor.h"

#define DOCTOR_DEFAULT_TIMEOUT_S 120

void doctor_usage(FILE *f)
{
    fprintf(f,
            "usage: porticod doctor [--image-url URL] [--timeout SECONDS] [--json] [porticod options]\n"
            "\n"
            "Checks the configured upstream against what Portico assumes of it (UPSTREAM.md,\n"
            "\"Only a live account can settle\"). A short, bounded, self-cleaning run: a signed\n"
            "ListAssetGroups and ListAssets with and without Filter; CreateAssetGroup\n"
            "portico-doctor-<time>, CreateAsset from an image URL, GetAsset until the asset\n"
            "settles, UpdateAsset, UpdateAssetGroup, DeleteAsset, DeleteAssetGroup;\n"
            "CreateVisualValidateSession and one GetVisualValidateResult (nobody scans);\n"
            "GET of the nonexistent video task cgt-portico-doctor-nonexistent. A few calls per\n"
            "Action; it deletes what it created on every path (and prints the ids when it\n"
            "cannot) and never touches an object it did not create. Links and credentials are\n"
            "never printed: an H5Link is shown as its length and host.\n"
            "\n"
            "Each check prints the fact, what Portico assumes, what was observed, and AGREE,\n"
            "DIFFER or NOT CHECKED (what a short run cannot provoke, such as throttling).\n"
            "\n"
            "  --image-url URL     a public http(s) image (JPEG/PNG, sides 300-6000 px) for\n"
            "                      CreateAsset. Without it: with the embedded simulator\n"
            "                      (--upstream sim, the default) the doctor serves its built-in\n"
            "                      512x512 PNG on 127.0.0.1; with a real upstream it uses\n"
            "                      <--public-url>/doctor/test-image.png, which a running porticod\n"
            "                      serves; one of the two is then required\n"
            "  --timeout SECONDS   how long the asset may stay Processing (%d); every other\n"
            "                      step is a fixed handful of calls, each bounded by the\n"
            "                      upstream timeout (10 s)\n"
            "  --json              one JSON object on stdout instead of the table\n"
            "\n"
            "The upstream is configured as for serving: --upstream / PORTICO_UPSTREAM,\n"
            "PORTICO_VOLC_AK, PORTICO_VOLC_SK, PORTICO_VOLC_REGION; the video check uses\n"
            "--ark-endpoint / PORTICO_ARK_ENDPOINT and PORTICO_ARK_API_KEY (NOT CHECKED without\n"
            "a key).\n"
            "\n"
            "Exit status: 0 when every check agrees (NOT CHECKED does not fail), 1 when any\n"
            "differs, 2 on a usage or configuration error.\n",
            DOCTOR_DEFAULT_TIMEOUT_S);
}

int doctor_parse_args(int argc, char **argv, struct doctor_options *o, char **rest, int *n_rest)
{
    memset(o, 0, sizeof *o);
    o->timeout_s = DOCTOR_DEFAULT_TIMEOUT_S;
    *n_rest = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            doctor_usage(stdout);
            return 1;
        }
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        }
        const char *names[] = {"--image-url", "--timeout"};
        const char *v = NULL;
        int which = -1;
        for (int k = 0; k < 2; k++) {
            size_t n = strlen(names[k]);
            if (strncmp(a, names[k], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
                which = k;
                v = a[n] == '=' ? a + n + 1 : (i + 1 < argc ? argv[++i] : NULL);
                break;
            }
        }
        if (which < 0) {
            rest[(*n_rest)++] = argv[i];
            continue;
        }
        if (!v || !*v) {
            fprintf(stderr, "porticod doctor: %s needs a value (see porticod doctor --help)\n", names[which]);
            return -1;
        }
        if (which == 0) {
            if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
                fprintf(stderr, "porticod doctor: --image-url must be an http(s) URL\n");
                return -1;
            }
            o->image_url = v;
        } else {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 5 || n > 3600) {
                fprintf(stderr, "porticod doctor: --timeout wants 5 to 3600 seconds, not %s\n", v);
                return -1;
            }
            o->timeout_s = (int)n;
        }
    }
    return 0;
}
