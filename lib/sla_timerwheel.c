/*
 * sla_timerwheel — a hierarchical timing wheel with a 1 ms tick.
 * See sla_timerwheel.h for what it promises.
 *
 * Design
 * ------
 * Time is mapped to an unsigned 64-bit "tick": the signed millisecond with
 * its sign bit flipped, so that unsigned order equals signed order and every
 * int64_t is a valid time. The tick is read as eleven 6-bit digits:
 *
 *   bit  63 ............ 42 | 41..36 | 35..30 | ... | 11..6 | 5..0
 *        overflow list        level 6  level 5       level 1 level 0
 *
 * A pending timer with when > now lives at the level of the highest digit
 * in which `when` differs from the wheel's time, in the slot named by its
 * own digit there (the "xor" placement). Since when > now, that digit is
 * above now's digit, so a level only ever holds slots strictly ahead of
 * the wheel's position in it: no "rounds" counter, no ambiguous slot, and
 * every level-k timer is earlier than every level-(k+1) timer. A level-0
 * slot holds exactly one `when`. Seven levels reach 2^42 ms (139 years)
 * ahead; anything further waits, unsorted, on the overflow list. Timers
 * with when <= now wait on the due list for sla_timerwheel_pop().
 *
 *   sla_timerwheel
 *   +--------------+      slot[k][s]: sentinel of a circular doubly linked
 *   | now, count   |      list; occupied[k] bit s set iff slot s non-empty
 *   | occupied[7]  |
 *   | due      ----+--> (head) <-> t <-> t <-> (head)
 *   | overflow     |
 *   | slot[7][64] -+--> level k: [s0][s1]...[s63]
 *   +--------------+                   |
 *                                      v
 *                        (head) <-> t <-> t <-> (head)
 *                                   ^ sla_timer embedded in owner's record
 *
 * Advancing from `now` to T changes the placement of exactly the timers in
 * the slots the time has entered: at level k those whose digit lies in
 * (now_k, T_k] counted mod 64, or the whole level when T is 64 or more
 * level-k slots ahead; and the overflow list when T leaves now's 2^42 block.
 * Those lists are spliced out in O(1) each, the time is set to T, and every
 * spliced timer is placed again: on the due list or at a strictly lower
 * level. Everything else is already where placement relative to T puts it.
 *
 * Complexity
 * ----------
 *   schedule, cancel, reschedule, pop   O(1)
 *   next                                O(levels), one ctz per level
 *   advance                             O(levels + timers moved); a timer
 *                                       moves at most `levels` times in its
 *                                       life, so O(1) amortised per timer and
 *                                       an idle gap of years costs nothing
 *   memory                              24 bytes per timer, in the owner;
 *                                       about 11 KiB per wheel
 *
 * Trade-offs
 * ----------
 * - next() is exact for level 0 only; for a timer at level k it returns the
 *   start of its slot, where that slot has to cascade. A far deadline thus
 *   costs at most one wake-up per level it passes through (7, plus one per
 *   2^42 ms block crossed from the overflow list) instead of a min search
 *   over millions of timers, which the O(1) cancel would make impossible.
 *   When deadlines are dense (10 M over a day is ~115 per ms) the extra
 *   wake-ups vanish among the real ones.
 * - Timers due in the same advance pop in no particular order.
 * - The overflow list is rescanned whenever the time crosses a 2^42 ms
 *   boundary; in practice it only holds "never" deadlines.
 * - Unlinking finds the slot from the sentinel's address, so cancel needs
 *   neither `when` nor the wheel's time and tolerates an owner that
 *   overwrote `when` of a pending timer.
 *
 * Ownership: the wheel owns its own struct only. Timers belong to their
 * owners, who keep them alive and in place while they are pending.
 */
#include "sla_timerwheel.h"

#include <stdlib.h>

#define SLA_TW_BITS 6
#define SLA_TW_SLOTS (1u << SLA_TW_BITS)
#define SLA_TW_LEVELS 7
/* Ticks whose digits above this bit differ from now's go to overflow. */
#define SLA_TW_SPAN_BITS (SLA_TW_BITS * SLA_TW_LEVELS)

#define SLA_TW_SIGN (UINT64_C(1) << 63)

struct sla_timerwheel {
    int64_t now;
    size_t count;
    uint64_t occupied[SLA_TW_LEVELS];
    sla_timer due;      /* when <= now, waiting for pop */
    sla_timer overflow; /* more than 2^42 ms ahead */
    sla_timer slot[SLA_TW_LEVELS][SLA_TW_SLOTS];
};

static inline uint64_t sla_tw_tick(int64_t ms)
{
    return (uint64_t)ms ^ SLA_TW_SIGN;
}

/* Inverse of sla_tw_tick without an out-of-range unsigned-to-signed cast. */
static inline int64_t sla_tw_ms(uint64_t tick)
{
    if (tick >= SLA_TW_SIGN)
        return (int64_t)(tick - SLA_TW_SIGN);
    return (int64_t)tick - INT64_MAX - 1;
}

static inline uint64_t sla_tw_rotl(uint64_t x, unsigned r)
{
    r &= 63;
    return r ? (x << r) | (x >> (64 - r)) : x;
}

static inline void sla_tw_list_init(sla_timer *head)
{
    head->next = head->prev = head;
    head->when = 0;
}

static inline int sla_tw_list_empty(const sla_timer *head)
{
    return head->next == head;
}

static inline void sla_tw_list_append(sla_timer *head, sla_timer *t)
{
    t->next = head;
    t->prev = head->prev;
    head->prev->next = t;
    head->prev = t;
}

/* Move all of src's nodes to the end of dst; src is left empty. */
static void sla_tw_list_splice(sla_timer *dst, sla_timer *src)
{
    if (sla_tw_list_empty(src))
        return;
    sla_timer *first = src->next, *last = src->prev;
    first->prev = dst->prev;
    dst->prev->next = first;
    last->next = dst;
    dst->prev = last;
    sla_tw_list_init(src);
}

/*
 * Unlink t from whatever list holds it. When that empties a wheel slot, the
 * remaining node is the slot's sentinel, whose address names the slot whose
 * occupancy bit must go. Integers, not pointers, are compared because the
 * node may lie outside the slot array.
 */
static void sla_tw_unlink(sla_timerwheel *w, sla_timer *t)
{
    sla_timer *next = t->next, *prev = t->prev;
    prev->next = next;
    next->prev = prev;
    t->next = t->prev = NULL;
    if (next != prev)
        return;
    uintptr_t base = (uintptr_t)&w->slot[0][0];
    uintptr_t at = (uintptr_t)next;
    if (at - base < sizeof w->slot) {
        size_t idx = (at - base) / sizeof(sla_timer);
        w->occupied[idx / SLA_TW_SLOTS] &= ~(UINT64_C(1) << (idx % SLA_TW_SLOTS));
    }
}

/* Link an unlinked t where its `when` belongs relative to the wheel's time. */
static void sla_tw_place(sla_timerwheel *w, sla_timer *t)
{
    if (t->when <= w->now) {
        sla_tw_list_append(&w->due, t);
        return;
    }
    uint64_t tick = sla_tw_tick(t->when);
    uint64_t diff = tick ^ sla_tw_tick(w->now); /* non-zero: when > now */
    unsigned level = (unsigned)(63 - __builtin_clzll(diff)) / SLA_TW_BITS;
    if (level >= SLA_TW_LEVELS) {
        sla_tw_list_append(&w->overflow, t);
        return;
    }
    unsigned s = (unsigned)(tick >> (level * SLA_TW_BITS)) & (SLA_TW_SLOTS - 1);
    sla_tw_list_append(&w->slot[level][s], t);
    w->occupied[level] |= UINT64_C(1) << s;
}

/*
 * Allocates the wheel; the caller owns it and releases it with
 * sla_timerwheel_free().
 */
sla_timerwheel *sla_timerwheel_new(int64_t now_ms)
{
    sla_timerwheel *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->now = now_ms;
    sla_tw_list_init(&w->due);
    sla_tw_list_init(&w->overflow);
    for (unsigned k = 0; k < SLA_TW_LEVELS; k++)
        for (unsigned s = 0; s < SLA_TW_SLOTS; s++)
            sla_tw_list_init(&w->slot[k][s]);
    return w;
}

void sla_timerwheel_free(sla_timerwheel *w)
{
    free(w);
}

void sla_timerwheel_schedule(sla_timerwheel *w, sla_timer *t, int64_t when)
{
    if (sla_timer_pending(t))
        sla_tw_unlink(w, t);
    else
        w->count++;
    t->when = when;
    sla_tw_place(w, t);
}

void sla_timerwheel_cancel(sla_timerwheel *w, sla_timer *t)
{
    if (!sla_timer_pending(t))
        return;
    sla_tw_unlink(w, t);
    w->count--;
}

void sla_timerwheel_advance(sla_timerwheel *w, int64_t now_ms)
{
    if (now_ms <= w->now)
        return;
    uint64_t from = sla_tw_tick(w->now), to = sla_tw_tick(now_ms);
    sla_timer moved;
    sla_tw_list_init(&moved);

    for (unsigned k = 0; k < SLA_TW_LEVELS; k++) {
        unsigned shift = k * SLA_TW_BITS;
        uint64_t elapsed = (to >> shift) - (from >> shift);
        if (elapsed == 0)
            break; /* this digit and all above are unchanged */
        uint64_t entered;
        if (elapsed >= SLA_TW_SLOTS) {
            entered = UINT64_MAX;
        } else {
            unsigned first = (unsigned)((from >> shift) + 1) & (SLA_TW_SLOTS - 1);
            entered = sla_tw_rotl((UINT64_C(1) << elapsed) - 1, first);
        }
        uint64_t hit = w->occupied[k] & entered;
        w->occupied[k] &= ~hit;
        while (hit) {
            unsigned s = (unsigned)__builtin_ctzll(hit);
            hit &= hit - 1;
            sla_tw_list_splice(&moved, &w->slot[k][s]);
        }
    }
    if ((to >> SLA_TW_SPAN_BITS) != (from >> SLA_TW_SPAN_BITS))
        sla_tw_list_splice(&moved, &w->overflow);

    w->now = now_ms;
    while (!sla_tw_list_empty(&moved)) {
        sla_timer *t = moved.next;
        moved.next = t->next;
        t->next->prev = &moved;
        sla_tw_place(w, t);
    }
}

/* The returned timer is unlinked and belongs to its owner again. */
sla_timer *sla_timerwheel_pop(sla_timerwheel *w)
{
    if (sla_tw_list_empty(&w->due))
        return NULL;
    sla_timer *t = w->due.next;
    sla_tw_unlink(w, t);
    w->count--;
    return t;
}

int64_t sla_timerwheel_next(const sla_timerwheel *w)
{
    if (!sla_tw_list_empty(&w->due))
        return w->now;
    uint64_t now = sla_tw_tick(w->now);
    for (unsigned k = 0; k < SLA_TW_LEVELS; k++) {
        if (!w->occupied[k])
            continue;
        unsigned shift = k * SLA_TW_BITS;
        unsigned s = (unsigned)__builtin_ctzll(w->occupied[k]);
        uint64_t upper = (now >> (shift + SLA_TW_BITS)) << (shift + SLA_TW_BITS);
        return sla_tw_ms(upper | ((uint64_t)s << shift));
    }
    if (!sla_tw_list_empty(&w->overflow)) {
        /*
         * Every overflow timer is in a later 2^42 block, so the start of
         * the next block is a lower bound. now cannot be in the last block
         * here (nothing is later than it), but guard the wrap anyway.
         */
        uint64_t block = (now >> SLA_TW_SPAN_BITS) + 1;
        if (block >> (64 - SLA_TW_SPAN_BITS))
            return INT64_MAX;
        return sla_tw_ms(block << SLA_TW_SPAN_BITS);
    }
    return INT64_MAX;
}

size_t sla_timerwheel_count(const sla_timerwheel *w)
{
    return w->count;
}

int64_t sla_timerwheel_now(const sla_timerwheel *w)
{
    return w->now;
}
