/*
 * report — outcome counters in Redis and the report query. See report.h.
 *
 * A query in flight holds only its sla_report_query (rows so far) and the
 * next (day, partition) to read; each HGETALL reply is folded in and the
 * next request sent from its callback. With partitions > 1 every day is the
 * sum of the partitions' day hashes ("<prefix>{pK}:report:<day>"): one
 * HGETALL per partition and day, each a command of one key, so that on a
 * Redis Cluster each goes to the node of its partition and none spans two. A query whose link drops ends with an error. At
 * most REPORT_MAX_QUERIES run at once; a day range is at most
 * report.keep_days long (older days have expired anyway).
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sla_calendar.h"
#include "sla_log.h"
#include "sla_metric.h"
#include "sla_report.h"
#include "sla_reportview.h"
#include "wakeup.h"

#define REPORT_MAX_QUERIES 8
#define REPORT_DAY_MS 86400000LL

static struct {
    const sla_config *cfg;
    const sla_keys *keys;
    redis_link *link;
    sla_calendar *zone;       /* owned: a zone without hours */
    char zone_name[256];
    sla_report_batch *batch;  /* owned; cleared after each stage */
    int queries;
} rep;

/* The system's zone name: TZ, /etc/localtime's target, /etc/timezone, UTC. */
static void system_zone(char *out, size_t len)
{
    const char *tz = getenv("TZ");
    if (tz && *tz) {
        snprintf(out, len, "%s", tz[0] == ':' ? tz + 1 : tz);
        return;
    }
    char link[512];
    ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
    if (n > 0) {
        link[n] = '\0';
        const char *z = strstr(link, "zoneinfo/");
        if (z) {
            snprintf(out, len, "%s", z + 9);
            return;
        }
    }
    FILE *f = fopen("/etc/timezone", "r");
    if (f) {
        char line[256] = "";
        if (fgets(line, sizeof line, f)) {
            line[strcspn(line, " \t\r\n")] = '\0';
            if (line[0]) {
                snprintf(out, len, "%s", line);
                fclose(f);
                return;
            }
        }
        fclose(f);
    }
    snprintf(out, len, "UTC");
}

sla_calendar *report_zone_new(const sla_config *cfg, char *name, size_t len)
{
    char err[256];
    if (cfg->report.timezone && cfg->report.timezone[0])
        snprintf(name, len, "%s", cfg->report.timezone);
    else
        system_zone(name, len);
    sla_calendar *z = sla_calendar_new(name, err, sizeof err);
    if (!z) {
        sla_warning("report: system time zone '%s' not usable (%s); days are counted in UTC",
                    name, err);
        snprintf(name, len, "UTC");
        z = sla_calendar_new(name, err, sizeof err);
    }
    return z;
}

static int report_load_zone(const sla_config *cfg)
{
    char name[256];
    sla_calendar *z = report_zone_new(cfg, name, sizeof name);
    if (!z)
        return -1;
    sla_calendar_free(rep.zone);
    rep.zone = z;
    snprintf(rep.zone_name, sizeof rep.zone_name, "%s", name);
    return 0;
}

int report_init(const sla_config *cfg, const sla_keys *keys, redis_link *command)
{
    rep.cfg = cfg;
    rep.keys = keys;
    rep.link = command;
    rep.batch = sla_report_batch_new();
    if (!rep.batch || report_load_zone(cfg) < 0)
        return -1;
    sla_info("report: days counted in time zone %s", rep.zone_name);
    return 0;
}

void report_set_config(const sla_config *cfg)
{
    rep.cfg = cfg;
    if (report_load_zone(cfg) == 0)
        sla_info("report: days counted in time zone %s", rep.zone_name);
}

void report_finish(void)
{
    sla_calendar_free(rep.zone);
    sla_report_batch_free(rep.batch);
    rep.zone = NULL;
    rep.batch = NULL;
    rep.link = NULL;
}

const char *report_timezone(void) { return rep.zone_name; }

static void day_key(const char *prefix, int64_t day, char *out, size_t len)
{
    char name[11];
    sla_report_day_name(day, name);
    snprintf(out, len, "%s%s", prefix, name);
}

int report_stage(const sla_output *o, const sla_keys *keys, report_send_fn *send, void *arg)
{
    if (o->noutcomes == 0 || !rep.batch)
        return 0;
    const sla_config *cfg = rep.cfg;
    sla_report_batch_clear(rep.batch);
    for (size_t i = 0; i < o->noutcomes; i++) {
        int64_t day = sla_calendar_local_day(rep.zone, o->outcomes[i].at_ms);
        if (sla_report_batch_add(rep.batch, &o->outcomes[i], day, cfg->report.dimensions,
                                 cfg->report.ndimensions) < 0)
            return -1;
    }
    size_t n = sla_report_batch_entries(rep.batch);
    int64_t now = wakeup_now_ms(), last_day = INT64_MIN;
    char key[SLA_KEY_MAX + 16];
    for (size_t i = 0; i < n; i++) {
        int64_t day;
        const char *field;
        size_t flen;
        long long incr;
        sla_report_batch_entry(rep.batch, i, &day, &field, &flen, &incr);
        day_key(keys->report, day, key, sizeof key);
        char num[24];
        snprintf(num, sizeof num, "%lld", incr);
        const char *argv[] = {"HINCRBY", key, field, num};
        size_t lens[] = {7, strlen(key), flen, strlen(num)};
        if (send(arg, 4, argv, lens) < 0)
            return -1;
        if (day != last_day) {
            /* Kept keep_days after the day ends (UTC day bounds: a few hours
             * either way do not matter at this scale). */
            int64_t until = (day + 1 + cfg->report.keep_days) * REPORT_DAY_MS;
            long long secs = until > now ? (until - now) / 1000 + 1 : 1;
            snprintf(num, sizeof num, "%lld", secs);
            const char *ex[] = {"EXPIRE", key, num};
            size_t exl[] = {6, strlen(key), strlen(num)};
            if (send(arg, 3, ex, exl) < 0)
                return -1;
            last_day = day;
        }
    }
    return 0;
}

/* --- the query ------------------------------------------------------------ */

typedef struct report_run {
    sla_report_query *q;
    int64_t from, to, day;
    int partition;           /* of the day being read; -1 unpartitioned */
    char by[80];
    int metric;
    report_done_fn *done;
    void *arg;
} report_run;

static void run_end(report_run *r, json_t *data, const char *why)
{
    r->done(data, why, r->arg);
    sla_report_query_free(r->q);
    free(r);
    rep.queries--;
}

static json_t *run_answer(report_run *r)
{
    return sla_report_answer(r->q, r->from, r->to, r->by, r->metric, rep.zone_name);
}

static void run_next(report_run *r);

static void on_day(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    report_run *r = privdata;
    const redisReply *rp = reply;
    if (rp == NULL || rp->type == REDIS_REPLY_ERROR) {
        run_end(r, NULL, rp ? rp->str : "redis connection lost");
        return;
    }
    for (size_t i = 0; rp->type == REDIS_REPLY_ARRAY && i + 1 < rp->elements; i += 2) {
        const redisReply *f = rp->element[i], *v = rp->element[i + 1];
        if (f->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
            sla_report_query_add(r->q, f->str, f->len, v->str, v->len) < 0) {
            run_end(r, NULL, "out of memory");
            return;
        }
    }
    /* The next partition of the day, then the next day. */
    if (r->partition >= 0 && r->partition + 1 < rep.cfg->partitions) {
        r->partition++;
    } else {
        r->day++;
        r->partition = rep.cfg->partitions > 1 ? 0 : -1;
    }
    run_next(r);
}

static void run_next(report_run *r)
{
    if (r->day > r->to) {
        run_end(r, run_answer(r), NULL);
        return;
    }
    char key[SLA_KEY_MAX + 16];
    sla_keys pk;
    const sla_keys *keys = rep.keys;
    if (r->partition >= 0) {
        if (sla_keys_init(&pk, rep.cfg->stream.prefix, r->partition) < 0) {
            run_end(r, NULL, "stream.prefix is too long");
            return;
        }
        keys = &pk;
    }
    day_key(keys->report, r->day, key, sizeof key);
    const char *argv[] = {"HGETALL", key};
    size_t lens[] = {7, strlen(key)};
    if (!rep.link || redis_link_command(rep.link, on_day, r, 2, argv, lens) < 0)
        run_end(r, NULL, "redis is not connected");
}

static int day_arg(const json_t *args, const char *name, int64_t *day, char *why, size_t len)
{
    const json_t *v = json_object_get(args, name);
    if (!v)
        return 0;
    if (!json_is_string(v) || sla_report_day_parse(json_string_value(v), day) < 0) {
        snprintf(why, len, "--%s takes a date YYYY-MM-DD", name);
        return -1;
    }
    return 0;
}

void report_query(const json_t *args, report_done_fn *done, void *arg)
{
    char why[160];
    int64_t today = sla_calendar_local_day(rep.zone, wakeup_now_ms());
    int64_t to = today, from = INT64_MIN;
    if (day_arg(args, "to", &to, why, sizeof why) < 0 ||
        day_arg(args, "from", &from, why, sizeof why) < 0) {
        done(NULL, why, arg);
        return;
    }
    if (from == INT64_MIN)
        from = to - 6;
    const char *by = json_string_value(json_object_get(args, "by"));
    const char *metric = json_string_value(json_object_get(args, "metric"));
    int m = metric ? sla_metric_from_name(metric, strlen(metric)) : -1;
    if (metric && m < 0) {
        snprintf(why, sizeof why, "unknown metric '%.64s'", metric);
        done(NULL, why, arg);
        return;
    }
    int known = !by || strcmp(by, "policy") == 0;
    for (size_t i = 0; !known && i < rep.cfg->report.ndimensions; i++)
        known = strcmp(by, rep.cfg->report.dimensions[i]) == 0;
    if (!known) {
        snprintf(why, sizeof why, "--by takes 'policy' or a dimension of report.dimensions, not '%.64s'",
                 by);
        done(NULL, why, arg);
        return;
    }
    if (from > to || to - from + 1 > rep.cfg->report.keep_days) {
        snprintf(why, sizeof why, "the range must run forwards and span at most %d days "
                 "(report.keep_days)", rep.cfg->report.keep_days);
        done(NULL, why, arg);
        return;
    }
    if (rep.queries >= REPORT_MAX_QUERIES) {
        done(NULL, "too many reports running; try again", arg);
        return;
    }
    report_run *r = calloc(1, sizeof *r);
    if (r)
        r->q = sla_report_query_new(m, by);
    if (!r || !r->q) {
        free(r);
        done(NULL, "out of memory", arg);
        return;
    }
    rep.queries++;
    r->from = from;
    r->to = to;
    r->day = from;
    r->partition = rep.cfg->partitions > 1 ? 0 : -1;
    r->metric = m;
    snprintf(r->by, sizeof r->by, "%s", by ? by : "policy");
    r->done = done;
    r->arg = arg;
    run_next(r);
}
