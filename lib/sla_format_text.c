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
 * Plain text: Alertmanager shows annotations as they are. Values from
 * tickets are cleaned (valid UTF-8, no control characters) and cut to
 * SLA_VALUE_MAX bytes so that one long subject cannot make an alert huge.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sla_duration.h"
#include "sla_format.h"
#include "sla_metric.h"

#define SLA_VALUE_MAX 200

/* A value from a ticket or the configuration, cleaned. */
static void add_value(sla_format_buf *b, const char *s)
{
    sla_format_buf_add_clean(b, s, strlen(s), 0, SLA_VALUE_MAX);
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

void sla_format_title(const sla_decision *d, sla_format_buf *out)
{
    sla_format_buf_puts(out, "SLA ");
    add_kind(out, d);
    sla_format_buf_puts(out, ": ");
    add_metric(out, d->metric, 0);
    sla_format_buf_puts(out, d->subject == SLA_SUBJECT_CUSTOMER ? ", customer " : ", ticket ");
    add_value(out, str_or_empty(d->ticket));
}

/* One "Label: value" line of the notice; value cleaned when is_value. */
static void add_field(sla_format_buf *b, const char *label, const char *value, int is_value)
{
    sla_format_buf_puts(b, label);
    sla_format_buf_puts(b, ": ");
    if (is_value)
        add_value(b, value);
    else
        sla_format_buf_puts(b, value);
    sla_format_buf_puts(b, "\n");
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

void sla_format_text(const sla_decision *d, sla_format_buf *out)
{
    static const struct {
        const char *key, *label;
    } fields[] = {
        {"priority", "Priority"}, {"channel", "Channel"},   {"group", "Group"},
        {"assignee", "Assignee"}, {"customer", "Customer"},
    };
    char when[48];
    const char *link = sla_format_link(d), *subject = sla_format_attr(d, "subject");

    sla_format_title(d, out);
    sla_format_buf_puts(out, "\n");

    add_metric(out, d->metric, 1);
    sla_format_buf_puts(out, d->subject == SLA_SUBJECT_CUSTOMER ? " of customer " : " on ticket ");
    add_value(out, str_or_empty(d->ticket));
    sla_format_buf_puts(out, d->kind == SLA_DECISION_RECOVERED ? " was " : " is ");
    add_state(out, d);
    sla_format_buf_puts(out, " (policy ");
    add_value(out, str_or_empty(d->policy));
    sla_format_buf_puts(out, ").\n");

    if (subject)
        add_field(out, "Subject", subject, 1);
    deadline_text(d->deadline_ms, when, sizeof(when));
    add_field(out, "Deadline", when, 0);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *v = sla_format_attr(d, fields[i].key);
        if (v)
            add_field(out, fields[i].label, v, 1);
    }
    if (link)
        add_field(out, "Link", link, 0);
    trim_newlines(out);
}
