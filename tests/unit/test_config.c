/*
 * test_config — loading and validating configuration files (sla_config).
 *
 * Each case writes its files into a fresh mkdtemp directory, loads them and
 * checks either the values or the exact one-line error
 * "FILE:LINE: SETTING-PATH: reason". The shipped conf/slad.conf (with
 * norms.conf) is loaded from $SLA_SOURCE_DIR (default ".").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "sla_config.h"
#include "test_files.h"

static char dir[256];
static char main_path[300];

static void write_file(const char *name, mode_t mode, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    test_write_text(path, text);
    chmod(path, mode);
}

/* Write text as the main file and load it; err holds the error. */
static sla_config *load(const char *text, char *err, size_t errlen)
{
    sla_config *cfg = (sla_config *)1;
    write_file("t.conf", 0644, text);
    int rc = sla_config_load(main_path, &cfg, err, errlen);
    CHECK((rc == 0) == (cfg != NULL));
    return cfg;
}

/*
 * Load text, which must fail with exactly "<main file>:" + expected (or,
 * when expected starts with '~', with an error containing the rest).
 */
static int expect_error_at(int line, const char *text, const char *expected)
{
    char err[1024], want[1024];
    sla_config *cfg = load(text, err, sizeof err);
    if (cfg) {
        sla_config_free(cfg);
        fprintf(stderr, "%s:%d: loaded, expected an error\n", __FILE__, line);
        check_failed++;
        return -1;
    }
    if (expected[0] == '~') {
        if (strstr(err, expected + 1)) {
            check_passed++;
            return 0;
        }
        fprintf(stderr, "%s:%d: error \"%s\" lacks \"%s\"\n", __FILE__, line, err, expected + 1);
        check_failed++;
        return -1;
    }
    snprintf(want, sizeof want, "%s:%s", main_path, expected);
    if (strcmp(err, want) == 0) {
        check_passed++;
        return 0;
    }
    fprintf(stderr, "%s:%d: error\n  got  \"%s\"\n  want \"%s\"\n", __FILE__, line, err, want);
    check_failed++;
    return -1;
}
#define EXPECT_ERROR(text, expected) expect_error_at(__LINE__, text, expected)

/* --- good files ------------------------------------------------------------- */

static void test_minimal(void)
{
    char err[512];
    sla_config *c = load("", err, sizeof err);
    CHECK(c != NULL);
    if (!c) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_STR(c->path, main_path);
    CHECK_INT(c->log_level, LOG_INFO);
    CHECK_INT(c->partitions, 1);
    CHECK(c->instance.name != NULL && c->instance.name[0] != '\0');
    CHECK_INT(c->instance.lease_ttl_ms, 5000);
    CHECK_STR(c->redis.host, "127.0.0.1");
    CHECK_INT(c->redis.port, 6379);
    CHECK(c->redis.unix_socket == NULL);
    CHECK(c->redis.password == NULL);
    CHECK_INT(c->redis.db, 0);
    CHECK_INT(c->redis.connect_timeout_ms, 2000);
    CHECK_INT(c->redis.ncluster, 0);
    CHECK_INT(c->redis.wait_replicas, 0);
    CHECK_INT(c->redis.wait_timeout_ms, 1000);
    CHECK_STR(c->stream.prefix, "sla:");
    CHECK_STR(c->stream.group, "slad");
    char host[256] = "", consumer[300];
    gethostname(host, sizeof host - 1);
    snprintf(consumer, sizeof consumer, "slad-%s", host);
    CHECK_STR(c->stream.consumer, consumer);
    CHECK_INT(c->stream.batch, 500);
    CHECK_INT(c->stream.block_ms, 2000);
    CHECK_INT(c->stream.claim_idle_ms, 60000);
    CHECK_INT(c->stream.max_future_skew_ms, 300000);
    CHECK_INT(c->stream.limits.max_past_age_ms, INT64_C(30) * 86400000);
    CHECK_INT(c->stream.limits.max_entry_bytes, 65536);
    CHECK_INT(c->stream.limits.max_fields, 64);
    CHECK_INT(c->stream.limits.max_value_bytes, 8192);
    CHECK_STR(c->control_socket, "/run/slad/slad.sock");
    CHECK_STR(c->http_listen, "127.0.0.1:9464");
    CHECK_INT(c->ring_ms, 5000);
    CHECK_INT(c->pausable_mask, (1u << SLA_METRIC_RESOLUTION) | (1u << SLA_METRIC_PERIODIC_UPDATE));
    CHECK_INT(c->revisit[SLA_REVISIT_SATISFIED].days, 90);
    CHECK_INT(c->revisit[SLA_REVISIT_AVERAGE].days, 7);
    CHECK_INT(c->revisit[SLA_REVISIT_UNSATISFIED].ms, 24LL * 3600 * 1000);
    CHECK_INT(c->ncalendars, 0);
    CHECK_INT(c->nreceivers, 0);
    CHECK_INT(c->npolicies, 0);
    sla_config_free(c);
}

static const char full_conf[] =
    "log_level = \"debug\"; partitions = 16; instance = { name = \"node-a.dc1\"; lease_ttl = \"3s\"; };\n"
    "redis = { host = \"redis.local\"; port = 6380; unix_socket = \"/run/r.sock\";\n"
    "          password_file = \"redis.pw\"; db = 3; connect_timeout = \"1500ms\"; };\n"
    "stream = { prefix = \"{p0}:\"; group = \"g\"; consumer = \"c-1\"; batch = 10; block = \"1s\";\n"
    "           claim_idle = 30000; max_future_skew = \"1m\"; max_entry_bytes = 4096;\n"
    "           max_fields = 16; max_value_bytes = 1024; max_past_age = \"7d\"; };\n"
    "control = { socket = \"/tmp/slad.sock\"; };\n"
    "http = { listen = \"\"; };\n"
    "clocks = { ring_seconds = 6; pausable = [ \"resolution\" ]; };\n"
    "revisit = { satisfied = \"30d\"; average = \"3d\"; unsatisfied = \"12h\"; };\n"
    "calendars = ( { name = \"biz\"; timezone = \"Europe/Berlin\";\n"
    "                hours = { mon = [ \"09:00-12:00\", \"13:00-17:30\" ]; fri = \"22:00-06:00\";\n"
    "                          sun = [ \"20:00-24:00\" ]; };\n"
    "                holidays = [ \"2026-12-25\" ]; workdays = [ \"2026-12-19\" ];\n"
    "                extra_day_hours = \"fri\"; } );\n"
    "receivers = (\n"
    "  { name = \"a\"; url = \"https://a.example/hook\"; secret_file = \"a.secret\"; },\n"
    "  { name = \"ding\"; url = \"http://d.example/\"; format = \"dingtalk\"; },\n"
    "  { name = \"fei\"; url = \"http://f.example/\"; format = \"feishu\"; },\n"
    "  { name = \"sl\"; url = \"http://s.example/\"; format = \"slack\"; rate_per_second = 3; },\n"
    "  { name = \"wc\"; url = \"http://w.example/\"; format = \"wecom\"; rate_per_minute = 0; },\n"
    "  { name = \"am\"; url = \"http://am.example/api/v2/alerts\"; format = \"alertmanager\";\n"
    "    resend_interval = \"30s\"; runbook_url = \"https://wiki.example/am\"; }\n"
    ");\n"
    "@include \"policies.conf\"\n";

static const char full_policies[] =
    "policies = (\n"
    "  { name = \"vip\";\n"
    "    match = { channel = [ \"chat\", \"phone\" ]; amount = \">= 1000.5\"; tier = 2;\n"
    "              complex = true; complaint_count = \"<3\"; };\n"
    "    first_response = { target = \"1h30m\"; calendar = \"biz\"; warn = \"80%\";\n"
    "      escalate = ( { notify = [ \"a\" ]; },\n"
    "                   { after = \"15m\"; notify = [ \"ding\", \"fei\" ]; },\n"
    "                   { after = \"15m\"; notify = \"sl\"; repeat = \"30m\"; max_repeats = 3; } );\n"
    "      recovered = true; };\n"
    "    pickup = { target = \"3 rings\"; warn = \"1 ring\"; warn_notify = [ \"wc\" ];\n"
    "      escalate = ( { notify = [ \"am\" ]; } ); };\n"
    "    callback = { escalate = ( { notify = [ \"a\" ]; } ); };\n"
    "  },\n"
    "  { resolution = { target = \"2d\"; warn = \"4h\"; warn_notify = [ \"a\", \"am\" ]; }; }\n"
    ");\n";

static void test_full(void)
{
    char err[512];
    write_file("redis.pw", 0600, "hunter2\n");
    write_file("a.secret", 0640, "whsec_abc\r\n");
    write_file("policies.conf", 0644, full_policies);
    sla_config *c = load(full_conf, err, sizeof err);
    CHECK(c != NULL);
    if (!c) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT(c->log_level, LOG_DEBUG);
    CHECK_INT(c->partitions, 16);
    CHECK_STR(c->instance.name, "node-a.dc1");
    CHECK_INT(c->instance.lease_ttl_ms, 3000);
    CHECK_STR(c->redis.host, "redis.local");
    CHECK_INT(c->redis.port, 6380);
    CHECK_STR(c->redis.unix_socket, "/run/r.sock");
    CHECK_STR(c->redis.password, "hunter2");
    CHECK_INT(c->redis.db, 3);
    CHECK_INT(c->redis.connect_timeout_ms, 1500);
    CHECK_STR(c->stream.prefix, "{p0}:");
    CHECK_STR(c->stream.group, "g");
    CHECK_STR(c->stream.consumer, "c-1");
    CHECK_INT(c->stream.batch, 10);
    CHECK_INT(c->stream.block_ms, 1000);
    CHECK_INT(c->stream.claim_idle_ms, 30000);
    CHECK_INT(c->stream.max_future_skew_ms, 60000);
    CHECK_INT(c->stream.limits.max_past_age_ms, INT64_C(7) * 86400000);
    CHECK_INT(c->stream.limits.max_entry_bytes, 4096);
    CHECK_INT(c->stream.limits.max_fields, 16);
    CHECK_INT(c->stream.limits.max_value_bytes, 1024);
    CHECK_STR(c->control_socket, "/tmp/slad.sock");
    CHECK_STR(c->http_listen, "");
    CHECK_INT(c->ring_ms, 6000);
    CHECK_INT(c->pausable_mask, 1u << SLA_METRIC_RESOLUTION);
    CHECK_INT(c->revisit[SLA_REVISIT_SATISFIED].days, 30);
    CHECK_INT(c->revisit[SLA_REVISIT_AVERAGE].days, 3);
    CHECK_INT(c->revisit[SLA_REVISIT_UNSATISFIED].ms, 12LL * 3600 * 1000);

    CHECK_INT(c->ncalendars, 1);
    CHECK_STR(c->calendar_names[0], "biz");
    CHECK_STR(sla_calendar_timezone(c->calendars[0]), "Europe/Berlin");
    CHECK_INT(sla_config_calendar_index(c, "biz"), 0);
    CHECK_INT(sla_config_calendar_index(c, "nope"), -1);

    CHECK_INT(c->nreceivers, 6);
    CHECK_INT(sla_config_receiver_index(c, "fei"), 2);
    CHECK_INT(sla_config_receiver_index(c, "nope"), -1);
    const sla_receiver *r = c->receivers;
    CHECK_STR(r[0].name, "a");
    CHECK_STR(r[0].url, "https://a.example/hook");
    CHECK_INT(r[0].format, SLA_FORMAT_JSON);
    CHECK_STR(r[0].secret, "whsec_abc");
    CHECK_INT(r[0].rate_per_second, 0);
    CHECK_INT(r[0].rate_per_minute, 0);
    CHECK_INT(r[0].line, 17);
    CHECK(r[1].secret == NULL);
    CHECK_INT(r[1].format, SLA_FORMAT_DINGTALK);
    CHECK_INT(r[1].rate_per_second, 0);
    CHECK_INT(r[1].rate_per_minute, 20);
    CHECK_INT(r[2].format, SLA_FORMAT_FEISHU);
    CHECK_INT(r[2].rate_per_second, 5);
    CHECK_INT(r[2].rate_per_minute, 100);
    CHECK_INT(r[3].format, SLA_FORMAT_SLACK);
    CHECK_INT(r[3].rate_per_second, 3); /* set */
    CHECK_INT(r[3].rate_per_minute, 0);
    CHECK_INT(r[4].format, SLA_FORMAT_WECOM);
    CHECK_INT(r[4].rate_per_second, 0);
    CHECK_INT(r[4].rate_per_minute, 0); /* set to unlimited */
    CHECK_INT(r[5].format, SLA_FORMAT_ALERTMANAGER);
    CHECK_INT(r[5].resend_interval_ms, 30000);
    CHECK_STR(r[5].runbook_url, "https://wiki.example/am");
    CHECK_INT(r[0].resend_interval_ms, 60000); /* the default */
    CHECK(r[0].runbook_url == NULL);

    CHECK_INT(c->npolicies, 2);
    const sla_policy *p = &c->policies[0];
    CHECK_STR(p->name, "vip");
    CHECK_INT(p->line, 2);
    CHECK(p->runbook_url == NULL);
    CHECK_INT(p->nmatch, 5);
    CHECK_STR(p->match[0].field, "channel");
    CHECK_INT(p->match[0].op, SLA_MATCH_EQUAL);
    CHECK_INT(p->match[0].nvalues, 2);
    CHECK_STR(p->match[0].values[1], "phone");
    CHECK_STR(p->match[1].field, "amount");
    CHECK_INT(p->match[1].op, SLA_MATCH_GE);
    CHECK(p->match[1].number == 1000.5);
    CHECK_INT(p->match[2].op, SLA_MATCH_EQUAL);
    CHECK_STR(p->match[2].values[0], "2");
    CHECK_STR(p->match[3].values[0], "true");
    CHECK_INT(p->match[4].op, SLA_MATCH_LT);
    CHECK(p->match[4].number == 3);

    const sla_target *t = &p->metrics[SLA_METRIC_FIRST_RESPONSE];
    CHECK_INT(t->defined, 1);
    CHECK_INT(t->target.ms, 90 * 60000);
    CHECK_INT(t->calendar, 0);
    CHECK_INT(t->warn_percent, 80);
    CHECK_INT(t->recovered, 1);
    CHECK_INT(t->nsteps, 3);
    CHECK(sla_span_is_zero(&t->steps[0].after));
    CHECK_INT(t->steps[0].nnotify, 1);
    CHECK_INT(t->steps[0].notify[0], 0);
    CHECK_INT(t->steps[1].after.ms, 15 * 60000);
    CHECK_INT(t->steps[1].nnotify, 2);
    CHECK_INT(t->steps[1].notify[1], 2);
    CHECK_INT(t->steps[2].notify[0], 3);
    CHECK_INT(t->steps[2].repeat.ms, 30 * 60000);
    CHECK_INT(t->steps[2].max_repeats, 3);
    CHECK(sla_span_is_zero(&t->steps[0].repeat));
    /* warn_notify defaults to the first step's receivers */
    CHECK_INT(t->nwarn_notify, 1);
    CHECK_INT(t->warn_notify[0], 0);

    t = &p->metrics[SLA_METRIC_PICKUP];
    CHECK_INT(t->defined, 1);
    CHECK_INT(t->target.rings, 3);
    CHECK_INT(t->warn_before.rings, 1);
    CHECK_INT(t->calendar, -1);
    CHECK_INT(t->nwarn_notify, 1);
    CHECK_INT(t->warn_notify[0], 4);
    CHECK_INT(t->recovered, 0);

    t = &p->metrics[SLA_METRIC_CALLBACK];
    CHECK_INT(t->defined, 1);
    CHECK(sla_span_is_zero(&t->target));
    CHECK_INT(p->metrics[SLA_METRIC_RESOLUTION].defined, 0);
    CHECK_INT(p->metrics[SLA_METRIC_RESOLUTION].calendar, -1);

    p = &c->policies[1];
    CHECK_STR(p->name, "policy-1");
    CHECK_INT(p->nmatch, 0);
    t = &p->metrics[SLA_METRIC_RESOLUTION];
    CHECK_INT(t->target.days, 2);
    CHECK_INT(t->calendar, -1);
    CHECK_INT(t->warn_before.ms, 4 * 3600000);
    CHECK_INT(t->nsteps, 0);
    CHECK_INT(t->nwarn_notify, 2);
    sla_config_free(c);
}

/* A range across midnight is split between the day and the next one. */
static void test_calendar_midnight(void)
{
    char err[512];
    sla_config *c = load("calendars = ( { name = \"night\"; timezone = \"UTC\";\n"
                         "  hours = { sun = \"22:00-06:00\"; }; } );\n",
                         err, sizeof err);
    CHECK(c != NULL);
    if (!c)
        return;
    /* 2026-11-01 is a Sunday. */
    const int64_t sun = 1793491200000LL;
    const int64_t h = 3600000;
    CHECK_INT(sla_calendar_is_working(c->calendars[0], sun + 21 * h), 0);
    CHECK_INT(sla_calendar_is_working(c->calendars[0], sun + 23 * h), 1);
    CHECK_INT(sla_calendar_is_working(c->calendars[0], sun + 29 * h), 1); /* Monday 05:00 */
    CHECK_INT(sla_calendar_is_working(c->calendars[0], sun + 31 * h), 0); /* Monday 07:00 */
    sla_config_free(c);
}

/* --- the shipped configuration ------------------------------------------------ */

static const sla_policy *policy_named(const sla_config *c, const char *name)
{
    for (size_t i = 0; i < c->npolicies; i++)
        if (strcmp(c->policies[i].name, name) == 0)
            return &c->policies[i];
    return NULL;
}

static void test_shipped(void)
{
    const char *src = getenv("SLA_SOURCE_DIR");
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/conf/slad.conf", src && *src ? src : ".");
    sla_config *c = NULL;
    int rc = sla_config_load(path, &c, err, sizeof err);
    CHECK_INT(rc, 0);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    static const char *const receivers[] = {"team_lead", "supervisor", "manager", "director"};
    CHECK_INT(c->nreceivers, 4);
    for (int i = 0; i < 4; i++) {
        int idx = sla_config_receiver_index(c, receivers[i]);
        CHECK(idx >= 0);
        if (idx < 0)
            continue;
        char url[128];
        snprintf(url, sizeof url, "http://127.0.0.1:8089/hooks/%s", receivers[i]);
        CHECK_STR(c->receivers[idx].url, url);
        CHECK_INT(c->receivers[idx].format, SLA_FORMAT_JSON);
        CHECK(c->receivers[idx].secret == NULL);
    }
    CHECK_INT(c->ncalendars, 1);
    CHECK_INT(sla_config_calendar_index(c, "business"), 0);
    CHECK_INT(c->npolicies, 29);
    CHECK_INT(c->ring_ms, 5000);

    const sla_policy *p = policy_named(c, "chat");
    CHECK(p != NULL);
    if (p) {
        const sla_target *t = &p->metrics[SLA_METRIC_FIRST_RESPONSE];
        CHECK_INT(t->defined, 1);
        CHECK_INT(sla_span_plain_ms(&t->target, c->ring_ms), 30000);
        CHECK_INT(t->steps[0].notify[0], sla_config_receiver_index(c, "supervisor"));
    }
    p = policy_named(c, "phone");
    CHECK(p && p->metrics[SLA_METRIC_PICKUP].target.rings == 3);
    p = policy_named(c, "priority-low");
    CHECK(p && p->metrics[SLA_METRIC_RESOLUTION].target.days == 3 &&
          p->metrics[SLA_METRIC_RESOLUTION].calendar == 0);
    /* the catch-all comes last and matches every ticket */
    p = &c->policies[c->npolicies - 1];
    CHECK_STR(p->name, "general");
    CHECK_INT(p->nmatch, 0);
    CHECK_INT(p->metrics[SLA_METRIC_FIRST_RESPONSE].target.ms, 30 * 60000);
    /* settings from the included norms.conf carry its name and line */
    CHECK(p->line > 300);
    sla_config_free(c);
}

/* --- bad files ------------------------------------------------------------------ */

static void test_syntax_errors(void)
{
    EXPECT_ERROR("a = 1;\nb = ;\n", "2: syntax error");
    EXPECT_ERROR("redis = { port = 1; };\nredis = { port = 2; };\n", "2: duplicate setting name");
    EXPECT_ERROR("log_level = \"info\";\n@include \"missing.conf\"\n",
                 "2: cannot open include file 'missing.conf'");

    char err[512], want[600];
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nonexistent.conf", dir);
    sla_config *c = (sla_config *)1;
    CHECK_INT(sla_config_load(missing, &c, err, sizeof err), -1);
    CHECK(c == NULL);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", missing);
    CHECK_STR(err, want);

    /* libconfig 1.5 would end the process on an @include of a directory */
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0700);
    EXPECT_ERROR("log_level = \"info\";\n  @include \"sub\"\n",
                 "2: cannot include 'sub': not a regular file");
    EXPECT_ERROR("@include \"\"\n", "1: cannot include '': not a regular file");
    /* a NUL byte in the name would make libconfig include the directory */
    {
        static const char nul_line[] = "@include \"\\\0x\"\n";
        char path[512];
        snprintf(path, sizeof path, "%s/t.conf", dir);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (f) {
            fwrite(nul_line, 1, sizeof nul_line - 1, f);
            fclose(f);
        }
        c = (sla_config *)1;
        CHECK_INT(sla_config_load(main_path, &c, err, sizeof err), -1);
        CHECK(c == NULL);
        snprintf(want, sizeof want, "%s:1: cannot include: NUL byte in the line", main_path);
        CHECK_STR(err, want);
    }
    CHECK_INT(sla_config_load(sub, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot open: not a regular file", sub);
    CHECK_STR(err, want);
    rmdir(sub);

    /* an error inside an included file names that file and its line */
    write_file("bad.conf", 0644, "receivers = (\n  { name = \"x\"; url = \"ftp://x\"; }\n);\n");
    c = load("log_level = \"info\";\n@include \"bad.conf\"\n", err, sizeof err);
    CHECK(c == NULL);
    CHECK_STR(err, "bad.conf:2: receivers.[0].url: 'ftp://x' must start with http:// or https://");
}

static void test_unknown_settings(void)
{
    EXPECT_ERROR("log_level = \"info\";\ncolour = \"blue\";\n", "2: colour: unknown setting");
    EXPECT_ERROR("redis = {\n  hots = \"x\";\n};\n", "2: redis.hots: unknown setting");
    EXPECT_ERROR("stream = { batchsize = 1; };\n", "1: stream.batchsize: unknown setting");
    EXPECT_ERROR("clocks = { rings = 1; };\n", "1: clocks.rings: unknown setting");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://x/\"; secret = \"s\"; } );\n",
                 "1: receivers.[0].secret: unknown setting");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\";\n"
                 "  hours = { mon = \"09:00-17:00\"; monday = \"09:00-17:00\"; }; } );\n",
                 "2: calendars.[0].hours.monday: unknown setting");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\"; holiday = []; } );\n",
                 "1: calendars.[0].holiday: unknown setting");
    EXPECT_ERROR("policies = ( { name = \"p\"; matches = { a = \"b\"; }; } );\n",
                 "1: policies.[0].matches: unknown setting");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://x/\"; } );\n"
                 "policies = (\n"
                 "  { first_response = { target = \"1m\"; },\n"
                 "    resolution = { target = \"1h\"; notify = [ \"a\" ]; }; } );\n",
                 "4: policies.[0].resolution.notify: unknown setting");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://x/\"; } );\n"
                 "policies = ( { resolution = { target = \"1h\";\n"
                 "  escalate = ( { after = \"0s\"; notify = [ \"a\" ]; },\n"
                 "               { delay = \"5m\"; notify = [ \"a\" ]; } ); }; } );\n",
                 "4: policies.[0].resolution.escalate.[1].delay: unknown setting");
}

static void test_types_and_ranges(void)
{
    EXPECT_ERROR("redis = { port = \"6379\"; };\n",
                 "1: redis.port: expected an integer, not a string");
    EXPECT_ERROR("redis = { host = 1; };\n", "1: redis.host: expected a string, not an integer");
    EXPECT_ERROR("redis = \"localhost\";\n", "1: redis: expected a group { ... }, not a string");
    EXPECT_ERROR("redis = { port = 0; };\n", "1: redis.port: 0 is out of range 1..65535");
    EXPECT_ERROR("redis = { port = 65536; };\n", "1: redis.port: 65536 is out of range 1..65535");
    EXPECT_ERROR("stream = { batch = 10001; };\n",
                 "1: stream.batch: 10001 is out of range 1..10000");
    EXPECT_ERROR("stream = { block = 50; };\n",
                 "1: stream.block: 50 ms is out of range 100..60000 ms");
    EXPECT_ERROR("stream = { block = \"2m\"; };\n",
                 "1: stream.block: 120000 ms is out of range 100..60000 ms");
    EXPECT_ERROR("stream = { block = 1.5; };\n",
                 "1: stream.block: expected milliseconds or a duration, not a number with a "
                 "fraction");
    EXPECT_ERROR("stream = { prefix = \"sla events\"; };\n",
                 "1: stream.prefix: 'sla events' must be 1..64 letters, digits or _.:-{}");
    EXPECT_ERROR("stream = { max_entry_bytes = 2048; max_value_bytes = 4096; };\n",
                 "1: stream.max_value_bytes: max_value_bytes is larger than max_entry_bytes");
    EXPECT_ERROR("clocks = { ring_seconds = 61; };\n",
                 "1: clocks.ring_seconds: 61 is out of range 1..60");
    EXPECT_ERROR("clocks = { pausable = [ \"resolution\", \"lunch\" ]; };\n",
                 "1: clocks.pausable.[1]: unknown metric 'lunch'");
    EXPECT_ERROR("partitions = 0;\n", "1: partitions: 0 is out of range 1..1024");
    EXPECT_ERROR("partitions = 1025;\n", "1: partitions: 1025 is out of range 1..1024");
    EXPECT_ERROR("instance = { name = \"a/b\"; };\n", "1: instance.name: 'a/b' must be 1..64 letters, digits or _.:-{}");
    EXPECT_ERROR("instance = { lease_ttl = \"100ms\"; };\n",
                 "1: instance.lease_ttl: 100 ms is out of range 600..600000 ms");
    EXPECT_ERROR("log_level = \"verbose\";\n",
                 "1: log_level: unknown log level 'verbose' (err, warning, notice, info, debug)");
    EXPECT_ERROR("http = { listen = \"localhost\"; };\n",
                 "1: http.listen: 'localhost' is not HOST:PORT");
    EXPECT_ERROR("revisit = { average = \"0s\"; };\n",
                 "1: revisit.average: must be longer than zero");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://x/\"; rate_per_minute = -1; } );\n",
                 "1: receivers.[0].rate_per_minute: -1 is out of range 0..1000000");
}

static const char recv_ab[] = "receivers = ( { name = \"a\"; url = \"http://a/\"; },\n"
                              "              { name = \"b\"; url = \"http://b/\"; } );\n";

/* recv_ab followed by policies whose text is `body` (starting on line 4). */
static int expect_policy_error(int line, const char *body, const char *expected)
{
    char text[2048];
    snprintf(text, sizeof text, "%spolicies = (\n%s\n);\n", recv_ab, body);
    return expect_error_at(line, text, expected);
}
#define EXPECT_POLICY_ERROR(body, expected) expect_policy_error(__LINE__, body, expected)

static void test_policies(void)
{
    EXPECT_POLICY_ERROR("{ first_response = { target = \"3x\"; }; }",
                        "~4: policies.[0].first_response.target: bad duration '3x': ");
    EXPECT_POLICY_ERROR("{ first_response = { target = 30; }; }",
                        "4: policies.[0].first_response.target: expected a string, not an "
                        "integer");
    EXPECT_POLICY_ERROR("{ first_response = { target = \"0s\"; }; }",
                        "4: policies.[0].first_response.target: must be longer than zero");
    EXPECT_POLICY_ERROR("{ first_response = { warn = \"80%\"; }; }",
                        "4: policies.[0].first_response: missing setting 'target'");
    EXPECT_POLICY_ERROR("{ first_response = { target = \"3 rings\"; }; }",
                        "4: policies.[0].first_response.target: rings are only for pickup "
                        "targets");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\";\n"
                        "  escalate = ( { notify = [ \"a\", \"nobody\" ]; } ); }; }",
                        "5: policies.[0].resolution.escalate.[0].notify.[1]: unknown receiver "
                        "'nobody'");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\"; calendar = \"office\"; }; }",
                        "4: policies.[0].resolution.calendar: unknown calendar 'office'");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\";\n"
                        "  escalate = ( { after = \"0s\"; notify = \"a\"; repeat = \"10m\"; },\n"
                        "               { after = \"5m\"; notify = \"b\"; } ); }; }",
                        "5: policies.[0].resolution.escalate.[0].repeat: only the last step may "
                        "repeat");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\";\n"
                        "  escalate = ( { after = \"10m\"; notify = \"a\"; },\n"
                        "               { after = \"5m\"; notify = \"b\"; } ); }; }",
                        "6: policies.[0].resolution.escalate.[1].after: steps must be in "
                        "order: 'after' is earlier than the previous step's");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\";\n"
                        "  escalate = ( { after = \"10m\"; } ); }; }",
                        "5: policies.[0].resolution.escalate.[0]: missing setting 'notify'");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\";\n"
                        "  escalate = ( { notify = \"a\"; max_repeats = 2; } ); }; }",
                        "5: policies.[0].resolution.escalate.[0].max_repeats: max_repeats "
                        "without repeat");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\"; warn = \"10m\"; }; }",
                        "4: policies.[0].resolution.warn: no one to warn: set warn_notify or "
                        "escalate");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\"; warn_notify = \"a\"; }; }",
                        "4: policies.[0].resolution.warn_notify: warn_notify without warn");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\"; warn = \"2h\"; warn_notify = \"a\"; }; }",
                        "4: policies.[0].resolution.warn: warning would come before the clock "
                        "starts: make it shorter than the target");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\"; warn = \"lots\"; warn_notify = \"a\"; }; }",
                        "~4: policies.[0].resolution.warn: bad warn 'lots': ");
    EXPECT_POLICY_ERROR("{ resolution = { target = \"1h\"; recovered = \"yes\"; }; }",
                        "4: policies.[0].resolution.recovered: expected true or false, not a "
                        "string");
    EXPECT_POLICY_ERROR("{ match = { amount = \">>1000\"; };\n"
                        "  resolution = { target = \"1h\"; }; }",
                        "4: policies.[0].match.amount: bad comparison '>>1000': expected a "
                        "number after '>'");
    EXPECT_POLICY_ERROR("{ match = { amount = \"<=\"; }; resolution = { target = \"1h\"; }; }",
                        "4: policies.[0].match.amount: bad comparison '<=': expected a number "
                        "after '<='");
    EXPECT_POLICY_ERROR("{ match = { amount = [ \"1\", \">5\" ]; };\n"
                        "  resolution = { target = \"1h\"; }; }",
                        "4: policies.[0].match.amount.[1]: comparison '>5' cannot be part of a "
                        "list");
    EXPECT_POLICY_ERROR("{ match = { amount = 1.5; }; resolution = { target = \"1h\"; }; }",
                        "4: policies.[0].match.amount: expected a string, an integer, a boolean "
                        "or a list of them, not a number with a fraction");
    EXPECT_POLICY_ERROR("{ match = { type = \"x\"; }; resolution = { target = \"1h\"; }; }",
                        "4: policies.[0].match.type: 'type' is not a ticket attribute and cannot "
                        "be matched");
    EXPECT_POLICY_ERROR("{ match = { channel = []; }; resolution = { target = \"1h\"; }; }",
                        "4: policies.[0].match.channel: empty list matches nothing");
    EXPECT_POLICY_ERROR("{ name = \"p\"; match = { channel = \"chat\"; }; }",
                        "4: policies.[0]: policy 'p' sets no metric");
    EXPECT_POLICY_ERROR("{ name = \"p\"; resolution = { target = \"1h\"; }; },\n"
                        "{ name = \"p\"; resolution = { target = \"2h\"; }; }",
                        "5: policies.[1].name: policy 'p' is defined twice");
    EXPECT_POLICY_ERROR("{ name = \"two words\"; resolution = { target = \"1h\"; }; }",
                        "4: policies.[0].name: bad name 'two words': use 1..64 letters, "
                        "digits or _.-");
    EXPECT_POLICY_ERROR("{ resolution = \"1h\"; }",
                        "4: policies.[0].resolution: expected a group { ... }, not a string");
    EXPECT_ERROR("policies = { a = 1; };\n",
                 "1: policies: expected a list ( { name; match; first_response; ... }, ... ), "
                 "not a group");

    /* callback needs no target; pickup accepts rings in its ladder */
    char err[512];
    char text[1024];
    snprintf(text, sizeof text,
             "%spolicies = ( { callback = { escalate = ( { notify = \"a\"; } ); };\n"
             "  pickup = { target = \"2 rings\";\n"
             "    escalate = ( { notify = \"a\"; }, { after = \"1 ring\"; notify = \"b\"; } ); }; } );\n",
             recv_ab);
    sla_config *c = load(text, err, sizeof err);
    CHECK(c != NULL);
    if (c)
        CHECK_INT(c->policies[0].metrics[SLA_METRIC_PICKUP].steps[1].after.rings, 1);
    sla_config_free(c);

    /* at most SLA_MAX_POLICIES */
    size_t cap = 64 + (SLA_MAX_POLICIES + 1) * 48;
    char *many = malloc(cap);
    size_t n = (size_t)snprintf(many, cap, "policies = (\n");
    for (int i = 0; i <= SLA_MAX_POLICIES; i++)
        n += (size_t)snprintf(many + n, cap - n, "%s{ resolution = { target = \"1h\"; }; }\n",
                              i ? "," : "");
    snprintf(many + n, cap - n, ");\n");
    EXPECT_ERROR(many, "1: policies: 251 policies, at most 250 are allowed");
    free(many);
}

static void test_receivers(void)
{
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"ftp://a/\"; } );\n",
                 "1: receivers.[0].url: 'ftp://a/' must start with http:// or https://");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http:///x\"; } );\n",
                 "1: receivers.[0].url: 'http:///x' has no host");
    EXPECT_ERROR("receivers = ( { name = \"a\"; } );\n",
                 "1: receivers.[0]: receiver 'a': set one of url and url_file");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\"; format = \"teams\"; } );\n",
                 "1: receivers.[0].format: unknown format 'teams' (json, alertmanager, slack, "
                 "feishu, dingtalk, wecom)");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\"; },\n"
                 "              { name = \"a\"; url = \"http://b/\"; } );\n",
                 "2: receivers.[1].name: receiver 'a' is defined twice");
}

/* Chat receiver settings (locale, timezone, ticket_url, mention) and a step's mention. */
static void test_chat_receivers(void)
{
    char err[1024];
    sla_config *c = load(
        "receivers = ( { name = \"fs\"; url = \"https://f/\"; format = \"feishu\"; },\n"
        "              { name = \"sl\"; url = \"https://s/\"; format = \"slack\"; },\n"
        "              { name = \"dt\"; url = \"https://d/\"; format = \"dingtalk\";\n"
        "                locale = \"en\"; timezone = \"Asia/Shanghai\";\n"
        "                ticket_url = \"https://helpdesk.example/t/{ticket}\";\n"
        "                mention = { mobiles = [ \"+86-13800000000\" ]; all = true; }; } );\n"
        "policies = ( { name = \"p\"; first_response = { target = \"5m\";\n"
        "    escalate = ( { after = \"0s\"; notify = \"fs\"; },\n"
        "                 { after = \"30m\"; notify = \"dt\";\n"
        "                   mention = { user_ids = [ \"ou_abc\", \"manager.li\" ]; }; } ); }; } );\n",
        err, sizeof err);
    CHECK(c != NULL);
    if (!c) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT(c->receivers[0].locale, SLA_LOCALE_ZH_CN); /* defaults per format */
    CHECK_INT(c->receivers[1].locale, SLA_LOCALE_EN);
    CHECK(c->receivers[0].zone == NULL && c->receivers[0].ticket_url == NULL);
    const sla_receiver *dt = &c->receivers[2];
    CHECK_INT(dt->locale, SLA_LOCALE_EN);
    CHECK(dt->zone && strcmp(sla_calendar_timezone(dt->zone), "Asia/Shanghai") == 0);
    CHECK_STR(dt->ticket_url, "https://helpdesk.example/t/{ticket}");
    CHECK_INT(dt->mention.nmobiles, 1);
    CHECK_STR(dt->mention.mobiles[0], "+86-13800000000");
    CHECK_INT(dt->mention.all, 1);
    const sla_target *t = &c->policies[0].metrics[SLA_METRIC_FIRST_RESPONSE];
    CHECK_INT(t->steps[0].mention.nuser_ids, 0);
    CHECK_INT(t->steps[1].mention.nuser_ids, 2);
    CHECK_STR(t->steps[1].mention.user_ids[1], "manager.li");
    sla_config_free(c);

    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\"; locale = \"fr\"; } );\n",
                 "1: receivers.[0].locale: unknown locale 'fr' (zh-CN, en)");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\"; timezone = \"Mars/Base\"; } );\n",
                 "~unknown time zone 'Mars/Base'");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\"; ticket_url = \"https://h/t\"; } );\n",
                 "1: receivers.[0].ticket_url: must contain {ticket} once");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\"; ticket_url = \"ftp://h/{ticket}\"; } );\n",
                 "~must start with http:// or https://");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\";\n"
                 "  mention = { user_ids = [ \"<at user_id=all>\" ]; }; } );\n",
                 "2: receivers.[0].mention.user_ids.[0]: bad entry '<at user_id=all>': use 1..64 of "
                 "letters, digits or _.@-");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\";\n"
                 "  mention = { mobiles = [ \"138 0000\" ]; }; } );\n",
                 "~bad entry '138 0000': use 1..64 of digits, + or -");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\";\n"
                 "  mention = { everyone = true; }; } );\n",
                 "2: receivers.[0].mention.everyone: unknown setting");
}

/*
 * A secret the receiver's format can never sign with is refused at load,
 * naming the file, line and receiver, and never quoting the secret.
 */
static void test_secret_formats(void)
{
    static const char json[] =
        "receivers = (\n"
        "  { name = \"ok\"; url = \"http://a/\"; },\n"
        "  { name = \"hd\"; url = \"http://b/\";\n"
        "    secret_file = \"s.key\"; } );\n";
    static const char want_json[] =
        "4: receivers.[1].secret_file: receiver 'hd': secret is not a Standard Webhooks key "
        "('whsec_' and the base64 of 1-256 bytes)";
    char err[1024];

    /* Not base64: '-', whitespace, the URL-safe alphabet, bits left over. */
    static const char *const bad[] = {"whsec_do-not-print-me", "whsec_", "do not print",
                                      "whsec_abc_def", "whsec_abd", "whsec_ YWJj"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file("s.key", 0600, bad[i]);
        if (EXPECT_ERROR(json, want_json) < 0)
            fprintf(stderr, "  secret #%zu\n", i);
        sla_config *c = load(json, err, sizeof err);
        CHECK(c == NULL && (i == 1 || strstr(err, bad[i]) == NULL)); /* #1 is the prefix */
        sla_config_free(c);
    }
    /* Longer than 256 bytes once decoded. */
    char big[400] = "whsec_";
    memset(big + 6, 'A', 348);
    big[354] = '\0';
    write_file("s.key", 0600, big);
    EXPECT_ERROR(json, want_json);

    /* Good ones, with and without the prefix and padding. */
    static const char *const good[] = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "c2xhZA==",
                                       "whsec_c2xhZA"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        write_file("s.key", 0600, good[i]);
        sla_config *c = load(json, err, sizeof err);
        CHECK(c != NULL);
        if (c)
            CHECK_STR(c->receivers[1].secret, good[i]);
        else
            fprintf(stderr, "  secret #%zu: %s\n", i, err);
        sla_config_free(c);
    }

    /* DingTalk and Feishu sign with any string of at most 490 bytes. */
    static const char *const plain[] = {"dingtalk", "feishu"};
    for (size_t i = 0; i < 2; i++) {
        char text[512], want[256], secret[600];
        snprintf(text, sizeof text,
                 "receivers = ( { name = \"bot\"; url = \"http://a/\"; format = \"%s\";\n"
                 "                secret_file = \"s.key\"; } );\n",
                 plain[i]);
        memset(secret, 'S', 490);
        secret[490] = '\0';
        write_file("s.key", 0600, secret);
        sla_config *c = load(text, err, sizeof err);
        CHECK(c != NULL);
        sla_config_free(c);
        write_file("s.key", 0600, "SEC-not base64 at all!");
        c = load(text, err, sizeof err);
        CHECK(c != NULL);
        sla_config_free(c);
        secret[490] = 'S';
        secret[491] = '\0';
        write_file("s.key", 0600, secret);
        snprintf(want, sizeof want,
                 "2: receivers.[0].secret_file: receiver 'bot': secret is longer than 490 bytes");
        EXPECT_ERROR(text, want);
    }
}

static void test_secrets(void)
{
    static const char secret[] = "do-not-print-me";
    char text[256], err[1024];
    snprintf(text, sizeof text,
             "receivers = ( { name = \"a\"; url = \"http://a/\"; format = \"dingtalk\";\n"
             "                secret_file = \"s.key\"; } );\n");

    write_file("s.key", 0644, "do-not-print-me\n");
    sla_config *c = load(text, err, sizeof err);
    CHECK(c == NULL);
    CHECK(strstr(err, "2: receivers.[0].secret_file: secret file is readable by others") != NULL);
    CHECK(strstr(err, secret) == NULL);
    sla_config_free(c);

    write_file("s.key", 0600, "do-not-print-me\n");
    c = load(text, err, sizeof err);
    CHECK(c != NULL);
    if (c)
        CHECK_STR(c->receivers[0].secret, secret);
    sla_config_free(c);

    write_file("s.key", 0600, "\n");
    EXPECT_ERROR(text, "2: receivers.[0].secret_file: secret file is empty");

    char *big = malloc(5000);
    memset(big, 'k', 4999);
    big[4999] = '\0';
    write_file("s.key", 0600, big);
    free(big);
    EXPECT_ERROR(text, "2: receivers.[0].secret_file: secret file is larger than 4 KiB");

    write_file("s.key", 0600, "line one\nline two\n");
    c = load(text, err, sizeof err);
    CHECK(c != NULL); /* only one trailing newline is removed */
    if (c)
        CHECK_STR(c->receivers[0].secret, "line one\nline two");
    sla_config_free(c);

    test_secret_formats();

    char want[600];
    snprintf(want, sizeof want, "~1: redis.password_file: cannot open '%s/nope.pw': No such file",
             dir);
    EXPECT_ERROR("redis = { password_file = \"nope.pw\"; };\n", want);
    EXPECT_ERROR("redis = { password_file = \"/\"; };\n",
                 "1: redis.password_file: '/' is not a regular file");
}

/*
 * url_file: the URL read like a secret file, refused with file, line and
 * receiver (never quoting the contents) when missing, empty, not an
 * http(s) URL, or readable by others; exactly one of url and url_file.
 */
static void test_url_file(void)
{
    static const char text[] =
        "receivers = ( { name = \"bot\"; format = \"wecom\";\n"
        "                url_file = \"bot.url\"; } );\n";
    char err[1024];

    write_file("bot.url", 0600, "https://qyapi.example/send?key=do-not-print-me\n");
    sla_config *c = load(text, err, sizeof err);
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(c->receivers[0].url, "https://qyapi.example/send?key=do-not-print-me");
        CHECK(c->nwarnings == 0); /* the token is not in slad.conf */
    }
    sla_config_free(c);

    write_file("bot.url", 0600, "ftp://qyapi.example/do-not-print-me\n");
    EXPECT_ERROR(text, "2: receivers.[0].url_file: receiver 'bot': the file's URL must start "
                       "with http:// or https://");
    write_file("bot.url", 0600, "\n");
    EXPECT_ERROR(text, "2: receivers.[0].url_file: receiver 'bot': secret file is empty");
    write_file("bot.url", 0644, "https://qyapi.example/send?key=do-not-print-me\n");
    c = load(text, err, sizeof err);
    CHECK(c == NULL);
    CHECK(strstr(err, "2: receivers.[0].url_file: receiver 'bot': secret file is readable by "
                      "others") != NULL);
    CHECK(strstr(err, "do-not-print-me") == NULL);
    sla_config_free(c);
    char want[600];
    snprintf(want, sizeof want, "~2: receivers.[0].url_file: receiver 'bot': cannot open "
             "'%s/bot.url': No such file", dir);
    char path[512];
    snprintf(path, sizeof path, "%s/bot.url", dir);
    unlink(path);
    EXPECT_ERROR(text, want);

    write_file("a.url", 0600, "http://b/\n");
    EXPECT_ERROR("receivers = ( { name = \"a\"; url = \"http://a/\";\n"
                 "                url_file = \"a.url\"; } );\n",
                 "1: receivers.[0]: receiver 'a': set one of url and url_file");
}

/*
 * An inline URL that carries a token in a file others may read loads, with
 * a warning naming file, line and receiver; not when the file is private,
 * nor for a json receiver without credentials in its URL.
 */
static void test_url_exposure(void)
{
    static const char text[] =
        "receivers = ( { name = \"plain\"; url = \"http://a.example/hook\"; },\n"
        "              { name = \"slack\"; format = \"slack\";\n"
        "                url = \"https://hooks.slack.example/services/T0/B0/do-not-print-me\"; },\n"
        "              { name = \"query\"; url = \"http://a.example/h?access_token=x\"; } );\n";
    char err[1024], want[1024];
    sla_config *c = load(text, err, sizeof err); /* load() writes mode 0644 */
    CHECK(c != NULL);
    if (c) {
        CHECK(c->nwarnings == 2);
        snprintf(want, sizeof want, "%s:3: receivers.[1].url: receiver 'slack': the URL carries a "
                 "token and %s is readable by others: move it to url_file, or chmod o-r the file",
                 main_path, main_path);
        if (c->nwarnings >= 1)
            CHECK_STR(c->warnings[0], want);
        if (c->nwarnings >= 2)
            CHECK(strstr(c->warnings[1], ":4: receivers.[2].url: receiver 'query'") != NULL);
    }
    sla_config_free(c);

    chmod(main_path, 0640);
    c = NULL;
    CHECK(sla_config_load(main_path, &c, err, sizeof err) == 0);
    if (c)
        CHECK(c->nwarnings == 0);
    sla_config_free(c);
}

/* Stream retention: defaults for a real deployment, durations, counts, 0 = off. */
static void test_retention(void)
{
    char err[1024];
    sla_config *c = load("", err, sizeof err);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(c->retention.interval_ms, 60000);
        CHECK_INT(c->retention.step, 10000);
        CHECK_INT(c->retention.events.max_age_ms, INT64_C(7) * 86400000);
        CHECK_INT(c->retention.events.max_count, 10000000);
        CHECK_INT(c->retention.escalations.max_age_ms, INT64_C(30) * 86400000);
        CHECK_INT(c->retention.escalations.max_count, 1000000);
        CHECK_INT(c->retention.dead.max_age_ms, INT64_C(30) * 86400000);
        CHECK_INT(c->retention.dead.max_count, 10000);
        CHECK_INT(c->retention.deliveries_dead.max_age_ms, INT64_C(30) * 86400000);
        CHECK_INT(c->retention.deliveries_dead.max_count, 100000);
    }
    sla_config_free(c);
    c = load("retention = { interval = \"10s\"; step = 500;\n"
             "  events = { max_age = \"2d\"; max_count = 0; };\n"
             "  dead = { max_age = 0; max_count = 50; }; };\n",
             err, sizeof err);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(c->retention.interval_ms, 10000);
        CHECK_INT(c->retention.step, 500);
        CHECK_INT(c->retention.events.max_age_ms, INT64_C(2) * 86400000);
        CHECK_INT(c->retention.events.max_count, 0);
        CHECK_INT(c->retention.dead.max_age_ms, 0);
        CHECK_INT(c->retention.dead.max_count, 50);
        CHECK_INT(c->retention.escalations.max_count, 1000000); /* untouched */
    } else {
        fprintf(stderr, "  %s\n", err);
    }
    sla_config_free(c);
    EXPECT_ERROR("retention = { events = { max_age = \"soon\"; }; };\n",
                 "~1: retention.events.max_age: ");
    EXPECT_ERROR("retention = { dead = { max_count = -1; }; };\n",
                 "~1: retention.dead.max_count: ");
    EXPECT_ERROR("retention = { events = { max_len = 5; }; };\n",
                 "1: retention.events.max_len: unknown setting");
    EXPECT_ERROR("retention = { step = 5; };\n", "~1: retention.step: ");
}

/* Redis Cluster seeds and the WAIT settings. */
static void test_redis_cluster(void)
{
    char err[512];
    sla_config *c = load("partitions = 4;\n"
                         "redis = { cluster = [ \"127.0.0.1:7000\", \"[::1]:7001\",\n"
                         "                      \"redis-b.example:7002\" ];\n"
                         "          wait_replicas = 1; wait_timeout = \"250ms\"; };\n",
                         err, sizeof err);
    CHECK(c != NULL);
    if (!c) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT(c->redis.ncluster, 3);
    if (c->redis.ncluster == 3) {
        CHECK_STR(c->redis.cluster[0], "127.0.0.1:7000");
        CHECK_STR(c->redis.cluster[1], "[::1]:7001");
        CHECK_STR(c->redis.cluster[2], "redis-b.example:7002");
    }
    CHECK_INT(c->redis.wait_replicas, 1);
    CHECK_INT(c->redis.wait_timeout_ms, 250);
    sla_config_free(c);

    EXPECT_ERROR("redis = { cluster = \"127.0.0.1:7000\"; };\n",
                 "1: redis.cluster: expected an array of \"host:port\" strings, not a string");
    EXPECT_ERROR("redis = { cluster = [ \"127.0.0.1\" ]; };\n",
                 "1: redis.cluster.[0]: '127.0.0.1' is not host:port (port 1..65535)");
    EXPECT_ERROR("redis = { cluster = [ \"a:1\", \"a:70000\" ]; };\n",
                 "1: redis.cluster.[1]: 'a:70000' is not host:port (port 1..65535)");
    EXPECT_ERROR("redis = { cluster = [ \"a:1\", \"a:1\" ]; };\n",
                 "1: redis.cluster.[1]: 'a:1' given twice");
    EXPECT_ERROR("redis = { cluster = [ \"a:1\" ];\n db = 2; };\n",
                 "2: redis.db: a Redis Cluster has only database 0 (redis.cluster is set)");
    EXPECT_ERROR("redis = { cluster = [ \"a:1\" ];\n unix_socket = \"/run/r.sock\"; };\n",
                 "2: redis.unix_socket: not used with redis.cluster (the cluster's nodes are "
                 "reached over TCP)");
    /* The single partition's keys share no hash tag: refused on a cluster. */
    EXPECT_ERROR("redis = { cluster = [ \"a:1\" ]; };\n",
                 "1: redis.cluster: redis.cluster needs partitions >= 2 (each partition's keys "
                 "share one hash tag, the single partition's do not)");
    EXPECT_ERROR("partitions = 1;\nredis = { cluster = [ \"a:1\" ]; };\n",
                 "1: partitions: redis.cluster needs partitions >= 2 (each partition's keys "
                 "share one hash tag, the single partition's do not)");
    EXPECT_ERROR("redis = { wait_replicas = 17; };\n",
                 "1: redis.wait_replicas: 17 is out of range 0..16");
    EXPECT_ERROR("redis = { wait_replicas = 1;\n wait_timeout = \"6s\"; };\n",
                 "2: redis.wait_timeout: wait_timeout must be shorter than reply_timeout");
}

/* The delivery group: defaults, durations, the derived group name, limits. */
/* The connection limits of the control socket and the HTTP listener. */
static void test_connection_limits(void)
{
    char err[1024];
    sla_config *cfg = load("", err, sizeof err);
    CHECK(cfg != NULL);
    if (cfg) {
        CHECK_INT(cfg->control.max_clients, 32);
        CHECK_INT(cfg->control.max_clients_per_uid, 8);
        CHECK_INT(cfg->http.max_connections, 64);
        CHECK_INT(cfg->http.request_timeout_ms, 5000);
        sla_config_free(cfg);
    }
    cfg = load("control = { max_clients = 100; max_clients_per_uid = 2; };\n"
               "http = { max_connections = 10; request_timeout = \"750ms\"; };\n", err,
               sizeof err);
    CHECK(cfg != NULL);
    if (cfg) {
        CHECK_INT(cfg->control.max_clients, 100);
        CHECK_INT(cfg->control.max_clients_per_uid, 2);
        CHECK_INT(cfg->http.max_connections, 10);
        CHECK_INT(cfg->http.request_timeout_ms, 750);
        sla_config_free(cfg);
    }
    EXPECT_ERROR("control = { max_clients = 2; };\n",
                 "1: control.max_clients: 2 is out of range 4..1024");
    EXPECT_ERROR("http = { max_connections = 0; };\n",
                 "1: http.max_connections: 0 is out of range 1..4096");
    EXPECT_ERROR("http = { request_timeout = \"10ms\"; };\n",
                 "1: http.request_timeout: 10 ms is out of range 100..300000 ms");
}

static void test_delivery(void)
{
    char err[1024];
    sla_config *cfg = load("stream = { group = \"g1\"; };\n", err, sizeof err);
    CHECK(cfg != NULL);
    if (cfg) {
        CHECK_STR(cfg->delivery.group, "g1-deliver");
        CHECK_INT(cfg->delivery.connect_timeout_ms, 5000);
        CHECK_INT(cfg->delivery.timeout_ms, 10000);
        CHECK_INT(cfg->delivery.budget_ms, 86400000);
        CHECK_INT(cfg->delivery.backoff_base_ms, 1000);
        CHECK_INT(cfg->delivery.backoff_cap_ms, 600000);
        CHECK_INT(cfg->delivery.max_in_flight, 32);
        sla_config_free(cfg);
    }
    cfg = load("delivery = { group = \"out\"; connect_timeout = \"2s\"; timeout = 1500;\n"
               "             budget = \"3d\"; backoff_base = \"200ms\"; backoff_cap = \"1m\";\n"
               "             max_in_flight = 4; };\n", err, sizeof err);
    CHECK(cfg != NULL);
    if (cfg) {
        CHECK_STR(cfg->delivery.group, "out");
        CHECK_INT(cfg->delivery.connect_timeout_ms, 2000);
        CHECK_INT(cfg->delivery.timeout_ms, 1500);
        CHECK_INT(cfg->delivery.budget_ms, 3LL * 86400000);
        CHECK_INT(cfg->delivery.backoff_base_ms, 200);
        CHECK_INT(cfg->delivery.backoff_cap_ms, 60000);
        CHECK_INT(cfg->delivery.max_in_flight, 4);
        sla_config_free(cfg);
    }
    EXPECT_ERROR("delivery = { max_in_flight = 0; };\n",
                 "1: delivery.max_in_flight: 0 is out of range 1..1000");
    EXPECT_ERROR("delivery = { budget = \"500ms\"; };\n",
                 "1: delivery.budget: 500 ms is out of range 1000..2592000000 ms");
    EXPECT_ERROR("delivery = { backoff_base = \"2s\";\n backoff_cap = \"1s\"; };\n",
                 "2: delivery.backoff_cap: backoff_cap is smaller than backoff_base");
    EXPECT_ERROR("delivery = { retries = 3; };\n", "~delivery.retries");
}

static void test_calendars(void)
{
    EXPECT_ERROR("calendars = ( { name = \"c\";\n  timezone = \"Mars/Olympus\";\n"
                 "  hours = { mon = \"09:00-17:00\"; }; } );\n",
                 "~2: calendars.[0].timezone: unknown time zone 'Mars/Olympus'");
    EXPECT_ERROR("calendars = ( { name = \"c\"; hours = { mon = \"09:00-17:00\"; }; } );\n",
                 "1: calendars.[0]: missing setting 'timezone'");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\";\n"
                 "  hours = { mon = \"09:00-17:00\"; };\n"
                 "  holidays = [ \"2026-01-01\",\n"
                 "               \"2026-02-30\" ]; } );\n",
                 "4: calendars.[0].holidays.[1]: bad date '2026-02-30': expected YYYY-MM-DD");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\"; hours = { mon = \"09:00-17:00\"; };\n"
                 "  workdays = [ \"2026-1-3\" ]; } );\n",
                 "2: calendars.[0].workdays.[0]: bad date '2026-1-3': expected YYYY-MM-DD");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\";\n"
                 "  hours = { tue = [ \"09:00-25:00\" ]; }; } );\n",
                 "2: calendars.[0].hours.tue.[0]: bad range '09:00-25:00': expected "
                 "HH:MM-HH:MM");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\";\n"
                 "  hours = { tue = [ \"09:00-09:00\" ]; }; } );\n",
                 "2: calendars.[0].hours.tue.[0]: bad range '09:00-09:00': empty");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\";\n"
                 "  hours = { tue = [ \"09:00-12:00\", \"11:00-13:00\" ]; }; } );\n",
                 "2: calendars.[0].hours.tue.[1]: '11:00-13:00' overlaps another range on tue");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\";\n"
                 "  hours = { mon = [ \"05:00-09:00\" ]; sun = \"22:00-06:00\"; }; } );\n",
                 "2: calendars.[0].hours.sun: '22:00-06:00' overlaps another range on mon");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\";\n"
                 "  hours = { mon = \"09:00-17:00\"; }; extra_day_hours = \"monday\"; } );\n",
                 "2: calendars.[0].extra_day_hours: unknown day 'monday' (mon, tue, wed, thu, "
                 "fri, sat, sun)");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\"; hours = { }; } );\n",
                 "~1: calendars.[0]: ");
    EXPECT_ERROR("calendars = ( { name = \"c\"; timezone = \"UTC\"; hours = { mon = \"09:00-17:00\"; }; },\n"
                 "              { name = \"c\"; timezone = \"UTC\"; hours = { mon = \"09:00-17:00\"; }; } );\n",
                 "2: calendars.[1].name: calendar 'c' is defined twice");
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/slad-test-config-XXXXXX",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(main_path, sizeof main_path, "%s/t.conf", dir);

    test_minimal();
    test_full();
    test_calendar_midnight();
    test_shipped();
    test_syntax_errors();
    test_unknown_settings();
    test_types_and_ranges();
    test_policies();
    test_receivers();
    test_chat_receivers();
    test_secrets();
    test_url_file();
    test_url_exposure();
    test_retention();
    test_calendars();
    test_delivery();
    test_connection_limits();
    test_redis_cluster();

    static const char *const files[] = {"t.conf",  "redis.pw", "a.secret", "policies.conf",
                                        "bad.conf", "s.key", "a.url"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    if (rmdir(dir) < 0)
        perror(dir);
    return CHECK_DONE();
}
