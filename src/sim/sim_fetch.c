/* sim_fetch.c — the worker pool that downloads a new asset's media, as the
 * upstream does during its compliance check, and reports the verdict to
 * sim_assets. The queue is bounded; each download is bounded in time
 * (fetch_timeout_ms), size (max_fetch_bytes) and redirects (3), and is
 * aborted when the simulator stops. Only a prefix of the bytes is kept. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
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
    size_t max_bytes;
    int timeout_ms;
    pthread_t *threads;
    int nthreads;
};

/* One download in progress. */
struct fetch_dl {
    struct sim_fetch *f;
    uint8_t *buf;
    size_t len, keep; /* kept bytes, and how many to keep at most */
    size_t total;     /* bytes received in all */
    int stop_early;   /* 1: an image, stop once keep bytes are in */
    int enough;       /* we stopped it on purpose: the prefix is complete */
    int too_large;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    struct fetch_dl *d = ud;
    size_t n = size * nmemb;
    d->total += n;
    if (d->total > d->f->max_bytes) {
        d->too_large = 1;
        return 0; /* aborts the transfer */
    }
    size_t room = d->keep - d->len, take = n < room ? n : room;
    memcpy(d->buf + d->len, p, take);
    d->len += take;
    if (d->stop_early && d->len == d->keep) {
        d->enough = 1;
        return 0;
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    struct fetch_dl *d = ud;
    return __atomic_load_n(&d->f->stopping, __ATOMIC_RELAXED) ? 1 : 0;
}

/* Runs the check for one job: 1 with ok/code/reason set, 0 if it was aborted
 * because the simulator is stopping (no verdict to record). code is the
 * failed asset's Error.Code (UPSTREAM.md "GetAsset"). */
static int fetch_run(struct sim_fetch *f, const struct fetch_job *j, int *ok, const char **code, char *reason,
                     size_t cap)
{
    *code = "InvalidParameter.DownloadFailed";
    struct fetch_dl d = {.f = f, .stop_early = j->kind == SIM_KIND_IMAGE};
    d.keep = j->kind == SIM_KIND_IMAGE ? SIM_CHECK_IMAGE_PREFIX : SIM_CHECK_OTHER_PREFIX;
    d.buf = malloc(d.keep);
    CURL *c = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    int done = 1;
    *ok = 0;
    if (!d.buf || !c) {
        snprintf(reason, cap, "media URL could not be fetched: out of memory");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, (const char *)j->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_bytes);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "portico-sim/1 (compliance check)");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);

    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        done = 0;
    } else if (d.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(reason, cap, "media is larger than %zu bytes", f->max_bytes);
    } else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && d.enough)) {
        snprintf(reason, cap, "media URL could not be fetched: %.200s",
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
    } else if (status < 200 || status > 299) {
        snprintf(reason, cap, "media URL could not be fetched: HTTP %ld", status);
    } else {
        *ok = sim_check_media(j->kind, d.buf, d.len, !d.enough, reason, cap) == 0;
        *code = "InvalidParameter.FormatUnsupported";
    }
out:
    if (c)
        curl_easy_cleanup(c);
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
        char reason[256] = "";
        const char *code = NULL;
        if (fetch_run(f, j, &ok, &code, reason, sizeof reason))
            sim_assets_finish_check(f->assets, j->asset_id, ok, code, reason);
        free(j);
    }
}

struct sim_fetch *sim_fetch_start(struct sim_assets *assets, int nthreads, size_t queue_cap,
                                  size_t max_bytes, int timeout_ms)
{
    struct sim_fetch *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->assets = assets;
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
