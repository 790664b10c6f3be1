/* urlguard.h — the outbound URL policy (urlpolicy.h) applied to a libcurl
 * transfer made on a customer's behalf: the URL is checked before anything
 * is sent, and every address curl is about to connect to (the first hop's,
 * each redirect's, each address a name resolves to) is checked in
 * CURLOPT_OPENSOCKETFUNCTION, so a name that resolves to loopback or a
 * redirect to a private address is refused before a packet leaves.
 *
 * Also: http and https only (redirects too), at most max_redirs redirects,
 * no proxy from the environment, no userinfo on any hop. */
#ifndef PORTICO_URLGUARD_H
#define PORTICO_URLGUARD_H
#include <curl/curl.h>

#include "util/urlpolicy.h"

struct urlguard {
    const struct urlpolicy *policy;
    CURL *curl;
    int refused;    /* the policy refused the URL or a connection; with several
                     * addresses (::1, then 127.0.0.1) a later one may still
                     * have been allowed: judge with the transfer's result */
    char why[200];  /* what was refused, for the operator's log only: never
                     * shown to a customer (it would map the host's network) */
};

/* Prepares c to fetch url under policy p; g must outlive the transfer.
 * 0, or -1 (g->refused, g->why set) when url itself is refused: then
 * nothing must be fetched. */
int urlguard_setup(struct urlguard *g, CURL *c, const struct urlpolicy *p, const char *url, long max_redirs);

#endif
