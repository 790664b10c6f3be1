/* blob.c — the backend-independent half of the blob port: blob_open's
 * dispatch, the media secret, staging files, object keys and media-URL
 * verification. fs.c and s3.c hold what differs per backend.
 *
 * Invariant: staging files are created O_EXCL under a random name in
 * <data_dir>/blobs/staging and never grow past their stage's max_bytes, so
 * neither a hostile upload nor a racing request can write anywhere else. */
#include "blob/blob_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/crypto.h"
#include "util/decimal.h"
#include "util/log.h"

#define BLOB_SECRET_FILE "media.key"
#define BLOB_STAGING_DIR "blobs/staging"
#define BLOB_STAGE_SUFFIX ".stage"
#define BLOB_WRITE_BEHIND (1024 * 1024)
#define BLOB_EXT_MAX 8

const char *blob_result_str(enum blob_result r)
{
    switch (r) {
    case BLOB_OK: return "ok";
    case BLOB_NOT_FOUND: return "not_found";
    case BLOB_TOO_LARGE: return "too_large";
    case BLOB_UNAVAILABLE: return "unavailable";
    case BLOB_ERROR: return "error";
    }
    return "unknown";
}

/* ---------- keys ---------- */

static int blob_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
           c == '_' || c == '-';
}

int blob_key_valid(const char *key)
{
    if (!key)
        return 0;
    size_t n = strnlen(key, BLOB_KEY_MAX);
    if (n == 0 || n >= BLOB_KEY_MAX || key[0] == '/' || key[n - 1] == '/' || strstr(key, "..") ||
        strstr(key, "//"))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!blob_key_char(key[i]))
            return 0;
        /* A "." segment would alias its parent directory on disk. */
        if (key[i] == '.' && (i == 0 || key[i - 1] == '/') && (i + 1 == n || key[i + 1] == '/'))
            return 0;
    }
    return 1;
}

void blob_new_key(const char *ext, char out[static BLOB_KEY_MAX])
{
    uint8_t rnd[16];
    char hex[33];
    /* With PORTICO_S3_PUBLIC_BASE the key is the only secret in a media
     * URL: without real randomness there is no safe key to hand out. */
    if (crypto_random(rnd, sizeof rnd) != 0) {
        log_error("blob: no secure random bytes for an object key");
        abort();
    }
    crypto_hex(rnd, sizeof rnd, hex);

    char e[BLOB_EXT_MAX + 2] = "";
    if (ext && *ext == '.')
        ext++;
    if (ext && *ext) {
        size_t n = strlen(ext);
        int ok = n <= BLOB_EXT_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = (ext[i] >= 'a' && ext[i] <= 'z') || (ext[i] >= 'A' && ext[i] <= 'Z') ||
                 (ext[i] >= '0' && ext[i] <= '9');
        if (ok)
            snprintf(e, sizeof e, ".%s", ext);
    }

    time_t t = (time_t)(clock_wall_ms() / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, BLOB_KEY_MAX, "media/%04d/%02d/%02d/%s%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, hex, e);
}

/* ---------- directories ---------- */

int blob_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int blob_mkdirs(const char *path)
{
    char p[BLOB_PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof p)
        return -1;
    memcpy(p, path, n + 1);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) == 0) {
            /* The new entry lives in its parent: make that durable too. */
            char *slash = strrchr(p, '/');
            if (slash == p) {
                blob_fsync_dir("/");
            } else if (slash) {
                *slash = '\0';
                blob_fsync_dir(p);
                *slash = '/';
            } else {
                blob_fsync_dir(".");
            }
        } else if (errno != EEXIST) {
            return -1;
        }
        p[i] = saved;
    }
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : -1;
}

/* ---------- the media secret ---------- */

static int blob_is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* 1 loaded, 0 absent, -1 unreadable or malformed. */
static int blob_secret_read(const char *path, char out[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    char tmp[130];
    size_t got = 0;
    while (got < sizeof tmp - 1) {
        ssize_t r = read(fd, tmp + got, sizeof tmp - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    while (got && (tmp[got - 1] == '\n' || tmp[got - 1] == '\r' || tmp[got - 1] == ' '))
        got--;
    if (got != 64 || !blob_is_hex(tmp, 64))
        return -1;
    memcpy(out, tmp, 64);
    out[64] = '\0';
    return 1;
}

/* Creates the secret without ever replacing one: the new file is written
 * in full under a private name, then link()ed into place, which fails with
 * EEXIST if a concurrent start-up won; both then read the winner's file. */
static int blob_secret_create(const char *dir, const char *path)
{
    uint8_t rnd[32];
    char hex[66];
    char tmp[BLOB_PATH_MAX];
    uint8_t tag[8];
    char taghex[17];
    if (crypto_random(rnd, sizeof rnd) != 0 || crypto_random(tag, sizeof tag) != 0)
        return -1;
    crypto_hex(rnd, sizeof rnd, hex);
    crypto_hex(tag, sizeof tag, taghex);
    hex[64] = '\n';
    hex[65] = '\0';
    int n = snprintf(tmp, sizeof tmp, "%s.%s.tmp", path, taghex);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    int ok = write(fd, hex, 65) == 65 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && link(tmp, path) != 0 && errno != EEXIST)
        ok = 0;
    unlink(tmp);
    if (ok)
        blob_fsync_dir(dir);
    return ok ? 0 : -1;
}

static int blob_secret_load(struct blob *b)
{
    char path[BLOB_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/" BLOB_SECRET_FILE, b->data_dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    int r = blob_secret_read(path, b->media_secret);
    if (r == 0) {
        if (blob_secret_create(b->data_dir, path) != 0) {
            log_error("blob: cannot create %s: %s", path, strerror(errno));
            return -1;
        }
        r = blob_secret_read(path, b->media_secret);
    }
    if (r != 1) {
        log_error("blob: %s is unreadable or not 64 hex digits; fix or remove it", path);
        return -1;
    }
    return 0;
}

void blob_media_signature(const struct blob *b, const char *key, const char *expires, char out[65])
{
    char msg[BLOB_KEY_MAX + 32];
    int n = snprintf(msg, sizeof msg, "%s\n%s", key, expires);
    if (n < 0 || (size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1; /* callers validated key and expires first */
    uint8_t mac[32];
    crypto_hmac_sha256(b->media_secret, 64, msg, (size_t)n, mac);
    crypto_hex(mac, 32, out);
}

int blob_verify_media_url(struct blob *b, const char *key, const char *expires, const char *signature,
                          int64_t now_unix)
{
    if (!b || !blob_key_valid(key) || !expires || !signature)
        return 0;
    int64_t exp = decimal_parse(expires);
    if (exp < 0 || strlen(signature) != 64 || exp < now_unix)
        return 0;
    char want[65];
    blob_media_signature(b, key, expires, want);
    return crypto_equal(want, signature, 64);
}

int blob_put_signature(const struct blob *b, const char *key, const char *expires, const char *length,
                       const char *content_type, char out[65])
{
    char msg[BLOB_KEY_MAX + 400];
    int n = snprintf(msg, sizeof msg, "PUT\n%s\n%s\n%s\n%s", key, expires, length, content_type);
    if (n < 0 || (size_t)n >= sizeof msg)
        return -1;
    uint8_t mac[32];
    crypto_hmac_sha256(b->media_secret, 64, msg, (size_t)n, mac);
    crypto_hex(mac, 32, out);
    return 0;
}

int blob_verify_put_url(struct blob *b, const char *key, const char *expires, const char *length,
                        const char *content_type, const char *signature, int64_t now_unix)
{
    if (!b || !blob_key_valid(key) || !content_type || !signature || strlen(signature) != 64)
        return 0;
    int64_t exp = decimal_parse(expires);
    if (exp < now_unix || decimal_parse(length) < 0)
        return 0;
    char want[65];
    if (blob_put_signature(b, key, expires, length, content_type, want) != 0)
        return 0;
    return crypto_equal(want, signature, 64);
}

/* ---------- open / close ---------- */

struct blob *blob_open(const struct blob_config *cfg)
{
    if (!cfg || !cfg->data_dir || !*cfg->data_dir) {
        log_error("blob: no data directory");
        return NULL;
    }
    struct blob *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    size_t n = strlen(cfg->data_dir);
    while (n > 1 && cfg->data_dir[n - 1] == '/')
        n--;
    if (n >= sizeof b->data_dir) {
        log_error("blob: data directory path too long");
        goto fail;
    }
    memcpy(b->data_dir, cfg->data_dir, n);
    b->data_dir[n] = '\0';

    char staging[BLOB_PATH_MAX];
    snprintf(staging, sizeof staging, "%s/" BLOB_STAGING_DIR, b->data_dir);
    if (blob_mkdirs(staging) != 0) {
        log_error("blob: cannot create %s: %s", staging, strerror(errno));
        goto fail;
    }
    if (blob_secret_load(b) != 0)
        goto fail;

    const char *spec = cfg->spec && *cfg->spec ? cfg->spec : "fs";
    int rc;
    if (strcmp(spec, "fs") == 0) {
        rc = blob_fs_init(b, cfg);
    } else if (strncmp(spec, "s3://", 5) == 0) {
        rc = blob_s3_init(b, cfg);
    } else {
        log_error("blob: unknown backend \"%.64s\" (want fs or s3://BUCKET?endpoint=URL)", spec);
        rc = -1;
    }
    if (rc != 0)
        goto fail;
    return b;
fail:
    free(b);
    return NULL;
}

void blob_close(struct blob *b)
{
    if (b)
        b->ops->close(b);
}

/* ---------- staging ---------- */

struct blob_stage *blob_stage_new(struct blob *b, uint64_t max_bytes)
{
    struct blob_stage *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->b = b;
    st->fd = -1;
    st->max = max_bytes;
    st->head_cap = max_bytes < BLOB_HEAD_MAX ? (size_t)max_bytes : BLOB_HEAD_MAX;
    st->head = malloc(st->head_cap ? st->head_cap : 1);
    if (!st->head)
        goto fail;
    uint8_t rnd[16];
    char hex[33];
    for (int attempt = 0; attempt < 4 && st->fd < 0; attempt++) {
        if (crypto_random(rnd, sizeof rnd) != 0)
            goto fail;
        crypto_hex(rnd, sizeof rnd, hex);
        int n = snprintf(st->path, sizeof st->path, "%s/" BLOB_STAGING_DIR "/%s" BLOB_STAGE_SUFFIX, b->data_dir,
                         hex);
        if (n < 0 || (size_t)n >= sizeof st->path)
            goto fail;
        st->fd = open(st->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (st->fd < 0 && errno != EEXIST)
            break;
    }
    if (st->fd < 0) {
        log_error("blob: cannot create a staging file in %s/" BLOB_STAGING_DIR ": %s", b->data_dir,
                  strerror(errno));
        goto fail;
    }
    return st;
fail:
    st->path[0] = '\0'; /* nothing of ours on disk */
    blob_stage_free(st);
    return NULL;
}

/* Write-behind: once BLOB_WRITE_BEHIND bytes are staged past what was
 * handed to the disk, start their writeback (without waiting for it), so
 * the disk works while the rest of the body arrives and the commit's fsync
 * only waits for the tail. Only where the staging file becomes the object;
 * a failure here is harmless (the fsync reports real trouble). */
static void write_behind(struct blob_stage *st)
{
    if (!st->b->ops->stage_is_object || st->size - st->written_back < BLOB_WRITE_BEHIND)
        return;
    (void)sync_file_range(st->fd, (off_t)st->written_back, (off_t)(st->size - st->written_back),
                          SYNC_FILE_RANGE_WRITE);
    st->written_back = st->size;
}

enum blob_result blob_stage_write(struct blob_stage *st, const void *p, size_t n)
{
    if (st->failed != BLOB_OK)
        return st->failed;
    if (n > st->max - st->size) {
        st->failed = BLOB_TOO_LARGE;
        return BLOB_TOO_LARGE;
    }
    if (st->head_len < st->head_cap) {
        size_t k = st->head_cap - st->head_len < n ? st->head_cap - st->head_len : n;
        memcpy(st->head + st->head_len, p, k);
        st->head_len += k;
    }
    const char *c = p;
    size_t left = n;
    while (left) {
        ssize_t w = write(st->fd, c, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            log_error("blob: staging write failed: %s", w < 0 ? strerror(errno) : "short write");
            st->failed = BLOB_UNAVAILABLE;
            return BLOB_UNAVAILABLE;
        }
        c += w;
        left -= (size_t)w;
    }
    st->size += n;
    write_behind(st);
    return BLOB_OK;
}

uint64_t blob_stage_size(const struct blob_stage *st)
{
    return st->size;
}

const uint8_t *blob_stage_head(const struct blob_stage *st, size_t *n)
{
    *n = st->head_len;
    return st->head;
}

void blob_stage_free(struct blob_stage *st)
{
    if (!st)
        return;
    if (st->fd >= 0)
        close(st->fd);
    if (st->path[0])
        unlink(st->path);
    free(st->head);
    free(st);
}

void blob_stage_discard(struct blob_stage *st)
{
    blob_stage_free(st);
}

enum blob_result blob_stage_check(const struct blob_stage *st, const char *key)
{
    if (st->failed != BLOB_OK)
        return st->failed;
    return blob_key_valid(key) ? BLOB_OK : BLOB_ERROR;
}

int blob_sweep_staging(struct blob *b)
{
    char dir[BLOB_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/" BLOB_STAGING_DIR, b->data_dir);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int fd = dirfd(d);
    int removed = 0;
    struct dirent *e;
    size_t sl = strlen(BLOB_STAGE_SUFFIX);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n <= sl || strcmp(e->d_name + n - sl, BLOB_STAGE_SUFFIX) != 0)
            continue;
        if (unlinkat(fd, e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    if (removed)
        log_info("blob: removed %d staging file(s) left by an earlier run", removed);
    return removed;
}
