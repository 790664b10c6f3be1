/* reconcile.c — creates whose outcome upstream is unknown.
 *
 * A CreateAssetGroup or CreateAsset can fail after the upstream acted on it:
 * the connection drops after the request went out, the reply is lost, a
 * 5xx comes from a proxy in front of a backend that did the work. Repeating
 * the create blindly would make a second object that nobody records, and
 * the ark API has no idempotency token. So every create is made findable:
 *
 *   - The reservation (store.h) comes first and keeps a tag of its own:
 *     12 random characters (reconcile_new_tag), which no customer can
 *     guess. The Name sent upstream is the customer's Name, shortened to
 *     fit, then UP_TAG_SEP and the tag; the customer only ever sees
 *     Portico's record, which keeps the Name as given. Renames send the new
 *     Name with the same tag appended, so every upstream Name ends in its
 *     own object's tag: a customer cannot make one of its objects carry
 *     the tag of another customer's create (which a predictable tag and a
 *     rename sent as is once allowed: the victim's create adopted the
 *     wrong group). Reservations from before random tags use the old tag
 *     (handle and reservation time) until they are settled.
 *   - After an ambiguous failure (up_error.maybe_acted) the gateway asks the
 *     upstream for an object carrying the tag (find_group / find_asset,
 *     paid from the list budget). Found: adopt it — the create succeeded.
 *     Certainly not there: the create did not happen, and only now is it
 *     sent again. Cannot tell (the lookups fail too): the request answers
 *     UpstreamError and hands the reservation to the background reconciler,
 *     which keeps looking and undoes whatever it finds (deletes the
 *     upstream object, the stored bytes, the reservation), so that the
 *     answer "nothing was changed" becomes true.
 *   - Reservations that outlived their request — the process died between
 *     reserve and confirm — are settled the same way at start-up (and,
 *     with a shared PostgreSQL, periodically once they are older than
 *     reconcile_after_ms, when no live node can still be creating them),
 *     except that what is found is adopted: nobody was told otherwise.
 *     The dead process's last creates may still be running inside the
 *     upstream, so start-up first waits a grace period (longer than the
 *     upstream timeout) when some reservation is young enough for that.
 *     An upload is adopted only if its bytes are in the blob store (they
 *     are committed before the upstream is asked, so they are, unless
 *     removed later); bytes of a reservation that is dropped are removed
 *     before the row, so no record ever points at missing bytes and no
 *     bytes outlive their last record.
 *
 * Known limit: an upstream that acts on a create later than the in-request
 * lookup that found nothing (a request stuck in its queue past our
 * timeout) can still create a second object; the simulator's faults
 * (latency below the timeout) do not model that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blob/blob.h"
#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define RECONCILE_CREATE_TRIES 3   /* creates one request may send */
#define RECONCILE_FIND_TRIES 4     /* lookups (each retried by the port) per ambiguous create */
#define RECONCILE_QUEUE_MAX 4096   /* reservations waiting for the background reconciler */
#define RECONCILE_RETRY_MS 2000    /* how often the queue is worked */
#define RECONCILE_SWEEP_MS 60000   /* how often old reservations are looked for */
#define RECONCILE_BATCH 1000
#define RECONCILE_MIN_AGE_MS (5 * 60 * 1000) /* longer than any request's create takes */
#define IDEM_TTL_MS (24 * 3600 * 1000LL)

/* What to do with what the upstream turns out to have. */
enum reconcile_mode {
    RECONCILE_ADOPT, /* nobody was answered: found means created */
    RECONCILE_UNDO,  /* the caller was told it failed: found is removed */
};

struct reconcile_item {
    struct store_pending p;
    enum reconcile_mode mode;
};

struct reconciler {
    struct core *c;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    struct reconcile_item *queue; /* RECONCILE_QUEUE_MAX entries */
    size_t n;
};

/* ---- tags and names ---- */

static char *base36(uint64_t v, char *end)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    *--end = '\0';
    do {
        *--end = digits[v % 36];
        v /= 36;
    } while (v);
    return end;
}

void reconcile_new_tag(char out[static STORE_TAG_MAX])
{
    _Static_assert(RECONCILE_TAG_CHARS < STORE_TAG_MAX && RECONCILE_TAG_CHARS < UP_TAG_MAX, "tag sizes");
    ids_random_lower(out, RECONCILE_TAG_CHARS);
}

void reconcile_tag(const struct store_pending *p, char out[static UP_TAG_MAX])
{
    if (p->tag[0]) {
        snprintf(out, UP_TAG_MAX, "%s", p->tag);
        return;
    }
    char a[16], b[16]; /* a reservation from before random tags */
    snprintf(out, UP_TAG_MAX, "p%st%s", base36((uint64_t)p->handle, a + sizeof a),
             base36((uint64_t)p->reserved_ms, b + sizeof b));
}

void reconcile_upstream_name(const char *name, const char *fallback, const char *tag,
                             char out[static UP_NAME_MAX])
{
    if (!name || !name[0])
        name = fallback;
    /* The upstream allows UP_NAME_CHARS characters: keep as many of the
     * customer's as fit before the separator and the tag (all 50 of them
     * with today's tags). */
    long room = UP_NAME_CHARS - (long)strlen(UP_TAG_SEP) - (long)strlen(tag);
    size_t bytes = 0;
    for (long chars = 0; name[bytes] && chars < room; chars++) {
        bytes++;
        while (((unsigned char)name[bytes] & 0xC0) == 0x80)
            bytes++;
    }
    snprintf(out, UP_NAME_MAX, "%.*s%s%s", (int)bytes, name, UP_TAG_SEP, tag);
}

/* ---- finding what a create made ---- */

enum found { FOUND, NONE, UNKNOWN };

static enum found find_once(struct core *c, const struct store_pending *p, char id_out[static IDS_MAX])
{
    struct upstream *u = c->up;
    if (!(p->is_group ? u->ops->find_group : u->ops->find_asset))
        return UNKNOWN;
    struct core_status st = {0};
    if (budget_wait(&c->budget, &c->budget.mutate, &st) != CORE_OK)
        return UNKNOWN;
    char tag[UP_TAG_MAX];
    reconcile_tag(p, tag);
    struct up_error err = {0};
    enum up_result r = p->is_group ? u->ops->find_group(u, p->type, tag, id_out, &err)
                                   : u->ops->find_asset(u, p->group_id, tag, id_out, &err);
    core_count_upstream(c, p->customer_id, p->is_group ? "ListAssetGroups" : "ListAssets", r);
    if (r == UP_OK)
        return FOUND;
    if (r == UP_NOT_FOUND)
        return NONE;
    log_warn("reconcile: cannot look up tag %s upstream: %s (%s)", tag, up_result_str(r), err.code);
    return UNKNOWN;
}

static enum found find_created(struct core *c, const struct store_pending *p, char id_out[static IDS_MAX])
{
    enum found f = UNKNOWN;
    for (int i = 0; i < RECONCILE_FIND_TRIES && f == UNKNOWN; i++) {
        if (i)
            clock_sleep_ms(200 * i);
        f = find_once(c, p, id_out);
    }
    return f;
}

/* ---- the background queue ---- */

static void defer(struct core *c, const struct store_pending *p, enum reconcile_mode mode)
{
    struct reconciler *rc = c->reconciler;
    metrics_upstream("Reconcile", "deferred");
    if (!rc) {
        log_error("reconcile: no reconciler; reservation %lld stays pending until the next start",
                  (long long)p->handle);
        return;
    }
    pthread_mutex_lock(&rc->mu);
    for (size_t i = 0; i < rc->n; i++) {
        if (rc->queue[i].p.handle == p->handle && rc->queue[i].p.is_group == p->is_group) {
            pthread_mutex_unlock(&rc->mu); /* already waiting (a periodic sweep found it again) */
            return;
        }
    }
    if (rc->n < RECONCILE_QUEUE_MAX) {
        rc->queue[rc->n].p = *p;
        rc->queue[rc->n].mode = mode;
        rc->n++;
        pthread_cond_signal(&rc->cv);
    } else {
        log_error("reconcile: queue full; reservation %lld waits for the periodic sweep", (long long)p->handle);
    }
    pthread_mutex_unlock(&rc->mu);
}

/* ---- one create, as a request makes it ---- */

static void pending_of(const struct reconcile_create *rq, struct store_pending *p)
{
    memset(p, 0, sizeof *p);
    p->is_group = rq->is_group;
    p->handle = rq->handle;
    p->customer_id = rq->customer_id;
    p->reserved_ms = rq->reserved_ms;
    snprintf(p->type, sizeof p->type, "%s", rq->is_group ? rq->group_type : rq->asset_type);
    snprintf(p->group_id, sizeof p->group_id, "%s", rq->is_group ? "" : rq->group_id);
    snprintf(p->blob_key, sizeof p->blob_key, "%s", rq->blob_key ? rq->blob_key : "");
    snprintf(p->tag, sizeof p->tag, "%s", rq->tag ? rq->tag : "");
}

enum core_code reconcile_create(struct core *c, const struct reconcile_create *rq, char id_out[static IDS_MAX],
                                int *in_doubt, struct core_status *st)
{
    struct store_pending p;
    pending_of(rq, &p);
    char tag[UP_TAG_MAX], up_name[UP_NAME_MAX];
    reconcile_tag(&p, tag);
    reconcile_upstream_name(rq->name, rq->is_group ? "group" : "asset", tag, up_name);
    const char *op = rq->is_group ? "CreateAssetGroup" : "CreateAsset";
    *in_doubt = 0;

    /* An asset's create is sent only once its reservation holds one of the
     * account's creations in flight (inflight.c): the row keeps it across
     * the attempts below and until the asset settles. */
    int64_t deadline = rq->deadline ? rq->deadline : budget_deadline(&c->budget);
    if (rq->needs_slot && inflight_wait_slot(c, rq->handle, deadline, st) != CORE_OK)
        return st->code; /* nothing was sent */
    for (int attempt = 1;; attempt++) {
        if (budget_take(&c->budget, &c->budget.create, rq->customer_id, deadline, st) != CORE_OK)
            return st->code; /* nothing was sent this time, and earlier tries made nothing */
        struct up_error err = {0};
        enum up_result u = rq->is_group
                               ? c->up->ops->create_group(c->up, up_name, rq->description, rq->group_type, id_out, &err)
                               : c->up->ops->create_asset(c->up, rq->group_id, rq->url, rq->asset_type, up_name,
                                                          id_out, &err);
        core_count_upstream(c, rq->customer_id, op, u);
        if (u == UP_OK)
            return CORE_OK;
        if (!err.maybe_acted) {
            if (u == UP_NOT_FOUND && !rq->is_group) /* the group vanished upstream */
                return core_forbidden(st, "asset group");
            return core_upstream_failure(op, u, &err, st);
        }
        enum found f = find_created(c, &p, id_out);
        if (f == FOUND) {
            log_info("reconcile: %s %s made upstream although its answer was lost; adopted", op, id_out);
            metrics_upstream("Reconcile", "adopted");
            return CORE_OK;
        }
        if (f == UNKNOWN) {
            *in_doubt = 1;
            defer(c, &p, RECONCILE_UNDO);
            return core_fail(st, CORE_UPSTREAM_ERROR,
                             "The upstream did not confirm the create; nothing will be kept, retry later.");
        }
        /* Certainly not made: sending it again is safe. */
        log_warn("reconcile: %s failed ambiguously (%s) and made nothing upstream; attempt %d/%d", op, err.code,
                 attempt, RECONCILE_CREATE_TRIES);
        metrics_upstream("Reconcile", "not_made");
        if (attempt >= RECONCILE_CREATE_TRIES)
            return core_upstream_failure(op, u, &err, st);
    }
}

/* ---- settling one reservation ---- */

/* 1: the bytes are there; 0: they are not; -1: cannot tell. */
static int bytes_present(struct core *c, const char *key)
{
    struct blob *b = c->blob;
    if (!key[0])
        return 1;
    if (!b)
        return -1;
    if (!b->ops->open_read)
        return 1; /* S3: committed before the upstream was asked, never removed before the row */
    int fd = -1;
    uint64_t size = 0;
    enum blob_result r = b->ops->open_read(b, key, &fd, &size);
    if (r == BLOB_OK) {
        close(fd);
        return 1;
    }
    return r == BLOB_NOT_FOUND ? 0 : -1;
}

static int drop_reservation(struct core *c, const struct store_pending *p)
{
    struct store *s = c->store;
    if (p->blob_key[0] && c->blob && c->blob->ops->remove(c->blob, p->blob_key) != BLOB_OK)
        return -1; /* keep the row: it is what names the bytes */
    enum store_result r = p->is_group ? s->ops->release_group(s, p->handle) : s->ops->release_asset(s, p->handle);
    return r == STORE_OK || r == STORE_NOT_FOUND ? 0 : -1;
}

static int delete_upstream(struct core *c, const struct store_pending *p, const char *id)
{
    struct core_status st = {0};
    if (budget_wait(&c->budget, &c->budget.mutate, &st) != CORE_OK)
        return -1;
    struct up_error err = {0};
    enum up_result r = p->is_group ? c->up->ops->delete_group(c->up, id, &err) : c->up->ops->delete_asset(c->up, id, &err);
    core_count_upstream(c, p->customer_id, p->is_group ? "DeleteAssetGroup" : "DeleteAsset", r);
    return r == UP_OK || r == UP_NOT_FOUND ? 0 : -1;
}

void reconcile_orphan(struct core *c, const struct store_pending *p)
{
    if (!p->is_group && !p->maybe_sent) {
        /* It never got its place in flight: its create was never sent. */
        if (drop_reservation(c, p) == 0) {
            metrics_upstream("Reconcile", "released");
            inflight_kick(c);
            return;
        }
    }
    defer(c, p, RECONCILE_ADOPT);
}

int reconcile_undo_created(struct core *c, const struct reconcile_create *rq, const char *id)
{
    struct store_pending p;
    pending_of(rq, &p);
    if (delete_upstream(c, &p, id) == 0) {
        log_info("reconcile: removed %s %s again: made upstream, but its record could not be confirmed",
                 rq->is_group ? "group" : "asset", id);
        metrics_upstream("Reconcile", "undone");
        return 0;
    }
    log_warn("reconcile: cannot remove %s %s upstream now; the reconciler will", rq->is_group ? "group" : "asset", id);
    defer(c, &p, RECONCILE_UNDO);
    return -1;
}

static int settle_one(struct core *c, const struct store_pending *p, enum reconcile_mode mode,
                      struct core_reconcile_counts *counts);

/* 0: settled; -1: try again later. counts (may be NULL) is updated. A
 * settled reservation frees or fills a place: requests waiting for one on
 * this node look again (inflight_kick). */
static int settle(struct core *c, const struct store_pending *p, enum reconcile_mode mode,
                  struct core_reconcile_counts *counts)
{
    int r = settle_one(c, p, mode, counts);
    if (r == 0)
        inflight_kick(c);
    return r;
}

/* 1 when a live record of p's customer has the upstream id already. */
static int adopted_already(struct core *c, const struct store_pending *p, const char *id)
{
    struct store *s = c->store;
    if (p->is_group) {
        struct group g;
        return s->ops->get_group(s, p->customer_id, id, &g) == STORE_OK;
    }
    struct asset a;
    return s->ops->get_asset(s, p->customer_id, id, &a) == STORE_OK;
}

static int settle_one(struct core *c, const struct store_pending *p, enum reconcile_mode mode,
                      struct core_reconcile_counts *counts)
{
    struct store *s = c->store;
    char id[IDS_MAX] = "";
    if (p->is_group && strcmp(p->type, "LivenessFace") == 0) {
        /* The place of a liveness session whose start was cut short (the
         * store lists it only when no pending session holds it): nothing
         * was created upstream under a tag, the place just goes. */
        if (drop_reservation(c, p) != 0)
            return -1;
        if (counts)
            counts->released++;
        return 0;
    }
    if (!p->is_group && p->group_deleted) {
        /* The group, and with it anything the create made, is gone upstream. */
        if (drop_reservation(c, p) != 0)
            return -1;
        if (counts)
            counts->released++;
        return 0;
    }
    enum found f = find_created(c, p, id);
    if (f == UNKNOWN)
        return -1;
    if (f == FOUND && mode == RECONCILE_ADOPT) {
        int present = bytes_present(c, p->blob_key);
        if (present < 0)
            return -1;
        if (present) {
            int64_t now = clock_wall_ms();
            enum store_result r = p->is_group ? s->ops->confirm_group(s, p->handle, id, now)
                                              : s->ops->confirm_asset(s, p->handle, id, now, refresher_next_poll(now, now));
            if (r == STORE_OK) {
                log_info("reconcile: adopted %s %s, made upstream for a request that did not finish",
                         p->is_group ? "group" : "asset", id);
                metrics_upstream("Reconcile", "adopted");
                if (counts)
                    counts->adopted++;
                if (!p->is_group)
                    poller_kick(c->refresher);
                return 0;
            }
            if (r != STORE_NOT_FOUND && r != STORE_CONFLICT)
                return -1;
            /* Adopted meanwhile by another settling of the same row (a
             * dead node's, which another node took over while this one
             * swept): the record is there, the object is its own. */
            if (adopted_already(c, p, id))
                return 0;
            /* Else settled meanwhile without it, or its group was deleted;
             * either way the object is nobody's: remove it below. */
        }
    }
    if (f == FOUND) {
        if (delete_upstream(c, p, id) != 0)
            return -1;
        log_info("reconcile: removed %s %s, made upstream for a create that was answered as failed or whose bytes are gone",
                 p->is_group ? "group" : "asset", id);
        metrics_upstream("Reconcile", "undone");
        if (counts)
            counts->undone++;
    } else if (counts) {
        counts->released++;
    }
    if (drop_reservation(c, p) != 0)
        return -1;
    return 0;
}

int core_reconcile_pending(struct core *c, int64_t older_than_ms, struct core_reconcile_counts *out)
{
    struct core_reconcile_counts n = {0};
    struct store *s = c->store;
    struct store_pending_list l = {0};
    if (!s->ops->list_pending || s->ops->list_pending(s, older_than_ms, RECONCILE_BATCH, &l) != STORE_OK) {
        if (out)
            *out = n;
        return -1;
    }
    int unreachable = 0;
    for (size_t i = 0; i < l.n; i++) {
        /* Once the upstream cannot be asked, the rest wait for the
         * background reconciler instead of each costing a round of lookups. */
        if (unreachable || settle(c, &l.items[i], RECONCILE_ADOPT, &n) != 0) {
            unreachable = 1;
            n.left++;
            defer(c, &l.items[i], RECONCILE_ADOPT);
        }
    }
    free(l.items);
    if (out)
        *out = n;
    return 0;
}

int core_reconcile_startup(struct core *c, int64_t older_than_ms, int grace_ms, struct core_reconcile_counts *out)
{
    /* The process that left these reservations may have sent a create just
     * before it died, and the upstream may still be acting on it (an
     * upstream does not stop because its client vanished): a lookup now
     * could miss an object that appears a moment later. A reservation old
     * enough that no request can still be working on it is safe at once;
     * younger ones wait until grace_ms after this start, which is after
     * that process's death. Nothing to settle: no wait. */
    struct store *s = c->store;
    struct store_pending_list l = {0};
    int64_t start = clock_mono_ms(), now = clock_wall_ms();
    if (grace_ms > 0 && s->ops->list_pending && s->ops->list_pending(s, older_than_ms, RECONCILE_BATCH, &l) == STORE_OK) {
        int young = 0;
        for (size_t i = 0; i < l.n; i++)
            young |= l.items[i].reserved_ms > now - RECONCILE_MIN_AGE_MS;
        free(l.items);
        if (young) {
            log_info("reconcile: waiting %d ms before settling creates a stopped process may have had in flight",
                     grace_ms);
            clock_sleep_ms(start + grace_ms - clock_mono_ms());
        }
    }
    return core_reconcile_pending(c, older_than_ms, out);
}

/* ---- the background reconciler ---- */

/* Works the queue once; 0 when it is empty afterwards. Stops at the first
 * reservation it cannot settle: the upstream is not answering, and the
 * rest would only spend the shared list budget finding that out again. */
static int work_queue(struct reconciler *rc)
{
    pthread_mutex_lock(&rc->mu);
    size_t n = rc->n;
    struct reconcile_item *items = n ? malloc(n * sizeof *items) : NULL;
    if (items) {
        memcpy(items, rc->queue, n * sizeof *items);
        rc->n = 0;
    }
    pthread_mutex_unlock(&rc->mu);
    if (!items)
        return n ? -1 : 0;
    int failing = 0;
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&rc->mu);
        int stopping = rc->stop;
        pthread_mutex_unlock(&rc->mu);
        if (!stopping && !failing && settle(rc->c, &items[i].p, items[i].mode, NULL) == 0)
            continue;
        failing = 1;
        pthread_mutex_lock(&rc->mu);
        if (rc->n < RECONCILE_QUEUE_MAX)
            rc->queue[rc->n++] = items[i];
        pthread_mutex_unlock(&rc->mu);
    }
    free(items);
    return failing ? -1 : 0;
}

static void *reconciler_main(void *arg)
{
    struct reconciler *rc = arg;
    struct core *c = rc->c;
    int64_t next_sweep = clock_mono_ms() + RECONCILE_SWEEP_MS;
    int64_t backoff_ms = RECONCILE_RETRY_MS;
    pthread_mutex_lock(&rc->mu);
    while (!rc->stop) {
        struct timespec ts = clock_deadline(RECONCILE_RETRY_MS);
        if (rc->n == 0)
            pthread_cond_timedwait(&rc->cv, &rc->mu, &ts);
        if (rc->stop)
            break;
        pthread_mutex_unlock(&rc->mu);
        /* A deferred reservation was just handed over: give the upstream a
         * moment before asking again. */
        clock_sleep_ms(200);
        /* While the upstream keeps failing, ask less and less often. */
        backoff_ms = work_queue(rc) == 0 ? RECONCILE_RETRY_MS
                     : backoff_ms * 2 > RECONCILE_SWEEP_MS ? RECONCILE_SWEEP_MS
                                                           : backoff_ms * 2;
        if (clock_mono_ms() >= next_sweep) {
            next_sweep = clock_mono_ms() + RECONCILE_SWEEP_MS;
            int64_t now = clock_wall_ms();
            /* Never younger than any request can still be working on. */
            int64_t after = c->cfg.reconcile_after_ms > RECONCILE_MIN_AGE_MS ? c->cfg.reconcile_after_ms
                                                                             : RECONCILE_MIN_AGE_MS;
            struct core_reconcile_counts n;
            if (core_reconcile_pending(c, now - after, &n) == 0 && (n.adopted || n.undone || n.released))
                log_info("reconcile: settled old reservations: %d adopted, %d undone, %d released", n.adopted,
                         n.undone, n.released);
            if (c->store->ops->idem_expire)
                c->store->ops->idem_expire(c->store, now - IDEM_TTL_MS, NULL);
        }
        pthread_mutex_lock(&rc->mu);
        if (rc->n && !rc->stop) {
            /* Unsettled items stay: wait out the retry interval (a newly
             * deferred reservation wakes us earlier). */
            ts = clock_deadline(backoff_ms);
            pthread_cond_timedwait(&rc->cv, &rc->mu, &ts);
        }
    }
    pthread_mutex_unlock(&rc->mu);
    return NULL;
}

struct reconciler *reconciler_start(struct core *c)
{
    struct reconciler *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    rc->c = c;
    rc->queue = calloc(RECONCILE_QUEUE_MAX, sizeof *rc->queue);
    pthread_mutex_init(&rc->mu, NULL);
    clock_cond_init(&rc->cv); /* its waits end at clock_deadline times */
    if (!rc->queue || pthread_create(&rc->thread, NULL, reconciler_main, rc) != 0) {
        pthread_mutex_destroy(&rc->mu);
        pthread_cond_destroy(&rc->cv);
        free(rc->queue);
        free(rc);
        return NULL;
    }
    return rc;
}

void reconciler_stop(struct reconciler *rc)
{
    if (!rc)
        return;
    pthread_mutex_lock(&rc->mu);
    rc->stop = 1;
    pthread_cond_broadcast(&rc->cv);
    pthread_mutex_unlock(&rc->mu);
    pthread_join(rc->thread, NULL);
    if (rc->n)
        log_warn("reconcile: %zu reservations still unsettled at shutdown; the next start settles them", rc->n);
    pthread_mutex_destroy(&rc->mu);
    pthread_cond_destroy(&rc->cv);
    free(rc->queue);
    free(rc);
}
