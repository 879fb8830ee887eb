/*
 * sla_partition — ticket id to partition. See sla_partition.h.
 */
#include "sla_partition.h"

uint32_t sla_partition_hash(const char *id, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)id[i];
        h *= 16777619u;
    }
    return h;
}

int sla_partition_of(const char *id, size_t len, int partitions)
{
    if (partitions < 1 || partitions > SLA_PARTITIONS_MAX)
        return -1;
    return (int)(sla_partition_hash(id, len) % (uint32_t)partitions);
}
