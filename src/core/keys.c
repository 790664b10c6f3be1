/* keys.c — issuing, listing and revoking API keys and admin keys; see keys.h. */
#include "core/keys.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/crypto.h"
#include "util/ids.h"

/* A fresh key: tag + random alphanumerics up to len; its prefix (the first
 * prefix_len characters) and SHA-256. */
static void make_key(const char *tag, size_t len, size_t prefix_len, char *key_out, char prefix_out[32],
                     uint8_t hash[32])
{
    size_t t = strlen(tag);
    memcpy(key_out, tag, t);
    ids_random_alnum(key_out + t, len - t);
    key_out[len] = '\0';
    memcpy(prefix_out, key_out, prefix_len);
    prefix_out[prefix_len] = '\0';
    crypto_sha256(key_out, len, hash);
}

/* Who changes keys and customers from the command line (audit). */
static const struct actor cli_actor = {.key_prefix = ACTOR_CLI};

enum store_result keys_issue(struct store *s, const struct actor *who, int64_t customer_id,
                             char key_out[static KEYS_LEN + 1], struct key_info *out)
{
    char prefix[32];
    uint8_t hash[32];
    make_key("ptc_", KEYS_LEN, KEYS_PREFIX_LEN, key_out, prefix, hash);
    int64_t now = clock_wall_ms();
    enum store_result r = s->ops->add_key(s, customer_id, prefix, hash, now, who);
    if (r == STORE_OK && out) {
        memset(out, 0, sizeof *out);
        memcpy(out->prefix, prefix, sizeof out->prefix);
        out->customer_id = customer_id;
        out->created_ms = now;
    }
    if (r != STORE_OK)
        memset(key_out, 0, KEYS_LEN + 1);
    return r;
}

enum store_result keys_create(struct store *s, const char *customer, int aigc_enabled,
                              char key_out[static KEYS_LEN + 1])
{
    struct customer cu;
    enum store_result r = s->ops->put_customer(s, customer, aigc_enabled, &cli_actor, &cu);
    return r == STORE_OK ? keys_issue(s, &cli_actor, cu.id, key_out, NULL) : r;
}

static void print_key(void *ctx, const struct key_info *k)
{
    char created[21], revoked[21];
    clock_rfc3339(k->created_ms, created);
    if (k->revoked_ms)
        clock_rfc3339(k->revoked_ms, revoked);
    fprintf((FILE *)ctx, "%-14s %-24s %s  %s%s\n", k->prefix, k->customer, created,
            k->revoked_ms ? "revoked " : "active", k->revoked_ms ? revoked : "");
}

enum store_result keys_list(struct store *s, FILE *out)
{
    return s->ops->list_keys(s, print_key, out);
}

enum store_result keys_revoke(struct store *s, const struct actor *who, const char *prefix)
{
    return s->ops->revoke_key(s, prefix, clock_wall_ms(), who ? who : &cli_actor);
}

enum store_result admin_keys_create(struct store *s, char key_out[static ADMIN_KEYS_LEN + 1])
{
    char prefix[32];
    uint8_t hash[32];
    make_key("ptca_", ADMIN_KEYS_LEN, ADMIN_KEYS_PREFIX_LEN, key_out, prefix, hash);
    enum store_result r = s->ops->add_admin_key(s, prefix, hash, clock_wall_ms(), &cli_actor);
    if (r != STORE_OK)
        memset(key_out, 0, ADMIN_KEYS_LEN + 1);
    return r;
}

enum store_result admin_keys_list(struct store *s, FILE *out)
{
    struct admin_key_list l;
    enum store_result r = s->ops->list_admin_keys(s, &l);
    if (r != STORE_OK)
        return r;
    for (size_t i = 0; i < l.n; i++) {
        const struct admin_key_info *k = &l.items[i];
        char created[21], revoked[21];
        clock_rfc3339(k->created_ms, created);
        if (k->revoked_ms)
            clock_rfc3339(k->revoked_ms, revoked);
        fprintf(out, "%-14s %s  %s%s\n", k->prefix, created, k->revoked_ms ? "revoked " : "active",
                k->revoked_ms ? revoked : "");
    }
    free(l.items);
    return STORE_OK;
}

enum store_result admin_keys_revoke(struct store *s, const char *prefix)
{
    return s->ops->revoke_admin_key(s, prefix, clock_wall_ms(), &cli_actor);
}

static int shaped(const char *key, const char *tag, size_t len)
{
    size_t t = strlen(tag);
    if (!key || strlen(key) != len || strncmp(key, tag, t) != 0)
        return 0;
    for (size_t i = t; i < len; i++) {
        char ch = key[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            return 0;
    }
    return 1;
}

int keys_well_formed(const char *key)
{
    return shaped(key, "ptc_", KEYS_LEN);
}

int admin_keys_well_formed(const char *key)
{
    return shaped(key, "ptca_", ADMIN_KEYS_LEN);
}
