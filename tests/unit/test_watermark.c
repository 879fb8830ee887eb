/*
 * test_watermark — the firing rule: a deadline fires only once every entry
 * that reached the stream before it has been applied.
 *
 * First the rule itself (sla_watermark), then the engine driven as the
 * daemon drives it after a restart: a backlog of openings and their
 * in-time replies read in batches, each batch followed by an advance to
 * the watermark's horizon at a wall clock long past every deadline.
 */
#include "check.h"
#include "engine_fixture.h"
#include "sla_watermark.h"

static void test_rule(void)
{
    sla_watermark w;
    sla_watermark_init(&w);
    /* Nothing read yet: nothing may fire, whatever the wall clock says. */
    CHECK(sla_watermark_horizon(&w, T0) < 0);

    /* Entries up to 1000-5 applied: entries of ms 1000 with a higher
     * sequence may still be unread, so the horizon is 999. */
    sla_streamid id = {1000, 5};
    sla_watermark_applied(&w, &id);
    CHECK_INT(sla_watermark_horizon(&w, 5000), 999);
    /* An older id (own pending replayed after newer ones) never lowers it. */
    id = (sla_streamid){800, 0};
    sla_watermark_applied(&w, &id);
    CHECK_INT(sla_watermark_horizon(&w, 5000), 999);
    /* The horizon never passes the wall clock. */
    id = (sla_streamid){9000, 0};
    sla_watermark_applied(&w, &id);
    CHECK_INT(sla_watermark_horizon(&w, 5000), 5000);

    /* Redis confirmed at 20000 that nothing was unread: the wall clock up
     * to then, not beyond (a pause or a frozen Redis since proves nothing). */
    sla_watermark_confirmed(&w, 20000);
    CHECK_INT(sla_watermark_horizon(&w, 20000), 20000);
    CHECK_INT(sla_watermark_horizon(&w, 90000), 20000);
    /* An older confirmation, or entries behind it, never lower it. */
    sla_watermark_confirmed(&w, 15000);
    id = (sla_streamid){15000, 0};
    sla_watermark_applied(&w, &id);
    CHECK_INT(sla_watermark_horizon(&w, 90000), 20000);
    id = (sla_streamid){25000, 3};
    sla_watermark_applied(&w, &id);
    CHECK_INT(sla_watermark_horizon(&w, 90000), 24999);
    /* A wall clock stepping back keeps what was reached. */
    CHECK_INT(sla_watermark_horizon(&w, 10000), 24999);
}

static const char chat_config[] =
    "policies = ( { name = \"chat\"; match = { channel = \"chat\"; };\n"
    "  first_response = { target = \"5s\"; warn = \"80%\"; recovered = true;\n"
    "    escalate = ( { notify = [ \"team_lead\" ]; },\n"
    "                 { after = \"2s\"; notify = [ \"manager\" ]; } ); }; } );\n";

/*
 * 300 tickets opened at T0 and answered at T0 + 1 s (their entries reach
 * the stream at those times); one more opened at T0 and never answered.
 * The engine reads them in batches of `batch` at wall clock T0 + 10 s.
 * Returns the number of decisions for answered tickets; *unanswered gets
 * the unanswered ticket's.
 */
static int backlog_run(size_t batch, int follow_watermark, int *unanswered)
{
    fixture fx;
    if (fx_init(&fx, chat_config, 0) < 0)
        return -1;
    enum { N = 300 };
    /* The stream: ids in arrival order, ts = id time. */
    struct backlog_entry { int64_t ms; int reply; int k; } entries[2 * N + 1];
    size_t n = 0;
    for (int k = 0; k < N; k++)
        entries[n++] = (struct backlog_entry){T0, 0, k};
    entries[n++] = (struct backlog_entry){T0, 0, N}; /* never answered */
    for (int k = 0; k < N; k++)
        entries[n++] = (struct backlog_entry){T0 + SEC, 1, k};

    const int64_t wall = T0 + 10 * SEC;
    sla_watermark w;
    sla_watermark_init(&w);
    static sla_event ev;
    for (size_t i = 0; i < n; i++) {
        char ticket[16], ts[24];
        snprintf(ticket, sizeof ticket, "T-%d", entries[i].k);
        snprintf(ts, sizeof ts, "%lld", (long long)entries[i].ms);
        sla_field f[4] = {{"ticket", 6, ticket, strlen(ticket)},
                          {"type", 4, entries[i].reply ? "agent.reply" : "ticket.opened",
                           entries[i].reply ? 11 : 13},
                          {"channel", 7, "chat", 4},
                          {"ts", 2, ts, strlen(ts)}};
        char reason[128];
        CHECK_INT(sla_event_parse(&ev, f, 4, entries[i].ms, &fx.cfg->stream.limits, reason,
                                  sizeof reason), 0);
        sla_streamid id = {(uint64_t)entries[i].ms, i};
        sla_engine_apply(fx.eng, &ev, &id, wall);
        sla_watermark_applied(&w, &id);
        int last_of_batch = (i + 1) % batch == 0 || i + 1 == n;
        if (last_of_batch) {
            int64_t upto = follow_watermark ? sla_watermark_horizon(&w, wall) : wall;
            sla_engine_advance_to(fx.eng, upto, wall);
            sla_engine_collect(fx.eng, &fx.out);
        }
    }
    /* Caught up: Redis confirms nothing is left unread. */
    sla_watermark_confirmed(&w, wall);
    sla_engine_advance_to(fx.eng, follow_watermark ? sla_watermark_horizon(&w, wall) : wall, wall);
    sla_engine_collect(fx.eng, &fx.out);
    char last[16];
    snprintf(last, sizeof last, "T-%d", N);
    *unanswered = fx_count(&fx, -1, -1, last);
    int answered = (int)fx.out.ndecisions - *unanswered;
    fx_release(&fx);
    return answered;
}

static void test_backlog(void)
{
    int unanswered;
    /* Batches smaller, larger than and equal to the backlog's halves. */
    size_t batches[] = {1, 50, 299, 300, 301, 1000};
    for (size_t i = 0; i < sizeof batches / sizeof batches[0]; i++) {
        CHECK_INT(backlog_run(batches[i], 1, &unanswered), 0);
        /* The unanswered ticket: warning, breach, escalation, each once. */
        CHECK_INT(unanswered, 3);
    }
    /* Advancing by wall clock after each batch is the bug: answered
     * tickets whose replies sit in a later batch breach. */
    CHECK(backlog_run(50, 0, &unanswered) > 0);
}

/* An acknowledgement fires only what is due up to the engine's horizon. */
static void test_ack_respects_horizon(void)
{
    fixture fx;
    CHECK_INT(fx_init(&fx, chat_config, 0), 0);
    CHECK_INT(fx_event(&fx, T0, "ticket", "A", "type", "ticket.opened", "channel", "chat",
                       NULL), SLA_APPLIED);
    sla_engine_advance_to(fx.eng, T0 + SEC, T0 + SEC);
    sla_engine_collect(fx.eng, &fx.out);
    fx_take(&fx);
    /* Wall clock far past the deadline, but the input was applied only up
     * to T0 + 1 s: the ack must not fire the breach. */
    CHECK_INT(sla_engine_ack(fx.eng, "A", 1, -1, NULL, T0 + MIN), 0);
    sla_engine_collect(fx.eng, &fx.out);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, -1, NULL), 0);
    /* Once the horizon passes the deadline it fires. */
    sla_engine_advance_to(fx.eng, T0 + 6 * SEC, T0 + MIN);
    sla_engine_collect(fx.eng, &fx.out);
    CHECK_INT(fx_count(&fx, SLA_DECISION_BREACH, -1, NULL), 1);
    /* Listed as breached only once the breach is recorded. */
    sla_due_item items[4];
    CHECK_INT(fx_list(&fx, T0 + MIN, -1, 1, items, 4), 1);
    fx_release(&fx);
}

int main(void)
{
    test_rule();
    test_backlog();
    test_ack_respects_horizon();
    return CHECK_DONE();
}
