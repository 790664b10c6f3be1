/* test_cli_format.c — the portico CLI's terminal output: table alignment
 * by display width, sanitising of control characters, key/value lines,
 * progress bars, and the QR renderer (read back module by module). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli/progress.h"
#include "cli/qr.h"
#include "cli/table.h"

static void test_table_aligns_columns_and_leaves_no_trailing_space(void)
{
    static const char *const hdr[] = {"ID", "NAME", "STATUS"};
    struct cli_table t;
    struct buf out;
    buf_init(&out, 1 << 16);
    CHECK(cli_table_init(&t, 3, hdr) == 0);
    const char *r1[] = {"asset-1", "face", "Active"};
    const char *r2[] = {"asset-22", "a longer name", ""};
    CHECK(cli_table_add(&t, r1) == 0);
    CHECK(cli_table_add(&t, r2) == 0);
    CHECK(cli_table_render(&t, &out) == 0);
    CHECK_STR(out.data, "ID        NAME           STATUS\n"
                        "asset-1   face           Active\n"
                        "asset-22  a longer name\n");
    cli_table_free(&t);
    buf_free(&out);
}

static void test_table_counts_wide_characters_as_two_columns(void)
{
    static const char *const hdr[] = {"NAME", "X"};
    struct cli_table t;
    struct buf out;
    buf_init(&out, 1 << 16);
    cli_table_init(&t, 2, hdr);
    const char *r1[] = {"\xe8\x82\x96\xe5\x83\x8f", "1"}; /* 肖像: 4 columns */
    const char *r2[] = {"caf\xc3\xa9", "2"};                /* café: 4 columns */
    cli_table_add(&t, r1);
    cli_table_add(&t, r2);
    cli_table_render(&t, &out);
    CHECK_STR(out.data, "NAME  X\n\xe8\x82\x96\xe5\x83\x8f  1\ncaf\xc3\xa9  2\n");
    CHECK(cli_text_width("\xe8\x82\x96\xe5\x83\x8f") == 4);
    CHECK(cli_text_width("abc") == 3);
    cli_table_free(&t);
    buf_free(&out);
}

static void test_control_characters_never_reach_the_terminal(void)
{
    struct buf out;
    buf_init(&out, 1 << 16);
    CHECK(cli_text_sanitise(&out, "a\x1b[2Jb\nc\x7f\xc2\x9b" "d\xff") == 0);
    CHECK_STR(out.data, "a?[2Jb?c??d?");
    CHECK(cli_text_valid("caf\xc3\xa9"));
    CHECK(!cli_text_valid("bad\xff"));
    CHECK(!cli_text_valid("\xed\xa0\x80")); /* a UTF-16 surrogate */
    CHECK(!cli_text_valid("\xc0\xaf"));     /* overlong '/' */
    buf_free(&out);
}

static void test_kv_lines_align_and_skip_missing(void)
{
    struct buf out;
    buf_init(&out, 1 << 16);
    const char *pairs[] = {"Id", "g-1", "FailureReason", NULL, "UpstreamStatus", "Active", NULL};
    CHECK(cli_kv_render(&out, pairs) == 0);
    CHECK_STR(out.data, "Id:              g-1\nUpstreamStatus:  Active\n");
    buf_free(&out);
}

static void test_progress_bar(void)
{
    struct buf out;
    buf_init(&out, 1 << 16);
    CHECK(cli_bar_format(&out, "a.png", 512, 1024, 4) == 0);
    CHECK_STR(out.data, "a.png  [\xe2\x96\x88\xe2\x96\x88\xe2\x96\x91\xe2\x96\x91]   50%  512 B/1.0 KiB");
    buf_reset(&out);
    cli_bar_format(&out, "b", 5000, 1000, 2); /* clamped */
    CHECK(strstr(out.data, "100%") != NULL);
    buf_reset(&out);
    cli_bar_format(&out, "c", 10, 0, 2); /* unknown total */
    CHECK_STR(out.data, "c  [\xe2\x96\x91\xe2\x96\x91]  10 B");
    char h[32];
    cli_human_bytes(3 * 1024 * 1024 + 512 * 1024, h);
    CHECK_STR(h, "3.5 MiB");
    buf_free(&out);
}

/* Reads a rendered code back: each text row is two module rows. */
static int read_back(const char *text, int side, unsigned char *m)
{
    const char *p = text;
    for (int y = 0; y < side; y += 2) {
        if (strncmp(p, "\033[30;47m", 8) != 0)
            return -1;
        p += 8;
        for (int x = 0; x < side; x++) {
            int top, bottom;
            if (!strncmp(p, "\xe2\x96\x88", 3))
                top = bottom = 1, p += 3;
            else if (!strncmp(p, "\xe2\x96\x80", 3))
                top = 1, bottom = 0, p += 3;
            else if (!strncmp(p, "\xe2\x96\x84", 3))
                top = 0, bottom = 1, p += 3;
            else if (*p == ' ')
                top = bottom = 0, p++;
            else
                return -1;
            m[y * side + x] = (unsigned char)top;
            if (y + 1 < side)
                m[(y + 1) * side + x] = (unsigned char)bottom;
            else if (bottom)
                return -1;
        }
        if (strncmp(p, "\033[0m\n", 5) != 0)
            return -1;
        p += 5;
    }
    return *p ? -1 : 0;
}

static void test_qr_renders_every_module(void)
{
    enum { W = 5, Q = 1, SIDE = W + 2 * Q };
    unsigned char in[W * W], back[SIDE * SIDE];
    for (int i = 0; i < W * W; i++)
        in[i] = (unsigned char)((i * 7 + i / 3) % 3 == 0); /* bit 0 = dark, as libqrencode */
    struct buf out;
    buf_init(&out, 1 << 16);
    CHECK(cli_qr_render(in, W, Q, &out) == 0);
    CHECK(read_back(out.data, SIDE, back) == 0);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            int want = x >= Q && y >= Q && x < W + Q && y < W + Q ? in[(y - Q) * W + (x - Q)] & 1 : 0;
            CHECK(back[y * SIDE + x] == want);
        }
    buf_free(&out);
}

static void test_qr_of_a_link_has_finder_patterns(void)
{
    struct buf out;
    buf_init(&out, 1 << 20);
    CHECK(cli_qr_text("http://127.0.0.1:8081/h5/liveness?token=0123456789abcdef&lng=en", &out) == 0);
    /* The first code row starts with a finder pattern's top edge: 7 dark
     * modules over 7 (the quiet zone of 2 is the first text row). */
    const char *row = strchr(out.data, '\n') + 1;
    CHECK(strncmp(row, "\033[30;47m  \xe2\x96\x88\xe2\x96\x80\xe2\x96\x80\xe2\x96\x80\xe2\x96\x80\xe2\x96\x80\xe2\x96\x88", 8 + 2 + 21) == 0);
    buf_free(&out);
}

int main(void)
{
    RUN(test_table_aligns_columns_and_leaves_no_trailing_space);
    RUN(test_table_counts_wide_characters_as_two_columns);
    RUN(test_control_characters_never_reach_the_terminal);
    RUN(test_kv_lines_align_and_skip_missing);
    RUN(test_progress_bar);
    RUN(test_qr_renders_every_module);
    RUN(test_qr_of_a_link_has_finder_patterns);
    return check_summary();
}
