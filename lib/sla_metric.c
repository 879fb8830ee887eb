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
    [SLA_METRIC_FIRST_REVISIT] = "first_revisit",
    [SLA_METRIC_SECOND_REVISIT] = "second_revisit",
    [SLA_METRIC_REVISIT] = "revisit",
    [SLA_METRIC_REMINDER] = "reminder",
    [SLA_METRIC_REVIEW] = "review",
    [SLA_METRIC_SURVEY] = "survey",
};

static const char *const subject_names[SLA_SUBJECT_COUNT] = {"ticket", "customer"};

const char *sla_subject_name(int subject)
{
    return subject >= 0 && subject < SLA_SUBJECT_COUNT ? subject_names[subject] : NULL;
}

int sla_subject_from_name(const char *name, size_t len)
{
    for (int k = 0; k < SLA_SUBJECT_COUNT; k++)
        if (strlen(subject_names[k]) == len && memcmp(subject_names[k], name, len) == 0)
            return k;
    return -1;
}

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
