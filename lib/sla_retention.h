/*
 * sla_retention — which entries of a stream may be trimmed.
 *
 * slad's streams (sla:events, sla:escalations, sla:dead,
 * sla:deliveries:dead) are trimmed by age and by count, but never past an
 * entry a consumer group has not finished with. Both kinds of bound are
 * stream ids, and a trim is `XTRIM key MINID ~ <id>`: entries below <id>
 * may go. This module is the id arithmetic of choosing <id>:
 *
 *   want  the largest id any rule asks to trim below:
 *           age:   {now - max_age, 0}  (ids are Redis's arrival times)
 *           count: the successor of the newest entry beyond max_count
 *   keep  the smallest id that must stay, over every consumer group:
 *           the oldest entry it has pending (read, not acknowledged),
 *           the successor of its last-delivered id (what it has not read)
 *   MINID = min(want, keep)
 *
 * So a rule never trims what a group still needs: a lagging group holds
 * the stream back, whatever the rules say. Pure: no I/O, time passed in.
 */
#ifndef SLA_RETENTION_H
#define SLA_RETENTION_H

#include <stdint.h>

#include "sla_streamid.h"

/* One stream's rule; 0 turns a bound off. */
typedef struct sla_retention_rule {
    int64_t max_age_ms;
    int64_t max_count;
} sla_retention_rule;

/* The smallest id greater than id (saturating at the largest id). */
sla_streamid sla_streamid_next(sla_streamid id);
/* The smaller of a and b. */
sla_streamid sla_streamid_min(sla_streamid a, sla_streamid b);

/*
 * The age bound: entries below {now_ms - max_age_ms, 0} are older than
 * max_age_ms. Returns 1 with *out set, 0 when there is no such bound
 * (max_age_ms <= 0, or now_ms not past it).
 */
int sla_retention_age_cut(int64_t now_ms, int64_t max_age_ms, sla_streamid *out);

/* The bounds of one trim, gathered from the rules and the groups. */
typedef struct sla_trim {
    int have_want, have_keep;
    sla_streamid want; /* trim below: the largest asked for */
    sla_streamid keep; /* keep from: the smallest needed */
} sla_trim;

void sla_trim_init(sla_trim *t);
/* A rule asks to trim the entries below id. */
void sla_trim_want(sla_trim *t, sla_streamid id);
/* The entries from id on must stay. */
void sla_trim_keep(sla_trim *t, sla_streamid id);
/*
 * The MINID for the trim: 1 with *out = min(want, keep) when that trims
 * anything (above 0-0), 0 when nothing may go.
 */
int sla_trim_minid(const sla_trim *t, sla_streamid *out);

#endif
