"""What slad does not guarantee, shown as it is (README, Reliability).

- Redis MULTI/EXEC has no rollback: a command that fails inside EXEC
  (here WRONGTYPE, on a key an operator replaced with a string) does not
  undo the others. A dead letter is lost while the entry that caused it is
  acknowledged; slad logs the failed command, reloads its state and goes
  on.
- A corrupt ticket record in sla:state (anyone with access to Redis can
  write one) is skipped at load and counted, not fatal: the other tickets
  load and fire. (tests/fuzz/fuzz_record.c feeds the engine arbitrary
  records.)

And two things it does: the decision counters (slactl status, /metrics)
count what was committed, not what was attempted. A transaction that
Redis refuses as a whole (EXECABORT, here an ACL that forbids sla:dead)
is tried again and again by rebuilt engines; its decisions count once,
when it finally commits. And a ticket id reused after ticket.closed is a
new life of the ticket (its generation is the ts that opened it): its
records get new ids, not the closed ticket's.
"""

import collections
import json
import os
import sys
import time

import redis

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import check, now_ms, policies, run_tests, wait_for  # noqa: E402
from harness import DEAD, ESCALATIONS, EVENTS, STATE  # noqa: E402


def test_wrongtype_inside_exec_commits_the_rest(make_env):
    env = make_env("wrongtype")
    env.start_redis()
    env.write_config(policies=policies())
    env.start_slad()
    env.r.set(DEAD, "an operator's string")
    env.xadd({"ticket": "wt-1", "type": "no.such.type"})  # a dead letter
    env.wait_log(r"WRONGTYPE", 10)
    env.wait_consumed(10)
    check(env.pending_count() == 0, "the entry was acknowledged (XACK committed)")
    check(env.r.type(DEAD) == b"string", "the dead letter was not written")
    # slad goes on: a good entry after it is applied and recorded.
    env.xadd({"ticket": "wt-2", "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - 7000)})
    wait_for(lambda: any(e["ticket"] == "wt-2" for e in env.escalations()), 10,
             "later entries still processed")
    check(env.slad_alive(), "slad alive")
    line = [l for l in env.log().splitlines() if "WRONGTYPE" in l][0]
    print("logged: " + line)
    check(env.stop_slad() == 0, "exits 0 on SIGTERM")


def test_counters_count_commits(make_env):
    env = make_env("counters")
    env.start_redis()
    env.write_config(policies=policies())
    env.start_slad()
    # every key of slad's but sla:dead (sla:deliveries:dead stays allowed)
    env.r.execute_command("ACL", "SETUSER", "default", "resetkeys", "~sla:[^d]*", "~sla:de[^a]*")
    refused = None
    try:
        env.r.xadd(DEAD, {"x": "1"})
    except redis.exceptions.ResponseError as e:  # NoPermissionError
        refused = str(e)
    check(refused is not None and "permission" in refused.lower(),
          "the ACL refuses sla:dead: %r" % refused)
    pipe = env.r.pipeline(transaction=True)  # one batch: a dead letter and a warning due
    pipe.xadd(EVENTS, {"ticket": "ctr-bad", "type": "no.such.type"})
    pipe.xadd(EVENTS, {"ticket": "ctr-1", "type": "ticket.opened", "channel": "chat",
                       "ts": str(now_ms() - 4000)})
    pipe.execute()
    wait_for(lambda: env.log().count("engine dropped") >= 3, 20,
             "three refused transactions (EXECABORT)")
    check(not env.escalations(), "nothing recorded while refused")
    env.r.execute_command("ACL", "SETUSER", "default", "allkeys")
    wait_for(lambda: any(e["kind"] == "warning" for e in env.escalations()), 20,
             "the warning recorded once the ACL is lifted")
    env.wait_consumed(10)
    rc, out, err = env.slactl("--json", "status")
    check(rc == 0, "slactl status: %r" % err)
    warnings = json.loads(out)["decisions"]["warnings"]
    recorded = sum(1 for e in env.escalations() if e["kind"] == "warning")
    check(recorded == 1 and warnings == 1,
          "one warning recorded and counted (%d recorded, %d counted)" % (recorded, warnings))


def test_corrupt_state_skipped(make_env):
    env = make_env("corrupt")
    env.start_redis()
    env.write_config(policies=policies())
    env.start_slad()
    env.xadd({"ticket": "good", "type": "ticket.opened", "channel": "email",
              "ts": str(now_ms())})
    env.wait_consumed(10)
    time.sleep(0.3)
    check(env.stop_slad() == 0, "exits 0 on SIGTERM")
    env.r.hset(STATE, mapping={"bad-1": b"", "bad-2": b"\x01\xff\xff",
                               "bad-3": b"\x07" + bytes(range(256))})
    env.start_slad()
    env.wait_log(r"state loaded: 1 tickets \(3 corrupt records skipped\)", 10,
                 since_last_start=True)
    # the good ticket is alive: its 10 s breach fires
    wait_for(lambda: any(e["ticket"] == "good" and e["kind"] == "breach"
                         for e in env.escalations()), 15, "the good ticket's breach")
    check(env.slad_alive(), "slad alive")
    check(env.stop_slad() == 0, "exits 0 on SIGTERM")


def test_reused_ticket_id_gets_new_record_ids(make_env):
    env = make_env("reuse")
    env.start_redis()
    env.write_config(policies=policies())
    env.start_slad()
    for round_ in range(2):
        env.xadd({"ticket": "again", "type": "ticket.opened", "channel": "chat",
                  "ts": str(now_ms() - 6500)})
        wait_for(lambda: sum(e["kind"] == "breach" for e in env.escalations())
                 == 2 * (round_ + 1), 10, "breaches of round %d" % (round_ + 1))
        env.xadd({"ticket": "again", "type": "ticket.closed"})
        env.wait_consumed(10)
    time.sleep(0.3)
    ids = collections.Counter(e["id"] for _, e in env.stream(ESCALATIONS)
                              if e["kind"] == "breach")
    check(len(ids) == 4 and all(n == 1 for n in ids.values()),
          "each breach of each life of the reused ticket has an id of its own: %r"
          % dict(ids))
    check(env.stop_slad() == 0, "exits 0 on SIGTERM")


if __name__ == "__main__":
    run_tests([test_wrongtype_inside_exec_commits_the_rest, test_counters_count_commits,
               test_corrupt_state_skipped, test_reused_ticket_id_gets_new_record_ids], limit=60)
