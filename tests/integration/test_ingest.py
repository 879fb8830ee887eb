"""Ingest: every entry consumed, exactly the malformed ones dead-lettered.

Also the exit codes of --check-config.
"""

import os
import random
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (DEAD, EVENTS, GROUP, SLAD, STATE, check, now_ms, run_tests,  # noqa: E402
                     wait_for)

TOTAL = 10000
MALFORMED = TOTAL // 100

# (expected reason, fields) for each kind of malformed entry.
BAD_KINDS = [
    ("no_ticket", lambda i: {"type": "ticket.opened", "channel": "email", "n": str(i)}),
    ("unknown_type", lambda i: {"ticket": "bad-%d" % i, "type": "ticket.exploded"}),
    ("bad_ts", lambda i: {"ticket": "bad-%d" % i, "type": "ticket.opened", "ts": "yesterday"}),
    # Older than stream.max_past_age (30 days) before the entry reached Redis.
    ("bad_ts", lambda i: {"ticket": "old-%d" % i, "type": "ticket.opened", "ts": "0"}),
    ("bad_due", lambda i: {"ticket": "T1", "type": "callback.scheduled",
                           "due": "1970-01-01T00:00:00Z"}),
    ("oversize", lambda i: {"ticket": "bad-%d" % i, "type": "ticket.opened",
                            "subject": "x" * 9000}),
    ("bad_satisfaction", lambda i: {"ticket": "bad-%d" % i, "type": "followup.done",
                                    "satisfaction": "9"}),
]


def test_all_consumed_and_dead_lettered(make_env):
    env = make_env("ingest")
    env.start_redis()
    env.write_config()
    rng = random.Random(42)
    base_ts = now_ms() - 60000
    entries, expected_dead = [], {}
    bad_slots = set(rng.sample(range(TOTAL), MALFORMED))
    opened = set()
    for i in range(TOTAL):
        if i in bad_slots:
            reason, make = BAD_KINDS[len(expected_dead) % len(BAD_KINDS)]
            fields = make(i)
            entries.append(fields)
            expected_dead[len(entries) - 1] = (reason, fields)
        else:
            t = "T%d" % (i % 4000)
            kind = "ticket.opened" if t not in opened else rng.choice(
                ["agent.reply", "customer.message", "agent.update"])
            opened.add(t)
            entries.append({"ticket": t, "type": kind, "channel": "email",
                            "ts": str(base_ts + i)})
    # Half before slad starts (a backlog), half while it runs.
    ids = env.xadd_many(entries[:TOTAL // 2])
    env.start_slad()
    ids += env.xadd_many(entries[TOTAL // 2:])
    env.wait_consumed(120)

    check(env.pending_count() == 0, "XPENDING count is 0")
    dead = env.stream_pairs(DEAD)
    check(len(dead) == MALFORMED, "%d dead letters, expected %d" % (len(dead), MALFORMED))
    by_id = {}
    for _, pairs in dead:
        d = dict(pairs[:3])
        check([k for k, _ in pairs[:3]] == ["dead.reason", "dead.detail", "dead.id"],
              "dead letter starts with dead.reason, dead.detail, dead.id: %r" % pairs[:3])
        rest = pairs[3:]
        note = None
        if rest and rest[0][0] == "dead.truncated":
            note, rest = rest[0][1].decode(), rest[1:]
        by_id[d["dead.id"].decode()] = (d["dead.reason"].decode(), d["dead.detail"].decode(),
                                        rest, note)
    for idx, (reason, fields) in expected_dead.items():
        eid = ids[idx].decode()
        check(eid in by_id, "entry %s (%s) dead-lettered" % (eid, reason))
        got_reason, detail, original, note = by_id[eid]
        check(got_reason == reason, "entry %s: reason %s, expected %s" % (eid, got_reason, reason))
        check(detail != "", "entry %s has a detail" % eid)
        want = [(k, v.encode()) for k, v in fields.items()]
        if reason == "oversize":
            # The 9000-byte subject is kept as its first 256 bytes, noted.
            want = [(k, v[:256]) for k, v in want]
            check(note == "cut 'subject' (9000 bytes)", "entry %s: note %r" % (eid, note))
        else:
            check(note is None, "entry %s: nothing cut, no note" % eid)
        check(original == want, "entry %s carries its original fields (excerpts)" % eid)
    check(env.r.hlen(STATE) == len(opened),
          "state holds %d tickets, expected %d" % (env.r.hlen(STATE), len(opened)))
    check(env.slad_alive(), "slad still running")
    check(env.stop_slad() == 0, "slad exits 0 on SIGTERM")
    check("<5>stopped" in env.log(), "slad logs that it stopped")


def test_check_config(make_env):
    env = make_env("checkconfig")
    good = env.write_config()
    p = subprocess.run([SLAD, "--check-config", "-c", good], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 0, "--check-config on a good file exits 0 (got %d: %s)"
          % (p.returncode, p.stderr))
    check(p.stdout.strip() == "%s: ok" % good, "prints 'FILE: ok', got %r" % p.stdout)

    bad = os.path.join(env.dir, "bad.conf")
    with open(good) as f:
        lines = f.read().splitlines()
    # A bad duration on a known line.
    lines.insert(3, 'clocks = { ring_seconds = "often"; };')
    with open(bad, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = subprocess.run([SLAD, "--check-config", "-c", bad], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 1, "--check-config on a bad file exits 1 (got %d)" % p.returncode)
    err = p.stderr.strip()
    check("bad.conf:4" in err, "the error names file and line: %r" % err)
    check(p.stdout == "", "nothing on stdout for a bad file")

    p = subprocess.run([SLAD, "--check-config", "-c", os.path.join(env.dir, "missing.conf")],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 1, "--check-config on a missing file exits 1")


def opened(prefix, n):
    ts = now_ms() - 1000
    return [{"ticket": "%s%d" % (prefix, i), "type": "ticket.opened", "channel": "email",
             "ts": str(ts)} for i in range(n)]


def test_trimmed_pending_entries(make_env):
    """Own pending entries deleted from the stream (nil fields) are acknowledged."""
    env = make_env("trimmed")
    env.start_redis()
    env.write_config()
    env.r.xgroup_create(EVENTS, GROUP, id="0", mkstream=True)
    ids = env.xadd_many(opened("gone-", 20) + opened("kept-", 20))
    # slad's consumer read them earlier and died; then 20 were deleted.
    env.r.xreadgroup(GROUP, "slad-test", {EVENTS: ">"}, count=100)
    env.r.xdel(EVENTS, *ids[:20])
    check(env.pending_count() == 40, "40 entries pending before slad starts")
    env.start_slad()
    env.wait_consumed(20)
    check(env.pending_count() == 0, "nothing pending")
    check(env.r.hlen(STATE) == 20, "the 20 entries still there were applied")
    check(env.r.xlen(DEAD) == 0, "a deleted entry is not a dead letter")
    check(env.stop_slad() == 0, "slad exits 0")
    check("20 without fields" in env.log(), "the 20 deleted entries are counted")


def test_claims_from_dead_consumer(make_env):
    """Entries left pending by another, dead consumer are taken over."""
    env = make_env("claim")
    env.start_redis()
    env.write_config(claim_idle=1000)
    env.r.xgroup_create(EVENTS, GROUP, id="0", mkstream=True)
    env.xadd_many(opened("orphan-", 30))
    env.r.xreadgroup(GROUP, "slad-dead-peer", {EVENTS: ">"}, count=100)
    check(env.pending_count() == 30, "30 entries pending for the dead peer")
    env.start_slad()
    env.xadd_many(opened("fresh-", 10))
    wait_for(lambda: env.pending_count() == 0, 15, "the orphaned entries taken over")
    check(env.r.hlen(STATE) == 40, "all 40 tickets applied, got %d" % env.r.hlen(STATE))
    check("took over 30 pending entries" in env.log(), "the takeover is logged")


def test_huge_values(make_env):
    """Values of 8 MB: each dead letter keeps an excerpt, never the value,
    and a breach due meanwhile still fires on time."""
    env = make_env("huge")
    env.start_redis()
    env.write_config()
    env.start_slad()
    # The shipped norms: a chat ticket breaches 30 s after it opens; this
    # one 300 ms from now, while the huge entries arrive and are read.
    opened_ms = now_ms() - 30000 + 150
    env.xadd({"ticket": "on-time", "type": "ticket.opened", "channel": "chat",
              "ts": str(opened_ms)})
    big = 8 << 20
    # A two-byte character straddles byte 256: the cut keeps it whole.
    value = b"x" * 255 + "\u00e9".encode() + b"y" * (big - 257)
    n = 0
    while n < 6 or (n < 24 and now_ms() < opened_ms + 30000 + 150):
        env.xadd({"ticket": "huge-%d" % n, "type": "ticket.opened", "subject": value})
        n += 1
    check(now_ms() > opened_ms + 30000, "the deadline passed while the entries were written")
    env.wait_consumed(30)

    dead = env.stream_pairs(DEAD)
    check(len(dead) == n, "%d dead letters, got %d" % (n, len(dead)))
    for _, pairs in dead:
        d = dict(pairs)
        check(d["dead.reason"] == b"oversize", "reason oversize: %r" % d["dead.reason"])
        check(d["dead.truncated"] == b"cut 'subject' (8388608 bytes)",
              "the note gives the original size: %r" % d["dead.truncated"])
        check(d["subject"] == b"x" * 255, "the excerpt ends before the split character: %r..."
              % d["subject"][-8:])
        check(d["ticket"].startswith(b"huge-"), "the ticket is kept")
    size = env.r.memory_usage(DEAD)
    check(size < n * 2048, "sla:dead holds %d bytes for %d letters of 8 MB entries" % (size, n))

    recs = wait_for(lambda: [e for e in env.escalations() if e.get("ticket") == "on-time"
                             and e.get("kind") == "breach"], 10, "the breach of on-time")
    late = int(recs[0]["fired_ms"]) - int(recs[0]["deadline_ms"])
    print("huge values: %d entries of 8 MB, sla:dead %d bytes, breach %d ms late"
          % (n, size, late))
    check(0 <= late <= 200, "the breach fired %d ms after its deadline (at most 200)" % late)
    check(env.slad_alive(), "slad still running")


if __name__ == "__main__":
    run_tests([test_check_config, test_all_consumed_and_dead_lettered,
               test_trimmed_pending_entries, test_claims_from_dead_consumer,
               test_huge_values])
