/* test_access_log.c — http/access_log.c: the request log line of API.md §5
 * is exactly what jansson writes for the same object, escapes included,
 * and never overflows its buffer. */
#include <jansson.h>
#include <stdlib.h>

#include "check.h"
#include "http/access_log.h"
#include "util/clock.h"

static char *with_jansson(const struct access_entry *e)
{
    char when[21];
    clock_rfc3339(e->wall_ms, when);
    json_t *o = json_object();
    json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "request_id", json_string(e->request_id));
    json_object_set_new(o, "customer", json_integer(e->customer_id));
    json_object_set_new(o, "method", json_string(e->method));
    json_object_set_new(o, "path", json_string(e->path));
    json_object_set_new(o, "action", json_string(e->action));
    json_object_set_new(o, "status", json_integer(e->status));
    json_object_set_new(o, "error", json_string(e->error));
    json_object_set_new(o, "duration_ms", json_integer(e->duration_ms));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static void same_as_jansson(const struct access_entry *e)
{
    char got[2048];
    char *want = with_jansson(e);
    CHECK(access_log_format(e, got, sizeof got) == strlen(want));
    CHECK_STR(got, want);
    free(want);
}

static void test_line_matches_jansson(void)
{
    struct access_entry e = {1764074115123, "0123456789abcdef0123456789abcdef", 42, "POST", "/v1/portrait/",
                             "GetAsset", 200, "", 3};
    same_as_jansson(&e);
    e.customer_id = 0;
    e.status = 401;
    e.error = "Unauthorized";
    e.action = "";
    e.duration_ms = 0;
    same_as_jansson(&e);
    /* what a client may put in a path: quotes, backslashes, slashes, bytes
     * the front has already made printable, a DEL, and control bytes */
    e.path = "/a\"b\\c/d?e=%22&f='g'\x7f\x01\x1f\t\n";
    e.method = "M\"X";
    e.customer_id = -7;
    e.duration_ms = 9007199254740993;
    same_as_jansson(&e);
    e.path = "/caf\xc3\xa9/\xe6\xbc\xa2";
    same_as_jansson(&e);
}

static void test_line_never_overflows(void)
{
    char path[600];
    memset(path, '"', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    struct access_entry e = {0, "id", 1, "GET", path, "", 200, "", 1};
    char small[64];
    memset(small, 'x', sizeof small);
    CHECK(access_log_format(&e, small, 40) == 0);
    CHECK(small[39] == '\0' || memchr(small, '\0', 40) != NULL);
    CHECK(small[40] == 'x'); /* nothing past cap */
    char big[2048];
    CHECK(access_log_format(&e, big, sizeof big) > 1200); /* 599 quotes, each escaped */
}

int main(void)
{
    RUN(test_line_matches_jansson);
    RUN(test_line_never_overflows);
    return check_summary();
}
