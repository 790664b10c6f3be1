/* fuzz_route.c — api_handle's routing of any method and path (portrait,
 * videos, media, upload, health endpoints, unknown paths) with an empty
 * body, http_split_hostport on the same bytes, and the raw query reader
 * (http/framing.h) on the path's query string.
 *
 * Input: byte 0 picks the method (bits 0-2), a key (bit 3; with bit 6 an
 * admin key instead of the customer's), an Action (bit 4) and the
 * listener (bit 5: the admin one, API.md §7); the rest up to a newline is
 * the path, the next line a listen address for http_split_hostport. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_gw.h"
#include "http/addr.h"
#include "http/framing.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_gw();
    return 0;
}

static void split(const char *s)
{
    char host[256];
    int port = -1;
    size_t cap = 1 + (strlen(s) & 255); /* every capacity from 1 to 256 */
    if (http_split_hostport(s, host, cap, &port) == 0) {
        if (port < 0 || port > 65535 || strlen(host) >= cap)
            abort();
    }
}

static void query(const char *path)
{
    const char *q = strchr(path, '?');
    char v[256];
    size_t cap = 1 + (strlen(path) & 255); /* every capacity from 1 to 256 */
    static const char *const names[] = {"Action", "Version", "", "A"};
    for (size_t i = 0; i < 4; i++)
        if (http_query_param(q ? q + 1 : NULL, names[i], v, cap) == HTTP_QUERY_OK && strlen(v) >= cap)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "", "get"};
    struct fuzz_gw *g = fuzz_gw();
    struct fuzz_in in = {data, size};
    uint8_t sel = fuzz_byte(&in);
    char *path = fuzz_take(&in, '\n', NULL);
    char *listen = fuzz_take(&in, '\n', NULL);
    const char *bearer = (sel & 64) ? g->admin_bearer : g->bearer;
    const char *action = (sel & 32) ? "ListCustomers" : "GetAsset";
    struct api_request req = {.method = methods[sel & 7], .path = path, .authorization = (sel & 8) ? bearer : NULL,
                              .action = (sel & 16) ? action : NULL, .version = (sel & 16) ? "2024-01-01" : NULL,
                              .body = "", .body_len = 0, .request_id = "fuzz", .remote_addr = "127.0.0.1",
                              .overloaded = sel == 0xff};
    /* Actions that would wait on the upstream are not the point here. */
    struct api *api = (sel & 32) ? g->admin_api : g->api;
    if (!api_is_slow(api, &req)) {
        if (sel & 32)
            fuzz_gw_handle_admin(g, &req);
        else
            fuzz_gw_handle(g, &req);
    }
    split(path);
    split(listen);
    query(path);
    free(path);
    free(listen);
    return 0;
}
