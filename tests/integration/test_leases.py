"""daemon/leases.c on a real redis-server, through tests/integration/lease_node
(the module alone: no pipeline behind the partitions).

- Three instances share 16 partitions: every partition held, by one
  instance each, at most ceil(16/3) = 6 per instance, and what each
  instance believes it owns is exactly what Redis says.
- SIGTERM gives an instance's partitions back at once (no lease of it left
  when it has stopped, its name gone from the live set); SIGKILL leaves
  them to expire, and the survivor owns them all again within the lease
  TTL + 2 s.
- An instance paused past its TTL (SIGSTOP) while another takes over
  learns on waking (SIGCONT) that it lost every partition before it takes
  anything again, and anything it takes again has a newer epoch.
"""

import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, TIME_SCALE, check, run_tests, wait_for  # noqa: E402

LEASE_NODE = os.path.join(BUILD_DIR, "lease_node")
TTL_MS = 900


class Node:
    def __init__(self, env, name, partitions):
        self.name = name
        self.conf = os.path.join(env.dir, name + ".conf")
        self.out = os.path.join(env.dir, name + ".out")
        with open(self.conf, "w") as f:
            f.write('log_level = "debug"; partitions = %d;\n'
                    'instance = { name = "%s"; lease_ttl = %d; };\n'
                    'redis = { port = %d; };\n' % (partitions, name, TTL_MS, env.redis_port))
        self.proc = subprocess.Popen([LEASE_NODE, self.conf], stdout=open(self.out, "w"),
                                     stderr=open(os.path.join(env.dir, name + ".err"), "w"))
        env.nodes.append(self)

    def lines(self):
        with open(self.out) as f:
            return [ln.split() for ln in f.read().splitlines()]

    def owned(self):
        """{partition: token} as this instance believes, from its output."""
        own = {}
        for w in self.lines():
            if w[0].startswith("+"):
                own[int(w[0][1:])] = w[1]
            elif w[0].startswith("-"):
                own.pop(int(w[0][1:]), None)
        return own


def leases(env, partitions):
    """{partition: token} held in Redis."""
    held = {}
    for p in range(partitions):
        v = env.r.get("sla:{p%d}:lease" % p)
        if v is not None:
            held[p] = v.decode()
    return held


def start(make_env, name, names, partitions):
    env = make_env(name)
    env.start_redis()
    env.nodes = []
    nodes = [Node(env, n, partitions) for n in names]
    return env, nodes


def stop_all(env):
    for n in env.nodes:
        if n.proc.poll() is None:
            os.kill(n.proc.pid, signal.SIGCONT)
            n.proc.kill()
            n.proc.wait()


def settled(env, nodes, partitions):
    """Every partition held, at most the share each, and each node's view
    equal to Redis's."""
    held = leases(env, partitions)
    if len(held) != partitions:
        return False
    share = -(-partitions // len(nodes))
    union = {}
    for n in nodes:
        own = n.owned()
        if len(own) > share:
            return False
        union.update(own)
    return union == held


def test_share_stop_and_kill(make_env):
    env, (a, b, c) = start(make_env, "leases", ["a", "b", "c"], 16)
    try:
        wait_for(lambda: settled(env, [a, b, c], 16), 10, "16 partitions shared by 3")
        by_node = {n.name: set(n.owned()) for n in (a, b, c)}
        check(sum(len(s) for s in by_node.values()) == 16 and
              len(set().union(*by_node.values())) == 16, "disjoint: %r" % by_node)

        a.proc.send_signal(signal.SIGTERM)
        check(a.proc.wait(timeout=5 * TIME_SCALE) == 0, "SIGTERM: exit 0")
        check(a.lines()[-1] == ["stopped"], "stopped after losing all: %r" % a.lines()[-3:])
        check(a.owned() == {}, "a believes it owns nothing")
        held = leases(env, 16)
        check(not any(t.startswith("a/") for t in held.values()),
              "no lease of a left once it stopped: %r" % held)
        check(b"a" not in env.r.zrange("sla:instances", 0, -1), "a left the live set")
        wait_for(lambda: settled(env, [b, c], 16), 3, "16 partitions shared by 2")

        b.proc.kill()
        b.proc.wait()
        killed = time.monotonic()
        wait_for(lambda: settled(env, [c], 16), (TTL_MS / 1000 + 2), "c owns all 16")
        took = time.monotonic() - killed
        check(took <= (TTL_MS / 1000 + 2) * TIME_SCALE, "taken over in %.2f s" % took)
        check(all(t.startswith("c/") for t in leases(env, 16).values()), "all c's")
    finally:
        stop_all(env)


def test_paused_owner(make_env):
    env, (a, b) = start(make_env, "pause", ["a", "b"], 8)
    try:
        wait_for(lambda: settled(env, [a, b], 8), 10, "8 partitions shared by 2")
        before = a.owned()
        check(before, "a owns some partitions")
        os.kill(a.proc.pid, signal.SIGSTOP)
        wait_for(lambda: len(b.owned()) == 8 and len(leases(env, 8)) == 8 and
                 all(t.startswith("b/") for t in leases(env, 8).values()),
                 (TTL_MS / 1000 + 3), "b owns all 8 while a is stopped")
        seen = len(a.lines())
        os.kill(a.proc.pid, signal.SIGCONT)
        wait_for(lambda: settled(env, [a, b], 8), 10, "8 shared by 2 again")
        after = a.lines()[seen:]
        lost = [int(w[0][1:]) for w in after if w[0].startswith("-")]
        first_gain = next((i for i, w in enumerate(after) if w[0].startswith("+")), len(after))
        check(sorted(lost[:len(before)]) == sorted(before) and
              all(w[0].startswith("-") for w in after[:len(before)]) and
              first_gain >= len(before),
              "on waking a first loses all it held %r: %r" % (sorted(before), after))
        for p, tok in a.owned().items():
            old = before.get(p)
            if old:
                check(int(tok.split("/")[1]) > int(old.split("/")[1]),
                      "partition %d taken again with a newer epoch: %s after %s" % (p, tok, old))
    finally:
        stop_all(env)


if __name__ == "__main__":
    run_tests([test_share_stop_and_kill, test_paused_owner])
