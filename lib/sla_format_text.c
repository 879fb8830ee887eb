/*
 * sla_format_text — the English words of a notice for machine formats
 * (Alertmanager's summary and description). See sla_format.h. Chat
 * messages are written by sla_format_chat.c, in the receiver's language.
 *
 * A notice says what was promised and what happened to the promise:
 *
 *   SLA breach: first response, ticket T-1001
 *   First response on ticket T-1001 is overdue 4m12s (policy chat).
 *   Subject: 退款没有到账
 *   Deadline: 2026-11-25 19:44:08 UTC
 *   Group: billing
 *   Assignee: alice
 *   Link: https://helpdesk.example/T-1001
 *
 * The same lines are rendered in four markups (plain, Slack mrkdwn,
 * DingTalk markdown, WeCom markdown); only the decorations differ, so each
 * piece of the notice is written once and decorated by a small switch.
 *
 * Values from tickets are cleaned (valid UTF-8, no control characters),
 * cut to SLA_VALUE_MAX bytes so that one long subject cannot push a
 * message past a platform's size limit, and escaped as the markup needs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sla_duration.h"
#include "sla_format.h"
#include "sla_metric.h"

#define SLA_VALUE_MAX 200

/* A value from a ticket or the configuration, cleaned and escaped for m. */
static void add_value(sla_format_buf *b, enum sla_markup m, const char *s)
{
    if (m != SLA_MARKUP_SLACK) {
        sla_format_buf_add_clean(b, s, strlen(s), 0, SLA_VALUE_MAX);
        return;
    }
    sla_format_buf tmp = {0};
    sla_format_buf_add_clean(&tmp, s, strlen(s), 0, SLA_VALUE_MAX);
    if (tmp.oom)
        b->oom = 1;
    for (size_t i = 0; !tmp.oom && i < tmp.len; i++) {
        /* Slack's mrkdwn reserves exactly these three. */
        switch (tmp.s[i]) {
        case '&': sla_format_buf_puts(b, "&amp;"); break;
        case '<': sla_format_buf_puts(b, "&lt;"); break;
        case '>': sla_format_buf_puts(b, "&gt;"); break;
        default: sla_format_buf_add(b, tmp.s + i, 1);
        }
    }
    sla_format_buf_release(&tmp);
}

/* A URL (already checked by sla_format_link) made safe inside m's link syntax. */
static void add_url(sla_format_buf *b, enum sla_markup m, const char *url)
{
    for (const char *c = url; *c; c++) {
        if (m == SLA_MARKUP_SLACK && *c == '&')
            sla_format_buf_puts(b, "&amp;");
        else if (m == SLA_MARKUP_SLACK && (*c == '<' || *c == '>' || *c == '|'))
            sla_format_buf_printf(b, "%%%02X", (unsigned char)*c);
        else if ((m == SLA_MARKUP_DINGTALK || m == SLA_MARKUP_WECOM) && (*c == '(' || *c == ')'))
            sla_format_buf_printf(b, "%%%02X", (unsigned char)*c);
        else
            sla_format_buf_add(b, c, 1);
    }
}

/* [text](url), <url|text>, or text alone in plain. text is a cleaned value. */
static void add_link(sla_format_buf *b, enum sla_markup m, const char *url, const char *text)
{
    switch (m) {
    case SLA_MARKUP_PLAIN:
        add_value(b, m, text);
        break;
    case SLA_MARKUP_SLACK:
        sla_format_buf_puts(b, "<");
        add_url(b, m, url);
        sla_format_buf_puts(b, "|");
        add_value(b, m, text);
        sla_format_buf_puts(b, ">");
        break;
    case SLA_MARKUP_DINGTALK:
    case SLA_MARKUP_WECOM:
        sla_format_buf_puts(b, "[");
        add_value(b, m, text);
        sla_format_buf_puts(b, "](");
        add_url(b, m, url);
        sla_format_buf_puts(b, ")");
        break;
    }
}

/* "first response"; capitalised "First response" when cap. */
static void add_metric(sla_format_buf *b, int metric, int cap)
{
    const char *name = sla_metric_name(metric);
    if (!name) {
        sla_format_buf_printf(b, "%s %d", cap ? "Metric" : "metric", metric);
        return;
    }
    for (const char *c = name; *c; c++) {
        char ch = *c == '_' ? ' ' : *c;
        if (cap && c == name && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        sla_format_buf_add(b, &ch, 1);
    }
}

static void add_duration(sla_format_buf *b, int64_t ms)
{
    char tmp[32];
    sla_ms_format(ms < 0 ? 0 : ms, tmp, sizeof(tmp));
    sla_format_buf_puts(b, tmp);
}

/* "breach", "escalation (level 2)", ... */
static void add_kind(sla_format_buf *b, const sla_decision *d)
{
    sla_format_buf_puts(b, sla_format_kind_name(d->kind));
    if (d->kind == SLA_DECISION_ESCALATION)
        sla_format_buf_printf(b, " (level %d)", d->level);
}

/* "overdue 4m12s" / "due in 42s" / "met 4m12s late". */
static void add_state(sla_format_buf *b, const sla_decision *d)
{
    int64_t past = d->fired_ms - d->deadline_ms;
    switch (d->kind) {
    case SLA_DECISION_WARNING:
        sla_format_buf_puts(b, "due in ");
        add_duration(b, -past);
        break;
    case SLA_DECISION_RECOVERED:
        sla_format_buf_puts(b, "met");
        if (past > 0) {
            sla_format_buf_puts(b, " ");
            add_duration(b, past);
            sla_format_buf_puts(b, " late");
        }
        break;
    default:
        sla_format_buf_puts(b, "overdue ");
        add_duration(b, past);
    }
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static void title_into(sla_format_buf *b, const sla_decision *d, enum sla_markup m)
{
    sla_format_buf_puts(b, "SLA ");
    add_kind(b, d);
    sla_format_buf_puts(b, ": ");
    add_metric(b, d->metric, 0);
    sla_format_buf_puts(b, d->subject == SLA_SUBJECT_CUSTOMER ? ", customer " : ", ticket ");
    add_value(b, m, str_or_empty(d->ticket));
}

void sla_format_title(const sla_decision *d, sla_format_buf *out)
{
    title_into(out, d, SLA_MARKUP_PLAIN);
}

static void add_heading(sla_format_buf *b, enum sla_markup m, int open)
{
    static const char *const marks[][2] = {
        [SLA_MARKUP_PLAIN] = {"", "\n"},
        [SLA_MARKUP_SLACK] = {"*", "*\n"},
        [SLA_MARKUP_DINGTALK] = {"#### ", "\n\n"},
        [SLA_MARKUP_WECOM] = {"**", "**\n"},
    };
    sla_format_buf_puts(b, marks[m][open ? 0 : 1]);
}

/* One "Label: value" line of the notice. */
static void add_field(sla_format_buf *b, enum sla_markup m, const char *label, const char *value,
                      int is_value)
{
    static const char *const marks[][3] = {
        [SLA_MARKUP_PLAIN] = {"", ": ", "\n"},
        [SLA_MARKUP_SLACK] = {"*", ":* ", "\n"},
        [SLA_MARKUP_DINGTALK] = {"- **", ":** ", "\n"},
        [SLA_MARKUP_WECOM] = {"> **", ":** ", "\n"},
    };
    sla_format_buf_puts(b, marks[m][0]);
    sla_format_buf_puts(b, label);
    sla_format_buf_puts(b, marks[m][1]);
    if (is_value)
        add_value(b, m, value);
    else
        sla_format_buf_puts(b, value);
    sla_format_buf_puts(b, marks[m][2]);
}

/* "2026-11-25 19:44:08 UTC" */
static void deadline_text(int64_t ms, char *out, size_t len)
{
    char iso[40];
    sla_format_rfc3339(ms, iso, sizeof(iso));
    if (strlen(iso) < 19) {
        snprintf(out, len, "%" PRId64 " ms", ms);
        return;
    }
    iso[10] = ' ';
    snprintf(out, len, "%.19s UTC", iso);
}

static void trim_newlines(sla_format_buf *b)
{
    while (b->s && b->len && b->s[b->len - 1] == '\n')
        b->s[--b->len] = '\0';
}

void sla_format_text(const sla_decision *d, enum sla_markup m, sla_format_buf *out)
{
    static const struct {
        const char *key, *label;
    } fields[] = {
        {"priority", "Priority"}, {"channel", "Channel"},   {"group", "Group"},
        {"assignee", "Assignee"}, {"customer", "Customer"},
    };
    char when[48];
    const char *link = sla_format_link(d), *subject = sla_format_attr(d, "subject");

    add_heading(out, m, 1);
    title_into(out, d, m);
    add_heading(out, m, 0);

    add_metric(out, d->metric, 1);
    sla_format_buf_puts(out, d->subject == SLA_SUBJECT_CUSTOMER ? " of customer " : " on ticket ");
    add_value(out, m, str_or_empty(d->ticket));
    sla_format_buf_puts(out, d->kind == SLA_DECISION_RECOVERED ? " was " : " is ");
    add_state(out, d);
    sla_format_buf_puts(out, " (policy ");
    add_value(out, m, str_or_empty(d->policy));
    sla_format_buf_puts(out, m == SLA_MARKUP_DINGTALK ? ").\n\n" : ").\n");

    if (subject)
        add_field(out, m, "Subject", subject, 1);
    deadline_text(d->deadline_ms, when, sizeof(when));
    add_field(out, m, "Deadline", when, 0);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *v = sla_format_attr(d, fields[i].key);
        if (v)
            add_field(out, m, fields[i].label, v, 1);
    }

    if (link && m == SLA_MARKUP_PLAIN) {
        add_field(out, m, "Link", link, 0);
    } else if (link) {
        if (m == SLA_MARKUP_DINGTALK)
            sla_format_buf_puts(out, "\n");
        add_link(out, m, link, "Open ticket");
    }
    trim_newlines(out);
}
