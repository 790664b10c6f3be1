/* fuzz_url_policy.c — the outbound URL policy (util/urlpolicy.c): the
 * allow-list parser, the strict http(s) URL parser, the numeric IPv4
 * reader and the gateway's judgement, on hostile bytes.
 * Input: an allow-list line, '\n', then the URL (any bytes; cut at a NUL).
 * Invariants checked (abort on breach):
 *   - a parsed URL has a host and a port in 1..65535;
 *   - an address literal's canonical text parses back to the same address;
 *   - with no allow-list, a URL whose literal address is not public, or
 *     that the parser refuses, is refused by urlpolicy_check_url;
 *   - urlpolicy_check_url never accepts a URL the parser refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/urlpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t alen = nl ? (size_t)(nl - data) : 0;
    const uint8_t *u = nl ? nl + 1 : data;
    size_t ulen = size - (size_t)(u - data);
    char *allow = malloc(alen + 1), *url = malloc(ulen + 1);
    if (!allow || !url)
        abort();
    memcpy(allow, data, alen);
    allow[alen] = '\0';
    memcpy(url, u, ulen);
    url[ulen] = '\0';

    /* the numeric reader on the exact bytes (ASan sees a read past them) */
    char *exact = malloc(ulen ? ulen : 1);
    if (!exact)
        abort();
    memcpy(exact, u, ulen);
    struct urlpolicy_addr a4;
    if (urlpolicy_parse_ipv4(exact, ulen, &a4) == 0 && a4.family != 4)
        abort();
    free(exact);

    static struct urlpolicy p, none; /* ~10 KB each: not on the stack */
    char err[200], why[256];
    urlpolicy_init(&p);
    urlpolicy_init(&none);
    (void)urlpolicy_allow(&p, allow, err, sizeof err);
    if (p.n > URLPOLICY_RULES_MAX)
        abort();

    struct urlpolicy_url pu;
    const char *msg = NULL;
    int parsed = urlpolicy_parse_url(url, &pu, &msg) == 0;
    if (!parsed && (!msg || !*msg))
        abort();
    if (parsed) {
        if (!pu.host[0] || pu.port < 1 || pu.port > 65535)
            abort();
        if (pu.is_ip) {
            char again[URLPOLICY_HOST_MAX + 16];
            struct urlpolicy_url pu2;
            snprintf(again, sizeof again, pu.addr.family == 6 ? "http://[%s]/" : "http://%s/", pu.host);
            if (urlpolicy_parse_url(again, &pu2, &msg) != 0 || !pu2.is_ip ||
                memcmp(&pu2.addr, &pu.addr, sizeof pu.addr) != 0)
                abort();
            enum urlpolicy_class c = urlpolicy_classify(&pu.addr);
            if (!urlpolicy_class_str(c))
                abort();
            if (c != URLPOLICY_PUBLIC && urlpolicy_check_url(&none, url, why, sizeof why) == 0)
                abort();
        }
        (void)urlpolicy_allowed(&p, pu.host, pu.is_ip ? &pu.addr : NULL, pu.port);
    }
    int ok_none = urlpolicy_check_url(&none, url, why, sizeof why) == 0;
    int ok_p = urlpolicy_check_url(&p, url, why, sizeof why) == 0;
    if (!parsed && (ok_none || ok_p))
        abort();
    free(allow);
    free(url);
    return 0;
}
