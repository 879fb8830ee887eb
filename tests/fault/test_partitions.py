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
           record, ack or state under its old leases; nor does a call
           with an old token go out at all (its own clock ended them).
  rolling  each instance in turn stopped (SIGTERM, which hands its
           partitions over: none of its leases is still its own once it
           has exited) and started again under load: no record missing or
           doubled.
"""

import collections
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import (STATE, Producer, check, firings, now_ms,  # noqa: E402
                      pause_owner_past_lease, plan_tickets, policies, record_differences,
                      report_counts, rolling_restart, run_tests, wait_for, LAST_ACTION_S)
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


def test_pause(make_env):
    ref, shared, nodes = start_cluster(make_env, "pause")
    producer = ClusterProducer(ref, shared.redis_port, plan_tickets(SEED + 1, TICKETS), RATE)
    producer.start()
    time.sleep(4)
    pause_owner_past_lease(nodes[1], "n2", lambda: tokens(shared),
                           lambda p: partition_key(p, "lease"), [shared.redis_port], TTL_MS)
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
    rolling_restart(nodes, NAMES, lambda: holders(shared), TTL_MS)
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
