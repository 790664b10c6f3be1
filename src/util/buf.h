/* buf.h — a growable byte buffer that knows its limit.
 *
 * Every byte Portico reads from the network goes through a buf initialised
 * with the largest size it may ever reach; an append past that limit fails
 * cleanly (BUF_TOO_LARGE, contents unchanged) so callers answer
 * PayloadTooLarge instead of growing without bound. Running out of memory
 * below the limit is a different failure (BUF_NOMEM): the request was not
 * too large, the server could not hold it, and is answered so. Both are
 * negative, so `if (buf_append(..))` and `< 0` tests still mean "failed".
 * data is always NUL-terminated. */
#ifndef PORTICO_BUF_H
#define PORTICO_BUF_H
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

enum buf_result {
    BUF_OK = 0,
    BUF_TOO_LARGE = -1, /* the append would pass max: contents unchanged */
    BUF_NOMEM = -2,     /* malloc failed (or printf could not format): contents unchanged */
};

void buf_init(struct buf *b, size_t max);
/* BUF_OK, BUF_TOO_LARGE or BUF_NOMEM (enum buf_result as an int). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
/* Makes room for extra more bytes, so that appending them will not
 * allocate; the same results as buf_append, contents unchanged. */
int buf_reserve(struct buf *b, size_t extra);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands ownership of the data to the caller (never NULL) and empties b. */
char *buf_take(struct buf *b);

/* A fixed write window (cap bytes at win, *len of them used) in front of a
 * slower writer: copies as much of the *n bytes at *p as fits, advancing
 * *p and *n. 1 when the window is then full: the caller writes it out and
 * sets *len to 0. */
int buf_window_fill(char *win, size_t cap, size_t *len, const char **p, size_t *n);

#endif
