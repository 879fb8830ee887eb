"""Retention: old entries of slad's streams are trimmed, by age and by count,
but never one a consumer group has pending or has not read yet."""

import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (DEAD, DELIVERIES_DEAD, EVENTS, GROUP, check, now_ms,  # noqa: E402
                     run_tests, wait_for)

NODE = 10  # stream-node-max-entries: what `XTRIM ~` may leave of a node


def ids_of(env, key):
    return [eid for eid, _ in env.r.xrange(key)]


def test_trims_old_keeps_unfinished(make_env):
    env = make_env("retention")
    env.start_redis()
    env.r.config_set("stream-node-max-entries", NODE)
    old = now_ms() - 2 * 3600 * 1000  # two hours ago, past a 1 h max_age
    env.r.xgroup_create(EVENTS, GROUP, id="0", mkstream=True)
    old_ids = []
    pipe = env.r.pipeline(transaction=False)
    for i in range(500):
        # Replies for unknown tickets: read, counted and ignored by slad.
        pipe.xadd(EVENTS, {"ticket": "gone-%d" % i, "type": "agent.reply"},
                  id="%d-0" % (old + i))
    old_ids = [i.decode() for i in pipe.execute()]
    # Another reader of the stream: it has read the first 200 entries and
    # acknowledged the first 100, so 100..199 are pending.
    env.r.xgroup_create(EVENTS, "audit", id="0")
    got = env.r.xreadgroup("audit", "a1", {EVENTS: ">"}, count=200)
    env.r.xack(EVENTS, "audit", *[eid for eid, _ in got[0][1][:100]])
    # A third has read up to entry 300: 301.. are unread.
    env.r.xgroup_create(EVENTS, "lagging", id=old_ids[300])
    recent = [env.xadd({"ticket": "new-%d" % i, "type": "agent.reply"}).decode()
              for i in range(50)]
    # Dead letters: 200 old, 5 recent; dead deliveries: 100 recent, cap 20.
    pipe = env.r.pipeline(transaction=False)
    for i in range(200):
        pipe.xadd(DEAD, {"dead.reason": "bad_ts"}, id="%d-0" % (old + i))
    pipe.execute()
    recent_dead = [env.r.xadd(DEAD, {"dead.reason": "bad_ts"}) for _ in range(5)]
    for i in range(100):
        env.r.xadd(DELIVERIES_DEAD, {"delivery.reason": "HTTP 404", "n": str(i)})

    env.write_config(extra='retention = { interval = "1s"; step = 1000;\n'
                     '  events = { max_age = "1h"; max_count = 0; };\n'
                     '  dead = { max_age = "1h"; };\n'
                     '  deliveries_dead = { max_age = 0; max_count = 20; }; };\n')
    env.start_slad()
    env.wait_consumed(30)

    wait_for(lambda: env.r.xlen(DEAD) < 5 + NODE, 15, "old dead letters trimmed")
    check(ids_of(env, DEAD)[-5:] == recent_dead, "the recent dead letters are kept")
    wait_for(lambda: env.r.xlen(DELIVERIES_DEAD) < 20 + NODE, 15,
             "dead deliveries trimmed to about their count")
    check(env.r.xlen(DELIVERIES_DEAD) >= 20, "at least max_count dead deliveries kept")
    last = env.r.xrevrange(DELIVERIES_DEAD, count=1)[0][1]
    check(last[b"n"] == b"99", "the newest dead delivery is kept")

    # Events: only what lies below audit's oldest pending entry may go.
    wait_for(lambda: env.r.xlen(EVENTS) < 550 - 100 + NODE, 15,
             "old events below the pending ones trimmed")
    env.wait_log(r"retention: trimmed \d+ entries of sla:events", 5)
    left = [eid.decode() for eid in ids_of(env, EVENTS)]
    check(left[-450:] == old_ids[100:] + recent,
          "every entry from the oldest pending one on is kept")
    # Several more passes change nothing while audit and lagging lag.
    before = env.r.xlen(EVENTS)
    env.wait_log(r"retention: trimmed \d+ entries of sla:dead", 5)
    time.sleep(2.5)
    check(env.r.xlen(EVENTS) == before, "nothing more trimmed while groups lag")

    # Once the other readers are done, the old entries go, the recent stay.
    env.r.xack(EVENTS, "audit", *old_ids[100:200])
    for g in ("audit", "lagging"):
        while True:
            got = env.r.xreadgroup(g, "c", {EVENTS: ">"}, count=500)
            if not got or not got[0][1]:
                break
            env.r.xack(EVENTS, g, *[eid for eid, _ in got[0][1]])
    wait_for(lambda: env.r.xlen(EVENTS) < 50 + NODE, 15, "all old events trimmed")
    left = [eid.decode() for eid in ids_of(env, EVENTS)]
    check(left[-50:] == recent, "the recent events are kept")
    check(env.pending_count() == 0, "slad's group has nothing pending")
    check(env.slad_alive(), "slad still running")


if __name__ == "__main__":
    run_tests([test_trims_old_keeps_unfinished])
