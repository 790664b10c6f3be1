/* upload.c — POST /v1/portrait/upload (API.md §3), a streamed request.
 *
 * The body is never held in memory: the multipart parser (multipart.c)
 * hands the file part's bytes straight to a blob staging file, the small
 * fields (GroupId, Name) to bounded buffers. The answer is decided as early
 * as the bytes allow — a bad key or a declared length over the limit from
 * the headers alone, a non-image from the file's first bytes, wrong
 * dimensions once the image header is in, the size limit the moment it is
 * crossed — and a decided upload discards its staging file at once, so a
 * rejected upload leaves nothing on disk. Only a complete, acceptable body
 * reaches core_upload_asset, which may block on the upstream (the front
 * runs finish on a worker thread). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "api/multipart.h"
#include "util/crypto.h"
#include "util/media.h"

#define UPLOAD_FIELD_MAX 1024
/* Room for the multipart framing and the small fields around the file:
 * MULTIPART_PARTS_MAX parts of bounded headers and fields fit well within. */
#define UPLOAD_BODY_SLACK (256u * 1024)
#define UPLOAD_BODY_MAX ((uint64_t)CORE_UPLOAD_MAX_BYTES + UPLOAD_BODY_SLACK)
/* Enough of a file to tell JPEG, PNG and WebP from anything else. */
#define UPLOAD_SNIFF_BYTES 12
/* Once the head is judged, file bytes reach the staging file in writes of
 * this size rather than in the front's small chunks. */
#define UPLOAD_WRITE_BUF (64 * 1024)

enum upload_part { PART_NONE, PART_FILE, PART_GROUP_ID, PART_NAME, PART_OTHER, PART_CLIENT_TOKEN };

struct field {
    char value[UPLOAD_FIELD_MAX + 1];
    size_t len;
    int seen;
};

struct upload {
    struct api_stream base; /* first: the front sees a struct api_stream */
    struct api *api;
    char request_id[64];
    struct customer cu;
    struct actor who; /* the caller's key and address (audit) */
    /* the answer, once decided (an error) */
    int decided;
    struct core_status st;
    /* the body */
    uint64_t received;
    struct multipart mp;
    enum upload_part part;
    struct field group_id, name;
    struct field client_token; /* idempotency */
    int file_seen;
    struct blob_stage *stage;
    enum media_type type; /* MEDIA_UNKNOWN until sniffed */
    int dims_judged;
    uint64_t file_bytes; /* received, buffered or staged */
    char *wbuf;          /* UPLOAD_WRITE_BUF bytes, once the head is judged */
    size_t wlen;
    struct crypto_sha256_stream *sha; /* content hash: every file byte, as it arrives */
};

static void decide_core(struct upload *u, const struct core_status *st)
{
    if (u->decided)
        return;
    u->decided = 1;
    u->st = *st;
    /* Nothing of a rejected upload stays on disk, even while the front
     * drains the rest of the body. */
    if (u->stage) {
        core_upload_stage_discard(u->stage);
        u->stage = NULL;
    }
}

static void decide(struct upload *u, enum core_code code, const char *msg)
{
    struct core_status st;
    core_fail(&st, code, "%s", msg ? msg : "");
    decide_core(u, &st);
}

/* ---- judging the file by its bytes ---- */

static int accepted(enum media_type t)
{
    return t == MEDIA_JPEG || t == MEDIA_PNG || t == MEDIA_WEBP;
}

static const char *extension(enum media_type t)
{
    return t == MEDIA_JPEG ? "jpg" : t == MEDIA_PNG ? "png" : "webp";
}

/* Called after each run of file bytes (final: the file part ended). */
static void judge_head(struct upload *u, int final)
{
    size_t n = 0;
    const uint8_t *head = core_upload_stage_head(u->stage, &n);
    if (u->type == MEDIA_UNKNOWN) {
        if (n < UPLOAD_SNIFF_BYTES && !final)
            return;
        enum media_type t = media_sniff(head, n);
        if (!accepted(t)) {
            decide(u, CORE_UNSUPPORTED_MEDIA_TYPE, "The file is not a JPEG, PNG or WebP image (judged by its bytes).");
            return;
        }
        u->type = t;
    }
    if (u->dims_judged)
        return;
    int w, h;
    if (media_image_size(head, n, u->type, &w, &h) == 0) {
        u->dims_judged = 1;
        char why[160];
        if (media_check_image_dims(w, h, why, sizeof why) != 0) {
            char msg[200];
            const char *kind = u->type == MEDIA_JPEG ? "JPEG" : u->type == MEDIA_PNG ? "PNG" : "WebP";
            snprintf(msg, sizeof msg, "The %s %s", kind, why);
            size_t len = strlen(msg);
            if (len && msg[len - 1] != '.' && len + 1 < sizeof msg)
                memcpy(msg + len, ".", 2);
            decide(u, CORE_INVALID_PARAMETER, msg);
        }
        return;
    }
    if (!final && n < CORE_UPLOAD_HEAD_MAX)
        return; /* the dimensions may be in the next bytes */
    if (final && n == core_upload_stage_size(u->stage)) {
        /* The whole file was read and has no readable size. */
        decide(u, CORE_INVALID_PARAMETER, "The image is truncated or corrupt: its dimensions cannot be read.");
        return;
    }
    /* Dimensions beyond the first 64 KiB (a JPEG with large metadata):
     * the upstream judges them. */
    u->dims_judged = 1;
}

/* ---- multipart callbacks ---- */

static int begin_field(struct upload *u, struct field *f, enum upload_part p, const char *name)
{
    if (f->seen) {
        char msg[96];
        snprintf(msg, sizeof msg, "The %s field appears more than once.", name);
        decide(u, CORE_INVALID_PARAMETER, msg);
        return 1;
    }
    f->seen = 1;
    u->part = p;
    return 0;
}

static int on_part_begin(void *ctx, const struct multipart_part *p)
{
    struct upload *u = ctx;
    if (strcmp(p->name, "file") == 0) {
        if (u->file_seen) {
            decide(u, CORE_INVALID_PARAMETER, "The file field appears more than once.");
            return 1;
        }
        u->file_seen = 1;
        u->sha = crypto_sha256_begin(); /* NULL (no memory): the upload is just not deduplicated */
        u->stage = core_upload_stage_new(u->api->core);
        if (!u->stage) {
            decide(u, CORE_SERVICE_UNAVAILABLE, "The media store is unavailable; retry shortly.");
            return 1;
        }
        u->part = PART_FILE;
        return 0;
    }
    if (strcmp(p->name, "GroupId") == 0)
        return begin_field(u, &u->group_id, PART_GROUP_ID, "GroupId");
    if (strcmp(p->name, "Name") == 0)
        return begin_field(u, &u->name, PART_NAME, "Name");
    if (strcmp(p->name, "ClientToken") == 0) /* idempotency */
        return begin_field(u, &u->client_token, PART_CLIENT_TOKEN, "ClientToken");
    u->part = PART_OTHER; /* unknown fields are ignored, as in JSON bodies */
    return 0;
}

static int append_field(struct upload *u, struct field *f, const char *name, const char *p, size_t n)
{
    if (n > UPLOAD_FIELD_MAX - f->len || memchr(p, '\0', n)) {
        char msg[96];
        snprintf(msg, sizeof msg, "The %s field must be text of at most %d bytes.", name, UPLOAD_FIELD_MAX);
        decide(u, CORE_INVALID_PARAMETER, msg);
        return 1;
    }
    memcpy(f->value + f->len, p, n);
    f->len += n;
    f->value[f->len] = '\0';
    return 0;
}

static void stage_write(struct upload *u, const char *p, size_t n)
{
    struct core_status st;
    if (core_upload_stage_write(u->stage, p, n, &st) != CORE_OK)
        decide_core(u, &st);
}

static void flush_file(struct upload *u)
{
    if (u->wlen && !u->decided)
        stage_write(u, u->wbuf, u->wlen);
    u->wlen = 0;
}

static void file_data(struct upload *u, const char *p, size_t n)
{
    /* The limit is checked here, not at the (buffered) staging write, so
     * the answer comes the moment it is crossed. */
    if (n > CORE_UPLOAD_MAX_BYTES - u->file_bytes) {
        decide(u, CORE_PAYLOAD_TOO_LARGE, "The file is larger than 10 MiB (10485760 bytes).");
        return;
    }
    u->file_bytes += n;
    if (u->sha)
        crypto_sha256_update(u->sha, p, n);
    if (!u->dims_judged) {
        stage_write(u, p, n);
        if (!u->decided)
            judge_head(u, 0);
        return;
    }
    if (!u->wbuf && !(u->wbuf = malloc(UPLOAD_WRITE_BUF))) {
        stage_write(u, p, n); /* unbuffered, then */
        return;
    }
    while (n && !u->decided)
        if (buf_window_fill(u->wbuf, UPLOAD_WRITE_BUF, &u->wlen, &p, &n))
            flush_file(u);
}

static int on_part_data(void *ctx, const char *p, size_t n)
{
    struct upload *u = ctx;
    switch (u->part) {
    case PART_FILE:
        file_data(u, p, n);
        return u->decided;
    case PART_GROUP_ID:
        return append_field(u, &u->group_id, "GroupId", p, n);
    case PART_NAME:
        return append_field(u, &u->name, "Name", p, n);
    case PART_CLIENT_TOKEN:
        return append_field(u, &u->client_token, "ClientToken", p, n);
    default:
        return 0;
    }
}

static int on_part_end(void *ctx)
{
    struct upload *u = ctx;
    if (u->part == PART_FILE) {
        flush_file(u);
        if (!u->decided)
            judge_head(u, 1);
    }
    u->part = PART_NONE;
    return u->decided;
}

static const struct multipart_callbacks upload_callbacks = {on_part_begin, on_part_data, on_part_end};

/* ---- the stream ---- */

static void parse_failed(struct upload *u, enum multipart_result e)
{
    char msg[128];
    if (e == MULTIPART_TOO_MANY)
        snprintf(msg, sizeof msg, "The form has more than %d parts.", MULTIPART_PARTS_MAX);
    else if (e == MULTIPART_HEADER_LARGE)
        snprintf(msg, sizeof msg, "A form part's headers exceed %d bytes.", MULTIPART_HEADER_MAX);
    else
        snprintf(msg, sizeof msg, "The body is not well-formed multipart/form-data.");
    decide(u, CORE_INVALID_PARAMETER, msg);
}

static int upload_write(struct api_stream *s, const char *data, size_t n)
{
    struct upload *u = (struct upload *)s;
    if (u->decided)
        return -1;
    /* Bounds bodies without a Content-Length (chunked) and bytes in
     * ignored parts, which no staging limit sees. */
    u->received += n;
    if (u->received > UPLOAD_BODY_MAX) {
        decide(u, CORE_PAYLOAD_TOO_LARGE, "The file is larger than 10 MiB (10485760 bytes).");
        return -1;
    }
    enum multipart_result e = multipart_feed(&u->mp, data, n);
    if (e != MULTIPART_OK && !u->decided)
        parse_failed(u, e);
    return u->decided ? -1 : 0;
}

static int upload_done(struct api_stream *s)
{
    return ((struct upload *)s)->decided;
}

static int upload_is_slow(struct api_stream *s)
{
    return 1; /* finishing registers the asset upstream */
}

static void upload_free(struct upload *u)
{
    core_upload_stage_discard(u->stage);
    crypto_sha256_free(u->sha);
    free(u->wbuf);
    free(u);
}

/* idempotency: claims the upload's ClientToken, if any. "The same upload"
 * is the same GroupId, Name, file type, file size and SHA-256 of the
 * file's first bytes (the part kept in memory; the whole file is never
 * held or read back). */
static enum core_code begin_once(struct upload *u, struct core_once *once, struct core_status *st)
{
    if (!u->client_token.seen) {
        memset(once, 0, sizeof *once);
        return CORE_OK;
    }
    size_t n = 0;
    const uint8_t *head = core_upload_stage_head(u->stage, &n);
    char head_hash[65], size[24];
    crypto_sha256_hex(head, n, head_hash);
    snprintf(size, sizeof size, "%llu", (unsigned long long)core_upload_stage_size(u->stage));
    const char *fields[] = {u->group_id.value, u->name.seen ? u->name.value : NULL, media_type_name(u->type), size,
                            head_hash};
    return core_once_begin(u->api->core, &u->cu, u->client_token.value, UPLOAD_ACTION, fields, 5, once, st);
}

static void upload_finish(struct api_stream *s, struct api_response *resp)
{
    struct upload *u = (struct upload *)s;
    struct api_request req = {.request_id = u->request_id};
    struct api *a = u->api;
    static const struct api_reply to = {API_SURFACE_ACTION, UPLOAD_ACTION, API_VERSION};
    snprintf(resp->action, sizeof resp->action, "%s", UPLOAD_ACTION);
    resp->customer_id = u->cu.id;

    if (!u->decided) {
        enum multipart_result e = multipart_finish(&u->mp);
        if (e != MULTIPART_OK)
            parse_failed(u, e);
    }
    if (!u->decided && !u->file_seen)
        decide(u, CORE_INVALID_PARAMETER, "The file field is required.");
    if (!u->decided && (!u->group_id.seen || !u->group_id.len))
        decide(u, CORE_INVALID_PARAMETER, "The GroupId field is required.");
    if (!u->decided && atomic_load(&a->draining))
        decide(u, CORE_SERVICE_UNAVAILABLE, "The gateway is shutting down; retry on another node or shortly.");
    if (!u->decided) {
        struct core_status st = {0};
        struct asset as;
        struct core_once once = {0};
        if (begin_once(u, &once, &st) != CORE_OK) {
            decide_core(u, &st);
        } else if (once.replay[0]) {
            /* idempotency: the first upload's asset, as it is now */
            if (core_get_asset(a->core, &u->cu, once.replay, &as, &st) != CORE_OK) {
                decide_core(u, &st);
            } else {
                core_asset_media_url(a->core, &as);
                envelope_ok(&req, UPLOAD_ACTION, API_VERSION, a->region, render_asset(&as), resp);
                upload_free(u);
                return;
            }
        } else {
            struct blob_stage *stage = u->stage;
            u->stage = NULL; /* core_upload_asset consumes it */
            char sha[65] = "";
            if (u->sha) {
                crypto_sha256_end(u->sha, sha);
                u->sha = NULL;
            }
            enum core_code rc = core_upload_asset(a->core, &u->cu, &u->who, u->group_id.value,
                                                  u->name.seen ? u->name.value : NULL, stage, extension(u->type),
                                                  media_type_name(u->type), sha[0] ? sha : NULL, &as, &st);
            core_once_end(a->core, &once, rc == CORE_OK ? as.id : NULL);
            if (rc != CORE_OK) {
                decide_core(u, &st);
            } else {
                envelope_ok(&req, UPLOAD_ACTION, API_VERSION, a->region, render_asset(&as), resp);
                upload_free(u);
                return;
            }
        }
    }
    api_fail(a, &req, &to, &u->st, resp);
    upload_free(u);
}

static void upload_abort(struct api_stream *s)
{
    upload_free((struct upload *)s);
}

static const struct api_stream_ops upload_ops = {
    .write = upload_write,
    .done = upload_done,
    .is_slow = upload_is_slow,
    .finish = upload_finish,
    .abort = upload_abort,
};

struct api_stream *upload_open(struct api *a, const struct api_request *req, const char *content_type,
                               uint64_t content_length)
{
    struct upload *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->base.ops = &upload_ops;
    u->api = a;
    snprintf(u->request_id, sizeof u->request_id, "%s", req->request_id ? req->request_id : "");

    struct core_status st = {0};
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    snprintf(u->who.addr, sizeof u->who.addr, "%s", req->remote_addr ? req->remote_addr : "");
    if (core_authenticate(a->core, api_bearer(req->authorization), &u->cu, &u->who, &st) != CORE_OK) {
        decide_core(u, &st);
    } else if (atomic_load(&a->draining)) {
        decide(u, CORE_SERVICE_UNAVAILABLE, "The gateway is shutting down; retry on another node or shortly.");
    } else if (multipart_boundary(content_type, boundary) != 0) {
        decide(u, CORE_INVALID_PARAMETER,
               "The body must be multipart/form-data (with a boundary) carrying the fields file and GroupId.");
    } else if (content_length != UINT64_MAX && content_length > UPLOAD_BODY_MAX) {
        decide(u, CORE_PAYLOAD_TOO_LARGE, "The file is larger than 10 MiB (10485760 bytes).");
    } else if (!core_uploads_enabled(a->core)) {
        decide(u, CORE_INTERNAL_ERROR, "Uploads are not configured on this gateway.");
    } else {
        multipart_init(&u->mp, boundary, &upload_callbacks, u);
    }
    return &u->base;
}
