/* addr.h — listen address parsing and resolution. Kept apart from the
 * server so that the socket headers' names (netinet's struct group_filter)
 * never meet the store's. */
#ifndef PORTICO_HTTP_ADDR_H
#define PORTICO_HTTP_ADDR_H
#include <stddef.h>
#include <sys/socket.h>

/* Parses "HOST:PORT", "[V6]:PORT" or ":PORT"; 0 on success. */
int http_split_hostport(const char *listen, char *host, size_t host_cap, int *port);
/* Resolves a listen address (numeric or name) into out; *is_v6 tells the
 * family. 0 on success, -1 with the reason logged. */
int http_resolve(const char *listen, struct sockaddr_storage *out, int *port, int *is_v6);

/* The numeric form of a peer's address ("127.0.0.1", "::1"), "" if none. */
void http_peer_name(const struct sockaddr *sa, char *out, size_t cap);

#endif
