/*
 * test_engine_model — random event sequences replayed through the engine
 * agree with a brute-force reference model on every decision.
 *
 * The model is deliberately naive: it walks time one second at a time,
 * adds a second to the elapsed time of every running clock, and fires a
 * warning, breach or escalation when a clock's elapsed time reaches the
 * point where it is due. It shares no code with the engine (no deadline
 * arithmetic, no timer wheel, no catch-up), so agreement on the set of
 * (ticket, metric, cycle, level, kind, receiver, deadline) tuples is strong
 * evidence that the engine's O(1) deadline bookkeeping is right.
 *
 * Each sequence is checked twice: delivered in real time (the engine is
 * advanced to each event's time first) and delivered all at once after the
 * fact (only catch-up and one final advance), which must decide the same.
 */
#include "check.h"
#include "engine_fixture.h"

#define NTICKETS 3
#define NEVENTS 60
#define NSEQ 150

/* Targets of the single policy, in seconds; warn points in elapsed seconds. */
static const char model_config[] =
    "clocks = { ring_seconds = 5; pausable = [ \"resolution\", \"periodic_update\" ]; };\n"
    "revisit = { satisfied = \"120s\"; average = \"60s\"; unsatisfied = \"30s\"; };\n"
    "policies = ( { name = \"p\";\n"
    "  first_response = { target = \"30s\"; warn = \"80%\"; recovered = true;\n"
    "    escalate = ( { after = \"0s\"; notify = [ \"team_lead\" ]; },\n"
    "                 { after = \"60s\"; notify = [ \"manager\", \"director\" ]; repeat = \"30s\"; max_repeats = 2; } ); };\n"
    "  next_response = { target = \"45s\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "  periodic_update = { target = \"100s\"; escalate = ( { notify = [ \"supervisor\" ]; } ); };\n"
    "  resolution = { target = \"300s\"; warn = \"60s\"; warn_notify = [ \"supervisor\" ];\n"
    "    escalate = ( { notify = [ \"manager\" ]; }, { after = \"120s\"; notify = [ \"director\" ]; } ); };\n"
    "  pickup = { target = \"3 rings\"; escalate = ( { notify = [ \"supervisor\" ]; } ); };\n"
    "  follow_up = { target = \"90s\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "  callback = { escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "} );\n";

enum { FR, NR, PK, PU, RES, FU, CB }; /* same order as enum sla_metric */

typedef struct step { int after; const char *rcv[2]; } step;
typedef struct mtarget {
    int target;      /* seconds; -1 for callback (absolute) */
    int warn_at;     /* elapsed seconds of the warning, -1 none */
    const char *warn_rcv;
    int recovered;
    int nsteps;
    step steps[2];
    int repeat, max_repeats;
} mtarget;

static const mtarget targets[7] = {
    [FR] = {30, 24, "team_lead", 1, 2, {{0, {"team_lead"}}, {60, {"manager", "director"}}}, 30, 2},
    [NR] = {45, -1, NULL, 0, 1, {{0, {"team_lead"}}}, 0, 0},
    [PK] = {15, -1, NULL, 0, 1, {{0, {"supervisor"}}}, 0, 0},
    [PU] = {100, -1, NULL, 0, 1, {{0, {"supervisor"}}}, 0, 0},
    [RES] = {300, 240, "supervisor", 0, 2, {{0, {"manager"}}, {120, {"director"}}}, 0, 0},
    [FU] = {90, -1, NULL, 0, 1, {{0, {"team_lead"}}}, 0, 0},
    [CB] = {-1, -1, NULL, 0, 1, {{0, {"team_lead"}}}, 0, 0},
};

typedef struct mclock {
    int state; /* 0 idle, 1 running, 2 paused, 3 met, 4 stopped */
    int elapsed, target, cycle, fired, warned, acked;
    int64_t due; /* absolute clocks: the deadline */
} mclock;

typedef struct mticket {
    int open;
    mclock c[7];
} mticket;

typedef struct tuple {
    int ticket, metric, cycle, level, kind;
    char receiver[16];
    int64_t deadline;
} tuple;

typedef struct tuples {
    tuple v[4096];
    int n;
} tuples;

static void add(tuples *t, int ticket, int metric, int cycle, int level, int kind,
                const char *rcv, int64_t deadline)
{
    if (t->n >= 4096)
        return;
    tuple *x = &t->v[t->n++];
    memset(x, 0, sizeof *x);
    x->ticket = ticket;
    x->metric = metric;
    x->cycle = cycle;
    x->level = level;
    x->kind = kind;
    snprintf(x->receiver, sizeof x->receiver, "%s", rcv ? rcv : "");
    x->deadline = deadline;
}

static int cmp_tuple(const void *a, const void *b)
{
    const tuple *x = a, *y = b;
    if (x->ticket != y->ticket) return x->ticket - y->ticket;
    if (x->metric != y->metric) return x->metric - y->metric;
    if (x->cycle != y->cycle) return x->cycle - y->cycle;
    if (x->kind != y->kind) return x->kind - y->kind;
    if (x->level != y->level) return x->level - y->level;
    if (x->deadline != y->deadline) return x->deadline < y->deadline ? -1 : 1;
    return strcmp(x->receiver, y->receiver);
}

/* ----------------------------------------------------------- the model */

static int live(const mclock *c) { return c->state == 1 || c->state == 2; }

static void mstart(mclock *c, int target)
{
    c->state = 1;
    c->elapsed = 0;
    c->target = target;
    c->cycle++;
    c->fired = c->warned = c->acked = 0;
}

/* Seconds after the deadline of firing k of metric m; -1 if none. */
static int firing_delay(int m, int k)
{
    const mtarget *tg = &targets[m];
    if (k < tg->nsteps)
        return tg->steps[k].after;
    int rep = k - tg->nsteps + 1;
    if (tg->repeat == 0 || rep > tg->max_repeats)
        return -1;
    return tg->steps[tg->nsteps - 1].after + rep * tg->repeat;
}

static const step *firing_step(int m, int k)
{
    const mtarget *tg = &targets[m];
    return &tg->steps[k < tg->nsteps ? k : tg->nsteps - 1];
}

static void mfire(tuples *out, int tk, int m, mclock *c, int64_t deadline)
{
    const step *st = firing_step(m, c->fired);
    int kind = c->fired == 0 ? SLA_DECISION_BREACH : SLA_DECISION_ESCALATION;
    for (int i = 0; i < 2 && st->rcv[i]; i++)
        add(out, tk, m, c->cycle, c->fired + 1, kind, st->rcv[i], deadline);
    c->fired++;
}

/* Fire everything due for clock m at second t (elapsed already counted). */
static void mdue(tuples *out, int tk, int m, mclock *c, int64_t t)
{
    if (c->state != 1)
        return;
    for (int guard = 0; guard < 10; guard++) {
        int64_t deadline = c->target < 0 ? c->due : t + (c->target - c->elapsed) * SEC;
        /* Clock time past the deadline: wall time for absolute clocks. */
        int64_t over = c->target < 0 ? (t - c->due) / SEC : c->elapsed - c->target;
        const mtarget *tg = &targets[m];
        if (tg->warn_at >= 0 && !c->warned && c->fired == 0 && c->target >= 0 &&
            c->elapsed == tg->warn_at) {
            c->warned = 1;
            add(out, tk, m, c->cycle, 0, SLA_DECISION_WARNING, tg->warn_rcv, deadline);
            continue;
        }
        int d = firing_delay(m, c->fired);
        if (!c->acked && d >= 0 && over == d) {
            mfire(out, tk, m, c, deadline);
            continue;
        }
        break;
    }
}

static void mmeet(tuples *out, int tk, int m, mclock *c, int64_t t)
{
    if (!live(c))
        return;
    int was_running = c->state == 1;
    c->state = 3;
    if (!targets[m].recovered || c->fired == 0)
        return;
    int64_t deadline = was_running ? t + (int64_t)(c->target - c->elapsed) * SEC : 0;
    const char *seen[8];
    int nseen = 0;
    for (int k = 0; k < c->fired; k++) {
        const step *st = firing_step(m, k);
        for (int i = 0; i < 2 && st->rcv[i]; i++) {
            int dup = 0;
            for (int j = 0; j < nseen; j++)
                dup |= strcmp(seen[j], st->rcv[i]) == 0;
            if (!dup) {
                seen[nseen++] = st->rcv[i];
                add(out, tk, m, c->cycle, c->fired, SLA_DECISION_RECOVERED, st->rcv[i], deadline);
            }
        }
    }
}

typedef struct mevent {
    int64_t ts;
    int ticket;
    enum sla_event_type type;
    int satisfaction;
    int64_t due;
} mevent;

static void mapply(tuples *out, mticket *tks, const mevent *ev)
{
    mticket *k = &tks[ev->ticket];
    int tk = ev->ticket;
    int64_t t = ev->ts;
    if (!k->open) {
        if (ev->type != SLA_EV_TICKET_OPENED && ev->type != SLA_EV_CUSTOMER_MESSAGE &&
            ev->type != SLA_EV_CALL_RINGING)
            return;
        memset(k, 0, sizeof *k);
        k->open = 1;
        mstart(&k->c[FR], 30);
        mstart(&k->c[RES], 300);
        mstart(&k->c[PU], 100);
        if (ev->type != SLA_EV_CALL_RINGING)
            return;
    }
    mclock *c = k->c;
    switch (ev->type) {
    case SLA_EV_CUSTOMER_MESSAGE:
        if (!live(&c[FR]) && !live(&c[NR]))
            mstart(&c[NR], 45);
        break;
    case SLA_EV_AGENT_REPLY:
        mmeet(out, tk, FR, &c[FR], t);
        mmeet(out, tk, NR, &c[NR], t);
        /* fallthrough */
    case SLA_EV_AGENT_UPDATE:
        if (live(&c[PU])) {
            int paused = c[PU].state == 2;
            mstart(&c[PU], 100);
            if (paused)
                c[PU].state = 2;
        }
        break;
    case SLA_EV_CALL_RINGING:
        if (!live(&c[PK]))
            mstart(&c[PK], 15);
        break;
    case SLA_EV_CALL_ANSWERED:
        mmeet(out, tk, PK, &c[PK], t);
        break;
    case SLA_EV_CALL_ABANDONED:
        if (c[PK].state == 1) {
            if (c[PK].fired == 0)
                mfire(out, tk, PK, &c[PK], t);
            c[PK].state = 4;
        }
        break;
    case SLA_EV_TICKET_PENDING:
        if (c[RES].state == 1) c[RES].state = 2;
        if (c[PU].state == 1) c[PU].state = 2;
        break;
    case SLA_EV_TICKET_RESUMED:
        if (c[RES].state == 2) c[RES].state = 1;
        if (c[PU].state == 2) c[PU].state = 1;
        break;
    case SLA_EV_TICKET_RESOLVED:
        mmeet(out, tk, RES, &c[RES], t);
        for (int m = FR; m <= PU; m++)
            if (m != PK && live(&c[m]))
                c[m].state = 4;
        if (!live(&c[FU]))
            mstart(&c[FU], 90);
        break;
    case SLA_EV_TICKET_REOPENED:
        if (c[RES].state == 3)
            c[RES].state = 1;
        if (live(&c[FU]))
            c[FU].state = 4;
        break;
    case SLA_EV_FOLLOWUP_DONE:
        mmeet(out, tk, FU, &c[FU], t);
        if (ev->satisfaction)
            mstart(&c[FU], ev->satisfaction >= 4 ? 120 : ev->satisfaction == 3 ? 60 : 30);
        break;
    case SLA_EV_CALLBACK_SCHEDULED:
        mstart(&c[CB], -1);
        c[CB].due = ev->due;
        break;
    case SLA_EV_CALLBACK_DONE:
        mmeet(out, tk, CB, &c[CB], t);
        break;
    case SLA_EV_ESCALATION_ACK:
        for (int m = 0; m < 7; m++)
            if (live(&c[m]) && c[m].fired > 0)
                c[m].acked = 1;
        break;
    case SLA_EV_TICKET_CLOSED:
        k->open = 0;
        break;
    default:
        break;
    }
}

static void model_run(tuples *out, const mevent *evs, int n, int64_t end)
{
    static mticket tks[NTICKETS];
    memset(tks, 0, sizeof tks);
    int next = 0;
    for (int64_t t = T0; t <= end; t += SEC) {
        if (t > T0)
            for (int i = 0; i < NTICKETS; i++)
                for (int m = 0; m < 7; m++)
                    if (tks[i].open && tks[i].c[m].state == 1)
                        tks[i].c[m].elapsed++;
        for (int i = 0; i < NTICKETS; i++)
            for (int m = 0; m < 7; m++)
                if (tks[i].open)
                    mdue(out, i, m, &tks[i].c[m], t);
        while (next < n && evs[next].ts == t)
            mapply(out, tks, &evs[next++]);
    }
}

/* ----------------------------------------------------------- the engine */

static const char *const ticket_names[NTICKETS] = {"t0", "t1", "t2"};

static void engine_event(fixture *fx, const mevent *ev, int64_t now)
{
    char ts[24], due[24], sat[4];
    snprintf(ts, sizeof ts, "%lld", (long long)ev->ts);
    snprintf(due, sizeof due, "%lld", (long long)ev->due);
    snprintf(sat, sizeof sat, "%d", ev->satisfaction);
    const char *type = sla_event_type_name(ev->type);
    const char *name = ticket_names[ev->ticket];
    if (ev->type == SLA_EV_CALLBACK_SCHEDULED)
        fx_event(fx, now, "ticket", name, "type", type, "ts", ts, "due", due, NULL);
    else if (ev->type == SLA_EV_FOLLOWUP_DONE && ev->satisfaction)
        fx_event(fx, now, "ticket", name, "type", type, "ts", ts, "satisfaction", sat, NULL);
    else
        fx_event(fx, now, "ticket", name, "type", type, "ts", ts, NULL);
}

static void engine_tuples(const fixture *fx, tuples *out)
{
    for (size_t i = 0; i < fx->out.ndecisions; i++) {
        const sla_decision *d = &fx->out.decisions[i];
        int tk = d->ticket[1] - '0';
        add(out, tk, d->metric, (int)d->cycle, d->level, d->kind, d->receiver, d->deadline_ms);
    }
}

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void gen(mevent *evs, int n)
{
    static const enum sla_event_type weights[] = {
        SLA_EV_TICKET_OPENED, SLA_EV_TICKET_OPENED, SLA_EV_CUSTOMER_MESSAGE,
        SLA_EV_CUSTOMER_MESSAGE, SLA_EV_AGENT_REPLY, SLA_EV_AGENT_REPLY, SLA_EV_AGENT_UPDATE,
        SLA_EV_CALL_RINGING, SLA_EV_CALL_ANSWERED, SLA_EV_CALL_ABANDONED, SLA_EV_TICKET_PENDING,
        SLA_EV_TICKET_RESUMED, SLA_EV_TICKET_RESOLVED, SLA_EV_TICKET_REOPENED,
        SLA_EV_FOLLOWUP_DONE, SLA_EV_FOLLOWUP_DONE, SLA_EV_CALLBACK_SCHEDULED,
        SLA_EV_CALLBACK_DONE, SLA_EV_ESCALATION_ACK, SLA_EV_TICKET_CLOSED,
    };
    int64_t t = T0;
    for (int i = 0; i < n; i++) {
        t += rnd(4) == 0 ? rnd(200) * SEC : rnd(20) * SEC;
        evs[i].ts = t;
        evs[i].ticket = (int)rnd(NTICKETS);
        evs[i].type = weights[rnd(sizeof weights / sizeof weights[0])];
        evs[i].satisfaction = evs[i].type == SLA_EV_FOLLOWUP_DONE ? (int)rnd(6) : 0;
        evs[i].due = t + (int64_t)(rnd(120) + 1) * SEC;
    }
}

static int same_tuples(tuples *a, tuples *b, int seq, const char *mode)
{
    qsort(a->v, (size_t)a->n, sizeof a->v[0], cmp_tuple);
    qsort(b->v, (size_t)b->n, sizeof b->v[0], cmp_tuple);
    int n = a->n < b->n ? a->n : b->n;
    for (int i = 0; i < n; i++)
        if (cmp_tuple(&a->v[i], &b->v[i]) != 0) {
            const tuple *x = &a->v[i], *y = &b->v[i];
            fprintf(stderr,
                    "seq %d (%s): first difference at %d: engine t%d m%d c%d l%d k%d %s %lld"
                    " / model t%d m%d c%d l%d k%d %s %lld\n",
                    seq, mode, i, x->ticket, x->metric, x->cycle, x->level, x->kind, x->receiver,
                    (long long)(x->deadline - T0), y->ticket, y->metric, y->cycle, y->level,
                    y->kind, y->receiver, (long long)(y->deadline - T0));
            return 0;
        }
    if (a->n != b->n) {
        fprintf(stderr, "seq %d (%s): engine %d decisions, model %d\n", seq, mode, a->n, b->n);
        return 0;
    }
    return 1;
}

int main(void)
{
    static mevent evs[NEVENTS];
    static tuples model, realtime, batch;
    int total = 0;
    for (int seq = 0; seq < NSEQ; seq++) {
        rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(seq + 1) * 0x100000001b3ULL;
        gen(evs, NEVENTS);
        int64_t end = evs[NEVENTS - 1].ts + 20 * MIN;
        model.n = realtime.n = batch.n = 0;
        model_run(&model, evs, NEVENTS, end);

        fixture fx;
        if (fx_init(&fx, model_config, T0) < 0) {
            CHECK(!"model configuration loads");
            return CHECK_DONE();
        }
        for (int i = 0; i < NEVENTS; i++) {
            fx_run_until(&fx, evs[i].ts);
            engine_event(&fx, &evs[i], evs[i].ts);
        }
        fx_run_until(&fx, end);
        engine_tuples(&fx, &realtime);
        fx_release(&fx);

        fx_init(&fx, model_config, T0);
        for (int i = 0; i < NEVENTS; i++)
            engine_event(&fx, &evs[i], end);
        fx_advance(&fx, end);
        engine_tuples(&fx, &batch);
        fx_release(&fx);

        CHECK(same_tuples(&realtime, &model, seq, "real time"));
        CHECK(same_tuples(&batch, &model, seq, "after the fact"));
        total += model.n;
    }
    /* The sequences must exercise the rules, not pass vacuously. */
    printf("%d decisions compared over %d sequences\n", total, NSEQ);
    CHECK(total > NSEQ * 5);
    return CHECK_DONE();
}
