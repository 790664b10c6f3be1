/* outbox.c — delivers the webhook outbox (API.md §4a), and keeps the event
 * log to its retention.
 *
 * A user of the lease-and-poll engine (poller.h): each round leases the
 * notifications that are due (Pending, next attempt passed; on PostgreSQL
 * FOR UPDATE SKIP LOCKED, so every node takes its own), and a worker POSTs
 * each event's body, exactly as the store holds it, to the customer's URL
 * through the one outbound call (util/http_call.c) with the outbound URL
 * policy applied on connect too (a name that resolves to a private
 * address is refused there). A 2xx is Delivered; anything else waits
 * core_notify_backoff_ms and is tried again until webhook_retry_ms after the
 * event, then Failed. A customer without a config (deleted meanwhile):
 * Failed at once.
 *
 * Invariant: a delivery's outcome is written only after its attempt, so a
 * node that dies mid-delivery loses nothing: the lease lapses and another
 * round (here or on another node) sends it again. Delivery is at least
 * once; receivers dedupe by Portico-Event-Id.
 *
 * A round ends when its slowest delivery does (webhook_timeout_ms at most):
 * rounds hold twice as many deliveries as there are workers, ordered so
 * that every customer's first delivery comes before anyone's second, and a
 * receiver that fails backs off, so one slow receiver delays the others by
 * at most one attempt's time limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/http_call.h"
#include "util/log.h"

#define OUTBOX_IDLE_MS 500                 /* other nodes' events are found this often */
#define OUTBOX_READ_MAX 4096               /* bytes of a receiver's answer read (and ignored) */
#define OUTBOX_PRUNE_EVERY_MS (60 * 1000)  /* the retention chore */
#define OUTBOX_USER_AGENT "Portico-Webhooks/1.0"

/* The answer's body is read up to OUTBOX_READ_MAX and dropped: only the
 * status counts, and a receiver that sends more is not waited for. */
static int outbox_sink(void *ctx, const struct http_head *head, const char *p, size_t n)
{
    size_t *seen = ctx;
    (void)head;
    (void)p;
    *seen += n;
    return *seen > OUTBOX_READ_MAX;
}

static double outbox_jitter(void)
{
    uint32_t r = 0;
    if (crypto_random(&r, sizeof r) != 0)
        return 0.5;
    return (double)r / 4294967296.0;
}

/* One attempt: the receiver's HTTP status, 0 when none answered, -1 when
 * the node is stopping (the attempt does not count). */
static long outbox_post(struct core *c, const struct notification_job *j)
{
    int64_t ts = clock_wall_ms() / 1000;
    size_t len = strlen(j->body);
    char sig[65];
    core_notify_signature(j->secret, ts, j->body, len, sig);
    char h_id[32 + IDS_MAX], h_ts[48], h_sig[96];
    snprintf(h_id, sizeof h_id, "Portico-Event-Id: %s", j->n.event_id);
    snprintf(h_ts, sizeof h_ts, "Portico-Timestamp: %lld", (long long)ts);
    snprintf(h_sig, sizeof h_sig, "Portico-Signature: v1=%s", sig);
    const char *headers[] = {"Content-Type: application/json", h_id, h_ts, h_sig, "Expect:"};
    size_t seen = 0;
    struct http_call call = {
        .method = "POST",
        .url = j->url,
        .headers = headers,
        .n_headers = sizeof headers / sizeof headers[0],
        .body = j->body,
        .body_len = len,
        .timeout_ms = c->cfg.webhook_timeout_ms,
        .connect_timeout_ms = c->cfg.webhook_timeout_ms,
        .max_redirs = 0, /* a redirect is not a delivery */
        .sink = outbox_sink,
        .sink_ctx = &seen,
        .user_agent = OUTBOX_USER_AGENT,
        .policy = c->url_policy,
        .abort_flag = &c->outbox_stopping,
    };
    struct http_call_out out;
    enum http_call_result r = http_call(&call, &out);
    if (r == HTTP_CALL_ABORTED)
        return -1;
    if (r == HTTP_CALL_OK || r == HTTP_CALL_STOPPED || r == HTTP_CALL_TOO_LARGE)
        return out.status;
    /* No answer: refused by the URL policy, or no connection, or no
     * complete answer in time. The reason is for the operator only. */
    log_warn("webhook %s to customer %lld: no answer: %s %s", j->n.event_id, (long long)j->n.customer_id,
             r == HTTP_CALL_REFUSED ? "refused by the URL policy:" : out.curl_name, out.message);
    return r == HTTP_CALL_FAILED && out.status > 0 && out.started ? out.status : 0;
}

static void outbox_poll_one(struct poller *p, void *ctx, void *item)
{
    struct core *c = ctx;
    const struct notification_job *j = item;
    (void)p;
    if (__atomic_load_n(&c->outbox_stopping, __ATOMIC_RELAXED))
        return; /* its lease lapses: sent after the restart */
    int attempts = j->n.attempts, status = NOTIFY_FAILED;
    long code = j->n.last_status_code;
    int64_t next = 0;
    if (!j->url[0] || !j->secret[0]) {
        /* the customer deleted the webhook: nothing to deliver to */
    } else {
        long got = outbox_post(c, j);
        if (got < 0)
            return;
        attempts++;
        code = got;
        int64_t now = clock_wall_ms(), give_up = j->n.create_ms + c->cfg.webhook_retry_ms;
        if (got >= 200 && got <= 299) {
            status = NOTIFY_DELIVERED;
        } else if (now < give_up) {
            status = NOTIFY_PENDING;
            next = now + core_notify_backoff_ms(c->cfg.webhook_backoff_ms, attempts, outbox_jitter());
            if (next > give_up)
                next = give_up; /* one last attempt at the end of the window */
        }
    }
    enum store_result r = c->store->ops->finish_notification(c->store, j->n.event_id, status, attempts, (int)code,
                                                             next);
    if (r != STORE_OK && r != STORE_NOT_FOUND)
        log_warn("webhook %s: cannot record the attempt: %s", j->n.event_id, store_result_str(r));
}

static int outbox_lease(void *ctx, int64_t now_ms, int64_t lease_ms, size_t limit, void **items, size_t *n)
{
    struct core *c = ctx;
    struct notification_job_list l = {0};
    enum store_result r = c->store->ops->lease_due_notifications(c->store, now_ms, lease_ms, limit, &l);
    return core_leased(r, l.items, l.n, items, n);
}

/* Fair between customers: each customer's first delivery of the round,
 * in the store's order, then each one's second, and so on. */
static void outbox_order(void *ctx, void **items, size_t n)
{
    (void)ctx;
    int *rank = calloc(n ? n : 1, sizeof *rank);
    void **out = calloc(n ? n : 1, sizeof *out);
    if (!rank || !out) {
        free(rank);
        free(out);
        return;
    }
    int max_rank = 0;
    for (size_t i = 0; i < n; i++) {
        const struct notification_job *a = items[i];
        for (size_t k = 0; k < i; k++)
            if (((const struct notification_job *)items[k])->n.customer_id == a->n.customer_id)
                rank[i]++;
        if (rank[i] > max_rank)
            max_rank = rank[i];
    }
    size_t m = 0;
    for (int r = 0; r <= max_rank; r++)
        for (size_t i = 0; i < n; i++)
            if (rank[i] == r)
                out[m++] = items[i];
    memcpy(items, out, n * sizeof *items);
    free(rank);
    free(out);
}

/* Retention: events (and their deliveries, long settled) older than
 * event_retention_ms go, once a minute. */
static void outbox_after_round(struct poller *p, void *ctx)
{
    struct core *c = ctx;
    (void)p;
    int64_t mono = clock_mono_ms();
    if (mono < c->outbox_next_prune_ms)
        return;
    c->outbox_next_prune_ms = mono + OUTBOX_PRUNE_EVERY_MS;
    int n = 0;
    enum store_result r = c->store->ops->prune_events(c->store, clock_wall_ms() - c->cfg.event_retention_ms, &n);
    if (r != STORE_OK)
        log_warn("events: cannot remove old events: %s", store_result_str(r));
    else if (n > 0)
        log_info("events: removed %d events older than %lld hours", n,
                 (long long)(c->cfg.event_retention_ms / 3600000));
}

struct poller *outbox_start(struct core *c)
{
    int workers = c->cfg.webhook_workers > 0 ? c->cfg.webhook_workers : 1;
    if (c->cfg.webhook_timeout_ms < 100)
        c->cfg.webhook_timeout_ms = 100;
    struct poller_config cfg = {
        .name = "webhook outbox",
        .ctx = c,
        .workers = workers,
        .batch = (size_t)workers * 2,
        /* a round is two attempts per worker at most; the lease outlasts it */
        .lease_ms = 2LL * c->cfg.webhook_timeout_ms + 10000,
        .idle_ms = OUTBOX_IDLE_MS,
        .item_size = sizeof(struct notification_job),
        .lease = outbox_lease,
        .order = outbox_order,
        .poll_one = outbox_poll_one,
        .after_round = outbox_after_round,
    };
    return poller_start(&cfg);
}
