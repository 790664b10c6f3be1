/* media.c — GET/HEAD /v1/media/<key>?Expires=..&Signature=..: the bytes of
 * an upload, for whoever holds a URL the fs blob store signed (the upstream
 * fetching an asset, a customer following an Asset's URL). No API key: the
 * HMAC is the credential, and without a valid, unexpired one the answer is
 * 403 whether or not the object exists, so URLs can be neither listed nor
 * guessed. That rule is core's (core_open_media); errors use the media
 * envelope of the catalog (api_fail). The file itself is streamed by the
 * front from an open fd. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/internal.h"

static const struct api_reply media_reply = {API_SURFACE_MEDIA, NULL, NULL};

/* Keys end in the extension the upload was given (blob_new_key). */
static const char *content_type_of(const char *key)
{
    const char *dot = strrchr(key, '.');
    if (dot && !strchr(dot, '/')) {
        if (!strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg"))
            return "image/jpeg";
        if (!strcmp(dot, ".png"))
            return "image/png";
        if (!strcmp(dot, ".webp"))
            return "image/webp";
        if (!strcmp(dot, ".mp4")) /* upload sessions: video and audio */
            return "video/mp4";
        if (!strcmp(dot, ".mov"))
            return "video/quicktime";
        if (!strcmp(dot, ".mp3"))
            return "audio/mpeg";
        if (!strcmp(dot, ".wav"))
            return "audio/wav";
    }
    return "application/octet-stream";
}

/* A single "bytes=a-b", "bytes=a-" or "bytes=-n" range of a size-byte
 * object: 1 with [*off, *off + *len) filled, 0 to send it all (no Range,
 * or one we do not serve, such as several ranges), -1 unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    const char *p = h + 6;
    char *end;
    if (*p == '-') { /* the last n bytes */
        if (p[1] < '0' || p[1] > '9')
            return 0;
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (*end)
            return 0;
        if (n == 0 || size == 0)
            return -1;
        *len = n < size ? n : size;
        *off = size - *len;
        return 1;
    }
    if (*p < '0' || *p > '9')
        return 0;
    unsigned long long a = strtoull(p, &end, 10), b;
    if (*end != '-')
        return 0;
    p = end + 1;
    if (*p == '\0') {
        b = size ? size - 1 : 0;
    } else {
        if (*p < '0' || *p > '9')
            return 0;
        b = strtoull(p, &end, 10);
        if (*end || b < a)
            return 0;
    }
    if (a >= size)
        return -1;
    if (b >= size)
        b = size - 1;
    *off = a;
    *len = b - a + 1;
    return 1;
}

void media_handle(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    const char *key = req->path + sizeof MEDIA_PREFIX - 1;
    struct core_status st = {0};
    int fd = -1;
    uint64_t size = 0;
    if (core_open_media(a->core, key, api_query(req, "Expires"), api_query(req, "Signature"), &fd, &size, &st)) {
        api_fail(a, req, &media_reply, &st, resp);
        return;
    }
    /* Every signed URL honours a Range (206), so the upstream and
     * browsers can fetch video in parts. */
    uint64_t off = 0, len = size;
    int ranged = parse_range(req->range, size, &off, &len);
    if (ranged < 0) {
        close(fd);
        api_fail_code(a, req, &media_reply, CORE_RANGE_NOT_SATISFIABLE, NULL, resp);
        snprintf(resp->content_range, sizeof resp->content_range, "bytes */%llu", (unsigned long long)size);
        return;
    }
    resp->status = ranged ? 206 : 200;
    if (ranged)
        snprintf(resp->content_range, sizeof resp->content_range, "bytes %llu-%llu/%llu", (unsigned long long)off,
                 (unsigned long long)(off + len - 1), (unsigned long long)size);
    resp->has_fd = 1;
    resp->body_fd = fd;
    resp->body_fd_size = len;
    resp->body_fd_offset = off;
    resp->content_type = content_type_of(key);
}
