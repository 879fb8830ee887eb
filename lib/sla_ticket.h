/*
 * sla_ticket — the in-memory record of one open ticket and its clocks.
 *
 * Layout, chosen for a million open tickets in well under 256 MB:
 *
 *   sla_ticket: one allocation
 *   +-----------+---------+------------+------------+----------------+--------+----+-------+-------+
 *   | timer 24B | last id | generation | sizes, pos | slot[7], flags | clocks | id | attrs | memos |
 *   +-----------+---------+------------+------------+----------------+--------+----+-------+-------+
 *                                                                     16B each          only for clocks
 *                                                                     for the metrics   that breached
 *                                                                     this ticket uses  this cycle
 *
 * Subjects. A customer (sla_metric.h) is the same record with the
 * customer bit set: its clock slots hold the customer metrics (slot k is
 * metric sla_subject_first_metric(kind) + k) and its id, as stored here
 * and as the field of its state in Redis, starts with
 * SLA_CUSTOMER_KEY_PREFIX, a byte no ticket id may hold, so a ticket and a
 * customer with the same id never meet in the engine's table or in
 * `sla:state`.
 *
 * A ticket holds clocks only for the metrics some policy defines for it (a
 * chat ticket has no pickup clock), and its attributes in compact form; the
 * engine reallocates it, rarely, when its attributes or policies change or
 * when a breach or escalation tells someone new. One timer per ticket,
 * scheduled at the earliest pending action of any of its clocks (warning,
 * breach, next ladder level), so a ticket costs one wheel entry however
 * many clocks run. A clock packs its times into bit fields: 48 bits of ms
 * since the epoch reach the year 10889; 40 bits of elapsed business ms
 * reach 34 years.
 *
 * Generation: the `ts` (ms, after the future-skew clamp) of the event that
 * opened this life of the ticket. A ticket id opened again after
 * ticket.closed starts a new life, whose decision ids differ from the
 * closed one's. 0 for a ticket restored from a version-1 record (written
 * before generations existed): its ids stay what they were.
 *
 * Breach memos. A clock that has fired (breach, escalations) in its
 * current cycle keeps a memo of what its `recovered` notice needs, which
 * cannot be recomputed later (a re-match or a reload changes the ladder):
 *
 *   int64 deadline_ms   the breach's deadline (the first firing of the cycle)
 *   u32   recoveries    recovered notices this cycle has sent so far
 *   int64 acked_ms      when the breach was acknowledged (slactl ack); 0
 *                       when it was not, or before this was kept
 *   u8    by_size       bytes of `by` below, its NUL included; 0 = none
 *   u8    n             receivers told of the breach and its escalations,
 *   by_size bytes       who acknowledged (UTF-8, NUL-terminated, at most
 *                       SLA_MEMO_BY_MAX bytes before the NUL)
 *   n names             by name (a reload re-indexes receivers), each
 *                       NUL-terminated, de-duplicated, in the order told,
 *                       at most SLA_MEMO_MAX_RECEIVERS (later ones are not
 *                       remembered)
 *
 * in host byte order, unaligned (read with memcpy). The memos follow the
 * attributes in slot order; bit k of memo_mask says whether the clock of
 * slot k has one. They belong to the ticket's allocation: a memo is created or grown
 * by moving the ticket to a larger allocation, and cleared (a new cycle) in
 * place, leaving the bytes after the last memo unused until the ticket next
 * moves. An ordinary ticket, which never breached, carries none. Only a
 * clock that fired can be acknowledged, so the acknowledgement lives in
 * the memo too: who and when cost nothing to tickets that never breached.
 *
 * Packed clocks. A subject at rest may hold its clocks packed instead
 * (`packed` set; sla_clockpack.h): clocks[] then starts with one byte, the
 * length of the packed clocks that follow, and the id follows them. The
 * engine widens a packed subject before it reads or writes a clock in
 * place (sla_engine.c, "Subjects at rest"); sla_ticket_clock_bytes() says
 * where the id starts in either form.
 *
 * A clock's deadline is never stored: it follows from (resume_ms,
 * elapsed_ms, the target of its policy) and is recomputed when needed, so
 * a policy or configuration change moves every deadline without a rewrite.
 */
#ifndef SLA_TICKET_H
#define SLA_TICKET_H

#include <stdint.h>
#include <string.h>

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
    SLA_TARGET_AHEAD,          /* deadline is resume_ms (a date) minus the target
                                  (reminder): a lead time, not a wait */
    SLA_TARGET_SOURCE_MAX = SLA_TARGET_AHEAD
};

/*
 * The id prefix of a customer: a customer "c-17" is "\x01c:c-17" in the
 * engine's table and in sla:state. Ticket ids have no control bytes.
 */
#define SLA_CUSTOMER_KEY_PREFIX "\x01" "c:"
#define SLA_CUSTOMER_KEY_PREFIX_LEN 3

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
    uint64_t generation;      /* ts that opened this life of the ticket; 0 = unknown */
    uint32_t dirty_pos : 30;  /* 1 + index in the engine's dirty list, 0 = clean */
    uint32_t cfg_parity : 1;  /* matched under the engine's configuration when equal
                                 to its cfg_parity (see sla_engine_set_config) */
    uint32_t resolution_ended : 1; /* the resolution cycle ended (counted) once: met,
                                      reopened, met again is one end */
    uint16_t attrs_len;       /* compact attributes (sla_attrpack) after the id */
    uint8_t id_len;           /* with the customer prefix */
    uint8_t nclocks : 4;
    uint8_t customer : 1;     /* a customer (slots hold the customer metrics) */
    uint8_t packed : 1;       /* at rest: clocks[] holds the packed clocks (below) */
    uint8_t slot[SLA_SUBJECT_SLOTS]; /* index into clocks[] per slot, or SLA_SLOT_NONE */
    uint8_t resolved : 1;     /* between ticket.resolved and ticket.reopened */
    uint8_t memo_mask : 7;    /* bit m: clock m has a breach memo */
    sla_clock clocks[];       /* nclocks clocks, the id and '\0', the attributes, the memos */
} sla_ticket;

_Static_assert(SLA_SUBJECT_SLOTS <= 15, "nclocks is 4 bits");

/*
 * Bytes the clocks take in the allocation: 16 each, or when packed, one
 * length byte and the nclocks clocks packed (sla_clockpack.h) against the
 * generation.
 */
static inline size_t sla_ticket_clock_bytes(const sla_ticket *t)
{
    return t->packed ? 1u + *(const unsigned char *)t->clocks : t->nclocks * sizeof(sla_clock);
}

/* The ticket id (for a customer, with its prefix), NUL-terminated, inside
 * the ticket's allocation. */
static inline char *sla_ticket_id(const sla_ticket *t)
{
    return (char *)t->clocks + sla_ticket_clock_bytes(t);
}

/* The compact attributes (sla_attrpack), attrs_len bytes. */
static inline char *sla_ticket_attrs(const sla_ticket *t)
{
    return sla_ticket_id(t) + t->id_len + 1;
}

/* Bytes a ticket with these sizes and wide clocks occupies, its memos not
 * counted. */
static inline size_t sla_ticket_size(size_t nclocks, size_t id_len, size_t attrs_len)
{
    return sizeof(sla_ticket) + nclocks * sizeof(sla_clock) + id_len + 1 + attrs_len;
}

/* ------------------------------------------------------------ breach memos */

#define SLA_MEMO_MAX_RECEIVERS 16
#define SLA_MEMO_BY_MAX 128 /* bytes of who acknowledged (sla_ctlproto: SLA_CTL_BY_MAX) */
#define SLA_MEMO_HEAD 22    /* deadline, recoveries, acked_ms, by_size, n */
#define SLA_MEMO_ACKED_AT 12 /* offset of acked_ms */
#define SLA_MEMO_BY_SIZE_AT 20
#define SLA_MEMO_N_AT 21

/* One memo, read from its bytes. */
typedef struct sla_memo {
    int64_t deadline_ms;
    uint32_t recoveries;
    int64_t acked_ms;      /* 0: not acknowledged, or not known when */
    const char *by;        /* who acknowledged, NUL-terminated; "" when not known */
    unsigned nreceivers;
    const char *receivers; /* nreceivers NUL-terminated names, back to back */
    size_t size;           /* bytes of the whole memo */
} sla_memo;

/* The first memo's bytes (after the attributes). */
static inline char *sla_ticket_memos(const sla_ticket *t)
{
    return sla_ticket_attrs(t) + t->attrs_len;
}

static inline sla_memo sla_memo_read(const char *p)
{
    sla_memo mm;
    memcpy(&mm.deadline_ms, p, 8);
    memcpy(&mm.recoveries, p + 8, 4);
    memcpy(&mm.acked_ms, p + SLA_MEMO_ACKED_AT, 8);
    size_t by_size = (unsigned char)p[SLA_MEMO_BY_SIZE_AT];
    mm.by = by_size ? p + SLA_MEMO_HEAD : "";
    mm.nreceivers = (unsigned char)p[SLA_MEMO_N_AT];
    mm.receivers = p + SLA_MEMO_HEAD + by_size;
    const char *q = mm.receivers;
    for (unsigned i = 0; i < mm.nreceivers; i++)
        q += strlen(q) + 1;
    mm.size = (size_t)(q - p);
    return mm;
}

/*
 * Offset (from sla_ticket_memos) of the memo of the clock in slot k, or of
 * where it would go; with k = SLA_SUBJECT_SLOTS, the bytes all memos occupy.
 */
static inline size_t sla_ticket_memo_offset(const sla_ticket *t, int k)
{
    const char *base = sla_ticket_memos(t);
    size_t off = 0;
    for (int m = 0; m < k; m++)
        if (t->memo_mask & (1u << m))
            off += sla_memo_read(base + off).size;
    return off;
}

/* The memo of the clock in slot m into *out: 1, or 0 when it has none. */
static inline int sla_ticket_memo(const sla_ticket *t, int m, sla_memo *out)
{
    if (!(t->memo_mask & (1u << m)))
        return 0;
    *out = sla_memo_read(sla_ticket_memos(t) + sla_ticket_memo_offset(t, m));
    return 1;
}

#endif
