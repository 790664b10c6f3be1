/* portico-sim.c — the upstream simulator as its own process: the same code
 * porticod embeds, behind flags. Prints one "listening" line when ready (so
 * scripts can wait for it), then serves until SIGINT or SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "util/signals.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: portico-sim [options]\n"
            "  --listen HOST:PORT     address to serve on (default 127.0.0.1:8081; PORT 0: any free port)\n"
            "  --access-key AK        the only access key accepted (default $PORTICO_VOLC_AK or AKLTportico-sim)\n"
            "  --secret-key SK        its secret (default $PORTICO_VOLC_SK or portico-sim-secret)\n"
            "  --region REGION        region in the credential scope (default cn-beijing)\n"
            "  --processing-ms MS     how long new assets stay Processing (default $PORTICO_SIM_PROCESSING_MS or 3000)\n"
            "  --url-allow LIST       hosts, host:port and CIDRs media may be fetched from besides public\n"
            "                         addresses (default $PORTICO_URL_ALLOW; e.g. 127.0.0.0/8 for local tests)\n"
            "  --test-token TOKEN     enable the test endpoints /_sim/stats, /_sim/faults, /_sim/objects for\n"
            "                         requests with Authorization: Bearer TOKEN (default $PORTICO_SIM_TEST_TOKEN;\n"
            "                         unset: they answer 404)\n"
            "  --quiet                no request log lines\n"
            "  --help                 this text\n"
            "Limits: PORTICO_SIM_CREATE_RATE, PORTICO_SIM_LIST_RATE, PORTICO_SIM_GET_RATE,\n"
            "PORTICO_SIM_MAX_INFLIGHT_CREATES (assets Processing at once, 30).\n"
            "Video tasks (POST/GET/DELETE /api/v3/contents/generations/tasks): PORTICO_ARK_API_KEY is the\n"
            "one Bearer key accepted (default portico-sim-ark-key); PORTICO_SIM_VIDEO_MS how long a task\n"
            "takes (5000); PORTICO_SIM_VIDEO_EXPIRE_MS when a queued task expires (48 h);\n"
            "PORTICO_SIM_VIDEO_URL_TTL_S how long a result URL works (86400); PORTICO_SIM_ARK_PROJECT the\n"
            "key's project (default). docs/simulator.md lists the refusals and test markers.\n"
            "Faults: PORTICO_SIM_FAULT_RATE (0..1, spread over the kinds below) or per kind\n"
            "PORTICO_SIM_FAULT_{LATENCY,5XX,THROTTLE,DROP,LOST_REPLY}; PORTICO_SIM_FAULT_LATENCY_MS (200).\n"
            "At run time (with a test token): POST /_sim/faults {\"rate\":0.3} (or per kind); GET /_sim/objects\n"
            "lists every object; GET /_sim/stats counts requests.\n");
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT"; host is written into host_buf. */
static int parse_listen(const char *s, char *host_buf, size_t cap, const char **host, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return -1;
    const char *h = s;
    size_t hlen = (size_t)(colon - s);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= cap)
        return -1;
    memcpy(host_buf, h, hlen);
    host_buf[hlen] = '\0';
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
        return -1;
    *host = hlen ? host_buf : "127.0.0.1";
    *port = (int)p;
    return 0;
}

int main(int argc, char **argv)
{
    struct sim_config c;
    sim_config_defaults(&c);
    char host_buf[256];
    const char *listen = getenv("PORTICO_SIM_LISTEN");
    if (!listen || !*listen)
        listen = "127.0.0.1:8081";

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--quiet") == 0) {
            c.quiet = 1;
            continue;
        }
        static const char *const with_value[] = {"--listen", "--access-key", "--secret-key", "--region",
                                                 "--processing-ms", "--url-allow", "--test-token"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            known |= strcmp(a, with_value[k]) == 0;
        if (!known) {
            fprintf(stderr, "portico-sim: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (!val) {
            fprintf(stderr, "portico-sim: %s needs a value (see --help)\n", a);
            return 2;
        }
        if (strcmp(a, "--listen") == 0) {
            listen = val;
        } else if (strcmp(a, "--access-key") == 0) {
            c.access_key = val;
        } else if (strcmp(a, "--secret-key") == 0) {
            c.secret_key = val;
        } else if (strcmp(a, "--url-allow") == 0) {
            c.url_allow = val; /* checked by sim_start: a bad entry stops the start */
        } else if (strcmp(a, "--region") == 0) {
            c.region = val;
        } else if (strcmp(a, "--test-token") == 0) {
            c.test_token = val;
        } else if (strcmp(a, "--processing-ms") == 0) {
            char *end;
            long ms = strtol(val, &end, 10);
            if (*end || end == val || ms < 0 || ms > 86400000) {
                fprintf(stderr, "portico-sim: --processing-ms wants milliseconds, not %s\n", val);
                return 2;
            }
            c.processing_ms = (int)ms;
        }
        i++;
    }
    if (parse_listen(listen, host_buf, sizeof host_buf, &c.listen_host, &c.port) != 0) {
        fprintf(stderr, "portico-sim: --listen wants HOST:PORT, not %s\n", listen);
        return 2;
    }

    /* Blocked before any thread starts (signals.h). */
    sigset_t stop;
    signals_block_stop(&stop);

    struct sim *s = sim_start(&c);
    if (!s) {
        fprintf(stderr, "portico-sim: cannot start on %s\n", listen);
        return 1;
    }
    int v6 = strchr(c.listen_host, ':') != NULL;
    printf("portico-sim listening on http://%s%s%s:%d\n", v6 ? "[" : "", c.listen_host, v6 ? "]" : "", sim_port(s));
    fflush(stdout);

    signals_wait_stop(&stop);
    sim_stop(s);
    return 0;
}
