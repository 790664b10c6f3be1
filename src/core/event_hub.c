/* event_hub.c — one thread per node that hands new events to the event
 * streams (by customer) and to parked WaitAsset requests (by asset).
 *
 * The hub reads every customer's new events from the store (list_events
 * with customer 0) every HUB_TICK_MS, and at once when this node recorded
 * one (core_event_recorded kicks it), so events another node recorded into
 * a shared PostgreSQL reach this node's streams and waiters too. It also
 * answers waiters at their deadline and marks heartbeats due: no thread
 * per client, the front parks connections and the hub wakes them.
 *
 * Invariant: an event is dispatched once per node, in seq order unless a
 * seq stays invisible past HOLD_MS. PostgreSQL BIGSERIAL seqs can become
 * visible out of order (seq 10 committed before seq 9): events after a
 * missing seq are held up to HOLD_MS for it; then the missing seqs are
 * remembered as holes for HOLE_MS, the store is re-read from the oldest
 * open hole, and a seq at or below the high-water mark is dispatched only
 * if it fills a hole. Lock order: hub->mu, then a
 * stream's mu; wake-ups (the front's resume) run under them, so a stream
 * or waiter the front has ended (unlinked under hub->mu) is never woken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asset_cache.h"
#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"

#define HUB_TICK_MS 50
#define HUB_PAGE 256
#define HOLES_MAX 256
#define HOLE_MS 10000
#define HOLD_MS 500 /* events after a seq not yet visible wait this long for it */
#define SUB_QUEUE_MAX 64   /* events a stream may fall behind before it is closed */
#define CATCHUP_PAGE 8     /* events read per step when a stream resumes */
#define HOT_POLL_MS 100    /* refresher: an awaited asset's poll period */

struct hole {
    int64_t seq;
    int64_t since_ms; /* monotonic */
};

/* The hub's two lists (streams, waiters) are doubly linked through prev
 * and next, newest first; linked says whether a node is on its list. Both
 * under hub->mu. */
#define HUB_LINK(head, n)                                                                                      \
    do {                                                                                                       \
        (n)->prev = NULL;                                                                                      \
        (n)->next = (head);                                                                                    \
        if (head)                                                                                              \
            (head)->prev = (n);                                                                                \
        (head) = (n);                                                                                          \
        (n)->linked = 1;                                                                                       \
    } while (0)
#define HUB_UNLINK(head, n)                                                                                    \
    do {                                                                                                       \
        if ((n)->linked) {                                                                                     \
            if ((n)->prev)                                                                                     \
                (n)->prev->next = (n)->next;                                                                   \
            else                                                                                               \
                (head) = (n)->next;                                                                            \
            if ((n)->next)                                                                                     \
                (n)->next->prev = (n)->prev;                                                                   \
            (n)->linked = 0;                                                                                   \
        }                                                                                                      \
    } while (0)

struct core_waiter {
    struct core_waiter *prev, *next;
    int linked;
    int fresh;          /* the hub has not re-read the asset since it came */
    uint64_t wid;       /* finds it again after a read without the lock */
    int64_t customer_id;
    char asset_id[IDS_MAX];
    int64_t deadline_ms; /* monotonic */
    core_wake_fn wake;
    void *arg;
};

struct core_sub {
    struct core_sub *prev, *next; /* the hub's list, under hub->mu */
    int linked;
    struct event_hub *hub;
    int64_t customer_id;
    int64_t next_hb_ms; /* hub thread only */
    pthread_mutex_t mu;
    core_wake_fn suspend, resume;
    void *arg;
    int parked; /* suspend called, resume not yet */
    int ended;  /* drained, or fell too far behind */
    int hb_due;
    struct event **q; /* ring of SUB_QUEUE_MAX, allocated on the first event */
    size_t q_head, q_len;
    /* resuming: events in (cu_after, cu_until] come from the store first */
    int catching_up;
    int64_t cu_after, cu_until;
    struct event_list page;
    size_t page_next;
    /* the hub's holes when the stream began: a late commit of one of them
     * is sent once, by whichever of catch-up and live dispatch sees it first */
    int64_t *late; /* malloc'd, only when there were holes: an idle stream stays small */
    unsigned char *late_taken;
    int n_late;
};

struct event_hub {
    struct core *c;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int started, stop, kicked, draining;
    int64_t last_seq; /* dispatched up to here, in order (-1 until read from the store) */
    int64_t gap_after, gap_since_ms; /* the seq after gap_after is missing since (HOLD_MS) */
    struct hole holes[HOLES_MAX];
    int n_holes;
    struct core_waiter *waiters;
    uint64_t next_wid;
    struct core_sub *subs;
    int64_t heartbeat_ms;
};

/* ---- streams ---- */

/* Under s->mu. */
static void sub_wake(struct core_sub *s)
{
    if (s->parked && s->resume) {
        s->parked = 0;
        s->resume(s->arg);
    }
}

static void sub_drop_queue(struct core_sub *s)
{
    for (size_t i = 0; i < s->q_len; i++)
        free(s->q[(s->q_head + i) % SUB_QUEUE_MAX]);
    free(s->q);
    s->q = NULL;
    s->q_head = s->q_len = 0;
}

/* A late seq (<= the stream's start) is taken once; 1 when it is to be sent. */
static int sub_take_late(struct core_sub *s, int64_t seq)
{
    for (int i = 0; i < s->n_late; i++)
        if (s->late[i] == seq) {
            if (s->late_taken[i])
                return 0;
            s->late_taken[i] = 1;
            return 1;
        }
    return -1; /* not a late one */
}

/* Under hub->mu: the live event ev for s's customer. */
static void sub_push(struct core_sub *s, const struct event *ev)
{
    pthread_mutex_lock(&s->mu);
    if (s->ended)
        goto out;
    if (s->catching_up && ev->seq <= s->cu_until && sub_take_late(s, ev->seq) != 1)
        goto out; /* catch-up reads it from the store */
    if (!s->catching_up && sub_take_late(s, ev->seq) == 0)
        goto out;
    if (!s->q)
        s->q = calloc(SUB_QUEUE_MAX, sizeof *s->q);
    struct event *copy = s->q && s->q_len < SUB_QUEUE_MAX ? malloc(sizeof *copy) : NULL;
    if (!copy) {
        /* Too far behind (or out of memory): end the stream; the client
         * resumes with Last-Event-ID and loses nothing. */
        log_warn("event stream of customer %lld fell %d events behind; closing it", (long long)s->customer_id,
                 SUB_QUEUE_MAX);
        sub_drop_queue(s);
        s->ended = 1;
    } else {
        *copy = *ev;
        s->q[(s->q_head + s->q_len++) % SUB_QUEUE_MAX] = copy;
    }
    sub_wake(s);
out:
    pthread_mutex_unlock(&s->mu);
}

enum core_code core_events_subscribe(struct core *c, const struct customer *cu, const char *last_event_id,
                                     struct core_sub **out, struct core_status *st)
{
    struct event_hub *h = c->hub;
    *out = NULL;
    if (!h)
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The event stream is not running; retry shortly.");
    int64_t after = -1;
    if (last_event_id && *last_event_id) {
        struct event *ev = malloc(sizeof *ev);
        if (!ev)
            return core_fail(st, CORE_SERVICE_UNAVAILABLE, "Out of memory; retry shortly.");
        enum store_result r = strlen(last_event_id) < IDS_MAX
                                  ? c->store->ops->find_event(c->store, cu->id, last_event_id, ev)
                                  : STORE_NOT_FOUND;
        after = ev->seq;
        free(ev);
        if (r == STORE_NOT_FOUND)
            return core_fail(st, CORE_INVALID_PARAMETER,
                             "Last-Event-ID is not one of your events of the last 24 hours; reconnect without it "
                             "and read the current state with ListAssets.");
        if (r != STORE_OK)
            return core_store_failure(r, st);
    }
    struct core_sub *s = calloc(1, sizeof *s);
    if (!s)
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "Out of memory; retry shortly.");
    pthread_mutex_init(&s->mu, NULL);
    s->hub = h;
    s->customer_id = cu->id;
    pthread_mutex_lock(&h->mu);
    int mine = 0;
    for (struct core_sub *o = h->subs; o; o = o->next)
        mine += o->customer_id == cu->id;
    if (mine >= CORE_STREAMS_PER_CUSTOMER || h->last_seq < 0) {
        pthread_mutex_unlock(&h->mu);
        pthread_mutex_destroy(&s->mu);
        free(s);
        if (mine >= CORE_STREAMS_PER_CUSTOMER)
            return core_fail(st, CORE_TOO_MANY_REQUESTS, "At most %d event streams per customer may be open; close one.",
                             CORE_STREAMS_PER_CUSTOMER);
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The record store is unavailable; retry shortly.");
    }
    if (h->n_holes) {
        s->late = malloc((size_t)h->n_holes * sizeof *s->late);
        s->late_taken = calloc((size_t)h->n_holes, 1);
        if (s->late && s->late_taken) /* else: a late commit may come twice, never be lost */
            for (int i = 0; i < h->n_holes; i++)
                s->late[s->n_late++] = h->holes[i].seq;
    }
    if (after >= 0 && after < h->last_seq) {
        s->catching_up = 1;
        s->cu_after = after;
        s->cu_until = h->last_seq;
    }
    s->ended = h->draining;
    s->next_hb_ms = clock_mono_ms() + h->heartbeat_ms;
    HUB_LINK(h->subs, s);
    pthread_mutex_unlock(&h->mu);
    *out = s;
    return CORE_OK;
}

void core_sub_bind(struct core_sub *s, core_wake_fn suspend, core_wake_fn resume, void *arg)
{
    pthread_mutex_lock(&s->mu);
    s->suspend = suspend;
    s->resume = resume;
    s->arg = arg;
    pthread_mutex_unlock(&s->mu);
}

int64_t core_sub_heartbeat_ms(const struct core_sub *s)
{
    return s->hub->heartbeat_ms;
}

/* The next event of a resuming stream from the store, or 0 when caught up. */
static int catchup_next(struct core *c, struct core_sub *s, struct event **out)
{
    for (;;) {
        if (s->page_next >= s->page.n) {
            free(s->page.items);
            memset(&s->page, 0, sizeof s->page);
            s->page_next = 0;
            enum store_result r = c->store->ops->list_events(c->store, s->customer_id, s->cu_after, CATCHUP_PAGE,
                                                             &s->page);
            if (r != STORE_OK)
                return -1;
            if (s->page.n == 0)
                return 0;
        }
        struct event *ev = &s->page.items[s->page_next++];
        if (ev->seq > s->cu_until)
            return 0; /* from here on, live dispatch has it */
        s->cu_after = ev->seq;
        pthread_mutex_lock(&s->mu);
        int take = sub_take_late(s, ev->seq);
        pthread_mutex_unlock(&s->mu);
        if (take == 0)
            continue;
        *out = malloc(sizeof **out);
        if (!*out)
            return -1;
        **out = *ev;
        return 1;
    }
}

enum core_sub_next core_sub_next(struct core *c, struct core_sub *s, struct event **out)
{
    *out = NULL;
    if (s->catching_up && !s->ended) {
        int r = catchup_next(c, s, out);
        if (r == 1)
            return CORE_SUB_EVENT;
        free(s->page.items);
        memset(&s->page, 0, sizeof s->page);
        pthread_mutex_lock(&s->mu);
        s->catching_up = 0;
        if (r < 0)
            s->ended = 1; /* the client resumes later */
        pthread_mutex_unlock(&s->mu);
    }
    enum core_sub_next next;
    pthread_mutex_lock(&s->mu);
    if (s->q_len) {
        *out = s->q[s->q_head];
        s->q_head = (s->q_head + 1) % SUB_QUEUE_MAX;
        s->q_len--;
        next = CORE_SUB_EVENT;
    } else if (s->ended) {
        next = CORE_SUB_END;
    } else if (s->hb_due) {
        s->hb_due = 0;
        next = CORE_SUB_HEARTBEAT;
    } else {
        /* Suspended under the lock the hub wakes it under: a wake-up can
         * never come between "nothing to send" and the suspension. */
        s->parked = 1;
        if (s->suspend)
            s->suspend(s->arg);
        next = CORE_SUB_PARKED;
    }
    pthread_mutex_unlock(&s->mu);
    return next;
}

void core_sub_close(struct core_sub *s)
{
    if (!s)
        return;
    struct event_hub *h = s->hub;
    pthread_mutex_lock(&h->mu);
    HUB_UNLINK(h->subs, s);
    pthread_mutex_unlock(&h->mu);
    sub_drop_queue(s);
    free(s->page.items);
    free(s->late);
    free(s->late_taken);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- waiters ---- */

/* Under hub->mu. */
static void waiter_fire(struct event_hub *h, struct core_waiter *w)
{
    if (!w->linked)
        return;
    HUB_UNLINK(h->waiters, w);
    w->wake(w->arg);
}

static int processing(const struct asset *a)
{
    return strcmp(a->status, "Processing") == 0;
}

struct core_waiter *core_wait_asset(struct core *c, const struct customer *cu, const char *asset_id,
                                    int64_t deadline_ms, core_wake_fn wake, void *arg)
{
    struct event_hub *h = c->hub;
    struct core_waiter *w = calloc(1, sizeof *w);
    if (!w) {
        wake(arg);
        return NULL;
    }
    snprintf(w->asset_id, sizeof w->asset_id, "%s", asset_id);
    w->customer_id = cu->id;
    w->deadline_ms = deadline_ms;
    w->wake = wake;
    w->arg = arg;
    if (!h) {
        wake(arg);
        return w;
    }
    /* The hub thread reads the asset again (settle_fresh): it may have
     * settled between the caller's read and now, and an event from now on
     * finds the waiter. The caller's thread (the front's) does no store
     * I/O here. */
    pthread_mutex_lock(&h->mu);
    w->wid = ++h->next_wid;
    w->fresh = 1;
    HUB_LINK(h->waiters, w);
    if (h->draining)
        waiter_fire(h, w);
    h->kicked = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return w;
}

void core_waiter_end(struct core *c, struct core_waiter *w)
{
    if (!w)
        return;
    struct event_hub *h = c->hub;
    if (h) {
        pthread_mutex_lock(&h->mu);
        HUB_UNLINK(h->waiters, w);
        pthread_mutex_unlock(&h->mu);
    }
    free(w);
}

int64_t refresher_hot(struct core *c, const char *asset_id, int64_t now_ms)
{
    struct event_hub *h = c->hub;
    if (!h)
        return 0;
    int hot = 0;
    pthread_mutex_lock(&h->mu);
    for (struct core_waiter *w = h->waiters; w && !hot; w = w->next)
        hot = strcmp(w->asset_id, asset_id) == 0;
    pthread_mutex_unlock(&h->mu);
    return hot ? now_ms + HOT_POLL_MS : 0;
}

/* ---- the hub thread ---- */

static int hole_index(const struct event_hub *h, int64_t seq)
{
    for (int i = 0; i < h->n_holes; i++)
        if (h->holes[i].seq == seq)
            return i;
    return -1;
}

/* Under hub->mu: ev is new to this node. */
static void dispatch(struct event_hub *h, const struct event *ev)
{
    for (struct core_sub *s = h->subs; s; s = s->next)
        if (s->customer_id == ev->customer_id)
            sub_push(s, ev);
    if (ev->kind != EVENT_ASSET_ACTIVE && ev->kind != EVENT_ASSET_FAILED)
        return;
    /* This node's GetAsset must not answer older than its stream. */
    asset_cache_invalidate(h->c->asset_cache);
    for (struct core_waiter *w = h->waiters, *next; w; w = next) {
        next = w->next;
        if (strcmp(w->asset_id, ev->subject) == 0)
            waiter_fire(h, w);
    }
}

/* Under hub->mu: what to do with ev, read in seq order after last_seq. */
enum admit { ADMIT_SKIP, ADMIT_SEND, ADMIT_HOLD };

static enum admit admit(struct event_hub *h, const struct event *ev, int64_t now)
{
    if (ev->seq <= h->last_seq) { /* seen, or a late commit given up on: send it now */
        int i = hole_index(h, ev->seq);
        if (i < 0)
            return ADMIT_SKIP;
        h->holes[i] = h->holes[--h->n_holes];
        return ADMIT_SEND;
    }
    if (ev->seq > h->last_seq + 1) {
        /* Seqs below it are not visible yet: their transactions are most
         * likely committing right now. Hold ev (and everything after it)
         * up to HOLD_MS so that streams get events in seq order and a
         * Last-Event-ID means "everything before it"; past that the seqs
         * are given up as holes (rolled back, or very slow) and sent when
         * and if they come. */
        if (h->gap_after != h->last_seq) {
            h->gap_after = h->last_seq;
            h->gap_since_ms = now;
        }
        if (now - h->gap_since_ms < HOLD_MS)
            return ADMIT_HOLD;
        int64_t first = h->last_seq + 1;
        if (ev->seq - first > HOLES_MAX) /* a jump (rollbacks, a restored database): the nearest seqs only */
            first = ev->seq - HOLES_MAX;
        for (int64_t s = first; s < ev->seq; s++) {
            if (h->n_holes == HOLES_MAX) {
                log_warn("event hub: more than %d events not yet visible; seq %lld is given up", HOLES_MAX,
                         (long long)h->holes[0].seq);
                memmove(h->holes, h->holes + 1, (HOLES_MAX - 1) * sizeof *h->holes);
                h->n_holes--;
            }
            h->holes[h->n_holes++] = (struct hole){s, now};
        }
    }
    h->last_seq = ev->seq;
    return ADMIT_SEND;
}

static void read_events(struct event_hub *h)
{
    struct core *c = h->c;
    pthread_mutex_lock(&h->mu);
    if (h->last_seq < 0) {
        int64_t seq;
        pthread_mutex_unlock(&h->mu);
        if (c->store->ops->last_event_seq(c->store, &seq) != STORE_OK)
            return;
        pthread_mutex_lock(&h->mu);
        h->last_seq = seq;
        pthread_mutex_unlock(&h->mu);
        return;
    }
    int64_t now = clock_mono_ms();
    for (int i = 0; i < h->n_holes;) /* a seq not seen for HOLE_MS was rolled back */
        if (now - h->holes[i].since_ms > HOLE_MS)
            h->holes[i] = h->holes[--h->n_holes];
        else
            i++;
    int64_t from = h->last_seq;
    for (int i = 0; i < h->n_holes; i++)
        if (h->holes[i].seq - 1 < from)
            from = h->holes[i].seq - 1;
    pthread_mutex_unlock(&h->mu);
    for (int held = 0; !held;) {
        struct event_list l = {0};
        if (c->store->ops->list_events(c->store, 0, from, HUB_PAGE, &l) != STORE_OK)
            return;
        pthread_mutex_lock(&h->mu);
        for (size_t i = 0; i < l.n && !held; i++) {
            enum admit a = admit(h, &l.items[i], now);
            if (a == ADMIT_SEND)
                dispatch(h, &l.items[i]);
            held = a == ADMIT_HOLD; /* read again from here next time */
        }
        pthread_mutex_unlock(&h->mu);
        size_t n = l.n;
        if (n)
            from = l.items[n - 1].seq;
        free(l.items);
        if (n < HUB_PAGE)
            return;
    }
}

/* Under hub->mu: deadlines and heartbeats; the next one due (monotonic). */
static int64_t timers(struct event_hub *h, int64_t now)
{
    int64_t next = now + HUB_TICK_MS;
    for (struct core_waiter *w = h->waiters, *nx; w; w = nx) {
        nx = w->next;
        if (w->deadline_ms <= now)
            waiter_fire(h, w);
        else if (w->deadline_ms < next)
            next = w->deadline_ms;
    }
    for (struct core_sub *s = h->subs; s; s = s->next) {
        if (s->next_hb_ms <= now) {
            s->next_hb_ms = now + h->heartbeat_ms;
            pthread_mutex_lock(&s->mu);
            s->hb_due = 1;
            sub_wake(s);
            pthread_mutex_unlock(&s->mu);
        }
        if (s->next_hb_ms < next)
            next = s->next_hb_ms;
    }
    return next;
}

/* New waiters: the asset read again now that the waiter is registered (a
 * settled one wakes it at once); a Processing one is made due at the
 * refresher now, which then polls it every HOT_POLL_MS (refresher_hot). */
#define FRESH_BATCH 32
static void settle_fresh(struct event_hub *h)
{
    struct core *c = h->c;
    struct {
        uint64_t wid;
        int64_t customer_id;
        char asset_id[IDS_MAX];
    } batch[FRESH_BATCH];
    struct asset *a = malloc(sizeof *a);
    int n, kick = 0;
    do {
        n = 0;
        pthread_mutex_lock(&h->mu);
        for (struct core_waiter *w = h->waiters; w && n < FRESH_BATCH; w = w->next)
            if (w->fresh) {
                w->fresh = 0;
                batch[n].wid = w->wid;
                batch[n].customer_id = w->customer_id;
                memcpy(batch[n].asset_id, w->asset_id, IDS_MAX);
                n++;
            }
        pthread_mutex_unlock(&h->mu);
        for (int i = 0; i < n; i++) {
            enum store_result r =
                a ? c->store->ops->get_asset(c->store, batch[i].customer_id, batch[i].asset_id, a) : STORE_ERROR;
            int waiting = r == STORE_OK && processing(a);
            if (!waiting) {
                pthread_mutex_lock(&h->mu);
                for (struct core_waiter *w = h->waiters; w; w = w->next)
                    if (w->wid == batch[i].wid) {
                        waiter_fire(h, w);
                        break;
                    }
                pthread_mutex_unlock(&h->mu);
            } else if (c->store->ops->schedule_poll(c->store, a->id, clock_wall_ms(), a->polls) == STORE_OK) {
                kick = 1;
            }
        }
    } while (n == FRESH_BATCH);
    free(a);
    if (kick)
        poller_kick(c->refresher);
}

static void *hub_main(void *arg)
{
    struct event_hub *h = arg;
    int64_t next_read = 0;
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        int64_t now = clock_mono_ms();
        if (h->kicked || now >= next_read) {
            h->kicked = 0;
            pthread_mutex_unlock(&h->mu);
            read_events(h);
            settle_fresh(h);
            pthread_mutex_lock(&h->mu);
            now = clock_mono_ms();
            next_read = now + HUB_TICK_MS;
        }
        int64_t next = timers(h, now);
        if (next > next_read)
            next = next_read;
        if (!h->kicked && !h->stop && next > now) {
            struct timespec ts = clock_deadline((int)(next - now));
            pthread_cond_timedwait(&h->cv, &h->mu, &ts);
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

struct event_hub *event_hub_start(struct core *c)
{
    struct event_hub *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->c = c;
    h->last_seq = -1;
    h->gap_after = -1;
    h->heartbeat_ms = c->cfg.sse_heartbeat_ms > 0 ? c->cfg.sse_heartbeat_ms : 15000;
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    read_events(h); /* the high-water mark: streams start at "now" */
    if (pthread_create(&h->thread, NULL, hub_main, h) != 0) {
        log_error("event hub: cannot start its thread");
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        free(h);
        return NULL;
    }
    h->started = 1;
    return h;
}

void event_hub_kick(struct event_hub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->kicked = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

void core_events_drain(struct core *c)
{
    struct event_hub *h = c->hub;
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->draining = 1;
    while (h->waiters)
        waiter_fire(h, h->waiters);
    for (struct core_sub *s = h->subs; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        s->ended = 1;
        sub_wake(s);
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&h->mu);
}

void event_hub_stop(struct event_hub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    if (h->subs || h->waiters)
        log_warn("event hub: streams or waiters left at shutdown");
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}
