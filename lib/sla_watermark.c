/*
 * sla_watermark — see sla_watermark.h for the rule and why it holds.
 */
#include "sla_watermark.h"

void sla_watermark_init(sla_watermark *w)
{
    w->applied_ms = INT64_MIN;
    w->confirmed_ms = INT64_MIN;
    w->reached_ms = INT64_MIN;
}

void sla_watermark_applied(sla_watermark *w, const sla_streamid *last)
{
    /* Entries of last.ms with a higher sequence may still be unread. */
    int64_t ms = last->ms > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)last->ms;
    if (ms - 1 > w->applied_ms)
        w->applied_ms = ms - 1;
}

void sla_watermark_confirmed(sla_watermark *w, int64_t at_ms)
{
    if (at_ms > w->confirmed_ms)
        w->confirmed_ms = at_ms;
}

int64_t sla_watermark_horizon(sla_watermark *w, int64_t now_ms)
{
    int64_t h = w->applied_ms > w->confirmed_ms ? w->applied_ms : w->confirmed_ms;
    if (h > now_ms)
        h = now_ms;
    if (h > w->reached_ms)
        w->reached_ms = h;
    return w->reached_ms;
}
