/*
 * sla_metric — the SLA metrics slad keeps a clock for, by subject.
 *
 * Two kinds of subject have clocks: tickets (the seven ticket metrics) and
 * customers (the relationship metrics: onboarding revisits, the recurring
 * revisit, reminders, reviews, surveys). A subject holds clocks only for
 * its own kind's metrics, in slots numbered from the kind's first metric
 * (slot = metric - sla_subject_first_metric(kind)), so that both kinds fit
 * the same SLA_SUBJECT_SLOTS slots of a state record.
 *
 * The numeric order is part of the persisted state format (sla_record,
 * through the slots) and of bitmasks in the configuration (pausable
 * metrics): append only, each kind's metrics contiguous.
 */
#ifndef SLA_METRIC_H
#define SLA_METRIC_H

#include <stddef.h>

enum sla_metric {
    SLA_METRIC_FIRST_RESPONSE = 0,
    SLA_METRIC_NEXT_RESPONSE,
    SLA_METRIC_PICKUP,
    SLA_METRIC_PERIODIC_UPDATE,
    SLA_METRIC_RESOLUTION,
    SLA_METRIC_FOLLOW_UP,
    SLA_METRIC_CALLBACK,
    /* customers */
    SLA_METRIC_FIRST_REVISIT,  /* onboarding: the first revisit after signing */
    SLA_METRIC_SECOND_REVISIT, /* onboarding: the second, counted from signing too */
    SLA_METRIC_REVISIT,        /* the recurring revisit, restarted by each one done */
    SLA_METRIC_REMINDER,       /* a reminder ahead of a date the producer sends */
    SLA_METRIC_REVIEW,         /* the recurring review of the customer's information */
    SLA_METRIC_SURVEY,         /* the recurring satisfaction survey */
    SLA_METRIC_COUNT
};

enum sla_subject {
    SLA_SUBJECT_TICKET = 0,
    SLA_SUBJECT_CUSTOMER,
    SLA_SUBJECT_COUNT
};

/* Clock slots of one subject: the most metrics any kind has. */
#define SLA_SUBJECT_SLOTS 7
#define SLA_CUSTOMER_METRIC_FIRST SLA_METRIC_FIRST_REVISIT
_Static_assert(SLA_CUSTOMER_METRIC_FIRST <= SLA_SUBJECT_SLOTS &&
                   SLA_METRIC_COUNT - SLA_CUSTOMER_METRIC_FIRST <= SLA_SUBJECT_SLOTS,
               "each kind's metrics fit the slots");

/* The first metric of a kind and one past its last. */
static inline int sla_subject_first_metric(int subject)
{
    return subject == SLA_SUBJECT_CUSTOMER ? SLA_CUSTOMER_METRIC_FIRST : 0;
}
static inline int sla_subject_end_metric(int subject)
{
    return subject == SLA_SUBJECT_CUSTOMER ? SLA_METRIC_COUNT : SLA_CUSTOMER_METRIC_FIRST;
}
/* The kind whose clocks a metric names. */
static inline int sla_metric_subject(int metric)
{
    return metric >= SLA_CUSTOMER_METRIC_FIRST ? SLA_SUBJECT_CUSTOMER : SLA_SUBJECT_TICKET;
}

/* "ticket", "customer"; NULL out of range. */
const char *sla_subject_name(int subject);
/* The kind named by name[0..len), or -1. */
int sla_subject_from_name(const char *name, size_t len);

/* "first_response" ...; NULL for an out-of-range value. Static storage. */
const char *sla_metric_name(int metric);

/* The metric named by the first len bytes of name, or -1. */
int sla_metric_from_name(const char *name, size_t len);

#endif
