/* http.c — libcurl requests for the CLI; see http.h. */
#include "cli/http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/clock.h"

#define USER_AGENT "portico-cli/1.0"

struct xfer {
    struct cli_http *h;
    struct cli_resp *r;
    FILE *file;
    int64_t written;
    int overflow; /* 1: larger than the client accepts; 2: out of memory */
    cli_progress_fn fn;
    void *arg;
    int upload; /* report upload bytes rather than download bytes */
    /* cli_http_stream */
    cli_sink_fn sink;
    void *sink_arg;
    int sink_stopped;
    int64_t idle_ms;
    int64_t last_byte_ms;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    if (x->sink) {
        long status = 0;
        curl_easy_getinfo(x->h->curl, CURLINFO_RESPONSE_CODE, &status);
        x->last_byte_ms = clock_mono_ms();
        if (status >= 200 && status < 300) {
            if (x->sink(x->sink_arg, p, len) != 0) {
                x->sink_stopped = 1;
                return 0;
            }
            return len;
        }
    }
    if (x->file) {
        if (x->written + (int64_t)len > CLI_HTTP_MAX_DOWNLOAD) {
            x->overflow = 1;
            return 0;
        }
        x->written += (int64_t)len;
        return fwrite(p, 1, len, x->file);
    }
    int br = buf_append(&x->r->body, p, len);
    if (br != BUF_OK) {
        x->overflow = br == BUF_TOO_LARGE ? 1 : 2;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    if (!x->r)
        return len;
    const char *value = NULL;
    char *dst = NULL;
    size_t cap = 0;
    if (len > 13 && strncasecmp(p, "X-Request-Id:", 13) == 0) {
        value = p + 13, dst = x->r->request_id, cap = sizeof x->r->request_id;
    } else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        x->r->retry_after = strtol(p + 12, NULL, 10);
        return len;
    } else {
        return len;
    }
    const char *end = p + len;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vlen = (size_t)(end - value);
    if (vlen >= cap)
        vlen = cap - 1;
    memcpy(dst, value, vlen);
    dst[vlen] = '\0';
    return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    struct xfer *x = arg;
    if (x->sink && clock_mono_ms() - x->last_byte_ms > x->idle_ms)
        return 1; /* the stream went silent: its keep-alives stopped */
    if (x->fn)
        x->upload ? x->fn(x->arg, (int64_t)ulnow, (int64_t)ultotal) : x->fn(x->arg, (int64_t)dlnow, (int64_t)dltotal);
    return 0;
}

int cli_http_init(struct cli_http *h, const char *base, const char *key)
{
    memset(h, 0, sizeof *h);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    h->curl = curl_easy_init();
    h->base = base;
    h->key = key;
    return h->curl ? 0 : -1;
}

void cli_http_cleanup(struct cli_http *h)
{
    if (h->curl)
        curl_easy_cleanup(h->curl);
    h->curl = NULL;
    curl_global_cleanup();
}

void cli_resp_free(struct cli_resp *r)
{
    buf_free(&r->body);
}

/* The options every request shares; the handle is reset first so nothing
 * of the previous request (a method, a body) leaks into this one. */
static void common(CURL *c, struct xfer *x, char *errbuf)
{
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    /* A stalled transfer (under 1 byte/s for 60 s) fails instead of hanging;
     * a slow but moving upload or download is left alone. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    if (x->fn || x->sink) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
}

static int gateway_url(struct cli_http *h, const char *path, char **out)
{
    size_t n = strlen(h->base) + strlen(path) + 1;
    *out = malloc(n);
    if (!*out)
        return -1;
    snprintf(*out, n, "%s%s", h->base, path);
    return 0;
}

/* Runs the prepared request; fills r->status. 0 or -1 (h->errmsg). */
static int perform(struct cli_http *h, struct xfer *x, const char *errbuf)
{
    CURLcode rc = curl_easy_perform(h->curl);
    if (rc != CURLE_OK) {
        if (x->overflow == 2)
            snprintf(h->errmsg, sizeof h->errmsg, "out of memory while reading the answer");
        else if (x->overflow)
            snprintf(h->errmsg, sizeof h->errmsg, "the answer is larger than the client accepts");
        else
            snprintf(h->errmsg, sizeof h->errmsg, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return -1;
    }
    if (x->r)
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &x->r->status);
    return 0;
}

static struct curl_slist *auth_headers(struct cli_http *h, int json)
{
    struct curl_slist *l = NULL, *n;
    char auth[1024];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", h->key ? h->key : "");
    if (!(n = curl_slist_append(l, auth)))
        return NULL;
    l = n;
    if (json) {
        if (!(n = curl_slist_append(l, "Content-Type: application/json")))
            goto fail;
        l = n;
    }
    /* Large bodies go straight away rather than after a 1 s Expect wait. */
    if (!(n = curl_slist_append(l, "Expect:")))
        goto fail;
    return n;
fail:
    curl_slist_free_all(l);
    return NULL;
}

int cli_http_json(struct cli_http *h, const char *method, const char *path, const char *json, struct cli_resp *r)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct xfer x = {.h = h, .r = r};
    struct curl_slist *hdrs = NULL;
    char *url = NULL;
    int ret = -1;
    memset(r, 0, sizeof *r);
    buf_init(&r->body, CLI_HTTP_MAX_BODY);
    if (gateway_url(h, path, &url) != 0 || !(hdrs = auth_headers(h, json != NULL))) {
        snprintf(h->errmsg, sizeof h->errmsg, "out of memory");
        goto done;
    }
    common(h->curl, &x, errbuf);
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 120L);
    if (json) {
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    }
    curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
    ret = perform(h, &x, errbuf);
done:
    curl_slist_free_all(hdrs);
    free(url);
    return ret;
}

int cli_http_upload(struct cli_http *h, const char *path, const char *file, const char *const *fields,
                    cli_progress_fn fn, void *arg, struct cli_resp *r)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct xfer x = {.h = h, .r = r, .fn = fn, .arg = arg, .upload = 1};
    struct curl_slist *hdrs = NULL;
    curl_mime *mime = NULL;
    char *url = NULL;
    int ret = -1;
    memset(r, 0, sizeof *r);
    buf_init(&r->body, CLI_HTTP_MAX_BODY);
    if (gateway_url(h, path, &url) != 0 || !(hdrs = auth_headers(h, 0)) || !(mime = curl_mime_init(h->curl))) {
        snprintf(h->errmsg, sizeof h->errmsg, "out of memory");
        goto done;
    }
    /* Text fields first: the gateway reads them before the file's bytes. */
    for (size_t i = 0; fields && fields[i]; i += 2) {
        if (!fields[i + 1])
            continue;
        curl_mimepart *p = curl_mime_addpart(mime);
        if (!p || curl_mime_name(p, fields[i]) != CURLE_OK || curl_mime_data(p, fields[i + 1], CURL_ZERO_TERMINATED))
            goto oom;
    }
    curl_mimepart *fp = curl_mime_addpart(mime);
    if (!fp || curl_mime_name(fp, "file") != CURLE_OK)
        goto oom;
    if (curl_mime_filedata(fp, file) != CURLE_OK) {
        snprintf(h->errmsg, sizeof h->errmsg, "cannot read %s", file);
        goto done;
    }
    common(h->curl, &x, errbuf);
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h->curl, CURLOPT_MIMEPOST, mime);
    ret = perform(h, &x, errbuf);
    goto done;
oom:
    snprintf(h->errmsg, sizeof h->errmsg, "out of memory");
done:
    curl_mime_free(mime);
    curl_slist_free_all(hdrs);
    free(url);
    return ret;
}

int cli_http_download(struct cli_http *h, const char *url, FILE *out, cli_progress_fn fn, void *arg)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct cli_resp r;
    struct xfer x = {.h = h, .r = &r, .file = out, .fn = fn, .arg = arg};
    memset(&r, 0, sizeof r);
    common(h->curl, &x, errbuf);
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h->curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h->curl, CURLOPT_FAILONERROR, 1L);
    if (perform(h, &x, errbuf) != 0)
        return -1;
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(h->errmsg, sizeof h->errmsg, "cannot write the file");
        return -1;
    }
    return 0;
}

int cli_http_put(struct cli_http *h, const char *url, const char *const *headers, const char *file, int64_t size,
                 cli_progress_fn fn, void *arg, struct cli_resp *r)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    memset(r, 0, sizeof *r);
    buf_init(&r->body, CLI_HTTP_MAX_BODY);
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(h->errmsg, sizeof h->errmsg, "cannot read %s", file);
        return -1;
    }
    struct xfer x = {.h = h, .r = r, .fn = fn, .arg = arg, .upload = 1};
    struct curl_slist *hdrs = NULL, *n;
    /* Exactly the session's headers, and no API key: the URL may be a
     * storage provider's, and its signature is the only credential. */
    for (size_t i = 0; headers && headers[i]; i++) {
        if (!(n = curl_slist_append(hdrs, headers[i])))
            goto fail;
        hdrs = n;
    }
    if (!(n = curl_slist_append(hdrs, "Expect:"))) /* no 100-continue round trip */
        goto fail;
    hdrs = n;
    common(h->curl, &x, errbuf);
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h->curl, CURLOPT_READDATA, f);
    curl_easy_setopt(h->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
    int ret = perform(h, &x, errbuf);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    fclose(f);
    return ret;
fail:
    curl_slist_free_all(hdrs);
    fclose(f);
    snprintf(h->errmsg, sizeof h->errmsg, "out of memory");
    return -1;
}

int cli_http_stream(struct cli_http *h, const char *path, const char *const *headers, long idle_s, cli_sink_fn sink,
                    void *arg, struct cli_resp *r)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct xfer x = {.h = h, .r = r, .sink = sink, .sink_arg = arg, .idle_ms = (int64_t)idle_s * 1000,
                     .last_byte_ms = clock_mono_ms()};
    struct curl_slist *hdrs = NULL, *n;
    char *url = NULL;
    int ret = -1;
    memset(r, 0, sizeof *r);
    buf_init(&r->body, CLI_HTTP_MAX_BODY);
    if (gateway_url(h, path, &url) != 0 || !(hdrs = auth_headers(h, 0)))
        goto oom;
    for (size_t i = 0; headers && headers[i]; i++) {
        if (!(n = curl_slist_append(hdrs, headers[i])))
            goto oom;
        hdrs = n;
    }
    common(h->curl, &x, errbuf);
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
    /* A stream is slow by nature: silence is judged by idle_s instead. */
    curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, 0L);
    ret = perform(h, &x, errbuf);
    if (ret != 0 && x.sink_stopped)
        ret = 0;
    else if (ret != 0 && clock_mono_ms() - x.last_byte_ms > x.idle_ms)
        snprintf(h->errmsg, sizeof h->errmsg, "nothing received for %ld s", idle_s);
    goto done;
oom:
    snprintf(h->errmsg, sizeof h->errmsg, "out of memory");
done:
    curl_slist_free_all(hdrs);
    free(url);
    return ret;
}
