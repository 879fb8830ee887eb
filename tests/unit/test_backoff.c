/*
 * test_backoff — delays stay within their bounds, grow to the cap, are
 * reproducible from a seed, honour Retry-After, and stop at the budget.
 */
#include <errno.h>

#include "check.h"
#include "sla_backoff.h"

static void test_random_is_deterministic(void)
{
    uint64_t a = 42, b = 42, c = 43;
    uint64_t x = sla_backoff_random(&a);
    CHECK(x == sla_backoff_random(&b));
    CHECK(x != sla_backoff_random(&c));
    /* splitmix64 reference: first output for seed 0. */
    uint64_t z = 0;
    CHECK(sla_backoff_random(&z) == 0xE220A8397B1DCDAFULL);
}

static void test_full_jitter_bounds(void)
{
    sla_backoff b = SLA_BACKOFF_DEFAULT;
    uint64_t rng = 1;
    int64_t max_seen[16] = {0};
    int in_bounds = 1;
    for (int round = 0; round < 2000; round++) {
        for (uint32_t n = 1; n <= 15; n++) {
            int64_t ceiling = 1000LL << (n - 1);
            if (ceiling > 600000)
                ceiling = 600000;
            int64_t d = sla_backoff_delay(&b, n, 0, &rng);
            if (d < 0 || d > ceiling)
                in_bounds = 0;
            if (d > max_seen[n])
                max_seen[n] = d;
        }
    }
    CHECK(in_bounds);
    /* The ceiling is reached in practice: it doubles, then stops at the cap. */
    CHECK(max_seen[1] > 900 && max_seen[1] <= 1000);
    CHECK(max_seen[4] > 7000 && max_seen[4] <= 8000);
    CHECK(max_seen[15] > 590000 && max_seen[15] <= 600000);
    /* Huge attempt counts neither overflow nor pass the cap. */
    int64_t d = sla_backoff_delay(&b, UINT32_MAX, 0, &rng);
    CHECK(d >= 0 && d <= 600000);
}

static void test_decorrelated_bounds(void)
{
    sla_backoff b = {1000, 600000, 86400000, SLA_JITTER_DECORRELATED};
    uint64_t rng = 7;
    int64_t prev = 0, max_seen = 0;
    int ok = 1;
    for (uint32_t n = 1; n <= 5000; n++) {
        int64_t d = sla_backoff_delay(&b, n, prev, &rng);
        int64_t hi = (prev < 1000 ? 1000 : prev) * 3;
        if (d < 1000 || d > 600000 || d > hi)
            ok = 0;
        if (d > max_seen)
            max_seen = d;
        prev = d;
    }
    CHECK(ok);
    CHECK(max_seen > 500000);
}

static void test_schedule_is_reproducible(void)
{
    sla_backoff b = SLA_BACKOFF_DEFAULT;
    sla_backoff_state s1, s2;
    uint64_t r1 = 99, r2 = 99;
    sla_backoff_state_init(&s1, 0);
    sla_backoff_state_init(&s2, 0);
    int64_t now1 = 0, now2 = 0, same = 1;
    for (int i = 0; i < 30; i++) {
        int64_t n1 = 0, n2 = 0;
        CHECK_INT(sla_backoff_next(&b, &s1, now1, -1, &r1, &n1), 0);
        CHECK_INT(sla_backoff_next(&b, &s2, now2, -1, &r2, &n2), 0);
        if (n1 != n2)
            same = 0;
        now1 = n1;
        now2 = n2;
    }
    CHECK(same);
    CHECK_INT(s1.failures, 30);
}

static void test_retry_after_and_budget(void)
{
    sla_backoff b = SLA_BACKOFF_DEFAULT;
    sla_backoff_state st;
    uint64_t rng = 5;
    int64_t next = 0;
    sla_backoff_state_init(&st, 1000000);

    /* The receiver's delay is used as is. */
    CHECK_INT(sla_backoff_next(&b, &st, 1000500, 30000, &rng, &next), 0);
    CHECK_INT(next, 1030500);
    CHECK_INT(st.failures, 1);

    /* An attempt that would land past first + 24 h is not scheduled. */
    CHECK_INT(sla_backoff_next(&b, &st, 1000000 + 86400000 - 10, 11, &rng, &next),
              SLA_BACKOFF_GIVE_UP);
    CHECK_INT(sla_backoff_next(&b, &st, 1000000 + 86400000 - 10, 10, &rng, &next), 0);
    CHECK_INT(next, 1000000 + 86400000);
    CHECK_INT(sla_backoff_next(&b, &st, 1000000 + 86400000 + 1, 0, &rng, &next),
              SLA_BACKOFF_GIVE_UP);

    /* Failing continuously from t=0: never scheduled past the budget, and it ends. */
    sla_backoff_state_init(&st, 0);
    int64_t now = 0;
    int rc = 0, attempts = 0, beyond = 0;
    while ((rc = sla_backoff_next(&b, &st, now, -1, &rng, &next)) == 0 && attempts < 100000) {
        if (next > 86400000)
            beyond = 1;
        now = next;
        attempts++;
    }
    CHECK_INT(rc, SLA_BACKOFF_GIVE_UP);
    CHECK(!beyond);
    CHECK(attempts > 100 && attempts < 1000); /* ~24 h of mostly capped delays */
    CHECK(now > 86400000 - 600000);           /* the last try is within a cap of the end */

    sla_backoff bad = {0, 10, 10, SLA_JITTER_FULL};
    CHECK_INT(sla_backoff_next(&bad, &st, 0, -1, &rng, &next), -EINVAL);
}

int main(void)
{
    test_random_is_deterministic();
    test_full_jitter_bounds();
    test_decorrelated_bounds();
    test_schedule_is_reproducible();
    test_retry_after_and_budget();
    return CHECK_DONE();
}
