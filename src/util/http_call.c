/* http_call.c — one outbound HTTP request; see http_call.h.
 *
 * Invariant: a handle that outlives the call (this thread's) is used by one
 * call at a time and keeps no pointer into the caller's stack: every per-call option is cleared by
 * curl_easy_reset at the start of the next call, and the ones that point at
 * our frame (headers, error buffer, write target) are cleared again before
 * returning. */
#include "util/http_call.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/urlguard.h"

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static pthread_key_t http_handle_key;
static int http_ready; /* written once inside pthread_once */
/* This thread's handle is in a transfer: a call made from inside a sink
 * (a blob read feeding something that calls out) gets a handle of its own
 * rather than resetting the one in use. */
static _Thread_local int http_thread_busy;

static void http_handle_free(void *h)
{
    curl_easy_cleanup(h);
}

static void http_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return;
    if (pthread_key_create(&http_handle_key, http_handle_free) != 0)
        return;
    http_ready = 1;
}

int http_call_init(void)
{
    pthread_once(&http_once, http_global_init);
    return http_ready ? 0 : -1;
}

/* This thread's easy handle, reset (its connection cache kept). */
static CURL *http_thread_handle(void)
{
    CURL *h = pthread_getspecific(http_handle_key);
    if (h) {
        curl_easy_reset(h);
        return h;
    }
    h = curl_easy_init();
    if (h && pthread_setspecific(http_handle_key, h) != 0) {
        curl_easy_cleanup(h);
        h = NULL;
    }
    return h;
}

void http_call_thread_done(void)
{
    if (!http_ready)
        return;
    CURL *h = pthread_getspecific(http_handle_key);
    if (h) {
        pthread_setspecific(http_handle_key, NULL);
        curl_easy_cleanup(h);
    }
}

/* The CURLE_* name of the common transport failures; others by number. */
static void http_curl_name(CURLcode c, char *out, size_t cap)
{
    static const struct {
        CURLcode code;
        const char *name;
    } names[] = {
        {CURLE_COULDNT_RESOLVE_HOST, "CURLE_COULDNT_RESOLVE_HOST"},
        {CURLE_COULDNT_CONNECT, "CURLE_COULDNT_CONNECT"},
        {CURLE_OPERATION_TIMEDOUT, "CURLE_OPERATION_TIMEDOUT"},
        {CURLE_SEND_ERROR, "CURLE_SEND_ERROR"},
        {CURLE_RECV_ERROR, "CURLE_RECV_ERROR"},
        {CURLE_GOT_NOTHING, "CURLE_GOT_NOTHING"},
        {CURLE_SSL_CONNECT_ERROR, "CURLE_SSL_CONNECT_ERROR"},
        {CURLE_PEER_FAILED_VERIFICATION, "CURLE_PEER_FAILED_VERIFICATION"},
        {CURLE_WEIRD_SERVER_REPLY, "CURLE_WEIRD_SERVER_REPLY"},
        {CURLE_PARTIAL_FILE, "CURLE_PARTIAL_FILE"},
        {CURLE_OUT_OF_MEMORY, "CURLE_OUT_OF_MEMORY"},
        {CURLE_FAILED_INIT, "CURLE_FAILED_INIT"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == c) {
            snprintf(out, cap, "%s", names[i].name);
            return;
        }
    snprintf(out, cap, "CURLE_%d", (int)c);
}

/* One transfer in progress. */
struct http_xfer {
    const struct http_call *c;
    CURL *h;
    struct http_head head;
    uint64_t max, got;
    int started, too_large, stopped;
};

static size_t http_on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    struct http_xfer *x = ud;
    size_t n = size * nmemb;
    if (!x->started) {
        curl_off_t cl = -1;
        x->started = 1;
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->head.status);
        if (curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl >= 0)
            x->head.content_length = cl;
    }
    if (x->max && n > x->max - x->got) {
        x->too_large = 1;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    x->got += n;
    if (x->c->sink) {
        if (x->c->sink(x->c->sink_ctx, &x->head, p, n) != 0) {
            x->stopped = 1;
            return 0;
        }
    } else if (x->c->response && buf_append(x->c->response, p, n) != 0) {
        x->too_large = 1;
        return 0;
    }
    return n;
}

static int http_on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const int *flag = ud;
    return __atomic_load_n(flag, __ATOMIC_RELAXED) ? 1 : 0;
}

static void http_set_method(CURL *h, const struct http_call *c)
{
    const char *m = c->method ? c->method : c->body ? "POST" : "GET";
    if (c->upload) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READDATA, c->upload);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->upload_len);
    } else if (c->body) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    } else if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, c->upload ? "PUT" : "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
}

static enum http_call_result http_fail(struct http_call_out *out, CURLcode cc, const char *message)
{
    out->curl_code = (int)cc;
    http_curl_name(cc, out->curl_name, sizeof out->curl_name);
    snprintf(out->message, sizeof out->message, "%s", message);
    out->not_connected = 1;
    return HTTP_CALL_FAILED;
}

enum http_call_result http_call(const struct http_call *c, struct http_call_out *out)
{
    struct curl_slist *hdrs = NULL;
    struct urlguard guard;
    struct http_xfer x = {.c = c, .head = {0, -1}};
    char errbuf[CURL_ERROR_SIZE] = "";
    enum http_call_result r;

    memset(out, 0, sizeof *out);
    out->content_length = -1;
    if (http_call_init() != 0)
        return http_fail(out, CURLE_FAILED_INIT, "cannot initialise libcurl");
    int own = c->policy || http_thread_busy;
    CURL *h = own ? curl_easy_init() : http_thread_handle();
    if (!h)
        return http_fail(out, CURLE_FAILED_INIT, "cannot create a curl handle");
    if (!own)
        http_thread_busy = 1;
    x.h = h;
    for (size_t i = 0; i < c->n_headers; i++) {
        struct curl_slist *t = curl_slist_append(hdrs, c->headers[i]);
        if (!t) {
            r = http_fail(out, CURLE_OUT_OF_MEMORY, "cannot build request headers");
            goto done;
        }
        hdrs = t;
    }
    if (c->policy) {
        if (urlguard_setup(&guard, h, c->policy, c->url, c->max_redirs) != 0) {
            snprintf(out->message, sizeof out->message, "%s", guard.why);
            out->not_connected = 1;
            r = HTTP_CALL_REFUSED;
            goto done;
        }
    } else {
        curl_easy_setopt(h, CURLOPT_URL, c->url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        if (c->max_redirs > 0) {
            curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
            curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
            curl_easy_setopt(h, CURLOPT_MAXREDIRS, c->max_redirs);
        }
    }
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (c->timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    if (c->connect_timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    http_set_method(h, c);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent ? c->user_agent : "portico");
    x.max = c->max_response ? c->max_response : (!c->sink && c->response ? (uint64_t)c->response->max : 0);
    /* Refuse early when Content-Length already says too much. */
    if (x.max)
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x.max);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (c->fresh)
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    if (c->abort_flag) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, http_on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)c->abort_flag);
    }

    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_off_t cl = -1;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl >= 0)
        out->content_length = cl;
    out->started = x.started;
    out->curl_code = (int)cc;
    if (cc != CURLE_OK) {
        http_curl_name(cc, out->curl_name, sizeof out->curl_name);
        snprintf(out->message, sizeof out->message, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
    if (x.stopped) {
        r = HTTP_CALL_STOPPED;
    } else if (x.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
        r = HTTP_CALL_TOO_LARGE;
    } else if (cc == CURLE_ABORTED_BY_CALLBACK && c->abort_flag) {
        r = HTTP_CALL_ABORTED;
    } else if (c->policy && guard.refused && cc != CURLE_OK && !x.started) {
        /* Refused on connect and nothing else got through. (A refusal
         * followed by success is one address of several refused, say ::1
         * before 127.0.0.1: the answer came from an allowed one.) */
        snprintf(out->message, sizeof out->message, "%s", guard.why);
        out->not_connected = 1;
        r = HTTP_CALL_REFUSED;
    } else if (cc != CURLE_OK) {
        out->not_connected = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST;
        r = HTTP_CALL_FAILED;
    } else {
        r = HTTP_CALL_OK;
    }
    /* A kept handle must not point into this frame. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
done:
    if (own)
        curl_easy_cleanup(h);
    else
        http_thread_busy = 0;
    curl_slist_free_all(hdrs);
    return r;
}
