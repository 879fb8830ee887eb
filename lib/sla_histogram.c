/*
 * sla_histogram — cumulative buckets, count and sum. See sla_histogram.h.
 */
#include "sla_histogram.h"

#include <errno.h>
#include <string.h>

int sla_histogram_init(sla_histogram *h, const double *bounds, size_t nbounds)
{
    memset(h, 0, sizeof *h);
    if (nbounds > SLA_HISTOGRAM_MAX_BUCKETS)
        return -EINVAL;
    for (size_t i = 1; i < nbounds; i++)
        if (!(bounds[i] > bounds[i - 1]))
            return -EINVAL;
    h->bounds = bounds;
    h->nbounds = nbounds;
    return 0;
}

void sla_histogram_observe(sla_histogram *h, double v)
{
    if (!(v > 0))
        v = 0; /* also NaN */
    for (size_t i = h->nbounds; i-- > 0 && v <= h->bounds[i];)
        h->buckets[i]++;
    h->count++;
    h->sum += v;
}
