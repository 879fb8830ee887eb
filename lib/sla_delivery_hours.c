/*
 * sla_delivery_hours — when a notice may first be sent. See
 * sla_delivery_hours.h for the rule; this file only looks the rule up in
 * the configuration (policy by name, step by level, receiver by name) and
 * asks the receiver's calendar for its next working instant.
 */
#include "sla_delivery_hours.h"

enum sla_deliver sla_delivery_rule(const sla_config *cfg, const sla_decision *d)
{
    const sla_policy *p = sla_config_policy(cfg, d->policy);
    if (p == NULL)
        return SLA_DELIVER_AT_ONCE;
    enum sla_deliver rule = p->deliver;
    if ((d->kind == SLA_DECISION_BREACH || d->kind == SLA_DECISION_ESCALATION) &&
        d->metric >= 0 && d->metric < SLA_METRIC_COUNT) {
        const sla_step *step = sla_target_step(&p->metrics[d->metric], d->level);
        if (step && step->deliver != SLA_DELIVER_UNSET)
            rule = step->deliver;
    }
    return rule == SLA_DELIVER_WORKING_HOURS ? SLA_DELIVER_WORKING_HOURS : SLA_DELIVER_AT_ONCE;
}

int64_t sla_delivery_not_before(const sla_config *cfg, const sla_decision *d)
{
    if (cfg == NULL || d->receiver == NULL || d->receiver[0] == '\0')
        return d->fired_ms;
    int r = sla_config_receiver_index(cfg, d->receiver);
    if (r < 0)
        return d->fired_ms;
    int c = cfg->receivers[r].calendar;
    if (c < 0 || (size_t)c >= cfg->ncalendars ||
        sla_delivery_rule(cfg, d) != SLA_DELIVER_WORKING_HOURS)
        return d->fired_ms;
    /* Zero business time from fired_ms: fired_ms itself inside working
     * time, else the start of the next working range. */
    int64_t t = sla_calendar_add_ms(cfg->calendars[c], d->fired_ms, 0);
    return t == INT64_MAX || t < d->fired_ms ? d->fired_ms : t;
}
