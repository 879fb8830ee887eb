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

/* Iterate: *pos starts at 0; returns the next ticket or NULL at the end. */
sla_ticket *sla_tickettable_next(const sla_tickettable *tt, size_t *pos);

#endif
