/*
 * sla_policy — which policy supplies each metric's target for a ticket.
 *
 * SPEC section 4: for each metric, the first policy in file order that
 * matches the ticket and defines the metric wins. A policy matches when all
 * its conditions hold; a condition on a field the ticket lacks fails. An
 * equality condition holds when the field equals any listed value; a
 * numeric one when the field parses entirely as a number and compares as
 * asked ("amount = \">1000\"").
 */
#ifndef SLA_POLICY_H
#define SLA_POLICY_H

#include <stddef.h>

#include "sla_config.h"

#define SLA_POLICY_NONE 255

/* 1 when policy p matches the compact attributes (sla_attrpack). */
int sla_policy_matches(const sla_policy *p, const char *attrs, size_t attrs_len);

/*
 * For each metric, the index of the policy supplying it, or
 * SLA_POLICY_NONE; each policy's match is evaluated once.
 */
void sla_policy_resolve(const sla_config *cfg, const char *attrs, size_t attrs_len,
                        unsigned char out[SLA_METRIC_COUNT]);

#endif
