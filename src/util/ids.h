/* ids.h — identifiers: upstream-format resource ids and request ids. */
#ifndef PORTICO_IDS_H
#define PORTICO_IDS_H
#include <stddef.h>
#include <stdint.h>

/* Longest id Portico issues or accepts from the upstream, plus NUL. */
#define IDS_MAX 64

/* Volcengine's format: "<kind>-YYYYMMDDhhmmss-xxxxx", x in [a-z0-9].
 * out must hold IDS_MAX bytes. */
void ids_resource(const char *kind, int64_t wall_ms, char out[static IDS_MAX]);
/* 1 when s has exactly that shape for the given kind. */
int ids_is_resource(const char *kind, const char *s);
/* A 32-hex-digit random request id; out holds 33 bytes. */
void ids_request(char out[static 33]);
/* n random characters from [a-zA-Z0-9] and a NUL. */
void ids_random_alnum(char *out, size_t n);
/* n random characters of [a-z0-9] and a NUL (out holds n + 1). */
void ids_random_lower(char *out, size_t n);

#endif
