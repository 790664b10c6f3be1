/* rules.c — the contract's field rules (API.md §2), in one place, and the
 * gateway's outbound URL policy (DESIGN.md: "one outbound URL policy in
 * core/"): core_url_check is that policy; the parser and the address
 * classifier it rests on live in util/urlpolicy.c only so that the
 * simulator, which must not include core headers, judges by the very same
 * code when it connects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "util/urlpolicy.h"

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

enum core_code core_url_check(struct core *c, const char *url, struct core_status *st)
{
    char why[200];
    if (urlpolicy_check_url(c->url_policy, url, why, sizeof why) != 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "%s", why);
    return CORE_OK;
}

int core_url_allow_list(const char *allow, const char *public_url, char *out, size_t cap, char *err, size_t errcap)
{
    struct urlpolicy *p = malloc(sizeof *p); /* validates allow: ~10 KB, not for the stack */
    struct urlpolicy_url u;
    const char *why;
    int rc = -1;
    if (!p) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    urlpolicy_init(p);
    if (urlpolicy_allow(p, allow, err, errcap) != 0)
        goto out;
    if (public_url && *public_url) {
        if (urlpolicy_parse_url(public_url, &u, &why) != 0) {
            snprintf(err, errcap, "the public URL %.100s: %s", public_url, why);
            goto out;
        }
        int n = snprintf(out, cap, "%s%s%s%s%s:%d", allow ? allow : "", allow && *allow ? "," : "",
                         u.addr.family == 6 && u.is_ip ? "[" : "", u.host, u.addr.family == 6 && u.is_ip ? "]" : "",
                         u.port);
        if (n < 0 || (size_t)n >= cap) {
            snprintf(err, errcap, "the list is too long");
            goto out;
        }
    } else {
        snprintf(out, cap, "%s", allow ? allow : "");
    }
    rc = 0;
out:
    free(p);
    return rc;
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
