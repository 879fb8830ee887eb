"""Three slad instances sharing 16 partitions on a real Redis Cluster.

As tests/fault/test_partitions.py, but the three instances keep their data
on a Redis Cluster of 3 masters and 3 replicas (tests/integration/
redis_cluster.py: redis-cli --cluster create, cluster-node-timeout 1 s),
named by redis.cluster; the reference single slad has its own
redis-server. The same steady load goes to both (on the cluster to each
ticket's partition stream, on the master of its slot, and confirmed by
WAIT 1 so that a failover does not lose the input itself). When every
deadline has fallen due the cluster must agree with the reference: the
same escalation records by id, none twice, nothing pending in any group
of any partition, as many open tickets and the same outcome counters.

  kill      one instance SIGKILLed for good under load: every partition it
            held is owned again within lease TTL + 2 s; /metrics of a
            survivor shows the cluster counters.
  failover  with redis.wait_replicas = 1 and a lease longer than a failover,
            the master serving the most partitions is SIGKILLed under load:
            its replica is promoted, the owners rebuild the partitions it
            served from the new master (each started again,
            slad_cluster_rebuilds_total), the old master comes back as a
            replica (WAIT 1 can be met again); the records are the
            reference's (none lost, none twice in the outboxes) and the
            receivers got every record the reference's did and no other (a
            delivery in flight during the rebuild is made again, with the
            same webhook-id: counted, not failed).
  pause     an owner paused (SIGSTOP) past its lease and continued once
            every partition it held is another's, with Redis MONITOR on
            each of the three masters (faultlib.pause_owner_past_lease, as
            test_partitions' pause): not one call goes out under its old
            (lease, token) pairs, nothing runs under one but the fence's
            GET, no record, ack or state is written outside the fenced
            script; records and deliveries then equal the reference's.
  rolling   each instance in turn stopped (SIGTERM) and started again under
            load (faultlib.rolling_restart): none of its leases is still
            its own once it has exited, the others own its partitions
            within the lease TTL, and the records and deliveries equal the
            reference's (none missing, none twice in the outboxes).
  wait      one instance, wait_replicas = 1: with the replica of a
            partition's master paused (SIGSTOP), a ticket's records are
            written on the master but not delivered; once the replica is
            continued they are. slactl cluster and ticket answer (the
            shared link reaches every partition's node).
"""

import collections
import os
import re
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from faultlib import (Producer, check, now_ms, pause_owner_past_lease,  # noqa: E402
                      plan_tickets, policies, rolling_restart, run_tests, wait_for)
from redis_cluster import RedisCluster  # noqa: E402
from harness import partition_key, partition_of  # noqa: E402
import redis  # noqa: E402
import test_partitions as tp  # noqa: E402

PARTITIONS = tp.PARTITIONS
TTL_MS = 1500
FAILOVER_TTL_MS = 5000
RATE = 40
TICKETS = 480
SEED = int(os.environ.get("SLA_SEED") or 24)
NAMES = tp.NAMES
GONE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
        redis.exceptions.ResponseError, redis.exceptions.ClusterError)


def slot_of(p):
    """The slot of hash tag "{pK}" (CRC16/XMODEM of "pK", mod 16384)."""
    crc = 0
    for b in ("p%d" % p).encode():
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc % 16384


class NodeClient:
    """What test_partitions reads through `shared.r`, each key asked of the
    master serving its slot (the map asked again after an error)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.masters = {}

    def _master(self, key, fresh=False):
        tag = key.decode() if isinstance(key, bytes) else key
        p = int(tag.split("{p", 1)[1].split("}", 1)[0])
        if fresh or p not in self.masters:
            self.masters[p] = redis.Redis(host="127.0.0.1",
                                          port=self.cluster.master_of(slot_of(p)),
                                          socket_timeout=5)
        return self.masters[p]

    def _call(self, name, key, *args, **kw):
        deadline = time.monotonic() + 20
        fresh = False
        while True:
            try:
                return getattr(self._master(key, fresh), name)(key, *args, **kw)
            except GONE as e:
                if isinstance(e, redis.exceptions.ResponseError) and \
                        "MOVED" not in str(e) and "CLUSTERDOWN" not in str(e):
                    raise
                if time.monotonic() > deadline:
                    raise
                fresh = True
                self.masters.clear()
                time.sleep(0.1)

    def __getattr__(self, name):
        if name in ("get", "hlen", "hgetall", "xinfo_stream", "xinfo_groups", "xrange"):
            return lambda key, *a, **kw: self._call(name, key, *a, **kw)
        raise AttributeError(name)

    def scan_iter(self, match):
        p = int(match.split("{p", 1)[1].split("}", 1)[0])
        c = redis.Redis(host="127.0.0.1", port=self.cluster.master_of(slot_of(p)),
                        socket_timeout=5)
        return list(c.scan_iter(match=match))


class Shared:
    """The cluster seen as test_partitions' `shared` Env."""

    def __init__(self, cluster):
        self.r = NodeClient(cluster)

    def stream(self, key):
        return [(eid.decode(), {k.decode(): v.decode("utf-8", "replace")
                                for k, v in f.items()}) for eid, f in self.r.xrange(key)]


class ClusterProducer(Producer):
    """faultlib's producer; on the cluster each ticket's entries go to its
    partition's stream on its slot's master in one MULTI, then WAIT 1."""

    def __init__(self, ref, cluster, plans, rate):
        super().__init__([ref], plans, rate)
        self.cluster = cluster
        self.ports.append(-1)
        self.masters = {}

    def _client(self, port):
        if port != -1:
            return super()._client(port)
        return "cluster"

    def _write(self, client, entries):
        if client != "cluster":
            return super()._write(client, entries)
        p = partition_of(entries[0][1]["ticket"], tp.PARTITIONS)
        deadline = time.monotonic() + 60
        while True:
            try:
                if p not in self.masters:
                    self.masters[p] = redis.Redis(
                        host="127.0.0.1", port=self.cluster.master_of(slot_of(p)),
                        socket_timeout=5, socket_connect_timeout=1)
                c = self.masters[p]
                try:
                    pipe = c.pipeline(transaction=True)
                    for eid, fields in entries:
                        pipe.xadd(partition_key(p, "events"), fields, id=eid)
                    pipe.execute()
                except redis.exceptions.ResponseError as e:
                    if "equal or smaller" not in str(e):
                        raise
                while c.execute_command("WAIT", 1, 500) < 1:
                    if time.monotonic() > deadline:
                        raise TimeoutError("no replica acknowledged the input")
                return
            except GONE:
                self.retries += 1
                self.masters.clear()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def start(make_env, name, wait_replicas=0, ttl_ms=TTL_MS):
    """(reference Env, cluster, Shared, sink, [three instance Envs])."""
    ref = make_env(name + "-ref")
    ref.start_redis()
    ref.sink = ref.start_sink()
    ref.write_config(policies=policies(), receivers=tp.receivers_text(ref.sink),
                     claim_idle=1000)
    ref.start_slad()
    home = make_env(name + "-cluster")
    cluster = RedisCluster(home.dir)
    shared = Shared(cluster)
    sink = home.start_sink()
    seeds = ", ".join('"127.0.0.1:%d"' % p for p in cluster.ports[:3])
    nodes = []
    for n in NAMES:
        e = make_env("%s-%s" % (name, n))
        path = e.write_config(
            policies=policies(), receivers=tp.receivers_text(sink), claim_idle=1000,
            extra='partitions = %d;\ninstance = { name = "%s"; lease_ttl = "%dms"; };'
            % (PARTITIONS, n, ttl_ms))
        with open(path) as f:
            text = f.read()
        e.http_port = tp_free_port()
        text = text.replace('redis = { host = "127.0.0.1"; port = %d; db = 0;' % e.redis_port,
                            'redis = { cluster = [ %s ]; wait_replicas = %d; '
                            'wait_timeout = "200ms";' % (seeds, wait_replicas))
        text = text.replace('http = { listen = ""; };',
                            'http = { listen = "127.0.0.1:%d"; };' % e.http_port)
        with open(path, "w") as f:
            f.write(text)
        e.r = None
        nodes.append(e)
    for e in nodes:
        e.start_slad()
    wait_for(lambda: tp.all_owned(shared, NAMES), 15, "all partitions owned by the three")
    return ref, cluster, shared, sink, nodes


def tp_free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(env, name):
    status, body = env.http_get(env.http_port, "/metrics")
    check(status == 200, "/metrics of %s answers 200" % env.name)
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    check(False, "/metrics of %s has %s" % (env.name, name))


def starts(nodes, p):
    """How many times partition p's pipeline was started, on any instance."""
    pat = re.compile(r"partition %d: started" % p)
    return sum(len(pat.findall(e.log())) for e in nodes)


def delivered(sink):
    """webhook-id -> how many times the sink received it."""
    ids = collections.Counter()
    for r in sink.requests("/hooks/"):
        wid = {k.lower(): v for k, v in (r.get("headers") or {}).items()}.get("webhook-id")
        if wid:
            ids[wid] += 1
    return ids


def check_records(ref, shared):
    kinds = tp.check_against_reference(ref, shared)
    print("records by kind: %r" % dict(kinds))


def check_delivered(scenario, ref, sink):
    """The receivers got the records the reference's got, each at least
    once, and nothing else (one delivered again by the next owner of its
    partition carries the same webhook-id)."""
    got, want = delivered(sink), delivered(ref.sink)
    twice = [i for i, n in got.items() if n > 1]
    print("%s: %d records delivered (reference %d), %d of them more than once"
          % (scenario, len(got), len(want), len(twice)))
    check(want and set(got) == set(want),
          "the records delivered are the reference's: %d missing, %d extra"
          % (len(set(want) - set(got)), len(set(got) - set(want))))


def test_kill(make_env):
    ref, cluster, shared, sink, nodes = start(make_env, "ckill")
    try:
        producer = ClusterProducer(ref, cluster, plan_tickets(SEED, TICKETS), RATE)
        producer.start()
        time.sleep(4)
        held = [p for p, n in tp.holders(shared).items() if n == "n2"]
        check(held, "n2 holds partitions before the kill")
        nodes[1].kill_slad()
        t0 = time.monotonic()
        wait_for(lambda: tp.all_owned(shared, ("n1", "n3")), TTL_MS / 1000 + 2,
                 "n2's partitions owned again within lease TTL + 2 s")
        print("kill: %d partitions of n2 owned again %.2f s after SIGKILL"
              % (len(held), time.monotonic() - t0))
        check(not producer.done.is_set(), "the load was still running after the takeover")
        rc, out, err = nodes[0].slactl("cluster")
        check(rc == 0 and "NONE" not in out and "n3" in out and "n2" not in out,
              "slactl cluster: n1 and n3 own every partition (%d): %s%s" % (rc, out, err))
        for m in ("slad_cluster_moved_total", "slad_cluster_asked_total",
                  "slad_cluster_retried_total", "slad_cluster_node_changes_total",
                  "slad_cluster_rebuilds_total"):
            metric(nodes[0], m)
        tp.settle(producer, ref, shared)
        check_records(ref, shared)
        for e in (nodes[0], nodes[2], ref):
            check(e.stop_slad() == 0, "%s exits 0 on SIGTERM" % e.name)
    finally:
        cluster.close()


def test_failover(make_env):
    # A lease longer than a failover (cluster-node-timeout 1 s, about 2 s
    # in all): its partitions stay owned and are rebuilt from the new
    # master, not taken over.
    ref, cluster, shared, sink, nodes = start(make_env, "cfail", wait_replicas=1,
                                              ttl_ms=FAILOVER_TTL_MS)
    try:
        producer = ClusterProducer(ref, cluster, plan_tickets(SEED + 1, TICKETS), RATE)
        producer.start()
        time.sleep(4)
        served = collections.Counter(cluster.master_of(slot_of(p)) for p in range(PARTITIONS))
        victim = served.most_common(1)[0][0]
        parts = [p for p in range(PARTITIONS) if cluster.master_of(slot_of(p)) == victim]
        replica = cluster.replica_of(victim)
        check(replica, "the victim master has a replica")
        before = {p: starts(nodes, p) for p in parts}
        cluster.kill(victim)
        t0 = time.monotonic()
        wait_for(lambda: cluster.master_of(slot_of(parts[0]), port=replica) == replica, 20,
                 "the replica promoted", interval=0.1)
        print("failover: master %d (partitions %r) killed, replica %d promoted after %.2f s"
              % (victim, parts, replica, time.monotonic() - t0))
        # Every partition it served rebuilt from the new master by its owner
        # (its leases outlast the failover: rebuilt, not taken over).
        wait_for(lambda: all(starts(nodes, p) > before[p] for p in parts), 10,
                 "every partition of the failed master started again from the new master")
        rebuilt = sum(metric(e, "slad_cluster_rebuilds_total") for e in nodes)
        print("failover: %d partitions rebuilt after the failover" % rebuilt)
        check(rebuilt >= len(parts), "slad_cluster_rebuilds_total counts the rebuilds")
        time.sleep(1)
        cluster.start_node(victim)  # back as a replica: WAIT 1 can be met again
        wait_for(lambda: tp.all_owned(shared, NAMES), 10, "every partition owned again")
        check(not producer.done.is_set(), "the load was still running after the failover")
        tp.settle(producer, ref, shared)
        check_records(ref, shared)
        # A record whose delivery was in flight when its partition was
        # rebuilt goes again, with its webhook-id.
        check_delivered("failover", ref, sink)
        for e in nodes + [ref]:
            check(e.stop_slad() == 0, "%s exits 0 on SIGTERM" % e.name)
    finally:
        cluster.close()


def test_wait(make_env):
    """One instance, wait_replicas = 1: a replica paused holds the records
    of its master's partitions back (written there, not delivered) until
    it acknowledges them."""
    home = make_env("cwait-cluster")
    cluster = RedisCluster(home.dir)
    try:
        shared = Shared(cluster)
        sink = home.start_sink()
        e = make_env("cwait-n1")
        path = e.write_config(
            policies=policies(), receivers=tp.receivers_text(sink), claim_idle=1000,
            extra='partitions = %d;\ninstance = { name = "n1"; lease_ttl = "%dms"; };'
            % (PARTITIONS, TTL_MS))
        with open(path) as f:
            text = f.read()
        seeds = ", ".join('"127.0.0.1:%d"' % p for p in cluster.ports[:3])
        text = text.replace('redis = { host = "127.0.0.1"; port = %d; db = 0;' % e.redis_port,
                            'redis = { cluster = [ %s ]; wait_replicas = 1; '
                            'wait_timeout = "200ms";' % seeds)
        with open(path, "w") as f:
            f.write(text)
        e.http_port = e.enable_http()
        e.r = None
        e.start_slad()
        wait_for(lambda: tp.all_owned(shared, ("n1",)), 15, "n1 owns every partition")
        ticket = "w1"
        p = partition_of(ticket, tp.PARTITIONS)
        master = cluster.master_of(slot_of(p))
        replica = cluster.replica_of(master)
        on_master = cluster.client(master)
        # Opened now: its first record falls due seconds later, in a commit
        # of its own, while the replica is paused.
        fields = {"ticket": ticket, "type": "ticket.opened", "channel": "chat",
                  "customer": "c1", "ts": str(now_ms())}
        # A commit counts (slad_store_transactions_total) once WAIT confirmed
        # it, and the next one waits for that: the replica must be paused
        # only after the opening's commit counted, or the record's commit
        # would queue behind a WAIT that cannot be answered. Nothing else
        # commits meanwhile (the other partitions hold no tickets).
        before = metric(e, "slad_store_transactions_total")
        on_master.xadd(partition_key(p, "events"), fields)
        wait_for(lambda: on_master.hlen(partition_key(p, "state")) > 0, 10,
                 "the ticket's state committed")
        wait_for(lambda: metric(e, "slad_store_transactions_total") > before, 10,
                 "the opening's commit confirmed by the replica")
        check(on_master.xlen(partition_key(p, "escalations")) == 0, "no record due yet")
        cluster.pause(replica)
        try:
            wait_for(lambda: on_master.xlen(partition_key(p, "escalations")) > 0, 20,
                     "the ticket's first record written on its master")
            time.sleep(1.5)
            held = len(sink.requests("/hooks/"))
            print("wait: %d records on the master, %d delivered while its replica is paused"
                  % (on_master.xlen(partition_key(p, "escalations")), held))
            check(held == 0, "nothing delivered before a replica acknowledged it (%d were)"
                  % held)
        finally:
            cluster.resume(replica)
        wait_for(lambda: len(sink.requests("/hooks/")) >= on_master.xlen(
            partition_key(p, "escalations")), 15, "the records delivered once the replica is back")
        # The shared queries reach every partition's node.
        rc, out, err = e.slactl("cluster")
        check(rc == 0 and "n1" in out and "NONE" not in out,
              "slactl cluster answers on the cluster (%d): %s%s" % (rc, out, err))
        rc, out, err = e.slactl("ticket", ticket)
        check(rc == 0 and "partition %d" % p in out, "slactl ticket %s: %s%s"
              % (ticket, out, err))
        check(e.stop_slad() == 0, "n1 exits 0 on SIGTERM")
    finally:
        cluster.close()


def test_pause(make_env):
    """n2 stopped past its lease on the cluster; MONITOR on every master
    (each partition's commits run on its slot's master)."""
    ref, cluster, shared, sink, nodes = start(make_env, "cpause")
    try:
        producer = ClusterProducer(ref, cluster, plan_tickets(SEED + 2, TICKETS), RATE)
        producer.start()
        time.sleep(4)
        masters = cluster.masters()
        check(len(masters) == 3, "three masters: %r" % masters)
        pause_owner_past_lease(nodes[1], "n2", lambda: tp.tokens(shared),
                               lambda p: partition_key(p, "lease"), masters, TTL_MS)
        check(not producer.done.is_set(), "the load was still running after the wake")
        tp.settle(producer, ref, shared)
        check_records(ref, shared)
        check_delivered("pause", ref, sink)
        for e in nodes + [ref]:
            check(e.stop_slad() == 0, "%s exits 0 on SIGTERM" % e.name)
    finally:
        cluster.close()


def test_rolling(make_env):
    """Each instance in turn stopped (SIGTERM) and started again under load."""
    ref, cluster, shared, sink, nodes = start(make_env, "croll")
    try:
        producer = ClusterProducer(ref, cluster, plan_tickets(SEED + 3, TICKETS), RATE)
        producer.start()
        time.sleep(2)
        rolling_restart(nodes, NAMES, lambda: tp.holders(shared), TTL_MS)
        check(not producer.done.is_set(), "the load was still running after the last restart")
        tp.settle(producer, ref, shared)
        check_records(ref, shared)
        check_delivered("rolling", ref, sink)
        for e in nodes + [ref]:
            check(e.stop_slad() == 0, "%s exits 0 on SIGTERM" % e.name)
    finally:
        cluster.close()


if __name__ == "__main__":
    tests = {"kill": test_kill, "failover": test_failover, "pause": test_pause,
             "rolling": test_rolling, "wait": test_wait}
    chosen = [tests[a] for a in sys.argv[1:]] or list(tests.values())
    run_tests(chosen, limit=150)
