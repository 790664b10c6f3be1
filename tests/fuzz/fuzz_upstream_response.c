/* fuzz_upstream_response.c — what the upstream answers, as the clients
 * parse it: volc.c's volc_classify (the ResponseMetadata/Result envelope),
 * volc_parse_time, volc_valid_id, volc_parse_asset, volc_parse_session; ark_video.c's ark_classify and
 * ark_parse_task (a ModelArk task object). Exposed through volc_int.h.
 *
 * Input: byte 0 picks the HTTP status (from a list, or raw); the rest is
 * the response body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_gw.h"
#include "upstream/volc_int.h"

static void check_err(const struct up_error *e)
{
    if (!memchr(e->code, '\0', sizeof e->code) || !memchr(e->message, '\0', sizeof e->message))
        abort();
}

static const char *str_of(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 200, 200, 200, 400, 401, 403, 404, 429, 500, 502, 503, 302, 100, 0, -1};
    struct fuzz_in in = {data, size};
    uint8_t sel = fuzz_byte(&in);
    long status = (sel & 0x80) ? (long)(sel & 0x7f) * 5 : statuses[sel & 15];
    struct buf body;
    buf_init(&body, 1 << 20);
    if (in.n && buf_append(&body, in.p, in.n) != 0)
        abort();

    struct up_error err;
    memset(&err, 0, sizeof err);
    json_t *res = NULL;
    enum up_result r = volc_classify(status, &body, &res, &err);
    if (r == UP_OK) {
        if (!json_is_object(res))
            abort();
        (void)volc_valid_id(str_of(res, "Id"));
        (void)volc_valid_id(str_of(res, "GroupId"));
        (void)volc_parse_time(str_of(res, "ExpireTime"));
        /* the typed Results: GetAsset and CreateVisualValidateSession */
        struct up_asset a;
        if (volc_parse_asset(res, NULL, &a, &err) == 0 &&
            (!memchr(a.status, '\0', sizeof a.status) || !memchr(a.error_code, '\0', sizeof a.error_code) ||
             !memchr(a.error_message, '\0', sizeof a.error_message)))
            abort();
        static struct up_validate_session vs;
        if (volc_parse_session(res, 1000, 120, &vs, &err) == 0 &&
            (!memchr(vs.h5_link, '\0', sizeof vs.h5_link) || vs.expire_ms <= 0))
            abort();
        check_err(&err);
        json_decref(res);
    } else {
        if (res)
            abort();
        check_err(&err);
    }
    (void)up_result_str(r);

    memset(&err, 0, sizeof err);
    json_t *root = NULL;
    r = ark_classify(status, &body, &root, &err);
    if (r == UP_OK) {
        if (!json_is_object(root))
            abort();
        struct up_video_task t;
        const char *id = str_of(root, "id");
        if (ark_parse_task(root, id ? id : "cgt-20240101000000-abcde", &t) == 0) {
            if (!memchr(t.video_url, '\0', sizeof t.video_url) || !memchr(t.status, '\0', sizeof t.status) ||
                !memchr(t.error_code, '\0', sizeof t.error_code))
                abort();
        }
        json_decref(root);
    } else {
        check_err(&err);
    }
    /* The time parser on the raw body too (NUL-terminated by buf). */
    if (body.data)
        (void)volc_parse_time(body.data);
    buf_free(&body);
    return 0;
}
