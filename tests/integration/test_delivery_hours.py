"""Delivery waits for the receiver's working hours when its policy says so.

A breach of a policy with deliver = "working_hours" is recorded when its
clock says (the record, and the delivery to a receiver without a calendar,
come at once), but its webhooks to receivers that name a calendar are first
attempted at the calendar's next working instant: not before it, and at it,
also across a restart of slad, shown meanwhile as held (not retrying) by
slactl and /metrics.

Calendars have minute resolution, so to get a working range that opens a
few seconds from now without sleeping up to a minute, the test compiles
(zic) a time zone of its own whose UTC offset has seconds, chosen so that a
local minute begins a few seconds from now, and gives it to slad through
TZDIR, as libc takes it. slad itself has no test clock.
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TIME_SCALE, check, now_ms, run_tests, wait_for  # noqa: E402

ZONEINFO = "/usr/share/zoneinfo"
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def shifted_zone(env, opens_s):
    """A TZDIR holding the system's zones and Test/Shifted, whose offset
    makes the local minute begin at opens_s (UTC seconds). Returns the
    local "HH:MM" of opens_s."""
    off = (-opens_s) % 60
    tzdir = os.path.join(env.dir, "zoneinfo")
    os.makedirs(tzdir)
    for name in os.listdir(ZONEINFO):
        os.symlink(os.path.join(ZONEINFO, name), os.path.join(tzdir, name))
    src = os.path.join(env.dir, "shifted.zone")
    with open(src, "w") as f:
        f.write("Zone Test/Shifted 0:00:%02d - SHF\n" % off)
    subprocess.run(["zic", "-d", tzdir, src], check=True)
    local = time.gmtime(opens_s + off)
    check(local.tm_sec == 0, "the zone's minute begins at the chosen second")
    return local.tm_hour * 60 + local.tm_min


def shifted_calendar(start_min):
    """The calendar "shifted" of Test/Shifted, working from start_min
    (local minutes of the day) for ten minutes every day."""
    end_min = min(start_min + 10, 24 * 60)
    rng = '"%02d:%02d-%02d:%02d"' % (start_min // 60, start_min % 60, end_min // 60, end_min % 60)
    hours = " ".join("%s = [ %s ];" % (d, rng) for d in DAYS)
    return """
calendars = ( { name = "shifted"; timezone = "Test/Shifted"; hours = { %s }; } );
""" % hours


def config(env, sink, start_min):
    calendars = shifted_calendar(start_min)
    policies = """
policies = (
  { name = "office-hours"; deliver = "working_hours";
    first_response = { target = "1s";
      escalate = ( { after = "0s"; notify = [ "office", "fs", "oncall" ]; } ); }; }
);
"""
    receivers = ",\n".join([
        '  { name = "office"; format = "json"; url = "%s"; calendar = "shifted"; }'
        % sink.url("/office"),
        '  { name = "fs"; format = "feishu"; url = "%s"; calendar = "shifted"; '
        'timezone = "Asia/Shanghai"; }' % sink.url("/fs"),
        '  { name = "oncall"; format = "json"; url = "%s"; }' % sink.url("/oncall"),
    ])
    env.write_config(policies=policies, receivers=receivers, extra=calendars)
    return env.enable_http()


def held_items(env):
    rc, out, err = env.slactl("deliveries", "--json")
    check(rc == 0, "slactl deliveries: %d %r" % (rc, err))
    return json.loads(out)


def metric(env, port, name):
    status, body = env.http_get(port, "/metrics")
    check(status == 200, "/metrics answers")
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_held_until_working_hours(make_env):
    env = make_env("hours")
    env.start_redis()
    sink = env.start_sink()
    # Room for two starts of slad and the checks between them: 10 s, and
    # 4 s more per unit of TIME_SCALE above 1 (a start under memcheck takes
    # a few seconds; the whole scale would wait 100 s for nothing).
    opens_s = int(time.time()) + int(10 + 4 * (TIME_SCALE - 1)) + 1
    opens_ms = opens_s * 1000
    start_min = shifted_zone(env, opens_s)
    port = config(env, sink, start_min)
    os.environ["TZDIR"] = os.path.join(env.dir, "zoneinfo")
    try:
        env.start_slad()
        env.xadd({"ticket": "H-1", "type": "ticket.opened", "channel": "chat",
                  "ts": str(now_ms() - 1000)})

        # Recorded at its time, for all three; the receiver without a
        # calendar has it at once.
        recs = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(env.escalations()), 10,
                        "three breach records")
        for r in recs:
            check(int(r["fired_ms"]) < opens_ms,
                  "fired before the working range opens (%s)" % r["fired_ms"])
        wait_for(lambda: sink.requests("/oncall"), 10, "the receiver without a calendar")

        # Held, not failing: listed with the working time, counted apart.
        d = wait_for(lambda: (lambda d: d if len(d["items"]) == 2 else None)(held_items(env)),
                     10, "only the held deliveries left")
        items = {it["receiver"]: it for it in d["items"]}
        check(set(items) == {"office", "fs"}, "held deliveries: %r" % d)
        for it in items.values():
            check(it["held_until_ms"] == opens_ms and it["next_attempt_ms"] == opens_ms,
                  "held until %d: %r" % (opens_ms, it))
            check(it["attempts"] == 0 and it["last_error"] == "", "never tried: %r" % it)
        check(d["held"] == 2 and d["retrying"] == 0, "counts: %r" % d)
        rc, out, err = env.slactl("deliveries")
        check(rc == 0 and out.count("(working hours)") == 2,
              "human listing shows the wait:\n%s" % out)
        check("2 held for working hours, 0 retrying" in out, "human summary:\n%s" % out)
        check(metric(env, port, "slad_deliveries_held") == 2, "held gauge")
        check(metric(env, port, "slad_delivery_retry_queue") == 0, "retry queue")
        _, body = env.http_get(port, "/metrics")
        attempts = [line for line in body.splitlines()
                    if line.startswith("slad_delivery_attempts_total{")
                    and 'receiver="office"' in line]
        check(all(float(line.split()[-1]) == 0 for line in attempts),
              "no attempt counted for a held delivery: %r" % attempts)

        # A restart keeps nothing of its own: the same records wait for the
        # same instant.
        check(env.stop_slad() == 0, "slad stops cleanly")
        env.start_slad()
        items = wait_for(lambda: (lambda d: d["items"] if len(d["items"]) == 2 else None)(
            held_items(env)), 10, "held again after the restart")
        check(all(it["held_until_ms"] == opens_ms for it in items), "same hold: %r" % items)
        check(time.time() * 1000 < opens_ms - 300, "still before the opening; raise the margin")

        # Nothing before the opening ...
        while time.time() * 1000 < opens_ms - 200:
            check(not sink.requests("/office") and not sink.requests("/fs"),
                  "nothing delivered before the working range opens")
            time.sleep(0.1)
        # ... and everything at it.
        wait_for(lambda: sink.requests("/office") and sink.requests("/fs"), 10,
                 "delivered once the working range opened")
        for path in ("/office", "/fs"):
            got = sink.requests(path)
            check(len(got) == 1, "one request to %s: %d" % (path, len(got)))
            check(got[0]["time_ms"] >= opens_ms, "%s not before %d: %d"
                  % (path, opens_ms, got[0]["time_ms"]))
            check(got[0]["time_ms"] < opens_ms + 5000 * TIME_SCALE, "%s at the opening" % path)
        office = sink.requests("/office")[0]["json"]
        check(office["data"]["fired_ms"] == int(recs[0]["fired_ms"]),
              "the record as written: %r" % office)
        text = sink.requests("/fs")[0]["json"]["content"]["text"]
        check("工单 H-1 的首次响应已超时" in text and "刚刚超时" not in text,
              "says how overdue it is when read:\n%s" % text)
        check("截止时间：" in text and "（UTC+08:00）" in text,
              "deadline in the receiver's zone:\n%s" % text)
        env.wait_delivered(10)
        check(held_items(env)["items"] == [], "nothing left")
    finally:
        os.environ.pop("TZDIR", None)


def test_reload_releases(make_env):
    """A reload decides again for the deliveries still held: the policy
    switched to "at_once" sends them at once."""
    env = make_env("reload")
    env.start_redis()
    sink = env.start_sink()
    # Working time is one hour, 11 to 13 hours from now: surely held.
    hour = time.gmtime(time.time() + 12 * 3600).tm_hour
    start, end = "%02d:00" % hour, "%02d:59" % hour
    hours = " ".join('%s = [ "%s-%s" ];' % (d, start, end) for d in DAYS)
    calendars = 'calendars = ( { name = "far"; timezone = "UTC"; hours = { %s }; } );' % hours
    receivers = '  { name = "office"; format = "json"; url = "%s"; calendar = "far"; }' \
        % sink.url("/office")
    policy = """
policies = (
  { name = "p"; deliver = "%s";
    first_response = { target = "1s"; escalate = ( { after = "0s"; notify = [ "office" ]; } ); }; }
);
"""
    env.write_config(policies=policy % "working_hours", receivers=receivers, extra=calendars)
    env.start_slad()
    env.xadd({"ticket": "R-1", "type": "ticket.opened", "ts": str(now_ms() - 1000)})
    d = wait_for(lambda: (lambda d: d if d["items"] and d["items"][0]["held_until_ms"] else None)(
        held_items(env)), 10, "the delivery held")
    check(d["items"][0]["held_until_ms"] > now_ms() + 11 * 3600 * 1000, "held for hours: %r" % d)
    time.sleep(0.5)
    check(not sink.requests("/office"), "nothing sent while held")
    env.write_config(policies=policy % "at_once", receivers=receivers, extra=calendars)
    env.signal_slad(signal.SIGHUP)
    wait_for(lambda: sink.requests("/office"), 10, "sent at once after the reload")
    env.wait_delivered(10)


if __name__ == "__main__":
    run_tests([test_held_until_working_hours, test_reload_releases])
