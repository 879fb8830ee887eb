"""A partition's commit refused FENCED stops its pipeline at once.

One slad with partitions = 4 and a long lease_ttl (30 s: its next lease
pass is seconds away) holds every partition. While events stream into
partition 2, the test hands partition 2's lease to an intruder (SET of the
lease key with another token, as a takeover by an instance slad has not
heard of yet would). slad's next commit of partition 2 is refused by
fenced.lua: the pipeline must stop at once ("a commit was fenced"),
before the lease pass notices, and write nothing more for the partition
(no state, record or acknowledgement; no state load again), while the
other partitions go on: a ticket of partition 0 is still applied.
"""

import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, now_ms, partition_key, partition_of,  # noqa: E402
                     partition_settings, run_tests, wait_for)

PARTS = 4


def tickets_of(p, count, prefix):
    out, i = [], 0
    while len(out) < count:
        t = "%s%d" % (prefix, i)
        if partition_of(t, PARTS) == p:
            out.append(t)
        i += 1
    return out


def test_fenced_commit_stops_the_partition(make_env):
    env = make_env("fence")
    env.start_redis()
    env.write_config(claim_idle=1000, extra=partition_settings(PARTS, "n1", "30s"))
    env.start_slad()
    wait_for(lambda: all((env.r.get(partition_key(p, "lease")) or b"").startswith(b"n1/")
                         for p in range(PARTS)), 10, "n1 holds every partition")
    stop = threading.Event()

    def feed():
        i = 0
        for t in tickets_of(2, 100000, "f"):
            if stop.is_set():
                return
            env.r.xadd(partition_key(2, "events"), {"ticket": t, "type": "ticket.opened",
                                                    "channel": "chat", "ts": str(now_ms())})
            i += 1
            time.sleep(0.002)
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    wait_for(lambda: env.r.hlen(partition_key(2, "state")) > 20, 10,
             "partition 2 applying events")
    env.r.set(partition_key(2, "lease"), "intruder/999999", px=60000)
    env.wait_log(r"partition 2: stopped \(a commit was fenced", 3, since_last_start=True)
    check("partition 2: lease n1/1 lost" not in env.log(), "the stop came from the fence, not "
          "from a lease pass")
    # Nothing more for partition 2: its state and acknowledgements stand still.
    time.sleep(0.3)
    state = env.r.hlen(partition_key(2, "state"))
    acked = env.r.xinfo_groups(partition_key(2, "events"))[0]
    time.sleep(1.5)
    stop.set()
    feeder.join(5)
    check(env.r.hlen(partition_key(2, "state")) == state, "no state written for partition 2 "
          "after the fence (%d -> %d)" % (state, env.r.hlen(partition_key(2, "state"))))
    later = env.r.xinfo_groups(partition_key(2, "events"))[0]
    check(later["pending"] == acked["pending"] and
          later["last-delivered-id"] == acked["last-delivered-id"],
          "nothing read or acknowledged in partition 2 after the fence: %r -> %r"
          % (acked, later))
    after = env.log(since_last_start=True).split("a commit was fenced", 1)[1]
    check("loading state from sla:{p2}:state" not in after,
          "the fenced partition's state is not loaded again")
    check(env.r.get(partition_key(2, "lease")) == b"intruder/999999",
          "the intruder's lease untouched")
    # The other partitions go on.
    t0 = tickets_of(0, 1, "other")[0]
    env.r.xadd(partition_key(0, "events"), {"ticket": t0, "type": "ticket.opened",
                                            "channel": "chat", "ts": str(now_ms())})
    wait_for(lambda: env.r.hexists(partition_key(0, "state"), t0), 5,
             "partition 0 still applies events")
    check(env.stop_slad() == 0, "slad exits 0 on SIGTERM")


if __name__ == "__main__":
    run_tests([test_fenced_commit_stops_the_partition])
