/*
 * sla_locale — the words of chat notices. See sla_locale.h.
 *
 * Reviewing a translation means reading one table below; the golden files
 * under tests/unit/golden/ show every sentence in place.
 */
#include "sla_locale.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sla_timefmt.h"

const char *const sla_locale_attr_keys[5] = {"priority", "channel", "group", "assignee",
                                             "customer"};

static const sla_locale_text tables[SLA_LOCALE_COUNT] = {
    [SLA_LOCALE_EN] = {
        .code = "en",
        .metric = {"first response", "next response", "pickup", "periodic update",
                   "resolution", "follow-up", "callback"},
        .kind = {"Warning", "Breach", "Escalation", "Recovered"},
        .title = {
            "SLA warning: {metric}, ticket {ticket}",
            "SLA breach: {metric}, ticket {ticket}",
            "SLA escalation (level {level}): {metric}, ticket {ticket}",
            "SLA recovered: {metric}, ticket {ticket}",
        },
        .state = {
            {"due in {left}", "due now", "deadline passed"},
            {"overdue by {late}", "just overdue", NULL},
            {"overdue by {late}, escalated to level {level}",
             "just overdue, escalated to level {level}", NULL},
            {"met {late} late", "met just after the deadline", "met on time"},
        },
        .sentence = "{Metric} on ticket {ticket}: {state} (policy {policy}).",
        .digest_line = "{kind}: {metric}, ticket {ticket}, {state}",
        .digest_title_one = "1 SLA notice",
        .digest_title_many = "{n} SLA notices",
        .more = "\xE2\x80\xA6" "and {n} more",
        .field_sep = ":",
        .value_sep = " ",
        .subject = "Subject",
        .deadline = "Deadline",
        .open_ticket = "Open ticket",
        .attr_labels = {"Priority", "Channel", "Group", "Assignee", "Customer"},
        .units = {"d", "h", "min", "s"},
        .unit_sep = " ",
        .part_sep = " ",
        .open_paren = " (",
        .close_paren = ")",
    },
    [SLA_LOCALE_ZH_CN] = {
        .code = "zh-CN",
        .metric = {"首次响应", "后续响应", "接听", "定期更新", "解决", "跟进", "回电"},
        .kind = {"预警", "超时", "升级", "已恢复"},
        .title = {
            "【SLA 预警】{metric} · 工单 {ticket}",
            "【SLA 超时】{metric} · 工单 {ticket}",
            "【SLA 升级至第 {level} 级】{metric} · 工单 {ticket}",
            "【SLA 已恢复】{metric} · 工单 {ticket}",
        },
        .state = {
            {"将在 {left}后超时", "即将超时", "已过截止时间"},
            {"已超时 {late}", "刚刚超时", NULL},
            {"已超时 {late}，升级至第 {level} 级", "刚刚超时，升级至第 {level} 级", NULL},
            {"已完成，超出时限 {late}", "已完成，刚过时限", "已按时完成"},
        },
        .sentence = "工单 {ticket} 的{metric}{state}（策略 {policy}）。",
        .digest_line = "【{kind}】工单 {ticket} 的{metric}{state}",
        .digest_title_one = "SLA 提醒 1 条",
        .digest_title_many = "SLA 提醒 {n} 条",
        .more = "另有 {n} 条",
        .field_sep = "：",
        .value_sep = "",
        .subject = "主题",
        .deadline = "截止时间",
        .open_ticket = "查看工单",
        .attr_labels = {"优先级", "渠道", "处理组", "处理人", "客户"},
        .units = {"天", "小时", "分钟", "秒"},
        .unit_sep = " ",
        .part_sep = " ",
        .open_paren = "（",
        .close_paren = "）",
    },
};

const sla_locale_text *sla_locale_get(int l)
{
    return l >= 0 && l < SLA_LOCALE_COUNT ? &tables[l] : &tables[SLA_LOCALE_EN];
}

int sla_locale_from_name(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "en") == 0)
        return SLA_LOCALE_EN;
    if (strcmp(name, "zh-CN") == 0 || strcmp(name, "zh") == 0 || strcmp(name, "zh_CN") == 0)
        return SLA_LOCALE_ZH_CN;
    return -1;
}

const char *sla_locale_name(int l)
{
    return l >= 0 && l < SLA_LOCALE_COUNT ? tables[l].code : NULL;
}

int sla_locale_duration(const sla_locale_text *t, int64_t ms, char *buf, size_t len)
{
    static const int64_t unit_ms[4] = {86400000, 3600000, 60000, 1000};
    int64_t v = ms < 0 ? 0 : ms;
    int u = 0;
    while (u < 3 && v < unit_ms[u])
        u++;
    /* Days and hours take the next unit along ("1 h 20 min"); minutes
     * never show seconds ("5 min"): nobody acts on the seconds. */
    int64_t q = v / unit_ms[u], next = u < 2 ? v % unit_ms[u] / unit_ms[u + 1] : 0;
    if (next)
        return snprintf(buf, len, "%" PRId64 "%s%s%s%" PRId64 "%s%s", q, t->unit_sep,
                        t->units[u], t->part_sep, next, t->unit_sep, t->units[u + 1]);
    return snprintf(buf, len, "%" PRId64 "%s%s", q, t->unit_sep, t->units[u]);
}

int sla_locale_time(const sla_locale_text *t, int64_t ms, int64_t offset_ms, char *buf,
                    size_t len)
{
    int64_t local = ms + offset_ms;
    int64_t days = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
    int64_t in_day = local - days * 86400000, y;
    int mo, d;
    sla_civil_from_days(days, &y, &mo, &d);
    int64_t off_min = (offset_ms < 0 ? -offset_ms : offset_ms) / 60000;
    char zone[24];
    if (offset_ms == 0)
        snprintf(zone, sizeof zone, "UTC");
    else
        snprintf(zone, sizeof zone, "UTC%c%02d:%02d", offset_ms < 0 ? '-' : '+',
                 (int)(off_min / 60), (int)(off_min % 60));
    return snprintf(buf, len, "%04" PRId64 "-%02d-%02d %02d:%02d%s%s%s", y, mo, d,
                    (int)(in_day / 3600000), (int)(in_day / 60000 % 60), t->open_paren, zone,
                    t->close_paren);
}
