/*
 * sla_timerwheel — a hierarchical timing wheel with a 1 ms tick.
 *
 * Holds millions of deadlines with O(1) schedule, cancel and reschedule.
 * A timer is a 24-byte node embedded in its owner's record (the ticket), so
 * the wheel never allocates per timer; the owner recovers itself from the
 * node with container_of-style arithmetic.
 *
 * Invariants:
 *   - a timer is either unlinked (t->next == NULL) or in exactly one list of
 *     the wheel;
 *   - a pending timer never fires before its `when`; after
 *     sla_timerwheel_advance(w, now) every timer with when <= now has been
 *     returned by sla_timerwheel_pop() before pop returns NULL;
 *   - time never goes backwards inside the wheel: a `when` at or before the
 *     wheel's time is due at once, and pop() returns it without an advance;
 *   - a timer must stay at the same address while it is pending (the wheel
 *     links to it), and its `when` is the wheel's to write.
 *
 * The daemon drives it with one libevent timer set to
 * sla_timerwheel_next(), never a periodic tick.
 */
#ifndef SLA_TIMERWHEEL_H
#define SLA_TIMERWHEEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct sla_timer {
    struct sla_timer *next; /* NULL when not scheduled */
    struct sla_timer *prev;
    int64_t when; /* absolute ms */
} sla_timer;

typedef struct sla_timerwheel sla_timerwheel;

/* A wheel whose current time is now_ms. NULL on allocation failure. */
sla_timerwheel *sla_timerwheel_new(int64_t now_ms);
/*
 * Frees the wheel only; timers still linked are simply forgotten (their
 * links dangle, so re-initialise them before reuse).
 */
void sla_timerwheel_free(sla_timerwheel *w);

/* Mark a fresh node as unlinked. */
static inline void sla_timer_init(sla_timer *t)
{
    t->next = t->prev = NULL;
    t->when = 0;
}
static inline int sla_timer_pending(const sla_timer *t) { return t->next != NULL; }

/* Insert, or move if already pending, so that t fires at `when`. O(1). */
void sla_timerwheel_schedule(sla_timerwheel *w, sla_timer *t, int64_t when);
/* Unlink t if pending; no-op otherwise. O(1). */
void sla_timerwheel_cancel(sla_timerwheel *w, sla_timer *t);

/*
 * Move the wheel's time to now_ms (no-op if now_ms is not later), cascading
 * so that every timer with when <= now_ms becomes poppable.
 */
void sla_timerwheel_advance(sla_timerwheel *w, int64_t now_ms);
/* An unlinked due timer (when <= wheel time), or NULL when none is left. */
sla_timer *sla_timerwheel_pop(sla_timerwheel *w);

/*
 * When the daemon should next call advance: a lower bound of the earliest
 * pending `when`, exact when the earliest timer lies in the wheel's current
 * 64 ms block (the finest level),
 * the wheel's time when a timer is already due, INT64_MAX when the wheel is
 * empty. Never earlier than needed by more than one cascade step, so a timer
 * far away costs a handful of wake-ups (at most one per level). O(levels).
 */
int64_t sla_timerwheel_next(const sla_timerwheel *w);

/* Number of pending timers. */
size_t sla_timerwheel_count(const sla_timerwheel *w);
/* The wheel's current time. */
int64_t sla_timerwheel_now(const sla_timerwheel *w);

#endif
