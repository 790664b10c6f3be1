/* keys.h — API keys and admin keys: issue, list, revoke. Used by
 * `porticod keys ...` and `porticod admin ...`, which open the store
 * directly, possibly while a server runs on it, and by the operators' API
 * (core/admin.c): one implementation for the command line and HTTP.
 *
 * A customer's key is "ptc_" + 8 characters of prefix + 32 secret
 * characters, an admin key "ptca_" + 8 + 32 (core/domain.h); only its
 * SHA-256 and its prefix ("ptc_XXXXXXXX" / "ptca_XXXXXXXX", shown by
 * `list` and used by `revoke`) are stored. */
#ifndef PORTICO_CORE_KEYS_H
#define PORTICO_CORE_KEYS_H
#include <stdio.h>

#include "store/store.h"

/* Issues a key for the customer customer_id: key_out gets the key, out
 * (may be NULL) its record (prefix, customer_id, created_ms). NOT_FOUND:
 * no such customer. who (the admin key over HTTP) is written in the audit
 * log with it; the command line's functions here write ACTOR_CLI. */
enum store_result keys_issue(struct store *s, const struct actor *who, int64_t customer_id,
                             char key_out[static KEYS_LEN + 1], struct key_info *out);
/* Creates the customer if needed, or sets its AIGC flag to aigc_enabled,
 * and a key for it; key_out gets the key. The customer's change (if any)
 * and the key are audited as ACTOR_CLI. */
enum store_result keys_create(struct store *s, const char *customer, int aigc_enabled,
                              char key_out[static KEYS_LEN + 1]);
/* One line per key: prefix, customer, created, status. */
enum store_result keys_list(struct store *s, FILE *out);
/* who NULL: the command line (ACTOR_CLI). */
enum store_result keys_revoke(struct store *s, const struct actor *who, const char *prefix);

/* Admin keys (API.md §7). */
enum store_result admin_keys_create(struct store *s, char key_out[static ADMIN_KEYS_LEN + 1]);
/* One line per admin key: prefix, created, status. */
enum store_result admin_keys_list(struct store *s, FILE *out);
enum store_result admin_keys_revoke(struct store *s, const char *prefix);

/* 1 when key has the shape of a customer's key (KEYS_LEN, "ptc_",
 * alphanumeric), or of an admin key (ADMIN_KEYS_LEN, "ptca_"). */
int keys_well_formed(const char *key);
int admin_keys_well_formed(const char *key);

#endif
