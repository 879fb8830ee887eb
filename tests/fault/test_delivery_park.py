"""Held deliveries never delay others: past a few in memory they are parked.

More notices are held for working hours than delivery keeps in memory at
all (10,000): the first few hundred stay in memory, the rest are parked
(an outbox entry id and a time each; the entry stays pending in Redis).
An at-once notice recorded after all of them is delivered at once, not at
the opening. Across a restart of slad the parked ones are read again as
own pending entries and parked again, and entries taken over by the same
consumer name (idle longer than stream.claim_idle) are not held twice; at
the opening every one is read back and delivered once. A claim round over
the parked entries asks for their ids only (XAUTOCLAIM JUSTID): Redis's
output over two rounds is a fraction of one copy of the parked entries,
while entries left pending to a consumer that never comes back are taken
over in full, held and delivered once like the others.

Working time opens a few seconds from now through a zone of the test's
own (see tests/integration/test_delivery_hours.py). A load test (10,200
records, waiting for the opening): in tests/fault, so it runs in the plain
and sanitizer passes but not under memcheck, where it would take many
minutes to say nothing the delivery tests under memcheck do not.
"""

import os
import re
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import (DELIVER_GROUP, ESCALATIONS, TIME_SCALE, check, now_ms,  # noqa: E402
                     run_tests, wait_for)
from test_delivery_hours import held_items, metric, shifted_calendar, shifted_zone  # noqa: E402

HELD = 10200  # more than delivery holds in memory (DELIVER_MAX_HELD)
DEAD = 5  # of them left pending to a consumer that never comes back


def config(env, sink, start_min):
    calendars = shifted_calendar(start_min)
    policies = """
policies = (
  { name = "urgent"; match = { level = "urgent"; };
    first_response = { target = "1s";
      escalate = ( { after = "0s"; notify = [ "oncall" ]; } ); }; },
  { name = "office-hours"; deliver = "working_hours";
    first_response = { target = "1s";
      escalate = ( { after = "0s"; notify = [ "office" ]; } ); }; }
);
"""
    receivers = ",\n".join([
        '  { name = "office"; format = "json"; url = "%s"; calendar = "shifted"; }'
        % sink.url("/office"),
        '  { name = "oncall"; format = "json"; url = "%s"; }' % sink.url("/oncall"),
    ])
    # Entries idle for 2 s are taken over by the same consumer name (as
    # every instance's partition owner is): parked ones too, harmlessly.
    env.write_config(policies=policies, receivers=receivers, extra=calendars, claim_idle=2000)
    return env.enable_http()


def notices(req):
    j = req["json"]
    return j["data"]["notices"] if j["type"] == "sla.digest" else [j["data"]]


def held_count(env):
    d = held_items(env)
    return d if d["held"] == HELD else None


def test_held_beyond_memory(make_env):
    env = make_env("park")
    env.start_redis()
    sink = env.start_sink()
    opens_s = int(time.time()) + int(45 * TIME_SCALE) + 1
    opens_ms = opens_s * 1000
    port = config(env, sink, shifted_zone(env, opens_s))
    os.environ["TZDIR"] = os.path.join(env.dir, "zoneinfo")
    try:
        env.start_slad()
        ts = str(now_ms() - 2000)
        env.xadd_many([{"ticket": "P-%05d" % i, "type": "ticket.opened", "channel": "chat",
                        "ts": ts} for i in range(HELD)])
        # Once delivery holds as many as it keeps in memory at all, an
        # at-once notice recorded after them goes at once.
        wait_for(lambda: held_items(env)["held"] >= 10000, 30, "10,000 held")
        env.xadd({"ticket": "U-1", "type": "ticket.opened", "channel": "chat",
                  "level": "urgent", "ts": str(now_ms() - 2000)})
        wait_for(lambda: sink.requests("/oncall"), 10,
                 "the at-once notice delivered while 10,000 are held")
        check(len(sink.requests("/oncall")) == 1, "once")

        # Few in memory (listed), the rest parked; all counted as held.
        d = wait_for(lambda: held_count(env), 30, "all %d held" % HELD)
        check(d["parked"] >= HELD - 300, "most of them parked: %r" % {
            k: v for k, v in d.items() if k != "items"})
        check(len(d["items"]) < 300, "only those in memory listed: %d" % len(d["items"]))
        check(metric(env, port, "slad_deliveries_held") == HELD, "held gauge counts parked")
        check(metric(env, port, "slad_deliveries_parked") == d["parked"], "parked gauge")
        rc, out, err = env.slactl("deliveries")
        check(rc == 0 and "%d held for working hours" % HELD in out
              and "%d of the held are parked" % d["parked"] in out,
              "human summary:\n%s" % out[-500:])

        # A restart: own pending entries read again, parked again, none
        # twice. Meanwhile DEAD of them became a consumer's that never
        # comes back: taken over (idle past claim_idle) and held too.
        check(env.stop_slad() == 0, "slad stops cleanly")
        office = [eid for eid, f in env.stream(ESCALATIONS) if f["receiver"] == "office"]
        gone = office[100:100 + DEAD]
        env.r.xclaim(ESCALATIONS, DELIVER_GROUP, "gone-consumer", 0, gone, justid=True)
        env.start_slad()
        d = wait_for(lambda: held_count(env), 30,
                     "all held again after the restart, the dead consumer's too")
        check(d["parked"] >= HELD - 300, "parked again: %r" % d["parked"])
        check(not [e for e in env.r.xpending_range(ESCALATIONS, DELIVER_GROUP, "-", "+", 100000)
                   if e["consumer"] == b"gone-consumer"], "none left to the dead consumer")

        def taken_over():
            return sum(int(n) for n in re.findall(r"took over (\d+) pending entries",
                                                  env.log(since_last_start=True)))
        wait_for(lambda: taken_over() >= DEAD, 10, "the dead consumer's entries taken over")

        # Claim rounds go on over the parked entries (their own consumer's,
        # idle past claim_idle): only their ids cross the link, not the
        # entries. Over three claim_idle periods (two rounds at least), far
        # fewer bytes leave Redis than one copy of the parked entries.
        full = sum(len(eid) + sum(len(k) + len(v) for k, v in f.items())
                   for eid, f in env.stream(ESCALATIONS) if f["receiver"] == "office")

        def redis_counts():
            info = env.r.info("all")
            return (info["total_net_output_bytes"],
                    info.get("cmdstat_xautoclaim", {}).get("calls", 0))
        out0, claims0 = redis_counts()
        time.sleep(6 * TIME_SCALE)
        out1, claims1 = redis_counts()
        check(claims1 - claims0 >= 2, "claim rounds ran: %d XAUTOCLAIM" % (claims1 - claims0))
        check(out1 - out0 < full / 3, "parked entries not sent again: %d bytes out of redis "
              "in 6 s, one copy of them is %d" % (out1 - out0, full))
        check(taken_over() == DEAD, "only the dead consumer's entries fetched in a claim round, "
              "never the parked ones: %d taken over" % taken_over())
        check(time.time() * 1000 < opens_ms - 300, "still before the opening; raise the margin")
        check(not sink.requests("/office"), "nothing delivered before the working range opens")

        want = {f["id"] for _, f in env.stream(ESCALATIONS) if f["receiver"] == "office"}
        check(len(want) == HELD, "one record each: %d" % len(want))

        def delivered():
            got = [n["id"] for r in sink.requests("/office") for n in notices(r)]
            return got if len(set(got)) >= HELD else None
        got = wait_for(delivered, 60, "every held notice delivered at the opening",
                   interval=1)
        check(len(got) == HELD and set(got) == want,
              "each exactly once: %d notices, %d distinct" % (len(got), len(set(got))))
        first = min(r["time_ms"] for r in sink.requests("/office"))
        check(first >= opens_ms, "none before the opening: %d < %d" % (first, opens_ms))
        env.wait_delivered(30)
        time.sleep(1)
        check(len([n for r in sink.requests("/office") for n in notices(r)]) == HELD,
              "and no more")
        d = held_items(env)
        check(d["held"] == 0 and d["parked"] == 0 and d["items"] == [], "nothing left: %r" % d)
    finally:
        os.environ.pop("TZDIR", None)


if __name__ == "__main__":
    run_tests([test_held_beyond_memory])
