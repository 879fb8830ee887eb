/*
 * sla_delivery_hours — when a notice may first be sent to its receiver.
 *
 * A record is written when its clock says: the breach is true at its time,
 * and the outbox, metrics, Alertmanager and reports see it then. Its
 * webhook delivery may wait for working hours: when the receiver names a
 * `calendar` and the record's policy says `deliver = "working_hours"` (or
 * the ladder step it fired from does; a step's own `deliver` wins over the
 * policy's), the first attempt is at the first working instant of the
 * receiver's calendar at or after the record's fired_ms. Warnings and
 * recovered notices follow the policy; a breach or escalation follows its
 * step (repeats of the last step: the last step).
 *
 * Everything else goes at once: a receiver without a calendar, a policy or
 * step that says "at_once" (the default), a record whose policy is no
 * longer configured (renamed or removed by a reload), and a calendar that
 * has no working instant within its search horizon (about 10 years: all
 * holidays), since a notice sent off-hours is better than one never sent.
 *
 * The answer depends only on the record and the configuration, not on when
 * it is asked: a restart holds the same record until the same instant, and
 * needs no state of its own. Pure; nothing is allocated.
 */
#ifndef SLA_DELIVERY_HOURS_H
#define SLA_DELIVERY_HOURS_H

#include <stdint.h>

#include "sla_config.h"
#include "sla_engine.h"

/*
 * Whether d's notice to its receiver is to wait for working hours under
 * cfg: SLA_DELIVER_WORKING_HOURS or SLA_DELIVER_AT_ONCE, by its policy and
 * step alone (the receiver's calendar is not looked at).
 */
enum sla_deliver sla_delivery_rule(const sla_config *cfg, const sla_decision *d);

/*
 * The earliest instant (ms since the epoch) d may be sent at: d->fired_ms
 * when it goes at once, else the first working instant of its receiver's
 * calendar at or after d->fired_ms (d->fired_ms itself when that is
 * working time).
 */
int64_t sla_delivery_not_before(const sla_config *cfg, const sla_decision *d);

#endif
