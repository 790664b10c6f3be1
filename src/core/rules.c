/* rules.c — the contract's field rules (API.md §2), in one place. */
#include <string.h>

#include "core/internal.h"

long core_utf8_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p) {
        int len;
        unsigned int c = *p;
        if (c < 0x80)
            len = 1;
        else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
            len = 2;
        else if ((c & 0xF0) == 0xE0)
            len = 3;
        else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
            len = 4;
        else
            return -1;
        for (int i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                return -1;
        p += len;
        n++;
    }
    return n;
}

enum core_code rules_name(const char *field, const char *name, int required, struct core_status *st)
{
    if (!name) {
        if (required)
            return core_fail(st, CORE_INVALID_PARAMETER, "%s is required.", field);
        return CORE_OK;
    }
    long n = core_utf8_chars(name);
    if (n < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "%s must be valid UTF-8.", field);
    if (n == 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "%s must not be empty.", field);
    if (n > CORE_NAME_CHARS)
        return core_fail(st, CORE_INVALID_PARAMETER, "%s must be at most %d characters; it has %ld.", field,
                         CORE_NAME_CHARS, n);
    return CORE_OK;
}

enum core_code rules_description(const char *desc, struct core_status *st)
{
    if (!desc)
        return CORE_OK;
    long n = core_utf8_chars(desc);
    if (n < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "Description must be valid UTF-8.");
    if (n > CORE_DESC_CHARS)
        return core_fail(st, CORE_INVALID_PARAMETER, "Description must be at most %d characters; it has %ld.",
                         CORE_DESC_CHARS, n);
    return CORE_OK;
}

enum core_code rules_url(const char *url, struct core_status *st)
{
    if (!url)
        return core_fail(st, CORE_INVALID_PARAMETER, "URL is required.");
    size_t n = strlen(url);
    if (n > CORE_URL_BYTES)
        return core_fail(st, CORE_INVALID_PARAMETER, "URL must be at most %d characters.", CORE_URL_BYTES);
    const char *rest;
    if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7;
    else
        return core_fail(st, CORE_INVALID_PARAMETER, "URL must be an http:// or https:// URL.");
    if (*rest == '\0' || *rest == '/' || *rest == '?' || *rest == '#')
        return core_fail(st, CORE_INVALID_PARAMETER, "URL must name a host.");
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return core_fail(st, CORE_INVALID_PARAMETER, "URL must not contain spaces or control characters.");
    return CORE_OK;
}

enum core_code rules_asset_type(const char *type, struct core_status *st)
{
    if (!type)
        return core_fail(st, CORE_INVALID_PARAMETER, "AssetType is required: Image, Video or Audio.");
    if (strcmp(type, "Image") && strcmp(type, "Video") && strcmp(type, "Audio"))
        return core_fail(st, CORE_INVALID_PARAMETER, "AssetType must be Image, Video or Audio.");
    return CORE_OK;
}

enum core_code rules_page(int page_number, int page_size, struct core_status *st)
{
    if (page_number < 1)
        return core_fail(st, CORE_INVALID_PARAMETER, "PageNumber must be 1 or more.");
    if (page_size < 1 || page_size > CORE_PAGE_SIZE_MAX)
        return core_fail(st, CORE_INVALID_PARAMETER, "PageSize must be between 1 and %d.", CORE_PAGE_SIZE_MAX);
    /* Keeps OFFSET within range of a 32-bit int in every backend. */
    if (page_number > 1000000)
        return core_fail(st, CORE_INVALID_PARAMETER, "PageNumber must be at most 1000000.");
    return CORE_OK;
}

enum core_code rules_id(const char *field, const char *id, struct core_status *st)
{
    if (!id || !*id)
        return core_fail(st, CORE_INVALID_PARAMETER, "%s is required.", field);
    return CORE_OK;
}
