/*
 * sla_streamid — Redis stream entry ids. See sla_streamid.h.
 */
#include "sla_streamid.h"

#include <stdio.h>

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int sla_streamid_parse(const char *s, size_t len, sla_streamid *out)
{
    size_t dash = 0;
    while (dash < len && s[dash] != '-')
        dash++;
    if (dash == len)
        return -1;
    if (parse_u64(s, dash, &out->ms) < 0)
        return -1;
    return parse_u64(s + dash + 1, len - dash - 1, &out->seq);
}

int sla_streamid_cmp(const sla_streamid *a, const sla_streamid *b)
{
    if (a->ms != b->ms)
        return a->ms < b->ms ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

int sla_streamid_format(const sla_streamid *id, char *buf, size_t len)
{
    return snprintf(buf, len, "%llu-%llu", (unsigned long long)id->ms,
                    (unsigned long long)id->seq);
}
