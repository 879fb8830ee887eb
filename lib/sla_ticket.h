/*
 * sla_ticket — the in-memory record of one open ticket and its clocks.
 *
 * Layout, chosen for a million open tickets in well under 256 MB:
 *
 *   sla_ticket: one allocation
 *   +-----------+---------+------------+-------------------+--------+-------------+
 *   | timer 24B | last id | sizes, pos | slot[7], resolved | clocks | id | attrs  |
 *   +-----------+---------+------------+-------------------+--------+-------------+
 *                                                            16B each, only for the
 *                                                            metrics this ticket uses
 *
 * A ticket holds clocks only for the metrics some policy defines for it (a
 * chat ticket has no pickup clock), and its attributes in compact form; the
 * engine reallocates it, rarely, when its attributes or policies change.
 * One timer per ticket, scheduled at the earliest pending action of any of
 * its clocks (warning, breach, next ladder level), so a ticket costs one
 * wheel entry however many clocks run. A clock packs its times into bit
 * fields: 48 bits of ms since the epoch reach the year 10889; 40 bits of
 * elapsed business ms reach 34 years.
 *
 * A clock's deadline is never stored: it follows from (resume_ms,
 * elapsed_ms, the target of its policy) and is recomputed when needed, so
 * a policy or configuration change moves every deadline without a rewrite.
 */
#ifndef SLA_TICKET_H
#define SLA_TICKET_H

#include <stdint.h>

#include "sla_metric.h"
#include "sla_timerwheel.h"

enum sla_clock_state {
    SLA_CLOCK_IDLE = 0, /* never started in this ticket */
    SLA_CLOCK_RUNNING,
    SLA_CLOCK_PAUSED,   /* elapsed_ms holds the business time so far */
    SLA_CLOCK_MET,      /* promise kept (or kept late); elapsed_ms kept for reopen */
    SLA_CLOCK_STOPPED,  /* stopped without being met (resolved, closed, abandoned) */
};

/* Where a clock's target comes from. */
enum sla_target_source {
    SLA_TARGET_POLICY = 0,     /* the metric's target in its policy */
    SLA_TARGET_REVISIT_SATISFIED,   /* cfg->revisit[...] after followup.done */
    SLA_TARGET_REVISIT_AVERAGE,
    SLA_TARGET_REVISIT_UNSATISFIED,
    SLA_TARGET_ABSOLUTE,       /* deadline is resume_ms itself (callback `due`) */
};

typedef struct sla_clock {
    uint64_t resume_ms : 48;  /* start of the current running segment */
    uint64_t cycle : 16;      /* incremented at each (re)start: the idempotency key */
    uint64_t elapsed_ms : 40; /* business ms accrued before resume_ms */
    uint64_t state : 3;       /* enum sla_clock_state */
    uint64_t warned : 1;      /* this cycle's warning fired */
    uint64_t acked : 1;       /* further ladder levels stopped */
    uint64_t source : 3;      /* enum sla_target_source */
    uint64_t fired : 8;       /* ladder firings so far this cycle */
    uint64_t policy : 8;      /* index of the policy supplying the target */
} sla_clock;

#define SLA_SLOT_NONE 0xff

typedef struct sla_ticket {
    sla_timer timer;          /* at the earliest pending action */
    uint64_t last_ms;         /* id of the last stream entry applied */
    uint64_t last_seq;
    uint32_t dirty_pos;       /* 1 + index in the engine's dirty list, 0 = clean */
    uint16_t attrs_len;       /* compact attributes (sla_attrpack) after the id */
    uint8_t id_len;
    uint8_t nclocks;
    uint8_t slot[SLA_METRIC_COUNT]; /* index into clocks[] per metric, or SLA_SLOT_NONE */
    uint8_t resolved;         /* between ticket.resolved and ticket.reopened */
    sla_clock clocks[];       /* nclocks clocks, then the id and '\0', then the attributes */
} sla_ticket;

/* The ticket id, NUL-terminated, inside the ticket's allocation. */
static inline char *sla_ticket_id(const sla_ticket *t)
{
    return (char *)(t->clocks + t->nclocks);
}

/* The compact attributes (sla_attrpack), attrs_len bytes. */
static inline char *sla_ticket_attrs(const sla_ticket *t)
{
    return sla_ticket_id(t) + t->id_len + 1;
}

/* Bytes a ticket with these sizes occupies. */
static inline size_t sla_ticket_size(size_t nclocks, size_t id_len, size_t attrs_len)
{
    return sizeof(sla_ticket) + nclocks * sizeof(sla_clock) + id_len + 1 + attrs_len;
}

#endif
