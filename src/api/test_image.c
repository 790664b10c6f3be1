/* test_image.c — GET/HEAD /doctor/test-image.png: a built-in 512x512 PNG.
 *
 * `porticod doctor` against a real upstream hands it
 * <public-url>/doctor/test-image.png as the URL of its test asset, so a
 * running gateway serves these fixed bytes (util/png.c) without an API
 * key: they are the same for everyone and reveal nothing. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/png.h"

void test_image_handle(struct api *a, const struct api_request *req, struct api_call *call,
                       struct api_response *resp)
{
    size_t len = 0;
    const uint8_t *png = png_test_image(&len);
    char *body = png ? malloc(len) : NULL;
    snprintf(resp->action, sizeof resp->action, "TestImage");
    if (!body) {
        api_fail_code(a, req, &call->to, CORE_SERVICE_UNAVAILABLE, NULL, resp);
        return;
    }
    memcpy(body, png, len);
    response_text(resp, 200, "image/png", body, len);
}
