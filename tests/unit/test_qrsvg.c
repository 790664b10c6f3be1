/* test_qrsvg.c — util/qrsvg.c: the SVG of a module matrix, exactly; the
 * SVG of a text read back into modules equals libqrencode's own matrix;
 * long links fall back to level L; nothing of the text reaches the markup;
 * texts no QR code holds are refused. */
#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>

#include "check.h"
#include "util/qrsvg.h"

static void test_render_exact(void)
{
    /* 3x3: a dark top row, a lone centre, two at the bottom right */
    const unsigned char m[9] = {1, 1, 1, 0, 1, 0, 0, 1, 1};
    struct buf b;
    buf_init(&b, 4096);
    CHECK(qrsvg_render(m, 3, &b) == QRSVG_OK);
    CHECK_STR(b.data, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 11 11\" width=\"66\" height=\"66\" "
                      "shape-rendering=\"crispEdges\"><rect width=\"11\" height=\"11\" fill=\"#fff\"/>"
                      "<path fill=\"#000\" d=\"M4 4h3v1h-3zM5 5h1v1h-1zM5 6h2v1h-2z\"/></svg>\n");
    buf_free(&b);
    /* the limit of the buffer is an error, not a cut document */
    buf_init(&b, 64);
    CHECK(qrsvg_render(m, 3, &b) == QRSVG_NOMEM);
    buf_free(&b);
}

/* The modules the path draws, read back: width x width, or NULL. */
static unsigned char *modules_of(const char *svg, int *width)
{
    int side = 0;
    const char *v = strstr(svg, "viewBox=\"0 0 ");
    if (!v || sscanf(v, "viewBox=\"0 0 %d", &side) != 1 || side <= 2 * QRSVG_QUIET)
        return NULL;
    int w = side - 2 * QRSVG_QUIET;
    unsigned char *m = calloc((size_t)w * w, 1);
    const char *d = strstr(svg, " d=\"");
    if (!m || !d)
        return free(m), NULL;
    d += 4;
    int x, y, run, back, used;
    while (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &back, &used) == 4) {
        if (run != back || run < 1 || x - QRSVG_QUIET < 0 || y - QRSVG_QUIET < 0 || y - QRSVG_QUIET >= w ||
            x - QRSVG_QUIET + run > w)
            return free(m), NULL;
        for (int i = 0; i < run; i++)
            m[(y - QRSVG_QUIET) * w + x - QRSVG_QUIET + i] = 1;
        d += used;
    }
    if (*d != '"')
        return free(m), NULL;
    *width = w;
    return m;
}

static void check_round_trip(const char *text, QRecLevel level)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    CHECK(qrsvg_make(text, &b) == QRSVG_OK);
    QRcode *q = QRcode_encodeString(text, 0, level, QR_MODE_8, 1);
    CHECK(q != NULL);
    int w = 0;
    unsigned char *m = b.data ? modules_of(b.data, &w) : NULL;
    CHECK(m != NULL);
    if (q && m) {
        CHECK(w == q->width);
        int same = w == q->width;
        for (int i = 0; same && i < w * w; i++)
            same = m[i] == (q->data[i] & 1);
        CHECK(same);
    }
    free(m);
    if (q)
        QRcode_free(q);
    buf_free(&b);
}

static void test_round_trip(void)
{
    check_round_trip("http://127.0.0.1:8080/h5/liveness?token=20260521162915BF9DC22A7A65ADF905D8&lng=en",
                     QR_ECLEVEL_M);
    /* 2600 bytes: over level M's 2331 at version 40, within L's 2953 */
    char *long_link = malloc(2601);
    memcpy(long_link, "https://kyc.example.test/?sessionToken=", 39);
    for (int i = 39; i < 2600; i++)
        long_link[i] = "abcdefghijklmnopqrstuvwxyz-_.~"[i % 30];
    long_link[2600] = '\0';
    errno = 0;
    CHECK(QRcode_encodeString(long_link, 0, QR_ECLEVEL_M, QR_MODE_8, 1) == NULL && errno == ERANGE);
    check_round_trip(long_link, QR_ECLEVEL_L);
    free(long_link);
}

static void test_text_never_in_markup(void)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    CHECK(qrsvg_make("https://x.test/\"><script>alert(1)</script><svg onload=alert(2)>", &b) == QRSVG_OK);
    CHECK(b.data && !strstr(b.data, "script") && !strstr(b.data, "onload") && !strstr(b.data, "x.test"));
    /* only the fixed markup and path data */
    const char *d = b.data ? strstr(b.data, " d=\"") : NULL;
    CHECK(d != NULL);
    if (d) {
        for (d += 4; *d && *d != '"'; d++)
            CHECK(strchr("0123456789Mhvz- ", *d) != NULL);
    }
    buf_free(&b);
}

static void test_refused(void)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    CHECK(qrsvg_make("", &b) == QRSVG_TOO_LONG);
    CHECK(qrsvg_make(NULL, &b) == QRSVG_TOO_LONG);
    char *big = malloc(QRSVG_TEXT_MAX + 2);
    memset(big, 'a', QRSVG_TEXT_MAX + 1);
    big[QRSVG_TEXT_MAX + 1] = '\0';
    CHECK(qrsvg_make(big, &b) == QRSVG_TOO_LONG);
    CHECK(b.len == 0);
    /* exactly the limit: 8-bit data that no other mode shortens fits 40-L */
    big[QRSVG_TEXT_MAX] = '\0';
    memset(big, 0xC3, QRSVG_TEXT_MAX);
    CHECK(qrsvg_make(big, &b) == QRSVG_OK);
    CHECK(b.len > 0 && strncmp(b.data, "<svg", 4) == 0);
    free(big);
    buf_free(&b);
}

int main(void)
{
    RUN(test_render_exact);
    RUN(test_round_trip);
    RUN(test_text_never_in_markup);
    RUN(test_refused);
    return check_summary();
}
