/*
 * retention — trimming the streams. See retention.h for the contract.
 *
 * Design. A pass walks the four streams one after another; for each:
 * (with partitions > 1: the four streams of each partition this instance
 * runs a pipeline for, partition after partition; the partitions of other
 * instances are theirs to trim, and a partition lost mid-pass is finished
 * with the same rules, which never trim what a group still needs)
 *
 *   1. XINFO GROUPS <key> and XLEN <key>, sent together;
 *   2. per group with entries pending, XPENDING <key> <group> (the summary:
 *      its second element is the group's oldest pending id); when XLEN is
 *      above max_count, XRANGE <key> - + COUNT min(excess, 1000) for the id
 *      of the newest entry beyond the count;
 *   3. once every reply is in, the MINID is min(what the rules want, what
 *      the groups keep) (sla_retention.h): the oldest pending entry of
 *      every group and everything after its last-delivered id stay. A
 *      stream whose own reader group is missing (sla:events before slad
 *      created its group, sla:escalations before delivery did) is not
 *      trimmed at all: nobody can say what is unread;
 *   4. XTRIM <key> MINID ~ <id> LIMIT <step>: with `~` Redis removes only
 *      whole macro nodes and at most `step` entries, so one command costs
 *      Redis a bounded, small amount of work. If it removed anything, the
 *      next pass starts at once (RETENTION_AGAIN_MS) instead of after the
 *      interval, until the backlog is gone.
 *
 * Nothing here blocks: every step is a reply callback on the command link,
 * which also carries the store's transactions; a transaction is queued by
 * the store in one go, so these commands never fall inside one.
 *
 * Replies carry a generation so that those arriving after a lost link or
 * retention_finish() are ignored; a lost link ends the pass, and the next
 * starts at the next interval.
 */
#include "retention.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipelines.h"
#include "sla_log.h"
#include "sla_retention.h"
#include "sla_streamid.h"
#include "wakeup.h"

#define RETENTION_AGAIN_MS 10
#define RETENTION_COUNT_PAGE 1000
#define RETENTION_NSTREAMS 4

static struct {
    struct event *timer;
    redis_link *link;
    const sla_keys *keys;   /* unpartitioned */
    char *prefix;           /* stream.prefix, for the partitions' keys (owned) */
    int partitions;
    char *groups[RETENTION_NSTREAMS]; /* the reader group a stream needs, or NULL */
    sla_retention_rule rules[RETENTION_NSTREAMS];
    int64_t interval_ms;
    int step;
    uintptr_t generation;

    /* the pass under way */
    int running;
    int partition;          /* -1: unpartitioned */
    sla_keys pkeys;         /* the partition's keys */
    size_t stream;
    int out;                /* replies awaited for this stream */
    int broken;             /* a reply was lost or unusable: do not trim it */
    int has_reader;         /* the needed group exists */
    int64_t len;
    sla_trim trim;
    int more;               /* a trim of this pass removed entries */
    uint64_t trimmed;
} rt;

static const char *rt_key(size_t i)
{
    const sla_keys *k = rt.partition >= 0 ? &rt.pkeys : rt.keys;
    switch (i) {
    case 0: return k->events;
    case 1: return k->escalations;
    case 2: return k->dead;
    default: return k->deliveries_dead;
    }
}

/* The next partition run here from p on (its keys in rt.pkeys), or -1. */
static int rt_partition_from(int p)
{
    for (; p < rt.partitions; p++)
        if (pipelines_store(p) != NULL && sla_keys_init(&rt.pkeys, rt.prefix, p) == 0)
            return p;
    return -1;
}

static void rt_stream_begin(void);

static void rt_schedule(int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(rt.timer, &tv);
}

static void rt_pass_end(void)
{
    rt.running = 0;
    rt_schedule(rt.more ? RETENTION_AGAIN_MS : rt.interval_ms);
}

static void rt_next_stream(void)
{
    rt.stream++;
    rt_stream_begin();
}

static int rt_send(redisCallbackFn *fn, int argc, const char **argv)
{
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (redis_link_command(rt.link, fn, (void *)rt.generation, argc, argv, lens) < 0) {
        rt.broken = 1;
        return -1;
    }
    rt.out++;
    return 0;
}

static int rt_reply_id(const redisReply *r, sla_streamid *id)
{
    return r && r->type == REDIS_REPLY_STRING && sla_streamid_parse(r->str, r->len, id) == 0
               ? 0
               : -1;
}

static void rt_on_trim(redisAsyncContext *ac, void *r, void *privdata)
{
    if ((uintptr_t)privdata != rt.generation)
        return;
    const redisReply *reply = r;
    if (reply == NULL) {
        rt_pass_end();
        return;
    }
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0) {
        rt.trimmed += (uint64_t)reply->integer;
        rt.more = 1;
        sla_info("retention: trimmed %lld entries of %s", (long long)reply->integer,
                 rt_key(rt.stream));
    } else if (reply->type == REDIS_REPLY_ERROR) {
        sla_warning("retention: XTRIM %s: %s", rt_key(rt.stream), reply->str);
    }
    rt_next_stream();
}

/* Step 3 and 4, once every reply of steps 1 and 2 is in. */
static void rt_stream_decide(void)
{
    sla_streamid minid;
    const char *key = rt_key(rt.stream);
    if (rt.broken || (rt.groups[rt.stream] && !rt.has_reader) ||
        !sla_trim_minid(&rt.trim, &minid)) {
        rt_next_stream();
        return;
    }
    char id[48], limit[24];
    sla_streamid_format(&minid, id, sizeof id);
    snprintf(limit, sizeof limit, "%d", rt.step);
    const char *argv[] = {"XTRIM", key, "MINID", "~", id, "LIMIT", limit};
    rt.out = 0;
    if (redis_link_command(rt.link, rt_on_trim, (void *)rt.generation, 7, argv,
                           (size_t[]){5, strlen(key), 5, 1, strlen(id), 5, strlen(limit)}) < 0)
        rt_pass_end();
}

/* One reply of steps 1-2 is in (or lost). */
static int rt_reply_done(void *privdata, const redisReply *reply)
{
    if ((uintptr_t)privdata != rt.generation)
        return -1;
    rt.out--;
    if (reply == NULL)
        rt.broken = 1;
    return 0;
}

static void rt_maybe_decide(void)
{
    if (rt.out == 0)
        rt_stream_decide();
}

static void rt_on_pending(redisAsyncContext *ac, void *r, void *privdata)
{
    const redisReply *reply = r;
    if (rt_reply_done(privdata, reply) < 0)
        return;
    sla_streamid id;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 &&
        rt_reply_id(reply->element[1], &id) == 0)
        sla_trim_keep(&rt.trim, id);
    else if (reply && !(reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
                        reply->element[0]->type == REDIS_REPLY_INTEGER &&
                        reply->element[0]->integer == 0))
        rt.broken = 1; /* pending entries whose ids we could not read */
    rt_maybe_decide();
}

static void rt_on_range(redisAsyncContext *ac, void *r, void *privdata)
{
    const redisReply *reply = r;
    if (rt_reply_done(privdata, reply) < 0)
        return;
    sla_streamid id;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        const redisReply *last = reply->element[reply->elements - 1];
        if (last->type == REDIS_REPLY_ARRAY && last->elements >= 1 &&
            rt_reply_id(last->element[0], &id) == 0)
            sla_trim_want(&rt.trim, sla_streamid_next(id));
    }
    rt_maybe_decide();
}

static void rt_on_len(redisAsyncContext *ac, void *r, void *privdata)
{
    const redisReply *reply = r;
    if (rt_reply_done(privdata, reply) < 0)
        return;
    int64_t max = rt.rules[rt.stream].max_count;
    if (reply && reply->type == REDIS_REPLY_INTEGER && max > 0 && reply->integer > max) {
        int64_t excess = reply->integer - max;
        char count[24];
        snprintf(count, sizeof count, "%" PRId64,
                 excess < RETENTION_COUNT_PAGE ? excess : RETENTION_COUNT_PAGE);
        const char *argv[] = {"XRANGE", rt_key(rt.stream), "-", "+", "COUNT", count};
        rt_send(rt_on_range, 6, argv);
    }
    rt_maybe_decide();
}

static void rt_on_groups(redisAsyncContext *ac, void *r, void *privdata)
{
    const redisReply *reply = r;
    if (rt_reply_done(privdata, reply) < 0)
        return;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        for (size_t g = 0; g < reply->elements; g++) {
            const redisReply *grp = reply->element[g];
            if (grp->type != REDIS_REPLY_ARRAY)
                continue;
            const char *name = NULL;
            long long pending = -1;
            sla_streamid last;
            int have_last = 0;
            for (size_t i = 0; i + 1 < grp->elements; i += 2) {
                const redisReply *k = grp->element[i], *v = grp->element[i + 1];
                if (k->type != REDIS_REPLY_STRING)
                    continue;
                if (strcmp(k->str, "name") == 0 && v->type == REDIS_REPLY_STRING)
                    name = v->str;
                else if (strcmp(k->str, "pending") == 0 && v->type == REDIS_REPLY_INTEGER)
                    pending = v->integer;
                else if (strcmp(k->str, "last-delivered-id") == 0)
                    have_last = rt_reply_id(v, &last) == 0;
            }
            if (name == NULL || pending < 0 || !have_last) {
                rt.broken = 1;
                continue;
            }
            if (rt.groups[rt.stream] && strcmp(name, rt.groups[rt.stream]) == 0)
                rt.has_reader = 1;
            /* Unread entries: everything after the last delivered. */
            sla_trim_keep(&rt.trim, sla_streamid_next(last));
            if (pending > 0) {
                const char *argv[] = {"XPENDING", rt_key(rt.stream), name};
                rt_send(rt_on_pending, 3, argv);
            }
        }
    } else if (reply && reply->type == REDIS_REPLY_ERROR) {
        rt.broken = 1; /* no such key: nothing to trim */
    }
    rt_maybe_decide();
}

static void rt_stream_begin(void)
{
    for (;;) {
        for (; rt.stream < RETENTION_NSTREAMS; rt.stream++) {
            const sla_retention_rule *rule = &rt.rules[rt.stream];
            if (rule->max_age_ms > 0 || rule->max_count > 0)
                break;
        }
        if (rt.stream < RETENTION_NSTREAMS || rt.partition < 0)
            break;
        /* This partition's streams are done: the next one run here. */
        rt.partition = rt_partition_from(rt.partition + 1);
        if (rt.partition < 0)
            break;
        rt.stream = 0;
    }
    if (rt.stream >= RETENTION_NSTREAMS || !redis_link_is_up(rt.link)) {
        rt_pass_end();
        return;
    }
    const char *key = rt_key(rt.stream);
    sla_trim_init(&rt.trim);
    sla_streamid cut;
    if (sla_retention_age_cut(wakeup_now_ms(), rt.rules[rt.stream].max_age_ms, &cut))
        sla_trim_want(&rt.trim, cut);
    rt.out = 0;
    rt.broken = 0;
    rt.has_reader = 0;
    const char *groups[] = {"XINFO", "GROUPS", key};
    const char *xlen[] = {"XLEN", key};
    if (rt_send(rt_on_groups, 3, groups) < 0 || rt_send(rt_on_len, 2, xlen) < 0) {
        /* the link went down between the two: the replies in flight end it */
        if (rt.out == 0)
            rt_pass_end();
    }
}

static void rt_on_timer(evutil_socket_t fd, short what, void *arg)
{
    if (rt.running)
        return;
    if (!redis_link_is_up(rt.link)) {
        rt_schedule(rt.interval_ms);
        return;
    }
    rt.running = 1;
    rt.more = 0;
    rt.stream = 0;
    rt.partition = -1;
    if (rt.partitions > 1 && (rt.partition = rt_partition_from(0)) < 0) {
        rt_pass_end(); /* no partition run here (yet) */
        return;
    }
    rt_stream_begin();
}

static void rt_settings(const sla_config *cfg)
{
    rt.rules[0] = cfg->retention.events;
    rt.rules[1] = cfg->retention.escalations;
    rt.rules[2] = cfg->retention.dead;
    rt.rules[3] = cfg->retention.deliveries_dead;
    rt.interval_ms = cfg->retention.interval_ms > 0 ? cfg->retention.interval_ms : 60000;
    rt.step = cfg->retention.step > 0 ? cfg->retention.step : 10000;
}

void retention_set_config(const sla_config *cfg)
{
    rt_settings(cfg);
}

int retention_init(struct event_base *base, redis_link *command, const sla_keys *keys,
                   const sla_config *cfg)
{
    memset(&rt, 0, sizeof rt);
    rt.link = command;
    rt.keys = keys;
    rt.partitions = cfg->partitions;
    rt.prefix = strdup(cfg->stream.prefix ? cfg->stream.prefix : "");
    rt_settings(cfg);
    rt.groups[0] = strdup(cfg->stream.group);
    rt.groups[1] = strdup(cfg->delivery.group);
    rt.timer = evtimer_new(base, rt_on_timer, NULL);
    if (rt.groups[0] == NULL || rt.groups[1] == NULL || rt.timer == NULL || rt.prefix == NULL)
        return -1;
    /* The first pass a little after start, once the groups exist. */
    rt_schedule(rt.interval_ms < 5000 ? rt.interval_ms : 5000);
    return 0;
}

void retention_finish(void)
{
    if (rt.timer)
        event_free(rt.timer);
    rt.timer = NULL;
    rt.generation++;
    for (size_t i = 0; i < RETENTION_NSTREAMS; i++) {
        free(rt.groups[i]);
        rt.groups[i] = NULL;
    }
    free(rt.prefix);
    rt.prefix = NULL;
}

uint64_t retention_trimmed(void)
{
    return rt.trimmed;
}
