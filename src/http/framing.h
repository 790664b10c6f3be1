/* framing.h — strict request framing and the raw query string.
 *
 * A request whose head can be read two ways is refused before its body is
 * read (RFC 9112 §6.3, §5.1, §3.2): a front proxy and Portico must never
 * disagree about where one request ends and the next begins. The front
 * feeds every header line libmicrohttpd kept (duplicates included, names as
 * sent) to http_framing_add, then asks http_framing_verdict.
 *
 * The query string is read raw, byte-exactly, because libmicrohttpd's own
 * argument lookup matches names case-insensitively, keeps the first of
 * several and cuts a value at a decoded %00. */
#ifndef PORTICO_HTTP_FRAMING_H
#define PORTICO_HTTP_FRAMING_H
#include <stddef.h>
#include <stdint.h>

struct http_framing {
    int content_lengths;    /* Content-Length lines */
    int transfer_encodings; /* Transfer-Encoding lines */
    int hosts;              /* Host lines */
    int te_not_chunked;     /* a Transfer-Encoding other than exactly "chunked" */
    int cl_invalid;         /* a Content-Length that is not 1..18 digits */
    int bad_name;           /* a name with a byte a token may not hold (space before ':', NUL, ...) */
    uint64_t content_length;
};

void http_framing_add(struct http_framing *f, const char *name, size_t name_len, const char *value,
                      size_t value_len);
/* NULL when the head is unambiguous, else one sentence saying why not. */
const char *http_framing_verdict(const struct http_framing *f);

enum http_query_result {
    HTTP_QUERY_ABSENT = 0,
    HTTP_QUERY_OK,
    HTTP_QUERY_INVALID, /* repeated, spelled in another case, a bad escape,
                           a control byte, or longer than cap - 1 */
};

/* The one value of parameter name in query (the raw text after '?', up to
 * an optional '#'), percent-decoded into out. Names are compared byte for
 * byte after decoding; a name equal to name but for case makes the query
 * INVALID, as does a second occurrence. */
enum http_query_result http_query_param(const char *query, const char *name, char *out, size_t cap);

#endif
