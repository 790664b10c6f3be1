/* sim_fetch.c — the worker pool that downloads a new asset's media, as the
 * upstream does during its compliance check, and reports the verdict to
 * sim_assets. The queue is bounded; each download is bounded in time
 * (fetch_timeout_ms), size (the record's limit for the asset's kind, or
 * max_fetch_bytes if smaller) and redirects (3), and is aborted when the
 * simulator stops. Every download obeys the outbound URL policy
 * (util/http_call.h with a policy): public addresses only, checked on each address
 * connected to, unless the operator's allow-list says otherwise; a refusal
 * is the record's one DownloadFailed sentence, its cause logged only. Only a prefix of the bytes is kept; when the server
 * declares Content-Length the download stops once the prefix is in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "util/http_call.h"
#include "util/log.h"

struct fetch_job {
    struct fetch_job *next;
    char asset_id[IDS_MAX];
    enum sim_asset_kind kind;
    char url[]; /* flexible: owned with the job */
};

struct sim_fetch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct fetch_job *head, *tail;
    size_t len, cap;
    int stopping; /* written under mu; read atomically by downloads */
    struct sim_assets *assets;
    const struct urlpolicy *policy;
    size_t max_bytes;
    int timeout_ms;
    pthread_t *threads;
    int nthreads;
};

/* One download in progress. Only the first keep bytes are kept; the rest
 * is counted, so the check knows the file's size without holding it. */
struct fetch_dl {
    uint8_t *buf;
    size_t len, keep; /* kept bytes, and how many to keep at most */
    size_t total;     /* the file's size: Content-Length if given, else counted */
    size_t record_max; /* the record's limit for the asset's kind */
    size_t limit;     /* counting without Content-Length: abort past this (record_max or
                       * max_bytes, the smaller) */
    int sized;        /* total came from Content-Length: stop once keep bytes are in */
    int started;      /* the first body bytes of the final response were seen */
    int bad_status;   /* a non-2xx response: its body is not the media */
    int enough;       /* we stopped it on purpose: the prefix is complete */
    int too_large;
};

/* At the final response's first body bytes: its status, and its declared
 * length if any (a redirect's body never reaches on_data). */
static int on_start(struct fetch_dl *d, const struct http_head *head)
{
    d->started = 1;
    if (head->status < 200 || head->status > 299) {
        d->bad_status = 1;
        return -1;
    }
    if (head->content_length >= 0) {
        d->total = (uint64_t)head->content_length > SIZE_MAX ? SIZE_MAX : (size_t)head->content_length;
        d->sized = 1;
        /* Declared: only the prefix will be downloaded, so only the
         * record's limit applies, not the simulator's max_bytes. */
        if (d->total > d->record_max) {
            d->too_large = 1;
            return -1;
        }
    }
    return 0;
}

static int on_data(void *ud, const struct http_head *head, const char *p, size_t n)
{
    struct fetch_dl *d = ud;
    if (!d->started && on_start(d, head) != 0)
        return -1; /* stops the transfer */
    if (!d->sized) {
        d->total += n;
        if (d->total > d->limit) {
            d->too_large = 1;
            return -1;
        }
    }
    size_t room = d->keep - d->len, take = n < room ? n : room;
    memcpy(d->buf + d->len, p, take);
    d->len += take;
    if (d->sized && d->len == d->keep && d->len < d->total) {
        d->enough = 1; /* the size is known and the prefix is in */
        return -1;
    }
    return 0;
}

static int fetch_failed(char *code, size_t code_cap, char *reason, size_t cap)
{
    snprintf(code, code_cap, "%s", SIM_CODE_DOWNLOAD_FAILED);
    snprintf(reason, cap, "%s", SIM_MSG_DOWNLOAD_FAILED);
    return 1;
}

/* Runs the check for one job: 1 with ok/code/reason set, 0 if it was
 * aborted because the simulator is stopping (no verdict to record). */
static int fetch_run(struct sim_fetch *f, const struct fetch_job *j, int *ok, char *code, size_t code_cap,
                     char *reason, size_t cap)
{
    struct fetch_dl d = {0};
    size_t record_max = sim_check_max_bytes(j->kind);
    d.record_max = record_max;
    d.keep = j->kind == SIM_KIND_IMAGE ? SIM_CHECK_IMAGE_PREFIX : SIM_CHECK_OTHER_PREFIX;
    d.limit = record_max < f->max_bytes ? record_max : f->max_bytes;
    d.buf = malloc(d.keep);
    int done = 1;
    *ok = 0;
    if (!d.buf) {
        log_error("sim: compliance check of %s: out of memory", j->asset_id);
        fetch_failed(code, code_cap, reason, cap);
        goto out;
    }
    struct http_call call = {
        .url = j->url,
        .policy = f->policy,
        .max_redirs = 3,
        .timeout_ms = f->timeout_ms,
        .user_agent = "portico-sim/1 (compliance check)",
        .sink = on_data,
        .sink_ctx = &d,
        .abort_flag = &f->stopping,
    };
    struct http_call_out res;
    enum http_call_result hr = http_call(&call, &res);
    long status = res.status;
    if (hr == HTTP_CALL_ABORTED) {
        done = 0;
    } else if (hr == HTTP_CALL_REFUSED) {
        /* Nothing was fetched (or, refused on connect, nothing else got
         * through); the customer sees the record's one sentence, never
         * which rule or address class refused it. */
        log_info("sim: compliance check of %s: refused by the URL policy: %s", j->asset_id, res.message);
        fetch_failed(code, code_cap, reason, cap);
    } else if (d.too_large && d.total > record_max) {
        /* over the record's limit: the check words it (prefix may be empty) */
        *ok = sim_check_media(j->kind, d.buf, d.len, 0, d.total, code, code_cap, reason, cap) == 0;
    } else if (d.too_large) {
        /* Within the record's limit but past what this simulator downloads
         * (PORTICO_SIM_MAX_FETCH_MIB): an operator's bound, stricter than
         * the record by choice, and said so. */
        snprintf(code, code_cap, "%s", SIM_CODE_FILE_TOO_LARGE);
        snprintf(reason, cap, "The media is larger than %zu bytes, the most this simulator downloads.",
                 f->max_bytes);
    } else if (d.bad_status || status < 200 || status > 299 ||
               (hr != HTTP_CALL_OK && !(hr == HTTP_CALL_STOPPED && d.enough))) {
        /* The customer sees the record's one sentence; the cause is logged. */
        if (hr != HTTP_CALL_OK && !d.bad_status)
            log_info("sim: compliance check of %s: download failed: %.200s", j->asset_id, res.message);
        else
            log_info("sim: compliance check of %s: download failed: HTTP %ld", j->asset_id, status);
        fetch_failed(code, code_cap, reason, cap);
    } else {
        if (!d.sized)
            d.total = d.len > d.total ? d.len : d.total;
        *ok = sim_check_media(j->kind, d.buf, d.len, d.len == d.total, d.total, code, code_cap, reason, cap) == 0;
    }
out:
    free(d.buf);
    return done;
}

static void *fetch_worker(void *arg)
{
    struct sim_fetch *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        while (!f->stopping && !f->head)
            pthread_cond_wait(&f->cv, &f->mu);
        if (f->stopping) {
            pthread_mutex_unlock(&f->mu);
            return NULL;
        }
        struct fetch_job *j = f->head;
        f->head = j->next;
        if (!f->head)
            f->tail = NULL;
        f->len--;
        pthread_mutex_unlock(&f->mu);

        int ok;
        char code[64] = "", reason[256] = "";
        if (fetch_run(f, j, &ok, code, sizeof code, reason, sizeof reason))
            sim_assets_finish_check(f->assets, j->asset_id, ok, ok ? "" : code, ok ? "" : reason);
        free(j);
    }
}

struct sim_fetch *sim_fetch_start(struct sim_assets *assets, int nthreads, size_t queue_cap,
                                  size_t max_bytes, int timeout_ms, const struct urlpolicy *policy)
{
    struct sim_fetch *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->assets = assets;
    f->policy = policy;
    f->cap = queue_cap;
    f->max_bytes = max_bytes;
    f->timeout_ms = timeout_ms;
    f->threads = calloc((size_t)nthreads, sizeof *f->threads);
    if (!f->threads)
        goto fail;
    for (; f->nthreads < nthreads; f->nthreads++) {
        if (pthread_create(&f->threads[f->nthreads], NULL, fetch_worker, f) != 0) {
            log_error("sim: cannot start fetch worker");
            goto fail;
        }
    }
    return f;
fail:
    sim_fetch_stop(f);
    return NULL;
}

int sim_fetch_enqueue(struct sim_fetch *f, const char *asset_id, const char *url, enum sim_asset_kind kind)
{
    size_t ulen = strlen(url);
    struct fetch_job *j = malloc(sizeof *j + ulen + 1);
    if (!j)
        return -1;
    j->next = NULL;
    snprintf(j->asset_id, sizeof j->asset_id, "%s", asset_id);
    j->kind = kind;
    memcpy(j->url, url, ulen + 1);
    pthread_mutex_lock(&f->mu);
    int full = f->stopping || f->len >= f->cap;
    if (!full) {
        if (f->tail)
            f->tail->next = j;
        else
            f->head = j;
        f->tail = j;
        f->len++;
        pthread_cond_signal(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    if (full)
        free(j);
    return full ? -1 : 0;
}

void sim_fetch_stop(struct sim_fetch *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    __atomic_store_n(&f->stopping, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    for (int i = 0; i < f->nthreads; i++)
        pthread_join(f->threads[i], NULL);
    while (f->head) {
        struct fetch_job *j = f->head;
        f->head = j->next;
        free(j);
    }
    free(f->threads);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
