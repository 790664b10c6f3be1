/* static.h — files served from the binary: the two consoles and
 * /openapi.yaml (API.md §7). The table is generated at build time from the
 * repo's console/ and docs/openapi.yaml by tools/embed.c. */
#ifndef PORTICO_API_STATIC_H
#define PORTICO_API_STATIC_H
#include <stddef.h>

struct api_static_file {
    const char *name; /* "customer/index.html", "admin/app.js", "openapi.yaml" */
    const unsigned char *data; /* followed by a NUL */
    long size;
};

/* Ends with a row whose name is NULL. */
extern const struct api_static_file api_static_files[];

/* The row named name, or NULL. */
const struct api_static_file *api_static_find(const char *name);

#endif
