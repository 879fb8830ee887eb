/*
 * sla_backoff — when to try a failed delivery again, and when to stop.
 *
 * Exponential backoff with jitter, so that receivers coming back from an
 * outage are not hit by every waiting delivery at the same instant:
 *
 *   full jitter         delay_n = uniform(0, min(cap, base * 2^(n-1)))
 *   decorrelated jitter delay_n = min(cap, uniform(base, 3 * delay_{n-1}))
 *                       (delay_0 = base)
 *
 * where n is the number of failed attempts so far (1 after the first
 * failure). A delay the receiver asked for (Retry-After) replaces the
 * computed one. A delivery gives up when its next attempt would fall more
 * than budget after its first attempt: no attempt is ever scheduled past
 * the budget, and the last one comes at most cap before its end.
 *
 * Pure and deterministic: time comes in as numbers and randomness from a
 * caller-held 64-bit state (sla_backoff_random, splitmix64), which the
 * daemon seeds once from the system and tests seed with a constant. The
 * per-delivery state is plain data the caller may persist.
 */
#ifndef SLA_BACKOFF_H
#define SLA_BACKOFF_H

#include <stdint.h>

enum sla_jitter {
    SLA_JITTER_FULL = 0,
    SLA_JITTER_DECORRELATED,
};

typedef struct sla_backoff {
    int64_t base_ms;   /* first ceiling, > 0 (e.g. 1000) */
    int64_t cap_ms;    /* largest delay, >= base_ms (e.g. 10 min) */
    int64_t budget_ms; /* give up past first attempt + budget (e.g. 24 h) */
    enum sla_jitter jitter;
} sla_backoff;

/* 1 s base, 10 min cap, 24 h budget, full jitter. */
#define SLA_BACKOFF_DEFAULT \
    ((sla_backoff){ 1000, 600000, 86400000, SLA_JITTER_FULL })

/* One delivery's retry history. */
typedef struct sla_backoff_state {
    int64_t first_ms;      /* when the first attempt was made */
    uint32_t failures;     /* failed attempts so far */
    int64_t last_delay_ms; /* the previous delay (decorrelated jitter) */
} sla_backoff_state;

/* The next pseudo-random number of *state (splitmix64); any seed works. */
uint64_t sla_backoff_random(uint64_t *state);

/*
 * The delay before the next attempt after `failures` failed ones (>= 1),
 * prev_delay_ms being the previous delay (decorrelated jitter only).
 * Always within [0, cap_ms] (full) or [base_ms, cap_ms] (decorrelated).
 */
int64_t sla_backoff_delay(const sla_backoff *b, uint32_t failures, int64_t prev_delay_ms,
                          uint64_t *rng);

/* Start the history of a delivery first attempted at first_ms. */
void sla_backoff_state_init(sla_backoff_state *st, int64_t first_ms);

#define SLA_BACKOFF_GIVE_UP 1

/*
 * Record a failed attempt at now_ms and plan the next one. retry_after_ms
 * >= 0 is the receiver's own delay (Retry-After), -1 for none. Returns 0
 * with *next_ms set, SLA_BACKOFF_GIVE_UP when the next attempt would fall
 * past first_ms + budget_ms (the delivery goes to the dead letters), or
 * -EINVAL for an unusable configuration.
 */
int sla_backoff_next(const sla_backoff *b, sla_backoff_state *st, int64_t now_ms,
                     int64_t retry_after_ms, uint64_t *rng, int64_t *next_ms);

#endif
