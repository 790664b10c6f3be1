/* keys.c — issuing, listing and revoking API keys; see keys.h. */
#include "core/keys.h"

#include <string.h>

#include "util/clock.h"
#include "util/crypto.h"
#include "util/ids.h"

enum store_result keys_create(struct store *s, const char *customer, int aigc_enabled,
                              char key_out[static KEYS_LEN + 1])
{
    struct customer cu;
    enum store_result r = s->ops->put_customer(s, customer, aigc_enabled, &cu);
    if (r != STORE_OK)
        return r;
    char secret[KEYS_LEN - 4 + 1];
    ids_random_alnum(secret, sizeof secret - 1);
    memcpy(key_out, "ptc_", 4);
    memcpy(key_out + 4, secret, KEYS_LEN - 4);
    key_out[KEYS_LEN] = '\0';

    char prefix[KEYS_PREFIX_LEN + 1];
    memcpy(prefix, key_out, KEYS_PREFIX_LEN);
    prefix[KEYS_PREFIX_LEN] = '\0';
    uint8_t hash[32];
    crypto_sha256(key_out, KEYS_LEN, hash);
    return s->ops->add_key(s, cu.id, prefix, hash, clock_wall_ms());
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

enum store_result keys_revoke(struct store *s, const char *prefix)
{
    return s->ops->revoke_key(s, prefix, clock_wall_ms());
}
