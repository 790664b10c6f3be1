/* result.h — what a core operation tells the layer above.
 *
 * The codes are the outcomes of API.md §6 and §4, plus the few a request can
 * meet before any rule is asked (no such Action, wrong method). They are the
 * key of the one error catalog (api/errors.c: Volcengine Code, HTTP status,
 * default message, video-surface code); core never builds a response
 * itself. A new code is a new row there: the catalog is sized by
 * CORE_CODE_COUNT and checked at compile time. */
#ifndef PORTICO_CORE_RESULT_H
#define PORTICO_CORE_RESULT_H

enum core_code {
    CORE_OK = 0,
    CORE_INVALID_PARAMETER,
    CORE_UNAUTHORIZED,
    CORE_AIGC_NOT_AVAILABLE,
    CORE_FORBIDDEN,
    CORE_QUOTA_EXCEEDED,
    CORE_TOO_MANY_REQUESTS,
    CORE_UPSTREAM_ERROR,
    CORE_SERVICE_UNAVAILABLE,
    CORE_INTERNAL_ERROR,
    /* liveness (API.md §2 LivenessFace) */
    CORE_VALIDATE_PENDING,
    CORE_INVALID_TOKEN,
    CORE_TOKEN_EXPIRED,
    /* upload (§3) */
    CORE_PAYLOAD_TOO_LARGE,
    CORE_UNSUPPORTED_MEDIA_TYPE,
    /* video generation (§4) */
    CORE_NOT_FOUND,                 /* a task id the caller does not own or that does not exist */
    CORE_ASSET_NOT_READY,           /* an asset:// reference that is not Active */
    CORE_MODEL_NOT_SUPPORTED_ASSET, /* asset:// with a model that does not take assets */
    /* the wire, before any rule (api/router.c, api/portrait.c) */
    CORE_INVALID_ACTION,       /* no such Action */
    CORE_METHOD_NOT_ALLOWED,   /* the path exists, the method does not */
    /* media URLs (core_open_media, core_media_put_*) */
    CORE_CONFLICT,             /* an upload session's PUT: used already, or the session ended */
    CORE_RANGE_NOT_SATISFIABLE, /* a Range outside the media */
    CORE_CODE_COUNT            /* not a code: the size of the catalog */
};

struct core_status {
    enum core_code code;
    char message[256];  /* one sentence for the caller; "" → the catalog's default */
    int retry_after_s;  /* for CORE_TOO_MANY_REQUESTS */
    /* video generation (§4): the upstream's own code when the upstream
     * refused the request (e.g. InputImageSensitiveContentDetected.
     * PrivacyInformation); "" otherwise. core_fail clears it. */
    char upstream_code[64];
};

/* Sets st and returns code, so callers can `return core_fail(st, ...)`. */
enum core_code core_fail(struct core_status *st, enum core_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
