/* fuzz_action_body.c — the Action endpoint, POST /v1/portrait/?Action=&Version=:
 * portrait_handle's generic checks, the JSON body, params.c's typed access,
 * every Action handler and the core's field rules (rules.c), list filters
 * and paging, over a real SQLite store (fuzz_gw.h).
 *
 * With byte 0's top bit, the same for the operators' Action endpoint, POST
 * /admin/?Action=&Version= on the admin listener (API.md §7), with an
 * admin key: admin.c's handlers and core/admin.c's rules.
 *
 * Input: byte 0 picks the Action (bit 7: an admin Action), byte 1 the
 * request's shape (Version, method, key, flags); the rest is the body. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_gw.h"

static const char *const actions[] = {
    "CreateAssetGroup", "GetAssetGroup", "ListAssetGroups", "UpdateAssetGroup", "DeleteAssetGroup",
    "CreateAsset", "GetAsset", "ListAssets", "UpdateAsset", "DeleteAsset", "CreateVisualValidateSession",
    "GetVisualValidateResult", "NoSuchAction", NULL,
};
#define N_ACTIONS (sizeof actions / sizeof actions[0])
static const char *const admin_actions[] = {
    "CreateCustomer", "ListCustomers", "UpdateCustomer", "CreateApiKey", "ListApiKeys", "RevokeApiKey",
    "NoSuchAction", NULL,
};
#define N_ADMIN_ACTIONS (sizeof admin_actions / sizeof admin_actions[0])

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
    int admin = (a & 0x80) != 0;
    if (admin) { /* the operators' key in the well-formed places, a customer's among the odd ones */
        auths[0] = auths[1] = auths[2] = auths[7] = g->admin_bearer;
        auths[4] = "Bearer ptca_wrongwrongwrongwrongwrongwrongwrongw";
    }
    struct api_request req = {
        .method = methods[shape & 3],
        .path = admin ? ((shape & 0x80) ? "/admin" : "/admin/") : ((shape & 0x80) ? "/v1/portrait" : "/v1/portrait/"),
        .action = admin ? admin_actions[(a & 0x7f) % N_ADMIN_ACTIONS] : actions[a % N_ACTIONS],
        /* bits 2-4: Version; bits 5-6: 0 picks an odd key by bits 2-4 */
        .version = versions[((shape >> 2) & 7) % 6],
        .authorization = (shape >> 5) & 3 ? auths[0] : auths[(shape >> 2) & 7],
        .remote_addr = "127.0.0.1",
        .body = body,
        .body_len = body_len,
        .body_too_large = shape == 0x7f,
        .request_id = "fuzz",
        .overloaded = shape == 0x7e,
    };
    if (admin)
        fuzz_gw_handle_admin(g, &req);
    else
        fuzz_gw_handle(g, &req);
    free(body);
    return 0;
}
