/* test_schema.c — the released schema steps run, on each backend, exactly
 * the SQL they ran when released. The steps are written once (store/schema.c)
 * with type tokens expanded per dialect; these are the SHA-256 digests of
 * the text each backend executed for steps 1-7 before that, when
 * sqlite_schema.c and pg_schema.c each held their own copy, and of steps 8-12
 * as released with them (events and webhooks; waiting tasks, content hashes;
 * admin keys and customers' KeyRate and Disabled; usage metering and the
 * audit log; the fleet's shared upstream budget). A new step is
 * appended to schema.c and, once released, its digests here. */
#include <stdlib.h>

#include "check.h"
#include "store/driver.h"
#include "util/crypto.h"

static const char *const sqlite_digests[] = {
    "69dd2eaeede4041cbf40b5d69f7c6366406c357ad46c146083784ec4df01719d", /* 1 */
    "141cd8d9f38f318e65e74e5c3b4cd890f34072eb78a556b7af9db6d73e1ad840", /* 2 */
    "f91ef5326cf9c74446f2a1712df152184389bd943edd1af47178ec97d83da6b2", /* 3 */
    "889379bd17a068aefdc4f1299d16074cd561d64d4e40f420bedfa8fc328c5717", /* 4 */
    "5be3de692bd993f8fdd65a99f0b3e7b1ed853be56e4077cdb71da0976209fe5e", /* 5 */
    "f5697b0b732ac24c3e736f988ef18b2a8eeb0cac4b96e998b085a65b4e835f58", /* 6 */
    "661b0e88d11b5b56ed667eeded9e1afd0c441a99b3ea565b3599980ff175c343", /* 7 */
    "6b2cdf937bae31abdaef7b5b77eabbad88f2d46ccced4c0560df3550cd7ecf32", /* 8 */
    "63d10f74af9264774f8f0dd7edd0aa5048acb555903eeda53bdb7aafa8233531", /* 9 */
    "c6b57ce91e19de918a86e57737be49f68e5abeb0f42057201edf74792914d24f", /* 10 */
    "8da3ea638468b94088378db789f5b33b961b05e7c6cd196ccb62500dda4ff390", /* 11 */
    "eb33c44b458ad7454095dde387a93abdb8a63514efc9ec4403844c52eecdcf28", /* 12 */
};

static const char *const pg_digests[] = {
    "b5c9212d0c88952b8202e26d5459af4f12469bffa6d0a144f22ed5c4577602b5", /* 1 */
    "ed31049a677c3fd8480b207c50bc3471bb0d9490964c598c11e7de83d0ffe5de", /* 2 */
    "549517a7508ae00f52f28e7c16545fe0f04bfd038efb8ebcd8703d944eee2647", /* 3 */
    "3efba8717647e9fddd80eb01dc5999c1f53563f227fc12f21e376513f8d7b503", /* 4 */
    "5be3de692bd993f8fdd65a99f0b3e7b1ed853be56e4077cdb71da0976209fe5e", /* 5 */
    "bb4f75fe3e9d242e04e539fa6f1f5269a77e795b1301a35df75a88cb973f34b9", /* 6 */
    "5a2030a90aa102c32debf2f90bab35a244a79e9c2c60acb79be71c011a0e4bf4", /* 7 */
    "1aa9116fbba1a95fa82039941df9391213ccfcd4d22757518d34d2f7681ac4c3", /* 8 */
    "cf041bce3b4bbd6677630d34db0838c690c81155297939a02b61e4549d3759a1", /* 9 */
    "49e6920de69ff77136bf7c15565f8e9ba1ac3827a9bd10e8134ad2c7e34db318", /* 10 */
    "bd0a119ad470a1aacbd58c2f5bbebfbc5002b7e7346ab6a6e632915c789e880f", /* 11 */
    "4cf7c2eeb7b123c859dd43ae88a5893dfd606f56e67154cff10c368a212f2e27", /* 12 */
};

#define N_RELEASED ((int)(sizeof sqlite_digests / sizeof sqlite_digests[0]))

static void check_digests(enum sql_dialect d, const char *const *digests)
{
    CHECK(sql_schema_steps() >= N_RELEASED);
    for (int i = 0; i < N_RELEASED; i++) {
        char *step = sql_schema_step(d, i);
        char hex[65] = "";
        CHECK(step != NULL);
        if (step)
            crypto_sha256_hex(step, strlen(step), hex);
        CHECK_STR(hex, digests[i]);
        free(step);
    }
}

static void test_schema_released_steps_sqlite_unchanged(void)
{
    check_digests(SQL_DIALECT_SQLITE, sqlite_digests);
}

static void test_schema_released_steps_pg_unchanged(void)
{
    check_digests(SQL_DIALECT_PG, pg_digests);
}

static void test_schema_tokens_expand_per_dialect(void)
{
    char *sq = sql_schema_step(SQL_DIALECT_SQLITE, 0), *pg = sql_schema_step(SQL_DIALECT_PG, 0);
    CHECK(sq && strstr(sq, "  id INTEGER PRIMARY KEY,") && strstr(sq, "  hash BLOB NOT NULL UNIQUE,"));
    CHECK(pg && strstr(pg, "  id BIGSERIAL PRIMARY KEY,") && strstr(pg, "  hash BYTEA NOT NULL UNIQUE,"));
    CHECK(sq && pg && !strchr(sq, '{') && !strchr(pg, '{'));
    free(sq);
    free(pg);
    char *video = sql_schema_step(SQL_DIALECT_PG, 2); /* '{}' defaults are SQL, not tokens */
    CHECK(video && strstr(video, "request TEXT NOT NULL DEFAULT '{}',") && strstr(video, "create_ms BIGINT NOT NULL,"));
    free(video);
    CHECK(sql_schema_step(SQL_DIALECT_PG, -1) == NULL);
    CHECK(sql_schema_step(SQL_DIALECT_PG, sql_schema_steps()) == NULL);
}

int main(void)
{
    RUN(test_schema_released_steps_sqlite_unchanged);
    RUN(test_schema_released_steps_pg_unchanged);
    RUN(test_schema_tokens_expand_per_dialect);
    return check_summary();
}
