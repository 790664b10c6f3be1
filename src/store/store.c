/* store.c — backend-independent pieces of the store port. */
#include "store/store.h"

const char *store_result_str(enum store_result r)
{
    switch (r) {
    case STORE_OK:
        return "ok";
    case STORE_NOT_FOUND:
        return "not found";
    case STORE_QUOTA:
        return "quota exceeded";
    case STORE_QUOTA_PENDING:
        return "quota full of creates in flight";
    case STORE_CONFLICT:
        return "conflict";
    case STORE_UNAVAILABLE:
        return "store unavailable";
    case STORE_ERROR:
        return "store error";
    }
    return "unknown store result";
}
