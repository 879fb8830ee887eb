/*
 * test_norms — every service norm of the shipped configuration (SPEC
 * section 2, conf/norms.conf) produces the promised deadline and notifies
 * the promised people, through the real loader and engine.
 *
 * Times: T0 is Monday 2026-01-05 00:00 UTC = 08:00 in Asia/Shanghai, the
 * zone of the shipped business calendar (Mon-Fri 09:00-12:00, 13:00-18:00).
 */
#include "check.h"
#include "engine_fixture.h"

static char conf_path[512];

/* Open one ticket at `at` with attributes, run until `until`, and return
 * the first breach of `metric` (NULL if none). The fixture stays open. */
#define OPEN(fx, id, at, ...) fx_event(fx, at, "ticket", id, "type", "ticket.opened", __VA_ARGS__, NULL)

static const sla_decision *breach_of(fixture *fx, const char *ticket, int metric)
{
    for (size_t i = 0; i < fx->out.ndecisions; i++) {
        const sla_decision *d = &fx->out.decisions[i];
        if (d->kind == SLA_DECISION_BREACH && d->metric == metric && strcmp(d->ticket, ticket) == 0)
            return d;
    }
    return NULL;
}

/* The breach of metric on ticket has the deadline `deadline` (the last
 * instant of the promise, so the breach fires 1 ms after it and not a
 * millisecond earlier), from `policy`, to `receiver` (the first notified). */
static void expect_deadline(const char *what, const char *ticket, int metric, int64_t deadline,
                            const char *policy, const char *receiver, const char *attr_k,
                            const char *attr_v, const char *attr2_k, const char *attr2_v)
{
    fixture fx;
    if (fx_init_path(&fx, conf_path, T0) < 0) {
        CHECK(!"shipped configuration loads");
        return;
    }
    if (attr2_k)
        OPEN(&fx, ticket, T0 + HOUR, attr_k, attr_v, attr2_k, attr2_v);
    else
        OPEN(&fx, ticket, T0 + HOUR, attr_k, attr_v);
    fx_run_until(&fx, deadline);
    int early = breach_of(&fx, ticket, metric) != NULL;
    fx_run_until(&fx, deadline + 1);
    const sla_decision *d = breach_of(&fx, ticket, metric);
    int ok = !early && d && d->deadline_ms == deadline && strcmp(d->policy, policy) == 0 &&
             strcmp(d->receiver, receiver) == 0;
    if (!ok)
        fprintf(stderr, "norm '%s': early=%d got %s deadline %+lld policy %s receiver %s\n", what,
                early, d ? "breach" : "nothing", d ? (long long)(d->deadline_ms - deadline) : 0LL,
                d ? d->policy : "-", d ? d->receiver : "-");
    CHECK(ok);
    fx_release(&fx);
}

int main(void)
{
    const char *src = getenv("SLA_SOURCE_DIR");
    snprintf(conf_path, sizeof conf_path, "%s/conf/slad.conf", src ? src : ".");
    const int64_t open = T0 + HOUR; /* Monday 09:00 Shanghai */

    /* Channels. */
    expect_deadline("chat: first reply within 30 s, supervisor at once", "c", SLA_METRIC_FIRST_RESPONSE,
                    open + 30 * SEC, "chat", "supervisor", "channel", "chat", NULL, NULL);
    expect_deadline("social: respond within 10 min", "s", SLA_METRIC_FIRST_RESPONSE, open + 10 * MIN,
                    "social", "supervisor", "channel", "social", NULL, NULL);
    expect_deadline("social complaint: public answer within 1 h", "sc", SLA_METRIC_RESOLUTION,
                    open + HOUR, "social-complaint", "team_lead", "channel", "social", "category",
                    "complaint");
    expect_deadline("email complaint: 1 h", "e1", SLA_METRIC_FIRST_RESPONSE, open + HOUR,
                    "email-complaint", "team_lead", "channel", "email", "category", "complaint");
    expect_deadline("email technical: 4 h", "e2", SLA_METRIC_FIRST_RESPONSE, open + 4 * HOUR,
                    "email-technical", "team_lead", "channel", "email", "category", "technical");
    expect_deadline("email general: 24 h", "e3", SLA_METRIC_FIRST_RESPONSE, open + 24 * HOUR,
                    "email-general", "team_lead", "channel", "email", "category", "general");

    /* Priorities: first contact and resolution, business time for low/high. */
    expect_deadline("high: first contact 15 min", "h", SLA_METRIC_FIRST_RESPONSE, open + 15 * MIN,
                    "priority-high", "team_lead", "priority", "high", NULL, NULL);
    expect_deadline("high: resolved the same day (8 business hours)", "h2", SLA_METRIC_RESOLUTION,
                    T0 + 10 * HOUR /* 18:00 Shanghai */, "priority-high", "team_lead", "priority",
                    "high", NULL, NULL);
    expect_deadline("medium: first contact 2 h", "m", SLA_METRIC_FIRST_RESPONSE, open + 2 * HOUR,
                    "priority-medium", "team_lead", "priority", "medium", NULL, NULL);
    expect_deadline("medium: resolution 24 h", "m2", SLA_METRIC_RESOLUTION, open + 24 * HOUR,
                    "priority-medium", "team_lead", "priority", "medium", NULL, NULL);
    expect_deadline("low: first contact 4 business hours (lunch break)", "l", SLA_METRIC_FIRST_RESPONSE,
                    T0 + 6 * HOUR /* 14:00 Shanghai */, "priority-low", "team_lead", "priority",
                    "low", NULL, NULL);
    expect_deadline("low: resolution 3 business days", "l2", SLA_METRIC_RESOLUTION,
                    open + 3 * DAY /* Thursday 09:00 */, "priority-low", "team_lead", "priority",
                    "low", NULL, NULL);

    /* Escalations. */
    expect_deadline("general: no response 30 min -> team lead", "g", SLA_METRIC_FIRST_RESPONSE,
                    open + 30 * MIN, "general", "team_lead", "subject", "hello", NULL, NULL);
    expect_deadline("important (2nd complaint): manager within 30 min", "i1",
                    SLA_METRIC_FIRST_RESPONSE, open + 30 * MIN, "important-repeat-complaint",
                    "manager", "complaint_count", "2", NULL, NULL);
    expect_deadline("important (amount > 1000): resolved within 24 h", "i2", SLA_METRIC_RESOLUTION,
                    open + 24 * HOUR, "important-amount", "manager", "amount", "1500.00", NULL,
                    NULL);
    expect_deadline("urgent (safety): director within 10 min", "u1", SLA_METRIC_FIRST_RESPONSE,
                    open + 10 * MIN, "urgent", "director", "risk", "safety", NULL, NULL);
    expect_deadline("urgent (public opinion): first plan within 1 h", "u2",
                    SLA_METRIC_PERIODIC_UPDATE, open + HOUR, "urgent", "director", "risk",
                    "public_opinion", NULL, NULL);
    expect_deadline("urgent: resolved within 24 h", "u3", SLA_METRIC_RESOLUTION, open + 24 * HOUR,
                    "urgent", "director", "risk", "safety", NULL, NULL);

    /* Resolution by problem level. */
    expect_deadline("level general: 24 h", "lg", SLA_METRIC_RESOLUTION, open + 24 * HOUR,
                    "level-general", "team_lead", "level", "general", NULL, NULL);
    expect_deadline("level important: 48 h", "li", SLA_METRIC_RESOLUTION, open + 48 * HOUR,
                    "level-important", "manager", "level", "important", NULL, NULL);
    expect_deadline("level urgent: 12 h", "lu", SLA_METRIC_RESOLUTION, open + 12 * HOUR,
                    "level-urgent", "director", "level", "urgent", NULL, NULL);

    /* Complex tickets: a progress update every 4 h. */
    expect_deadline("complex: progress update every 4 h", "x", SLA_METRIC_PERIODIC_UPDATE,
                    open + 4 * HOUR, "complex", "team_lead", "complex", "true", NULL, NULL);

    /* Phone: answered within 3 rings of 5 s. */
    fixture fx;
    CHECK(fx_init_path(&fx, conf_path, T0) == 0);
    fx_event(&fx, open, "ticket", "p", "type", "call.ringing", "channel", "phone", NULL);
    fx_run_until(&fx, open + 15 * SEC);
    CHECK(breach_of(&fx, "p", SLA_METRIC_PICKUP) == NULL);
    fx_run_until(&fx, open + 15 * SEC + 1);
    const sla_decision *d = breach_of(&fx, "p", SLA_METRIC_PICKUP);
    CHECK(d && d->deadline_ms == open + 15 * SEC && strcmp(d->receiver, "supervisor") == 0);
    fx_release(&fx);

    /* Follow-ups after resolution. */
    static const struct {
        const char *what, *k, *v;
        int64_t after;
        const char *policy;
    } follow[] = {
        {"complaint: revisit within 2 h of resolution", "category", "complaint", 2 * HOUR,
         "followup-complaint"},
        {"new customer: first revisit within 24 h of activation", "category", "activation",
         24 * HOUR, "followup-activation"},
        {"after-sales: revisit within 3 days", "category", "after_sales", 3 * DAY,
         "followup-after-sales"},
        {"email solution sent: phone revisit within 24 h", "channel", "email", 24 * HOUR,
         "followup-email-solution"},
    };
    for (size_t i = 0; i < sizeof follow / sizeof follow[0]; i++) {
        CHECK(fx_init_path(&fx, conf_path, T0) == 0);
        OPEN(&fx, "f", open, follow[i].k, follow[i].v);
        fx_event(&fx, open + MIN, "ticket", "f", "type", "ticket.resolved", NULL);
        fx_run_until(&fx, open + MIN + follow[i].after + 1);
        d = breach_of(&fx, "f", SLA_METRIC_FOLLOW_UP);
        int ok = d && d->deadline_ms == open + MIN + follow[i].after &&
                 strcmp(d->policy, follow[i].policy) == 0;
        if (!ok)
            fprintf(stderr, "norm '%s' failed\n", follow[i].what);
        CHECK(ok);
        fx_release(&fx);
    }

    /* After a revisit: satisfied 3 months, average 1 week, unsatisfied 24 h. */
    static const struct { const char *sat; int64_t after; } revisit[] = {
        {"5", 90 * DAY}, {"3", 7 * DAY}, {"1", DAY},
    };
    for (size_t i = 0; i < 3; i++) {
        CHECK(fx_init_path(&fx, conf_path, T0) == 0);
        OPEN(&fx, "r", open, "category", "complaint");
        fx_event(&fx, open + MIN, "ticket", "r", "type", "ticket.resolved", NULL);
        fx_event(&fx, open + HOUR, "ticket", "r", "type", "followup.done", "satisfaction",
                 revisit[i].sat, NULL);
        fx_run_until(&fx, open + HOUR + revisit[i].after);
        CHECK(breach_of(&fx, "r", SLA_METRIC_FOLLOW_UP) == NULL);
        fx_run_until(&fx, open + HOUR + revisit[i].after + 1);
        d = breach_of(&fx, "r", SLA_METRIC_FOLLOW_UP);
        CHECK(d && d->cycle == 2 && d->deadline_ms == open + HOUR + revisit[i].after);
        fx_release(&fx);
    }
    return CHECK_DONE();
}
