/* table.h — human-readable output: aligned columns and key/value lists.
 *
 * Invariant: every cell is sanitised before it reaches the terminal — a
 * control character in a name another program stored (an escape sequence,
 * a newline) is shown as '?', never interpreted. Widths count terminal
 * columns (East Asian wide characters take two), not bytes. */
#ifndef PORTICO_CLI_TABLE_H
#define PORTICO_CLI_TABLE_H
#include <stddef.h>

#include "util/buf.h"

#define CLI_TABLE_MAX_COLS 8

struct cli_table {
    size_t ncols;
    size_t nrows; /* without the header */
    size_t cap;
    char **cells; /* (nrows + 1) * ncols; row 0 is the header */
};

int cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers);
/* Copies ncols cells (NULL shows as empty). 0 or -1. */
int cli_table_add(struct cli_table *t, const char *const *cells);
/* Columns separated by two spaces, the last one not padded, one row a line. */
int cli_table_render(const struct cli_table *t, struct buf *out);
void cli_table_free(struct cli_table *t);

/* Terminal columns s takes once sanitised (invalid UTF-8 bytes count 1). */
size_t cli_text_width(const char *s);
/* Whether s is valid UTF-8 throughout. */
int cli_text_valid(const char *s);
/* Appends s with control characters (C0, DEL, C1) and invalid UTF-8 bytes
 * replaced by '?'. 0 or -1. */
int cli_text_sanitise(struct buf *out, const char *s);
/* "Key: value" lines with the values aligned; pairs is key, value, ...,
 * NULL. A NULL value skips the line. */
int cli_kv_render(struct buf *out, const char *const *pairs);

#endif
