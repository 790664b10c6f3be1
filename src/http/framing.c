/* framing.c — strict request framing and the raw query string; see framing.h.
 *
 * Invariant: nothing here trusts libmicrohttpd to have chosen between two
 * readings of a request; every duplicate it kept is counted. */
#include "http/framing.h"
#include "util/crypto.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2 tchar. */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return 1;
    }
    return 0;
}

#define NAME_IS(name, len, want) ((len) == sizeof want - 1 && strncasecmp(name, want, len) == 0)

void http_framing_add(struct http_framing *f, const char *name, size_t name_len, const char *value,
                      size_t value_len)
{
    if (!name_len)
        f->bad_name = 1;
    for (size_t i = 0; i < name_len; i++)
        if (!is_tchar((unsigned char)name[i]))
            f->bad_name = 1;
    if (!value)
        value_len = 0;
    if (NAME_IS(name, name_len, "Content-Length")) {
        f->content_lengths++;
        uint64_t n = 0;
        if (value_len == 0 || value_len > 18)
            f->cl_invalid = 1;
        for (size_t i = 0; i < value_len && !f->cl_invalid; i++) {
            if (value[i] < '0' || value[i] > '9')
                f->cl_invalid = 1;
            n = n * 10 + (uint64_t)(value[i] - '0');
        }
        f->content_length = n;
    } else if (NAME_IS(name, name_len, "Transfer-Encoding")) {
        f->transfer_encodings++;
        if (!(value_len == 7 && strncasecmp(value, "chunked", 7) == 0))
            f->te_not_chunked = 1;
    } else if (NAME_IS(name, name_len, "Host")) {
        f->hosts++;
    }
}

const char *http_framing_verdict(const struct http_framing *f)
{
    if (f->bad_name)
        return "A header name holds a space, a control byte or another character names may not hold "
               "(no whitespace before the colon).";
    if (f->content_lengths > 1)
        return "Content-Length is sent more than once; send it once.";
    if (f->cl_invalid)
        return "Content-Length must be a decimal number of bytes.";
    if (f->transfer_encodings && f->content_lengths)
        return "Content-Length and Transfer-Encoding are both sent; send one of them.";
    if (f->transfer_encodings > 1 || f->te_not_chunked)
        return "Transfer-Encoding must be sent once, as exactly \"chunked\".";
    if (f->hosts > 1)
        return "Host is sent more than once; send it once.";
    return NULL;
}

/* Decodes [p, end) into out (cap bytes incl. the NUL); -1 on a bad escape,
 * a control byte, or overflow. */
static int decode(const char *p, const char *end, char *out, size_t cap)
{
    size_t n = 0;
    while (p < end) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = p + 1 < end ? crypto_hex_digit(p[1]) : -1, lo = p + 2 < end ? crypto_hex_digit(p[2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            p += 3;
        } else {
            if (c == '+')
                c = ' ';
            p++;
        }
        if (c < 0x20 || c == 0x7f)
            return -1;
        if (n + 1 >= cap)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

/* strncasecmp(a, b, n) == 0 in the C locale (ASCII letters only), without
 * its locale lookup. */
static int ascii_caseeq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int x = (unsigned char)a[i], y = (unsigned char)b[i];
        x += x >= 'A' && x <= 'Z' ? 32 : 0;
        y += y >= 'A' && y <= 'Z' ? 32 : 0;
        if (x != y)
            return 0;
        if (!x)
            break;
    }
    return 1;
}

/* 1 unless [p, end) decodes to itself but for '+' (decode's space): no
 * escape, no control byte. */
static int needs_decoding(const char *p, const char *end)
{
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%' || c < 0x20 || c == 0x7f)
            return 1;
    }
    return 0;
}

enum http_query_result http_query_param(const char *query, const char *name, char *out, size_t cap)
{
    enum http_query_result res = HTTP_QUERY_ABSENT;
    size_t want = strlen(name);
    if (!query || cap == 0)
        return HTTP_QUERY_ABSENT;
    const char *end = query + strcspn(query, "#");
    for (const char *p = query; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *name_end = eq ? eq : stop;
        char got[64];
        size_t raw = (size_t)(name_end - p);
        if (raw != want && raw < sizeof got && !needs_decoding(p, name_end)) {
            /* decodes to itself ('+' to a space), so never to name */
        } else if (decode(p, name_end, got, sizeof got) != 0) {
            /* An undecodable name is only ours to refuse if it may be ours. */
            if (ascii_caseeq(p, name, raw < want ? raw : want))
                return HTTP_QUERY_INVALID;
        } else if (ascii_caseeq(got, name, want + 1)) {
            if (strcmp(got, name) != 0 || res != HTTP_QUERY_ABSENT)
                return HTTP_QUERY_INVALID;
            if (decode(eq ? eq + 1 : stop, stop, out, cap) != 0)
                return HTTP_QUERY_INVALID;
            res = HTTP_QUERY_OK;
        }
        p = amp ? amp + 1 : end;
    }
    return res;
}
