/*
 * sla_parked — a min-heap of parked entries by time, and a hash from key to
 * heap position. See sla_parked.h. Both arrays grow by doubling up to what
 * max needs, so an index with nothing parked costs almost nothing; the hash
 * is rebuilt on growth and kept at most half full.
 */
#include "sla_parked.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARKED_EMPTY UINT32_MAX

typedef struct parked_entry {
    uint64_t ms, seq;
    int64_t at;
    const void *owner;
    uint32_t slot;            /* its hash slot */
} parked_entry;

struct sla_parked {
    size_t max, n, cap;       /* heap: n used of cap */
    parked_entry *heap;
    uint32_t *slots;          /* heap positions, PARKED_EMPTY when free */
    size_t nslots;            /* a power of two, >= 2 * cap */
};

static int parked_parse(const char *id, uint64_t *ms, uint64_t *seq)
{
    char *end;
    if (id == NULL || *id < '0' || *id > '9')
        return -EINVAL;
    errno = 0;
    unsigned long long a = strtoull(id, &end, 10);
    if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
        return -EINVAL;
    unsigned long long b = strtoull(end + 1, &end, 10);
    if (errno || *end != '\0')
        return -EINVAL;
    *ms = a;
    *seq = b;
    return 0;
}

static size_t parked_hash(const parked_entry *e, size_t mask)
{
    uint64_t h = e->ms * 0x9E3779B97F4A7C15u;
    h ^= (e->seq + 0x632BE59BD9B4E019u) * 0xC2B2AE3D27D4EB4Fu;
    h ^= (uint64_t)(uintptr_t)e->owner * 0x165667B19E3779F9u;
    h ^= h >> 29;
    return (size_t)h & mask;
}

static int parked_same(const parked_entry *a, const parked_entry *b)
{
    return a->ms == b->ms && a->seq == b->seq && a->owner == b->owner;
}

/* The slot holding key's heap position, or the free slot where it would go. */
static size_t parked_slot(const sla_parked *p, const parked_entry *key)
{
    size_t mask = p->nslots - 1, i = parked_hash(key, mask);
    while (p->slots[i] != PARKED_EMPTY && !parked_same(&p->heap[p->slots[i]], key))
        i = (i + 1) & mask;
    return i;
}

sla_parked *sla_parked_new(size_t max)
{
    if (max == 0 || max >= PARKED_EMPTY / 4)
        return NULL;
    sla_parked *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->max = max;
    p->cap = max < 64 ? max : 64;
    p->nslots = 4;
    while (p->nslots < 2 * p->cap)
        p->nslots *= 2;
    p->heap = malloc(p->cap * sizeof *p->heap);
    p->slots = malloc(p->nslots * sizeof *p->slots);
    if (p->heap == NULL || p->slots == NULL) {
        sla_parked_free(p);
        return NULL;
    }
    memset(p->slots, 0xff, p->nslots * sizeof *p->slots);
    return p;
}

void sla_parked_free(sla_parked *p)
{
    if (p == NULL)
        return;
    free(p->heap);
    free(p->slots);
    free(p);
}

/* Enter heap position k (its entry not in the hash yet) into the hash. */
static void parked_hash_insert(sla_parked *p, size_t k)
{
    size_t i = parked_slot(p, &p->heap[k]);
    p->slots[i] = (uint32_t)k;
    p->heap[k].slot = (uint32_t)i;
}

/* Rebuild the hash for the heap as it is, with nslots slots. */
static int parked_rehash(sla_parked *p, size_t nslots)
{
    uint32_t *slots = malloc(nslots * sizeof *slots);
    if (slots == NULL)
        return -ENOMEM;
    memset(slots, 0xff, nslots * sizeof *slots);
    free(p->slots);
    p->slots = slots;
    p->nslots = nslots;
    for (size_t k = 0; k < p->n; k++)
        parked_hash_insert(p, k);
    return 0;
}

static int parked_grow(sla_parked *p)
{
    size_t cap = p->cap * 2 < p->max ? p->cap * 2 : p->max;
    parked_entry *heap = realloc(p->heap, cap * sizeof *heap);
    if (heap == NULL)
        return -ENOMEM;
    p->heap = heap;
    p->cap = cap;
    size_t nslots = p->nslots;
    while (nslots < 2 * cap)
        nslots *= 2;
    return nslots == p->nslots ? 0 : parked_rehash(p, nslots);
}

/* Put e at heap position k and point its hash slot there. */
static void parked_place(sla_parked *p, size_t k, const parked_entry *e)
{
    p->heap[k] = *e;
    p->slots[e->slot] = (uint32_t)k;
}

static void parked_sift_up(sla_parked *p, size_t k)
{
    parked_entry e = p->heap[k];
    while (k > 0 && p->heap[(k - 1) / 2].at > e.at) {
        parked_place(p, k, &p->heap[(k - 1) / 2]);
        k = (k - 1) / 2;
    }
    parked_place(p, k, &e);
}

static void parked_sift_down(sla_parked *p, size_t k)
{
    parked_entry e = p->heap[k];
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= p->n)
            break;
        if (c + 1 < p->n && p->heap[c + 1].at < p->heap[c].at)
            c++;
        if (p->heap[c].at >= e.at)
            break;
        parked_place(p, k, &p->heap[c]);
        k = c;
    }
    parked_place(p, k, &e);
}

/* Free hash slot i, moving later entries of its probe run back (no tombstones). */
static void parked_slot_delete(sla_parked *p, size_t i)
{
    size_t mask = p->nslots - 1, j = i;
    p->slots[i] = PARKED_EMPTY;
    for (;;) {
        j = (j + 1) & mask;
        if (p->slots[j] == PARKED_EMPTY)
            return;
        size_t home = parked_hash(&p->heap[p->slots[j]], mask);
        /* j's entry may move to i unless its home lies cyclically in (i, j]. */
        if ((i < j) ? (home <= i || home > j) : (home <= i && home > j)) {
            p->slots[i] = p->slots[j];
            p->heap[p->slots[i]].slot = (uint32_t)i;
            p->slots[j] = PARKED_EMPTY;
            i = j;
        }
    }
}

/* Remove the entry at heap position k. */
static void parked_remove_at(sla_parked *p, size_t k)
{
    parked_slot_delete(p, p->heap[k].slot);
    p->n--;
    if (k == p->n)
        return;
    parked_place(p, k, &p->heap[p->n]); /* the last entry fills the hole */
    if (k > 0 && p->heap[(k - 1) / 2].at > p->heap[k].at)
        parked_sift_up(p, k);
    else
        parked_sift_down(p, k);
}

int sla_parked_add(sla_parked *p, const void *owner, const char *id, int64_t at)
{
    parked_entry e = {0, 0, at, owner, 0};
    if (parked_parse(id, &e.ms, &e.seq) < 0)
        return -EINVAL;
    if (p->slots[parked_slot(p, &e)] != PARKED_EMPTY)
        return -EEXIST;
    if (p->n >= p->max)
        return -ENOSPC;
    if (p->n == p->cap && parked_grow(p) < 0)
        return -ENOMEM;
    p->heap[p->n] = e;
    parked_hash_insert(p, p->n);
    p->n++;
    parked_sift_up(p, p->n - 1);
    return 0;
}

int sla_parked_has(const sla_parked *p, const void *owner, const char *id)
{
    parked_entry e = {0, 0, 0, owner, 0};
    if (parked_parse(id, &e.ms, &e.seq) < 0)
        return 0;
    return p->slots[parked_slot(p, &e)] != PARKED_EMPTY;
}

size_t sla_parked_count(const sla_parked *p)
{
    return p->n;
}

int64_t sla_parked_next(const sla_parked *p)
{
    return p->n ? p->heap[0].at : INT64_MAX;
}

int sla_parked_pop_due(sla_parked *p, int64_t now, const void **owner, char *id, size_t idlen,
                       int64_t *at)
{
    if (p->n == 0 || p->heap[0].at > now)
        return 0;
    if (owner)
        *owner = p->heap[0].owner;
    if (id)
        snprintf(id, idlen, "%" PRIu64 "-%" PRIu64, p->heap[0].ms, p->heap[0].seq);
    if (at)
        *at = p->heap[0].at;
    parked_remove_at(p, 0);
    return 1;
}

size_t sla_parked_drop_owner(sla_parked *p, const void *owner)
{
    size_t kept = 0, dropped = 0;
    for (size_t k = 0; k < p->n; k++) {
        if (p->heap[k].owner == owner)
            dropped++;
        else
            p->heap[kept++] = p->heap[k];
    }
    if (dropped == 0)
        return 0;
    p->n = kept;
    /* Rebuild both: a heap from an array (Floyd), the hash from scratch. */
    memset(p->slots, 0xff, p->nslots * sizeof *p->slots);
    for (size_t k = 0; k < p->n; k++)
        parked_hash_insert(p, k);
    for (size_t k = p->n / 2; k-- > 0;)
        parked_sift_down(p, k);
    return dropped;
}
