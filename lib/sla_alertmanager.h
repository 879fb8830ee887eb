/*
 * sla_alertmanager — bodies for Alertmanager's POST /api/v2/alerts, and the
 * lifecycle an alert follows there.
 *
 * Alertmanager identifies an alert by its label set and resolves one that
 * is not sent again before its endsAt (or, without endsAt, before its own
 * resolve_timeout). So slad keeps each breach alive the way Prometheus does:
 * while the clock stays breached the alert is sent again every
 * resend_interval of the receiver (daemon/alerts.c) with endsAt
 * SLA_AM_HOLD_INTERVALS intervals ahead, and once it is over (met,
 * acknowledged, stopped, ticket closed) it is sent once more with endsAt =
 * when it ended. Missing up to SLA_AM_HOLD_INTERVALS - 1 resends in a row
 * (Alertmanager restarting, a network blip) does not end it.
 *
 * Identity: the labels are fixed for the life of a clock cycle and say
 * nothing that changes during it:
 *
 *   alertname  SLABreach (breach and escalations) or SLAWarning
 *   ticket     the ticket id
 *   metric     the clock (first_response, resolution, ...)
 *   cycle      the clock's cycle: a clock started again is a new alert
 *   receiver   the slad receiver told (a ladder step that tells another
 *              receiver makes that receiver's own alert, next to this one)
 *   severity   critical for SLABreach, warning for SLAWarning
 *
 * What changes goes into annotations: level (1 breach, 2.. escalations),
 * policy, assignee, group, channel, priority, category, deadline,
 * summary, description, url (the ticket's), runbook_url (the policy's,
 * else the receiver's), and for an alert sent resolved `resolution`
 * (met, acknowledged, stopped, closed).
 *
 * Warnings hold until the deadline (endsAt = the deadline), after which
 * the breach alert, if any, takes over; a warning whose clock is met,
 * stopped or closed before it is sent resolved at the next resend
 * interval (daemon/alerts.c), so it does not stay active after the reply.
 *
 * Pure: no I/O, times passed in. The decisions and receiver are only read;
 * the request owns what it holds (sla_webhook.h).
 */
#ifndef SLA_ALERTMANAGER_H
#define SLA_ALERTMANAGER_H

#include <stddef.h>
#include <stdint.h>

#include "sla_config.h"
#include "sla_engine.h"
#include "sla_webhook.h"

/* A firing alert's endsAt is this many resend intervals after sending. */
#define SLA_AM_HOLD_INTERVALS 4
/* Alerts in one request at most (a digest, a batch of resends). */
#define SLA_AM_MAX_BATCH SLA_DIGEST_MAX_ITEMS

enum sla_am_state {
    SLA_AM_FIRING = 0, /* breach or escalation: endsAt = now + HOLD x resend_interval */
    SLA_AM_WARNING,    /* endsAt = the deadline (not before startsAt) */
    SLA_AM_MET,        /* resolved: the clock was met; endsAt = d->fired_ms */
    SLA_AM_ACKED,      /* resolved at now: acknowledged (slactl ack) */
    SLA_AM_STOPPED,    /* resolved at now: the clock stopped unmet (ticket resolved...) */
    SLA_AM_CLOSED,     /* resolved at now: the ticket is closed (slad no longer has it) */
};

typedef struct sla_am_alert {
    const sla_decision *d;  /* the facts: ticket, metric, cycle, level, deadline, attrs... */
    enum sla_am_state state;
    const char *runbook_url; /* NULL: the receiver's runbook_url, if any */
} sla_am_alert;

/* The state a decision of this kind is sent in. */
enum sla_am_state sla_am_state_of(const sla_decision *d);

/* The runbook of the policy named `policy` in cfg when it sets one, else NULL. */
const char *sla_am_policy_runbook(const sla_config *cfg, const char *policy);

/*
 * Build one request posting alerts[0..n-1] (1 <= n <= SLA_AM_MAX_BATCH) to
 * rc (whose url is the full /api/v2/alerts endpoint) at now_ms into req
 * (initialised and empty; left empty on error). req->id is the first
 * decision's id. 0, -EINVAL or -ENOMEM.
 */
int sla_am_build(const sla_am_alert *alerts, size_t n, const sla_receiver *rc, int64_t now_ms,
                 sla_webhook_request *req);

#endif
