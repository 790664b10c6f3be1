/* test_blob.c — the blob port: SigV4 against AWS's published S3 examples,
 * staging limits, the fs backend (commit, signed media URLs, key
 * validation, sweep, the media secret) and the s3 backend's configuration.
 *
 * With PORTICO_TEST_S3_ENDPOINT and PORTICO_TEST_S3_BUCKET set (by
 * tests/blackbox/test_blob_s3.py, which starts s3rver), the test_s3_live_*
 * tests also run against that real server and print "# s3-..." lines the
 * Python test checks independently. */
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blob/blob.h"
#include "check.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/sigv4.h"

#define AWS_AK "AKIAIOSFODNN7EXAMPLE"
#define AWS_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---------- helpers ---------- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *tmp_dir(char out[256])
{
    snprintf(out, 256, "/tmp/portico-test-blob-XXXXXX");
    return mkdtemp(out);
}

static struct blob *open_fs(const char *dir)
{
    struct blob_config cfg = {.spec = "fs", .data_dir = dir, .public_url = "http://127.0.0.1:8080/"};
    return blob_open(&cfg);
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int staging_count(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/blobs/staging", dir);
    return count_files(p);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131u + seed * 7u + (i >> 8)) & 0xff);
}

/* Query parameter value of name in url (up to '&'), into out. */
static int query_param(const char *url, const char *name, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "%s=", name);
    const char *q = strchr(url, '?');
    while (q) {
        q++;
        if (strncmp(q, pat, strlen(pat)) == 0) {
            q += strlen(pat);
            size_t n = strcspn(q, "&");
            if (n >= cap)
                return -1;
            memcpy(out, q, n);
            out[n] = '\0';
            return 0;
        }
        q = strchr(q, '&');
    }
    return -1;
}

/* ---------- SigV4: AWS's published examples ---------- */
/* Their host (examplebucket.s3.amazonaws.com) is part of the signed bytes and
 * is never contacted: kept exactly as published. */

/* S3 API reference, "Authenticating Requests: Using Query Parameters
 * (AWS Signature Version 4)", the example presigned GET of test.txt. */
static void test_sigv4_presigned_url_aws_example(void)
{
    struct sigv4_key k = {AWS_AK, AWS_SK, "us-east-1", "s3"};
    struct buf u;
    buf_init(&u, 4096);
    CHECK(sigv4_presign_get(&k, "https://examplebucket.s3.amazonaws.com", "examplebucket.s3.amazonaws.com",
                            "/test.txt", "20130524T000000Z", 86400, &u) == 0);
    CHECK_STR(u.data, "https://examplebucket.s3.amazonaws.com/test.txt"
                      "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                      "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                      "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    buf_free(&u);
}

/* The same example's canonical request, built through the generic path. */
static void test_sigv4_presigned_canonical_request(void)
{
    struct sigv4_header h[] = {{"host", "examplebucket.s3.amazonaws.com"}};
    struct sigv4_request rq = {
        .method = "GET",
        .path = "/test.txt",
        .query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1"
                 "%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host",
        .headers = h,
        .n_headers = 1,
        .payload_hash = "UNSIGNED-PAYLOAD",
        .amz_date = "20130524T000000Z",
    };
    struct buf c;
    buf_init(&c, 4096);
    CHECK(sigv4_canonical_request(&rq, &c) == 0);
    CHECK_STR(c.data, "GET\n/test.txt\n"
                      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1"
                      "%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
                      "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
    char sig[65];
    struct sigv4_key k = {AWS_AK, AWS_SK, "us-east-1", "s3"};
    CHECK(sigv4_signature(&k, &rq, sig) == 0);
    CHECK_STR(sig, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    buf_free(&c);
}

/* S3 API reference, "Signature Calculations for the Authorization Header:
 * Transferring Payload in a Single Chunk", example "GET Object" with
 * Range: bytes=0-9. */
static void test_sigv4_header_auth_aws_get_example(void)
{
    struct sigv4_header h[] = {
        {"host", "examplebucket.s3.amazonaws.com"},
        {"range", "bytes=0-9"},
        {"x-amz-content-sha256", EMPTY_SHA},
        {"x-amz-date", "20130524T000000Z"},
    };
    struct sigv4_request rq = {
        .method = "GET",
        .path = "/test.txt",
        .query = "",
        .headers = h,
        .n_headers = 4,
        .payload_hash = EMPTY_SHA,
        .amz_date = "20130524T000000Z",
    };
    struct sigv4_key k = {AWS_AK, AWS_SK, "us-east-1", "s3"};
    struct buf c, sts, auth;
    buf_init(&c, 4096);
    buf_init(&sts, 4096);
    buf_init(&auth, 4096);
    CHECK(sigv4_canonical_request(&rq, &c) == 0);
    CHECK_STR(c.data, "GET\n/test.txt\n\n"
                      "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                      "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n\n"
                      "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA);
    CHECK(sigv4_string_to_sign(&k, &rq, &sts) == 0);
    CHECK_STR(sts.data, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    CHECK(sigv4_authorization(&k, &rq, &auth) == 0);
    CHECK_STR(auth.data, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                         "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                         "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    buf_free(&c);
    buf_free(&sts);
    buf_free(&auth);
}

static void test_sigv4_rejects_bad_input(void)
{
    struct sigv4_key k = {AWS_AK, AWS_SK, "us-east-1", "s3"};
    char sig[65];
    struct sigv4_header unsorted[] = {{"x-amz-date", "20130524T000000Z"}, {"host", "h"}};
    struct sigv4_request rq = {"GET", "/k", "", unsorted, 2, EMPTY_SHA, "20130524T000000Z", SIGV4_AWS};
    CHECK(sigv4_signature(&k, &rq, sig) != 0);
    struct sigv4_header nohost[] = {{"x-amz-date", "20130524T000000Z"}};
    rq.headers = nohost;
    rq.n_headers = 1;
    CHECK(sigv4_signature(&k, &rq, sig) != 0);
    struct sigv4_header crlf[] = {{"host", "h\r\nx-evil: 1"}};
    rq.headers = crlf;
    CHECK(sigv4_signature(&k, &rq, sig) != 0);
    struct sigv4_header ok[] = {{"host", "h"}};
    rq.headers = ok;
    rq.amz_date = "2013-05-24";
    CHECK(sigv4_signature(&k, &rq, sig) != 0);
    rq.amz_date = "20130524T000000Z";
    CHECK(sigv4_signature(&k, &rq, sig) == 0);
    struct sigv4_key slash = {"AK/X", AWS_SK, "us-east-1", "s3"};
    CHECK(sigv4_signature(&slash, &rq, sig) != 0);
    struct buf u;
    buf_init(&u, 4096);
    CHECK(sigv4_presign_get(&k, "https://localhost", "localhost", "/k", "20130524T000000Z", 0, &u) != 0);
    CHECK(sigv4_presign_get(&k, "https://localhost", "localhost", "/k", "20130524T000000Z", 604801, &u) != 0);
    CHECK(sigv4_presign_get(&k, "https://localhost", "localhost", "/k", "20130524T000000Z", 604800, &u) == 0);
    buf_free(&u);
}

static void test_sigv4_uri_encode_and_trim(void)
{
    struct buf b;
    buf_init(&b, 256);
    CHECK(sigv4_uri_encode("a b/c~d_e-f.g+h=", 1, &b) == 0);
    CHECK_STR(b.data, "a%20b/c~d_e-f.g%2Bh%3D");
    buf_reset(&b);
    CHECK(sigv4_uri_encode("x/y", 0, &b) == 0);
    CHECK_STR(b.data, "x%2Fy");
    buf_reset(&b);
    /* Trimall: the same header with cosmetic whitespace signs the same. */
    struct sigv4_header h1[] = {{"host", "h"}, {"x-a", "  one   two  "}};
    struct sigv4_header h2[] = {{"host", "h"}, {"x-a", "one two"}};
    struct sigv4_request r1 = {"PUT", "/k", "", h1, 2, EMPTY_SHA, "20130524T000000Z", SIGV4_AWS};
    struct sigv4_request r2 = {"PUT", "/k", "", h2, 2, EMPTY_SHA, "20130524T000000Z", SIGV4_AWS};
    struct sigv4_key k = {AWS_AK, AWS_SK, "us-east-1", "s3"};
    char s1[65], s2[65];
    CHECK(sigv4_signature(&k, &r1, s1) == 0 && sigv4_signature(&k, &r2, s2) == 0);
    CHECK_STR(s1, s2);
    buf_free(&b);
}

static void test_sigv4_sha256_file(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    char out[65];
    CHECK(sigv4_sha256_file(f, out) == 0);
    CHECK_STR(out, EMPTY_SHA);
    static uint8_t data[100000];
    fill(data, sizeof data, 3);
    CHECK(fwrite(data, 1, sizeof data, f) == sizeof data);
    rewind(f);
    char want[65];
    crypto_sha256_hex(data, sizeof data, want);
    CHECK(sigv4_sha256_file(f, out) == 0);
    CHECK_STR(out, want);
    CHECK(ftell(f) == 0); /* rewound, ready for the PUT */
    fclose(f);
}

static void test_sigv4_amz_date(void)
{
    char d[17];
    sigv4_amz_date(1369353600, d); /* 2013-05-24 00:00:00 UTC */
    CHECK_STR(d, "20130524T000000Z");
}

/* ---------- keys ---------- */

static void test_key_validation(void)
{
    CHECK(blob_key_valid("media/2026/11/25/0123abcd.png"));
    CHECK(blob_key_valid("a"));
    CHECK(blob_key_valid("a.b/c_d-e"));
    CHECK(blob_key_valid(".hidden/x")); /* a leading dot is only a name */
    char k[BLOB_KEY_MAX + 1];
    memset(k, 'a', sizeof k);
    k[BLOB_KEY_MAX - 1] = '\0';
    CHECK(blob_key_valid(k)); /* 127 bytes fit out[BLOB_KEY_MAX] */
    k[BLOB_KEY_MAX - 1] = 'a';
    k[BLOB_KEY_MAX] = '\0';
    CHECK(!blob_key_valid(k));
    const char *bad[] = {"",        "../media.key", "a/../b",  "a/..", "..",      "/etc/passwd", "a//b",
                         "a/",      "a b",          "a\\b",    "a%2e", ".",       "a/./b",       "a/.",
                         "a?b",     "a#b",          "a\nb",    "~x",   "a:b",     "a/...b",      "\xc3\xa9",
                         "media/*"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (blob_key_valid(bad[i])) {
            fprintf(stderr, "  accepted bad key \"%s\"\n", bad[i]);
            CHECK(0);
        }
    }
    CHECK(!blob_key_valid(NULL));
}

static void test_new_key_format(void)
{
    char a[BLOB_KEY_MAX], b[BLOB_KEY_MAX];
    blob_new_key("png", a);
    blob_new_key(".png", b);
    CHECK(blob_key_valid(a) && blob_key_valid(b));
    CHECK(strcmp(a, b) != 0);
    CHECK(strncmp(a, "media/", 6) == 0);
    /* media/YYYY/MM/DD/<32 hex>.png */
    CHECK(strlen(a) == 6 + 11 + 32 + 4);
    CHECK(a[10] == '/' && a[13] == '/' && a[16] == '/');
    CHECK(strcmp(a + strlen(a) - 4, ".png") == 0 && strcmp(b + strlen(b) - 4, ".png") == 0);
    char c[BLOB_KEY_MAX];
    blob_new_key("../x", c); /* an unusable extension is dropped, never copied */
    CHECK(blob_key_valid(c) && strchr(c + 17, '.') == NULL);
    blob_new_key(NULL, c);
    CHECK(blob_key_valid(c) && strlen(c) == 6 + 11 + 32);
}

/* ---------- staging ---------- */

static void test_stage_exact_max_ok(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_fs(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    uint8_t data[1000];
    fill(data, sizeof data, 1);
    struct blob_stage *st = blob_stage_new(b, 1000);
    CHECK(st != NULL);
    CHECK(blob_stage_write(st, data, 600) == BLOB_OK);
    CHECK(blob_stage_write(st, data + 600, 400) == BLOB_OK);
    CHECK(blob_stage_write(st, data, 0) == BLOB_OK);
    CHECK(blob_stage_size(st) == 1000);
    CHECK(staging_count(dir) == 1);
    blob_stage_discard(st);
    CHECK(staging_count(dir) == 0);
    blob_close(b);
    rm_rf(dir);
}

static void test_stage_max_plus_one_too_large(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_fs(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    uint8_t data[1001];
    fill(data, sizeof data, 2);
    struct blob_stage *st = blob_stage_new(b, 1000);
    CHECK(blob_stage_write(st, data, 1001) == BLOB_TOO_LARGE);
    CHECK(blob_stage_size(st) == 0);
    blob_stage_discard(st);
    CHECK(staging_count(dir) == 0);

    /* Crossing the limit on a later write; the failure is sticky. */
    st = blob_stage_new(b, 1000);
    CHECK(blob_stage_write(st, data, 1000) == BLOB_OK);
    CHECK(blob_stage_write(st, data, 1) == BLOB_TOO_LARGE);
    CHECK(blob_stage_write(st, data, 0) == BLOB_TOO_LARGE);
    CHECK(blob_stage_size(st) == 1000);
    char key[BLOB_KEY_MAX];
    blob_new_key("png", key);
    CHECK(b->ops->commit(b, st, key, "image/png") == BLOB_TOO_LARGE); /* consumes st */
    CHECK(staging_count(dir) == 0);
    int fd = -1;
    uint64_t size = 0;
    CHECK(b->ops->open_read(b, key, &fd, &size) == BLOB_NOT_FOUND);
    blob_close(b);
    rm_rf(dir);
}

static void test_stage_head_capture(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_fs(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    static uint8_t data[100 * 1024];
    fill(data, sizeof data, 4);
    struct blob_stage *st = blob_stage_new(b, 10 * 1024 * 1024);
    size_t n = 0;
    blob_stage_head(st, &n);
    CHECK(n == 0);
    CHECK(blob_stage_write(st, data, 10) == BLOB_OK);
    const uint8_t *h = blob_stage_head(st, &n);
    CHECK(n == 10 && memcmp(h, data, 10) == 0);
    for (size_t off = 10; off < sizeof data; off += 7000) {
        size_t k = sizeof data - off < 7000 ? sizeof data - off : 7000;
        CHECK(blob_stage_write(st, data + off, k) == BLOB_OK);
    }
    h = blob_stage_head(st, &n);
    CHECK(n == BLOB_HEAD_MAX);
    CHECK(memcmp(h, data, BLOB_HEAD_MAX) == 0);
    CHECK(blob_stage_size(st) == sizeof data);
    blob_stage_discard(st);

    /* A stage smaller than 64 KiB keeps everything it may hold. */
    st = blob_stage_new(b, 100);
    CHECK(blob_stage_write(st, data, 100) == BLOB_OK);
    h = blob_stage_head(st, &n);
    CHECK(n == 100 && memcmp(h, data, 100) == 0);
    blob_stage_discard(st);
    blob_close(b);
    rm_rf(dir);
}

static void test_sweep_staging(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_fs(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    const char *names[] = {"aaaa.stage", "bbbb.stage", "cccc.stage", "notes.txt"};
    for (size_t i = 0; i < 4; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/blobs/staging/%s", dir, names[i]);
        int fd = open(p, O_CREAT | O_WRONLY, 0600);
        CHECK(fd >= 0);
        if (fd >= 0)
            close(fd);
    }
    struct blob_stage *live = blob_stage_new(b, 10);
    blob_stage_discard(live);
    CHECK(blob_sweep_staging(b) == 3);
    CHECK(staging_count(dir) == 1); /* only our own *.stage files go */
    CHECK(blob_sweep_staging(b) == 0);
    blob_close(b);
    rm_rf(dir);
}

/* ---------- fs backend ---------- */

static void test_fs_commit_and_open_read(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_fs(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    static uint8_t data[200000];
    fill(data, sizeof data, 5);
    struct blob_stage *st = blob_stage_new(b, sizeof data);
    CHECK(blob_stage_write(st, data, sizeof data) == BLOB_OK);
    char key[BLOB_KEY_MAX];
    blob_new_key("png", key);
    CHECK(b->ops->commit(b, st, key, "image/png") == BLOB_OK);
    CHECK(staging_count(dir) == 0);

    int fd = -1;
    uint64_t size = 0;
    CHECK(b->ops->open_read(b, key, &fd, &size) == BLOB_OK);
    CHECK(size == sizeof data);
    if (fd >= 0) {
        static uint8_t back[200000];
        size_t got = 0;
        ssize_t r;
        while (got < sizeof back && (r = read(fd, back + got, sizeof back - got)) > 0)
            got += (size_t)r;
        CHECK(got == sizeof data && memcmp(back, data, got) == 0);
        close(fd);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/blobs/objects/%s", dir, key);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && S_ISREG(sb.st_mode));

    CHECK(b->ops->remove(b, key) == BLOB_OK);
    CHECK(b->ops->open_read(b, key, &fd, &size) == BLOB_NOT_FOUND);
    CHECK(b->ops->remove(b, key) == BLOB_OK); /* already gone is fine */
    CHECK(b->ops->remove(b, "never/was.png") == BLOB_OK);
    blob_close(b);
    rm_rf(dir);
}

static void test_fs_rejects_bad_keys(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_fs(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    struct blob_stage *st = blob_stage_new(b, 10);
    CHECK(blob_stage_write(st, "abc", 3) == BLOB_OK);
    CHECK(b->ops->commit(b, st, "../escape", NULL) == BLOB_ERROR);
    CHECK(staging_count(dir) == 0);
    char p[512];
    snprintf(p, sizeof p, "%s/blobs/escape", dir);
    CHECK(access(p, F_OK) != 0);

    /* The media key file sits two levels above the objects: unreachable. */
    int fd = -1;
    uint64_t size = 0;
    CHECK(b->ops->open_read(b, "../../media.key", &fd, &size) == BLOB_NOT_FOUND);
    CHECK(b->ops->open_read(b, "/etc/passwd", &fd, &size) == BLOB_NOT_FOUND);
    CHECK(b->ops->open_read(b, "media", &fd, &size) == BLOB_NOT_FOUND); /* a directory */
    CHECK(b->ops->remove(b, "../../media.key") == BLOB_ERROR);
    snprintf(p, sizeof p, "%s/media.key", dir);
    CHECK(access(p, F_OK) == 0);
    char url[BLOB_URL_MAX];
    CHECK(b->ops->url(b, "a/../b", time(NULL) + 60, url) == BLOB_ERROR);
    blob_close(b);
    rm_rf(dir);
}

static void test_fs_url_and_verify(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_fs(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    const char *key = "media/2026/11/25/0123456789abcdef0123456789abcdef.png";
    int64_t now = 1800000000, exp = now + 600;
    char url[BLOB_URL_MAX];
    CHECK(b->ops->url(b, key, exp, url) == BLOB_OK);
    const char *prefix = "http://127.0.0.1:8080/v1/media/media/2026/11/25/0123456789abcdef0123456789abcdef.png"
                         "?Expires=1800000600&Signature=";
    CHECK(strncmp(url, prefix, strlen(prefix)) == 0);
    char e[32], sig[80];
    CHECK(query_param(url, "Expires", e, sizeof e) == 0);
    CHECK(query_param(url, "Signature", sig, sizeof sig) == 0);
    CHECK(strlen(sig) == 64);
    /* The signature is HMAC-SHA256(secret, "<key>\n<expires>"), hex. */
    char msg[256];
    int mn = snprintf(msg, sizeof msg, "%s\n%s", key, e);
    uint8_t mac[32];
    char want[65];
    crypto_hmac_sha256(b->media_secret, 64, msg, (size_t)mn, mac);
    crypto_hex(mac, 32, want);
    CHECK_STR(sig, want);

    CHECK(blob_verify_media_url(b, key, e, sig, now) == 1);
    CHECK(blob_verify_media_url(b, key, e, sig, exp) == 1); /* the last valid second */
    CHECK(blob_verify_media_url(b, key, e, sig, exp + 1) == 0); /* expired */

    char bad[80];
    memcpy(bad, sig, 65);
    bad[10] = bad[10] == '0' ? '1' : '0';
    CHECK(blob_verify_media_url(b, key, e, bad, now) == 0); /* tampered signature */
    CHECK(blob_verify_media_url(b, "media/2026/11/25/0123456789abcdef0123456789abcdee.png", e, sig, now) == 0);
    CHECK(blob_verify_media_url(b, "media/../media.key", e, sig, now) == 0);
    CHECK(blob_verify_media_url(b, key, "1800000601", sig, now) == 0); /* extended expiry */
    CHECK(blob_verify_media_url(b, key, "+1800000600", sig, now) == 0);
    CHECK(blob_verify_media_url(b, key, "01800000600", sig, now) == 0); /* not the signed string */
    CHECK(blob_verify_media_url(b, key, "1800000600x", sig, now) == 0);
    CHECK(blob_verify_media_url(b, key, "", sig, now) == 0);
    CHECK(blob_verify_media_url(b, key, "99999999999999999999999", sig, now) == 0);
    memcpy(bad, sig, 65);
    for (int i = 0; i < 64; i++)
        if (bad[i] >= 'a' && bad[i] <= 'f')
            bad[i] = (char)(bad[i] - 'a' + 'A');
    CHECK(strcmp(bad, sig) == 0 || blob_verify_media_url(b, key, e, bad, now) == 0);
    memcpy(bad, sig, 65);
    bad[63] = '\0';
    CHECK(blob_verify_media_url(b, key, e, bad, now) == 0); /* short */
    memcpy(bad, sig, 64);
    bad[64] = '0';
    bad[65] = '\0';
    CHECK(blob_verify_media_url(b, key, e, bad, now) == 0); /* long */
    CHECK(blob_verify_media_url(b, key, NULL, sig, now) == 0);
    CHECK(blob_verify_media_url(b, key, e, NULL, now) == 0);
    CHECK(blob_verify_media_url(b, NULL, e, sig, now) == 0);

    /* A second gateway over the same data dir accepts the URL; one over
     * another data dir (another secret) does not. */
    struct blob *b2 = open_fs(dir);
    CHECK(b2 && blob_verify_media_url(b2, key, e, sig, now) == 1);
    blob_close(b2);
    char dir2[256];
    CHECK(tmp_dir(dir2) != NULL);
    struct blob *b3 = open_fs(dir2);
    CHECK(b3 && blob_verify_media_url(b3, key, e, sig, now) == 0);
    blob_close(b3);
    rm_rf(dir2);
    blob_close(b);
    rm_rf(dir);
}

/* ---------- the media secret ---------- */

static void test_media_secret_persists(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_fs(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    char first[65];
    memcpy(first, b->media_secret, 65);
    CHECK(strlen(first) == 64);
    blob_close(b);

    char p[512];
    snprintf(p, sizeof p, "%s/media.key", dir);
    struct stat sb;
    CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    FILE *f = fopen(p, "r");
    char line[100] = "";
    CHECK(f && fgets(line, sizeof line, f));
    if (f)
        fclose(f);
    line[strcspn(line, "\n")] = '\0';
    CHECK_STR(line, first);
    CHECK(count_files(dir) == 2); /* media.key and blobs/: no temp file left */

    b = open_fs(dir);
    CHECK(b && strcmp(b->media_secret, first) == 0);
    blob_close(b);

    /* A damaged key file is an operator's problem to see, never replaced. */
    f = fopen(p, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("not-a-secret\n", f);
        fclose(f);
    }
    CHECK(open_fs(dir) == NULL);
    rm_rf(dir);
}

struct race {
    const char *dir;
    char secret[65];
    int ok;
};

static void *race_open(void *arg)
{
    struct race *r = arg;
    struct blob *b = open_fs(r->dir);
    if (b) {
        memcpy(r->secret, b->media_secret, 65);
        r->ok = 1;
        blob_close(b);
    }
    return NULL;
}

static void test_media_secret_concurrent_starts_agree(void)
{
    for (int round = 0; round < 5; round++) {
        char dir[256];
        CHECK(tmp_dir(dir) != NULL);
        enum { N = 8 };
        pthread_t t[N];
        struct race r[N];
        for (int i = 0; i < N; i++) {
            r[i] = (struct race){.dir = dir};
            pthread_create(&t[i], NULL, race_open, &r[i]);
        }
        for (int i = 0; i < N; i++)
            pthread_join(t[i], NULL);
        for (int i = 0; i < N; i++)
            CHECK(r[i].ok && strcmp(r[i].secret, r[0].secret) == 0);
        CHECK(count_files(dir) == 2);
        rm_rf(dir);
    }
}

/* ---------- blob_open and the s3 configuration ---------- */

static void set_s3_env(const char *ak, const char *sk, const char *pub)
{
    if (ak)
        setenv("PORTICO_S3_ACCESS_KEY_ID", ak, 1);
    else
        unsetenv("PORTICO_S3_ACCESS_KEY_ID");
    if (sk)
        setenv("PORTICO_S3_SECRET_ACCESS_KEY", sk, 1);
    else
        unsetenv("PORTICO_S3_SECRET_ACCESS_KEY");
    if (pub)
        setenv("PORTICO_S3_PUBLIC_BASE", pub, 1);
    else
        unsetenv("PORTICO_S3_PUBLIC_BASE");
}

static struct blob *open_spec(const char *dir, const char *spec)
{
    struct blob_config cfg = {.spec = spec, .data_dir = dir, .public_url = "http://127.0.0.1:8080"};
    return blob_open(&cfg);
}

static void test_open_rejects_bad_specs(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    set_s3_env("AK", "SK", NULL);
    const char *bad[] = {
        "ftp",
        "s3://",
        "s3://bucket",                                          /* no endpoint */
        "s3://bucket?region=auto",                              /* no endpoint */
        "s3://bucket?endpoint=ftp://localhost",                         /* not http(s) */
        "s3://bucket?endpoint=http://",                         /* no host */
        "s3://bucket?endpoint=http://u:p@localhost",                    /* userinfo */
        "s3://bucket?endpoint=http://localhost&regoin=x",               /* typo */
        "s3://bucket?endpoint=http://localhost&region=a/b",
        "s3://Bad_Bucket!?endpoint=http://localhost",
        "s3://bucket?endpoint=http%3A%2F%2Flocalhost%ZZ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct blob *b = open_spec(dir, bad[i]);
        if (b) {
            fprintf(stderr, "  accepted bad spec \"%s\"\n", bad[i]);
            CHECK(0);
            blob_close(b);
        }
    }
    set_s3_env(NULL, "SK", NULL);
    CHECK(open_spec(dir, "s3://bucket?endpoint=http://127.0.0.1:9") == NULL);
    set_s3_env("AK", NULL, NULL);
    CHECK(open_spec(dir, "s3://bucket?endpoint=http://127.0.0.1:9") == NULL);
    set_s3_env("AK", "SK", NULL);
    struct blob *b = open_spec(dir, "s3://bucket?endpoint=http%3A%2F%2F127.0.0.1%3A9&region=us-east-1");
    CHECK(b != NULL);
    CHECK(b && b->ops->open_read == NULL);
    blob_close(b);
    struct blob_config nodir = {.spec = "fs", .data_dir = NULL, .public_url = "http://127.0.0.1:9"};
    CHECK(blob_open(&nodir) == NULL);
    struct blob_config nourl = {.spec = "fs", .data_dir = dir, .public_url = NULL};
    CHECK(blob_open(&nourl) == NULL);
    rm_rf(dir);
}

static void test_s3_public_base_url(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    set_s3_env("AK", "SK", "http://localhost:9/");
    struct blob *b = open_spec(dir, "s3://bucket?endpoint=https://127.0.0.1:9");
    CHECK(b != NULL);
    if (b) {
        char url[BLOB_URL_MAX];
        CHECK(b->ops->url(b, "media/2026/11/25/ab.png", time(NULL) + 60, url) == BLOB_OK);
        CHECK_STR(url, "http://localhost:9/media/2026/11/25/ab.png");
        CHECK(b->ops->url(b, "../x", time(NULL) + 60, url) == BLOB_ERROR);
        blob_close(b);
    }
    set_s3_env(NULL, NULL, NULL);
    rm_rf(dir);
}

static void test_s3_presigned_url_shape(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    set_s3_env("AKID", "SECRET/KEY", NULL);
    struct blob *b = open_spec(dir, "s3://bucket?endpoint=https://localhost:443/&region=auto");
    CHECK(b != NULL);
    if (b) {
        char url[BLOB_URL_MAX];
        int64_t now = time(NULL);
        CHECK(b->ops->url(b, "media/k.png", now + 3600, url) == BLOB_OK);
        const char *prefix = "https://localhost:443/bucket/media/k.png?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                             "&X-Amz-Credential=AKID%2F";
        CHECK(strncmp(url, prefix, strlen(prefix)) == 0);
        char date[32], expires[32], sig[80];
        CHECK(query_param(url, "X-Amz-Date", date, sizeof date) == 0);
        CHECK(query_param(url, "X-Amz-Expires", expires, sizeof expires) == 0);
        CHECK(query_param(url, "X-Amz-Signature", sig, sizeof sig) == 0);
        long long ex = atoll(expires);
        CHECK(ex >= 3590 && ex <= 3600);
        /* Recomputed independently of s3.c: same key, host without the
         * default port (what curl sends), same path. */
        struct sigv4_key k = {"AKID", "SECRET/KEY", "auto", "s3"};
        struct buf u;
        buf_init(&u, BLOB_URL_MAX);
        CHECK(sigv4_presign_get(&k, "https://localhost:443", "localhost",
                                "/bucket/media/k.png", date, ex, &u) == 0);
        CHECK_STR(url, u.data);
        buf_free(&u);
        /* Longer than S3 allows: clamped to seven days. */
        CHECK(b->ops->url(b, "media/k.png", now + 30 * 86400, url) == BLOB_OK);
        CHECK(query_param(url, "X-Amz-Expires", expires, sizeof expires) == 0);
        CHECK_STR(expires, "604800");
        CHECK(b->ops->url(b, "media/k.png", now - 1, url) == BLOB_ERROR);
        blob_close(b);
    }
    set_s3_env(NULL, NULL, NULL);
    rm_rf(dir);
}

/* Nothing listens on port 1: the commit fails fast, leaves nothing staged. */
static void test_s3_unreachable_is_unavailable(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    set_s3_env("AK", "SK", NULL);
    struct blob *b = open_spec(dir, "s3://bucket?endpoint=http://127.0.0.1:1");
    CHECK(b != NULL);
    if (b) {
        struct blob_stage *st = blob_stage_new(b, 100);
        CHECK(blob_stage_write(st, "hello", 5) == BLOB_OK);
        CHECK(b->ops->commit(b, st, "media/x.png", "image/png") == BLOB_UNAVAILABLE);
        CHECK(staging_count(dir) == 0);
        CHECK(b->ops->remove(b, "media/x.png") == BLOB_UNAVAILABLE);
        blob_close(b);
    }
    set_s3_env(NULL, NULL, NULL);
    rm_rf(dir);
}

/* ---------- live S3 (s3rver), only when the environment names one ---------- */

static const char *live_endpoint, *live_bucket;

static struct blob *open_live(const char *dir)
{
    const char *ak = getenv("PORTICO_TEST_S3_ACCESS_KEY_ID");
    const char *sk = getenv("PORTICO_TEST_S3_SECRET_ACCESS_KEY");
    set_s3_env(ak ? ak : "S3RVER", sk ? sk : "S3RVER", NULL);
    char spec[1024];
    snprintf(spec, sizeof spec, "s3://%s?endpoint=%s&region=us-east-1", live_bucket, live_endpoint);
    return open_spec(dir, spec);
}

struct fetched {
    struct buf body;
    long status;
    char content_type[128];
};

static size_t fetch_write(char *d, size_t s, size_t n, void *ud)
{
    return buf_append(ud, d, s * n) == 0 ? s * n : 0;
}

static int fetch(const char *url, struct fetched *out)
{
    buf_init(&out->body, 32 * 1024 * 1024);
    out->status = 0;
    out->content_type[0] = '\0';
    CURL *h = curl_easy_init();
    if (!h)
        return -1;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    if (ct)
        snprintf(out->content_type, sizeof out->content_type, "%s", ct);
    curl_easy_cleanup(h);
    return cc == CURLE_OK ? 0 : -1;
}

static void test_s3_live_commit_and_get(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_live(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    size_t n = 3 * 1024 * 1024 + 17; /* past curl's Expect: 100-continue threshold */
    uint8_t *data = malloc(n);
    fill(data, n, 9);
    struct blob_stage *st = blob_stage_new(b, n);
    for (size_t off = 0; off < n; off += 65536)
        CHECK(blob_stage_write(st, data + off, n - off < 65536 ? n - off : 65536) == BLOB_OK);
    char key[BLOB_KEY_MAX];
    blob_new_key("png", key);
    CHECK(b->ops->commit(b, st, key, "image/png") == BLOB_OK);
    CHECK(staging_count(dir) == 0);
    char url[BLOB_URL_MAX];
    CHECK(b->ops->url(b, key, time(NULL) + 3600, url) == BLOB_OK);
    struct fetched f;
    CHECK(fetch(url, &f) == 0);
    CHECK(f.status == 200);
    CHECK(f.body.len == n && memcmp(f.body.data, data, n) == 0);
    CHECK_STR(f.content_type, "image/png");
    char sha[65];
    crypto_sha256_hex(data, n, sha);
    /* Left in the bucket for test_blob_s3.py to fetch on its own. */
    printf("# s3-keep-key %s\n# s3-keep-url %s\n# s3-keep-sha256 %s\n", key, url, sha);
    buf_free(&f.body);
    free(data);
    blob_close(b);
    rm_rf(dir);
}

static void test_s3_live_remove_makes_404(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_live(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    struct blob_stage *st = blob_stage_new(b, 1000);
    CHECK(blob_stage_write(st, "\x89PNG\r\n\x1a\n", 8) == BLOB_OK);
    char key[BLOB_KEY_MAX];
    blob_new_key("png", key);
    CHECK(b->ops->commit(b, st, key, NULL) == BLOB_OK);
    char url[BLOB_URL_MAX];
    CHECK(b->ops->url(b, key, time(NULL) + 3600, url) == BLOB_OK);
    struct fetched f;
    CHECK(fetch(url, &f) == 0 && f.status == 200 && f.body.len == 8);
    buf_free(&f.body);
    CHECK(b->ops->remove(b, key) == BLOB_OK);
    CHECK(fetch(url, &f) == 0 && f.status == 404);
    buf_free(&f.body);
    CHECK(b->ops->remove(b, key) == BLOB_OK); /* 404 on DELETE is success */
    printf("# s3-removed-url %s\n", url);
    blob_close(b);
    rm_rf(dir);
}

static void test_s3_live_too_large_never_uploads(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_live(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    struct blob_stage *st = blob_stage_new(b, 4);
    CHECK(blob_stage_write(st, "12345", 5) == BLOB_TOO_LARGE);
    char key[BLOB_KEY_MAX];
    blob_new_key("png", key);
    CHECK(b->ops->commit(b, st, key, "image/png") == BLOB_TOO_LARGE);
    CHECK(staging_count(dir) == 0);
    char url[BLOB_URL_MAX];
    CHECK(b->ops->url(b, key, time(NULL) + 60, url) == BLOB_OK);
    struct fetched f;
    CHECK(fetch(url, &f) == 0 && f.status == 404);
    buf_free(&f.body);
    blob_close(b);
    rm_rf(dir);
}

struct live_job {
    struct blob *b;
    char key[BLOB_KEY_MAX];
    unsigned seed;
    enum blob_result r;
};

static void *live_commit(void *arg)
{
    struct live_job *j = arg;
    uint8_t data[50000];
    fill(data, sizeof data, j->seed);
    struct blob_stage *st = blob_stage_new(j->b, sizeof data);
    j->r = BLOB_ERROR;
    if (st && blob_stage_write(st, data, sizeof data) == BLOB_OK)
        j->r = j->b->ops->commit(j->b, st, j->key, "image/webp");
    else
        blob_stage_discard(st);
    return NULL;
}

/* Stages are per request; commits from several threads share one blob. */
static void test_s3_live_concurrent_commits(void)
{
    char dir[256];
    CHECK(tmp_dir(dir) != NULL);
    struct blob *b = open_live(dir);
    CHECK(b != NULL);
    if (!b)
        return;
    enum { N = 6 };
    struct live_job jobs[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct live_job){.b = b, .seed = 100u + (unsigned)i};
        blob_new_key("webp", jobs[i].key);
        pthread_create(&t[i], NULL, live_commit, &jobs[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) {
        CHECK(jobs[i].r == BLOB_OK);
        char url[BLOB_URL_MAX];
        CHECK(b->ops->url(b, jobs[i].key, time(NULL) + 60, url) == BLOB_OK);
        struct fetched f;
        uint8_t want[50000];
        fill(want, sizeof want, jobs[i].seed);
        CHECK(fetch(url, &f) == 0 && f.status == 200 && f.body.len == sizeof want &&
              memcmp(f.body.data, want, sizeof want) == 0);
        buf_free(&f.body);
        CHECK(b->ops->remove(b, jobs[i].key) == BLOB_OK);
    }
    CHECK(staging_count(dir) == 0);
    blob_close(b);
    rm_rf(dir);
}

int main(void)
{
    RUN(test_sigv4_presigned_url_aws_example);
    RUN(test_sigv4_presigned_canonical_request);
    RUN(test_sigv4_header_auth_aws_get_example);
    RUN(test_sigv4_rejects_bad_input);
    RUN(test_sigv4_uri_encode_and_trim);
    RUN(test_sigv4_sha256_file);
    RUN(test_sigv4_amz_date);
    RUN(test_key_validation);
    RUN(test_new_key_format);
    RUN(test_stage_exact_max_ok);
    RUN(test_stage_max_plus_one_too_large);
    RUN(test_stage_head_capture);
    RUN(test_sweep_staging);
    RUN(test_fs_commit_and_open_read);
    RUN(test_fs_rejects_bad_keys);
    RUN(test_fs_url_and_verify);
    RUN(test_media_secret_persists);
    RUN(test_media_secret_concurrent_starts_agree);
    RUN(test_open_rejects_bad_specs);
    RUN(test_s3_public_base_url);
    RUN(test_s3_presigned_url_shape);
    RUN(test_s3_unreachable_is_unavailable);

    live_endpoint = getenv("PORTICO_TEST_S3_ENDPOINT");
    live_bucket = getenv("PORTICO_TEST_S3_BUCKET");
    if (live_endpoint && *live_endpoint && live_bucket && *live_bucket) {
        RUN(test_s3_live_commit_and_get);
        RUN(test_s3_live_remove_makes_404);
        RUN(test_s3_live_too_large_never_uploads);
        RUN(test_s3_live_concurrent_commits);
    } else {
        printf("# s3 live tests skipped: PORTICO_TEST_S3_ENDPOINT / PORTICO_TEST_S3_BUCKET not set\n");
    }
    curl_global_cleanup();
    return check_summary();
}
