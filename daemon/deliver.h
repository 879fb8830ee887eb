/*
 * deliver — escalation records from the outbox stream to the receivers.
 *
 * Reads the escalations stream (the engine's outbox) through its own
 * consumer group ("<group>-deliver") on its own Redis connection: first
 * its own pending entries, then new ones. Each record is turned back into
 * a decision (sla_outbox), and sent to its receiver with libcurl's multi
 * interface driven by the event loop. An outbox entry is acknowledged only
 * once it was delivered, dead-lettered, or needs no delivery (receiver
 * ""), so deliveries survive restarts and the webhook-id (the record id)
 * is the same on every attempt.
 *
 * Ownership: the configuration is borrowed from deliver_init() or
 * deliver_set_config() until the next deliver_set_config() or
 * deliver_finish(); items returned by deliver_list() are borrowed until
 * control returns to the event loop.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "redis_link.h"
#include "sla_config.h"
#include "sla_engine.h"
#include "sla_histogram.h"
#include "sla_keys.h"
#include "sla_webhook.h"

typedef struct deliver_item {
    const char *record_id;   /* the escalation id = webhook-id */
    const char *receiver;
    const char *ticket;
    const char *metric;
    const char *kind;
    int attempts;
    int64_t next_attempt_ms; /* 0 when in flight or ready now */
    int64_t held_until_ms;   /* held for the receiver's working hours until then
                                (= next_attempt_ms); 0 when not held */
    long last_status;        /* HTTP status of the last attempt, 0 none/network error */
    const char *last_error;  /* "" when none */
} deliver_item;

/* Pending and retrying deliveries in memory (borrowed until control returns to
 * the event loop; parked ones are counted by deliver_get_stats, not listed).
 * Returns the total count; writes at most max. */
size_t deliver_list(deliver_item *out, size_t max);

typedef struct deliver_stats {
    uint64_t delivered, retried, failed_final, dead, digests; /* totals */
    size_t pending, retrying, in_flight;
    size_t held;             /* waiting for their receivers' working hours */
    size_t parked;           /* of which parked: not in memory, not listed */
} deliver_stats;
void deliver_get_stats(deliver_stats *out);

/* How one attempt of one notice ended (a digest is one attempt per notice in it). */
enum deliver_attempt_result {
    DELIVER_ATTEMPT_DELIVERED = 0, /* accepted */
    DELIVER_ATTEMPT_RETRY,         /* failed, to be tried again (or past the budget) */
    DELIVER_ATTEMPT_FAILED,        /* refused for good */
    DELIVER_ATTEMPT_COUNT
};
/* "delivered", "retry", "failed". */
const char *deliver_attempt_name(int result);

/* Counters of one receiver, for /metrics; they only grow for the process's life. */
typedef struct deliver_receiver_stats {
    uint64_t delivered, dead;   /* outcomes: one per notice */
    uint64_t attempts[DELIVER_ATTEMPT_COUNT];
    sla_histogram latency;      /* fired_ms to delivered, seconds */
} deliver_receiver_stats;

/* fn for every receiver that had a notice since the start (borrowed for the call). */
void deliver_foreach_receiver(void (*fn)(const char *receiver, const deliver_receiver_stats *s,
                                         void *arg),
                              void *arg);

/* Start delivering: link is delivery's own Redis connection (created with
 * deliver_on_link as its state callback), reading the outbox of keys; link
 * NULL: no outbox yet, each comes with deliver_add_source(). Returns 0, or
 * -1 on error. */
int deliver_init(struct event_base *base, redis_link *link, const sla_keys *keys,
                 const sla_config *cfg);
/* A link's state callback (pass it to redis_link_new, or call it from one). */
void deliver_on_link(redis_link *link, int up, void *arg);

/*
 * Partitions: the outboxes of the owned partitions, one source each.
 * valid(slot, now, arg) is asked before anything is sent: 0 (the lease not
 * renewed in time on this clock) stops the source as deliver_remove_source
 * does. Writes (acks, dead deliveries) of a source with lease_key go as one
 * EVAL of lib/lua/fenced.lua checking the lease still holds token: a write
 * answered FENCED stops the source too. link (borrowed) must stay until
 * the source is removed; the caller passes its state changes to
 * deliver_on_link. consumer: the name in delivery.group (NULL:
 * stream.consumer). 0, or -1 (OOM).
 */
typedef int deliver_valid_fn(int slot, int64_t now_ms, void *arg);
int deliver_add_source(int slot, redis_link *link, const sla_keys *keys, const char *consumer,
                       const char *lease_key, const char *token, deliver_valid_fn *valid,
                       void *arg);
/*
 * A gate on slot's source (redis.wait_replicas on a Redis Cluster): a
 * record read from its outbox is sent only once gate(slot, entry id, arg)
 * answers 1 (its commit was acknowledged by the replicas); until then it
 * waits, looked at again every few ms. NULL: none.
 */
typedef int deliver_gate_fn(int slot, const char *entry, void *arg);
void deliver_set_source_gate(int slot, deliver_gate_fn *gate, void *arg);
/* Stop delivering slot's outbox at once: records not sent are dropped, those
 * in flight are dropped when they end, nothing more is read or written
 * (they stay pending for the next owner, who delivers them with the same
 * webhook-id). */
void deliver_remove_source(int slot);
/* Receivers (and delivery settings) changed; cfg is borrowed (see above).
 * A record whose receiver is gone goes to the dead deliveries. */
void deliver_set_config(const sla_config *cfg);
/* Shutdown: start no new attempts; done_fn is called once nothing is in
 * flight any more or grace_ms passed (whichever is first). */
typedef void deliver_done_fn(void *arg);
void deliver_stop(int grace_ms, deliver_done_fn *done_fn, void *arg);
void deliver_finish(void);

/*
 * One-shot posts: req (its url, headers and body built for the receiver)
 * is sent once to receiver, without retries, rate limit or dead letter,
 * for messages that are sent again anyway (alerts kept alive). req is
 * taken (left empty) in every case. 0 when started; -EBUSY when every
 * request slot is in use, the receiver asked for a pause (Retry-After) or
 * delivery stops; -ENOENT for an unknown receiver. deliver_can_post() says
 * the same without sending.
 */
int deliver_can_post(const char *receiver);
int deliver_post(const char *receiver, sla_webhook_request *req);

/* fn sees each record once it was delivered (borrowed for the call); NULL stops it. */
typedef void deliver_observe_fn(const sla_decision *d, void *arg);
void deliver_observe(deliver_observe_fn *fn, void *arg);

#endif
