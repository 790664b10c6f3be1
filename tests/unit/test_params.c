/* test_params.c — api/params.c: param_one_string, the reading of GetAsset's
 * {"Id":"..."} without a JSON tree, takes a body only when jansson would
 * read the same one field from it, and leaves everything else to jansson. */
#include <jansson.h>
#include <stdlib.h>

#include "api/internal.h"
#include "check.h"

/* The field's value as the dispatcher's jansson parse would give it, or
 * NULL when that parse would not give exactly one string field "Id". */
static char *by_jansson(const char *body, size_t len)
{
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    char *v = NULL;
    if (o && json_is_object(o) && json_object_size(o) == 1 && json_is_string(json_object_get(o, "Id")))
        v = strdup(json_string_value(json_object_get(o, "Id")));
    json_decref(o);
    return v;
}

static int takes(const char *body, size_t len, char *out, size_t cap)
{
    return param_one_string(body, len, "Id", out, cap);
}

static void test_takes_the_plain_shape(void)
{
    static const char *const good[] = {
        "{\"Id\":\"asset-20261125123515-ab12c\"}",
        " \t\r\n{ \"Id\" :\n\"a\" } \n",
        "{\"Id\":\"\"}",
        "{\"Id\":\"with space/slash:colon,comma{}[]'\"}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char out[128];
        char *want = by_jansson(good[i], strlen(good[i]));
        CHECK(want != NULL);
        CHECK(takes(good[i], strlen(good[i]), out, sizeof out) == 1);
        CHECK_STR(out, want);
        free(want);
    }
}

static void test_leaves_everything_else_to_jansson(void)
{
    static const char *const other[] = {
        "",
        "{}",
        "{\"Id\":\"a\",\"Id\":\"b\"}",   /* a duplicate: jansson refuses it */
        "{\"Id\":\"a\",\"X\":1}",        /* two fields */
        "{\"Id\":\"a\\u0062\"}",         /* an escape */
        "{\"I\\u0064\":\"a\"}",          /* an escaped key */
        "{\"Id\":\"caf\xc3\xa9\"}",      /* not ASCII */
        "{\"Id\":\"a\tb\"}",             /* a raw control byte: invalid JSON */
        "{\"Id\":7}",
        "{\"Id\":null}",
        "{\"Id\":[\"a\"]}",
        "{\"id\":\"a\"}",
        "{\"Idx\":\"a\"}",
        "{\"Id\":\"a\"} x",
        "{\"Id\":\"a\"}}",
        "[\"Id\",\"a\"]",
        "{\"Id\":\"a\"",
        "{\"Id\" \"a\"}",
        "\"Id\"",
        "{\"Id\":\"a\"}\v",              /* not JSON whitespace */
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        char out[128] = "untouched";
        CHECK(takes(other[i], strlen(other[i]), out, sizeof out) == 0);
        CHECK_STR(out, "untouched");
    }
    /* a NUL inside the body, after a complete object */
    static const char nul[] = "{\"Id\":\"a\"}\0";
    char out[128];
    CHECK(takes(nul, sizeof nul - 1, out, sizeof out) == 0);
    CHECK(by_jansson(nul, sizeof nul - 1) == NULL);
    /* a value that does not fit: jansson's turn (and rules_id's answer) */
    char big[300];
    snprintf(big, sizeof big, "{\"Id\":\"%0200d\"}", 0);
    CHECK(takes(big, strlen(big), out, sizeof out) == 0);
    char wide[201];
    CHECK(takes(big, strlen(big), wide, sizeof wide) == 1 && strlen(wide) == 200);
}

int main(void)
{
    RUN(test_takes_the_plain_shape);
    RUN(test_leaves_everything_else_to_jansson);
    return check_summary();
}
