/*
 * sla_watermark — how far the engine may fire: the firing rule.
 *
 * A deadline D fires only once every stream entry that reached Redis at or
 * before D has been applied. The stream itself tells when an entry reached
 * Redis: its id's millisecond part is Redis's clock at the XADD, and ids
 * only grow. Two kinds of evidence move the horizon:
 *
 *   - applied: the id of the last entry applied in stream order (a batch
 *     of new entries, or the consumer's own pending entries replayed from
 *     the start). Every entry with an id time before that millisecond has
 *     been applied, so deadlines up to last.ms - 1 may fire. This carries
 *     the engine through a backlog, batch by batch, in stream time.
 *   - confirmed: a time T at which Redis itself said that nothing in the
 *     stream was unread by this consumer (the group's last delivered id is
 *     the newest entry, and slad has applied it), asked with a request
 *     sent at T, so the answer holds from T on. This lets the engine
 *     follow the wall clock when the input is idle or caught up: when a
 *     deadline is due beyond the horizon, the daemon asks again, and the
 *     deadline fires one round trip later.
 *
 *   horizon(now) = min(now, max(applied, confirmed))
 *
 * Neither "the last read was short" nor "a blocking read is waiting" is
 * evidence: slad may have been paused since, or Redis frozen with the
 * read still unsent, while entries that reached Redis before the deadline
 * sit unread. What falls due while slad catches up fires late (late_ms),
 * never ahead of an entry that would have met it.
 *
 * The horizon never goes back. Redis's and slad's clocks are assumed to
 * agree (one host, or NTP).
 *
 * Pure value type; no allocation.
 */
#ifndef SLA_WATERMARK_H
#define SLA_WATERMARK_H

#include <stdint.h>

#include "sla_streamid.h"

typedef struct sla_watermark {
    int64_t applied_ms;   /* deadlines up to this may fire; INT64_MIN: none yet */
    int64_t confirmed_ms; /* Redis said nothing was unread from then on */
    int64_t reached_ms;   /* the highest horizon handed out (never goes back) */
} sla_watermark;

/* Nothing applied or confirmed: nothing may fire. */
void sla_watermark_init(sla_watermark *w);

/* Entries up to and including `last` were applied in stream order. */
void sla_watermark_applied(sla_watermark *w, const sla_streamid *last);

/* Redis answered a request sent at at_ms: every entry in the stream then
 * had been applied. */
void sla_watermark_confirmed(sla_watermark *w, int64_t at_ms);

/* How far the engine may fire at wall-clock time now_ms (never back). */
int64_t sla_watermark_horizon(sla_watermark *w, int64_t now_ms);

#endif
