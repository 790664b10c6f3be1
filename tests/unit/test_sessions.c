/* test_sessions.c — liveness sessions in the SQLite store (sqlite_sessions.c)
 * against a real database in a temp dir: ownership, record-once, the group
 * quota, and concurrent recorders. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store/store.h"

static char dir[256];
static struct store *s;
static int64_t alice, bob;

static void new_session(int64_t customer, const char *token)
{
    struct validate_session v;
    memset(&v, 0, sizeof v);
    snprintf(v.token, sizeof v.token, "%s", token);
    v.customer_id = customer;
    snprintf(v.h5_link, sizeof v.h5_link, "http://127.0.0.1:1/h5/liveness?token=%s", token);
    v.expire_ms = 1000 + 120000;
    CHECK(s->ops->create_session(s, &v, 1000) == STORE_OK);
}

static void test_create_get_and_ownership(void)
{
    new_session(alice, "tok-a1");
    struct validate_session v;
    CHECK(s->ops->get_session(s, alice, "tok-a1", &v) == STORE_OK);
    CHECK_STR(v.token, "tok-a1");
    CHECK(v.customer_id == alice && v.expire_ms == 121000 && v.create_ms == 1000);
    CHECK_STR(v.group_id, "");
    CHECK_STR(v.callback_url, "");
    /* another customer's token reads exactly like an unknown one */
    CHECK(s->ops->get_session(s, bob, "tok-a1", &v) == STORE_NOT_FOUND);
    CHECK(s->ops->get_session(s, alice, "nope", &v) == STORE_NOT_FOUND);
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(s->ops->get_session(s, alice, big, &v) == STORE_NOT_FOUND);
    /* a token is recorded once */
    struct validate_session dup;
    memset(&dup, 0, sizeof dup);
    snprintf(dup.token, sizeof dup.token, "tok-a1");
    dup.customer_id = bob;
    CHECK(s->ops->create_session(s, &dup, 2000) == STORE_CONFLICT);
}

static void test_record_once(void)
{
    new_session(alice, "tok-a2");
    char out[IDS_MAX] = "";
    CHECK(s->ops->record_session_group(s, alice, "tok-a2", "group-20260101000000-aaaaa", "LivenessFace x", 50, 5000,
                                       out, NULL) == STORE_OK);
    CHECK_STR(out, "group-20260101000000-aaaaa");
    /* a second record keeps the first group and makes no other */
    CHECK(s->ops->record_session_group(s, alice, "tok-a2", "group-20260101000000-bbbbb", "LivenessFace y", 50, 6000,
                                       out, NULL) == STORE_OK);
    CHECK_STR(out, "group-20260101000000-aaaaa");
    struct group g;
    CHECK(s->ops->get_group(s, alice, "group-20260101000000-aaaaa", &g) == STORE_OK);
    CHECK_STR(g.type, "LivenessFace");
    CHECK_STR(g.name, "LivenessFace x");
    CHECK(s->ops->get_group(s, alice, "group-20260101000000-bbbbb", &g) == STORE_NOT_FOUND);
    CHECK(s->ops->get_group(s, bob, "group-20260101000000-aaaaa", &g) == STORE_NOT_FOUND);
    struct validate_session v;
    CHECK(s->ops->get_session(s, alice, "tok-a2", &v) == STORE_OK);
    CHECK_STR(v.group_id, "group-20260101000000-aaaaa");
    /* bob cannot record into alice's session */
    CHECK(s->ops->record_session_group(s, bob, "tok-a2", "group-20260101000000-ccccc", "n", 50, 7000, out, NULL) ==
          STORE_NOT_FOUND);
}

static void test_record_respects_quota(void)
{
    struct customer c;
    CHECK(s->ops->put_customer(s, "carol", 1, NULL, &c) == STORE_OK);
    new_session(c.id, "tok-c1");
    int64_t h;
    CHECK(s->ops->reserve_group(s, c.id, "AIGC", "g", "", 2, 1000, NULL, &h) == STORE_OK);
    CHECK(s->ops->confirm_group(s, h, "group-20260101000000-c0001", 1000) == STORE_OK);
    CHECK(s->ops->reserve_group(s, c.id, "AIGC", "g", "", 2, 1000, NULL, &h) == STORE_OK); /* pending counts too */
    char out[IDS_MAX] = "";
    CHECK(s->ops->record_session_group(s, c.id, "tok-c1", "group-20260101000000-c0002", "n", 2, 2000, out, NULL) ==
          STORE_QUOTA);
    struct validate_session v;
    CHECK(s->ops->get_session(s, c.id, "tok-c1", &v) == STORE_OK);
    CHECK_STR(v.group_id, ""); /* nothing remembered */
    CHECK(s->ops->release_group(s, h) == STORE_OK);
    CHECK(s->ops->record_session_group(s, c.id, "tok-c1", "group-20260101000000-c0002", "n", 2, 3000, out, NULL) ==
          STORE_OK);
    CHECK_STR(out, "group-20260101000000-c0002");
}

struct racer {
    int n;
    enum store_result r;
    char out[IDS_MAX];
};

static void *race(void *arg)
{
    struct racer *x = arg;
    char id[IDS_MAX];
    snprintf(id, sizeof id, "group-20260101000000-r%04d", x->n);
    x->r = s->ops->record_session_group(s, bob, "tok-b1", id, "n", 50, 9000, x->out, NULL);
    return NULL;
}

static void test_concurrent_record_one_group(void)
{
    new_session(bob, "tok-b1");
    enum { N = 8 };
    pthread_t t[N];
    struct racer x[N];
    for (int i = 0; i < N; i++) {
        memset(&x[i], 0, sizeof x[i]);
        x[i].n = i;
        pthread_create(&t[i], NULL, race, &x[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) {
        CHECK(x[i].r == STORE_OK);
        CHECK_STR(x[i].out, x[0].out);
    }
    struct group_list l = {0};
    CHECK(s->ops->list_groups(s, bob, &(struct group_filter){0}, 1, 100, &l) == STORE_OK);
    CHECK(l.total == 1);
    free(l.items);
}

int main(void)
{
    char tmpl[] = "/tmp/portico-sessions-XXXXXX";
    if (!mkdtemp(tmpl))
        return 1;
    snprintf(dir, sizeof dir, "%s/data", tmpl);
    s = store_sqlite_open(dir);
    if (!s)
        return 1;
    struct customer c;
    if (s->ops->put_customer(s, "alice", 1, NULL, &c) != STORE_OK)
        return 1;
    alice = c.id;
    if (s->ops->put_customer(s, "bob", 1, NULL, &c) != STORE_OK)
        return 1;
    bob = c.id;

    RUN(test_create_get_and_ownership);
    RUN(test_record_once);
    RUN(test_record_respects_quota);
    RUN(test_concurrent_record_one_group);

    s->ops->close(s);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpl);
    return check_summary();
}
