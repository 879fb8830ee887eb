/*
 * sla_parked — outbox entries held for later without their records.
 *
 * A notice held for its receiver's working hours may wait for days. Its
 * outbox entry stays pending in Redis for the consumer anyway, so past a
 * few held in memory the delivery keeps only {owner, entry id, not-before
 * time} here and reads the entry back when its time comes. The index
 * answers three questions cheaply: is this entry parked (a re-read must
 * not hold it twice), which entry is due first, and how many are parked.
 *
 * Entries are keyed by (owner, id): owner is an opaque pointer (the
 * outbox the entry belongs to), never dereferenced; id a stream entry id
 * "<ms>-<seq>" kept as two integers. A min-heap by time gives the next due
 * entry; an open-addressing hash (linear probing, backward-shift delete)
 * maps a key to its heap position. 40 bytes an entry in the heap, 4 in the
 * hash (kept at most half full), so 1 M parked take about 48 MB.
 *
 * The capacity is fixed at creation: when full, sla_parked_add refuses and
 * the caller keeps the record as before. Pure; the index owns its arrays.
 * Errors are negative errno values.
 */
#ifndef SLA_PARKED_H
#define SLA_PARKED_H

#include <stddef.h>
#include <stdint.h>

typedef struct sla_parked sla_parked;

/* An index for at most max entries (> 0); NULL on OOM. */
sla_parked *sla_parked_new(size_t max);
void sla_parked_free(sla_parked *p);

/*
 * Park (owner, id) until at. 0; -EEXIST when already parked (its time is
 * left as it was); -ENOSPC when max entries are parked; -EINVAL for an id
 * that is not "<ms>-<seq>"; -ENOMEM.
 */
int sla_parked_add(sla_parked *p, const void *owner, const char *id, int64_t at);

/* Whether (owner, id) is parked (a malformed id never is). */
int sla_parked_has(const sla_parked *p, const void *owner, const char *id);

/* Entries parked. */
size_t sla_parked_count(const sla_parked *p);

/* The earliest time parked; INT64_MAX when none. */
int64_t sla_parked_next(const sla_parked *p);

/*
 * Take the earliest entry if its time is at most now: its owner and id
 * ("<ms>-<seq>", into id of idlen >= 42 bytes) and time. 1 when one was
 * taken, 0 when none is due.
 */
int sla_parked_pop_due(sla_parked *p, int64_t now, const void **owner, char *id, size_t idlen,
                       int64_t *at);

/* Forget every entry of owner (its outbox is not ours any more). Returns how many. */
size_t sla_parked_drop_owner(sla_parked *p, const void *owner);

#endif
