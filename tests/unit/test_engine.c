/*
 * test_engine — every metric, event effect and ladder rule of the engine,
 * driven through an injected clock (SPEC sections 3 and 4).
 */
#include "check.h"
#include "engine_fixture.h"

#include "sla_attrs.h"
#include "sla_duration.h"
#include "sla_ticket.h"

#define TS(x) ts_text(x)
static const char *ts_text(int64_t ms)
{
    static char bufs[16][24];
    static int i;
    char *b = bufs[i++ % 16];
    snprintf(b, 24, "%lld", (long long)ms);
    return b;
}

static const char base_policies[] =
    "policies = (\n"
    "  { name = \"chat\"; match = { channel = \"chat\"; };\n"
    "    first_response = { target = \"30s\"; warn = \"80%\";\n"
    "      escalate = ( { after = \"0s\"; notify = [ \"team_lead\" ]; },\n"
    "                   { after = \"15m\"; notify = [ \"manager\" ]; },\n"
    "                   { after = \"45m\"; notify = [ \"director\" ]; repeat = \"30m\"; max_repeats = 3; } );\n"
    "      recovered = true; };\n"
    "    next_response = { target = \"1m\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "    periodic_update = { target = \"4h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "    resolution = { target = \"1h\"; warn = \"10m\"; warn_notify = [ \"supervisor\" ];\n"
    "      escalate = ( { notify = [ \"team_lead\", \"manager\" ]; } ); };\n"
    "  },\n"
    "  { name = \"phone\"; match = { channel = \"phone\"; };\n"
    "    pickup = { target = \"3 rings\"; escalate = ( { notify = [ \"supervisor\" ]; } ); };\n"
    "  },\n"
    "  { name = \"high\"; match = { priority = \"high\"; };\n"
    "    first_response = { target = \"15m\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "  },\n"
    "  { name = \"low\"; match = { priority = \"low\"; };\n"
    "    first_response = { target = \"4h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "  },\n"
    "  { name = \"important\"; match = { amount = \">1000\"; };\n"
    "    resolution = { target = \"24h\"; escalate = ( { notify = [ \"manager\" ]; } ); };\n"
    "  },\n"
    "  { name = \"complaint\"; match = { category = \"complaint\"; };\n"
    "    follow_up = { target = \"2h\"; escalate = ( { notify = [ \"supervisor\" ]; } ); };\n"
    "    callback = { escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "  },\n"
    "  { name = \"default\";\n"
    "    resolution = { target = \"24h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "  } );\n";

static void test_chat_first_response_breach(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    CHECK_INT(fx_event(&fx, T0, "ticket", "C1", "type", "ticket.opened", "channel", "chat", NULL),
              SLA_APPLIED);
    fx_run_until(&fx, T0 + 23999);
    CHECK_INT(fx_count(&fx, -1, -1, NULL), 0);
    fx_run_until(&fx, T0 + 24000); /* 80% of 30 s */
    CHECK_INT(fx_count(&fx, SLA_DECISION_WARNING, SLA_METRIC_FIRST_RESPONSE, "C1"), 1);
    fx_run_until(&fx, T0 + 30000);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, -1, NULL), 0);
    fx_run_until(&fx, T0 + 30001);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d != NULL);
    if (d) {
        CHECK_INT(d->deadline_ms, T0 + 30000);
        CHECK_INT(d->fired_ms, T0 + 30001); /* the deadline itself is still on time */
        CHECK_INT(d->late_ms, 0);
        CHECK_INT(d->level, 1);
        CHECK_STR(d->receiver, "team_lead");
        CHECK_STR(d->policy, "chat");
        CHECK_INT(d->cycle, 1);
        CHECK(strncmp(d->id, "esc_", 4) == 0 && strlen(d->id) == 36);
    }
    /* The ladder: manager after 15 min, director after 45 min, then every
     * 30 min three more times, and nothing after that. */
    fx_run_until(&fx, T0 + 30000 + 15 * MIN - 1);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, -1, NULL), 0);
    fx_run_until(&fx, T0 + 30000 + 15 * MIN);
    d = fx_find(&fx, SLA_DECISION_ESCALATION, -1, 0);
    CHECK(d && d->level == 2 && strcmp(d->receiver, "manager") == 0);
    fx_run_until(&fx, T0 + 30000 + 45 * MIN);
    d = fx_find(&fx, SLA_DECISION_ESCALATION, -1, 1);
    CHECK(d && d->level == 3 && strcmp(d->receiver, "director") == 0);
    fx_run_until(&fx, T0 + 30000 + 45 * MIN + 3 * 30 * MIN);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, -1, NULL), 5);
    d = fx_find(&fx, SLA_DECISION_ESCALATION, -1, 4);
    CHECK(d && d->level == 6 && d->deadline_ms == T0 + 30000);
    fx_run_until(&fx, T0 + 10 * HOUR);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, -1, NULL), 5);
    /* Resolution (1 h, warn 10 min before to the supervisor) ran alongside. */
    d = fx_find(&fx, SLA_DECISION_WARNING, SLA_METRIC_RESOLUTION, 0);
    CHECK(d && d->deadline_ms == T0 + HOUR && d->fired_ms == T0 + 50 * MIN &&
          strcmp(d->receiver, "supervisor") == 0);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, NULL), 2);
    fx_release(&fx);
}

static void test_reply_in_time_and_late(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "A", "type", "ticket.opened", "channel", "chat", NULL);
    fx_event(&fx, T0 + 10 * SEC, "ticket", "A", "type", "agent.reply", NULL);
    fx_run_until(&fx, T0 + 2 * MIN);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_FIRST_RESPONSE, NULL), 0);

    /* Events that arrive late (ts in the past): the reply came after the
     * deadline, so the breach is recorded at once, late, then recovered. */
    int64_t now = T0 + HOUR;
    fx_event(&fx, now, "ticket", "B", "type", "ticket.opened", "channel", "chat", "ts",
             TS(now - 60 * SEC), NULL);
    fx_event(&fx, now, "ticket", "B", "type", "agent.reply", "ts", TS(now - 20 * SEC), NULL);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d != NULL);
    if (d) {
        CHECK_INT(d->deadline_ms, now - 30 * SEC);
        CHECK_INT(d->late_ms, 30 * SEC - 1); /* it was due 1 ms after the deadline */
        CHECK_STR(d->ticket, "B");
    }
    CHECK_INT(fx_count(&fx, SLA_DECISION_WARNING, SLA_METRIC_FIRST_RESPONSE, "B"), 1);
    d = fx_find(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && strcmp(d->receiver, "team_lead") == 0 && d->level == 1);
    fx_run_until(&fx, now + 2 * HOUR);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_FIRST_RESPONSE, "B"), 0);
    fx_release(&fx);
}

/* The acked clock of `ticket` in engine e: who and when, as ticket_info
 * reports them; 0, or -1 when the clock is not acknowledged. */
static int acked_info(sla_engine *e, const char *ticket, int metric, const char **by,
                      int64_t *at)
{
    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *attrs;
    size_t alen;
    int n = sla_engine_ticket_info(e, ticket, strlen(ticket), T0, ci, &attrs, &alen);
    for (int i = 0; i < n; i++)
        if (ci[i].metric == metric && ci[i].acked) {
            *by = ci[i].acked_by;
            *at = ci[i].acked_ms;
            return 0;
        }
    return -1;
}

/* Restore every ticket collected so far into a fresh engine (a restart). */
static sla_engine *restarted(const fixture *fx, int64_t now)
{
    sla_engine *e = sla_engine_new(fx->cfg, now);
    for (size_t i = 0; i < fx->out.nupserts; i++)
        CHECK_INT(sla_engine_restore(e, fx->out.upserts[i].ticket, fx->out.upserts[i].ticket_len,
                                     fx->out.upserts[i].record, fx->out.upserts[i].record_len,
                                     now),
                  0);
    return e;
}

/* Who acknowledged a breach, and when, is kept in the ticket's state: by
 * slactl ack (sla_engine_ack) and by an escalation.ack entry, across a
 * restart; a name from the stream is stored as a terminal may show it, cut to
 * SLA_MEMO_BY_MAX bytes. */
static void test_ack_keeps_who_and_when(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "K", "type", "ticket.opened", "channel", "chat", NULL);
    fx_event(&fx, T0, "ticket", "L", "type", "ticket.opened", "channel", "chat", NULL);
    fx_event(&fx, T0, "ticket", "M", "type", "ticket.opened", "channel", "chat", NULL);
    fx_run_until(&fx, T0 + 61 * MIN);
    CHECK_INT(sla_engine_ack(fx.eng, "K", 1, SLA_METRIC_FIRST_RESPONSE,
                             "\xe5\xbc\xa0\xe4\xb8\x89 (night shift)", T0 + 62 * MIN),
              1);
    CHECK_INT(sla_engine_ack(fx.eng, "K", 1, SLA_METRIC_RESOLUTION, NULL, T0 + 63 * MIN), 1);
    fx_event(&fx, T0 + 64 * MIN, "ticket", "L", "type", "escalation.ack", "metric",
             "first_response", "by", "lead\xff-7", NULL);
    char long_by[301];
    memset(long_by, 'x', 300);
    long_by[300] = '\0';
    fx_event(&fx, T0 + 64 * MIN, "ticket", "M", "type", "escalation.ack", "by", long_by, NULL);
    /* Acknowledging every clock of L leaves first_response's who and when. */
    fx_event(&fx, T0 + 65 * MIN, "ticket", "L", "type", "escalation.ack", "by", "other", NULL);
    fx_advance(&fx, T0 + 66 * MIN);

    static const struct {
        const char *ticket;
        int metric;
        const char *by;
        int64_t at;
    } want[] = {
        {"K", SLA_METRIC_FIRST_RESPONSE, "\xe5\xbc\xa0\xe4\xb8\x89 (night shift)", T0 + 62 * MIN},
        {"K", SLA_METRIC_RESOLUTION, "", T0 + 63 * MIN},
        {"L", SLA_METRIC_FIRST_RESPONSE, "lead?-7", T0 + 64 * MIN},
        {"L", SLA_METRIC_RESOLUTION, "other", T0 + 65 * MIN},
    };
    const char *by;
    int64_t at;
    for (int pass = 0; pass < 2; pass++) {
        sla_engine *e = pass == 0 ? fx.eng : restarted(&fx, T0 + 67 * MIN);
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            CHECK_INT(acked_info(e, want[i].ticket, want[i].metric, &by, &at), 0);
            CHECK_STR(by, want[i].by);
            CHECK_INT(at, want[i].at);
        }
        CHECK_INT(acked_info(e, "K", SLA_METRIC_NEXT_RESPONSE, &by, &at), -1);
        CHECK_INT(acked_info(e, "M", SLA_METRIC_FIRST_RESPONSE, &by, &at), 0);
        CHECK(strlen(by) <= SLA_MEMO_BY_MAX && strncmp(by, long_by, 100) == 0);
        if (pass == 1)
            sla_engine_free(e);
    }
    /* A new cycle of the clock forgets the acknowledgement with the breach. */
    fx_event(&fx, T0 + 70 * MIN, "ticket", "K", "type", "agent.reply", NULL);
    fx_event(&fx, T0 + 71 * MIN, "ticket", "K", "type", "customer.message", NULL);
    fx_run_until(&fx, T0 + 73 * MIN);
    CHECK_INT(acked_info(fx.eng, "K", SLA_METRIC_NEXT_RESPONSE, &by, &at), -1);
    CHECK_INT(sla_engine_ack(fx.eng, "K", 1, SLA_METRIC_NEXT_RESPONSE, "ops", T0 + 74 * MIN), 1);
    CHECK_INT(acked_info(fx.eng, "K", SLA_METRIC_NEXT_RESPONSE, &by, &at), 0);
    CHECK_STR(by, "ops");
    /* The resolution clock, still in its cycle, keeps its own. */
    CHECK_INT(acked_info(fx.eng, "K", SLA_METRIC_RESOLUTION, &by, &at), 0);
    CHECK_INT(at, T0 + 63 * MIN);
    fx_release(&fx);
}

static void test_ack_stops_ladder(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "K", "type", "ticket.opened", "channel", "chat", NULL);
    fx_run_until(&fx, T0 + 31 * SEC);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, NULL), 1);
    fx_event(&fx, T0 + MIN, "ticket", "K", "type", "escalation.ack", "metric", "first_response",
             "by", "lead-7", NULL);
    fx_run_until(&fx, T0 + 3 * HOUR);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_FIRST_RESPONSE, NULL), 0);
    /* The resolution breach (1 h) is not acknowledged: it still fires. */
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, NULL), 2);
    /* slactl ack path: unknown ticket, then nothing left to acknowledge. */
    CHECK_INT(sla_engine_ack(fx.eng, "nope", 4, -1, NULL, T0 + 3 * HOUR), -1);
    CHECK_INT(sla_engine_ack(fx.eng, "K", 1, SLA_METRIC_FIRST_RESPONSE, "ops", T0 + 3 * HOUR), 0);
    fx_release(&fx);
}

static void test_next_response_and_periodic(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "N", "type", "ticket.opened", "channel", "chat", NULL);
    fx_event(&fx, T0 + 5 * SEC, "ticket", "N", "type", "agent.reply", NULL);
    /* A customer message while no reply clock runs starts next_response. */
    fx_event(&fx, T0 + 10 * MIN, "ticket", "N", "type", "customer.message", NULL);
    /* A second message does not restart it. */
    fx_event(&fx, T0 + 10 * MIN + 30 * SEC, "ticket", "N", "type", "customer.message", NULL);
    fx_run_until(&fx, T0 + 11 * MIN);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_NEXT_RESPONSE, NULL), 0);
    fx_run_until(&fx, T0 + 11 * MIN + 1);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_NEXT_RESPONSE, 0);
    CHECK(d && d->deadline_ms == T0 + 11 * MIN && d->cycle == 1);
    /* The reply at +5 s restarted periodic_update (4 h); agent.update again. */
    fx_event(&fx, T0 + 3 * HOUR, "ticket", "N", "type", "agent.update", NULL);
    fx_run_until(&fx, T0 + 7 * HOUR);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_PERIODIC_UPDATE, NULL), 0);
    fx_run_until(&fx, T0 + 7 * HOUR + 1);
    d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_PERIODIC_UPDATE, 0);
    CHECK(d && d->deadline_ms == T0 + 7 * HOUR && d->cycle == 3);
    fx_release(&fx);
}

static void test_pickup(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    /* call.ringing opens an unknown ticket; 3 rings of 5 s. */
    CHECK_INT(fx_event(&fx, T0, "ticket", "P1", "type", "call.ringing", "channel", "phone", NULL),
              SLA_APPLIED);
    fx_event(&fx, T0 + 12 * SEC, "ticket", "P1", "type", "call.answered", NULL);
    fx_run_until(&fx, T0 + MIN);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_PICKUP, NULL), 0);

    fx_event(&fx, T0 + 2 * MIN, "ticket", "P2", "type", "call.ringing", "channel", "phone", NULL);
    fx_run_until(&fx, T0 + 2 * MIN + 15 * SEC + 1);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_PICKUP, 0);
    CHECK(d && d->deadline_ms == T0 + 2 * MIN + 15 * SEC && strcmp(d->receiver, "supervisor") == 0);

    /* Abandoned before the target: a breach at once, then nothing more. */
    fx_take(&fx);
    fx_event(&fx, T0 + 3 * MIN, "ticket", "P3", "type", "call.ringing", "channel", "phone", NULL);
    fx_event(&fx, T0 + 3 * MIN + 8 * SEC, "ticket", "P3", "type", "call.abandoned", NULL);
    d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_PICKUP, 0);
    CHECK(d && d->deadline_ms == T0 + 3 * MIN + 8 * SEC && d->fired_ms == T0 + 3 * MIN + 8 * SEC);
    fx_run_until(&fx, T0 + HOUR);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_PICKUP, NULL), 1);
    /* A new ring is a new cycle. */
    fx_event(&fx, T0 + HOUR, "ticket", "P3", "type", "call.ringing", NULL);
    fx_run_until(&fx, T0 + HOUR + 15 * SEC + 1);
    d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_PICKUP, 1);
    CHECK(d && d->cycle == 2);
    fx_release(&fx);
}

static void test_pause_resume_reopen(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    /* No channel: only the default resolution (24 h) applies. */
    fx_event(&fx, T0, "ticket", "R", "type", "ticket.opened", NULL);
    fx_event(&fx, T0 + 2 * HOUR, "ticket", "R", "type", "ticket.pending", NULL);
    fx_event(&fx, T0 + 30 * HOUR, "ticket", "R", "type", "ticket.resumed", NULL);
    fx_run_until(&fx, T0 + 30 * HOUR + 22 * HOUR);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_RESOLUTION, NULL), 0);
    fx_run_until(&fx, T0 + 52 * HOUR + 1);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, 0);
    CHECK(d && d->deadline_ms == T0 + 52 * HOUR);
    fx_release(&fx);

    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "Q", "type", "ticket.opened", "category", "complaint", NULL);
    fx_event(&fx, T0 + 20 * HOUR, "ticket", "Q", "type", "ticket.resolved", NULL);
    /* Complaint follow-up within 2 h of resolution... */
    fx_run_until(&fx, T0 + 22 * HOUR + 1);
    d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FOLLOW_UP, 0);
    CHECK(d && d->deadline_ms == T0 + 22 * HOUR && strcmp(d->policy, "complaint") == 0);
    /* ...reopened: resolution resumes with its 20 h elapsed, follow-up stops. */
    fx_event(&fx, T0 + 30 * HOUR, "ticket", "Q", "type", "ticket.reopened", NULL);
    fx_run_until(&fx, T0 + 34 * HOUR);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_RESOLUTION, NULL), 0);
    fx_run_until(&fx, T0 + 34 * HOUR + 1);
    d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, 0);
    CHECK(d && d->deadline_ms == T0 + 34 * HOUR && d->cycle == 1);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_FOLLOW_UP, NULL), 1);
    fx_release(&fx);
}

static void test_followup_revisits(void)
{
    static const struct { const char *sat; int64_t after; } cases[] = {
        {"5", 90 * DAY}, {"4", 90 * DAY}, {"3", 7 * DAY}, {"2", DAY}, {"1", DAY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture fx;
        CHECK(fx_init(&fx, base_policies, T0) == 0);
        fx_event(&fx, T0, "ticket", "F", "type", "ticket.opened", "category", "complaint", NULL);
        fx_event(&fx, T0 + HOUR, "ticket", "F", "type", "ticket.resolved", NULL);
        fx_event(&fx, T0 + 2 * HOUR, "ticket", "F", "type", "followup.done", "satisfaction",
                 cases[i].sat, NULL);
        fx_run_until(&fx, T0 + 2 * HOUR + cases[i].after);
        CHECK_INT(fx_count(&fx, -1, SLA_METRIC_FOLLOW_UP, NULL), 0);
        fx_run_until(&fx, T0 + 2 * HOUR + cases[i].after + 1);
        const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FOLLOW_UP, 0);
        CHECK(d && d->cycle == 2 && d->deadline_ms == T0 + 2 * HOUR + cases[i].after);
        fx_release(&fx);
    }
}

static void test_callback(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "CB", "type", "ticket.opened", "category", "complaint", NULL);
    fx_event(&fx, T0 + MIN, "ticket", "CB", "type", "callback.scheduled", "due", TS(T0 + HOUR),
             NULL);
    fx_run_until(&fx, T0 + HOUR);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_CALLBACK, NULL), 0);
    fx_run_until(&fx, T0 + HOUR + 1);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_CALLBACK, 0);
    CHECK(d && d->deadline_ms == T0 + HOUR && strcmp(d->receiver, "team_lead") == 0);
    /* Done in time: nothing. */
    fx_event(&fx, T0 + 2 * HOUR, "ticket", "CB", "type", "callback.scheduled", "due",
             "2026-01-05T04:00:00Z", NULL);
    fx_event(&fx, T0 + 3 * HOUR, "ticket", "CB", "type", "callback.done", NULL);
    fx_run_until(&fx, T0 + 5 * HOUR);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_CALLBACK, NULL), 1);
    fx_release(&fx);
}

static void test_rematch_priority(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "U", "type", "ticket.opened", "priority", "low", NULL);
    fx_run_until(&fx, T0 + 20 * MIN);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_FIRST_RESPONSE, NULL), 0);
    /* Raised to high (15 min) while already 20 min old: breaches at once. */
    fx_event(&fx, T0 + 20 * MIN, "ticket", "U", "type", "ticket.updated", "priority", "high",
             NULL);
    fx_advance(&fx, T0 + 20 * MIN);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && d->deadline_ms == T0 + 15 * MIN && d->late_ms == 5 * MIN - 1 &&
          strcmp(d->policy, "high") == 0);
    fx_release(&fx);

    /* Numeric match: amount > 1000 gets the 24 h "important" resolution. */
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "M1", "type", "ticket.opened", "amount", "1000", NULL);
    fx_event(&fx, T0, "ticket", "M2", "type", "ticket.opened", "amount", "1000.5", NULL);
    fx_event(&fx, T0, "ticket", "M3", "type", "ticket.opened", "amount", "lots", NULL);
    fx_run_until(&fx, T0 + 24 * HOUR + 1);
    const sla_decision *d1 = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, 0);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, NULL), 3);
    int important = 0;
    for (size_t i = 0; i < fx.out.ndecisions; i++)
        if (strcmp(fx.out.decisions[i].policy, "important") == 0) {
            important++;
            CHECK_STR(fx.out.decisions[i].ticket, "M2");
        }
    CHECK_INT(important, 1);
    (void)d1;
    fx_release(&fx);
}

static void test_close_duplicate_unknown(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "X", "type", "ticket.opened", "channel", "chat", NULL);
    CHECK_INT(fx.out.nupserts, 1);
    fx_event(&fx, T0 + SEC, "ticket", "X", "type", "ticket.closed", NULL);
    CHECK_INT(fx.out.nremoved, 1);
    CHECK_INT(fx.out.nupserts, 1);
    fx_run_until(&fx, T0 + DAY);
    CHECK_INT(fx_count(&fx, -1, -1, NULL), 0);
    CHECK_INT(fx_event(&fx, T0 + DAY, "ticket", "X", "type", "agent.reply", NULL),
              SLA_APPLY_UNKNOWN_TICKET);

    /* The same entry delivered twice is applied once. */
    fx_event(&fx, T0 + DAY, "ticket", "D", "type", "ticket.opened", "channel", "chat", NULL);
    sla_field f[] = {{"ticket", 6, "D", 1}, {"type", 4, "customer.message", 16}};
    sla_event ev;
    char reason[128];
    CHECK_INT(sla_event_parse(&ev, f, 2, T0 + DAY, &fx.cfg->stream.limits, reason, sizeof reason),
              0);
    sla_streamid id = {(uint64_t)(T0 + DAY), 1};
    CHECK_INT(sla_engine_apply(fx.eng, &ev, &id, T0 + DAY), SLA_APPLY_DUPLICATE);
    id.seq = 1000;
    CHECK_INT(sla_engine_apply(fx.eng, &ev, &id, T0 + DAY), SLA_APPLIED);
    CHECK_INT(sla_engine_apply(fx.eng, &ev, &id, T0 + DAY), SLA_APPLY_DUPLICATE);
    sla_engine_stats st;
    sla_engine_get_stats(fx.eng, &st);
    CHECK_INT(st.duplicates, 2);
    CHECK_INT(st.unknown_ticket, 1);
    CHECK_INT(st.open_tickets, 1);
    CHECK_INT(st.running_clocks[SLA_METRIC_FIRST_RESPONSE], 1);
    fx_release(&fx);
}

static void test_future_ts_clamped(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    /* A ts a day ahead (more than the 5 min default skew) counts from now. */
    fx_event(&fx, T0, "ticket", "Z", "type", "ticket.opened", "channel", "chat", "ts",
             TS(T0 + DAY), NULL);
    fx_run_until(&fx, T0 + 30 * SEC + 1);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, NULL), 1);
    sla_engine_stats st;
    sla_engine_get_stats(fx.eng, &st);
    CHECK_INT(st.ts_clamped, 1);
    fx_release(&fx);
}

/* The clock of metric m of ticket id as the control socket sees it; 0 if none. */
static int clock_info(const fixture *fx, const char *id, int m, int64_t now, sla_clock_info *out)
{
    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *attrs;
    size_t alen;
    int n = sla_engine_ticket_info(fx->eng, id, strlen(id), now, ci, &attrs, &alen);
    for (int i = 0; i < n; i++)
        if (ci[i].metric == m) {
            *out = ci[i];
            return 1;
        }
    return 0;
}

/* A new engine on the same configuration, restored from the durable state
 * collected so far (the last upsert of each ticket wins; no ticket may have
 * been closed); fx's old engine is freed and its output forgotten. */
static void restart_from_state(fixture *fx, int64_t now)
{
    sla_engine *e2 = sla_engine_new(fx->cfg, now);
    for (size_t i = 0; i < fx->out.nupserts; i++) {
        const sla_upsert *u = &fx->out.upserts[i];
        CHECK_INT(sla_engine_restore(e2, u->ticket, u->ticket_len, u->record, u->record_len, now),
                  0);
    }
    fx_take(fx);
    sla_engine_free(fx->eng);
    fx->eng = e2;
}

/* Persist, crash, restore: nothing fired twice, nothing lost. */
static void test_restore_exactly_once(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "S1", "type", "ticket.opened", "channel", "chat", "subject",
             "\xe9\x80\x80\xe6\xac\xbe", NULL);
    fx_event(&fx, T0, "ticket", "S2", "type", "ticket.opened", "channel", "chat", NULL);
    fx_event(&fx, T0 + 5 * SEC, "ticket", "S2", "type", "agent.reply", NULL);
    fx_event(&fx, T0, "ticket", "S3", "type", "ticket.opened", NULL);
    fx_event(&fx, T0 + MIN, "ticket", "S3", "type", "ticket.pending", NULL);
    fx_run_until(&fx, T0 + 31 * SEC); /* S1 warned and breached (level 1) */
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, "S1"), 1);

    /* The durable state is the last upsert of each ticket. */
    restart_from_state(&fx, T0 + 31 * SEC);
    sla_engine_stats st;
    sla_engine_get_stats(fx.eng, &st);
    CHECK_INT(st.open_tickets, 3);
    /* Down for 20 minutes: level 2 (15 min after the deadline) fires at
     * start, late; level 1 and the warning are not repeated. */
    fx_advance(&fx, T0 + 20 * MIN);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, -1, NULL), 0);
    CHECK_INT(fx_count(&fx, SLA_DECISION_WARNING, -1, NULL), 0);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && d->level == 2 && d->late_ms == 20 * MIN - 15 * MIN - 30 * SEC);
    CHECK(d && sla_attrs_get(d->attrs, d->attrs_len, "subject", 7) != NULL);
    /* S3 stays paused: its resolution never fires until resumed. */
    fx_run_until(&fx, T0 + 10 * DAY);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_RESOLUTION, "S3"), 0);
    /* The paused S3 resumed 24 h - 1 min before ... */
    fx_event(&fx, T0 + 10 * DAY, "ticket", "S3", "type", "ticket.resumed", NULL);
    fx_run_until(&fx, T0 + 10 * DAY + 24 * HOUR - MIN + 1);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, "S3"), 1);

    /* A corrupt record is refused. */
    unsigned char junk[] = {1, 0x80};
    CHECK_INT(sla_engine_restore(fx.eng, "J", 1, junk, sizeof junk, T0), -1);
    unsigned char badver[] = {9, 0, 0, 0, 0};
    CHECK_INT(sla_engine_restore(fx.eng, "J", 1, badver, sizeof badver, T0), -1);
    fx_release(&fx);
}

static void test_decision_fields(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "T-9", "type", "ticket.opened", "channel", "chat", "assignee",
             "ann", "level", "spoof", NULL);
    fx_run_until(&fx, T0 + 30 * SEC + 1);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, -1, 0);
    CHECK(d != NULL);
    if (!d) {
        fx_release(&fx);
        return;
    }
    sla_field f[64];
    char scratch[256];
    size_t n = sla_decision_fields(d, f, 64, scratch, sizeof scratch);
    CHECK_INT(n, 13); /* 11 record fields + channel + assignee (level is reserved) */
    CHECK(f[0].key_len == 2 && memcmp(f[1].val, "breach", 6) == 0);
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)f[7].val_len, f[7].val);
    CHECK_STR(f[7].key, "deadline_ms");
    CHECK_INT(atoll(buf), T0 + 30 * SEC);
    snprintf(buf, sizeof buf, "%.*s", (int)f[5].val_len, f[5].val);
    CHECK_STR(buf, "1");
    CHECK_STR(f[12].key, "assignee");
    /* The id is stable for the same (ticket, metric, cycle, level,
     * receiver) and differs otherwise. */
    const sla_decision *w = fx_find(&fx, SLA_DECISION_WARNING, -1, 0);
    CHECK(w && strcmp(w->id, d->id) != 0);
    fx_release(&fx);
}

static void test_reload_changes_targets(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "L", "type", "ticket.opened", "channel", "chat", NULL);
    sla_config *cfg2 = fx_config(
        "policies = ( { name = \"chat2\"; match = { channel = \"chat\"; };\n"
        "  first_response = { target = \"2m\"; escalate = ( { notify = [ \"manager\" ]; } ); }; } );\n");
    CHECK(cfg2 != NULL);
    if (!cfg2) {
        fx_release(&fx);
        return;
    }
    sla_engine_set_config(fx.eng, cfg2, T0 + 10 * SEC);
    sla_config_free(fx.cfg);
    fx.cfg = cfg2;
    fx_run_until(&fx, T0 + 2 * MIN);
    CHECK_INT(fx_count(&fx, -1, -1, NULL), 0);
    fx_run_until(&fx, T0 + 2 * MIN + 1);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && strcmp(d->policy, "chat2") == 0 && strcmp(d->receiver, "manager") == 0);
    /* resolution is no longer defined by any policy: it stopped. */
    fx_run_until(&fx, T0 + 3 * DAY);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_RESOLUTION, NULL), 0);
    fx_release(&fx);
}

static void test_business_calendar(void)
{
    fixture fx;
    CHECK(fx_init(&fx,
                  "calendars = ( { name = \"office\"; timezone = \"UTC\";\n"
                  "  hours = { mon = [\"09:00-12:00\", \"13:00-18:00\"]; tue = [\"09:00-18:00\"];\n"
                  "            wed = [\"09:00-18:00\"]; thu = [\"09:00-18:00\"]; fri = [\"09:00-18:00\"]; };\n"
                  "  holidays = [ \"2026-01-07\" ]; } );\n"
                  "policies = ( { name = \"biz\";\n"
                  "  first_response = { target = \"4h\"; calendar = \"office\";\n"
                  "    escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
                  "  resolution = { target = \"3d\"; calendar = \"office\";\n"
                  "    escalate = ( { notify = [ \"team_lead\" ]; } ); }; } );\n",
                  T0) == 0);
    /* Opened Monday 16:00: 2 h Monday, 2 h Tuesday -> Tuesday 11:00. */
    fx_event(&fx, T0 + 16 * HOUR, "ticket", "B1", "type", "ticket.opened", NULL);
    fx_run_until(&fx, T0 + DAY + 11 * HOUR + 1);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && d->deadline_ms == T0 + DAY + 11 * HOUR);
    /* 3 business days from Monday 16:00 (6 business hours into a day with a
     * lunch break), Wednesday a holiday: Friday, 6 h into its day: 15:00. */
    fx_run_until(&fx, T0 + 4 * DAY + 16 * HOUR);
    d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, 0);
    CHECK(d && d->deadline_ms == T0 + 4 * DAY + 15 * HOUR);
    fx_release(&fx);
}

static void test_queries_and_clock_backwards(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "Q1", "type", "ticket.opened", "channel", "chat", NULL);
    fx_event(&fx, T0 + 10 * SEC, "ticket", "Q2", "type", "ticket.opened", "channel", "chat", NULL);
    fx_event(&fx, T0, "ticket", "Q3", "type", "ticket.opened", "priority", "low", NULL);
    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *attrs;
    size_t alen;
    CHECK_INT(sla_engine_ticket_info(fx.eng, "nope", 4, T0, ci, &attrs, &alen), -1);
    int n = sla_engine_ticket_info(fx.eng, "Q1", 2, T0 + 5 * SEC, ci, &attrs, &alen);
    CHECK_INT(n, 3); /* first_response, periodic_update, resolution */
    CHECK(n > 0 && ci[0].metric == SLA_METRIC_FIRST_RESPONSE && ci[0].deadline_ms == T0 + 30 * SEC &&
          ci[0].elapsed_ms == 5 * SEC && strcmp(ci[0].state_name, "running") == 0 &&
          strcmp(ci[0].policy_name, "chat") == 0);
    CHECK_STR(sla_attrs_get(attrs, alen, "channel", 7), "chat");

    sla_due_item items[2];
    /* Due within a minute: Q1 and Q2 first replies; the soonest first. */
    CHECK_INT(fx_list(&fx, T0, MIN, 0, items, 2), 2);
    CHECK(strcmp(items[0].ticket, "Q1") == 0 && items[0].deadline_ms == T0 + 30 * SEC);
    CHECK(strcmp(items[1].ticket, "Q2") == 0);
    /* Everything due, but only the 2 soonest returned. */
    size_t all = fx_list(&fx, T0, -1, 0, items, 2);
    CHECK(all >= 6 && strcmp(items[0].ticket, "Q1") == 0);
    fx_run_until(&fx, T0 + 35 * SEC);
    CHECK_INT(fx_list(&fx, T0 + 35 * SEC, -1, 1, items, 2), 1);
    CHECK(strcmp(items[0].ticket, "Q1") == 0 && items[0].fired == 1);

    /* The wall clock stepping back must neither hang nor lose what is due. */
    fx_take(&fx);
    fx_advance(&fx, T0 + 41 * SEC);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, -1, "Q2"), 1);
    fx_event(&fx, T0 + 41 * SEC, "ticket", "Q4", "type", "ticket.opened", "channel", "chat", "ts",
             TS(T0), NULL);
    fx_advance(&fx, T0 + 20 * SEC);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, -1, "Q4"), 1);
    fx_release(&fx);
}

/*
 * periodic_update runs while the ticket is not resolved: ticket.reopened
 * starts a new period, and so do agent.reply / agent.update even when the
 * clock was stopped; on a resolved ticket they start nothing.
 */
static void test_periodic_update_while_open(void)
{
    static const char conf[] =
        "policies = (\n"
        "  { name = \"complex\"; match = { complex = \"true\"; };\n"
        "    periodic_update = { target = \"4h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; },\n"
        "  { name = \"general\";\n"
        "    resolution = { target = \"24h\"; escalate = ( { notify = [ \"manager\" ]; } ); }; } );\n";
    const int64_t H10 = T0 + 10 * HOUR;
    fixture fx;
    CHECK(fx_init(&fx, conf, T0) == 0);
    sla_clock_info ci;

    /* Opened 10:00, resolved 10:01, reopened 10:02, updated 10:03. */
    fx_event(&fx, H10, "ticket", "G1", "type", "ticket.opened", "complex", "true", NULL);
    fx_event(&fx, H10 + MIN, "ticket", "G1", "type", "ticket.resolved", NULL);
    CHECK(clock_info(&fx, "G1", SLA_METRIC_PERIODIC_UPDATE, H10 + MIN, &ci) &&
          strcmp(ci.state_name, "stopped") == 0);
    fx_event(&fx, H10 + 2 * MIN, "ticket", "G1", "type", "ticket.reopened", NULL);
    CHECK(clock_info(&fx, "G1", SLA_METRIC_PERIODIC_UPDATE, H10 + 2 * MIN, &ci) &&
          strcmp(ci.state_name, "running") == 0 && ci.cycle == 2 &&
          ci.deadline_ms == H10 + 2 * MIN + 4 * HOUR);
    fx_event(&fx, H10 + 3 * MIN, "ticket", "G1", "type", "agent.update", NULL);
    CHECK(clock_info(&fx, "G1", SLA_METRIC_PERIODIC_UPDATE, H10 + 3 * MIN, &ci) &&
          strcmp(ci.state_name, "running") == 0 && ci.cycle == 3 &&
          ci.deadline_ms == H10 + 3 * MIN + 4 * HOUR);
    fx_run_until(&fx, H10 + 4 * HOUR + 3 * MIN);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_PERIODIC_UPDATE, NULL), 0);
    fx_run_until(&fx, H10 + 4 * HOUR + 3 * MIN + 1);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_PERIODIC_UPDATE, 0);
    CHECK(d && d->cycle == 3 && d->deadline_ms == H10 + 4 * HOUR + 3 * MIN &&
          strcmp(d->receiver, "team_lead") == 0);
    fx_take(&fx);

    /* An update or a reply on a resolved ticket starts nothing, also after
     * a restart from the durable state. */
    int64_t t = H10 + DAY;
    fx_event(&fx, t, "ticket", "G2", "type", "ticket.opened", "complex", "true", NULL);
    fx_event(&fx, t + MIN, "ticket", "G2", "type", "ticket.resolved", NULL);
    fx_event(&fx, t + 2 * MIN, "ticket", "G2", "type", "agent.update", NULL);
    fx_event(&fx, t + 3 * MIN, "ticket", "G2", "type", "agent.reply", NULL);
    CHECK(clock_info(&fx, "G2", SLA_METRIC_PERIODIC_UPDATE, t + 3 * MIN, &ci) &&
          strcmp(ci.state_name, "stopped") == 0 && ci.cycle == 1);
    restart_from_state(&fx, t + 4 * MIN);
    fx_event(&fx, t + 5 * MIN, "ticket", "G2", "type", "agent.update", NULL);
    CHECK(clock_info(&fx, "G2", SLA_METRIC_PERIODIC_UPDATE, t + 5 * MIN, &ci) &&
          strcmp(ci.state_name, "stopped") == 0 && ci.cycle == 1);
    /* ...until it is reopened, which the restored engine knows too. */
    fx_event(&fx, t + 6 * MIN, "ticket", "G2", "type", "ticket.reopened", NULL);
    CHECK(clock_info(&fx, "G2", SLA_METRIC_PERIODIC_UPDATE, t + 6 * MIN, &ci) &&
          strcmp(ci.state_name, "running") == 0 && ci.cycle == 2);

    /* A ticket that became complex after opening gets its first period
     * from the next update, not from the re-match itself. */
    t += DAY;
    fx_event(&fx, t, "ticket", "G3", "type", "ticket.opened", NULL);
    fx_event(&fx, t + MIN, "ticket", "G3", "type", "ticket.updated", "complex", "true", NULL);
    CHECK(!clock_info(&fx, "G3", SLA_METRIC_PERIODIC_UPDATE, t + MIN, &ci));
    fx_event(&fx, t + 2 * MIN, "ticket", "G3", "type", "agent.update", NULL);
    CHECK(clock_info(&fx, "G3", SLA_METRIC_PERIODIC_UPDATE, t + 2 * MIN, &ci) &&
          strcmp(ci.state_name, "running") == 0 && ci.cycle == 1 &&
          ci.deadline_ms == t + 2 * MIN + 4 * HOUR);

    /* While a ticket.pending is in force the new period starts paused. */
    t += DAY;
    fx_event(&fx, t, "ticket", "G4", "type", "ticket.opened", "complex", "true", NULL);
    fx_event(&fx, t + MIN, "ticket", "G4", "type", "ticket.pending", NULL);
    fx_event(&fx, t + 2 * MIN, "ticket", "G4", "type", "agent.update", NULL);
    CHECK(clock_info(&fx, "G4", SLA_METRIC_PERIODIC_UPDATE, t + 2 * MIN, &ci) &&
          strcmp(ci.state_name, "paused") == 0 && ci.cycle == 2 && ci.elapsed_ms == 0);
    fx_event(&fx, t + HOUR, "ticket", "G4", "type", "ticket.resumed", NULL);
    CHECK(clock_info(&fx, "G4", SLA_METRIC_PERIODIC_UPDATE, t + HOUR, &ci) &&
          strcmp(ci.state_name, "running") == 0 && ci.deadline_ms == t + 5 * HOUR);
    fx_release(&fx);
}

/*
 * The deadline is the last instant at which the promise is kept: a reply
 * exactly at it is on time, the breach is due 1 ms later, and later steps
 * at deadline + after.
 */
static void test_deadline_is_inclusive(void)
{
    static const char conf[] =
        "policies = ( { name = \"general\";\n"
        "  first_response = { target = \"30m\"; recovered = true;\n"
        "    escalate = ( { notify = [ \"team_lead\" ]; }, { after = \"15m\"; notify = [ \"manager\" ]; } ); };\n"
        "  callback = { escalate = ( { notify = [ \"supervisor\" ]; } ); }; } );\n";
    const int64_t H10 = T0 + 10 * HOUR;
    fixture fx;
    CHECK(fx_init(&fx, conf, T0) == 0);

    /* Opened 10:00:00.000, reply 10:30:00.000: met on time. */
    fx_event(&fx, H10, "ticket", "A", "type", "ticket.opened", NULL);
    fx_run_until(&fx, H10 + 30 * MIN);
    fx_event(&fx, H10 + 30 * MIN, "ticket", "A", "type", "agent.reply", NULL);
    fx_run_until(&fx, H10 + 2 * HOUR);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_FIRST_RESPONSE, "A"), 0);

    /* The same, both events read long after the fact (catch-up). */
    int64_t later = H10 + 3 * HOUR;
    fx_event(&fx, later, "ticket", "B", "type", "ticket.opened", "ts", TS(H10), NULL);
    fx_event(&fx, later, "ticket", "B", "type", "agent.reply", "ts", TS(H10 + 30 * MIN), NULL);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_FIRST_RESPONSE, "B"), 0);
    /* One millisecond later is late: the breach, then the recovery. */
    fx_event(&fx, later, "ticket", "B2", "type", "ticket.opened", "ts", TS(H10), NULL);
    fx_event(&fx, later, "ticket", "B2", "type", "agent.reply", "ts", TS(H10 + 30 * MIN + 1),
             NULL);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && strcmp(d->ticket, "B2") == 0 && d->deadline_ms == H10 + 30 * MIN &&
          d->fired_ms == later && d->late_ms == later - (H10 + 30 * MIN + 1));
    CHECK_INT(fx_count(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_FIRST_RESPONSE, "B2"), 1);
    fx_take(&fx);

    /* Nobody replies: nothing at the deadline, the breach 1 ms after it
     * (on time, late_ms 0), the manager exactly 15 min after the deadline. */
    int64_t t = H10 + DAY;
    fx_event(&fx, t, "ticket", "C", "type", "ticket.opened", NULL);
    fx_run_until(&fx, t + 30 * MIN);
    CHECK_INT(fx_count(&fx, -1, -1, NULL), 0);
    sla_due_item items[1];
    CHECK_INT(fx_list(&fx, t + 30 * MIN, -1, 1, items, 1), 0);
    CHECK_INT(fx_list(&fx, t + 30 * MIN, 0, 0, items, 1), 1);
    fx_run_until(&fx, t + 30 * MIN + 1);
    d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && d->deadline_ms == t + 30 * MIN && d->fired_ms == t + 30 * MIN + 1 &&
          d->late_ms == 0);
    CHECK_INT(fx_list(&fx, t + 30 * MIN + 1, -1, 1, items, 1), 1);
    fx_run_until(&fx, t + 45 * MIN - 1);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, -1, NULL), 0);
    fx_run_until(&fx, t + 45 * MIN);
    d = fx_find(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && d->level == 2 && d->deadline_ms == t + 30 * MIN && d->late_ms == 0);
    fx_take(&fx);

    /* An absolute deadline: callback.done exactly at `due` is on time. */
    t += DAY;
    fx_event(&fx, t, "ticket", "D", "type", "ticket.opened", NULL);
    fx_event(&fx, t, "ticket", "D", "type", "callback.scheduled", "due", TS(t + HOUR), NULL);
    fx_run_until(&fx, t + HOUR);
    fx_event(&fx, t + HOUR, "ticket", "D", "type", "callback.done", NULL);
    fx_event(&fx, t, "ticket", "E", "type", "ticket.opened", NULL);
    fx_event(&fx, t, "ticket", "E", "type", "callback.scheduled", "due", TS(t + HOUR), NULL);
    fx_run_until(&fx, t + 3 * HOUR);
    CHECK_INT(fx_count(&fx, -1, SLA_METRIC_CALLBACK, "D"), 0);
    d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_CALLBACK, 0);
    CHECK(d && strcmp(d->ticket, "E") == 0 && d->deadline_ms == t + HOUR &&
          d->fired_ms == t + HOUR + 1 && d->late_ms == 0);
    fx_release(&fx);
}

/* Open the wall-clock ticket W and the business-hours ticket O at `at`. */
static void open_w_and_o(fixture *fx, int64_t at)
{
    fx_event(fx, at, "ticket", "W", "type", "ticket.opened", NULL);
    fx_event(fx, at, "ticket", "O", "type", "ticket.opened", "hours", "office", NULL);
}

/* The same event for W and O. */
static void w_and_o(fixture *fx, int64_t at, const char *type)
{
    fx_event(fx, at, "ticket", "W", "type", type, NULL);
    fx_event(fx, at, "ticket", "O", "type", type, NULL);
}

/*
 * A clock resumed after its target ran out has no time left: its
 * deadline is the resume (wall clock) or the first working instant from
 * it (calendar), and its ladder continues from there.
 */
static void test_resumed_past_target(void)
{
    static const char conf[] =
        "calendars = ( { name = \"office\"; timezone = \"UTC\";\n"
        "  hours = { mon = [\"09:00-18:00\"]; tue = [\"09:00-18:00\"]; wed = [\"09:00-18:00\"];\n"
        "            thu = [\"09:00-18:00\"]; fri = [\"09:00-18:00\"]; }; } );\n"
        "policies = (\n"
        "  { name = \"office\"; match = { hours = \"office\"; };\n"
        "    resolution = { target = \"1h\"; calendar = \"office\";\n"
        "      escalate = ( { notify = [ \"team_lead\" ]; }, { after = \"30m\"; notify = [ \"manager\" ]; } ); }; },\n"
        "  { name = \"plain\";\n"
        "    resolution = { target = \"1h\";\n"
        "      escalate = ( { notify = [ \"team_lead\" ]; }, { after = \"30m\"; notify = [ \"manager\" ]; } ); }; } );\n";
    /* Both run from Monday 09:00, breach at 10:00, pause at 10:10 (70 min
     * of a 60 min target elapsed) and resume at 12:00. */
    const int64_t H9 = T0 + 9 * HOUR;
    fixture fx;
    CHECK(fx_init(&fx, conf, T0) == 0);
    open_w_and_o(&fx, H9);
    fx_run_until(&fx, H9 + HOUR + 1);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, NULL), 2);
    w_and_o(&fx, H9 + 70 * MIN, "ticket.pending");
    fx_run_until(&fx, H9 + 3 * HOUR);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, -1, NULL), 0);
    w_and_o(&fx, H9 + 3 * HOUR, "ticket.resumed");
    sla_clock_info ci;
    CHECK(clock_info(&fx, "W", SLA_METRIC_RESOLUTION, H9 + 3 * HOUR, &ci) &&
          ci.deadline_ms == H9 + 3 * HOUR && ci.elapsed_ms == 70 * MIN);
    CHECK(clock_info(&fx, "O", SLA_METRIC_RESOLUTION, H9 + 3 * HOUR, &ci) &&
          ci.deadline_ms == H9 + 3 * HOUR);
    /* The manager: 30 min after the resume for both, not 10 min earlier
     * (the deadline that the 10 min over the target would put in the past). */
    fx_run_until(&fx, H9 + 3 * HOUR + 30 * MIN - 1);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, -1, NULL), 0);
    fx_run_until(&fx, H9 + 3 * HOUR + 30 * MIN);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_RESOLUTION, NULL), 2);
    for (int i = 0; i < 2; i++) {
        const sla_decision *d = fx_find(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_RESOLUTION, i);
        CHECK(d && d->level == 2 && d->deadline_ms == H9 + 3 * HOUR && d->late_ms == 0);
    }
    fx_release(&fx);

    /* Resumed outside working hours: the calendar's deadline is the next
     * opening (Tuesday 09:00), the wall clock's the resume itself. */
    CHECK(fx_init(&fx, conf, T0) == 0);
    open_w_and_o(&fx, H9);
    w_and_o(&fx, H9 + 70 * MIN, "ticket.pending");
    w_and_o(&fx, T0 + 20 * HOUR, "ticket.resumed");
    CHECK(clock_info(&fx, "W", SLA_METRIC_RESOLUTION, T0 + 20 * HOUR, &ci) &&
          ci.deadline_ms == T0 + 20 * HOUR);
    CHECK(clock_info(&fx, "O", SLA_METRIC_RESOLUTION, T0 + 20 * HOUR, &ci) &&
          ci.deadline_ms == T0 + DAY + 9 * HOUR);
    fx_release(&fx);
}

/*
 * Recovered notices go to whoever was told of this cycle's breach, as it
 * was told, whatever the ticket's policy is by the time it is met.
 */
static const char rematch_policies[] =
    "policies = (\n"
    "  { name = \"gold\"; match = { tier = \"gold\"; };\n"
    "    first_response = { target = \"10m\"; recovered = true;\n"
    "      escalate = ( { after = \"5m\"; notify = [ \"director\" ]; } ); }; },\n"
    "  { name = \"chat\"; match = { channel = \"chat\"; };\n"
    "    first_response = { target = \"30s\";\n"
    "      escalate = ( { notify = [ \"supervisor\" ]; },\n"
    "                   { after = \"20s\"; notify = [ \"supervisor\", \"manager\" ]; } ); }; } );\n";

static void test_recovered_after_rematch(void)
{
    fixture fx;
    CHECK(fx_init(&fx, rematch_policies, T0) == 0);
    int64_t open = T0 + 10 * HOUR;
    fx_event(&fx, open, "ticket", "G", "type", "ticket.opened", "channel", "chat", NULL);
    fx_run_until(&fx, open + MIN);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, "G"), 1);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_FIRST_RESPONSE, "G"), 2);
    /* Raised to gold: a 10 min target whose only step (after 5 min) is
     * past the ladder this cycle has climbed already. */
    fx_event(&fx, open + MIN, "ticket", "G", "type", "ticket.updated", "tier", "gold", NULL);

    /* slactl ticket says who was told, not who the gold ladder would
     * tell; so does a daemon restarted from the ticket's record. */
    sla_engine *restarted = sla_engine_new(fx.cfg, open + MIN);
    const sla_upsert *u = &fx.out.upserts[fx.out.nupserts - 1];
    CHECK_INT(sla_engine_restore(restarted, u->ticket, u->ticket_len, u->record, u->record_len,
                                 open + MIN),
              0);
    for (int run = 0; run < 2; run++) {
        sla_clock_info ci[SLA_METRIC_COUNT];
        const char *attrs;
        size_t alen;
        int n = sla_engine_ticket_info(run ? restarted : fx.eng, "G", 1, open + 2 * MIN, ci,
                                       &attrs, &alen);
        CHECK(n >= 1 && ci[0].metric == SLA_METRIC_FIRST_RESPONSE &&
              strcmp(ci[0].policy_name, "gold") == 0);
        CHECK(n >= 1 && ci[0].nnotified == 2 && strcmp(ci[0].notified[0], "supervisor") == 0 &&
              strcmp(ci[0].notified[1], "manager") == 0);
    }
    sla_engine_free(restarted);
    fx_take(&fx);
    fx_event(&fx, open + 20 * MIN, "ticket", "G", "type", "agent.reply", NULL);
    CHECK_INT(fx_count(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_FIRST_RESPONSE, "G"), 2);
    const char *want[] = {"supervisor", "manager"};
    for (int i = 0; i < 2; i++) {
        const sla_decision *d = fx_find(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_FIRST_RESPONSE, i);
        CHECK(d && strcmp(d->receiver, want[i]) == 0);
        CHECK(d && d->deadline_ms == open + 30 * SEC && d->level == 2);
    }
    fx_release(&fx);
}

/* A business-day resolution target, met late while paused. */
static const char office_policies[] =
    "calendars = ( { name = \"office\"; timezone = \"UTC\";\n"
    "  hours = { mon = [\"09:00-17:00\"]; tue = [\"09:00-17:00\"]; wed = [\"09:00-17:00\"];\n"
    "            thu = [\"09:00-17:00\"]; fri = [\"09:00-17:00\"]; }; } );\n"
    "policies = ( { name = \"office\";\n"
    "  resolution = { target = \"2d\"; calendar = \"office\"; recovered = true;\n"
    "    escalate = ( { notify = [ \"manager\" ]; } ); }; } );\n";

/* Ticket id opened Monday 09:00, its resolution breached Wednesday 09:00
 * (returned). */
static int64_t office_breached(fixture *fx, const char *id)
{
    CHECK(fx_init(fx, office_policies, T0) == 0);
    int64_t mon9 = T0 + 9 * HOUR, wed9 = T0 + 2 * DAY + 9 * HOUR;
    fx_event(fx, mon9, "ticket", id, "type", "ticket.opened", NULL);
    fx_run_until(fx, wed9 + SEC);
    const sla_decision *d = fx_find(fx, SLA_DECISION_BREACH, SLA_METRIC_RESOLUTION, 0);
    CHECK(d && d->deadline_ms == wed9);
    return wed9;
}

static void test_recovered_carries_breach_deadline(void)
{
    fixture fx;
    int64_t wed9 = office_breached(&fx, "W");
    fx_event(&fx, wed9 + HOUR, "ticket", "W", "type", "ticket.pending", NULL);
    fx_take(&fx);
    fx_event(&fx, wed9 + 2 * HOUR, "ticket", "W", "type", "ticket.resolved", NULL);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_RESOLUTION, 0);
    CHECK(d && d->deadline_ms == wed9 && strcmp(d->receiver, "manager") == 0);
    fx_release(&fx);
}

/* Each recovery of one cycle is a record of its own. */
static void test_recovered_twice_two_ids(void)
{
    fixture fx;
    int64_t wed9 = office_breached(&fx, "W2");
    fx_event(&fx, wed9 + HOUR, "ticket", "W2", "type", "ticket.resolved", NULL);
    fx_event(&fx, wed9 + 2 * HOUR, "ticket", "W2", "type", "ticket.reopened", NULL);
    fx_event(&fx, wed9 + 3 * HOUR, "ticket", "W2", "type", "ticket.resolved", NULL);
    CHECK_INT(fx_count(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_RESOLUTION, "W2"), 2);
    const sla_decision *a = fx_find(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_RESOLUTION, 0);
    const sla_decision *b = fx_find(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_RESOLUTION, 1);
    CHECK(a && b && strcmp(a->id, b->id) != 0);
    CHECK(a && b && a->deadline_ms == wed9 && b->deadline_ms == wed9 && a->cycle == b->cycle);

    /* Replayed from the state before the second resolve, the engine
     * decides the same id again (exactly once across a crash). */
    sla_engine *e2 = sla_engine_new(fx.cfg, wed9 + 2 * HOUR);
    const sla_upsert *u = &fx.out.upserts[fx.out.nupserts - 2]; /* after the reopen */
    char id_b[48];
    snprintf(id_b, sizeof id_b, "%s", b ? b->id : "");
    CHECK_INT(sla_engine_restore(e2, u->ticket, u->ticket_len, u->record, u->record_len,
                                 wed9 + 2 * HOUR),
              0);
    fx_take(&fx);
    sla_engine_free(fx.eng);
    fx.eng = e2;
    fx.seq = 100;
    fx_event(&fx, wed9 + 3 * HOUR, "ticket", "W2", "type", "ticket.resolved", NULL);
    b = fx_find(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_RESOLUTION, 0);
    CHECK(b && strcmp(b->id, id_b) == 0);
    fx_release(&fx);
}

/* A ticket id opened again after ticket.closed: a new life, new ids. */
static void test_reused_ticket_id_new_ids(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    char first[48] = "";
    for (int life = 0; life < 2; life++) {
        int64_t open = T0 + life * HOUR;
        fx_take(&fx);
        fx_event(&fx, open, "ticket", "again", "type", "ticket.opened", "channel", "chat", NULL);
        fx_run_until(&fx, open + 31 * SEC);
        const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
        CHECK(d && d->cycle == 1);
        if (!d)
            break;
        if (life == 0)
            snprintf(first, sizeof first, "%s", d->id);
        else
            CHECK(strcmp(first, d->id) != 0);
        fx_event(&fx, open + MIN, "ticket", "again", "type", "ticket.closed", NULL);
    }
    fx_release(&fx);

    /* The life is told by the opening event's ts, not by the stream entry
     * that carried it: two daemons reading the same events through
     * different streams decide the same ids. */
    char ids[2][48] = {"", ""};
    for (int run = 0; run < 2; run++) {
        CHECK(fx_init(&fx, base_policies, T0) == 0);
        fx.seq = (uint64_t)run * 1000;
        fx_event(&fx, T0 + run * 7, "ticket", "same", "type", "ticket.opened", "channel", "chat",
                 "ts", TS(T0), NULL);
        fx_run_until(&fx, T0 + 31 * SEC);
        const sla_decision *d = fx_find(&fx, SLA_DECISION_BREACH, SLA_METRIC_FIRST_RESPONSE, 0);
        CHECK(d != NULL);
        if (d)
            snprintf(ids[run], sizeof ids[run], "%s", d->id);
        fx_release(&fx);
    }
    CHECK(ids[0][0] && strcmp(ids[0], ids[1]) == 0);
}

/* Collects what sla_engine_scan_breached reports. */
typedef struct scan_seen {
    char ticket[16][8];
    int metric[16], fired[16], nnotified[16];
    int64_t deadline[16];
    char first_told[16][16];
    int n;
} scan_seen;

static void scan_note(const sla_breached_clock *bc, void *arg)
{
    scan_seen *s = arg;
    if (s->n >= 16)
        return;
    snprintf(s->ticket[s->n], sizeof s->ticket[0], "%s", bc->ticket);
    s->metric[s->n] = bc->metric;
    s->fired[s->n] = bc->fired;
    s->deadline[s->n] = bc->breach_deadline_ms;
    s->nnotified[s->n] = bc->nnotified;
    snprintf(s->first_told[s->n], sizeof s->first_told[0], "%s",
             bc->nnotified ? bc->notified[0] : "");
    s->n++;
}

/* Scan in slices of one ticket; returns how many calls it took. */
static int scan_all(sla_engine *e, scan_seen *s)
{
    sla_tickettable_cursor cur = {0};
    memset(s, 0, sizeof *s);
    int calls = 1;
    while (!sla_engine_scan_breached(e, &cur, 1, scan_note, s) && calls < 100000)
        calls++;
    return calls;
}

/*
 * The breached clocks, found in slices: fired and not met, not
 * acknowledged; with the breach's deadline and whom it told, also once the
 * ticket's attributes (and so its policy) changed.
 */
static void test_scan_breached(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "S1", "type", "ticket.opened", "channel", "chat", NULL);
    fx_event(&fx, T0, "ticket", "S2", "type", "ticket.opened", "channel", "chat", NULL);
    fx_event(&fx, T0, "ticket", "S3", "type", "ticket.opened", "priority", "low", NULL);
    scan_seen s;
    scan_all(fx.eng, &s);
    CHECK_INT(s.n, 0);

    fx_run_until(&fx, T0 + 16 * MIN); /* S1, S2 first response: breach, then level 2 */
    fx_event(&fx, T0 + 16 * MIN, "ticket", "S2", "type", "agent.reply", NULL);
    fx_event(&fx, T0 + 16 * MIN, "ticket", "S1", "type", "ticket.updated", "assignee", "bob",
             NULL);
    int calls = scan_all(fx.eng, &s);
    CHECK(calls >= 3); /* at least one call per ticket */
    CHECK_INT(s.n, 1);
    CHECK_STR(s.ticket[0], "S1");
    CHECK_INT(s.metric[0], SLA_METRIC_FIRST_RESPONSE);
    CHECK_INT(s.fired[0], 2);
    CHECK_INT(s.deadline[0], T0 + 30 * SEC);
    CHECK_INT(s.nnotified[0], 2);
    CHECK_STR(s.first_told[0], "team_lead");

    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *attrs;
    size_t alen;
    CHECK(sla_engine_ticket_info(fx.eng, "S1", 2, T0 + 16 * MIN, ci, &attrs, &alen) > 0);
    CHECK_INT(ci[0].breach_deadline_ms, T0 + 30 * SEC);

    CHECK_INT(sla_engine_ack(fx.eng, "S1", 2, -1, NULL, T0 + 16 * MIN), 1);
    scan_all(fx.eng, &s);
    CHECK_INT(s.n, 0);
    fx_release(&fx);
}


/*
 * A reload re-matches in slices: engine A re-matches every ticket at once
 * (what a reload did before), engine B a few table slots per step while
 * replies arrive and time passes. The new policy shortens the chat target
 * (30 s -> 10 s), lengthens the email one and drops one metric's policy,
 * so stale tickets would fire wrongly if anything read them unmatched.
 * Both must record the same decisions (by id, with the same deadlines);
 * B may record a breach of a shortened target later, never earlier, and
 * never one A does not; queries wait until B's re-match is done.
 */
static const char reload_before[] =
    "policies = (\n"
    "  { name = \"chat\"; match = { channel = \"chat\"; };\n"
    "    first_response = { target = \"30s\"; escalate = ( { notify = [ \"team_lead\" ]; },\n"
    "                                                    { after = \"20s\"; notify = [ \"manager\" ]; } ); };\n"
    "    resolution = { target = \"2m\"; escalate = ( { notify = [ \"director\" ]; } ); }; },\n"
    "  { name = \"email\"; match = { channel = \"email\"; };\n"
    "    first_response = { target = \"20s\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; } );\n";
static const char reload_after[] =
    "policies = (\n"
    "  { name = \"email\"; match = { channel = \"email\"; };\n"
    "    first_response = { target = \"40s\"; escalate = ( { notify = [ \"supervisor\" ]; } ); }; },\n"
    "  { name = \"chat\"; match = { channel = \"chat\"; };\n"
    "    first_response = { target = \"10s\"; escalate = ( { notify = [ \"team_lead\" ]; },\n"
    "                                                    { after = \"20s\"; notify = [ \"manager\" ]; } ); }; } );\n";

static int cmp_decision_id(const void *a, const void *b)
{
    return strcmp(((const sla_decision *)a)->id, ((const sla_decision *)b)->id);
}

static void test_reload_rematch_in_slices(void)
{
    enum { N = 600 };
    fixture a, b;
    CHECK(fx_init(&a, reload_before, T0) == 0);
    CHECK(fx_init(&b, reload_before, T0) == 0);
    sla_config *after_a = fx_config(reload_after), *after_b = fx_config(reload_after);
    CHECK(after_a && after_b);
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "R%03d", i);
        int64_t t = T0 + i * 10;
        const char *ch = i % 3 == 2 ? "email" : "chat";
        fx_event(&a, t, "ticket", id, "type", "ticket.opened", "channel", ch, NULL);
        fx_event(&b, t, "ticket", id, "type", "ticket.opened", "channel", ch, NULL);
    }
    int64_t t1 = T0 + 8 * SEC;
    fx_run_until(&a, t1);
    fx_run_until(&b, t1);
    CHECK_INT(a.out.ndecisions, 0);
    sla_engine_set_config(a.eng, after_a, t1);
    CHECK_INT(sla_engine_rematch_step(a.eng, SIZE_MAX), 1);
    sla_engine_set_config(b.eng, after_b, t1);
    CHECK_INT(sla_engine_rematch_pending(b.eng), N);
    int steps = 0, done = 0;
    for (int64_t t = t1 + 100; t <= T0 + 5 * MIN; t += 100) {
        if (!done) {
            done = sla_engine_rematch_step(b.eng, 4);
            steps++;
        }
        /* Replies to every fourth ticket, some before, some after the new
         * deadline. */
        int i = (int)((t - t1) / 100) * 4;
        if (i < N) {
            snprintf(id, sizeof id, "R%03d", i);
            fx_event(&a, t, "ticket", id, "type", "agent.reply", NULL);
            fx_event(&b, t, "ticket", id, "type", "agent.reply", NULL);
        }
        fx_run_until(&a, t);
        fx_run_until(&b, t);
    }
    CHECK(done && steps > 20);
    CHECK_INT(sla_engine_rematch_pending(b.eng), 0);
    CHECK(a.out.ndecisions > N / 2);
    CHECK_INT(b.out.ndecisions, a.out.ndecisions);
    qsort(a.out.decisions, a.out.ndecisions, sizeof *a.out.decisions, cmp_decision_id);
    qsort(b.out.decisions, b.out.ndecisions, sizeof *b.out.decisions, cmp_decision_id);
    int differ = 0, earlier = 0, later = 0, wrong_policy = 0;
    size_t n = a.out.ndecisions < b.out.ndecisions ? a.out.ndecisions : b.out.ndecisions;
    for (size_t k = 0; k < n; k++) {
        const sla_decision *x = &a.out.decisions[k], *y = &b.out.decisions[k];
        if (strcmp(x->id, y->id) != 0 || x->deadline_ms != y->deadline_ms ||
            strcmp(x->receiver, y->receiver) != 0 || strcmp(x->policy, y->policy) != 0)
            differ++;
        if (y->fired_ms < x->fired_ms)
            earlier++;
        if (y->fired_ms > x->fired_ms)
            later++;
        /* Nothing fired by the old targets after the reload. */
        if (x->metric == SLA_METRIC_RESOLUTION || strcmp(y->receiver, "director") == 0)
            wrong_policy++;
    }
    CHECK_INT(differ, 0);
    CHECK_INT(earlier, 0);
    CHECK_INT(wrong_policy, 0);
    CHECK(later < (int)n); /* most fire on time: the sweep is quick */
    fx_release(&a);
    fx_release(&b);
    sla_config_free(after_a);
    sla_config_free(after_b);

    /* A query right after a reload, before any re-match step, reads every
     * ticket under the new policies (matching those it reads), and its
     * items keep their policy's name whatever is reloaded next. */
    fixture c;
    CHECK(fx_init(&c, reload_before, T0) == 0);
    sla_config *after_c = fx_config(reload_after), *again = fx_config(reload_before);
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "Q%02d", i);
        fx_event(&c, T0 + i, "ticket", id, "type", "ticket.opened", "channel", "chat", NULL);
    }
    sla_engine_set_config(c.eng, after_c, T0 + SEC);
    sla_listquery *q = sla_listquery_new(0, T0 + SEC, -1, 100);
    int slices = 0;
    while (sla_engine_list_step(c.eng, q, 4) == 0)
        if (slices++ == 3)
            sla_engine_set_config(c.eng, again, T0 + SEC); /* a reload mid-query */
    const sla_due_item *items;
    size_t nq = sla_listquery_items(q, &items);
    int first_10s = 0, resolution = 0, named = 0;
    for (size_t k = 0; k < nq; k++) {
        int i = atoi(items[k].ticket + 1);
        first_10s += items[k].metric == SLA_METRIC_FIRST_RESPONSE &&
                     (items[k].deadline_ms == T0 + i + 10 * SEC ||
                      items[k].deadline_ms == T0 + i + 30 * SEC);
        resolution += items[k].metric == SLA_METRIC_RESOLUTION;
        named += strcmp(items[k].policy_name, "chat") == 0;
    }
    CHECK_INT(first_10s + resolution, (int)nq);
    CHECK(nq >= 50);
    CHECK_INT(named, (int)nq);
    sla_listquery_free(q);
    fx_release(&c);
    sla_config_free(after_c);
    sla_config_free(again);
}

/* Outcomes of (kind, metric) collected, -1 any; *taken the last one's time. */
static int outcomes(const fixture *fx, int kind, int metric, int64_t *taken)
{
    int n = 0;
    for (size_t i = 0; i < fx->out.noutcomes; i++) {
        const sla_outcome *o = &fx->out.outcomes[i];
        if ((kind < 0 || (int)o->kind == kind) && (metric < 0 || o->metric == metric)) {
            n++;
            if (taken)
                *taken = o->taken_ms;
        }
    }
    return n;
}

/* Every end of a cycle leaves one outcome: met on time, met late, stopped,
 * breached and never met; nothing else does. */
static void test_outcomes_each_end_once(void)
{
    fixture fx;
    int64_t taken = 0;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "A", "type", "ticket.opened", "channel", "chat", NULL);
    CHECK_INT(outcomes(&fx, -1, -1, NULL), 0);
    fx_event(&fx, T0 + 10 * SEC, "ticket", "A", "type", "agent.reply", NULL);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_MET, SLA_METRIC_FIRST_RESPONSE, &taken), 1);
    CHECK_INT(taken, 10 * SEC);
    /* The reply starts a new update period: the first one was met. */
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_MET, SLA_METRIC_PERIODIC_UPDATE, &taken), 1);
    CHECK_INT(taken, 10 * SEC);
    CHECK_INT(outcomes(&fx, -1, -1, NULL), 2);
    const sla_outcome *o = &fx.out.outcomes[0];
    CHECK_STR(o->policy, "chat");
    CHECK_INT(o->at_ms, T0 + 10 * SEC);
    CHECK(sla_attrs_get(o->attrs, o->attrs_len, "channel", 7) != NULL);
    /* A second reply meets nothing new but the update period. */
    fx_event(&fx, T0 + 20 * SEC, "ticket", "A", "type", "agent.reply", NULL);
    CHECK_INT(outcomes(&fx, -1, SLA_METRIC_FIRST_RESPONSE, NULL), 1);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_MET, SLA_METRIC_PERIODIC_UPDATE, NULL), 2);
    fx_take(&fx);

    /* Met late: the breach fired first (catch-up), then the reply. */
    int64_t now = T0 + HOUR;
    fx_event(&fx, now, "ticket", "B", "type", "ticket.opened", "channel", "chat", "ts",
             TS(now - MIN), NULL);
    fx_event(&fx, now, "ticket", "B", "type", "agent.reply", NULL);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_LATE, SLA_METRIC_FIRST_RESPONSE, &taken), 1);
    CHECK_INT(taken, MIN);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_MET, SLA_METRIC_FIRST_RESPONSE, NULL), 0);
    fx_take(&fx);

    /* Never replied: first_response breached, then stopped by the
     * resolution (breached, never met); the update period stopped unbreached;
     * the resolution met late; reopened and resolved again it is the same
     * cycle and is not counted again. */
    fx_event(&fx, now, "ticket", "C", "type", "ticket.opened", "channel", "chat", NULL);
    fx_run_until(&fx, now + 2 * HOUR);
    CHECK_INT(outcomes(&fx, -1, -1, NULL), 0); /* breaches are not ends */
    fx_event(&fx, now + 2 * HOUR, "ticket", "C", "type", "ticket.resolved", NULL);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_BREACHED, SLA_METRIC_FIRST_RESPONSE, &taken), 1);
    CHECK_INT(taken, 2 * HOUR);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_STOPPED, SLA_METRIC_PERIODIC_UPDATE, NULL), 1);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_LATE, SLA_METRIC_RESOLUTION, &taken), 1);
    CHECK_INT(taken, 2 * HOUR);
    CHECK_INT(outcomes(&fx, -1, -1, NULL), 3);
    fx_event(&fx, now + 3 * HOUR, "ticket", "C", "type", "ticket.reopened", NULL);
    fx_event(&fx, now + 4 * HOUR, "ticket", "C", "type", "ticket.resolved", NULL);
    CHECK_INT(outcomes(&fx, -1, SLA_METRIC_RESOLUTION, NULL), 1);
    /* The reopen's update period stopped by the second resolution. */
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_STOPPED, SLA_METRIC_PERIODIC_UPDATE, NULL), 2);
    fx_take(&fx);
    /* Closed: whatever still ran stops, breached (the update period's
     * breach at T0 + 4h20s fires first, at the close); a closed ticket
     * ends nothing more. */
    fx_event(&fx, now + 5 * HOUR, "ticket", "A", "type", "ticket.closed", NULL);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_BREACHED, SLA_METRIC_RESOLUTION, NULL), 1);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_BREACHED, SLA_METRIC_PERIODIC_UPDATE, NULL), 1);
    CHECK_INT(outcomes(&fx, -1, -1, NULL), 2);
    fx_event(&fx, now + 5 * HOUR, "ticket", "C", "type", "ticket.closed", NULL);
    CHECK_INT(outcomes(&fx, -1, -1, NULL), 2); /* C ran nothing any more */
    fx_take(&fx);

    /* A call abandoned before the target: breached, never met. */
    fx_event(&fx, now, "ticket", "P", "type", "call.ringing", "channel", "phone", NULL);
    fx_event(&fx, now + 2 * SEC, "ticket", "P", "type", "call.abandoned", NULL);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_BREACHED, SLA_METRIC_PICKUP, NULL), 1);
    fx_take(&fx);

    /* followup.done: the follow_up met and a CSAT score; the revisit it
     * starts stops when the ticket closes. */
    fx_event(&fx, now, "ticket", "F", "type", "ticket.opened", "category", "complaint", NULL);
    fx_event(&fx, now + MIN, "ticket", "F", "type", "ticket.resolved", NULL);
    fx_take(&fx);
    fx_event(&fx, now + 30 * MIN, "ticket", "F", "type", "followup.done", "satisfaction", "2",
             NULL);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_MET, SLA_METRIC_FOLLOW_UP, &taken), 1);
    CHECK_INT(taken, 29 * MIN);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_CSAT, SLA_METRIC_FOLLOW_UP, NULL), 1);
    for (size_t i = 0; i < fx.out.noutcomes; i++)
        if (fx.out.outcomes[i].kind == SLA_OUTCOME_CSAT) {
            CHECK_INT(fx.out.outcomes[i].satisfaction, 2);
            CHECK_STR(fx.out.outcomes[i].policy, "complaint");
        }
    fx_take(&fx);
    fx_event(&fx, now + HOUR, "ticket", "F", "type", "ticket.closed", NULL);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_STOPPED, SLA_METRIC_FOLLOW_UP, NULL), 1);
    fx_release(&fx);
}

/* An end is part of the state: a restart from the state that recorded it
 * and the same entry applied again end nothing twice; a restart from the
 * state before it ends it (once) again. */
static void test_outcomes_across_restart(void)
{
    fixture fx;
    CHECK(fx_init(&fx, base_policies, T0) == 0);
    fx_event(&fx, T0, "ticket", "R", "type", "ticket.opened", "channel", "chat", NULL);
    sla_output before = fx.out; /* the state before the reply */
    sla_output_init(&fx.out);
    /* The reply, entry T0+5s-1 (fx_event's ids are (now, seq)). */
    fx_event(&fx, T0 + 5 * SEC, "ticket", "R", "type", "agent.reply", NULL);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_MET, SLA_METRIC_FIRST_RESPONSE, NULL), 1);
    /* Committed with its state: restarted, the entry replayed is a duplicate. */
    uint64_t seq = fx.seq;
    restart_from_state(&fx, T0 + 6 * SEC);
    fx.seq = seq - 1;
    CHECK_INT(fx_event(&fx, T0 + 5 * SEC, "ticket", "R", "type", "agent.reply", NULL),
              SLA_APPLY_DUPLICATE);
    fx_run_until(&fx, T0 + 10 * SEC);
    CHECK_INT(outcomes(&fx, -1, -1, NULL), 0);
    /* Not committed (killed before EXEC): restored from the state before
     * the reply, the replayed entry ends the cycle, once. */
    fx_take(&fx);
    fx.out = before;
    restart_from_state(&fx, T0 + 6 * SEC);
    fx.seq = seq - 1;
    CHECK_INT(fx_event(&fx, T0 + 5 * SEC, "ticket", "R", "type", "agent.reply", NULL),
              SLA_APPLIED);
    CHECK_INT(outcomes(&fx, SLA_OUTCOME_MET, SLA_METRIC_FIRST_RESPONSE, NULL), 1);
    CHECK_INT(outcomes(&fx, -1, -1, NULL), 2);
    fx_release(&fx);
}

/*
 * Freeing an engine in steps: each step frees at most `budget` slots'
 * tickets, pending items or array elements (so a few thousand tickets
 * take many steps, none all of them),
 * the engine is gone at the step that returns 1, and nothing leaks
 * (ASan, valgrind): tickets with running clocks and pending decisions.
 */
static void test_free_in_steps(void)
{
    enum { N = 3000, BUDGET = 64 };
    fixture a;
    CHECK(fx_init(&a, reload_before, T0) == 0);
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "F%04d", i);
        fx_event(&a, T0 + i, "ticket", id, "type", "ticket.opened", "channel",
                 i % 2 ? "chat" : "email", NULL);
    }
    /* Decisions made and not collected: freed with the engine. */
    sla_engine_advance(a.eng, T0 + HOUR);
    sla_engine *e = a.eng;
    a.eng = NULL;
    int steps = 0, done = 0;
    while (!done && steps < 1000000) {
        done = sla_engine_free_step(e, BUDGET);
        steps++;
    }
    CHECK(done);
    /* At least the slots of N tickets at load 3/4, BUDGET a step; then
     * the decisions not collected (a few per ticket) and their arrays,
     * BUDGET a step too: not one slot or item a step either. */
    CHECK(steps >= (N * 4 / 3) / BUDGET);
    CHECK(steps <= 40 * N / BUDGET);
    CHECK_INT(sla_engine_free_step(NULL, BUDGET), 1);
    fx_release(&a);

    /* sla_engine_free after some steps finishes the job. */
    CHECK(fx_init(&a, reload_before, T0) == 0);
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "G%04d", i);
        fx_event(&a, T0 + i, "ticket", id, "type", "ticket.opened", "channel", "chat", NULL);
    }
    CHECK_INT(sla_engine_free_step(a.eng, BUDGET), 0);
    CHECK_INT(sla_engine_free_step(a.eng, BUDGET), 0);
    sla_engine_free(a.eng);
    a.eng = NULL;
    fx_release(&a);
}

int main(void)
{
    test_free_in_steps();
    test_reload_rematch_in_slices();
    test_scan_breached();
    test_queries_and_clock_backwards();
    test_chat_first_response_breach();
    test_reply_in_time_and_late();
    test_ack_stops_ladder();
    test_ack_keeps_who_and_when();
    test_next_response_and_periodic();
    test_pickup();
    test_pause_resume_reopen();
    test_followup_revisits();
    test_callback();
    test_rematch_priority();
    test_close_duplicate_unknown();
    test_future_ts_clamped();
    test_restore_exactly_once();
    test_decision_fields();
    test_reload_changes_targets();
    test_business_calendar();
    test_periodic_update_while_open();
    test_deadline_is_inclusive();
    test_resumed_past_target();
    test_recovered_after_rematch();
    test_recovered_carries_breach_deadline();
    test_recovered_twice_two_ids();
    test_reused_ticket_id_new_ids();
    test_outcomes_each_end_once();
    test_outcomes_across_restart();
    return CHECK_DONE();
}
