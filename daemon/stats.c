/*
 * stats — counters, samples and the polled backlog. See stats.h.
 *
 * The input rate is a ring of STATS_RING one-second samples of ingest's
 * "entries read" counter, the first taken at start: the rate is (newest -
 * oldest) / their distance, so it needs no per-event work at all.
 *
 * Decision and outcome counters are flat arrays searched linearly with a
 * one-entry cache: there are at most (kinds x metrics x policies) of them,
 * a few dozen in practice, and a burst of decisions is nearly always for
 * the same (kind, metric, policy).
 *
 * The backlog poll sends its two commands together and takes the next
 * turn only after both answered (or the link dropped them), so a slow
 * Redis never accumulates polls. Replies carry a generation so that one
 * arriving after stats_finish() is ignored.
 */
#include "stats.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "pipelines.h"
#include "sla_partition.h"
#include "sla_log.h"
#include "wakeup.h"

#define STATS_RING 61 /* samples one second apart: one minute of history */

static const double lateness_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,   1,     2.5,  5,     10,   30,  60};

typedef struct stats_count {
    int kind, metric;
    char *policy;
    const char *channel; /* outcomes: one of st.channels; decisions: "" */
    uint64_t n;
} stats_count;

/* Counters by (kind, metric, policy): decisions, or cycles ended. */
typedef struct stats_counts {
    stats_count *a;
    size_t n, cap, last_hit;
} stats_counts;

static struct {
    struct event *tick;
    redis_link *command;
    const sla_keys *keys;
    char *group;
    uintptr_t generation;
    int polls_out;         /* replies still awaited from the last poll */
    int64_t last_poll_ms;

    uint64_t ring[STATS_RING];
    size_t ring_pos, ring_n;
    int64_t last_tick_mono_ms;

    stats_counts decisions, outcomes;
    char *channels[STATS_MAX_CHANNELS]; /* label values seen, owned */
    size_t nchannels;
    uint64_t totals[SLA_DECISION_RECOVERED + 1];
    sla_histogram lateness;
    int config_ok;
    int64_t config_success_ms;

    stats_backlog backlog;
    /* Partitioned: the backlog of each partition, and the run it was
     * polled for (pipelines_epoch); prefix for the partitions' key names. */
    int partitions;
    char *prefix;
    stats_backlog *pbacklog;
    uint64_t *pepoch;
} st;

/* A reply's tag: the generation, and the partition (+1; 0 unpartitioned). */
#define STATS_TAG(p) ((void *)(st.generation * (SLA_PARTITIONS_MAX + 1) + (uintptr_t)((p) + 1)))
#define STATS_TAG_GEN(t) ((uintptr_t)(t) / (SLA_PARTITIONS_MAX + 1))
#define STATS_TAG_PART(t) ((int)((uintptr_t)(t) % (SLA_PARTITIONS_MAX + 1)) - 1)

/* --- decisions ---------------------------------------------------------- */

/* channel: a label value that lives as long as the counters ("" or st.channels). */
static stats_count *stats_find(stats_counts *s, int kind, int metric, const char *policy,
                               const char *channel)
{
    if (s->last_hit < s->n) {
        stats_count *c = &s->a[s->last_hit];
        if (c->kind == kind && c->metric == metric && c->channel == channel &&
            strcmp(c->policy, policy) == 0)
            return c;
    }
    for (size_t i = 0; i < s->n; i++) {
        stats_count *c = &s->a[i];
        if (c->kind == kind && c->metric == metric && c->channel == channel &&
            strcmp(c->policy, policy) == 0) {
            s->last_hit = i;
            return c;
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        stats_count *a = realloc(s->a, cap * sizeof *a);
        if (a == NULL)
            return NULL;
        s->a = a;
        s->cap = cap;
    }
    char *copy = strdup(policy);
    if (copy == NULL)
        return NULL;
    s->a[s->n] = (stats_count){kind, metric, copy, channel, 0};
    s->last_hit = s->n;
    return &s->a[s->n++];
}

static void stats_counts_release(stats_counts *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->a[i].policy);
    free(s->a);
    *s = (stats_counts){0};
}


void stats_on_decision(const store_decision_note *d, void *arg)
{
    if (d->kind >= SLA_DECISION_WARNING && d->kind <= SLA_DECISION_RECOVERED)
        st.totals[d->kind]++;
    stats_count *c = stats_find(&st.decisions, (int)d->kind, d->metric, d->policy, "");
    if (c)
        c->n++;
    sla_histogram_observe(&st.lateness, (double)d->late_ms / 1000.0);
}

void stats_foreach_decision(stats_decision_fn *fn, void *arg)
{
    for (size_t i = 0; i < st.decisions.n; i++) {
        const stats_count *c = &st.decisions.a[i];
        fn(c->kind, c->metric, c->policy, c->n, arg);
    }
}

/* The label value of a ticket's channel (see stats.h), owned by st. */
static const char *stats_channel(const char *raw)
{
    size_t len = raw ? strlen(raw) : 0;
    if (len == 0)
        return "";
    if (len > 32 || strspn(raw, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
        return "other";
    for (size_t i = 0; i < st.nchannels; i++)
        if (strcmp(st.channels[i], raw) == 0)
            return st.channels[i];
    if (st.nchannels == STATS_MAX_CHANNELS || (st.channels[st.nchannels] = strdup(raw)) == NULL)
        return "other";
    return st.channels[st.nchannels++];
}

void stats_on_outcome(const store_outcome_note *o, void *arg)
{
    (void)arg;
    stats_count *c =
        stats_find(&st.outcomes, (int)o->kind, o->metric, o->policy, stats_channel(o->channel));
    if (c)
        c->n++;
}

void stats_foreach_outcome(stats_outcome_fn *fn, void *arg)
{
    for (size_t i = 0; i < st.outcomes.n; i++) {
        const stats_count *c = &st.outcomes.a[i];
        fn(c->kind, c->metric, c->policy, c->channel, c->n, arg);
    }
}

uint64_t stats_decisions_total(int kind)
{
    return kind >= 0 && kind <= SLA_DECISION_RECOVERED ? st.totals[kind] : 0;
}

const sla_histogram *stats_lateness(void)
{
    return &st.lateness;
}

/* --- the backlog poll --------------------------------------------------- */

static int64_t reply_int(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return strtoll(r->str, NULL, 10);
    return -1;
}

static void stats_on_groups(redisAsyncContext *ac, void *r, void *privdata)
{
    if (STATS_TAG_GEN(privdata) != st.generation)
        return;
    st.polls_out--;
    int p = STATS_TAG_PART(privdata);
    stats_backlog *bl = p >= 0 && p < st.partitions ? &st.pbacklog[p] : &st.backlog;
    const redisReply *reply = r;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
        return; /* lost link, or no stream yet (ERR no such key) */
    for (size_t g = 0; g < reply->elements; g++) {
        const redisReply *grp = reply->element[g];
        if (grp->type != REDIS_REPLY_ARRAY)
            continue;
        int64_t lag = -1, pending = -1;
        int ours = 0;
        for (size_t i = 0; i + 1 < grp->elements; i += 2) {
            const redisReply *k = grp->element[i], *v = grp->element[i + 1];
            if (k->type != REDIS_REPLY_STRING)
                continue;
            if (strcmp(k->str, "name") == 0)
                ours = v->type == REDIS_REPLY_STRING && strcmp(v->str, st.group) == 0;
            else if (strcmp(k->str, "lag") == 0)
                lag = reply_int(v); /* nil when Redis cannot tell */
            else if (strcmp(k->str, "pending") == 0)
                pending = reply_int(v);
        }
        if (ours) {
            bl->lag = lag;
            bl->pending = pending;
            bl->polled_ms = wakeup_now_ms();
        }
    }
}

static void stats_on_xlen(redisAsyncContext *ac, void *r, void *privdata)
{
    if (STATS_TAG_GEN(privdata) != st.generation)
        return;
    st.polls_out--;
    int p = STATS_TAG_PART(privdata);
    stats_backlog *bl = p >= 0 && p < st.partitions ? &st.pbacklog[p] : &st.backlog;
    const redisReply *reply = r;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        bl->deliveries_dead = reply->integer;
}

/* Partitioned: the input group and dead deliveries of every partition this
 * instance runs; the unpartitioned keys are not read. */
static void stats_poll_partitions(void)
{
    for (int p = 0; p < st.partitions; p++) {
        uint64_t epoch = pipelines_epoch(p);
        if (epoch == 0)
            continue;
        if (st.pepoch[p] != epoch) { /* a new run: what was polled before is stale */
            st.pepoch[p] = epoch;
            st.pbacklog[p] = (stats_backlog){-1, -1, -1, 0, -1, -1};
        }
        sla_keys k;
        if (sla_keys_init(&k, st.prefix, p) < 0)
            return;
        const char *groups[] = {"XINFO", "GROUPS", k.events};
        size_t groups_len[] = {5, 6, strlen(k.events)};
        const char *xlen[] = {"XLEN", k.deliveries_dead};
        size_t xlen_len[] = {4, strlen(k.deliveries_dead)};
        if (redis_link_command(st.command, stats_on_groups, STATS_TAG(p), 3, groups,
                               groups_len) == 0)
            st.polls_out++;
        if (redis_link_command(st.command, stats_on_xlen, STATS_TAG(p), 2, xlen, xlen_len) == 0)
            st.polls_out++;
    }
}

static void stats_poll(void)
{
    if (st.polls_out > 0 || !redis_link_is_up(st.command))
        return;
    if (st.partitions > 1) {
        stats_poll_partitions();
        return;
    }
    const char *groups[] = {"XINFO", "GROUPS", st.keys->events};
    size_t groups_len[] = {5, 6, strlen(st.keys->events)};
    const char *xlen[] = {"XLEN", st.keys->deliveries_dead};
    size_t xlen_len[] = {4, strlen(st.keys->deliveries_dead)};
    if (redis_link_command(st.command, stats_on_groups, STATS_TAG(-1), 3, groups,
                           groups_len) == 0)
        st.polls_out++;
    if (redis_link_command(st.command, stats_on_xlen, STATS_TAG(-1), 2, xlen, xlen_len) == 0)
        st.polls_out++;
}

/* --- the tick ----------------------------------------------------------- */

static void stats_on_tick(evutil_socket_t fd, short what, void *arg)
{
    int64_t now = wakeup_mono_us() / 1000;
    st.last_tick_mono_ms = now;
    sla_log_expire(); /* "... repeated K times" of floods that ended */
    ingest_stats in;
    ingest_get_stats(&in);
    st.ring[st.ring_pos] = in.entries;
    st.ring_pos = (st.ring_pos + 1) % STATS_RING;
    if (st.ring_n < STATS_RING)
        st.ring_n++;
    if (now - st.last_poll_ms >= STATS_POLL_MS) {
        st.last_poll_ms = now;
        stats_poll();
    }
}

double stats_events_per_second(void)
{
    if (st.ring_n < 2)
        return 0;
    size_t newest = (st.ring_pos + STATS_RING - 1) % STATS_RING;
    size_t oldest = (st.ring_pos + STATS_RING - st.ring_n) % STATS_RING;
    return (double)(st.ring[newest] - st.ring[oldest]) / (double)(st.ring_n - 1);
}

int64_t stats_loop_age_ms(void)
{
    return (wakeup_mono_us() / 1000) - st.last_tick_mono_ms;
}

int stats_get_partition_backlog(int p, stats_backlog *out)
{
    *out = (stats_backlog){-1, -1, -1, 0, -1, -1};
    if (p < 0 || p >= st.partitions || st.pbacklog == NULL || pipelines_epoch(p) == 0 ||
        st.pepoch[p] != pipelines_epoch(p))
        return -1;
    *out = st.pbacklog[p];
    out->worst_partition = p;
    out->worst_lag = out->lag;
    return 0;
}

void stats_get_backlog(stats_backlog *out)
{
    if (st.partitions <= 1) {
        *out = st.backlog;
        return;
    }
    /* Summed over the partitions run here; unknown (-1) while none is
     * known; the partition with the most lag named. */
    *out = (stats_backlog){-1, -1, -1, 0, -1, -1};
    for (int p = 0; p < st.partitions; p++) {
        stats_backlog b;
        if (stats_get_partition_backlog(p, &b) < 0)
            continue;
        if (b.lag >= 0) {
            out->lag = (out->lag < 0 ? 0 : out->lag) + b.lag;
            if (b.lag > out->worst_lag) {
                out->worst_lag = b.lag;
                out->worst_partition = p;
            }
        }
        if (b.pending >= 0)
            out->pending = (out->pending < 0 ? 0 : out->pending) + b.pending;
        if (b.deliveries_dead >= 0)
            out->deliveries_dead =
                (out->deliveries_dead < 0 ? 0 : out->deliveries_dead) + b.deliveries_dead;
        if (b.polled_ms > out->polled_ms)
            out->polled_ms = b.polled_ms;
    }
}

/* --- configuration loads ------------------------------------------------ */

void stats_on_config_load(int ok, int64_t now_ms)
{
    st.config_ok = ok;
    if (ok)
        st.config_success_ms = now_ms;
}

void stats_get_config_load(int *ok, int64_t *success_ms)
{
    *ok = st.config_ok;
    *success_ms = st.config_success_ms;
}

/* --- the process -------------------------------------------------------- */

/* Entries of /proc/self/fd, less the one reading it; -1 when unreadable. */
static double stats_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    double n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

void stats_get_process(stats_process *out)
{
    *out = (stats_process){0, 0, 0, -1, -1};
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        out->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    /* statm: size resident shared text lib data dt, in pages */
    FILE *f = fopen("/proc/self/statm", "re");
    unsigned long long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &resident) == 2) {
            double page = (double)sysconf(_SC_PAGESIZE);
            out->virtual_bytes = (double)size * page;
            out->resident_bytes = (double)resident * page;
        }
        fclose(f);
    }
    out->open_fds = stats_open_fds();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        out->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur;
}

/* --- life --------------------------------------------------------------- */

int stats_init(struct event_base *base, redis_link *command, const sla_keys *keys,
               const char *group)
{
    st.generation++;
    st.command = command;
    st.keys = keys;
    st.group = strdup(group);
    st.backlog = (stats_backlog){-1, -1, -1, 0, -1, -1};
    sla_histogram_init(&st.lateness, lateness_bounds,
                       sizeof lateness_bounds / sizeof lateness_bounds[0]);
    st.last_tick_mono_ms = wakeup_mono_us() / 1000;
    st.last_poll_ms = st.last_tick_mono_ms - STATS_POLL_MS;
    /* The first sample is the counter at start, so that entries read
     * before the first tick count in the rate. */
    ingest_stats in;
    ingest_get_stats(&in);
    st.ring[0] = in.entries;
    st.ring_pos = 1;
    st.ring_n = 1;
    st.tick = event_new(base, -1, EV_PERSIST, stats_on_tick, NULL);
    if (st.group == NULL || st.tick == NULL)
        return -1;
    struct timeval one = {1, 0};
    event_add(st.tick, &one);
    return 0;
}

void stats_finish(void)
{
    st.generation++; /* replies still in flight are ignored */
    st.polls_out = 0;
    if (st.tick)
        event_free(st.tick);
    st.tick = NULL;
    stats_counts_release(&st.decisions);
    stats_counts_release(&st.outcomes);
    for (size_t i = 0; i < st.nchannels; i++)
        free(st.channels[i]);
    st.nchannels = 0;
    free(st.group);
    st.group = NULL;
    free(st.prefix);
    free(st.pbacklog);
    free(st.pepoch);
    st.prefix = NULL;
    st.pbacklog = NULL;
    st.pepoch = NULL;
    st.partitions = 0;
}

int stats_set_partitions(int partitions, const char *prefix)
{
    if (partitions <= 1)
        return 0;
    st.prefix = strdup(prefix);
    st.pbacklog = calloc((size_t)partitions, sizeof *st.pbacklog);
    st.pepoch = calloc((size_t)partitions, sizeof *st.pepoch);
    if (st.prefix == NULL || st.pbacklog == NULL || st.pepoch == NULL)
        return -1;
    st.partitions = partitions;
    return 0;
}
