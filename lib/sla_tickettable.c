/*
 * sla_tickettable — open-addressing ticket index. See sla_tickettable.h.
 */
#include "sla_tickettable.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_id(const char *id, size_t len)
{
    /* FNV-1a, then a final avalanche so that linear probing spreads. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)id[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

int sla_tickettable_init(sla_tickettable *tt)
{
    tt->mask = 1023;
    tt->count = 0;
    tt->epoch = 0;
    tt->slots = calloc(tt->mask + 1, sizeof *tt->slots);
    return tt->slots ? 0 : -1;
}

void sla_tickettable_release(sla_tickettable *tt)
{
    free(tt->slots);
    tt->slots = NULL;
    tt->mask = tt->count = 0;
}

static int same(const sla_ticket *t, const char *id, size_t len)
{
    return t->id_len == len && memcmp(sla_ticket_id(t), id, len) == 0;
}

sla_ticket *sla_tickettable_find(const sla_tickettable *tt, const char *id, size_t len)
{
    for (size_t i = hash_id(id, len) & tt->mask;; i = (i + 1) & tt->mask) {
        sla_ticket *t = tt->slots[i];
        if (!t)
            return NULL;
        if (same(t, id, len))
            return t;
    }
}

static void place(sla_ticket **slots, size_t mask, sla_ticket *t)
{
    size_t i = hash_id(sla_ticket_id(t), t->id_len) & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = t;
}

static int grow(sla_tickettable *tt)
{
    size_t ncap = (tt->mask + 1) * 2;
    sla_ticket **ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i <= tt->mask; i++)
        if (tt->slots[i])
            place(ns, ncap - 1, tt->slots[i]);
    free(tt->slots);
    tt->slots = ns;
    tt->mask = ncap - 1;
    tt->epoch++;
    return 0;
}

int sla_tickettable_insert(sla_tickettable *tt, sla_ticket *t)
{
    if ((tt->count + 1) * 4 > (tt->mask + 1) * 3 && grow(tt) < 0)
        return -1;
    place(tt->slots, tt->mask, t);
    tt->count++;
    return 0;
}

void sla_tickettable_remove(sla_tickettable *tt, const sla_ticket *t)
{
    size_t i = hash_id(sla_ticket_id(t), t->id_len) & tt->mask;
    while (tt->slots[i] != t) {
        if (!tt->slots[i])
            return;
        i = (i + 1) & tt->mask;
    }
    /* Backward-shift: pull later members of the probe run into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & tt->mask; tt->slots[j]; j = (j + 1) & tt->mask) {
        size_t home = hash_id(sla_ticket_id(tt->slots[j]), tt->slots[j]->id_len) & tt->mask;
        /* j may move to hole if home is not in (hole, j] cyclically. */
        int movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            tt->slots[hole] = tt->slots[j];
            hole = j;
        }
    }
    tt->slots[hole] = NULL;
    tt->count--;
}

void sla_tickettable_replace(sla_tickettable *tt, const sla_ticket *old, sla_ticket *t)
{
    sla_tickettable_moved(tt, (uintptr_t)old, t);
}

void sla_tickettable_moved(sla_tickettable *tt, uintptr_t was, sla_ticket *t)
{
    for (size_t i = hash_id(sla_ticket_id(t), t->id_len) & tt->mask; tt->slots[i];
         i = (i + 1) & tt->mask)
        if ((uintptr_t)tt->slots[i] == was) {
            tt->slots[i] = t;
            return;
        }
}

int sla_tickettable_drain(sla_tickettable *tt, size_t *pos, size_t budget,
                          void (*fn)(sla_ticket *t, void *arg), void *arg)
{
    if (tt->slots == NULL)
        return 1;
    /* From the last slot down, so that the slots visited can be given
     * back as the walk goes: freeing the whole array at the end would
     * return megabytes of pages to the system in one call (16 MB, about
     * 4 ms, at a million tickets). */
    size_t cap = tt->mask + 1;
    size_t n = budget == 0 ? 1 : budget;
    if (*pos > cap)
        *pos = cap;
    if (n > cap - *pos)
        n = cap - *pos;
    for (size_t k = 0; k < n; k++) {
        size_t i = cap - 1 - (*pos)++;
        sla_ticket *t = tt->slots[i];
        if (t) {
            tt->slots[i] = NULL;
            tt->count--;
            fn(t, arg);
        }
    }
    if (*pos < cap) {
        /* Shrinking keeps the first slots where they are (no copy with
         * glibc: a split, or mremap for a mapped block); if it fails the
         * larger block simply stays until the end. */
        sla_ticket **kept = realloc(tt->slots, (cap - *pos) * sizeof *kept);
        if (kept)
            tt->slots = kept;
        return 0;
    }
    sla_tickettable_release(tt);
    return 1;
}

sla_ticket *sla_tickettable_next(const sla_tickettable *tt, size_t *pos)
{
    while (*pos <= tt->mask) {
        sla_ticket *t = tt->slots[(*pos)++];
        if (t)
            return t;
    }
    return NULL;
}

int sla_tickettable_walk(const sla_tickettable *tt, sla_tickettable_cursor *cur, size_t budget,
                         void (*fn)(const sla_ticket *t, void *arg), void *arg)
{
    size_t cap = tt->mask + 1;
    if (cur->begun && cur->epoch != tt->epoch) {
        sla_tickettable_cursor_reset(cur);
        return SLA_WALK_RESTARTED;
    }
    if (!cur->begun) {
        /* At most 3/4 full, so an empty slot exists. */
        size_t s = 0;
        while (tt->slots[s])
            s++;
        cur->start = s;
        cur->visited = 0;
        cur->epoch = tt->epoch;
        cur->begun = 1;
    }
    size_t n = 0;
    while (cur->visited < cap) {
        size_t i = (cur->start + 1 + cur->visited) & tt->mask;
        const sla_ticket *t = tt->slots[i];
        if (t == NULL && n >= budget)
            return SLA_WALK_PAUSED; /* before an empty slot: see the header */
        cur->visited++;
        n++;
        if (t)
            fn(t, arg);
    }
    return SLA_WALK_DONE;
}
