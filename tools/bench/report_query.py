#!/usr/bin/env python3
"""Time `slactl report` over 90 days of counters (prints figures; not a test).

Fills 90 day hashes in the layout of lib/sla_report.h: 4 metrics x 10
policies x (1 + 3 channels + 20 groups) groups, 6 counters each, about
5,800 fields a day, then asks slad for the 90-day report by policy and by
group, five times each, and prints the wall time of slactl (connect, the
daemon's 90 HGETALLs folded in one at a time, the answer, the table).

    python3 tools/bench/report_query.py      (after a build in build/)
"""

import datetime
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration"))
from harness import Env  # noqa: E402

DAYS = 90
METRICS = ["first_response", "next_response", "resolution", "follow_up"]
POLICIES = ["policy%d" % i for i in range(10)]
GROUPS = [""] + ["channel=%s" % c for c in ("chat", "email", "phone")] + \
    ["group=g%d" % i for i in range(20)]


def main():
    env = Env("report-bench")
    try:
        env.start_redis()
        env.write_config(extra='report = { timezone = "UTC"; dimensions = [ "channel", "group" ]; };')
        env.start_slad()
        today = datetime.datetime.now(datetime.timezone.utc).date()
        nfields = 0
        for d in range(DAYS):
            day = (today - datetime.timedelta(days=d)).isoformat()
            pipe = env.r.pipeline(transaction=False)
            mapping = {}
            for m in METRICS:
                for p in POLICIES:
                    for g in GROUPS:
                        base = "%s|%s|%s|" % (m, p, g)
                        mapping.update({base + "met": 90, base + "late": 5, base + "stopped": 3,
                                        base + "breached": 2, base + "h3": 60, base + "h7": 35})
            pipe.hset("sla:report:" + day, mapping=mapping)
            pipe.execute()
            nfields = len(mapping)
        frm = (today - datetime.timedelta(days=DAYS - 1)).isoformat()
        print("report query over %d days, %d fields a day (%d in all)"
              % (DAYS, nfields, DAYS * nfields))
        for by in ("policy", "group"):
            times = []
            for _ in range(5):
                t = time.monotonic()
                rc, out, err = env.slactl("report", "--from", frm, "--to", today.isoformat(),
                                          "--by", by)
                times.append((time.monotonic() - t) * 1000)
                if rc != 0:
                    sys.exit("slactl report failed: %s" % err)
            times.sort()
            print("  --by %-6s  %3d rows  median %.0f ms  max %.0f ms"
                  % (by, out.count("\n") - 2, times[2], times[-1]))
    finally:
        env.close()


if __name__ == "__main__":
    main()
