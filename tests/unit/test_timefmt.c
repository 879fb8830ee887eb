/*
 * test_timefmt — event times on the wire (lib/sla_timefmt): integer ms and
 * RFC 3339, every rejection, and the promise never to read past len (each
 * input is copied into a heap buffer of exactly len bytes, no NUL, so
 * AddressSanitizer or valgrind catch a read beyond it).
 */
#include <stdlib.h>

#include "check.h"
#include "sla_timefmt.h"

#define T_2026_11_25_194408 1795635848000LL

/* Parses text as a length-delimited value (no terminator). */
static int parse_exact(const char *text, int64_t *out)
{
    size_t len = strlen(text);
    char *buf = malloc(len ? len : 1);
    if (!buf)
        return -2;
    memcpy(buf, text, len);
    int rc = sla_time_parse(buf, len, out);
    free(buf);
    return rc;
}

static int parses_to(const char *text, int64_t want)
{
    int64_t got = -1;
    if (parse_exact(text, &got) != 0) {
        fprintf(stderr, "  \"%s\" rejected\n", text);
        return 0;
    }
    if (got != want) {
        fprintf(stderr, "  \"%s\" -> %lld, want %lld\n", text, (long long)got, (long long)want);
        return 0;
    }
    return 1;
}

static int rejected(const char *text)
{
    int64_t got = 12345;
    if (parse_exact(text, &got) != -1) {
        fprintf(stderr, "  \"%s\" accepted as %lld\n", text, (long long)got);
        return 0;
    }
    return got == 12345; /* output untouched */
}

static void test_integer(void)
{
    CHECK(parses_to("0", 0));
    CHECK(parses_to("1795635848000", T_2026_11_25_194408));
    CHECK(parses_to("000000000000042", 42));
    CHECK(parses_to("999999999999999", 999999999999999LL)); /* 15 digits */
    CHECK(rejected(""));
    CHECK(rejected("1000000000000000")); /* 16 digits */
    CHECK(rejected("-1"));
    CHECK(rejected("+1"));
    CHECK(rejected(" 1"));
    CHECK(rejected("1 "));
    CHECK(rejected("12a"));
    CHECK(rejected("1.5"));
    CHECK(rejected("0x10"));
}

static void test_rfc3339(void)
{
    const int64_t t = T_2026_11_25_194408;
    CHECK(parses_to("2026-11-25T19:44:08Z", t));
    CHECK(parses_to("2026-11-25t19:44:08z", t));
    CHECK(parses_to("2026-11-25 19:44:08Z", t));
    CHECK(parses_to("2026-11-25T19:44:08.123Z", t + 123));
    CHECK(parses_to("2026-11-25T19:44:08.1Z", t + 100));
    CHECK(parses_to("2026-11-25T19:44:08.12Z", t + 120));
    CHECK(parses_to("2026-11-25T19:44:08.999999999Z", t + 999)); /* truncated */
    CHECK(parses_to("2026-11-25T19:44:08.12345678901234567890123Z", t + 123));
    CHECK(parses_to("2026-11-26T03:44:08.123+08:00", t + 123));
    CHECK(parses_to("2026-11-25T14:14:08-05:30", t));
    CHECK(parses_to("2026-11-25T19:44:08+00:00", t));
    CHECK(parses_to("2026-11-25T19:44:08-00:00", t));
    CHECK(parses_to("2026-11-26T19:43:08+23:59", t));
    CHECK(parses_to("1970-01-01T00:00:00Z", 0));
    CHECK(parses_to("1970-01-01T01:00:00+01:00", 0));
    CHECK(parses_to("9999-12-31T23:59:59Z", 253402300799000LL));
    CHECK(parses_to("2024-02-29T00:00:00Z", 1709164800000LL));
    CHECK(parses_to("2000-02-29T00:00:00Z", 951868800000LL - 86400000LL)); /* /400 leap */
    CHECK(parses_to("2000-03-01T00:00:00Z", 951868800000LL));
    /* Leap second: the last ms of the minute it names. */
    CHECK(parses_to("2016-12-31T23:59:60Z", 1483228799999LL));
    CHECK(parses_to("2016-12-31T23:59:60.5Z", 1483228799999LL));
}

static void test_rfc3339_rejections(void)
{
    CHECK(rejected("2026-13-01T00:00:00Z"));  /* month 13 */
    CHECK(rejected("2026-00-01T00:00:00Z"));  /* month 0 */
    CHECK(rejected("2026-01-00T00:00:00Z"));  /* day 0 */
    CHECK(rejected("2026-01-32T00:00:00Z"));
    CHECK(rejected("2026-02-30T00:00:00Z"));  /* Feb 30 */
    CHECK(rejected("2023-02-29T00:00:00Z"));  /* not a leap year */
    CHECK(rejected("1900-02-29T00:00:00Z"));  /* /100, not a leap year (and < 1970) */
    CHECK(rejected("2026-04-31T00:00:00Z"));  /* April has 30 */
    CHECK(rejected("2026-11-25T24:00:00Z"));
    CHECK(rejected("2026-11-25T23:60:00Z"));
    CHECK(rejected("2026-11-25T23:59:61Z"));
    CHECK(rejected("1969-12-31T23:59:59Z"));  /* before 1970 */
    CHECK(rejected("1970-01-01T00:00:00+00:01")); /* before the epoch */
    CHECK(rejected("2026-11-25T19:44:08"));   /* missing offset */
    CHECK(rejected("2026-11-25T19:44:08.123")); /* missing offset */
    CHECK(rejected("2026-11-25T19:44:08Zjunk"));  /* trailing junk */
    CHECK(rejected("2026-11-25T19:44:08Z "));
    CHECK(rejected("2026-11-25T19:44:08+08:00x"));
    CHECK(rejected("2026-11-25T19:44:08+0800"));  /* offset needs a colon */
    CHECK(rejected("2026-11-25T19:44:08+08"));
    CHECK(rejected("2026-11-25T19:44:08+24:00"));
    CHECK(rejected("2026-11-25T19:44:08+08:60"));
    CHECK(rejected("2026-11-25T19:44:08.Z"));     /* empty fraction */
    CHECK(rejected("2026-11-25T19:44:08,5Z"));
    CHECK(rejected("2026-11-25X19:44:08Z"));      /* bad separator */
    CHECK(rejected("2026-11-25"));                /* date only */
    CHECK(rejected("2026-11-25T19:44Z"));         /* no seconds */
    CHECK(rejected("20261-11-25T19:44:08Z"));     /* too long year */
    CHECK(rejected("2026-011-25T19:44:08Z"));     /* too long month */
    CHECK(rejected("2026-11-025T19:44:08Z"));
    CHECK(rejected("2026-11-25T019:44:08Z"));     /* too long hour */
    CHECK(rejected("2026-11-25T19:44:008Z"));
    CHECK(rejected("2026-1-25T19:44:08Z"));       /* too short */
    CHECK(rejected("2026-11-25T9:44:08Z"));
    CHECK(rejected("-026-11-25T19:44:08Z"));
    CHECK(rejected("2026-11-25T19:44:08+-8:00"));
}

/* A valid value followed by more bytes that are outside len. */
static void test_length_delimited(void)
{
    const char *text = "2026-11-25T19:44:08Z";
    const char *more = "2026-11-25T19:44:08Z999";
    int64_t out = 0;
    CHECK_INT(sla_time_parse(more, strlen(text), &out), 0);
    CHECK_INT(out, T_2026_11_25_194408);
    CHECK_INT(sla_time_parse("17956358480001234", 13, &out), 0);
    CHECK_INT(out, T_2026_11_25_194408);
    /* Every prefix of a valid timestamp is either an integer or rejected;
     * none may read beyond its length (checked by the exact-size copy). */
    const char *full = "2026-11-26T03:44:08.123456+08:00";
    size_t n = strlen(full);
    for (size_t len = 0; len < n; len++) {
        char *buf = malloc(len ? len : 1);
        memcpy(buf, full, len);
        int64_t v;
        int rc = sla_time_parse(buf, len, &v);
        if (len >= 1 && len <= 4)
            CHECK_INT(rc, 0); /* "2", "20", "202", "2026" are integers */
        else
            CHECK_INT(rc, -1);
        free(buf);
    }
    CHECK_INT(sla_time_parse(NULL, 0, &out), -1);
}

static void test_format(void)
{
    char buf[64];
    CHECK_INT(sla_time_format(T_2026_11_25_194408 + 123, buf, sizeof buf), 24);
    CHECK_STR(buf, "2026-11-25T19:44:08.123Z");
    sla_time_format(0, buf, sizeof buf);
    CHECK_STR(buf, "1970-01-01T00:00:00.000Z");
    sla_time_format(1709164800000LL + 86399999, buf, sizeof buf);
    CHECK_STR(buf, "2024-02-29T23:59:59.999Z");
    sla_time_format(253402300799000LL, buf, sizeof buf);
    CHECK_STR(buf, "9999-12-31T23:59:59.000Z");
    sla_time_format(-1, buf, sizeof buf);
    CHECK_STR(buf, "1969-12-31T23:59:59.999Z");

    /* Round trip over a spread of instants, each day boundary included. */
    int bad = 0;
    for (int64_t t = 0; t < 253402300799000LL; t += 86400000LL * 97 + 3600123) {
        int64_t back = -1;
        int n = sla_time_format(t, buf, sizeof buf);
        if (sla_time_parse(buf, (size_t)n, &back) != 0 || back != t)
            bad++;
    }
    CHECK_INT(bad, 0);
}

static void test_civil(void)
{
    CHECK_INT(sla_days_from_civil(1970, 1, 1), 0);
    CHECK_INT(sla_days_from_civil(1969, 12, 31), -1);
    CHECK_INT(sla_days_from_civil(2000, 3, 1), 11017);
    CHECK_INT(sla_days_in_month(2024, 2), 29);
    CHECK_INT(sla_days_in_month(2023, 2), 28);
    CHECK_INT(sla_days_in_month(2100, 2), 28);
    CHECK_INT(sla_days_in_month(2000, 2), 29);
    CHECK_INT(sla_days_in_month(2026, 4), 30);
    CHECK_INT(sla_days_in_month(2026, 13), 0);
    int bad = 0;
    for (int64_t d = -800000; d < 3000000; d += 13) {
        int64_t y;
        int m, day;
        sla_civil_from_days(d, &y, &m, &day);
        if (sla_days_from_civil(y, m, day) != d || m < 1 || m > 12 || day < 1 ||
            day > sla_days_in_month(y, m))
            bad++;
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    test_integer();
    test_rfc3339();
    test_rfc3339_rejections();
    test_length_delimited();
    test_format();
    test_civil();
    return CHECK_DONE();
}
