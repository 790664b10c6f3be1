/* sqlite_fixture.h — a fresh SQLite store per test (per case, for the
 * store tests whose cases test_store_pg.c runs too), each in its own
 * directory under root, which the test's main makes with
 * fixture_root_make and removes with fixture_root_remove. */
#ifndef PORTICO_TEST_SQLITE_FIXTURE_H
#define PORTICO_TEST_SQLITE_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "store/store.h"

static char root[256];
/* The last fresh store's directory: a case that needs a second handle on
 * the same records (another node) opens it again. */
static char store_dir[300];
static int n_dirs;

/* root: a new directory /tmp/portico-test-<tag>-XXXXXX; -1 if it cannot be made. */
static int fixture_root_make(const char *tag)
{
    snprintf(root, sizeof root, "/tmp/portico-test-%s-XXXXXX", tag);
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

static void fixture_root_remove(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", root);
}

static void fresh_dir(char *dir, size_t cap)
{
    char cmd[400];
    snprintf(dir, cap, "%s/%d", root, ++n_dirs);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* A store on a fresh directory (store_dir); NULL, and a failed CHECK, if
 * it does not open. */
static struct store *open_fresh_store(void)
{
    fresh_dir(store_dir, sizeof store_dir);
    struct store *s = store_sqlite_open(store_dir);
    CHECK(s != NULL);
    return s;
}

/* inline: a test whose cases take more than the store (test_store_fleet.c)
 * has its own runner and leaves this one unused. */
static inline void on_fresh_store(void (*fn)(struct store *))
{
    struct store *s = open_fresh_store();
    if (!s)
        return;
    fn(s);
    s->ops->close(s);
}

#endif
