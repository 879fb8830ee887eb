"""daemon/store.c with its commits fenced on a partition's lease
(store_set_fence), on a real redis-server, through tests/integration/store_node:

- while the lease holds the store's token, its commit is written (an
  acknowledgement of a pending entry here);
- once the lease is another's (the owner paused past its TTL and taken
  over), the same store's commit writes nothing: the entry stays pending;
- a commit of more than the script's 4096 words a command (5000
  acknowledgements) is split and written whole.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, check, run_tests  # noqa: E402

STORE_NODE = os.path.join(BUILD_DIR, "store_node")
EVENTS, LEASE = "sla:{p3}:events", "sla:{p3}:lease"


def commit(env, token, ids):
    conf = os.path.join(env.dir, "store.conf")
    with open(conf, "w") as f:
        f.write('partitions = 16; redis = { port = %d; };\n' % env.redis_port)
    out = subprocess.run([STORE_NODE, conf, "3", token] + ids, capture_output=True, text=True,
                         timeout=30)
    check(out.returncode == 0, "store_node exit %d: %s" % (out.returncode, out.stderr[-500:]))
    return out.stdout.strip(), out.stderr


def pending(env):
    return env.r.xpending(EVENTS, "slad")["pending"]


def read_pending(env, n):
    ids = [env.r.xadd(EVENTS, {"ticket": "T-%d" % i}).decode() for i in range(n)]
    env.r.xreadgroup("slad", "c", {EVENTS: ">"}, count=n)
    return ids


def test_fenced_commits(make_env):
    env = make_env("fenced")
    env.start_redis()
    env.r.xgroup_create(EVENTS, "slad", id="0", mkstream=True)
    ids = read_pending(env, 2)
    env.r.set(LEASE, "a/1", px=60000)
    said, _ = commit(env, "a/1", ids[:1])
    check(said == "committed", "the owner's commit: %r" % said)
    check(pending(env) == 1, "its ack written: %d pending" % pending(env))

    env.r.set(LEASE, "b/2", px=60000)  # taken over while a was away
    said, log = commit(env, "a/1", ids[1:])
    check(said == "refused", "the old owner's commit: %r" % said)
    check("FENCED" in log, "refused as FENCED: %r" % log[-500:])
    check(pending(env) == 1, "nothing written: %d pending" % pending(env))

    many = read_pending(env, 5000)
    said, _ = commit(env, "b/2", many)
    check(said == "committed", "5000 acks: %r" % said)
    check(pending(env) == 1, "5000 acks in slices, all written: %d pending" % pending(env))


if __name__ == "__main__":
    run_tests([test_fenced_commits])
