/* progress.c — transfer bars and wait boards on stderr; see progress.h. */
#include "cli/progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/table.h"

void cli_human_bytes(int64_t n, char out[static 32])
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (n < 1024) {
        snprintf(out, 32, "%" PRId64 " B", n < 0 ? (int64_t)0 : n);
        return;
    }
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    snprintf(out, 32, "%.1f %s", v, units[u]);
}

int cli_bar_format(struct buf *out, const char *label, int64_t done, int64_t total, int bar_cols)
{
    char d[32], t[32];
    int filled = 0;
    if (bar_cols < 1)
        bar_cols = 1;
    if (done < 0)
        done = 0;
    if (total > 0) {
        if (done > total)
            done = total;
        filled = (int)((double)done * bar_cols / (double)total);
    }
    if (cli_text_sanitise(out, label) != 0 || buf_puts(out, "  [") != 0)
        return -1;
    for (int i = 0; i < bar_cols; i++)
        if (buf_puts(out, i < filled ? "\xe2\x96\x88" /* █ */ : "\xe2\x96\x91" /* ░ */) != 0)
            return -1;
    cli_human_bytes(done, d);
    if (total > 0) {
        cli_human_bytes(total, t);
        return buf_printf(out, "]  %3d%%  %s/%s", (int)(done * 100 / total), d, t);
    }
    return buf_printf(out, "]  %s", d);
}

const char *cli_spinner(unsigned tick)
{
    static const char *const frames[] = {"\xe2\xa0\x8b", "\xe2\xa0\x99", "\xe2\xa0\xb9", "\xe2\xa0\xb8",
                                         "\xe2\xa0\xbc", "\xe2\xa0\xb4", "\xe2\xa0\xa6", "\xe2\xa0\xa7",
                                         "\xe2\xa0\x87", "\xe2\xa0\x8f"};
    return frames[tick % (sizeof frames / sizeof frames[0])];
}

void cli_board_draw(struct cli_board *b, const char *text)
{
    struct buf o;
    buf_init(&o, 1 << 20);
    /* Back to the first line drawn last time, then each line rewritten and
     * cleared to its end, so a shorter line leaves no tail behind. */
    if (b->lines > 0)
        buf_printf(&o, "\r\033[%dA", b->lines);
    else
        buf_puts(&o, "\r");
    int n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        buf_puts(&o, "\033[2K");
        buf_append(&o, p, len);
        buf_puts(&o, "\n");
        n++;
        p += len + (nl ? 1 : 0);
    }
    fwrite(o.data ? o.data : "", 1, o.len, stderr);
    fflush(stderr);
    buf_free(&o);
    b->lines = n;
}

void cli_board_keep(struct cli_board *b)
{
    b->lines = 0;
}

int cli_progress_tty(void)
{
    const char *term = getenv("TERM");
    return isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
}
