/*
 * pipelines — one engine per owned partition. See pipelines.h.
 *
 * Freeing a lost partition's engine. The pipeline stops at once, and its
 * store hands its engine over (store_set_engine_drop) rather than freeing
 * it: a million tickets take hundreds of milliseconds to free, far beyond
 * what one callback may hold the loop. The engines handed over wait in
 * pl.dying, and one timer at the lowest priority (SLAD_PRIORITY_BULK),
 * armed with a zero timeout as query.c's slices are, frees them a slice at
 * a time: sla_engine_free_step() of PIPELINES_FREE_STEP_SLOTS table slots,
 * the monotonic clock read after each, until PIPELINES_FREE_SLICE_US have
 * passed. tools/bench (bench_engine, "free, in steps") measures one step.
 */
#include "pipelines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "deliver.h"
#include "ingest.h"
#include "leases.h"
#include "priority.h"
#include "sla_engine.h"
#include "sla_keys.h"
#include "sla_log.h"
#include "wakeup.h"

/* Table slots a step frees (a few hundred microseconds at worst, see
 * bench_engine), and the time a slice of steps may take. */
#define PIPELINES_FREE_STEP_SLOTS 1024
#define PIPELINES_FREE_SLICE_US 500

typedef struct pipeline {
    int partition;
    sla_keys keys;
    char token[128];
    redis_link *reader;      /* the ingest's blocking reads */
    redis_link *dlink;       /* the delivery of this partition's outbox */
    store *store;
    ingest *ingest;
    struct event *reap;      /* frees a fenced pipeline at the next turn */
    int idle_waiting;        /* pipelines_stop: its store not idle yet */
    uint64_t epoch;          /* which run of the partition this is (pipelines_epoch) */
} pipeline;

static struct {
    struct event_base *base;
    redis_link *command;
    const sla_config *cfg;
    pipeline **p;            /* [partitions], NULL when not run here */
    int partitions;
    int count;
    pipelines_store_fn *on_store;
    void *on_store_arg;
    int stopping;
    int waiting;             /* stores not idle yet (stopping) */
    pipelines_done_fn *done;
    void *done_arg;
    uint64_t epochs;         /* pipelines built so far */
    store_stats retired;     /* the stores' counters of the pipelines freed */
    sla_engine **dying;      /* engines of stopped pipelines, being freed */
    size_t ndying, dying_cap;
    struct event *reaper;    /* the next slice of freeing them */
} pl;

/* The next slice after the loop has polled once (a zero timeout rather
 * than event_active, which could run it again in the same pass). */
static void pipelines_reap_later(void)
{
    static const struct timeval zero = {0, 0};
    if (pl.reaper && pl.ndying > 0)
        event_add(pl.reaper, &zero);
}

static void pipelines_on_reaper(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    int64_t until = wakeup_mono_us() + PIPELINES_FREE_SLICE_US;
    while (pl.ndying > 0) {
        /* The oldest first: its memory comes back soonest. */
        if (sla_engine_free_step(pl.dying[0], PIPELINES_FREE_STEP_SLOTS)) {
            memmove(pl.dying, pl.dying + 1, --pl.ndying * sizeof *pl.dying);
            sla_debug("partitions: a dropped engine freed (%zu more)", pl.ndying);
        }
        if (wakeup_mono_us() >= until)
            break;
    }
    pipelines_reap_later();
}

/* Room for one more dying engine. 0, or -1 out of memory. */
static int pipelines_dying_room(void)
{
    if (pl.ndying < pl.dying_cap)
        return 0;
    size_t cap = pl.dying_cap ? 2 * pl.dying_cap : 8;
    sla_engine **d = realloc(pl.dying, cap * sizeof *d);
    if (d == NULL)
        return -1;
    pl.dying = d;
    pl.dying_cap = cap;
    return 0;
}

/* The store_engine_drop_fn of every pipeline's store. */
static void pipelines_on_engine_drop(sla_engine *e, void *arg)
{
    (void)arg;
    if (pl.reaper == NULL || pipelines_dying_room() < 0) {
        sla_engine_free(e); /* at once, as without slices */
        return;
    }
    pl.dying[pl.ndying++] = e;
    pipelines_reap_later();
}

/* The counters of a store freed, kept for the totals (pipelines_get_stats). */
static void pipelines_retire(store *s)
{
    store_stats st;
    store_get_stats(s, &st);
    pl.retired.transactions += st.transactions;
    pl.retired.failures += st.failures;
    pl.retired.loads += st.loads;
    pl.retired.restored += st.restored;
    pl.retired.corrupt += st.corrupt;
    pl.retired.decisions += st.decisions;
}

static void pipeline_free(pipeline *p)
{
    if (p == NULL)
        return;
    /* Delivery first: not one more notice is sent for the partition. */
    deliver_remove_source(p->partition);
    ingest_free(p->ingest);
    alerts_partition_engine(p->partition, NULL, 1);
    if (p->store)
        pipelines_retire(p->store);
    store_free(p->store);
    /* A lease may be lost from inside a reply on these very links (a
     * delivery's write answered, then SIGTERM's hand-over). */
    redis_link_free_later(p->reader);
    redis_link_free_later(p->dlink);
    if (p->reap)
        event_free(p->reap);
    free(p);
}

/* Drop partition i's pipeline now (not from inside its store's callbacks). */
static void pipelines_drop(int i, const char *why)
{
    pipeline *p = pl.p[i];
    if (p == NULL)
        return;
    pl.p[i] = NULL;
    pl.count--;
    sla_notice("partition %d: stopped (%s)", i, why);
    int was_waiting = p->idle_waiting;
    pipeline_free(p);
    if (was_waiting && pl.waiting > 0 && --pl.waiting == 0 && pl.done) {
        pipelines_done_fn *fn = pl.done;
        pl.done = NULL;
        fn(pl.done_arg);
    }
}

static void pipelines_on_reap(evutil_socket_t fd, short what, void *arg)
{
    pipeline *p = arg;
    if (pl.p && pl.p[p->partition] == p)
        pipelines_drop(p->partition, "a commit was fenced: the lease is another's");
}

static void pipelines_on_store_state(int ready, void *arg)
{
    pipeline *p = arg;
    if (ready) {
        ingest_resume(p->ingest, store_engine(p->store));
        alerts_partition_engine(p->partition, store_engine(p->store), 0);
        return;
    }
    ingest_suspend(p->ingest);
    alerts_partition_engine(p->partition, NULL, 0);
    if (store_fenced(p->store)) {
        deliver_remove_source(p->partition);
        event_active(p->reap, 0, 0);
    }
}

static void pipelines_on_joined(void *arg)
{
    pipeline *p = arg;
    sla_info("partition %d: reading %s", p->partition, p->keys.events);
}

static void pipelines_on_reader_link(redis_link *link, int up, void *arg)
{
    pipeline *p = arg;
    if (p->ingest)
        ingest_on_link(p->ingest, up);
}

static void pipelines_on_deliver_link(redis_link *link, int up, void *arg)
{
    deliver_on_link(link, up, NULL);
}

static int pipelines_valid(int slot, int64_t now_ms, void *arg)
{
    return leases_valid(slot, now_ms);
}

static pipeline *pipeline_new(int i, const char *token)
{
    pipeline *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->partition = i;
    p->epoch = ++pl.epochs;
    snprintf(p->token, sizeof p->token, "%s", token);
    char name[32];
    if (sla_keys_init(&p->keys, pl.cfg->stream.prefix, i) < 0)
        goto fail;
    snprintf(name, sizeof name, "reader p%d", i);
    p->reader = redis_link_new(pl.base, pl.cfg, name, pipelines_on_reader_link, p);
    snprintf(name, sizeof name, "deliver p%d", i);
    p->dlink = redis_link_new(pl.base, pl.cfg, name, pipelines_on_deliver_link, p);
    p->reap = event_new(pl.base, -1, 0, pipelines_on_reap, p);
    if (p->reader == NULL || p->dlink == NULL || p->reap == NULL)
        goto fail;
    event_priority_set(p->reap, SLAD_PRIORITY_ALARM);
    redis_link_set_priority(p->dlink, SLAD_PRIORITY_BULK);
    p->store = store_new(pl.base, pl.command, &p->keys, pl.cfg, pipelines_on_store_state, p);
    if (p->store == NULL || store_set_fence(p->store, p->keys.lease, p->token) < 0)
        goto fail;
    store_set_engine_drop(p->store, pipelines_on_engine_drop, NULL);
    sla_config as_owner = *pl.cfg; /* read only during ingest_new */
    static char owner[] = PIPELINES_CONSUMER;
    as_owner.stream.consumer = owner;
    p->ingest = ingest_new(pl.base, p->reader, pl.command, p->store, &p->keys, &as_owner,
                           pipelines_on_joined, p);
    if (p->ingest == NULL ||
        deliver_add_source(i, p->dlink, &p->keys, PIPELINES_CONSUMER, p->keys.lease, p->token,
                           pipelines_valid, NULL) < 0)
        goto fail;
    return p;
fail:
    pipeline_free(p);
    return NULL;
}

void pipelines_on_lease(int partition, int owned, const char *token, void *arg)
{
    if (pl.p == NULL || partition < 0 || partition >= pl.partitions)
        return;
    if (!owned) {
        pipelines_drop(partition, "lease lost");
        return;
    }
    if (pl.stopping)
        return;
    pipelines_drop(partition, "lease taken again"); /* a new token: start afresh */
    pipeline *p = pipeline_new(partition, token);
    if (p == NULL) {
        sla_err("partition %d: cannot start its pipeline (out of memory)", partition);
        return;
    }
    pl.p[partition] = p;
    pl.count++;
    sla_notice("partition %d: started with lease %s", partition, token);
    if (pl.on_store)
        pl.on_store(p->store, pl.on_store_arg);
    if (redis_link_is_up(pl.command))
        store_on_link(p->store, 1);
    redis_link_start(p->reader);
    redis_link_start(p->dlink);
}

void pipelines_on_command_link(int up)
{
    for (int i = 0; pl.p && i < pl.partitions; i++)
        if (pl.p[i])
            store_on_link(pl.p[i]->store, up);
}

void pipelines_set_config(const sla_config *cfg, int64_t now_ms)
{
    pl.cfg = cfg;
    for (int i = 0; pl.p && i < pl.partitions; i++)
        if (pl.p[i])
            store_set_config(pl.p[i]->store, cfg, now_ms);
}

store *pipelines_store(int partition)
{
    if (pl.p == NULL || partition < 0 || partition >= pl.partitions || pl.p[partition] == NULL)
        return NULL;
    return pl.p[partition]->store;
}

uint64_t pipelines_epoch(int partition)
{
    if (pl.p == NULL || partition < 0 || partition >= pl.partitions || pl.p[partition] == NULL)
        return 0;
    return pl.p[partition]->epoch;
}

int pipelines_partitions(void)
{
    return pl.partitions;
}

void pipelines_get_stats(store_stats *out)
{
    *out = pl.retired;
    for (int i = 0; pl.p && i < pl.partitions; i++)
        if (pl.p[i]) {
            store_stats st;
            store_get_stats(pl.p[i]->store, &st);
            out->transactions += st.transactions;
            out->failures += st.failures;
            out->loads += st.loads;
            out->restored += st.restored;
            out->corrupt += st.corrupt;
            out->decisions += st.decisions;
        }
}

int pipelines_count(void)
{
    return pl.count;
}

size_t pipelines_rematch_pending(void)
{
    size_t n = 0;
    for (int i = 0; pl.p && i < pl.partitions; i++)
        if (pl.p[i])
            n += store_rematch_pending(pl.p[i]->store);
    return n;
}

static void pipelines_on_idle(void *arg)
{
    pipeline *p = arg;
    if (!p->idle_waiting)
        return;
    p->idle_waiting = 0;
    if (pl.waiting > 0 && --pl.waiting == 0 && pl.done) {
        pipelines_done_fn *fn = pl.done;
        pl.done = NULL;
        fn(pl.done_arg);
    }
}

void pipelines_stop(pipelines_done_fn *done, void *arg)
{
    pl.stopping = 1;
    pl.done = done;
    pl.done_arg = arg;
    pl.waiting = 1; /* held until every store was asked */
    for (int i = 0; pl.p && i < pl.partitions; i++) {
        pipeline *p = pl.p[i];
        if (p == NULL)
            continue;
        ingest_stop(p->ingest);
        p->idle_waiting = 1;
        pl.waiting++;
        store_when_idle(p->store, pipelines_on_idle, p);
    }
    if (--pl.waiting == 0 && pl.done) {
        pl.done = NULL;
        done(arg);
    }
}

int pipelines_init(struct event_base *base, redis_link *command, const sla_config *cfg,
                   pipelines_store_fn *on_store, void *arg)
{
    memset(&pl, 0, sizeof pl);
    pl.base = base;
    pl.command = command;
    pl.cfg = cfg;
    pl.partitions = cfg->partitions;
    pl.on_store = on_store;
    pl.on_store_arg = arg;
    pl.p = calloc((size_t)cfg->partitions, sizeof *pl.p);
    pl.reaper = event_new(base, -1, 0, pipelines_on_reaper, NULL);
    if (pl.reaper)
        event_priority_set(pl.reaper, SLAD_PRIORITY_BULK);
    return pl.p && pl.reaper ? 0 : -1;
}

void pipelines_finish(void)
{
    for (int i = 0; pl.p && i < pl.partitions; i++)
        if (pl.p[i]) {
            pipeline *p = pl.p[i];
            pl.p[i] = NULL;
            pipeline_free(p);
        }
    free(pl.p);
    /* Shutting down: what is left is freed at once. */
    for (size_t i = 0; i < pl.ndying; i++)
        sla_engine_free(pl.dying[i]);
    free(pl.dying);
    if (pl.reaper)
        event_free(pl.reaper);
    memset(&pl, 0, sizeof pl);
}
