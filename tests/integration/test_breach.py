"""Breaches fire on time, and once, across a SIGKILL and restart.

Uses the shipped norms: a chat ticket must get its first reply within 30 s.
Events carry ts in the past, so no test waits 30 s.
"""

import collections
import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, now_ms, run_tests, wait_for  # noqa: E402

CHAT_TARGET_MS = 30000


def breaches(env, prefix):
    return [e for e in env.escalations()
            if e.get("kind") == "breach" and e.get("ticket", "").startswith(prefix)]


def check_once(env):
    """No (ticket, metric, cycle, level) and no record id twice."""
    recs = env.escalations()
    keys = collections.Counter((e["ticket"], e["metric"], e["cycle"], e["level"]) for e in recs)
    twice = [k for k, n in keys.items() if n > 1]
    check(not twice, "fired more than once: %r" % twice[:5])
    ids = collections.Counter(e["id"] for e in recs)
    check(all(n == 1 for n in ids.values()), "an escalation id appears twice")
    return recs


def test_breach_on_time(make_env):
    env = make_env("breach")
    env.start_redis()
    env.write_config()
    env.start_slad()
    opened = now_ms() - (CHAT_TARGET_MS - 100)  # 29.9 s ago
    env.xadd({"ticket": "chat-1", "type": "ticket.opened", "channel": "chat", "ts": str(opened)})
    recs = wait_for(lambda: breaches(env, "chat-1"), 10, "the breach of chat-1")
    check(len(recs) == 1, "one breach record, got %d" % len(recs))
    b = recs[0]
    check(b["metric"] == "first_response", "metric first_response, got %s" % b["metric"])
    check(int(b["deadline_ms"]) == opened + CHAT_TARGET_MS,
          "deadline is ts + 30 s (%s vs %d)" % (b["deadline_ms"], opened + CHAT_TARGET_MS))
    lateness = int(b["fired_ms"]) - int(b["deadline_ms"])
    check(0 <= lateness <= 50, "fired %d ms after the deadline (at most 50)" % lateness)
    check(b["receiver"] == "supervisor", "the supervisor is told, got %r" % b["receiver"])
    # A reply after the breach does not make it fire again.
    env.xadd({"ticket": "chat-1", "type": "agent.reply"})
    env.wait_consumed(10)
    time.sleep(0.3)
    check(len(breaches(env, "chat-1")) == 1, "still one breach after the reply")
    check_once(env)


def test_once_across_sigkill(make_env):
    env = make_env("breach-kill")
    env.start_redis()
    env.write_config()
    env.start_slad()
    t0 = now_ms()
    # Deadlines spread over the next 1..8 s: some fire before the kill,
    # some while slad is down, some after the restart.
    spread = ["spread-%d" % k for k in range(1, 9)]
    for k, t in enumerate(spread, 1):
        env.xadd({"ticket": t, "type": "ticket.opened", "channel": "chat",
                  "ts": str(t0 - CHAT_TARGET_MS + 1000 * k)})
    # Already late: they fire at once, racing the kill below.
    late = [{"ticket": "late-%d" % i, "type": "ticket.opened", "channel": "chat",
             "ts": str(t0 - 60000)} for i in range(300)]
    wait_for(lambda: len(breaches(env, "spread-")) >= 2, 10, "the first two spread breaches")
    env.xadd_many(late)
    env.kill_slad()
    time.sleep(1.5)
    env.start_slad()
    wait_for(lambda: len(breaches(env, "spread-")) == len(spread), 20,
             "a breach for every spread ticket")
    wait_for(lambda: len(breaches(env, "late-")) == len(late), 20,
             "a breach for every late ticket")
    env.wait_consumed(20)
    time.sleep(0.5)
    check_once(env)
    check({e["ticket"] for e in breaches(env, "spread-")} == set(spread),
          "each spread ticket breached")
    check(env.pending_count() == 0, "nothing pending")


if __name__ == "__main__":
    run_tests([test_breach_on_time, test_once_across_sigkill])
