/*
 * sla_watermark — how far the engine may fire: the firing rule.
 *
 * A deadline D fires only once every stream entry that reached Redis at or
 * before D has been applied. The stream itself tells when an entry reached
 * Redis: its id's millisecond part is Redis's clock at the XADD, and ids
 * only grow. So the input reader reports two things:
 *
 *   - the id of the last entry it applied, in stream order (a batch of new
 *     entries, or the consumer's own pending entries replayed from the
 *     start): every entry with an id time before that millisecond has been
 *     applied, so deadlines up to last.ms - 1 may fire;
 *   - whether its last read of new entries found the end of the stream
 *     (fewer entries than it asked for): then nothing reached Redis that
 *     it has not applied, the blocking read that follows delivers the next
 *     entry as soon as it arrives, and the engine may follow the wall clock.
 *
 *   horizon(now) = at_end ? now : min(now, applied)
 *
 * While the reader lags (after a start, a reconnect, behind a backlog or a
 * burst larger than one read), the engine advances with the entries it
 * applies, in stream time; what falls due meanwhile fires late (late_ms),
 * never ahead of an entry that would have met it. Entries taken over from
 * another consumer (XAUTOCLAIM) are older than the stream position and do
 * not move the watermark.
 *
 * The horizon never goes back: a full read after a read that found the end
 * keeps the wall-clock time already reached (what fired then was fired by
 * the rule above, with nothing unread).
 *
 * What the rule cannot see: an entry in transit between Redis and slad at
 * the instant its deadline passes (well under a millisecond on one host)
 * loses that race like an entry that arrived after the deadline. Redis's
 * and slad's clocks are assumed to agree (one host, or NTP).
 *
 * Pure value type; no allocation.
 */
#ifndef SLA_WATERMARK_H
#define SLA_WATERMARK_H

#include <stdint.h>

#include "sla_streamid.h"

typedef struct sla_watermark {
    int64_t applied_ms; /* deadlines up to this may fire; INT64_MIN: none yet */
    int64_t reached_ms; /* the highest horizon handed out (never goes back) */
    int at_end;         /* the last read of new entries found the end */
} sla_watermark;

/* Nothing applied, not at the end: nothing may fire. */
void sla_watermark_init(sla_watermark *w);

/* Entries up to and including `last` were applied in stream order. */
void sla_watermark_applied(sla_watermark *w, const sla_streamid *last);

/*
 * The reader's last read of new entries found the end of the stream (1),
 * or the reader restarted, lost its connection or read a full batch (0).
 */
void sla_watermark_set_at_end(sla_watermark *w, int at_end);

/* How far the engine may fire at wall-clock time now_ms (never back). */
int64_t sla_watermark_horizon(sla_watermark *w, int64_t now_ms);

/* Whether the horizon follows the wall clock (for the alarm and status). */
static inline int sla_watermark_at_end(const sla_watermark *w) { return w->at_end; }

#endif
