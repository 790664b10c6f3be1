/* fuzz_blob_keys.c — object keys and signed media URLs, both attacker-
 * controlled in GET /v1/media/<key>?Expires=&Signature=: blob_key_valid,
 * blob_verify_media_url and the fs backend's open_read, over a real fs blob
 * store in a temporary directory (fuzz_gw.h).
 *
 * Properties: a valid key never escapes the store (no "..", no absolute
 * path, no "." segment); a URL signed with blob_media_signature verifies.
 *
 * Input: key, expires and signature, separated by newlines. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob/blob_int.h"
#include "fuzz_gw.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_gw();
    return 0;
}

static int has_dot_segment(const char *k)
{
    for (const char *p = k; *p; p++)
        if (*p == '.' && (p == k || p[-1] == '/') && (p[1] == '\0' || p[1] == '/' || (p[1] == '.' && (p[2] == '\0' || p[2] == '/'))))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_gw *g = fuzz_gw();
    struct fuzz_in in = {data, size};
    char *key = fuzz_take(&in, '\n', NULL);
    char *expires = fuzz_take(&in, '\n', NULL);
    char *sig = fuzz_take(&in, '\n', NULL);
    int valid = blob_key_valid(key);
    if (valid && (key[0] == '/' || strstr(key, "..") || has_dot_segment(key) || strlen(key) >= BLOB_KEY_MAX))
        abort();
    (void)blob_verify_media_url(g->blob, key, expires, sig, 1700000000);
    if (valid) {
        /* A signature made for the key must verify while unexpired. */
        char want[65];
        blob_media_signature(g->blob, key, "99999999999", want);
        if (!blob_verify_media_url(g->blob, key, "99999999999", want, 1700000000))
            abort();
        int fd = -1;
        uint64_t n = 0;
        if (g->blob->ops->open_read(g->blob, key, &fd, &n) == BLOB_OK)
            close(fd);
    }
    free(key);
    free(expires);
    free(sig);
    return 0;
}
