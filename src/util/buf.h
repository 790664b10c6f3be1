/* buf.h — a growable byte buffer that knows its limit.
 *
 * Every byte Portico reads from the network goes through a buf initialised
 * with the largest size it may ever reach; an append past that limit fails
 * cleanly (returns -1, contents unchanged) so callers answer PayloadTooLarge
 * instead of growing without bound. data is always NUL-terminated. */
#ifndef PORTICO_BUF_H
#define PORTICO_BUF_H
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

void buf_init(struct buf *b, size_t max);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands ownership of the data to the caller (never NULL) and empties b. */
char *buf_take(struct buf *b);

#endif
