/* fs.c — the default blob backend: objects are files under
 * <data_dir>/blobs/objects/<key>, served back by porticod's own
 * /v1/media/<key> route behind an HMAC-signed, expiring URL.
 *
 * Invariant: every path is built from a key that passed blob_key_valid, so
 * no key can name a file outside the objects directory. A commit is
 * durable when it returns: data fsync'd, rename done, directory fsync'd. */
#include "blob/blob_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

#define FS_OBJECTS_DIR "blobs/objects"

struct blob_fs {
    char objects[BLOB_PATH_MAX];
    char public_url[1024]; /* no trailing '/' */
};

static int fs_object_path(const struct blob *b, const char *key, char out[BLOB_PATH_MAX])
{
    const struct blob_fs *fs = b->impl;
    if (!blob_key_valid(key))
        return -1;
    int n = snprintf(out, BLOB_PATH_MAX, "%s/%s", fs->objects, key);
    return n < 0 || n >= BLOB_PATH_MAX ? -1 : 0;
}

static enum blob_result fs_commit(struct blob *b, struct blob_stage *st, const char *key, const char *content_type)
{
    char dst[BLOB_PATH_MAX], dir[BLOB_PATH_MAX];
    enum blob_result r = blob_stage_check(st, key);
    if (r != BLOB_OK)
        goto done;
    r = BLOB_ERROR;
    if (fs_object_path(b, key, dst) != 0)
        goto done;
    memcpy(dir, dst, sizeof dir);
    *strrchr(dir, '/') = '\0';

    r = BLOB_UNAVAILABLE;
    if (fsync(st->fd) != 0) {
        log_error("blob fs: fsync of a staging file failed: %s", strerror(errno));
        goto done;
    }
    if (blob_mkdirs(dir) != 0) {
        log_error("blob fs: cannot create %s: %s", dir, strerror(errno));
        goto done;
    }
    if (rename(st->path, dst) != 0) {
        log_error("blob fs: cannot move a staging file to %s: %s", dst, strerror(errno));
        goto done;
    }
    st->path[0] = '\0'; /* it is the object now: blob_stage_free must not unlink */
    if (blob_fsync_dir(dir) != 0) {
        /* The bytes are in place but their name may not survive a crash;
         * report failure and take the object back, so nothing refers to it. */
        log_error("blob fs: fsync of %s failed: %s", dir, strerror(errno));
        unlink(dst);
        goto done;
    }
    r = BLOB_OK;
done:
    blob_stage_free(st);
    return r;
}

static enum blob_result fs_remove(struct blob *b, const char *key)
{
    char path[BLOB_PATH_MAX];
    if (fs_object_path(b, key, path) != 0)
        return BLOB_ERROR;
    if (unlink(path) == 0 || errno == ENOENT || errno == ENOTDIR)
        return BLOB_OK;
    log_error("blob fs: cannot remove %s: %s", path, strerror(errno));
    return BLOB_UNAVAILABLE;
}

static enum blob_result fs_url(struct blob *b, const char *key, int64_t expires_unix, char out[static BLOB_URL_MAX])
{
    const struct blob_fs *fs = b->impl;
    if (!blob_key_valid(key) || expires_unix <= 0)
        return BLOB_ERROR;
    char exp[24], sig[65];
    snprintf(exp, sizeof exp, "%lld", (long long)expires_unix);
    blob_media_signature(b, key, exp, sig);
    int n = snprintf(out, BLOB_URL_MAX, "%s/v1/media/%s?Expires=%s&Signature=%s", fs->public_url, key, exp, sig);
    return n < 0 || n >= BLOB_URL_MAX ? BLOB_ERROR : BLOB_OK;
}

static enum blob_result fs_open_read(struct blob *b, const char *key, int *fd, uint64_t *size)
{
    char path[BLOB_PATH_MAX];
    if (fs_object_path(b, key, path) != 0)
        return BLOB_NOT_FOUND;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EISDIR)
            return BLOB_NOT_FOUND;
        log_error("blob fs: cannot open %s: %s", path, strerror(errno));
        return BLOB_UNAVAILABLE;
    }
    struct stat sb;
    if (fstat(f, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(f);
        return BLOB_NOT_FOUND;
    }
    *fd = f;
    *size = (uint64_t)sb.st_size;
    return BLOB_OK;
}

static enum blob_result fs_presign_put(struct blob *b, const char *key, uint64_t content_length,
                                       const char *content_type, int64_t expires_unix, struct blob_put_target *out)
{
    const struct blob_fs *fs = b->impl;
    if (!blob_key_valid(key) || expires_unix <= 0 || !content_type || strlen(content_type) >= 128)
        return BLOB_ERROR;
    char exp[24], len[24], sig[65];
    snprintf(exp, sizeof exp, "%lld", (long long)expires_unix);
    snprintf(len, sizeof len, "%llu", (unsigned long long)content_length);
    if (blob_put_signature(b, key, exp, len, content_type, sig) != 0)
        return BLOB_ERROR;
    int n = snprintf(out->url, BLOB_URL_MAX, "%s/v1/media/%s?Expires=%s&Length=%s&Signature=%s", fs->public_url, key,
                     exp, len, sig);
    if (n < 0 || n >= BLOB_URL_MAX)
        return BLOB_ERROR;
    out->n_headers = 2;
    snprintf(out->headers[0].name, sizeof out->headers[0].name, "Content-Type");
    snprintf(out->headers[0].value, sizeof out->headers[0].value, "%s", content_type);
    snprintf(out->headers[1].name, sizeof out->headers[1].name, "Content-Length");
    snprintf(out->headers[1].value, sizeof out->headers[1].value, "%s", len);
    return BLOB_OK;
}

static enum blob_result fs_size(struct blob *b, const char *key, uint64_t *size)
{
    int fd = -1;
    enum blob_result r = fs_open_read(b, key, &fd, size);
    if (r == BLOB_OK)
        close(fd);
    return r;
}

static enum blob_result fs_read_range(struct blob *b, const char *key, uint64_t off, uint64_t len, blob_sink_fn fn,
                                      void *ctx)
{
    int fd = -1;
    uint64_t size = 0;
    enum blob_result r = fs_open_read(b, key, &fd, &size);
    if (r != BLOB_OK)
        return r;
    char chunk[64 * 1024];
    r = BLOB_OK;
    while (len && r == BLOB_OK) {
        size_t want = len < sizeof chunk ? (size_t)len : sizeof chunk;
        ssize_t got = pread(fd, chunk, want, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            log_error("blob fs: cannot read %s: %s", key, strerror(errno));
            r = BLOB_UNAVAILABLE;
        } else if (got == 0 || fn(ctx, chunk, (size_t)got) != 0) {
            r = BLOB_ERROR; /* ended early, or the reader stopped */
        } else {
            off += (uint64_t)got;
            len -= (uint64_t)got;
        }
    }
    close(fd);
    return r;
}

static void fs_close(struct blob *b)
{
    free(b->impl);
    free(b);
}

static const struct blob_ops fs_ops = {
    .commit = fs_commit,
    .stage_is_object = 1,
    .remove = fs_remove,
    .url = fs_url,
    .open_read = fs_open_read,
    .close = fs_close,
    .presign_put = fs_presign_put,
    .size = fs_size,
    .read_range = fs_read_range,
};

int blob_fs_init(struct blob *b, const struct blob_config *cfg)
{
    if (!cfg->public_url || !*cfg->public_url) {
        log_error("blob fs: no public URL to build media URLs from");
        return -1;
    }
    struct blob_fs *fs = calloc(1, sizeof *fs);
    if (!fs)
        return -1;
    size_t n = strlen(cfg->public_url);
    while (n && cfg->public_url[n - 1] == '/')
        n--;
    int m = snprintf(fs->objects, sizeof fs->objects, "%s/" FS_OBJECTS_DIR, b->data_dir);
    if (n == 0 || n >= sizeof fs->public_url || m < 0 || (size_t)m >= sizeof fs->objects) {
        log_error("blob fs: public URL or data directory too long");
        goto fail;
    }
    memcpy(fs->public_url, cfg->public_url, n);
    fs->public_url[n] = '\0';
    if (blob_mkdirs(fs->objects) != 0) {
        log_error("blob fs: cannot create %s: %s", fs->objects, strerror(errno));
        goto fail;
    }
    b->ops = &fs_ops;
    b->impl = fs;
    return 0;
fail:
    free(fs);
    return -1;
}
