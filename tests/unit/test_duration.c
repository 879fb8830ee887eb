/*
 * test_duration — configuration durations, warn settings and the human
 * form of millisecond counts (lib/sla_duration).
 */
#include "check.h"
#include "sla_duration.h"

#define S 1000LL
#define M (60 * S)
#define H (60 * M)
#define D (24 * H)

static int parses(const char *text, int64_t ms, int days, int rings)
{
    sla_span s = {-1, -1, -1};
    char err[128] = "";
    if (sla_span_parse(text, &s, err, sizeof err) != 0) {
        fprintf(stderr, "  \"%s\" rejected: %s\n", text, err);
        return 0;
    }
    if (s.ms != ms || s.days != days || s.rings != rings) {
        fprintf(stderr, "  \"%s\" -> ms=%lld days=%d rings=%d\n", text, (long long)s.ms, s.days,
                s.rings);
        return 0;
    }
    return 1;
}

/* Rejected, with a message that contains `why`. */
static int rejects(const char *text, const char *why)
{
    sla_span s = {7, 7, 7};
    char err[128] = "";
    if (sla_span_parse(text, &s, err, sizeof err) != -1) {
        fprintf(stderr, "  \"%s\" accepted\n", text ? text : "(null)");
        return 0;
    }
    if (!strstr(err, why)) {
        fprintf(stderr, "  \"%s\": message \"%s\" lacks \"%s\"\n", text ? text : "(null)", err,
                why);
        return 0;
    }
    return s.ms == 7 && s.days == 7 && s.rings == 7; /* untouched on error */
}

static void test_forms(void)
{
    CHECK(parses("30s", 30 * S, 0, 0));
    CHECK(parses("10m", 10 * M, 0, 0));
    CHECK(parses("2h", 2 * H, 0, 0));
    CHECK(parses("3d", 0, 3, 0));
    CHECK(parses("1h30m", H + 30 * M, 0, 0));
    CHECK(parses("500ms", 500, 0, 0));
    CHECK(parses("1d2h", 2 * H, 1, 0));
    CHECK(parses("1d2h30m15s250ms", 2 * H + 30 * M + 15 * S + 250, 1, 0));
    CHECK(parses("1m30s", 90 * S, 0, 0));
    CHECK(parses("2s500ms", 2500, 0, 0));
    CHECK(parses("0s", 0, 0, 0));
    CHECK(parses("0d", 0, 0, 0));
    CHECK(parses("90m", 90 * M, 0, 0)); /* no carrying rules: 90m is fine */
    CHECK(parses("3 rings", 0, 0, 3));
    CHECK(parses("1 ring", 0, 0, 1));
    CHECK(parses("3rings", 0, 0, 3));
    CHECK(parses("  45s\t", 45 * S, 0, 0)); /* surrounding blanks are trimmed */
    CHECK(parses("3660d", 0, 3660, 0));     /* exactly 10 years of 366 days */
    CHECK(parses("87840h", 87840 * H, 0, 0));
}

static void test_rejections(void)
{
    CHECK(rejects("", "empty"));
    CHECK(rejects("   ", "empty"));
    CHECK(rejects(NULL, "empty"));
    CHECK(rejects("-5m", "sign"));
    CHECK(rejects("+5m", "sign"));
    CHECK(rejects("5", "missing unit"));
    CHECK(rejects("5x", "unknown unit 'x'"));
    CHECK(rejects("5min", "unknown unit 'min'"));
    CHECK(rejects("5M", "unknown unit 'M'"));
    CHECK(rejects("m", "expected a number"));
    CHECK(rejects("1h1h", "repeated or out of order"));
    CHECK(rejects("30m1h", "repeated or out of order"));
    CHECK(rejects("1s1m", "repeated or out of order"));
    CHECK(rejects("1ms1s", "repeated or out of order"));
    CHECK(rejects("1h 30m", "expected a number"));
    CHECK(rejects("1.5h", "fractions"));
    CHECK(rejects("3661d", "too large"));
    CHECK(rejects("87841h", "too large"));
    CHECK(rejects("3660d1ms", "too large"));
    CHECK(rejects("99999999999999999999s", "too large"));
    CHECK(rejects("9223372036854775807ms", "too large"));
    CHECK(rejects("1m3 rings", "cannot be combined"));
    CHECK(rejects("3 ringss", "unexpected ' '"));
    CHECK(rejects("3r", "unknown unit 'r'"));
    CHECK(rejects("rings", "expected a number"));
    CHECK(rejects("100001 rings", "too many rings"));
    CHECK(rejects("5s!", "expected a number at '!'"));
}

static void test_span_helpers(void)
{
    sla_span z = {0, 0, 0}, a = {1, 0, 0}, b = {0, 1, 0}, c = {0, 0, 1};
    CHECK(sla_span_is_zero(&z));
    CHECK(!sla_span_is_zero(&a));
    CHECK(!sla_span_is_zero(&b));
    CHECK(!sla_span_is_zero(&c));

    sla_span s = {2 * H, 1, 0};
    CHECK_INT(sla_span_plain_ms(&s, 5000), D + 2 * H);
    sla_span r = {0, 0, 3};
    CHECK_INT(sla_span_plain_ms(&r, 5000), 15000);
    CHECK_INT(sla_span_plain_ms(&r, 0), 0);
    sla_span huge = {0, 0, 1000};
    CHECK_INT(sla_span_plain_ms(&huge, INT64_MAX / 10), INT64_MAX); /* saturates */
}

static void test_warn(void)
{
    int pct = -1;
    sla_span before = {9, 9, 9};
    char err[128] = "";
    CHECK_INT(sla_warn_parse("80%", &pct, &before, err, sizeof err), 0);
    CHECK_INT(pct, 80);
    CHECK(sla_span_is_zero(&before));
    CHECK_INT(sla_warn_parse("1%", &pct, &before, err, sizeof err), 0);
    CHECK_INT(pct, 1);
    CHECK_INT(sla_warn_parse("99%", &pct, &before, err, sizeof err), 0);
    CHECK_INT(pct, 99);

    CHECK_INT(sla_warn_parse("5m", &pct, &before, err, sizeof err), 0);
    CHECK_INT(pct, 0);
    CHECK_INT(before.ms, 5 * M);
    CHECK_INT(sla_warn_parse("1d", &pct, &before, err, sizeof err), 0);
    CHECK_INT(before.days, 1);
    CHECK_INT(before.ms, 0);

    CHECK_INT(sla_warn_parse("0%", &pct, &before, err, sizeof err), -1);
    CHECK(strstr(err, "between 1% and 99%") != NULL);
    CHECK_INT(sla_warn_parse("100%", &pct, &before, err, sizeof err), -1);
    CHECK_INT(sla_warn_parse("80.5%", &pct, &before, err, sizeof err), -1);
    CHECK(strstr(err, "whole number") != NULL);
    CHECK_INT(sla_warn_parse("%", &pct, &before, err, sizeof err), -1);
    CHECK_INT(sla_warn_parse("-5%", &pct, &before, err, sizeof err), -1);
    CHECK_INT(sla_warn_parse("0s", &pct, &before, err, sizeof err), -1);
    CHECK(strstr(err, "with the breach") != NULL);
    CHECK_INT(sla_warn_parse("soon", &pct, &before, err, sizeof err), -1);
    CHECK(strstr(err, "percentage") != NULL);
    CHECK_INT(sla_warn_parse("", &pct, &before, err, sizeof err), -1);
    CHECK_INT(pct, 0); /* failures leave the last good values alone */
    CHECK_INT(before.days, 1);
}

static void test_format(void)
{
    char buf[32];
    struct {
        int64_t ms;
        const char *want;
    } cases[] = {
        {0, "0ms"},
        {450, "450ms"},
        {999, "999ms"},
        {1000, "1s"},
        {42 * S + 999, "42s"}, /* truncated, never rounded up */
        {59 * S, "59s"},
        {60 * S, "1m00s"},
        {4 * M + 12 * S, "4m12s"},
        {59 * M + 59 * S, "59m59s"},
        {H, "1h00m"},
        {H + 3 * M + 59 * S, "1h03m"},
        {23 * H + 59 * M, "23h59m"},
        {D, "1d00h"},
        {2 * D + 4 * H, "2d04h"},
        {400 * D, "400d00h"},
        {-450, "-450ms"},
        {-(4 * M + 12 * S), "-4m12s"},
        {-(2 * D + 4 * H), "-2d04h"},
        {INT64_MIN, "-106751991167d07h"},
        {INT64_MAX, "106751991167d07h"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = sla_ms_format(cases[i].ms, buf, sizeof buf);
        CHECK_STR(buf, cases[i].want);
        CHECK_INT(n, strlen(cases[i].want));
    }
    /* snprintf semantics: truncates, returns the full length. */
    CHECK_INT(sla_ms_format(2 * D + 4 * H, buf, 3), 5);
    CHECK_STR(buf, "2d");
}

int main(void)
{
    test_forms();
    test_rejections();
    test_span_helpers();
    test_warn();
    test_format();
    return CHECK_DONE();
}
