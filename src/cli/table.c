/* table.c — column alignment and terminal-safe text; see table.h. Pure. */
#include "cli/table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 code point at s; returns its length in bytes, or 0
 * for an invalid sequence (the caller takes one byte as '?'). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    uint32_t c, min;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2, c = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, c = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

static int is_control(uint32_t c)
{
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0);
}

/* The wide ranges of Unicode's East Asian Width property that matter for
 * names people type: Hangul, CJK, Hiragana/Katakana, full-width forms. */
static int is_wide(uint32_t c)
{
    return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
           (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
           (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
           (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

size_t cli_text_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t c;
        size_t n = utf8_next(p, &c);
        if (n == 0) {
            w++, p++;
            continue;
        }
        w += (!is_control(c) && is_wide(c)) ? 2 : 1;
        p += n;
    }
    return w;
}

int cli_text_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c;
        size_t n = utf8_next(p, &c);
        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

int cli_text_sanitise(struct buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t c;
        size_t n = utf8_next(p, &c);
        if (n == 0 || is_control(c)) {
            if (buf_append(out, "?", 1) != 0)
                return -1;
            p += n ? n : 1;
            continue;
        }
        if (buf_append(out, p, n) != 0)
            return -1;
        p += n;
    }
    return 0;
}

int cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers)
{
    memset(t, 0, sizeof *t);
    if (ncols == 0 || ncols > CLI_TABLE_MAX_COLS)
        return -1;
    t->ncols = ncols;
    t->nrows = (size_t)-1; /* the header row is added as row "-1" */
    int r = cli_table_add(t, headers);
    t->nrows = 0;
    return r;
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
    size_t used = (t->nrows + 1) * t->ncols; /* wraps to 0 for the header */
    if (used + t->ncols > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : t->ncols * 16;
        char **p = realloc(t->cells, cap * sizeof *p);
        if (!p)
            return -1;
        t->cells = p;
        t->cap = cap;
    }
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[used + i] = NULL;
    for (size_t i = 0; i < t->ncols; i++) {
        char *c = strdup(cells[i] ? cells[i] : "");
        if (!c) {
            for (size_t j = 0; j < i; j++) {
                free(t->cells[used + j]);
                t->cells[used + j] = NULL;
            }
            return -1;
        }
        t->cells[used + i] = c;
    }
    t->nrows++;
    return 0;
}

int cli_table_render(const struct cli_table *t, struct buf *out)
{
    size_t width[CLI_TABLE_MAX_COLS] = {0};
    for (size_t r = 0; r <= t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = cli_text_width(t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r <= t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            if (cli_text_sanitise(out, cell) != 0)
                return -1;
            if (c + 1 == t->ncols)
                break;
            for (size_t pad = width[c] - cli_text_width(cell) + 2; pad > 0; pad--)
                if (buf_append(out, " ", 1) != 0)
                    return -1;
        }
        /* The last column may be empty: trailing spaces were never written. */
        while (out->len && out->data[out->len - 1] == ' ')
            out->data[--out->len] = '\0';
        if (buf_append(out, "\n", 1) != 0)
            return -1;
    }
    return 0;
}

void cli_table_free(struct cli_table *t)
{
    size_t n = (t->nrows + 1) * t->ncols;
    for (size_t i = 0; t->cells && i < n; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

int cli_kv_render(struct buf *out, const char *const *pairs)
{
    size_t w = 0;
    for (size_t i = 0; pairs[i]; i += 2)
        if (pairs[i + 1] && strlen(pairs[i]) > w)
            w = strlen(pairs[i]);
    for (size_t i = 0; pairs[i]; i += 2) {
        if (!pairs[i + 1])
            continue;
        if (buf_printf(out, "%s:%*s", pairs[i], (int)(w - strlen(pairs[i]) + 2), "") != 0 ||
            cli_text_sanitise(out, pairs[i + 1]) != 0 || buf_append(out, "\n", 1) != 0)
            return -1;
    }
    return 0;
}
