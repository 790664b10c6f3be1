/* test_urlpolicy.c — the outbound URL policy (util/urlpolicy.c): the
 * address classifier, the strict URL parser (every numeric IPv4 form
 * resolvers accept), the allow-list, and the gateway's judgement of a URL.
 * Pure: parsed addresses, no network. Only loopback forms are written
 * here (127.x in every spelling, localhost, [::1], mapped and embedded
 * forms): the refusal of the other ranges is not checked in this file. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "check.h"
#include "util/urlpolicy.h"

static enum urlpolicy_class cls(const char *text)
{
    struct urlpolicy_addr a = {0};
    if (inet_pton(AF_INET, text, a.b) == 1)
        a.family = 4;
    else if (inet_pton(AF_INET6, text, a.b) == 1)
        a.family = 6;
    else
        return (enum urlpolicy_class)-1;
    return urlpolicy_classify(&a);
}

/* Only loopback addresses are written here (tests send to and name
 * loopback only): the other ranges of urlpolicy_classify are not checked
 * in this file. */
static void test_ipv4_ranges(void)
{
    CHECK(cls("127.0.0.1") == URLPOLICY_LOOPBACK);
    CHECK(cls("127.0.0.0") == URLPOLICY_LOOPBACK);
    CHECK(cls("127.255.255.254") == URLPOLICY_LOOPBACK);
    CHECK(cls("127.255.255.255") == URLPOLICY_LOOPBACK);
}

static void test_ipv6_ranges(void)
{
    CHECK(cls("::1") == URLPOLICY_LOOPBACK);
    CHECK(cls("0:0:0:0:0:0:0:1") == URLPOLICY_LOOPBACK);
}

/* IPv4 carried in IPv6 is judged as the IPv4 address it stands for. */
static void test_ipv6_embedding_ipv4(void)
{
    CHECK(cls("::ffff:127.0.0.1") == URLPOLICY_LOOPBACK);
    CHECK(cls("::ffff:7f00:1") == URLPOLICY_LOOPBACK);
    CHECK(cls("::127.0.0.1") == URLPOLICY_LOOPBACK);     /* compatible */
    CHECK(cls("64:ff9b::127.0.0.1") == URLPOLICY_LOOPBACK); /* NAT64 */
    CHECK(cls("2002:7f00:1::1") == URLPOLICY_LOOPBACK); /* 6to4 of 127.0.0.1 */
}

static void test_classify_sockaddr(void)
{
    struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(8080)};
    inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr);
    struct urlpolicy_addr a;
    int port = 0;
    CHECK(urlpolicy_classify_sockaddr((struct sockaddr *)&s4, &a, &port) == URLPOLICY_LOOPBACK);
    CHECK(port == 8080 && a.family == 4 && a.b[0] == 127);
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
    CHECK(urlpolicy_classify_sockaddr((struct sockaddr *)&s6, NULL, &port) == URLPOLICY_LOOPBACK);
    CHECK(port == 443);
    struct sockaddr other = {.sa_family = AF_UNIX};
    CHECK(urlpolicy_classify_sockaddr(&other, NULL, NULL) == URLPOLICY_RESERVED);
}

static const char *v4(const char *s)
{
    static char out[64];
    struct urlpolicy_addr a;
    if (urlpolicy_parse_ipv4(s, strlen(s), &a) != 0)
        return "invalid";
    urlpolicy_addr_str(&a, out, sizeof out);
    return out;
}

/* Every form inet_aton and WHATWG read as a number. */
static void test_ipv4_forms(void)
{
    CHECK_STR(v4("127.0.0.1"), "127.0.0.1");
    CHECK_STR(v4("2130706433"), "127.0.0.1");
    CHECK_STR(v4("0x7f000001"), "127.0.0.1");
    CHECK_STR(v4("0X7F000001"), "127.0.0.1");
    CHECK_STR(v4("017700000001"), "127.0.0.1");
    CHECK_STR(v4("0177.0.0.1"), "127.0.0.1");
    CHECK_STR(v4("0x7f.0.0.1"), "127.0.0.1");
    CHECK_STR(v4("0x7f.1"), "127.0.0.1");
    CHECK_STR(v4("127.1"), "127.0.0.1");
    CHECK_STR(v4("127.0.1"), "127.0.0.1");
    CHECK_STR(v4("127.0.0.1."), "127.0.0.1");
    CHECK_STR(v4("127.65534"), "127.0.255.254");
    CHECK_STR(v4("127.16777215"), "127.255.255.255");
    CHECK_STR(v4("2147483647"), "127.255.255.255");
    CHECK_STR(v4("0x7f.0x0.0x0.0x1"), "127.0.0.1");
    CHECK_STR(v4("127.0"), "127.0.0.0");
    CHECK_STR(v4("0x7f.0x.0x.1"), "127.0.0.1"); /* "0x" is a number: 0 */
    CHECK_STR(v4("383.0.0.1"), "invalid");
    CHECK_STR(v4("127.0.0.256"), "invalid");
    CHECK_STR(v4("127.0.65536"), "invalid");
    CHECK_STR(v4("6425673729"), "invalid"); /* 2^32 + 127.0.0.1 */
    CHECK_STR(v4("127.0.0.08"), "invalid");
    CHECK_STR(v4("127.0.0.1.5"), "invalid");
    CHECK_STR(v4("127..1"), "invalid");
    CHECK_STR(v4(""), "invalid");
}

static int parse(const char *url, struct urlpolicy_url *u, const char **why)
{
    static const char *ignored;
    return urlpolicy_parse_url(url, u, why ? why : &ignored);
}

static void test_parse_url(void)
{
    struct urlpolicy_url u;
    const char *why = NULL;
    CHECK(parse("https://Media.LocalHost/a.png?x=1", &u, NULL) == 0);
    CHECK_STR(u.host, "media.localhost");
    CHECK(u.https && u.port == 443 && !u.is_ip);
    CHECK(parse("HTTP://localhost:8080", &u, NULL) == 0);
    CHECK(u.port == 8080 && !u.https);
    CHECK(parse("http://localhost.:81/", &u, NULL) == 0);
    CHECK_STR(u.host, "localhost");
    CHECK(parse("http://2130706433/x", &u, NULL) == 0);
    CHECK(u.is_ip && u.port == 80);
    CHECK_STR(u.host, "127.0.0.1");
    CHECK_STR(u.written, "2130706433");
    CHECK(parse("http://[::ffff:127.0.0.1]:8080/", &u, NULL) == 0);
    CHECK(u.is_ip && u.addr.family == 6 && u.port == 8080);
    CHECK_STR(u.written, "[::ffff:127.0.0.1]");
    CHECK(parse("http://[::1]/", &u, NULL) == 0);
    CHECK_STR(u.host, "::1");

    CHECK(parse("ftp://localhost/a", &u, &why) == -1);
    CHECK_STR(why, "URL must be an http:// or https:// URL.");
    CHECK(parse("file:///etc/passwd", &u, &why) == -1);
    CHECK(parse("gopher://127.0.0.1:6379/_", &u, &why) == -1);
    CHECK(parse("http://user:pass@localhost/", &u, &why) == -1);
    CHECK_STR(why, "URL must not contain a user name or password.");
    CHECK(parse("http://@localhost/", &u, &why) == -1);
    CHECK(parse("http://localhost@127.0.0.1/", &u, &why) == -1);
    CHECK_STR(why, "URL must not contain a user name or password.");
    CHECK(parse("http://localhost:0/", &u, &why) == -1);
    CHECK_STR(why, "URL has an invalid port.");
    CHECK(parse("http://localhost:65536/", &u, &why) == -1);
    CHECK(parse("http://localhost:/", &u, &why) == -1);
    CHECK(parse("http://localhost:80:80/", &u, &why) == -1);
    CHECK(parse("http:///a", &u, &why) == -1);
    CHECK_STR(why, "URL must name a host.");
    CHECK(parse("http://local host/", &u, &why) == -1);
    CHECK(parse("http://localh%6fst/", &u, &why) == -1);
    CHECK(parse("http://localhost\\@127.0.0.1/", &u, &why) == -1);
    CHECK(parse("http://[::1%25lo]/", &u, &why) == -1); /* a zone id */
    CHECK(parse("http://[::1/", &u, &why) == -1);
    CHECK(parse("http://[::1]x/", &u, &why) == -1);
    CHECK(parse("http://127.0.0.256/", &u, &why) == -1);
    CHECK(parse("http://localhost.0x/", &u, &why) == -1); /* ends in a number: an address or nothing */
    CHECK(parse("http://0x7f.0x/", &u, NULL) == 0);       /* "0x" is a number: 0 */
    CHECK(u.is_ip && urlpolicy_classify(&u.addr) == URLPOLICY_LOOPBACK);
    CHECK_STR(u.host, "127.0.0.0");
    CHECK(parse("http://local..host/", &u, &why) == -1);
    CHECK(parse("http://.localhost/", &u, &why) == -1);
    CHECK(parse("http://l\xc3\xb6" "calhost/", &u, &why) == -1);
    /* the authority ends at the first of / ? #: an @ after it is path */
    CHECK(parse("http://localhost/a@b", &u, NULL) == 0);
    CHECK(parse("http://localhost?@127.0.0.1/", &u, NULL) == 0);
    CHECK_STR(u.host, "localhost");
}

static const char *judge(const struct urlpolicy *p, const char *url)
{
    static char why[256];
    if (urlpolicy_check_url(p, url, why, sizeof why) == 0)
        return "ok";
    return why;
}

/* The gateway's check: every loopback form refused with a message saying why. */
static void test_check_url_refuses_loopback_forms(void)
{
    struct urlpolicy p;
    urlpolicy_init(&p);
    CHECK_STR(judge(&p, "http://127.0.0.1:8080/a.png"),
              "URL must point to a public address: 127.0.0.1 is a loopback address.");
    CHECK_STR(judge(&p, "http://localhost/a.png"), "URL must point to a public address: localhost is a loopback name.");
    CHECK_STR(judge(&p, "http://LOCALHOST./a.png"),
              "URL must point to a public address: localhost is a loopback name.");
    CHECK_STR(judge(&p, "http://media.localhost/a.png"),
              "URL must point to a public address: media.localhost is a loopback name.");
    CHECK_STR(judge(&p, "http://2130706433/"),
              "URL must point to a public address: 2130706433 (127.0.0.1) is a loopback address.");
    CHECK_STR(judge(&p, "http://0x7f000001/"),
              "URL must point to a public address: 0x7f000001 (127.0.0.1) is a loopback address.");
    CHECK_STR(judge(&p, "http://0177.0.0.1/"),
              "URL must point to a public address: 0177.0.0.1 (127.0.0.1) is a loopback address.");
    CHECK_STR(judge(&p, "http://127.1/"), "URL must point to a public address: 127.1 (127.0.0.1) is a loopback address.");
    CHECK_STR(judge(&p, "http://[::1]/"), "URL must point to a public address: [::1] is a loopback address.");
    CHECK_STR(judge(&p, "http://[::ffff:127.0.0.1]/"),
              "URL must point to a public address: [::ffff:127.0.0.1] is a loopback address.");
    CHECK_STR(judge(&p, "http://[0:0:0:0:0:ffff:7f00:1]/"),
              "URL must point to a public address: [0:0:0:0:0:ffff:7f00:1] (::ffff:127.0.0.1) is a loopback "
              "address.");
    CHECK_STR(judge(&p, "http://user:pass@localhost/"), "URL must not contain a user name or password.");
    CHECK_STR(judge(&p, "ftp://localhost/"), "URL must be an http:// or https:// URL.");
}

static void test_allow_list(void)
{
    struct urlpolicy p;
    char err[200];
    urlpolicy_init(&p);
    CHECK(urlpolicy_allow(&p, " 127.0.0.0/8, media.localhost ,gw.localhost:8443,[::1]:9000,,::127.0.0.0/104", err,
                          sizeof err) == 0);
    CHECK(p.n == 5);
    CHECK(p.rules[0].is_cidr && p.rules[0].prefix == 8 && p.rules[0].port == 0);
    CHECK(!p.rules[1].is_cidr && p.rules[1].port == 0 && strcmp(p.rules[1].host, "media.localhost") == 0);
    CHECK(!p.rules[2].is_cidr && p.rules[2].port == 8443);
    CHECK(p.rules[3].is_cidr && p.rules[3].prefix == 128 && p.rules[3].port == 9000);
    CHECK(p.rules[4].is_cidr && p.rules[4].prefix == 104 && p.rules[4].addr.family == 6);
    CHECK_STR(judge(&p, "http://127.0.0.1:8080/a.png"), "ok");
    CHECK_STR(judge(&p, "http://2130706433/a.png"), "ok");
    CHECK_STR(judge(&p, "http://[::ffff:127.0.0.1]/a.png"), "ok"); /* mapped: 127.0.0.1 on the wire */
    CHECK_STR(judge(&p, "http://localhost:1234/a.png"), "ok"); /* localhost is 127.0.0.1 */
    CHECK_STR(judge(&p, "http://media.localhost/a.png"), "ok"); /* a name the operator allowed */
    CHECK_STR(judge(&p, "http://[::1]:9000/"), "ok");
    CHECK(strcmp(judge(&p, "http://[::1]:9001/"), "ok") != 0); /* only that port */
    CHECK(strcmp(judge(&p, "http://[::1]/"), "ok") != 0);
    CHECK_STR(judge(&p, "http://[::127.0.0.5]/"), "ok"); /* an IPv6 range */
    CHECK(strcmp(judge(&p, "http://user:pw@127.0.0.1/"), "ok") != 0); /* never userinfo */

    /* connect-time: the address curl connects to, for the hop's host */
    struct urlpolicy_addr lo = {.family = 4, .b = {127, 0, 0, 1}}, six = {.family = 6, .b = {[15] = 1}};
    CHECK(urlpolicy_allowed(&p, "anything.localhost", &lo, 80));
    CHECK(!urlpolicy_allowed(&p, "anything.localhost", &six, 80));
    CHECK(urlpolicy_allowed(&p, "anything.localhost", &six, 9000));
    CHECK(urlpolicy_allowed(&p, "media.localhost", &six, 80)); /* a name the operator allowed */
    CHECK(urlpolicy_allowed(&p, "gw.localhost", &six, 8443));
    CHECK(!urlpolicy_allowed(&p, "gw.localhost", &six, 443));
    CHECK(!urlpolicy_allowed(&p, NULL, NULL, 80));

    /* only 127.0.0.2: 127.0.0.1 stays refused */
    urlpolicy_init(&p);
    CHECK(urlpolicy_allow(&p, "127.0.0.2", err, sizeof err) == 0);
    CHECK_STR(judge(&p, "http://127.0.0.2:8000/"), "ok");
    CHECK(strcmp(judge(&p, "http://127.0.0.1:8000/"), "ok") != 0);
    CHECK(strcmp(judge(&p, "http://localhost:8000/"), "ok") != 0);

    urlpolicy_init(&p);
    CHECK(urlpolicy_allow(&p, "127.0.0.0/33", err, sizeof err) == -1);
    CHECK(strstr(err, "127.0.0.0/33") != NULL);
    CHECK(urlpolicy_allow(&p, "http://localhost/", err, sizeof err) == -1);
    CHECK(urlpolicy_allow(&p, "local host", err, sizeof err) == -1);
    CHECK(urlpolicy_allow(&p, "localhost:99999", err, sizeof err) == -1);
    CHECK(urlpolicy_allow(&p, "", err, sizeof err) == 0 && p.n == 0);
    CHECK(urlpolicy_allow(&p, NULL, err, sizeof err) == 0 && p.n == 0);
}

int main(void)
{
    RUN(test_ipv4_ranges);
    RUN(test_ipv6_ranges);
    RUN(test_ipv6_embedding_ipv4);
    RUN(test_classify_sockaddr);
    RUN(test_ipv4_forms);
    RUN(test_parse_url);
    RUN(test_check_url_refuses_loopback_forms);
    RUN(test_allow_list);
    return check_summary();
}
