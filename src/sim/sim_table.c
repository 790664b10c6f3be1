/* sim_table.c — an intrusive hash table of id-keyed nodes that also keeps
 * creation order, so lists come out newest first without sorting.
 * Not thread-safe: its owner (sim_assets.c) holds the lock. */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

static size_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return (size_t)h;
}

int sim_table_init(struct sim_table *t, size_t nslots)
{
    memset(t, 0, sizeof *t);
    t->slots = calloc(nslots, sizeof *t->slots);
    t->nslots = nslots;
    return t->slots ? 0 : -1;
}

void sim_table_free(struct sim_table *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}

struct sim_node *sim_table_find(const struct sim_table *t, const char *id)
{
    for (struct sim_node *n = t->slots[hash(id) & (t->nslots - 1)]; n; n = n->hnext)
        if (strcmp(n->id, id) == 0)
            return n;
    return NULL;
}

void sim_table_insert(struct sim_table *t, struct sim_node *n)
{
    struct sim_node **slot = &t->slots[hash(n->id) & (t->nslots - 1)];
    n->hnext = *slot;
    *slot = n;
    n->newer = NULL;
    n->older = t->newest;
    if (t->newest)
        t->newest->newer = n;
    else
        t->oldest = n;
    t->newest = n;
    t->count++;
}

void sim_table_remove(struct sim_table *t, struct sim_node *n)
{
    struct sim_node **pp = &t->slots[hash(n->id) & (t->nslots - 1)];
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = n->hnext;
    if (n->newer)
        n->newer->older = n->older;
    else
        t->newest = n->older;
    if (n->older)
        n->older->newer = n->newer;
    else
        t->oldest = n->newer;
    n->hnext = n->newer = n->older = NULL;
    t->count--;
}
