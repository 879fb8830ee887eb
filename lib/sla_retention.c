/*
 * sla_retention — the id arithmetic of trimming. See sla_retention.h.
 */
#include "sla_retention.h"

sla_streamid sla_streamid_next(sla_streamid id)
{
    if (id.seq < UINT64_MAX)
        return (sla_streamid){id.ms, id.seq + 1};
    if (id.ms < UINT64_MAX)
        return (sla_streamid){id.ms + 1, 0};
    return id;
}

sla_streamid sla_streamid_min(sla_streamid a, sla_streamid b)
{
    return sla_streamid_cmp(&a, &b) <= 0 ? a : b;
}

int sla_retention_age_cut(int64_t now_ms, int64_t max_age_ms, sla_streamid *out)
{
    if (max_age_ms <= 0 || now_ms <= max_age_ms)
        return 0;
    *out = (sla_streamid){(uint64_t)(now_ms - max_age_ms), 0};
    return 1;
}

void sla_trim_init(sla_trim *t)
{
    *t = (sla_trim){0};
}

void sla_trim_want(sla_trim *t, sla_streamid id)
{
    if (!t->have_want || sla_streamid_cmp(&id, &t->want) > 0)
        t->want = id;
    t->have_want = 1;
}

void sla_trim_keep(sla_trim *t, sla_streamid id)
{
    t->keep = t->have_keep ? sla_streamid_min(t->keep, id) : id;
    t->have_keep = 1;
}

int sla_trim_minid(const sla_trim *t, sla_streamid *out)
{
    if (!t->have_want)
        return 0;
    sla_streamid m = t->have_keep ? sla_streamid_min(t->want, t->keep) : t->want;
    if (m.ms == 0 && m.seq <= 1)
        return 0; /* nothing is below 0-1 but 0-0, which no entry has */
    *out = m;
    return 1;
}
