"""The webhook receiver fails in every way in turn; every record arrives.

Twenty chat tickets breach while their receivers' endpoint (one
tools/webhook_sink.py) is:
  1. down (connection refused) for DOWN_S seconds,
  2. slow: it reads requests and does not answer for HANG_S seconds, more
     than slad's request timeout, so attempts time out,
  3. answering 500 for FAIL_S seconds,
  4. back to 200.
Delivery uses short backoffs (the `delivery` settings) so that the run
stays bounded. Then every record of sla:escalations that names a receiver
was received at its receiver's path at least once, every request for it
carried webhook-id == the record id (one id, whatever the retries),
nothing went to sla:deliveries:dead and the delivery group has nothing
pending.

Exits 77 (ctest: skipped) when this slad does not accept the `delivery`
settings yet.
"""

import collections
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import check, firings, now_ms, policies, run_tests, wait_for  # noqa: E402
import harness  # noqa: E402

TICKETS = 20
DOWN_S, HANG_S, FAIL_S = 4, 12, 4
DELIVERY = 'delivery = { backoff_base = "200ms"; backoff_cap = "2s"; };'
SKIP = 77


def receivers(sink):
    return ",\n".join('  { name = "%s"; format = "json"; url = "%s"; }'
                      % (n, sink.url("/hooks/" + n))
                      for n in ("team_lead", "supervisor", "manager", "director"))


def delivered_ids(sink):
    """{record id: set of webhook-ids of the requests that carried it},
    from the requests answered 2xx."""
    out = collections.defaultdict(set)
    for req in sink.requests():
        if not (200 <= int(req.get("status") or 0) < 300):
            continue
        j = req.get("json") or {}
        data = j.get("data") or {}
        notices = data.get("notices") if j.get("type") == "sla.digest" else [data]
        for d in notices or []:
            wid = req["headers"].get("webhook-id")
            out[d.get("id")].add(wid if j.get("type") != "sla.digest" else d.get("id"))
    return out


def test_receiver_down_slow_failing_back(make_env):
    env = make_env("webhook")
    env.start_redis()
    sink = env.start_sink(mode="ok")
    env.write_config(policies=policies(), receivers=receivers(sink), extra=DELIVERY)
    chk = subprocess.run([harness.SLAD, "--check-config", "-c", env.config],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if chk.returncode != 0:
        print("SKIP: this slad refuses the delivery settings: " + chk.stdout.strip())
        env.close()
        sys.exit(SKIP)
    sink.stop()  # 1. down
    env.start_slad()
    base = now_ms()
    for i in range(TICKETS):
        # breach (6 s after ts) spread over the first 2 s, ladder to +15 s
        env.xadd({"ticket": "wh-%d" % i, "type": "ticket.opened", "channel": "chat",
                  "ts": str(base - 6000 + 100 * i)})
    env.wait_log(r"attempt \d+ failed", 10)
    time.sleep(DOWN_S)
    sink.mode = "hang"  # 2. slow: no answer within slad's timeout
    sink.start()
    wait_for(lambda: sink.requests(), 10, "attempts reach the slow receiver")
    time.sleep(HANG_S)
    sink.set_mode("fail500")  # 3. releases the hanging requests, then 500s
    time.sleep(FAIL_S)
    sink.set_mode("ok")  # 4. back
    # Every firing of the run has happened by now (ladder ends 15 s after ts).
    wait_for(lambda: now_ms() > base + 16000, 20, "the ladders to end")
    recs = firings(env)
    want = {rid for rid, k in recs.items() if k[4]}
    check(len(want) >= TICKETS * 5, "the load made %d notices" % len(want))

    def all_in():
        got = delivered_ids(sink)
        return want <= set(got)
    wait_for(all_in, 60, "every record delivered once the receiver is back", interval=0.5)
    env.wait_delivered(30)
    got = delivered_ids(sink)
    for rid in want:
        check(got[rid] == {rid}, "record %s delivered with webhook-id %r" % (rid, got[rid]))
    attempts = collections.Counter(r["headers"].get("webhook-id") for r in sink.requests())
    statuses = collections.Counter(int(r.get("status") or 0) for r in sink.requests())
    check(not env.dead_deliveries(), "nothing dead-lettered")
    print("%d records delivered; %d requests seen by the sink, statuses %r; at most %d "
          "requests for one id" % (len(want), sum(attempts.values()), dict(statuses),
                                   max(attempts.values())))
    check(statuses.get(500, 0) > 0, "some attempts were answered 500")
    check(statuses.get(0, 0) > 0, "some attempts got no answer from the slow receiver")
    check(env.stop_slad() == 0, "exits 0 on SIGTERM")


if __name__ == "__main__":
    run_tests([test_receiver_down_slow_failing_back], limit=150)
