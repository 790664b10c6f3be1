/* ops_budget.c — the upstream account's budget as the fleet uses it, for
 * operators: lines of /metrics and of /readyz on the admin listener
 * (API.md §5, §7). The numbers are core_fleet_status's: the fleet's
 * buckets, its creations in flight and its nodes as the store has them,
 * and this node's own leases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "util/buf.h"

static double seconds_since(int64_t now_ms, int64_t then_ms)
{
    return now_ms > then_ms ? (double)(now_ms - then_ms) / 1000.0 : 0.0;
}

/* The fleet's budget and this node's (core_fleet_status), in a struct on
 * the heap for its list of nodes, freed by the caller; NULL when out of
 * memory. *have is 0 when the store did not answer: then only this node's
 * numbers are known. */
static struct fleet_status *fleet_status_read(struct api *a, struct core_node_budget *self, int *have)
{
    static struct fleet_status zero;
    struct fleet_status *f = malloc(sizeof *f);
    if (!f)
        return NULL;
    *f = zero;
    *have = core_fleet_status(a->core, f, self) == CORE_OK;
    return f;
}

int ops_budget_metrics(struct api *a, struct buf *b)
{
    struct core_node_budget self;
    int have;
    struct fleet_status *f = fleet_status_read(a, &self, &have);
    if (!f)
        return -1;
    int rc = 0;
    rc |= buf_printf(b, "# HELP portico_budget_node This node's name in the fleet.\n# TYPE portico_budget_node gauge\n"
                        "portico_budget_node{node=\"%s\",shared=\"%d\"} 1\n",
                     self.node, f->shared);
    rc |= buf_puts(b, "# HELP portico_budget_tokens Tokens in the upstream account's bucket now (the fleet's in the "
                      "store, or this process's alone).\n# TYPE portico_budget_tokens gauge\n");
    for (int i = 0; i < FLEET_BUCKETS && have; i++)
        rc |= buf_printf(b, "portico_budget_tokens{bucket=\"%s\"} %.3f\n", f->buckets[i].name, f->buckets[i].tokens);
    rc |= buf_puts(b, "# HELP portico_budget_rate The bucket's rate (tokens/s; create: creates, mutate: lists, "
                      "updates and deletes, get: gets) and burst: the account's limits.\n"
                      "# TYPE portico_budget_rate gauge\n");
    for (int i = 0; i < FLEET_BUCKETS && have; i++)
        rc |= buf_printf(b, "portico_budget_rate{bucket=\"%s\"} %g\nportico_budget_burst{bucket=\"%s\"} %g\n",
                         f->buckets[i].name, f->buckets[i].rate, f->buckets[i].name, f->buckets[i].burst);
    rc |= buf_puts(b, "# HELP portico_budget_inflight The account's creations in flight (assets still Processing, "
                      "and creates holding a place), across the fleet.\n# TYPE portico_budget_inflight gauge\n");
    if (have)
        rc |= buf_printf(b,
                         "portico_budget_inflight %lld\nportico_budget_inflight_max %lld\n"
                         "portico_budget_inflight_waiting %lld\n",
                         (long long)f->inflight, (long long)f->max_inflight, (long long)f->waiting);
    rc |= buf_puts(b, "# HELP portico_budget_node_leases_total This node's token leases from the fleet's buckets, the "
                      "tokens they granted, and those that lapsed unspent.\n"
                      "# TYPE portico_budget_node_leases_total counter\n");
    for (int i = 0; i < FLEET_BUCKETS; i++) {
        const char *n = i == 0 ? "create" : i == 1 ? "mutate" : "get";
        rc |= buf_printf(b,
                         "portico_budget_node_leases_total{bucket=\"%s\"} %lld\n"
                         "portico_budget_node_granted_tokens_total{bucket=\"%s\"} %lld\n"
                         "portico_budget_node_lapsed_tokens_total{bucket=\"%s\"} %lld\n"
                         "portico_budget_node_tokens{bucket=\"%s\"} %.3f\n",
                         n, (long long)self.leases[i], n, (long long)self.leased[i], n, (long long)self.lapsed[i], n,
                         self.tokens[i]);
    }
    rc |= buf_printf(b, "portico_budget_node_waiting_for_places %d\n", self.waiting_for_places);
    rc |= buf_puts(b, "# HELP portico_fleet_nodes Nodes sharing the store, with their heartbeat's age, their token "
                      "leases and the creations in flight their requests hold.\n# TYPE portico_fleet_nodes gauge\n");
    if (have)
        rc |= buf_printf(b, "portico_fleet_nodes %zu\n", f->shared ? f->n_nodes : (size_t)1);
    for (size_t k = 0; k < f->n_nodes && have && f->shared; k++) {
        const struct fleet_node *nd = &f->nodes[k];
        rc |= buf_printf(b,
                         "portico_fleet_node_heartbeat_age_seconds{node=\"%s\"} %.3f\n"
                         "portico_fleet_node_inflight{node=\"%s\"} %lld\n"
                         "portico_fleet_node_inflight_waiting{node=\"%s\"} %lld\n",
                         nd->node, seconds_since(f->now_ms, nd->seen_ms), nd->node, (long long)nd->inflight, nd->node,
                         (long long)nd->waiting);
        for (int i = 0; i < FLEET_BUCKETS; i++)
            rc |= buf_printf(b,
                             "portico_fleet_node_leases_total{node=\"%s\",bucket=\"%s\"} %lld\n"
                             "portico_fleet_node_granted_tokens_total{node=\"%s\",bucket=\"%s\"} %lld\n"
                             "portico_fleet_node_waiting_customers{node=\"%s\",bucket=\"%s\"} %lld\n",
                             nd->node, f->buckets[i].name, (long long)nd->leases[i], nd->node, f->buckets[i].name,
                             (long long)nd->granted[i], nd->node, f->buckets[i].name, (long long)nd->customers[i]);
    }
    free(f);
    return rc;
}

int ops_budget_readyz(struct api *a, struct buf *b)
{
    struct core_node_budget self;
    int have;
    struct fleet_status *f = fleet_status_read(a, &self, &have);
    if (!f)
        return -1;
    int rc = buf_printf(b, "node %s; upstream budget %s\n", self.node,
                        f->shared ? "shared with the fleet through the store" : "this process's alone");
    for (int i = 0; i < FLEET_BUCKETS && have; i++)
        rc |= buf_printf(b, "budget %s: %.1f of %g tokens, %g/s; this node leased %lld in %lld leases, %lld lapsed\n",
                         f->buckets[i].name, f->buckets[i].tokens, f->buckets[i].burst, f->buckets[i].rate,
                         (long long)self.leased[i], (long long)self.leases[i], (long long)self.lapsed[i]);
    if (have)
        rc |= buf_printf(b, "in flight: %lld of %lld creations, %lld waiting\n", (long long)f->inflight,
                         (long long)f->max_inflight, (long long)f->waiting);
    else
        rc |= buf_puts(b, "fleet: the store does not answer\n");
    for (size_t k = 0; k < f->n_nodes && have && f->shared; k++) {
        const struct fleet_node *nd = &f->nodes[k];
        rc |= buf_printf(b,
                         "node %s: heartbeat %.1f s ago, %lld in flight, %lld waiting, leases create %lld (%lld tokens)"
                         " mutate %lld (%lld) get %lld (%lld)\n",
                         nd->node, seconds_since(f->now_ms, nd->seen_ms), (long long)nd->inflight,
                         (long long)nd->waiting, (long long)nd->leases[0], (long long)nd->granted[0],
                         (long long)nd->leases[1], (long long)nd->granted[1], (long long)nd->leases[2],
                         (long long)nd->granted[2]);
    }
    free(f);
    return rc;
}
