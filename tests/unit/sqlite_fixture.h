/* sqlite_fixture.h — a fresh SQLite store per case for the store tests
 * whose cases are shared with test_store_pg.c: each case runs on a store
 * in its own directory under root (the test's main makes and removes root). */
#ifndef PORTICO_TEST_SQLITE_FIXTURE_H
#define PORTICO_TEST_SQLITE_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "store/store.h"

static char root[256];
static int n_dirs;

static void fresh_dir(char *dir, size_t cap)
{
    char cmd[400];
    snprintf(dir, cap, "%s/%d", root, ++n_dirs);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    CHECK(system(cmd) == 0);
}

static void on_fresh_store(void (*fn)(struct store *))
{
    char dir[300];
    fresh_dir(dir, sizeof dir);
    struct store *s = store_sqlite_open(dir);
    CHECK(s != NULL);
    if (!s)
        return;
    fn(s);
    s->ops->close(s);
}

#endif
