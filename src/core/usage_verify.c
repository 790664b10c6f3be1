/* usage_verify.c — `porticod usage verify`; see usage_verify.h. */
#include "core/usage_verify.h"

#include <stdlib.h>

#include "core/core.h"

int usage_verify(struct store *s, FILE *out)
{
    struct usage_mismatch_list m;
    enum store_result r = s->ops->usage_recount(s, &m);
    if (r != STORE_OK) {
        fprintf(out, "usage verify: the store failed: %s\n", store_result_str(r));
        return 2;
    }
    for (size_t i = 0; i < m.n; i++) {
        const struct usage_mismatch *x = &m.items[i];
        char date[11];
        const char *when = date;
        if (x->day == -1)
            when = "all days (a stock: the sum of its moves)";
        else if (x->day == -2)
            when = "running total (a stock: usage_totals)";
        else
            core_usage_date(x->day, date);
        fprintf(out, "usage verify: mismatch: customer %lld, %s, %s: counted %lld, recounted %lld\n",
                (long long)x->customer_id, when, x->metric, (long long)x->counted, (long long)x->recounted);
    }
    if (m.n == 0)
        fprintf(out, "usage verify: ok: the usage counters equal a recount of the records\n");
    free(m.items);
    return m.n ? 1 : 0;
}
