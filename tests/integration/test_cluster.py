"""daemon/cluster.c on a real Redis Cluster (3 masters, 3 replicas, made by
`redis-cli --cluster create`, tests/integration/redis_cluster.py), through
tests/integration/cluster_node: one routed link per partition, 16
partitions, no pipeline behind them.

- Routing: each partition's writes land on the master that serves the slot
  of its hash tag {pK}, as CLUSTER SLOTS says, and nowhere else; the
  instances' set, outside every partition, on its own slot's master.
- Resharding: the slot of a partition is moved to another master step by
  step while writes go on: during the migration a write for a key already
  moved is answered ASK and goes there after ASKING; once the slot is
  given to the new master, writes in flight are answered MOVED and sent
  again there, and the link follows. Afterwards the new master's list
  holds every acknowledged value exactly once, in order.
- A command on two keys of a slot being migrated, one moved and one not,
  is answered TRYAGAIN and retried until both moved, then goes by ASK.
- Failover with wait_replicas = 1: an acknowledged write is on the replica
  (checked on the replica itself), a paused replica makes WAIT report 0;
  the master of a partition (the seed the router asks first) is killed,
  its replica is promoted, the router turns to another node, the link
  reports the node change as a failover and writes go on to the new
  master, which holds every value acknowledged by WAIT.
"""

import os
import queue
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, TIME_SCALE, check, run_tests  # noqa: E402
from redis_cluster import RedisCluster  # noqa: E402

CLUSTER_NODE = os.path.join(BUILD_DIR, "cluster_node")
PARTITIONS = 16


class Driver:
    """cluster_node, fed commands on stdin, its lines read by a thread."""

    def __init__(self, env, cluster, wait_replicas=0, wait_timeout_ms=500):
        self.conf = os.path.join(env.dir, "cluster_node.conf")
        self.err = os.path.join(env.dir, "cluster_node.err")
        seeds = ", ".join('"127.0.0.1:%d"' % p for p in cluster.ports[:2])
        with open(self.conf, "w") as f:
            f.write('log_level = "debug"; partitions = %d;\n'
                    'redis = { cluster = [ %s ]; wait_replicas = %d; wait_timeout = %d; };\n'
                    % (PARTITIONS, seeds, wait_replicas, wait_timeout_ms))
        self.proc = subprocess.Popen([CLUSTER_NODE, self.conf], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=open(self.err, "w"),
                                     text=True, bufsize=1)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.split())

    def expect(self, pred, timeout, what):
        """The first line (words) for which pred is true; the others are kept
        in self.seen."""
        deadline = time.monotonic() + timeout * TIME_SCALE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("cluster_node: no %s within %ss; seen %s; stderr:\n%s"
                                     % (what, timeout, self.seen[-10:], self.stderr_tail()))
            try:
                w = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if pred(w):
                return w
            self.seen.append(w)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def write(self, k, value, timeout=10):
        """One write: ('ok', addr, acked) or ('err', why)."""
        self.send("write %d %s" % (k, value))
        w = self.expect(lambda w: w[0] in ("ok", "err") and w[1] == str(k) and w[2] == value,
                        timeout, "answer to write %d %s" % (k, value))
        return (w[0], w[3], int(w[4])) if w[0] == "ok" else (w[0], " ".join(w[3:]))

    def burst(self, k, first, n, timeout=20, cmd="burst"):
        self.send("%s %d %d %d" % (cmd, k, first, n))
        w = self.expect(lambda w: w[0] == "burst" and w[1] == str(k), timeout, "burst answer")
        return int(w[2]), int(w[3])

    def stats(self, k):
        self.send("stats %d" % k)
        w = self.expect(lambda w: w[0] == "stats" and w[1] == str(k), 10, "stats")
        return dict(zip(("moved", "asked", "retried", "changes"), map(int, w[2:6])))

    def stderr_tail(self, n=25):
        with open(self.err) as f:
            return "\n".join(f.read().splitlines()[-n:])

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with open(self.err) as f:
            err = f.read()
        check("Sanitizer" not in err and "runtime error:" not in err,
              "sanitizer report from cluster_node:\n" + err[-3000:])


def with_cluster(make_env, body, **driver_kw):
    env = make_env("cluster")
    cluster = RedisCluster(env.dir)
    driver = None
    try:
        driver = Driver(env, cluster, **driver_kw)
        driver.expect(lambda w: w == ["ready"], 20, "ready")
        body(cluster, driver)
    finally:
        if driver:
            driver.close()
        cluster.close()


def log_key(k):
    return "sla:{p%d}:log" % k


def test_routing(make_env):
    def body(cluster, d):
        masters = cluster.masters()
        check(len(masters) == 3, "three masters: %s" % masters)
        for k in range(PARTITIONS):
            res = d.write(k, "v%d" % k)
            check(res[0] == "ok", "write to partition %d: %s" % (k, res))
            owner = cluster.master_of(cluster.keyslot(log_key(k)))
            check(res[1] == "127.0.0.1:%d" % owner,
                  "partition %d written at %s, its slot's master is %d" % (k, res[1], owner))
        for k in range(PARTITIONS):
            owner = cluster.master_of(cluster.keyslot(log_key(k)))
            got = cluster.client(owner).execute_command("LRANGE", log_key(k), 0, -1)
            check(got == ["v%d" % k], "partition %d on its master: %s" % (k, got))
        # No key landed on a master that does not serve its slot.
        total = sum(cluster.client(m).dbsize() for m in masters)
        check(total == PARTITIONS, "%d keys in all, want %d" % (total, PARTITIONS))
        used = {cluster.master_of(cluster.keyslot(log_key(k))) for k in range(PARTITIONS)}
        check(len(used) == 3, "16 partitions spread over the three masters: %s" % used)
        check(all(v == 0 for s in (d.stats(k) for k in range(PARTITIONS)) for v in s.values()),
              "no redirection on a stable cluster")
        # The key outside every partition has a link of its own, to its master.
        d.send("beat 0 node-a")
        w = d.expect(lambda w: w[0] == "beat", 10, "the heartbeat's answer")
        owner = cluster.master_of(cluster.keyslot("sla:instances"))
        check(w[1:] == ["node-a", "127.0.0.1:%d" % owner],
              "sla:instances written at its slot's master %d: %s" % (owner, w))
        check(cluster.client(owner).execute_command("ZSCORE", "sla:instances", "node-a") == 1.0,
              "the heartbeat is on that master")
    with_cluster(make_env, body)


def test_reshard(make_env):
    k = 0
    key = log_key(k)

    def body(cluster, d):
        slot = cluster.keyslot(key)
        src = cluster.master_of(slot)
        dst = [m for m in cluster.masters() if m != src][0]
        expected = []

        def write(v):
            res = d.write(k, str(v))
            check(res[0] == "ok", "write %d: %s" % (v, res))
            expected.append(str(v))
            return res

        for v in range(1, 11):
            check(write(v)[1] == "127.0.0.1:%d" % src, "before the move: on the old master")
        cluster.migrate_begin(slot, src, dst)
        for v in range(11, 21):     # the key is still on src: served there
            write(v)
        check(cluster.migrate_keys(slot, src, dst) == [key], "the key migrated")
        for v in range(21, 31):     # src answers ASK: ASKING at dst
            write(v)
        st = d.stats(k)
        check(st["asked"] >= 10, "writes after the key moved went by ASK: %s" % st)
        check(st["moved"] == 0, "no MOVED during the migration: %s" % st)
        cluster.migrate_end(slot, dst)
        # 100 writes sent at once: the first answered MOVED, those behind it
        # too, and those issued while the link moves wait for it.
        ok, err = d.burst(k, 31, 100)
        check((ok, err) == (100, 0), "burst after the slot moved: %d ok, %d failed" % (ok, err))
        expected += [str(v) for v in range(31, 131)]
        for v in range(131, 141):
            check(write(v)[1] == "127.0.0.1:%d" % dst, "after the move: on the new master")
        st = d.stats(k)
        check(st["moved"] >= 1 and st["changes"] == 1, "one MOVED followed: %s" % st)
        got = cluster.client(dst).execute_command("LRANGE", key, 0, -1)
        check(got == expected, "the new master holds every value once, in order: %d values, "
              "first differences %s" % (len(got), [(i, a, b) for i, (a, b) in
                                                  enumerate(zip(got, expected)) if a != b][:5]))
        check(cluster.client(src).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0,
              "nothing left on the old master")
        for other in range(1, PARTITIONS):
            check(d.stats(other)["moved"] == 0, "partition %d untouched" % other)

        # WAIT sent right behind writes that are answered MOVED counts the
        # replicas of the new node, not of the old one: with the new
        # master's replica paused it reports 0.
        k2 = 1
        key2 = log_key(k2)
        slot2 = cluster.keyslot(key2)
        check(d.write(k2, "first")[0] == "ok", "a first write to partition %d" % k2)
        src2 = cluster.master_of(slot2)
        dst2 = [m for m in cluster.masters() if m != src2][0]
        replica2 = cluster.replica_of(dst2)
        cluster.migrate_begin(slot2, src2, dst2)
        cluster.migrate_keys(slot2, src2, dst2)
        cluster.migrate_end(slot2, dst2)
        cluster.pause(replica2)
        try:
            d.send("waitburst %d 1 20" % k2)
            first = d.expect(lambda w: w[0] in ("burst", "waited") and w[1] == str(k2), 10,
                             "the writes' or WAIT's answer")
            second = d.expect(lambda w: w[0] in ("burst", "waited") and w[1] == str(k2), 10,
                              "the writes' or WAIT's answer")
        finally:
            cluster.resume(replica2)
        check(first[0] == "burst" and first[2:] == ["20", "0"],
              "the 20 writes behind the MOVED answered first, all ok: %s, %s" % (first, second))
        check(second[0] == "waited" and second[2] == "0",
              "WAIT answered at the new node, whose replica is paused: %s" % (second,))
        got = cluster.client(dst2).execute_command("LRANGE", key2, 0, -1)
        check(got == ["first"] + [str(v) for v in range(1, 21)],
              "partition %d's writes on its new master: %s" % (k2, got))

        # A command on two keys of a slot being migrated, one key moved and
        # the other not: TRYAGAIN, retried until the second key moved too,
        # then ASK.
        k3 = 2
        a, b = "sla:{p%d}:a" % k3, "sla:{p%d}:b" % k3
        slot3 = cluster.keyslot(a)
        src3 = cluster.master_of(slot3)
        dst3 = [m for m in cluster.masters() if m != src3][0]
        cluster.client(src3).execute_command("RPUSH", a, "x")
        cluster.client(src3).execute_command("RPUSH", b, "y")
        cluster.migrate_begin(slot3, src3, dst3)
        cluster.client(src3).execute_command("MIGRATE", "127.0.0.1", dst3, "", 0, 5000,
                                             "KEYS", a)
        d.send("lmove %d" % k3)
        time.sleep(0.4)
        check(d.stats(k3)["retried"] >= 1, "TRYAGAIN retried: %s" % d.stats(k3))
        cluster.client(src3).execute_command("MIGRATE", "127.0.0.1", dst3, "", 0, 5000,
                                             "KEYS", b)
        w = d.expect(lambda w: w[0] == "lmoved" and w[1] == str(k3), 10, "LMOVE's answer")
        check(w[2:] == ["x"], "LMOVE done once both keys moved: %s" % w)
        st = d.stats(k3)
        check(st["retried"] >= 1 and st["asked"] >= 1, "retried, then asked: %s" % st)
        cluster.migrate_end(slot3, dst3)
        check(cluster.client(dst3).execute_command("LRANGE", b, 0, -1) == ["y", "x"],
              "the value moved on the new node")
    with_cluster(make_env, body)


def test_failover_wait(make_env):
    def body(cluster, d):
        # A partition of the master the router asks first (the first seed):
        # killing it also makes the router turn to another node.
        seed = cluster.ports[0]
        k = [p for p in range(PARTITIONS)
             if cluster.master_of(cluster.keyslot(log_key(p))) == seed][0]
        key = log_key(k)
        slot = cluster.keyslot(key)
        master = cluster.master_of(slot)
        replica = cluster.replica_of(master)
        check(replica is not None, "master %d has a replica" % master)
        acked = []
        for v in range(1, 21):
            res = d.write(k, str(v))
            check(res[0] == "ok" and res[2] == 1, "write %d acknowledged by one replica: %s"
                  % (v, res))
            acked.append(str(v))
        rc = cluster.client(replica)
        rc.execute_command("READONLY")
        check(rc.execute_command("LRANGE", key, 0, -1) == acked,
              "every acknowledged write is on the replica")

        # A replica that does not answer: WAIT says so.
        cluster.pause(replica)
        try:
            res = d.write(k, "unacked")
            check(res[0] == "ok" and res[2] == 0, "WAIT with the replica paused: %s" % (res,))
        finally:
            cluster.resume(replica)

        # Kill the master: the replica is promoted and the link follows.
        cluster.kill(master)
        t0 = time.monotonic()
        v = 100
        while True:
            v += 1
            res = d.write(k, str(v), timeout=15)
            if res[0] == "ok":
                break
            check(time.monotonic() - t0 < 30, "no write accepted within 30 s of the kill")
            time.sleep(0.1)
        took = time.monotonic() - t0
        check(res[1] == "127.0.0.1:%d" % replica,
              "after the failover the partition is on the promoted replica %d: %s"
              % (replica, res))
        node = [w for w in d.seen if w[0] == "node" and w[1] == str(k)]
        check(node and node[-1][2] == "127.0.0.1:%d" % replica and node[-1][3] == "1",
              "the node change was reported as a failover: %s" % node)
        got = cluster.client(replica).execute_command("LRANGE", key, 0, -1)
        check(got[:len(acked)] == acked, "every value acknowledged by WAIT survived")
        check(got[-1] == str(v), "the write after the failover is there")
        print("failover followed in %.1f s" % took)
    with_cluster(make_env, body, wait_replicas=1, wait_timeout_ms=2000)


if __name__ == "__main__":
    run_tests([test_routing, test_reshard, test_failover_wait], limit=90)
