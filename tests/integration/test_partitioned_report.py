"""Reports, replay and retention with partitions > 1.

report   test_report's sequence, for six copies of its tickets (24 tickets
         over 16 partitions), fed to a single unpartitioned slad and to
         three slads sharing 16 partitions on one redis-server (each
         ticket's entries in its partition's stream, by the documented
         FNV-1a hash, with the same ids): `slactl report` on every one of
         the three prints exactly the single slad's report (the partitions'
         day hashes summed), by policy and by a dimension, and
         `slad --replay` with the three's configuration replays every
         partition's stream: its live side and its replayed side are that
         same report, as the single slad's replay is.
retention two slads sharing 4 partitions: old entries of every partition's
         input and dead streams are trimmed (each by the instance that
         holds it), the entries a group has not finished are kept.
"""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (GROUP, check, lease_holder, now_ms, partition_key,  # noqa: E402
                     partition_of, run_tests, start_partitioned, wait_for)
from test_replay import replay, section  # noqa: E402
from test_report import POLICIES, day_base, events  # noqa: E402

COPIES = 6
NAMES = ("n1", "n2", "n3")


def start_instances(make_env, name, partitions, names, extra=""):
    """(shared-redis Env, [instance Envs]) with every partition owned."""
    shared, nodes = start_partitioned(make_env, name, partitions, names, policies=POLICIES,
                                      extra=extra)

    def ready():
        for p in range(partitions):
            if lease_holder(shared.r, p) not in names:
                return False
            if not any(g["name"] == GROUP.encode()
                       for g in shared.r.xinfo_groups(partition_key(p, "events"))):
                return False
        return True
    wait_for(ready, 15, "every partition owned, its group created")
    return shared, nodes


def all_events(base):
    """(ticket, fields) of COPIES copies of test_report's tickets."""
    out = []
    for k in range(COPIES):
        for off, fields in events(base):
            f = dict(fields)
            f["ticket"] = "%s-%d" % (f["ticket"], k)
            f["ts"] = str(base + off)
            out.append(f)
    return out


def consumed(r, stream):
    g = [g for g in r.xinfo_groups(stream) if g["name"] == GROUP.encode()]
    if not g:
        return False
    last = r.xinfo_stream(stream)["last-generated-id"]
    return g[0]["last-delivered-id"] == last and g[0]["pending"] == 0


def test_report_and_replay_summed(make_env):
    partitions = 16
    ref = make_env("ref")
    ref.start_redis()
    ref.write_config(policies=POLICIES)
    ref.start_slad()
    shared, nodes = start_instances(make_env, "parts", partitions, NAMES)

    base, day = day_base()
    evs = all_events(base)
    used = {partition_of(f["ticket"], partitions) for f in evs}
    check(len(used) >= 8, "the tickets spread over many partitions (%d)" % len(used))
    # The same ids on both sides, all of one millisecond (one read each).
    sec, usec = ref.r.time()
    ms = int(sec) * 1000 + int(usec) // 1000
    pipe = ref.r.pipeline(transaction=True)
    by_part = {}
    for seq, f in enumerate(evs):
        eid = "%d-%d" % (ms, seq + 1)
        pipe.xadd("sla:events", f, id=eid)
        by_part.setdefault(partition_of(f["ticket"], partitions), []).append((eid, f))
    pipe.execute()
    for p, entries in by_part.items():
        pipe = shared.r.pipeline(transaction=True)
        for eid, f in entries:
            pipe.xadd(partition_key(p, "events"), f, id=eid)
        pipe.execute()
    ref.wait_consumed(10)
    wait_for(lambda: all(consumed(shared.r, partition_key(p, "events")) for p in by_part), 15,
             "every partition's entries consumed")

    for args in ((), ("--by", "group", "--metric", "first_response"), ("--json",)):
        rc, want, err = ref.slactl("report", "--from", day, "--to", day, *args)
        check(rc == 0, "the single slad's report (%s)" % err)
        check("no clock ended" not in want and "first_response" in want,
              "the single slad counted outcomes:\n%s" % want)
        for e in nodes:
            got = {}

            def same():
                rc, got["out"], got["err"] = e.slactl("report", "--from", day, "--to", day,
                                                      *args)
                return rc == 0 and got["out"] == want
            try:
                wait_for(same, 10, "the report of %s" % e.name)
            except Exception:
                check(False, "%s's report %s:\n%s%s\nwanted (the single slad's):\n%s"
                      % (e.name, " ".join(args), got.get("out"), got.get("err"), want))
    rc, live, _ = ref.slactl("report", "--from", day, "--to", day)
    entries = len(evs)

    # The replay of the three's configuration: every partition's stream.
    out = replay(None, nodes[0].config, day)
    check(out.startswith("replayed %d entries (%d applied, 0 refused)" % (entries, entries)),
          "every partition's entries replayed:\n%s" % out)
    check(section(out, "live (the day hashes):") == live,
          "the live side sums the partitions:\n%s\nwanted:\n%s" % (out, live))
    check(section(out, "replayed with %s:" % nodes[0].config) == live,
          "the replay of the partitions is the live report:\n%s\nwanted:\n%s" % (out, live))
    ref_out = replay(None, ref.config, day)
    check(section(ref_out, "replayed with %s:" % ref.config) == live,
          "the single slad's replay agrees:\n%s" % ref_out)
    rc, live_g, _ = ref.slactl("report", "--from", day, "--to", day, "--by", "group")
    out = replay(None, nodes[1].config, day, "--by", "group")
    check(section(out, "replayed with %s:" % nodes[1].config) == live_g,
          "by group, replayed as live:\n%s\nwanted:\n%s" % (out, live_g))


NODE = 10  # stream-node-max-entries: what `XTRIM ~` may leave of a node


def test_retention_of_partitions(make_env):
    partitions = 4
    shared, nodes = start_instances(
        make_env, "ret", partitions, NAMES[:2],
        extra='retention = { interval = "1s"; step = 1000;\n'
              '  events = { max_age = "1h"; max_count = 0; };\n'
              '  dead = { max_age = "1h"; }; };\n')
    shared.r.config_set("stream-node-max-entries", NODE)
    old = now_ms() - 2 * 3600 * 1000
    recent_dead = {}
    for p in range(partitions):
        pipe = shared.r.pipeline(transaction=False)
        for i in range(60):
            # Replies for unknown tickets: read, counted and ignored.
            pipe.xadd(partition_key(p, "events"), {"ticket": "gone", "type": "agent.reply"},
                      id="%d-%d" % (old + i, p + 1))
            pipe.xadd(partition_key(p, "dead"), {"dead.reason": "bad_ts"}, id="%d-0" % (old + i))
        pipe.execute()
        recent_dead[p] = [shared.r.xadd(partition_key(p, "dead"), {"dead.reason": "bad_ts"})
                          for _ in range(3)]
    # A reader that has not finished partition 0's input: nothing of it goes.
    shared.r.xgroup_create(partition_key(0, "events"), "audit", id="0")

    def trimmed():
        return (all(shared.r.xlen(partition_key(p, "dead")) < 3 + NODE
                    for p in range(partitions)) and
                all(shared.r.xlen(partition_key(p, "events")) < NODE
                    for p in range(1, partitions)))
    wait_for(trimmed, 20, "old entries of every partition's streams trimmed")
    for p in range(partitions):
        got = [eid for eid, _ in shared.r.xrange(partition_key(p, "dead"))][-3:]
        check(got == recent_dead[p], "the recent dead letters of partition %d kept" % p)
    check(shared.r.xlen(partition_key(0, "events")) == 60, "what a group has not read is kept")
    logs = "".join(e.log() for e in nodes)
    for p in range(partitions):
        check(("retention: trimmed" in logs) and
              ("entries of %s" % partition_key(p, "dead")) in logs,
              "partition %d's trim logged" % p)
    check(all(e.slad_alive() for e in nodes), "the instances still run")


if __name__ == "__main__":
    run_tests([test_report_and_replay_summed, test_retention_of_partitions])
