/*
 * test_locale — durations and times as people read them, in each locale,
 * and the locale names the configuration accepts.
 */
#include <string.h>

#include "check.h"
#include "sla_locale.h"

static const char *dur(int l, int64_t ms)
{
    static char buf[64];
    sla_locale_duration(sla_locale_get(l), ms, buf, sizeof buf);
    return buf;
}

static void test_durations(void)
{
    CHECK_STR(dur(SLA_LOCALE_EN, 0), "0 s");
    CHECK_STR(dur(SLA_LOCALE_EN, 999), "0 s");
    CHECK_STR(dur(SLA_LOCALE_EN, 45000), "45 s");
    CHECK_STR(dur(SLA_LOCALE_EN, 5 * 60000 + 12000), "5 min"); /* no seconds next to minutes */
    CHECK_STR(dur(SLA_LOCALE_EN, 80 * 60000), "1 h 20 min");
    CHECK_STR(dur(SLA_LOCALE_EN, 3600000), "1 h");
    CHECK_STR(dur(SLA_LOCALE_EN, 51 * 3600000LL + 59 * 60000), "2 d 3 h");
    CHECK_STR(dur(SLA_LOCALE_EN, -5000), "0 s");
    CHECK_STR(dur(SLA_LOCALE_ZH_CN, 5 * 60000), "5 分钟");
    CHECK_STR(dur(SLA_LOCALE_ZH_CN, 80 * 60000), "1 小时 20 分钟");
    CHECK_STR(dur(SLA_LOCALE_ZH_CN, 30000), "30 秒");
    CHECK_STR(dur(SLA_LOCALE_ZH_CN, 2 * 86400000LL), "2 天");
}

static void test_times(void)
{
    char buf[64];
    const int64_t t = 1795635848000LL; /* 2026-11-25T19:44:08Z */
    sla_locale_time(sla_locale_get(SLA_LOCALE_EN), t, 0, buf, sizeof buf);
    CHECK_STR(buf, "2026-11-25 19:44 (UTC)");
    sla_locale_time(sla_locale_get(SLA_LOCALE_ZH_CN), t, 8 * 3600000LL, buf, sizeof buf);
    CHECK_STR(buf, "2026-11-26 03:44（UTC+08:00）");
    sla_locale_time(sla_locale_get(SLA_LOCALE_EN), t, -(5 * 3600000LL + 30 * 60000), buf,
                    sizeof buf);
    CHECK_STR(buf, "2026-11-25 14:14 (UTC-05:30)");
    sla_locale_time(sla_locale_get(SLA_LOCALE_EN), 0, -3600000, buf, sizeof buf);
    CHECK_STR(buf, "1969-12-31 23:00 (UTC-01:00)");
}

static void test_names(void)
{
    CHECK_INT(sla_locale_from_name("zh-CN"), SLA_LOCALE_ZH_CN);
    CHECK_INT(sla_locale_from_name("zh"), SLA_LOCALE_ZH_CN);
    CHECK_INT(sla_locale_from_name("en"), SLA_LOCALE_EN);
    CHECK_INT(sla_locale_from_name("fr"), -1);
    CHECK_INT(sla_locale_from_name(NULL), -1);
    CHECK_STR(sla_locale_name(SLA_LOCALE_ZH_CN), "zh-CN");
    CHECK(sla_locale_name(SLA_LOCALE_COUNT) == NULL);
    CHECK(sla_locale_get(99) == sla_locale_get(SLA_LOCALE_EN));
    /* Every table is complete: a missing sentence would print "(null)". */
    for (int l = 0; l < SLA_LOCALE_COUNT; l++) {
        const sla_locale_text *w = sla_locale_get(l);
        for (int k = 0; k < SLA_LOCALE_KINDS; k++)
            CHECK(w->kind[k] && w->title[k] && w->state[k][0] && w->state[k][1]);
        for (int m = 0; m < 7; m++)
            CHECK(w->metric[m] != NULL);
        CHECK(w->state[3][2] && w->sentence && w->digest_line && w->more && w->value_sep);
    }
}

int main(void)
{
    test_durations();
    test_times();
    test_names();
    return CHECK_DONE();
}
