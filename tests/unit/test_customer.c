/*
 * test_customer — the customer relationship clocks (SPEC section 2,
 * customer-level norms) through the real loader, the shipped norms and the
 * engine, with injected time: onboarding revisits, the recurring revisit by
 * tier, reminders ahead of a date, reviews, surveys, the complaint revisit
 * of both guides; and that customers share the engine, records and ids
 * with tickets without ever meeting them.
 *
 * Times: T0 is Monday 2026-01-05 00:00 UTC = 08:00 in Asia/Shanghai (the
 * shipped business calendar: Mon-Fri 09:00-12:00, 13:00-18:00).
 */
#include "check.h"
#include "engine_fixture.h"
#include "sla_record.h"

static char conf_path[512];

#define CUST(fx, at, id, type, ...) \
    fx_event(fx, at, "customer", id, "type", type, ##__VA_ARGS__, NULL)

/* The nth decision of kind for metric of customer `id`, or NULL. */
static const sla_decision *decision_of(const fixture *fx, int kind, int metric, const char *id,
                                       int nth)
{
    for (size_t i = 0; i < fx->out.ndecisions; i++) {
        const sla_decision *d = &fx->out.decisions[i];
        if ((int)d->kind == kind && d->metric == metric && strcmp(d->ticket, id) == 0 &&
            d->subject == SLA_SUBJECT_CUSTOMER && nth-- == 0)
            return d;
    }
    return NULL;
}

/* The running deadline of metric of customer id, INT64_MAX when none. */
static int64_t deadline_of(fixture *fx, const char *id, int metric, int64_t now)
{
    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *attrs;
    size_t alen;
    int n = sla_engine_subject_info(fx->eng, SLA_SUBJECT_CUSTOMER, id, strlen(id), now, ci,
                                    &attrs, &alen);
    for (int i = 0; i < n; i++)
        if (ci[i].metric == metric)
            return ci[i].deadline_ms;
    return INT64_MAX;
}

static int shipped(fixture *fx)
{
    int rc = fx_init_path(fx, conf_path, T0);
    CHECK_INT(rc, 0);
    return rc;
}

/* Norm: first revisit within 1 week of signing, a second 1 month after it;
 * then the recurring revisit counts from the second. */
static void test_onboarding(void)
{
    fixture fx;
    if (shipped(&fx) < 0)
        return;
    const int64_t s = T0 + HOUR;
    CHECK_INT(CUST(&fx, s, "c-1", "customer.signed", "tier", "vip"), SLA_APPLIED);
    CHECK_INT(deadline_of(&fx, "c-1", SLA_METRIC_FIRST_REVISIT, s), s + 7 * DAY);
    CHECK_INT(deadline_of(&fx, "c-1", SLA_METRIC_SECOND_REVISIT, s), s + 30 * DAY);
    /* no recurring revisit while onboarding runs */
    CHECK_INT(deadline_of(&fx, "c-1", SLA_METRIC_REVISIT, s), INT64_MAX);

    /* the warning ("due in 2 days"), then the breach 1 ms after the week */
    fx_run_until(&fx, s + 7 * DAY);
    const sla_decision *w = decision_of(&fx, SLA_DECISION_WARNING, SLA_METRIC_FIRST_REVISIT, "c-1", 0);
    CHECK(w && w->fired_ms == s + 5 * DAY && strcmp(w->receiver, "team_lead") == 0);
    CHECK(!decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_REVISIT, "c-1", 0));
    fx_run_until(&fx, s + 7 * DAY + 1);
    const sla_decision *b = decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_REVISIT, "c-1", 0);
    CHECK(b && b->deadline_ms == s + 7 * DAY && strcmp(b->policy, "customer-onboarding") == 0 &&
          strcmp(b->receiver, "team_lead") == 0);
    fx_run_until(&fx, s + 9 * DAY + 1);
    b = decision_of(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_FIRST_REVISIT, "c-1", 0);
    CHECK(b && strcmp(b->receiver, "manager") == 0);

    /* the first revisit (late) meets the first clock only */
    CHECK_INT(CUST(&fx, s + 10 * DAY, "c-1", "customer.revisited"), SLA_APPLIED);
    CHECK_INT(deadline_of(&fx, "c-1", SLA_METRIC_FIRST_REVISIT, s + 10 * DAY), INT64_MAX);
    CHECK_INT(deadline_of(&fx, "c-1", SLA_METRIC_SECOND_REVISIT, s + 10 * DAY), s + 30 * DAY);
    CHECK_INT(deadline_of(&fx, "c-1", SLA_METRIC_REVISIT, s + 10 * DAY), INT64_MAX);

    /* the second, on day 28: the monthly VIP cadence counts from it */
    CHECK_INT(CUST(&fx, s + 28 * DAY, "c-1", "customer.revisited", "satisfaction", "5"),
              SLA_APPLIED);
    CHECK_INT(deadline_of(&fx, "c-1", SLA_METRIC_SECOND_REVISIT, s + 28 * DAY), INT64_MAX);
    CHECK_INT(deadline_of(&fx, "c-1", SLA_METRIC_REVISIT, s + 28 * DAY), s + 58 * DAY);
    fx_run_until(&fx, s + 40 * DAY);
    CHECK(!decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_SECOND_REVISIT, "c-1", 0));
    fx_release(&fx);
}

/* Clock slots held by the open customers (sla_engine_get_footprint). */
static size_t customer_slots(const fixture *fx, size_t *idle)
{
    sla_engine_footprint fp;
    sla_engine_get_footprint(fx->eng, SLA_SUBJECT_CUSTOMER, &fp);
    *idle = fp.slots_idle;
    return fp.slots;
}

/*
 * A customer holds a clock slot only for a clock that can run: the
 * recurring revisit takes one when the onboarding ends, a customer opened
 * by customer.updated none for the onboarding revisits.
 */
static void test_slots_when_needed(void)
{
    fixture fx;
    if (shipped(&fx) < 0)
        return;
    const int64_t s = T0 + HOUR;
    size_t idle;
    CHECK_INT(CUST(&fx, s, "c-1", "customer.signed", "tier", "vip", "contract_end",
                   "2026-12-31T00:00:00Z"),
              SLA_APPLIED);
    /* first and second revisit, review, survey, reminder: all running */
    CHECK_INT(customer_slots(&fx, &idle), 5);
    CHECK_INT(idle, 0);
    CHECK_INT(CUST(&fx, s + DAY, "c-1", "customer.revisited"), SLA_APPLIED);
    CHECK_INT(customer_slots(&fx, &idle), 5); /* the second revisit still runs */
    CHECK_INT(CUST(&fx, s + 2 * DAY, "c-1", "customer.revisited"), SLA_APPLIED);
    CHECK_INT(customer_slots(&fx, &idle), 6);
    CHECK_INT(idle, 0);
    CHECK_INT(deadline_of(&fx, "c-1", SLA_METRIC_REVISIT, s + 2 * DAY), s + 32 * DAY);

    /* Opened by an update: no onboarding, the revisit at once. */
    CHECK_INT(CUST(&fx, s, "c-2", "customer.updated", "tier", "vip"), SLA_APPLIED);
    CHECK_INT(customer_slots(&fx, &idle), 6 + 3);
    CHECK_INT(idle, 0);
    CHECK_INT(deadline_of(&fx, "c-2", SLA_METRIC_REVISIT, s), s + 30 * DAY);
    fx_release(&fx);
}

/* Norm: VIP monthly, ordinary quarterly, from the revisit done (no drift);
 * a missed one escalates along its ladder once, without piling up. */
static void test_recurring_revisit(void)
{
    fixture fx;
    if (shipped(&fx) < 0)
        return;
    const int64_t s = T0;
    /* an existing customer, first seen through an update: no onboarding */
    CHECK_INT(CUST(&fx, s, "v", "customer.updated", "tier", "vip"), SLA_APPLIED);
    CHECK_INT(CUST(&fx, s, "o", "customer.updated", "tier", "ordinary"), SLA_APPLIED);
    CHECK_INT(CUST(&fx, s, "n", "customer.updated", "industry", "retail"), SLA_APPLIED);
    CHECK_INT(deadline_of(&fx, "v", SLA_METRIC_FIRST_REVISIT, s), INT64_MAX);
    CHECK_INT(deadline_of(&fx, "v", SLA_METRIC_REVISIT, s), s + 30 * DAY);
    CHECK_INT(deadline_of(&fx, "o", SLA_METRIC_REVISIT, s), s + 91 * DAY);
    CHECK_INT(deadline_of(&fx, "n", SLA_METRIC_REVISIT, s), s + 91 * DAY); /* no tier: ordinary */

    /* done early on day 25: the next is due 30 days after it, not after day 30 */
    CUST(&fx, s + 25 * DAY, "v", "customer.revisited");
    CHECK_INT(deadline_of(&fx, "v", SLA_METRIC_REVISIT, s + 25 * DAY), s + 55 * DAY);
    fx_run_until(&fx, s + 55 * DAY);
    CHECK(!decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_REVISIT, "v", 0));
    const sla_decision *w = decision_of(&fx, SLA_DECISION_WARNING, SLA_METRIC_REVISIT, "v", 0);
    CHECK(w && w->fired_ms == s + 52 * DAY); /* "VIP revisit due in 3 days" */

    /* missed: one breach, the manager 3 days on, weekly 3 times, then quiet */
    fx_run_until(&fx, s + 400 * DAY);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_REVISIT, "v"), 1);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_REVISIT, "v"), 4);
    const sla_decision *e = decision_of(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_REVISIT, "v", 3);
    CHECK(e && e->fired_ms == s + 55 * DAY + 3 * DAY + 21 * DAY && e->level == 5 &&
          e->cycle == 2);
    /* one clock cycle, still due: listed as breached once */
    sla_due_item items[16];
    size_t nb = fx_list(&fx, s + 400 * DAY, -1, 1, items, 16);
    CHECK_INT(nb, 9); /* revisit, review and survey of v, o and n */
    int listed = 0;
    for (size_t i = 0; i < nb && i < 16; i++)
        listed += items[i].metric == SLA_METRIC_REVISIT && strcmp(items[i].ticket, "v") == 0;
    CHECK_INT(listed, 1);

    /* the revisit at last: a new cycle counted from it */
    fx_take(&fx);
    CUST(&fx, s + 400 * DAY, "v", "customer.revisited");
    CHECK_INT(deadline_of(&fx, "v", SLA_METRIC_REVISIT, s + 400 * DAY), s + 430 * DAY);
    fx_release(&fx);
}

/* A tier that changes changes the cadence; the running cycle keeps its start. */
static void test_tier_change(void)
{
    fixture fx;
    if (shipped(&fx) < 0)
        return;
    CUST(&fx, T0, "c", "customer.updated", "tier", "ordinary");
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_REVISIT, T0), T0 + 91 * DAY);
    fx_run_until(&fx, T0 + 40 * DAY);
    CHECK_INT(CUST(&fx, T0 + 40 * DAY, "c", "customer.updated", "tier", "vip"), SLA_APPLIED);
    /* 30 days from the same start: overdue, so the breach fires at once, late */
    const sla_decision *b = decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_REVISIT, "c", 0);
    CHECK(b == NULL); /* the event is applied; firing is the advance's */
    fx_advance(&fx, T0 + 40 * DAY);
    b = decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_REVISIT, "c", 0);
    CHECK(b && b->deadline_ms == T0 + 30 * DAY && b->late_ms == 10 * DAY - 1 &&
          strcmp(b->policy, "customer-vip") == 0);
    /* and back to potential: every 2 months from the same start */
    CUST(&fx, T0 + 41 * DAY, "c", "customer.updated", "tier", "potential");
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_REVISIT, T0 + 41 * DAY), T0 + 60 * DAY);
    fx_release(&fx);
}

/* Norm: remind 15 days ahead of a contract end, renewal or upgrade; met by
 * the reminder; a Sunday deadline is moved back into working time. */
static void test_reminder(void)
{
    fixture fx;
    if (shipped(&fx) < 0)
        return;
    /* contract ends Thursday 2026-03-05 10:00 Shanghai: remind by Wednesday
     * 2026-02-18 10:00 (a working instant), 15 calendar days before */
    const int64_t end = INT64_C(1772676000000); /* 2026-03-05T02:00:00Z */
    const int64_t renew = end + 91 * DAY;       /* 2026-06-04T02:00:00Z, a Thursday */
    char e[24], r[24];
    snprintf(e, sizeof e, "%lld", (long long)end);
    snprintf(r, sizeof r, "%lld", (long long)renew);
    CHECK_INT(CUST(&fx, T0, "c", "customer.signed", "contract_end", e, "renewal", r), SLA_APPLIED);
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_REMINDER, T0), end - 15 * DAY);
    fx_run_until(&fx, end - 15 * DAY);
    const sla_decision *w = decision_of(&fx, SLA_DECISION_WARNING, SLA_METRIC_REMINDER, "c", 0);
    CHECK(w && w->fired_ms == end - 17 * DAY);
    CHECK(!decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_REMINDER, "c", 0));
    fx_run_until(&fx, end - 15 * DAY + 1);
    const sla_decision *b = decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_REMINDER, "c", 0);
    CHECK(b && b->deadline_ms == end - 15 * DAY && strcmp(b->policy, "customer-reminder") == 0);

    /* the reminder, late: met; the next date (the renewal) takes over */
    fx_take(&fx);
    CUST(&fx, end - 14 * DAY, "c", "customer.reminded");
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_REMINDER, end - 14 * DAY), renew - 15 * DAY);
    /* the same dates again change nothing (no new cycle, no refiring) */
    CUST(&fx, end - 13 * DAY, "c", "customer.updated", "contract_end", e, "renewal", r);
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_REMINDER, end - 13 * DAY), renew - 15 * DAY);
    fx_run_until(&fx, renew - 15 * DAY + 1);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_REMINDER, "c"), 1);
    b = decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_REMINDER, "c", 0);
    CHECK(b && b->cycle == 2);
    CUST(&fx, renew - 15 * DAY + 2, "c", "customer.reminded");
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_REMINDER, renew), INT64_MAX);

    /* an upgrade on Monday 2026-03-23 10:00 Shanghai: 15 days before is
     * Sunday 03-08 10:00, so the reminder is due Friday 03-06 18:00 */
    const int64_t up = INT64_C(1774231200000); /* 2026-03-23T02:00:00Z */
    char u[24];
    snprintf(u, sizeof u, "%lld", (long long)up);
    CUST(&fx, T0, "d", "customer.updated", "upgrade", u);
    CHECK_INT(deadline_of(&fx, "d", SLA_METRIC_REMINDER, T0),
              INT64_C(1772791200000) - 1); /* 2026-03-06T10:00:00Z = 18:00 Shanghai */
    /* a date already past reminds nothing */
    CUST(&fx, T0, "p", "customer.updated", "contract_end", "2025-12-01T00:00:00Z");
    CHECK_INT(deadline_of(&fx, "p", SLA_METRIC_REMINDER, T0), INT64_MAX);
    fx_release(&fx);
}

/* Norms: information reviewed every quarter, a survey every half year. */
static void test_review_survey(void)
{
    fixture fx;
    if (shipped(&fx) < 0)
        return;
    CUST(&fx, T0, "c", "customer.signed", "tier", "ordinary");
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_REVIEW, T0), T0 + 91 * DAY);
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_SURVEY, T0), T0 + 182 * DAY);
    fx_run_until(&fx, T0 + 91 * DAY + 1);
    const sla_decision *b = decision_of(&fx, SLA_DECISION_BREACH, SLA_METRIC_REVIEW, "c", 0);
    CHECK(b && b->deadline_ms == T0 + 91 * DAY && strcmp(b->policy, "customer-care") == 0);
    CUST(&fx, T0 + 100 * DAY, "c", "customer.reviewed");
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_REVIEW, T0 + 100 * DAY), T0 + 191 * DAY);
    CUST(&fx, T0 + 150 * DAY, "c", "customer.surveyed");
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_SURVEY, T0 + 150 * DAY), T0 + 332 * DAY);
    /* churned: forgotten, its clocks gone */
    CHECK_INT(CUST(&fx, T0 + 151 * DAY, "c", "customer.churned"), SLA_APPLIED);
    CHECK_INT(deadline_of(&fx, "c", SLA_METRIC_SURVEY, T0 + 151 * DAY), INT64_MAX);
    CHECK_INT(CUST(&fx, T0 + 152 * DAY, "c", "customer.revisited"), SLA_APPLY_UNKNOWN_TICKET);
    fx_release(&fx);
}

/* Norm: complaint solved, revisit within 3 days (relationship guide, when
 * asked for) or 2 h (the follow-up guide, the default). */
static void test_complaint_revisit(void)
{
    fixture fx;
    if (shipped(&fx) < 0)
        return;
    const int64_t at = T0 + HOUR;
    fx_event(&fx, at, "ticket", "T-2h", "type", "ticket.opened", "category", "complaint", NULL);
    fx_event(&fx, at, "ticket", "T-3d", "type", "ticket.opened", "category", "complaint",
             "followup_guide", "relationship", NULL);
    fx_event(&fx, at + MIN, "ticket", "T-2h", "type", "ticket.resolved", NULL);
    fx_event(&fx, at + MIN, "ticket", "T-3d", "type", "ticket.resolved", NULL);
    fx_run_until(&fx, at + MIN + 3 * DAY + 1);
    int n2 = 0, n3 = 0;
    for (size_t i = 0; i < fx.out.ndecisions; i++) {
        const sla_decision *d = &fx.out.decisions[i];
        if (d->kind != SLA_DECISION_BREACH || d->metric != SLA_METRIC_FOLLOW_UP)
            continue;
        if (strcmp(d->ticket, "T-2h") == 0)
            n2 += d->deadline_ms == at + MIN + 2 * HOUR &&
                  strcmp(d->policy, "followup-complaint") == 0;
        else
            n3 += d->deadline_ms == at + MIN + 3 * DAY &&
                  strcmp(d->policy, "followup-complaint-relationship") == 0;
    }
    CHECK_INT(n2, 1);
    CHECK_INT(n3, 1);
    fx_release(&fx);
}

static const char small_conf[] =
    "policies = ( { name = \"care\";\n"
    "  first_response = { target = \"10m\"; escalate = ( { after = \"0s\"; notify = [ \"team_lead\" ]; } ); };\n"
    "  revisit = { target = \"10m\"; recovered = true;\n"
    "    escalate = ( { after = \"0s\"; notify = [ \"team_lead\" ]; },\n"
    "                 { after = \"5m\"; notify = [ \"manager\" ]; } ); }; } );\n";

/* A ticket and a customer with the same id: apart in the table, in the
 * state fields, in decisions, ids and queries. */
static void test_same_id_apart(void)
{
    fixture fx;
    if (fx_init(&fx, small_conf, T0) < 0) {
        CHECK(!"config");
        return;
    }
    CHECK_INT(fx_event(&fx, T0, "ticket", "X", "type", "ticket.opened", NULL), SLA_APPLIED);
    CHECK_INT(CUST(&fx, T0, "X", "customer.updated", "tier", "vip"), SLA_APPLIED);
    sla_engine_stats st;
    sla_engine_get_stats(fx.eng, &st);
    CHECK_INT(st.open_tickets, 1);
    CHECK_INT(st.open_customers, 1);
    int plain = 0, prefixed = 0;
    for (size_t i = 0; i < fx.out.nupserts; i++) {
        const sla_upsert *u = &fx.out.upserts[i];
        plain += u->ticket_len == 1 && memcmp(u->ticket, "X", 1) == 0;
        prefixed += u->ticket_len == 4 && memcmp(u->ticket, "\x01" "c:X", 4) == 0;
    }
    CHECK(plain >= 1 && prefixed >= 1);

    fx_run_until(&fx, T0 + 10 * MIN + 1);
    const sla_decision *bt = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
    const sla_decision *bc = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_REVISIT, 0);
    CHECK(bt && bc && strcmp(bt->ticket, "X") == 0 && strcmp(bc->ticket, "X") == 0);
    CHECK(bt && bc && bt->subject == SLA_SUBJECT_TICKET && bc->subject == SLA_SUBJECT_CUSTOMER);
    CHECK(bt && bc && strcmp(bt->id, bc->id) != 0);
    /* the record names its subject: `customer` where a ticket's has `ticket` */
    if (bc) {
        sla_field f[SLA_DECISION_MAX_FIELDS];
        char scratch[SLA_DECISION_SCRATCH];
        size_t n = sla_decision_fields(bc, f, SLA_DECISION_MAX_FIELDS, scratch, sizeof scratch);
        CHECK(n > 2 && f[2].key_len == 8 && memcmp(f[2].key, "customer", 8) == 0);
        int has_ticket = 0;
        for (size_t i = 0; i < n; i++)
            has_ticket |= f[i].key_len == 6 && memcmp(f[i].key, "ticket", 6) == 0;
        CHECK(!has_ticket);
    }

    /* queries: both listed, or one kind */
    sla_due_item items[4];
    CHECK_INT(fx_list(&fx, T0 + 11 * MIN, -1, 1, items, 4), 2);
    sla_listquery *q = sla_listquery_new(1, T0 + 11 * MIN, -1, 4);
    q->subject = SLA_SUBJECT_CUSTOMER;
    CHECK_INT(sla_engine_list_step(fx.eng, q, SIZE_MAX), 1);
    const sla_due_item *it;
    CHECK_INT(sla_listquery_items(q, &it), 1);
    CHECK(it[0].subject == SLA_SUBJECT_CUSTOMER && it[0].metric == SLA_METRIC_REVISIT &&
          strcmp(it[0].ticket, "X") == 0);
    sla_listquery_free(q);

    /* acknowledging the customer's breach stops its ladder, not the ticket's */
    CHECK_INT(fx_event(&fx, T0 + 12 * MIN, "customer", "X", "type", "escalation.ack", NULL),
              SLA_APPLIED);
    fx_run_until(&fx, T0 + HOUR);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_REVISIT, "X"), 0);

    /* closing the ticket leaves the customer */
    CHECK_INT(fx_event(&fx, T0 + HOUR, "ticket", "X", "type", "ticket.closed", NULL), SLA_APPLIED);
    sla_engine_get_stats(fx.eng, &st);
    CHECK_INT(st.open_tickets, 0);
    CHECK_INT(st.open_customers, 1);
    /* the revisit meets the clock (recovered to whom the breach told) */
    fx_take(&fx);
    CUST(&fx, T0 + HOUR, "X", "customer.revisited");
    const sla_decision *r = fx_find(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_REVISIT, 0);
    CHECK(r && r->subject == SLA_SUBJECT_CUSTOMER && strcmp(r->receiver, "team_lead") == 0);
    fx_release(&fx);
}

/* A customer's state survives a restart; a ticket's record reads as before. */
static void test_restore(void)
{
    fixture fx;
    if (fx_init(&fx, small_conf, T0) < 0) {
        CHECK(!"config");
        return;
    }
    CUST(&fx, T0, "c-9", "customer.updated", "tier", "vip");
    fx_run_until(&fx, T0 + 10 * MIN + 1); /* breached: a memo too */
    sla_engine *e2 = sla_engine_new(fx.cfg, T0 + 10 * MIN + 1);
    const sla_upsert *last = NULL;
    for (size_t i = 0; i < fx.out.nupserts; i++)
        last = &fx.out.upserts[i];
    CHECK(last != NULL);
    if (last)
        CHECK_INT(sla_engine_restore(e2, last->ticket, last->ticket_len, last->record,
                                     last->record_len, T0),
                  0);
    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *attrs;
    size_t alen;
    CHECK_INT(sla_engine_subject_info(e2, SLA_SUBJECT_CUSTOMER, "c-9", 3, T0, ci, &attrs, &alen), 1);
    CHECK(ci[0].metric == SLA_METRIC_REVISIT && ci[0].fired == 1 &&
          ci[0].deadline_ms == T0 + 10 * MIN && ci[0].nnotified == 1);
    /* not a ticket of that id */
    CHECK_INT(sla_engine_subject_info(e2, SLA_SUBJECT_TICKET, "c-9", 3, T0, ci, &attrs, &alen), -1);
    /* the next escalation fires once, from the restored state */
    sla_output out;
    sla_output_init(&out);
    sla_engine_advance(e2, T0 + 15 * MIN + 1);
    sla_engine_collect(e2, &out);
    CHECK_INT((int)out.ndecisions, 1);
    CHECK(out.ndecisions == 1 && out.decisions[0].level == 2 &&
          out.decisions[0].subject == SLA_SUBJECT_CUSTOMER);
    sla_output_clear(&out);

    /* A version-3 ticket record written before customers existed: resolution
     * (slot 4) running since T0, opened at T0. Under a ticket's field it is
     * that ticket, unchanged; re-encoded it is the same bytes. */
    unsigned char v3[] = {3, 5, 0, 0x80, 0xb0, 0xd0, 0xdb, 0xb8, 0x33, 0, 0,
                          1u << SLA_METRIC_RESOLUTION, 0x80, 0xb0, 0xd0, 0xdb, 0xb8, 0x33, 1, 0,
                          SLA_CLOCK_RUNNING, 0, 0, 0};
    sla_record_view v;
    CHECK_INT(sla_record_decode(v3, sizeof v3, &v), 0);
    CHECK_INT((int64_t)v.clocks[SLA_METRIC_RESOLUTION].resume_ms, T0);
    CHECK_INT(sla_engine_restore(e2, "T-old", 5, v3, sizeof v3, T0), 0);
    CHECK_INT(sla_engine_ticket_info(e2, "T-old", 5, T0, ci, &attrs, &alen), 1);
    /* (stopped: no policy here sets resolution any more) */
    CHECK(ci[0].metric == SLA_METRIC_RESOLUTION && ci[0].cycle == 1 &&
          ci[0].state == SLA_CLOCK_STOPPED);
    sla_engine_stats st;
    sla_engine_get_stats(e2, &st);
    CHECK_INT(st.open_tickets, 1);
    CHECK_INT(st.open_customers, 1);
    /* slot 6 is no customer metric: refused under a customer's field */
    unsigned char slot6[] = {3, 5, 0, 0, 0, 0, 1u << 6, 0, 1, 0, SLA_CLOCK_RUNNING, 0, 0, 0};
    CHECK_INT(sla_record_decode(slot6, sizeof slot6, &v), 0);
    CHECK_INT(sla_engine_restore(e2, "\x01" "c:bad", 6, slot6, sizeof slot6, T0), -1);
    CHECK_INT(sla_engine_restore(e2, "T-6", 3, slot6, sizeof slot6, T0), 0); /* callback */
    /* a field with a control byte that is no customer's: corrupt */
    CHECK_INT(sla_engine_restore(e2, "\x02x", 2, v3, sizeof v3, T0), -1);
    sla_engine_free(e2);
    fx_release(&fx);
}

int main(void)
{
    const char *src = getenv("SLA_SOURCE_DIR");
    snprintf(conf_path, sizeof conf_path, "%s/conf/slad.conf", src ? src : ".");
    test_onboarding();
    test_recurring_revisit();
    test_tier_change();
    test_reminder();
    test_review_survey();
    test_complaint_revisit();
    test_same_id_apart();
    test_restore();
    test_slots_when_needed();
    return CHECK_DONE();
}
