/* test_multipart.c — the incremental multipart/form-data parser: the
 * events must not depend on how the body is cut into chunks. */
#include <stdlib.h>
#include <string.h>

#include "api/multipart.h"
#include "check.h"

/* Records every event as text: "<name|filename|type>" data... "</>". */
struct rec {
    char log[65536];
    size_t len;
    int stop_after_parts; /* 0: never stop */
    int parts;
};

static void put(struct rec *r, const char *p, size_t n)
{
    if (r->len + n < sizeof r->log) {
        memcpy(r->log + r->len, p, n);
        r->len += n;
        r->log[r->len] = '\0';
    }
}

static int on_begin(void *ctx, const struct multipart_part *p)
{
    struct rec *r = ctx;
    char s[600];
    int n = snprintf(s, sizeof s, "<%s|%s%s|%s>", p->name, p->has_filename ? "f:" : "", p->filename,
                     p->content_type);
    put(r, s, (size_t)n);
    r->parts++;
    return r->stop_after_parts && r->parts >= r->stop_after_parts;
}

static int on_data(void *ctx, const char *p, size_t n)
{
    CHECK(n > 0);
    put(ctx, p, n);
    return 0;
}

static int on_end(void *ctx)
{
    put(ctx, "</>", 3);
    return 0;
}

static const struct multipart_callbacks cbs = {on_begin, on_data, on_end};

/* Feeds body in the given chunk sizes (cycled; NULL: all at once). */
static enum multipart_result run(const char *boundary, const char *body, size_t len, const size_t *cuts,
                                 size_t n_cuts, struct rec *r)
{
    struct multipart m;
    memset(r, 0, sizeof *r);
    multipart_init(&m, boundary, &cbs, r);
    size_t at = 0, k = 0;
    while (at < len) {
        size_t step = cuts ? cuts[k++ % n_cuts] : len;
        if (step > len - at)
            step = len - at;
        enum multipart_result e = multipart_feed(&m, body + at, step);
        if (e != MULTIPART_OK)
            return e;
        at += step;
    }
    return multipart_finish(&m);
}

#define B "----PorticoBoundary7MA4YWxkTrZu0gW"

/* Content with near-misses of the delimiter: CRs, CRLF-dash, and the
 * boundary without its leading CRLF. */
static const char tricky[] = "\r\r\n\r\n-\r\n--\r\n--" "----PorticoBoundary7MA4YWxkTrZu0g" "X\r\n--x"
                             "--" B "\r" "\x00\xff\xd8" "end\r";

static char body[4096];
static size_t body_len;
static char want[4096];

static void build_body(void)
{
    size_t n = 0;
#define ADD(s, l) (memcpy(body + n, (s), (l)), n += (l))
#define ADDS(s) ADD(s, strlen(s))
    ADDS("preamble to ignore\r\n");
    ADDS("--" B "\r\n");
    ADDS("Content-Disposition: form-data; name=\"GroupId\"\r\n\r\n");
    ADDS("group-20240101000000-abcde");
    ADDS("\r\n--" B "  \t\r\n"); /* transport padding */
    ADDS("content-disposition: form-data; name=Name\r\n\r\n");
    ADDS("");
    ADDS("\r\n--" B "\r\n");
    ADDS("Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".png\"\r\n");
    ADDS("Content-Type: image/png\r\n");
    ADDS("X-Other: ignored\r\n\r\n");
    ADD(tricky, sizeof tricky - 1);
    ADDS("\r\n--" B "--\r\nepilogue \r\n--" B "\r\n ignored too");
    body_len = n;
    snprintf(want, sizeof want, "<GroupId||>group-20240101000000-abcde</><Name||></><file|f:a \"b\".png|image/png>");
    size_t w = strlen(want);
    memcpy(want + w, tricky, sizeof tricky - 1);
    memcpy(want + w + sizeof tricky - 1, "</>", 4);
}

static int same_as_want(const struct rec *r)
{
    /* want holds a NUL inside (from tricky): compare by the known length. */
    size_t prefix = strlen(want);
    size_t total = prefix + 1 + strlen(want + prefix + 1);
    return r->len == total && memcmp(r->log, want, total) == 0;
}

static void test_multipart_whole_body(void)
{
    build_body();
    struct rec r;
    CHECK(run(B, body, body_len, NULL, 0, &r) == MULTIPART_OK);
    CHECK(same_as_want(&r));
}

static void test_multipart_every_chunk_size(void)
{
    build_body();
    struct rec r;
    for (size_t size = 1; size <= body_len; size++) {
        enum multipart_result e = run(B, body, body_len, &size, 1, &r);
        if (e != MULTIPART_OK || !same_as_want(&r)) {
            fprintf(stderr, "  chunk size %zu: %s\n", size, multipart_result_str(e));
            CHECK(0);
            return;
        }
    }
}

static void test_multipart_random_splits(void)
{
    build_body();
    struct rec r;
    srand(12345);
    for (int iter = 0; iter < 3000; iter++) {
        size_t cuts[64];
        for (size_t i = 0; i < 64; i++)
            cuts[i] = 1 + (size_t)rand() % (iter % 3 == 0 ? 4 : 97);
        enum multipart_result e = run(B, body, body_len, cuts, 64, &r);
        if (e != MULTIPART_OK || !same_as_want(&r)) {
            fprintf(stderr, "  random split %d: %s\n", iter, multipart_result_str(e));
            CHECK(0);
            return;
        }
    }
}

/* The large-part test counts and compares content instead of logging it. */
static struct {
    const char *data;
    size_t got, bad, begins, ends, calls;
} big;

static int big_begin(void *ctx, const struct multipart_part *p)
{
    big.begins++;
    return strcmp(p->name, "file") != 0;
}

static int big_data(void *ctx, const char *p, size_t n)
{
    if (memcmp(p, big.data + big.got, n) != 0)
        big.bad++;
    big.calls++;
    big.got += n;
    return 0;
}

static int big_end(void *ctx)
{
    big.ends++;
    return 0;
}

static void test_multipart_large_binary_part(void)
{
    /* 1 MiB of bytes full of CRs, LFs and dashes, fed in odd chunks. */
    size_t n = 1 << 20;
    char *data = malloc(n);
    char *b = malloc(n + 512);
    CHECK(data && b);
    if (!data || !b)
        goto out;
    for (size_t i = 0; i < n; i++)
        data[i] = "\r\n-xy"[(i * 7 + i / 13) % 5];
    int k = snprintf(b, 512, "--" B "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n");
    memcpy(b + k, data, n);
    size_t len = (size_t)k + n;
    len += (size_t)sprintf(b + len, "\r\n--" B "--\r\n");
    static const struct multipart_callbacks bc = {big_begin, big_data, big_end};
    static const size_t sizes[] = {1, 7, 4096, 16383, 65536, 1000003};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        memset(&big, 0, sizeof big);
        big.data = data;
        struct multipart m;
        multipart_init(&m, B, &bc, NULL);
        enum multipart_result e = MULTIPART_OK;
        for (size_t at = 0; at < len && e == MULTIPART_OK; at += sizes[s])
            e = multipart_feed(&m, b + at, len - at < sizes[s] ? len - at : sizes[s]);
        CHECK(e == MULTIPART_OK);
        CHECK(multipart_finish(&m) == MULTIPART_OK);
        CHECK(big.got == n && big.bad == 0 && big.begins == 1 && big.ends == 1);
        /* Content is handed over in runs, not cut at every CR: at most one
         * run per chunk plus one of bytes held back from the chunk before. */
        CHECK(big.calls <= 2 * (len / sizes[s] + 1));
    }
out:
    free(data);
    free(b);
}

static enum multipart_result parse_str(const char *s, struct rec *r)
{
    size_t one = 1;
    struct rec r1;
    enum multipart_result whole = run(B, s, strlen(s), NULL, 0, r);
    /* Byte by byte must agree with all at once. */
    enum multipart_result bytes = run(B, s, strlen(s), &one, 1, &r1);
    CHECK(whole == bytes);
    CHECK(r->len == r1.len && memcmp(r->log, r1.log, r->len) == 0);
    return whole;
}

static void test_multipart_malformed(void)
{
    struct rec r;
    /* truncated: no close delimiter */
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nxyz", &r) == MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n", &r) == MULTIPART_MALFORMED);
    CHECK(parse_str("", &r) == MULTIPART_MALFORMED);
    CHECK(parse_str("no boundary anywhere", &r) == MULTIPART_MALFORMED);
    /* no Content-Disposition, wrong disposition type, no name, empty name */
    CHECK(parse_str("--" B "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" B "--", &r) == MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\r\n\r\nx\r\n--" B "--", &r) == MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--" B "--", &r) ==
          MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; filename=a\r\n\r\nx\r\n--" B "--", &r) ==
          MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--" B "--", &r) ==
          MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--" B "--", &r) ==
          MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nx\r\n--" B "--", &r) ==
          MULTIPART_MALFORMED);
    /* folded header line, header without colon, bare LF inside a line */
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nx\r\n--" B "--", &r) ==
          MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\r\nContent-Disposition form-data\r\n\r\nx\r\n--" B "--", &r) == MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\nx\r\n--" B "--", &r) ==
          MULTIPART_MALFORMED);
    /* the boundary followed by something else inside a part */
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--" B "x\r\n--" B "--", &r) ==
          MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "-x", &r) == MULTIPART_MALFORMED);
    CHECK(parse_str("--" B "\rX", &r) == MULTIPART_MALFORMED);
}

static void test_multipart_limits(void)
{
    struct rec r;
    /* 8 parts are fine, the 9th is not */
    char s[8192];
    size_t n = 0;
    for (int i = 0; i < 9; i++)
        n += (size_t)sprintf(s + n, "--" B "\r\nContent-Disposition: form-data; name=f%d\r\n\r\nv\r\n", i);
    sprintf(s + n, "--" B "--");
    CHECK(parse_str(s, &r) == MULTIPART_TOO_MANY);
    CHECK(r.parts == MULTIPART_PARTS_MAX);
    n = 0;
    for (int i = 0; i < 8; i++)
        n += (size_t)sprintf(s + n, "--" B "\r\nContent-Disposition: form-data; name=f%d\r\n\r\nv\r\n", i);
    sprintf(s + n, "--" B "--");
    CHECK(parse_str(s, &r) == MULTIPART_OK);
    CHECK(r.parts == 8);

    /* headers: just under the limit passes, over it fails */
    size_t cap = MULTIPART_HEADER_MAX + 100;
    char *h = malloc(cap + 256);
    CHECK(h != NULL);
    if (!h)
        return;
    for (int over = 0; over < 2; over++) {
        size_t k = (size_t)sprintf(h, "--" B "\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ");
        size_t pad = MULTIPART_HEADER_MAX - 4 - (k - strlen("--" B "\r\n")) + (size_t)over;
        memset(h + k, 'p', pad);
        k += pad;
        sprintf(h + k, "\r\n\r\nv\r\n--" B "--");
        CHECK(parse_str(h, &r) == (over ? MULTIPART_HEADER_LARGE : MULTIPART_OK));
    }
    free(h);
}

static void test_multipart_stop(void)
{
    struct rec r;
    struct multipart m;
    memset(&r, 0, sizeof r);
    r.stop_after_parts = 1;
    multipart_init(&m, B, &cbs, &r);
    const char *s = "--" B "\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--" B "--";
    CHECK(multipart_feed(&m, s, strlen(s)) == MULTIPART_STOPPED);
    CHECK(multipart_feed(&m, "x", 1) == MULTIPART_STOPPED);
    CHECK(multipart_finish(&m) == MULTIPART_STOPPED);
}

static void test_multipart_empty_parts_and_epilogue(void)
{
    struct rec r;
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--" B "--", &r) == MULTIPART_OK);
    CHECK_STR(r.log, "<a||></>");
    /* a part whose content is exactly a CR, and one ending in CR CR */
    CHECK(parse_str("--" B "\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\r\n--" B
                    "\r\nContent-Disposition: form-data; name=b; filename=\"\"\r\n\r\nq\r\r\r\n--" B "--xyz",
                    &r) == MULTIPART_OK);
    CHECK_STR(r.log, "<a||>\r</><b|f:|>q\r\r</>");
    /* a close delimiter right away: no parts */
    CHECK(parse_str("--" B "--", &r) == MULTIPART_OK);
    CHECK_STR(r.log, "");
}

static void test_multipart_boundary_header(void)
{
    char b[MULTIPART_BOUNDARY_MAX + 1];
    CHECK(multipart_boundary("multipart/form-data; boundary=abc", b) == 0);
    CHECK_STR(b, "abc");
    CHECK(multipart_boundary("Multipart/Form-Data;boundary=\"a b'()+_,-./:=?\"", b) == -1); /* space */
    CHECK(multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=\"q-1\"", b) == 0);
    CHECK_STR(b, "q-1");
    CHECK(multipart_boundary("  multipart/form-data ; boundary=----WebKitFormBoundaryx7 ;", b) == 0);
    CHECK_STR(b, "----WebKitFormBoundaryx7");
    CHECK(multipart_boundary("multipart/form-data", b) == -1);
    CHECK(multipart_boundary("multipart/form-data; boundary=", b) == -1);
    CHECK(multipart_boundary("multipart/form-data; boundary=\"\"", b) == -1);
    CHECK(multipart_boundary("multipart/mixed; boundary=abc", b) == -1);
    CHECK(multipart_boundary("multipart/form-datax; boundary=abc", b) == -1);
    CHECK(multipart_boundary("application/json", b) == -1);
    CHECK(multipart_boundary(NULL, b) == -1);
    CHECK(multipart_boundary("multipart/form-data; boundary=a; boundary=b", b) == -1);
    CHECK(multipart_boundary("multipart/form-data; boundary=\"unterminated", b) == -1);
    char longb[200];
    snprintf(longb, sizeof longb, "multipart/form-data; boundary=%071d", 0);
    CHECK(multipart_boundary(longb, b) == -1);
    snprintf(longb, sizeof longb, "multipart/form-data; boundary=%070d", 0);
    CHECK(multipart_boundary(longb, b) == 0);
    CHECK(strlen(b) == 70);
}

int main(void)
{
    RUN(test_multipart_whole_body);
    RUN(test_multipart_every_chunk_size);
    RUN(test_multipart_random_splits);
    RUN(test_multipart_large_binary_part);
    RUN(test_multipart_malformed);
    RUN(test_multipart_limits);
    RUN(test_multipart_stop);
    RUN(test_multipart_empty_parts_and_epilogue);
    RUN(test_multipart_boundary_header);
    return check_summary();
}
