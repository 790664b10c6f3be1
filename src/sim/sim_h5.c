/* sim_h5.c — the H5 page the end user opens on a phone (the H5Link of
 * CreateVisualValidateSession): it says what is being authorised, and
 * offers to complete or fail the simulated face scan.
 *
 *   GET  /h5/liveness?token=T&lng=zh|en|zh-Hant   the page (200), or an
 *        error page: unknown token 404, expired token 410
 *   POST /h5/liveness?token=T&lng=..  body result=pass|fail (a form)
 *        with a CallbackURL: 303 to CallbackURL?bytedToken=T&resultCode=C
 *        without one: a page with the outcome (200)
 *        no or another result: 400; the group could not be made: 503
 *
 * resultCode values (the query of the redirect to CallbackURL):
 *   | code  | meaning                                             |
 *   | 10000 | success: the scan passed, the group was created     |
 *   | 10001 | the scan did not pass: the face did not match       |
 * A second submit of a completed scan answers with the first outcome.
 *
 * Invariant: the page is self-contained (inline CSS, no scripts, no
 * external URL in any src or href), and everything that came from the
 * request is HTML-escaped or checked against a fixed alphabet first. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/sim_h5.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/crypto.h"

#define H5_PAGE_MAX (64 * 1024)
#define H5_LOCATION_MAX (3 * SIM_CALLBACK_MAX + 128) /* every byte may become %XX */

/* Every word of the page, per language. */
struct h5_text {
    const char *lng;       /* the lng value that selects it */
    const char *html_lang; /* <html lang> */
    const char *title;
    const char *heading;
    const char *intro;
    const char *what;
    const char *valid_until; /* followed by the expiry time */
    const char *returning;   /* followed by the callback's host */
    const char *simulated;
    const char *pass;
    const char *fail;
    const char *done_title;
    const char *done_pass;
    const char *done_fail; /* followed by " (resultCode N)" */
    const char *unknown_title, *unknown;
    const char *expired_title, *expired;
    const char *bad_title, *bad;
    const char *busy_title, *busy;
};

static const struct h5_text h5_texts[] = {
    {"en", "en", "Face verification", "Confirm that you are a real person",
     "An application connected to Portico asks you to complete a face scan.",
     "If the scan succeeds, a real-person portrait group (LivenessFace) is created for that application, "
     "and photos of you can then be used in its AI video generation.",
     "This link is valid until (UTC):", "Afterwards you will return to:",
     "Simulated scan: no camera is used. Choose the outcome.", "Complete the face scan", "Fail the scan",
     "Face scan finished", "Face scan complete. You can close this page and return to the application.",
     "The face scan did not pass. Return to the application to try again.", "Link not valid",
     "This link is not valid. Ask the application for a new one.", "Link expired",
     "This link has expired. Ask the application for a new one.", "Invalid request",
     "Choose one of the two buttons to finish the scan.", "Please try again",
     "The scan could not be completed right now. Please try again shortly."},
    {"zh", "zh-Hans", "人脸核验", "确认您是真人", "一个接入 Portico 的应用请求您完成人脸扫描。",
     "扫描通过后，将为该应用创建一个真人肖像组（LivenessFace），您的照片随后可用于其 AI 视频生成。",
     "此链接有效期至（UTC）：", "完成后将返回：", "模拟扫描：不使用摄像头，请选择结果。", "完成人脸扫描",
     "扫描不通过", "人脸扫描结束", "人脸扫描已完成。您可以关闭此页面并返回应用。",
     "人脸扫描未通过。请返回应用重试。", "链接无效", "此链接无效。请向应用重新获取链接。", "链接已过期",
     "此链接已过期。请向应用重新获取链接。", "请求无效", "请选择两个按钮之一以完成扫描。", "请重试",
     "暂时无法完成扫描，请稍后重试。"},
    {"zh-Hant", "zh-Hant", "人臉核驗", "確認您是真人", "一個接入 Portico 的應用程式請求您完成人臉掃描。",
     "掃描通過後，將為該應用程式建立一個真人肖像組（LivenessFace），您的照片隨後可用於其 AI 影片生成。",
     "此連結有效期至（UTC）：", "完成後將返回：", "模擬掃描：不使用相機，請選擇結果。", "完成人臉掃描",
     "掃描不通過", "人臉掃描結束", "人臉掃描已完成。您可以關閉此頁面並返回應用程式。",
     "人臉掃描未通過。請返回應用程式重試。", "連結無效", "此連結無效。請向應用程式重新取得連結。",
     "連結已過期", "此連結已過期。請向應用程式重新取得連結。", "請求無效", "請選擇兩個按鈕之一以完成掃描。",
     "請再試一次", "暫時無法完成掃描，請稍後再試。"},
};

/* lng as sent (any case, a few common aliases); English otherwise. */
static const struct h5_text *h5_lang(const char *lng)
{
    if (lng && (strcasecmp(lng, "zh-Hant") == 0 || strcasecmp(lng, "zh-TW") == 0 || strcasecmp(lng, "zh-HK") == 0))
        return &h5_texts[2];
    if (lng && (strcasecmp(lng, "zh") == 0 || strcasecmp(lng, "zh-Hans") == 0 || strcasecmp(lng, "zh-CN") == 0))
        return &h5_texts[1];
    return &h5_texts[0];
}

/* A token worth looking up: what sim_liveness.c issues is digits and
 * upper-case hex (a RequestId's shape); either case is taken. */
static int h5_token_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n >= IDS_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f') || (t[i] >= 'A' && t[i] <= 'F')))
            return 0;
    return 1;
}

static void h5_escape(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_append(b, s, 1);
        }
    }
}

/* The host[:port] of an http(s) URL, without userinfo, into out. */
static void h5_host(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static const char h5_style[] =
    "*{box-sizing:border-box}"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"PingFang SC\",\"Noto Sans CJK SC\","
    "sans-serif;background:#eef2f7;color:#1c2430}"
    ".card{max-width:28rem;margin:0 auto;padding:1.25rem 1.25rem 2rem;background:#fff;min-height:100vh}"
    "@media(min-width:32rem){.card{margin:2rem auto;min-height:0;border-radius:1rem;"
    "box-shadow:0 4px 24px rgba(0,0,0,.08)}}"
    ".lng{text-align:right;font-size:.875rem}.lng a{color:#3060c0;margin-left:.5rem}"
    ".lng a[aria-current]{color:#1c2430;font-weight:600;text-decoration:none}"
    ".face{width:7rem;height:7rem;margin:1.5rem auto 1rem;border-radius:50%;border:4px dashed #3060c0;"
    "background:radial-gradient(circle at 50% 38%,#c9d6ee 0 22%,transparent 23%),"
    "radial-gradient(ellipse at 50% 95%,#c9d6ee 0 40%,transparent 41%)}"
    ".face.ok{border:4px solid #1f8a4c}.face.bad{border:4px solid #c0392b}"
    "h1{font-size:1.375rem;text-align:center;margin:.5rem 0 1rem}"
    ".meta{font-size:.875rem;color:#56606e}.note{font-size:.875rem;background:#fff7e0;padding:.5rem .75rem;"
    "border-radius:.5rem}"
    "form{display:flex;flex-direction:column;gap:.75rem;margin-top:1.5rem}"
    "button{font:inherit;font-weight:600;padding:.875rem;border-radius:.75rem;border:0;cursor:pointer;"
    "background:#3060c0;color:#fff}"
    "button.secondary{background:#fff;color:#c0392b;border:2px solid #c0392b}";

static void h5_head(struct buf *b, const struct h5_text *t, const char *title)
{
    buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
               t->html_lang);
    h5_escape(b, title);
    buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<main class=\"card\">\n", h5_style);
}

/* Links to the same page in the three languages (relative: same host). */
static void h5_languages(struct buf *b, const struct h5_text *t, const char *token)
{
    static const char *const names[] = {"English", "简体中文", "繁體中文"};
    buf_puts(b, "<nav class=\"lng\">");
    for (size_t i = 0; i < sizeof h5_texts / sizeof h5_texts[0]; i++)
        buf_printf(b, "<a href=\"?token=%s&amp;lng=%s\" lang=\"%s\"%s>%s</a>", token, h5_texts[i].lng,
                   h5_texts[i].html_lang, t == &h5_texts[i] ? " aria-current=\"page\"" : "", names[i]);
    buf_puts(b, "</nav>\n");
}

static void h5_tail(struct buf *b)
{
    buf_puts(b, "</main>\n</body>\n</html>\n");
}

static enum MHD_Result h5_send(struct MHD_Connection *conn, unsigned status, struct buf *b, const char *location)
{
    size_t len = b->len;
    char *body = buf_take(b);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    /* No script, nothing fetched from anywhere; the token in the URL must
     * not travel to the callback in a Referer. */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (location)
        MHD_add_response_header(resp, "Location", location);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A page with a title and one paragraph: errors and outcomes. */
static enum MHD_Result h5_message(struct MHD_Connection *conn, unsigned status, const struct h5_text *t,
                                  const char *token, const char *face, const char *title, const char *text,
                                  int result_code)
{
    struct buf b;
    buf_init(&b, H5_PAGE_MAX);
    h5_head(&b, t, title);
    if (token)
        h5_languages(&b, t, token);
    buf_printf(&b, "<div class=\"face %s\" aria-hidden=\"true\"></div>\n<h1>", face);
    h5_escape(&b, title);
    buf_printf(&b, "</h1>\n<p id=\"outcome\" data-status=\"%u\">", status);
    h5_escape(&b, text);
    if (result_code)
        buf_printf(&b, " (resultCode %d)", result_code);
    buf_puts(&b, "</p>\n");
    h5_tail(&b);
    enum MHD_Result r = h5_send(conn, status, &b, NULL);
    buf_free(&b);
    return r;
}

static enum MHD_Result h5_page(struct MHD_Connection *conn, const struct h5_text *t, const char *token,
                               const struct sim_scan *scan)
{
    struct buf b;
    char until[21], host[256];
    clock_rfc3339(scan->expire_wall, until);
    until[10] = ' '; /* "2026-11-25 12:35:15Z" reads better to a person */
    until[19] = '\0';
    buf_init(&b, H5_PAGE_MAX);
    h5_head(&b, t, t->title);
    h5_languages(&b, t, token);
    buf_puts(&b, "<div class=\"face\" aria-hidden=\"true\"></div>\n<h1>");
    h5_escape(&b, t->heading);
    buf_puts(&b, "</h1>\n<p>");
    h5_escape(&b, t->intro);
    buf_puts(&b, "</p>\n<p>");
    h5_escape(&b, t->what);
    buf_puts(&b, "</p>\n<p class=\"meta\">");
    h5_escape(&b, t->valid_until);
    buf_printf(&b, " <time>%s</time></p>\n", until);
    if (scan->callback_url[0]) {
        h5_host(scan->callback_url, host, sizeof host);
        buf_puts(&b, "<p class=\"meta\">");
        h5_escape(&b, t->returning);
        buf_puts(&b, " <strong id=\"callback-host\">");
        h5_escape(&b, host);
        buf_puts(&b, "</strong></p>\n");
    }
    buf_puts(&b, "<p class=\"note\">");
    h5_escape(&b, t->simulated);
    /* No action attribute: the form posts to this very URL, token and lng included. */
    buf_puts(&b, "</p>\n<form method=\"post\">\n"
                 "<button id=\"pass\" type=\"submit\" name=\"result\" value=\"pass\">");
    h5_escape(&b, t->pass);
    buf_puts(&b, "</button>\n<button id=\"fail\" class=\"secondary\" type=\"submit\" name=\"result\" value=\"fail\">");
    h5_escape(&b, t->fail);
    buf_puts(&b, "</button>\n</form>\n");
    h5_tail(&b);
    enum MHD_Result r = h5_send(conn, 200, &b, NULL);
    buf_free(&b);
    return r;
}

/* The value of field in an application/x-www-form-urlencoded body, decoded
 * into out; -1 if absent, malformed or longer than cap. */
int h5_form_value(const char *body, size_t len, const char *field, char *out, size_t cap)
{
    size_t flen = strlen(field);
    const char *p = body, *end = body + len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        if ((size_t)(pair_end - p) > flen && memcmp(p, field, flen) == 0 && p[flen] == '=') {
            size_t n = 0;
            for (const char *q = p + flen + 1; q < pair_end; q++) {
                char c = *q;
                if (c == '+') {
                    c = ' ';
                } else if (c == '%' && pair_end - q > 2) {
                    /* Two hex digits exactly: strtol would also take a
                     * sign or a space ("%-1" decoded to 0xff). */
                    int hi = crypto_hex_digit(q[1]), lo = crypto_hex_digit(q[2]);
                    if (hi < 0 || lo < 0)
                        return -1;
                    c = (char)(hi * 16 + lo);
                    q += 2;
                }
                if (n + 1 >= cap)
                    return -1;
                out[n++] = c;
            }
            out[n] = '\0';
            return 0;
        }
        p = amp ? amp + 1 : NULL;
    }
    return -1;
}

/* Appends s[0..n) to out as URL text: bytes a URL may hold as they are
 * (RFC 3986 unreserved and reserved, and '%' starting a valid escape) are
 * kept, every other byte is %XX; a control byte refuses the whole URL (-1),
 * so nothing from the customer's CallbackURL can end the Location header. */
static int h5_url_put(char *out, size_t cap, size_t *len, const char *s, size_t n, int value)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return -1;
        int keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   strchr("-._~", c) != NULL;
        if (!value && !keep)
            keep = (strchr(":/?#[]@!$&'()*+,;=", c) != NULL) ||
                   (c == '%' && i + 2 < n && crypto_hex_digit(s[i + 1]) >= 0 && crypto_hex_digit(s[i + 2]) >= 0);
        if (*len + (keep ? 1 : 3) >= cap)
            return -1;
        if (keep) {
            out[(*len)++] = (char)c;
        } else {
            out[(*len)++] = '%';
            out[(*len)++] = hex[c >> 4];
            out[(*len)++] = hex[c & 15];
        }
    }
    out[*len] = '\0';
    return 0;
}

/* CallbackURL?bytedToken=T&resultCode=C, the query added before any
 * #fragment, every part percent-encoded where it must be. */
static int h5_location(const char *callback, const char *token, int code, char *out, size_t cap)
{
    size_t base = strcspn(callback, "#"), len = 0;
    const char *sep = "?";
    if (memchr(callback, '?', base))
        sep = callback[base - 1] == '?' || callback[base - 1] == '&' ? "" : "&";
    char tail[32];
    snprintf(tail, sizeof tail, "&resultCode=%d", code);
    if (cap == 0 || h5_url_put(out, cap, &len, callback, base, 0) != 0 ||
        h5_url_put(out, cap, &len, sep, strlen(sep), 0) != 0 ||
        h5_url_put(out, cap, &len, "bytedToken=", 11, 0) != 0 ||
        h5_url_put(out, cap, &len, token, strlen(token), 1) != 0 ||
        h5_url_put(out, cap, &len, tail, strlen(tail), 0) != 0 ||
        h5_url_put(out, cap, &len, callback + base, strlen(callback + base), 0) != 0)
        return -1;
    return 0;
}

enum MHD_Result sim_h5_liveness(struct sim *s, struct MHD_Connection *conn, const char *method, const char *body,
                                size_t len, int too_large)
{
    const char *token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
    const struct h5_text *t = h5_lang(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lng"));
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (!get && strcmp(method, "POST") != 0)
        return h5_message(conn, 405, t, NULL, "bad", t->bad_title, t->bad, 0);
    struct sim_scan scan;
    if (!h5_token_ok(token) || sim_liveness_find(s->liveness, token, &scan) != 0)
        return h5_message(conn, 404, t, NULL, "bad", t->unknown_title, t->unknown, 0);
    int expired = clock_wall_ms() >= scan.expire_wall;

    if (get) {
        if (expired)
            return h5_message(conn, 410, t, NULL, "bad", t->expired_title, t->expired, 0);
        if (scan.state == SIM_SCAN_PENDING)
            return h5_page(conn, t, token, &scan);
        int passed = scan.state == SIM_SCAN_PASSED;
        return h5_message(conn, 200, t, token, passed ? "ok" : "bad", t->done_title,
                          passed ? t->done_pass : t->done_fail, passed ? 0 : scan.result_code);
    }

    char result[16];
    if (too_large || h5_form_value(body ? body : "", len, "result", result, sizeof result) != 0 ||
        (strcmp(result, "pass") != 0 && strcmp(result, "fail") != 0))
        return h5_message(conn, 400, t, token, "bad", t->bad_title, t->bad, 0);
    switch (sim_liveness_complete(s->liveness, token, strcmp(result, "pass") == 0, &scan)) {
    case 0:
        break;
    case -2:
        return h5_message(conn, 410, t, NULL, "bad", t->expired_title, t->expired, 0);
    case -3:
        return h5_message(conn, 503, t, token, "bad", t->busy_title, t->busy, 0);
    default:
        return h5_message(conn, 404, t, NULL, "bad", t->unknown_title, t->unknown, 0);
    }
    int passed = scan.state == SIM_SCAN_PASSED;
    char location[H5_LOCATION_MAX];
    if (!scan.callback_url[0] ||
        h5_location(scan.callback_url, token, scan.result_code, location, sizeof location) != 0)
        /* No CallbackURL, or one no browser should be sent to: the outcome here. */
        return h5_message(conn, 200, t, token, passed ? "ok" : "bad", t->done_title,
                          passed ? t->done_pass : t->done_fail, passed ? 0 : scan.result_code);
    /* The browser follows Location; the body is only for the record. */
    struct buf b;
    buf_init(&b, H5_PAGE_MAX);
    h5_head(&b, t, t->done_title);
    buf_puts(&b, "<h1>");
    h5_escape(&b, t->done_title);
    buf_puts(&b, "</h1>\n");
    h5_tail(&b);
    enum MHD_Result r = h5_send(conn, 303, &b, location);
    buf_free(&b);
    return r;
}
