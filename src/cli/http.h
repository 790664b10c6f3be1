/* http.h — the CLI's only way out: HTTP to the gateway over libcurl.
 *
 * Invariant: every response body lands in a bounded buf (CLI_HTTP_MAX_BODY);
 * a larger answer is an error, never unbounded memory. The API key is sent
 * only to the gateway's base URL, never to a download URL it hands back. */
#ifndef PORTICO_CLI_HTTP_H
#define PORTICO_CLI_HTTP_H
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"

#define CLI_HTTP_MAX_BODY (8u << 20)
#define CLI_HTTP_MAX_DOWNLOAD ((int64_t)4 << 30)

struct cli_http {
    void *curl; /* CURL *, reused so that the connection is kept alive */
    const char *base; /* "http://127.0.0.1:8080", no trailing slash */
    const char *key;
    char errmsg[256];
};

struct cli_resp {
    long status;
    char request_id[128];
    long retry_after; /* seconds, 0 when absent */
    struct buf body;
};

/* Called while bytes move; now/total in bytes (total 0 = unknown). */
typedef void (*cli_progress_fn)(void *arg, int64_t now, int64_t total);

int cli_http_init(struct cli_http *h, const char *base, const char *key);
void cli_http_cleanup(struct cli_http *h);
void cli_resp_free(struct cli_resp *r);

/* method + base + path, with an optional JSON body. 0 when an HTTP answer
 * came back (any status), -1 on a network failure (reason in h->errmsg). */
int cli_http_json(struct cli_http *h, const char *method, const char *path, const char *json, struct cli_resp *r);
/* POST base + path as multipart/form-data: file (from disk), then the text
 * fields (name, value pairs, NULL-terminated; a NULL value is skipped). */
int cli_http_upload(struct cli_http *h, const char *path, const char *file, const char *const *fields,
                    cli_progress_fn fn, void *arg, struct cli_resp *r);
/* GET an absolute URL into out, without the API key. 0 on a 2xx answer,
 * -1 otherwise (reason in h->errmsg). */
int cli_http_download(struct cli_http *h, const char *url, FILE *out, cli_progress_fn fn, void *arg);

/* PUT file (size bytes) to url with exactly headers ("Name: value",
 * NULL-terminated) and no Authorization: an upload session's URL. 0 when a
 * response came back (any status), -1 on a network failure. */
int cli_http_put(struct cli_http *h, const char *url, const char *const *headers, const char *file, int64_t size,
                 cli_progress_fn fn, void *arg, struct cli_resp *r);

/* GET base + path and hand a 2xx answer's body to sink as it arrives
 * (sink returns 0, or -1 to stop: then 0 is returned); any other answer
 * lands in r->body. headers: extra "Name: value" lines, NULL-terminated.
 * No overall timeout: it fails when no byte came for idle_s seconds. 0
 * when the answer ended (or sink stopped it), -1 on a network failure. */
typedef int (*cli_sink_fn)(void *arg, const char *data, size_t n);
int cli_http_stream(struct cli_http *h, const char *path, const char *const *headers, long idle_s, cli_sink_fn sink,
                    void *arg, struct cli_resp *r);

#endif
