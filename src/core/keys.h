/* keys.h — API keys: issue, list, revoke. Used by `porticod keys ...`,
 * which opens the store directly, possibly while a server runs on it.
 *
 * A key is "ptc_" + 8 characters of prefix + 32 secret characters; only its
 * SHA-256 and its prefix ("ptc_XXXXXXXX", shown by `keys list` and used by
 * `keys revoke`) are stored. */
#ifndef PORTICO_CORE_KEYS_H
#define PORTICO_CORE_KEYS_H
#include <stdio.h>

#include "store/store.h"

#define KEYS_LEN 44 /* "ptc_" + 8 + 32 */
#define KEYS_PREFIX_LEN 12

/* Creates the customer if needed and a key for it; key_out gets the key. */
enum store_result keys_create(struct store *s, const char *customer, int aigc_enabled,
                              char key_out[static KEYS_LEN + 1]);
/* One line per key: prefix, customer, created, status. */
enum store_result keys_list(struct store *s, FILE *out);
enum store_result keys_revoke(struct store *s, const char *prefix);

#endif
