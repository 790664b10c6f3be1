/* multipart.c — the incremental multipart/form-data parser; see multipart.h.
 *
 * The body is read as  preamble, then per part  delimiter, optional
 * whitespace, CRLF, header lines, CRLF, content  and finally the close
 * delimiter ("--" right after a delimiter) and an epilogue that is ignored.
 * The delimiter is CRLF "--" boundary; the parser starts as if a CRLF had
 * just been seen, so a boundary on the body's first line counts too.
 *
 * Invariant: CR occurs in the delimiter only at its first byte (boundary
 * characters never include it), so when a partial match fails the held-back
 * bytes cannot contain the start of another match: they are data, and the
 * failing byte is looked at again from scratch. */
#include "api/multipart.h"

#include <string.h>
#include <strings.h>

enum { ST_PREAMBLE, ST_AFTER_DELIM, ST_HEADERS, ST_BODY, ST_EPILOGUE, ST_ERROR };

const char *multipart_result_str(enum multipart_result r)
{
    switch (r) {
    case MULTIPART_OK: return "ok";
    case MULTIPART_MALFORMED: return "malformed";
    case MULTIPART_HEADER_LARGE: return "part headers too large";
    case MULTIPART_TOO_MANY: return "too many parts";
    case MULTIPART_STOPPED: return "stopped";
    }
    return "?";
}

/* ---- Content-Type and Content-Disposition values ---- */

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 7230 tchar. */
static int is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 2046 bchars (without the space, which may not end a boundary and
 * which we do not accept in the middle either: no client sends it). */
static int is_bchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("'()+_,-./:=?", c) != NULL);
}

/* A cursor over a header value [p, end). */
struct cur {
    const char *p, *end;
};

static void skip_ows(struct cur *c)
{
    while (c->p < c->end && is_ows(*c->p))
        c->p++;
}

/* A token into out (cap with NUL); -1 if empty or too long. */
static int take_token(struct cur *c, char *out, size_t cap)
{
    size_t n = 0;
    while (c->p < c->end && is_tchar(*c->p)) {
        if (n + 1 >= cap)
            return -1;
        out[n++] = *c->p++;
    }
    out[n] = '\0';
    return n ? 0 : -1;
}

/* A token or quoted-string into out; a value longer than cap is cut when
 * truncate is set, else an error. */
static int take_value(struct cur *c, char *out, size_t cap, int truncate)
{
    size_t n = 0;
    if (c->p < c->end && *c->p == '"') {
        c->p++;
        for (;;) {
            if (c->p >= c->end)
                return -1; /* unterminated */
            char ch = *c->p++;
            if (ch == '"')
                break;
            if (ch == '\\') {
                if (c->p >= c->end)
                    return -1;
                ch = *c->p++;
            }
            if (n + 1 < cap)
                out[n++] = ch;
            else if (!truncate)
                return -1;
        }
        out[n] = '\0';
        return 0;
    }
    while (c->p < c->end && is_tchar(*c->p)) {
        if (n + 1 < cap)
            out[n++] = *c->p;
        else if (!truncate)
            return -1;
        c->p++;
    }
    out[n] = '\0';
    return n ? 0 : -1;
}

/* Walks "; key=value" parameters after a media type or disposition type,
 * calling fn for each; -1 on a syntax error or when fn fails. */
static int each_param(struct cur *c, int (*fn)(void *arg, const char *key, struct cur *c), void *arg)
{
    for (;;) {
        skip_ows(c);
        if (c->p >= c->end)
            return 0;
        if (*c->p++ != ';')
            return -1;
        skip_ows(c);
        if (c->p >= c->end)
            return 0; /* a trailing ';' is common enough to forgive */
        char key[32];
        if (take_token(c, key, sizeof key) != 0)
            return -1;
        skip_ows(c);
        if (c->p >= c->end || *c->p++ != '=')
            return -1;
        skip_ows(c);
        if (fn(arg, key, c) != 0)
            return -1;
    }
}

static int boundary_param(void *arg, const char *key, struct cur *c)
{
    char *out = arg;
    char v[MULTIPART_BOUNDARY_MAX + 2];
    if (take_value(c, v, sizeof v, 0) != 0)
        return -1;
    if (strcasecmp(key, "boundary") != 0)
        return 0;
    if (out[0])
        return -1; /* two boundaries: which one? */
    size_t n = strlen(v);
    if (n == 0 || n > MULTIPART_BOUNDARY_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!is_bchar(v[i]))
            return -1;
    memcpy(out, v, n + 1);
    return 0;
}

int multipart_boundary(const char *content_type, char out[static MULTIPART_BOUNDARY_MAX + 1])
{
    out[0] = '\0';
    if (!content_type)
        return -1;
    struct cur c = {content_type, content_type + strlen(content_type)};
    skip_ows(&c);
    static const char type[] = "multipart/form-data";
    if ((size_t)(c.end - c.p) < sizeof type - 1 || strncasecmp(c.p, type, sizeof type - 1) != 0)
        return -1;
    c.p += sizeof type - 1;
    if (c.p < c.end && !is_ows(*c.p) && *c.p != ';')
        return -1; /* multipart/form-dataX */
    if (each_param(&c, boundary_param, out) != 0 || !out[0]) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

struct disposition {
    struct multipart_part *part;
    int has_name;
};

static int disposition_param(void *arg, const char *key, struct cur *c)
{
    struct disposition *d = arg;
    struct multipart_part *p = d->part;
    if (strcasecmp(key, "name") == 0) {
        if (d->has_name)
            return -1;
        d->has_name = 1;
        /* take_value refuses an empty token; an empty quoted name is legal
         * syntax but names nothing, so it is refused below. */
        if (take_value(c, p->name, sizeof p->name, 0) != 0 || !p->name[0])
            return -1;
        return 0;
    }
    if (strcasecmp(key, "filename") == 0) {
        if (p->has_filename)
            return -1;
        p->has_filename = 1;
        /* filename="" (an empty file input) is legal; a long name is cut:
         * it is only ever logged. */
        return take_value(c, p->filename, sizeof p->filename, 1);
    }
    char ignored[2];
    return take_value(c, ignored, sizeof ignored, 1); /* filename*, size, ...: not ours */
}

static int parse_disposition(const char *v, size_t n, struct multipart_part *part)
{
    struct cur c = {v, v + n};
    char type[16];
    if (take_token(&c, type, sizeof type) != 0 || strcasecmp(type, "form-data") != 0)
        return -1;
    struct disposition d = {part, 0};
    if (each_param(&c, disposition_param, &d) != 0 || !d.has_name)
        return -1;
    return 0;
}

/* ---- the state machine ---- */

static void fail(struct multipart *m, enum multipart_result r)
{
    m->state = ST_ERROR;
    m->error = r;
}

void multipart_init(struct multipart *m, const char *boundary, const struct multipart_callbacks *cb, void *ctx)
{
    memset(m, 0, sizeof *m);
    m->cb = cb;
    m->ctx = ctx;
    size_t n = boundary ? strlen(boundary) : 0;
    if (n == 0 || n > MULTIPART_BOUNDARY_MAX) {
        fail(m, MULTIPART_MALFORMED);
        return;
    }
    memcpy(m->delim, "\r\n--", 4);
    memcpy(m->delim + 4, boundary, n);
    m->delim_len = n + 4;
    m->state = ST_PREAMBLE;
    m->match = 2; /* as if the body began after a CRLF */
}

/* Trims OWS on both sides of [*v, *v + *n). */
static void trim(const char **v, size_t *n)
{
    while (*n && is_ows(**v))
        (*v)++, (*n)--;
    while (*n && is_ows((*v)[*n - 1]))
        (*n)--;
}

/* hdr holds the part's header lines, each ending in CRLF, then CRLF. */
static enum multipart_result parse_headers(struct multipart *m)
{
    struct multipart_part *p = &m->part;
    memset(p, 0, sizeof *p);
    int has_disposition = 0, has_type = 0;
    size_t at = 0, last = m->hlen - 2; /* the final empty line */
    while (at < last) {
        const char *line = m->hdr + at;
        const char *eol = memmem(line, m->hlen - at, "\r\n", 2);
        size_t len = (size_t)(eol - line); /* eol exists: hdr ends in CRLF */
        at += len + 2;
        if (len == 0 || is_ows(line[0]) || memchr(line, '\r', len) || memchr(line, '\n', len) ||
            memchr(line, '\0', len))
            return MULTIPART_MALFORMED; /* folding, stray CR/LF or NUL */
        const char *colon = memchr(line, ':', len);
        if (!colon || colon == line)
            return MULTIPART_MALFORMED;
        for (const char *q = line; q < colon; q++)
            if (!is_tchar(*q))
                return MULTIPART_MALFORMED;
        size_t name_len = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vn = len - name_len - 1;
        trim(&v, &vn);
        if (name_len == 19 && strncasecmp(line, "Content-Disposition", 19) == 0) {
            if (has_disposition++ || parse_disposition(v, vn, p) != 0)
                return MULTIPART_MALFORMED;
        } else if (name_len == 12 && strncasecmp(line, "Content-Type", 12) == 0) {
            if (has_type++)
                return MULTIPART_MALFORMED;
            size_t k = vn < sizeof p->content_type - 1 ? vn : sizeof p->content_type - 1;
            memcpy(p->content_type, v, k);
            p->content_type[k] = '\0';
        }
        /* Other headers (Content-Transfer-Encoding, ...) are ignored, as
         * RFC 7578 §4.7 expects of form-data. */
    }
    return has_disposition ? MULTIPART_OK : MULTIPART_MALFORMED;
}

/* Copies header bytes until the empty line; returns bytes consumed. */
static size_t headers(struct multipart *m, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m->hlen == sizeof m->hdr) {
            fail(m, MULTIPART_HEADER_LARGE);
            return n;
        }
        m->hdr[m->hlen++] = p[i];
        if (p[i] != '\n')
            continue;
        int empty = m->hlen == 2 && m->hdr[0] == '\r';
        int end = m->hlen >= 4 && memcmp(m->hdr + m->hlen - 4, "\r\n\r\n", 4) == 0;
        if (!empty && !end)
            continue;
        enum multipart_result r = parse_headers(m);
        if (r != MULTIPART_OK) {
            fail(m, r);
            return n;
        }
        if (m->cb->part_begin && m->cb->part_begin(m->ctx, &m->part) != 0) {
            fail(m, MULTIPART_STOPPED);
            return n;
        }
        m->state = ST_BODY;
        m->match = 0;
        return i + 1;
    }
    return n;
}

/* One byte after a delimiter: "--" closes the body; else optional
 * whitespace (RFC 2046 transport padding) and CRLF open a part. */
static void after_delim(struct multipart *m, char c)
{
    enum { START, DASH, PAD, CR };
    switch (m->sub) {
    case START:
    case PAD:
        if (c == '-' && m->sub == START)
            m->sub = DASH;
        else if (is_ows(c))
            m->sub = PAD;
        else if (c == '\r')
            m->sub = CR;
        else
            fail(m, MULTIPART_MALFORMED);
        return;
    case DASH:
        if (c == '-')
            m->state = ST_EPILOGUE;
        else
            fail(m, MULTIPART_MALFORMED);
        return;
    case CR:
        if (c != '\n') {
            fail(m, MULTIPART_MALFORMED);
        } else if (m->parts == MULTIPART_PARTS_MAX) {
            fail(m, MULTIPART_TOO_MANY);
        } else {
            m->parts++;
            m->hlen = 0;
            m->state = ST_HEADERS;
        }
        return;
    }
}

static int emit(struct multipart *m, const char *p, size_t n)
{
    if (m->cb->part_data && m->cb->part_data(m->ctx, p, n) != 0) {
        fail(m, MULTIPART_STOPPED);
        return -1;
    }
    return 0;
}

/* The delimiter was found: content ends, headers or the close follow. */
static int delimiter_found(struct multipart *m, int body)
{
    m->match = 0;
    if (body && m->cb->part_end && m->cb->part_end(m->ctx) != 0) {
        fail(m, MULTIPART_STOPPED);
        return -1;
    }
    m->state = ST_AFTER_DELIM;
    m->sub = 0;
    return 0;
}

/* Looks for the delimiter in the preamble (bytes dropped) or a part's
 * content (bytes emitted); returns bytes consumed, stopping right after a
 * delimiter. Content is emitted in as few runs as possible: one per chunk,
 * plus one for bytes held back from the chunk before. */
static size_t scan(struct multipart *m, const char *p, size_t n)
{
    int body = m->state == ST_BODY;
    size_t i = 0;
    /* A match begun in an earlier chunk: its bytes are not in p. */
    while (m->match && i < n) {
        if (p[i] != m->delim[m->match]) {
            size_t held = m->match;
            m->match = 0;
            if (body && emit(m, m->delim, held) != 0)
                return n;
            break; /* p[i] is looked at again below */
        }
        i++;
        if (++m->match == m->delim_len)
            return delimiter_found(m, body) == 0 ? i : n;
    }
    if (m->match)
        return n; /* the chunk ended still matching */
    size_t run = i; /* content in p[run, at) not yet emitted */
    size_t at = i;
    for (;;) {
        const char *cr = at < n ? memchr(p + at, '\r', n - at) : NULL;
        if (!cr) {
            if (body && n > run && emit(m, p + run, n - run) != 0)
                return n;
            return n;
        }
        size_t c = (size_t)(cr - p), k = 0;
        while (c + k < n && k < m->delim_len && p[c + k] == m->delim[k])
            k++;
        if (k == m->delim_len) {
            if (body && c > run && emit(m, p + run, c - run) != 0)
                return n;
            return delimiter_found(m, body) == 0 ? c + k : n;
        }
        if (c + k == n) {
            /* A possible delimiter cut by the chunk's end: hold it back. */
            if (body && c > run && emit(m, p + run, c - run) != 0)
                return n;
            m->match = k;
            return n;
        }
        /* Not a delimiter: those bytes are content. CR occurs in the
         * delimiter only first, so the next candidate is the next CR. */
        at = c + 1;
    }
}

enum multipart_result multipart_feed(struct multipart *m, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && m->state != ST_ERROR) {
        switch (m->state) {
        case ST_PREAMBLE:
        case ST_BODY:
            i += scan(m, p + i, n - i);
            break;
        case ST_AFTER_DELIM:
            after_delim(m, p[i++]);
            break;
        case ST_HEADERS:
            i += headers(m, p + i, n - i);
            break;
        default: /* ST_EPILOGUE: ignored */
            i = n;
            break;
        }
    }
    return m->state == ST_ERROR ? m->error : MULTIPART_OK;
}

enum multipart_result multipart_finish(struct multipart *m)
{
    if (m->state == ST_EPILOGUE)
        return MULTIPART_OK;
    if (m->state != ST_ERROR)
        fail(m, MULTIPART_MALFORMED); /* truncated */
    return m->error;
}
