/* blob_int.h — private to src/blob: the staging object that blob.c creates
 * and the backends (fs.c, s3.c) consume, and the backends' constructors.
 *
 * Invariant: a backend's commit ends every path with blob_stage_free(st),
 * after setting st->path[0] = '\0' if it moved the file away, so that a
 * staging file outlives its stage only if the process dies. */
#ifndef PORTICO_BLOB_INT_H
#define PORTICO_BLOB_INT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "blob/blob.h"

#define BLOB_PATH_MAX 4096

struct blob_stage {
    struct blob *b;
    int fd;                 /* O_RDWR on the staging file */
    char path[BLOB_PATH_MAX]; /* "" once the file was renamed into place */
    uint64_t size;
    uint64_t written_back; /* bytes whose writeback was started (write-behind) */
    uint64_t max;
    enum blob_result failed; /* BLOB_OK until a write fails; then sticky */
    uint8_t *head;           /* first min(max, BLOB_HEAD_MAX) bytes */
    size_t head_len;
    size_t head_cap;
};

/* Closes the fd, unlinks st->path unless it is "", frees st. NULL-safe. */
void blob_stage_free(struct blob_stage *st);
/* BLOB_OK if st may be committed under key: no failed write, a valid key. */
enum blob_result blob_stage_check(const struct blob_stage *st, const char *key);

/* mkdir -p path (mode 0700 for what it creates), fsyncing the parent of
 * each directory it creates; 0 on success. */
int blob_mkdirs(const char *path);
/* fsync a directory, so a rename or create inside it survives a crash. */
int blob_fsync_dir(const char *path);

/* Hex HMAC-SHA256 of "<key>\n<expires>" under b->media_secret. */
void blob_media_signature(const struct blob *b, const char *key, const char *expires, char out[65]);

/* Hex HMAC-SHA256 of "PUT\n<key>\n<expires>\n<length>\n<content type>"
 * under b->media_secret: an fs upload URL's signature. The "PUT" line keeps
 * it from ever matching a media GET signature. -1 if it does not fit. */
int blob_put_signature(const struct blob *b, const char *key, const char *expires, const char *length,
                       const char *content_type, char out[65]);

/* Fill b->ops and b->impl; 0 on success (reason logged otherwise). */
int blob_fs_init(struct blob *b, const struct blob_config *cfg);
int blob_s3_init(struct blob *b, const struct blob_config *cfg);

#endif
