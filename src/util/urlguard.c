/* urlguard.c — the outbound URL policy on a libcurl handle (urlguard.h).
 *
 * Invariant: the decision is taken on the address actually connected to,
 * never on a name or an earlier lookup, so DNS rebinding between a check
 * and the connect cannot slip past it. */
#include <stdio.h>
#include <sys/socket.h>

#include "util/urlguard.h"

static void refuse(struct urlguard *g, const char *fmt, const char *a, const char *b)
{
    g->refused = 1;
    snprintf(g->why, sizeof g->why, fmt, a, b);
}

/* Called by curl for every connection it opens. The hop's URL (the first,
 * or the redirect curl is following) is CURLINFO_EFFECTIVE_URL. */
static curl_socket_t guard_open(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
    struct urlguard *g = clientp;
    if (purpose != CURLSOCKTYPE_IPCXN) {
        refuse(g, "%s%s", "a connection that is not an outbound IP connection", "");
        return CURL_SOCKET_BAD;
    }
    char *eff = NULL;
    struct urlpolicy_url u;
    const char *why;
    curl_easy_getinfo(g->curl, CURLINFO_EFFECTIVE_URL, &eff);
    if (!eff || urlpolicy_parse_url(eff, &u, &why) != 0) {
        refuse(g, "%s%s", eff ? why : "no URL", ""); /* not the URL: it may hold a password */
        return CURL_SOCKET_BAD;
    }
    struct urlpolicy_addr a;
    int port = 0;
    enum urlpolicy_class c = urlpolicy_classify_sockaddr(&address->addr, &a, &port);
    if (c != URLPOLICY_PUBLIC && !urlpolicy_allowed(g->policy, u.host, &a, port)) {
        char text[64];
        urlpolicy_addr_str(&a, text, sizeof text);
        snprintf(g->why, sizeof g->why, "%.100s resolves to %s port %d, %s", u.host, text[0] ? text : "?", port,
                 urlpolicy_class_str(c));
        g->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

int urlguard_setup(struct urlguard *g, CURL *c, const struct urlpolicy *p, const char *url, long max_redirs)
{
    g->policy = p;
    g->curl = c;
    g->refused = 0;
    g->why[0] = '\0';
    char why[200];
    if (urlpolicy_check_url(p, url, why, sizeof why) != 0) {
        refuse(g, "%s%s", why, "");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, max_redirs > 0 ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, max_redirs);
    /* A proxy would be the address connected to: none, whatever the
     * environment says (http_proxy, ALL_PROXY). */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
    curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, guard_open);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, g);
    return 0;
}
