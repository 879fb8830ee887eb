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

/*
 * The rule for numeric conditions: 0 with *out set when all of s parses as
 * a number (strtod, without ERANGE, not NaN); -1 otherwise, "" included.
 */
int sla_policy_number(const char *s, double *out);

/* 1 when x compares to number as a numeric condition's op asks (>, >=, <, <=). */
int sla_policy_compare(enum sla_match_op op, double x, double number);

/* 1 when policy p matches the compact attributes (sla_attrpack). */
int sla_policy_matches(const sla_policy *p, const char *attrs, size_t attrs_len);

/*
 * For each metric, the index of the policy supplying it, or
 * SLA_POLICY_NONE; each policy's match is evaluated once.
 */
void sla_policy_resolve(const sla_config *cfg, const char *attrs, size_t attrs_len,
                        unsigned char out[SLA_METRIC_COUNT]);

#endif
