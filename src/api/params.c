/* params.c — typed, bounded access to request fields. A field of the wrong
 * JSON type is InvalidParameter (API.md §2); unknown fields are ignored. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"

static int wrong_type(struct core_status *st, const char *field, const char *want)
{
    core_fail(st, CORE_INVALID_PARAMETER, "%s must be %s.", field, want);
    return -1;
}

int param_string(json_t *obj, const char *field, const char **out, struct core_status *st)
{
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return wrong_type(st, field, "a string");
    /* An embedded NUL would make the C string differ from what was sent. */
    if (strlen(json_string_value(v)) != json_string_length(v))
        return wrong_type(st, field, "a string without NUL characters");
    *out = json_string_value(v);
    return 0;
}

int param_int(json_t *obj, const char *field, int *out, struct core_status *st)
{
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return wrong_type(st, field, "an integer");
    json_int_t i = json_integer_value(v);
    if (i < INT_MIN || i > INT_MAX)
        return wrong_type(st, field, "an integer in range");
    *out = (int)i;
    return 0;
}

int param_bool(json_t *obj, const char *field, int *out, struct core_status *st)
{
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return wrong_type(st, field, "true or false");
    *out = json_is_true(v);
    return 0;
}

int param_int64(json_t *obj, const char *field, int64_t *out, struct core_status *st)
{
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return wrong_type(st, field, "an integer");
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int param_object(json_t *obj, const char *field, json_t **out, struct core_status *st)
{
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return wrong_type(st, field, "an object");
    *out = v;
    return 0;
}

int param_strings(json_t *obj, const char *field, size_t max, const char ***out, size_t *n, struct core_status *st)
{
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return wrong_type(st, field, "an array of strings");
    size_t len = json_array_size(v);
    if (len > max) {
        core_fail(st, CORE_INVALID_PARAMETER, "%s may hold at most %zu entries.", field, max);
        return -1;
    }
    const char **arr = calloc(len ? len : 1, sizeof *arr);
    if (!arr) {
        core_fail(st, CORE_INTERNAL_ERROR, "Out of memory.");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
            free(arr);
            return wrong_type(st, field, "an array of strings");
        }
        arr[i] = json_string_value(e);
    }
    *out = arr;
    *n = len;
    return 0;
}

const char *api_bearer(const char *authorization)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    const char *k = authorization + 7;
    while (*k == ' ')
        k++;
    return k;
}
