"""Webhook delivery: ladders reach their receivers, signed, exactly as
recorded; deliveries survive receivers going away, slad being killed and
stopped; what cannot be delivered ends in sla:deliveries:dead; a rate
limit merges the overflow into digests.

Every receiver is tools/webhook_sink.py; events carry ts in the past so
targets of 30 s run out within a second.
"""

import base64
import collections
import hashlib
import hmac
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (DELIVER_GROUP, DELIVERIES_DEAD, ESCALATIONS, check,  # noqa: E402
                     now_ms, run_tests, wait_for)

TARGET_MS = 30000
SECRET = "whsec_" + base64.b64encode(b"slad delivery test key 0123456").decode()

LADDER = """
policies = (
  { name = "ladder";
    first_response = { target = "30s";
      escalate = ( { after = "0s"; notify = [ "lead" ]; },
                   { after = "2s"; notify = [ "boss" ]; },
                   { after = "5s"; notify = [ "director" ]; } ); }; }
);
"""

ONE_STEP = """
policies = (
  { name = "one";
    first_response = { target = "30s";
      escalate = ( { after = "0s"; notify = [ "lead" ]; } ); }; }
);
"""


def receivers(sink, names, secret_file=None, extra=""):
    """Receiver list text: each name posts json to sink at /hooks/<name>."""
    out = []
    for n in names:
        s = ' secret_file = "%s";' % secret_file if secret_file else ""
        out.append('  { name = "%s"; format = "json"; url = "%s";%s %s }'
                   % (n, sink.url("/hooks/" + n), s, extra))
    return ",\n".join(out)


def setup(make_env, name, policies, names=("lead", "boss", "director"), delivery="",
          sink_mode="ok", receiver_extra="", secret=False):
    env = make_env(name)
    env.start_redis()
    sink = env.start_sink(mode=sink_mode)
    secret_file = env.write_secret("hooks.secret", SECRET) if secret else None
    env.write_config(policies=policies, receivers=receivers(sink, names, secret_file,
                                                             receiver_extra),
                     extra=delivery)
    return env, sink


def open_breaching(env, ticket, margin_ms=300):
    """Open ticket so that its 30 s first_response target runs out in margin_ms."""
    env.xadd({"ticket": ticket, "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - TARGET_MS + margin_ms)})


def records(env, ticket=None):
    return [e for e in env.escalations() if ticket is None or e["ticket"] == ticket]


def check_once(env):
    recs = env.escalations()
    keys = collections.Counter((e["ticket"], e["metric"], e["cycle"], e["level"]) for e in recs)
    twice = [k for k, n in keys.items() if n > 1]
    check(not twice, "fired more than once: %r" % twice[:5])


def deliver_pending(env):
    g = env.deliver_group_info()
    return g["pending"] if g else -1


def verify_signature(req, secret):
    h = req["headers"]
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        check(name in h, "header %s present" % name)
    key = base64.b64decode(secret[len("whsec_"):])
    signed = ("%s.%s.%s" % (h["webhook-id"], h["webhook-timestamp"], req["body"])).encode()
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    sigs = [s.split(",", 1)[1] for s in h["webhook-signature"].split() if s.startswith("v1,")]
    check(want in sigs, "webhook-signature verifies with the receiver's secret")
    ts = int(h["webhook-timestamp"])
    check(abs(ts - time.time()) < 60, "webhook-timestamp is the sending time")


def bodies_data(req):
    """The decisions a json request carries (one, or every notice of a digest)."""
    j = req["json"]
    if j["type"] == "sla.digest":
        return j["data"]["notices"]
    return [j["data"]]


def test_ladder_signed_and_acked(make_env):
    env, sink = setup(make_env, "dlv-ladder", LADDER, secret=True)
    env.start_slad()
    open_breaching(env, "lad-1")
    lead = wait_for(lambda: sink.requests("/hooks/lead"), 10, "the breach at the lead")
    boss = wait_for(lambda: sink.requests("/hooks/boss"), 10, "level 2 at the boss")
    env.xadd({"ticket": "lad-1", "type": "escalation.ack", "metric": "first_response",
              "by": "boss"})
    recs = {int(e["level"]): e for e in records(env, "lad-1")}
    check(recs[1]["kind"] == "breach" and recs[1]["receiver"] == "lead", "level 1: lead")
    check(recs[2]["kind"] == "escalation" and recs[2]["receiver"] == "boss", "level 2: boss")
    gap = int(recs[2]["fired_ms"]) - int(recs[1]["fired_ms"])
    check(1800 <= gap <= 2600, "level 2 about 2 s after level 1 (%d ms)" % gap)
    for req, rec in ((lead[0], recs[1]), (boss[0], recs[2])):
        verify_signature(req, SECRET)
        check(req["headers"]["webhook-id"] == rec["id"], "webhook-id is the record id")
        data = bodies_data(req)[0]
        check(data["ticket"] == "lad-1" and int(data["level"]) == int(rec["level"]),
              "body carries the recorded decision")
    # Level 3 would fire 5 s after the deadline: the ack stops it.
    time.sleep(max(0, int(recs[1]["fired_ms"]) + 6000 - now_ms()) / 1000)
    check(not sink.requests("/hooks/director"), "the director is not told after the ack")
    check(3 not in {int(e["level"]) for e in records(env, "lad-1")}, "no level 3 recorded")
    env.wait_delivered(10)
    check(len(sink.requests("/hooks/lead")) == 1 and len(sink.requests("/hooks/boss")) == 1,
          "each notice delivered once")
    check_once(env)


def test_receiver_down_then_back(make_env):
    env, sink = setup(make_env, "dlv-down", ONE_STEP, names=("lead",),
                      delivery='delivery = { backoff_base = "200ms"; backoff_cap = "1s"; };')
    sink.stop()
    env.start_slad()
    tickets = ["down-%d" % i for i in range(5)]
    for t in tickets:
        open_breaching(env, t, margin_ms=0)
    wait_for(lambda: len(records(env)) == 5, 10, "five breaches recorded")
    env.wait_log(r"attempt \d+ failed", 10)
    time.sleep(2)
    sink.start()
    wait_for(lambda: {d["ticket"] for r in sink.requests() for d in bodies_data(r)}
             >= set(tickets), 20, "every notice delivered once the receiver is back")
    env.wait_delivered(10)
    check(not env.dead_deliveries(), "nothing dead-lettered")
    check_once(env)


def test_500_forever_goes_dead(make_env):
    env, sink = setup(make_env, "dlv-dead", ONE_STEP, names=("lead",), sink_mode="fail500",
                      delivery='delivery = { budget = "3s"; backoff_base = "200ms"; '
                               'backoff_cap = "500ms"; };')
    env.start_slad()
    open_breaching(env, "dead-1", margin_ms=0)
    dead = wait_for(env.dead_deliveries, 15, "the record in %s" % DELIVERIES_DEAD)
    rec = records(env, "dead-1")[0]
    d = dead[0]
    for k in ("id", "kind", "ticket", "metric", "policy", "level", "receiver", "deadline_ms",
              "fired_ms", "late_ms", "cycle", "channel"):
        check(d.get(k) == rec.get(k), "dead record keeps %s (%r vs %r)" % (k, d.get(k),
                                                                           rec.get(k)))
    check(d["delivery.status"] == "500", "delivery.status 500, got %r" % d["delivery.status"])
    check("simulated failure" in d["delivery.error"], "delivery.error has the response excerpt")
    attempts = int(d["delivery.attempts"])
    check(attempts >= 2, "retried before giving up (%d attempts)" % attempts)
    check(attempts == len(sink.requests()), "one request per attempt")
    check(int(d["delivery.first_ms"]) <= int(d["delivery.last_ms"]), "first <= last attempt")
    check(int(d["delivery.last_ms"]) <= int(rec["fired_ms"]) + 3000 + 500,
          "no attempt past the budget")
    ids = {r["headers"]["webhook-id"] for r in sink.requests()}
    check(ids == {rec["id"]}, "the same webhook-id on every attempt")
    env.wait_delivered(10)
    check(len(env.dead_deliveries()) == 1, "dead-lettered once")


def test_final_failure_goes_dead_at_once(make_env):
    """A 4xx other than 408/429 is final: no retry."""
    env, sink = setup(make_env, "dlv-final", ONE_STEP, names=("lead",))
    # errcode: HTTP 200 with an error code, which the feishu format reads as a rejection.
    env.write_config(policies=ONE_STEP, receivers='  { name = "lead"; format = "feishu"; '
                     'url = "%s"; }' % sink.url("/hooks/lead"))
    sink.set_mode("errcode")
    env.start_slad()
    open_breaching(env, "final-1", margin_ms=0)
    dead = wait_for(env.dead_deliveries, 10, "the rejected record dead-lettered")
    check(dead[0]["delivery.attempts"] == "1", "no retry after a rejection")
    check(len(sink.requests()) == 1, "one request")
    env.wait_delivered(10)


def test_sigkill_redelivers_same_id(make_env):
    env, sink = setup(make_env, "dlv-kill", ONE_STEP, names=("lead",), sink_mode="hang")
    env.start_slad()
    open_breaching(env, "kill-1", margin_ms=0)
    first = wait_for(lambda: sink.requests(), 10, "the first attempt (left hanging)")
    env.kill_slad()
    sink.set_mode("ok")
    sink._call("DELETE", "/requests")
    env.start_slad()
    again = wait_for(lambda: sink.requests(), 15, "the delivery after the restart")
    rec = records(env, "kill-1")
    check(len(rec) == 1, "recorded once")
    check(first[0]["headers"]["webhook-id"] == again[0]["headers"]["webhook-id"] == rec[0]["id"],
          "the same webhook-id before and after the restart")
    env.wait_delivered(10)
    check_once(env)


def test_sigterm_leaves_undelivered_pending(make_env):
    env, sink = setup(make_env, "dlv-term", ONE_STEP, names=("lead",), sink_mode="hang")
    env.start_slad()
    open_breaching(env, "term-1", margin_ms=0)
    wait_for(lambda: sink.requests(), 10, "the attempt in flight")
    started = time.monotonic()
    rc = env.stop_slad(timeout=10)
    took = time.monotonic() - started
    check(rc == 0, "slad exits 0 on SIGTERM (got %s)" % rc)
    check(took < 5, "stopped within the grace period (%.1f s)" % took)
    check(deliver_pending(env) == 1, "the undelivered record stays pending in the outbox")
    sink.set_mode("ok")
    env.start_slad()
    env.wait_delivered(15)
    check(len([r for r in sink.requests() if r["status"] == 200]) == 1, "delivered after restart")


def test_ratelimit_digest(make_env):
    env, sink = setup(make_env, "dlv-rate", ONE_STEP, names=("lead",),
                      receiver_extra="rate_per_second = 1;")
    env.start_slad()
    tickets = ["rate-%02d" % i for i in range(10)]
    env.xadd_many([{"ticket": t, "type": "ticket.opened", "channel": "chat",
                    "ts": str(now_ms() - TARGET_MS - 1000)} for t in tickets])
    got = wait_for(lambda: ({d["ticket"] for r in sink.requests() for d in bodies_data(r)}
                            >= set(tickets)) and sink.requests(), 15,
                   "every ticket delivered")
    time.sleep(1.5)
    got = sink.requests()
    check(len(got) < 10, "fewer requests than notices (%d)" % len(got))
    check(any(r["json"]["type"] == "sla.digest" for r in got), "a digest was sent")
    times = sorted(r["time_ms"] for r in got)
    check(all(b - a >= 900 for a, b in zip(times, times[1:])),
          "at most one request per second: %r" % times)
    seen = collections.Counter(d["ticket"] for r in got for d in bodies_data(r))
    check(all(seen[t] == 1 for t in tickets), "every ticket exactly once: %r" % seen)
    env.wait_delivered(10)


def test_reload_unknown_receiver(make_env):
    """A record whose receiver is removed by a reload goes to the dead stream."""
    env, sink = setup(make_env, "dlv-reload", ONE_STEP, names=("lead",),
                      delivery='delivery = { backoff_base = "5s"; backoff_cap = "5s"; };')
    sink.set_mode("fail500")
    env.start_slad()
    open_breaching(env, "gone-1", margin_ms=0)
    env.wait_log(r"attempt 1 failed", 10)
    other = ONE_STEP.replace('"lead"', '"other"')
    env.write_config(policies=other, receivers=receivers(sink, ("other",)),
                     extra='delivery = { backoff_base = "5s"; backoff_cap = "5s"; };')
    env.signal_slad(signal.SIGHUP)
    dead = wait_for(env.dead_deliveries, 10, "the record dead-lettered")
    check(dead[0]["delivery.reason"] == "unknown receiver" or
          dead[0]["delivery.error"] == "unknown receiver",
          "error 'unknown receiver', got %r / %r" % (dead[0].get("delivery.reason"),
                                                    dead[0].get("delivery.error")))
    env.wait_delivered(10)


def test_history_empty_and_unreadable(make_env):
    """Records older than the delivery group are delivered; a record for
    nobody is only acknowledged; one that is not a record is dead-lettered."""
    env, sink = setup(make_env, "dlv-history", ONE_STEP, names=("lead",))
    base = {"kind": "breach", "metric": "first_response", "policy": "one", "level": "1",
            "deadline_ms": str(now_ms() - 1000), "fired_ms": str(now_ms()), "late_ms": "0",
            "cycle": "1", "channel": "chat"}
    env.r.xadd(ESCALATIONS, dict(base, id="esc_" + "1" * 32, ticket="old-1", receiver="lead"))
    env.r.xadd(ESCALATIONS, dict(base, id="esc_" + "2" * 32, ticket="old-2", receiver=""))
    env.r.xadd(ESCALATIONS, {"id": "esc_" + "3" * 32, "ticket": "old-3", "receiver": "lead"})
    env.start_slad()
    env.wait_delivered(10)
    reqs = sink.requests()
    check([r["headers"]["webhook-id"] for r in reqs] == ["esc_" + "1" * 32],
          "only the old record for lead is sent: %r" % [r["headers"] for r in reqs])
    dead = env.dead_deliveries()
    check(len(dead) == 1 and dead[0]["ticket"] == "old-3", "the unreadable record is dead")
    check(dead[0]["delivery.reason"] == "unreadable outbox record", "reason: %r" % dead[0])
    check(dead[0]["delivery.error"] == "no kind", "error names the field: %r" % dead[0])



def test_takeover_from_renamed_consumer(make_env):
    """A record left pending by another consumer of the delivery group (a
    slad that died, or this one under an earlier name) is taken over once
    idle for stream.claim_idle, and delivered."""
    env, sink = setup(make_env, "dlv-takeover", ONE_STEP, names=("lead",))
    env.write_config(policies=ONE_STEP, receivers=receivers(sink, ("lead",)), claim_idle=1000)
    rid = "esc_" + "4" * 32
    env.r.xgroup_create(ESCALATIONS, DELIVER_GROUP, id="0", mkstream=True)
    env.r.xadd(ESCALATIONS, {"id": rid, "kind": "breach", "ticket": "orphan-1",
                             "metric": "first_response", "policy": "one", "level": "1",
                             "receiver": "lead", "deadline_ms": str(now_ms() - 1000),
                             "fired_ms": str(now_ms()), "late_ms": "0", "cycle": "1",
                             "channel": "chat"})
    env.r.xreadgroup(DELIVER_GROUP, "slad-earlier-name", {ESCALATIONS: ">"})
    check(deliver_pending(env) == 1, "the record is pending for the other consumer")
    env.start_slad()
    wait_for(lambda: [r for r in sink.requests() if r["headers"].get("webhook-id") == rid], 10,
             "the orphaned record delivered")
    env.wait_delivered(10)
    check("took over 1 pending entries" in env.log(), "the takeover is logged")


if __name__ == "__main__":
    run_tests([test_ladder_signed_and_acked, test_receiver_down_then_back,
               test_500_forever_goes_dead, test_final_failure_goes_dead_at_once,
               test_sigkill_redelivers_same_id, test_sigterm_leaves_undelivered_pending,
               test_ratelimit_digest, test_reload_unknown_receiver,
               test_history_empty_and_unreadable, test_takeover_from_renamed_consumer],
              limit=90)
