/*
 * sla_tickettable — open tickets by id.
 *
 * An open-addressing hash table of ticket pointers with linear probing and
 * backward-shift deletion (no tombstones, so lookups stay short however
 * many tickets come and go). 8 bytes per slot, load factor at most 3/4.
 * Keys are the ids stored inside the tickets; the table owns no ticket.
 */
#ifndef SLA_TICKETTABLE_H
#define SLA_TICKETTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "sla_ticket.h"

typedef struct sla_tickettable {
    sla_ticket **slots;
    size_t mask;   /* capacity - 1, capacity a power of two */
    size_t count;
    uint64_t epoch; /* bumped each time the slots are rebuilt (growth) */
} sla_tickettable;

int sla_tickettable_init(sla_tickettable *tt);
void sla_tickettable_release(sla_tickettable *tt);

sla_ticket *sla_tickettable_find(const sla_tickettable *tt, const char *id, size_t len);
/* Insert t (its id must not be present). Returns 0 or -1 on OOM. */
int sla_tickettable_insert(sla_tickettable *tt, sla_ticket *t);
/* Remove t if present. */
void sla_tickettable_remove(sla_tickettable *tt, const sla_ticket *t);

/* Put t where old was (same id; old is being reallocated). */
void sla_tickettable_replace(sla_tickettable *tt, const sla_ticket *old, sla_ticket *t);
/* The same after realloc() moved the ticket from address `was` (only
 * compared, so the old block may be gone). */
void sla_tickettable_moved(sla_tickettable *tt, uintptr_t was, sla_ticket *t);

/*
 * Empty the table a slice at a time, so that freeing a million tickets
 * need not hold the caller for the whole table: hand the ticket of each of
 * the next `budget` slots (budget 0 counts as 1; *pos counts the slots
 * visited, 0 to begin) to fn(t, arg), which may free it. The slots are
 * visited from the last down and the array is shrunk behind them at each
 * call, so its memory too goes back a little at a time. Returns 1 once
 * every slot has been visited, the slots then released as by
 * sla_tickettable_release(); else 0 (call again). Once begun, the table is
 * for this alone: cleared slots break the probe runs, so finds, inserts,
 * removals and walks are wrong until it is done.
 */
int sla_tickettable_drain(sla_tickettable *tt, size_t *pos, size_t budget,
                          void (*fn)(sla_ticket *t, void *arg), void *arg);

/* Iterate: *pos starts at 0; returns the next ticket or NULL at the end. */
sla_ticket *sla_tickettable_next(const sla_tickettable *tt, size_t *pos);

/*
 * A walk that may pause between calls while the table changes, for work
 * cut into slices (a query answered over several turns of the event loop).
 *
 * It begins at an empty slot and pauses only before an empty slot. With
 * linear probing every ticket sits between its home slot and its slot with
 * no empty slot in between, and backward-shift deletion moves a ticket only
 * towards its home; so a ticket present at a pause never crosses the
 * cursor. A walk therefore visits every ticket that is in the table for its
 * whole duration exactly once; one inserted or removed meanwhile is visited
 * at most once (twice only if it is removed and inserted again). Growth
 * rebuilds the slots: the walk then starts over and says so.
 *
 * Zero-initialise the cursor to begin (or call sla_tickettable_cursor_reset).
 */
typedef struct sla_tickettable_cursor {
    size_t start;   /* the empty slot the walk began after */
    size_t visited; /* slots visited since */
    uint64_t epoch; /* the table's epoch when the walk began */
    int begun;
} sla_tickettable_cursor;

static inline void sla_tickettable_cursor_reset(sla_tickettable_cursor *cur)
{
    cur->start = cur->visited = 0;
    cur->epoch = 0;
    cur->begun = 0;
}

enum {
    SLA_WALK_PAUSED = 0,   /* more to visit: call again */
    SLA_WALK_DONE = 1,     /* every slot visited */
    SLA_WALK_RESTARTED = 2 /* the slots were rebuilt since the last call:
                            * forget what was collected, the walk began anew
                            * and has visited nothing yet; call again */
};

/*
 * Call fn(ticket, arg) for the tickets of the next slots: at least `budget`
 * slots (unless the walk ends), then on to the next empty slot. fn must not
 * change the table. Returns an SLA_WALK_* value.
 */
int sla_tickettable_walk(const sla_tickettable *tt, sla_tickettable_cursor *cur, size_t budget,
                         void (*fn)(const sla_ticket *t, void *arg), void *arg);

#endif
