/* dataurl.c — decoding base64 data: URLs; see dataurl.h.
 *
 * The invariant: nothing is allocated before the payload's decoded size is
 * known to be within max, and the allocation is exactly that size. */
#include "util/dataurl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int dataurl_b64_digit(unsigned char c, int url_safe)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || (url_safe && c == '-'))
        return 62;
    if (c == '/' || (url_safe && c == '_'))
        return 63;
    return -1;
}

int dataurl_is(const char *url)
{
    return url && strncasecmp(url, "data:", 5) == 0;
}

static enum dataurl_result fail(char *why, size_t cap, enum dataurl_result r, const char *msg)
{
    if (why && cap)
        snprintf(why, cap, "%s", msg);
    return r;
}

enum dataurl_result dataurl_decode(const char *url, size_t max, char *type, size_t type_cap, uint8_t **out,
                                   size_t *n, char *why, size_t why_cap)
{
    *out = NULL;
    *n = 0;
    if (type && type_cap)
        type[0] = '\0';
    if (!dataurl_is(url))
        return fail(why, why_cap, DATAURL_INVALID, "a data: URL must begin with data:.");
    const char *meta = url + 5;
    const char *comma = strchr(meta, ',');
    if (!comma)
        return fail(why, why_cap, DATAURL_INVALID, "a data: URL needs a comma before its payload.");
    size_t meta_len = (size_t)(comma - meta);
    if (meta_len < 7 || strncasecmp(comma - 7, ";base64", 7) != 0)
        return fail(why, why_cap, DATAURL_INVALID, "only base64 data: URLs are accepted (data:image/png;base64,...).");
    size_t type_len = strcspn(meta, ";,");
    for (size_t i = 0; i < type_len; i++) {
        unsigned char ch = (unsigned char)meta[i];
        if (ch <= 0x20 || ch >= 0x7f)
            return fail(why, why_cap, DATAURL_INVALID, "the data: URL's media type has a space or control byte.");
    }
    if (type && type_cap) {
        size_t k = type_len < type_cap - 1 ? type_len : type_cap - 1;
        for (size_t i = 0; i < k; i++) {
            char ch = meta[i];
            type[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        }
        type[k] = '\0';
    }
    const char *p = comma + 1;
    size_t len = strlen(p);
    if (len == 0)
        return fail(why, why_cap, DATAURL_INVALID, "the data: URL carries no bytes.");
    if (len % 4 != 0)
        return fail(why, why_cap, DATAURL_INVALID, "the data: URL's base64 payload is not a multiple of 4 characters.");
    size_t pad = (p[len - 1] == '=') + (len > 1 && p[len - 2] == '=');
    size_t size = len / 4 * 3 - pad;
    if (size > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "the data: URL's image is larger than %zu bytes.", max);
        return fail(why, why_cap, DATAURL_TOO_LARGE, msg);
    }
    uint8_t *b = malloc(size ? size : 1);
    if (!b)
        return fail(why, why_cap, DATAURL_NOMEM, "out of memory.");
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            unsigned char ch = (unsigned char)p[i + k];
            if (ch == '=' && i + 4 == len && k >= 4 - (int)pad) {
                v[k] = 0;
                continue;
            }
            v[k] = dataurl_b64_digit(ch, 0);
            if (v[k] < 0) {
                free(b);
                return fail(why, why_cap, DATAURL_INVALID,
                            "the data: URL's payload is not base64 (A-Z, a-z, 0-9, +, / and = padding at the end).");
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        uint8_t three[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
        for (int k = 0; k < 3 && o < size; k++)
            b[o++] = three[k];
    }
    *out = b;
    *n = size;
    return DATAURL_OK;
}
