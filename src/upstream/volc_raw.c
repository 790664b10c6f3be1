/* volc_raw.c — one signed Action, its answer handed back untouched.
 *
 * For `porticod doctor` only: the typed ops (volc.c) turn every reply into
 * a result and hide the variants the doctor exists to observe (an empty
 * Result, an extra field, the exact error code and status). This sends the
 * caller's JSON body as is, signed as volc.c signs (same sign_v4, same
 * headers), once: no retries, since the doctor counts its calls and a retry
 * would hide a throttle reply it must report.
 *
 * Invariant: the reply is bounded (1 MiB, as volc.c) and never parsed here. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/sign.h"
#include "upstream/volc_int.h"
#include "util/buf.h"
#include "util/clock.h"

#define VOLC_RAW_MAX_RESPONSE (1024 * 1024)
#define VOLC_RAW_MAX_URL 2048

struct volc_raw_sink {
    struct buf body;
    int overflow;
};

static size_t volc_raw_write(char *p, size_t size, size_t n, void *ctx)
{
    struct volc_raw_sink *s = ctx;
    size_t len = size * n;
    if (buf_append(&s->body, p, len) != 0) {
        s->overflow = 1;
        return 0;
    }
    return len;
}

/* Appends s percent-encoded (RFC 3986 unreserved kept), as volc.c does. */
static int volc_raw_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_' || c == '.' || c == '~';
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (keep ? buf_append(b, &c, 1) : buf_append(b, esc, 3))
            return -1;
    }
    return 0;
}

enum up_result volc_raw_action(struct upstream *u, const char *action, const char *json_body, long *http_status,
                               char **reply, struct up_error *err)
{
    struct volc_wire w;
    struct volc_raw_sink sink;
    struct buf url, query;
    struct curl_slist *hdrs = NULL;
    struct sign_output sig;
    char x_date[17], errbuf[CURL_ERROR_SIZE], line[600];
    enum up_result r = UP_UNAVAILABLE;
    struct up_error scratch;

    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    *http_status = 0;
    *reply = NULL;
    volc_wire(u, &w);
    buf_init(&sink.body, VOLC_RAW_MAX_RESPONSE);
    sink.overflow = 0;
    buf_init(&url, VOLC_RAW_MAX_URL);
    buf_init(&query, VOLC_RAW_MAX_URL);
    if (!action || !json_body) {
        volc_set_error(err, 0, "InvalidParameter", "an Action and a body are required");
        r = UP_REJECTED;
        goto out;
    }
    if (buf_puts(&query, "Action=") || volc_raw_encode(&query, action) || buf_puts(&query, "&Version=") ||
        volc_raw_encode(&query, w.version) || buf_printf(&url, "%s/?%s", w.base_url, query.data) != 0) {
        volc_set_error(err, 0, "InvalidEndpoint", "request URL too long");
        r = UP_REJECTED;
        goto out;
    }
    CURL *h = volc_handle();
    if (!h) {
        volc_set_error(err, 0, "CURLE_FAILED_INIT", "cannot create a curl handle");
        goto out;
    }
    sign_x_date(clock_wall_ms(), x_date);
    struct sign_input in = {
        .method = "POST",
        .host = w.host,
        .path = w.sign_path,
        .query = query.data,
        .x_date = x_date,
        .content_type = "application/json",
        .body = json_body,
        .body_len = strlen(json_body),
        .sign_content_sha256 = 1,
        .region = w.region,
        .service = w.service,
        .access_key = w.access_key,
        .secret_key = w.secret_key,
    };
    if (sign_v4(&in, &sig) != 0) {
        volc_set_error(err, 0, "SignatureFailed", "cannot sign the request (bad credentials or region?)");
        r = UP_REJECTED;
        goto out;
    }
    const char *names[] = {"Content-Type", "Expect", "Accept", "Host", "X-Date", "X-Content-Sha256",
                           "Authorization"};
    const char *values[] = {"application/json", "", "application/json", w.host, x_date, sig.payload_hash,
                            sig.authorization};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(line, sizeof line, "%s:%s%s", names[i], values[i][0] ? " " : "", values[i]);
        struct curl_slist *t = curl_slist_append(hdrs, line);
        if (!t) {
            volc_set_error(err, 0, "OutOfMemory", "cannot build request headers");
            goto out;
        }
        hdrs = t;
    }
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url.data);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, w.timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, w.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json_body));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "portico-doctor");
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)VOLC_RAW_MAX_RESPONSE);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, volc_raw_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    /* A fresh connection: curl never silently resends on one (see volc_call). */
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);

    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    /* The handle outlives this call; it must not keep pointers into our stack. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);

    if (sink.overflow || cc == CURLE_FILESIZE_EXCEEDED) {
        volc_set_error(err, (int)status, "ResponseTooLarge", "upstream response exceeds 1 MiB");
    } else if (cc != CURLE_OK) {
        const char *name = volc_curl_name(cc);
        char code[32];
        if (!name) {
            snprintf(code, sizeof code, "CURLE_%d", (int)cc);
            name = code;
        }
        volc_set_error(err, 0, name, errbuf[0] ? errbuf : curl_easy_strerror(cc));
    } else {
        *http_status = status;
        *reply = buf_take(&sink.body);
        r = UP_OK;
    }
out:
    curl_slist_free_all(hdrs);
    buf_free(&sink.body);
    buf_free(&url);
    buf_free(&query);
    return r;
}
