/*
 * sla_metric — names of the SLA metrics. See sla_metric.h.
 */
#include "sla_metric.h"

#include <string.h>

static const char *const metric_names[SLA_METRIC_COUNT] = {
    [SLA_METRIC_FIRST_RESPONSE] = "first_response",
    [SLA_METRIC_NEXT_RESPONSE] = "next_response",
    [SLA_METRIC_PICKUP] = "pickup",
    [SLA_METRIC_PERIODIC_UPDATE] = "periodic_update",
    [SLA_METRIC_RESOLUTION] = "resolution",
    [SLA_METRIC_FOLLOW_UP] = "follow_up",
    [SLA_METRIC_CALLBACK] = "callback",
};

const char *sla_metric_name(int metric)
{
    if (metric < 0 || metric >= SLA_METRIC_COUNT)
        return NULL;
    return metric_names[metric];
}

int sla_metric_from_name(const char *name, size_t len)
{
    for (int m = 0; m < SLA_METRIC_COUNT; m++)
        if (strlen(metric_names[m]) == len && memcmp(metric_names[m], name, len) == 0)
            return m;
    return -1;
}
