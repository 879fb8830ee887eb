/*
 * test_engine_model — random event sequences replayed through the engine
 * agree with a brute-force reference model on every decision.
 *
 * The model is deliberately naive: it walks time one second at a time,
 * adds a second to the elapsed time of every running clock, and fires a
 * warning, breach or escalation when a clock's elapsed time reaches the
 * point where it is due. It shares no code with the engine (no deadline
 * arithmetic, no timer wheel, no catch-up, no policy matcher), so
 * agreement on the multiset of (ticket, metric, cycle, level, kind,
 * receiver, deadline) tuples is strong evidence that the engine's O(1)
 * deadline bookkeeping is right.
 *
 * The rules the model encodes (README, "How clocks, policies and ladders
 * work"), in its own terms:
 *   - a clock's deadline is the second at which its elapsed time reaches
 *     its target, or, when it was resumed with more than its target already
 *     elapsed, the second it resumed; the deadline is still on time, so
 *     ladder step k (k = 0 the breach) is due `after_k` seconds after it,
 *     and a step with no delay just after it: after the events of that
 *     very second, before anything of the next;
 *   - events are whole seconds, so they land on deadlines and ladder times
 *     often; what falls due at an event's second fires before the event;
 *   - periodic_update runs while the ticket is not resolved: opening and
 *     ticket.reopened start it, every reply or update starts a new period
 *     (paused while a ticket.pending is in force: one on the open ticket
 *     not yet followed by ticket.resumed or ticket.resolved), nothing on a
 *     resolved ticket;
 *   - a `priority` carried by an event re-matches the policies: running
 *     clocks keep their elapsed time and take the new target and ladder;
 *   - a clock met after its breach sends `recovered` (when its policy says
 *     so) to everyone notified by the ladder steps that fired in this
 *     cycle, under whichever policy was matched when each fired, each
 *     receiver once, with the deadline of the breach it recovers; every
 *     meeting sends its own notices, so a ticket resolved, reopened and
 *     resolved again recovers twice in one cycle.
 *
 * The sequences are random (three ticket slots, every event type, whole
 * seconds, priorities that move tickets between policies whose ladders
 * notify different people), and a ticket id is never reused after
 * ticket.closed. Each sequence is checked twice: delivered in real time
 * (the engine is advanced to each event's time first) and delivered all at
 * once after the fact (only catch-up and one final advance), which must
 * decide the same. Every decision must also be a distinct record: no two
 * share an id. On a difference the test prints the first decision only
 * one side made, the other side's nearest, and the events of that ticket.
 */
#include "check.h"
#include "engine_fixture.h"
#include "test_rng.h"

#define NTICKETS 3
#define NEVENTS 80
#define NSEQ 150

/*
 * Three policies: "hi" (priority high) for first_response, periodic_update
 * and resolution, with other targets and receivers than the catch-all
 * "p"; "pu" gives normal tickets a periodic_update, so low ones have none.
 */
static const char model_config[] =
    "clocks = { ring_seconds = 5; pausable = [ \"resolution\", \"periodic_update\" ]; };\n"
    "revisit = { satisfied = \"120s\"; average = \"60s\"; unsatisfied = \"30s\"; };\n"
    "policies = (\n"
    " { name = \"hi\"; match = { priority = \"high\"; };\n"
    "  first_response = { target = \"20s\"; warn = \"50%\"; recovered = true;\n"
    "    escalate = ( { notify = [ \"supervisor\" ]; }, { after = \"30s\"; notify = [ \"director\" ]; } ); };\n"
    "  periodic_update = { target = \"60s\"; escalate = ( { notify = [ \"director\" ]; } ); };\n"
    "  resolution = { target = \"200s\"; recovered = true;\n"
    "    escalate = ( { notify = [ \"director\" ]; },\n"
    "                 { after = \"40s\"; notify = [ \"supervisor\", \"manager\" ]; repeat = \"40s\"; max_repeats = 1; } ); }; },\n"
    " { name = \"pu\"; match = { priority = \"normal\"; };\n"
    "  periodic_update = { target = \"100s\"; escalate = ( { notify = [ \"supervisor\" ]; } ); }; },\n"
    " { name = \"p\";\n"
    "  first_response = { target = \"30s\"; warn = \"80%\"; recovered = true;\n"
    "    escalate = ( { after = \"0s\"; notify = [ \"team_lead\" ]; },\n"
    "                 { after = \"60s\"; notify = [ \"manager\", \"director\" ]; repeat = \"30s\"; max_repeats = 2; } ); };\n"
    "  next_response = { target = \"45s\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "  resolution = { target = \"300s\"; warn = \"60s\"; warn_notify = [ \"supervisor\" ]; recovered = true;\n"
    "    escalate = ( { notify = [ \"manager\" ]; }, { after = \"120s\"; notify = [ \"director\" ]; } ); };\n"
    "  pickup = { target = \"3 rings\"; escalate = ( { notify = [ \"supervisor\" ]; } ); };\n"
    "  follow_up = { target = \"90s\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "  callback = { escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    " } );\n";

enum { FR, NR, PK, PU, RES, FU, CB, NMETRICS }; /* same order as enum sla_metric */
enum { HI, PUP, P, NPOLICIES, NONE = -1 };
enum { LOW, NORMAL, HIGH };
static const char *const priority_names[] = {"low", "normal", "high"};

typedef struct step { int after; const char *rcv[2]; } step;
typedef struct mtarget {
    int defined;
    int target;      /* seconds; -1 for callback (absolute) */
    int warn_at;     /* elapsed seconds of the warning, -1 none */
    const char *warn_rcv;
    int recovered;
    int nsteps;
    step steps[2];
    int repeat, max_repeats;
} mtarget;

/* The configuration above, written out by hand. */
static const mtarget targets[NPOLICIES][NMETRICS] = {
    [HI] = {
        [FR] = {1, 20, 10, "supervisor", 1, 2, {{0, {"supervisor"}}, {30, {"director"}}}, 0, 0},
        [PU] = {1, 60, -1, NULL, 0, 1, {{0, {"director"}}}, 0, 0},
        [RES] = {1, 200, -1, NULL, 1, 2, {{0, {"director"}}, {40, {"supervisor", "manager"}}},
                 40, 1},
    },
    [PUP] = {
        [PU] = {1, 100, -1, NULL, 0, 1, {{0, {"supervisor"}}}, 0, 0},
    },
    [P] = {
        [FR] = {1, 30, 24, "team_lead", 1, 2,
                {{0, {"team_lead"}}, {60, {"manager", "director"}}}, 30, 2},
        [NR] = {1, 45, -1, NULL, 0, 1, {{0, {"team_lead"}}}, 0, 0},
        [PK] = {1, 15, -1, NULL, 0, 1, {{0, {"supervisor"}}}, 0, 0},
        [RES] = {1, 300, 240, "supervisor", 1, 2, {{0, {"manager"}}, {120, {"director"}}}, 0, 0},
        [FU] = {1, 90, -1, NULL, 0, 1, {{0, {"team_lead"}}}, 0, 0},
        [CB] = {1, -1, -1, NULL, 0, 1, {{0, {"team_lead"}}}, 0, 0},
    },
};

/* The first policy in file order that matches and defines metric m. */
static int policy_of(int priority, int m)
{
    if (priority == HIGH && targets[HI][m].defined)
        return HI;
    if (priority == NORMAL && targets[PUP][m].defined)
        return PUP;
    return targets[P][m].defined ? P : NONE;
}

enum { IDLE, RUNNING, PAUSED, MET, STOPPED };

typedef struct mclock {
    int state;
    int elapsed;     /* seconds the clock ran in this cycle */
    int resumed_at;  /* elapsed when it last started running */
    int revisit;     /* follow_up revisit target in seconds, 0: the policy's */
    int cycle, fired, warned, acked;
    int recoveries;  /* meetings after the breach in this cycle */
    int64_t due;     /* absolute clocks: the deadline */
    int64_t breach_deadline;
    const char *notified[8]; /* receivers of the ladder steps fired this cycle */
    int nnotified;
} mclock;

typedef struct mticket {
    int open, key, priority, resolved, pending;
    mclock c[NMETRICS];
} mticket;

typedef struct tuple {
    int ticket, metric, cycle, level, kind;
    char receiver[16];
    int64_t deadline;
    char id[48];
} tuple;

typedef struct tuples {
    tuple v[4096];
    int n;
} tuples;

static void add(tuples *t, int ticket, int metric, int cycle, int level, int kind,
                const char *rcv, int64_t deadline, const char *id)
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
    snprintf(x->id, sizeof x->id, "%s", id ? id : "");
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

/* What the sequences exercised, so that they cannot pass vacuously. */
static struct {
    int decisions, reopened_periodic, rematched_recovery, paused_recovery, second_recovery,
        met_at_deadline, due_at_event;
} seen;

/* ----------------------------------------------------------- the model */

static int live(const mclock *c) { return c->state == RUNNING || c->state == PAUSED; }

static void mstart(mclock *c)
{
    c->state = RUNNING;
    c->elapsed = c->resumed_at = c->revisit = 0;
    c->cycle++;
    c->fired = c->warned = c->acked = c->recoveries = 0;
    c->nnotified = 0;
}

static void mresume(mclock *c)
{
    c->state = RUNNING;
    c->resumed_at = c->elapsed;
}

static const mtarget *target_of(const mticket *k, int m)
{
    int p = policy_of(k->priority, m);
    return p == NONE ? NULL : &targets[p][m];
}

/* Seconds after the deadline of firing k under tg; -1 if none. */
static int firing_delay(const mtarget *tg, int k)
{
    if (k < tg->nsteps)
        return tg->steps[k].after;
    int rep = k - tg->nsteps + 1;
    if (tg->repeat == 0 || rep > tg->max_repeats)
        return -1;
    return tg->steps[tg->nsteps - 1].after + rep * tg->repeat;
}

static void mfire(tuples *out, int tk, int m, mclock *c, const mtarget *tg, int64_t deadline)
{
    const step *st = &tg->steps[c->fired < tg->nsteps ? c->fired : tg->nsteps - 1];
    int kind = c->fired == 0 ? SLA_DECISION_BREACH : SLA_DECISION_ESCALATION;
    if (c->fired == 0)
        c->breach_deadline = deadline;
    for (int i = 0; i < 2 && st->rcv[i]; i++) {
        add(out, tk, m, c->cycle, c->fired + 1, kind, st->rcv[i], deadline, NULL);
        int known = 0;
        for (int j = 0; j < c->nnotified; j++)
            known |= strcmp(c->notified[j], st->rcv[i]) == 0;
        if (!known)
            c->notified[c->nnotified++] = st->rcv[i];
    }
    c->fired++;
}

/*
 * Seconds clock c of ticket k is past its deadline at second t (negative
 * before it), and the deadline itself through *deadline.
 */
static int overdue(const mticket *k, int m, const mclock *c, int64_t t, int64_t *deadline)
{
    if (m == CB) {
        *deadline = c->due;
        return (int)((t - c->due) / SEC);
    }
    int target = c->revisit ? c->revisit : target_of(k, m)->target;
    int over = c->elapsed - (target > c->resumed_at ? target : c->resumed_at);
    *deadline = t - (int64_t)over * SEC;
    return over;
}

/*
 * Fire everything of clock m that is due at second t (elapsed already
 * counted): at = 0 what is due at t itself, at = 1 also what is due just
 * after it (a step without delay, after the events of second t).
 */
static void mdue(tuples *out, int tk, mticket *k, int m, int64_t t, int at)
{
    mclock *c = &k->c[m];
    for (int guard = 0; guard < 10 && c->state == RUNNING; guard++) {
        const mtarget *tg = target_of(k, m);
        if (!tg)
            break; /* cannot happen: a re-match stops such a clock */
        int64_t deadline;
        int over = overdue(k, m, c, t, &deadline);
        if (tg->warn_at >= 0 && !c->warned && c->fired == 0 && !c->revisit &&
            c->elapsed >= tg->warn_at) {
            c->warned = 1;
            add(out, tk, m, c->cycle, 0, SLA_DECISION_WARNING, tg->warn_rcv, deadline, NULL);
            continue;
        }
        /* A step without delay is due just after its deadline's second. */
        int d = firing_delay(tg, c->fired);
        if (!c->acked && d >= 0 && over >= (d > 0 ? d : at == 1 ? 0 : 1)) {
            mfire(out, tk, m, c, tg, deadline);
            continue;
        }
        break;
    }
}

static void mmeet(tuples *out, int tk, mticket *k, int m, int64_t t)
{
    mclock *c = &k->c[m];
    if (!live(c))
        return;
    if (c->state == RUNNING && c->fired == 0) {
        int64_t deadline;
        if (overdue(k, m, c, t, &deadline) == 0)
            seen.met_at_deadline++;
    }
    int was_paused = c->state == PAUSED;
    c->state = MET;
    const mtarget *tg = target_of(k, m);
    if (!tg || !tg->recovered || c->fired == 0)
        return;
    /* Everyone who was told of this cycle's breach, each once. */
    int others = 0;
    for (int j = 0; j < c->nnotified; j++) {
        add(out, tk, m, c->cycle, c->fired, SLA_DECISION_RECOVERED, c->notified[j],
            c->breach_deadline, NULL);
        int in_ladder = 0;
        for (int s = 0; s < tg->nsteps; s++)
            for (int i = 0; i < 2 && tg->steps[s].rcv[i]; i++)
                in_ladder |= strcmp(tg->steps[s].rcv[i], c->notified[j]) == 0;
        others |= !in_ladder;
    }
    if (c->nnotified == 0)
        add(out, tk, m, c->cycle, c->fired, SLA_DECISION_RECOVERED, "", c->breach_deadline, NULL);
    seen.rematched_recovery += others;
    seen.paused_recovery += was_paused;
    seen.second_recovery += c->recoveries++ > 0;
}

/* A new update period, unless the ticket is resolved. */
static void mperiodic(mticket *k)
{
    mclock *c = &k->c[PU];
    if (k->resolved)
        return;
    if (policy_of(k->priority, PU) == NONE) {
        if (live(c))
            c->state = STOPPED;
        return;
    }
    mstart(c);
    if (k->pending)
        c->state = PAUSED;
}

/* A ticket in the decision tuples: slot and life. */
#define TICKET_KEY(slot, life) ((slot) * 1000 + (life))

typedef struct mevent {
    int64_t ts;
    int ticket;       /* slot in the model, 0 .. NTICKETS - 1 */
    int life;         /* how many times the slot's ticket was closed before */
    enum sla_event_type type;
    int priority;     /* -1: the event carries none */
    int satisfaction;
    int64_t due;
} mevent;

static int ticket_key(const mevent *ev) { return TICKET_KEY(ev->ticket, ev->life); }

static int opens(enum sla_event_type type)
{
    return type == SLA_EV_TICKET_OPENED || type == SLA_EV_CUSTOMER_MESSAGE ||
           type == SLA_EV_CALL_RINGING;
}

static void mapply(tuples *out, mticket *tks, const mevent *ev)
{
    mticket *k = &tks[ev->ticket];
    int tk = ticket_key(ev);
    int64_t t = ev->ts;
    mclock *c = k->c;
    if (!k->open) {
        if (!opens(ev->type))
            return;
        memset(k, 0, sizeof *k);
        k->open = 1;
        k->key = tk;
        k->priority = ev->priority;
        for (int m = 0; m < NMETRICS; m++)
            if ((m == FR || m == RES || m == PU) && policy_of(k->priority, m) != NONE)
                mstart(&c[m]);
        if (ev->type != SLA_EV_CALL_RINGING)
            return;
    } else if (ev->priority >= 0 && ev->priority != k->priority) {
        /* Re-match: a clock whose metric no policy defines any more stops. */
        k->priority = ev->priority;
        for (int m = 0; m < NMETRICS; m++)
            if (live(&c[m]) && m != CB && policy_of(k->priority, m) == NONE)
                c[m].state = STOPPED;
    }
    switch (ev->type) {
    case SLA_EV_CUSTOMER_MESSAGE:
        if (!live(&c[FR]) && !live(&c[NR]))
            mstart(&c[NR]);
        break;
    case SLA_EV_AGENT_REPLY:
        mmeet(out, tk, k, FR, t);
        mmeet(out, tk, k, NR, t);
        mperiodic(k);
        break;
    case SLA_EV_AGENT_UPDATE:
        mperiodic(k);
        break;
    case SLA_EV_CALL_RINGING:
        if (!live(&c[PK]))
            mstart(&c[PK]);
        break;
    case SLA_EV_CALL_ANSWERED:
        mmeet(out, tk, k, PK, t);
        break;
    case SLA_EV_CALL_ABANDONED:
        if (c[PK].state == RUNNING) {
            if (c[PK].fired == 0)
                mfire(out, tk, PK, &c[PK], target_of(k, PK), t);
            c[PK].state = STOPPED;
        }
        break;
    case SLA_EV_TICKET_PENDING:
        if (!k->resolved)
            k->pending = 1;
        if (c[RES].state == RUNNING) c[RES].state = PAUSED;
        if (c[PU].state == RUNNING) c[PU].state = PAUSED;
        break;
    case SLA_EV_TICKET_RESUMED:
        k->pending = 0;
        if (c[RES].state == PAUSED) mresume(&c[RES]);
        if (c[PU].state == PAUSED) mresume(&c[PU]);
        break;
    case SLA_EV_TICKET_RESOLVED:
        mmeet(out, tk, k, RES, t);
        k->resolved = 1;
        k->pending = 0; /* resolving ends it: reopening runs resolution again */
        for (int m = FR; m <= PU; m++)
            if (m != PK && live(&c[m]))
                c[m].state = STOPPED;
        if (!live(&c[FU]))
            mstart(&c[FU]);
        break;
    case SLA_EV_TICKET_REOPENED:
        if (k->resolved && policy_of(k->priority, PU) != NONE)
            seen.reopened_periodic++;
        k->resolved = 0;
        if (c[RES].state == MET)
            mresume(&c[RES]);
        if (live(&c[FU]))
            c[FU].state = STOPPED;
        mperiodic(k);
        break;
    case SLA_EV_FOLLOWUP_DONE:
        mmeet(out, tk, k, FU, t);
        if (ev->satisfaction) {
            mstart(&c[FU]);
            c[FU].revisit = ev->satisfaction >= 4 ? 120 : ev->satisfaction == 3 ? 60 : 30;
        }
        break;
    case SLA_EV_CALLBACK_SCHEDULED:
        mstart(&c[CB]);
        c[CB].due = ev->due;
        break;
    case SLA_EV_CALLBACK_DONE:
        mmeet(out, tk, k, CB, t);
        break;
    case SLA_EV_ESCALATION_ACK:
        for (int m = 0; m < NMETRICS; m++)
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

static void model_due(tuples *out, mticket *tks, int64_t t, int at)
{
    for (int i = 0; i < NTICKETS; i++)
        for (int m = 0; m < NMETRICS; m++)
            if (tks[i].open)
                mdue(out, tks[i].key, &tks[i], m, t, at);
}

static void model_run(tuples *out, const mevent *evs, int n, int64_t end)
{
    static mticket tks[NTICKETS];
    memset(tks, 0, sizeof tks);
    int next = 0;
    for (int64_t t = T0; t <= end; t += SEC) {
        if (t > T0)
            for (int i = 0; i < NTICKETS; i++)
                for (int m = 0; m < NMETRICS; m++)
                    if (tks[i].open && tks[i].c[m].state == RUNNING)
                        tks[i].c[m].elapsed++;
        /* What is due at t fires before each event of second t... */
        while (next < n && evs[next].ts == t) {
            int before = out->n, fired = 0;
            model_due(out, tks, t, 0);
            for (int i = before; i < out->n; i++)
                fired |= out->v[i].ticket == ticket_key(&evs[next]);
            seen.due_at_event += fired;
            mapply(out, tks, &evs[next++]);
        }
        model_due(out, tks, t, 0);
        /* ...and a step due just after t after all of them. */
        if (t < end)
            model_due(out, tks, t, 1);
    }
}

/* ----------------------------------------------------------- the engine */

/*
 * A ticket's id: its slot and how many times a ticket of that slot was
 * closed before, so that no id is reused (README: records of a reused id
 * would repeat the closed ticket's ids).
 */
static const char *ticket_name(int slot, int life)
{
    static char name[16];
    snprintf(name, sizeof name, "t%d.%d", slot, life);
    return name;
}

static void engine_event(fixture *fx, const mevent *ev, int64_t now)
{
    char ts[24], extra[24];
    snprintf(ts, sizeof ts, "%lld", (long long)ev->ts);
    const char *key = NULL;
    if (ev->type == SLA_EV_CALLBACK_SCHEDULED) {
        key = "due";
        snprintf(extra, sizeof extra, "%lld", (long long)ev->due);
    } else if (ev->type == SLA_EV_FOLLOWUP_DONE && ev->satisfaction) {
        key = "satisfaction";
        snprintf(extra, sizeof extra, "%d", ev->satisfaction);
    } else if (ev->priority >= 0) {
        key = "priority";
        snprintf(extra, sizeof extra, "%s", priority_names[ev->priority]);
    }
    fx_event(fx, now, "ticket", ticket_name(ev->ticket, ev->life), "type",
             sla_event_type_name(ev->type), "ts", ts, key, extra, NULL);
}

static void engine_tuples(const fixture *fx, tuples *out)
{
    for (size_t i = 0; i < fx->out.ndecisions; i++) {
        const sla_decision *d = &fx->out.decisions[i];
        int slot = 0, life = 0;
        sscanf(d->ticket, "t%d.%d", &slot, &life);
        add(out, TICKET_KEY(slot, life), d->metric, (int)d->cycle, d->level, d->kind,
            d->receiver, d->deadline_ms, d->id);
    }
}

/*
 * An event meeting the clock that `prev` started, exactly at its deadline,
 * or type SLA_EV_TYPE_COUNT when prev starts none.
 */
static enum sla_event_type meeting(const mevent *prev, int64_t *at)
{
    int after;
    enum sla_event_type type;
    switch (prev->type) {
    case SLA_EV_TICKET_OPENED:
        type = SLA_EV_AGENT_REPLY, after = prev->priority == HIGH ? 20 : 30;
        break;
    case SLA_EV_CUSTOMER_MESSAGE:
        type = SLA_EV_AGENT_REPLY, after = 45;
        break;
    case SLA_EV_CALL_RINGING:
        type = SLA_EV_CALL_ANSWERED, after = 15;
        break;
    case SLA_EV_TICKET_RESOLVED:
        type = SLA_EV_FOLLOWUP_DONE, after = 90;
        break;
    case SLA_EV_CALLBACK_SCHEDULED:
        type = SLA_EV_CALLBACK_DONE, after = (int)((prev->due - prev->ts) / SEC);
        break;
    default:
        return SLA_EV_TYPE_COUNT;
    }
    *at = prev->ts + (after > 0 ? after : 0) * SEC;
    return type;
}

static void gen(mevent *evs, int n)
{
    static const enum sla_event_type weights[] = {
        SLA_EV_TICKET_OPENED, SLA_EV_TICKET_OPENED, SLA_EV_CUSTOMER_MESSAGE,
        SLA_EV_CUSTOMER_MESSAGE, SLA_EV_AGENT_REPLY, SLA_EV_AGENT_REPLY, SLA_EV_AGENT_REPLY,
        SLA_EV_AGENT_UPDATE, SLA_EV_AGENT_UPDATE, SLA_EV_CALL_RINGING, SLA_EV_CALL_ANSWERED,
        SLA_EV_CALL_ABANDONED, SLA_EV_TICKET_PENDING, SLA_EV_TICKET_PENDING,
        SLA_EV_TICKET_RESUMED, SLA_EV_TICKET_RESUMED, SLA_EV_TICKET_RESOLVED,
        SLA_EV_TICKET_RESOLVED, SLA_EV_TICKET_REOPENED, SLA_EV_TICKET_REOPENED,
        SLA_EV_TICKET_UPDATED, SLA_EV_TICKET_UPDATED, SLA_EV_TICKET_UPDATED,
        SLA_EV_FOLLOWUP_DONE, SLA_EV_CALLBACK_SCHEDULED, SLA_EV_CALLBACK_DONE,
        SLA_EV_ESCALATION_ACK, SLA_EV_TICKET_CLOSED,
    };
    /* Targets, warning points and ladder delays of the configuration. */
    static const int64_t marks[] = {10, 15, 20, 24, 30, 40, 45, 60, 90, 100, 120, 200, 240, 300};
    int64_t t = T0;
    int life[NTICKETS] = {0};
    for (int i = 0; i < n; i++) {
        /*
         * Whole seconds: often a few apart, often one of the marks after
         * the last event (of the same ticket, half the time), so events
         * land on deadlines and ladder times; sometimes minutes apart, for
         * whole ladders; and now and then the event that meets the clock
         * the last one started, exactly at its deadline.
         */
        mevent *ev = &evs[i];
        uint32_t r = rnd(16);
        int64_t at = t;
        if (i > 0 && r == 0 && (ev->type = meeting(&evs[i - 1], &at)) != SLA_EV_TYPE_COUNT) {
            ev->ticket = evs[i - 1].ticket;
        } else {
            t += (r < 6 ? rnd(20) : r < 12 ? marks[rnd(sizeof marks / sizeof marks[0])]
                                           : rnd(200)) * SEC;
            at = t;
            ev->type = weights[rnd(sizeof weights / sizeof weights[0])];
            ev->ticket = i > 0 && rnd(2) ? evs[i - 1].ticket : (int)rnd(NTICKETS);
        }
        t = ev->ts = at;
        ev->life = life[ev->ticket];
        ev->priority = opens(ev->type) || ev->type == SLA_EV_TICKET_UPDATED ? (int)rnd(3) : -1;
        ev->satisfaction = ev->type == SLA_EV_FOLLOWUP_DONE ? (int)rnd(6) : 0;
        ev->due = t + ((int64_t)rnd(131) - 10) * SEC;
        if (ev->type == SLA_EV_TICKET_CLOSED)
            life[ev->ticket]++; /* the slot's next ticket gets a new id */
    }
}

/* ----------------------------------------------------------- reports */

static void print_tuple(const char *who, const tuple *x)
{
    fprintf(stderr, "  %s: %s %s of %s, cycle %d, level %d, receiver \"%s\", deadline T0%+llds\n",
            who, ticket_name(x->ticket / 1000, x->ticket % 1000), sla_decision_kind_name(x->kind),
            sla_metric_name(x->metric), x->cycle, x->level, x->receiver,
            (long long)((x->deadline - T0) / SEC));
}

static void print_events(const mevent *evs, int n, int ticket)
{
    fprintf(stderr, "  events of %s:\n", ticket_name(ticket / 1000, ticket % 1000));
    for (int i = 0; i < n; i++) {
        const mevent *ev = &evs[i];
        if (ticket_key(ev) != ticket)
            continue;
        fprintf(stderr, "    T0%+llds %s", (long long)((ev->ts - T0) / SEC),
                sla_event_type_name(ev->type));
        if (ev->priority >= 0)
            fprintf(stderr, " priority=%s", priority_names[ev->priority]);
        if (ev->type == SLA_EV_CALLBACK_SCHEDULED)
            fprintf(stderr, " due=T0%+llds", (long long)((ev->due - T0) / SEC));
        if (ev->satisfaction)
            fprintf(stderr, " satisfaction=%d", ev->satisfaction);
        fputc('\n', stderr);
    }
}

/*
 * The engine's decisions and the model's as multisets: sorted, then walked
 * side by side; the first decision only one side has is printed, with the
 * events of its ticket.
 */
static int same_tuples(tuples *eng, tuples *model, int seq, const char *mode, const mevent *evs,
                       int nevs)
{
    qsort(eng->v, (size_t)eng->n, sizeof eng->v[0], cmp_tuple);
    qsort(model->v, (size_t)model->n, sizeof model->v[0], cmp_tuple);
    int i = 0, j = 0;
    while (i < eng->n || j < model->n) {
        int c = i == eng->n ? 1 : j == model->n ? -1 : cmp_tuple(&eng->v[i], &model->v[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        const tuple *x = c < 0 ? &eng->v[i] : &model->v[j];
        fprintf(stderr, "seq %d (%s): %d engine decisions, %d in the model; first difference:\n",
                seq, mode, eng->n, model->n);
        print_tuple(c < 0 ? "only the engine decided" : "only the model decided", x);
        const tuple *near = c < 0 ? (j < model->n ? &model->v[j] : NULL)
                                  : (i < eng->n ? &eng->v[i] : NULL);
        if (near)
            print_tuple(c < 0 ? "the model's next" : "the engine's next", near);
        print_events(evs, nevs, x->ticket);
        return 0;
    }
    return 1;
}

/* Every decision is a record of its own: no two share an id. */
static int distinct_ids(tuples *eng, int seq)
{
    for (int i = 0; i < eng->n; i++)
        for (int k = i + 1; k < eng->n; k++)
            if (strcmp(eng->v[i].id, eng->v[k].id) == 0) {
                fprintf(stderr, "seq %d: two records with the id %s:\n", seq, eng->v[i].id);
                print_tuple("first", &eng->v[i]);
                print_tuple("second", &eng->v[k]);
                return 0;
            }
    return 1;
}

int main(void)
{
    static mevent evs[NEVENTS];
    static tuples model, realtime, batch;
    int failed_seqs = 0;
    for (int seq = 0; seq < NSEQ; seq++) {
        rng = TEST_RNG_SEED ^ (uint64_t)(seq + 1) * 0x100000001b3ULL;
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

        int ok = distinct_ids(&realtime, seq);
        ok &= same_tuples(&realtime, &model, seq, "real time", evs, NEVENTS);
        ok &= same_tuples(&batch, &model, seq, "after the fact", evs, NEVENTS);
        CHECK(ok);
        failed_seqs += !ok;
        seen.decisions += model.n;
    }
    printf("%d decisions compared over %d sequences (%d differ); the model saw %d periodic "
           "updates restarted by a reopen, %d recoveries told to receivers of an earlier "
           "policy, %d recoveries of a paused clock, %d second recoveries in a cycle, %d "
           "clocks met exactly at their deadline, %d events whose second something of "
           "their ticket fell due at\n",
           seen.decisions, NSEQ, failed_seqs, seen.reopened_periodic, seen.rematched_recovery,
           seen.paused_recovery, seen.second_recovery, seen.met_at_deadline, seen.due_at_event);
    /* The sequences must exercise the rules, not pass vacuously. */
    CHECK(seen.decisions > NSEQ * 5);
    CHECK(seen.reopened_periodic > 0);
    CHECK(seen.rematched_recovery > 0);
    CHECK(seen.paused_recovery > 0);
    CHECK(seen.second_recovery > 0);
    CHECK(seen.met_at_deadline > 0);
    CHECK(seen.due_at_event > 0);
    return CHECK_DONE();
}
