/* urlpolicy.c — the outbound URL policy (urlpolicy.h): a strict http(s) URL
 * parser, the address classifier and the operator's allow-list.
 *
 * Invariant: the parser reads a host the way libcurl and the resolver will
 * (numeric IPv4 in every form resolvers accept), so the gateway never
 * judges one address while the fetcher connects to another. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util/urlpolicy.h"

const char *urlpolicy_class_str(enum urlpolicy_class c)
{
    switch (c) {
    case URLPOLICY_PUBLIC:
        return "a public address";
    case URLPOLICY_LOOPBACK:
        return "a loopback address";
    case URLPOLICY_UNSPECIFIED:
        return "an unspecified address";
    case URLPOLICY_PRIVATE:
        return "a private address";
    case URLPOLICY_CGNAT:
        return "a shared (carrier-grade NAT) address";
    case URLPOLICY_LINK_LOCAL:
        return "a link-local address";
    case URLPOLICY_METADATA:
        return "a cloud metadata address";
    case URLPOLICY_UNIQUE_LOCAL:
        return "a unique-local address";
    case URLPOLICY_MULTICAST:
        return "a multicast address";
    case URLPOLICY_BROADCAST:
        return "a broadcast address";
    case URLPOLICY_DOCUMENTATION:
        return "a documentation address";
    case URLPOLICY_BENCHMARKING:
        return "a benchmarking address";
    case URLPOLICY_RESERVED:
        return "a reserved address";
    }
    return "a reserved address";
}

/* ---------------------------------------------------------------- classify */

static enum urlpolicy_class classify4(const uint8_t *b)
{
    uint8_t a = b[0];
    if (a == 0)
        return URLPOLICY_UNSPECIFIED; /* 0/8: "this network" */
    if (a == 10)
        return URLPOLICY_PRIVATE;
    if (a == 100 && b[1] == 100 && b[2] == 100 && b[3] == 200)
        return URLPOLICY_METADATA; /* Alibaba Cloud's, inside CGNAT */
    if (a == 100 && (b[1] & 0xC0) == 64)
        return URLPOLICY_CGNAT;
    if (a == 127)
        return URLPOLICY_LOOPBACK;
    if (a == 169 && b[1] == 254)
        return b[2] == 169 && b[3] == 254 ? URLPOLICY_METADATA : URLPOLICY_LINK_LOCAL;
    if (a == 168 && b[1] == 63 && b[2] == 129 && b[3] == 16)
        return URLPOLICY_METADATA; /* Azure's platform address: public range, host-only service */
    if (a == 172 && (b[1] & 0xF0) == 16)
        return URLPOLICY_PRIVATE;
    if (a == 192 && b[1] == 0 && b[2] == 0)
        return URLPOLICY_RESERVED; /* IETF protocol assignments */
    if (a == 192 && b[1] == 0 && b[2] == 2)
        return URLPOLICY_DOCUMENTATION;
    if (a == 192 && b[1] == 88 && b[2] == 99)
        return URLPOLICY_RESERVED; /* 6to4 relay anycast */
    if (a == 192 && b[1] == 168)
        return URLPOLICY_PRIVATE;
    if (a == 198 && (b[1] & 0xFE) == 18)
        return URLPOLICY_BENCHMARKING;
    if (a == 198 && b[1] == 51 && b[2] == 100)
        return URLPOLICY_DOCUMENTATION;
    if (a == 203 && b[1] == 0 && b[2] == 113)
        return URLPOLICY_DOCUMENTATION;
    if (a == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
        return URLPOLICY_BROADCAST;
    if (a >= 224 && a < 240)
        return URLPOLICY_MULTICAST;
    if (a >= 240)
        return URLPOLICY_RESERVED;
    return URLPOLICY_PUBLIC;
}

static int all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

/* The IPv4 address an IPv6 address stands for, if any: mapped
 * (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or
 * 6to4 (2002:aabb:ccdd::). NULL when it carries none. */
static const uint8_t *embedded_v4(const uint8_t *b)
{
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (all_zero(b, 10) && b[10] == 0xff && b[11] == 0xff)
        return b + 12;
    if (all_zero(b, 12))
        return b + 12;
    if (memcmp(b, nat64, 12) == 0)
        return b + 12;
    if (b[0] == 0x20 && b[1] == 0x02)
        return b + 2;
    return NULL;
}

static enum urlpolicy_class classify6(const uint8_t *b)
{
    if (all_zero(b, 16))
        return URLPOLICY_UNSPECIFIED;
    if (all_zero(b, 15) && b[15] == 1)
        return URLPOLICY_LOOPBACK;
    const uint8_t *v4 = embedded_v4(b);
    if (v4)
        return classify4(v4);
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0x00 && b[5] == 0x01)
        return URLPOLICY_RESERVED; /* 64:ff9b:1::/48, local-use NAT64: may reach private IPv4 */
    static const uint8_t aws_metadata[16] = {0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54};
    if (memcmp(b, aws_metadata, 16) == 0)
        return URLPOLICY_METADATA; /* fd00:ec2::254 */
    if (b[0] == 0xff)
        return URLPOLICY_MULTICAST;
    if (b[0] == 0xfe && (b[1] & 0xC0) == 0x80)
        return URLPOLICY_LINK_LOCAL;
    if (b[0] == 0xfe && (b[1] & 0xC0) == 0xC0)
        return URLPOLICY_PRIVATE; /* fec0::/10, the deprecated site-local */
    if ((b[0] & 0xFE) == 0xfc)
        return URLPOLICY_UNIQUE_LOCAL;
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return URLPOLICY_DOCUMENTATION; /* 2001:db8::/32 */
    if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xF0) == 0)
        return URLPOLICY_DOCUMENTATION; /* 3fff::/20 */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x02 && b[4] == 0 && b[5] == 0)
        return URLPOLICY_BENCHMARKING; /* 2001:2::/48 */
    if (b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xFE) == 0)
        return URLPOLICY_RESERVED; /* 2001::/23, Teredo (2001::/32) included */
    if ((b[0] & 0xE0) != 0x20)
        return URLPOLICY_RESERVED; /* outside 2000::/3, the global unicast space */
    return URLPOLICY_PUBLIC;
}

enum urlpolicy_class urlpolicy_classify(const struct urlpolicy_addr *a)
{
    if (a->family == 4)
        return classify4(a->b);
    if (a->family == 6)
        return classify6(a->b);
    return URLPOLICY_RESERVED;
}

enum urlpolicy_class urlpolicy_classify_sockaddr(const struct sockaddr *sa, struct urlpolicy_addr *out,
                                                 int *port_out)
{
    struct urlpolicy_addr a = {0};
    int port = 0;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        a.family = 4;
        memcpy(a.b, &s4->sin_addr, 4);
        port = ntohs(s4->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        a.family = 6;
        memcpy(a.b, &s6->sin6_addr, 16);
        port = ntohs(s6->sin6_port);
    }
    if (out)
        *out = a;
    if (port_out)
        *port_out = port;
    return urlpolicy_classify(&a);
}

void urlpolicy_addr_str(const struct urlpolicy_addr *a, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = '\0';
    if (a->family == 4 || a->family == 6)
        inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, out, (socklen_t)cap);
}

/* ---------------------------------------------------------------- parse */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One part of a numeric IPv4 host: decimal, 0x-hex ("0x" alone is 0, as
 * in WHATWG) or 0-octal. -1 if it is not a number or exceeds 32 bits. */
static int ipv4_part(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    int base = 10;
    size_t i = 0;
    if (n == 0)
        return -1;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (n >= 2 && s[0] == '0') {
        base = 8;
        i = 1;
    }
    for (; i < n; i++) {
        int d = hexval((unsigned char)s[i]);
        if (d < 0 || d >= base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
        if (v > 0xFFFFFFFFull)
            return -1;
    }
    *out = v;
    return 0;
}

int urlpolicy_parse_ipv4(const char *s, size_t len, struct urlpolicy_addr *out)
{
    if (len && s[len - 1] == '.')
        len--;
    uint64_t part[4];
    size_t np = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (np == 4 || ipv4_part(s + start, i - start, &part[np]) != 0)
                return -1;
            np++;
            start = i + 1;
        }
    }
    if (np == 0)
        return -1;
    for (size_t i = 0; i + 1 < np; i++)
        if (part[i] > 255)
            return -1;
    uint64_t last_max = np == 1 ? 0xFFFFFFFFull : (1ull << (8 * (5 - np))) - 1;
    if (part[np - 1] > last_max)
        return -1;
    uint32_t v = (uint32_t)part[np - 1];
    for (size_t i = 0; i + 1 < np; i++)
        v |= (uint32_t)part[i] << (8 * (3 - i));
    out->family = 4;
    memset(out->b, 0, sizeof out->b);
    out->b[0] = (uint8_t)(v >> 24);
    out->b[1] = (uint8_t)(v >> 16);
    out->b[2] = (uint8_t)(v >> 8);
    out->b[3] = (uint8_t)v;
    return 0;
}

/* WHATWG's "ends in a number": the last label is all digits or 0x-hex. A
 * host like that is an IPv4 address or nothing: resolvers read it so. */
static int ends_in_number(const char *s, size_t len)
{
    if (len && s[len - 1] == '.')
        len--;
    size_t start = len;
    while (start > 0 && s[start - 1] != '.')
        start--;
    const char *l = s + start;
    size_t n = len - start;
    if (n == 0)
        return 0;
    size_t i = 0;
    int hex = n >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X');
    for (i = hex ? 2 : 0; i < n; i++)
        if (hex ? hexval((unsigned char)l[i]) < 0 : !(l[i] >= '0' && l[i] <= '9'))
            return 0;
    return 1;
}

static int name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
}

/* A host (no port): a bracketed IPv6 literal when brackets, else a numeric
 * IPv4 host or a DNS name. Fills out's host, written, is_ip and addr. */
static int parse_host(const char *h, size_t n, int bracketed, struct urlpolicy_url *out, const char **why)
{
    *why = "URL host is not valid.";
    if (n == 0) {
        *why = "URL must name a host.";
        return -1;
    }
    if (n >= URLPOLICY_HOST_MAX - 2)
        return -1;
    if (bracketed) {
        char tmp[URLPOLICY_HOST_MAX];
        for (size_t i = 0; i < n; i++)
            if (!(hexval((unsigned char)h[i]) >= 0 || h[i] == ':' || h[i] == '.'))
                return -1; /* zone ids (%25eth0) included: a scope is never public */
        memcpy(tmp, h, n);
        tmp[n] = '\0';
        out->addr.family = 6;
        if (inet_pton(AF_INET6, tmp, out->addr.b) != 1)
            return -1;
        out->is_ip = 1;
        out->written[0] = '['; /* n + 2 < URLPOLICY_HOST_MAX, checked above */
        memcpy(out->written + 1, h, n);
        out->written[n + 1] = ']';
        out->written[n + 2] = '\0';
        urlpolicy_addr_str(&out->addr, out->host, sizeof out->host);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (!name_char((unsigned char)h[i]))
            return -1;
    memcpy(out->written, h, n);
    out->written[n] = '\0';
    if (ends_in_number(h, n)) {
        if (urlpolicy_parse_ipv4(h, n, &out->addr) != 0)
            return -1;
        out->is_ip = 1;
        urlpolicy_addr_str(&out->addr, out->host, sizeof out->host);
        return 0;
    }
    size_t len = h[n - 1] == '.' ? n - 1 : n; /* one trailing dot: the same name */
    if (len == 0 || h[0] == '.' || len > 253)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (h[i] == '.' && i + 1 < len && h[i + 1] == '.')
            return -1;
        out->host[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] - 'A' + 'a' : h[i]);
    }
    out->host[len] = '\0';
    return 0;
}

/* "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" (authority without userinfo). */
static int parse_hostport(const char *a, size_t n, struct urlpolicy_url *out, const char **why)
{
    const char *h = a, *port = NULL;
    size_t hn = n;
    int bracketed = 0;
    if (n && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (!close) {
            *why = "URL host is not valid.";
            return -1;
        }
        h = a + 1;
        hn = (size_t)(close - h);
        bracketed = 1;
        size_t after = n - (size_t)(close + 1 - a);
        if (after) {
            if (close[1] != ':') {
                *why = "URL host is not valid.";
                return -1;
            }
            port = close + 2;
        }
    } else {
        const char *colon = memchr(a, ':', n);
        if (colon) {
            hn = (size_t)(colon - a);
            port = colon + 1;
        }
    }
    if (parse_host(h, hn, bracketed, out, why) != 0)
        return -1;
    if (port) {
        size_t pn = n - (size_t)(port - a);
        long v = 0;
        if (pn == 0 || pn > 5) {
            *why = "URL has an invalid port.";
            return -1;
        }
        for (size_t i = 0; i < pn; i++) {
            if (port[i] < '0' || port[i] > '9') {
                *why = "URL has an invalid port.";
                return -1;
            }
            v = v * 10 + (port[i] - '0');
        }
        if (v < 1 || v > 65535) {
            *why = "URL has an invalid port.";
            return -1;
        }
        out->port = (int)v;
    }
    return 0;
}

int urlpolicy_parse_url(const char *url, struct urlpolicy_url *out, const char **why)
{
    memset(out, 0, sizeof *out);
    const char *rest;
    if (strncasecmp(url, "https://", 8) == 0) {
        out->https = 1;
        rest = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        rest = url + 7;
    } else {
        *why = "URL must be an http:// or https:// URL.";
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f) {
            *why = "URL must not contain spaces or control characters.";
            return -1;
        }
    size_t n = strcspn(rest, "/?#");
    if (memchr(rest, '@', n)) {
        *why = "URL must not contain a user name or password.";
        return -1;
    }
    if (memchr(rest, '\\', n) || memchr(rest, '%', n)) {
        *why = "URL host is not valid.";
        return -1;
    }
    out->port = out->https ? 443 : 80;
    return parse_hostport(rest, n, out, why);
}

/* ---------------------------------------------------------------- allow */

void urlpolicy_init(struct urlpolicy *p)
{
    memset(p, 0, sizeof *p);
}

/* One entry: a CIDR, an address (optionally [v6] or with :port), or a name
 * (optionally with :port). */
static int parse_rule(const char *e, size_t n, struct urlpolicy_rule *r)
{
    char tmp[URLPOLICY_HOST_MAX + 16];
    memset(r, 0, sizeof *r);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, e, n);
    tmp[n] = '\0';
    char *slash = strchr(tmp, '/');
    if (slash) { /* CIDR: ADDRESS/BITS, no port */
        *slash = '\0';
        char *end = slash + 1;
        long bits = 0;
        if (!*end || strlen(end) > 3)
            return -1;
        for (; *end; end++) {
            if (*end < '0' || *end > '9')
                return -1;
            bits = bits * 10 + (*end - '0');
        }
        if (inet_pton(AF_INET, tmp, r->addr.b) == 1)
            r->addr.family = 4;
        else if (inet_pton(AF_INET6, tmp, r->addr.b) == 1)
            r->addr.family = 6;
        else
            return -1;
        if (bits > (r->addr.family == 4 ? 32 : 128))
            return -1;
        r->is_cidr = 1;
        r->prefix = (int)bits;
        return 0;
    }
    /* A bare IPv6 address ("::1") has colons but no brackets. */
    struct urlpolicy_addr a6 = {.family = 6};
    if (strchr(tmp, ':') && inet_pton(AF_INET6, tmp, a6.b) == 1) {
        r->is_cidr = 1;
        r->addr = a6;
        r->prefix = 128;
        return 0;
    }
    struct urlpolicy_url u;
    const char *why;
    memset(&u, 0, sizeof u); /* port 0: any */
    if (parse_hostport(tmp, n, &u, &why) != 0)
        return -1;
    r->port = u.port;
    if (u.is_ip) {
        r->is_cidr = 1;
        r->addr = u.addr;
        r->prefix = u.addr.family == 4 ? 32 : 128;
    } else {
        memcpy(r->host, u.host, sizeof r->host);
    }
    return 0;
}

int urlpolicy_allow(struct urlpolicy *p, const char *list, char *err, size_t errcap)
{
    const char *s = list ? list : "";
    while (*s) {
        size_t n = strcspn(s, ",");
        const char *e = s;
        size_t en = n;
        while (en && (*e == ' ' || *e == '\t')) {
            e++;
            en--;
        }
        while (en && (e[en - 1] == ' ' || e[en - 1] == '\t'))
            en--;
        if (en) {
            if (p->n == URLPOLICY_RULES_MAX) {
                snprintf(err, errcap, "more than %d entries", URLPOLICY_RULES_MAX);
                return -1;
            }
            if (parse_rule(e, en, &p->rules[p->n]) != 0) {
                snprintf(err, errcap, "'%.*s' is not a host, host:port, address or CIDR", (int)(en > 80 ? 80 : en),
                         e);
                return -1;
            }
            p->n++;
        }
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

static int in_cidr(const struct urlpolicy_rule *r, const struct urlpolicy_addr *a)
{
    struct urlpolicy_addr v4;
    if (a->family == 6 && r->addr.family == 4 && all_zero(a->b, 10) && a->b[10] == 0xff && a->b[11] == 0xff) {
        v4.family = 4; /* ::ffff:a.b.c.d is a.b.c.d on the wire */
        memcpy(v4.b, a->b + 12, 4);
        a = &v4;
    }
    if (a->family != r->addr.family)
        return 0;
    int bits = r->prefix;
    for (int i = 0; bits > 0; i++, bits -= 8) {
        uint8_t mask = bits >= 8 ? 0xFF : (uint8_t)(0xFF << (8 - bits));
        if ((a->b[i] & mask) != (r->addr.b[i] & mask))
            return 0;
    }
    return 1;
}

int urlpolicy_allowed(const struct urlpolicy *p, const char *host, const struct urlpolicy_addr *a, int port)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct urlpolicy_rule *r = &p->rules[i];
        if (r->port && r->port != port)
            continue;
        if (r->is_cidr ? a && in_cidr(r, a) : host && strcmp(r->host, host) == 0)
            return 1;
    }
    return 0;
}

/* localhost and *.localhost always mean loopback (RFC 6761). */
static int is_localhost(const char *host)
{
    size_t n = strlen(host);
    return strcmp(host, "localhost") == 0 || (n > 10 && strcmp(host + n - 10, ".localhost") == 0);
}

int urlpolicy_check_url(const struct urlpolicy *p, const char *url, char *why, size_t cap)
{
    struct urlpolicy_url u;
    const char *msg;
    if (urlpolicy_parse_url(url, &u, &msg) != 0) {
        snprintf(why, cap, "%s", msg);
        return -1;
    }
    if (u.is_ip) {
        enum urlpolicy_class c = urlpolicy_classify(&u.addr);
        if (c == URLPOLICY_PUBLIC || urlpolicy_allowed(p, u.host, &u.addr, u.port))
            return 0;
        char plain[URLPOLICY_HOST_MAX + 2];
        snprintf(plain, sizeof plain, u.addr.family == 6 ? "[%s]" : "%s", u.host);
        int same = strcmp(u.written, plain) == 0; /* else say which address the form stands for */
        snprintf(why, cap, "URL must point to a public address: %.64s%s%.64s%s is %s.", u.written, same ? "" : " (",
                 same ? "" : u.host, same ? "" : ")", urlpolicy_class_str(c));
        return -1;
    }
    if (is_localhost(u.host)) {
        struct urlpolicy_addr lo4 = {.family = 4, .b = {127, 0, 0, 1}}, lo6 = {.family = 6, .b = {[15] = 1}};
        if (urlpolicy_allowed(p, u.host, &lo4, u.port) || urlpolicy_allowed(p, u.host, &lo6, u.port))
            return 0;
        snprintf(why, cap, "URL must point to a public address: %.64s is a loopback name.", u.host);
        return -1;
    }
    return 0;
}
