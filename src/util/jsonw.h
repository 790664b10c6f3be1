/* jsonw.h — writing JSON text straight into a buf, for the hot paths where
 * building a jansson tree only to serialise it would cost more than the
 * answer itself. Strings are escaped as jansson does in compact mode. */
#ifndef PORTICO_JSONW_H
#define PORTICO_JSONW_H

#include "util/buf.h"

/* Appends s as a quoted JSON string; s must be valid UTF-8. 0 or -1. */
int jsonw_string(struct buf *b, const char *s);

#endif
