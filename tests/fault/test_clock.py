"""Deadlines that fall due while slad is stopped fire at once on start, late.

Tickets are opened so that their breach falls due 1 to 2 s after slad is
stopped (SIGTERM, and in a second round SIGKILL); slad stays down for
DOWN_S seconds. On start every one of those breaches is recorded within a
second of "ready", exactly once, with late_ms = fired_ms - deadline_ms - 1
(a breach is due 1 ms after its deadline) reflecting the downtime, and
escalations due later fire on time, not late.
"""

import collections
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import check, now_ms, policies, run_tests, wait_for  # noqa: E402

DOWN_S = 4.0
TICKETS = 50


def round_trip(env, tag, stop):
    if not env.slad_alive():
        env.start_slad()
    # first_response of "fast" (chat): breach 6 s after ts, manager at 9 s.
    stop_at = now_ms() + 500
    tickets = ["%s-%d" % (tag, i) for i in range(TICKETS)]
    for i, t in enumerate(tickets):
        deadline = stop_at + 1000 + 20 * i  # falls due while slad is down
        env.xadd({"ticket": t, "type": "ticket.opened", "channel": "chat",
                  "ts": str(deadline - 6000)})
    env.wait_consumed(10)
    time.sleep(max(0, stop_at - now_ms()) / 1000)
    stop(env)
    stopped = now_ms()
    time.sleep(DOWN_S)
    started = now_ms()
    env.start_slad()
    ready = now_ms()
    mine = lambda: [r for r in env.escalations() if r["ticket"].startswith(tag + "-")]  # noqa
    wait_for(lambda: sum(r["kind"] == "breach" for r in mine()) == 2 * TICKETS, 5,
             "every breach of the downtime recorded")
    breaches = [r for r in mine() if r["kind"] == "breach"]
    for r in breaches:
        deadline, fired, late = int(r["deadline_ms"]), int(r["fired_ms"]), int(r["late_ms"])
        check(stopped < deadline < started, "%s: deadline fell in the downtime" % r["ticket"])
        check(started <= fired <= ready + 1000,
              "%s: fired at once on start (%d ms after ready)" % (r["ticket"], fired - ready))
        check(late == fired - deadline - 1, "%s: late_ms %d == fired_ms - deadline_ms - 1 %d"
              % (r["ticket"], late, fired - deadline - 1))
        check(late >= started - deadline - 1,
              "%s: late_ms %d covers the downtime" % (r["ticket"], late))
    keys = collections.Counter((r["ticket"], r["level"], r["receiver"]) for r in mine())
    check(all(n == 1 for n in keys.values()), "each firing recorded once")
    # The manager (deadline + 3 s) falls due after the restart for most:
    # on time, not counted from the downtime.
    wait_for(lambda: sum(r["level"] == "2" for r in mine()) == TICKETS, 8,
             "every level 2 recorded")
    on_time = [r for r in mine() if r["level"] == "2" and int(r["deadline_ms"]) + 3000 > ready + 200]
    check(on_time and all(int(r["late_ms"]) < 1000 for r in on_time),
          "escalations due after the start fire on time (late_ms < 1 s)")
    lates = sorted(int(r["late_ms"]) for r in breaches)
    print("%s: %d breaches fired %d ms after ready at most; late_ms %d..%d for %.1f s down"
          % (tag, len(breaches), max(int(r["fired_ms"]) for r in breaches) - ready,
             lates[0], lates[-1], DOWN_S))


def test_due_while_stopped(make_env):
    env = make_env("clock")
    env.start_redis()
    env.write_config(policies=policies())
    round_trip(env, "term", lambda e: check(e.stop_slad() == 0, "SIGTERM exits 0"))
    round_trip(env, "kill", lambda e: e.kill_slad())
    check(env.stop_slad() == 0, "exits 0 on SIGTERM")


if __name__ == "__main__":
    run_tests([test_due_while_stopped], limit=120)
