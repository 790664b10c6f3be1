/* image.c — the built-in test image on a loopback listener.
 *
 * Only for a run against the embedded simulator: the simulator, like the
 * real upstream, fetches the URL CreateAsset names, and nothing else on
 * this machine is bound to serve it. A real upstream cannot reach loopback,
 * so doctor.c then asks for --image-url or --public-url instead. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor_int.h"
#include "util/log.h"
#include "util/png.h"

struct doctor_image {
    struct MHD_Daemon *d;
};

static enum MHD_Result doctor_image_answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                           const char *version, const char *upload_data, size_t *upload_size,
                                           void **state)
{
    size_t len = 0;
    const uint8_t *png = png_test_image(&len);
    int ok = png && strcmp(url, DOCTOR_IMAGE_PATH) == 0 &&
             (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);
    struct MHD_Response *r = ok ? MHD_create_response_from_buffer(len, (void *)png, MHD_RESPMEM_PERSISTENT)
                                : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (ok)
        MHD_add_response_header(r, "Content-Type", "image/png");
    enum MHD_Result ret = MHD_queue_response(c, ok ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, r);
    MHD_destroy_response(r);
    return ret;
}

struct doctor_image *doctor_image_start(char *url_out, size_t cap)
{
    if (!png_test_image(NULL)) {
        log_error("doctor: cannot make the test image");
        return NULL;
    }
    struct doctor_image *im = calloc(1, sizeof *im);
    if (!im)
        return NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    im->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                             doctor_image_answer, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                             MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = im->d ? MHD_get_daemon_info(im->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info || info->port == 0) {
        log_error("doctor: cannot listen on 127.0.0.1 for the test image");
        doctor_image_stop(im);
        return NULL;
    }
    snprintf(url_out, cap, "http://127.0.0.1:%u" DOCTOR_IMAGE_PATH, (unsigned)info->port);
    return im;
}

void doctor_image_stop(struct doctor_image *im)
{
    if (!im)
        return;
    if (im->d)
        MHD_stop_daemon(im->d);
    free(im);
}
