/*
 * sla_lease — partition sharing arithmetic. See sla_lease.h.
 */
#include "sla_lease.h"

#include <stdio.h>

int sla_lease_share(int partitions, int live)
{
    if (partitions < 1 || live < 1)
        return 0;
    return (partitions + live - 1) / live;
}

int sla_lease_plan(int partitions, int live, int rank, const enum sla_lease_holder *holder,
                   enum sla_lease_action *action)
{
    if (partitions < 1 || live < 1 || rank < 0 || rank >= live)
        return -1;
    int share = sla_lease_share(partitions, live);
    int mine = 0;
    for (int i = 0; i < partitions; i++) {
        action[i] = SLA_LEASE_NONE;
        mine += holder[i] == SLA_LEASE_MINE;
    }
    for (int i = partitions - 1; i >= 0 && mine > share; i--)
        if (holder[i] == SLA_LEASE_MINE) {
            action[i] = SLA_LEASE_RELEASE;
            mine--;
        }
    int start = (int)((int64_t)rank * partitions / live);
    for (int k = 0; k < partitions && mine < share; k++) {
        int i = (start + k) % partitions;
        if (holder[i] == SLA_LEASE_FREE) {
            action[i] = SLA_LEASE_TAKE;
            mine++;
        }
    }
    return mine;
}

int64_t sla_lease_renew_at(int64_t renewed_ms, int64_t ttl_ms)
{
    return renewed_ms + ttl_ms / 3;
}

int sla_lease_valid(int64_t sent_ms, int64_t ttl_ms, int64_t now_ms)
{
    return now_ms < sent_ms + ttl_ms;
}

int sla_lease_token_format(char *buf, size_t len, const char *name, uint64_t epoch)
{
    if (name == NULL || name[0] == '\0')
        return -1;
    int n = snprintf(buf, len, "%s/%llu", name, (unsigned long long)epoch);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int sla_lease_token_parse(const char *tok, size_t len, size_t *name_len, uint64_t *epoch)
{
    size_t slash = len;
    while (slash > 0 && tok[slash - 1] != '/')
        slash--;
    if (slash < 2 || slash == len || len - slash > 20)
        return -1;
    uint64_t e = 0;
    for (size_t i = slash; i < len; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(tok[i] - '0');
        if (e > (UINT64_MAX - d) / 10)
            return -1;
        e = e * 10 + d;
    }
    *name_len = slash - 1;
    *epoch = e;
    return 0;
}
