/*
 * sla_reportview — see sla_reportview.h. Text is built in a memory stream
 * (open_memstream: no file, no descriptor), so a long report costs one
 * buffer that grows, and a failure anywhere is one NULL.
 */
#include "sla_reportview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_duration.h"
#include "sla_metric.h"
#include "sla_texttable.h"
#include "sla_textwidth.h"

/* ------------------------------------------------------------- answer -- */

static json_t *ms_or_null(int64_t ms)
{
    return ms < 0 ? json_null() : json_integer(ms == INT64_MAX ? -1 : ms);
}

static json_t *row_json(const sla_report_row *row)
{
    int64_t ended = row->n[0] + row->n[1] + row->n[2] + row->n[3];
    double ach = sla_report_achievement(row);
    return json_pack(
        "{s:s, s:s%, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:o}", "metric",
        sla_metric_name(row->metric), "group", row->group, strlen(row->group), "ended",
        (json_int_t)ended, "met", (json_int_t)row->n[SLA_OUTCOME_MET], "late",
        (json_int_t)row->n[SLA_OUTCOME_LATE], "stopped", (json_int_t)row->n[SLA_OUTCOME_STOPPED],
        "breached", (json_int_t)row->n[SLA_OUTCOME_BREACHED], "breaches",
        (json_int_t)(row->n[SLA_OUTCOME_LATE] + row->n[SLA_OUTCOME_BREACHED]), "achievement",
        ach < 0 ? json_null() : json_real(ach), "median_ms",
        ms_or_null(sla_report_quantile(row, 0.5)), "p90_ms",
        ms_or_null(sla_report_quantile(row, 0.9)), "csat_n", (json_int_t)row->csat_n, "csat_avg",
        row->csat_n ? json_real((double)row->csat_sum / (double)row->csat_n) : json_null());
}

json_t *sla_report_answer(sla_report_query *q, int64_t from, int64_t to, const char *by,
                          int metric, const char *timezone)
{
    json_t *rows = json_array();
    if (rows == NULL)
        return NULL;
    size_t n = sla_report_query_sort(q), shown = 0, bytes = 0;
    for (size_t i = 0; i < n && shown < SLA_REPORT_MAX_ROWS; i++) {
        /* A group that is not valid UTF-8 (json_pack refuses it) is left
         * out rather than failing the whole answer. */
        json_t *row = row_json(sla_report_query_row(q, i));
        if (row == NULL)
            continue;
        size_t size = json_dumpb(row, NULL, 0, JSON_COMPACT) + 1;
        if (bytes + size > SLA_REPORT_ROWS_BYTES) {
            json_decref(row);
            break;
        }
        if (json_array_append_new(rows, row) == 0) {
            shown++;
            bytes += size;
        }
    }
    char f[11], t[11];
    sla_report_day_name(from, f);
    sla_report_day_name(to, t);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:b}", "from", f, "to", t, "by",
                     by ? by : "policy", "metric", metric < 0 ? "" : sla_metric_name(metric),
                     "timezone", timezone ? timezone : "", "rows", rows, "more",
                     (json_int_t)(n - shown), "truncated", n > shown);
}

/* ------------------------------------------------------------- render -- */

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long jint(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* A duration for the report: a bucket's upper bound, "-" for none. */
static const char *report_ms(const json_t *v, char *buf, size_t len)
{
    if (!json_is_integer(v))
        return "-";
    if (json_integer_value(v) < 0)
        return ">7d"; /* the open last bucket */
    sla_ms_format(json_integer_value(v), buf, len);
    return buf;
}

/* One CSV cell (RFC 4180: quoted when it holds a comma, quote or line end). */
static void csv_cell(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

static void render_csv(FILE *f, const json_t *d)
{
    const char *by = jstr(d, "by");
    size_t i;
    json_t *v;
    fprintf(f, "from,to,metric,");
    csv_cell(f, by, 0);
    fprintf(f, "ended,met,late,stopped,breached,achievement,median_ms,p90_ms,csat_avg,csat_n\n");
    json_array_foreach(json_object_get(d, "rows"), i, v) {
        char num[32];
        static const char *const counts[] = {"ended", "met", "late", "stopped", "breached"};
        csv_cell(f, jstr(d, "from"), 0);
        csv_cell(f, jstr(d, "to"), 0);
        csv_cell(f, jstr(v, "metric"), 0);
        csv_cell(f, jstr(v, "group"), 0);
        for (int k = 0; k < 5; k++) {
            snprintf(num, sizeof num, "%lld", jint(v, counts[k]));
            csv_cell(f, num, 0);
        }
        const json_t *a = json_object_get(v, "achievement");
        snprintf(num, sizeof num, json_is_number(a) ? "%.1f" : "", json_number_value(a));
        csv_cell(f, num, 0);
        static const char *const ms[] = {"median_ms", "p90_ms"};
        for (int k = 0; k < 2; k++) {
            const json_t *m = json_object_get(v, ms[k]);
            snprintf(num, sizeof num, json_is_integer(m) ? "%lld" : "",
                     (long long)json_integer_value(m));
            csv_cell(f, num, 0);
        }
        const json_t *c = json_object_get(v, "csat_avg");
        snprintf(num, sizeof num, json_is_number(c) ? "%.2f" : "", json_number_value(c));
        csv_cell(f, num, 0);
        snprintf(num, sizeof num, "%lld", jint(v, "csat_n"));
        csv_cell(f, num, 1);
    }
}

/* s for the terminal: controls and broken UTF-8 shown as '?'. */
static const char *clean(const char *s, char *buf, size_t len)
{
    sla_text_fit(s, strlen(s), SLA_TEXT_UNLIMITED, buf, len);
    return buf;
}

static int render_table(FILE *f, const json_t *d)
{
    const char *by = jstr(d, "by");
    char e[4][256];
    fprintf(f, "%s .. %s (%s), by %s\n", clean(jstr(d, "from"), e[0], sizeof e[0]),
            clean(jstr(d, "to"), e[1], sizeof e[1]), clean(jstr(d, "timezone"), e[2], sizeof e[2]),
            clean(by, e[3], sizeof e[3]));
    char head[128];
    snprintf(head, sizeof head, "%s", strcmp(by, "policy") == 0 ? "POLICY" : by);
    for (char *p = head; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    sla_texttable t;
    sla_texttable_init(&t, 10);
    const char *title[] = {"METRIC", head,     "ENDED",  "ON TIME", "ACHIEVED",
                           "BREACHES", "MEDIAN", "P90",  "CSAT",    "CSAT N"};
    int rc = sla_texttable_row(&t, title);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(d, "rows"), i, v) {
        char c[8][32];
        snprintf(c[0], sizeof c[0], "%lld", jint(v, "ended"));
        snprintf(c[1], sizeof c[1], "%lld", jint(v, "met"));
        const json_t *a = json_object_get(v, "achievement");
        if (json_is_number(a))
            snprintf(c[2], sizeof c[2], "%.1f %%", json_number_value(a));
        else
            snprintf(c[2], sizeof c[2], "-");
        snprintf(c[3], sizeof c[3], "%lld", jint(v, "breaches"));
        const json_t *cs = json_object_get(v, "csat_avg");
        if (json_is_number(cs))
            snprintf(c[4], sizeof c[4], "%.2f", json_number_value(cs));
        else
            snprintf(c[4], sizeof c[4], "-");
        snprintf(c[5], sizeof c[5], "%lld", jint(v, "csat_n"));
        const char *group = jstr(v, "group");
        const char *cells[] = {jstr(v, "metric"),
                               group[0] ? group : "-",
                               c[0],
                               c[1],
                               c[2],
                               c[3],
                               report_ms(json_object_get(v, "median_ms"), c[6], sizeof c[6]),
                               report_ms(json_object_get(v, "p90_ms"), c[7], sizeof c[7]),
                               c[4],
                               c[5]};
        if (rc == 0)
            rc = sla_texttable_row(&t, cells);
    }
    if (rc == 0 && t.nrows == 1) {
        fputs("no clock ended in this range\n", f);
    } else if (rc == 0) {
        char *text = sla_texttable_render(&t);
        if (text)
            fputs(text, f);
        else
            rc = -1;
        free(text);
    }
    sla_texttable_release(&t);
    long long more = jint(d, "more");
    if (more > 0)
        fprintf(f, "(%lld more row%s not shown: narrow the report with --metric or a shorter "
                   "range)\n",
                more, more == 1 ? "" : "s");
    return rc;
}

char *sla_report_render(const json_t *answer, int csv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    int rc = 0;
    if (csv)
        render_csv(f, answer);
    else
        rc = render_table(f, answer);
    if (fclose(f) != 0 || rc < 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ------------------------------------------------------------ compare -- */

/* n with a comma every three digits ("4,120"). */
static const char *thousands(long long n, char *buf, size_t len)
{
    char digits[32];
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    int nd = snprintf(digits, sizeof digits, "%llu", u);
    size_t w = 0;
    if (n < 0 && w + 1 < len)
        buf[w++] = '-';
    for (int i = 0; i < nd && w + 2 < len; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            buf[w++] = ',';
        buf[w++] = digits[i];
    }
    buf[w] = '\0';
    return buf;
}

static const json_t *find_row(const json_t *answer, const char *metric, const char *group)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(answer, "rows"), i, v) {
        if (strcmp(jstr(v, "metric"), metric) == 0 && strcmp(jstr(v, "group"), group) == 0)
            return v;
    }
    return NULL;
}

static void achievement_text(const json_t *row, char *buf, size_t len)
{
    const json_t *a = row ? json_object_get(row, "achievement") : NULL;
    if (json_is_number(a))
        snprintf(buf, len, "%.1f %%", json_number_value(a));
    else
        snprintf(buf, len, "-");
}

/* One line: what changed for (metric, group); totals when both rows NULL. */
static void diff_line(FILE *f, const char *metric, const char *group, const json_t *live,
                      const json_t *replayed)
{
    long long was = live ? jint(live, "breaches") : 0;
    long long now = replayed ? jint(replayed, "breaches") : 0;
    char a[32], b[32], n[40], nn[40], nw[40], e[2][256];
    achievement_text(live, a, sizeof a);
    achievement_text(replayed, b, sizeof b);
    fprintf(f, "%s %s: ", clean(metric, e[0], sizeof e[0]),
            group[0] ? clean(group, e[1], sizeof e[1]) : "-");
    if (now == was)
        fprintf(f, "the same breaches (%s)", thousands(now, n, sizeof n));
    else
    {
        long long d = now > was ? now - was : was - now;
        fprintf(f, "%s %s breach%s (%s instead of %s)", thousands(d, n, sizeof n),
                now > was ? "more" : "fewer", d == 1 ? "" : "es", thousands(now, nn, sizeof nn),
                thousands(was, nw, sizeof nw));
    }
    fprintf(f, ", achievement %s -> %s\n", a, b);
}

char *sla_report_render_diff(const json_t *live, const json_t *replayed)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    size_t i;
    json_t *v;
    /* Rows of the replay in order, then those only the live report has. */
    json_array_foreach(json_object_get(replayed, "rows"), i, v) {
        diff_line(f, jstr(v, "metric"), jstr(v, "group"),
                  find_row(live, jstr(v, "metric"), jstr(v, "group")), v);
    }
    json_array_foreach(json_object_get(live, "rows"), i, v) {
        if (!find_row(replayed, jstr(v, "metric"), jstr(v, "group")))
            diff_line(f, jstr(v, "metric"), jstr(v, "group"), v, NULL);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ------------------------------------------------------------ targets -- */

static const sla_policy *policy_named(const sla_config *c, const char *name)
{
    for (size_t i = 0; i < c->npolicies; i++)
        if (strcmp(c->policies[i].name, name) == 0)
            return &c->policies[i];
    return NULL;
}

/* A target as written: "30s", "2d", "3 rings", "1d+2h00m". */
static const char *span_text(const sla_target *t, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    if (t->target.days)
        n += (size_t)snprintf(buf + n, len - n, "%dd", (int)t->target.days);
    if (t->target.rings && n < len)
        n += (size_t)snprintf(buf + n, len - n, "%s%d rings", n ? "+" : "",
                              (int)t->target.rings);
    if ((t->target.ms || n == 0) && n + 1 < len) {
        if (n)
            buf[n++] = '+';
        sla_ms_format(t->target.ms, buf + n, len - n);
    }
    return buf;
}

static int same_target(const sla_target *a, const sla_target *b)
{
    return a->defined == b->defined &&
           (!a->defined || (a->target.ms == b->target.ms && a->target.days == b->target.days &&
                            a->target.rings == b->target.rings));
}

char *sla_report_render_targets(const sla_config *live, const sla_config *replayed)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    for (size_t i = 0; i < replayed->npolicies; i++) {
        const sla_policy *p = &replayed->policies[i], *l = policy_named(live, p->name);
        char e[256];
        clean(p->name, e, sizeof e);
        if (l == NULL) {
            fprintf(f, "%s: not in the live configuration\n", e);
            continue;
        }
        for (int m = 0; m < SLA_METRIC_COUNT; m++) {
            const sla_target *now = &p->metrics[m], *was = &l->metrics[m];
            if (same_target(now, was))
                continue;
            char a[64], b[64];
            fprintf(f, "%s %s: ", e, sla_metric_name(m));
            if (now->defined && was->defined)
                fprintf(f, "target %s instead of %s\n", span_text(now, a, sizeof a),
                        span_text(was, b, sizeof b));
            else if (now->defined)
                fprintf(f, "target %s, not set live\n", span_text(now, a, sizeof a));
            else
                fprintf(f, "not set, %s live\n", span_text(was, b, sizeof b));
        }
    }
    for (size_t i = 0; i < live->npolicies; i++) {
        char e[256];
        if (policy_named(replayed, live->policies[i].name) == NULL)
            fprintf(f, "%s: not in the replay\n", clean(live->policies[i].name, e, sizeof e));
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
