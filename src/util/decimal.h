/* decimal.h — the one reader of the plain decimals that signed URLs carry
 * (expiry times, lengths, customer numbers): digits only, no sign, no
 * spaces, at most 18 of them, so the value never overflows int64_t. */
#ifndef PORTICO_DECIMAL_H
#define PORTICO_DECIMAL_H
#include <stdint.h>

/* The value of s, or -1 when s is NULL, empty, longer than 18 digits or
 * holds anything but '0'..'9'. */
int64_t decimal_parse(const char *s);

#endif
