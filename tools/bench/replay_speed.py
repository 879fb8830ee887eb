#!/usr/bin/env python3
"""Time `slad --replay` over a week of 1 M events (prints figures; not a test).

Loads a private redis-server with a week-equivalent of input: tickets
opened at a steady rate over 7 days (chat, email, phone, the shipped
norms' channels), each replied to, resolved and closed: 4 events a
ticket, 250,000 tickets, 1,000,000 entries whose ids carry their `ts` (as
a live producer's would). Then runs slad --replay with the shipped
policies over those days, three times, and prints events per second and
the ratio of the events' real time (7 days) to the replay's wall time.

    python3 tools/bench/replay_speed.py [EVENTS]     (after a build in build/)
"""

import datetime
import os
import random
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration"))
from harness import SLAD, Env  # noqa: E402

DAY_MS = 86400000
CHANNELS = ["chat", "email", "phone"]


def entries(n, start_ms):
    """n entries as (ts, fields), sorted by ts, over 7 days from start_ms."""
    rng = random.Random(16)
    tickets = n // 4
    span = 7 * DAY_MS
    out = []
    for i in range(tickets):
        t0 = start_ms + i * span // tickets
        ch = CHANNELS[i % 3]
        reply = t0 + (rng.randint(5, 60) * 1000 if ch == "chat" else
                      rng.randint(60, 6 * 3600) * 1000)
        resolved = reply + rng.randint(60, 36 * 3600) * 1000
        closed = resolved + rng.randint(60, 3600) * 1000
        tid = "t%07d" % i
        out.append((t0, {"ticket": tid, "type": "ticket.opened", "channel": ch}))
        out.append((reply, {"ticket": tid, "type": "agent.reply"}))
        out.append((resolved, {"ticket": tid, "type": "ticket.resolved"}))
        out.append((closed, {"ticket": tid, "type": "ticket.closed"}))
    out.sort(key=lambda e: e[0])
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    env = Env("replay-bench")
    try:
        env.start_redis()
        conf = env.write_config(extra='report = { timezone = "UTC"; };')
        start = (int(time.time() * 1000) // DAY_MS - 9) * DAY_MS
        t = time.monotonic()
        evs = entries(n, start)
        last, seq = -1, 0
        for i in range(0, len(evs), 5000):
            pipe = env.r.pipeline(transaction=False)
            for ts, fields in evs[i:i + 5000]:
                seq = seq + 1 if ts == last else 0
                last = ts
                f = dict(fields)
                f["ts"] = str(ts)
                pipe.xadd("sla:events", f, id="%d-%d" % (ts, seq))
            pipe.execute()
        print("loaded %d entries over 7 days in %.0f s (the stream: %.1f MiB in redis)"
              % (len(evs), time.monotonic() - t, env.r.memory_usage("sla:events") / 1048576))
        frm = datetime.date.fromtimestamp(start // 1000).isoformat()
        to = datetime.date.fromtimestamp((start + 7 * DAY_MS - 1) // 1000).isoformat()
        for run in range(3):
            t = time.monotonic()
            p = subprocess.run([SLAD, "--replay", conf, "--from", frm, "--to", to],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            wall = time.monotonic() - t
            if p.returncode != 0:
                sys.exit("slad --replay failed: %s" % p.stderr.decode())
            out = p.stdout.decode()
            head = out.split("\n")[0]
            print("run %d: %s; whole process %.2f s: %.0f events/s, %.0fx real time"
                  % (run + 1, head, wall, len(evs) / wall, 7 * 86400 / wall))
        print("$ slad --replay slad.conf --from %s --to %s\n%s" % (frm, to, out))
    finally:
        env.close()


if __name__ == "__main__":
    main()
