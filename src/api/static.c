/* static.c — the consoles and /openapi.yaml, served from the files built
 * into the binary (static.h). A path is looked up by name in that table,
 * never on the filesystem, so no path can reach another file. Pages carry a
 * strict Content-Security-Policy: scripts, styles and requests from this
 * origin only, nothing inline, no framing (API.md §7). */
#include <string.h>

#include "api/internal.h"
#include "api/static.h"

#define CONSOLE_PATH "/console/"

/* What a console page may load: its own files and its own API. Images may
 * also be data: URLs (the QR code, thumbnails made in the page) and blob:
 * URLs (a dropped file's preview); video plays from the gateway's result
 * URL, which is this origin. */
#define CONSOLE_CSP                                                                                             \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; " \
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; "    \
    "base-uri 'none'"

const struct api_static_file *api_static_find(const char *name)
{
    for (const struct api_static_file *f = api_static_files; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static const char *type_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".ico", "image/x-icon"},
        {".json", "application/json"}, {".webmanifest", "application/manifest+json"},
        {".yaml", "application/yaml; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static void serve(struct api *a, const struct api_request *req, struct api_call *call, const char *name,
                  struct api_response *resp)
{
    const struct api_static_file *f = api_static_find(name);
    if (!f) {
        api_fail_code(a, req, &call->to, CORE_NOT_FOUND, NULL, resp);
        return;
    }
    char *body = malloc((size_t)f->size + 1);
    if (!body) {
        api_fail_code(a, req, &call->to, CORE_INTERNAL_ERROR, "Out of memory.", resp);
        return;
    }
    memcpy(body, f->data, (size_t)f->size + 1);
    response_text(resp, 200, type_of(name), body, (size_t)f->size);
    /* revalidated on every load: a new build's files are seen at once */
    resp->cache_control = "no-cache";
    resp->csp = CONSOLE_CSP;
}

/* GET /console/...: the customers' console on the public listener, the
 * operators' on the admin listener. "/console" and "/console/" are its
 * index page; the pages refer to their files by absolute path. */
void static_console(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    snprintf(resp->action, sizeof resp->action, "Console");
    const char *rest = req->path + strlen("/console");
    if (*rest == '/')
        rest++;
    char name[200];
    if (snprintf(name, sizeof name, "%s/%s", a->admin ? "admin" : "customer", *rest ? rest : "index.html") >=
        (int)sizeof name) {
        api_fail_code(a, req, &call->to, CORE_NOT_FOUND, NULL, resp);
        return;
    }
    serve(a, req, call, name, resp);
}

void static_openapi(struct api *a, const struct api_request *req, struct api_call *call, struct api_response *resp)
{
    snprintf(resp->action, sizeof resp->action, "OpenAPI");
    serve(a, req, call, "openapi.yaml", resp);
}
