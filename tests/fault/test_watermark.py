"""No false breach while slad is behind its input stream.

A deadline may fire only once slad has applied every entry that reached
Redis at or before it (an entry's stream id time is when it reached
Redis): a reply that was in Redis before the deadline it meets must win,
however long slad took to read it. Late is fine (late_ms), false is not.

Each scenario runs a reference slad, left alone, and a faulty one, each
with its own redis-server, and writes the same tickets with the same `ts`
to both (Redis assigns the ids, so an id's time is the arrival time). The
stream is read in batches of BATCH entries, so a backlog spans many
batches. Three classes of chat ticket (policy below: warning at 3 s,
breach at 5 s, manager at 7 s, director at 9 s and again at 11 s):

  answered    a reply with a ts before the warning, written to Redis at
              least half a second before the warning: no record at all,
              in either run;
  late        a reply (ts) after the breach, written to Redis at least
              half a second before the manager's step: warning, breach
              and `recovered`, no escalation;
  unanswered  the whole ladder: warning, breach, three escalations.

Every entry is in both Redis servers before any deadline it meets (checked
from the ids at the end), so the two runs must record exactly the same:
the same record ids in sla:escalations, none twice, nothing pending in the
consumer group, the same tickets in sla:state; and the reference's
records are the ones the classes above imply. Stream order puts a wave's
openings before their replies, so a slad that advances its clock to
wall-clock time after a batch breaches tickets whose replies are in a
later batch.

  downtime_sigterm  answered tickets opened while slad runs (their state
                    is stored), slad stopped with SIGTERM, more tickets and
                    all replies written while it is down (about 20
                    batches), started again after every deadline passed:
                    it restores tickets whose deadlines passed while their
                    replies are unread, and reads its backlog.
  downtime_sigkill  the same with SIGKILL and a larger backlog (about 130
                    batches); slad is killed again in the middle of it
                    (paused with SIGSTOP once it has read two batches, while
                    entries are pending and ten batches unread) and started
                    again: it restores state and replays its own pending
                    entries.
  redis_frozen      answered tickets stored, then slad paused (SIGSTOP)
                    while a burst of several thousand entries (one MULTI:
                    openings, then the replies, of its tickets and of the
                    stored ones) is written, so that it is behind whatever
                    its speed; its Redis frozen (SIGSTOP) right after the
                    burst, slad continued, Redis kept frozen past every
                    deadline, then SIGCONT.
  redis_frozen_idle_reader
                    the same, but slad's blocking read answered "nothing
                    new" (CLIENT UNBLOCK, as when the BLOCK times out) just
                    before the burst: slad holds no entry of the burst, has
                    last heard that the stream had nothing new, and its next
                    read meets the frozen Redis.
  redis_restarted   as redis_frozen, with Redis killed (SIGKILL) instead
                    of frozen and started again past every deadline
                    (appendonly yes, appendfsync always, so the burst
                    survives).
  slad_behind       the same burst with Redis left alone: slad kept paused
                    past every deadline, then continued (a slad that lags
                    behind wall-clock time with more than a batch unread).

Before each fault the test checks, from the consumer group (XINFO GROUPS)
and sla:state, that slad is behind as the scenario needs (answered tickets
stored whose replies it has not read, many batches unread) and fails when
it is not.
"""

import collections
import os
import random
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import (EVENTS, STATE, TestFailure, check, firings, freeze_redis,  # noqa: E402
                      group_position, kill_redis, now_ms, parse_id, pause_slad_idle,
                      pause_slad_when, record_differences, run_tests, start_pair, thaw_redis,
                      wait_for, write_entries)

SEED = int(os.environ.get("SLA_FAULT_SEED", "20260107"))
BATCH = 50

POLICY = """
policies = (
  { name = "chat";
    match = { channel = "chat"; };
    first_response = { target = "5s"; warn = "60%"; warn_notify = [ "team_lead" ];
      recovered = true;
      escalate = ( { after = "0s"; notify = [ "team_lead", "supervisor" ]; },
                   { after = "2s"; notify = [ "manager" ]; },
                   { after = "4s"; notify = [ "director" ]; repeat = "2s"; max_repeats = 1; } );
    }; }
);
"""
# ms after the opening ts: warning, breach, then the escalations
WARN_MS, BREACH_MS, MANAGER_MS, LAST_MS = 3000, 5000, 7000, 11000
MARGIN_MS = 500  # between an entry reaching Redis and the next deadline it meets

EXPECTED = {
    "answered": set(),
    "late": {("warning", "0", "team_lead"), ("breach", "1", "team_lead"),
             ("breach", "1", "supervisor"), ("recovered", "1", "team_lead"),
             ("recovered", "1", "supervisor")},
    "unanswered": {("warning", "0", "team_lead"), ("breach", "1", "team_lead"),
                   ("breach", "1", "supervisor"), ("escalation", "2", "manager"),
                   ("escalation", "3", "director"), ("escalation", "4", "director")},
}


class Plan:
    """The tickets of a scenario (class and opening ts of each) and the
    entries written for them: the ids each Env's Redis gave them, and the
    id of each reply."""

    def __init__(self, envs, seed):
        self.envs = envs
        self.rng = random.Random(seed)
        self.kind = {}
        self.opened_ts = {}
        self.ids = {e.name: [] for e in envs}
        self.reply_id = {e.name: {} for e in envs}

    def tickets(self, prefix, kind, count):
        names = ["%s%d" % (prefix, i) for i in range(count)]
        for t in names:
            self.kind[t] = kind
        return names

    def openings(self, tickets, ts):
        for t in tickets:
            self.opened_ts[t] = ts
        return [{"ticket": t, "type": "ticket.opened", "channel": "chat",
                 "customer": "c%d" % self.rng.randrange(97), "ts": str(ts)} for t in tickets]

    def replies(self, tickets, ts):
        return [{"ticket": t, "type": "agent.reply", "ts": str(ts)} for t in tickets]

    def write(self, *groups, transaction=False):
        """Each group of entries in a seeded order, one group after the
        other, in one write per Env (one MULTI when transaction)."""
        entries = []
        for g in groups:
            g = list(g)
            self.rng.shuffle(g)
            entries.extend(g)
        for e, ids in zip(self.envs, write_entries(self.envs, entries, transaction)):
            self.ids[e.name].extend(parse_id(i) for i in ids)
            for f, i in zip(entries, ids):
                if f["type"] == "agent.reply":
                    self.reply_id[e.name][f["ticket"]] = parse_id(i)

    def of(self, kind):
        return [t for t, k in self.kind.items() if k == kind]

    def all_due_ms(self):
        """When every action of every ticket has fallen due."""
        return max(self.opened_ts.values()) + LAST_MS


def sleep_until(ms):
    time.sleep(max(0, ms - now_ms()) / 1000)


def lag(env, plan):
    """Where env's slad is in the entries of the plan: delivered to its
    group, unread (not delivered), pending (delivered, not acknowledged),
    tickets stored in sla:state, and "waiting": answered tickets stored
    whose reply is unread."""
    last, pending = group_position(env)
    delivered = sum(1 for i in plan.ids[env.name] if i <= last)
    stored = {k.decode() for k in env.r.hkeys(STATE)}
    replies = plan.reply_id[env.name]
    waiting = sum(1 for t in stored
                  if plan.kind.get(t) == "answered" and replies.get(t, last) > last)
    return {"delivered": delivered, "unread": len(plan.ids[env.name]) - delivered,
            "pending": pending, "stored": len(stored), "waiting": waiting}


def behind(state, min_unread_batches):
    """slad has stored answered tickets whose replies it has not read, and
    at least min_unread_batches batches unread."""
    return state["waiting"] > 0 and state["unread"] >= min_unread_batches * BATCH


def require_behind(env, plan, min_unread_batches, when, state=None):
    state = state or lag(env, plan)
    check(behind(state, min_unread_batches),
          "%s: slad is not behind %s as the scenario needs (answered tickets stored with "
          "their reply unread, %d batches unread): %r"
          % (env.name, when, min_unread_batches, state))
    print("%s: %s: %d entries unread (%d batches), %d pending, %d tickets stored, "
          "%d of them answered with the reply unread"
          % (env.name, when, state["unread"], state["unread"] // BATCH, state["pending"],
             state["stored"], state["waiting"]))
    return state


def log_excerpt(env, n=15):
    """The last lines of env's slad log but for the delivery attempts (the
    receivers of these scenarios listen nowhere)."""
    lines = [line for line in env.log().splitlines() if "delivery" not in line]
    return "\n    ".join(lines[-n:])


# --- the outcome -----------------------------------------------------------

def check_arrivals(env, plan):
    """The scenario's premise, from env's stream: each reply of an answered
    ticket reached Redis at least MARGIN_MS before the ticket's warning,
    with a ts before it; each late reply after the breach (ts) and at least
    MARGIN_MS before the manager's step (arrival)."""
    bad = []
    for eid, f in env.r.xrange(EVENTS):
        if f.get(b"type") != b"agent.reply":
            continue
        t = f[b"ticket"].decode()
        arrived, ts, opened = parse_id(eid)[0], int(f[b"ts"]), plan.opened_ts[t]
        if plan.kind[t] == "answered":
            ok = ts < opened + WARN_MS and arrived <= opened + WARN_MS - MARGIN_MS
        else:
            ok = ts > opened + BREACH_MS and arrived <= opened + MANAGER_MS - MARGIN_MS
        if not ok:
            bad.append((t, plan.kind[t], ts - opened, arrived - opened))
    check(not bad, "%s: replies not where the scenario puts them (ticket, class, ts and arrival "
          "after the opening, ms): %d, e.g. %r" % (env.name, len(bad), bad[:5]))


def by_ticket(records):
    out = collections.defaultdict(set)
    for ticket, metric, cycle, level, receiver, kind in records.values():
        out[ticket].add((kind, level, receiver))
    return out


def settle(plan, faulty, ref, timeout=40):
    """Wait for every deadline, both groups drained, then for the faulty
    run's records to match (a few seconds at most)."""
    sleep_until(plan.all_due_ms() + 300)
    for e in (ref, faulty):
        e.wait_consumed(timeout)
    try:
        wait_for(lambda: set(firings(faulty)) == set(firings(ref)), 5,
                 "the faulty run's records to match the reference's", interval=0.2)
    except TestFailure:
        pass  # reported in detail below
    time.sleep(0.5)  # a flush in progress lands


def check_outcome(plan, faulty, ref):
    """Everything the module comment promises; all failures in one report."""
    for e in (ref, faulty):
        check_arrivals(e, plan)
    problems = []
    recs = {e.name: firings(e) for e in (ref, faulty)}
    answered = set(plan.of("answered"))
    for e in (faulty, ref):
        false = [r for r in recs[e.name].values() if r[0] in answered]
        if false:
            kinds = collections.Counter(r[5] for r in false)
            problems.append("%s: %d records for %d of %d tickets answered in time, by kind %r, "
                            "e.g. %r" % (e.name, len(false), len({r[0] for r in false}),
                                         len(answered), dict(kinds), sorted(false)[:6]))
    missing, extra = record_differences(faulty.name, recs[faulty.name], recs[ref.name])
    if missing:
        problems.append("%s: %d records of the reference missing, e.g. %r"
                        % (faulty.name, len(missing), missing[:5]))
    if extra:
        kinds = collections.Counter((r[5], r[3]) for r in extra)
        problems.append("%s: %d records the reference did not make, by (kind, level) %r, e.g. %r"
                        % (faulty.name, len(extra), dict(kinds), extra[:5]))
    got = by_ticket(recs[ref.name])
    wrong = [(t, k, sorted(got.get(t, ()))) for t, k in sorted(plan.kind.items())
             if got.get(t, set()) != EXPECTED[k]]
    if wrong:
        problems.append("%s: %d tickets whose records do not match their class, e.g. %r"
                        % (ref.name, len(wrong), wrong[:3]))
    for e in (ref, faulty):
        if e.pending_count():
            problems.append("%s: %d entries pending (XPENDING)" % (e.name, e.pending_count()))
    states = {e.name: {k.decode() for k in e.r.hkeys(STATE)} for e in (ref, faulty)}
    if states[ref.name] != set(plan.kind) or states[faulty.name] != set(plan.kind):
        problems.append("sla:state: %d tickets in %s, %d in %s, the plan opened %d"
                        % (len(states[ref.name]), ref.name, len(states[faulty.name]),
                           faulty.name, len(plan.kind)))
    kinds = collections.Counter(r[5] for r in recs[ref.name].values())
    print("%d tickets (%s); reference records by kind %r"
          % (len(plan.kind), ", ".join("%d %s" % (len(plan.of(k)), k) for k in EXPECTED),
             dict(kinds)))
    if problems:
        problems.append("%s: slad's log, delivery lines left out:\n    %s"
                        % (faulty.name, log_excerpt(faulty)))
        raise TestFailure("\n  ".join(["no false breach while behind:"] + problems))
    check(faulty.stop_slad() == 0 and ref.stop_slad() == 0, "both slads exit 0 on SIGTERM")


# --- scenarios ---------------------------------------------------------------

def downtime(make_env, name, stop, answered, kill_mid_backlog):
    faulty, ref = start_pair(make_env, name, policy_text=POLICY, batch=BATCH)
    plan = Plan([ref, faulty], "%d-%s" % (SEED, name))
    # Wave 1, opened while slad runs: stored before the stop.
    a1 = plan.tickets("a1-", "answered", 150)
    u1 = plan.tickets("u1-", "unanswered", 50)
    plan.write(plan.openings(a1 + u1, now_ms()))
    for e in (ref, faulty):
        e.wait_consumed(10)
    stop(faulty)
    # Wave 2 while slad is down; wave 1's replies come after its openings.
    a2 = plan.tickets("a2-", "answered", answered)
    late = plan.tickets("l2-", "late", 100)
    u2 = plan.tickets("u2-", "unanswered", 50)
    t2 = now_ms()
    plan.write(plan.openings(a2 + late + u2, t2), plan.replies(a1, t2))
    sleep_until(t2 + 1000)
    plan.write(plan.replies(a2, t2 + 1000))
    sleep_until(t2 + 6000)
    plan.write(plan.replies(late, t2 + 6000))
    sleep_until(plan.all_due_ms() + 300)
    at_start = require_behind(faulty, plan, 10, "at the restart, every deadline past")
    faulty.start_slad(wait_ready=not kill_mid_backlog)
    if kill_mid_backlog:
        def mid_backlog():
            now = lag(faulty, plan)
            return now if (behind(now, 10) and now["pending"] and
                           now["delivered"] >= at_start["delivered"] + 2 * BATCH) else None
        state = pause_slad_when(faulty, mid_backlog, 30, interval=0.001)
        check(state is not None, "slad paused in the middle of its backlog (two batches read, "
              "entries pending, ten batches unread); enlarge the backlog")
        faulty.kill_slad()
        require_behind(faulty, plan, 10, "killed in the middle of its backlog", state)
        faulty.start_slad()
    settle(plan, faulty, ref)
    check_outcome(plan, faulty, ref)


def test_downtime_sigterm(make_env):
    downtime(make_env, "wm-term", lambda e: check(e.stop_slad() == 0, "SIGTERM exits 0"),
             answered=300, kill_mid_backlog=False)


def test_downtime_sigkill(make_env):
    downtime(make_env, "wm-kill", lambda e: e.kill_slad(), answered=3000, kill_mid_backlog=True)


def burst(make_env, name, fault, recover, aof=False, idle_reader=False):
    """Tickets stored, then slad paused while a burst is written, so that
    it is behind whatever its speed; fault(faulty) with slad behind, every
    deadline passes, recover(faulty). idle_reader: slad's blocking read is
    answered "nothing new" before the burst, so that it holds no entry of
    the burst; otherwise the read is answered with the burst's first
    batch."""
    faulty, ref = start_pair(make_env, name, aof=aof, policy_text=POLICY, batch=BATCH)
    plan = Plan([ref, faulty], "%d-%s" % (SEED, name))
    # Stored tickets: their replies come in the burst.
    head = plan.tickets("h-", "answered", 150)
    head_u = plan.tickets("hu-", "unanswered", 50)
    plan.write(plan.openings(head + head_u, now_ms()))
    for e in (ref, faulty):
        e.wait_consumed(10)
    before = len(plan.ids[faulty.name])
    if idle_reader:
        pause_slad_idle(faulty)
    else:
        faulty.signal_slad(signal.SIGSTOP)
    answered = plan.tickets("b-", "answered", 2000)
    late = plan.tickets("bl-", "late", 200)
    unanswered = plan.tickets("bu-", "unanswered", 100)
    tb = now_ms()
    plan.write(plan.openings(answered + unanswered, tb - 1000) + plan.openings(late, tb - 5300),
               plan.replies(head + answered + late, tb), transaction=True)
    state = require_behind(faulty, plan, 20, "after the burst")
    if idle_reader:
        check(state["delivered"] == before, "%s: no entry of the burst delivered to slad "
              "(%d of it)" % (faulty.name, state["delivered"] - before))
    fault(faulty)
    sleep_until(plan.all_due_ms() + 500)
    check(faulty.slad_alive(), "slad alive through the fault")
    recover(faulty)
    settle(plan, faulty, ref)
    check_outcome(plan, faulty, ref)


def resume_slad(env):
    env.signal_slad(signal.SIGCONT)


def freeze(env):
    freeze_redis(env)
    resume_slad(env)


def test_redis_frozen(make_env):
    burst(make_env, "wm-freeze", freeze, thaw_redis)


def test_redis_frozen_idle_reader(make_env):
    burst(make_env, "wm-freeze-idle", freeze, thaw_redis, idle_reader=True)


def test_redis_restarted(make_env):
    def kill(e):
        kill_redis(e)
        resume_slad(e)
    burst(make_env, "wm-rkill", kill, lambda e: e.start_redis(), aof=True)


def test_slad_behind(make_env):
    burst(make_env, "wm-behind", lambda e: None, resume_slad)


if __name__ == "__main__":
    run_tests([test_downtime_sigterm, test_downtime_sigkill, test_redis_frozen,
               test_redis_frozen_idle_reader, test_redis_restarted, test_slad_behind], limit=120)
