/*
 * sla_keys — Redis key names. See sla_keys.h.
 */
#include "sla_keys.h"

#include <stdio.h>

static int key(char *dst, const char *prefix, int partition, const char *name)
{
    int n = partition < 0 ? snprintf(dst, SLA_KEY_MAX, "%s%s", prefix, name)
                          : snprintf(dst, SLA_KEY_MAX, "%s{p%d}:%s", prefix, partition, name);
    return n < 0 || n >= SLA_KEY_MAX ? -1 : 0;
}

int sla_keys_init(sla_keys *k, const char *prefix, int partition)
{
    if (key(k->events, prefix, partition, "events") < 0 ||
        key(k->dead, prefix, partition, "dead") < 0 ||
        key(k->state, prefix, partition, "state") < 0 ||
        key(k->escalations, prefix, partition, "escalations") < 0 ||
        key(k->deliveries_dead, prefix, partition, "deliveries:dead") < 0 ||
        key(k->report, prefix, partition, "report:") < 0 ||
        key(k->lease, prefix, partition, "lease") < 0 ||
        key(k->lease_epoch, prefix, partition, "lease:epoch") < 0 ||
        key(k->instances, prefix, -1, "instances") < 0)
        return -1;
    return 0;
}
