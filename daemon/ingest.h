/*
 * ingest — ticket events from the input stream into the engine.
 *
 * Reads the input stream through the consumer group on the reader link
 * (dedicated to the blocking XREADGROUP), in batches: the consumer's own
 * pending entries first (after a start, a reconnect or an engine rebuild),
 * then new ones. Every entry of a batch is parsed; valid ones go to the
 * engine, invalid ones become dead letters, and all are staged for
 * acknowledgement; then the batch is committed through the store. The
 * read of the next batch is sent before a batch is applied, so reads,
 * applying and commits overlap, with at most STORE_MAX_COMMITS batches
 * applied and not yet durable.
 * Entries left pending by a dead consumer are taken over periodically with
 * XAUTOCLAIM (on the command link) and handled the same way. The reading
 * itself, and the guard of the blocking read, are stream_reader's.
 *
 * An ingest is an object (ingest_new/ingest_free) reading one stream into
 * one store's engine: slad runs one, for the single partition. Its
 * counters (ingest_get_stats) are the process's, summed over all.
 *
 * Ownership: settings are copied at ingest_new (stream settings take
 * effect on restart); the engine is borrowed between ingest_resume() and
 * ingest_suspend(); the store is borrowed and must be freed after the
 * ingest (store_free reports the commits still waiting as failed, which
 * releases an ingest freed before them).
 */
#ifndef INGEST_H
#define INGEST_H

#include <stdint.h>

#include <event2/event.h>

#include "redis_link.h"
#include "sla_config.h"
#include "sla_engine.h"
#include "sla_keys.h"

struct store; /* store.h */
typedef struct ingest ingest;

/* Called once, the first time the consumer group is joined. */
typedef void ingest_joined_fn(void *arg);

typedef struct ingest_stats {
    uint64_t entries;     /* entries read (including claimed) */
    uint64_t applied;
    uint64_t duplicates;
    uint64_t unknown_ticket;
    uint64_t dead;        /* invalid entries sent to the dead-letter stream */
    uint64_t broken;      /* entries without fields (trimmed), acknowledged only */
    uint64_t claimed;     /* entries taken over from other consumers */
    uint64_t batches;
    uint64_t by_type[SLA_EV_TYPE_COUNT];    /* valid events read, by type */
    uint64_t dead_by_reason[SLA_EVERR_COUNT_]; /* dead letters by -enum sla_event_error */
} ingest_stats;

/* Entries are applied to st's engine and committed through it. NULL on
 * OOM. */
ingest *ingest_new(struct event_base *base, redis_link *reader, redis_link *command,
                   struct store *st, const sla_keys *keys, const sla_config *cfg,
                   ingest_joined_fn *fn, void *arg);
void ingest_free(ingest *ing);

/* The reader link came up (1) or was lost (0). */
void ingest_on_link(ingest *ing, int up);

/* Start (again) with engine: own pending entries first, then new ones. */
void ingest_resume(ingest *ing, sla_engine *engine);
/* The engine is gone: apply nothing until the next ingest_resume(). */
void ingest_suspend(ingest *ing);
/* Read no more (shutdown). */
void ingest_stop(ingest *ing);

void ingest_get_stats(ingest_stats *out);

#endif
