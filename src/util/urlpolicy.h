/* urlpolicy.h — the outbound URL policy: which URLs Portico may fetch, or
 * hand to an upstream that fetches them, on a customer's behalf.
 *
 * Pure functions over strings and parsed addresses (no DNS, no sockets), so
 * that the gateway's rule (core_url_check, core/rules.c) and the
 * simulator's connect-time check (util/urlguard.c) judge alike:
 *   - http or https only, no userinfo, a well-formed host and port;
 *   - the address must be public: loopback, private, link-local (and the
 *     cloud metadata address), unique-local, CGNAT, multicast, broadcast,
 *     unspecified, reserved, documentation and benchmarking ranges are
 *     refused; IPv4 carried in IPv6 (mapped, compatible, NAT64, 6to4) is
 *     unwrapped and judged as IPv4;
 *   - exceptions only by the operator's allow-list (PORTICO_URL_ALLOW):
 *     hosts (optionally with :port) and CIDRs.
 *
 * Invariant: a URL this parser accepts names the same host and port that
 * libcurl connects to: every form a resolver would read as a number
 * (2130706433, 0x7f.1, 0177.0.0.1, 127.1) is parsed as that number. */
#ifndef PORTICO_URLPOLICY_H
#define PORTICO_URLPOLICY_H
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define URLPOLICY_HOST_MAX 256 /* a DNS name is at most 253 characters */
#define URLPOLICY_RULES_MAX 32

/* An IP address: family 4 (b[0..3]) or 6 (b[0..15]). */
struct urlpolicy_addr {
    int family;
    uint8_t b[16];
};

enum urlpolicy_class {
    URLPOLICY_PUBLIC = 0,
    URLPOLICY_LOOPBACK,     /* 127/8, ::1, the names localhost and *.localhost */
    URLPOLICY_UNSPECIFIED,  /* 0/8, :: */
    URLPOLICY_PRIVATE,      /* 10/8, 172.16/12, 192.168/16, fec0::/10 */
    URLPOLICY_CGNAT,        /* 100.64/10 */
    URLPOLICY_LINK_LOCAL,   /* 169.254/16, fe80::/10 */
    URLPOLICY_METADATA,     /* 169.254.169.254, fd00:ec2::254: cloud instance metadata */
    URLPOLICY_UNIQUE_LOCAL, /* fc00::/7 */
    URLPOLICY_MULTICAST,    /* 224/4, ff00::/8 */
    URLPOLICY_BROADCAST,    /* 255.255.255.255 */
    URLPOLICY_DOCUMENTATION,/* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20 */
    URLPOLICY_BENCHMARKING, /* 198.18/15, 2001:2::/48 */
    URLPOLICY_RESERVED,     /* 192.0.0/24, 192.88.99/24, 240/4, 2001::/23, 100::/64, 64:ff9b:1::/48,
                             * and IPv6 outside 2000::/3 */
};

/* "a loopback address", "a private address", ... for messages. */
const char *urlpolicy_class_str(enum urlpolicy_class c);

/* Judges one address. IPv4 inside IPv6 (::ffff:a.b.c.d, ::a.b.c.d,
 * 64:ff9b::a.b.c.d, 2002:AABB:CCDD::/48) is judged as that IPv4 address. */
enum urlpolicy_class urlpolicy_classify(const struct urlpolicy_addr *a);
/* The same for a socket address (AF_INET or AF_INET6; any other family is
 * URLPOLICY_RESERVED). port_out, when not NULL, gets its port. */
enum urlpolicy_class urlpolicy_classify_sockaddr(const struct sockaddr *sa, struct urlpolicy_addr *out,
                                                 int *port_out);

/* Reads an IPv4 host the way resolvers do (inet_aton, WHATWG): one to four
 * parts, each decimal, 0x-hex or 0-octal, the last filling the remaining
 * bytes; one trailing dot allowed. 0 on success. */
int urlpolicy_parse_ipv4(const char *s, size_t len, struct urlpolicy_addr *out);
/* Writes a's usual text (dotted quad or RFC 5952 IPv6) into out. */
void urlpolicy_addr_str(const struct urlpolicy_addr *a, char *out, size_t cap);

/* A parsed http(s) URL. */
struct urlpolicy_url {
    int https;
    char host[URLPOLICY_HOST_MAX];    /* lower case, no trailing dot; an address literal in its
                                       * usual text (127.0.0.1 for 0x7f.1; IPv6 without brackets) */
    char written[URLPOLICY_HOST_MAX]; /* the host as the URL writes it, for messages */
    int port;                      /* explicit, else 80 or 443 */
    int is_ip;                     /* host is an address literal (any form): addr holds it */
    struct urlpolicy_addr addr;
};

/* Parses url strictly: http:// or https:// (any case), an authority without
 * userinfo, a host of letters, digits, '-', '.' and '_' or a bracketed IPv6
 * literal, an optional port 1..65535, then '/', '?', '#' or the end. No
 * spaces, control characters, backslashes or percent signs in the
 * authority. 0, or -1 with *why set to a sentence for the customer
 * ("URL must not contain a user name or password."). */
int urlpolicy_parse_url(const char *url, struct urlpolicy_url *out, const char **why);

/* The operator's exceptions. */
struct urlpolicy_rule {
    int is_cidr;                   /* an address range (an address alone is a full-length prefix) */
    struct urlpolicy_addr addr;    /* is_cidr */
    int prefix;                    /* is_cidr: bits */
    char host[URLPOLICY_HOST_MAX]; /* !is_cidr: a name, lower case, no trailing dot */
    int port;                      /* 0 = any port */
};

struct urlpolicy {
    size_t n;
    struct urlpolicy_rule rules[URLPOLICY_RULES_MAX];
};

void urlpolicy_init(struct urlpolicy *p);
/* Adds a comma-separated list of entries: "127.0.0.0/8", "10.1.2.3",
 * "::1", "[::1]", "fd00::/8", "media.internal", "gw.example.com:8080",
 * "127.0.0.1:8080", "[::1]:8080". Spaces around entries are ignored, empty
 * entries skipped. 0, or -1 with err naming the first bad entry (entries
 * before it are added). */
int urlpolicy_allow(struct urlpolicy *p, const char *list, char *err, size_t errcap);

/* Whether the allow-list admits a connection to host (the URL's host, as
 * urlpolicy_parse_url wrote it; NULL when unknown) at address a (NULL when
 * not known yet) and port. */
int urlpolicy_allowed(const struct urlpolicy *p, const char *host, const struct urlpolicy_addr *a, int port);

/* The gateway's judgement of a URL before anything is fetched: parse, then
 * refuse an address literal that is not public, or the names localhost and
 * *.localhost, unless the allow-list admits it. Names are not resolved:
 * what a name resolves to is judged when connecting (urlguard). 0 if the
 * URL may be handed on; -1 with why filled ("URL must point to a public
 * address: 127.0.0.1 is a loopback address."). */
int urlpolicy_check_url(const struct urlpolicy *p, const char *url, char *why, size_t cap);

#endif
