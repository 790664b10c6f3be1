/* test_cli_args.c — the portico CLI's argument parser: long and short
 * options, values in either form, order kept, errors named. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli/args.h"

static const struct cli_opt cmd_opts[] = {
    {"wait", 0, 0, NULL, "wait"},
    {"output", 'o', 1, "FILE", "file"},
    {"image", 0, 1, "X", "image"},
    {"role", 0, 1, "R", "role"},
    {NULL, 0, 0, NULL, NULL},
};
static const struct cli_opt global_opts[] = {
    {"json", 0, 0, NULL, "json"},
    {"help", 'h', 0, NULL, "help"},
    {NULL, 0, 0, NULL, NULL},
};
static const struct cli_opt *const tables[] = {cmd_opts, global_opts, NULL};

static int parse(struct cli_args *a, char *err, int argc, char **argv)
{
    return cli_args_parse(argc, argv, tables, a, err, 256);
}

static void test_positionals_and_options_in_any_order(void)
{
    char *argv[] = {"g1", "--wait", "a.png", "-o", "out.mp4", "--json", "b.png"};
    struct cli_args a;
    char err[256];
    CHECK(parse(&a, err, 7, argv) == 0);
    CHECK(a.npos == 3);
    CHECK_STR(a.pos[0], "g1");
    CHECK_STR(a.pos[2], "b.png");
    CHECK_STR(cli_args_value(&a, "output"), "out.mp4");
    CHECK(cli_args_value(&a, "wait") != NULL);
    CHECK(cli_args_value(&a, "json") != NULL);
    CHECK(cli_args_value(&a, "help") == NULL);
}

static void test_equals_form_and_last_value_wins(void)
{
    char *argv[] = {"--output=a.mp4", "--output", "b.mp4", "--image=x=y"};
    struct cli_args a;
    char err[256];
    CHECK(parse(&a, err, 4, argv) == 0);
    CHECK_STR(cli_args_value(&a, "output"), "b.mp4");
    CHECK_STR(cli_args_value(&a, "image"), "x=y");
    CHECK(cli_args_count(&a, "output") == 2);
}

static void test_order_of_repeated_options_is_kept(void)
{
    char *argv[] = {"--image", "a", "--role", "first_frame", "--image", "b", "--role", "last_frame"};
    struct cli_args a;
    char err[256];
    CHECK(parse(&a, err, 8, argv) == 0);
    CHECK(a.nopt == 4);
    CHECK_STR(a.opts[0].opt->name, "image");
    CHECK_STR(a.opts[0].value, "a");
    CHECK_STR(a.opts[1].value, "first_frame");
    CHECK_STR(a.opts[2].value, "b");
    CHECK_STR(a.opts[3].opt->name, "role");
}

static void test_double_dash_ends_options(void)
{
    char *argv[] = {"--", "--wait", "-"};
    struct cli_args a;
    char err[256];
    CHECK(parse(&a, err, 3, argv) == 0);
    CHECK(a.npos == 2 && a.nopt == 0);
    CHECK_STR(a.pos[0], "--wait");
    CHECK_STR(a.pos[1], "-");
}

static void test_errors_name_the_option(void)
{
    struct cli_args a;
    char err[256];
    char *unknown[] = {"--bogus"};
    CHECK(parse(&a, err, 1, unknown) == -1);
    CHECK(strstr(err, "--bogus") != NULL);
    char *missing[] = {"-o"};
    CHECK(parse(&a, err, 1, missing) == -1);
    CHECK(strstr(err, "--output needs a value") != NULL);
    char *flag_value[] = {"--wait=yes"};
    CHECK(parse(&a, err, 1, flag_value) == -1);
    CHECK(strstr(err, "takes no value") != NULL);
    char *bundled[] = {"-oh"};
    CHECK(parse(&a, err, 1, bundled) == -1);
}

static void test_too_many_arguments_is_an_error_not_an_overflow(void)
{
    char *argv[CLI_ARGS_MAX + 1];
    for (int i = 0; i <= CLI_ARGS_MAX; i++)
        argv[i] = "x";
    struct cli_args a;
    char err[256];
    CHECK(parse(&a, err, CLI_ARGS_MAX + 1, argv) == -1);
    for (int i = 0; i <= CLI_ARGS_MAX; i++)
        argv[i] = "--json";
    CHECK(parse(&a, err, CLI_ARGS_MAX + 1, argv) == -1);
}

static void test_parse_long_bounds(void)
{
    long v = 0;
    CHECK(cli_parse_long("120", 1, 86400, &v) == 0 && v == 120);
    CHECK(cli_parse_long("0", 1, 86400, &v) == -1);
    CHECK(cli_parse_long("12s", 1, 86400, &v) == -1);
    CHECK(cli_parse_long("", 1, 86400, &v) == -1);
    CHECK(cli_parse_long("99999999999999999999", 1, 86400, &v) == -1);
}

static void test_media_ref(void)
{
    char out[2200];
    CHECK(cli_media_ref("asset-20260101120000-ab12c", out, sizeof out) == 0);
    CHECK_STR(out, "asset://asset-20260101120000-ab12c");
    CHECK(cli_media_ref("asset://asset-x", out, sizeof out) == 0);
    CHECK_STR(out, "asset://asset-x");
    CHECK(cli_media_ref("http://127.0.0.1:9/a.png", out, sizeof out) == 0);
    CHECK_STR(out, "http://127.0.0.1:9/a.png");
    CHECK(cli_media_ref("face.png", out, sizeof out) == -1);
    CHECK(cli_media_ref("ftp://127.0.0.1:9", out, sizeof out) == -1);
    char small[8];
    CHECK(cli_media_ref("http://127.0.0.1:9/a.png", small, sizeof small) == -1);
}

int main(void)
{
    RUN(test_positionals_and_options_in_any_order);
    RUN(test_equals_form_and_last_value_wins);
    RUN(test_order_of_repeated_options_is_kept);
    RUN(test_double_dash_ends_options);
    RUN(test_errors_name_the_option);
    RUN(test_too_many_arguments_is_an_error_not_an_overflow);
    RUN(test_parse_long_bounds);
    RUN(test_media_ref);
    return check_summary();
}
