/* test_urlpolicy.c — the outbound URL policy (util/urlpolicy.c): the
 * address classifier over every range it refuses, the strict URL parser
 * (every numeric IPv4 form resolvers accept), the allow-list, and the
 * gateway's judgement of a URL. Pure: parsed addresses, no network. */
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

static void test_ipv4_ranges(void)
{
    CHECK(cls("127.0.0.1") == URLPOLICY_LOOPBACK);
    CHECK(cls("127.255.255.254") == URLPOLICY_LOOPBACK);
    CHECK(cls("0.0.0.0") == URLPOLICY_UNSPECIFIED);
    CHECK(cls("0.1.2.3") == URLPOLICY_UNSPECIFIED);
    CHECK(cls("10.0.0.1") == URLPOLICY_PRIVATE);
    CHECK(cls("10.255.255.255") == URLPOLICY_PRIVATE);
    CHECK(cls("172.16.0.1") == URLPOLICY_PRIVATE);
    CHECK(cls("172.31.255.255") == URLPOLICY_PRIVATE);
    CHECK(cls("172.15.255.255") == URLPOLICY_PUBLIC);
    CHECK(cls("172.32.0.0") == URLPOLICY_PUBLIC);
    CHECK(cls("192.168.1.1") == URLPOLICY_PRIVATE);
    CHECK(cls("100.64.0.1") == URLPOLICY_CGNAT);
    CHECK(cls("100.127.255.255") == URLPOLICY_CGNAT);
    CHECK(cls("100.63.255.255") == URLPOLICY_PUBLIC);
    CHECK(cls("100.128.0.0") == URLPOLICY_PUBLIC);
    CHECK(cls("100.100.100.200") == URLPOLICY_METADATA);
    CHECK(cls("169.254.169.254") == URLPOLICY_METADATA);
    CHECK(cls("169.254.0.1") == URLPOLICY_LINK_LOCAL);
    CHECK(cls("169.254.170.2") == URLPOLICY_LINK_LOCAL);
    CHECK(cls("168.63.129.16") == URLPOLICY_METADATA);
    CHECK(cls("192.0.0.8") == URLPOLICY_RESERVED);
    CHECK(cls("192.0.2.1") == URLPOLICY_DOCUMENTATION);
    CHECK(cls("198.51.100.7") == URLPOLICY_DOCUMENTATION);
    CHECK(cls("203.0.113.9") == URLPOLICY_DOCUMENTATION);
    CHECK(cls("192.88.99.1") == URLPOLICY_RESERVED);
    CHECK(cls("198.18.0.1") == URLPOLICY_BENCHMARKING);
    CHECK(cls("198.19.255.255") == URLPOLICY_BENCHMARKING);
    CHECK(cls("198.20.0.0") == URLPOLICY_PUBLIC);
    CHECK(cls("224.0.0.1") == URLPOLICY_MULTICAST);
    CHECK(cls("239.255.255.250") == URLPOLICY_MULTICAST);
    CHECK(cls("240.0.0.1") == URLPOLICY_RESERVED);
    CHECK(cls("255.255.255.255") == URLPOLICY_BROADCAST);
    CHECK(cls("8.8.8.8") == URLPOLICY_PUBLIC);
    CHECK(cls("1.1.1.1") == URLPOLICY_PUBLIC);
    CHECK(cls("93.184.216.34") == URLPOLICY_PUBLIC);
}

static void test_ipv6_ranges(void)
{
    CHECK(cls("::") == URLPOLICY_UNSPECIFIED);
    CHECK(cls("::1") == URLPOLICY_LOOPBACK);
    CHECK(cls("fe80::1") == URLPOLICY_LINK_LOCAL);
    CHECK(cls("febf::1") == URLPOLICY_LINK_LOCAL);
    CHECK(cls("fec0::1") == URLPOLICY_PRIVATE);
    CHECK(cls("fc00::1") == URLPOLICY_UNIQUE_LOCAL);
    CHECK(cls("fd12:3456::1") == URLPOLICY_UNIQUE_LOCAL);
    CHECK(cls("fd00:ec2::254") == URLPOLICY_METADATA);
    CHECK(cls("ff02::1") == URLPOLICY_MULTICAST);
    CHECK(cls("ff05::1:3") == URLPOLICY_MULTICAST);
    CHECK(cls("2001:db8::1") == URLPOLICY_DOCUMENTATION);
    CHECK(cls("3fff::1") == URLPOLICY_DOCUMENTATION);
    CHECK(cls("2001:2::1") == URLPOLICY_BENCHMARKING);
    CHECK(cls("2001:0:4136:e378::1") == URLPOLICY_RESERVED); /* Teredo */
    CHECK(cls("100::1") == URLPOLICY_RESERVED);
    CHECK(cls("64:ff9b:1::1") == URLPOLICY_RESERVED);
    CHECK(cls("4000::1") == URLPOLICY_RESERVED);
    CHECK(cls("2606:4700:4700::1111") == URLPOLICY_PUBLIC);
    CHECK(cls("2001:4860:4860::8888") == URLPOLICY_PUBLIC);
}

/* IPv4 carried in IPv6 is judged as the IPv4 address it stands for. */
static void test_ipv6_embedding_ipv4(void)
{
    CHECK(cls("::ffff:127.0.0.1") == URLPOLICY_LOOPBACK);
    CHECK(cls("::ffff:7f00:1") == URLPOLICY_LOOPBACK);
    CHECK(cls("::ffff:169.254.169.254") == URLPOLICY_METADATA);
    CHECK(cls("::ffff:10.0.0.1") == URLPOLICY_PRIVATE);
    CHECK(cls("::ffff:8.8.8.8") == URLPOLICY_PUBLIC);
    CHECK(cls("::127.0.0.1") == URLPOLICY_LOOPBACK);     /* compatible */
    CHECK(cls("::192.168.0.1") == URLPOLICY_PRIVATE);
    CHECK(cls("64:ff9b::127.0.0.1") == URLPOLICY_LOOPBACK); /* NAT64 */
    CHECK(cls("64:ff9b::a9fe:a9fe") == URLPOLICY_METADATA);
    CHECK(cls("64:ff9b::8.8.8.8") == URLPOLICY_PUBLIC);
    CHECK(cls("2002:7f00:1::1") == URLPOLICY_LOOPBACK); /* 6to4 of 127.0.0.1 */
    CHECK(cls("2002:a00:1::") == URLPOLICY_PRIVATE);
    CHECK(cls("2002:808:808::1") == URLPOLICY_PUBLIC);
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
    inet_pton(AF_INET6, "::ffff:169.254.169.254", &s6.sin6_addr);
    CHECK(urlpolicy_classify_sockaddr((struct sockaddr *)&s6, NULL, &port) == URLPOLICY_METADATA);
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
    CHECK_STR(v4("169.254.43518"), "169.254.169.254");
    CHECK_STR(v4("2852039166"), "169.254.169.254");
    CHECK_STR(v4("0xa9.0xfe.0xa9.0xfe"), "169.254.169.254");
    CHECK_STR(v4("0"), "0.0.0.0");
    CHECK_STR(v4("0x"), "0.0.0.0");
    CHECK_STR(v4("256.0.0.1"), "invalid");
    CHECK_STR(v4("1.2.3.256"), "invalid");
    CHECK_STR(v4("1.2.65536"), "invalid");
    CHECK_STR(v4("4294967296"), "invalid");
    CHECK_STR(v4("08.0.0.1"), "invalid");
    CHECK_STR(v4("1.2.3.4.5"), "invalid");
    CHECK_STR(v4("1..2"), "invalid");
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
    CHECK(parse("https://Media.Example.COM/a.png?x=1", &u, NULL) == 0);
    CHECK_STR(u.host, "media.example.com");
    CHECK(u.https && u.port == 443 && !u.is_ip);
    CHECK(parse("HTTP://example.com:8080", &u, NULL) == 0);
    CHECK(u.port == 8080 && !u.https);
    CHECK(parse("http://example.com.:81/", &u, NULL) == 0);
    CHECK_STR(u.host, "example.com");
    CHECK(parse("http://2130706433/x", &u, NULL) == 0);
    CHECK(u.is_ip && u.port == 80);
    CHECK_STR(u.host, "127.0.0.1");
    CHECK_STR(u.written, "2130706433");
    CHECK(parse("http://[::ffff:127.0.0.1]:8080/", &u, NULL) == 0);
    CHECK(u.is_ip && u.addr.family == 6 && u.port == 8080);
    CHECK_STR(u.written, "[::ffff:127.0.0.1]");
    CHECK(parse("http://[::1]/", &u, NULL) == 0);
    CHECK_STR(u.host, "::1");

    CHECK(parse("ftp://example.com/a", &u, &why) == -1);
    CHECK_STR(why, "URL must be an http:// or https:// URL.");
    CHECK(parse("file:///etc/passwd", &u, &why) == -1);
    CHECK(parse("gopher://127.0.0.1:6379/_", &u, &why) == -1);
    CHECK(parse("http://user:pass@example.com/", &u, &why) == -1);
    CHECK_STR(why, "URL must not contain a user name or password.");
    CHECK(parse("http://@example.com/", &u, &why) == -1);
    CHECK(parse("http://example.com@127.0.0.1/", &u, &why) == -1);
    CHECK_STR(why, "URL must not contain a user name or password.");
    CHECK(parse("http://example.com:0/", &u, &why) == -1);
    CHECK_STR(why, "URL has an invalid port.");
    CHECK(parse("http://example.com:65536/", &u, &why) == -1);
    CHECK(parse("http://example.com:/", &u, &why) == -1);
    CHECK(parse("http://example.com:80:80/", &u, &why) == -1);
    CHECK(parse("http:///a", &u, &why) == -1);
    CHECK_STR(why, "URL must name a host.");
    CHECK(parse("http://exa mple.com/", &u, &why) == -1);
    CHECK(parse("http://exa%6dple.com/", &u, &why) == -1);
    CHECK(parse("http://example.com\\@127.0.0.1/", &u, &why) == -1);
    CHECK(parse("http://[fe80::1%25eth0]/", &u, &why) == -1);
    CHECK(parse("http://[::1/", &u, &why) == -1);
    CHECK(parse("http://[::1]x/", &u, &why) == -1);
    CHECK(parse("http://1.2.3.256/", &u, &why) == -1);
    CHECK(parse("http://foo.0x/", &u, &why) == -1); /* ends in a number: an address or nothing */
    CHECK(parse("http://0x/", &u, NULL) == 0);       /* "0x" is a number: 0 */
    CHECK(u.is_ip && urlpolicy_classify(&u.addr) == URLPOLICY_UNSPECIFIED);
    CHECK(parse("http://a..b/", &u, &why) == -1);
    CHECK(parse("http://.a/", &u, &why) == -1);
    CHECK(parse("http://ex\xc3\xa4mple.com/", &u, &why) == -1);
    /* the authority ends at the first of / ? #: an @ after it is path */
    CHECK(parse("http://example.com/a@b", &u, NULL) == 0);
    CHECK(parse("http://example.com?@127.0.0.1/", &u, NULL) == 0);
    CHECK_STR(u.host, "example.com");
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
    CHECK_STR(judge(&p, "http://169.254.169.254/latest/meta-data/"),
              "URL must point to a public address: 169.254.169.254 is a cloud metadata address.");
    CHECK_STR(judge(&p, "http://10.0.0.5/"), "URL must point to a public address: 10.0.0.5 is a private address.");
    CHECK_STR(judge(&p, "http://0.0.0.0:22/"),
              "URL must point to a public address: 0.0.0.0 is an unspecified address.");
    CHECK_STR(judge(&p, "http://[fd00::1]/"), "URL must point to a public address: [fd00::1] is a unique-local address.");
    CHECK_STR(judge(&p, "http://user:pass@example.com/"), "URL must not contain a user name or password.");
    CHECK_STR(judge(&p, "ftp://example.com/"), "URL must be an http:// or https:// URL.");
    /* names are not resolved here: what they resolve to is judged on connect */
    CHECK_STR(judge(&p, "https://media.example.com/a.png"), "ok");
    CHECK_STR(judge(&p, "http://8.8.8.8/a.png"), "ok");
    CHECK_STR(judge(&p, "http://[2606:4700:4700::1111]/a.png"), "ok");
}

static void test_allow_list(void)
{
    struct urlpolicy p;
    char err[200];
    urlpolicy_init(&p);
    CHECK(urlpolicy_allow(&p, " 127.0.0.0/8, media.internal ,gw.example.com:8443,[::1]:9000,,fd00::/8", err,
                          sizeof err) == 0);
    CHECK(p.n == 5);
    CHECK(p.rules[0].is_cidr && p.rules[0].prefix == 8 && p.rules[0].port == 0);
    CHECK(!p.rules[1].is_cidr && p.rules[1].port == 0 && strcmp(p.rules[1].host, "media.internal") == 0);
    CHECK(!p.rules[2].is_cidr && p.rules[2].port == 8443);
    CHECK(p.rules[3].is_cidr && p.rules[3].prefix == 128 && p.rules[3].port == 9000);
    CHECK_STR(judge(&p, "http://127.0.0.1:8080/a.png"), "ok");
    CHECK_STR(judge(&p, "http://2130706433/a.png"), "ok");
    CHECK_STR(judge(&p, "http://[::ffff:127.0.0.1]/a.png"), "ok"); /* mapped: 127.0.0.1 on the wire */
    CHECK_STR(judge(&p, "http://localhost:1234/a.png"), "ok"); /* localhost is 127.0.0.1 */
    CHECK_STR(judge(&p, "http://[::1]:9000/"), "ok");
    CHECK(strcmp(judge(&p, "http://[::1]:9001/"), "ok") != 0); /* only that port */
    CHECK_STR(judge(&p, "http://[fd00::5]/"), "ok");
    CHECK(strcmp(judge(&p, "http://10.0.0.1/"), "ok") != 0);
    CHECK(strcmp(judge(&p, "http://169.254.169.254/"), "ok") != 0);
    CHECK(strcmp(judge(&p, "http://user:pw@127.0.0.1/"), "ok") != 0); /* never userinfo */

    /* connect-time: the address curl connects to, for the hop's host */
    struct urlpolicy_addr lo = {.family = 4, .b = {127, 0, 0, 1}}, ten = {.family = 4, .b = {10, 1, 2, 3}};
    CHECK(urlpolicy_allowed(&p, "anything.example", &lo, 80));
    CHECK(!urlpolicy_allowed(&p, "anything.example", &ten, 80));
    CHECK(urlpolicy_allowed(&p, "media.internal", &ten, 80)); /* a name the operator allowed */
    CHECK(urlpolicy_allowed(&p, "gw.example.com", &ten, 8443));
    CHECK(!urlpolicy_allowed(&p, "gw.example.com", &ten, 443));
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
    CHECK(urlpolicy_allow(&p, "http://x/", err, sizeof err) == -1);
    CHECK(urlpolicy_allow(&p, "a b", err, sizeof err) == -1);
    CHECK(urlpolicy_allow(&p, "host:99999", err, sizeof err) == -1);
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
