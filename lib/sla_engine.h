/*
 * sla_engine — open tickets and customers, their SLA clocks, and the
 * decisions they make.
 *
 * Subjects. A customer (sla_metric.h, sla_event.h) lives in the engine as
 * a ticket does, with the same record, timer, ladders, memos and outputs;
 * only its metrics and the events that move them differ. Inside the
 * engine and in its state output (upserts, removed, restore) a customer's
 * id is its state field: SLA_CUSTOMER_KEY_PREFIX and the id (sla_ticket.h);
 * in decisions and queries it is the plain id with `subject` saying whose.
 * Below, "ticket" means either kind unless a customer is named.
 *
 * Pure logic: time comes in as numbers (ms since the epoch), events come
 * in parsed (sla_event), and what the engine decides comes out through
 * sla_engine_collect() as data for the caller to make durable. The engine
 * never sleeps, reads a clock, or does I/O, so every rule is tested with an
 * injected time.
 *
 *   events --apply--> tickets/clocks --deadlines--> timer wheel
 *   advance(now) --> due clocks --> decisions (warning, breach, escalation,
 *                                              recovered)
 *   collect() --> { decisions, changed ticket records, removed tickets }
 *
 * Exactly-once: every ladder firing of a clock is identified by (ticket,
 * generation, metric, cycle, level) and recorded in the ticket's state as
 * fired in the same output as the decision itself; the caller writes both
 * in one atomic step, so a restarted engine restored from that state never
 * fires it again, and one restored from an older state fires it (once)
 * again. The generation is the ts of the event that opened the ticket, so a
 * ticket id opened again after ticket.closed decides new ids. A recovered
 * notice goes to the receivers the clock's breach memo remembers, with the
 * breach's deadline; each recovery of a cycle is counted in the memo, so a
 * clock met, reopened and met again sends notices with new ids.
 *
 * Event time: clocks start at the event's ts. Before an event is applied
 * to a ticket, every action of that ticket due at or before the event's ts
 * fires first ("catch-up"), so a reply that came after the deadline still
 * produces the breach it deserves, marked late. The deadline itself is the
 * last instant of the promise: the breach is due 1 ms after it, so a reply
 * at the deadline is on time.
 *
 * Ownership: the engine borrows the configuration (it must outlive the
 * engine or be replaced with sla_engine_set_config first) and owns its
 * tickets. sla_output owns everything in it until sla_output_clear().
 */
#ifndef SLA_ENGINE_H
#define SLA_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "sla_config.h"
#include "sla_event.h"
#include "sla_metric.h"
#include "sla_streamid.h"
#include "sla_tickettable.h"

typedef struct sla_engine sla_engine;

enum sla_decision_kind {
    SLA_DECISION_WARNING = 0,
    SLA_DECISION_BREACH,
    SLA_DECISION_ESCALATION,
    SLA_DECISION_RECOVERED,
};

/* One notification decision: one record of the escalations stream. */
typedef struct sla_decision {
    enum sla_decision_kind kind;
    char id[48];            /* stable idempotency key "esc_<32 hex>" */
    char *ticket;           /* owned, NUL-terminated: the subject's id */
    int subject;            /* enum sla_subject: "ticket" or "customer" field */
    int metric;
    uint32_t cycle;
    int level;              /* 0 warning, 1 breach, 2.. escalation levels/repeats */
    char *policy;           /* owned */
    char *receiver;         /* owned; "" when the step notifies nobody */
    int64_t deadline_ms;
    int64_t fired_ms;       /* when the engine decided (its `now`) */
    int64_t late_ms;        /* fired_ms - (deadline_ms + max(step delay, 1 ms)), >= 0 */
    char *attrs;            /* owned packed "key\0value\0" pairs */
    size_t attrs_len;
} sla_decision;

/*
 * How a clock cycle ended (the reports, sla_report.h). A cycle ends once:
 * met (by the event that keeps its promise; a periodic_update period also
 * when the next period starts), or stopped without being met (resolved,
 * reopened, re-matched to no policy, a callback rescheduled, the ticket
 * closed). It is late / breached when its breach was recorded before it
 * ended. A resolution met, reopened and met again ended the first time
 * only (the cycle goes on; it is not counted twice). SLA_OUTCOME_CSAT is
 * not an end: a followup.done's satisfaction score.
 */
enum sla_outcome_kind {
    SLA_OUTCOME_MET = 0,      /* met on time */
    SLA_OUTCOME_LATE,         /* met after its breach */
    SLA_OUTCOME_STOPPED,      /* ended unmet, never breached */
    SLA_OUTCOME_BREACHED,     /* ended unmet after its breach */
    SLA_OUTCOME_CSAT,
    SLA_OUTCOME_COUNT
};

typedef struct sla_outcome {
    enum sla_outcome_kind kind;
    int metric;
    char *policy;           /* owned: one allocation with attrs; "" when none */
    char *attrs;            /* packed "key\0value\0" pairs, inside policy's allocation */
    size_t attrs_len;
    int64_t at_ms;          /* when it ended (the event's ts) */
    int64_t taken_ms;       /* business time the cycle ran; -1 when none (callback, CSAT) */
    int satisfaction;       /* SLA_OUTCOME_CSAT: 1-5 */
} sla_outcome;

const char *sla_outcome_kind_name(int kind); /* "met", "late", "stopped", "breached", "csat" */

/* A ticket whose durable state changed: id -> encoded record. */
typedef struct sla_upsert {
    char *ticket;           /* owned: the state field (a customer's prefixed) */
    size_t ticket_len;
    unsigned char *record;  /* owned, sla_engine_restore() format */
    size_t record_len;
} sla_upsert;

typedef struct sla_output {
    sla_decision *decisions;
    size_t ndecisions, decisions_cap;
    sla_upsert *upserts;
    size_t nupserts, upserts_cap;
    char **removed;         /* owned state fields (as upserts) */
    size_t *removed_len;
    size_t nremoved, removed_cap;
    sla_outcome *outcomes;  /* each ends with the state (upsert/removal) that records it */
    size_t noutcomes, outcomes_cap;
} sla_output;

void sla_output_init(sla_output *out);
/* Free everything in out and empty it (it stays usable). */
void sla_output_clear(sla_output *out);

/*
 * The fields of the escalations-stream record of d, as field/value pairs
 * (SPEC section 5): id kind ticket metric policy level receiver deadline_ms
 * fired_ms late_ms cycle, then the ticket's attributes; a customer's has
 * `customer` where a ticket's has `ticket`. Numbers are
 * formatted into scratch (at least 256 bytes). Returns the number of pairs
 * written to fields (at most max), borrowing from d and scratch.
 */
/* Room sla_decision_fields() needs: fixed fields plus every attribute. */
#define SLA_DECISION_FIXED_FIELDS 11
#define SLA_DECISION_MAX_FIELDS (SLA_DECISION_FIXED_FIELDS + SLA_EVENT_MAX_FIELDS)
#define SLA_DECISION_SCRATCH 256

size_t sla_decision_fields(const sla_decision *d, sla_field *fields, size_t max, char *scratch,
                           size_t scratch_len);
const char *sla_decision_kind_name(int kind);

enum sla_apply_result {
    SLA_APPLIED = 0,
    SLA_APPLY_DUPLICATE = 1,      /* entry id not newer than the ticket's last */
    SLA_APPLY_UNKNOWN_TICKET = 2, /* event for a ticket not open; counted, ignored */
};

typedef struct sla_engine_stats {
    uint64_t events[SLA_EV_TYPE_COUNT];
    uint64_t duplicates;
    uint64_t unknown_ticket;
    uint64_t ts_clamped;
    uint64_t warnings[SLA_METRIC_COUNT];
    uint64_t breaches[SLA_METRIC_COUNT];
    uint64_t escalations[SLA_METRIC_COUNT];
    uint64_t recovered[SLA_METRIC_COUNT];
    uint64_t open_tickets;
    uint64_t open_customers;
    uint64_t running_clocks[SLA_METRIC_COUNT];
} sla_engine_stats;

/*
 * A new engine using cfg (borrowed), its time at now_ms: nothing fires
 * until it is advanced, and whatever a restored ticket had due at or
 * before now_ms fires at the first advance. A daemon that restores state
 * and then catches up on its input starts it at 0, so that only its
 * advances (to the input's watermark) decide what is due. NULL on OOM.
 */
sla_engine *sla_engine_new(const sla_config *cfg, int64_t now_ms);
void sla_engine_free(sla_engine *e);

/*
 * Free e a slice at a time, for a caller that must not be held for the
 * whole engine (an event loop dropping a partition of a million tickets):
 * each call does at most `budget` units of work (0 counts as 1) and
 * returns 0: first the tickets, a slot of the ticket table a unit (a slot
 * holds at most one ticket), then the decisions, records and outcomes not
 * collected, one a unit, then the arrays that held them, an element a
 * unit; the call that finishes frees the fixed rest (timer wheel, policy
 * matcher) and returns 1: e is then gone. Between the first call and the last, e may be
 * given to sla_engine_free_step() and sla_engine_free() only (which
 * finishes the job at once). sla_engine_free(e) is
 * sla_engine_free_step(e, SIZE_MAX). NULL: 1.
 */
int sla_engine_free_step(sla_engine *e, size_t budget);

/*
 * Apply one valid event carried by stream entry `entry` (may be NULL for
 * events without one, e.g. in tests). A `ts` more than
 * cfg->stream.max_future_skew_ms ahead of now_ms is clamped to now_ms and
 * counted in stats.ts_clamped (callers do not clamp). Returns enum
 * sla_apply_result.
 */
int sla_engine_apply(sla_engine *e, const sla_event *ev, const sla_streamid *entry,
                     int64_t now_ms);

/* Acknowledge a breach (slactl ack): metric -1 = every clock. What of the
 * ticket fell due up to the engine's horizon (its last advance) fires
 * first. `by` (NUL-terminated, may be NULL) and now_ms are kept in each
 * acknowledged clock's breach memo, so in the ticket's record (see
 * memo_ack for how `by` is made safe). Returns the number of clocks
 * acknowledged, -1 for an unknown ticket. */
int sla_engine_ack(sla_engine *e, const char *ticket, size_t len, int metric, const char *by,
                   int64_t now_ms);

/* The same for a customer's clocks (subject SLA_SUBJECT_CUSTOMER, its
 * plain id) or a ticket's. */
int sla_engine_ack_subject(sla_engine *e, int subject, const char *id, size_t len, int metric,
                           const char *by, int64_t now_ms);

/* Room for an engine id: a plain id and the customer prefix. */
#define SLA_SUBJECT_KEY_MAX (SLA_TICKET_MAX_LEN + SLA_CUSTOMER_KEY_PREFIX_LEN)

/*
 * Fire everything due at or before upto_ms (the horizon: how far the input
 * has been applied, sla_watermark.h; clamped to now_ms), with fired_ms =
 * now_ms. The horizon never goes back: an earlier upto_ms than a previous
 * one fires nothing new.
 */
void sla_engine_advance_to(sla_engine *e, int64_t upto_ms, int64_t now_ms);
/* sla_engine_advance_to(e, now_ms, now_ms): for callers whose input is
 * always applied up to now (tests, benchmarks). */
void sla_engine_advance(sla_engine *e, int64_t now_ms);

/* When advance should next be called; INT64_MAX when nothing is pending. */
int64_t sla_engine_next_wakeup(const sla_engine *e);

/*
 * Move decisions, outcomes and changed state made since the last collect
 * into out (appending). An outcome always comes with the ticket's upsert or
 * removal that makes its end durable: written together, a restarted
 * engine never ends (and counts) that cycle again. The caller must make them durable together, applying
 * `removed` before `upserts`: a ticket closed and opened again between two
 * collects appears in both, and its upsert is the newer state.
 */
void sla_engine_collect(sla_engine *e, sla_output *out);

/*
 * Restore one ticket from its record (as produced in sla_upsert). Clocks
 * are re-matched against the current configuration. Restoring a ticket
 * already present replaces it (so a field seen twice by HSCAN is
 * harmless). Returns 0, or -1 for a corrupt record (the ticket is skipped).
 */
int sla_engine_restore(sla_engine *e, const char *ticket, size_t len, const unsigned char *rec,
                       size_t rec_len, int64_t now_ms);

/*
 * Switch to a new configuration: every open ticket is re-matched, running
 * clocks keep their start and get the new targets. The old configuration
 * may be freed after this returns.
 *
 * The re-match is deferred so that a reload costs O(1) here rather than a
 * pass over every ticket: a ticket is re-matched before anything reads or
 * moves its clocks (an event, a firing, an ack, sla_engine_ticket_info),
 * and the rest by sla_engine_rematch_step, which the caller runs in slices
 * until it returns 1. Queries (sla_engine_list_step,
 * sla_engine_scan_breached) re-match the tickets they read. A
 * ticket's timer set under the old policies fires no decision: the ticket
 * is re-matched and its timer set again. A set_config while a re-match is
 * under way first finishes it in one go.
 */
void sla_engine_set_config(sla_engine *e, const sla_config *cfg, int64_t now_ms);

/*
 * Re-match the tickets of at least `slots` more table slots (SIZE_MAX: all)
 * after sla_engine_set_config. Returns 1 once every ticket is matched
 * under the current configuration, else 0.
 */
int sla_engine_rematch_step(sla_engine *e, size_t slots);
/* Tickets not yet re-matched. */
size_t sla_engine_rematch_pending(const sla_engine *e);

void sla_engine_get_stats(const sla_engine *e, sla_engine_stats *out);

/*
 * Where the bytes of open subjects of one kind go (what bench_engine
 * prints): sums over every open subject of that kind of the parts of its
 * allocation, as requested from malloc (malloc's own rounding and header
 * not counted), and the engine's index. O(open subjects): not for the
 * daemon's hot path.
 */
typedef struct sla_engine_footprint {
    size_t subjects;
    size_t header;        /* the fixed part of each record (sizeof sla_ticket) */
    size_t clocks;        /* bytes of clocks: 16 per slot, less when packed at rest */
    size_t slots;         /* clock slots allocated */
    size_t slots_idle;    /* of which never started */
    size_t packed;        /* subjects whose clocks are packed (sla_clockpack.h) */
    size_t id;            /* ids with their prefix and NUL */
    size_t attrs;         /* compact attributes */
    size_t memos;         /* breach memos */
    size_t index;         /* the id table's share: its slots x this kind's part */
} sla_engine_footprint;

void sla_engine_get_footprint(const sla_engine *e, int subject, sla_engine_footprint *out);

/*
 * Whether customers rest with their clocks packed (the default, 1), or
 * keep them wide as tickets do (0: the representation before packing,
 * for tests and benchmarks that compare the two). Changing it repacks
 * nobody: it applies to subjects as they next come to rest.
 */
void sla_engine_set_packing(sla_engine *e, int on);

/* ------------------------------------------------------------- queries --
 * Read-only views for the control socket. Strings borrowed from the engine
 * or its configuration stay valid until the next call that changes the
 * engine (apply, advance, restore, set_config, free).
 */

#define SLA_NOTIFIED_MAX 16

typedef struct sla_clock_info {
    int metric;
    int state;            /* enum sla_clock_state (sla_ticket.h): 1 running, 2 paused, 3 met, 4 stopped */
    const char *state_name; /* "running", "paused", "met", "stopped" */
    uint32_t cycle;
    int policy;           /* index into cfg->policies, -1 when none */
    const char *policy_name; /* "" when none */
    int64_t deadline_ms;  /* running clocks; INT64_MAX when it has none (paused, met...) */
    int64_t elapsed_ms;   /* business time accrued so far */
    int fired;            /* ladder firings this cycle: 0 none, 1 breach, 2.. escalations */
    int warned, acked;
    int64_t acked_ms;     /* when acknowledged; 0 when not, or not known (older record) */
    const char *acked_by; /* who acknowledged, "" when not known; borrowed */
    /* Receivers told of this cycle's breach and escalations, as they were
     * told (by name, each once, in the order told, at most
     * SLA_NOTIFIED_MAX: later ones are not remembered); borrowed. */
    const char *notified[SLA_NOTIFIED_MAX];
    int nnotified;
    int64_t breach_deadline_ms; /* the deadline this cycle's breach had; 0 before one */
} sla_clock_info;

/*
 * The ticket's attributes (packed, sla_attrs) and every clock that ever
 * started, in metric order. Returns the number of clocks written to out
 * (at most SLA_METRIC_COUNT), or -1 for an unknown ticket.
 */
int sla_engine_ticket_info(sla_engine *e, const char *ticket, size_t len, int64_t now_ms,
                           sla_clock_info out[SLA_METRIC_COUNT], const char **attrs,
                           size_t *attrs_len);
/* The same for a subject of either kind by its plain id. */
int sla_engine_subject_info(sla_engine *e, int subject, const char *id, size_t len,
                            int64_t now_ms, sla_clock_info out[SLA_METRIC_COUNT],
                            const char **attrs, size_t *attrs_len);

typedef struct sla_due_item {
    const char *ticket;   /* borrowed */
    int metric;
    int64_t deadline_ms;
    int fired;            /* ladder firings so far (0: not breached yet) */
    int acked;
    int policy;           /* index into cfg->policies, -1 when none */
    int subject;          /* enum sla_subject; ticket is its plain id */
    const char *policy_name; /* "" when none; borrowed (sla_listquery copies it) */
} sla_due_item;

/*
 * Running clocks, soonest deadline first, gathered into q
 * (sla_listquery.h), a slice at a time: with q->breached == 0 those whose
 * breach is not recorded yet and whose deadline is within q->within_ms of
 * q->now_ms (any when < 0; a deadline past but not yet fired, while input
 * is caught up, is listed here, overdue); with q->breached == 1 those whose
 * breach was recorded and that are not met.
 *
 * Each call reads at least `slots` slots of the ticket table (about
 * 1.3 slots per open ticket) and returns 0 while more remain, 1 once the
 * query is complete (sorted: sla_listquery_items); with q->subject >= 0
 * only the clocks of that kind of subject are listed. Between calls the
 * engine may change freely: a ticket unchanged meanwhile is read exactly
 * once; a ticket that changes is read in one of its states. When the table
 * grew, the query starts over by itself. A ticket not yet re-matched after
 * a reload is re-matched as it is read (sla_engine_set_config), and each
 * item keeps its policy's name, so a query spans reloads. slots = SIZE_MAX
 * answers in one call.
 */
typedef struct sla_listquery sla_listquery;
int sla_engine_list_step(sla_engine *e, sla_listquery *q, size_t slots);

/*
 * A scan of the breached clocks in slices, for callers that must not hold
 * their loop through a pass over every ticket: each call reads at least
 * `slots` more slots of the ticket table (sla_tickettable_walk) and calls
 * fn for every clock there that is breached now (fired, running or
 * paused, not acknowledged), with its ticket id, cycle and the memo of the
 * receivers told (strings borrowed for the call). Returns 1 once the scan
 * is complete, else 0. The cursor starts reset (sla_tickettable_cursor_reset
 * or zeroed). A ticket present for the whole scan is seen exactly once,
 * whatever is removed or inserted between calls; if the table grows
 * meanwhile, the scan starts over and fn may see a clock twice.
 */
typedef struct sla_breached_clock {
    const char *ticket;
    int metric;
    uint32_t cycle;
    int fired;
    int64_t breach_deadline_ms;
    const char *notified[SLA_NOTIFIED_MAX];
    int nnotified;
    int subject;          /* enum sla_subject; ticket is its plain id */
} sla_breached_clock;

typedef void sla_breached_fn(const sla_breached_clock *bc, void *arg);
int sla_engine_scan_breached(sla_engine *e, sla_tickettable_cursor *cur, size_t slots,
                             sla_breached_fn *fn, void *arg);

#endif
