/* fuzz_upload.c — POST /v1/portrait/upload as the front streams it
 * (src/api/upload.c): api_stream_open with a fuzzed Content-Type and
 * Content-Length, the body written in chunks whose sizes come from the
 * input until the stream decides, then finish (or abort). Exercises the
 * multipart callbacks, the field buffers, sniffing and dimension checks on
 * the staged head, staging into the fs blob store and, for an acceptable
 * image, core_upload_asset over the real SQLite store, whose upstream call
 * fails at once and is undone (fuzz_gw.h).
 *
 * Input: a Content-Type line, a control byte (chunk sizes; bit 6: declare
 * the Content-Length; bit 7: the connection ends before finish), then the
 * body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_gw.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_gw();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_gw *g = fuzz_gw();
    struct fuzz_in in = {data, size};
    char *ctype = fuzz_take(&in, '\n', NULL);
    uint8_t ctl = fuzz_byte(&in);
    size_t n;
    char *body = fuzz_rest(&in, &n);
    struct api_request req = {.method = "POST", .path = "/v1/portrait/upload", .authorization = g->bearer,
                              .body = "", .request_id = "fuzz"};
    struct api_stream *s = api_stream_open(g->api, &req, ctype, (ctl & 0x40) ? (uint64_t)n : UINT64_MAX);
    if (!s)
        abort(); /* the upload path always opens a stream */
    uint32_t x = 0x2545f491u ^ ctl;
    size_t max = 1 + (size_t)(ctl & 0x3f) * 97, off = 0;
    while (off < n && !s->ops->done(s)) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        size_t len = 1 + x % max;
        if (len > n - off)
            len = n - off;
        int rc = s->ops->write(s, body + off, len);
        off += len;
        if (rc != 0 && !s->ops->done(s))
            abort(); /* -1 means the stream has decided */
        if (rc != 0)
            break;
    }
    if (ctl & 0x80) {
        s->ops->abort(s);
    } else {
        struct api_response resp;
        memset(&resp, 0, sizeof resp);
        s->ops->finish(s, &resp);
        if (resp.status < 100 || resp.status > 599 || (resp.body_len && !resp.body))
            abort();
        free(resp.body);
        if (resp.has_fd)
            close(resp.body_fd);
    }
    free(ctype);
    free(body);
    return 0;
}
