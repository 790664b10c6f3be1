/* test_framing.c — http/framing.c: which request heads are ambiguous, and
 * the byte-exact query parameter reader. */
#include "check.h"
#include "core/result.h"
#include "http/framing.h"

static const char *verdict(const char *const *lines)
{
    static struct http_framing f;
    memset(&f, 0, sizeof f);
    for (size_t i = 0; lines[i]; i += 2)
        http_framing_add(&f, lines[i], strlen(lines[i]), lines[i + 1], strlen(lines[i + 1]));
    return http_framing_verdict(&f);
}

static void test_framing_accepts_plain_heads(void)
{
    const char *a[] = {"Host", "localhost", "Content-Length", "12", "Content-Type", "application/json", NULL};
    CHECK(verdict(a) == NULL);
    const char *b[] = {"Host", "localhost", "Transfer-Encoding", "Chunked", NULL};
    CHECK(verdict(b) == NULL);
    const char *c[] = {"X-Forwarded-For", "127.0.0.2", "x-forwarded-for", "127.0.0.3", NULL};
    CHECK(verdict(c) == NULL);
}

static void test_framing_refuses_ambiguous_heads(void)
{
    const char *dup[] = {"Content-Length", "2", "content-length", "40", NULL};
    CHECK(verdict(dup) != NULL);
    const char *same[] = {"Content-Length", "2", "Content-Length", "2", NULL};
    CHECK(verdict(same) != NULL);
    const char *both[] = {"Content-Length", "2", "Transfer-Encoding", "chunked", NULL};
    CHECK(verdict(both) != NULL);
    const char *space[] = {"Content-Length ", "2", NULL};
    CHECK(verdict(space) != NULL);
    const char *tab[] = {"Content-Length\t", "2", NULL};
    CHECK(verdict(tab) != NULL);
    const char *gzip[] = {"Transfer-Encoding", "gzip, chunked", NULL};
    CHECK(verdict(gzip) != NULL);
    const char *plus[] = {"Content-Length", "+2", NULL};
    CHECK(verdict(plus) != NULL);
    const char *hosts[] = {"Host", "localhost", "HOST", "127.0.0.1", NULL};
    CHECK(verdict(hosts) != NULL);
    struct http_framing f = {0};
    http_framing_add(&f, "A\0B", 3, "v", 1); /* a NUL inside a name */
    CHECK(http_framing_verdict(&f) != NULL);
}

static void test_query_param_is_byte_exact(void)
{
    char v[32];
    CHECK(http_query_param("Action=GetAsset&Version=2024-01-01", "Action", v, sizeof v) == HTTP_QUERY_OK);
    CHECK_STR(v, "GetAsset");
    CHECK(http_query_param("Action=Get%41sset", "Action", v, sizeof v) == HTTP_QUERY_OK);
    CHECK_STR(v, "GetAsset");
    CHECK(http_query_param("Version=1", "Action", v, sizeof v) == HTTP_QUERY_ABSENT);
    CHECK(http_query_param(NULL, "Action", v, sizeof v) == HTTP_QUERY_ABSENT);
    CHECK(http_query_param("Action=", "Action", v, sizeof v) == HTTP_QUERY_OK);
    CHECK_STR(v, "");
    CHECK(http_query_param("Action=A#Action=B", "Action", v, sizeof v) == HTTP_QUERY_OK);
    CHECK_STR(v, "A");
    CHECK(http_query_param("action=Delete&Action=List", "Action", v, sizeof v) == HTTP_QUERY_INVALID);
    CHECK(http_query_param("Action=List&Action=List", "Action", v, sizeof v) == HTTP_QUERY_INVALID);
    CHECK(http_query_param("Action=Delete%00Safe", "Action", v, sizeof v) == HTTP_QUERY_INVALID);
    CHECK(http_query_param("Action=Delete%1f", "Action", v, sizeof v) == HTTP_QUERY_INVALID);
    CHECK(http_query_param("Action=Delete%", "Action", v, sizeof v) == HTTP_QUERY_INVALID);
    CHECK(http_query_param("Action%00=Delete", "Action", v, sizeof v) == HTTP_QUERY_INVALID);
    CHECK(http_query_param("%41ction=Delete", "Action", v, sizeof v) == HTTP_QUERY_OK);
    CHECK(http_query_param("Action=0123456789012345678901234567890123456789", "Action", v, sizeof v) ==
          HTTP_QUERY_INVALID);
    CHECK(http_query_param("x=%00&y", "Action", v, sizeof v) == HTTP_QUERY_ABSENT);
    /* names that cannot be decoded into 63 bytes but may be ours are refused,
     * those that decode to something else are passed over */
    char longname[100];
    snprintf(longname, sizeof longname, "Action%070d=x&Action=y", 0);
    CHECK(http_query_param(longname, "Action", v, sizeof v) == HTTP_QUERY_INVALID);
    snprintf(longname, sizeof longname, "Other%070d=x&Action=y", 0);
    CHECK(http_query_param(longname, "Action", v, sizeof v) == HTTP_QUERY_OK);
    CHECK_STR(v, "y");
    CHECK(http_query_param("Act+on=1&Actions=2&Actio=3&Action=4", "Action", v, sizeof v) == HTTP_QUERY_OK);
    CHECK_STR(v, "4");
    CHECK(http_query_param("ACTION=1", "Action", v, sizeof v) == HTTP_QUERY_INVALID);
    CHECK(http_query_param("Actio\x01n=1", "Action", v, sizeof v) == HTTP_QUERY_ABSENT);
    CHECK(http_query_param("Action\x01=1", "Action", v, sizeof v) == HTTP_QUERY_INVALID);
}

/* core_fail may reword a message with that very message as its argument. */
static void test_core_fail_rewords_its_own_message(void)
{
    struct core_status st;
    core_fail(&st, CORE_INVALID_PARAMETER, "URL must be an http:// or https:// URL.");
    core_fail(&st, CORE_INVALID_PARAMETER, "Callback%s", st.message);
    CHECK_STR(st.message, "CallbackURL must be an http:// or https:// URL.");
    core_fail(&st, CORE_INVALID_PARAMETER, "Name must be a string.");
    core_fail(&st, CORE_INVALID_PARAMETER, "Filter.%s", st.message);
    CHECK_STR(st.message, "Filter.Name must be a string.");
}

int main(void)
{
    RUN(test_framing_accepts_plain_heads);
    RUN(test_framing_refuses_ambiguous_heads);
    RUN(test_query_param_is_byte_exact);
    RUN(test_core_fail_rewords_its_own_message);
    return check_summary();
}
