/*
 * sla_engine — tickets, clocks and decisions. See sla_engine.h for the
 * contract; this comment explains how it is met.
 *
 * Clocks. Each ticket has one sla_clock per metric (sla_ticket.h). A
 * running clock's deadline is derived, never stored:
 *
 *   wall clock:  deadline = resume + max(0, target - elapsed)
 *   calendar:    T = business length of the target measured from resume
 *                deadline = calendar_add(resume, max(0, T - elapsed))
 *   absolute:    deadline = resume (callback `due`, abandoned call)
 *
 * so pausing (elapsed += business time since resume), resuming (resume =
 * now) and re-matching a policy (a new target) are O(1) updates followed by
 * one reschedule. A clock resumed after its target ran out has no time
 * left: its deadline is the resume (or the next working instant), and
 * its ladder continues from there, not from a deadline in the past.
 *
 * The deadline is the last instant at which the promise is kept: a clock
 * met at or before it is met on time.
 *
 * Actions. A running clock's next action is, in order, its warning (once
 * per cycle), then ladder firing number `fired` at deadline + step delay,
 * at least 1 ms after the deadline (the last step repeating every `repeat`
 * up to max_repeats), unless acknowledged. Firing k is level k + 1 of the
 * record: 1 is the breach, 2.. escalations. The ticket's single timer sits
 * at the earliest action of all its clocks; when it pops, ticket_run()
 * performs every action due and re-arms it. Cost per pop: O(clocks),
 * calendar arithmetic included.
 *
 * Policies and attributes. The configuration's policies are compiled into
 * an sla_matcher (built again by set_config): one walk of a ticket's
 * compact attributes per resolution, and a cache keyed by the values the
 * conditions look at. An event's attributes merge straight into the
 * compact form in the scratch buffer (sla_attrpack_merge, no allocation);
 * one that repeats what the ticket has is recognised without merging.
 *
 * Who hears of a recovery. A clock's first firing of a cycle leaves a
 * breach memo in the ticket's allocation (sla_ticket.h): the breach's
 * deadline and, by name, whom it and the escalations after it told. A
 * `recovered` notice goes to them, with that deadline, however the
 * ticket's policy or the configuration changed since; the memo counts the
 * recoveries so that each has ids of its own, and a new cycle clears it. A
 * memo created or grown reallocates the ticket, so ticket_run(), do_fire()
 * and apply_effect() return the ticket's address, which callers must use.
 *
 * Lives. A ticket's generation (the ts of the event that opened it) enters
 * every decision id, so a ticket id reused after ticket.closed decides new
 * ids; a ticket restored from a version-1 record has none and keeps the
 * ids it had.
 *
 * Outcomes. A cycle ends in clock_end(), the one place that turns a live
 * clock into met or stopped, and leaves an outcome (sla_outcome) for the
 * reports; the ticket is dirty (or removed) in the same output, so the end
 * and the state that says it happened are written together and a replay
 * of the entry finds the clock already ended. A resolution that ended once
 * sets the ticket's resolution_ended: met again after a reopen, it is the
 * same cycle and leaves no second outcome.
 *
 * Subjects at rest. Between two calls that touch it, a customer keeps its
 * clocks packed (sla_clockpack.h: 2 or 3 bytes a clock instead of 16 while
 * it counts from the signing or to a date of its attributes; a signed
 * customer's five in 12 bytes). Every engine entry point that
 * writes a subject (apply, ack, advance, restore, the re-match after a
 * reload) widens it first (ticket_widen: a new allocation with the 16-byte
 * clocks, which the engine reads and writes in place as before) and
 * packs it again when done (ticket_rest); readers (queries, collect)
 * widen a copy into the engine's view buffer (ticket_view) and leave the
 * subject as it is. Both moves go through ticket_moved like any other.
 * The packing is lossless, so deadlines and records are what the wide
 * clocks give. Tickets stay wide: their clocks act every few minutes and
 * they hold one or two, where a customer's act every few days or months.
 *
 * Durability. Every change marks the ticket dirty (an O(1) list with a
 * back-index in the ticket); decisions are buffered; collect() hands both
 * out together, so the caller can write decisions and the ticket states
 * that say "fired" in one transaction.
 */
#include "sla_engine.h"
#include "sla_listquery.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_attrpack.h"
#include "sla_attrs.h"
#include "sla_calendar.h"
#include "sla_clockpack.h"
#include "sla_matcher.h"
#include "sla_policy.h"
#include "sla_record.h"
#include "sla_ticket.h"
#include "sla_textwidth.h"
#include "sla_tickettable.h"
#include "sla_timefmt.h"
#include "sla_timerwheel.h"

_Static_assert(SLA_NOTIFIED_MAX == SLA_MEMO_MAX_RECEIVERS, "a clock's notified list is its memo");

/*
 * For the functions that may move a ticket (a memo grew): a caller that
 * drops the address they return keeps using freed memory, so the compiler
 * is asked to refuse that.
 */
#define MOVES_TICKET __attribute__((warn_unused_result))

#define TICKET_OF_TIMER(tm) ((sla_ticket *)((char *)(tm) - offsetof(sla_ticket, timer)))
#define MAX_FIRINGS 255

/* The kind of t, its metrics [M_FIRST(t), M_END(t)), metric m's slot. */
#define KIND(t) ((t)->customer ? SLA_SUBJECT_CUSTOMER : SLA_SUBJECT_TICKET)
#define M_FIRST(t) sla_subject_first_metric(KIND(t))
#define M_END(t) sla_subject_end_metric(KIND(t))
#define SLOT(t, m) ((m) - M_FIRST(t))
#define FOR_METRICS(t, m) for (int m = M_FIRST(t); m < M_END(t); m++)

/*
 * The clock of metric m, or a shared idle clock when the ticket holds no
 * slot for m (not its kind's metric, or none some policy defined). The idle
 * clock is never written: every writer first checks that the clock is
 * live, or (clock_start) that the slot exists.
 */
static sla_clock idle_clock;
static inline sla_clock *tclock(const sla_ticket *t, int m)
{
    if (t->packed)
        abort(); /* widen first (ticket_widen, ticket_view) */
    int k = SLOT(t, m);
    if (k < 0 || k >= SLA_SUBJECT_SLOTS || t->slot[k] == SLA_SLOT_NONE)
        return &idle_clock;
    return (sla_clock *)&t->clocks[t->slot[k]];
}

/* Clock m's breach memo (sla_ticket.h, by slot). */
static inline int tmemo(const sla_ticket *t, int m, sla_memo *out)
{
    return sla_ticket_memo(t, SLOT(t, m), out);
}
static inline size_t tmemo_offset(const sla_ticket *t, int m)
{
    return sla_ticket_memo_offset(t, SLOT(t, m));
}
#define MEMO_BIT(t, m) (1u << SLOT(t, m))
#define MEMOS_USED(t) sla_ticket_memo_offset(t, SLA_SUBJECT_SLOTS)

/* Is this engine id (a state field) a customer's? */
static int key_is_customer(const char *id, size_t len)
{
    return len > SLA_CUSTOMER_KEY_PREFIX_LEN &&
           memcmp(id, SLA_CUSTOMER_KEY_PREFIX, SLA_CUSTOMER_KEY_PREFIX_LEN) == 0;
}

/* The subject's own id: the engine id without a customer's prefix. */
static const char *subject_id(const sla_ticket *t, size_t *len)
{
    size_t skip = t->customer ? SLA_CUSTOMER_KEY_PREFIX_LEN : 0;
    *len = t->id_len - skip;
    return sla_ticket_id(t) + skip;
}

/* The engine id of (subject, id) into buf (SLA_SUBJECT_KEY_MAX); its length. */
static size_t subject_key(int subject, const char *id, size_t len, char *buf)
{
    if (subject != SLA_SUBJECT_CUSTOMER) {
        memcpy(buf, id, len);
        return len;
    }
    memcpy(buf, SLA_CUSTOMER_KEY_PREFIX, SLA_CUSTOMER_KEY_PREFIX_LEN);
    memcpy(buf + SLA_CUSTOMER_KEY_PREFIX_LEN, id, len);
    return len + SLA_CUSTOMER_KEY_PREFIX_LEN;
}

struct sla_engine {
    const sla_config *cfg;
    sla_tickettable tickets;
    sla_timerwheel *wheel;
    sla_ticket **dirty;        /* tickets changed since the last collect */
    size_t ndirty, dirty_cap;
    sla_output pending;        /* decisions and removals since the last collect */
    sla_matcher *matcher;      /* cfg's policies compiled; NULL (out of memory in
                                  set_config): sla_policy_resolve, the same rules */
    char *scratch;             /* SLA_ATTRPACK_MAX bytes: plain attributes for
                                  queries, merged compact attributes in apply */
    EVP_MD *sha256;            /* decision ids: fetched at the first, not per id */
    EVP_MD_CTX *digest;
    sla_engine_stats stats;
    /* Re-matching after set_config, a slice at a time: a ticket whose
     * cfg_parity differs from the engine's was matched under the previous
     * configuration; `stale` counts them. */
    unsigned cfg_parity;
    size_t stale;
    int64_t rematch_ms;        /* set_config's time: clocks it stops end then */
    sla_tickettable_cursor rematch;
    int pack;                  /* customers rest packed (sla_engine_set_packing) */
    sla_ticket *view;          /* a packed subject widened for reading (ticket_view) */
    size_t view_cap;
    size_t free_pos;           /* sla_engine_free_step: the next slot to free */
};

/* ------------------------------------------------------------------ output */

void sla_output_init(sla_output *out) { memset(out, 0, sizeof *out); }

void sla_output_clear(sla_output *out)
{
    for (size_t i = 0; i < out->ndecisions; i++) {
        sla_decision *d = &out->decisions[i];
        free(d->ticket);
        free(d->policy);
        free(d->receiver);
        free(d->attrs);
    }
    for (size_t i = 0; i < out->nupserts; i++) {
        free(out->upserts[i].ticket);
        free(out->upserts[i].record);
    }
    for (size_t i = 0; i < out->nremoved; i++)
        free(out->removed[i]);
    for (size_t i = 0; i < out->noutcomes; i++)
        free(out->outcomes[i].policy);
    free(out->outcomes);
    free(out->decisions);
    free(out->upserts);
    free(out->removed);
    free(out->removed_len);
    sla_output_init(out);
}

static void *grow_array(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(arr, ncap * elem);
    if (!n)
        abort(); /* out of memory: nothing sensible to decide without state */
    *cap = ncap;
    return n;
}

static char *dup_bytes(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (!d)
        abort();
    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

const char *sla_outcome_kind_name(int kind)
{
    static const char *const names[] = {"met", "late", "stopped", "breached", "csat"};
    return kind >= 0 && kind < SLA_OUTCOME_COUNT ? names[kind] : NULL;
}

const char *sla_decision_kind_name(int kind)
{
    static const char *const names[] = {"warning", "breach", "escalation", "recovered"};
    return kind >= 0 && kind <= SLA_DECISION_RECOVERED ? names[kind] : NULL;
}

size_t sla_decision_fields(const sla_decision *d, sla_field *fields, size_t max, char *scratch,
                           size_t scratch_len)
{
    size_t n = 0;
    char *s = scratch, *end = scratch + scratch_len;
#define ADD(k, v, vl)                                                                 \
    do {                                                                              \
        if (n < max)                                                                  \
            fields[n++] = (sla_field){(k), strlen(k), (v), (vl)};                     \
    } while (0)
#define ADD_STR(k, v) ADD(k, v, strlen(v))
#define ADD_NUM(k, fmt, v)                                                            \
    do {                                                                              \
        int len_ = snprintf(s, (size_t)(end - s), fmt, v);                            \
        if (len_ > 0 && s + len_ < end) {                                             \
            ADD(k, s, (size_t)len_);                                                  \
            s += len_ + 1;                                                            \
        }                                                                             \
    } while (0)
    ADD_STR("id", d->id);
    ADD_STR("kind", sla_decision_kind_name(d->kind));
    ADD_STR(d->subject == SLA_SUBJECT_CUSTOMER ? "customer" : "ticket", d->ticket);
    ADD_STR("metric", sla_metric_name(d->metric));
    ADD_STR("policy", d->policy);
    ADD_NUM("level", "%d", d->level);
    ADD_STR("receiver", d->receiver);
    ADD_NUM("deadline_ms", "%lld", (long long)d->deadline_ms);
    ADD_NUM("fired_ms", "%lld", (long long)d->fired_ms);
    ADD_NUM("late_ms", "%lld", (long long)d->late_ms);
    ADD_NUM("cycle", "%u", (unsigned)d->cycle);
    size_t pos = 0;
    const char *k, *v;
    while (sla_attrs_next(d->attrs, d->attrs_len, &pos, &k, &v)) {
        /* An attribute never shadows a record field of the same name. */
        int reserved = 0;
        for (size_t i = 0; i < SLA_DECISION_FIXED_FIELDS && i < n; i++)
            if (strcmp(fields[i].key, k) == 0)
                reserved = 1;
        if (!reserved)
            ADD_STR(k, v);
    }
#undef ADD
#undef ADD_STR
#undef ADD_NUM
    return n;
}

/* ------------------------------------------------------------------ dirty */

static void mark_dirty(sla_engine *e, sla_ticket *t)
{
    if (t->dirty_pos)
        return;
    e->dirty = grow_array(e->dirty, &e->dirty_cap, e->ndirty + 1, sizeof *e->dirty);
    e->dirty[e->ndirty++] = t;
    t->dirty_pos = (uint32_t)e->ndirty;
}

static void unmark_dirty(sla_engine *e, sla_ticket *t)
{
    if (!t->dirty_pos)
        return;
    size_t i = t->dirty_pos - 1;
    e->dirty[i] = e->dirty[--e->ndirty];
    if (i < e->ndirty)
        e->dirty[i]->dirty_pos = (uint32_t)(i + 1);
    t->dirty_pos = 0;
}

/* ------------------------------------------------------------------ clocks */

static const sla_target *clock_target(const sla_engine *e, const sla_clock *c, int m)
{
    if (c->policy == SLA_POLICY_NONE || c->policy >= e->cfg->npolicies)
        return NULL;
    const sla_target *tg = &e->cfg->policies[c->policy].metrics[m];
    return tg->defined ? tg : NULL;
}

static const sla_calendar *target_calendar(const sla_engine *e, const sla_target *tg)
{
    if (!tg || tg->calendar < 0 || (size_t)tg->calendar >= e->cfg->ncalendars)
        return NULL;
    return e->cfg->calendars[tg->calendar];
}

/*
 * A reminder's deadline: its date (resume_ms) minus the lead, counted in
 * calendar days (24 h each) whatever the calendar; with a calendar, a
 * deadline outside working time moves back to the last working instant
 * before it (within the 14 days before), so that the reminder is still due
 * at least the lead ahead of the date, in working time.
 */
static const sla_target *clock_target(const sla_engine *e, const sla_clock *c, int m);
static const sla_calendar *target_calendar(const sla_engine *e, const sla_target *tg);
static int64_t ahead_deadline(const sla_engine *e, const sla_clock *c, int m,
                              int64_t *business_total)
{
    if (business_total)
        *business_total = 0;
    const sla_target *tg = clock_target(e, c, m);
    if (!tg)
        return INT64_MAX;
    int64_t d = (int64_t)c->resume_ms - sla_span_plain_ms(&tg->target, 0);
    const sla_calendar *cal = target_calendar(e, tg);
    if (!cal || sla_calendar_is_working(cal, d))
        return d;
    int64_t from = d - INT64_C(14) * 86400000;
    int64_t worked = sla_calendar_elapsed(cal, from, d);
    return worked > 0 ? sla_calendar_add_ms(cal, from, worked - 1) : d;
}

/* The span a running clock must meet, or NULL for an absolute deadline. */
static const sla_span *clock_span(const sla_engine *e, const sla_clock *c, int m)
{
    switch (c->source) {
    case SLA_TARGET_REVISIT_SATISFIED:
        return &e->cfg->revisit[SLA_REVISIT_SATISFIED];
    case SLA_TARGET_REVISIT_AVERAGE:
        return &e->cfg->revisit[SLA_REVISIT_AVERAGE];
    case SLA_TARGET_REVISIT_UNSATISFIED:
        return &e->cfg->revisit[SLA_REVISIT_UNSATISFIED];
    case SLA_TARGET_POLICY: {
        const sla_target *tg = clock_target(e, c, m);
        return tg ? &tg->target : NULL;
    }
    default:
        return NULL;
    }
}

/* Business time accrued by clock c by instant t. */
static int64_t clock_elapsed_at(const sla_engine *e, const sla_clock *c, int m, int64_t t)
{
    if (c->source == SLA_TARGET_AHEAD)
        return 0; /* elapsed_ms holds the date last reminded (customer_reminder) */
    int64_t el = (int64_t)c->elapsed_ms;
    if (c->state != SLA_CLOCK_RUNNING || t <= (int64_t)c->resume_ms)
        return el;
    const sla_calendar *cal = target_calendar(e, clock_target(e, c, m));
    return el + (cal ? sla_calendar_elapsed(cal, (int64_t)c->resume_ms, t)
                     : t - (int64_t)c->resume_ms);
}

/*
 * Deadline of a running clock and, through *business_total, the target's
 * length in its own time base (for warn percentages); INT64_MAX when the
 * clock has no target.
 */
static int64_t clock_deadline(const sla_engine *e, const sla_clock *c, int m,
                              int64_t *business_total)
{
    int64_t resume = (int64_t)c->resume_ms, elapsed = (int64_t)c->elapsed_ms;
    if (c->source == SLA_TARGET_ABSOLUTE) {
        if (business_total)
            *business_total = 0;
        return resume;
    }
    if (c->source == SLA_TARGET_AHEAD)
        return ahead_deadline(e, c, m, business_total);
    const sla_span *span = clock_span(e, c, m);
    if (!span)
        return INT64_MAX;
    const sla_calendar *cal = target_calendar(e, clock_target(e, c, m));
    if (!cal) {
        int64_t total = sla_span_plain_ms(span, e->cfg->ring_ms);
        if (business_total)
            *business_total = total;
        return resume + (total > elapsed ? total - elapsed : 0);
    }
    int64_t end = sla_calendar_deadline(cal, resume, span, e->cfg->ring_ms);
    if (end == INT64_MAX)
        return INT64_MAX;
    if (elapsed == 0 && !business_total)
        return end;
    int64_t total = sla_calendar_elapsed(cal, resume, end);
    if (business_total)
        *business_total = total;
    if (elapsed == 0)
        return end;
    return sla_calendar_add_ms(cal, resume, total > elapsed ? total - elapsed : 0);
}

/* The ladder step of firing k, or NULL past the end of the ladder. */
static const sla_step *firing_step(const sla_target *tg, int k, int64_t *delay)
{
    if (!tg || tg->nsteps == 0) {
        *delay = 0;
        return NULL;
    }
    if ((size_t)k < tg->nsteps) {
        *delay = sla_span_plain_ms(&tg->steps[k].after, 0);
        return &tg->steps[k];
    }
    const sla_step *last = &tg->steps[tg->nsteps - 1];
    int rep = k - (int)tg->nsteps + 1;
    if (sla_span_is_zero(&last->repeat) || (last->max_repeats > 0 && rep > last->max_repeats))
        return NULL;
    *delay = sla_span_plain_ms(&last->after, 0) + rep * sla_span_plain_ms(&last->repeat, 0);
    return last;
}

/*
 * When a ladder firing `delay` after the deadline is due. The deadline is
 * the last instant at which the promise is kept (a reply at the deadline
 * is on time), so even a step with no delay fires 1 ms after it.
 */
static int64_t firing_due(int64_t deadline, int64_t delay)
{
    return deadline + (delay > 0 ? delay : 1);
}

/* Is firing k possible at all? (A ladderless target fires once: the breach.) */
static int firing_exists(const sla_target *tg, int k, int64_t *delay)
{
    if (k >= MAX_FIRINGS)
        return 0;
    if (!tg || tg->nsteps == 0) {
        *delay = 0;
        return k == 0;
    }
    return firing_step(tg, k, delay) != NULL;
}

enum action { ACT_NONE, ACT_WARN, ACT_FIRE };

/* When clock m of t acts next and what it does; INT64_MAX when never. */
static int64_t clock_next_action(const sla_engine *e, const sla_clock *c, int m,
                                 enum action *what, int64_t *deadline_out)
{
    *what = ACT_NONE;
    if (c->state != SLA_CLOCK_RUNNING)
        return INT64_MAX;
    const sla_target *tg = clock_target(e, c, m);
    int warn_wanted = tg && !c->warned && c->fired == 0 &&
                      (tg->warn_percent > 0 || !sla_span_is_zero(&tg->warn_before));
    int64_t total = 0;
    int64_t deadline = clock_deadline(e, c, m, warn_wanted ? &total : NULL);
    *deadline_out = deadline;
    if (deadline == INT64_MAX)
        return INT64_MAX;
    int64_t best = INT64_MAX;
    if (warn_wanted && (c->source == SLA_TARGET_ABSOLUTE || c->source == SLA_TARGET_AHEAD)) {
        int64_t before = sla_span_plain_ms(&tg->warn_before, 0);
        if (before > 0 && deadline - before < deadline) {
            best = deadline - before;
            *what = ACT_WARN;
        }
    } else if (warn_wanted) {
        int64_t before = tg->warn_percent > 0 ? total - total * tg->warn_percent / 100
                                              : sla_span_plain_ms(&tg->warn_before, 0);
        int64_t at_business = total - before; /* business time into the clock */
        const sla_calendar *cal = target_calendar(e, tg);
        int64_t at;
        if (at_business <= (int64_t)c->elapsed_ms)
            at = INT64_MIN; /* passed while paused or at start: warn now */
        else if (cal)
            at = sla_calendar_add_ms(cal, (int64_t)c->resume_ms,
                                     at_business - (int64_t)c->elapsed_ms);
        else
            at = (int64_t)c->resume_ms + at_business - (int64_t)c->elapsed_ms;
        if (before > 0 && at < deadline) {
            best = at == INT64_MIN ? (int64_t)c->resume_ms : at;
            *what = ACT_WARN;
        }
    }
    int64_t delay;
    if (!c->acked && firing_exists(tg, c->fired, &delay) && firing_due(deadline, delay) < best) {
        best = firing_due(deadline, delay);
        *what = ACT_FIRE;
    }
    return best;
}

/* ---------------------------------------------------------------- decisions */

/* Append text, then the unit separator 0x1f, to the hash input. */
static char *id_part(char *p, const char *end, const char *text)
{
    size_t n = strlen(text);
    if (n > (size_t)(end - p) - 1)
        n = (size_t)(end - p) - 1;
    memcpy(p, text, n);
    p[n] = '\x1f';
    return p + n + 1;
}

static char *id_number(char *p, const char *end, uint64_t v)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (end - p < n + 1)
        return p;
    while (n)
        *p++ = digits[--n];
    *p++ = '\x1f';
    return p;
}

/* A number marked with a one-letter tag, so that optional fields differ. */
static char *id_tagged(char *p, const char *end, char tag, uint64_t v)
{
    if (end - p < 2)
        return p;
    *p++ = tag;
    return id_number(p, end, v);
}

/*
 * The stable id of a decision: "esc_" and the first 128 bits of SHA-256
 * over (ticket, metric, cycle, level, receiver, recovered?), fields
 * separated by 0x1f, which none of them may contain, followed by two
 * tagged fields present only when non-zero, so that the ids decided before
 * they existed stay the same:
 *   "r<n>"  the recovery: the n-th recovered notice of this cycle after
 *           the first (a clock met, reopened, met again);
 *   "g<ms>" the ticket's generation (sla_ticket.h): a ticket id opened
 *           again after ticket.closed is a new life with new ids;
 *   "s<k>"  the subject's kind when it is not a ticket (a customer: 1);
 *           its metrics differ from a ticket's too.
 */
static void decision_id(sla_engine *e, sla_decision *d, uint64_t generation, uint32_t recovery)
{
    static const char hex[] = "0123456789abcdef";
    char buf[SLA_TICKET_MAX_LEN + 256];
    const char *end = buf + sizeof buf;
    char *p = id_part(buf, end, d->ticket);
    p = id_part(p, end, sla_metric_name(d->metric));
    p = id_number(p, end, d->cycle);
    p = id_number(p, end, (unsigned long)d->level);
    p = id_part(p, end, d->receiver);
    p = id_part(p, end, d->kind == SLA_DECISION_RECOVERED ? "recovered" : "");
    if (recovery)
        p = id_tagged(p, end, 'r', recovery);
    if (generation)
        p = id_tagged(p, end, 'g', generation);
    if (d->subject != SLA_SUBJECT_TICKET)
        p = id_tagged(p, end, 's', (uint64_t)d->subject);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!e->sha256)
        e->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!e->digest)
        e->digest = EVP_MD_CTX_new();
    if (!e->sha256 || !e->digest || !EVP_DigestInit_ex(e->digest, e->sha256, NULL) ||
        !EVP_DigestUpdate(e->digest, buf, (size_t)(p - buf - 1)) ||
        !EVP_DigestFinal_ex(e->digest, md, &mdlen))
        abort(); /* out of memory, or no SHA-256: no id, no decision */
    memcpy(d->id, "esc_", 4);
    for (int i = 0; i < 16; i++) {
        d->id[4 + 2 * i] = hex[md[i] >> 4];
        d->id[5 + 2 * i] = hex[md[i] & 15];
    }
    d->id[36] = '\0';
}

/* One decision into the pending output; recovery: see decision_id(). */
static void emit(sla_engine *e, const sla_ticket *t, enum sla_decision_kind kind, int m,
                 const sla_clock *c, int level, const char *receiver, int64_t deadline,
                 int64_t action_at, int64_t now, uint32_t recovery)
{
    sla_output *o = &e->pending;
    o->decisions =
        grow_array(o->decisions, &o->decisions_cap, o->ndecisions + 1, sizeof *o->decisions);
    sla_decision *d = &o->decisions[o->ndecisions++];
    memset(d, 0, sizeof *d);
    d->kind = kind;
    size_t idlen;
    const char *id = subject_id(t, &idlen);
    d->ticket = dup_bytes(id, idlen);
    d->subject = KIND(t);
    d->metric = m;
    d->cycle = (uint32_t)c->cycle;
    d->level = level;
    const char *pname = c->policy < e->cfg->npolicies ? e->cfg->policies[c->policy].name : "";
    d->policy = dup_bytes(pname, strlen(pname));
    d->receiver = dup_bytes(receiver, strlen(receiver));
    d->deadline_ms = deadline;
    d->fired_ms = now;
    d->late_ms = now > action_at ? now - action_at : 0;
    d->attrs_len = sla_attrpack_plain_size(sla_ticket_attrs(t), t->attrs_len);
    d->attrs = malloc(d->attrs_len + 1);
    if (!d->attrs)
        abort();
    sla_attrpack_expand(sla_ticket_attrs(t), t->attrs_len, d->attrs);
    d->attrs[d->attrs_len] = '\0';
    decision_id(e, d, t->generation, recovery);
    switch (kind) {
    case SLA_DECISION_WARNING: e->stats.warnings[m]++; break;
    case SLA_DECISION_BREACH: e->stats.breaches[m]++; break;
    case SLA_DECISION_ESCALATION: e->stats.escalations[m]++; break;
    case SLA_DECISION_RECOVERED: e->stats.recovered[m]++; break;
    }
}

static const char *receiver_name(const sla_engine *e, int idx)
{
    return idx >= 0 && (size_t)idx < e->cfg->nreceivers ? e->cfg->receivers[idx].name : "";
}

static void emit_to(sla_engine *e, const sla_ticket *t, enum sla_decision_kind kind, int m,
                    const sla_clock *c, int level, const int *rcv, size_t nrcv, int64_t deadline,
                    int64_t action_at, int64_t now)
{
    if (nrcv == 0) {
        emit(e, t, kind, m, c, level, "", deadline, action_at, now, 0);
        return;
    }
    for (size_t i = 0; i < nrcv; i++)
        emit(e, t, kind, m, c, level, receiver_name(e, rcv[i]), deadline, action_at, now, 0);
}

/* One outcome into the pending output: policy and the ticket's plain
 * attributes in one allocation. */
static void outcome(sla_engine *e, const sla_ticket *t, enum sla_outcome_kind kind, int m,
                    int policy, int64_t at, int64_t taken, int satisfaction)
{
    sla_output *o = &e->pending;
    o->outcomes =
        grow_array(o->outcomes, &o->outcomes_cap, o->noutcomes + 1, sizeof *o->outcomes);
    sla_outcome *oc = &o->outcomes[o->noutcomes++];
    const char *pname =
        policy != SLA_POLICY_NONE && (size_t)policy < e->cfg->npolicies ? e->cfg->policies[policy].name : "";
    size_t plen = strlen(pname);
    oc->kind = kind;
    oc->metric = m;
    oc->attrs_len = sla_attrpack_plain_size(sla_ticket_attrs(t), t->attrs_len);
    oc->policy = malloc(plen + 1 + oc->attrs_len + 1);
    if (!oc->policy)
        abort();
    memcpy(oc->policy, pname, plen + 1);
    oc->attrs = oc->policy + plen + 1;
    sla_attrpack_expand(sla_ticket_attrs(t), t->attrs_len, oc->attrs);
    oc->attrs[oc->attrs_len] = '\0';
    oc->at_ms = at;
    oc->taken_ms = taken;
    oc->satisfaction = satisfaction;
}

static void do_warn(sla_engine *e, sla_ticket *t, int m, int64_t deadline, int64_t at,
                    int64_t now)
{
    sla_clock *c = tclock(t, m);
    const sla_target *tg = clock_target(e, c, m);
    c->warned = 1;
    if (tg)
        emit_to(e, t, SLA_DECISION_WARNING, m, c, 0, tg->warn_notify, tg->nwarn_notify, deadline,
                at, now);
}

static MOVES_TICKET sla_ticket *memo_note(sla_engine *e, sla_ticket *t, int m,
                                          int64_t deadline, const int *rcv, size_t nrcv);

/* Ladder firing number `fired` of clock m. Returns t, which may have moved
 * (its memo grew). */
static MOVES_TICKET sla_ticket *do_fire(sla_engine *e, sla_ticket *t, int m, int64_t deadline,
                                        int64_t at, int64_t now)
{
    sla_clock *c = tclock(t, m);
    const sla_target *tg = clock_target(e, c, m);
    int k = c->fired;
    int64_t delay;
    const sla_step *st = firing_step(tg, k, &delay);
    c->fired = k + 1;
    enum sla_decision_kind kind = k == 0 ? SLA_DECISION_BREACH : SLA_DECISION_ESCALATION;
    emit_to(e, t, kind, m, c, k + 1, st ? st->notify : NULL, st ? st->nnotify : 0, deadline,
            at, now);
    return memo_note(e, t, m, deadline, st ? st->notify : NULL, st ? st->nnotify : 0);
}

/*
 * Everyone told of this cycle's breach hears it was met after all, with
 * the breach's deadline, as the clock's memo remembers them; nobody told
 * (a ladder without receivers) is one notice for receiver "". Each
 * recovery of a cycle counts in the memo and so has ids of its own.
 */
static void do_recovered(sla_engine *e, sla_ticket *t, int m, int64_t now)
{
    sla_clock *c = tclock(t, m);
    const sla_target *tg = clock_target(e, c, m);
    sla_memo mm;
    if (!tg || !tg->recovered || c->fired == 0 || !tmemo(t, m, &mm))
        return;
    const char *name = mm.receivers;
    for (unsigned i = 0; i < mm.nreceivers; i++, name += strlen(name) + 1)
        emit(e, t, SLA_DECISION_RECOVERED, m, c, c->fired, name, mm.deadline_ms, now, now,
             mm.recoveries);
    if (mm.nreceivers == 0)
        emit(e, t, SLA_DECISION_RECOVERED, m, c, c->fired, "", mm.deadline_ms, now, now,
             mm.recoveries);
    uint32_t next = mm.recoveries + (mm.recoveries < UINT32_MAX);
    memcpy(sla_ticket_memos(t) + tmemo_offset(t, m) + 8, &next, sizeof next);
}

/* Perform every action of t due at or before upto. Returns t, which may
 * have moved (do_fire). */
static MOVES_TICKET sla_ticket *ticket_run(sla_engine *e, sla_ticket *t, int64_t upto,
                                           int64_t now)
{
    FOR_METRICS(t, m) {
        for (int guard = 0; guard < 2 * MAX_FIRINGS + 2; guard++) {
            enum action what;
            int64_t deadline;
            int64_t at = clock_next_action(e, tclock(t, m), m, &what, &deadline);
            if (what == ACT_NONE || at > upto)
                break;
            if (what == ACT_WARN)
                do_warn(e, t, m, deadline, at, now);
            else
                t = do_fire(e, t, m, deadline, at, now);
            mark_dirty(e, t);
        }
    }
    return t;
}

static void ticket_reschedule(sla_engine *e, sla_ticket *t)
{
    int64_t best = INT64_MAX;
    FOR_METRICS(t, m) {
        enum action what;
        int64_t deadline;
        int64_t at = clock_next_action(e, tclock(t, m), m, &what, &deadline);
        if (at < best)
            best = at;
    }
    if (best == INT64_MAX)
        sla_timerwheel_cancel(e->wheel, &t->timer);
    else
        sla_timerwheel_schedule(e->wheel, &t->timer, best);
}

/* --------------------------------------------------------- clock lifecycle */

static void set_state(sla_engine *e, sla_clock *c, int m, enum sla_clock_state s)
{
    if (c->state == SLA_CLOCK_RUNNING || c->state == SLA_CLOCK_PAUSED)
        e->stats.running_clocks[m]--;
    if (s == SLA_CLOCK_RUNNING || s == SLA_CLOCK_PAUSED)
        e->stats.running_clocks[m]++;
    c->state = s;
}

static int is_live(const sla_clock *c)
{
    return c->state == SLA_CLOCK_RUNNING || c->state == SLA_CLOCK_PAUSED;
}

static int64_t clamp48(int64_t ms)
{
    if (ms < 0)
        return 0;
    if (ms >= (1LL << 48))
        return (1LL << 48) - 1;
    return ms;
}

/* Write a memo's head: no acknowledgement, no `by`, no receivers yet. */
static void memo_head(char *memo, int64_t deadline, uint32_t recoveries, unsigned nreceivers)
{
    int64_t none = 0;
    memcpy(memo, &deadline, 8);
    memcpy(memo + 8, &recoveries, 4);
    memcpy(memo + SLA_MEMO_ACKED_AT, &none, 8);
    memo[SLA_MEMO_BY_SIZE_AT] = 0;
    memo[SLA_MEMO_N_AT] = (char)nreceivers;
}

/* A new cycle forgets the last one's memo, in place (no move). */
static void memo_clear(sla_ticket *t, int m)
{
    sla_memo mm;
    if (!tmemo(t, m, &mm))
        return;
    char *base = sla_ticket_memos(t);
    size_t off = tmemo_offset(t, m), used = MEMOS_USED(t);
    memmove(base + off, base + off + mm.size, used - off - mm.size);
    t->memo_mask &= (uint8_t)~MEMO_BIT(t, m);
}

static void clock_end(sla_engine *e, sla_ticket *t, int m, int64_t ts, enum sla_clock_state to,
                      int count);

/*
 * Start a new cycle of clock m at ts. A policy-driven clock starts only
 * when some policy defines the metric for this ticket. Returns 1 if started.
 */
static int clock_start(sla_engine *e, sla_ticket *t, int m, int64_t ts,
                       enum sla_target_source src, const unsigned char policies[SLA_METRIC_COUNT])
{
    if (tclock(t, m) == &idle_clock)
        return 0; /* no policy defined it when the ticket was shaped */
    sla_clock *c = tclock(t, m);
    if (src != SLA_TARGET_ABSOLUTE && policies[m] == SLA_POLICY_NONE)
        return 0;
    /* A new update period meets the last one; a callback rescheduled
     * stops the one it replaces. */
    clock_end(e, t, m, ts, m == SLA_METRIC_PERIODIC_UPDATE ? SLA_CLOCK_MET : SLA_CLOCK_STOPPED, 1);
    set_state(e, c, m, SLA_CLOCK_RUNNING);
    memo_clear(t, m);
    c->cycle = c->cycle + 1;
    c->resume_ms = (uint64_t)clamp48(ts);
    c->elapsed_ms = 0;
    c->warned = 0;
    c->acked = 0;
    c->fired = 0;
    c->source = src;
    c->policy = policies[m];
    return 1;
}

static void clock_pause(sla_engine *e, sla_ticket *t, int m, int64_t ts)
{
    sla_clock *c = tclock(t, m);
    if (c->state != SLA_CLOCK_RUNNING || c->source == SLA_TARGET_ABSOLUTE ||
        c->source == SLA_TARGET_AHEAD)
        return;
    int64_t el = clock_elapsed_at(e, c, m, ts);
    c->elapsed_ms = (uint64_t)(el < (1LL << 40) ? el : (1LL << 40) - 1);
    set_state(e, c, m, SLA_CLOCK_PAUSED);
}

static void clock_resume(sla_engine *e, sla_ticket *t, int m, int64_t ts)
{
    sla_clock *c = tclock(t, m);
    if (c->state != SLA_CLOCK_PAUSED && c->state != SLA_CLOCK_MET)
        return;
    c->resume_ms = (uint64_t)clamp48(ts);
    set_state(e, c, m, SLA_CLOCK_RUNNING);
}

/*
 * End the live cycle of clock m at ts: met (the promise kept, maybe late)
 * or stopped unmet. The outcome is counted unless `count` is 0 (a ticket
 * replaced by its stored state) or the resolution already ended once.
 */
static void clock_end(sla_engine *e, sla_ticket *t, int m, int64_t ts, enum sla_clock_state to,
                      int count)
{
    sla_clock *c = tclock(t, m);
    if (!is_live(c))
        return;
    int64_t taken = c->source == SLA_TARGET_ABSOLUTE ? -1 : clock_elapsed_at(e, c, m, ts);
    if (to == SLA_CLOCK_MET)
        clock_pause(e, t, m, ts);
    set_state(e, c, m, to);
    if (m == SLA_METRIC_RESOLUTION) {
        if (t->resolution_ended)
            return;
        t->resolution_ended = 1;
    }
    if (count) {
        enum sla_outcome_kind k = to == SLA_CLOCK_MET ? (c->fired ? SLA_OUTCOME_LATE : SLA_OUTCOME_MET)
                                                      : (c->fired ? SLA_OUTCOME_BREACHED
                                                                  : SLA_OUTCOME_STOPPED);
        outcome(e, t, k, m, c->policy, ts, taken, 0);
    }
}

/* The promise is kept (maybe late): stop the ladder, tell who was told. */
static void clock_meet(sla_engine *e, sla_ticket *t, int m, int64_t ts, int64_t now)
{
    if (!is_live(tclock(t, m)))
        return;
    clock_end(e, t, m, ts, SLA_CLOCK_MET, 1);
    do_recovered(e, t, m, now);
}

static void clock_stop(sla_engine *e, sla_ticket *t, int m, int64_t ts)
{
    clock_end(e, t, m, ts, SLA_CLOCK_STOPPED, 1);
}

/* ----------------------------------------------------------------- tickets */

/* The metrics some policy defines, from a resolved policy vector. */
static unsigned mask_of(const unsigned char pol[SLA_METRIC_COUNT])
{
    unsigned mask = 0;
    for (int m = 0; m < SLA_METRIC_COUNT; m++)
        if (pol[m] != SLA_POLICY_NONE)
            mask |= 1u << m;
    return mask;
}

/*
 * A new ticket record with clock slots for the metrics of `mask` (bit m:
 * metric m; those of another kind ignored) and for every slot `old` has
 * (whose clocks, generation and memos are copied), the id (a customer's
 * with its prefix: the kind follows from it), the compact attributes, and
 * memo_room bytes of room after the memos.
 */
static sla_ticket *ticket_alloc(const sla_ticket *old, const char *id, size_t id_len,
                                unsigned mask, const char *attrs, size_t attrs_len,
                                size_t memo_room)
{
    int customer = key_is_customer(id, id_len);
    unsigned slots = (mask >> sla_subject_first_metric(customer)) &
                     ((1u << SLA_SUBJECT_SLOTS) - 1);
    if (!customer)
        slots &= (1u << SLA_CUSTOMER_METRIC_FIRST) - 1;
    int n = 0;
    for (int k = 0; k < SLA_SUBJECT_SLOTS; k++) {
        if (old && old->slot[k] != SLA_SLOT_NONE)
            slots |= 1u << k;
        n += (slots >> k) & 1;
    }
    size_t memos = old ? MEMOS_USED(old) : 0;
    sla_ticket *t = calloc(1, sla_ticket_size((size_t)n, id_len, attrs_len) + memos + memo_room);
    if (!t)
        abort();
    sla_timer_init(&t->timer);
    t->nclocks = (uint8_t)n & 15;
    t->customer = (uint8_t)customer & 1;
    t->id_len = (uint8_t)id_len;
    t->attrs_len = (uint16_t)attrs_len;
    for (int m = 0, k = 0; m < SLA_SUBJECT_SLOTS; m++) {
        t->slot[m] = SLA_SLOT_NONE;
        if (!(slots & (1u << m)))
            continue;
        t->slot[m] = (uint8_t)k;
        if (old && old->slot[m] != SLA_SLOT_NONE)
            t->clocks[k] = old->clocks[old->slot[m]];
        else
            t->clocks[k].policy = SLA_POLICY_NONE;
        k++;
    }
    memcpy(sla_ticket_id(t), id, id_len);
    sla_ticket_id(t)[id_len] = '\0';
    if (attrs_len)
        memcpy(sla_ticket_attrs(t), attrs, attrs_len);
    if (old) {
        t->last_ms = old->last_ms;
        t->last_seq = old->last_seq;
        t->resolved = old->resolved;
        t->resolution_ended = old->resolution_ended;
        t->generation = old->generation;
        t->dirty_pos = old->dirty_pos;
        t->cfg_parity = old->cfg_parity;
        t->memo_mask = old->memo_mask;
        if (memos)
            memcpy(sla_ticket_memos(t), sla_ticket_memos(old), memos);
    }
    return t;
}

static sla_ticket *ticket_new(sla_engine *e, const char *id, size_t len, const char *attrs,
                              size_t attrs_len, unsigned mask, size_t memo_room)
{
    sla_ticket *t = ticket_alloc(NULL, id, len, mask, attrs, attrs_len, memo_room);
    t->cfg_parity = e->cfg_parity & 1u;
    if (sla_tickettable_insert(&e->tickets, t) < 0)
        abort();
    if (t->customer)
        e->stats.open_customers++;
    else
        e->stats.open_tickets++;
    return t;
}

/*
 * The ticket that lived at address `was` lives at n now, its timer not
 * pending (the wheel links to the address): the index and the dirty list
 * follow, and the timer is scheduled again when `pending`.
 */
static void ticket_moved(sla_engine *e, uintptr_t was, sla_ticket *n, int pending, int64_t when)
{
    if ((uintptr_t)n != was) {
        sla_tickettable_moved(&e->tickets, was, n);
        if (n->dirty_pos)
            e->dirty[n->dirty_pos - 1] = n;
    }
    if (pending)
        sla_timerwheel_schedule(e->wheel, &n->timer, when);
}

/* ------------------------------------------------------ subjects at rest */

/* Bytes after the clocks: the id and its NUL, the attributes, the memos. */
static size_t ticket_tail(const sla_ticket *t)
{
    return t->id_len + 1u + t->attrs_len + MEMOS_USED(t);
}

/* Packed t, widened into w (room for sla_ticket_size and the memos). */
static void widen_into(const sla_ticket *t, sla_ticket *w)
{
    const unsigned char *pk = (const unsigned char *)t->clocks;
    size_t tail = ticket_tail(t);
    memcpy(w, t, sizeof *t);
    w->packed = 0;
    if (sla_clockpack_decode(pk + 1, pk[0], t->nclocks, t->generation, sla_ticket_attrs(t),
                             t->attrs_len, w->clocks) < 0)
        abort(); /* packed by ticket_rest: cannot happen */
    memcpy(sla_ticket_id(w), sla_ticket_id(t), tail);
}

/*
 * t with its clocks wide, where the engine may read and write them: t
 * itself when they are, else a new allocation (t is freed). Returns the
 * ticket's address.
 */
static MOVES_TICKET sla_ticket *ticket_widen(sla_engine *e, sla_ticket *t)
{
    if (!t->packed)
        return t;
    sla_ticket *n = malloc(sla_ticket_size(t->nclocks, 0, 0) + ticket_tail(t));
    if (!n)
        abort();
    int pending = sla_timer_pending(&t->timer);
    sla_timerwheel_cancel(e->wheel, &t->timer);
    widen_into(t, n);
    ticket_moved(e, (uintptr_t)t, n, pending, t->timer.when);
    free(t);
    return n;
}

/*
 * t at rest: a customer's clocks packed into a new allocation when that
 * is smaller (t is freed), anything else as it is. Returns the ticket's
 * address.
 */
static MOVES_TICKET sla_ticket *ticket_rest(sla_engine *e, sla_ticket *t)
{
    if (t->packed || !t->customer || !e->pack)
        return t;
    size_t pk = sla_clockpack_size(t->clocks, t->nclocks, t->generation, sla_ticket_attrs(t),
                                   t->attrs_len);
    if (pk > 255 || 1 + pk >= t->nclocks * sizeof(sla_clock))
        return t;
    size_t tail = ticket_tail(t);
    sla_ticket *n = malloc(sizeof *t + 1 + pk + tail);
    if (!n)
        abort();
    int pending = sla_timer_pending(&t->timer);
    sla_timerwheel_cancel(e->wheel, &t->timer);
    memcpy(n, t, sizeof *t);
    n->packed = 1;
    unsigned char *p = (unsigned char *)n->clocks;
    p[0] = (unsigned char)pk;
    sla_clockpack_encode(t->clocks, t->nclocks, t->generation, sla_ticket_attrs(t), t->attrs_len,
                         p + 1);
    memcpy(sla_ticket_id(n), sla_ticket_id(t), tail);
    ticket_moved(e, (uintptr_t)t, n, pending, t->timer.when);
    free(t);
    return n;
}

/*
 * t to read its clocks: itself when wide, else a wide copy in the engine's
 * view buffer, valid until the next ticket_view. Nothing may be written
 * through it.
 */
static const sla_ticket *ticket_view(sla_engine *e, const sla_ticket *t)
{
    if (!t->packed)
        return t;
    size_t need = sla_ticket_size(t->nclocks, 0, 0) + ticket_tail(t);
    if (need > e->view_cap) {
        sla_ticket *v = realloc(e->view, need);
        if (!v)
            abort();
        e->view = v;
        e->view_cap = need;
    }
    widen_into(t, e->view);
    return e->view;
}

void sla_engine_set_packing(sla_engine *e, int on) { e->pack = on != 0; }

/*
 * Give t slots for `mask` and these attributes, moving it to a new
 * allocation when either changes (timer, index and dirty list follow).
 * Returns the ticket's address, which may be new: callers must use it.
 */
static MOVES_TICKET sla_ticket *ticket_reshape(sla_engine *e, sla_ticket *t, unsigned mask,
                                               const char *attrs, size_t attrs_len)
{
    unsigned have = 0;
    FOR_METRICS(t, m)
        if (tclock(t, m) != &idle_clock)
            have |= 1u << m;
    mask &= ((1u << M_END(t)) - 1) & ~((1u << M_FIRST(t)) - 1);
    if (!(mask & ~have) && attrs_len == t->attrs_len &&
        (attrs_len == 0 || memcmp(attrs, sla_ticket_attrs(t), attrs_len) == 0))
        return t;
    sla_ticket *n = ticket_alloc(t, sla_ticket_id(t), t->id_len, mask, attrs, attrs_len, 0);
    int pending = sla_timer_pending(&t->timer);
    sla_timerwheel_cancel(e->wheel, &t->timer);
    ticket_moved(e, (uintptr_t)t, n, pending, t->timer.when);
    free(t);
    return n;
}

/*
 * Grow t's memos by `grow` bytes, a gap opened at offset `at` of them,
 * with realloc, which often extends the allocation in place. Returns the
 * ticket's address.
 */
static MOVES_TICKET sla_ticket *ticket_memo_gap(sla_engine *e, sla_ticket *t, size_t at,
                                                size_t grow)
{
    size_t used = MEMOS_USED(t);
    size_t size = sla_ticket_size(t->nclocks, t->id_len, t->attrs_len) + used;
    int pending = sla_timer_pending(&t->timer);
    sla_timerwheel_cancel(e->wheel, &t->timer);
    uintptr_t was = (uintptr_t)t;
    sla_ticket *n = realloc(t, size + grow);
    if (!n)
        abort();
    ticket_moved(e, was, n, pending, n->timer.when);
    char *memos = sla_ticket_memos(n);
    memmove(memos + at + grow, memos + at, used - at);
    return n;
}

static int memo_names_have(const char *names, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++, names += strlen(names) + 1)
        if (strcmp(names, name) == 0)
            return 1;
    return 0;
}

/*
 * Note in clock m's memo that a firing told these receivers (by name, each
 * once, at most SLA_MEMO_MAX_RECEIVERS); the first firing of a cycle
 * creates the memo with the breach's deadline. Returns t, moved when the
 * memo was created or grew.
 */
static MOVES_TICKET sla_ticket *memo_note(sla_engine *e, sla_ticket *t, int m,
                                          int64_t deadline, const int *rcv, size_t nrcv)
{
    sla_memo mm = {0};
    int have = tmemo(t, m, &mm);
    const char *add[SLA_MEMO_MAX_RECEIVERS];
    unsigned nadd = 0;
    size_t bytes = have ? 0 : SLA_MEMO_HEAD;
    for (size_t i = 0; i < nrcv && mm.nreceivers + nadd < SLA_MEMO_MAX_RECEIVERS; i++) {
        const char *name = receiver_name(e, rcv[i]);
        int dup = !*name || memo_names_have(mm.receivers, mm.nreceivers, name);
        for (unsigned j = 0; j < nadd && !dup; j++)
            dup = strcmp(add[j], name) == 0;
        if (dup)
            continue;
        add[nadd++] = name;
        bytes += strlen(name) + 1;
    }
    if (have && nadd == 0)
        return t;
    size_t off = tmemo_offset(t, m);
    size_t at = have ? off + mm.size : off;
    t = ticket_memo_gap(e, t, at, bytes);
    char *memo = sla_ticket_memos(t) + off;
    if (!have) {
        memo_head(memo, deadline, 0, 0);
        at += SLA_MEMO_HEAD;
        t->memo_mask |= (uint8_t)MEMO_BIT(t, m);
    }
    char *w = sla_ticket_memos(t) + at;
    for (unsigned i = 0; i < nadd; i++) {
        size_t len = strlen(add[i]) + 1;
        memcpy(w, add[i], len);
        w += len;
    }
    memo[SLA_MEMO_N_AT] = (char)(mm.nreceivers + nadd);
    return t;
}

/*
 * Note in clock m's memo who acknowledged its breach (by, shown safely:
 * controls and invalid bytes as '?', cut to SLA_MEMO_BY_MAX bytes; NULL or
 * "" for nobody named) and when. A clock that fired always has a memo; the
 * first acknowledgement of a cycle is the one kept. Returns t, moved when
 * the memo grew.
 */
static MOVES_TICKET sla_ticket *memo_ack(sla_engine *e, sla_ticket *t, int m, const char *by,
                                         size_t by_len, int64_t at)
{
    sla_memo mm;
    if (!tmemo(t, m, &mm) || mm.acked_ms != 0 || mm.by[0])
        return t;
    char who[SLA_MEMO_BY_MAX + 1] = "";
    if (by && by_len)
        sla_text_fit(by, by_len, SLA_TEXT_UNLIMITED, who, sizeof who);
    size_t size = who[0] ? strlen(who) + 1 : 0;
    size_t off = tmemo_offset(t, m);
    if (size)
        t = ticket_memo_gap(e, t, off + SLA_MEMO_HEAD, size);
    char *memo = sla_ticket_memos(t) + off;
    int64_t when = at < 1 ? 1 : clamp48(at);
    memcpy(memo + SLA_MEMO_ACKED_AT, &when, 8);
    memo[SLA_MEMO_BY_SIZE_AT] = (char)size;
    memcpy(memo + SLA_MEMO_HEAD, who, size);
    return t;
}

/* Forget t; its live clocks stop at ts, counted when `count`. */
static void ticket_free(sla_engine *e, sla_ticket *t, int64_t ts, int count)
{
    if (t->cfg_parity != e->cfg_parity)
        e->stale--;
    FOR_METRICS(t, m)
        clock_end(e, t, m, ts, SLA_CLOCK_STOPPED, count);
    sla_timerwheel_cancel(e->wheel, &t->timer);
    sla_tickettable_remove(&e->tickets, t);
    unmark_dirty(e, t);
    if (t->customer)
        e->stats.open_customers--;
    else
        e->stats.open_tickets--;
    free(t);
}

static void removed_push(sla_output *o, char *id, size_t len)
{
    if (o->nremoved == o->removed_cap) {
        size_t cap = o->removed_cap ? o->removed_cap * 2 : 16;
        char **ids = realloc(o->removed, cap * sizeof *ids);
        if (!ids)
            abort();
        o->removed = ids;
        size_t *lens = realloc(o->removed_len, cap * sizeof *lens);
        if (!lens)
            abort();
        o->removed_len = lens;
        o->removed_cap = cap;
    }
    o->removed[o->nremoved] = id;
    o->removed_len[o->nremoved] = len;
    o->nremoved++;
}

static void ticket_close(sla_engine *e, sla_ticket *t, int64_t ts)
{
    removed_push(&e->pending, dup_bytes(sla_ticket_id(t), t->id_len), t->id_len);
    ticket_free(e, t, ts, 1);
}

/* For each metric the index of the policy supplying it (sla_policy_resolve). */
static void resolve(const sla_engine *e, const char *attrs, size_t len,
                    unsigned char out[SLA_METRIC_COUNT])
{
    if (e->matcher)
        sla_matcher_resolve(e->matcher, attrs, len, out);
    else
        sla_policy_resolve(e->cfg, attrs, len, out);
}

static void ticket_policies(const sla_engine *e, const sla_ticket *t,
                            unsigned char out[SLA_METRIC_COUNT])
{
    resolve(e, sla_ticket_attrs(t), t->attrs_len, out);
}

/*
 * The event's attributes merged into the compact attributes packed[0..len)
 * (sla_attrs_merge's rules, sla_attrpack_merge): 1 with *out (the engine's
 * scratch) and *out_len set when that changes them; 0 when it does not or
 * is refused (over SLA_ATTRS_MAX: the event's attributes are then ignored).
 * An event repeating what the ticket has is recognised without writing.
 */
static int attrs_merged(sla_engine *e, const char *packed, size_t len, const sla_event *ev,
                        const char **out, size_t *out_len)
{
    if (!ev->nattrs || sla_attrpack_merge_unchanged(packed, len, ev->attrs, ev->nattrs))
        return 0;
    size_t mlen;
    if (sla_attrpack_merge(packed, len, ev->attrs, ev->nattrs, e->scratch, SLA_ATTRPACK_MAX,
                           &mlen) < 0 ||
        (mlen == len && memcmp(e->scratch, packed, len) == 0))
        return 0;
    *out = e->scratch;
    *out_len = mlen;
    return 1;
}

/*
 * Re-match every live clock's policy; a clock whose metric no policy
 * defines any more stops at ts (the ticket is then dirty: its end is
 * written with the state that records it). Running clocks keep their
 * start.
 */
static void ticket_rematch(sla_engine *e, sla_ticket *t, const unsigned char pol[SLA_METRIC_COUNT],
                           int64_t ts)
{
    FOR_METRICS(t, m) {
        sla_clock *c = tclock(t, m);
        if (c->state == SLA_CLOCK_IDLE)
            continue;
        c->policy = pol[m];
        if (is_live(c) && c->source != SLA_TARGET_ABSOLUTE && pol[m] == SLA_POLICY_NONE) {
            clock_stop(e, t, m, ts);
            mark_dirty(e, t);
        }
    }
}

static void ticket_open_clocks(sla_engine *e, sla_ticket *t, int64_t ts,
                               const unsigned char pol[SLA_METRIC_COUNT])
{
    clock_start(e, t, SLA_METRIC_FIRST_RESPONSE, ts, SLA_TARGET_POLICY, pol);
    clock_start(e, t, SLA_METRIC_RESOLUTION, ts, SLA_TARGET_POLICY, pol);
    clock_start(e, t, SLA_METRIC_PERIODIC_UPDATE, ts, SLA_TARGET_POLICY, pol);
}

/*
 * Is a ticket.pending in force? The pending event pauses the pausable
 * clocks and ticket.resumed (or reopened, for resolution) runs them again,
 * so a paused pausable clock is the trace it leaves.
 */
static int ticket_pending(const sla_engine *e, const sla_ticket *t)
{
    FOR_METRICS(t, m)
        if ((e->cfg->pausable_mask & (1u << m)) && tclock(t, m)->state == SLA_CLOCK_PAUSED)
            return 1;
    return 0;
}

/*
 * agent.reply, agent.update, ticket.reopened: periodic_update runs while
 * the ticket is not resolved, and a new update period starts now, whatever
 * became of the last one (stopped by a resolution since reopened, or never
 * started because no policy defined the metric then). Paused at once while
 * a ticket.pending is in force.
 */
static void restart_periodic(sla_engine *e, sla_ticket *t, int64_t ts,
                             const unsigned char pol[SLA_METRIC_COUNT])
{
    if (t->resolved)
        return;
    int m = SLA_METRIC_PERIODIC_UPDATE;
    int pending = ticket_pending(e, t);
    if (!clock_start(e, t, m, ts, SLA_TARGET_POLICY, pol)) {
        clock_stop(e, t, m, ts);
        return;
    }
    if (pending && (e->cfg->pausable_mask & (1u << m)))
        clock_pause(e, t, m, ts);
}

static enum sla_target_source revisit_source(int satisfaction)
{
    if (satisfaction >= 4)
        return SLA_TARGET_REVISIT_SATISFIED;
    if (satisfaction == 3)
        return SLA_TARGET_REVISIT_AVERAGE;
    return SLA_TARGET_REVISIT_UNSATISFIED;
}

/* The metrics an event of this type may start (they need a clock slot). */
static unsigned starts_mask(enum sla_event_type type)
{
    switch (type) {
    case SLA_EV_TICKET_OPENED:
        return 1u << SLA_METRIC_FIRST_RESPONSE | 1u << SLA_METRIC_RESOLUTION |
               1u << SLA_METRIC_PERIODIC_UPDATE;
    case SLA_EV_CUSTOMER_MESSAGE:
        return 1u << SLA_METRIC_FIRST_RESPONSE | 1u << SLA_METRIC_RESOLUTION |
               1u << SLA_METRIC_PERIODIC_UPDATE | 1u << SLA_METRIC_NEXT_RESPONSE;
    case SLA_EV_CALL_RINGING:
        return 1u << SLA_METRIC_FIRST_RESPONSE | 1u << SLA_METRIC_RESOLUTION |
               1u << SLA_METRIC_PERIODIC_UPDATE | 1u << SLA_METRIC_PICKUP;
    case SLA_EV_AGENT_REPLY:
    case SLA_EV_AGENT_UPDATE:
    case SLA_EV_TICKET_REOPENED:
        return 1u << SLA_METRIC_PERIODIC_UPDATE;
    case SLA_EV_TICKET_RESOLVED:
    case SLA_EV_FOLLOWUP_DONE:
        return 1u << SLA_METRIC_FOLLOW_UP;
    case SLA_EV_CALLBACK_SCHEDULED:
        return 1u << SLA_METRIC_CALLBACK;
    default:
        return 0;
    }
}

static int opens_ticket(enum sla_event_type type)
{
    return type == SLA_EV_TICKET_OPENED || type == SLA_EV_CUSTOMER_MESSAGE ||
           type == SLA_EV_CALL_RINGING;
}

/*
 * Stop the further ladder levels of every breached live clock of metric
 * (-1: all). Returns how many clocks were newly acknowledged.
 */
/* Acknowledge the breaches of t (metric -1: of every clock) at `at`, by
 * whom (may be NULL). *n: the clocks acknowledged. Returns t, which may
 * have moved (memo_ack). */
static MOVES_TICKET sla_ticket *ticket_ack(sla_engine *e, sla_ticket *t, int metric,
                                           const char *by, size_t by_len, int64_t at, int *n)
{
    *n = 0;
    FOR_METRICS(t, m) {
        sla_clock *c = tclock(t, m);
        if ((metric < 0 || metric == m) && is_live(c) && c->fired > 0 && !c->acked) {
            c->acked = 1;
            t = memo_ack(e, t, m, by, by_len, at);
            (*n)++;
        }
    }
    return t;
}

/* pol: the ticket's policies, resolved by the caller when policy_needed().
 * Returns t, which may have moved (do_fire). */
static MOVES_TICKET sla_ticket *apply_effect(sla_engine *e, sla_ticket *t, const sla_event *ev,
                                             int64_t ts, int64_t now,
                                             const unsigned char pol[SLA_METRIC_COUNT])
{
    sla_clock *c;
    switch (ev->type) {
    case SLA_EV_TICKET_OPENED:
    case SLA_EV_TICKET_UPDATED:
        /* Attributes were merged and policies re-matched by the caller; an
         * open ticket opened again is an update. */
        break;
    case SLA_EV_CUSTOMER_MESSAGE:
        if (!is_live(tclock(t, SLA_METRIC_FIRST_RESPONSE)) &&
            !is_live(tclock(t, SLA_METRIC_NEXT_RESPONSE))) {
            clock_start(e, t, SLA_METRIC_NEXT_RESPONSE, ts, SLA_TARGET_POLICY, pol);
        }
        break;
    case SLA_EV_AGENT_REPLY:
        clock_meet(e, t, SLA_METRIC_FIRST_RESPONSE, ts, now);
        clock_meet(e, t, SLA_METRIC_NEXT_RESPONSE, ts, now);
        restart_periodic(e, t, ts, pol);
        break;
    case SLA_EV_AGENT_UPDATE:
        restart_periodic(e, t, ts, pol);
        break;
    case SLA_EV_CALL_RINGING:
        if (!is_live(tclock(t, SLA_METRIC_PICKUP))) {
            clock_start(e, t, SLA_METRIC_PICKUP, ts, SLA_TARGET_POLICY, pol);
        }
        break;
    case SLA_EV_CALL_ANSWERED:
        clock_meet(e, t, SLA_METRIC_PICKUP, ts, now);
        break;
    case SLA_EV_CALL_ABANDONED:
        /* Hung up before the target: a breach at once, then the call is over. */
        c = tclock(t, SLA_METRIC_PICKUP);
        if (c->state == SLA_CLOCK_RUNNING) {
            if (c->fired == 0)
                t = do_fire(e, t, SLA_METRIC_PICKUP, ts, ts, now);
            clock_stop(e, t, SLA_METRIC_PICKUP, ts);
        }
        break;
    case SLA_EV_TICKET_PENDING:
        for (int m = 0; m < SLA_METRIC_COUNT; m++)
            if (e->cfg->pausable_mask & (1u << m))
                clock_pause(e, t, m, ts);
        break;
    case SLA_EV_TICKET_RESUMED:
        for (int m = 0; m < SLA_METRIC_COUNT; m++)
            if ((e->cfg->pausable_mask & (1u << m)) && tclock(t, m)->state == SLA_CLOCK_PAUSED)
                clock_resume(e, t, m, ts);
        break;
    case SLA_EV_TICKET_RESOLVED:
        t->resolved = 1;
        clock_meet(e, t, SLA_METRIC_RESOLUTION, ts, now);
        clock_stop(e, t, SLA_METRIC_FIRST_RESPONSE, ts);
        clock_stop(e, t, SLA_METRIC_NEXT_RESPONSE, ts);
        clock_stop(e, t, SLA_METRIC_PERIODIC_UPDATE, ts);
        if (!is_live(tclock(t, SLA_METRIC_FOLLOW_UP))) {
            clock_start(e, t, SLA_METRIC_FOLLOW_UP, ts, SLA_TARGET_POLICY, pol);
        }
        break;
    case SLA_EV_TICKET_REOPENED:
        t->resolved = 0;
        if (tclock(t, SLA_METRIC_RESOLUTION)->state == SLA_CLOCK_MET)
            clock_resume(e, t, SLA_METRIC_RESOLUTION, ts);
        clock_stop(e, t, SLA_METRIC_FOLLOW_UP, ts);
        restart_periodic(e, t, ts, pol);
        break;
    case SLA_EV_FOLLOWUP_DONE:
        clock_meet(e, t, SLA_METRIC_FOLLOW_UP, ts, now);
        if (ev->satisfaction > 0) {
            outcome(e, t, SLA_OUTCOME_CSAT, SLA_METRIC_FOLLOW_UP, pol[SLA_METRIC_FOLLOW_UP], ts,
                    -1, ev->satisfaction);
            clock_start(e, t, SLA_METRIC_FOLLOW_UP, ts, revisit_source(ev->satisfaction), pol);
        }
        break;
    case SLA_EV_CALLBACK_SCHEDULED:
        clock_stop(e, t, SLA_METRIC_CALLBACK, ts); /* the call it replaces ends now */
        clock_start(e, t, SLA_METRIC_CALLBACK, ev->due_ms, SLA_TARGET_ABSOLUTE, pol);
        break;
    case SLA_EV_CALLBACK_DONE:
        clock_meet(e, t, SLA_METRIC_CALLBACK, ts, now);
        break;
    case SLA_EV_ESCALATION_ACK: {
        int n;
        t = ticket_ack(e, t, ev->metric, ev->by, ev->by_len, ts, &n);
        break;
    }
    case SLA_EV_TICKET_CLOSED:
    default: /* a customer's (customer_effect) */
        break;
    }
    return t;
}

/* ---------------------------------------------------------------- customers
 *
 * A customer's clocks (sla_metric.h), all policy targets:
 *   first_revisit, second_revisit  start at customer.signed (onboarding);
 *       a revisit done meets the first while it runs, else the second;
 *   revisit   the recurring revisit: runs once no onboarding clock does
 *       (from the revisit that ended the onboarding, or from the opening
 *       event of a customer without one); each revisit done meets it and
 *       starts the next cycle at the revisit's ts, so the cadence never
 *       drifts and a missed revisit is one cycle that escalates along its
 *       ladder until the next revisit, never a pile of overdue cycles;
 *   review, survey   recurring likewise, from the opening event, restarted
 *       by customer.reviewed / customer.surveyed;
 *   reminder  ahead of a date (SLA_TARGET_AHEAD): the earliest of the
 *       customer's contract_end, renewal, upgrade after the event (and
 *       after the date last reminded), met by customer.reminded.
 * A tier (or any attribute) that changes re-matches the policies: running
 * clocks keep their start and take the new target, as a ticket's do.
 */

static int customer_onboarding(const sla_ticket *t)
{
    return is_live(tclock(t, SLA_METRIC_FIRST_REVISIT)) ||
           is_live(tclock(t, SLA_METRIC_SECOND_REVISIT));
}

/* The recurring clocks run from ts unless running already (or, for the
 * revisit, while the onboarding runs). */
static void customer_recurring(sla_engine *e, sla_ticket *t, int64_t ts,
                               const unsigned char pol[SLA_METRIC_COUNT])
{
    static const int recurring[] = {SLA_METRIC_REVISIT, SLA_METRIC_REVIEW, SLA_METRIC_SURVEY};
    for (size_t i = 0; i < sizeof recurring / sizeof recurring[0]; i++) {
        int m = recurring[i];
        if (is_live(tclock(t, m)) || (m == SLA_METRIC_REVISIT && customer_onboarding(t)))
            continue;
        clock_start(e, t, m, ts, SLA_TARGET_POLICY, pol);
    }
}

/* Met, and the next cycle counted from the same instant. */
static void customer_restart(sla_engine *e, sla_ticket *t, int m, int64_t ts, int64_t now,
                             const unsigned char pol[SLA_METRIC_COUNT])
{
    clock_meet(e, t, m, ts, now);
    clock_start(e, t, m, ts, SLA_TARGET_POLICY, pol);
}

static const char *const reminder_dates[] = {"contract_end", "renewal", "upgrade"};

/*
 * The reminder follows the earliest date after max(ts, the date last
 * reminded); a reminder running for it already is left alone, one for
 * another date starts a new cycle; with no such date it is left as it is.
 * The date last reminded is the date of a met reminder; a reminder that
 * moved on to a later date keeps it in elapsed_ms (unused by a lead), as
 * how long before its own date it lies (0: none, or 34 years and more).
 */
static void customer_reminder(sla_engine *e, sla_ticket *t, int64_t ts,
                              const unsigned char pol[SLA_METRIC_COUNT])
{
    int m = SLA_METRIC_REMINDER;
    sla_clock *c = tclock(t, m);
    int64_t reminded = 0;
    if (c->state == SLA_CLOCK_MET)
        reminded = (int64_t)c->resume_ms;
    else if (is_live(c) && c->elapsed_ms)
        reminded = (int64_t)c->resume_ms - (int64_t)c->elapsed_ms;
    int64_t floor = reminded > ts ? reminded : ts;
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < sizeof reminder_dates / sizeof reminder_dates[0]; i++) {
        const char *v = sla_attrpack_get(sla_ticket_attrs(t), t->attrs_len, reminder_dates[i],
                                         strlen(reminder_dates[i]));
        int64_t d;
        if (v && sla_time_parse(v, strlen(v), &d) == 0 && d > floor && d < next)
            next = d;
    }
    if (next == INT64_MAX || (is_live(c) && (int64_t)c->resume_ms == clamp48(next)))
        return;
    clock_stop(e, t, m, ts); /* the reminder of another date ends now */
    if (clock_start(e, t, m, next, SLA_TARGET_AHEAD, pol) && reminded > 0 &&
        (int64_t)c->resume_ms - reminded < (INT64_C(1) << 40))
        c->elapsed_ms = (uint64_t)((int64_t)c->resume_ms - reminded);
}

static void customer_open_clocks(sla_engine *e, sla_ticket *t, const sla_event *ev, int64_t ts,
                                 const unsigned char pol[SLA_METRIC_COUNT])
{
    if (ev->type == SLA_EV_CUSTOMER_SIGNED) {
        clock_start(e, t, SLA_METRIC_FIRST_REVISIT, ts, SLA_TARGET_POLICY, pol);
        clock_start(e, t, SLA_METRIC_SECOND_REVISIT, ts, SLA_TARGET_POLICY, pol);
    }
    customer_recurring(e, t, ts, pol);
    customer_reminder(e, t, ts, pol);
}

static MOVES_TICKET sla_ticket *customer_effect(sla_engine *e, sla_ticket *t,
                                                const sla_event *ev, int64_t ts, int64_t now,
                                                const unsigned char pol[SLA_METRIC_COUNT])
{
    switch (ev->type) {
    case SLA_EV_CUSTOMER_REVISITED:
        if (is_live(tclock(t, SLA_METRIC_FIRST_REVISIT))) {
            clock_meet(e, t, SLA_METRIC_FIRST_REVISIT, ts, now);
        } else if (is_live(tclock(t, SLA_METRIC_SECOND_REVISIT))) {
            clock_meet(e, t, SLA_METRIC_SECOND_REVISIT, ts, now);
        } else {
            customer_restart(e, t, SLA_METRIC_REVISIT, ts, now, pol);
        }
        customer_recurring(e, t, ts, pol);
        break;
    case SLA_EV_CUSTOMER_REVIEWED:
        customer_restart(e, t, SLA_METRIC_REVIEW, ts, now, pol);
        break;
    case SLA_EV_CUSTOMER_SURVEYED:
        customer_restart(e, t, SLA_METRIC_SURVEY, ts, now, pol);
        break;
    case SLA_EV_CUSTOMER_REMINDED:
        clock_meet(e, t, SLA_METRIC_REMINDER, ts, now);
        customer_reminder(e, t, ts, pol);
        break;
    case SLA_EV_CUSTOMER_SIGNED: /* a known customer signed again: an update */
    case SLA_EV_CUSTOMER_UPDATED:
        customer_recurring(e, t, ts, pol);
        customer_reminder(e, t, ts, pol);
        break;
    case SLA_EV_ESCALATION_ACK: {
        int n;
        t = ticket_ack(e, t, ev->metric, ev->by, ev->by_len, ts, &n);
        break;
    }
    default:
        break;
    }
    return t;
}

/* Does the customer have a date to be reminded of (customer_reminder)? */
static int has_reminder_date(const char *attrs, size_t len)
{
    for (size_t i = 0; i < sizeof reminder_dates / sizeof reminder_dates[0]; i++)
        if (sla_attrpack_get(attrs, len, reminder_dates[i], strlen(reminder_dates[i])))
            return 1;
    return 0;
}

/*
 * The customer metrics an event may start (they need a clock slot), given
 * the customer's clocks (t; NULL: the event opens the customer), the
 * metrics its policies define (defined) and its attributes after the
 * event (NULL: not known yet; with t NULL and every metric defined, an
 * upper bound: 0 for an event that starts nothing). What
 * customer_open_clocks and customer_effect can start, no more: a slot
 * costs 16 bytes for the customer's life, and the onboarding revisits
 * start only at signing, the recurring revisit only once no onboarding
 * clock runs, the reminder only for a date.
 */
static unsigned customer_starts_mask(enum sla_event_type type, const sla_ticket *t,
                                     unsigned defined, const char *attrs, size_t alen)
{
    if (attrs && !has_reminder_date(attrs, alen))
        defined &= ~(1u << SLA_METRIC_REMINDER);
    const unsigned onboarding = 1u << SLA_METRIC_FIRST_REVISIT | 1u << SLA_METRIC_SECOND_REVISIT;
    const unsigned revisit = 1u << SLA_METRIC_REVISIT;
    const unsigned recurring = revisit | 1u << SLA_METRIC_REVIEW | 1u << SLA_METRIC_SURVEY;
    const unsigned reminder = 1u << SLA_METRIC_REMINDER;
    unsigned m;
    switch (type) {
    case SLA_EV_CUSTOMER_SIGNED:
    case SLA_EV_CUSTOMER_UPDATED:
        if (!t && type == SLA_EV_CUSTOMER_SIGNED) {
            m = (onboarding | recurring | reminder) & defined;
            return m & onboarding ? m & ~revisit : m; /* the revisit waits */
        }
        m = (recurring | reminder) & defined;
        return t && customer_onboarding(t) ? m & ~revisit : m;
    case SLA_EV_CUSTOMER_REVISITED:
        m = recurring & defined;
        /* Meeting the first revisit while the second runs: onboarding goes on. */
        return t && is_live(tclock(t, SLA_METRIC_FIRST_REVISIT)) &&
                       is_live(tclock(t, SLA_METRIC_SECOND_REVISIT))
                   ? m & ~revisit
                   : m;
    case SLA_EV_CUSTOMER_REVIEWED: return 1u << SLA_METRIC_REVIEW & defined;
    case SLA_EV_CUSTOMER_SURVEYED: return 1u << SLA_METRIC_SURVEY & defined;
    case SLA_EV_CUSTOMER_REMINDED: return reminder & defined;
    default: return 0;
    }
}

static int closes(enum sla_event_type type)
{
    return type == SLA_EV_TICKET_CLOSED || type == SLA_EV_CUSTOMER_CHURNED ||
           type == SLA_EV_CUSTOMER_CLOSED;
}

/* ------------------------------------------------------------------ public */

sla_engine *sla_engine_new(const sla_config *cfg, int64_t now_ms)
{
    sla_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->cfg = cfg;
    e->wheel = sla_timerwheel_new(now_ms);
    e->matcher = sla_matcher_new(cfg);
    e->scratch = malloc(SLA_ATTRPACK_MAX);
    if (!e->wheel || !e->matcher || !e->scratch || sla_tickettable_init(&e->tickets) < 0) {
        sla_timerwheel_free(e->wheel);
        sla_matcher_free(e->matcher);
        free(e->scratch);
        free(e);
        return NULL;
    }
    sla_output_init(&e->pending);
    e->pack = 1;
    return e;
}

static void engine_free_ticket(sla_ticket *t, void *arg)
{
    (void)arg;
    free(t);
}

/* Free the last items of out, at most *budget of them (counted off it).
 * 1 once none is left. */
static int output_free_items(sla_output *out, size_t *budget)
{
    for (; *budget > 0; (*budget)--) {
        if (out->ndecisions > 0) {
            sla_decision *d = &out->decisions[--out->ndecisions];
            free(d->ticket);
            free(d->policy);
            free(d->receiver);
            free(d->attrs);
        } else if (out->nupserts > 0) {
            sla_upsert *u = &out->upserts[--out->nupserts];
            free(u->ticket);
            free(u->record);
        } else if (out->nremoved > 0) {
            free(out->removed[--out->nremoved]);
        } else if (out->noutcomes > 0) {
            free(out->outcomes[--out->noutcomes].policy);
        } else {
            return 1;
        }
    }
    return out->ndecisions + out->nupserts + out->nremoved + out->noutcomes == 0;
}

/*
 * Give back an empty array's memory by at most *budget elements (counted
 * off it): a large block freed at once returns all its pages to the
 * system in one call (milliseconds for the array of a busy day's
 * decisions), a block shrunk step by step returns a few each time. The
 * array's new address (NULL, and *cap 0, once it is freed).
 */
static void *array_shrink(void *arr, size_t *cap, size_t elem, size_t *budget)
{
    size_t n = *cap < *budget ? *cap : *budget;
    *budget -= n;
    *cap -= n;
    if (*cap == 0) {
        free(arr);
        return NULL;
    }
    void *kept = realloc(arr, *cap * elem);
    return kept ? kept : arr; /* a shrink that fails leaves the block as it was */
}

int sla_engine_free_step(sla_engine *e, size_t budget)
{
    if (!e)
        return 1;
    if (budget == 0)
        budget = 1;
    /* The tickets' timers are linked into the wheel, which is only freed
     * (never walked) below, so a ticket can go before the wheel does. */
    if (!sla_tickettable_drain(&e->tickets, &e->free_pos, budget, engine_free_ticket, NULL))
        return 0;
    /* Then what was decided and not collected, and the arrays that held
     * it and the changed tickets (kept at their largest size in between). */
    sla_output *p = &e->pending;
    if (!output_free_items(p, &budget))
        return 0;
    p->decisions = array_shrink(p->decisions, &p->decisions_cap, sizeof *p->decisions, &budget);
    p->upserts = array_shrink(p->upserts, &p->upserts_cap, sizeof *p->upserts, &budget);
    p->outcomes = array_shrink(p->outcomes, &p->outcomes_cap, sizeof *p->outcomes, &budget);
    size_t removed_cap = p->removed_cap, left = budget;
    p->removed_len = array_shrink(p->removed_len, &removed_cap, sizeof *p->removed_len, &left);
    p->removed = array_shrink(p->removed, &p->removed_cap, sizeof *p->removed, &budget);
    e->dirty = array_shrink(e->dirty, &e->dirty_cap, sizeof *e->dirty, &budget);
    if (p->decisions_cap + p->upserts_cap + p->outcomes_cap + p->removed_cap + e->dirty_cap > 0)
        return 0;
    sla_timerwheel_free(e->wheel);
    sla_matcher_free(e->matcher);
    free(e->scratch);
    free(e->view);
    EVP_MD_CTX_free(e->digest);
    EVP_MD_free(e->sha256);
    free(e);
    return 1;
}

void sla_engine_free(sla_engine *e)
{
    sla_engine_free_step(e, SIZE_MAX);
}

static MOVES_TICKET sla_ticket *ticket_fresh(sla_engine *e, sla_ticket *t); /* after a reload */

int sla_engine_apply(sla_engine *e, const sla_event *ev, const sla_streamid *entry,
                     int64_t now_ms)
{
    int64_t ts = ev->ts_ms;
    if (ts > now_ms + e->cfg->stream.max_future_skew_ms) {
        ts = now_ms;
        e->stats.ts_clamped++;
    }
    int customer = ev->subject == SLA_SUBJECT_CUSTOMER;
    char key[SLA_SUBJECT_KEY_MAX];
    size_t keylen = subject_key(ev->subject, ev->ticket, ev->ticket_len, key);
    /* Which metrics the event may start at most: for a customer, refined below. */
    unsigned starts = customer ? customer_starts_mask(ev->type, NULL, ~0u, NULL, 0)
                               : starts_mask(ev->type);
    sla_ticket *t = sla_tickettable_find(&e->tickets, key, keylen);
    if (!t) {
        int opens = customer ? ev->type == SLA_EV_CUSTOMER_SIGNED ||
                                   ev->type == SLA_EV_CUSTOMER_UPDATED
                             : opens_ticket(ev->type);
        if (!opens) {
            e->stats.unknown_ticket++;
            return SLA_APPLY_UNKNOWN_TICKET;
        }
        const char *a = "";
        size_t alen = 0;
        attrs_merged(e, "", 0, ev, &a, &alen);
        unsigned char pol[SLA_METRIC_COUNT];
        resolve(e, a, alen, pol);
        unsigned mask = customer ? customer_starts_mask(ev->type, NULL, mask_of(pol), a, alen)
                                 : mask_of(pol) & starts;
        t = ticket_new(e, key, keylen, a, alen, mask, 0);
        t->generation = (uint64_t)clamp48(ts); /* a new life of this id */
        if (customer)
            customer_open_clocks(e, t, ev, ts, pol);
        else
            ticket_open_clocks(e, t, ts, pol);
        if (ev->type == SLA_EV_CALL_RINGING)
            t = apply_effect(e, t, ev, ts, now_ms, pol);
    } else {
        if (entry && (entry->ms < t->last_ms ||
                      (entry->ms == t->last_ms && entry->seq <= t->last_seq))) {
            e->stats.duplicates++;
            return SLA_APPLY_DUPLICATE;
        }
        t = ticket_widen(e, t);
        t = ticket_fresh(e, t);
        /* Whatever fell due before this event happened comes first. */
        t = ticket_run(e, t, ts < now_ms ? ts : now_ms, now_ms);
        if (closes(ev->type)) {
            e->stats.events[ev->type]++;
            ticket_close(e, t, ts);
            return SLA_APPLIED;
        }
        /*
         * Any event may carry attributes (a new assignee on a reply); a
         * change re-matches the policies, running clocks keep their start.
         * Before the effect may start a clock, the ticket gets a slot for
         * each metric this event can start and a policy defines (clocks
         * take memory only once they run).
         */
        const char *attrs = sla_ticket_attrs(t);
        size_t alen = t->attrs_len;
        int changed = attrs_merged(e, attrs, alen, ev, &attrs, &alen);
        unsigned char pol[SLA_METRIC_COUNT];
        if (changed || starts)
            resolve(e, attrs, alen, pol);
        else
            memset(pol, SLA_POLICY_NONE, sizeof pol);
        unsigned mask = customer
                            ? customer_starts_mask(ev->type, t, mask_of(pol), attrs, alen)
                            : mask_of(pol) & starts;
        if (ev->type == SLA_EV_CALLBACK_SCHEDULED)
            mask |= 1u << SLA_METRIC_CALLBACK; /* a promise even without a policy */
        t = ticket_reshape(e, t, mask, attrs, alen);
        if (changed)
            ticket_rematch(e, t, pol, ts);
        if (customer)
            t = customer_effect(e, t, ev, ts, now_ms, pol);
        else
            t = apply_effect(e, t, ev, ts, now_ms, pol);
    }
    e->stats.events[ev->type]++;
    if (entry) {
        t->last_ms = entry->ms;
        t->last_seq = entry->seq;
    }
    mark_dirty(e, t);
    ticket_reschedule(e, t);
    t = ticket_rest(e, t);
    return SLA_APPLIED;
}

int sla_engine_ack(sla_engine *e, const char *ticket, size_t len, int metric, const char *by,
                   int64_t now_ms)
{
    return sla_engine_ack_subject(e, SLA_SUBJECT_TICKET, ticket, len, metric, by, now_ms);
}

int sla_engine_ack_subject(sla_engine *e, int subject, const char *id, size_t len, int metric,
                           const char *by, int64_t now_ms)
{
    char key[SLA_SUBJECT_KEY_MAX];
    if (len == 0 || len > SLA_TICKET_MAX_LEN)
        return -1;
    size_t keylen = subject_key(subject, id, len, key);
    sla_ticket *t = sla_tickettable_find(&e->tickets, key, keylen);
    if (!t)
        return -1;
    t = ticket_widen(e, t);
    t = ticket_fresh(e, t);
    /* Only what the engine has been advanced to may fire (the horizon). */
    int64_t horizon = sla_timerwheel_now(e->wheel);
    t = ticket_run(e, t, horizon < now_ms ? horizon : now_ms, now_ms);
    int n;
    t = ticket_ack(e, t, metric, by, by ? strlen(by) : 0, now_ms, &n);
    mark_dirty(e, t);
    ticket_reschedule(e, t);
    t = ticket_rest(e, t);
    return n;
}

void sla_engine_advance_to(sla_engine *e, int64_t upto_ms, int64_t now_ms)
{
    sla_timerwheel_advance(e->wheel, upto_ms < now_ms ? upto_ms : now_ms);
    /* The wheel never goes back: if the wall clock did, what the wheel
     * holds as due is still due, or it would be popped forever. */
    int64_t horizon = sla_timerwheel_now(e->wheel);
    if (now_ms < horizon)
        now_ms = horizon;
    sla_timer *tm;
    while ((tm = sla_timerwheel_pop(e->wheel))) {
        sla_ticket *t = TICKET_OF_TIMER(tm);
        if (t->cfg_parity != e->cfg_parity) {
            /* Matched under the old policies: its timer was too. Due
             * again at once if it still is under the new ones. */
            t = ticket_fresh(e, t);
            continue;
        }
        t = ticket_widen(e, t);
        t = ticket_run(e, t, horizon, now_ms);
        ticket_reschedule(e, t);
        t = ticket_rest(e, t);
    }
}

void sla_engine_advance(sla_engine *e, int64_t now_ms) { sla_engine_advance_to(e, now_ms, now_ms); }

int64_t sla_engine_next_wakeup(const sla_engine *e) { return sla_timerwheel_next(e->wheel); }

void sla_engine_collect(sla_engine *e, sla_output *out)
{
    sla_output *p = &e->pending;
    for (size_t i = 0; i < e->ndirty; i++) {
        sla_ticket *t = e->dirty[i];
        const sla_ticket *v = ticket_view(e, t);
        out->upserts =
            grow_array(out->upserts, &out->upserts_cap, out->nupserts + 1, sizeof *out->upserts);
        sla_upsert *u = &out->upserts[out->nupserts++];
        u->ticket = dup_bytes(sla_ticket_id(t), t->id_len);
        u->ticket_len = t->id_len;
        u->record = malloc(sla_record_max_size(v));
        if (!u->record)
            abort();
        u->record_len = sla_record_encode(v, u->record);
        t->dirty_pos = 0;
    }
    e->ndirty = 0;

    out->decisions = grow_array(out->decisions, &out->decisions_cap,
                                out->ndecisions + p->ndecisions, sizeof *out->decisions);
    if (p->ndecisions)
        memcpy(out->decisions + out->ndecisions, p->decisions,
               p->ndecisions * sizeof *p->decisions);
    out->ndecisions += p->ndecisions;
    p->ndecisions = 0;

    for (size_t i = 0; i < p->nremoved; i++)
        removed_push(out, p->removed[i], p->removed_len[i]);
    p->nremoved = 0;

    out->outcomes = grow_array(out->outcomes, &out->outcomes_cap,
                               out->noutcomes + p->noutcomes, sizeof *out->outcomes);
    if (p->noutcomes)
        memcpy(out->outcomes + out->noutcomes, p->outcomes, p->noutcomes * sizeof *p->outcomes);
    out->noutcomes += p->noutcomes;
    p->noutcomes = 0;
}

/*
 * The memo of a clock restored from a version-1 record, which fired before
 * memos were kept: the receivers of the steps fired so far in its current
 * ladder (whom `recovered` went to then) and the current deadline (0 for a
 * clock not running, whose breach deadline is not known any more).
 */
static MOVES_TICKET sla_ticket *memo_rebuild(sla_engine *e, sla_ticket *t, int m)
{
    const sla_clock *c = tclock(t, m);
    const sla_target *tg = clock_target(e, c, m);
    int fired = c->fired;
    int64_t deadline = c->state == SLA_CLOCK_RUNNING ? clock_deadline(e, c, m, NULL) : 0;
    if (deadline == INT64_MAX)
        deadline = 0;
    t = memo_note(e, t, m, deadline, NULL, 0);
    for (int k = 0; k < fired; k++) {
        int64_t delay;
        const sla_step *st = firing_step(tg, k, &delay);
        if (st)
            t = memo_note(e, t, m, deadline, st->notify, st->nnotify);
    }
    return t;
}

int sla_engine_restore(sla_engine *e, const char *ticket, size_t len, const unsigned char *rec,
                       size_t rec_len, int64_t now_ms)
{
    (void)now_ms;
    size_t idlen = key_is_customer(ticket, len) ? len - SLA_CUSTOMER_KEY_PREFIX_LEN : len;
    if (len == 0 || idlen > SLA_TICKET_MAX_LEN)
        return -1;
    if (!key_is_customer(ticket, len))
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)ticket[i] < 0x20 || ticket[i] == 0x7f)
                return -1; /* neither a ticket id nor a customer's field */
    sla_record_view v;
    if (sla_record_decode(rec, rec_len, &v) < 0 ||
        sla_attrpack_plain_size(v.attrs, v.attrs_len) > SLA_ATTRS_MAX)
        return -1;
    sla_ticket *old = sla_tickettable_find(&e->tickets, ticket, len);
    if (old)
        ticket_free(e, ticket_widen(e, old), 0, 0);
    /* The record's clocks are by slot; slot k is metric first + k. */
    int first = sla_subject_first_metric(key_is_customer(ticket, len) ? SLA_SUBJECT_CUSTOMER
                                                                       : SLA_SUBJECT_TICKET);
    int nmetrics = (first ? SLA_METRIC_COUNT : SLA_CUSTOMER_METRIC_FIRST) - first;
    unsigned mask = 0;
    size_t memo_bytes = 0;
    for (int k = 0; k < SLA_SUBJECT_SLOTS; k++) {
        if (v.clocks[k].state != SLA_CLOCK_IDLE) {
            if (k >= nmetrics)
                return -1; /* a clock of no metric of this kind */
            mask |= 1u << (first + k);
        }
        if (v.memo_mask & (1u << k)) {
            memo_bytes += SLA_MEMO_HEAD + (v.memos[k].by_len ? v.memos[k].by_len + 1u : 0);
            for (unsigned i = 0; i < v.memos[k].nreceivers; i++)
                memo_bytes += v.memos[k].name_len[i] + 1u;
        }
    }
    if (first && v.resolved)
        return -1; /* only tickets are resolved */
    sla_ticket *t = ticket_new(e, ticket, len, v.attrs, v.attrs_len, mask, memo_bytes);
    t->last_ms = v.last_ms;
    t->last_seq = v.last_seq;
    t->resolved = (uint8_t)v.resolved;
    t->resolution_ended = (uint32_t)v.resolution_ended;
    t->generation = v.generation;
    char *w = sla_ticket_memos(t);
    for (int k = 0; k < SLA_SUBJECT_SLOTS; k++) {
        const sla_record_memo *rm = &v.memos[k];
        if (!(v.memo_mask & (1u << k)))
            continue;
        memo_head(w, rm->deadline_ms, rm->recoveries, rm->nreceivers);
        memcpy(w + SLA_MEMO_ACKED_AT, &rm->acked_ms, 8);
        w[SLA_MEMO_BY_SIZE_AT] = (char)(rm->by_len ? rm->by_len + 1 : 0);
        w += SLA_MEMO_HEAD;
        if (rm->by_len) {
            memcpy(w, rm->by, rm->by_len);
            w[rm->by_len] = '\0';
            w += rm->by_len + 1;
        }
        for (unsigned i = 0; i < rm->nreceivers; i++) {
            memcpy(w, rm->names[i], rm->name_len[i]);
            w[rm->name_len[i]] = '\0';
            w += rm->name_len[i] + 1;
        }
    }
    t->memo_mask = (uint8_t)v.memo_mask;
    FOR_METRICS(t, m) {
        sla_clock *c = tclock(t, m);
        if (c == &idle_clock)
            continue;
        *c = v.clocks[SLOT(t, m)];
        c->policy = SLA_POLICY_NONE;
        if (is_live(c))
            e->stats.running_clocks[m]++;
    }
    unsigned char pol[SLA_METRIC_COUNT];
    ticket_policies(e, t, pol);
    ticket_rematch(e, t, pol, now_ms);
    FOR_METRICS(t, m)
        if (tclock(t, m)->fired > 0 && !(t->memo_mask & MEMO_BIT(t, m)))
            t = memo_rebuild(e, t, m);
    ticket_reschedule(e, t);
    t = ticket_rest(e, t);
    return 0;
}

/*
 * A ticket matched under the previous configuration is matched again before
 * anything reads or moves its clocks: its policy indexes meant the old
 * policies. Re-matching needs only the new configuration.
 */
static MOVES_TICKET sla_ticket *ticket_fresh(sla_engine *e, sla_ticket *t)
{
    if (t->cfg_parity == e->cfg_parity)
        return t;
    int packed = t->packed;
    t = ticket_widen(e, t);
    unsigned char pol[SLA_METRIC_COUNT];
    ticket_policies(e, t, pol);
    ticket_rematch(e, t, pol, e->rematch_ms);
    t->cfg_parity = e->cfg_parity & 1u;
    e->stale--;
    ticket_reschedule(e, t);
    return packed ? ticket_rest(e, t) : t;
}

static void rematch_one(const sla_ticket *t, void *arg)
{
    /* The walk lends tickets read-only; re-matching changes neither the
     * table nor its slot (a packed subject widened and packed again moves,
     * and the table's slot follows it). */
    sla_ticket *n = ticket_fresh(arg, (sla_ticket *)t);
    (void)n;
}

int sla_engine_rematch_step(sla_engine *e, size_t slots)
{
    while (e->stale > 0) {
        int r = sla_tickettable_walk(&e->tickets, &e->rematch, slots, rematch_one, e);
        if (r == SLA_WALK_PAUSED)
            return e->stale == 0;
        if (r == SLA_WALK_DONE) {
            /* Every ticket was seen (or came in matched): none is stale,
             * whatever the count says, so no reload waits forever. */
            e->stale = 0;
            break;
        }
    }
    sla_tickettable_cursor_reset(&e->rematch);
    return 1;
}

size_t sla_engine_rematch_pending(const sla_engine *e) { return e->stale; }

void sla_engine_set_config(sla_engine *e, const sla_config *cfg, int64_t now_ms)
{
    /* A re-match still under way finishes first: one parity bit tells only
     * "this configuration or the one before". */
    sla_engine_rematch_step(e, SIZE_MAX);
    e->cfg = cfg;
    sla_matcher_free(e->matcher);
    e->matcher = sla_matcher_new(cfg); /* NULL on OOM: resolve() uses the reference */
    e->cfg_parity ^= 1u;
    e->rematch_ms = now_ms; /* when clocks the new policies drop stopped */
    e->stale = e->tickets.count;
    sla_tickettable_cursor_reset(&e->rematch);
}

void sla_engine_get_stats(const sla_engine *e, sla_engine_stats *out) { *out = e->stats; }

void sla_engine_get_footprint(const sla_engine *e, int subject, sla_engine_footprint *out)
{
    memset(out, 0, sizeof *out);
    size_t pos = 0, all = 0;
    const sla_ticket *t;
    while ((t = sla_tickettable_next(&e->tickets, &pos))) {
        all++;
        if ((int)t->customer != (subject == SLA_SUBJECT_CUSTOMER))
            continue;
        out->subjects++;
        out->header += sizeof *t;
        out->clocks += sla_ticket_clock_bytes(t);
        out->slots += t->nclocks;
        out->packed += t->packed;
        sla_clock wide[SLA_SUBJECT_SLOTS];
        const sla_clock *c = t->clocks;
        if (t->packed) {
            const unsigned char *pk = (const unsigned char *)t->clocks;
            if (sla_clockpack_decode(pk + 1, pk[0], t->nclocks, t->generation,
                                     sla_ticket_attrs(t), t->attrs_len, wide) < 0)
                abort();
            c = wide;
        }
        for (int k = 0; k < t->nclocks; k++)
            if (c[k].state == SLA_CLOCK_IDLE)
                out->slots_idle++;
        out->id += t->id_len + 1u;
        out->attrs += t->attrs_len;
        out->memos += MEMOS_USED(t);
    }
    if (all)
        out->index = (e->tickets.mask + 1) * sizeof(sla_ticket *) * out->subjects / all;
}

/* ----------------------------------------------------------------- queries */

static const char *state_name(int state)
{
    static const char *const names[] = {"idle", "running", "paused", "met", "stopped"};
    return state >= 0 && state <= SLA_CLOCK_STOPPED ? names[state] : "?";
}

int sla_engine_ticket_info(sla_engine *e, const char *ticket, size_t len, int64_t now_ms,
                           sla_clock_info out[SLA_METRIC_COUNT], const char **attrs,
                           size_t *attrs_len)
{
    return sla_engine_subject_info(e, SLA_SUBJECT_TICKET, ticket, len, now_ms, out, attrs,
                                   attrs_len);
}

int sla_engine_subject_info(sla_engine *e, int subject, const char *id, size_t len,
                            int64_t now_ms, sla_clock_info out[SLA_METRIC_COUNT],
                            const char **attrs, size_t *attrs_len)
{
    char key[SLA_SUBJECT_KEY_MAX];
    if (len == 0 || len > SLA_TICKET_MAX_LEN)
        return -1;
    size_t keylen = subject_key(subject, id, len, key);
    sla_ticket *t = sla_tickettable_find(&e->tickets, key, keylen);
    if (!t)
        return -1;
    t = ticket_fresh(e, t);
    const sla_ticket *v = ticket_view(e, t);
    /* Plain attributes, expanded into the engine's scratch buffer. */
    size_t plen = sla_attrpack_plain_size(sla_ticket_attrs(t), t->attrs_len);
    if (plen > SLA_ATTRS_MAX)
        plen = 0;
    else
        sla_attrpack_expand(sla_ticket_attrs(t), t->attrs_len, e->scratch);
    *attrs = e->scratch;
    *attrs_len = plen;
    int n = 0;
    FOR_METRICS(t, m) {
        const sla_clock *c = tclock(v, m); /* memos from t: they outlive the view */
        if (c->state == SLA_CLOCK_IDLE)
            continue;
        sla_clock_info *ci = &out[n++];
        memset(ci, 0, sizeof *ci);
        ci->metric = m;
        ci->state = c->state;
        ci->state_name = state_name(c->state);
        ci->cycle = (uint32_t)c->cycle;
        int has_policy = c->policy != SLA_POLICY_NONE && c->policy < e->cfg->npolicies;
        ci->policy = has_policy ? c->policy : -1;
        ci->policy_name = has_policy ? e->cfg->policies[c->policy].name : "";
        ci->deadline_ms =
            c->state == SLA_CLOCK_RUNNING ? clock_deadline(e, c, m, NULL) : INT64_MAX;
        ci->elapsed_ms = clock_elapsed_at(e, c, m, now_ms);
        ci->fired = c->fired;
        ci->warned = c->warned;
        ci->acked = c->acked;
        ci->acked_by = "";
        sla_memo mm;
        if (tmemo(t, m, &mm)) {
            ci->acked_ms = mm.acked_ms;
            ci->acked_by = mm.by;
            const char *name = mm.receivers;
            for (unsigned i = 0; i < mm.nreceivers; i++, name += strlen(name) + 1)
                ci->notified[i] = name;
            ci->nnotified = (int)mm.nreceivers;
            ci->breach_deadline_ms = mm.deadline_ms;
        }
    }
    return n;
}

struct list_walk {
    sla_engine *e;
    sla_listquery *q;
};

static void list_ticket(const sla_ticket *ct, void *arg)
{
    struct list_walk *w = arg;
    sla_engine *e = w->e;
    sla_listquery *q = w->q;
    /* The walk lends tickets read-only; re-matching one changes neither
     * the table nor its address. */
    sla_ticket *t = ticket_fresh(e, (sla_ticket *)ct);
    q->examined++;
    if (q->subject >= 0 && q->subject != KIND(t))
        return;
    size_t idlen;
    const char *id = subject_id(t, &idlen);
    const sla_ticket *v = ticket_view(e, t);
    FOR_METRICS(t, m) {
        const sla_clock *c = tclock(v, m);
        if (c->state != SLA_CLOCK_RUNNING)
            continue;
        /* Breached means recorded as breached: a deadline past but not
         * yet fired waits for input still unread (sla_watermark.h). */
        int is_breached = c->fired > 0;
        if (q->breached != is_breached)
            continue;
        int64_t deadline = clock_deadline(e, c, m, NULL);
        if (deadline == INT64_MAX)
            continue;
        if (!q->breached && q->within_ms >= 0 && deadline > q->now_ms + q->within_ms)
            continue;
        int has_policy = c->policy != SLA_POLICY_NONE && c->policy < e->cfg->npolicies;
        sla_due_item it = {id, m, deadline, c->fired, c->acked,
                           has_policy ? c->policy : -1, KIND(t),
                           has_policy ? e->cfg->policies[c->policy].name : ""};
        sla_listquery_offer(q, &it);
    }
}

int sla_engine_list_step(sla_engine *e, sla_listquery *q, size_t slots)
{
    struct list_walk w = {e, q};
    for (;;) {
        int r = sla_tickettable_walk(&e->tickets, &q->cursor, slots, list_ticket, &w);
        if (r == SLA_WALK_RESTARTED) {
            sla_listquery_reset(q);
            continue;
        }
        if (r == SLA_WALK_PAUSED)
            return 0;
        sla_listquery_finish(q);
        return 1;
    }
}

struct breached_walk {
    sla_engine *e;
    sla_breached_fn *fn;
    void *arg;
};

static void breached_ticket(const sla_ticket *ct, void *arg)
{
    struct breached_walk *w = arg;
    sla_ticket *t = ticket_fresh(w->e, (sla_ticket *)ct); /* as in list_ticket */
    size_t idlen;
    const char *id = subject_id(t, &idlen);
    const sla_ticket *v = ticket_view(w->e, t);
    FOR_METRICS(t, m) {
        const sla_clock *c = tclock(v, m); /* memos from t */
        sla_memo mm;
        if (!is_live(c) || c->fired == 0 || c->acked || !tmemo(t, m, &mm))
            continue;
        sla_breached_clock bc = {id, m, (uint32_t)c->cycle, c->fired,
                                 mm.deadline_ms, {0}, (int)mm.nreceivers, KIND(t)};
        const char *name = mm.receivers;
        for (unsigned i = 0; i < mm.nreceivers; i++, name += strlen(name) + 1)
            bc.notified[i] = name;
        w->fn(&bc, w->arg);
    }
}

int sla_engine_scan_breached(sla_engine *e, sla_tickettable_cursor *cur, size_t slots,
                             sla_breached_fn *fn, void *arg)
{
    struct breached_walk w = {e, fn, arg};
    int r;
    /* Growth starts the walk over: fn may then see a clock twice. */
    while ((r = sla_tickettable_walk(&e->tickets, cur, slots, breached_ticket, &w)) ==
           SLA_WALK_RESTARTED)
        ;
    return r == SLA_WALK_DONE;
}
