/*
 * replay — see replay.h.
 *
 * Memory: one page of entries (REPLAY_PAGE), the engine's tickets, one
 * batch of outcome counters (merged and folded into the rows after every
 * page) and the rows. The engine's output is collected and dropped after
 * every page: its upserts and decisions are what the live daemon would
 * write, and a replay writes nothing.
 *
 * Partitions (partitions > 1): each partition's input stream is replayed
 * in turn by an engine of its own, as the live partition's pipeline applied
 * it (a ticket is in one partition only, and an engine's horizon follows
 * its own stream), and the outcomes of all are summed; the live side is the
 * sum of the partitions' day hashes. Each command names one key, so every
 * read goes to its partition's node.
 */
#include "replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "report.h"
#include "sla_calendar.h"
#include "sla_config.h"
#include "sla_engine.h"
#include "sla_event.h"
#include "sla_keys.h"
#include "sla_log.h"
#include "sla_metric.h"
#include "sla_report.h"
#include "sla_reportview.h"
#include "sla_streamid.h"

#define REPLAY_PAGE "2000"

typedef struct replay_run {
    const sla_config *cfg;
    const sla_config *live_cfg; /* NULL: targets not compared */
    sla_keys keys;
    sla_calendar *zone;
    char zone_name[256];
    int64_t from, to;     /* local days */
    const char *by;
    int metric;
    redisContext *redis;
    sla_engine *engine;
    sla_output out;
    sla_report_batch *batch;
    sla_report_query *replayed, *live;
    sla_field *fields;
    size_t fields_cap;
    sla_event ev;
    /* figures */
    uint64_t entries, applied, dead;
    int64_t first_ms, last_ms; /* id times of the first and last entries */
    int64_t prev_ms;           /* id time of the entry before */
} replay_run;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static redisContext *replay_connect(const sla_config *cfg)
{
    struct timeval tv = {cfg->redis.connect_timeout_ms / 1000,
                         (cfg->redis.connect_timeout_ms % 1000) * 1000};
    if (tv.tv_sec == 0 && tv.tv_usec == 0)
        tv.tv_sec = 5;
    redisContext *c = cfg->redis.unix_socket && cfg->redis.unix_socket[0]
                          ? redisConnectUnixWithTimeout(cfg->redis.unix_socket, tv)
                          : redisConnectWithTimeout(cfg->redis.host ? cfg->redis.host
                                                                    : "127.0.0.1",
                                                    cfg->redis.port, tv);
    if (c == NULL || c->err) {
        fprintf(stderr, "slad: cannot connect to redis: %s\n", c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisReply *r = NULL;
    if (cfg->redis.password) {
        r = redisCommand(c, "AUTH %s", cfg->redis.password);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "slad: redis refused AUTH\n");
            goto fail;
        }
        freeReplyObject(r);
    }
    r = redisCommand(c, "SELECT %d", cfg->redis.db);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "slad: redis refused SELECT %d\n", cfg->redis.db);
        goto fail;
    }
    freeReplyObject(r);
    return c;
fail:
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return NULL;
}

/* The outcomes collected so far, counted as the live daemon counts them
 * (sla_report_batch: the same fields, escaping and cuts) and folded into
 * the replayed rows when their day is in the range. */
static int replay_fold(replay_run *r)
{
    sla_engine_collect(r->engine, &r->out);
    sla_report_batch_clear(r->batch);
    for (size_t i = 0; i < r->out.noutcomes; i++) {
        const sla_outcome *o = &r->out.outcomes[i];
        int64_t day = sla_calendar_local_day(r->zone, o->at_ms);
        if (day < r->from || day > r->to)
            continue;
        if (sla_report_batch_add(r->batch, o, day, r->cfg->report.dimensions,
                                 r->cfg->report.ndimensions) < 0)
            return -1;
    }
    sla_output_clear(&r->out);
    size_t n = sla_report_batch_entries(r->batch);
    for (size_t i = 0; i < n; i++) {
        int64_t day;
        const char *field;
        size_t flen;
        long long incr;
        char num[24];
        sla_report_batch_entry(r->batch, i, &day, &field, &flen, &incr);
        int len = snprintf(num, sizeof num, "%lld", incr);
        if (sla_report_query_add(r->replayed, field, flen, num, (size_t)len) < 0)
            return -1;
    }
    return 0;
}

/* One entry: parse and apply it as the live daemon does (dead letters are
 * skipped, as the live daemon skips them). */
static int replay_entry(replay_run *r, const redisReply *e, sla_streamid *id)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
        e->element[0]->type != REDIS_REPLY_STRING ||
        sla_streamid_parse(e->element[0]->str, e->element[0]->len, id) < 0)
        return -1;
    r->entries++;
    if (r->first_ms == INT64_MIN || (int64_t)id->ms < r->first_ms)
        r->first_ms = (int64_t)id->ms;
    if ((int64_t)id->ms > r->last_ms)
        r->last_ms = (int64_t)id->ms;
    const redisReply *list = e->element[1];
    if (list->type != REDIS_REPLY_ARRAY || list->elements % 2 != 0) {
        r->dead++;
        return 0;
    }
    size_t n = list->elements / 2;
    size_t look = r->cfg->stream.limits.max_fields < SLA_EVENT_MAX_FIELDS
                      ? r->cfg->stream.limits.max_fields
                      : SLA_EVENT_MAX_FIELDS;
    if (n > look + 1)
        n = look + 1; /* enough to refuse it as too_many_fields */
    if (n > r->fields_cap) {
        sla_field *f = realloc(r->fields, n * sizeof *f);
        if (f == NULL)
            return -2;
        r->fields = f;
        r->fields_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        const redisReply *k = list->element[2 * i], *v = list->element[2 * i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            r->dead++;
            return 0;
        }
        r->fields[i] = (sla_field){k->str, (size_t)k->len, v->str, (size_t)v->len};
    }
    int64_t now = (int64_t)id->ms;
    /* The horizon of a caught-up daemon about to apply this entry: what
     * reached Redis before its millisecond has been applied. Entries of
     * one millisecond are applied together, as one read takes them. */
    if (now > r->prev_ms)
        sla_engine_advance_to(r->engine, now - 1, now);
    r->prev_ms = now;
    if (sla_event_parse(&r->ev, r->fields, n, now, &r->cfg->stream.limits, NULL, 0) < 0) {
        r->dead++;
        return 0;
    }
    if (sla_engine_apply(r->engine, &r->ev, id, now) == SLA_APPLIED)
        r->applied++;
    return 0;
}

/* Every entry of the stream, a page at a time. 0, or the exit status. */
static int replay_stream(replay_run *r)
{
    /* A fresh engine per stream (partition): what a pipeline starts from. */
    if (r->engine == NULL || r->prev_ms != INT64_MIN) {
        sla_engine_free(r->engine);
        r->engine = sla_engine_new(r->cfg, 0);
        if (r->engine == NULL) {
            fprintf(stderr, "slad: out of memory\n");
            return 2;
        }
    }
    r->prev_ms = INT64_MIN;
    char start[64] = "-";
    for (;;) {
        redisReply *page = redisCommand(r->redis, "XRANGE %s %s + COUNT " REPLAY_PAGE,
                                        r->keys.events, start);
        if (page == NULL || page->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "slad: XRANGE %s: %s\n", r->keys.events,
                    page ? (page->type == REDIS_REPLY_ERROR ? page->str : "unexpected reply")
                         : r->redis->errstr);
            if (page)
                freeReplyObject(page);
            return 2;
        }
        sla_streamid id = {0, 0};
        int got = 0;
        for (size_t i = 0; i < page->elements; i++) {
            int rc = replay_entry(r, page->element[i], &id);
            if (rc == -2) {
                freeReplyObject(page);
                fprintf(stderr, "slad: out of memory\n");
                return 2;
            }
            got |= rc == 0;
        }
        size_t n = page->elements;
        freeReplyObject(page);
        if (replay_fold(r) < 0) {
            fprintf(stderr, "slad: out of memory\n");
            return 2;
        }
        if (n == 0 || !got)
            return 0;
        /* Exclusive start after the last entry (Redis 6.2+). */
        char idbuf[48];
        sla_streamid_format(&id, idbuf, sizeof idbuf);
        snprintf(start, sizeof start, "(%s", idbuf);
    }
}

/* fn(r) with r->keys the unpartitioned keys, or each partition's in turn.
 * 0, or the first exit status not 0. */
static int replay_each_partition(replay_run *r, int (*fn)(replay_run *r))
{
    if (r->cfg->partitions <= 1)
        return fn(r);
    for (int p = 0; p < r->cfg->partitions; p++) {
        int rc;
        if (sla_keys_init(&r->keys, r->cfg->stream.prefix, p) < 0)
            return 2;
        if ((rc = fn(r)) != 0)
            return rc;
    }
    return 0;
}

/* The live rows: the day hashes of the range. 0, or the exit status. */
static int replay_live(replay_run *r)
{
    for (int64_t day = r->from; day <= r->to; day++) {
        char name[11];
        sla_report_day_name(day, name);
        redisReply *h = redisCommand(r->redis, "HGETALL %s%s", r->keys.report, name);
        if (h == NULL || h->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "slad: HGETALL %s%s: %s\n", r->keys.report, name,
                    h ? h->str : r->redis->errstr);
            if (h)
                freeReplyObject(h);
            return 2;
        }
        for (size_t i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2) {
            const redisReply *f = h->element[i], *v = h->element[i + 1];
            if (f->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
                sla_report_query_add(r->live, f->str, f->len, v->str, v->len) < 0) {
                freeReplyObject(h);
                fprintf(stderr, "slad: out of memory\n");
                return 2;
            }
        }
        freeReplyObject(h);
    }
    return 0;
}

static int replay_print(replay_run *r, double seconds)
{
    json_t *live = sla_report_answer(r->live, r->from, r->to, r->by, r->metric, r->zone_name);
    json_t *replayed =
        sla_report_answer(r->replayed, r->from, r->to, r->by, r->metric, r->zone_name);
    char *lt = live ? sla_report_render(live, 0) : NULL;
    char *rt = replayed ? sla_report_render(replayed, 0) : NULL;
    char *dt = live && replayed ? sla_report_render_diff(live, replayed) : NULL;
    char *tt = r->live_cfg ? sla_report_render_targets(r->live_cfg, r->cfg) : NULL;
    int rc = 2;
    if (lt && rt && dt && (tt || !r->live_cfg)) {
        double span = r->entries ? (double)(r->last_ms - r->first_ms) / 1000.0 : 0;
        printf("replayed %" PRIu64 " entries (%" PRIu64 " applied, %" PRIu64
               " refused) in %.2f s: %.0f events/s",
               r->entries, r->applied, r->dead, seconds,
               seconds > 0 ? (double)r->entries / seconds : 0.0);
        if (span > 0 && seconds > 0)
            printf(", %.0fx their real time (%.1f h)", span / seconds, span / 3600.0);
        printf("\n\nlive (the day hashes):\n%s\nreplayed with %s:\n%s\n", lt,
               r->cfg->path ? r->cfg->path : "the configuration", rt);
        if (tt)
            printf("targets (%s against %s):\n%s\n", r->cfg->path, r->live_cfg->path,
                   tt[0] ? tt : "the same\n");
        printf("change:\n%s", dt[0] ? dt : "none\n");
        rc = 0;
    } else {
        fprintf(stderr, "slad: out of memory\n");
    }
    free(lt);
    free(rt);
    free(dt);
    free(tt);
    json_decref(live);
    json_decref(replayed);
    return rc;
}

int replay_main(const replay_args *a)
{
    sla_log_set_level(LOG_WARNING);
    char err[1024];
    sla_config *cfg = NULL;
    if (sla_config_load(a->config, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "slad: %s\n", err);
        return 1;
    }
    replay_run r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    sla_config *live_cfg = NULL;
    if (a->live && sla_config_load(a->live, &live_cfg, err, sizeof err) < 0) {
        fprintf(stderr, "slad: %s\n", err);
        sla_config_free(cfg);
        return 1;
    }
    r.live_cfg = live_cfg;
    r.by = a->by ? a->by : "policy";
    r.first_ms = INT64_MIN;
    r.last_ms = INT64_MIN;
    r.prev_ms = INT64_MIN;
    int rc = 1;
    r.metric = a->metric ? sla_metric_from_name(a->metric, strlen(a->metric)) : -1;
    int known = strcmp(r.by, "policy") == 0;
    for (size_t i = 0; !known && i < cfg->report.ndimensions; i++)
        known = strcmp(r.by, cfg->report.dimensions[i]) == 0;
    if (!a->from || !a->to || sla_report_day_parse(a->from, &r.from) < 0 ||
        sla_report_day_parse(a->to, &r.to) < 0 || r.from > r.to) {
        fprintf(stderr, "slad: --replay needs --from D and --to D, dates YYYY-MM-DD, in order\n");
        goto out;
    }
    if (a->metric && r.metric < 0) {
        fprintf(stderr, "slad: unknown metric '%s'\n", a->metric);
        goto out;
    }
    if (!known) {
        fprintf(stderr, "slad: --by takes 'policy' or a dimension of report.dimensions, not '%s'\n",
                r.by);
        goto out;
    }
    if (sla_keys_init(&r.keys, cfg->stream.prefix, -1) < 0) {
        fprintf(stderr, "slad: stream.prefix '%s' is too long\n", cfg->stream.prefix);
        goto out;
    }
    rc = 2;
    r.zone = report_zone_new(cfg, r.zone_name, sizeof r.zone_name);
    r.engine = sla_engine_new(cfg, 0);
    r.batch = sla_report_batch_new();
    r.replayed = sla_report_query_new(r.metric, r.by);
    r.live = sla_report_query_new(r.metric, r.by);
    sla_output_init(&r.out);
    if (!r.zone || !r.engine || !r.batch || !r.replayed || !r.live) {
        fprintf(stderr, "slad: out of memory\n");
        goto out;
    }
    r.redis = replay_connect(cfg);
    if (r.redis == NULL)
        goto out;
    double began = mono_s();
    rc = replay_each_partition(&r, replay_stream);
    double seconds = mono_s() - began;
    if (rc == 0)
        rc = replay_each_partition(&r, replay_live);
    if (rc == 0)
        rc = replay_print(&r, seconds);
out:
    if (r.redis)
        redisFree(r.redis);
    sla_output_clear(&r.out);
    sla_engine_free(r.engine);
    sla_report_batch_free(r.batch);
    sla_report_query_free(r.replayed);
    sla_report_query_free(r.live);
    sla_calendar_free(r.zone);
    free(r.fields);
    sla_config_free(cfg);
    sla_config_free(live_cfg);
    return rc;
}
