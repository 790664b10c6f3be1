/* test_store.c — the SQLite store against a real database in a temp dir.
 *
 * One test also starts this binary again as a second process (argv[1] ==
 * "--child") to prove that keys created and revoked by another process,
 * like `porticod keys ...`, are seen at once by a running server. */
#include <dirent.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "store/store.h"
#include "util/crypto.h"

extern char **environ;

static char tmp_root[256];
static int tmp_seq;

/* A fresh directory path (not yet created) under this run's temp root. */
static void fresh_dir(char *out, size_t cap)
{
    snprintf(out, cap, "%s/d%d", tmp_root, ++tmp_seq);
}

static void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* The due assets at now_ms, read through the refresher's lease with a
 * lease of 0 ms: the rows stay due at now_ms, as due_assets (removed: no
 * production caller) left them. */
static enum store_result due_assets(struct store *s, int64_t now_ms, size_t limit, struct asset_list *out)
{
    return s->ops->lease_due_assets(s, now_ms, 0, limit, out);
}

static struct store *open_fresh(char *dir, size_t cap)
{
    fresh_dir(dir, cap);
    return store_sqlite_open(dir);
}

static int64_t customer(struct store *s, const char *name)
{
    struct customer c;
    if (s->ops->put_customer(s, name, 1, NULL, &c) != STORE_OK)
        return -1;
    return c.id;
}

/* Reserves and confirms a group; returns its id in out. */
static enum store_result make_group(struct store *s, int64_t cust, const char *id, const char *name, int64_t now)
{
    int64_t h = 0;
    enum store_result r = s->ops->reserve_group(s, cust, "AIGC", name, "desc", 50, now, NULL, &h);
    if (r != STORE_OK)
        return r;
    return s->ops->confirm_group(s, h, id, now);
}

static enum store_result make_asset(struct store *s, int64_t cust, const char *group, const char *id,
                                    const char *type, const char *name, int64_t now, int64_t next_poll)
{
    int64_t h = 0;
    enum store_result r =
        s->ops->reserve_asset(s, cust, group, type, name, "http://127.0.0.1:9/a.png", NULL, 0, NULL, 50, now, NULL, &h, NULL);
    if (r != STORE_OK)
        return r;
    return s->ops->confirm_asset(s, h, id, now, next_poll);
}

static void test_store_result_str_names_every_result(void)
{
    CHECK_STR(store_result_str(STORE_OK), "ok");
    CHECK_STR(store_result_str(STORE_NOT_FOUND), "not found");
    CHECK_STR(store_result_str(STORE_QUOTA), "quota exceeded");
    CHECK_STR(store_result_str(STORE_CONFLICT), "conflict");
    CHECK_STR(store_result_str(STORE_UNAVAILABLE), "store unavailable");
    CHECK_STR(store_result_str(STORE_ERROR), "store error");
}

static void test_open_creates_private_dir_and_migrates_idempotently(void)
{
    char dir[512];
    fresh_dir(dir, sizeof dir);
    char nested[600];
    snprintf(nested, sizeof nested, "%s/a/b", dir);
    struct store *s = store_sqlite_open(nested);
    CHECK(s != NULL);
    if (!s)
        return;
    struct stat sb;
    CHECK(stat(nested, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700);
    CHECK(s->ops->ping(s) == STORE_OK);
    struct customer c1, c2;
    CHECK(s->ops->put_customer(s, "acme", 1, NULL, &c1) == STORE_OK);
    s->ops->close(s);

    /* Reopen: migrations find nothing to do, data persists. */
    s = store_sqlite_open(nested);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(s->ops->put_customer(s, "acme", 1, NULL, &c2) == STORE_OK);
    CHECK(c1.id == c2.id);
    /* A second handle on the same file at once, as a second process would. */
    struct store *t = store_sqlite_open(nested);
    CHECK(t != NULL);
    if (t) {
        CHECK(t->ops->put_customer(t, "acme", 1, NULL, &c2) == STORE_OK && c2.id == c1.id);
        t->ops->close(t);
    }
    s->ops->close(s);

    char file[700];
    snprintf(file, sizeof file, "%s/portico.db", nested);
    CHECK(access(file, F_OK) == 0);
}

struct open_arg {
    const char *dir;
    int ok;
};

static void *open_thread(void *p)
{
    struct open_arg *a = p;
    struct store *s = store_sqlite_open(a->dir);
    a->ok = s != NULL && s->ops->ping(s) == STORE_OK;
    if (s)
        s->ops->close(s);
    return NULL;
}

static void test_concurrent_first_opens_all_succeed(void)
{
    char dir[512];
    fresh_dir(dir, sizeof dir);
    enum { N = 8 };
    pthread_t th[N];
    struct open_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i].dir = dir;
        a[i].ok = 0;
        pthread_create(&th[i], NULL, open_thread, &a[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK(a[i].ok);
    }
}

static void test_open_fails_cleanly_on_a_file_path(void)
{
    char dir[512];
    fresh_dir(dir, sizeof dir);
    FILE *f = fopen(dir, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    CHECK(store_sqlite_open(dir) == NULL);
    CHECK(store_sqlite_open(NULL) == NULL);
}

static void test_put_customer_finds_or_creates_and_sets_aigc(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    struct customer a, b, a2;
    CHECK(s->ops->put_customer(s, "alpha", 1, NULL, &a) == STORE_OK);
    CHECK_STR(a.name, "alpha");
    CHECK(a.aigc_enabled == 1 && a.id > 0);
    CHECK(s->ops->put_customer(s, "beta", 0, NULL, &b) == STORE_OK);
    CHECK(b.id != a.id && b.aigc_enabled == 0);
    CHECK(s->ops->put_customer(s, "alpha", 0, NULL, &a2) == STORE_OK);
    CHECK(a2.id == a.id && a2.aigc_enabled == 0);
    CHECK(s->ops->put_customer(s, "", 1, NULL, &a2) == STORE_ERROR);
    char longname[100];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(s->ops->put_customer(s, longname, 1, NULL, &a2) == STORE_ERROR);
    s->ops->close(s);
}

struct keys_seen {
    int n;
    char prefix[8][32];
    char customer[8][STORE_CUSTOMER_MAX];
    int64_t revoked[8];
};

static void collect_key(void *ctx, const struct key_info *k)
{
    struct keys_seen *ks = ctx;
    if (ks->n < 8) {
        snprintf(ks->prefix[ks->n], 32, "%s", k->prefix);
        snprintf(ks->customer[ks->n], STORE_CUSTOMER_MAX, "%s", k->customer);
        ks->revoked[ks->n] = k->revoked_ms;
    }
    ks->n++;
}

static void test_keys_add_find_list_revoke(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha"), b = customer(s, "beta");
    uint8_t h1[32], h2[32], h3[32];
    crypto_sha256("key-one", 7, h1);
    crypto_sha256("key-two", 7, h2);
    crypto_sha256("key-three", 9, h3);
    CHECK(s->ops->add_key(s, a, "ptc_AAAAAAAA", h1, 1000, NULL) == STORE_OK);
    CHECK(s->ops->add_key(s, b, "ptc_BBBBBBBB", h2, 2000, NULL) == STORE_OK);
    CHECK(s->ops->add_key(s, a, "ptc_AAAAAAAA", h3, 3000, NULL) == STORE_CONFLICT);
    CHECK(s->ops->add_key(s, 999999, "ptc_CCCCCCCC", h3, 3000, NULL) == STORE_NOT_FOUND);

    struct customer c;
    CHECK(s->ops->find_key(s, h1, &c, NULL) == STORE_OK);
    CHECK(c.id == a);
    CHECK_STR(c.name, "alpha");
    CHECK(s->ops->find_key(s, h2, &c, NULL) == STORE_OK && c.id == b);
    CHECK(s->ops->find_key(s, h3, &c, NULL) == STORE_NOT_FOUND);

    CHECK(s->ops->revoke_key(s, "ptc_AAAAAAAA", 5000, NULL) == STORE_OK);
    CHECK(s->ops->find_key(s, h1, &c, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->revoke_key(s, "ptc_AAAAAAAA", 6000, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->revoke_key(s, "ptc_ZZZZZZZZ", 6000, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->find_key(s, h2, &c, NULL) == STORE_OK);

    struct keys_seen ks;
    memset(&ks, 0, sizeof ks);
    CHECK(s->ops->list_keys(s, collect_key, &ks) == STORE_OK);
    CHECK(ks.n == 2);
    CHECK_STR(ks.prefix[0], "ptc_AAAAAAAA"); /* oldest first, revoked listed */
    CHECK_STR(ks.customer[0], "alpha");
    CHECK(ks.revoked[0] == 5000);
    CHECK_STR(ks.prefix[1], "ptc_BBBBBBBB");
    CHECK(ks.revoked[1] == 0);
    s->ops->close(s);
}

/* The child half of the cross-process test: "--child DIR add|revoke". */
static int child_main(const char *dir, const char *what)
{
    struct store *s = store_sqlite_open(dir);
    if (!s)
        return 2;
    uint8_t h[32];
    crypto_sha256("child-key", 9, h);
    enum store_result r;
    if (strcmp(what, "add") == 0) {
        struct customer c;
        r = s->ops->put_customer(s, "child-customer", 1, NULL, &c);
        if (r == STORE_OK)
            r = s->ops->add_key(s, c.id, "ptc_CHILD000", h, 1234, NULL);
    } else {
        r = s->ops->revoke_key(s, "ptc_CHILD000", 5678, NULL);
    }
    s->ops->close(s);
    return r == STORE_OK ? 0 : 1;
}

static int run_child(const char *dir, const char *what)
{
    char *argv[] = {"test_store", "--child", (char *)dir, (char *)what, NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) != 0)
        return -1;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_keys_from_another_process_are_seen_at_once(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    uint8_t h[32];
    struct customer c;
    crypto_sha256("child-key", 9, h);
    CHECK(s->ops->find_key(s, h, &c, NULL) == STORE_NOT_FOUND); /* warms a connection */
    CHECK(run_child(dir, "add") == 0);
    CHECK(s->ops->find_key(s, h, &c, NULL) == STORE_OK);
    CHECK_STR(c.name, "child-customer");
    CHECK(run_child(dir, "revoke") == 0);
    CHECK(s->ops->find_key(s, h, &c, NULL) == STORE_NOT_FOUND);
    s->ops->close(s);
}

static void test_group_lifecycle_and_pending_invisible(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha");
    int64_t h = 0;
    struct group g;
    struct group_list gl;
    CHECK(s->ops->reserve_group(s, a, "AIGC", "first", NULL, 50, 1000, NULL, &h) == STORE_OK);
    CHECK(h > 0);
    CHECK(s->ops->list_groups(s, a, NULL, 1, 10, &gl) == STORE_OK);
    CHECK(gl.total == 0 && gl.n == 0);
    free(gl.items);
    CHECK(s->ops->confirm_group(s, h, "group-20260101000000-aaaaa", 2000) == STORE_OK);
    CHECK(s->ops->confirm_group(s, h, "group-20260101000000-aaaaa", 2000) == STORE_NOT_FOUND);
    CHECK(s->ops->release_group(s, h) == STORE_NOT_FOUND); /* confirmed rows are never released */

    CHECK(s->ops->get_group(s, a, "group-20260101000000-aaaaa", &g) == STORE_OK);
    CHECK_STR(g.id, "group-20260101000000-aaaaa");
    CHECK_STR(g.type, "AIGC");
    CHECK_STR(g.name, "first");
    CHECK_STR(g.description, "");
    CHECK(g.customer_id == a && g.asset_count == 0 && g.create_ms == 2000 && g.update_ms == 2000);

    CHECK(s->ops->update_group(s, a, g.id, "renamed", NULL, 3000) == STORE_OK);
    CHECK(s->ops->get_group(s, a, g.id, &g) == STORE_OK);
    CHECK_STR(g.name, "renamed");
    CHECK_STR(g.description, "");
    CHECK(g.update_ms == 3000 && g.create_ms == 2000);
    CHECK(s->ops->update_group(s, a, g.id, NULL, "about", 4000) == STORE_OK);
    CHECK(s->ops->get_group(s, a, g.id, &g) == STORE_OK);
    CHECK_STR(g.name, "renamed");
    CHECK_STR(g.description, "about");
    CHECK(s->ops->update_group(s, a, "group-nope", "x", NULL, 4000) == STORE_NOT_FOUND);

    /* A second confirm with the same upstream id is a conflict. */
    int64_t h2 = 0;
    CHECK(s->ops->reserve_group(s, a, "AIGC", "dup", "", 50, 5000, NULL, &h2) == STORE_OK);
    CHECK(s->ops->confirm_group(s, h2, "group-20260101000000-aaaaa", 5000) == STORE_CONFLICT);
    CHECK(s->ops->release_group(s, h2) == STORE_OK);
    CHECK(s->ops->release_group(s, h2) == STORE_NOT_FOUND);

    CHECK(s->ops->delete_group(s, a, g.id, 6000, NULL) == STORE_OK);
    CHECK(s->ops->get_group(s, a, g.id, &g) == STORE_NOT_FOUND);
    CHECK(s->ops->update_group(s, a, "group-20260101000000-aaaaa", "x", NULL, 7000) == STORE_NOT_FOUND);
    CHECK(s->ops->delete_group(s, a, "group-20260101000000-aaaaa", 7000, NULL) == STORE_NOT_FOUND);
    s->ops->close(s);
}

static void test_customer_b_cannot_touch_customer_a_rows(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha"), b = customer(s, "beta");
    const char *gid = "group-20260101000000-aaaaa", *aid = "asset-20260101000000-aaaaa";
    CHECK(make_group(s, a, gid, "mine", 1000) == STORE_OK);
    CHECK(make_asset(s, a, gid, aid, "Image", "pic", 1000, 5000) == STORE_OK);

    struct group g;
    struct asset as;
    struct group_list gl;
    struct asset_list al;
    int64_t h = 0;
    CHECK(s->ops->get_group(s, b, gid, &g) == STORE_NOT_FOUND);
    CHECK(s->ops->update_group(s, b, gid, "hacked", NULL, 2000) == STORE_NOT_FOUND);
    CHECK(s->ops->delete_group(s, b, gid, 2000, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->get_asset(s, b, aid, &as) == STORE_NOT_FOUND);
    CHECK(s->ops->update_asset(s, b, aid, "hacked", 2000) == STORE_NOT_FOUND);
    CHECK(s->ops->delete_asset(s, b, aid, 2000, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->reserve_asset(s, b, gid, "Image", "x", "http://127.0.0.1:9/x.png", NULL, 0, NULL, 50, 2000, NULL, &h, NULL) ==
          STORE_NOT_FOUND);
    CHECK(s->ops->list_groups(s, b, NULL, 1, 10, &gl) == STORE_OK);
    CHECK(gl.total == 0 && gl.n == 0);
    free(gl.items);
    const char *gids[] = {gid};
    struct asset_filter af = {.group_ids = gids, .n_group_ids = 1};
    CHECK(s->ops->list_assets(s, b, &af, 1, 10, &al) == STORE_OK);
    CHECK(al.total == 0 && al.n == 0);
    free(al.items);
    CHECK(s->ops->list_assets(s, b, NULL, 1, 10, &al) == STORE_OK);
    CHECK(al.total == 0);
    free(al.items);

    /* A's rows are untouched. */
    CHECK(s->ops->get_group(s, a, gid, &g) == STORE_OK);
    CHECK_STR(g.name, "mine");
    CHECK(g.asset_count == 1);
    CHECK(s->ops->get_asset(s, a, aid, &as) == STORE_OK);
    CHECK_STR(as.name, "pic");
    s->ops->close(s);
}

struct race {
    struct store *s;
    int64_t cust;
    const char *group_id;
    int result;
};

static void *reserve_group_thread(void *p)
{
    struct race *r = p;
    int64_t h = 0;
    r->result = r->s->ops->reserve_group(r->s, r->cust, "AIGC", "racer", "", 50, 1000, NULL, &h);
    return NULL;
}

static void *reserve_asset_thread(void *p)
{
    struct race *r = p;
    int64_t h = 0;
    r->result = r->s->ops->reserve_asset(r->s, r->cust, r->group_id, "Image", "racer", "http://127.0.0.1:9/a.png",
                                         NULL, 0, NULL, 50, 1000, NULL, &h, NULL);
    return NULL;
}

enum { RACERS = 60 };

/* Runs 60 threads of fn spread over the given store handles; counts results. */
static void race(struct store **handles, int n_handles, int64_t cust, const char *group_id, void *(*fn)(void *),
                 int *ok, int *quota)
{
    pthread_t th[RACERS];
    struct race r[RACERS];
    *ok = *quota = 0;
    for (int i = 0; i < RACERS; i++) {
        r[i] = (struct race){handles[i % n_handles], cust, group_id, -1};
        pthread_create(&th[i], NULL, fn, &r[i]);
    }
    for (int i = 0; i < RACERS; i++) {
        pthread_join(th[i], NULL);
        if (r[i].result == STORE_OK)
            (*ok)++;
        else if (r[i].result == STORE_QUOTA_PENDING) /* full of reservations, none confirmed yet */
            (*quota)++;
    }
}

static void test_group_quota_holds_under_60_concurrent_reservations(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int ok, quota;
    race(&s, 1, customer(s, "alpha"), NULL, reserve_group_thread, &ok, &quota);
    CHECK(ok == 50);
    CHECK(quota == 10);

    /* Two handles on one file (two processes' worth of connections and no
     * shared mutex): the database's write lock alone keeps the quota. */
    struct store *t = store_sqlite_open(dir);
    CHECK(t != NULL);
    if (t) {
        struct store *both[2] = {s, t};
        race(both, 2, customer(s, "beta"), NULL, reserve_group_thread, &ok, &quota);
        CHECK(ok == 50);
        CHECK(quota == 10);
        t->ops->close(t);
    }
    s->ops->close(s);
}

static void test_asset_quota_holds_under_60_concurrent_reservations(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha");
    CHECK(make_group(s, a, "group-20260101000000-aaaaa", "g1", 1000) == STORE_OK);
    CHECK(make_group(s, a, "group-20260101000000-bbbbb", "g2", 1000) == STORE_OK);
    int ok, quota;
    race(&s, 1, a, "group-20260101000000-aaaaa", reserve_asset_thread, &ok, &quota);
    CHECK(ok == 50);
    CHECK(quota == 10);
    struct store *t = store_sqlite_open(dir);
    CHECK(t != NULL);
    if (t) {
        struct store *both[2] = {s, t};
        race(both, 2, a, "group-20260101000000-bbbbb", reserve_asset_thread, &ok, &quota);
        CHECK(ok == 50);
        CHECK(quota == 10);
        t->ops->close(t);
    }
    s->ops->close(s);
}

static void test_quota_counts_pending_and_live_not_deleted(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha");
    int64_t h1 = 0, h2 = 0, h3 = 0;
    CHECK(s->ops->reserve_group(s, a, "AIGC", "g1", "", 2, 1000, NULL, &h1) == STORE_OK);
    CHECK(s->ops->reserve_group(s, a, "AIGC", "g2", "", 2, 1000, NULL, &h2) == STORE_OK);
    /* Full of creates in flight: they may yet be released. */
    CHECK(s->ops->reserve_group(s, a, "AIGC", "g3", "", 2, 1000, NULL, &h3) == STORE_QUOTA_PENDING);
    CHECK(s->ops->release_group(s, h2) == STORE_OK);
    CHECK(s->ops->reserve_group(s, a, "AIGC", "g3", "", 2, 1000, NULL, &h3) == STORE_OK);
    CHECK(s->ops->confirm_group(s, h1, "group-20260101000000-aaaaa", 1000) == STORE_OK);
    CHECK(s->ops->reserve_group(s, a, "AIGC", "g4", "", 2, 1000, NULL, &h2) == STORE_QUOTA_PENDING);
    CHECK(s->ops->confirm_group(s, h3, "group-20260101000000-aaaab", 1000) == STORE_OK);
    CHECK(s->ops->reserve_group(s, a, "AIGC", "g4", "", 2, 1000, NULL, &h2) == STORE_QUOTA); /* truly full */
    CHECK(s->ops->delete_group(s, a, "group-20260101000000-aaaaa", 2000, NULL) == STORE_OK);
    CHECK(s->ops->reserve_group(s, a, "AIGC", "g4", "", 2, 1000, NULL, &h2) == STORE_OK);
    /* Another customer has its own quota. */
    CHECK(s->ops->reserve_group(s, customer(s, "beta"), "AIGC", "b1", "", 2, 1000, NULL, &h2) == STORE_OK);
    s->ops->close(s);
}

static void test_delete_group_cascades_and_releases_quota(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha");
    const char *gid = "group-20260101000000-aaaaa";
    CHECK(make_group(s, a, gid, "g", 1000) == STORE_OK);
    CHECK(make_asset(s, a, gid, "asset-20260101000000-00001", "Image", "one", 1000, 0) == STORE_OK);
    CHECK(make_asset(s, a, gid, "asset-20260101000000-00002", "Video", "two", 1000, 0) == STORE_OK);
    int64_t pending = 0;
    CHECK(s->ops->reserve_asset(s, a, gid, "Image", "p", "http://127.0.0.1:9/p.png", "blobs/p", 0, NULL, 50, 1000, NULL, &pending, NULL) ==
          STORE_OK);
    struct asset_counts ac;
    CHECK(s->ops->count_assets(s, &ac) == STORE_OK);
    CHECK(ac.processing == 2);

    CHECK(s->ops->delete_group(s, a, gid, 2000, NULL) == STORE_OK);
    struct asset as;
    CHECK(s->ops->get_asset(s, a, "asset-20260101000000-00001", &as) == STORE_NOT_FOUND);
    CHECK(s->ops->get_asset(s, a, "asset-20260101000000-00002", &as) == STORE_NOT_FOUND);
    CHECK(s->ops->update_asset(s, a, "asset-20260101000000-00001", "x", 3000) == STORE_NOT_FOUND);
    CHECK(s->ops->delete_asset(s, a, "asset-20260101000000-00001", 3000, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00001", "Active", "", "", "", 3000, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->schedule_poll(s, "asset-20260101000000-00001", 9000, 1) == STORE_NOT_FOUND);
    /* The reservation in flight when its group went cannot become live. */
    CHECK(s->ops->confirm_asset(s, pending, "asset-20260101000000-00003", 3000, 0) == STORE_NOT_FOUND);
    CHECK(s->ops->release_asset(s, pending) == STORE_OK);
    CHECK(s->ops->count_assets(s, &ac) == STORE_OK);
    CHECK(ac.processing == 0 && ac.active == 0 && ac.failed == 0);
    struct asset_list al;
    CHECK(due_assets(s, 1 << 30, 100, &al) == STORE_OK);
    CHECK(al.n == 0);
    free(al.items);
    int64_t h = 0;
    CHECK(s->ops->reserve_asset(s, a, gid, "Image", "x", "http://127.0.0.1:9/x.png", NULL, 0, NULL, 50, 3000, NULL, &h, NULL) ==
          STORE_NOT_FOUND);
    /* The group quota is free again: max 1 admits a new group. */
    CHECK(s->ops->reserve_group(s, a, "AIGC", "again", "", 1, 4000, NULL, &h) == STORE_OK);
    s->ops->close(s);
}

static void test_pending_assets_are_invisible_and_releasable(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha");
    const char *gid = "group-20260101000000-aaaaa";
    CHECK(make_group(s, a, gid, "g", 1000) == STORE_OK);
    int64_t h = 0;
    CHECK(s->ops->reserve_asset(s, a, gid, "Image", "p", "http://127.0.0.1:9/p.png", NULL, 0, NULL, 50, 1000, NULL, &h, NULL) == STORE_OK);
    struct group g;
    CHECK(s->ops->get_group(s, a, gid, &g) == STORE_OK && g.asset_count == 0);
    struct asset_list al;
    CHECK(s->ops->list_assets(s, a, NULL, 1, 10, &al) == STORE_OK);
    CHECK(al.total == 0 && al.n == 0);
    free(al.items);
    CHECK(due_assets(s, 1 << 30, 10, &al) == STORE_OK);
    CHECK(al.n == 0);
    free(al.items);
    struct asset_counts ac;
    CHECK(s->ops->count_assets(s, &ac) == STORE_OK && ac.processing == 0);
    /* Pending counts toward the quota: max 1 is full, of a create in flight. */
    int64_t h2 = 0;
    CHECK(s->ops->reserve_asset(s, a, gid, "Image", "q", "http://127.0.0.1:9/q.png", NULL, 0, NULL, 1, 1000, NULL, &h2, NULL) ==
          STORE_QUOTA_PENDING);
    CHECK(s->ops->release_asset(s, h) == STORE_OK);
    CHECK(s->ops->release_asset(s, h) == STORE_NOT_FOUND);
    CHECK(s->ops->confirm_asset(s, h, "asset-20260101000000-00001", 1000, 0) == STORE_NOT_FOUND);
    CHECK(s->ops->reserve_asset(s, a, gid, "Image", "q", "http://127.0.0.1:9/q.png", NULL, 0, NULL, 1, 1000, NULL, &h2, NULL) == STORE_OK);
    CHECK(s->ops->confirm_asset(s, h2, "asset-20260101000000-00002", 1500, 2500) == STORE_OK);
    CHECK(s->ops->release_asset(s, h2) == STORE_NOT_FOUND);
    struct asset as;
    CHECK(s->ops->get_asset(s, a, "asset-20260101000000-00002", &as) == STORE_OK);
    CHECK_STR(as.group_id, gid);
    CHECK_STR(as.type, "Image");
    CHECK_STR(as.name, "q");
    CHECK_STR(as.url, "http://127.0.0.1:9/q.png");
    CHECK_STR(as.blob_key, "");
    CHECK_STR(as.status, "Processing");
    CHECK_STR(as.failure_reason, "");
    CHECK(as.customer_id == a && as.create_ms == 1500 && as.update_ms == 1500);
    CHECK(as.next_poll_ms == 2500 && as.polls == 0);
    CHECK(s->ops->get_group(s, a, gid, &g) == STORE_OK && g.asset_count == 1);
    /* Reserving into a pending or unknown group is NOT_FOUND. */
    int64_t pg = 0;
    CHECK(s->ops->reserve_group(s, a, "AIGC", "pending", "", 50, 1000, NULL, &pg) == STORE_OK);
    CHECK(s->ops->reserve_asset(s, a, "group-unknown", "Image", "", "http://127.0.0.1:9/q.png", NULL, 0, NULL, 50, 1000, NULL, &h2, NULL) ==
          STORE_NOT_FOUND);
    s->ops->close(s);
}

static void test_list_groups_pages_filters_and_orders_newest_first(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha");
    /* 25 groups; create times 1000.. with pairs sharing a time, so the
     * tiebreak (later insert first) is exercised. */
    for (int i = 0; i < 25; i++) {
        char id[IDS_MAX], name[32];
        snprintf(id, sizeof id, "group-20260101000000-%05d", i);
        snprintf(name, sizeof name, i % 5 == 0 ? "50%%_off %d" : "plain %d", i);
        CHECK(make_group(s, a, id, name, 1000 + i / 2) == STORE_OK);
    }
    struct group_list gl;
    CHECK(s->ops->list_groups(s, a, NULL, 1, 10, &gl) == STORE_OK);
    CHECK(gl.total == 25 && gl.n == 10);
    if (gl.n == 10) {
        CHECK_STR(gl.items[0].id, "group-20260101000000-00024");
        CHECK_STR(gl.items[1].id, "group-20260101000000-00023");
        CHECK_STR(gl.items[2].id, "group-20260101000000-00022");
        CHECK_STR(gl.items[9].id, "group-20260101000000-00015");
    }
    free(gl.items);
    CHECK(s->ops->list_groups(s, a, NULL, 3, 10, &gl) == STORE_OK);
    CHECK(gl.total == 25 && gl.n == 5);
    if (gl.n == 5)
        CHECK_STR(gl.items[4].id, "group-20260101000000-00000");
    free(gl.items);
    CHECK(s->ops->list_groups(s, a, NULL, 4, 10, &gl) == STORE_OK);
    CHECK(gl.total == 25 && gl.n == 0 && gl.items == NULL);
    free(gl.items);

    /* '%' and '_' are literal in the name filter. */
    struct group_filter f = {.name_sub = "%_"};
    CHECK(s->ops->list_groups(s, a, &f, 1, 100, &gl) == STORE_OK);
    CHECK(gl.total == 5 && gl.n == 5);
    if (gl.n == 5)
        CHECK_STR(gl.items[0].name, "50%_off 20");
    free(gl.items);
    f.name_sub = "plain 1";
    CHECK(s->ops->list_groups(s, a, &f, 1, 100, &gl) == STORE_OK);
    CHECK(gl.total == 9); /* plain 1, 11..14, 16..19 */
    free(gl.items);
    f.name_sub = NULL;
    f.type = "LivenessFace";
    CHECK(s->ops->list_groups(s, a, &f, 1, 100, &gl) == STORE_OK);
    CHECK(gl.total == 0);
    free(gl.items);
    f.type = "AIGC";
    CHECK(s->ops->list_groups(s, a, &f, 2, 20, &gl) == STORE_OK);
    CHECK(gl.total == 25 && gl.n == 5);
    free(gl.items);
    CHECK(s->ops->list_groups(s, a, NULL, 0, 10, &gl) == STORE_ERROR);
    CHECK(s->ops->list_groups(s, a, NULL, 1, 0, &gl) == STORE_ERROR);
    s->ops->close(s);
}

static void test_list_assets_filters_pages_and_bounds_lists(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha");
    const char *g1 = "group-20260101000000-aaaaa", *g2 = "group-20260101000000-bbbbb";
    CHECK(make_group(s, a, g1, "g1", 1000) == STORE_OK);
    CHECK(make_group(s, a, g2, "g2", 1000) == STORE_OK);
    for (int i = 0; i < 12; i++) {
        char id[IDS_MAX], name[32];
        snprintf(id, sizeof id, "asset-20260101000000-%05d", i);
        snprintf(name, sizeof name, "%s %d", i % 3 == 0 ? "cat_%" : "dog", i);
        CHECK(make_asset(s, a, i % 2 ? g2 : g1, id, i % 4 == 0 ? "Video" : "Image", name, 2000 + i, 0) ==
              STORE_OK);
    }
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00001", "Active", "", "", "", 3000, NULL) == STORE_OK);
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00002", "Failed", "bad", "", "", 3000, NULL) == STORE_OK);
    CHECK(s->ops->delete_asset(s, a, "asset-20260101000000-00011", 3000, NULL) == STORE_OK);

    struct asset_list al;
    CHECK(s->ops->list_assets(s, a, NULL, 1, 5, &al) == STORE_OK);
    CHECK(al.total == 11 && al.n == 5);
    if (al.n == 5) {
        CHECK_STR(al.items[0].id, "asset-20260101000000-00010");
        CHECK_STR(al.items[4].id, "asset-20260101000000-00006");
    }
    free(al.items);
    CHECK(s->ops->list_assets(s, a, NULL, 3, 5, &al) == STORE_OK);
    CHECK(al.total == 11 && al.n == 1);
    if (al.n == 1)
        CHECK_STR(al.items[0].id, "asset-20260101000000-00000");
    free(al.items);

    const char *gids[] = {g2};
    struct asset_filter f = {.group_ids = gids, .n_group_ids = 1};
    CHECK(s->ops->list_assets(s, a, &f, 1, 100, &al) == STORE_OK);
    CHECK(al.total == 5); /* 1,3,5,7,9 (11 deleted) */
    free(al.items);
    const char *gboth[] = {g1, g2, "group-of-someone-else"};
    const char *sts[] = {"Active", "Failed"};
    f = (struct asset_filter){.group_ids = gboth, .n_group_ids = 3, .statuses = sts, .n_statuses = 2};
    CHECK(s->ops->list_assets(s, a, &f, 1, 100, &al) == STORE_OK);
    CHECK(al.total == 2 && al.n == 2);
    if (al.n == 2) {
        CHECK_STR(al.items[0].id, "asset-20260101000000-00002");
        CHECK_STR(al.items[0].status, "Failed");
        CHECK_STR(al.items[0].failure_reason, "bad");
        CHECK_STR(al.items[1].status, "Active");
    }
    free(al.items);
    f = (struct asset_filter){.type = "Video"};
    CHECK(s->ops->list_assets(s, a, &f, 1, 100, &al) == STORE_OK);
    CHECK(al.total == 3); /* 0, 4, 8 */
    free(al.items);
    f = (struct asset_filter){.name_sub = "_%", .type = "Image"};
    CHECK(s->ops->list_assets(s, a, &f, 1, 100, &al) == STORE_OK);
    CHECK(al.total == 3); /* cat_% 3, 6, 9 (0 is a Video) */
    free(al.items);

    const char *many[101];
    for (int i = 0; i < 101; i++)
        many[i] = g1;
    f = (struct asset_filter){.group_ids = many, .n_group_ids = 100};
    CHECK(s->ops->list_assets(s, a, &f, 1, 100, &al) == STORE_OK);
    CHECK(al.total == 6);
    free(al.items);
    f.n_group_ids = 101;
    CHECK(s->ops->list_assets(s, a, &f, 1, 100, &al) == STORE_ERROR);

    /* update_asset renames and moves update_ms only. */
    struct asset as;
    CHECK(s->ops->update_asset(s, a, "asset-20260101000000-00000", "renamed", 5000) == STORE_OK);
    CHECK(s->ops->get_asset(s, a, "asset-20260101000000-00000", &as) == STORE_OK);
    CHECK_STR(as.name, "renamed");
    CHECK(as.update_ms == 5000 && as.create_ms == 2000);
    CHECK(s->ops->delete_asset(s, a, "asset-20260101000000-00000", 6000, NULL) == STORE_OK);
    CHECK(s->ops->delete_asset(s, a, "asset-20260101000000-00000", 6000, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->update_asset(s, a, "asset-20260101000000-00000", "x", 6000) == STORE_NOT_FOUND);
    struct group g;
    CHECK(s->ops->get_group(s, a, g1, &g) == STORE_OK && g.asset_count == 5);
    s->ops->close(s);
}

static void test_refresher_due_schedule_status_and_counts(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha"), b = customer(s, "beta");
    CHECK(make_group(s, a, "group-20260101000000-aaaaa", "ga", 1000) == STORE_OK);
    CHECK(make_group(s, b, "group-20260101000000-bbbbb", "gb", 1000) == STORE_OK);
    CHECK(make_asset(s, a, "group-20260101000000-aaaaa", "asset-20260101000000-00001", "Image", "", 1000, 3000) ==
          STORE_OK);
    CHECK(make_asset(s, b, "group-20260101000000-bbbbb", "asset-20260101000000-00002", "Image", "", 1000, 2000) ==
          STORE_OK);
    CHECK(make_asset(s, a, "group-20260101000000-aaaaa", "asset-20260101000000-00003", "Image", "", 1000, 9000) ==
          STORE_OK);

    struct asset_list al;
    CHECK(due_assets(s, 1999, 10, &al) == STORE_OK);
    CHECK(al.n == 0);
    free(al.items);
    CHECK(due_assets(s, 5000, 10, &al) == STORE_OK); /* across customers, oldest due first */
    CHECK(al.n == 2);
    if (al.n == 2) {
        CHECK_STR(al.items[0].id, "asset-20260101000000-00002");
        CHECK_STR(al.items[1].id, "asset-20260101000000-00001");
    }
    free(al.items);
    CHECK(due_assets(s, 5000, 1, &al) == STORE_OK);
    CHECK(al.n == 1);
    free(al.items);
    CHECK(due_assets(s, 5000, 0, &al) == STORE_OK);
    CHECK(al.n == 0);
    free(al.items);

    CHECK(s->ops->schedule_poll(s, "asset-20260101000000-00002", 8000, 1) == STORE_OK);
    CHECK(s->ops->schedule_poll(s, "asset-nope", 8000, 1) == STORE_NOT_FOUND);
    CHECK(due_assets(s, 5000, 10, &al) == STORE_OK);
    CHECK(al.n == 1);
    if (al.n == 1)
        CHECK_STR(al.items[0].id, "asset-20260101000000-00001");
    free(al.items);
    struct asset as;
    CHECK(s->ops->get_asset(s, b, "asset-20260101000000-00002", &as) == STORE_OK);
    CHECK(as.next_poll_ms == 8000 && as.polls == 1 && as.update_ms == 1000);

    /* Same status: update_ms stays. New status: it moves. */
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00001", "Processing", "", "", "", 4000, NULL) == STORE_OK);
    CHECK(s->ops->get_asset(s, a, "asset-20260101000000-00001", &as) == STORE_OK);
    CHECK(as.update_ms == 1000);
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00001", "Active", NULL, "", "", 5000, NULL) == STORE_OK);
    CHECK(s->ops->get_asset(s, a, "asset-20260101000000-00001", &as) == STORE_OK);
    CHECK_STR(as.status, "Active");
    CHECK(as.update_ms == 5000);
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00001", "Active", "", "", "", 6000, NULL) == STORE_OK);
    CHECK(s->ops->get_asset(s, a, "asset-20260101000000-00001", &as) == STORE_OK);
    CHECK(as.update_ms == 5000);
    CHECK(due_assets(s, 10000, 10, &al) == STORE_OK); /* Active is never due */
    CHECK(al.n == 2);
    free(al.items);

    /* UPSTREAM.md "GetAsset": a Status the record does not name is kept
     * verbatim and stays due (polled slowly by the refresher); a Failed
     * asset keeps the upstream's Error code and message beside the reason. */
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00002", "Inactive", "", "", "", 6000, NULL) == STORE_OK);
    CHECK(due_assets(s, 10000, 10, &al) == STORE_OK);
    CHECK(al.n == 2);
    int seen_inactive = 0;
    for (size_t i = 0; i < al.n; i++)
        seen_inactive |= strcmp(al.items[i].status, "Inactive") == 0;
    CHECK(seen_inactive);
    free(al.items);
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00002", "Failed", "Use MP4.",
                                   "InvalidParameter.FormatUnsupported", "format is not supported", 6500, NULL) == STORE_OK);
    CHECK(s->ops->get_asset(s, b, "asset-20260101000000-00002", &as) == STORE_OK);
    CHECK_STR(as.error_code, "InvalidParameter.FormatUnsupported");
    CHECK_STR(as.error_message, "format is not supported");
    CHECK_STR(as.failure_reason, "Use MP4.");
    CHECK(due_assets(s, 10000, 10, &al) == STORE_OK); /* Failed is never due */
    CHECK(al.n == 1);
    free(al.items);
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00002", "Processing", "", "", "", 6600, NULL) == STORE_OK);

    /* A long reason is cut to fit, never mid-character. */
    char reason[600];
    size_t n = 0;
    while (n + 2 < sizeof reason - 1) {
        reason[n++] = (char)0xC3;
        reason[n++] = (char)0xA9; /* é */
    }
    reason[n] = '\0';
    /* 255 bytes would end on the first byte of the 128th character. */
    CHECK(s->ops->set_asset_status(s, "asset-20260101000000-00003", "Failed", reason, "", "", 7000, NULL) == STORE_OK);
    CHECK(s->ops->get_asset(s, a, "asset-20260101000000-00003", &as) == STORE_OK);
    CHECK_STR(as.status, "Failed");
    CHECK(strlen(as.failure_reason) == 254);
    CHECK(strncmp(as.failure_reason, reason, 254) == 0);
    CHECK(s->ops->set_asset_status(s, "asset-nope", "Active", "", "", "", 7000, NULL) == STORE_NOT_FOUND);

    struct asset_counts ac;
    CHECK(s->ops->count_assets(s, &ac) == STORE_OK);
    CHECK(ac.processing == 1 && ac.active == 1 && ac.failed == 1);
    s->ops->close(s);
}

struct reader {
    struct store *s;
    int64_t cust;
    int bad;
};

static void *reader_thread(void *p)
{
    struct reader *r = p;
    struct asset as;
    for (int i = 0; i < 2000; i++) {
        if (r->s->ops->get_asset(r->s, r->cust, "asset-20260101000000-00001", &as) != STORE_OK ||
            strcmp(as.id, "asset-20260101000000-00001") != 0)
            r->bad++;
    }
    return NULL;
}

static void *writer_thread(void *p)
{
    struct reader *r = p;
    for (int i = 0; i < 200; i++) {
        if (r->s->ops->schedule_poll(r->s, "asset-20260101000000-00001", i, i) != STORE_OK)
            r->bad++;
    }
    return NULL;
}

static void test_concurrent_reads_and_writes_are_consistent(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha");
    CHECK(make_group(s, a, "group-20260101000000-aaaaa", "g", 100) == STORE_OK);
    CHECK(make_asset(s, a, "group-20260101000000-aaaaa", "asset-20260101000000-00001", "Image", "", 100, 0) ==
          STORE_OK);
    enum { N = 8 };
    pthread_t th[N];
    struct reader r[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct reader){s, a, 0};
        pthread_create(&th[i], NULL, i < 2 ? writer_thread : reader_thread, &r[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK(r[i].bad == 0);
    }
    s->ops->close(s);
}

/* Content hash (issue 14): one live or pending asset per bytes and group;
 * the same bytes go into another group, and again once the first is gone. */
static void test_content_hash_one_asset_per_bytes_and_group(void)
{
    char dir[512];
    struct store *s = open_fresh(dir, sizeof dir);
    CHECK(s != NULL);
    if (!s)
        return;
    int64_t a = customer(s, "alpha"), b = customer(s, "beta");
    const char *g1 = "group-20260101000000-hhhh1", *g2 = "group-20260101000000-hhhh2";
    CHECK(make_group(s, a, g1, "g1", 1000) == STORE_OK);
    CHECK(make_group(s, a, g2, "g2", 1000) == STORE_OK);
    const char *sha = "aa00000000000000000000000000000000000000000000000000000000000001";
    int64_t h = 0, h2 = 0;
    CHECK(s->ops->reserve_content_asset(s, a, g1, "Image", "", "http://127.0.0.1:9/x.png", "k1", sha, 0, NULL, 50, 1000, NULL,
                                        &h, NULL) == STORE_OK);
    /* pending: the same bytes conflict, and are not found yet */
    CHECK(s->ops->reserve_content_asset(s, a, g1, "Image", "", "http://127.0.0.1:9/x.png", "k2", sha, 0, NULL, 50, 1000, NULL,
                                        &h2, NULL) == STORE_CONFLICT);
    struct asset got;
    CHECK(s->ops->find_asset_by_sha256(s, a, g1, sha, &got) == STORE_NOT_FOUND);
    CHECK(s->ops->confirm_asset(s, h, "asset-20260101000000-hhhh1", 1000, 2000) == STORE_OK);
    CHECK(s->ops->find_asset_by_sha256(s, a, g1, sha, &got) == STORE_OK);
    CHECK_STR(got.id, "asset-20260101000000-hhhh1");
    CHECK(s->ops->find_asset_by_sha256(s, b, g1, sha, &got) == STORE_NOT_FOUND); /* another customer */
    CHECK(s->ops->find_asset_by_sha256(s, a, g2, sha, &got) == STORE_NOT_FOUND);
    CHECK(s->ops->reserve_content_asset(s, a, g2, "Image", "", "http://127.0.0.1:9/x.png", "k3", sha, 0, NULL, 50, 1000, NULL,
                                        &h2, NULL) == STORE_OK);
    CHECK(s->ops->release_asset(s, h2) == STORE_OK);
    /* deleted: the bytes may be registered again */
    CHECK(s->ops->delete_asset(s, a, "asset-20260101000000-hhhh1", 3000, NULL) == STORE_OK);
    CHECK(s->ops->reserve_content_asset(s, a, g1, "Image", "", "http://127.0.0.1:9/x.png", "k4", sha, 0, NULL, 50, 3000, NULL,
                                        &h2, NULL) == STORE_OK);
    s->ops->close(s);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child_main(argv[2], argv[3]);
    snprintf(tmp_root, sizeof tmp_root, "/tmp/portico-test-store-XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_store_result_str_names_every_result);
    RUN(test_open_creates_private_dir_and_migrates_idempotently);
    RUN(test_concurrent_first_opens_all_succeed);
    RUN(test_open_fails_cleanly_on_a_file_path);
    RUN(test_put_customer_finds_or_creates_and_sets_aigc);
    RUN(test_keys_add_find_list_revoke);
    RUN(test_keys_from_another_process_are_seen_at_once);
    RUN(test_group_lifecycle_and_pending_invisible);
    RUN(test_customer_b_cannot_touch_customer_a_rows);
    RUN(test_group_quota_holds_under_60_concurrent_reservations);
    RUN(test_asset_quota_holds_under_60_concurrent_reservations);
    RUN(test_quota_counts_pending_and_live_not_deleted);
    RUN(test_delete_group_cascades_and_releases_quota);
    RUN(test_pending_assets_are_invisible_and_releasable);
    RUN(test_list_groups_pages_filters_and_orders_newest_first);
    RUN(test_list_assets_filters_pages_and_bounds_lists);
    RUN(test_refresher_due_schedule_status_and_counts);
    RUN(test_concurrent_reads_and_writes_are_consistent);
    RUN(test_content_hash_one_asset_per_bytes_and_group);
    rm_rf(tmp_root);
    return check_summary();
}
