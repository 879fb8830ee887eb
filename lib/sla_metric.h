/*
 * sla_metric — the seven SLA metrics slad keeps a clock for.
 *
 * The numeric order is part of the persisted state format (sla_record) and
 * of bitmasks in the configuration (pausable metrics): append only.
 */
#ifndef SLA_METRIC_H
#define SLA_METRIC_H

#include <stddef.h>

enum sla_metric {
    SLA_METRIC_FIRST_RESPONSE = 0,
    SLA_METRIC_NEXT_RESPONSE,
    SLA_METRIC_PICKUP,
    SLA_METRIC_PERIODIC_UPDATE,
    SLA_METRIC_RESOLUTION,
    SLA_METRIC_FOLLOW_UP,
    SLA_METRIC_CALLBACK,
    SLA_METRIC_COUNT
};

/* "first_response" ...; NULL for an out-of-range value. Static storage. */
const char *sla_metric_name(int metric);

/* The metric named by the first len bytes of name, or -1. */
int sla_metric_from_name(const char *name, size_t len);

#endif
