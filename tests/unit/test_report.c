/*
 * test_report — outcome counters per day and their folding (sla_report):
 * field escaping, a batch's merge, day names both ways, quantiles.
 */
#include <stdlib.h>

#include "check.h"
#include "sla_report.h"

static sla_outcome outcome(int kind, int metric, const char *policy, const char *attrs,
                           size_t attrs_len, int64_t taken_ms)
{
    return (sla_outcome){.kind = kind, .metric = metric, .policy = (char *)policy,
                         .attrs = (char *)attrs, .attrs_len = attrs_len, .at_ms = 0,
                         .taken_ms = taken_ms, .satisfaction = 0};
}

/* Entry i of a merged batch as "day field incr" in buf. */
static const char *entry_text(sla_report_batch *b, size_t i, char *buf, size_t len)
{
    int64_t day;
    const char *field;
    size_t flen;
    long long incr;
    sla_report_batch_entry(b, i, &day, &field, &flen, &incr);
    snprintf(buf, len, "%lld %.*s %lld", (long long)day, (int)flen, field, incr);
    return buf;
}

static void test_escaping(void)
{
    sla_report_batch *b = sla_report_batch_new();
    static const char attrs[] = "channel\0a|b%c\0";
    char *dims[] = {"channel"};
    sla_outcome o = outcome(SLA_OUTCOME_STOPPED, SLA_METRIC_FIRST_RESPONSE, "p|1%", attrs,
                            sizeof attrs - 1, -1);
    CHECK_INT(sla_report_batch_add(b, &o, 3, dims, 1), 0);
    CHECK_INT(sla_report_batch_entries(b), 2);
    char buf[600];
    CHECK_STR(entry_text(b, 0, buf, sizeof buf), "3 first_response|p%7C1%25|channel=a%7Cb%25c|stopped 1");
    CHECK_STR(entry_text(b, 1, buf, sizeof buf), "3 first_response|p%7C1%25||stopped 1");

    /* Read back: the separators and percent signs come back whole. */
    sla_report_query *q = sla_report_query_new(-1, "channel");
    int64_t day;
    const char *field;
    size_t flen;
    long long incr;
    sla_report_batch_entry(b, 0, &day, &field, &flen, &incr);
    CHECK_INT(sla_report_query_add(q, field, flen, "7", 1), 0);
    CHECK_INT(sla_report_query_sort(q), 1);
    CHECK_STR(sla_report_query_row(q, 0)->group, "a|b%c");
    CHECK_INT(sla_report_query_row(q, 0)->n[SLA_OUTCOME_STOPPED], 7);
    sla_report_query_free(q);

    /* A long value is cut at SLA_REPORT_VALUE_MAX bytes, on a character
     * boundary (a 3-byte character straddling the limit goes whole). */
    char long_attrs[256];
    size_t n = 0;
    memcpy(long_attrs, "channel", 8);
    n = 8;
    memset(long_attrs + n, 'x', 62);
    n += 62;
    memcpy(long_attrs + n, "\xE5\xAE\xA2", 3); /* 客: bytes 63..65 */
    n += 3;
    long_attrs[n++] = '\0';
    sla_report_batch_clear(b);
    o = outcome(SLA_OUTCOME_STOPPED, SLA_METRIC_FIRST_RESPONSE, "p", long_attrs, n, -1);
    CHECK_INT(sla_report_batch_add(b, &o, 0, dims, 1), 0);
    CHECK_INT(sla_report_batch_entries(b), 2);
    entry_text(b, 0, buf, sizeof buf);
    CHECK(strstr(buf, "channel=xxxx") != NULL);
    CHECK(strstr(buf, "\xE5") == NULL);
    CHECK(strstr(buf, "x|stopped") != NULL);
    sla_report_batch_free(b);
}

static void test_batch_merge(void)
{
    sla_report_batch *b = sla_report_batch_new();
    static const char chat[] = "channel\0chat\0";
    static const char mail[] = "channel\0email\0";
    char *dims[] = {"channel"};
    /* 1000 met replies of one policy and channel merge into one field
     * per counter; another channel and another day stay apart. */
    for (int i = 0; i < 1000; i++) {
        sla_outcome o = outcome(SLA_OUTCOME_MET, SLA_METRIC_FIRST_RESPONSE, "std", chat,
                                sizeof chat - 1, 10000);
        CHECK_INT(sla_report_batch_add(b, &o, 20000, dims, 1), 0);
    }
    sla_outcome o = outcome(SLA_OUTCOME_BREACHED, SLA_METRIC_FIRST_RESPONSE, "std", mail,
                            sizeof mail - 1, -1);
    CHECK_INT(sla_report_batch_add(b, &o, 20000, dims, 1), 0);
    o = outcome(SLA_OUTCOME_MET, SLA_METRIC_FIRST_RESPONSE, "std", chat, sizeof chat - 1, 10000);
    CHECK_INT(sla_report_batch_add(b, &o, 19999, dims, 1), 0);
    o = outcome(SLA_OUTCOME_CSAT, SLA_METRIC_FOLLOW_UP, "std", chat, sizeof chat - 1, -1);
    o.satisfaction = 4;
    CHECK_INT(sla_report_batch_add(b, &o, 20000, dims, 1), 0);
    CHECK_INT(sla_report_batch_add(b, &o, 20000, dims, 1), 0);

    size_t n = sla_report_batch_entries(b);
    /* Per day, the total and the channel's group. Day 19999: met and h0
     * x2 (4). Day 20000: chat's met and h0 x2 (4), breached in the total
     * and email's group (2), follow_up's csat_n and csat_sum x2 (4). */
    CHECK_INT(n, 14);
    CHECK_INT(sla_report_batch_entries(b), 14); /* merging twice changes nothing */
    char buf[600];
    CHECK_STR(entry_text(b, 0, buf, sizeof buf), "19999 first_response|std|channel=chat|h0 1");
    int seen_met = 0, seen_sum = 0;
    for (size_t i = 0; i < n; i++) {
        entry_text(b, i, buf, sizeof buf);
        if (strcmp(buf, "20000 first_response|std||met 1000") == 0)
            seen_met = 1;
        if (strcmp(buf, "20000 follow_up|std|channel=chat|csat_sum 8") == 0)
            seen_sum = 1;
    }
    CHECK(seen_met);
    CHECK(seen_sum);
    /* Added to after it was read: still one entry per counter. */
    o = outcome(SLA_OUTCOME_MET, SLA_METRIC_FIRST_RESPONSE, "std", chat, sizeof chat - 1, 10000);
    CHECK_INT(sla_report_batch_add(b, &o, 19999, dims, 1), 0);
    CHECK_INT(sla_report_batch_entries(b), 14);
    CHECK_STR(entry_text(b, 0, buf, sizeof buf), "19999 first_response|std|channel=chat|h0 2");
    sla_report_batch_clear(b);
    CHECK_INT(sla_report_batch_entries(b), 0);
    sla_report_batch_free(b);
}

static void test_days(void)
{
    char name[11];
    sla_report_day_name(0, name);
    CHECK_STR(name, "1970-01-01");
    sla_report_day_name(20454, name);
    CHECK_STR(name, "2026-01-01");
    int64_t d;
    CHECK_INT(sla_report_day_parse("2026-01-01", &d), 0);
    CHECK_INT(d, 20454);
    CHECK_INT(sla_report_day_parse("2024-02-29", &d), 0); /* leap day */
    sla_report_day_name(d, name);
    CHECK_STR(name, "2024-02-29");
    CHECK_INT(sla_report_day_parse("2026-02-29", &d), -1); /* not a leap year */
    CHECK_INT(sla_report_day_parse("2026-02-30", &d), -1);
    CHECK_INT(sla_report_day_parse("2026-13-01", &d), -1);
    CHECK_INT(sla_report_day_parse("2026-1-01", &d), -1);
    CHECK_INT(sla_report_day_parse("2026-01-01x", &d), -1);
    CHECK_INT(sla_report_day_parse("1969-12-31", &d), -1);
    CHECK_INT(sla_report_day_parse("", &d), -1);
    /* Every day of four centuries round-trips. */
    int bad = 0;
    for (int64_t day = 0; day < 146097 * 2; day++) {
        sla_report_day_name(day, name);
        if (sla_report_day_parse(name, &d) < 0 || d != day)
            bad++;
    }
    CHECK_INT(bad, 0);
}

static void test_quantiles(void)
{
    sla_report_row r;
    memset(&r, 0, sizeof r);
    CHECK_INT(sla_report_quantile(&r, 0.5), -1); /* nothing met */
    CHECK(sla_report_achievement(&r) < 0);       /* nothing decided */
    CHECK_INT(sla_report_bucket(0), 0);
    CHECK_INT(sla_report_bucket(30000), 0);      /* on a bound: in it */
    CHECK_INT(sla_report_bucket(30001), 1);
    CHECK_INT(sla_report_bucket(INT64_MAX), SLA_REPORT_BUCKETS - 1);
    /* 5 in 30 s, 4 in 1 min, 1 in the open bucket. */
    r.hist[0] = 5;
    r.hist[1] = 4;
    r.hist[SLA_REPORT_BUCKETS - 1] = 1;
    CHECK_INT(sla_report_quantile(&r, 0.5), 30000); /* the 5th of 10 */
    CHECK_INT(sla_report_quantile(&r, 0.6), 60000);
    CHECK_INT(sla_report_quantile(&r, 0.9), 60000);
    CHECK(sla_report_quantile(&r, 0.95) == INT64_MAX);
    r.n[SLA_OUTCOME_MET] = 3;
    r.n[SLA_OUTCOME_LATE] = 1;
    r.n[SLA_OUTCOME_STOPPED] = 100; /* promised nothing that came due */
    CHECK(sla_report_achievement(&r) > 74.99 && sla_report_achievement(&r) < 75.01);
}

static void test_query_ignores_others(void)
{
    sla_report_query *q = sla_report_query_new(SLA_METRIC_RESOLUTION, NULL);
    const char *fields[] = {"resolution|std||met",   "resolution|std||h3",
                            "first_response|std||met", /* another metric */
                            "resolution|std|channel=chat|met", /* a dimension row */
                            "resolution|std||nosuch", "nosuch|std||met", "resolution|std|met",
                            "resolution|std||late"};
    const char *values[] = {"2", "2", "9", "9", "9", "9", "9", "x"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        CHECK_INT(sla_report_query_add(q, fields[i], strlen(fields[i]), values[i],
                                       strlen(values[i])),
                  0);
    CHECK_INT(sla_report_query_sort(q), 1);
    const sla_report_row *r = sla_report_query_row(q, 0);
    CHECK_INT(r->n[SLA_OUTCOME_MET], 2);
    CHECK_INT(r->n[SLA_OUTCOME_LATE], 0); /* "x" is no number */
    CHECK_INT(r->hist[3], 2);
    sla_report_query_free(q);
}

int main(void)
{
    test_escaping();
    test_batch_merge();
    test_days();
    test_quantiles();
    test_query_ignores_others();
    return CHECK_DONE();
}
