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
#include "cluster.h"
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
    redis_link *cmd;         /* the store's and the ingest's commands */
    /* On a Redis Cluster: the three links above are these links' own,
     * routed to the partition's node; NULL on a single Redis. */
    cluster_link *ccmd, *creader, *cdeliver;
    store *store;
    ingest *ingest;
    struct event *reap;      /* frees a fenced pipeline at the next turn */
    struct event *rebuild;   /* rebuilds it after a failover, at the next turn */
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
    cluster_router *router;  /* NULL: one Redis */
    uint64_t rebuilds;       /* pipelines rebuilt after a failover */
    pipelines_cluster_stats links_retired; /* of the cluster links freed so far */
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


static void pipeline_retire(cluster_link *cl)
{
    if (cl == NULL)
        return;
    cluster_link_stats st = cluster_link_get_stats(cl);
    pl.links_retired.moved += st.moved;
    pl.links_retired.asked += st.asked;
    pl.links_retired.retried += st.retried;
    pl.links_retired.node_changes += st.node_changes;
    /* A pipeline may go from inside a reply on one of its own links. */
    cluster_link_free_later(cl);
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
    if (p->ccmd || p->creader || p->cdeliver) {
        pipeline_retire(p->ccmd);
        pipeline_retire(p->creader);
        pipeline_retire(p->cdeliver);
    } else {
        /* A lease may be lost from inside a reply on these very links (a
         * delivery's write answered, then SIGTERM's hand-over). */
        redis_link_free_later(p->reader);
        redis_link_free_later(p->dlink);
    }
    if (p->reap)
        event_free(p->reap);
    if (p->rebuild)
        event_free(p->rebuild);
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

/* redis.wait_replicas: a record goes out once its commit was confirmed. */
static int pipelines_confirmed(int slot, const char *entry, void *arg)
{
    return store_confirmed(pipelines_store(slot), entry);
}

static void pipelines_on_ccmd(cluster_link *cl, int up, void *arg)
{
    pipeline *p = arg;
    if (p->store)
        store_on_link(p->store, up);
}

static void pipelines_on_creader(cluster_link *cl, int up, void *arg)
{
    pipelines_on_reader_link(cluster_link_redis(cl), up, arg);
}

static void pipelines_on_cdeliver(cluster_link *cl, int up, void *arg)
{
    deliver_on_link(cluster_link_redis(cl), up, NULL);
}

/*
 * The partition's master failed over: the new one may hold less than this
 * engine knows (replication is asynchronous). Rebuild the pipeline from
 * what it holds, at the next turn of the loop (this runs inside a link's
 * report): state loaded again, the input and outbox read again from their
 * groups; the lease pass finds the lease kept or lost there.
 */
static void pipelines_on_node(cluster_link *cl, const char *host, int port, int failover,
                              void *arg)
{
    pipeline *p = arg;
    if (!failover || p->rebuild == NULL)
        return;
    if (!event_pending(p->rebuild, EV_TIMEOUT, NULL)) {
        sla_notice("partition %d: its master failed over to %s:%d; rebuilding it from there",
                   p->partition, host ? host : "?", port);
        struct timeval tv = {0, 0};
        evtimer_add(p->rebuild, &tv);
    }
}

static pipeline *pipeline_new(int i, const char *token);
static void pipeline_start(pipeline *p);

static void pipelines_on_rebuild(evutil_socket_t fd, short what, void *arg)
{
    pipeline *p = arg;
    int i = p->partition;
    if (pl.p == NULL || pl.p[i] != p)
        return;
    pipelines_drop(i, "its master failed over");
    pl.rebuilds++;
    const char *token = leases_token(i);
    if (pl.stopping || token == NULL || !leases_valid(i, wakeup_now_ms()))
        return;
    pipeline *np = pipeline_new(i, token);
    if (np == NULL) {
        sla_err("partition %d: cannot start its pipeline (out of memory)", i);
        return;
    }
    pl.p[i] = np;
    pl.count++;
    sla_notice("partition %d: started again with lease %s after the failover", i, token);
    pipeline_start(np);
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
    if (pl.router) {
        snprintf(name, sizeof name, "command p%d", i);
        p->ccmd = cluster_link_new(pl.router, i, name, pipelines_on_ccmd, pipelines_on_node, p);
        snprintf(name, sizeof name, "reader p%d", i);
        p->creader = cluster_link_new(pl.router, i, name, pipelines_on_creader,
                                      pipelines_on_node, p);
        snprintf(name, sizeof name, "deliver p%d", i);
        p->cdeliver = cluster_link_new(pl.router, i, name, pipelines_on_cdeliver,
                                       pipelines_on_node, p);
        p->rebuild = evtimer_new(pl.base, pipelines_on_rebuild, p);
        if (p->ccmd == NULL || p->creader == NULL || p->cdeliver == NULL || p->rebuild == NULL)
            goto fail;
        p->cmd = cluster_link_redis(p->ccmd);
        p->reader = cluster_link_redis(p->creader);
        p->dlink = cluster_link_redis(p->cdeliver);
        redis_link_set_reply_timeout(p->cmd, pl.cfg->redis.reply_timeout_ms);
    } else {
        p->cmd = pl.command;
        snprintf(name, sizeof name, "reader p%d", i);
        p->reader = redis_link_new(pl.base, pl.cfg, name, pipelines_on_reader_link, p);
        snprintf(name, sizeof name, "deliver p%d", i);
        p->dlink = redis_link_new(pl.base, pl.cfg, name, pipelines_on_deliver_link, p);
    }
    p->reap = event_new(pl.base, -1, 0, pipelines_on_reap, p);
    if (p->reader == NULL || p->dlink == NULL || p->reap == NULL)
        goto fail;
    event_priority_set(p->reap, SLAD_PRIORITY_ALARM);
    redis_link_set_priority(p->dlink, SLAD_PRIORITY_BULK);
    p->store = store_new(pl.base, p->cmd, &p->keys, pl.cfg, pipelines_on_store_state, p);
    if (p->store == NULL || store_set_fence(p->store, p->keys.lease, p->token) < 0)
        goto fail;
    store_set_engine_drop(p->store, pipelines_on_engine_drop, NULL);
    if (p->ccmd && pl.cfg->redis.wait_replicas > 0 &&
        store_set_wait(p->store, p->ccmd, pl.cfg->redis.wait_replicas,
                       pl.cfg->redis.wait_timeout_ms) < 0)
        goto fail;
    sla_config as_owner = *pl.cfg; /* read only during ingest_new */
    static char owner[] = PIPELINES_CONSUMER;
    as_owner.stream.consumer = owner;
    p->ingest = ingest_new(pl.base, p->reader, p->cmd, p->store, &p->keys, &as_owner,
                           pipelines_on_joined, p);
    if (p->ingest == NULL ||
        deliver_add_source(i, p->dlink, &p->keys, PIPELINES_CONSUMER, p->keys.lease, p->token,
                           pipelines_valid, NULL) < 0)
        goto fail;
    if (p->ccmd && pl.cfg->redis.wait_replicas > 0)
        deliver_set_source_gate(i, pipelines_confirmed, NULL);
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
    pipeline_start(p);
}

static void pipeline_start(pipeline *p)
{
    if (pl.on_store)
        pl.on_store(p->store, pl.on_store_arg);
    if (p->ccmd) {
        cluster_link_start(p->ccmd);
        cluster_link_start(p->creader);
        cluster_link_start(p->cdeliver);
        return;
    }
    if (redis_link_is_up(pl.command))
        store_on_link(p->store, 1);
    redis_link_start(p->reader);
    redis_link_start(p->dlink);
}

void pipelines_on_command_link(int up)
{
    for (int i = 0; pl.p && i < pl.partitions; i++)
        if (pl.p[i] && pl.p[i]->ccmd == NULL)
            store_on_link(pl.p[i]->store, up);
}

void pipelines_set_router(cluster_router *r)
{
    pl.router = r;
}

void pipelines_get_cluster_stats(pipelines_cluster_stats *out)
{
    *out = pl.links_retired;
    out->rebuilds = pl.rebuilds;
    for (int i = 0; pl.p && i < pl.partitions; i++) {
        pipeline *p = pl.p[i];
        cluster_link *links[] = {p ? p->ccmd : NULL, p ? p->creader : NULL,
                                 p ? p->cdeliver : NULL};
        for (size_t k = 0; k < 3; k++) {
            if (links[k] == NULL)
                continue;
            cluster_link_stats st = cluster_link_get_stats(links[k]);
            out->moved += st.moved;
            out->asked += st.asked;
            out->retried += st.retried;
            out->node_changes += st.node_changes;
        }
    }
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
    cluster_link_reap();
    memset(&pl, 0, sizeof pl);
}
