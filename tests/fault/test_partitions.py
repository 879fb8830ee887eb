"""Three slad instances sharing 16 partitions on one redis-server.

Every scenario runs a cluster (three slads, partitions = 16, lease_ttl
1.5 s, one redis-server) beside a reference single slad (partitions = 1,
its own redis-server), under the steady load of faultlib (the same tickets
with the same `ts` and ids written to both; in the cluster to each ticket's
partition stream, by the documented FNV-1a hash). Every receiver is a
webhook sink that accepts, so delivery settles too. When every deadline
has fallen due the cluster must agree with the reference:

  - the same escalation records by id (the union of the partitions'
    outboxes), none twice;
  - nothing pending in any consumer group of any partition (input and
    outbox), every entry read;
  - as many open tickets (the partitions' state hashes together), and the
    same outcome counters (the partitions' report hashes summed by day and
    field).

  kill     one instance SIGKILLed for good under load: every partition it
           held is owned again within lease TTL + 2 s (measured), and the
           records come out as the reference's.
  pause    an owner paused (SIGSTOP) past its lease; once the others have
           taken all of its partitions it is continued (SIGCONT). Redis
           MONITOR watches from before the pause to well after the wake:
           once its leases are another's, no script call (fenced.lua)
           carrying one of its old (lease, token) pairs may run anything
           but the fence's GET, and nobody writes a record, an ack or a
           state outside a script, so the woken instance writes not one
           record, ack or state under its old leases.
  rolling  each instance in turn stopped (SIGTERM, which hands its
           partitions over) and started again under load: no record
           missing or doubled.
"""

import collections
import os
import re
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import (STATE, Producer, TestFailure, check, firings, now_ms,  # noqa: E402
                      plan_tickets, policies, record_differences, report_counts, run_tests,
                      wait_for, LAST_ACTION_S)
from harness import (lease_holders, lease_token, partition_key,  # noqa: E402
                     partition_of, partitioned_instances)
import redis  # noqa: E402

PARTITIONS = 16
TTL_MS = 1500
RATE = 40          # tickets per second
TICKETS = 480      # 12 s of load
SEED = int(os.environ.get("SLA_SEED") or 14)
NAMES = ("n1", "n2", "n3")
RECEIVERS = ("team_lead", "supervisor", "manager", "director")


class ClusterProducer(Producer):
    """faultlib's producer; on the cluster's Redis each ticket's entries go
    to its partition's stream (one MULTI, as on the reference's)."""

    def __init__(self, ref, cluster_port, plans, rate):
        super().__init__([ref], plans, rate)
        self.ports.append(cluster_port)
        self.cluster_port = cluster_port

    def _client(self, port):
        c = super()._client(port)
        c.sla_cluster = port == self.cluster_port
        return c

    def _write(self, client, entries):
        if not getattr(client, "sla_cluster", False):
            return super()._write(client, entries)
        p = partition_of(entries[0][1]["ticket"], PARTITIONS)
        deadline = time.monotonic() + 60
        while True:
            try:
                pipe = client.pipeline(transaction=True)
                for eid, fields in entries:
                    pipe.xadd(partition_key(p, "events"), fields, id=eid)
                pipe.execute()
                return
            except redis.exceptions.ResponseError as e:
                if "equal or smaller" in str(e):
                    return
                raise
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def receivers_text(sink):
    return ",\n".join('  { name = "%s"; format = "json"; url = "%s"; }'
                      % (n, sink.url("/hooks/" + n)) for n in RECEIVERS)


def start_cluster(make_env, name):
    """(reference Env, shared-redis Env, [three instance Envs]), all running."""
    ref = make_env(name + "-ref")
    ref.start_redis()
    ref.write_config(policies=policies(), receivers=receivers_text(ref.start_sink()),
                     claim_idle=1000)
    ref.start_slad()
    shared = make_env(name + "-redis")
    shared.start_redis()
    sink = shared.start_sink()
    nodes = partitioned_instances(make_env, shared, name, PARTITIONS, NAMES,
                                  lease_ttl="%dms" % TTL_MS, policies=policies(),
                                  receivers=receivers_text(sink), claim_idle=1000)
    for e in nodes:
        e.start_slad()
    wait_for(lambda: all_owned(shared, NAMES), 10, "all partitions owned by the three")
    return ref, shared, nodes


def holders(shared):
    """partition -> instance name holding its lease (None when free)."""
    return lease_holders(shared.r, PARTITIONS)


def tokens(shared):
    return {p: lease_token(shared.r, p) for p in range(PARTITIONS)}


def all_owned(shared, names):
    h = holders(shared)
    return all(h[p] in names for p in h) and set(h.values()) == set(names)


def cluster_records(shared):
    """The union of the partitions' outboxes as faultlib.firings() reads them."""
    class View:
        name = "cluster"

        def escalations(self):
            out = []
            for p in range(PARTITIONS):
                out.extend(f for _, f in shared.stream(partition_key(p, "escalations")))
            return out
    return firings(View())


def group_settled(r, stream, group):
    try:
        info = r.xinfo_stream(stream)
        groups = r.xinfo_groups(stream)
    except redis.exceptions.ResponseError:
        return True  # no stream: nothing written to it
    for g in groups:
        if g["name"] in (group, group.encode()):
            return g["pending"] == 0 and g["last-delivered-id"] == info["last-generated-id"]
    return info["length"] == 0


def cluster_settled(shared):
    return all(group_settled(shared.r, partition_key(p, "events"), "slad") and
               group_settled(shared.r, partition_key(p, "escalations"), "slad-deliver")
               for p in range(PARTITIONS))


def ref_settled(ref):
    return (group_settled(ref.r, "sla:events", "slad") and
            group_settled(ref.r, "sla:escalations", "slad-deliver"))


def settle(producer, ref, shared, timeout=60):
    producer.finish(timeout)
    due = producer.last_ts_ms + LAST_ACTION_S * 1000 + 1500
    time.sleep(max(0, due - now_ms()) / 1000)
    wait_for(lambda: cluster_settled(shared), timeout,
             "every partition's input and outbox read and acknowledged")
    wait_for(lambda: ref_settled(ref), timeout, "the reference's input and outbox settled")
    time.sleep(0.5)


def summed_reports(shared):
    """The partitions' report counters summed: (day, field) -> count."""
    out = collections.Counter()
    for p in range(PARTITIONS):
        prefix = partition_key(p, "report:")
        for key in shared.r.scan_iter(match=prefix + "*"):
            day = key.decode()[len(prefix):]
            for f, v in shared.r.hgetall(key).items():
                out[(day, f)] += int(v)
    return out


def check_against_reference(ref, shared):
    want = firings(ref)
    got = cluster_records(shared)
    missing, extra = record_differences("cluster", got, want)
    check(not missing, "records missing: %d, e.g. %r" % (len(missing), missing[:5]))
    check(not extra, "records the reference did not make: %d, e.g. %r"
          % (len(extra), extra[:5]))
    kinds = collections.Counter(k[5] for k in want.values())
    check(kinds["breach"] > 0 and kinds["escalation"] > 0, "the load made breaches and "
          "escalations: %r" % dict(kinds))
    check(cluster_settled(shared), "nothing pending in any partition's groups")
    state = sum(shared.r.hlen(partition_key(p, "state")) for p in range(PARTITIONS))
    check(state == ref.r.hlen(STATE), "open tickets: %d in the partitions, %d in the reference"
          % (state, ref.r.hlen(STATE)))
    want_counts = {(k.decode()[len("sla:report:"):], f): v
                   for (k, f), v in report_counts(ref).items()}
    got_counts = summed_reports(shared)
    check(want_counts and dict(got_counts) == want_counts,
          "outcome counters differ: %r" % {k: (got_counts.get(k), want_counts.get(k))
                                           for k in set(got_counts) | set(want_counts)
                                           if got_counts.get(k) != want_counts.get(k)})
    return kinds


def test_kill(make_env):
    ref, shared, nodes = start_cluster(make_env, "kill")
    producer = ClusterProducer(ref, shared.redis_port, plan_tickets(SEED, TICKETS), RATE)
    producer.start()
    time.sleep(4)
    victim = nodes[1]
    held = [p for p, n in holders(shared).items() if n == "n2"]
    check(held, "n2 holds partitions before the kill")
    victim.kill_slad()
    t0 = time.monotonic()
    wait_for(lambda: all_owned(shared, ("n1", "n3")), TTL_MS / 1000 + 2,
             "n2's partitions owned again within lease TTL + 2 s")
    took = time.monotonic() - t0
    print("kill: %d partitions of n2 owned again %.2f s after SIGKILL (lease TTL %.1f s)"
          % (len(held), took, TTL_MS / 1000))
    check(not producer.done.is_set(), "the load was still running after the takeover")
    rc, out, err = nodes[0].slactl("cluster")
    check(rc == 0 and "NONE" not in out and "n3" in out and "n2" not in out,
          "slactl cluster: n1 and n3 own every partition (%d): %s%s" % (rc, out, err))
    settle(producer, ref, shared)
    kinds = check_against_reference(ref, shared)
    print("records by kind: %r" % dict(kinds))
    # slactl ticket answers on any instance: from its engine or from Redis.
    owner = holders(shared)
    for ticket in ("t%d" % i for i in range(40)):
        rc, out, err = nodes[0].slactl("ticket", ticket)
        if rc != 0 and "unknown ticket" in err:
            continue  # closed
        p = partition_of(ticket, PARTITIONS)
        here = owner[p] == "n1"
        check(rc == 0 and ("run by this instance" if here else "run by another instance")
              in out and "first_response" in out,
              "slactl ticket %s on n1 (partition %d, %s's): %s%s"
              % (ticket, p, owner[p], out, err))
    for e in (nodes[0], nodes[2], ref):
        check(e.stop_slad() == 0, "%s exits 0 on SIGTERM" % e.name)


class Monitor(threading.Thread):
    """Redis MONITOR lines as (server time, source, [words]), source "lua"
    for commands run by a script."""

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


def test_pause(make_env):
    ref, shared, nodes = start_cluster(make_env, "pause")
    producer = ClusterProducer(ref, shared.redis_port, plan_tickets(SEED + 1, TICKETS), RATE)
    producer.start()
    time.sleep(4)
    sleeper = nodes[1]
    mon = Monitor(shared.redis_port)
    mon.start()
    check(mon.started.wait(5), "MONITOR started")
    sleeper.signal_slad(signal.SIGSTOP)
    # (lease key, token): an epoch counts per partition, so a token alone
    # may come back for another partition.
    old = {(partition_key(p, "lease"), t) for p, t in tokens(shared).items()
           if t and t.startswith("n2/")}
    check(old, "n2 holds partitions before the pause")
    t0 = time.monotonic()
    wait_for(lambda: not old.intersection((partition_key(p, "lease"), t)
                                          for p, t in tokens(shared).items())
             and all(tokens(shared).values()), TTL_MS / 1000 + 3,
             "n2's partitions taken over while it is paused")
    taken = time.time()  # every old lease is another's from here on
    print("pause: n2's %d leases taken over %.2f s after SIGSTOP"
          % (len(old), time.monotonic() - t0))
    time.sleep(0.5)  # the new owners commit under their own leases
    sleeper.signal_slad(signal.SIGCONT)
    sleeper.wait_log(r"lease n2/\d+ lost", 5, since_last_start=True)
    time.sleep(3)
    mon.stop_flag.set()
    mon.join(5)
    # Every script call carrying an old token: the fence's GET and nothing else.
    fenced = leaked = 0
    current = None
    for at, source, words in mon.lines:
        if at < taken:
            continue  # the lease was still n2's (or being taken)
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
    print("pause: %d MONITOR lines, after the takeover %d script calls with an old token, "
          "%d writes under one" % (len(mon.lines), fenced, leaked))
    check(leaked == 0, "the woken instance wrote nothing under its old leases")
    check(sleeper.slad_alive(), "the woken instance keeps running")
    settle(producer, ref, shared)
    kinds = check_against_reference(ref, shared)
    print("records by kind: %r" % dict(kinds))
    for e in nodes + [ref]:
        check(e.stop_slad() == 0, "%s exits 0 on SIGTERM" % e.name)


def test_rolling(make_env):
    ref, shared, nodes = start_cluster(make_env, "rolling")
    producer = ClusterProducer(ref, shared.redis_port, plan_tickets(SEED + 2, TICKETS), RATE)
    producer.start()
    time.sleep(2)
    for e in nodes:
        check(e.stop_slad() == 0, "%s exits 0 on SIGTERM" % e.name)
        others = tuple(n for n in NAMES if not e.name.endswith(n))
        t0 = time.monotonic()
        wait_for(lambda: all_owned(shared, others), 3, "its partitions handed over")
        print("rolling: %s's partitions handed over in %.2f s" % (e.name, time.monotonic() - t0))
        e.start_slad()
        wait_for(lambda: all_owned(shared, NAMES), 5, "the three share the partitions again")
    check(not producer.done.is_set(), "the load was still running after the last restart")
    settle(producer, ref, shared)
    kinds = check_against_reference(ref, shared)
    print("records by kind: %r" % dict(kinds))
    for e in nodes + [ref]:
        check(e.stop_slad() == 0, "%s exits 0 on SIGTERM" % e.name)


if __name__ == "__main__":
    tests = {"kill": test_kill, "pause": test_pause, "rolling": test_rolling}
    chosen = [tests[a] for a in sys.argv[1:]] or list(tests.values())
    run_tests(chosen, limit=150)
