"""The Redis scripts of partition leases and fencing (lib/lua/, sla_lease.h)
against a real redis-server: a lease is taken once, renewed and released
only by its token, and a commit fenced on a lease writes nothing once the
lease is another's: an owner paused past its TTL, woken after a takeover,
cannot write a state, an outbox record or an ack. Heartbeats: the live
instances, an expired one forgotten, one that leaves gone at once.
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE_DIR, check, run_tests  # noqa: E402

import redis  # noqa: E402

LEASE, EPOCH = "sla:{p3}:lease", "sla:{p3}:lease:epoch"  # sla_keys: lease, lease_epoch
STATE, OUTBOX, EVENTS = "sla:{p3}:state", "sla:{p3}:escalations", "sla:{p3}:events"


def script(r, name):
    with open(os.path.join(SOURCE_DIR, "lib", "lua", name + ".lua"), encoding="utf-8") as f:
        return r.register_script(f.read())


def fenced_args(token, *commands):
    args = [token]
    for c in commands:
        args += [len(c)] + list(c)
    return args


def test_take_renew_release(make_env):
    env = make_env("lease")
    env.start_redis()
    r = env.r
    take, renew, release = (script(r, n) for n in ("lease_take", "lease_renew", "lease_release"))
    a = take(keys=[LEASE, EPOCH], args=["slad-a", 5000])
    check(a == b"slad-a/1", "first take: %r" % a)
    check(take(keys=[LEASE, EPOCH], args=["slad-b", 5000]) is None, "held: no second take")
    check(0 < r.pttl(LEASE) <= 5000, "TTL set: %d" % r.pttl(LEASE))
    check(renew(keys=[LEASE], args=["slad-b/1", 9000]) == 0, "renew by another token refused")
    check(renew(keys=[LEASE], args=[a, 9000]) == 1 and r.pttl(LEASE) > 5000, "renewed")
    check(release(keys=[LEASE], args=["slad-b/1"]) == 0 and r.exists(LEASE), "release by another")
    check(release(keys=[LEASE], args=[a]) == 1 and not r.exists(LEASE), "released")
    b = take(keys=[LEASE, EPOCH], args=["slad-b", 5000])
    check(b == b"slad-b/2", "the epoch grows with every take: %r" % b)
    check(release(keys=[LEASE], args=[a]) == 0 and r.get(LEASE) == b, "an old token releases nothing")


def test_fenced_commit(make_env):
    env = make_env("fence")
    env.start_redis()
    r = env.r
    take, fenced = script(r, "lease_take"), script(r, "fenced")
    r.xgroup_create(EVENTS, "slad", id="0", mkstream=True)
    e1 = r.xadd(EVENTS, {"ticket": "T-1"})
    e2 = r.xadd(EVENTS, {"ticket": "T-2"})
    r.xreadgroup("slad", "c", {EVENTS: ">"})
    keys = [LEASE, STATE, OUTBOX, EVENTS]

    a = take(keys=[LEASE, EPOCH], args=["slad-a", 5000])
    out = fenced(keys=keys, args=fenced_args(
        a, ("HSET", STATE, "T-1", "s1"), ("XADD", OUTBOX, "*", "id", "esc_1"),
        ("XACK", EVENTS, "slad", e1), ("HINCRBY", STATE, "T-1", "1")))
    check(len(out) == 4 and out[0] == 1 and out[2] == 1, "owner's commit runs: %r" % (out,))
    check(isinstance(out[3], redis.exceptions.ResponseError),
          "a failed command's error in its place, as EXEC: %r" % (out[3],))

    # A command of 4096 words (the callers' limit) runs whole.
    words = ["HSET", STATE] + ["X-%d" % (i // 2) for i in range(4094)]
    out = fenced(keys=keys, args=fenced_args(a, words))
    check(out == [2047] and r.hlen(STATE) == 1 + 2047, "4096 words: %r" % (out,))

    # The owner pauses past its TTL (cut short here, not waited for);
    # another takes the partition over.
    r.pexpire(LEASE, 20)
    time.sleep(0.1)
    b = take(keys=[LEASE, EPOCH], args=["slad-b", 5000])
    check(b == b"slad-b/2", "taken over after expiry: %r" % b)
    before = (r.hgetall(STATE), r.xlen(OUTBOX), r.xpending(EVENTS, "slad")["pending"])
    try:
        fenced(keys=keys, args=fenced_args(
            a, ("HSET", STATE, "T-2", "stale"), ("XADD", OUTBOX, "*", "id", "esc_stale"),
            ("XACK", EVENTS, "slad", e2)))
        check(False, "the woken owner's commit was not refused")
    except redis.exceptions.ResponseError as e:
        check(str(e).startswith("FENCED"), "refused as FENCED: %s" % e)
    after = (r.hgetall(STATE), r.xlen(OUTBOX), r.xpending(EVENTS, "slad")["pending"])
    check(before == after and after[2] == 1,
          "nothing written by the woken owner: %r -> %r" % (before, after))
    # Expired and not yet taken is refused too.
    r.delete(LEASE)
    try:
        fenced(keys=keys, args=fenced_args(b, ("HSET", STATE, "T-2", "x")))
        check(False, "a commit on a free partition was not refused")
    except redis.exceptions.ResponseError as e:
        check(str(e).startswith("FENCED"), "free partition refused: %s" % e)
    check(r.hget(STATE, "T-2") is None, "no state written on a free partition")


def test_instances(make_env):
    env = make_env("instances")
    env.start_redis()
    r = env.r
    beat = script(r, "instances")
    key = "sla:instances"
    check(sorted(beat(keys=[key], args=["slad-a", 5000])) == [b"slad-a"], "alone")
    check(sorted(beat(keys=[key], args=["slad-c", 200])) == [b"slad-a", b"slad-c"], "two")
    check(sorted(beat(keys=[key], args=["slad-b", 5000])) == [b"slad-a", b"slad-b", b"slad-c"],
          "three")
    time.sleep(0.3)
    check(sorted(beat(keys=[key], args=["slad-a", 5000])) == [b"slad-a", b"slad-b"],
          "slad-c's heartbeat expired")
    check(r.zscore(key, "slad-c") is None, "an expired instance is forgotten")
    check(sorted(beat(keys=[key], args=["slad-b", 0])) == [b"slad-a"], "slad-b left at once")


if __name__ == "__main__":
    run_tests([test_take_renew_release, test_fenced_commit, test_instances])
