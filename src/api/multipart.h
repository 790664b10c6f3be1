/* multipart.h — an incremental multipart/form-data parser (RFC 2046 §5.1,
 * RFC 7578), for bodies that arrive in chunks of any size.
 *
 * Pure: no I/O, no allocation, all state in struct multipart, so it can be
 * fuzzed as is. The caller feeds bytes as they come; the parser calls back
 * when a part begins (with its name, filename and declared content type),
 * for each run of the part's bytes, and when the part ends. A delimiter
 * split across two chunks is recognised: bytes that might begin one are
 * held back (never copied: they are a prefix of the delimiter itself) until
 * the next chunk decides. Part headers are bounded (MULTIPART_HEADER_MAX)
 * and so is the number of parts (MULTIPART_PARTS_MAX); anything malformed
 * is an error, after which the parser accepts nothing more. */
#ifndef PORTICO_API_MULTIPART_H
#define PORTICO_API_MULTIPART_H
#include <stddef.h>

#define MULTIPART_BOUNDARY_MAX 70 /* RFC 2046: 1..70 characters */
#define MULTIPART_HEADER_MAX 8192 /* all header lines of one part */
#define MULTIPART_PARTS_MAX 8
#define MULTIPART_NAME_MAX 128    /* bytes with NUL, for name and content type */
#define MULTIPART_FILENAME_MAX 256

enum multipart_result {
    MULTIPART_OK = 0,
    MULTIPART_MALFORMED,    /* not a well-formed multipart body (or truncated, at finish) */
    MULTIPART_HEADER_LARGE, /* a part's headers crossed MULTIPART_HEADER_MAX */
    MULTIPART_TOO_MANY,     /* more than MULTIPART_PARTS_MAX parts */
    MULTIPART_STOPPED,      /* a callback returned non-zero */
};

struct multipart_part {
    char name[MULTIPART_NAME_MAX];         /* Content-Disposition name= (required) */
    char filename[MULTIPART_FILENAME_MAX]; /* filename=, "" if absent */
    int has_filename;
    char content_type[MULTIPART_NAME_MAX]; /* Content-Type, "" if absent */
};

/* Each returns 0 to go on, non-zero to stop the parser (MULTIPART_STOPPED). */
struct multipart_callbacks {
    int (*part_begin)(void *ctx, const struct multipart_part *part);
    int (*part_data)(void *ctx, const char *data, size_t n); /* n > 0 */
    int (*part_end)(void *ctx);
};

struct multipart {
    const struct multipart_callbacks *cb;
    void *ctx;
    char delim[MULTIPART_BOUNDARY_MAX + 5]; /* "\r\n--" boundary */
    size_t delim_len;
    size_t match;   /* bytes of delim matched so far (held back) */
    int state;      /* enum in multipart.c */
    int sub;        /* state-specific progress (after a delimiter) */
    int parts;      /* parts begun */
    enum multipart_result error;
    size_t hlen;    /* bytes in hdr */
    char hdr[MULTIPART_HEADER_MAX];
    struct multipart_part part;
};

/* The boundary parameter of a Content-Type header, if the type is
 * multipart/form-data: 0 and out filled (NUL-terminated), else -1. */
int multipart_boundary(const char *content_type, char out[static MULTIPART_BOUNDARY_MAX + 1]);

void multipart_init(struct multipart *m, const char *boundary, const struct multipart_callbacks *cb, void *ctx);
/* Feeds the next n bytes. Once it has returned an error it returns the
 * same error for every later call. */
enum multipart_result multipart_feed(struct multipart *m, const char *p, size_t n);
/* The body is complete: MULTIPART_OK only if the closing delimiter was seen. */
enum multipart_result multipart_finish(struct multipart *m);
const char *multipart_result_str(enum multipart_result r);

#endif
