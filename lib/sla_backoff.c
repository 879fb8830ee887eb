/*
 * sla_backoff — retry delays with jitter and a total budget. See
 * sla_backoff.h for the formulas.
 *
 * The exponential ceiling is computed by doubling until it reaches the cap,
 * so no attempt count, however large, overflows.
 */
#include "sla_backoff.h"

#include <errno.h>

uint64_t sla_backoff_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi] (lo <= hi); the modulo bias is below 2^-20 for spans under 2^44 ms. */
static int64_t uniform(uint64_t *rng, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return lo + (int64_t)(sla_backoff_random(rng) % span);
}

static int valid(const sla_backoff *b)
{
    return b && b->base_ms > 0 && b->cap_ms >= b->base_ms && b->budget_ms >= 0;
}

int64_t sla_backoff_delay(const sla_backoff *b, uint32_t failures, int64_t prev_delay_ms,
                          uint64_t *rng)
{
    if (!valid(b))
        return 0;
    if (b->jitter == SLA_JITTER_DECORRELATED) {
        int64_t prev = prev_delay_ms < b->base_ms ? b->base_ms : prev_delay_ms;
        int64_t hi = prev > b->cap_ms / 3 ? b->cap_ms : prev * 3;
        return uniform(rng, b->base_ms, hi);
    }
    int64_t ceiling = b->base_ms;
    for (uint32_t i = 1; i < failures && ceiling < b->cap_ms; i++)
        ceiling = ceiling > b->cap_ms / 2 ? b->cap_ms : ceiling * 2;
    if (ceiling > b->cap_ms)
        ceiling = b->cap_ms;
    return uniform(rng, 0, ceiling);
}

void sla_backoff_state_init(sla_backoff_state *st, int64_t first_ms)
{
    st->first_ms = first_ms;
    st->failures = 0;
    st->last_delay_ms = 0;
}

int sla_backoff_next(const sla_backoff *b, sla_backoff_state *st, int64_t now_ms,
                     int64_t retry_after_ms, uint64_t *rng, int64_t *next_ms)
{
    if (!valid(b))
        return -EINVAL;
    if (st->failures < UINT32_MAX)
        st->failures++;
    int64_t delay = retry_after_ms >= 0
                        ? retry_after_ms
                        : sla_backoff_delay(b, st->failures, st->last_delay_ms, rng);
    int64_t deadline = st->first_ms + b->budget_ms;
    if (now_ms > deadline || delay > deadline - now_ms)
        return SLA_BACKOFF_GIVE_UP;
    st->last_delay_ms = delay;
    *next_ms = now_ms + delay;
    return 0;
}
