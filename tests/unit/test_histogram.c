/*
 * test_histogram — cumulative buckets, count and sum (sla_histogram).
 */
#include <errno.h>

#include "check.h"
#include "sla_histogram.h"

static const double bounds[] = {0.5, 1, 5};

static void test_observe(void)
{
    sla_histogram h;
    CHECK_INT(sla_histogram_init(&h, bounds, 3), 0);
    sla_histogram_observe(&h, 0.5); /* on a bound: counts in it */
    sla_histogram_observe(&h, 0.7);
    sla_histogram_observe(&h, 4);
    sla_histogram_observe(&h, 60);  /* only +Inf */
    sla_histogram_observe(&h, -3);  /* as 0 */
    CHECK_INT(h.buckets[0], 2);
    CHECK_INT(h.buckets[1], 3);
    CHECK_INT(h.buckets[2], 4);
    CHECK_INT(h.count, 5);
    CHECK(h.sum > 65.19 && h.sum < 65.21);
}

static void test_bad_bounds(void)
{
    sla_histogram h;
    static const double down[] = {1, 0.5};
    static const double many[SLA_HISTOGRAM_MAX_BUCKETS + 1] = {0};
    CHECK_INT(sla_histogram_init(&h, down, 2), -EINVAL);
    CHECK_INT(sla_histogram_init(&h, many, SLA_HISTOGRAM_MAX_BUCKETS + 1), -EINVAL);
}

int main(void)
{
    test_observe();
    test_bad_bounds();
    return CHECK_DONE();
}
