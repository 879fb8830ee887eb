/*
 * sla_format_chat — the words of chat notices (slack, feishu, dingtalk,
 * wecom), in the receiver's language and time zone. See sla_format.h.
 *
 * A notice, as a Feishu group shows it (zh-CN, Asia/Shanghai):
 *
 *   【SLA 超时】首次响应 · 工单 T-1001
 *   工单 T-1001 的首次响应已超时 5 分钟（策略 chat）。
 *   主题：退款没有到账
 *   截止时间：2026-11-26 03:44（UTC+08:00）
 *   处理组：billing
 *   查看工单：https://helpdesk.example/t/T-1001
 *
 * Sentences come from the locale's table (sla_locale.c); this file only
 * lays them out in the four markups and fills in the values.
 *
 * Values from tickets are data, never markup. Each is cleaned (valid
 * UTF-8, no control characters, newlines as spaces), cut to
 * SLA_VALUE_MAX bytes, and every character a platform could read as
 * markup is replaced by a look-alike that it cannot:
 *   < > &      ＜ ＞ ＆ (Slack: &lt; &gt; &amp;, its own escapes)
 *              -> no <at user_id=...>, <@U1>, <!channel>, HTML tags
 *   @          ＠       -> no @all, @所有人, @channel, @mobile
 *   [ ]        ［ ］     -> no [text](url) links or images
 *   * ~ `      ＊ ～ ｀   -> no emphasis or code
 *   \          ＼       -> no escaping of the markup around the value
 *   _          ＿ unless inside a word (snake_case stays)
 *   :  before //   ：   -> "https：//x" is no URL
 *   .  between letters or digits  ․ (U+2024)  -> "phish․example" is no
 *              domain a client turns into a link
 * Values never start a line (each follows a label or bullet slad
 * writes), so headings, quotes and lists cannot start from them.
 *
 * The only link is slad's own: the receiver's ticket_url with {ticket}
 * replaced by the percent-encoded ticket id (every byte outside RFC 3986
 * unreserved), so its host and path are the configuration's. Mentions
 * (sla_format_mentions) come from the configuration too and are added by
 * each format's envelope.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sla_format.h"
#include "sla_metric.h"

#define SLA_VALUE_MAX 200

static int ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A value from a ticket, as text the markup of st shows and never parses. */
static void add_value(sla_format_buf *b, const sla_format_style *st, const char *s)
{
    sla_format_buf tmp = {0};
    sla_format_buf_add_clean(&tmp, s, strlen(s), 0, SLA_VALUE_MAX);
    if (tmp.oom)
        b->oom = 1;
    int slack = st->markup == SLA_MARKUP_SLACK;
    const unsigned char *v = (const unsigned char *)tmp.s;
    for (size_t i = 0; !tmp.oom && i < tmp.len; i++) {
        unsigned char c = v[i], prev = i ? v[i - 1] : 0, next = i + 1 < tmp.len ? v[i + 1] : 0;
        const char *rep = NULL;
        switch (c) {
        case '<': rep = slack ? "&lt;" : "\xEF\xBC\x9C"; break;
        case '>': rep = slack ? "&gt;" : "\xEF\xBC\x9E"; break;
        case '&': rep = slack ? "&amp;" : "\xEF\xBC\x86"; break;
        case '@': rep = "\xEF\xBC\xA0"; break;
        case '[': rep = "\xEF\xBC\xBB"; break;
        case ']': rep = "\xEF\xBC\xBD"; break;
        case '*': rep = "\xEF\xBC\x8A"; break;
        case '~': rep = "\xEF\xBD\x9E"; break;
        case '`': rep = "\xEF\xBD\x80"; break;
        case '\\': rep = "\xEF\xBC\xBC"; break; /* would escape slad's own markup */
        case '_':
            if (!(ascii_alnum(prev) && ascii_alnum(next)))
                rep = "\xEF\xBC\xBF";
            break;
        case ':':
            if (next == '/' && i + 2 < tmp.len && v[i + 2] == '/')
                rep = "\xEF\xBC\x9A";
            break;
        case '.':
            if ((ascii_alnum(prev) || prev >= 0x80) && (ascii_alnum(next) || next >= 0x80))
                rep = "\xE2\x80\xA4";
            break;
        }
        if (rep)
            sla_format_buf_puts(b, rep);
        else
            sla_format_buf_add(b, (const char *)v + i, 1);
    }
    sla_format_buf_release(&tmp);
}

/* The receiver's ticket_url for the ticket, or nothing (b untouched) without one. */
static void ticket_link(sla_format_buf *b, const sla_format_style *st, const char *ticket)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *at = st->ticket_url ? strstr(st->ticket_url, "{ticket}") : NULL;
    if (!at || !ticket || !*ticket)
        return;
    sla_format_buf_add(b, st->ticket_url, (size_t)(at - st->ticket_url));
    for (const unsigned char *c = (const unsigned char *)ticket; *c; c++) {
        if (ascii_alnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~') {
            sla_format_buf_add(b, (const char *)c, 1);
        } else {
            char pct[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            sla_format_buf_add(b, pct, 3);
        }
    }
    sla_format_buf_puts(b, at + strlen("{ticket}"));
}

/* A trusted URL (configuration, checked at load) made safe inside st's link syntax. */
static void add_url(sla_format_buf *b, const sla_format_style *st, const char *url)
{
    for (const char *c = url; *c; c++) {
        if (st->markup == SLA_MARKUP_SLACK && *c == '&')
            sla_format_buf_puts(b, "&amp;");
        else if (st->markup == SLA_MARKUP_SLACK && (*c == '<' || *c == '>' || *c == '|'))
            sla_format_buf_printf(b, "%%%02X", (unsigned char)*c);
        else if ((st->markup == SLA_MARKUP_DINGTALK || st->markup == SLA_MARKUP_WECOM) &&
                 (*c == '(' || *c == ')' || *c == ' '))
            sla_format_buf_printf(b, "%%%02X", (unsigned char)*c);
        else
            sla_format_buf_add(b, c, 1);
    }
}

/* [text](url), <url|text>, or "text: url" in plain (clients link bare URLs). */
static void add_link(sla_format_buf *b, const sla_format_style *st, const char *url,
                     const char *text)
{
    switch (st->markup) {
    case SLA_MARKUP_PLAIN:
        sla_format_buf_puts(b, text);
        sla_format_buf_puts(b, st->words->field_sep);
        sla_format_buf_puts(b, st->words->value_sep);
        sla_format_buf_puts(b, url);
        break;
    case SLA_MARKUP_SLACK:
        sla_format_buf_puts(b, "<");
        add_url(b, st, url);
        sla_format_buf_puts(b, "|");
        sla_format_buf_puts(b, text);
        sla_format_buf_puts(b, ">");
        break;
    case SLA_MARKUP_DINGTALK:
    case SLA_MARKUP_WECOM:
        sla_format_buf_puts(b, "[");
        sla_format_buf_puts(b, text);
        sla_format_buf_puts(b, "](");
        add_url(b, st, url);
        sla_format_buf_puts(b, ")");
        break;
    }
}

/* ---- templates ---------------------------------------------------------- */

/* The values a template of sla_locale.h may name. */
typedef struct notice_vars {
    const char *metric, *kind;     /* words of the table: trusted */
    char Metric[64];
    const char *ticket, *policy;   /* data: escaped when put in */
    char late[48], left[48];
    long long level, n;
    const char *state;             /* an expanded template: already escaped */
} notice_vars;

static void expand(sla_format_buf *b, const sla_format_style *st, const char *tmpl,
                   const notice_vars *v)
{
    const char *p = tmpl;
    while (*p) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            sla_format_buf_puts(b, p);
            return;
        }
        sla_format_buf_add(b, p, (size_t)(open - p));
        size_t n = (size_t)(close - open - 1);
#define IS(name) (n == strlen(name) && memcmp(open + 1, name, n) == 0)
        if (IS("metric"))
            sla_format_buf_puts(b, v->metric);
        else if (IS("Metric"))
            sla_format_buf_puts(b, v->Metric);
        else if (IS("kind"))
            sla_format_buf_puts(b, v->kind);
        else if (IS("ticket"))
            add_value(b, st, v->ticket ? v->ticket : "");
        else if (IS("policy"))
            add_value(b, st, v->policy ? v->policy : "");
        else if (IS("late"))
            sla_format_buf_puts(b, v->late);
        else if (IS("left"))
            sla_format_buf_puts(b, v->left);
        else if (IS("level"))
            sla_format_buf_printf(b, "%lld", v->level);
        else if (IS("n"))
            sla_format_buf_printf(b, "%lld", v->n);
        else if (IS("state"))
            sla_format_buf_puts(b, v->state ? v->state : "");
        else
            sla_format_buf_add(b, open, (size_t)(close - open + 1));
#undef IS
        p = close + 1;
    }
}

static int kind_index(const sla_decision *d)
{
    return d->kind >= 0 && d->kind < SLA_LOCALE_KINDS ? (int)d->kind : SLA_DECISION_BREACH;
}

/* The values of d; v->state expanded into state (which the caller releases). */
static void vars_of(const sla_decision *d, const sla_format_style *st, notice_vars *v,
                    sla_format_buf *state)
{
    const sla_locale_text *w = st->words;
    int k = kind_index(d);
    memset(v, 0, sizeof *v);
    v->metric = d->metric >= 0 && d->metric < SLA_METRIC_COUNT ? w->metric[d->metric] : "SLA";
    snprintf(v->Metric, sizeof v->Metric, "%s", v->metric);
    if (v->Metric[0] >= 'a' && v->Metric[0] <= 'z')
        v->Metric[0] = (char)(v->Metric[0] - 'a' + 'A');
    v->kind = w->kind[k];
    v->ticket = d->ticket;
    v->policy = d->policy;
    v->level = d->level;
    int64_t at = d->fired_ms;
    if (d->kind != SLA_DECISION_RECOVERED && st->as_of_ms > at)
        at = st->as_of_ms; /* held: say how things stand when it is read */
    int64_t past = at - d->deadline_ms;
    sla_locale_duration(w, past, v->late, sizeof v->late);
    sla_locale_duration(w, -past, v->left, sizeof v->left);

    /* [0] a duration, [1] under a second, [2] recovered on time, or a
     * warning read after its deadline */
    int form = 0;
    if (d->kind == SLA_DECISION_WARNING)
        form = past >= 1000 && w->state[k][2] ? 2 : -past < 1000 ? 1 : 0;
    else if (d->kind == SLA_DECISION_RECOVERED && past <= 0)
        form = 2;
    else
        form = past < 1000 ? 1 : 0;
    const char *tmpl = w->state[k][form] ? w->state[k][form] : w->state[k][0];
    expand(state, st, tmpl, v);
    v->state = state->s ? state->s : "";
}

/* ---- layout -------------------------------------------------------------- */

static void add_heading(sla_format_buf *b, const sla_format_style *st, int open)
{
    static const char *const marks[][2] = {
        [SLA_MARKUP_PLAIN] = {"", "\n"},
        [SLA_MARKUP_SLACK] = {"*", "*\n"},
        [SLA_MARKUP_DINGTALK] = {"#### ", "\n\n"},
        [SLA_MARKUP_WECOM] = {"**", "**\n"},
    };
    sla_format_buf_puts(b, marks[st->markup][open ? 0 : 1]);
}

/* The start of a "Label: value" line, up to the value. */
static void add_label(sla_format_buf *b, const sla_format_style *st, const char *label)
{
    static const char *const marks[][2] = {
        [SLA_MARKUP_PLAIN] = {"", ""},
        [SLA_MARKUP_SLACK] = {"*", "* "},
        [SLA_MARKUP_DINGTALK] = {"- **", "** "},
        [SLA_MARKUP_WECOM] = {"> **", "** "},
    };
    sla_format_buf_puts(b, marks[st->markup][0]);
    sla_format_buf_puts(b, label);
    sla_format_buf_puts(b, st->words->field_sep);
    sla_format_buf_puts(b, marks[st->markup][1]);
    if (st->markup == SLA_MARKUP_PLAIN)
        sla_format_buf_puts(b, st->words->value_sep);
}

static void trim_newlines(sla_format_buf *b)
{
    while (b->s && b->len && b->s[b->len - 1] == '\n')
        b->s[--b->len] = '\0';
}

static int64_t zone_offset(const sla_format_style *st, int64_t t)
{
    return st->zone ? sla_calendar_utc_offset(st->zone, t) : 0;
}

void sla_format_chat_title(const sla_decision *d, const sla_format_style *st, sla_format_buf *out)
{
    sla_format_style plain = *st;
    plain.markup = SLA_MARKUP_PLAIN;
    notice_vars v;
    sla_format_buf state = {0};
    vars_of(d, &plain, &v, &state);
    expand(out, &plain, st->words->title[kind_index(d)], &v);
    sla_format_buf_release(&state);
}

void sla_format_chat_text(const sla_decision *d, const sla_format_style *st, sla_format_buf *out)
{
    const sla_locale_text *w = st->words;
    notice_vars v;
    sla_format_buf state = {0}, link = {0};
    char when[64];
    vars_of(d, st, &v, &state);

    add_heading(out, st, 1);
    expand(out, st, w->title[kind_index(d)], &v);
    add_heading(out, st, 0);
    expand(out, st, w->sentence, &v);
    sla_format_buf_puts(out, st->markup == SLA_MARKUP_DINGTALK ? "\n\n" : "\n");

    const char *subject = sla_format_attr(d, "subject");
    if (subject) {
        add_label(out, st, w->subject);
        add_value(out, st, subject);
        sla_format_buf_puts(out, "\n");
    }
    sla_locale_time(w, d->deadline_ms, zone_offset(st, d->deadline_ms), when, sizeof when);
    add_label(out, st, w->deadline);
    sla_format_buf_puts(out, when);
    sla_format_buf_puts(out, "\n");
    for (size_t i = 0; i < sizeof(sla_locale_attr_keys) / sizeof(sla_locale_attr_keys[0]); i++) {
        const char *val = sla_format_attr(d, sla_locale_attr_keys[i]);
        if (!val)
            continue;
        add_label(out, st, w->attr_labels[i]);
        add_value(out, st, val);
        sla_format_buf_puts(out, "\n");
    }
    ticket_link(&link, st, d->ticket);
    if (link.len) {
        if (st->markup == SLA_MARKUP_DINGTALK)
            sla_format_buf_puts(out, "\n");
        add_link(out, st, link.s, w->open_ticket);
    }
    if (state.oom || link.oom)
        out->oom = 1;
    sla_format_buf_release(&state);
    sla_format_buf_release(&link);
    trim_newlines(out);
}

void sla_format_chat_digest_title(size_t n, const sla_format_style *st, sla_format_buf *out)
{
    notice_vars v = {.n = (long long)n};
    expand(out, st, n == 1 ? st->words->digest_title_one : st->words->digest_title_many, &v);
}

/* One notice of a digest, its ticket linked when the receiver has ticket_url. */
static void digest_line(sla_format_buf *b, const sla_decision *d, const sla_format_style *st)
{
    static const char *const bullets[] = {
        [SLA_MARKUP_PLAIN] = "- ",
        [SLA_MARKUP_SLACK] = "\xE2\x80\xA2 ", /* U+2022 bullet: Slack has no list syntax */
        [SLA_MARKUP_DINGTALK] = "- ",
        [SLA_MARKUP_WECOM] = "> ",
    };
    notice_vars v;
    sla_format_buf state = {0};
    vars_of(d, st, &v, &state);
    sla_format_buf_puts(b, bullets[st->markup]);
    expand(b, st, st->words->digest_line, &v);
    sla_format_buf_puts(b, "\n");
    if (state.oom)
        b->oom = 1;
    sla_format_buf_release(&state);
}

void sla_format_chat_digest(const sla_decision *const *ds, size_t n, const sla_format_style *st,
                            size_t max, sla_format_buf *out)
{
    /* Room kept for the "…and N more" line: always fits in this. */
    const size_t trailer_room = 48;
    size_t start = out->len, listed = 0;

    add_heading(out, st, 1);
    sla_format_chat_digest_title(n, st, out);
    add_heading(out, st, 0);

    for (; listed < n && listed < SLA_DIGEST_MAX_LISTED; listed++) {
        sla_format_buf line = {0};
        digest_line(&line, ds[listed], st);
        int fits = !line.oom && out->len - start + line.len + trailer_room <= max;
        if (fits)
            sla_format_buf_add(out, line.s, line.len);
        if (line.oom)
            out->oom = 1;
        sla_format_buf_release(&line);
        if (!fits)
            break;
    }
    if (listed < n) {
        notice_vars v = {.n = (long long)(n - listed)};
        if (st->markup == SLA_MARKUP_SLACK)
            sla_format_buf_puts(out, "_");
        expand(out, st, st->words->more, &v);
        if (st->markup == SLA_MARKUP_SLACK)
            sla_format_buf_puts(out, "_");
    }
    trim_newlines(out);
    if (out->len - start > max) /* only when even the title did not fit */
        sla_format_buf_truncate(out, start + max);
}

/* ---- mentions ------------------------------------------------------------ */

static void add_unique(const char **list, size_t *n, size_t cap, const char *v)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i], v) == 0)
            return;
    if (*n < cap)
        list[(*n)++] = v;
}

void sla_format_mentions_add(sla_format_mentions *m, const sla_mention *src)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->nmobiles; i++)
        add_unique(m->mobiles, &m->nmobiles, SLA_FORMAT_MENTIONS_MAX, src->mobiles[i]);
    for (size_t i = 0; i < src->nuser_ids; i++)
        add_unique(m->user_ids, &m->nuser_ids, SLA_FORMAT_MENTIONS_MAX, src->user_ids[i]);
    m->all |= src->all;
}

size_t sla_format_mentions_room(const sla_format_mentions *m)
{
    /* The longest markup any envelope puts around one id, plus the "all" forms. */
    size_t room = 64;
    for (size_t i = 0; i < m->nmobiles; i++)
        room += strlen(m->mobiles[i]) + 32;
    for (size_t i = 0; i < m->nuser_ids; i++)
        room += strlen(m->user_ids[i]) + 32;
    return room;
}
