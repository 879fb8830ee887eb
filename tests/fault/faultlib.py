"""Shared pieces of the fault-injection suite (tests/fault/test_*.py).

Every scenario runs the same steady load against two slads, each with its
own private redis-server: the "faulty" one, which the scenario kills,
starves or reloads, and a "reference" one that is left alone. A producer
thread writes each ticket's entries to both at the same moment, with the
same fields, so both see the same event times at the same wall-clock
times. When the load is over and every deadline has fallen due, the two
must agree:

  - the same set of escalation records, by id (the id is a hash of
    ticket, metric, cycle, level and receiver), and no id twice;
  - nothing pending in the consumer group (XPENDING);
  - the same open tickets in sla:state (and as many as the plan implies).

The load (policies below, in seconds so that the run stays short): each
ticket is opened with a ts a random age in the past, so that its warning,
breach and escalations fall due before, during or after the moment it is
written; some tickets get a reply or a close written together with the
opening. A ticket's entries go in one MULTI per Redis, so a Redis killed
mid-write holds all of them or none, and an entry that meets a clock is
never read much later than the deadline it meets. Ages of tickets that
get a follow-up keep every action of the ticket at least MARGIN_S away
from the follow-up's ts: the outcome then does not depend on how quickly
slad reads the entries (a restart takes well under a second).

Entries carry explicit ids ("<start ms>-<n>"): a producer whose XADD was
cut by a dying Redis retries it, and an "equal or smaller" error means the
first attempt landed.
"""

import collections
import re
import signal
import subprocess
import os
import random
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import redis  # noqa: E402

# Re-exported for the test files: run_tests, TestFailure, check, now_ms, wait_for.
from harness import (EVENTS, STATE, TestFailure, check, now_ms, run_tests,  # noqa: E402,F401
                     wait_for)

# Targets in seconds. fast: warn at 3 s, breach at 6 s (two receivers),
# escalations at 9 s, 12 s and one repeat at 15 s. slow: breach at 10 s,
# escalation at 14 s; resolution far away (never due during a run).
POLICIES = """
policies = (
  { name = "fast";
    match = { channel = "chat"; };
    first_response = { target = "6s"; warn = "50%%"; warn_notify = [ "team_lead" ];
      escalate = ( { after = "0s"; notify = [ "team_lead", "supervisor" ]; },
                   { after = "3s"; notify = [ "manager" ]; },
                   { after = "6s"; notify = [ "director" ]; repeat = "3s"; max_repeats = 1; } );
    }; },
  { name = "slow";%s
    first_response = { target = "10s";
      escalate = ( { after = "0s"; notify = [ "team_lead" ]; },
                   { after = "4s"; notify = [ "manager" ]; } ); };
    resolution = { target = "24h";
      escalate = ( { after = "0s"; notify = [ "team_lead" ]; } ); }; }
);
"""

# Seconds after the opening ts at which something fires, per channel.
ACTIONS = {"chat": (3, 6, 9, 12, 15), "email": (10, 14)}
LAST_ACTION_S = 15
MARGIN_S = 3.0


def policies(comment=""):
    """The policy text; comment is put inside the second policy, so that a
    reload with a different file applies the very same rules."""
    return POLICIES % comment


def plan_tickets(seed, count, prefix="t"):
    """A seeded list of ticket plans: (id, channel, age_s, follow-up)."""
    rng = random.Random(seed)
    plans = []
    for i in range(count):
        channel = "chat" if rng.random() < 0.6 else "email"
        follow = rng.choice((None, None, "agent.reply", "ticket.closed"))
        if follow is None:
            age = rng.uniform(0, 20)
        else:
            # an age that keeps every action MARGIN_S away from "now"
            while True:
                age = rng.uniform(0, 25)
                if all(abs(age - a) >= MARGIN_S for a in ACTIONS[channel]):
                    break
        plans.append(("%s%d" % (prefix, i), channel, age, follow))
    return plans


def expected_open(plans):
    return sum(1 for p in plans if p[3] != "ticket.closed")


class Producer(threading.Thread):
    """Writes the planned tickets at `rate` tickets per second to every
    target (a list of Envs, reference first), until all are written."""

    def __init__(self, envs, plans, rate):
        super().__init__(daemon=True)
        self.ports = [e.redis_port for e in envs]
        self.plans = plans
        self.rate = rate
        self.base_ms = now_ms()
        self.seq = 0
        self.written = 0
        self.retries = 0
        self.error = None
        self.done = threading.Event()
        self.last_ts_ms = 0

    def _client(self, port):
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5,
                           socket_connect_timeout=1)

    def _write(self, client, entries):
        """Entries (id, fields) in one MULTI; retried until they are in."""
        deadline = time.monotonic() + 60
        while True:
            try:
                pipe = client.pipeline(transaction=True)
                for eid, fields in entries:
                    pipe.xadd(EVENTS, fields, id=eid)
                pipe.execute()
                return
            except redis.exceptions.ResponseError as e:
                if "equal or smaller" in str(e):
                    return  # the first attempt landed (MULTI: all of it)
                raise
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                    redis.exceptions.BusyLoadingError):
                self.retries += 1
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def run(self):
        try:
            clients = [self._client(p) for p in self.ports]
            start = time.monotonic()
            for i, (ticket, channel, age, follow) in enumerate(self.plans):
                delay = start + i / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                now = now_ms()
                entries = []
                self.seq += 1
                entries.append(("%d-%d" % (self.base_ms, self.seq),
                                {"ticket": ticket, "type": "ticket.opened", "channel": channel,
                                 "customer": "c%d" % (i % 97), "ts": str(now - int(age * 1000))}))
                if follow:
                    self.seq += 1
                    entries.append(("%d-%d" % (self.base_ms, self.seq),
                                    {"ticket": ticket, "type": follow, "ts": str(now)}))
                for c in clients:
                    self._write(c, entries)
                self.written = i + 1
                self.last_ts_ms = now
        except Exception as e:  # reported by finish()
            self.error = e
        finally:
            self.done.set()

    def finish(self, timeout):
        check(self.done.wait(timeout), "producer finished within %ds" % timeout)
        if self.error is not None:
            raise TestFailure("producer failed: %r" % (self.error,))


def start_pair(make_env, name, aof=False, config_extra="", policy_text=None, **stream):
    """A faulty Env (redis with AOF when aof) and a reference Env, both
    configured alike (POLICIES unless policy_text; stream settings as
    Env.write_config takes them) and running slad."""
    ref = make_env(name + "-ref")
    faulty = make_env(name, aof=aof)
    for e in (ref, faulty):
        e.start_redis()
        e.write_config(policies=policy_text or policies(), extra=config_extra, **stream)
        e.start_slad()
    return faulty, ref


def settle(producer, envs, timeout=60):
    """Wait until every action of every ticket has fallen due (plus a
    second) and each Env consumed everything."""
    producer.finish(timeout)
    due = producer.last_ts_ms + LAST_ACTION_S * 1000 + 1500
    time.sleep(max(0, due - now_ms()) / 1000)
    for e in envs:
        e.wait_consumed(timeout)
    time.sleep(0.5)  # a flush in progress lands


def firings(env):
    """Records of the escalations stream as {id: (ticket, metric, cycle,
    level, receiver, kind)}, failing when an id appears twice."""
    recs = env.escalations()
    ids = collections.Counter(r["id"] for r in recs)
    twice = [i for i, n in ids.items() if n > 1]
    check(not twice, "%s: record ids written twice: %r" % (env.name, twice[:5]))
    keys = collections.Counter((r["ticket"], r["metric"], r["cycle"], r["level"], r["receiver"])
                               for r in recs if r["kind"] != "recovered")
    twice = [k for k, n in keys.items() if n > 1]
    check(not twice, "%s: (ticket, metric, cycle, level, receiver) fired twice: %r"
          % (env.name, twice[:5]))
    return {r["id"]: (r["ticket"], r["metric"], r["cycle"], r["level"], r["receiver"], r["kind"])
            for r in recs}


def record_differences(name, got, want):
    """(missing, extra) between the firings() of a faulty run (got) and
    of the reference (want): the reference's records the faulty run did
    not make, and its records the reference did not make, by id, as
    sorted tuples; printed as a summary line."""
    missing = sorted(want[i] for i in set(want) - set(got))
    extra = sorted(got[i] for i in set(got) - set(want))
    print("%s: %d records (reference %d), %d missing, %d extra"
          % (name, len(got), len(want), len(missing), len(extra)))
    return missing, extra


def check_invariants(faulty, ref, plans):
    """The faulty run agrees with the reference run and with the plan."""
    want = firings(ref)
    missing, extra = record_differences(faulty.name, firings(faulty), want)
    check(not missing, "expected records missing: %d, e.g. %r" % (len(missing), missing[:5]))
    check(not extra, "records the reference run did not make: %d, e.g. %r"
          % (len(extra), extra[:5]))
    kinds = collections.Counter(k[5] for k in want.values())
    check(kinds["breach"] > 0 and kinds["escalation"] > 0 and kinds["warning"] > 0,
          "the load made warnings, breaches and escalations: %r" % dict(kinds))
    for e in (faulty, ref):
        check(e.pending_count() == 0, "%s: nothing pending (XPENDING %d)"
              % (e.name, e.pending_count()))
    want_open = expected_open(plans)
    for e in (faulty, ref):
        check(e.r.hlen(STATE) == want_open, "%s: sla:state holds %d tickets, the plan leaves %d"
              % (e.name, e.r.hlen(STATE), want_open))
    # Every cycle that ended is counted once (sla:report:<day>, written in
    # the transaction that records the end): the same counters as the
    # reference, whatever was killed between an end and its commit.
    got, ref_counts = report_counts(faulty), report_counts(ref)
    check(ref_counts, "the load ended cycles (sla:report counters)")
    diff = {k: (got.get(k), v) for k, v in ref_counts.items() if got.get(k) != v}
    diff.update({k: (v, None) for k, v in got.items() if k not in ref_counts})
    check(not diff, "outcome counters differ from the reference (faulty, reference): %r"
          % dict(list(diff.items())[:8]))
    return kinds


def report_counts(env):
    """Every report counter of env: (key, field) -> count."""
    out = {}
    for key in env.r.scan_iter(match="sla:report:*"):
        for f, v in env.r.hgetall(key).items():
            out[(key, f)] = int(v)
    return out


def write_entries(envs, entries, transaction=False):
    """XADD entries (field dicts, in this order) to the events stream of
    every Env, ids assigned by Redis ("*", so an id's time is when the
    entry reached that Redis), in one pipeline per Env: one MULTI when
    transaction. Returns the ids per Env, as str."""
    out = []
    for e in envs:
        pipe = e.r.pipeline(transaction=transaction)
        for fields in entries:
            pipe.xadd(EVENTS, fields)
        out.append([i.decode() if isinstance(i, bytes) else i for i in pipe.execute()])
    return out


def parse_id(eid):
    """A stream id ("ms-seq", str or bytes) as a comparable (ms, seq)."""
    if isinstance(eid, bytes):
        eid = eid.decode()
    ms, _, seq = eid.partition("-")
    return int(ms), int(seq or 0)


def group_position(env):
    """(last-delivered id as (ms, seq), entries pending) of slad's group."""
    g = env.group_info()
    check(g is not None, "%s: slad's consumer group exists" % env.name)
    return parse_id(g["last-delivered-id"]), g["pending"]


def pause_slad_when(env, condition, timeout, interval=0.002):
    """Stop env's slad (SIGSTOP) at the first moment condition() holds:
    condition is evaluated with slad stopped, so what it reads cannot
    change behind it but for requests slad had already sent. Returns
    condition's value with slad left stopped, or None (slad running) when
    it did not hold within timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check(env.slad_alive(), "%s: slad alive" % env.name)
        env.signal_slad(signal.SIGSTOP)
        value = condition()
        if value:
            return value
        env.signal_slad(signal.SIGCONT)
        time.sleep(interval)
    return None


def pause_slad_idle(env, readers=2, attempts=100):
    """Stop env's slad (SIGSTOP) while its stream readers (ingest and
    delivery) wait in a blocking XREADGROUP, and answer those reads
    "nothing new" (CLIENT UNBLOCK: the reply of a BLOCK that timed out).
    slad then holds a reply saying the stream had nothing new, from before
    whatever is written next, and sends no read until continued. Fails
    when the readers are never found waiting."""
    for _ in range(attempts):
        check(env.slad_alive(), "%s: slad alive" % env.name)
        env.signal_slad(signal.SIGSTOP)
        blocked = [c["id"] for c in env.r.client_list()
                   if c.get("cmd") == "xreadgroup" and "b" in c.get("flags", "")]
        if len(blocked) == readers:
            check(all(env.r.client_unblock(int(i)) for i in blocked),
                  "%s: blocked reads answered" % env.name)
            return
        env.signal_slad(signal.SIGCONT)
        time.sleep(0.02)
    raise TestFailure("%s: slad's %d stream readers never found waiting in XREADGROUP"
                      % (env.name, readers))


def kill_redis(env):
    """SIGKILL env's redis-server; env.start_redis() starts it again on
    the same port and directory (it reloads its append-only file)."""
    env.redis_proc.kill()
    env.redis_proc.wait()
    env.redis_proc = None


def freeze_redis(env):
    """SIGSTOP env's redis-server: connections stay open, nothing answers."""
    env.redis_proc.send_signal(signal.SIGSTOP)


def thaw_redis(env):
    env.redis_proc.send_signal(signal.SIGCONT)


def entries_read(env):
    g = env.group_info()
    return (g or {}).get("entries-read") or 0


def start_redis_with_password(env, password):
    """env's redis-server, as Env.start_redis() starts it, with requirepass."""
    env.redis_proc = subprocess.Popen(
        ["redis-server", "--port", str(env.redis_port), "--bind", "127.0.0.1",
         "--dir", env.dir, "--save", "", "--appendonly", "no", "--requirepass", password,
         "--logfile", os.path.join(env.dir, "redis.log"), "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env.r = redis.Redis(host="127.0.0.1", port=env.redis_port, password=password,
                        socket_timeout=10)

    def up():
        try:
            return env.r.ping()
        except redis.exceptions.RedisError:
            check(env.redis_proc.poll() is None, "redis-server exited at start")
            return False
    wait_for(up, 10, "redis-server to answer PING")


def use_redis_password(env, password_file, log_level=None):
    """Edit env's written configuration: Redis password from password_file,
    and log_level when given."""
    with open(env.config) as f:
        text = f.read()
    text, n = re.subn(r"(redis = \{[^}]*)\};", r'\1 password_file = "%s"; };' % password_file,
                      text, count=1)
    check(n == 1, "redis section found in the written configuration")
    if log_level:
        text = re.sub(r'^log_level = "[a-z]+";', 'log_level = "%s";' % log_level, text,
                      count=1, flags=re.M)
    with open(env.config, "w") as f:
        f.write(text)


# --- several slads sharing partitions (test_partitions, test_cluster_partitions)

class Monitor(threading.Thread):
    """Redis MONITOR lines of the server on port, as (server time, source,
    [words]), source "lua" for commands run by a script."""

    LINE = re.compile(r'^\+?([\d.]+) \[\d+ ([^\]]+)\] (.*)$')

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.lines = []
        self.stop_flag = threading.Event()
        self.started = threading.Event()

    def run(self):
        import socket
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(b"MONITOR\r\n")
        s.settimeout(0.2)
        buf = b""
        while not self.stop_flag.is_set():
            try:
                data = s.recv(1 << 20)
            except socket.timeout:
                continue
            if not data:
                break
            buf += data
            *lines, buf = buf.split(b"\r\n")
            for raw in lines:
                if raw == b"+OK":
                    self.started.set()
                    continue
                m = self.LINE.match(raw.decode("utf-8", "replace"))
                if m:
                    words = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(3))
                    self.lines.append((float(m.group(1)), m.group(2), words))
        s.close()


def unfenced_write(words):
    """A write of a record, an ack or a state sent outside a script (the
    producer's XADD to an input stream is not one)."""
    verb = words[0].upper() if words else ""
    if verb in ("XACK", "HSET", "HDEL", "HINCRBY"):
        return True
    return verb == "XADD" and len(words) > 1 and not words[1].endswith(":events")


def writes_under_old_leases(lines, old, taken):
    """Over one server's MONITOR lines from time `taken` on: (script calls
    carrying one of the `old` (lease key, token) pairs, commands such a
    call ran but the fence's GET plus records, acks and states written
    outside a script). Printed as they are found."""
    fenced = leaked = 0
    current = None
    for at, source, words in lines:
        if at < taken:
            continue  # the lease was still the old holder's (or being taken)
        if source != "lua":
            verb = words[0].upper() if words else ""
            if unfenced_write(words):
                leaked += 1  # partitions commit only through fenced.lua
                print("written without the fence: %r" % words[:6])
            # EVAL[SHA] script numkeys KEYS[1]=the lease ... ARGV[1]=the token
            current = (verb in ("EVAL", "EVALSHA") and len(words) > 4 and
                       any((words[3], w) in old for w in words[4:]))
            fenced += current
            continue
        if current and words and words[0].upper() != "GET":
            leaked += 1
            print("written under an old lease: %r" % words[:6])
    return fenced, leaked


def pause_owner_past_lease(sleeper, name, tokens, lease_key, monitor_ports, ttl_ms):
    """The pause scenario: Redis MONITOR on every server in monitor_ports
    (every master of a cluster) from before sleeper's slad (instance
    `name`) is stopped (SIGSTOP) until 3 s after it is continued (SIGCONT)
    once every lease it held is another's (tokens() -> {partition: token
    or None}; lease_key(p): partition p's lease key). From the takeover
    on, no script call carrying one of its old (lease, token) pairs may
    run anything but the fence's GET, and nobody writes a record, an ack
    or a state outside a script; nor may the woken slad send such a call
    at all (its own clock says the leases ended); it keeps running.
    Returns how many such calls went out (checked to be 0)."""
    mons = [Monitor(p) for p in monitor_ports]
    for m in mons:
        m.start()
    check(all(m.started.wait(5) for m in mons), "MONITOR started on %r" % (monitor_ports,))
    sleeper.signal_slad(signal.SIGSTOP)
    # (lease key, token): an epoch counts per partition, so a token alone
    # may come back for another partition.
    old = {(lease_key(p), t) for p, t in tokens().items() if t and t.startswith(name + "/")}
    check(old, "%s holds partitions before the pause" % name)
    t0 = time.monotonic()

    def taken_over():
        now = tokens()
        return not old.intersection((lease_key(p), t) for p, t in now.items()) and \
            all(now.values())
    wait_for(taken_over, ttl_ms / 1000 + 3, "%s's partitions taken over while it is paused"
             % name)
    taken = time.time()  # every old lease is another's from here on
    print("pause: %s's %d leases taken over %.2f s after SIGSTOP"
          % (name, len(old), time.monotonic() - t0))
    time.sleep(0.5)  # the new owners commit under their own leases
    sleeper.signal_slad(signal.SIGCONT)
    sleeper.wait_log(r"lease %s/\d+ lost" % name, 5, since_last_start=True)
    time.sleep(3)
    for m in mons:
        m.stop_flag.set()
    for m in mons:
        m.join(5)
    counts = [writes_under_old_leases(m.lines, old, taken) for m in mons]
    fenced, leaked = sum(c[0] for c in counts), sum(c[1] for c in counts)
    print("pause: %d MONITOR lines on %d servers, after the takeover %d script calls with an "
          "old token, %d writes under one" % (sum(len(m.lines) for m in mons), len(mons),
                                                fenced, leaked))
    check(leaked == 0, "the woken instance wrote nothing under its old leases")
    # Its own clock ends the leases first (they were not renewed within the
    # TTL): not even a fenced call goes out under one.
    check(fenced == 0, "the woken instance sent no call under its old leases (%d went out: "
          "its clock did not end them first)" % fenced)
    check(sleeper.slad_alive(), "the woken instance keeps running")
    return fenced


def rolling_restart(nodes, names, holders, ttl_ms, rejoin_s=5):
    """Each slad of nodes (instance names in names) in turn stopped and
    started again; holders() -> {partition: instance name or None}.
    SIGTERM: it exits 0 having released every lease it held (none is its
    own any more when it has exited, where a lease left to expire would
    be for up to ttl_ms), and the others own every partition within
    ttl_ms; started again, the instances share the partitions within
    rejoin_s."""
    def owned(by):
        h = holders()
        return all(n in by for n in h.values()) and set(h.values()) == set(by)
    for e, name in zip(nodes, names):
        held = [p for p, n in holders().items() if n == name]
        check(held, "%s holds partitions before its stop" % name)
        check(e.stop_slad() == 0, "%s exits 0 on SIGTERM" % e.name)
        left = [p for p, n in holders().items() if n == name]
        check(not left, "%s released its leases before exiting (still its own: partitions %r)"
              % (name, left))
        others = tuple(n for n in names if n != name)
        t0 = time.monotonic()
        wait_for(lambda: owned(others), ttl_ms / 1000, "%s's partitions taken by the others"
                 % name)
        print("rolling: %s's %d partitions handed over in %.2f s"
              % (e.name, len(held), time.monotonic() - t0))
        e.start_slad()
        wait_for(lambda: owned(names), rejoin_s, "the instances share the partitions again")
