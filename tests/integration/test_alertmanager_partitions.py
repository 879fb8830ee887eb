"""The Alertmanager keep-alive with partitions, against a real Alertmanager.

Same Alertmanager as test_alertmanager.py (resolve_timeout 3s, resend
every second). One redis-server, partitions = 2, lease_ttl 1.5 s.

n1 starts alone and owns both partitions. A ticket of partition 1
breaches: its alert must be kept alive by n1 (sent again: endsAt moves on
past the first one). Then n2 starts: n1 releases partition 1 (its surplus,
highest first) and n2 takes it. n1 must stop resending the alert without
resolving it, n2 must rebuild it from the breach memo and keep it alive:
polled every 200 ms from before n2 starts until 6 s after the hand-over,
Alertmanager shows exactly one active alert for the ticket and receiver
(never resolved, never two), and its endsAt moves on after the hand-over.
A reply then resolves it from n2.
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, lease_holder, now_ms, partitioned_instances,  # noqa: E402
                     partition_key, partition_of, run_tests, wait_for)
from test_alertmanager import Alertmanager, active  # noqa: E402

PARTS = 2
TARGET_MS = 30000

POLICIES = """
policies = (
  { name = "chat-am";
    first_response = { target = "30s";
      escalate = ( { after = "0s"; notify = [ "am" ]; } );
      recovered = true; }; }
);
"""


def test_takeover_keeps_the_alert(make_env):
    shared = make_env("am-parts-redis")
    am = Alertmanager(shared.dir)
    try:
        shared.start_redis()
        r = shared.r
        names = ("n1", "n2")
        nodes = dict(zip(names, partitioned_instances(
            make_env, shared, "am-parts", PARTS, names, policies=POLICIES, claim_idle=1000,
            receivers='  { name = "am"; format = "alertmanager"; url = "%s"; '
                      'resend_interval = "1s"; }' % am.url())))
        nodes["n1"].start_slad()
        wait_for(lambda: lease_holder(r, 0) == "n1" and lease_holder(r, 1) == "n1", 10,
                 "n1 owns both partitions")
        t = next("amp-%d" % i for i in range(100) if partition_of("amp-%d" % i, PARTS) == 1)
        r.xadd(partition_key(1, "events"), {"ticket": t, "type": "ticket.opened",
                                            "channel": "chat",
                                            "ts": str(now_ms() - TARGET_MS + 100)})
        first = wait_for(lambda: active(am.alerts(ticket=t, receiver="am")), 15,
                         "the breach alert in alertmanager")
        first_ends = first[0]["endsAt"]
        # Kept alive by n1: sent again with a later endsAt.
        wait_for(lambda: [x for x in active(am.alerts(ticket=t, receiver="am"))
                          if x["endsAt"] > first_ends], 5, "n1 sends the alert again")

        # n2 joins: partition 1 moves to it.
        nodes["n2"].start_slad()
        seen, handed = [], None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            xs = am.alerts(ticket=t, receiver="am")
            seen.append((time.monotonic(), len(active(xs)), len(xs),
                         xs[0]["endsAt"] if xs else None))
            if handed is None and lease_holder(r, 1) == "n2":
                handed = time.monotonic()
                ends_at_handover = seen[-1][3]
            if handed is not None and time.monotonic() - handed > 6:
                break
            time.sleep(0.2)
        check(handed is not None, "partition 1 moved to n2 (holder %r)" % lease_holder(r, 1))
        check(lease_holder(r, 0) == "n1", "n1 kept partition 0")
        bad = [s for s in seen if s[1] != 1 or s[2] != 1]
        check(not bad, "one active alert all along the hand-over: %r" % bad[:5])
        check(seen[-1][3] > ends_at_handover, "n2 keeps it alive: endsAt %s after the hand-over, "
              "%s at it" % (seen[-1][3], ends_at_handover))
        nodes["n1"].wait_log(r"alerts: partition 1: 1 alertmanager alerts left to its next "
                             r"owner", 5, since_last_start=True)
        nodes["n2"].wait_log(r"alerts: partition 1 scanned: 1 alertmanager alerts kept alive",
                             5, since_last_start=True)

        # Resolved by its new owner.
        r.xadd(partition_key(1, "events"), {"ticket": t, "type": "agent.reply"})
        wait_for(lambda: not active(am.alerts(ticket=t)), 5, "the reply resolves it")
        for e in nodes.values():
            check(e.stop_slad() == 0, "slad exits 0")
    finally:
        am.stop()


if __name__ == "__main__":
    run_tests([test_takeover_keeps_the_alert], limit=120)
