/* fuzz_video_body.c — video generation, POST /v1/videos/generations and
 * GET /v1/videos/generations/{id}: the JSON body, api/videos.c's content[]
 * parsing and core/videos.c's rules (models, ratios, resolutions,
 * durations, content items, asset:// references to the seeded assets),
 * over a real SQLite store (fuzz_gw.h). A create that passes every rule
 * reaches the upstream client, which fails at once (127.0.0.1:1).
 *
 * Input: byte 0 is the request's shape; the rest is the body, or for a GET
 * the task id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_gw.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_gw();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_gw *g = fuzz_gw();
    struct fuzz_in in = {data, size};
    uint8_t shape = fuzz_byte(&in);
    size_t rest_len;
    char *rest = fuzz_rest(&in, &rest_len);
    char *path = NULL;
    struct api_request req = {.method = "POST", .path = "/v1/videos/generations", .authorization = g->bearer,
                              .body = rest, .body_len = rest_len, .request_id = "fuzz"};
    switch (shape & 7) {
    case 5: /* read a task */
        path = malloc(rest_len + 32); /* the id ends at a NUL, as a path does */
        if (!path)
            abort();
        snprintf(path, rest_len + 32, "/v1/videos/generations/%s", rest);
        req.method = (shape & 8) ? "HEAD" : "GET";
        req.path = path;
        req.body = "";
        req.body_len = 0;
        break;
    case 6: /* the wrong method, or a trailing slash */
        req.method = (shape & 8) ? "GET" : "POST";
        req.path = "/v1/videos/generations/";
        break;
    case 7: /* no key, or not ours */
        req.authorization = (shape & 8) ? NULL : "Bearer nope";
        break;
    default:
        break;
    }
    req.body_too_large = shape == 0xf0;
    req.overloaded = shape == 0xf1;
    fuzz_gw_handle(g, &req);
    free(path);
    free(rest);
    return 0;
}
