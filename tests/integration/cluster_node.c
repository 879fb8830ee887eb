/*
 * cluster_node — daemon/cluster.c alone, for tests/integration/test_cluster.py:
 * one cluster_link per partition on a real Redis Cluster, driven line by
 * line from stdin, with no pipeline behind the links.
 *
 *   cluster_node CONFIG   (partitions and redis of slad.conf; redis.cluster set)
 *
 * Commands (stdin), answers (stdout, one line each, flushed at once):
 * Writes and bursts are sent with redis_link_command() on the link's
 * redis_link (cluster_link_redis), as the pipeline's modules send; lmove
 * and beat with cluster_link_command().
 *   write K V       RPUSH sla:{pK}:log V, then WAIT when redis.wait_replicas
 *                   > 0: "ok K V HOST:PORT ACKED" (ACKED: replicas that
 *                   acknowledged, -1 without WAIT) or "err K V WHY"
 *   burst K FROM N  N RPUSHes of FROM..FROM+N-1 sent at once, without
 *                   waiting: "burst K OK ERR" once all are answered
 *   waitburst K FROM N
 *                   as burst, then WAIT 1 300 sent right behind the writes
 *                   (not after their replies): "burst ..." then
 *                   "waited K ACKED"
 *   lmove K         LMOVE sla:{pK}:a sla:{pK}:b LEFT RIGHT (two keys of one
 *                   slot): "lmoved K VALUE" or "lmoved K err WHY"
 *   beat K NAME     ZADD sla:instances 1 NAME on the link of that key (not a
 *                   partition's; K is ignored): "beat NAME HOST:PORT" or
 *                   "beat NAME err WHY"
 *   stats K         "stats K MOVED ASKED RETRIED NODE_CHANGES"
 * and on its own:
 *   ready                          every partition's link is up (once)
 *   node K HOST:PORT FAILOVER      partition K's node changed
 *   up K / down K                  a link's transitions after ready
 * EOF on stdin ends it (exit 0).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "cluster.h"
#include "reply_arena.h"
#include "sla_config.h"
#include "sla_log.h"

static struct event_base *base;
static const sla_config *cfg;
static cluster_link **links;
static cluster_link *global; /* for "sla:instances" */
static int nlinks, nup, ready;

typedef struct write_op {
    int partition;
    char value[64];
    int burst;          /* part of a burst: counted, not printed */
} write_op;

typedef struct burst_state {
    int partition, left, ok, err;
} burst_state;

static burst_state *bursts; /* one per partition */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void on_state(cluster_link *cl, int up, void *arg)
{
    int k = cluster_link_partition(cl);
    nup += up ? 1 : -1;
    if (ready)
        out("%s %d", up ? "up" : "down", k);
    else if (nup == nlinks + 1) {
        ready = 1;
        out("ready");
    }
}

static void on_node(cluster_link *cl, const char *host, int port, int failover, void *arg)
{
    out("node %d %s:%d %d", cluster_link_partition(cl), host, port, failover);
}

typedef struct wait_arg {
    write_op *op;
    char addr[300];
} wait_arg;

static void on_waited(int acked, void *arg)
{
    wait_arg *w = arg;
    out("ok %d %s %s %d", w->op->partition, w->op->value, w->addr, acked);
    free(w->op);
    free(w);
}

static void burst_done(write_op *op, int ok)
{
    burst_state *b = &bursts[op->partition];
    if (ok)
        b->ok++;
    else
        b->err++;
    if (--b->left == 0)
        out("burst %d %d %d", op->partition, b->ok, b->err);
    free(op);
}

static void on_burst_waited(int acked, void *arg)
{
    out("waited %d %d", (int)(intptr_t)arg, acked);
}

static void on_lmoved(redisAsyncContext *ac, void *reply, void *privdata)
{
    int k = (int)(intptr_t)privdata;
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_STRING)
        out("lmoved %d %s", k, r->str);
    else
        out("lmoved %d err %s", k,
            r == NULL ? "lost" : r->type == REDIS_REPLY_ERROR ? r->str : "odd-reply");
}

static void on_beat(redisAsyncContext *ac, void *reply, void *privdata)
{
    char *name = privdata;
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_INTEGER)
        out("beat %s %s:%d", name, cluster_link_host(global), cluster_link_port(global));
    else
        out("beat %s err %s", name,
            r == NULL ? "lost" : r->type == REDIS_REPLY_ERROR ? r->str : "odd-reply");
    free(name);
}

static void on_pushed(redisAsyncContext *ac, void *reply, void *privdata)
{
    write_op *op = privdata;
    redisReply *r = reply;
    int ok = r && r->type == REDIS_REPLY_INTEGER;
    if (op->burst) {
        burst_done(op, ok);
        return;
    }
    if (!ok) {
        out("err %d %s %s", op->partition, op->value,
            r == NULL ? "lost" : r->type == REDIS_REPLY_ERROR ? r->str : "odd-reply");
        free(op);
        return;
    }
    cluster_link *cl = links[op->partition];
    char addr[300];
    snprintf(addr, sizeof addr, "%s:%d", cluster_link_host(cl), cluster_link_port(cl));
    if (cfg->redis.wait_replicas <= 0) {
        out("ok %d %s %s -1", op->partition, op->value, addr);
        free(op);
        return;
    }
    wait_arg *w = malloc(sizeof *w);
    w->op = op;
    snprintf(w->addr, sizeof w->addr, "%s", addr);
    if (cluster_wait(cl, cfg->redis.wait_replicas, cfg->redis.wait_timeout_ms, on_waited, w) < 0) {
        out("err %d %s wait-not-sent", op->partition, op->value);
        free(op);
        free(w);
    }
}

static int push(int partition, const char *value, int burst)
{
    char key[64];
    snprintf(key, sizeof key, "sla:{p%d}:log", partition);
    write_op *op = calloc(1, sizeof *op);
    op->partition = partition;
    op->burst = burst;
    snprintf(op->value, sizeof op->value, "%s", value);
    const char *argv[] = {"RPUSH", key, op->value};
    size_t lens[] = {5, strlen(key), strlen(op->value)};
    /* Through the redis_link, as store, stream_reader and deliver send. */
    if (redis_link_command(cluster_link_redis(links[partition]), on_pushed, op, 3, argv, lens) <
        0) {
        free(op);
        return -1;
    }
    return 0;
}

static void run_line(char *line)
{
    char cmd[16], value[64];
    int k = -1, from = 0, n = 0;
    if (sscanf(line, "%15s %d", cmd, &k) < 2 || k < 0 || k >= nlinks) {
        out("bad %s", line);
        return;
    }
    if (strcmp(cmd, "write") == 0 && sscanf(line, "%*s %*d %63s", value) == 1) {
        if (push(k, value, 0) < 0)
            out("err %d %s down", k, value);
    } else if ((strcmp(cmd, "burst") == 0 || strcmp(cmd, "waitburst") == 0) && sscanf(line, "%*s %*d %d %d", &from, &n) == 2 &&
               n > 0) {
        bursts[k] = (burst_state){k, n, 0, 0};
        for (int i = 0; i < n; i++) {
            snprintf(value, sizeof value, "%d", from + i);
            if (push(k, value, 1) < 0) {
                bursts[k].left--;
                bursts[k].err++;
            }
        }
        if (bursts[k].left == 0)
            out("burst %d %d %d", k, bursts[k].ok, bursts[k].err);
        if (strcmp(cmd, "waitburst") == 0 &&
            cluster_wait(links[k], 1, 300, on_burst_waited, (void *)(intptr_t)k) < 0)
            out("waited %d not-sent", k);
    } else if (strcmp(cmd, "beat") == 0 && sscanf(line, "%*s %*d %63s", value) == 1) {
        char *name = strdup(value);
        const char *args[] = {"ZADD", "sla:instances", "1", name};
        size_t lens[] = {4, 13, 1, strlen(name)};
        if (cluster_link_command(global, on_beat, name, 4, args, lens) < 0) {
            out("beat %s err down", name);
            free(name);
        }
    } else if (strcmp(cmd, "lmove") == 0) {
        char a[64], b[64];
        snprintf(a, sizeof a, "sla:{p%d}:a", k);
        snprintf(b, sizeof b, "sla:{p%d}:b", k);
        const char *args[] = {"LMOVE", a, b, "LEFT", "RIGHT"};
        size_t lens[] = {5, strlen(a), strlen(b), 4, 5};
        if (cluster_link_command(links[k], on_lmoved, (void *)(intptr_t)k, 5, args, lens) < 0)
            out("lmoved %d err down", k);
    } else if (strcmp(cmd, "stats") == 0) {
        cluster_link_stats s = cluster_link_get_stats(links[k]);
        out("stats %d %llu %llu %llu %llu", k, (unsigned long long)s.moved,
            (unsigned long long)s.asked, (unsigned long long)s.retried,
            (unsigned long long)s.node_changes);
    } else {
        out("bad %s", line);
    }
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
    struct evbuffer *in = arg;
    int n = evbuffer_read(in, fd, 4096);
    if (n <= 0) {
        event_base_loopbreak(base);
        return;
    }
    char *line;
    size_t len;
    while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
        run_line(line);
        free(line);
    }
}

int main(int argc, char **argv)
{
    char err[1024];
    sla_config *c = NULL;
    if (argc != 2 || sla_config_load(argv[1], &c, err, sizeof err) < 0 ||
        c->redis.ncluster == 0) {
        fprintf(stderr, "usage: cluster_node CONFIG (with redis.cluster) %s\n",
                argc == 2 ? err : "");
        return 2;
    }
    cfg = c;
    sla_log_set_level(cfg->log_level);
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    cluster_router *router = base ? cluster_router_new(base, cfg) : NULL;
    nlinks = cfg->partitions;
    links = calloc((size_t)nlinks, sizeof *links);
    bursts = calloc((size_t)nlinks, sizeof *bursts);
    struct evbuffer *in = evbuffer_new();
    struct event *ev = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, in);
    if (!router || !links || !bursts || !in || !ev) {
        fprintf(stderr, "cluster_node: cannot start\n");
        return 1;
    }
    for (int k = 0; k < nlinks; k++) {
        char name[32];
        snprintf(name, sizeof name, "p%d", k);
        if (!(links[k] = cluster_link_new(router, k, name, on_state, on_node, NULL))) {
            fprintf(stderr, "cluster_node: cannot start\n");
            return 1;
        }
    }
    if (!(global = cluster_link_new_for_key(router, "sla:instances", "instances", on_state,
                                            on_node, NULL))) {
        fprintf(stderr, "cluster_node: cannot start\n");
        return 1;
    }
    cluster_router_start(router);
    for (int k = 0; k < nlinks; k++)
        cluster_link_start(links[k]);
    cluster_link_start(global);
    event_add(ev, NULL);
    event_base_dispatch(base);
    for (int k = 0; k < nlinks; k++)
        cluster_link_free(links[k]);
    cluster_link_free(global);
    cluster_router_free(router);
    event_free(ev);
    evbuffer_free(in);
    event_base_free(base);
    free(links);
    free(bursts);
    reply_arena_release();
    sla_config_free(c);
    return 0;
}
