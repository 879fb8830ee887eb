/*
 * leases — which partitions this instance owns, kept in Redis.
 *
 * Used only with partitions > 1. Every lease_ttl/3 a pass runs on its own
 * connection (so that a long commit on another never delays a renewal):
 *
 *   1. heartbeat: instances.lua puts this instance's name in the set of
 *      live instances (for lease_ttl) and answers the live names;
 *   2. GET every partition's lease: free, this instance's token, another's;
 *   3. sla_lease_plan decides; each partition held is renewed
 *      (lease_renew.lua), the surplus released (lease_release.lua), free
 *      ones up to the share taken (lease_take.lua).
 *
 * A partition is lost when its lease is found free or another's, when a
 * renewal is refused, when it is released, and locally, without asking
 * Redis, once lease_ttl has passed since the last renewal that succeeded
 * was sent (sla_lease_valid): a process paused or cut off stops acting for
 * the partition before another can take it. The fenced commit
 * (lib/lua/fenced.lua) is what makes that safe; this only stops trying.
 *
 * The owner learns of every gain and loss through one callback, a loss
 * always before the lease is given back. leases_stop() (SIGTERM) loses and
 * releases every partition and removes the heartbeat at once, so that the
 * others take over at their next pass instead of after the TTL.
 *
 * A pass still waiting for replies when the next one is due is not
 * doubled: the next one waits. Replies of an earlier connection or pass are
 * recognised by a generation and ignored.
 *
 * Ownership: the configuration is copied (name, TTL, partitions, prefix);
 * the link is borrowed and must outlive leases_finish().
 */
#ifndef LEASES_H
#define LEASES_H

#include <stdint.h>

#include <event2/event.h>

#include "redis_link.h"
#include "sla_config.h"

/* owned = 1: partition was taken (token is the lease's); 0: lost. */
typedef void leases_change_fn(int partition, int owned, const char *token, void *arg);
typedef void leases_done_fn(void *arg);

typedef struct leases_stats {
    int owned;              /* partitions owned now */
    int live;               /* live instances at the last pass, this one included */
    uint64_t renewals;      /* leases renewed */
    uint64_t takeovers;     /* partitions taken (free, released or expired ones) */
    uint64_t losses;        /* partitions lost without releasing them */
    uint64_t releases;      /* partitions given back (rebalance, stop) */
    uint64_t passes;        /* passes completed */
} leases_stats;

/* 0, or -1 (out of memory, or the prefix too long for the key names). */
int leases_init(struct event_base *base, redis_link *link, const sla_config *cfg,
                leases_change_fn *fn, void *arg);
/*
 * On a Redis Cluster: partition's lease scripts go on link (the node
 * holding the partition's keys: the lease and the data fenced on it share
 * the hash tag "{pK}"); the heartbeat stays on leases_init's link. A
 * partition whose link is down during a pass is neither renewed nor taken
 * (kept while its lease lasts here); the others go on. Borrowed.
 */
void leases_set_link(int partition, redis_link *link);
/* The redis_link_state_fn of the link. */
void leases_on_link(redis_link *link, int up, void *arg);

/* Lose and release every partition, leave the live set; done(arg) runs
 * when Redis answered (or at once when the link is down). No new pass. */
void leases_stop(leases_done_fn *done, void *arg);
void leases_finish(void);

int leases_owned(int partition);
/* Owned, and its last renewal recent enough on this clock to act for it
 * (sla_lease_valid): asked right before anything is sent for it. */
int leases_valid(int partition, int64_t now_ms);
/* When the last good renewal of an owned partition was sent (0: not owned). */
int64_t leases_renewed_ms(int partition);
/* This instance's name. */
const char *leases_name(void);
/* The token of an owned partition, NULL when not owned. */
const char *leases_token(int partition);
void leases_get_stats(leases_stats *s);

#endif
