/*
 * sla_histogram — a Prometheus-style histogram: cumulative bucket counts
 * for fixed upper bounds, a count and a sum.
 *
 * Buckets are cumulative as the exposition format wants them (bucket i
 * counts every observation <= bounds[i]; +Inf is the count), so a reader
 * prints them as they are. Observing is O(number of bounds), no allocation.
 *
 * Ownership: bounds are borrowed (static tables) for the histogram's life;
 * the histogram owns nothing else and needs no release.
 */
#ifndef SLA_HISTOGRAM_H
#define SLA_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define SLA_HISTOGRAM_MAX_BUCKETS 16

typedef struct sla_histogram {
    const double *bounds;   /* increasing; nbounds of them */
    size_t nbounds;         /* <= SLA_HISTOGRAM_MAX_BUCKETS */
    uint64_t buckets[SLA_HISTOGRAM_MAX_BUCKETS];
    uint64_t count;
    double sum;
} sla_histogram;

/* Empty histogram over bounds; -EINVAL when there are too many bounds or
 * they do not increase. */
int sla_histogram_init(sla_histogram *h, const double *bounds, size_t nbounds);

/* Count value v (negative values count as 0). */
void sla_histogram_observe(sla_histogram *h, double v);

#endif
