/*
 * pipelines — one engine per owned partition (partitions > 1).
 *
 * A pipeline is what an instance runs for one partition it holds the lease
 * of: a store fenced on that lease (store_set_fence), an ingest reading the
 * partition's input stream on a reader link of its own, and the
 * partition's outbox as a source of delivery (deliver_add_source) on a
 * delivery link of its own. The stores share the process's command link.
 *
 *   lease gained   build the pipeline: the store loads the partition's
 *                  state, the ingest joins the partition's group, the
 *                  delivery reads its outbox
 *   lease lost     tear it down at once, delivery first (nothing more is
 *   (or FENCED)    sent), then the ingest (nothing more read), the store
 *                  (nothing more written) and the two links; a commit in
 *                  flight is answered as failed. What was read and not
 *                  acknowledged stays pending in Redis for the next owner,
 *                  who takes it over (XAUTOCLAIM, stream.claim_idle).
 *                  Only the engine's memory outlives the pipeline: it is
 *                  freed in slices at the lowest priority
 *                  (sla_engine_free_step), never in the callback that
 *                  stops the pipeline.
 *
 * A commit refused FENCED (the lease is already another's, though this
 * instance's clock had not noticed yet) stops delivery at once and frees
 * the pipeline at the next turn of the loop (never from inside the store's
 * own callback); the store loads nothing meanwhile.
 *
 * The default single partition (partitions = 1) does not use this module:
 * main.c runs the one store, ingest and delivery as before, with today's
 * key names and without leases.
 *
 * Ownership: the configuration is borrowed until pipelines_set_config()
 * replaces it; the command link is borrowed and must outlive
 * pipelines_finish(). Each pipeline owns its store, ingest and two links.
 */
#ifndef PIPELINES_H
#define PIPELINES_H

#include <stdint.h>

#include <event2/event.h>

#include "cluster.h"
#include "redis_link.h"
#include "sla_config.h"
#include "store.h"

/*
 * The consumer name of every partition group (input and outbox), whatever
 * the instance: only the lease holder reads a partition, and a new owner
 * reads what its predecessor read and did not acknowledge first, as its
 * own pending entries, exactly as a restarted single slad does.
 */
#define PIPELINES_CONSUMER "owner"

/* Called once for every store built (to observe it). */
typedef void pipelines_store_fn(store *s, void *arg);

int pipelines_init(struct event_base *base, redis_link *command, const sla_config *cfg,
                   pipelines_store_fn *on_store, void *arg);
/* The leases_change_fn: build (owned = 1) or tear down (0) a pipeline. */
void pipelines_on_lease(int partition, int owned, const char *token, void *arg);
/* The command link came up or went down: every store is told (on a
 * single Redis; on a cluster each store follows its own link). */
void pipelines_on_command_link(int up);

/*
 * On a Redis Cluster (before the first lease): every pipeline gets three
 * cluster_links of its own on r, routed to the partition's node: the
 * store's and ingest's commands, the ingest's reads, the delivery. When
 * one reports a failover, the pipeline is rebuilt from the new master at
 * the next turn of the loop. With redis.wait_replicas, the store confirms
 * each commit with WAIT (store_set_wait) and delivery sends a record only
 * once it is confirmed (deliver_set_source_gate). r is borrowed.
 */
void pipelines_set_router(cluster_router *r);
typedef struct pipelines_cluster_stats {
    uint64_t moved, asked, retried, node_changes; /* summed over the links, gone ones too */
    uint64_t rebuilds;                            /* pipelines rebuilt after a failover */
} pipelines_cluster_stats;
void pipelines_get_cluster_stats(pipelines_cluster_stats *out);

void pipelines_set_config(const sla_config *cfg, int64_t now_ms);

/* The store of partition p when this instance runs it, else NULL. */
store *pipelines_store(int partition);
/* Which run of partition p this instance has now: a number never used
 * again for another (a lease lost and taken again is a new run), 0 when
 * it does not run p. A query spread over slices checks it is still reading
 * the engine it began with. */
uint64_t pipelines_epoch(int partition);
/* The configured partition count (0 before pipelines_init). */
int pipelines_partitions(void);
/* The stores' counters summed: the pipelines run now and every one freed
 * since pipelines_init (the shutdown's totals). */
void pipelines_get_stats(store_stats *out);
/* The partitions run now, and the sum of their re-matches pending. */
int pipelines_count(void);
size_t pipelines_rematch_pending(void);

/* Shutdown: every ingest stops reading; done(arg) once every store is idle
 * (maybe at once). */
typedef void pipelines_done_fn(void *arg);
void pipelines_stop(pipelines_done_fn *done, void *arg);
void pipelines_finish(void);

#endif
