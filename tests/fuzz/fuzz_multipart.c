/* fuzz_multipart.c — the incremental multipart/form-data parser
 * (src/api/multipart.c) and the Content-Type boundary parameter.
 *
 * The body is parsed twice: whole, and cut into chunks whose sizes come
 * from the input. The parser's contract is that chunking changes nothing,
 * so the two runs must return the same result and the same events (part
 * headers, the concatenated bytes of each part, part ends), compared as a
 * hash. Callbacks also check the parser's promises: data runs are non-
 * empty and fall inside a part, names are NUL-terminated.
 *
 * Input: a Content-Type line, a chunking byte, then the body. A line that
 * is not multipart/form-data with a boundary is tried as a boundary
 * parameter of its own, else a fixed boundary is used. */
#include <stdlib.h>
#include <string.h>

#include "api/multipart.h"
#include "fuzz_gw.h"

struct events {
    uint64_t hash;
    int in_part;
    int parts;
    int stop_at; /* stop the parser at this part_begin (0: never) */
};

static void mix(struct events *e, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        e->hash = (e->hash ^ b[i]) * 1099511628211ull;
}

static void check_str(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap))
        abort();
}

static int on_begin(void *ctx, const struct multipart_part *p)
{
    struct events *e = ctx;
    if (e->in_part)
        abort(); /* a part began inside another */
    check_str(p->name, sizeof p->name);
    check_str(p->filename, sizeof p->filename);
    check_str(p->content_type, sizeof p->content_type);
    if (!p->has_filename && p->filename[0])
        abort();
    e->in_part = 1;
    e->parts++;
    mix(e, "\1", 1);
    mix(e, p->name, strlen(p->name) + 1);
    mix(e, p->filename, strlen(p->filename) + 1);
    mix(e, &p->has_filename, sizeof p->has_filename);
    mix(e, p->content_type, strlen(p->content_type) + 1);
    return e->stop_at && e->parts >= e->stop_at;
}

static int on_data(void *ctx, const char *p, size_t n)
{
    struct events *e = ctx;
    if (!e->in_part || n == 0)
        abort();
    mix(e, p, n);
    return 0;
}

static int on_end(void *ctx)
{
    struct events *e = ctx;
    if (!e->in_part)
        abort();
    e->in_part = 0;
    mix(e, "\2", 1);
    return 0;
}

static const struct multipart_callbacks callbacks = {on_begin, on_data, on_end};

static struct multipart parser; /* ~8 KiB: kept off the stack */

static enum multipart_result run(const char *boundary, const char *body, size_t n, uint8_t chunking, int stop_at,
                                 uint64_t *hash)
{
    struct events e = {.hash = 14695981039346656037ull, .stop_at = stop_at};
    multipart_init(&parser, boundary, &callbacks, &e);
    enum multipart_result r = MULTIPART_OK;
    uint32_t x = 0x9e3779b9u ^ chunking;
    size_t max = 1 + (chunking & 63);
    size_t off = 0;
    while (off < n) {
        size_t len = n - off;
        if (chunking) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            size_t c = 1 + x % max;
            len = c < len ? c : len;
        }
        r = multipart_feed(&parser, body + off, len);
        off += len;
        if (r != MULTIPART_OK)
            break;
    }
    if (r == MULTIPART_OK)
        r = multipart_finish(&parser);
    /* Once failed, it stays failed. */
    if (r != MULTIPART_OK && multipart_feed(&parser, "x", 1) != r)
        abort();
    mix(&e, &r, sizeof r);
    *hash = e.hash;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    char *ctype = fuzz_take(&in, '\n', NULL);
    uint8_t chunking = fuzz_byte(&in);
    size_t n;
    char *body = fuzz_rest(&in, &n);

    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    if (multipart_boundary(ctype, boundary) != 0) {
        /* Not a Content-Type: try the line as the boundary itself, through
         * the same parameter parser, so it is one the front could accept. */
        char *wrapped = malloc(strlen(ctype) + 40);
        if (!wrapped)
            abort();
        strcpy(wrapped, "multipart/form-data; boundary=");
        strcat(wrapped, ctype);
        if (multipart_boundary(wrapped, boundary) != 0)
            memcpy(boundary, "fuzzboundary", sizeof "fuzzboundary");
        free(wrapped);
    }
    size_t bl = strlen(boundary);
    if (bl == 0 || bl > MULTIPART_BOUNDARY_MAX || strchr(boundary, '\r'))
        abort(); /* the parser relies on CR appearing only at the delimiter's start */

    int stop_at = (chunking & 0xc0) == 0xc0 ? 1 + (chunking & 1) : 0;
    uint64_t h_whole, h_chunked;
    enum multipart_result r_whole = run(boundary, body, n, 0, stop_at, &h_whole);
    enum multipart_result r_chunked = run(boundary, body, n, chunking | 1, stop_at, &h_chunked);
    if (r_whole != r_chunked || h_whole != h_chunked)
        abort(); /* the events depend on how the body was cut */
    (void)multipart_result_str(r_whole);
    free(ctype);
    free(body);
    return 0;
}
