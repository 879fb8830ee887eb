/*
 * stats — the daemon's own counters and samples, kept for `slactl status`
 * and /metrics.
 *
 * Five kinds of numbers live here, each fed by one source:
 *
 *   decisions   every decision committed to Redis (store_observe), counted by
 *               (kind, metric, policy), and its lateness in a histogram;
 *               every clock cycle ended, likewise once the transaction
 *               counting it in the report committed, by (outcome, metric,
 *               policy); unlike the engine's counters these survive an
 *               engine rebuild, so Prometheus counters never go back;
 *   samples     once a second: the count of entries read (ingest), kept
 *               for a minute to give the input rate, and the time of the
 *               tick itself, the event loop's heartbeat for /healthz;
 *   backlog     every STATS_POLL_MS, on the command link when it is up:
 *               XINFO GROUPS of the input stream (the group's lag and
 *               pending count) and XLEN of the dead deliveries;
 *               partitioned (stats_set_partitions), those of every
 *               partition this instance runs instead, each kept for the
 *               run of the partition it was polled for;
 *   reloads     the outcome and time of the last configuration load
 *               (main), the Prometheus convention for config reloads;
 *   process     CPU, memory and file descriptors, read from /proc/self
 *               when asked (once per scrape), never per event.
 *
 * Readers only read; nothing here decides anything.
 *
 * Ownership: policy names are copied; the link and keys are borrowed and
 * must outlive stats_finish().
 */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "redis_link.h"
#include "sla_engine.h"
#include "sla_histogram.h"
#include "sla_keys.h"
#include "store.h"

#define STATS_POLL_MS 2000


typedef struct stats_backlog {
    int64_t lag;           /* entries not yet delivered to the group; -1 unknown */
    int64_t pending;       /* delivered, not acknowledged; -1 unknown */
    int64_t deliveries_dead; /* XLEN of the dead deliveries; -1 unknown */
    int64_t polled_ms;     /* wall time of the last answer; 0 never */
    /* Partitioned (summed over the partitions run here): the one with the
     * most lag and its lag; -1 when none is known. */
    int worst_partition;
    int64_t worst_lag;
} stats_backlog;

typedef struct stats_process {
    double cpu_seconds;      /* user + system */
    double resident_bytes, virtual_bytes;
    double open_fds, max_fds; /* -1 when unknown */
} stats_process;

int stats_init(struct event_base *base, redis_link *command, const sla_keys *keys,
               const char *group);
void stats_finish(void);

/* The store's decision observer (pass to store_observe). */
void stats_on_decision(const store_decision_note *d, void *arg);

/* fn for every (kind, metric, policy) counted so far. */
typedef void stats_decision_fn(int kind, int metric, const char *policy, uint64_t count,
                               void *arg);
void stats_foreach_decision(stats_decision_fn *fn, void *arg);
/* The store's outcome observer (pass to store_observe_outcomes), and every
 * (outcome kind, metric, policy, channel) counted so far: the kinds of
 * sla_outcome_kind except CSAT, which is no end. The channel is the
 * ticket's `channel` attribute as a label value: "" when none; values of
 * more than 32 bytes or other than [a-z0-9_-], and all beyond the first
 * STATS_MAX_CHANNELS seen, are counted as "other" (producers' data must
 * not grow the metrics without bound). */
#define STATS_MAX_CHANNELS 16
typedef void stats_outcome_fn(int kind, int metric, const char *policy, const char *channel,
                              uint64_t count, void *arg);
void stats_on_outcome(const store_outcome_note *o, void *arg);
void stats_foreach_outcome(stats_outcome_fn *fn, void *arg);
/* Totals of one kind (enum sla_decision_kind) over every metric and policy. */
uint64_t stats_decisions_total(int kind);
/* How late decisions fired (seconds); borrowed until control returns to the loop. */
const sla_histogram *stats_lateness(void);

/* Entries read per second over the last minute (or since the start). */
double stats_events_per_second(void);
/* Milliseconds since the once-a-second tick last ran (monotonic clock). */
int64_t stats_loop_age_ms(void);
void stats_get_backlog(stats_backlog *out);
/* Partitioned: partition p's backlog, 0; -1 (and every field unknown) when
 * this instance does not run p or has not polled it in this run yet. */
int stats_get_partition_backlog(int p, stats_backlog *out);
/* partitions > 1: poll the partitions' keys (named from prefix) instead of
 * the unpartitioned ones. 0, or -1 out of memory. */
int stats_set_partitions(int partitions, const char *prefix);

/* A configuration load (start or reload) ended: ok 1 or 0, at wall time now_ms. */
void stats_on_config_load(int ok, int64_t now_ms);
/* The last load's outcome and the wall time (ms) of the last successful one. */
void stats_get_config_load(int *ok, int64_t *success_ms);

/* Read the process's own figures now (a few small /proc reads). */
void stats_get_process(stats_process *out);

#endif
