/*
 * test_reportview — the report as an answer and as text (sla_reportview):
 * the rows capped under the control protocol's 1 MiB with "more", the
 * table and CSV, the live-vs-replayed lines.
 */
#include <stdlib.h>

#include "check.h"
#include "sla_ctlproto.h"
#include "sla_reportview.h"

static void add(sla_report_query *q, const char *field, const char *value)
{
    CHECK_INT(sla_report_query_add(q, field, strlen(field), value, strlen(value)), 0);
}

/* Groups of 64 control characters (escaped as \u0001, 6 bytes each) and
 * counters near INT64_MAX: the largest rows slad's counters can make. */
static void test_cap(void)
{
    sla_report_query *q = sla_report_query_new(-1, "channel");
    const char *stats[] = {"met", "late", "stopped", "breached", "h0", "h15", "csat_n", "csat_sum"};
    for (int i = 0; i < 1500; i++) {
        char field[256];
        int n = snprintf(field, sizeof field, "first_response|p|channel=%04d", i);
        memset(field + n, 1, 60);
        for (size_t s = 0; s < sizeof stats / sizeof stats[0]; s++) {
            snprintf(field + n + 60, sizeof field - (size_t)n - 60, "|%s", stats[s]);
            add(q, field, "1000000000000000000");
        }
    }
    json_t *a = sla_report_answer(q, 20000, 20006, "channel", -1, "UTC");
    CHECK(a != NULL);
    size_t rows = json_array_size(json_object_get(a, "rows"));
    CHECK(rows <= SLA_REPORT_MAX_ROWS);
    CHECK(rows > 0);
    CHECK_INT(json_integer_value(json_object_get(a, "more")), 1500 - (long long)rows);
    CHECK(json_is_true(json_object_get(a, "truncated")));
    /* The whole response (wrapped as the control socket does) fits. */
    json_t *resp = json_pack("{s:b, s:O}", "ok", 1, "data", a);
    size_t size = json_dumpb(resp, NULL, 0, JSON_COMPACT);
    CHECK(size < SLA_CTL_MAX_RESPONSE);
    json_decref(resp);
    char *text = sla_report_render(a, 0);
    CHECK(text != NULL && strstr(text, " more rows not shown") != NULL);
    free(text);
    json_decref(a);
    sla_report_query_free(q);

    /* Plain rows: the row cap itself. */
    q = sla_report_query_new(-1, "channel");
    for (int i = 0; i < 1200; i++) {
        char field[128];
        snprintf(field, sizeof field, "first_response|p|channel=c%04d|met", i);
        add(q, field, "1");
    }
    a = sla_report_answer(q, 20000, 20000, "channel", -1, "UTC");
    CHECK_INT(json_array_size(json_object_get(a, "rows")), SLA_REPORT_MAX_ROWS);
    CHECK_INT(json_integer_value(json_object_get(a, "more")), 200);
    text = sla_report_render(a, 0);
    CHECK(text != NULL && strstr(text, "(200 more rows not shown") != NULL);
    free(text);
    json_decref(a);
    sla_report_query_free(q);
}

static json_t *small_answer(const char *met, const char *breached)
{
    sla_report_query *q = sla_report_query_new(-1, NULL);
    add(q, "first_response|chat||met", met);
    add(q, "first_response|chat||h0", met);
    add(q, "first_response|chat||breached", breached);
    add(q, "follow_up|chat||csat_n", "2");
    add(q, "follow_up|chat||csat_sum", "9");
    add(q, "follow_up|chat||stopped", "2");
    json_t *a = sla_report_answer(q, 20454, 20460, "policy", -1, "UTC");
    sla_report_query_free(q);
    return a;
}

static void test_render(void)
{
    json_t *a = small_answer("3", "1");
    CHECK_INT(json_integer_value(json_object_get(a, "more")), 0);
    CHECK(json_is_false(json_object_get(a, "truncated")));
    char *text = sla_report_render(a, 0);
    CHECK_STR(text,
              "2026-01-01 .. 2026-01-07 (UTC), by policy\n"
              "METRIC          POLICY  ENDED  ON TIME  ACHIEVED  BREACHES  MEDIAN  P90  CSAT  CSAT N\n"
              "first_response  chat    4      3        75.0 %    1         30s     30s  -     0\n"
              "follow_up       chat    2      0        -         0         -       -    4.50  2\n");
    free(text);
    text = sla_report_render(a, 1);
    CHECK_STR(text, "from,to,metric,policy,ended,met,late,stopped,breached,achievement,median_ms,"
                    "p90_ms,csat_avg,csat_n\n"
                    "2026-01-01,2026-01-07,first_response,chat,4,3,0,0,1,75.0,30000,30000,,0\n"
                    "2026-01-01,2026-01-07,follow_up,chat,2,0,0,2,0,,,,4.50,2\n");
    free(text);
    json_decref(a);
}

static void test_diff(void)
{
    json_t *live = small_answer("4120", "1");
    json_t *tight = small_answer("0", "4121");
    char *text = sla_report_render_diff(live, tight);
    CHECK_STR(text, "first_response chat: 4,120 more breaches (4,121 instead of 1), achievement "
                    "100.0 % -> 0.0 %\n"
                    "follow_up chat: the same breaches (0), achievement - -> -\n");
    free(text);
    text = sla_report_render_diff(tight, live);
    CHECK(strstr(text, "4,120 fewer breaches") != NULL);
    free(text);
    json_decref(live);
    json_decref(tight);
}

static void test_targets(void)
{
    sla_policy lp[2], rp[2];
    memset(lp, 0, sizeof lp);
    memset(rp, 0, sizeof rp);
    lp[0].name = "chat";
    lp[0].metrics[SLA_METRIC_FIRST_RESPONSE] = (sla_target){.defined = 1, .target = {30000, 0, 0}};
    lp[0].metrics[SLA_METRIC_RESOLUTION] = (sla_target){.defined = 1, .target = {0, 2, 0}};
    lp[1].name = "old";
    rp[0] = lp[0];
    rp[1].name = "new";
    sla_config live = {0}, replayed = {0};
    live.policies = lp;
    live.npolicies = 2;
    replayed.policies = rp;
    replayed.npolicies = 2;
    /* Same targets, other policies. */
    char *text = sla_report_render_targets(&live, &replayed);
    CHECK_STR(text, "new: not in the live configuration\nold: not in the replay\n");
    free(text);
    replayed.npolicies = 1;
    live.npolicies = 1;
    text = sla_report_render_targets(&live, &replayed);
    CHECK_STR(text, "");
    free(text);
    rp[0].metrics[SLA_METRIC_FIRST_RESPONSE].target.ms = 20000;
    rp[0].metrics[SLA_METRIC_RESOLUTION].defined = 0;
    rp[0].metrics[SLA_METRIC_PICKUP] = (sla_target){.defined = 1, .target = {0, 0, 3}};
    text = sla_report_render_targets(&live, &replayed);
    CHECK_STR(text, "chat first_response: target 20s instead of 30s\n"
                    "chat pickup: target 3 rings, not set live\n"
                    "chat resolution: not set, 2d live\n");
    free(text);
}

int main(void)
{
    test_cap();
    test_render();
    test_diff();
    test_targets();
    return CHECK_DONE();
}
