/*
 * store — the engine's durable state in Redis, and the one transaction
 * that makes each step durable.
 *
 * The store owns the engine. It builds it from the state hash (HSCAN +
 * sla_engine_restore) when the command connection first comes up, and
 * again whenever it can no longer trust it: a transaction that failed, or a
 * command connection lost with a transaction in flight, means Redis may be
 * behind the engine, so the engine is dropped and rebuilt from Redis, and
 * the entries that were not acknowledged are read again (the engine then
 * applies each once).
 *
 * A step ("flush") is: advance the engine to the input's horizon (the wall
 * clock once the input reader is at the end of the stream, before that the
 * time of the entries applied; store_input_progress), collect what it decided,
 * and write all of it together with what the caller staged (dead letters,
 * acknowledgements) in one MULTI/EXEC on the command connection:
 *
 *   MULTI
 *   HSET  <state> ticket record ...      (changed tickets)
 *   HDEL  <state> ticket ...             (forgotten tickets)
 *   XADD  <escalations> * field value... (one per decision)
 *   XADD  <dead> * dead.reason ...       (one per staged dead letter)
 *   XACK  <events> <group> id ...        (every staged entry)
 *   EXEC
 *
 * Only one transaction is ever in flight; commits and alarms arriving
 * meanwhile wait for EXEC's reply and then go out together. The same flush serves the batch path
 * (store_commit) and the alarm path (store_tick).
 *
 * A store is an object (store_new/store_free): slad runs one with the
 * default single partition; with partitions, one per owned partition is
 * the plan (SPEC section 8). Each store has its engine's alarm (wakeup.h).
 *
 * Ownership: staged data is copied; the configuration is borrowed (it must
 * stay valid until store_set_config() replaces it or store_free()); the
 * link is borrowed and may be shared with other modules: a store freed with
 * replies still to come is released when the last one arrives.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "cluster.h"
#include "redis_link.h"
#include "sla_config.h"
#include "sla_engine.h"
#include "sla_event.h"
#include "sla_keys.h"

/* The engine became available (1, after a load) or was dropped (0). */
typedef struct store store;

typedef void store_state_fn(int ready, void *arg);
/* A commit was made durable (ok = 1) or not (ok = 0: the engine is dropped). */
typedef void store_commit_fn(int ok, void *arg);
typedef void store_idle_fn(void *arg);

typedef struct store_stats {
    uint64_t transactions;
    uint64_t failures;
    uint64_t loads;
    uint64_t restored;
    uint64_t corrupt;
    uint64_t decisions;
} store_stats;

/* Keys, group and link are fixed for the life of the store. NULL on OOM.
 * The queries (store_engine, store_engine_serial, store_get_input,
 * store_get_stats, store_sync, store_rematch_pending) take a NULL store
 * as one without an engine. */
store *store_new(struct event_base *base, redis_link *command, const sla_keys *keys,
                 const sla_config *cfg, store_state_fn *fn, void *arg);
/* Drop the engine and everything staged. The commits and syncs still
 * waiting are answered fn(0, arg) now; no callback is called after it. */
void store_free(store *s);

/* The command link came up (1) or was lost (0). */
void store_on_link(store *s, int up);

/*
 * An engine the store drops from now on (store_free, or a failed commit)
 * is handed to fn(e, arg), which then owns it, instead of being freed at
 * once: freeing a million tickets must not hold the event loop
 * (pipelines.c frees them in slices). The store never uses it again.
 * Without it (and fn NULL), sla_engine_free.
 */
typedef void store_engine_drop_fn(sla_engine *e, void *arg);
void store_set_engine_drop(store *s, store_engine_drop_fn *fn, void *arg);

/* The engine, NULL while it is being (re)built. Owned by the store. */
sla_engine *store_engine(store *s);
/* Changes each time a new engine is built: an engine seen with the same
 * serial is the same engine (even if one was freed at the same address). */
uint64_t store_engine_serial(store *s);

/*
 * Switch the engine (and future rebuilds) to cfg, then flush. The engine
 * re-matches its open tickets in slices afterwards (sla_engine_set_config);
 * store_rematch_pending() counts those left, and fn (store_on_rematched)
 * runs once none is.
 */
void store_set_config(store *s, const sla_config *cfg, int64_t now_ms);
size_t store_rematch_pending(store *s);
void store_on_rematched(store *s, void (*fn)(void));

/*
 * Stage a dead letter for entry id: "dead.reason reason dead.detail detail
 * dead.id id", then "dead.truncated truncated" when truncated is neither
 * NULL nor "", then the fields (the caller bounds them: sla_deadletter.h).
 * Copies everything. Returns 0 or -1 (OOM).
 */
int store_stage_dead(store *s, const char *id, size_t id_len, const char *reason,
                     const char *detail, const char *truncated, const sla_field *fields,
                     size_t nfields);
/* Stage the acknowledgement of entry id. Returns 0 or -1 (OOM). */
int store_stage_ack(store *s, const char *id, size_t id_len);

/*
 * Make everything staged durable, with the engine's output; fn reports.
 * A commit made while a transaction is in flight waits for it, and commits
 * waiting together are written in one transaction (each fn is called). A
 * caller keeps at most STORE_MAX_COMMITS commits unreported at a time.
 */
#define STORE_MAX_COMMITS 3
void store_commit(store *s, store_commit_fn *fn, void *arg);

/*
 * The input's position (sla_watermark.h), which every flush advances the
 * engine to. store_input_applied: `last` is the last entry applied in
 * stream order (new entries, or own pending ones replayed; not entries
 * taken over from another consumer). store_input_confirmed: Redis answered
 * a request sent at at_ms that nothing in the stream was left unapplied.
 * Both take effect at the next flush (store_commit or store_tick); a new
 * engine starts with neither.
 */
void store_input_applied(store *s, const sla_streamid *last);
void store_input_confirmed(store *s, int64_t at_ms);

/*
 * fn(arg) after a flush that left something due beyond the horizon: the
 * input's owner moves it (applies more entries, or confirms its position
 * and calls store_tick). The alarm is not armed meanwhile.
 */
typedef void store_behind_fn(void *arg);
void store_on_behind(store *s, store_behind_fn *fn, void *arg);

/* The horizon of the last flush (INT64_MIN while none or loading) and how
 * far behind the wall clock firing is held while the input catches up
 * (0 when nothing due is held back). */
void store_get_input(store *s, int64_t *horizon_ms, int64_t *behind_ms);

/* What the engine's alarm does (also for callers): advance and flush what
 * came out. */
void store_tick(store *s);

/* fn(arg) once no transaction is in flight or waiting (maybe at once). */
void store_when_idle(store *s, store_idle_fn *fn, void *arg);

/*
 * fn(1, arg) once everything the engine holds now is durable (the next
 * transaction committed, or at once when there is nothing to write);
 * fn(0, arg) when that transaction failed or the engine is gone. At most
 * STORE_MAX_SYNCS wait at a time; returns 0, or -1 (fn not called) when
 * that many already wait.
 */
#define STORE_MAX_SYNCS 64
int store_sync(store *s, store_commit_fn *fn, void *arg);

/* What the counters learn of one decision; policy borrowed for the call. */
typedef struct store_decision_note {
    enum sla_decision_kind kind;
    int metric;
    const char *policy;
    int64_t late_ms;
} store_decision_note;
/* Every decision is shown to fn once its transaction committed (a
 * transaction that failed is written again by the rebuilt engine, and
 * shown then); fn NULL stops it. */
typedef void store_decision_fn(const store_decision_note *d, void *arg);
void store_observe(store *s, store_decision_fn *fn, void *arg);

/* What the counters learn of one clock cycle that ended (CSAT scores are
 * not shown); policy borrowed for the call. */
typedef struct store_outcome_note {
    enum sla_outcome_kind kind;
    int metric;
    const char *policy;
    const char *channel; /* the ticket's `channel` attribute, "" when none */
} store_outcome_note;
/* Every outcome is shown to fn once the transaction that records it (the
 * ticket's state and the report's counters) committed. */
typedef void store_outcome_fn(const store_outcome_note *o, void *arg);
void store_observe_outcomes(store *s, store_outcome_fn *fn, void *arg);

void store_get_stats(store *s, store_stats *out);

/*
 * Fence every commit from now on on the lease lease_key holding token
 * (sla_lease.h): one EVALSHA of lib/lua/fenced.lua instead of MULTI/EXEC,
 * which writes nothing and answers FENCED once the lease is another's;
 * the store then fails as for any refused transaction (the owner of a
 * lost partition frees it). Set it before the link comes up: the script
 * is loaded at the start of every load. For partitions > 1 only: the
 * default single partition commits with MULTI/EXEC. 0, or -1 (OOM).
 */
int store_set_fence(store *s, const char *lease_key, const char *token);
/* 1 once a fenced commit was refused (FENCED): the store then never loads
 * again, and its owner frees it (not from inside a store callback). */
int store_fenced(store *s);

/*
 * redis.wait_replicas on a Redis Cluster: cl is the link the store's
 * commands go through (cluster_link_redis(cl) is its command link). Each
 * commit then counts as done (its commit and sync callers told, the next
 * one sent) only once WAIT replicas timeout_ms on that connection answered
 * at least replicas; fewer: WAIT is asked again every 100 ms meanwhile
 * (the partition stalls rather than deliver what a failover could lose);
 * the connection lost: the store fails and rebuilds as for any commit. A
 * load writes a marker (<lease>:wait) and waits the same way before the
 * engine is ready, so that the records already in the outbox are covered.
 * store_confirmed() answers whether the outbox record entry was written by
 * a commit so confirmed: only those may be delivered (deliver's gate).
 * Set before the link comes up. 0, or -1 (OOM).
 */
int store_set_wait(store *s, cluster_link *cl, int replicas, int timeout_ms);
/* 1 when entry may be delivered: no wait set, or confirmed as above; 0 for
 * a NULL store. */
int store_confirmed(store *s, const char *entry);

#endif
