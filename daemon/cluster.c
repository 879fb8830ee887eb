/*
 * cluster — routing partitions' connections on a Redis Cluster.
 * See cluster.h for what it promises.
 *
 * A command sent through a cluster_link lives in a cl_cmd (its bytes in
 * the protocol's form, the owner's callback) from cluster_link_command()
 * until the owner's callback has its final reply. While alive it is in
 * exactly one place:
 *
 *   in flight on the link or on the ASK link (the redis_link's ring holds
 *             the cl_cmd as privdata),
 *   held      answered MOVED: waits for the link to reach the new node,
 *   later     issued while the link moves: sent after held,
 *   askq      waits for the ASK link to connect,
 *   retry     answered TRYAGAIN / CLUSTERDOWN: waits for the retry timer.
 *
 * Moving. A MOVED answer (or a new map that gives the slot to another
 * node) starts a move: the link keeps its connection until every command
 * already sent there is answered (they are answered MOVED too, in order,
 * and join held behind the first), then redis_link_retarget() points it at
 * the new node; once up, held then later are sent. The "down" the
 * redis_link reports for a move is not passed on. A move that has not
 * reached its node within CLUSTER_MOVE_MS is given up: the queued commands
 * are answered NULL and the owner is told the link is down.
 *
 * The router's tick (every CLUSTER_TICK_MS) asks for a new map while a
 * member link is down or no map is known, gives up stale moves, sends
 * commands stuck waiting for an ASK link back through the normal path,
 * and points the router's own connection at the next known node when it
 * has been down for CLUSTER_ROTATE_MS.
 *
 * hiredis facts used (0.14): a reply callback's reply is freed by hiredis
 * after the callback returns; error replies are REDIS_REPLY_ERROR with str
 * and len; redisFormatCommandArgv allocates the command, freed with
 * redisFreeCommand.
 */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "sla_log.h"
#include "wakeup.h"

#define CLUSTER_TICK_MS 300
#define CLUSTER_REFRESH_MIN_MS 100
#define CLUSTER_ROTATE_MS 1000
#define CLUSTER_MOVE_MS 5000
#define CLUSTER_ASK_WAIT_MS 1000
#define CLUSTER_MOVED_QUIET_MS 2000 /* a map contradicting a MOVED this recent waits */
#define CLUSTER_RETRY_MIN_MS 50
#define CLUSTER_RETRY_MAX_MS 800

typedef struct cl_cmd {
    struct cl_cmd *next;
    cluster_link *cl;
    redisCallbackFn *fn;
    void *privdata;
    char *buf;            /* redisFormatCommandArgv's; owned */
    size_t len;
    int tries;
    int follows_moves;    /* WAIT: answered while the link moves, sent again at the new node */
} cl_cmd;

typedef struct cmd_queue {
    cl_cmd *head, *tail;
} cmd_queue;

typedef struct cl_addr {
    char host[SLA_CLUSTER_HOST_MAX];
    int port;
} cl_addr;

/* A shared link's connection to another master (cluster_link_new_for_key):
 * the commands answered MOVED for a slot that is not the link's own. */
typedef struct cl_side {
    struct cluster_link *cl;
    redis_link *link;
    cmd_queue q;              /* waiting for it to come up */
    int64_t q_since_ms;
} cl_side;

#define CLUSTER_SIDES 16

struct cluster_link {
    cluster_router *r;
    cluster_link *next_member;
    int partition;
    unsigned slot;
    char *name;
    redis_link *link;
    redis_link *ask;          /* made at the first ASK; NULL until then */
    cmd_queue held, later, askq, retry;
    int64_t askq_since_ms;
    struct event *retry_timer;
    int started;
    int placed;               /* the link has an address from the map */
    int moving, move_sent;
    int64_t moving_since_ms, moved_ms;
    cl_addr move_to;
    int up;                   /* as reported to the owner */
    int closing;
    cluster_state_fn *state_fn;
    cluster_node_fn *node_fn;
    void *arg;
    cluster_link_stats stats;
    struct cluster_link *doomed_next; /* cluster_link_free_later: waiting for its turn */
    cl_side *sides[CLUSTER_SIDES]; /* shared links only; made on demand */
};

struct cluster_router {
    struct event_base *base;
    redis_link *link;
    cl_addr *seeds;
    size_t nseeds;
    size_t next_addr;
    sla_cluster_map *map;
    int asking;               /* CLUSTER SLOTS in flight */
    int wanted;
    int64_t last_ms;          /* when CLUSTER SLOTS was last sent */
    int64_t down_since_ms;    /* the router's connection is not up since; 0: up */
    struct event *tick;
    cluster_link *members;
    uint64_t refreshes;
};

static int64_t now_ms(void)
{
    return wakeup_mono_us() / 1000;
}

/* --- queues and commands ------------------------------------------------------ */

static void q_push(cmd_queue *q, cl_cmd *c)
{
    c->next = NULL;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
}

static cl_cmd *q_take_all(cmd_queue *q)
{
    cl_cmd *h = q->head;
    q->head = q->tail = NULL;
    return h;
}

static void cmd_free(cl_cmd *c)
{
    redisFreeCommand(c->buf);
    free(c);
}

/* The final answer of a command: to its owner, then forgotten. */
static void cmd_done(cl_cmd *c, redisAsyncContext *ac, redisReply *reply)
{
    if (c->fn)
        c->fn(ac, reply, c->privdata);
    cmd_free(c);
}

static void q_fail(cmd_queue *q)
{
    cl_cmd *c = q_take_all(q);
    while (c) {
        cl_cmd *n = c->next;
        cmd_done(c, NULL, NULL);
        c = n;
    }
}

/* --- router -------------------------------------------------------------------- */

static void router_send(cluster_router *r);
static void member_place(cluster_link *cl);

void cluster_router_refresh(cluster_router *r)
{
    r->wanted = 1;
    if (now_ms() - r->last_ms >= CLUSTER_REFRESH_MIN_MS)
        router_send(r);
}

int cluster_router_ready(const cluster_router *r)
{
    return r->map != NULL;
}

const sla_cluster_node *cluster_router_owner(const cluster_router *r, unsigned slot)
{
    return sla_cluster_map_owner(r->map, slot);
}

uint64_t cluster_router_refreshes(const cluster_router *r)
{
    return r->refreshes;
}

static void value_free(sla_cluster_value *v)
{
    if (v->type == SLA_CV_ARRAY) {
        sla_cluster_value *e = (sla_cluster_value *)v->elems;
        for (size_t i = 0; i < v->n; i++)
            value_free(&e[i]);
        free(e);
    }
}

/* hiredis's reply as lib/'s plain data (strings borrowed from the reply). */
static int value_from(const redisReply *rp, sla_cluster_value *v)
{
    memset(v, 0, sizeof *v);
    switch (rp->type) {
    case REDIS_REPLY_INTEGER:
        v->type = SLA_CV_INTEGER;
        v->integer = rp->integer;
        return 0;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        v->type = rp->type == REDIS_REPLY_STRING ? SLA_CV_STRING
                : rp->type == REDIS_REPLY_STATUS ? SLA_CV_STATUS : SLA_CV_ERROR;
        v->str = rp->str;
        v->len = rp->len;
        return 0;
    case REDIS_REPLY_ARRAY: {
        v->type = SLA_CV_ARRAY;
        if (rp->elements == 0)
            return 0;
        sla_cluster_value *e = calloc(rp->elements, sizeof *e);
        if (!e)
            return -1;
        v->elems = e;
        for (size_t i = 0; i < rp->elements; i++) {
            if (value_from(rp->element[i], &e[i]) < 0) {
                v->n = i;
                return -1;
            }
        }
        v->n = rp->elements;
        return 0;
    }
    default:
        v->type = SLA_CV_NIL;
        return 0;
    }
}

/* 1 when host:port serves some slot in map. */
static int serves_some_slot(const sla_cluster_map *map, const char *host, int port)
{
    if (!map || !host)
        return 0;
    for (size_t i = 0; i < map->nnodes; i++)
        if (map->nodes[i].port == port && strcmp(map->nodes[i].host, host) == 0)
            for (size_t s = 0; s < SLA_CLUSTER_SLOTS; s++)
                if (map->owner[s] == (int16_t)i)
                    return 1;
    return 0;
}

static void router_on_slots(redisAsyncContext *ac, void *reply, void *privdata)
{
    cluster_router *r = privdata;
    redisReply *rp = reply;
    r->asking = 0;
    if (rp == NULL)
        return; /* lost: the state callback moves on */
    if (rp->type != REDIS_REPLY_ARRAY) {
        sla_warning("redis cluster: CLUSTER SLOTS answered %.200s",
                    rp->type == REDIS_REPLY_ERROR ? rp->str : "something else than an array");
        r->wanted = 1;
        return;
    }
    sla_cluster_value v;
    sla_cluster_map *map = NULL;
    int rc = value_from(rp, &v) < 0 ? SLA_CLUSTER_ENOMEM
                                    : sla_cluster_map_parse(&v, redis_link_host(r->link), &map);
    value_free(&v);
    if (rc < 0) {
        sla_warning("redis cluster: cannot read the CLUSTER SLOTS answer (%d)", rc);
        r->wanted = 1;
        return;
    }
    unsigned covered = sla_cluster_map_covered(map);
    if (covered < SLA_CLUSTER_SLOTS)
        r->wanted = 1; /* a cluster still forming, or a slot without a master */
    if (covered == 0) {
        sla_cluster_map_free(map);
        return;
    }
    sla_cluster_map *old = r->map;
    r->map = map;
    r->refreshes++;
    if (!old)
        sla_info("redis cluster: %zu masters serve %u of %d slots", map->nnodes, covered,
                 SLA_CLUSTER_SLOTS);
    for (cluster_link *cl = r->members; cl; cl = cl->next_member)
        member_place(cl);
    sla_cluster_map_free(old);
}

static void router_send(cluster_router *r)
{
    if (r->asking || !redis_link_is_up(r->link))
        return;
    const char *argv[] = {"CLUSTER", "SLOTS"};
    size_t lens[] = {7, 5};
    if (redis_link_command(r->link, router_on_slots, r, 2, argv, lens) == 0) {
        r->asking = 1;
        r->wanted = 0;
        r->last_ms = now_ms();
    }
}

static void router_on_state(redis_link *link, int up, void *arg)
{
    cluster_router *r = arg;
    if (up) {
        r->down_since_ms = 0;
        r->wanted = 1;
        router_send(r);
    } else {
        r->asking = 0;
        r->down_since_ms = now_ms();
    }
}

/* The router's connection at the next seed or known master. */
static void router_rotate(cluster_router *r)
{
    size_t n = r->nseeds + (r->map ? r->map->nnodes : 0);
    size_t i = r->next_addr++ % n;
    const char *host = i < r->nseeds ? r->seeds[i].host : r->map->nodes[i - r->nseeds].host;
    int port = i < r->nseeds ? r->seeds[i].port : r->map->nodes[i - r->nseeds].port;
    r->down_since_ms = now_ms();
    redis_link_retarget(r->link, host, port);
}

static void member_tick(cluster_link *cl, int64_t now);

static void router_on_tick(evutil_socket_t fd, short what, void *arg)
{
    cluster_router *r = arg;
    int64_t now = now_ms();
    if (!r->map)
        r->wanted = 1;
    for (cluster_link *cl = r->members; cl; cl = cl->next_member) {
        if (cl->started && !redis_link_is_up(cl->link))
            r->wanted = 1;
        member_tick(cl, now);
    }
    if (r->down_since_ms && now - r->down_since_ms >= CLUSTER_ROTATE_MS)
        router_rotate(r);
    if (r->wanted)
        router_send(r);
}

cluster_router *cluster_router_new(struct event_base *base, const sla_config *cfg)
{
    if (cfg->redis.ncluster == 0)
        return NULL;
    cluster_router *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base = base;
    r->seeds = calloc(cfg->redis.ncluster, sizeof *r->seeds);
    if (!r->seeds) {
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < cfg->redis.ncluster; i++) {
        const char *s = cfg->redis.cluster[i];
        if (sla_cluster_addr_parse(s, strlen(s), r->seeds[r->nseeds].host,
                                   sizeof r->seeds[r->nseeds].host,
                                   &r->seeds[r->nseeds].port) == 0)
            r->nseeds++;
    }
    r->tick = event_new(base, -1, EV_PERSIST, router_on_tick, r);
    r->link = r->nseeds ? redis_link_new_at(base, cfg, "cluster", r->seeds[0].host,
                                            r->seeds[0].port, router_on_state, r)
                        : NULL;
    r->next_addr = 1;
    if (!r->tick || !r->link) {
        cluster_router_free(r);
        return NULL;
    }
    redis_link_set_reply_timeout(r->link, cfg->redis.reply_timeout_ms);
    return r;
}

void cluster_router_start(cluster_router *r)
{
    struct timeval tv = {0, CLUSTER_TICK_MS * 1000};
    evtimer_add(r->tick, &tv);
    r->wanted = 1;
    r->down_since_ms = now_ms();
    redis_link_start(r->link);
}

void cluster_router_free(cluster_router *r)
{
    if (!r)
        return;
    if (r->tick)
        event_free(r->tick);
    redis_link_free(r->link); /* CLUSTER SLOTS in flight answered NULL */
    sla_cluster_map_free(r->map);
    free(r->seeds);
    free(r);
}

/* --- partition links ------------------------------------------------------------ */

static void cl_on_reply(redisAsyncContext *ac, void *reply, void *privdata);
static void cl_on_ask_reply(redisAsyncContext *ac, void *reply, void *privdata);

static int same_addr(const char *h1, int p1, const char *h2, int p2)
{
    return h1 && h2 && p1 == p2 && strcmp(h1, h2) == 0;
}

static void cl_report_down(cluster_link *cl)
{
    q_fail(&cl->held);
    q_fail(&cl->later);
    if (cl->up) {
        cl->up = 0;
        if (cl->state_fn)
            cl->state_fn(cl, 0, cl->arg);
    }
}

/* Point the link at the move's node once nothing is in flight on it. */
static void cl_move_step(cluster_link *cl)
{
    if (!cl->moving || cl->move_sent || redis_link_in_flight(cl->link) > 0)
        return;
    cl->move_sent = 1;
    if (redis_link_retarget(cl->link, cl->move_to.host, cl->move_to.port) < 0) {
        sla_err("redis %s: out of memory moving to %s:%d", cl->name, cl->move_to.host,
                  cl->move_to.port);
        cl->moving = 0;
        cl_report_down(cl);
    }
}

/* The partition's node is now host:port. */
static void cl_begin_move(cluster_link *cl, const char *host, int port)
{
    const char *cur_host = cl->moving ? cl->move_to.host : redis_link_host(cl->link);
    int cur_port = cl->moving ? cl->move_to.port : redis_link_port(cl->link);
    if (same_addr(cur_host, cur_port, host, port))
        return;
    int failover = !serves_some_slot(cl->r->map, redis_link_host(cl->link),
                                     redis_link_port(cl->link));
    sla_notice("redis %s: partition %d is served by %s:%d now (was %s:%d%s)", cl->name,
               cl->partition, host, port, redis_link_host(cl->link), redis_link_port(cl->link),
               failover ? ", a failover" : "");
    cl->stats.node_changes++;
    if (!cl->moving) {
        cl->moving_since_ms = now_ms();
        cl->moving = 1;
    }
    cl->move_sent = 0;
    snprintf(cl->move_to.host, sizeof cl->move_to.host, "%s", host);
    cl->move_to.port = port;
    if (cl->node_fn)
        cl->node_fn(cl, host, port, failover, cl->arg);
    if (!cl->closing)
        cl_move_step(cl);
}

/* Send now, on the link. -1 when it cannot be written. */
static int cl_write(cluster_link *cl, cl_cmd *c)
{
    return redis_link_formatted(cl->link, cl_on_reply, c, c->buf, c->len);
}

/* A command that was sent before and must go again. */
static void cl_resend(cluster_link *cl, cl_cmd *c)
{
    if (cl->moving)
        q_push(&cl->held, c);
    else if (cl_write(cl, c) < 0)
        cmd_done(c, NULL, NULL);
}

static void cl_ask_send(cluster_link *cl, cl_cmd *c)
{
    const char *argv[] = {"ASKING"};
    size_t lens[] = {6};
    if (redis_link_command(cl->ask, NULL, NULL, 1, argv, lens) < 0 ||
        redis_link_formatted(cl->ask, cl_on_ask_reply, c, c->buf, c->len) < 0)
        cl_resend(cl, c);
}

static void cl_on_ask_state(redis_link *link, int up, void *arg)
{
    cluster_link *cl = arg;
    if (!up)
        return;
    cl_cmd *c = q_take_all(&cl->askq);
    while (c) {
        cl_cmd *n = c->next;
        cl_ask_send(cl, c);
        c = n;
    }
}

static void cl_ask(cluster_link *cl, cl_cmd *c, const char *host, int port)
{
    if (!cl->ask) {
        char name[128];
        snprintf(name, sizeof name, "%s/ask", cl->name);
        cl->ask = redis_link_new_like(cl->link, name, host, port, cl_on_ask_state, cl);
        if (!cl->ask) {
            cl_resend(cl, c);
            return;
        }
        redis_link_start(cl->ask);
    } else if (!same_addr(redis_link_host(cl->ask), redis_link_port(cl->ask), host, port)) {
        redis_link_retarget(cl->ask, host, port);
    }
    if (redis_link_is_up(cl->ask)) {
        cl_ask_send(cl, c);
    } else {
        if (!cl->askq.head)
            cl->askq_since_ms = now_ms();
        q_push(&cl->askq, c);
    }
}

/* --- a shared link's other nodes ---------------------------------------------- */

static void cl_on_side_reply(redisAsyncContext *ac, void *reply, void *privdata);

static void cl_side_write(cl_side *sd, cl_cmd *c)
{
    if (redis_link_formatted(sd->link, cl_on_side_reply, c, c->buf, c->len) < 0)
        cmd_done(c, NULL, NULL);
}

static void cl_on_side_state(redis_link *link, int up, void *arg)
{
    cl_side *sd = arg;
    cl_cmd *c = q_take_all(&sd->q);
    while (c) {
        cl_cmd *n = c->next;
        if (up)
            cl_side_write(sd, c);
        else
            cmd_done(c, NULL, NULL);
        c = n;
    }
}

/* Send c to host:port on the side connection made for that node. */
static void cl_side_send(cluster_link *cl, cl_cmd *c, const char *host, int port)
{
    cl_side *sd = NULL;
    int free_at = -1;
    for (int i = 0; i < CLUSTER_SIDES && !sd; i++) {
        if (cl->sides[i] == NULL) {
            if (free_at < 0)
                free_at = i;
        } else if (same_addr(redis_link_host(cl->sides[i]->link),
                             redis_link_port(cl->sides[i]->link), host, port)) {
            sd = cl->sides[i];
        }
    }
    if (sd == NULL) {
        char name[SLA_CLUSTER_HOST_MAX + 160];
        if (free_at < 0 || (sd = calloc(1, sizeof *sd)) == NULL) {
            cmd_done(c, NULL, NULL); /* more masters than sides: answered as lost */
            return;
        }
        snprintf(name, sizeof name, "%.120s/%s:%d", cl->name, host, port);
        sd->cl = cl;
        sd->link = redis_link_new_like(cl->link, name, host, port, cl_on_side_state, sd);
        if (sd->link == NULL) {
            free(sd);
            cmd_done(c, NULL, NULL);
            return;
        }
        cl->sides[free_at] = sd;
        redis_link_start(sd->link);
    }
    if (redis_link_is_up(sd->link)) {
        cl_side_write(sd, c);
        return;
    }
    if (!sd->q.head)
        sd->q_since_ms = now_ms();
    q_push(&sd->q, c);
}

static void cl_sides_free(cluster_link *cl)
{
    for (int i = 0; i < CLUSTER_SIDES; i++) {
        cl_side *sd = cl->sides[i];
        if (sd == NULL)
            continue;
        cl->sides[i] = NULL;
        q_fail(&sd->q);
        redis_link_free(sd->link); /* in flight: answered NULL through cl_handle */
        free(sd);
    }
}

static void cl_on_retry(evutil_socket_t fd, short what, void *arg)
{
    cluster_link *cl = arg;
    cl_cmd *c = q_take_all(&cl->retry);
    while (c) {
        cl_cmd *n = c->next;
        cl_resend(cl, c);
        c = n;
    }
}

/* A reply from the node at host (the default host of a redirection). */
static void cl_handle(cluster_link *cl, cl_cmd *c, redisAsyncContext *ac, redisReply *rp,
                      const char *host)
{
    if (rp == NULL || cl->closing) {
        if (!cl->closing)
            cluster_router_refresh(cl->r);
        cmd_done(c, ac, rp);
        return;
    }
    if (c->follows_moves && cl->moving && c->tries < CLUSTER_MAX_TRIES) {
        /* A write before it was answered MOVED and goes again to the new
         * node: this answer counts replicas of the old one. */
        c->tries++;
        q_push(&cl->held, c);
        return;
    }
    sla_cluster_redirect rd;
    int kind = rp->type == REDIS_REPLY_ERROR
                   ? sla_cluster_error_parse(rp->str, rp->len, host, &rd)
                   : SLA_REDIRECT_NONE;
    if (kind <= SLA_REDIRECT_NONE || c->tries >= CLUSTER_MAX_TRIES) {
        cmd_done(c, ac, rp);
        return;
    }
    c->tries++;
    switch (kind) {
    case SLA_REDIRECT_MOVED:
        if (rd.slot != cl->slot && cl->partition < 0) {
            /* A shared link reading another slot's key (a query over
             * every partition): sent there, the link stays. */
            cl->stats.moved++;
            cl_side_send(cl, c, rd.host, rd.port);
            return;
        }
        if (rd.slot != cl->slot) {
            cmd_done(c, ac, rp); /* a key of another partition: the owner's mistake */
            return;
        }
        cl->stats.moved++;
        cl->moved_ms = now_ms();
        if (cl->r->map)
            sla_cluster_map_move(cl->r->map, rd.slot, rd.host, rd.port);
        cluster_router_refresh(cl->r);
        cl_begin_move(cl, rd.host, rd.port);
        cl_resend(cl, c);
        return;
    case SLA_REDIRECT_ASK:
        cl->stats.asked++;
        cl_ask(cl, c, rd.host, rd.port);
        return;
    default: { /* TRYAGAIN, CLUSTERDOWN */
        cl->stats.retried++;
        if (kind == SLA_REDIRECT_CLUSTERDOWN)
            cluster_router_refresh(cl->r);
        q_push(&cl->retry, c);
        if (!evtimer_pending(cl->retry_timer, NULL)) {
            int shift = c->tries - 1 < 4 ? c->tries - 1 : 4;
            int ms = CLUSTER_RETRY_MIN_MS << shift;
            ms = ms > CLUSTER_RETRY_MAX_MS ? CLUSTER_RETRY_MAX_MS : ms;
            struct timeval tv = {0, ms * 1000};
            evtimer_add(cl->retry_timer, &tv);
        }
        return;
    }
    }
}

static void cl_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    cl_cmd *c = privdata;
    cluster_link *cl = c->cl;
    cl_handle(cl, c, ac, reply, redis_link_host(cl->link));
    if (!cl->closing)
        cl_move_step(cl);
}

static void cl_on_side_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    cl_cmd *c = privdata;
    cl_handle(c->cl, c, ac, reply, redis_link_host(c->cl->link));
}

static void cl_on_ask_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    cl_cmd *c = privdata;
    cluster_link *cl = c->cl;
    cl_handle(cl, c, ac, reply, redis_link_host(cl->ask));
}

static void cl_on_link_state(redis_link *link, int up, void *arg)
{
    cluster_link *cl = arg;
    if (!up) {
        if (cl->moving)
            return; /* the move's own disconnection */
        cl_report_down(cl);
        cluster_router_refresh(cl->r);
        return;
    }
    if (cl->moving) {
        cl->moving = 0;
        cl->move_sent = 0;
        cl_cmd *c = q_take_all(&cl->held);
        while (c) {
            cl_cmd *n = c->next;
            if (cl_write(cl, c) < 0)
                cmd_done(c, NULL, NULL);
            c = n;
        }
        c = q_take_all(&cl->later);
        while (c) {
            cl_cmd *n = c->next;
            if (cl_write(cl, c) < 0)
                cmd_done(c, NULL, NULL);
            c = n;
        }
    }
    if (!cl->up) {
        cl->up = 1;
        if (cl->state_fn)
            cl->state_fn(cl, 1, cl->arg);
    }
}

/* The map changed: is the partition still where its link points? */
static void member_place(cluster_link *cl)
{
    const sla_cluster_node *node = sla_cluster_map_owner(cl->r->map, cl->slot);
    if (!node) {
        cl->r->wanted = 1;
        return;
    }
    if (!cl->placed) {
        cl->placed = 1;
        if (redis_link_retarget(cl->link, node->host, node->port) < 0)
            cl->placed = 0;
        else if (cl->started)
            redis_link_start(cl->link);
        return;
    }
    const char *cur_host = cl->moving ? cl->move_to.host : redis_link_host(cl->link);
    int cur_port = cl->moving ? cl->move_to.port : redis_link_port(cl->link);
    if (same_addr(cur_host, cur_port, node->host, node->port))
        return;
    if (now_ms() - cl->moved_ms < CLUSTER_MOVED_QUIET_MS) {
        cl->r->wanted = 1; /* the node asked may not know of the move yet */
        return;
    }
    cl_begin_move(cl, node->host, node->port);
}

static void member_tick(cluster_link *cl, int64_t now)
{
    if (cl->moving && now - cl->moving_since_ms >= CLUSTER_MOVE_MS &&
        !redis_link_is_up(cl->link)) {
        sla_warning("redis %s: cannot reach %s:%d, the partition's node", cl->name,
                    cl->move_to.host, cl->move_to.port);
        cl->moving = 0;
        cl->move_sent = 0;
        cl_report_down(cl);
    }
    for (int i = 0; i < CLUSTER_SIDES; i++)
        if (cl->sides[i] && cl->sides[i]->q.head &&
            now - cl->sides[i]->q_since_ms >= CLUSTER_ASK_WAIT_MS)
            q_fail(&cl->sides[i]->q); /* that node unreachable: answered as lost */
    if (cl->askq.head && now - cl->askq_since_ms >= CLUSTER_ASK_WAIT_MS) {
        cl_cmd *c = q_take_all(&cl->askq);
        while (c) {
            cl_cmd *n = c->next;
            cl_resend(cl, c);
            c = n;
        }
    }
}

static int cl_command(cluster_link *cl, redisCallbackFn *fn, void *privdata, int argc,
                      const char **argv, const size_t *argvlen, int follows_moves);

/* redis_link_command() on the link's own redis_link comes here. */
static int cl_send_hook(void *owner, redisCallbackFn *fn, void *privdata, int argc,
                        const char **argv, const size_t *argvlen)
{
    return cl_command(owner, fn, privdata, argc, argv, argvlen, 0);
}

static cluster_link *link_new(cluster_router *r, int partition, unsigned slot, const char *name,
                              cluster_state_fn *state_fn, cluster_node_fn *node_fn, void *arg)
{
    cluster_link *cl = calloc(1, sizeof *cl);
    if (!cl)
        return NULL;
    cl->r = r;
    cl->partition = partition;
    cl->slot = slot;
    cl->name = strdup(name);
    cl->state_fn = state_fn;
    cl->node_fn = node_fn;
    cl->arg = arg;
    cl->moved_ms = -CLUSTER_MOVED_QUIET_MS;
    cl->retry_timer = evtimer_new(r->base, cl_on_retry, cl);
    /* The address is a placeholder until the map places the link. */
    cl->link = redis_link_new_like(r->link, name, r->seeds[0].host, r->seeds[0].port,
                                   cl_on_link_state, cl);
    if (!cl->name || !cl->retry_timer || !cl->link) {
        cluster_link_free(cl);
        return NULL;
    }
    redis_link_set_sender(cl->link, cl_send_hook, cl);
    cl->next_member = r->members;
    r->members = cl;
    return cl;
}

cluster_link *cluster_link_new(cluster_router *r, int partition, const char *name,
                               cluster_state_fn *state_fn, cluster_node_fn *node_fn, void *arg)
{
    return link_new(r, partition, sla_cluster_partition_slot(partition), name, state_fn, node_fn,
                    arg);
}

cluster_link *cluster_link_new_for_key(cluster_router *r, const char *key, const char *name,
                                       cluster_state_fn *state_fn, cluster_node_fn *node_fn,
                                       void *arg)
{
    return link_new(r, -1, sla_cluster_keyslot(key, strlen(key)), name, state_fn, node_fn, arg);
}

void cluster_link_start(cluster_link *cl)
{
    cl->started = 1;
    if (cl->r->map)
        member_place(cl);
    if (cl->placed)
        redis_link_start(cl->link);
    else
        cluster_router_refresh(cl->r);
}

void cluster_link_free(cluster_link *cl)
{
    if (!cl)
        return;
    cl->closing = 1;
    for (cluster_link **p = &cl->r->members; *p; p = &(*p)->next_member)
        if (*p == cl) {
            *p = cl->next_member;
            break;
        }
    if (cl->retry_timer)
        event_free(cl->retry_timer);
    q_fail(&cl->held);
    q_fail(&cl->later);
    q_fail(&cl->askq);
    q_fail(&cl->retry);
    cl_sides_free(cl);
    redis_link_free(cl->ask);  /* in flight: answered NULL through cl_handle */
    redis_link_free(cl->link);
    free(cl->name);
    free(cl);
}

static cluster_link *doomed; /* links of cluster_link_free_later not freed yet */

static void cl_on_free_later(evutil_socket_t fd, short what, void *arg)
{
    cluster_link **pp = &doomed;
    while (*pp && *pp != arg)
        pp = &(*pp)->doomed_next;
    if (*pp == NULL)
        return; /* freed by cluster_link_reap() */
    *pp = ((cluster_link *)arg)->doomed_next;
    cluster_link_free(arg);
}

void cluster_link_free_later(cluster_link *cl)
{
    if (cl == NULL)
        return;
    cl->state_fn = NULL;
    cl->node_fn = NULL;
    struct timeval now = {0, 0};
    if (event_base_once(cl->r->base, -1, EV_TIMEOUT, cl_on_free_later, cl, &now) < 0) {
        cluster_link_free(cl); /* cannot defer: at least no report */
        return;
    }
    cl->doomed_next = doomed;
    doomed = cl;
}

void cluster_link_reap(void)
{
    while (doomed) {
        cluster_link *cl = doomed;
        doomed = cl->doomed_next;
        cluster_link_free(cl);
    }
}

int cluster_link_is_up(const cluster_link *cl)
{
    return cl->up;
}

int cluster_link_partition(const cluster_link *cl)
{
    return cl->partition;
}

unsigned cluster_link_slot(const cluster_link *cl)
{
    return cl->slot;
}

const char *cluster_link_host(const cluster_link *cl)
{
    if (cl->moving)
        return cl->move_to.host;
    return cl->placed ? redis_link_host(cl->link) : NULL;
}

int cluster_link_port(const cluster_link *cl)
{
    return cl->moving ? cl->move_to.port : redis_link_port(cl->link);
}

redis_link *cluster_link_redis(cluster_link *cl)
{
    return cl->link;
}

cluster_link_stats cluster_link_get_stats(const cluster_link *cl)
{
    return cl->stats;
}

static int cl_command(cluster_link *cl, redisCallbackFn *fn, void *privdata, int argc,
                      const char **argv, const size_t *argvlen, int follows_moves)
{
    if (!cl->up)
        return -1;
    cl_cmd *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    int len = redisFormatCommandArgv(&c->buf, argc, argv, argvlen);
    if (len < 0) {
        free(c);
        return -1;
    }
    c->len = (size_t)len;
    c->cl = cl;
    c->fn = fn;
    c->privdata = privdata;
    c->follows_moves = follows_moves;
    if (cl->moving) {
        q_push(&cl->later, c);
        return 0;
    }
    if (cl_write(cl, c) < 0) {
        cmd_free(c);
        return -1;
    }
    return 0;
}

int cluster_link_command(cluster_link *cl, redisCallbackFn *fn, void *privdata, int argc,
                         const char **argv, const size_t *argvlen)
{
    return cl_command(cl, fn, privdata, argc, argv, argvlen, 0);
}

/* --- WAIT ------------------------------------------------------------------------ */

typedef struct wait_ctx {
    cluster_wait_fn *fn;
    void *arg;
} wait_ctx;

static void on_wait(redisAsyncContext *ac, void *reply, void *privdata)
{
    wait_ctx *w = privdata;
    redisReply *rp = reply;
    int acked = rp && rp->type == REDIS_REPLY_INTEGER ? (int)rp->integer : -1;
    if (rp && rp->type == REDIS_REPLY_ERROR)
        sla_warning("redis: WAIT answered %.200s", rp->str);
    w->fn(acked, w->arg);
    free(w);
}

/* WAIT on cl (following its moves) or, when cl is NULL, on link. */
static int wait_send(cluster_link *cl, redis_link *link, int replicas, int timeout_ms,
                     cluster_wait_fn *fn, void *arg)
{
    wait_ctx *w = malloc(sizeof *w);
    if (!w)
        return -1;
    *w = (wait_ctx){fn, arg};
    char n[16], t[16];
    size_t lens[] = {4, (size_t)snprintf(n, sizeof n, "%d", replicas),
                     (size_t)snprintf(t, sizeof t, "%d", timeout_ms)};
    const char *argv[] = {"WAIT", n, t};
    int rc = cl ? cl_command(cl, on_wait, w, 3, argv, lens, 1)
                : redis_link_command(link, on_wait, w, 3, argv, lens);
    if (rc < 0)
        free(w);
    return rc < 0 ? -1 : 0;
}

int cluster_wait(cluster_link *cl, int replicas, int timeout_ms, cluster_wait_fn *fn, void *arg)
{
    return wait_send(cl, NULL, replicas, timeout_ms, fn, arg);
}

int cluster_wait_redis(redis_link *link, int replicas, int timeout_ms, cluster_wait_fn *fn,
                       void *arg)
{
    return wait_send(NULL, link, replicas, timeout_ms, fn, arg);
}
