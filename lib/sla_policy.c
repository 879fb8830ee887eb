/*
 * sla_policy — policy matching. See sla_policy.h.
 *
 * Cost: O(policies * conditions * attributes) per resolve, all in cache;
 * it runs when a ticket opens, changes or is restored, never per timer.
 * The engine resolves with sla_matcher, a compiled and cached form of the
 * same rules; this is the reference it is tested against.
 */
#include "sla_policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sla_attrpack.h"

int sla_policy_number(const char *s, double *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || v != v)
        return -1;
    *out = v;
    return 0;
}

int sla_policy_compare(enum sla_match_op op, double x, double number)
{
    switch (op) {
    case SLA_MATCH_GT: return x > number;
    case SLA_MATCH_GE: return x >= number;
    case SLA_MATCH_LT: return x < number;
    case SLA_MATCH_LE: return x <= number;
    default: return 0;
    }
}

static int condition_holds(const sla_match *c, const char *attrs, size_t attrs_len)
{
    const char *v = sla_attrpack_get(attrs, attrs_len, c->field, strlen(c->field));
    if (!v)
        return 0;
    if (c->op == SLA_MATCH_EQUAL) {
        for (size_t i = 0; i < c->nvalues; i++)
            if (strcmp(c->values[i], v) == 0)
                return 1;
        return 0;
    }
    double x;
    return sla_policy_number(v, &x) == 0 && sla_policy_compare(c->op, x, c->number);
}

int sla_policy_matches(const sla_policy *p, const char *attrs, size_t attrs_len)
{
    for (size_t i = 0; i < p->nmatch; i++)
        if (!condition_holds(&p->match[i], attrs, attrs_len))
            return 0;
    return 1;
}

void sla_policy_resolve(const sla_config *cfg, const char *attrs, size_t attrs_len,
                        unsigned char out[SLA_METRIC_COUNT])
{
    int missing = SLA_METRIC_COUNT;
    for (int m = 0; m < SLA_METRIC_COUNT; m++)
        out[m] = SLA_POLICY_NONE;
    for (size_t p = 0; p < cfg->npolicies && p < SLA_MAX_POLICIES && missing > 0; p++) {
        const sla_policy *pol = &cfg->policies[p];
        int wanted = 0;
        for (int m = 0; m < SLA_METRIC_COUNT; m++)
            if (out[m] == SLA_POLICY_NONE && pol->metrics[m].defined)
                wanted = 1;
        if (!wanted || !sla_policy_matches(pol, attrs, attrs_len))
            continue;
        for (int m = 0; m < SLA_METRIC_COUNT; m++)
            if (out[m] == SLA_POLICY_NONE && pol->metrics[m].defined) {
                out[m] = (unsigned char)p;
                missing--;
            }
    }
}
