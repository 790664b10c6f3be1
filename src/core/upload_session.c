/* upload_session.c — upload sessions (API.md §4b): large media sent by the
 * client straight to the blob store, judged before anything goes upstream.
 *
 * A session's life (store.h, enum store_upload_state):
 *   CreateUploadSession  OPEN, holding one slot of the group's asset quota
 *   fs PUT               OPEN -> UPLOADING -> UPLOADED (bytes hashed on the way)
 *   S3 PUT               the store itself; the session stays OPEN
 *   CompleteUpload       -> COMPLETING (the slot moves to a pending asset
 *                        row, which the reconciler settles after a crash)
 *                        -> COMPLETED, or back to OPEN/UPLOADED when only
 *                        the upstream failed, or ENDING when judged wrong
 *   AbortUpload, expiry  -> ENDING -> bytes removed -> ENDED
 * Every move is one guarded UPDATE, so a PUT racing an expiry, or a
 * Complete racing an Abort, has exactly one winner; the loser cleans up
 * only what it alone wrote.
 *
 * Judging reads only what it needs of the stored object: its size, the
 * first 64 KiB (type by content, image dimensions), and for video and
 * audio the ranges media_probe_av asks for (ranged GETs on S3). A
 * declared Sha256 is checked against the hash the fs PUT computed while
 * streaming; on S3 by one streamed read of the object at CompleteUpload
 * (see check_sha256 for why not x-amz-checksum-sha256). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blob/blob.h"
#include "core/internal.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/media.h"
#include "util/media_probe.h"

#define MIB (1024u * 1024)
#define SESSION_HEAD_BYTES (64 * 1024)     /* enough for type and image dimensions */
#define SESSION_READ_BLOCK (256 * 1024)    /* the probe's reads are served in blocks of this */
#define SESSION_PUT_BUF (256 * 1024)       /* the fs PUT writes to disk in runs of this */
#define SESSION_SWEEP_BATCH 100
#define SESSION_LEASE_MS (60 * 1000)       /* a node that took an ending session has this long */
/* A PUT that began before its URL expired may still be streaming: the
 * sweep waits this much longer (at most a minute; half a short test TTL). */
#define SESSION_GRACE_MAX_MS (60 * 1000)

/* UPSTREAM.md "Media" (S: video/audio): video mp4/mov 2–15 s and 24–60 fps
 * per one source, up to 200 MB / 30 s / 4K per another. Where the record
 * is unsure we take the lenient reading, as sim_check.c does: MB as MiB,
 * limits inclusive, the wider source. */
#define VIDEO_MIN_MS 2000
#define VIDEO_MAX_MS 30000
#define VIDEO_MAX_SIDE 4096
#define VIDEO_MIN_FPS 24.0
#define VIDEO_MAX_FPS 60.0
#define FPS_SLACK 0.05 /* 23.976 fps (NTSC film) is sold as 24 */

enum kind { KIND_IMAGE, KIND_VIDEO, KIND_AUDIO };

struct kind_rule {
    const char *asset_type;
    uint64_t max_bytes;
    const char *formats;            /* in messages */
    const char *const *content_types; /* accepted at create, NULL-terminated */
};

static const char *const image_types[] = {"image/jpeg", "image/png", "image/webp", NULL};
static const char *const video_types[] = {"video/mp4", "video/quicktime", NULL};
static const char *const audio_types[] = {"audio/mpeg", "audio/mp3", "audio/wav", "audio/x-wav", "audio/wave",
                                          "audio/vnd.wave", NULL};

static const struct kind_rule kinds[] = {
    /* images as the upload endpoint judges them (API.md §3), up to the
     * upstream's size (UPSTREAM.md "Media": < 30 MB, C) */
    [KIND_IMAGE] = {"Image", CORE_SESSION_IMAGE_MAX_BYTES, "JPEG, PNG or WebP", image_types},
    [KIND_VIDEO] = {"Video", CORE_SESSION_VIDEO_MAX_BYTES, "MP4 or MOV", video_types},
    [KIND_AUDIO] = {"Audio", CORE_SESSION_AUDIO_MAX_BYTES, "MP3 or WAV", audio_types},
};

static int kind_of(const char *asset_type, enum kind *out)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (asset_type && strcmp(kinds[i].asset_type, asset_type) == 0) {
            *out = (enum kind)i;
            return 0;
        }
    return -1;
}

static int content_type_ok(enum kind k, const char *ct)
{
    for (const char *const *t = kinds[k].content_types; *t; t++)
        if (strcasecmp(*t, ct) == 0)
            return 1;
    return 0;
}

/* The object key's extension: what the media route serves it as. */
static const char *extension_of(const char *ct)
{
    static const struct {
        const char *ct, *ext;
    } map[] = {{"image/jpeg", "jpg"}, {"image/png", "png"},       {"image/webp", "webp"}, {"video/mp4", "mp4"},
               {"video/quicktime", "mov"}, {"audio/mpeg", "mp3"}, {"audio/mp3", "mp3"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(map[i].ct, ct) == 0)
            return map[i].ext;
    return strncasecmp(ct, "audio/", 6) == 0 ? "wav" : "bin";
}

static int64_t ttl_ms(const struct core *c)
{
    int s = c->cfg.upload_session_ttl_s > 0 ? c->cfg.upload_session_ttl_s : 3600;
    return (int64_t)s * 1000;
}

static int64_t grace_ms(const struct core *c)
{
    int64_t g = ttl_ms(c) / 2;
    return g < SESSION_GRACE_MAX_MS ? g : SESSION_GRACE_MAX_MS;
}

static enum core_code no_blob(struct core_status *st)
{
    log_error("upload session: no blob store configured");
    return core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
}

static enum core_code blob_failed(const char *what, enum blob_result r, struct core_status *st)
{
    log_error("upload session: %s failed: %s", what, blob_result_str(r));
    if (r == BLOB_UNAVAILABLE)
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
    return core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
}

/* ---- create ---- */

static int hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (crypto_hex_digit((unsigned char)s[i]) < 0)
            return 0;
    return 1;
}

static enum core_code ticket_of(struct core *c, const struct upload_session *u, struct core_upload_ticket *out,
                                struct core_status *st)
{
    snprintf(out->upload_id, sizeof out->upload_id, "%s", u->id);
    out->expire_ms = u->expire_ms;
    int64_t expires = u->expire_ms / 1000;
    if (expires <= clock_wall_ms() / 1000)
        expires = clock_wall_ms() / 1000 + 1; /* an expired session's URL is refused anyway */
    enum blob_result r =
        c->blob->ops->presign_put(c->blob, u->blob_key, u->content_length, u->content_type, expires, out->put);
    if (r != BLOB_OK)
        return blob_failed("presign_put", r, st);
    return CORE_OK;
}

enum core_code core_create_upload_session(struct core *c, const struct customer *cu,
                                          const struct core_upload_request *rq, struct core_upload_ticket *out,
                                          struct core_status *st)
{
    enum kind k;
    if (rules_id("GroupId", rq->group_id, st) || rules_asset_type(rq->asset_type, st) ||
        rules_name("Name", rq->name, 0, st))
        return st->code;
    if (kind_of(rq->asset_type, &k) != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "AssetType must be Image, Video or Audio.");
    if (!rq->content_type || !*rq->content_type)
        return core_fail(st, CORE_INVALID_PARAMETER, "ContentType is required (e.g. video/mp4).");
    if (!content_type_ok(k, rq->content_type))
        return core_fail(st, CORE_UNSUPPORTED_MEDIA_TYPE,
                         "ContentType %.64s is not accepted for %s assets; upload %s.", rq->content_type,
                         kinds[k].asset_type, kinds[k].formats);
    if (rq->content_length < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "ContentLength is required: the file's size in bytes.");
    if (rq->content_length == 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "ContentLength must be at least 1 byte.");
    if ((uint64_t)rq->content_length > kinds[k].max_bytes)
        return core_fail(st, CORE_PAYLOAD_TOO_LARGE,
                         "ContentLength is %lld bytes; a%s %s may be at most %u MiB (%llu bytes).",
                         (long long)rq->content_length, k == KIND_IMAGE || k == KIND_AUDIO ? "n" : "",
                         kinds[k].asset_type, (unsigned)(kinds[k].max_bytes / MIB),
                         (unsigned long long)kinds[k].max_bytes);
    if (rq->sha256 && !hex64(rq->sha256))
        return core_fail(st, CORE_INVALID_PARAMETER, "Sha256 must be the file's SHA-256 as 64 hex digits.");
    if (!c->blob)
        return no_blob(st);

    struct upload_session u = {0};
    int64_t now = clock_wall_ms();
    u.customer_id = cu->id;
    snprintf(u.group_id, sizeof u.group_id, "%s", rq->group_id);
    snprintf(u.asset_type, sizeof u.asset_type, "%s", kinds[k].asset_type);
    snprintf(u.name, sizeof u.name, "%s", rq->name ? rq->name : "");
    /* The type as we will sign it: lower case, as the client must send it. */
    for (size_t i = 0; rq->content_type[i] && i + 1 < sizeof u.content_type; i++)
        u.content_type[i] = (char)((rq->content_type[i] >= 'A' && rq->content_type[i] <= 'Z')
                                       ? rq->content_type[i] + 32
                                       : rq->content_type[i]);
    u.content_length = (uint64_t)rq->content_length;
    for (int i = 0; rq->sha256 && i < 64; i++)
        u.sha256[i] = (char)((rq->sha256[i] >= 'A' && rq->sha256[i] <= 'F') ? rq->sha256[i] + 32 : rq->sha256[i]);
    u.expire_ms = now + ttl_ms(c);
    blob_new_key(extension_of(u.content_type), u.blob_key);

    enum store_result r = STORE_CONFLICT;
    int64_t deadline = budget_deadline(&c->budget);
    for (int attempt = 0; attempt < 3 && (r == STORE_CONFLICT || r == STORE_QUOTA_PENDING);) {
        /* A group full only of creates in flight is not full yet: wait for
         * them to settle (inflight.c), then answer for good. */
        uint64_t seen = inflight_kicks(c);
        ids_resource("upload", now, u.id);
        r = c->store->ops->create_upload(c->store, &u, CORE_MAX_ASSETS, now);
        if (r == STORE_CONFLICT)
            attempt++;
        else if (r == STORE_QUOTA_PENDING && inflight_wait_settle(c, seen, deadline) != 0)
            return core_quota_busy(st);
    }
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset group");
    if (r == STORE_QUOTA)
        return core_fail(st, CORE_QUOTA_EXCEEDED,
                         "The group already has %d assets and upload sessions; delete one or use another group.",
                         CORE_MAX_ASSETS);
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return ticket_of(c, &u, out, st);
}

enum core_code core_upload_session_ticket(struct core *c, const struct customer *cu, const char *upload_id,
                                          struct core_upload_ticket *out, struct core_status *st)
{
    struct upload_session u;
    enum store_result r = c->store->ops->get_upload(c->store, cu->id, upload_id, &u);
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "upload session");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    if (!c->blob)
        return no_blob(st);
    return ticket_of(c, &u, out, st);
}

/* ---- ending a session: its bytes go, then the row says so ---- */

static void end_session(struct core *c, const struct upload_session *u)
{
    enum blob_result br = c->blob ? c->blob->ops->remove(c->blob, u->blob_key) : BLOB_OK;
    if (br != BLOB_OK) {
        /* Stays ENDING: the sweep takes it again when the lease lapses. */
        log_error("upload session %s: cannot remove %s: %s", u->id, u->blob_key, blob_result_str(br));
        return;
    }
    c->store->ops->upload_set_state(c->store, u->id, STORE_UPLOAD_MASK(STORE_UPLOAD_ENDING), STORE_UPLOAD_ENDED,
                                    clock_wall_ms(), NULL);
}

/* Looks up the caller's session: Forbidden for another customer's or an
 * unknown id (the same answer, byte for byte). */
static enum core_code own_session(struct core *c, const struct customer *cu, const char *id,
                                  struct upload_session *u, struct core_status *st)
{
    if (rules_id("UploadId", id, st))
        return st->code;
    enum store_result r = c->store->ops->get_upload(c->store, cu->id, id, u);
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "upload session");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    return CORE_OK;
}

static enum core_code ended(const struct upload_session *u, int64_t now, struct core_status *st)
{
    if (u->state == STORE_UPLOAD_ENDING || u->state == STORE_UPLOAD_ENDED || u->expire_ms <= now)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "The upload session has ended (aborted, expired or refused); create a new one.");
    return CORE_OK;
}

enum core_code core_abort_upload(struct core *c, const struct customer *cu, const char *upload_id,
                                 struct core_status *st)
{
    struct upload_session u;
    if (own_session(c, cu, upload_id, &u, st))
        return st->code;
    if (u.state == STORE_UPLOAD_COMPLETED || u.state == STORE_UPLOAD_COMPLETING)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "The upload was completed and is an asset now; delete the asset instead.");
    if (u.state == STORE_UPLOAD_ENDING || u.state == STORE_UPLOAD_ENDED)
        return CORE_OK; /* already over: aborting again changes nothing */
    struct upload_change ch = {.lease_ms = clock_wall_ms() + SESSION_LEASE_MS};
    enum store_result r =
        c->store->ops->upload_set_state(c->store, u.id, STORE_UPLOAD_HOLDING, STORE_UPLOAD_ENDING, clock_wall_ms(), &ch);
    if (r == STORE_NOT_FOUND) /* moved meanwhile (completed, expired): say what it is now */
        return core_abort_upload(c, cu, upload_id, st);
    if (r != STORE_OK)
        return core_store_failure(r, st);
    end_session(c, &u);
    return CORE_OK;
}

/* Expiry, on every node: a user of the lease-and-poll engine (poller.h).
 * The store's lease hands each expired (or abandoned ENDING) session to
 * exactly one node, which removes its bytes and ends it. */
static int expiry_lease(void *ctx, int64_t now_ms, int64_t lease_ms, size_t limit, void **items, size_t *n)
{
    struct core *c = ctx;
    struct store *s = c->store;
    *items = NULL;
    *n = 0;
    if (!s->ops->lease_expired_uploads)
        return 0;
    struct upload_session_list l = {0};
    enum store_result r = s->ops->lease_expired_uploads(s, now_ms, now_ms - grace_ms(c), lease_ms, limit, &l);
    return core_leased(r, l.items, l.n, items, n);
}

static void expiry_poll_one(struct poller *p, void *ctx, void *item)
{
    const struct upload_session *u = item;
    log_info("upload session %s ended (expired or aborted); removing its bytes", u->id);
    end_session(ctx, u);
}

struct poller *upload_expiry_start(struct core *c)
{
    /* A quarter of the session lifetime, between half a second and ten:
     * a session's slot comes back soon after its URL stopped working. */
    int64_t every = (int64_t)(c->cfg.upload_session_ttl_s > 0 ? c->cfg.upload_session_ttl_s : 3600) * 250;
    struct poller_config cfg = {
        .name = "upload session expiry",
        .ctx = c,
        .workers = 1,
        .batch = SESSION_SWEEP_BATCH,
        .lease_ms = SESSION_LEASE_MS,
        .idle_ms = every < 500 ? 500 : every > 10000 ? 10000 : every,
        .item_size = sizeof(struct upload_session),
        .lease = expiry_lease,
        .poll_one = expiry_poll_one,
    };
    return poller_start(&cfg);
}

/* ---- reading the stored object ---- */

struct reader {
    struct blob *b;
    const char *key;
    uint64_t size;
    uint8_t *block; /* SESSION_READ_BLOCK bytes */
    uint64_t block_off;
    size_t block_len;
    int failed;
};

struct fill {
    uint8_t *dst;
    size_t cap, len;
};

static int fill_sink(void *ctx, const void *p, size_t n)
{
    struct fill *f = ctx;
    if (n > f->cap - f->len)
        return -1; /* more than was asked: a store that ignored the Range */
    memcpy(f->dst + f->len, p, n);
    f->len += n;
    return 0;
}

/* Reads exactly n bytes at off (the caller keeps within size): 0 or -1. */
static int read_exact(struct reader *rd, uint64_t off, void *dst, size_t n)
{
    struct fill f = {dst, n, 0};
    enum blob_result r = rd->b->ops->read_range(rd->b, rd->key, off, n, fill_sink, &f);
    if (r != BLOB_OK || f.len != n) {
        rd->failed = 1;
        return -1;
    }
    return 0;
}

static long reader_read_at(void *ctx, uint64_t off, void *buf, size_t n)
{
    struct reader *rd = ctx;
    if (off >= rd->size)
        return 0;
    if (n > rd->size - off)
        n = (size_t)(rd->size - off);
    if (n >= SESSION_READ_BLOCK) /* a large read (a moov box): straight into buf */
        return read_exact(rd, off, buf, n) == 0 ? (long)n : -1;
    size_t done = 0;
    while (done < n) {
        uint64_t at = off + done;
        if (!(rd->block_len && at >= rd->block_off && at < rd->block_off + rd->block_len)) {
            uint64_t start = at - at % SESSION_READ_BLOCK;
            size_t len = rd->size - start < SESSION_READ_BLOCK ? (size_t)(rd->size - start) : SESSION_READ_BLOCK;
            rd->block_len = 0;
            if (read_exact(rd, start, rd->block, len) != 0)
                return -1;
            rd->block_off = start;
            rd->block_len = len;
        }
        size_t in = (size_t)(rd->block_off + rd->block_len - at);
        size_t k = n - done < in ? n - done : in;
        memcpy((uint8_t *)buf + done, rd->block + (at - rd->block_off), k);
        done += k;
    }
    return (long)n;
}

static int hash_sink(void *ctx, const void *p, size_t n)
{
    crypto_sha256_update(ctx, p, n);
    return 0;
}

/* The declared Sha256 against the stored bytes. fs: the PUT hashed them
 * while streaming. S3: one streamed read of the object, hashed as it
 * arrives (never held). We chose that over binding x-amz-checksum-sha256
 * into the presigned PUT because the check then happens here, the same on
 * every S3-compatible store, whether or not it verifies checksums (s3rver
 * does not; R2's support is newer than AWS's): it costs one read of the
 * object, only when the client sent Sha256. */
static enum core_code check_sha256(struct core *c, const struct upload_session *u, struct core_status *st)
{
    if (!u->sha256[0])
        return CORE_OK;
    char got[65] = "";
    if (u->put_sha256[0]) {
        memcpy(got, u->put_sha256, sizeof got);
    } else {
        struct crypto_sha256_stream *h = crypto_sha256_begin();
        if (!h)
            return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
        enum blob_result r = c->blob->ops->read_range(c->blob, u->blob_key, 0, u->content_length, hash_sink, h);
        if (r != BLOB_OK) {
            crypto_sha256_free(h);
            return blob_failed("read for Sha256", r, st);
        }
        crypto_sha256_end(h, got);
    }
    if (strcmp(got, u->sha256) != 0)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "The uploaded bytes' SHA-256 is %s, not the Sha256 the session declared.", got);
    return CORE_OK;
}

static const char *type_word(enum media_type t)
{
    switch (t) {
    case MEDIA_JPEG: return "JPEG";
    case MEDIA_PNG: return "PNG";
    case MEDIA_WEBP: return "WebP";
    case MEDIA_MP4: return "MP4";
    case MEDIA_MOV: return "MOV";
    case MEDIA_MP3: return "MP3";
    case MEDIA_WAV: return "WAV";
    default: return "file";
    }
}

static enum core_code judge_image(struct reader *rd, enum media_type t, const uint8_t *head, size_t n,
                                  struct core_status *st)
{
    if (t != MEDIA_JPEG && t != MEDIA_PNG && t != MEDIA_WEBP)
        return core_fail(st, CORE_UNSUPPORTED_MEDIA_TYPE,
                         "The uploaded file is not a JPEG, PNG or WebP image (judged by its bytes).");
    int w, h;
    int r = media_image_size(head, n, t, &w, &h);
    if (r == MEDIA_SIZE_TRUNCATED && n < rd->size)
        return CORE_OK; /* dimensions past the first 64 KiB: the upstream judges them, as for uploads */
    if (r != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "The image is truncated or corrupt: its dimensions cannot be read.");
    char why[160];
    if (media_check_image_dims(w, h, why, sizeof why) != 0) {
        size_t len = strlen(why);
        return core_fail(st, CORE_INVALID_PARAMETER, "The %s %s%s", type_word(t), why,
                         len && why[len - 1] == '.' ? "" : ".");
    }
    return CORE_OK;
}

static enum core_code judge_av(struct reader *rd, enum kind k, enum media_type t, struct core_status *st)
{
    int video = k == KIND_VIDEO;
    if (video ? (t != MEDIA_MP4 && t != MEDIA_MOV) : (t != MEDIA_MP3 && t != MEDIA_WAV))
        return core_fail(st, CORE_UNSUPPORTED_MEDIA_TYPE, "The uploaded file is not an %s %s (judged by its bytes).",
                         kinds[k].formats, video ? "video" : "audio file");
    struct media_source src = {reader_read_at, rd, rd->size};
    struct media_av_info info;
    memset(&info, 0, sizeof info);
    int r = media_probe_av(&src, &info);
    if (r == MEDIA_PROBE_IO || rd->failed)
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
    if (r == MEDIA_PROBE_UNSUPPORTED)
        return core_fail(st, CORE_UNSUPPORTED_MEDIA_TYPE, "The uploaded file is not an %s %s (judged by its bytes).",
                         kinds[k].formats, video ? "video" : "audio file");
    if (r != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "The %s is truncated or corrupt: its headers cannot be read.",
                         type_word(t));
    if (!video) {
        /* UPSTREAM.md "Media": audio mp3/wav < 15 MB; no duration limit on
         * record, but the file must have one. */
        if (info.duration_ms <= 0)
            return core_fail(st, CORE_INVALID_PARAMETER, "The %s has no readable duration.", type_word(t));
        return CORE_OK;
    }
    /* UPSTREAM.md "Media" (video, S): 2–30 s, up to 4K, 24–60 fps (the
     * record's GetAsset row names InvalidParameter.FpsTooLow). */
    double secs = (double)info.duration_ms / 1000.0;
    if (info.duration_ms < VIDEO_MIN_MS || info.duration_ms > VIDEO_MAX_MS)
        return core_fail(st, CORE_INVALID_PARAMETER, "The video lasts %.1f s; it must last 2 to 30 s.", secs);
    int longest = info.width > info.height ? info.width : info.height;
    if (longest <= 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "The %s has no readable video track.", type_word(t));
    if (longest > VIDEO_MAX_SIDE)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "The video is %dx%d px; its longest side must be at most %d px.", info.width, info.height,
                         VIDEO_MAX_SIDE);
    if (info.fps > 0 && info.fps < VIDEO_MIN_FPS - FPS_SLACK)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "The video has %.2f fps; it must have 24 to 60 fps (the upstream refuses it as FpsTooLow).",
                         info.fps);
    if (info.fps > VIDEO_MAX_FPS + FPS_SLACK)
        return core_fail(st, CORE_INVALID_PARAMETER, "The video has %.2f fps; it must have 24 to 60 fps.", info.fps);
    return CORE_OK;
}

/* Judges the stored object of u: its size, its type by content, and the
 * limits of its kind. CORE_OK or the refusal in st. */
static enum core_code judge(struct core *c, const struct upload_session *u, struct core_status *st)
{
    enum kind k;
    if (kind_of(u->asset_type, &k) != 0)
        return core_fail(st, CORE_INTERNAL_ERROR, "An internal error occurred; report the RequestId.");
    uint64_t size = 0;
    enum blob_result br = c->blob->ops->size(c->blob, u->blob_key, &size);
    if (br == BLOB_NOT_FOUND)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "Nothing was uploaded to UploadURL; PUT the file there first, then call CompleteUpload.");
    if (br != BLOB_OK)
        return blob_failed("size", br, st);
    if (size != u->content_length)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "The uploaded file is %llu bytes; the session declared ContentLength %llu.",
                         (unsigned long long)size, (unsigned long long)u->content_length);
    struct reader rd = {.b = c->blob, .key = u->blob_key, .size = size};
    rd.block = malloc(SESSION_READ_BLOCK);
    if (!rd.block)
        return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
    size_t n = size < SESSION_HEAD_BYTES ? (size_t)size : SESSION_HEAD_BYTES;
    enum core_code rc = CORE_OK;
    uint8_t *head = malloc(n ? n : 1);
    if (!head) {
        free(rd.block);
        return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
    }
    if (reader_read_at(&rd, 0, head, n) != (long)n) {
        rc = core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
        goto done;
    }
    enum media_type t = media_sniff(head, n);
    if (k == KIND_IMAGE)
        rc = judge_image(&rd, t, head, n, st);
    else
        rc = judge_av(&rd, k, t, st);
    if (rc == CORE_OK)
        rc = check_sha256(c, u, st);
done:
    free(head);
    free(rd.block);
    return rc;
}

/* ---- complete ---- */

static enum core_code completed_asset(struct core *c, const struct customer *cu, const struct upload_session *u,
                                      struct asset *out, struct core_status *st)
{
    if (core_get_asset(c, cu, u->asset_id, out, st))
        return st->code;
    core_asset_media_url(c, out);
    return CORE_OK;
}

/* CompleteUpload on the create pipeline (create.c): its reservation moves
 * the session's slot to a pending asset row, its blob step judges the
 * stored bytes, and its undo says where the session goes. */
struct completion {
    struct upload_session u;
    int back; /* where a retryable failure leaves the session */
    int moved; /* upload_begin_complete: the session moved meanwhile */
    int same; /* upload_begin_complete: the group has these bytes already (nothing reserved) */
};

static enum core_code completion_reserve(struct core *c, struct core_create *cr, struct core_status *st)
{
    struct completion *cp = cr->ctx;
    enum store_result r = c->store->ops->upload_begin_complete(
        c->store, cr->cu->id, cp->u.id, STORE_UPLOAD_MASK(STORE_UPLOAD_OPEN) | STORE_UPLOAD_MASK(STORE_UPLOAD_UPLOADED),
        cr->record_url, cr->tag, cr->sha256, cr->who, cr->reserved_ms, &cr->handle, &cp->same, &cr->slot);
    if (r == STORE_OK)
        return CORE_OK;
    if (r == STORE_CONFLICT && cp->same)
        return core_fail(st, CORE_CONFLICT, "The same bytes are being registered in this group; retry shortly.");
    if (r == STORE_CONFLICT) { /* moved meanwhile: the caller answers for what it is now */
        cp->moved = 1;
        return core_fail(st, CORE_INTERNAL_ERROR, "The upload session moved; retry.");
    }
    if (r == STORE_NOT_FOUND)
        return core_forbidden(st, "asset group");
    return core_store_failure(r, st);
}

static enum core_code completion_judge(struct core *c, struct core_create *cr, struct core_status *st)
{
    struct completion *cp = cr->ctx;
    enum core_code rc = judge(c, &cp->u, st);
    if (rc != CORE_OK && rc != CORE_SERVICE_UNAVAILABLE && rc != CORE_INTERNAL_ERROR)
        log_info("upload session %s refused: %s", cp->u.id, st->message);
    return rc;
}

static void completion_release(struct core *c, struct core_create *cr, enum create_undo how)
{
    struct completion *cp = cr->ctx;
    struct store *s = c->store;
    switch (how) {
    case CREATE_UNDO_RETRYABLE: /* not the file's fault: the client may complete again */
        s->ops->upload_cancel_complete(s, cp->u.id, cr->handle, cp->back, clock_wall_ms());
        break;
    case CREATE_UNDO_REFUSED: /* the bytes go and the slot is released */
        s->ops->upload_cancel_complete(s, cp->u.id, cr->handle, STORE_UPLOAD_ENDING, clock_wall_ms());
        end_session(c, &cp->u);
        break;
    case CREATE_UNDO_RECONCILER: /* the reconciler owns the pending row and the bytes now */
        s->ops->upload_set_state(s, cp->u.id, STORE_UPLOAD_MASK(STORE_UPLOAD_COMPLETING), STORE_UPLOAD_ENDED,
                                 clock_wall_ms(), NULL);
        break;
    }
}

static void completion_confirmed(struct core *c, struct core_create *cr, const char *id, int64_t now_ms)
{
    struct completion *cp = cr->ctx;
    struct upload_change ch = {.asset_id = id};
    c->store->ops->upload_set_state(c->store, cp->u.id, STORE_UPLOAD_MASK(STORE_UPLOAD_COMPLETING),
                                    STORE_UPLOAD_COMPLETED, now_ms, &ch);
}

static const struct core_create_ops completion_ops = {
    .reserve = completion_reserve,
    .blob = completion_judge,
    .commits_bytes = 0, /* the client's PUT stored them; the session's end removes them */
    .release = completion_release,
    .confirmed = completion_confirmed,
};

/* Content hash: the group has a live asset with the session's bytes
 * (existing). Once the stored bytes pass the judge (which also verifies a
 * declared Sha256), the session ends as completed with that asset: its
 * slot is released and its bytes go, as an aborted session's. */
static enum core_code complete_as_same(struct core *c, const struct customer *cu, const struct actor *who,
                                       struct completion *cp, struct asset *existing, struct asset *out,
                                       struct core_status *st)
{
    struct upload_session *u = &cp->u;
    struct store *s = c->store;
    int from = STORE_UPLOAD_MASK(STORE_UPLOAD_OPEN) | STORE_UPLOAD_MASK(STORE_UPLOAD_UPLOADED);
    int64_t now = clock_wall_ms();
    enum core_code rc = judge(c, u, st);
    if (rc == CORE_SERVICE_UNAVAILABLE || rc == CORE_INTERNAL_ERROR)
        return rc; /* not the file's fault: the client may complete again */
    /* ENDING holds no slot; asset_id says the session's answer is the
     * existing asset even if the sweep ends it (the bytes could not go). */
    struct upload_change ch = {.live_at_ms = now, .lease_ms = now + SESSION_LEASE_MS,
                               .asset_id = rc == CORE_OK ? existing->id : NULL};
    enum store_result r = s->ops->upload_set_state(s, u->id, from, STORE_UPLOAD_ENDING, now, &ch);
    if (r == STORE_NOT_FOUND) /* moved meanwhile: answer for what it is now */
        return core_complete_upload(c, cu, who, u->id, out, st);
    if (r != STORE_OK)
        return core_store_failure(r, st);
    if (rc != CORE_OK) { /* refused: as a refused completion */
        log_info("upload session %s refused: %s", u->id, st->message);
        end_session(c, u);
        return rc;
    }
    enum blob_result br = c->blob->ops->remove(c->blob, u->blob_key);
    if (br == BLOB_OK)
        s->ops->upload_set_state(s, u->id, STORE_UPLOAD_MASK(STORE_UPLOAD_ENDING), STORE_UPLOAD_COMPLETED,
                                 clock_wall_ms(), NULL);
    else /* stays ENDING: the sweep removes them when the lease lapses */
        log_error("upload session %s: cannot remove %s: %s", u->id, u->blob_key, blob_result_str(br));
    log_info("upload session %s: the same bytes as asset %s of group %s", u->id, existing->id, u->group_id);
    *out = *existing;
    core_asset_media_url(c, out);
    return CORE_OK;
}

enum core_code core_complete_upload(struct core *c, const struct customer *cu, const struct actor *who,
                                    const char *upload_id, struct asset *out, struct core_status *st)
{
    struct completion cp = {0};
    struct upload_session *u = &cp.u;
    if (own_session(c, cu, upload_id, u, st))
        return st->code;
    if (!c->blob)
        return no_blob(st);
    int64_t now = clock_wall_ms();
    /* A repeat after a lost answer gets the asset again. */
    if (u->state == STORE_UPLOAD_COMPLETED)
        return completed_asset(c, cu, u, out, st);
    /* One that ended as the same bytes as an existing asset (its bytes
     * being removed, or gone) answers that asset too. */
    if ((u->state == STORE_UPLOAD_ENDING || u->state == STORE_UPLOAD_ENDED) && u->asset_id[0])
        return completed_asset(c, cu, u, out, st);
    if (ended(u, now, st))
        return st->code;
    if (u->state == STORE_UPLOAD_COMPLETING) {
        st->retry_after_s = 2;
        return core_fail(st, CORE_TOO_MANY_REQUESTS, "The upload is being completed; retry after the Retry-After time.");
    }
    if (u->state == STORE_UPLOAD_UPLOADING)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "The file is still being uploaded to UploadURL; call CompleteUpload when the PUT has answered.");
    int fs_put = c->blob->ops->open_read != NULL; /* fs: Portico saw the PUT */
    if (fs_put && u->state == STORE_UPLOAD_OPEN)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "Nothing was uploaded to UploadURL; PUT the file there first, then call CompleteUpload.");
    cp.back = u->state;
    /* The bytes' SHA-256 when it is known: fs hashed the PUT; with S3 the
     * declared Sha256, which the judge verifies before any asset is
     * created or given for it. None (S3 without Sha256): no content hash. */
    const char *sha256 = u->put_sha256[0] ? u->put_sha256 : u->sha256;

    char *url = malloc(BLOB_URL_MAX);
    if (!url)
        return core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
    enum blob_result br = c->blob->ops->url(c->blob, u->blob_key, now / 1000 + CORE_UPSTREAM_URL_TTL_S, url);
    if (br != BLOB_OK) {
        free(url);
        return blob_failed("url", br, st);
    }
    /* As core_upload_asset: the upstream is asked to fetch the stored
     * bytes; a lost answer is found again by the reservation's tag. */
    struct core_create cr = {.cu = cu, .who = who, .group_id = u->group_id, .asset_type = u->asset_type,
                             .name = u->name[0] ? u->name : NULL, .url = url,
                             .record_url = strlen(url) < STORE_URL_MAX ? url : "", .blob_key = u->blob_key,
                             .sha256 = sha256, .ops = &completion_ops, .ctx = &cp};
    char id[IDS_MAX];
    /* Content hash (as core_upload_asset): the same bytes in the same
     * group are the same asset. While another create holds them pending,
     * wait for its asset; if it fails, its reservation goes and this one
     * tries again. */
    int64_t give_up = clock_mono_ms() + SAME_BYTES_WAIT_MS;
    enum core_code rc;
    for (;;) {
        cp.same = 0;
        rc = core_create_pipeline(c, &cr, id, st);
        if (rc == CORE_OK || !cp.same)
            break;
        struct asset existing;
        if (c->store->ops->find_asset_by_sha256(c->store, cu->id, u->group_id, sha256, &existing) == STORE_OK) {
            free(url);
            return complete_as_same(c, cu, who, &cp, &existing, out, st);
        }
        if (clock_mono_ms() > give_up) {
            rc = core_fail(st, CORE_SERVICE_UNAVAILABLE,
                           "The same bytes are still being registered in this group by another request; retry "
                           "shortly.");
            break;
        }
        clock_sleep_ms(SAME_BYTES_SLICE_MS);
    }
    free(url);
    if (rc != CORE_OK) {
        if (cp.moved) /* moved meanwhile: answer for what it is now */
            return core_complete_upload(c, cu, who, upload_id, out, st);
        return rc;
    }
    core_created_asset(c, &cr, id, out);
    return CORE_OK;
}

/* ---- the fs PUT ---- */

struct core_upload_put {
    struct core *c;
    struct upload_session u;
    struct blob_stage *stage;
    struct crypto_sha256_stream *sha;
    uint64_t got;
    char *wbuf; /* SESSION_PUT_BUF */
    size_t wlen;
    int failed;
};

enum core_code core_upload_put_open(struct core *c, const char *key, const char *expires, const char *length,
                                    const char *signature, const char *content_type, uint64_t content_length,
                                    struct core_upload_put **out, struct core_status *st)
{
    *out = NULL;
    struct blob *b = c->blob;
    int64_t now = clock_wall_ms();
    if (!b || !b->ops->open_read || !content_type ||
        !blob_verify_put_url(b, key, expires, length, content_type, signature, now / 1000))
        return core_fail(st, CORE_FORBIDDEN,
                         "The upload URL is invalid or has expired, or the request's Content-Type is not the one "
                         "it was signed for.");
    char want[24];
    snprintf(want, sizeof want, "%llu", (unsigned long long)content_length);
    if (content_length == UINT64_MAX || strcmp(want, length) != 0)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "The request's Content-Length must be exactly the ContentLength the session declared (%s).",
                         length);
    struct upload_session u;
    enum store_result r = c->store->ops->get_upload_by_key(c->store, key, &u);
    if (r == STORE_NOT_FOUND)
        return core_fail(st, CORE_FORBIDDEN, "The upload URL is invalid or has expired.");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    struct upload_change ch = {.live_at_ms = now};
    r = c->store->ops->upload_set_state(c->store, u.id, STORE_UPLOAD_MASK(STORE_UPLOAD_OPEN), STORE_UPLOAD_UPLOADING,
                                        now, &ch);
    if (r == STORE_NOT_FOUND)
        return core_fail(st, CORE_NOT_FOUND,
                         "This upload URL was already used, or its session ended; create a new upload session.");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    struct core_upload_put *p = calloc(1, sizeof *p);
    if (p) {
        p->c = c;
        p->u = u;
        p->stage = blob_stage_new(b, u.content_length);
        p->sha = crypto_sha256_begin();
        p->wbuf = malloc(SESSION_PUT_BUF);
    }
    if (!p || !p->stage || !p->sha || !p->wbuf) {
        core_upload_put_abort(p);
        if (!p) /* core_upload_put_abort reopened it otherwise */
            c->store->ops->upload_set_state(c->store, u.id, STORE_UPLOAD_MASK(STORE_UPLOAD_UPLOADING),
                                            STORE_UPLOAD_OPEN, now, NULL);
        return core_fail(st, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
    }
    *out = p;
    return CORE_OK;
}

static void put_flush(struct core_upload_put *p)
{
    if (p->wlen && !p->failed && blob_stage_write(p->stage, p->wbuf, p->wlen) != BLOB_OK)
        p->failed = 1;
    p->wlen = 0;
}

int core_upload_put_write(struct core_upload_put *p, const void *data, size_t n)
{
    if (p->failed)
        return -1;
    if (n > p->u.content_length - p->got) {
        p->failed = 1;
        return -1;
    }
    p->got += n;
    crypto_sha256_update(p->sha, data, n);
    const char *d = data;
    while (n)
        if (buf_window_fill(p->wbuf, SESSION_PUT_BUF, &p->wlen, &d, &n))
            put_flush(p);
    return p->failed ? -1 : 0;
}

static void put_free(struct core_upload_put *p)
{
    if (p->stage)
        blob_stage_discard(p->stage);
    crypto_sha256_free(p->sha);
    free(p->wbuf);
    free(p);
}

void core_upload_put_abort(struct core_upload_put *p)
{
    if (!p)
        return;
    /* A broken PUT may be sent again while the session lives. */
    p->c->store->ops->upload_set_state(p->c->store, p->u.id, STORE_UPLOAD_MASK(STORE_UPLOAD_UPLOADING),
                                       STORE_UPLOAD_OPEN, clock_wall_ms(), NULL);
    put_free(p);
}

enum core_code core_upload_put_finish(struct core_upload_put *p, struct core_status *st)
{
    struct core *c = p->c;
    put_flush(p);
    if (p->failed || p->got != p->u.content_length) {
        int overflow = p->got > p->u.content_length;
        core_upload_put_abort(p);
        if (overflow)
            return core_fail(st, CORE_PAYLOAD_TOO_LARGE, "The body is longer than the session's ContentLength.");
        return core_fail(st, p->failed ? CORE_SERVICE_UNAVAILABLE : CORE_INVALID_PARAMETER,
                         "The body did not have exactly the session's ContentLength bytes.");
    }
    char sha[65];
    crypto_sha256_end(p->sha, sha);
    p->sha = NULL;
    struct blob_stage *stage = p->stage;
    p->stage = NULL;
    enum blob_result br = c->blob->ops->commit(c->blob, stage, p->u.blob_key, p->u.content_type);
    if (br != BLOB_OK) {
        c->blob->ops->remove(c->blob, p->u.blob_key);
        core_upload_put_abort(p);
        return blob_failed("commit", br, st);
    }
    struct upload_change ch = {.put_sha256 = sha};
    enum store_result r = c->store->ops->upload_set_state(c->store, p->u.id, STORE_UPLOAD_MASK(STORE_UPLOAD_UPLOADING),
                                                          STORE_UPLOAD_UPLOADED, clock_wall_ms(), &ch);
    if (r != STORE_OK) {
        /* The session ended while the bytes streamed in (expired, aborted):
         * its bytes are ours alone to remove. */
        c->blob->ops->remove(c->blob, p->u.blob_key);
        put_free(p);
        if (r == STORE_NOT_FOUND)
            return core_fail(st, CORE_NOT_FOUND, "The upload session ended while the file was being uploaded.");
        return core_store_failure(r, st);
    }
    put_free(p);
    return CORE_OK;
}
