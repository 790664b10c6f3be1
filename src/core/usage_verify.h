/* usage_verify.h — `porticod usage verify`: the usage counters checked
 * against a recount of the records (store/usage_recount.c). Opens nothing
 * itself: porticod hands it the store, possibly while servers run on it
 * (the recount reads one snapshot, so traffic meanwhile is no mismatch). */
#ifndef PORTICO_CORE_USAGE_VERIFY_H
#define PORTICO_CORE_USAGE_VERIFY_H
#include <stdio.h>

#include "store/store.h"

/* Prints one line per counter that disagrees with the records (to out),
 * or that all agree. 0: all agree; 1: a mismatch; 2: the store failed. */
int usage_verify(struct store *s, FILE *out);

#endif
