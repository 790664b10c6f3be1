/* store_admin_cases.h — the operators' records of the store (API.md §7:
 * store/customers.c, store/admin_keys.c, and keys.c's listing), as cases
 * over any backend: test_store_admin.c runs them on SQLite,
 * test_store_pg.c on PostgreSQL. Each case gets a fresh, empty store. */
#ifndef PORTICO_STORE_ADMIN_CASES_H
#define PORTICO_STORE_ADMIN_CASES_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/store.h"
#include "util/crypto.h"

static struct customer admin_case_customer(const char *name, int aigc, int key_rate, int disabled)
{
    struct customer c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.aigc_enabled = aigc;
    c.key_rate = key_rate;
    c.disabled = disabled;
    return c;
}

/* Admin keys: found by hash while active, listed oldest first, revoked
 * once; a prefix or hash used twice is a CONFLICT. */
static void case_admin_keys(struct store *s)
{
    uint8_t h1[32], h2[32], h3[32];
    crypto_sha256("admin-one", 9, h1);
    crypto_sha256("admin-two", 9, h2);
    crypto_sha256("admin-three", 11, h3);
    CHECK(s->ops->add_admin_key(s, "ptca_AAAAAAAA", h1, 1000, NULL) == STORE_OK);
    CHECK(s->ops->add_admin_key(s, "ptca_BBBBBBBB", h2, 2000, NULL) == STORE_OK);
    CHECK(s->ops->add_admin_key(s, "ptca_AAAAAAAA", h3, 3000, NULL) == STORE_CONFLICT);
    CHECK(s->ops->add_admin_key(s, "ptca_CCCCCCCC", h1, 3000, NULL) == STORE_CONFLICT);
    CHECK(s->ops->add_admin_key(s, "", h3, 3000, NULL) == STORE_ERROR);
    CHECK(s->ops->add_admin_key(s, "ptca_" "0123456789012345678901234567890", h3, 3000, NULL) == STORE_ERROR);

    struct admin_key_info k;
    CHECK(s->ops->find_admin_key(s, h1, &k) == STORE_OK);
    CHECK_STR(k.prefix, "ptca_AAAAAAAA");
    CHECK(k.created_ms == 1000 && k.revoked_ms == 0);
    CHECK(s->ops->find_admin_key(s, h3, &k) == STORE_NOT_FOUND);
    /* A customer's key table is another table: the same hash there is not an admin key. */
    struct customer cu;
    CHECK(s->ops->put_customer(s, "acme", 1, NULL, &cu) == STORE_OK);
    CHECK(s->ops->add_key(s, cu.id, "ptc_DDDDDDDD", h3, 4000, NULL) == STORE_OK);
    CHECK(s->ops->find_admin_key(s, h3, &k) == STORE_NOT_FOUND);
    CHECK(s->ops->find_key(s, h1, &cu, NULL) == STORE_NOT_FOUND);

    CHECK(s->ops->revoke_admin_key(s, "ptca_AAAAAAAA", 5000, NULL) == STORE_OK);
    CHECK(s->ops->find_admin_key(s, h1, &k) == STORE_NOT_FOUND);
    CHECK(s->ops->revoke_admin_key(s, "ptca_AAAAAAAA", 6000, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->revoke_admin_key(s, "ptca_ZZZZZZZZ", 6000, NULL) == STORE_NOT_FOUND);
    CHECK(s->ops->revoke_admin_key(s, "ptc_DDDDDDDD", 6000, NULL) == STORE_NOT_FOUND); /* a customer's prefix */
    CHECK(s->ops->find_admin_key(s, h2, &k) == STORE_OK);
    CHECK(s->ops->find_key(s, h3, &cu, NULL) == STORE_OK); /* untouched */

    struct admin_key_list l;
    CHECK(s->ops->list_admin_keys(s, &l) == STORE_OK);
    CHECK(l.n == 2);
    if (l.n == 2) {
        CHECK_STR(l.items[0].prefix, "ptca_AAAAAAAA"); /* oldest first, revoked listed */
        CHECK(l.items[0].revoked_ms == 5000);
        CHECK_STR(l.items[1].prefix, "ptca_BBBBBBBB");
        CHECK(l.items[1].revoked_ms == 0 && l.items[1].created_ms == 2000);
    }
    free(l.items);
}

/* The customer entries of the audit log, oldest first: "Type Subject
 * actor/address @create_ms Detail" a line ("@wall" for a time read from
 * the clock, not given), into out. */
static void admin_case_customer_log(struct store *s, char *out, size_t cap)
{
    struct audit_filter f = {.customer_id = -1, .limit = 100};
    struct audit_list l;
    size_t len = 0;
    out[0] = '\0';
    CHECK(s->ops->list_audit(s, &f, &l) == STORE_OK);
    for (size_t i = l.n; i-- > 0 && len < cap;) {
        const struct audit_event *e = &l.items[i];
        char when[24] = "wall";
        if (e->create_ms < 1000000000000LL)
            snprintf(when, sizeof when, "%lld", (long long)e->create_ms);
        if (strncmp(e->type, "Customer", 8) == 0)
            len += (size_t)snprintf(out + len, cap - len, "%s %s %s/%s @%s %s\n", e->type, e->subject, e->actor,
                                    e->actor_addr, when, e->detail);
    }
    free(l.items);
}

/* Customers: created with their fields, names unique (also against
 * put_customer), read with their active keys, listed newest first by page
 * and name substring, updated field by field; each change audited in its
 * transaction with who made it, what changed from what, and nothing for a
 * change refused or one that changes nothing. */
static void case_customers(struct store *s)
{
    struct actor op = {0, "ptca_OPERATOR", "127.0.0.9"}, cli = {0, ACTOR_CLI, ""};
    struct customer in = admin_case_customer("acme", 1, 0, 0), out, got;
    CHECK(s->ops->create_customer(s, &in, 1000, &op, &out) == STORE_OK);
    CHECK(out.id > 0);
    CHECK_STR(out.name, "acme");
    CHECK(out.aigc_enabled == 1 && out.key_rate == 0 && out.disabled == 0 && out.create_ms == 1000);
    int64_t acme = out.id;
    in = admin_case_customer("beta", 0, 7, 1);
    CHECK(s->ops->create_customer(s, &in, 2000, &op, &out) == STORE_OK);
    int64_t beta = out.id;
    CHECK(beta != acme && out.aigc_enabled == 0 && out.key_rate == 7 && out.disabled == 1);
    CHECK(s->ops->create_customer(s, &in, 3000, NULL, NULL) == STORE_CONFLICT);
    in = admin_case_customer("", 1, 0, 0);
    CHECK(s->ops->create_customer(s, &in, 3000, NULL, NULL) == STORE_ERROR);
    in = admin_case_customer("bad-flag", 2, 0, 0);
    CHECK(s->ops->create_customer(s, &in, 3000, NULL, NULL) == STORE_ERROR);
    in = admin_case_customer("bad-rate", 1, -5, 0);
    CHECK(s->ops->create_customer(s, &in, 3000, NULL, NULL) == STORE_ERROR);

    /* put_customer (porticod keys create) finds the same row and keeps
     * what it does not set; a new one gets a create time. */
    CHECK(s->ops->put_customer(s, "beta", 1, &cli, &got) == STORE_OK);
    CHECK(got.id == beta && got.aigc_enabled == 1 && got.key_rate == 7 && got.disabled == 1);
    CHECK(s->ops->put_customer(s, "beta", 1, &cli, &got) == STORE_OK); /* again: no change, no entry */
    CHECK(got.id == beta && got.aigc_enabled == 1);
    CHECK(s->ops->put_customer(s, "gamma", 1, &cli, &got) == STORE_OK);
    int64_t gamma = got.id;
    CHECK(got.create_ms > 1000000000000LL && got.key_rate == 0 && got.disabled == 0);
    int64_t gamma_ms = got.create_ms;

    uint8_t h1[32], h2[32], h3[32];
    crypto_sha256("k1", 2, h1);
    crypto_sha256("k2", 2, h2);
    crypto_sha256("k3", 2, h3);
    CHECK(s->ops->add_key(s, beta, "ptc_B1B1B1B1", h1, 5000, NULL) == STORE_OK);
    CHECK(s->ops->add_key(s, beta, "ptc_B2B2B2B2", h2, 6000, NULL) == STORE_OK);
    CHECK(s->ops->add_key(s, acme, "ptc_A1A1A1A1", h3, 7000, NULL) == STORE_OK);
    CHECK(s->ops->revoke_key(s, "ptc_B1B1B1B1", 8000, NULL) == STORE_OK);
    CHECK(s->ops->get_customer(s, beta, &got) == STORE_OK);
    CHECK_STR(got.name, "beta");
    CHECK(got.active_keys == 1 && got.key_rate == 7 && got.disabled == 1 && got.create_ms == 2000);
    CHECK(s->ops->get_customer(s, 999999, &got) == STORE_NOT_FOUND);

    /* find_key: the customer's fields and the key's prefix; a disabled
     * customer's key is found (the caller refuses it with its reason). */
    char prefix[32] = "";
    CHECK(s->ops->find_key(s, h2, &got, prefix) == STORE_OK);
    CHECK(got.id == beta && got.disabled == 1 && got.key_rate == 7);
    CHECK_STR(prefix, "ptc_B2B2B2B2");
    CHECK(s->ops->find_key(s, h1, &got, prefix) == STORE_NOT_FOUND);

    struct customer_list l;
    CHECK(s->ops->list_customers(s, NULL, 1, 10, &l) == STORE_OK);
    CHECK(l.total == 3 && l.n == 3);
    if (l.n == 3) {
        CHECK(l.items[0].id == gamma && l.items[1].id == beta && l.items[2].id == acme); /* newest first */
        CHECK(l.items[1].active_keys == 1 && l.items[2].active_keys == 1 && l.items[0].active_keys == 0);
    }
    free(l.items);
    CHECK(s->ops->list_customers(s, NULL, 2, 2, &l) == STORE_OK);
    CHECK(l.total == 3 && l.n == 1 && l.items && l.items[0].id == acme);
    free(l.items);
    CHECK(s->ops->list_customers(s, NULL, 3, 2, &l) == STORE_OK);
    CHECK(l.total == 3 && l.n == 0);
    free(l.items);
    CHECK(s->ops->list_customers(s, "et", 1, 10, &l) == STORE_OK);
    CHECK(l.total == 1 && l.n == 1 && l.items && l.items[0].id == beta);
    free(l.items);
    CHECK(s->ops->list_customers(s, "%", 1, 10, &l) == STORE_OK); /* a substring, not a pattern */
    CHECK(l.total == 0 && l.n == 0);
    free(l.items);
    CHECK(s->ops->list_customers(s, NULL, 0, 10, &l) == STORE_ERROR);

    /* update: only the given fields change. */
    struct customer_fields f = {NULL, -1, 50, -1};
    CHECK(s->ops->update_customer(s, acme, &f, 9000, &op) == STORE_OK);
    CHECK(s->ops->get_customer(s, acme, &got) == STORE_OK);
    CHECK_STR(got.name, "acme");
    CHECK(got.key_rate == 50 && got.aigc_enabled == 1 && got.disabled == 0);
    f = (struct customer_fields){"acme inc", 0, -1, 1};
    CHECK(s->ops->update_customer(s, acme, &f, 9100, &op) == STORE_OK);
    CHECK(s->ops->get_customer(s, acme, &got) == STORE_OK);
    CHECK_STR(got.name, "acme inc");
    CHECK(got.key_rate == 50 && got.aigc_enabled == 0 && got.disabled == 1 && got.create_ms == 1000);
    f = (struct customer_fields){NULL, -1, 0, 0};
    CHECK(s->ops->update_customer(s, acme, &f, 9200, &op) == STORE_OK);
    CHECK(s->ops->get_customer(s, acme, &got) == STORE_OK);
    CHECK(got.key_rate == 0 && got.disabled == 0 && got.aigc_enabled == 0);
    f = (struct customer_fields){"acme inc", 0, 0, 0}; /* as it is: nothing changes */
    CHECK(s->ops->update_customer(s, acme, &f, 9300, &op) == STORE_OK);
    f = (struct customer_fields){"beta", -1, -1, -1};
    CHECK(s->ops->update_customer(s, acme, &f, 9000, &op) == STORE_CONFLICT);
    CHECK(s->ops->get_customer(s, acme, &got) == STORE_OK);
    CHECK_STR(got.name, "acme inc");
    f = (struct customer_fields){"ghost", -1, -1, -1};
    CHECK(s->ops->update_customer(s, 999999, &f, 9000, &op) == STORE_NOT_FOUND);
    f = (struct customer_fields){NULL, 3, -1, -1};
    CHECK(s->ops->update_customer(s, acme, &f, 9000, &op) == STORE_ERROR);
    f = (struct customer_fields){"", -1, -1, -1};
    CHECK(s->ops->update_customer(s, acme, &f, 9000, &op) == STORE_ERROR);

    char log[2048];
    admin_case_customer_log(s, log, sizeof log);
    CHECK_STR(log,
              "CustomerCreated acme ptca_OPERATOR/127.0.0.9 @1000"
              " {\"AIGCEnabled\":true,\"KeyRate\":0,\"Disabled\":false}\n"
              "CustomerCreated beta ptca_OPERATOR/127.0.0.9 @2000"
              " {\"AIGCEnabled\":false,\"KeyRate\":7,\"Disabled\":true}\n"
              "CustomerUpdated beta cli/ @wall {\"AIGCEnabled\":{\"From\":false,\"To\":true}}\n"
              "CustomerCreated gamma cli/ @wall {\"AIGCEnabled\":true,\"KeyRate\":0,\"Disabled\":false}\n"
              "CustomerUpdated acme ptca_OPERATOR/127.0.0.9 @9000 {\"KeyRate\":{\"From\":0,\"To\":50}}\n"
              "CustomerUpdated acme inc ptca_OPERATOR/127.0.0.9 @9100"
              " {\"Name\":{\"From\":\"acme\",\"To\":\"acme inc\"},\"AIGCEnabled\":{\"From\":true,\"To\":false}}\n"
              "CustomerDisabled acme inc ptca_OPERATOR/127.0.0.9 @9100 {}\n"
              "CustomerUpdated acme inc ptca_OPERATOR/127.0.0.9 @9200 {\"KeyRate\":{\"From\":50,\"To\":0}}\n"
              "CustomerEnabled acme inc ptca_OPERATOR/127.0.0.9 @9200 {}\n");
    struct audit_filter by_type = {.customer_id = gamma, .type = AUDIT_CUSTOMER_CREATED, .limit = 10};
    struct audit_list l2;
    CHECK(s->ops->list_audit(s, &by_type, &l2) == STORE_OK);
    CHECK(l2.n == 1 && l2.items && l2.items[0].create_ms == gamma_ms);
    free(l2.items);
}

/* list_api_keys: one customer's or everyone's, newest first, by page (0:
 * all), with the customer's name; list_keys stays oldest first. */
static void case_api_key_lists(struct store *s)
{
    struct customer a, b;
    CHECK(s->ops->put_customer(s, "alpha", 1, NULL, &a) == STORE_OK);
    CHECK(s->ops->put_customer(s, "beta", 1, NULL, &b) == STORE_OK);
    const char *prefixes[] = {"ptc_K0000000", "ptc_K1111111", "ptc_K2222222", "ptc_K3333333", "ptc_K4444444"};
    for (int i = 0; i < 5; i++) {
        uint8_t h[32];
        crypto_sha256(prefixes[i], strlen(prefixes[i]), h);
        CHECK(s->ops->add_key(s, i == 2 ? b.id : a.id, prefixes[i], h, 1000 * (i + 1), NULL) == STORE_OK);
    }
    CHECK(s->ops->revoke_key(s, "ptc_K1111111", 9000, NULL) == STORE_OK);
    struct key_list l;
    CHECK(s->ops->list_api_keys(s, 0, 1, 0, &l) == STORE_OK);
    CHECK(l.total == 5 && l.n == 5);
    if (l.n == 5) {
        CHECK_STR(l.items[0].prefix, "ptc_K4444444");
        CHECK_STR(l.items[4].prefix, "ptc_K0000000");
        CHECK_STR(l.items[2].customer, "beta");
        CHECK(l.items[2].customer_id == b.id && l.items[2].created_ms == 3000);
        CHECK(l.items[3].revoked_ms == 9000 && l.items[3].customer_id == a.id);
    }
    free(l.items);
    CHECK(s->ops->list_api_keys(s, a.id, 2, 3, &l) == STORE_OK);
    CHECK(l.total == 4 && l.n == 1 && l.items);
    if (l.n == 1)
        CHECK_STR(l.items[0].prefix, "ptc_K0000000");
    free(l.items);
    CHECK(s->ops->list_api_keys(s, b.id, 1, 10, &l) == STORE_OK);
    CHECK(l.total == 1 && l.n == 1 && l.items && strcmp(l.items[0].prefix, "ptc_K2222222") == 0);
    free(l.items);
    CHECK(s->ops->list_api_keys(s, 999999, 1, 10, &l) == STORE_OK);
    CHECK(l.total == 0 && l.n == 0);
    free(l.items);
    CHECK(s->ops->list_api_keys(s, 0, 0, 10, &l) == STORE_ERROR);
}

#endif
