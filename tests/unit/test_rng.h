/*
 * test_rng.h — the unit tests' reproducible random numbers (xorshift64).
 *
 * Define TEST_RNG_SEED before including it for a sequence of one's own;
 * `rng` may also be set at any time to replay from a known state.
 */
#ifndef SLA_TEST_RNG_H
#define SLA_TEST_RNG_H

#include <stdint.h>

#ifndef TEST_RNG_SEED
#define TEST_RNG_SEED 0x9e3779b97f4a7c15ull
#endif

static uint64_t rng = TEST_RNG_SEED;

/* A number in [0, n), or 0 when n is 0. */
static inline uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)((rng >> 16) % n) : 0;
}

#endif
