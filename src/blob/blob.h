/* blob.h — port 2: media bytes. Backends: fs.c (files under the data dir,
 * the default) and s3.c (any S3-compatible store; Cloudflare R2 in
 * production), chosen at start-up by blob_open.
 *
 * Writes are two-phase so that a rejected or crashed upload leaves nothing
 * behind: bytes are written into a staging object (blob_stage_*), which is
 * either committed under its final key or discarded. Staging objects live
 * on local disk for every backend (under <data_dir>/blobs/staging) and are
 * removed by blob_sweep_staging at start-up. Every operation is
 * thread-safe. */
#ifndef PORTICO_BLOB_H
#define PORTICO_BLOB_H
#ifdef PORTICO_NO_PORTS /* set for src/api and src/http by the Makefile */
#error "api/ and http/ reach the ports only through core/ (core/core.h); see DESIGN.md"
#endif
#include <stddef.h>
#include <stdint.h>

#define BLOB_KEY_MAX 128
#define BLOB_URL_MAX 4096
#define BLOB_HEAD_MAX (64 * 1024) /* bytes blob_stage_head keeps in memory */

enum blob_result {
    BLOB_OK = 0,
    BLOB_NOT_FOUND,
    BLOB_TOO_LARGE,   /* the staging write crossed its limit */
    BLOB_UNAVAILABLE, /* the backend (disk, S3) failed; nothing committed */
    BLOB_ERROR,
};

struct blob;
struct blob_stage;

/* Upload sessions (API.md §4b): where a client PUTs an object itself. */
#define BLOB_PUT_HEADERS_MAX 4
struct blob_put_target {
    char url[BLOB_URL_MAX];
    size_t n_headers;
    struct {
        char name[32];
        char value[128];
    } headers[BLOB_PUT_HEADERS_MAX]; /* the PUT must carry exactly these */
};

/* Called with the object's bytes as they arrive: 0 to go on, -1 to stop. */
typedef int (*blob_sink_fn)(void *ctx, const void *p, size_t n);

struct blob_ops {
    /* Moves a complete staging object under key (fsync'd or PUT, then the
     * staging file removed). Consumes st in every case. */
    enum blob_result (*commit)(struct blob *b, struct blob_stage *st, const char *key, const char *content_type);
    /* 1 when the staging file itself becomes the object and commit fsyncs
     * it (fs): staging then starts the file's writeback as it goes, so the
     * commit's fsync finds little left to write. */
    int stage_is_object;
    /* Removes the object; BLOB_OK also when it did not exist. */
    enum blob_result (*remove)(struct blob *b, const char *key);
    /* A URL from which anyone holding it can GET the bytes until expires_unix:
     * fs — {public_url}/v1/media/{key}?Expires=..&Signature=.. (HMAC);
     * s3 — a SigV4 presigned GET, or {PORTICO_S3_PUBLIC_BASE}/{key}. */
    enum blob_result (*url)(struct blob *b, const char *key, int64_t expires_unix, char out[static BLOB_URL_MAX]);
    /* fs only (NULL for s3): opens the object for serving a verified media
     * URL; *fd and *size are the caller's to close. */
    enum blob_result (*open_read)(struct blob *b, const char *key, int *fd, uint64_t *size);
    void (*close)(struct blob *b);
    /* upload sessions */
    /* A URL through which whoever holds it can PUT exactly content_length
     * bytes of content_type as key until expires_unix, and the headers that
     * PUT must carry (Content-Type and Content-Length always):
     * fs — {public_url}/v1/media/{key}?Expires=..&Length=..&Signature=..,
     *      an HMAC over method, key, expiry, length and type (api/media.c
     *      streams the body to disk, blob_put_*);
     * s3 — a SigV4 presigned PUT whose signed headers are content-length,
     *      content-type, host and if-none-match ("*": the store refuses a
     *      second PUT of the same key, and any other length or type). */
    enum blob_result (*presign_put)(struct blob *b, const char *key, uint64_t content_length,
                                    const char *content_type, int64_t expires_unix, struct blob_put_target *out);
    /* The object's size in bytes; BLOB_NOT_FOUND when there is none
     * (fs: stat; s3: HEAD). */
    enum blob_result (*size)(struct blob *b, const char *key, uint64_t *size);
    /* Hands bytes [off, off + len) of the object to fn as they arrive, never
     * holding more than a small buffer (fs: pread; s3: one ranged GET).
     * BLOB_NOT_FOUND when there is no object; BLOB_ERROR when fn stopped or
     * the object ended early. */
    enum blob_result (*read_range)(struct blob *b, const char *key, uint64_t off, uint64_t len, blob_sink_fn fn,
                                   void *ctx);
};

struct blob {
    const struct blob_ops *ops;
    void *impl;
    char data_dir[1024];
    char media_secret[65]; /* hex HMAC key for fs media URLs, kept in <data_dir>/media.key */
};

struct blob_config {
    const char *spec;       /* "fs" or "s3://BUCKET?endpoint=URL&region=R" */
    const char *data_dir;
    const char *public_url; /* base the upstream sees, e.g. "http://127.0.0.1:8080" */
};

/* NULL with the reason logged. s3 takes PORTICO_S3_ACCESS_KEY_ID,
 * PORTICO_S3_SECRET_ACCESS_KEY and optional PORTICO_S3_PUBLIC_BASE from the
 * environment. */
struct blob *blob_open(const struct blob_config *cfg);

/* Staging: a local temp file bounded at max_bytes. */
struct blob_stage *blob_stage_new(struct blob *b, uint64_t max_bytes);
/* BLOB_TOO_LARGE as soon as the total would exceed max_bytes. */
enum blob_result blob_stage_write(struct blob_stage *st, const void *p, size_t n);
uint64_t blob_stage_size(const struct blob_stage *st);
/* The first bytes written (up to 64 KiB), for sniffing type and size. */
const uint8_t *blob_stage_head(const struct blob_stage *st, size_t *n);
void blob_stage_discard(struct blob_stage *st);
/* Removes staging files left by a crash; returns how many. */
int blob_sweep_staging(struct blob *b);

/* Verifies an fs media URL's Expires/Signature for key at now_unix: 1 if valid. */
int blob_verify_media_url(struct blob *b, const char *key, const char *expires, const char *signature,
                          int64_t now_unix);
/* Verifies an fs upload URL (presign_put) for key: 1 if the signature
 * covers exactly this expiry, length and content type and has not expired. */
int blob_verify_put_url(struct blob *b, const char *key, const char *expires, const char *length,
                        const char *content_type, const char *signature, int64_t now_unix);
/* A fresh random object key, e.g. "media/2026/11/25/<32 hex>.png". */
void blob_new_key(const char *ext, char out[static BLOB_KEY_MAX]);
const char *blob_result_str(enum blob_result r);

/* Additions (blob port implementation). */
/* 1 if key is a well-formed object key: 1..BLOB_KEY_MAX-1 bytes of
 * [A-Za-z0-9/._-], no leading, trailing or doubled '/', no "..", no "."
 * segment. Every op checks it; a media URL's key is attacker-controlled. */
int blob_key_valid(const char *key);
/* b->ops->close(b), NULL-safe: frees b. */
void blob_close(struct blob *b);

#endif
