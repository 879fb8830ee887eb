/*
 * test_delivery_hours — when a notice may first be sent (lib/sla_delivery_hours).
 *
 * The configuration is loaded from a real file (mkdtemp), so the settings
 * `deliver` (policy and step) and the receiver's `calendar` are read as
 * slad reads them. Expected instants are written by hand in UTC: across a
 * weekend, a lunch break, holidays and an extra working day (Asia/Shanghai,
 * no DST), and both daylight-saving changes of Europe/Berlin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sla_config.h"
#include "sla_delivery_hours.h"
#include "sla_timefmt.h"
#include "test_files.h"

#define MIN_MS 60000LL
#define H_MS (60 * MIN_MS)
#define DAY_MS (24 * H_MS)

static char dir[256], path[300];

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return sla_days_from_civil(y, mo, d) * DAY_MS + h * H_MS + mi * MIN_MS;
}

static sla_config *load(const char *text, char *err, size_t errlen)
{
    test_write_text(path, text);
    sla_config *cfg = NULL;
    if (sla_config_load(path, &cfg, err, errlen) < 0)
        return NULL;
    return cfg;
}

static const char conf[] =
    "calendars = (\n"
    "  { name = \"cn\"; timezone = \"Asia/Shanghai\";\n"
    "    hours = { mon = [ \"09:00-12:00\", \"13:00-18:00\" ]; tue = [ \"09:00-12:00\", \"13:00-18:00\" ];\n"
    "              wed = [ \"09:00-12:00\", \"13:00-18:00\" ]; thu = [ \"09:00-12:00\", \"13:00-18:00\" ];\n"
    "              fri = [ \"09:00-12:00\", \"13:00-18:00\" ]; };\n"
    "    holidays = [ \"2026-10-01\", \"2026-10-02\", \"2026-10-05\", \"2026-10-06\", \"2026-10-07\" ];\n"
    "    workdays = [ \"2026-10-10\" ]; },\n"
    "  { name = \"berlin\"; timezone = \"Europe/Berlin\";\n"
    "    hours = { mon = [ \"09:00-17:00\" ]; tue = [ \"09:00-17:00\" ]; wed = [ \"09:00-17:00\" ];\n"
    "              thu = [ \"09:00-17:00\" ]; fri = [ \"09:00-17:00\" ]; }; }\n"
    ");\n"
    "receivers = (\n"
    "  { name = \"cn-team\"; url = \"http://127.0.0.1:1/cn\"; calendar = \"cn\";\n"
    "    timezone = \"Asia/Shanghai\"; },\n"
    "  { name = \"de-team\"; url = \"http://127.0.0.1:1/de\"; calendar = \"berlin\"; },\n"
    "  { name = \"oncall\"; url = \"http://127.0.0.1:1/oncall\"; }\n"
    ");\n"
    "policies = (\n"
    "  { name = \"office\"; deliver = \"working_hours\";\n"
    "    first_response = { target = \"1h\"; warn = \"10m\";\n"
    "      escalate = ( { after = \"0s\"; notify = [ \"cn-team\", \"de-team\", \"oncall\" ]; },\n"
    "                   { after = \"2h\"; notify = [ \"cn-team\" ]; deliver = \"at_once\"; } );\n"
    "      recovered = true; }; },\n"
    "  { name = \"mixed\";\n"
    "    first_response = { target = \"1h\";\n"
    "      escalate = ( { after = \"0s\"; notify = [ \"cn-team\" ]; },\n"
    "                   { after = \"1h\"; notify = [ \"cn-team\" ]; deliver = \"working_hours\";\n"
    "                     repeat = \"1h\"; } ); }; }\n"
    ");\n";

static sla_decision notice(int kind, int level, const char *policy, const char *receiver,
                           int64_t fired)
{
    sla_decision d = {0};
    d.kind = kind;
    d.ticket = (char *)"T-1";
    d.metric = SLA_METRIC_FIRST_RESPONSE;
    d.level = level;
    d.policy = (char *)policy;
    d.receiver = (char *)receiver;
    d.deadline_ms = fired - 1;
    d.fired_ms = fired;
    return d;
}

static int same(int64_t got, int64_t want, int line)
{
    if (got == want)
        return 1;
    char g[40], w[40];
    sla_time_format(got, g, sizeof g);
    sla_time_format(want, w, sizeof w);
    fprintf(stderr, "%s:%d: got %s, want %s\n", __FILE__, line, g, w);
    return 0;
}

/* A breach of "office" to receiver at fired is first sent at want. */
#define HELD(receiver, fired, want)                                                       \
    do {                                                                                  \
        sla_decision d_ = notice(SLA_DECISION_BREACH, 1, "office", receiver, fired);      \
        CHECK(same(sla_delivery_not_before(cfg, &d_), want, __LINE__));                   \
    } while (0)

static void test_shanghai(sla_config *cfg)
{
    /* Saturday 10:00 (02:00Z) -> Monday 09:00 (01:00Z). */
    HELD("cn-team", utc(2026, 11, 28, 2, 0), utc(2026, 11, 30, 1, 0));
    /* Friday 18:30 -> Monday 09:00; the end of a range is not working. */
    HELD("cn-team", utc(2026, 11, 27, 10, 30), utc(2026, 11, 30, 1, 0));
    HELD("cn-team", utc(2026, 11, 27, 10, 0), utc(2026, 11, 30, 1, 0));
    /* Lunch break 12:30 -> 13:00 the same day. */
    HELD("cn-team", utc(2026, 11, 25, 4, 30), utc(2026, 11, 25, 5, 0));
    /* Working time: at once, to the millisecond. */
    HELD("cn-team", utc(2026, 11, 25, 2, 0) + 17, utc(2026, 11, 25, 2, 0) + 17);
    HELD("cn-team", utc(2026, 11, 25, 1, 0), utc(2026, 11, 25, 1, 0));
    /* Before opening on a weekday: 07:59 -> 09:00. */
    HELD("cn-team", utc(2026, 11, 24, 23, 59), utc(2026, 11, 25, 1, 0));
    /* National Day: Wednesday 30 Sep 19:00 -> Thursday 8 Oct 09:00 over the
     * holidays and the weekend ... */
    HELD("cn-team", utc(2026, 9, 30, 11, 0), utc(2026, 10, 8, 1, 0));
    /* ... and Friday 9 Oct 19:00 -> the extra working Saturday 10 Oct. */
    HELD("cn-team", utc(2026, 10, 9, 11, 0), utc(2026, 10, 10, 1, 0));
}

static void test_zones_and_dst(sla_config *cfg)
{
    /* One instant, two receivers: Monday 11:00 in Shanghai is working
     * time, 04:00 in Berlin is not (09:00 CET = 08:00Z). */
    int64_t mon = utc(2026, 11, 30, 3, 0);
    HELD("cn-team", mon, mon);
    HELD("de-team", mon, utc(2026, 11, 30, 8, 0));
    /* Spring forward (Sunday 29 Mar 2026): Saturday 21:00 CET -> Monday
     * 09:00 CEST = 07:00Z, not 08:00Z. */
    HELD("de-team", utc(2026, 3, 28, 20, 0), utc(2026, 3, 30, 7, 0));
    /* Fall back (Sunday 25 Oct 2026): Friday 20:00 CEST -> Monday 09:00
     * CET = 08:00Z. */
    HELD("de-team", utc(2026, 10, 23, 18, 0), utc(2026, 10, 26, 8, 0));
    /* Friday 16:59 CEST is still working; 17:00 is not. */
    HELD("de-team", utc(2026, 10, 23, 14, 59), utc(2026, 10, 23, 14, 59));
    HELD("de-team", utc(2026, 10, 23, 15, 0), utc(2026, 10, 26, 8, 0));
}

static void test_rules(sla_config *cfg)
{
    int64_t sat = utc(2026, 11, 28, 2, 0), mon = utc(2026, 11, 30, 1, 0);
    struct {
        int kind, level;
        const char *policy, *receiver;
        int64_t want;
        enum sla_deliver rule;
    } cases[] = {
        /* a receiver without a calendar gets everything at once */
        {SLA_DECISION_BREACH, 1, "office", "oncall", sat, SLA_DELIVER_WORKING_HOURS},
        /* warnings and recoveries follow the policy */
        {SLA_DECISION_WARNING, 0, "office", "cn-team", mon, SLA_DELIVER_WORKING_HOURS},
        {SLA_DECISION_RECOVERED, 1, "office", "cn-team", mon, SLA_DELIVER_WORKING_HOURS},
        {SLA_DECISION_RECOVERED, 2, "office", "cn-team", mon, SLA_DELIVER_WORKING_HOURS},
        /* a step's own deliver wins over the policy's */
        {SLA_DECISION_ESCALATION, 2, "office", "cn-team", sat, SLA_DELIVER_AT_ONCE},
        /* the policy's default is at once ... */
        {SLA_DECISION_BREACH, 1, "mixed", "cn-team", sat, SLA_DELIVER_AT_ONCE},
        {SLA_DECISION_WARNING, 0, "mixed", "cn-team", sat, SLA_DELIVER_AT_ONCE},
        /* ... but its second step, and that step's repeats, wait */
        {SLA_DECISION_ESCALATION, 2, "mixed", "cn-team", mon, SLA_DELIVER_WORKING_HOURS},
        {SLA_DECISION_ESCALATION, 5, "mixed", "cn-team", mon, SLA_DELIVER_WORKING_HOURS},
        /* a policy no longer configured, an unknown receiver, nobody */
        {SLA_DECISION_BREACH, 1, "gone", "cn-team", sat, SLA_DELIVER_AT_ONCE},
        {SLA_DECISION_BREACH, 1, "office", "gone", sat, SLA_DELIVER_WORKING_HOURS},
        {SLA_DECISION_BREACH, 1, "office", "", sat, SLA_DELIVER_WORKING_HOURS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sla_decision d = notice(cases[i].kind, cases[i].level, cases[i].policy,
                                cases[i].receiver, sat);
        if (!same(sla_delivery_not_before(cfg, &d), cases[i].want, __LINE__))
            fprintf(stderr, "  case %zu\n", i);
        CHECK_INT(sla_delivery_not_before(cfg, &d), cases[i].want);
        CHECK_INT(sla_delivery_rule(cfg, &d), cases[i].rule);
    }
    /* Asked again later (after a restart), the answer is the same. */
    sla_decision d = notice(SLA_DECISION_BREACH, 1, "office", "cn-team", sat);
    CHECK_INT(sla_delivery_not_before(cfg, &d), sla_delivery_not_before(cfg, &d));
}

static void test_settings(void)
{
    char err[512];
    static const char bad_deliver[] =
        "receivers = ( { name = \"a\"; url = \"http://a/\"; } );\n"
        "policies = ( { name = \"p\"; deliver = \"later\";\n"
        "  first_response = { target = \"1h\"; escalate = ( { notify = [ \"a\" ]; } ); }; } );\n";
    CHECK(load(bad_deliver, err, sizeof err) == NULL);
    CHECK(strstr(err, ":2: policies.[0].deliver: unknown deliver 'later' (at_once, "
                      "working_hours)") != NULL);
    if (!strstr(err, "unknown deliver"))
        fprintf(stderr, "  %s\n", err);
    static const char bad_step[] =
        "receivers = ( { name = \"a\"; url = \"http://a/\"; } );\n"
        "policies = ( { name = \"p\";\n"
        "  first_response = { target = \"1h\";\n"
        "    escalate = ( { notify = [ \"a\" ]; deliver = 1; } ); }; } );\n";
    CHECK(load(bad_step, err, sizeof err) == NULL);
    CHECK(strstr(err, ":4: policies.[0].first_response.escalate.[0].deliver:") != NULL);
    static const char bad_calendar[] =
        "receivers = ( { name = \"a\"; url = \"http://a/\";\n"
        "                calendar = \"nope\"; } );\n";
    CHECK(load(bad_calendar, err, sizeof err) == NULL);
    CHECK(strstr(err, ":2: receivers.[0].calendar: unknown calendar 'nope'") != NULL);
    if (!strstr(err, "unknown calendar"))
        fprintf(stderr, "  %s\n", err);
    static const char am_calendar[] =
        "calendars = ( { name = \"c\"; timezone = \"UTC\"; hours = { mon = [ \"09:00-17:00\" ]; }; } );\n"
        "receivers = ( { name = \"am\"; format = \"alertmanager\";\n"
        "                url = \"http://127.0.0.1:9093/api/v2/alerts\"; calendar = \"c\"; } );\n";
    CHECK(load(am_calendar, err, sizeof err) == NULL);
    CHECK(strstr(err, ":3: receivers.[0].calendar: receiver 'am': an alertmanager receiver "
                      "keeps no calendar") != NULL);
    if (!strstr(err, "alertmanager receiver"))
        fprintf(stderr, "  %s\n", err);
}

/*
 * The shipped configuration: the renewal reminder waits for the business
 * calendar of team_lead (Shanghai, Monday to Friday); a ticket breach to
 * the same receiver does not wait.
 */
static void test_shipped(void)
{
    const char *src = getenv("SLA_SOURCE_DIR");
    char conf_path[512], err[512];
    snprintf(conf_path, sizeof conf_path, "%s/conf/slad.conf", src && *src ? src : ".");
    sla_config *cfg = NULL;
    if (sla_config_load(conf_path, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "  %s\n", err);
        CHECK(0);
        return;
    }
    /* Friday 2026-11-27 20:00 in Shanghai -> Monday 09:00. */
    int64_t fri = utc(2026, 11, 27, 12, 0), mon = utc(2026, 11, 30, 1, 0);
    sla_decision d = notice(SLA_DECISION_BREACH, 1, "customer-reminder", "team_lead", fri);
    d.metric = SLA_METRIC_REMINDER;
    CHECK(same(sla_delivery_not_before(cfg, &d), mon, __LINE__));
    d.kind = SLA_DECISION_WARNING;
    d.level = 0;
    CHECK(same(sla_delivery_not_before(cfg, &d), mon, __LINE__));
    d.receiver = (char *)"supervisor"; /* keeps no calendar */
    CHECK(same(sla_delivery_not_before(cfg, &d), fri, __LINE__));
    const sla_policy *p = cfg->npolicies ? &cfg->policies[0] : NULL;
    CHECK(p && p->deliver != SLA_DELIVER_WORKING_HOURS);
    if (p) {
        sla_decision t = notice(SLA_DECISION_BREACH, 1, p->name, "team_lead", fri);
        CHECK(same(sla_delivery_not_before(cfg, &t), fri, __LINE__));
    }
    sla_config_free(cfg);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_delivery_hours.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(path, sizeof path, "%s/t.conf", dir);
    char err[512];
    sla_config *cfg = load(conf, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "loading: %s\n", err);
        return 1;
    }
    CHECK_INT(cfg->receivers[0].calendar, 0);
    CHECK_INT(cfg->receivers[1].calendar, 1);
    CHECK_INT(cfg->receivers[2].calendar, -1);
    CHECK_INT(cfg->policies[0].deliver, SLA_DELIVER_WORKING_HOURS);
    CHECK_INT(cfg->policies[1].deliver, SLA_DELIVER_UNSET);
    test_shanghai(cfg);
    test_zones_and_dst(cfg);
    test_rules(cfg);
    sla_config_free(cfg);
    test_settings();
    test_shipped();
    unlink(path);
    rmdir(dir);
    return CHECK_DONE();
}
