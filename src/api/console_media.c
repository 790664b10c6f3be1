/* console_media.c — the pictures the customers' console shows (API.md §7),
 * each behind the caller's key like every other read:
 *
 *   GET /v1/portrait/thumbnails/{AssetId}   image/jpeg: the asset's stored
 *       image scaled to fit 320 px (made once, kept in the blob store);
 *       image/svg+xml: a neutral placeholder when Portico stores no image
 *       of the asset (registered by URL, video, audio). Another customer's
 *       id and a missing one: Forbidden, byte for byte alike.
 *   GET /v1/portrait/qrcodes/{BytedToken}   image/svg+xml: the QR code of
 *       the session's H5Link while it is open. Another customer's token
 *       and an unknown one: InvalidToken, alike; TokenExpired once closed.
 *
 * Errors use the Action envelope (the route's name as its Action). Both
 * images are made of bytes Portico chose (an SVG of numbers only, a JPEG
 * gd wrote), and are sent with a CSP that allows nothing to run. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/qrsvg.h"

/* Images only: nothing in them may load or run, should one be opened as a page. */
#define IMAGE_CSP "default-src 'none'; sandbox"

/* A grey head-and-shoulders on a light square, for assets without a thumbnail. */
static const char placeholder_svg[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 320 320\" width=\"320\" height=\"320\">"
    "<rect width=\"320\" height=\"320\" fill=\"#eef0f3\"/>"
    "<circle cx=\"160\" cy=\"128\" r=\"52\" fill=\"#c5cad3\"/>"
    "<path d=\"M64 272c8-56 48-88 96-88s88 32 96 88z\" fill=\"#c5cad3\"/></svg>\n";

static void send_image(struct api_response *resp, const char *type, char *body, size_t len, const char *cache)
{
    response_text(resp, 200, type, body, len);
    resp->cache_control = cache;
    resp->csp = IMAGE_CSP;
}

void console_thumbnail(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    struct core_status st = {0};
    struct core_thumbnail t;
    const char *id = req->path + strlen(THUMBNAILS_PATH);
    if (core_asset_thumbnail(a->core, &call->cu, id, &t, &st)) {
        api_fail(a, req, &call->to, &st, resp);
        return;
    }
    if (t.placeholder) {
        char *svg = strdup(placeholder_svg);
        if (!svg) {
            api_fail_code(a, req, &call->to, CORE_SERVICE_UNAVAILABLE, "The server is out of memory; retry shortly.",
                          resp);
            return;
        }
        /* an upload whose bytes are still coming may get a thumbnail later */
        send_image(resp, "image/svg+xml", svg, strlen(svg), "private, no-cache");
        return;
    }
    /* An asset's bytes never change: its thumbnail neither. */
    send_image(resp, "image/jpeg", (char *)t.data, t.len, "private, max-age=86400");
}

void console_qrcode(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    struct core_status st = {0};
    const char *token = req->path + strlen(QRCODES_PATH);
    char *link = malloc(STORE_LINK_MAX);
    if (!link) {
        api_fail_code(a, req, &call->to, CORE_SERVICE_UNAVAILABLE, "The server is out of memory; retry shortly.", resp);
        return;
    }
    if (core_validate_session_link(a->core, &call->cu, token, link, &st)) {
        free(link);
        api_fail(a, req, &call->to, &st, resp);
        return;
    }
    struct buf svg;
    buf_init(&svg, 1024 * 1024);
    int r = qrsvg_make(link, &svg);
    free(link);
    if (r != QRSVG_OK) {
        buf_free(&svg);
        api_fail_code(a, req, &call->to, r == QRSVG_NOMEM ? CORE_SERVICE_UNAVAILABLE : CORE_INTERNAL_ERROR,
                      r == QRSVG_NOMEM ? "The server is out of memory; retry shortly."
                                       : "The H5Link is too long for a QR code; open it directly.",
                      resp);
        return;
    }
    size_t len = svg.len;
    send_image(resp, "image/svg+xml", buf_take(&svg), len, "private, no-store");
}
