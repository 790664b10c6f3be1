/* cmd_events.c — portico events: tails the event stream (API.md §4a),
 * printing each event's JSON object on its own line as it arrives.
 *
 * Like a browser's EventSource it reconnects when the stream ends (the
 * gateway restarted, the connection broke), with Last-Event-ID set to the
 * last event printed, so nothing is lost or printed twice; a refusal (bad
 * key, unknown --from) ends it with status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/clock.h"

#define LINE_MAX_BYTES (64 * 1024)
#define IDLE_S 60          /* the gateway sends a comment every 15 s */
#define RECONNECT_MAX_MS 30000

struct tail {
    struct buf line;  /* the line being read */
    char id[128];     /* the record's id: */
    char *data;       /* the record's data: (malloc'd) */
    char last_id[128]; /* of the last event printed */
    long count, max;  /* printed so far; exit after max (0: never) */
};

static void record_line(struct tail *t, const char *l)
{
    if (!strncmp(l, "id: ", 4)) {
        snprintf(t->id, sizeof t->id, "%s", l + 4);
    } else if (!strncmp(l, "data: ", 6)) {
        free(t->data);
        t->data = strdup(l + 6);
    } else if (!*l && t->data) { /* the end of a record */
        printf("%s\n", t->data);
        fflush(stdout);
        snprintf(t->last_id, sizeof t->last_id, "%s", t->id);
        free(t->data);
        t->data = NULL;
        t->count++;
    }
}

static int on_bytes(void *arg, const char *p, size_t n)
{
    struct tail *t = arg;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n') {
            if (buf_append(&t->line, &p[i], 1) != BUF_OK)
                return -1; /* not a stream this client understands */
            continue;
        }
        record_line(t, t->line.data ? t->line.data : "");
        buf_reset(&t->line);
        if (t->max && t->count >= t->max)
            return -1; /* enough: stop */
    }
    return 0;
}

enum cli_status cmd_events(struct cli_ctx *c, const struct cli_args *a)
{
    struct tail t = {0};
    const char *from = cli_args_value(a, "from");
    const char *count = cli_args_value(a, "count");
    if (count && cli_parse_long(count, 1, 1000000000, &t.max) != 0)
        return cli_usage_error(c->cmd, "--count must be a positive number");
    snprintf(t.last_id, sizeof t.last_id, "%s", from ? from : "");
    buf_init(&t.line, LINE_MAX_BYTES);
    enum cli_status st = CLI_OK;
    int64_t backoff = 1000;
    int connected = 0; /* a stream was opened once: from then on, failures are retried */
    for (;;) {
        struct cli_reply r;
        long before = t.count;
        int rc = cli_events_call(c, t.last_id, IDLE_S, on_bytes, &t, &r);
        if (t.max && t.count >= t.max) {
            cli_reply_free(&r);
            break;
        }
        connected |= r.http.status >= 200 && r.http.status < 300;
        if (rc != 0 && ((!r.network_failed && r.http.status != 429 && r.http.status != 503) ||
                        (r.network_failed && !connected))) {
            st = cli_fail(c, &r);
            cli_reply_free(&r);
            break;
        }
        if (rc != 0 && r.network_failed)
            fprintf(stderr, "portico: the event stream broke (%s); reconnecting\n", c->http.errmsg);
        cli_reply_free(&r);
        free(t.data);
        t.data = NULL;
        buf_reset(&t.line);
        backoff = t.count > before ? 1000 : backoff * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : backoff * 2;
        clock_sleep_ms(backoff);
    }
    free(t.data);
    buf_free(&t.line);
    return st;
}
