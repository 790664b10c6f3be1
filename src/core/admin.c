/* admin.c — the operators' API (API.md §7): admin keys, customers and
 * their API keys. Keys are issued and revoked by core/keys.c, the same
 * code `porticod keys` and `porticod admin` run.
 *
 * Admin keys are looked up in the store on every request (no cache): admin
 * traffic is an operator's, and a revoked admin key must stop at once on
 * every node. Customers' keys go through auth.c's cache instead, so a
 * customer's Disabled or KeyRate change reaches every node within its TTL. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/keys.h"
#include "util/clock.h"
#include "util/crypto.h"

enum core_code core_admin_authenticate(struct core *c, const char *key, struct actor *who, struct core_status *st)
{
    if (!key || !admin_keys_well_formed(key))
        return core_fail(st, CORE_UNAUTHORIZED, "Send a valid admin key as 'Authorization: Bearer <key>'; admin "
                                                "keys come from 'porticod admin create'.");
    uint8_t hash[32];
    crypto_sha256(key, strlen(key), hash);
    struct admin_key_info k;
    enum store_result r = c->store->ops->find_admin_key(c->store, hash, &k);
    if (r == STORE_NOT_FOUND)
        return core_fail(st, CORE_UNAUTHORIZED,
                         "The admin key is unknown or revoked; create one with 'porticod admin create'.");
    if (r != STORE_OK)
        return core_store_failure(r, st);
    if (who) {
        who->customer_id = 0;
        memcpy(who->key_prefix, k.prefix, sizeof who->key_prefix);
    }
    return CORE_OK;
}

/* A customer's Name: 1 to 64 bytes of UTF-8 without control characters. */
static enum core_code customer_name(const char *name, struct core_status *st)
{
    if (!name || !*name)
        return core_fail(st, CORE_INVALID_PARAMETER, "Name is required.");
    if (strlen(name) >= STORE_CUSTOMER_MAX || core_utf8_chars(name) < 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "Name must be 1 to %d bytes of UTF-8.", STORE_CUSTOMER_MAX - 1);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return core_fail(st, CORE_INVALID_PARAMETER, "Name must not contain control characters.");
    return CORE_OK;
}

static enum core_code customer_fields_check(const struct customer_fields *f, struct core_status *st)
{
    if (f->key_rate != -1 && (f->key_rate < 0 || f->key_rate > CORE_KEY_RATE_MAX))
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "KeyRate must be between 0 (the gateway's default) and %d requests per second.",
                         CORE_KEY_RATE_MAX);
    return CORE_OK;
}

static enum core_code name_taken(const char *name, struct core_status *st)
{
    return core_fail(st, CORE_INVALID_PARAMETER, "A customer named '%s' exists already; choose another Name.", name);
}

static enum core_code no_customer(const char *field, int64_t id, struct core_status *st)
{
    return core_fail(st, CORE_INVALID_PARAMETER, "%s %lld names no customer; see ListCustomers.", field,
                     (long long)id);
}

enum core_code core_create_customer(struct core *c, const struct actor *who, const struct customer_fields *f,
                                   struct customer *out, struct core_status *st)
{
    if (customer_name(f->name, st) || customer_fields_check(f, st))
        return st->code;
    struct customer in = {0};
    snprintf(in.name, sizeof in.name, "%s", f->name);
    in.aigc_enabled = f->aigc_enabled == -1 ? 1 : f->aigc_enabled;
    in.key_rate = f->key_rate == -1 ? 0 : f->key_rate;
    in.disabled = f->disabled == -1 ? 0 : f->disabled;
    enum store_result r = c->store->ops->create_customer(c->store, &in, clock_wall_ms(), who, out);
    if (r == STORE_CONFLICT)
        return name_taken(f->name, st);
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}

enum core_code core_update_customer(struct core *c, const struct actor *who, int64_t id,
                                   const struct customer_fields *f, struct core_status *st)
{
    if (id <= 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "Id is required: a customer's Id from ListCustomers.");
    if (!f->name && f->aigc_enabled == -1 && f->key_rate == -1 && f->disabled == -1)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "Give at least one of Name, AIGCEnabled, KeyRate and Disabled to change.");
    if ((f->name && customer_name(f->name, st)) || customer_fields_check(f, st))
        return st->code;
    enum store_result r = c->store->ops->update_customer(c->store, id, f, clock_wall_ms(), who);
    if (r == STORE_NOT_FOUND)
        return no_customer("Id", id, st);
    if (r == STORE_CONFLICT)
        return name_taken(f->name ? f->name : "", st);
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}

enum core_code core_get_customer(struct core *c, int64_t id, struct customer *out, struct core_status *st)
{
    enum store_result r = c->store->ops->get_customer(c->store, id, out);
    if (r == STORE_NOT_FOUND)
        return no_customer("Id", id, st);
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}

enum core_code core_list_customers(struct core *c, const char *name_sub, int page_number, int page_size,
                                   struct customer_list *out, struct core_status *st)
{
    memset(out, 0, sizeof *out);
    if (rules_page(page_number, page_size, st))
        return st->code;
    if (name_sub && strlen(name_sub) >= STORE_CUSTOMER_MAX)
        return core_fail(st, CORE_INVALID_PARAMETER, "Filter.Name must be at most %d bytes.", STORE_CUSTOMER_MAX - 1);
    enum store_result r = c->store->ops->list_customers(c->store, name_sub && *name_sub ? name_sub : NULL,
                                                        page_number, page_size, out);
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}

/* The customer named by field must exist. */
static enum core_code customer_exists(struct core *c, const char *field, int64_t id, struct core_status *st)
{
    if (id <= 0)
        return core_fail(st, CORE_INVALID_PARAMETER, "%s is required: a customer's Id from ListCustomers.", field);
    struct customer cu;
    enum store_result r = c->store->ops->get_customer(c->store, id, &cu);
    if (r == STORE_NOT_FOUND)
        return no_customer(field, id, st);
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}

enum core_code core_create_api_key(struct core *c, const struct actor *who, int64_t customer_id,
                                   char key_out[static KEYS_LEN + 1], struct key_info *out, struct core_status *st)
{
    if (customer_exists(c, "CustomerId", customer_id, st))
        return st->code;
    enum store_result r = keys_issue(c->store, who, customer_id, key_out, out);
    if (r == STORE_NOT_FOUND) /* the customer went in between: there is no delete, but be exact */
        return no_customer("CustomerId", customer_id, st);
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}

enum core_code core_list_api_keys(struct core *c, int64_t customer_id, int page_number, int page_size,
                                  struct key_list *out, struct core_status *st)
{
    memset(out, 0, sizeof *out);
    if (rules_page(page_number, page_size, st))
        return st->code;
    if (customer_id < 0)
        return no_customer("CustomerId", customer_id, st);
    if (customer_id > 0 && customer_exists(c, "CustomerId", customer_id, st))
        return st->code;
    enum store_result r = c->store->ops->list_api_keys(c->store, customer_id, page_number, page_size, out);
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}

enum core_code core_revoke_api_key(struct core *c, const struct actor *who, const char *prefix,
                                   struct core_status *st)
{
    if (!prefix || !*prefix)
        return core_fail(st, CORE_INVALID_PARAMETER, "Prefix is required: a key's Prefix from ListApiKeys.");
    if (strlen(prefix) >= sizeof((struct key_info *)0)->prefix)
        return core_fail(st, CORE_INVALID_PARAMETER, "Prefix names no active API key; see ListApiKeys.");
    enum store_result r = keys_revoke(c->store, who, prefix);
    if (r == STORE_NOT_FOUND)
        return core_fail(st, CORE_INVALID_PARAMETER,
                         "Prefix names no active API key (unknown, or revoked already); see ListApiKeys.");
    return r == STORE_OK ? CORE_OK : core_store_failure(r, st);
}
