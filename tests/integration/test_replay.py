"""slad --replay: a separate engine over the kept input stream, its report
beside the live one.

The live slad is fed test_report's known sequence (ts two days ago); then
slad --replay with the same configuration prints exactly the table
`slactl report` prints, for both the live and the replayed side, and with
a tighter first-reply target (10 s instead of 30 s: c1's reply at 10 s is
still on time at the deadline, and 5 s makes it late) exactly one more
breach. The replay writes nothing to Redis.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SLAD, check, run_tests  # noqa: E402
from test_report import POLICIES, day_base, events  # noqa: E402


def feed(env, base):
    """test_report's events, in one MULTI and with ids of one millisecond:
    one read of the live slad takes them all, as the replay does."""
    sec, usec = env.r.time()
    ms = int(sec) * 1000 + int(usec) // 1000
    pipe = env.r.pipeline(transaction=True)
    for seq, (off, fields) in enumerate(events(base)):
        f = dict(fields)
        f["ts"] = str(base + off)
        pipe.xadd("sla:events", f, id="%d-%d" % (ms, seq + 1))
    pipe.execute()
    env.wait_consumed(10)


def replay(env, conf, day, *more):
    p = subprocess.run([SLAD, "--replay", conf, "--from", day, "--to", day] + list(more),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check(p.returncode == 0, "slad --replay exits 0 (%d: %s)" % (p.returncode, p.stderr))
    return p.stdout.decode()


def section(out, title):
    """The text after the line `title` up to the next blank line."""
    lines = out.split("\n")
    check(title in lines, "%r in the replay's output:\n%s" % (title, out))
    rest = lines[lines.index(title) + 1:]
    return "\n".join(rest[:rest.index("")]) + "\n"


def dump(env):
    """Everything in Redis, to see that a replay changed nothing."""
    keys = sorted(env.r.keys("*"))
    out = []
    for k in keys:
        t = env.r.type(k)
        if t == b"hash":
            out.append((k, sorted(env.r.hgetall(k).items())))
        elif t == b"stream":
            out.append((k, env.r.xrange(k), env.r.xinfo_groups(k) if k.endswith(b"events")
                        else None))
        else:
            out.append((k, t))
    return out


def test_replay_matches_live(make_env):
    env = make_env("replay")
    env.start_redis()
    env.write_config(policies=POLICIES)
    env.start_slad()
    base, day = day_base()
    feed(env, base)
    rc, live, err = env.slactl("report", "--from", day, "--to", day)
    check(rc == 0, "slactl report (%s)" % err)

    before = dump(env)
    out = replay(env, env.config, day)
    check(dump(env) == before, "the replay wrote nothing to redis")
    check(out.startswith("replayed 13 entries (13 applied, 0 refused)"),
          "13 entries replayed:\n%s" % out)
    check(section(out, "live (the day hashes):") == live,
          "the live side is slactl's table:\n%s\nwanted:\n%s" % (out, live))
    replayed = section(out, "replayed with %s:" % env.config)
    check(replayed == live,
          "the replay with the live configuration is the live report:\n%s\nwanted:\n%s"
          % (replayed, live))
    check("first_response chat: the same breaches (1), achievement 50.0 % -> 50.0 %" in out,
          "no change:\n%s" % out)

    # By a dimension too (CJK value aligned the same way).
    rc, live_g, _ = env.slactl("report", "--from", day, "--to", day, "--by", "group",
                               "--metric", "first_response")
    out = replay(env, env.config, day, "--by", "group", "--metric", "first_response")
    check(section(out, "replayed with %s:" % env.config) == live_g,
          "by group, replayed as live:\n%s\nwanted:\n%s" % (out, live_g))

    # A tighter first reply for chat: 5 s instead of 30 s.
    tight = os.path.join(env.dir, "tight.conf")
    env.write_config(path=tight, policies=POLICIES.replace(
        'first_response = { target = "30s"', 'first_response = { target = "5s"'))
    out = replay(env, tight, day, "-c", env.config)
    targets = section(out, "targets (%s against %s):" % (tight, env.config))
    check(targets == "chat first_response: target 5s instead of 30s\n",
          "the target that changed is named:\n%s" % out)
    want = (
        "%s .. %s (UTC), by policy\n"
        "METRIC          POLICY  ENDED  ON TIME  ACHIEVED  BREACHES  MEDIAN  P90     CSAT  CSAT N\n"
        "first_response  chat    2      0        0.0 %%     2         30s     2m00s   -     0\n"
        "first_response  email   2      1        100.0 %%   0         1h00m   1h00m   -     0\n"
        "resolution      chat    2      1        50.0 %%    1         30m00s  30m00s  -     0\n"
        "follow_up       chat    2      1        100.0 %%   0         1h00m   1h00m   5.00  1\n"
    ) % (day, day)
    got = section(out, "replayed with %s:" % tight)
    check(got == want, "the tighter target's report:\n%s\nwanted:\n%s" % (got, want))
    check(section(out, "live (the day hashes):") == live, "the live side unchanged")
    change = section(out, "change:")
    want = ("first_response chat: 1 more breach (2 instead of 1), achievement 50.0 % -> 0.0 %\n"
            "first_response email: the same breaches (0), achievement 100.0 % -> 100.0 %\n"
            "resolution chat: the same breaches (1), achievement 50.0 % -> 50.0 %\n"
            "follow_up chat: the same breaches (0), achievement 100.0 % -> 100.0 %\n")
    check(change == want, "the change:\n%s\nwanted:\n%s" % (change, want))
    check(dump(env) == before, "still nothing written")
    if os.environ.get("SLA_SHOW_REPLAY"):
        print("$ slad --replay tight.conf --from %s --to %s -c slad.conf\n%s" % (day, day, out))

    # Bad arguments are refused before anything is read.
    p = subprocess.run([SLAD, "--replay", tight, "--from", day], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    check(p.returncode == 1 and b"--to" in p.stderr, "--to is needed (%d %s)"
          % (p.returncode, p.stderr))
    # Without -c nothing is compared.
    check("targets (" not in replay(env, tight, day), "no targets section without -c")


if __name__ == "__main__":
    run_tests([test_replay_matches_live])
