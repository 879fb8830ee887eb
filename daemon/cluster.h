/*
 * cluster — partitions' connections routed to the Redis Cluster nodes that
 * serve them (hiredis 0.14 has no cluster support of its own).
 *
 * A cluster_router learns the slot map (CLUSTER SLOTS, lib/sla_cluster.h)
 * over a connection of its own to one of the seed nodes of redis.cluster
 * (another seed, or a master it learnt, when that one stops answering).
 * It asks again when a member link is lost, when a command is answered
 * MOVED or CLUSTERDOWN, and every 300 ms while some member link is down
 * (a master that died stays in the map until its replica is promoted,
 * about cluster-node-timeout later).
 *
 * A cluster_link is one partition's connection: a redis_link pointed at
 * the master of the partition's slot (the slot of hash tag "{pK}", which
 * every key of partition K carries, sla_keys.h). Its commands are sent
 * with cluster_link_command(), which keeps each command (in the protocol's
 * form) until its reply so that it can be sent again:
 *
 *   MOVED        the map learns the slot's new node, a refresh is asked,
 *                the link moves there (once the commands already sent to
 *                the old node are answered) and the command is sent again,
 *                in the order it was first sent, before any command issued
 *                while moving;
 *   ASK          the command alone is sent to the named node, preceded by
 *                ASKING, on a second connection made for it (commands
 *                after it are not held back: during a migration, keep one
 *                command in flight per partition where order matters);
 *   TRYAGAIN, CLUSTERDOWN
 *                sent again after a backoff (50 ms doubling to 800 ms), at
 *                most CLUSTER_MAX_TRIES times in all; then the error is the
 *                reply;
 *   NULL         (the connection was lost) passed on as NULL: whether the
 *                command ran is unknown, as with redis_link.
 *
 * A link for a key outside every partition (cluster_link_new_for_key) may
 * also carry commands on other slots' keys (slad's shared queries over
 * every partition): one answered MOVED for a slot not its own is sent to
 * the named node on a side connection the link keeps for that node (made
 * at the first such command, at most 16), and the link itself stays. A
 * partition's link answers such a MOVED to its owner as an error.
 *
 * The owner sees "up" and "down" as with redis_link (a planned move to
 * another node is not reported as down; commands issued meanwhile wait
 * and go to the new node), and a "node changed" report when the
 * partition's node changes: failover = 1 when the previous node no longer
 * serves any slot (a master that died and whose replica was promoted, or
 * that was demoted): the new master may hold less than the owner knew
 * (asynchronous replication), so the owner rebuilds the partition from what
 * the new master holds. failover = 0 for a slot that was migrated (the
 * keys moved with it). The report comes before the link is up at the new
 * node.
 *
 * WAIT. cluster_wait() sends `WAIT replicas timeout_ms` on a link (it must
 * be the connection that made the writes: WAIT counts the replicas that
 * acknowledged every write of that connection so far) and reports how
 * many replicas acknowledged, or -1 when the link was lost or WAIT failed.
 * A WAIT answered while the link moves (a write sent before it was
 * answered MOVED) is sent again after that write at the new node.
 * Commands that went to an ASK target are not covered.
 *
 * Ownership: the router and its links are freed by their owners: every
 * cluster_link before its router. Replies of commands in flight arrive as
 * NULL when a link is freed. Settings are copied at creation.
 */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <stdint.h>

#include <event2/event.h>
#include <hiredis/async.h>

#include "redis_link.h"
#include "sla_cluster.h"
#include "sla_config.h"

#define CLUSTER_MAX_TRIES 40

typedef struct cluster_router cluster_router;
typedef struct cluster_link cluster_link;

/* A new router for cfg->redis.cluster (which must name seeds). NULL on OOM
 * or when no seed is configured. */
cluster_router *cluster_router_new(struct event_base *base, const sla_config *cfg);
void cluster_router_start(cluster_router *r);
void cluster_router_free(cluster_router *r);
/* Ask CLUSTER SLOTS again soon (requests made meanwhile are merged). */
void cluster_router_refresh(cluster_router *r);
/* 1 once a slot map was learnt. */
int cluster_router_ready(const cluster_router *r);
/* The master serving slot in the current map, NULL when unknown. */
const sla_cluster_node *cluster_router_owner(const cluster_router *r, unsigned slot);
/* Maps learnt so far. */
uint64_t cluster_router_refreshes(const cluster_router *r);

typedef void cluster_state_fn(cluster_link *cl, int up, void *arg);
typedef void cluster_node_fn(cluster_link *cl, const char *host, int port, int failover,
                             void *arg);

/*
 * A link for partition (its slot: sla_cluster_partition_slot), named name
 * in log lines. node_fn may be NULL. Nothing happens until
 * cluster_link_start(); it connects once the router knows the slot's node.
 */
cluster_link *cluster_link_new(cluster_router *r, int partition, const char *name,
                               cluster_state_fn *state_fn, cluster_node_fn *node_fn, void *arg);
/*
 * A link for the slot of a key outside every partition (the instances'
 * heartbeat set, "sla:instances"); cluster_link_partition() answers -1.
 */
cluster_link *cluster_link_new_for_key(cluster_router *r, const char *key, const char *name,
                                       cluster_state_fn *state_fn, cluster_node_fn *node_fn,
                                       void *arg);
void cluster_link_start(cluster_link *cl);
void cluster_link_free(cluster_link *cl);
/* The same at the next turn of the loop, no report made to the owner from
 * now on: for a link whose owner goes away from inside one of the link's
 * own reply callbacks (as redis_link_free_later). Replies still to come
 * are answered NULL then. cluster_link_reap() frees at once those still
 * waiting (before their router, when the loop will not run again). */
void cluster_link_free_later(cluster_link *cl);
void cluster_link_reap(void);
int cluster_link_is_up(const cluster_link *cl);
int cluster_link_partition(const cluster_link *cl);
unsigned cluster_link_slot(const cluster_link *cl);
/* The node the link is (or will be) connected to; host NULL when none yet. */
const char *cluster_link_host(const cluster_link *cl);
int cluster_link_port(const cluster_link *cl);
/*
 * The underlying connection: for its reply deadline, priority and flush,
 * and to hand to modules that send with redis_link_command() (store,
 * stream_reader, deliver): their commands go through
 * cluster_link_command() (redis_link_set_sender). Its own up/down reports
 * go to the cluster_link, not to them: the owner learns the state from
 * cluster_state_fn, and frees the cluster_link, never the redis_link.
 * redis_link_is_up() on it is 0 while the link moves, when commands are
 * nonetheless accepted.
 */
redis_link *cluster_link_redis(cluster_link *cl);

/*
 * Send one command, following redirections as above; fn may be NULL.
 * Returns 0, or -1 when the link is not up or on OOM (fn not called).
 */
int cluster_link_command(cluster_link *cl, redisCallbackFn *fn, void *privdata, int argc,
                         const char **argv, const size_t *argvlen);

typedef struct cluster_link_stats {
    uint64_t moved;       /* MOVED answers followed */
    uint64_t asked;       /* commands sent to an ASK target */
    uint64_t retried;     /* TRYAGAIN / CLUSTERDOWN retries */
    uint64_t node_changes;
} cluster_link_stats;
cluster_link_stats cluster_link_get_stats(const cluster_link *cl);

/* acked: replicas that acknowledged (>= 0), or -1 (lost, error). */
typedef void cluster_wait_fn(int acked, void *arg);
/* WAIT on a partition's link, or on a plain redis_link (on a cluster
 * link's redis_link, use cluster_wait: it follows moves). 0, or -1 when
 * the link is not up (fn not called). */
int cluster_wait(cluster_link *cl, int replicas, int timeout_ms, cluster_wait_fn *fn,
                 void *arg);
int cluster_wait_redis(redis_link *link, int replicas, int timeout_ms, cluster_wait_fn *fn,
                       void *arg);

#endif
