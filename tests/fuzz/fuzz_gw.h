/* fuzz_gw.h — a real gateway (api → core → SQLite store, fs blob, volc
 * upstream) for the fuzz targets that drive the Action and video surfaces.
 *
 * Built once per process (lazily, on first use) in a temporary directory:
 * one customer with a key, and a fixed group and assets so that fuzzed
 * requests can name ids that exist (FUZZ_GROUP_ID, ...; they are in the
 * seed corpora and dictionaries). The upstream is the real client pointed
 * at 127.0.0.1:1 with one attempt, so every call that would reach it fails
 * at once with "connection refused" and nothing leaves the machine; budgets
 * never wait. No refresher runs, so the store only changes through the
 * fuzzed requests themselves. */
#ifndef PORTICO_FUZZ_GW_H
#define PORTICO_FUZZ_GW_H
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "blob/blob.h"
#include "store/store.h"

#define FUZZ_GROUP_ID "group-20240101000000-fuzz1"
#define FUZZ_ASSET_ID "asset-20240101000000-fuzz1"   /* Image, Active */
#define FUZZ_ASSET_PROC "asset-20240101000000-fuzz2" /* Video, Processing */

struct fuzz_gw {
    char dir[256];
    struct store *store;
    struct blob *blob;
    struct upstream *up;
    struct core *core;
    struct api *api;
    struct api *admin_api; /* the admin listener's endpoints (API.md §7) */
    char key[64];     /* the customer's Bearer key */
    char bearer[80];  /* "Bearer <key>" */
    char admin_key[64];    /* an operator's admin key */
    char admin_bearer[80]; /* "Bearer <admin key>" */
};

/* The process's gateway; aborts if it cannot be built. */
struct fuzz_gw *fuzz_gw(void);
/* Runs one request through api_handle and frees the response. */
void fuzz_gw_handle(struct fuzz_gw *g, const struct api_request *req);
/* The same on the admin listener's API. */
void fuzz_gw_handle_admin(struct fuzz_gw *g, const struct api_request *req);

/* A cursor over the fuzz input: small integers and byte runs taken from
 * its front. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};
uint8_t fuzz_byte(struct fuzz_in *in);
/* The next bytes up to (not including) sep, or the rest; malloc'd, NUL-
 * terminated (embedded NULs kept in *len). */
char *fuzz_take(struct fuzz_in *in, uint8_t sep, size_t *len);
/* All the remaining bytes, malloc'd and NUL-terminated. */
char *fuzz_rest(struct fuzz_in *in, size_t *len);

#endif
