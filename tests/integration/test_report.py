"""slactl report: outcomes counted per day in Redis, read back as a table.

A known sequence of events two days ago (ts in the past, report time zone
UTC), then the exact report, by policy and by a dimension, as a table, as
CSV and as JSON. No test waits for a deadline.
"""

import datetime
import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, run_tests  # noqa: E402

POLICIES = """
report = { timezone = "UTC"; dimensions = [ "channel", "group" ]; keep_days = 30; };
policies = (
  { name = "chat"; match = { channel = "chat"; };
    first_response = { target = "30s"; escalate = ( { notify = [ "team_lead" ]; } ); };
    resolution = { target = "1h"; escalate = ( { notify = [ "team_lead" ]; } ); };
    follow_up = { target = "1d"; escalate = ( { notify = [ "team_lead" ]; } ); };
  },
  { name = "email"; match = { channel = "email"; };
    first_response = { target = "4h"; escalate = ( { notify = [ "team_lead" ]; } ); };
  } );
"""

SEC, MIN, HOUR = 1000, 60000, 3600000


def day_base():
    """08:00 UTC two days ago, and that date."""
    d = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=2)
    base = datetime.datetime(d.year, d.month, d.day, 8, tzinfo=datetime.timezone.utc)
    return int(base.timestamp() * 1000), d.isoformat()


def events(base):
    """(offset, fields) in the order they reach the stream."""
    return [
        # c1: replied in 10 s, resolved in 20 min, followed up (CSAT 5), closed.
        (0, {"ticket": "c1", "type": "ticket.opened", "channel": "chat", "group": "a"}),
        (10 * SEC, {"ticket": "c1", "type": "agent.reply"}),
        (20 * MIN, {"ticket": "c1", "type": "ticket.resolved"}),
        (HOUR, {"ticket": "c1", "type": "followup.done", "satisfaction": "5"}),
        (2 * HOUR, {"ticket": "c1", "type": "ticket.closed"}),
        # c2: replied after 2 min (late), closed unresolved (breached).
        (0, {"ticket": "c2", "type": "ticket.opened", "channel": "chat", "group": "b"}),
        (2 * MIN, {"ticket": "c2", "type": "agent.reply"}),
        (3 * HOUR, {"ticket": "c2", "type": "ticket.closed"}),
        # e1: replied in 1 h (on time); e2 closed without a reply (stopped).
        (0, {"ticket": "e1", "type": "ticket.opened", "channel": "email", "group": "a"}),
        (HOUR, {"ticket": "e1", "type": "agent.reply"}),
        (90 * MIN, {"ticket": "e1", "type": "ticket.closed"}),
        (0, {"ticket": "e2", "type": "ticket.opened", "channel": "email", "group": "客服"}),
        (5 * MIN, {"ticket": "e2", "type": "ticket.closed"}),
    ]


def feed(env, base):
    # One MULTI, so that slad reads them in one batch: a deadline fires
    # only once the entries that reached Redis before it are applied, and
    # these all reached Redis now, long after their ts.
    pipe = env.r.pipeline(transaction=True)
    for off, fields in events(base):
        f = dict(fields)
        f["ts"] = str(base + off)
        pipe.xadd("sla:events", f)
    pipe.execute()
    env.wait_consumed(10)


def report(env, *args):
    rc, out, err = env.slactl("report", *args)
    check(rc == 0, "slactl report exits 0 (%d: %s)" % (rc, err))
    return out


def test_report_exact(make_env):
    env = make_env("report")
    env.start_redis()
    env.write_config(policies=POLICIES)
    env.start_slad()
    base, day = day_base()
    feed(env, base)
    out = report(env, "--from", day, "--to", day)
    want = (
        "%s .. %s (UTC), by policy\n"
        "METRIC          POLICY  ENDED  ON TIME  ACHIEVED  BREACHES  MEDIAN  P90     CSAT  CSAT N\n"
        "first_response  chat    2      1        50.0 %%    1         30s     2m00s   -     0\n"
        "first_response  email   2      1        100.0 %%   0         1h00m   1h00m   -     0\n"
        "resolution      chat    2      1        50.0 %%    1         30m00s  30m00s  -     0\n"
        "follow_up       chat    2      1        100.0 %%   0         1h00m   1h00m   5.00  1\n"
    ) % (day, day)
    check(out == want, "the report by policy:\n%s\nwanted:\n%s" % (out, want))

    # By a dimension, across policies; CJK values align by display width.
    out = report(env, "--from", day, "--to", day, "--by", "group", "--metric", "first_response")
    want = (
        "%s .. %s (UTC), by group\n"
        "METRIC          GROUP  ENDED  ON TIME  ACHIEVED  BREACHES  MEDIAN  P90    CSAT  CSAT N\n"
        "first_response  a      2      2        100.0 %%   0         30s     1h00m  -     0\n"
        "first_response  b      1      0        0.0 %%     1         2m00s   2m00s  -     0\n"
        "first_response  客服   1      0        -         0         -       -      -     0\n"
    ) % (day, day)
    check(out == want, "the report by group:\n%s\nwanted:\n%s" % (out, want))

    out = report(env, "--from", day, "--to", day, "--metric", "follow_up", "--csv")
    want = (
        "from,to,metric,policy,ended,met,late,stopped,breached,achievement,median_ms,p90_ms,"
        "csat_avg,csat_n\n"
        "%s,%s,follow_up,chat,2,1,0,1,0,100.0,3600000,3600000,5.00,1\n" % (day, day))
    check(out == want, "the CSV:\n%s\nwanted:\n%s" % (out, want))

    data = json.loads(report(env, "--from", day, "--to", day, "--json"))
    check(len(data["rows"]) == 4 and data["timezone"] == "UTC", "JSON rows and zone")

    # The day hash holds what the README says: counters per metric, policy
    # and dimension value, with an expiry of keep_days after the day.
    key = "%sreport:%s" % ("sla:", day)
    fields = env.r.hgetall(key)
    check(fields.get(b"first_response|chat||late") == b"1", "first_response late counted once")
    check(fields.get(b"follow_up|chat|group=a|csat_sum") == b"5", "CSAT sum by group")
    ttl = env.r.ttl(key)
    check(28 * 86400 < ttl <= 31 * 86400, "kept keep_days after the day (ttl %d)" % ttl)

    # The default range is the last 7 days and holds that day.
    out = report(env)
    check("first_response  chat" in out, "the default range holds two days ago:\n%s" % out)
    # Bad arguments are refused with a reason.
    rc, _, err = env.slactl("report", "--by", "nosuch")
    check(rc == 1 and "--by" in err, "an unknown dimension is refused (%d %s)" % (rc, err))
    rc, _, err = env.slactl("report", "--from", "2026-02-30")
    check(rc == 1 and "YYYY-MM-DD" in err, "an impossible date is refused (%d %s)" % (rc, err))


if __name__ == "__main__":
    run_tests([test_report_exact])
