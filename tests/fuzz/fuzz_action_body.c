/* fuzz_action_body.c — the Action endpoint, POST /v1/portrait/?Action=&Version=:
 * portrait_handle's generic checks, the JSON body, params.c's typed access,
 * every Action handler and the core's field rules (rules.c), list filters
 * and paging, over a real SQLite store (fuzz_gw.h).
 *
 * Input: byte 0 picks the Action, byte 1 the request's shape (Version,
 * method, key, flags); the rest is the body. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_gw.h"

static const char *const actions[] = {
    "CreateAssetGroup", "GetAssetGroup", "ListAssetGroups", "UpdateAssetGroup", "DeleteAssetGroup",
    "CreateAsset", "GetAsset", "ListAssets", "UpdateAsset", "DeleteAsset", "CreateVisualValidateSession",
    "GetVisualValidateResult", "NoSuchAction", NULL,
};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_gw();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_gw *g = fuzz_gw();
    struct fuzz_in in = {data, size};
    uint8_t a = fuzz_byte(&in), shape = fuzz_byte(&in);
    /* Mostly well-formed envelopes, so that the body is what gets fuzzed. */
    static const char *const versions[] = {"2024-01-01", "2024-01-01", "2024-01-01", NULL, "2023-01-01", ""};
    static const char *const methods[] = {"POST", "POST", "POST", "GET"};
    const char *auths[] = {g->bearer, g->bearer, g->bearer, NULL, "Bearer ptc_wrongwrongwrongwrongwrongwrongwrongwr",
                           "bearer   ", g->key, g->bearer};
    size_t body_len;
    char *body = fuzz_rest(&in, &body_len);
    struct api_request req = {
        .method = methods[shape & 3],
        .path = (shape & 0x80) ? "/v1/portrait" : "/v1/portrait/",
        .action = actions[a % N_ACTIONS],
        /* bits 2-4: Version; bits 5-6: 0 picks an odd key by bits 2-4 */
        .version = versions[((shape >> 2) & 7) % 6],
        .authorization = (shape >> 5) & 3 ? g->bearer : auths[(shape >> 2) & 7],
        .body = body,
        .body_len = body_len,
        .body_too_large = shape == 0x7f,
        .request_id = "fuzz",
        .overloaded = shape == 0x7e,
    };
    fuzz_gw_handle(g, &req);
    free(body);
    return 0;
}
