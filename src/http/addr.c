/* addr.c — see addr.h. */
#include "http/addr.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

int http_split_hostport(const char *listen, char *host, size_t host_cap, int *port)
{
    const char *colon;
    const char *h = listen;
    size_t hlen;
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        if (!end || end[1] != ':')
            return -1;
        h = listen + 1;
        hlen = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return -1;
        hlen = (size_t)(colon - listen);
    }
    if (hlen + 1 > host_cap)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

int http_resolve(const char *listen, struct sockaddr_storage *out, int *port, int *is_v6)
{
    char host[256];
    if (http_split_hostport(listen, host, sizeof host, port) != 0) {
        log_error("listen address %s: expected HOST:PORT", listen);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", *port);
    int gai = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &ai);
    if (gai != 0) {
        log_error("listen address %s: %s", listen, gai_strerror(gai));
        return -1;
    }
    memset(out, 0, sizeof *out);
    memcpy(out, ai->ai_addr, ai->ai_addrlen);
    *is_v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    return 0;
}

void http_peer_name(const struct sockaddr *sa, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
        return;
    socklen_t len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (getnameinfo(sa, len, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST) != 0 && cap)
        out[0] = '\0';
}
