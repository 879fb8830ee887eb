"""Customer relationship clocks through Redis, slad and a webhook receiver.

Uses the shipped norms (conf/norms.conf) with their receivers pointed at a
webhook sink. Events carry ts in the past (a VIP customer last revisited
30 days ago, a renewal 10 days ahead), so no test waits days.
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DEAD, STATE, check, now_ms, run_tests, wait_for  # noqa: E402

DAY = 86400000
NAMES = ("team_lead", "supervisor", "manager", "director")


def receivers(sink):
    return ",\n".join('  { name = "%s"; format = "json"; url = "%s"; }'
                      % (n, sink.url("/hooks/" + n)) for n in NAMES)


def customer_records(env, cid, metric=None, kind=None):
    return [e for e in env.escalations()
            if e.get("customer") == cid and "ticket" not in e
            and (metric is None or e["metric"] == metric)
            and (kind is None or e["kind"] == kind)]


def delivered(sink, cid, metric):
    out = []
    for r in sink.requests("/hooks/"):
        data = (r.get("json") or {}).get("data") or {}
        if data.get("customer") == cid and data.get("metric") == metric:
            out.append((r["path"], data))
    return out


def start(make_env, name):
    """Redis, the webhook sink as every receiver, slad on the shipped norms."""
    env = make_env(name)
    env.start_redis()
    sink = env.start_sink()
    env.write_config(receivers=receivers(sink))
    env.start_slad()
    return env, sink


def test_vip_revisit_and_reminder(make_env):
    env, sink = start(make_env, "customer")
    now = now_ms()
    # A VIP customer seen 30 days ago less 1 s: its monthly revisit is due in 1 s.
    env.xadd({"customer": "vip-1", "type": "customer.updated", "tier": "vip",
              "owner": "alice", "ts": str(now - 30 * DAY + 1000)})
    # A renewal 10 days ahead: the reminder (15 days ahead) is overdue at once.
    env.xadd({"customer": "ren-1", "type": "customer.updated", "tier": "ordinary",
              "renewal": str(now + 10 * DAY)})
    # A ticket with the same id as a customer: apart.
    env.xadd({"ticket": "vip-1", "type": "ticket.opened", "channel": "email",
              "category": "general"})

    b = wait_for(lambda: customer_records(env, "vip-1", "revisit", "breach"), 10,
                 "the VIP revisit breach")
    check(len(b) == 1, "one revisit breach, got %d" % len(b))
    check(int(b[0]["deadline_ms"]) == now - 30 * DAY + 1000 + 30 * DAY,
          "due 30 days after the last seen")
    check(b[0]["policy"] == "customer-vip" and b[0]["receiver"] == "team_lead",
          "customer-vip to team_lead, got %s to %s" % (b[0]["policy"], b[0]["receiver"]))
    check(b[0]["owner"] == "alice" and b[0]["tier"] == "vip", "the customer's attributes")
    r = wait_for(lambda: customer_records(env, "ren-1", "reminder", "breach"), 10,
                 "the renewal reminder breach")
    check(int(r[0]["deadline_ms"]) <= now - 5 * DAY,
          "the reminder was due at least 15 days before the renewal")
    # Delivered to the receiver as a customer's record.
    got = wait_for(lambda: delivered(sink, "vip-1", "revisit"), 10, "the revisit webhook")
    check(got[0][0] == "/hooks/team_lead" and "ticket" not in got[0][1],
          "posted to team_lead, naming the customer, not a ticket")
    wait_for(lambda: delivered(sink, "ren-1", "reminder"), 10, "the reminder webhook")

    # State: one field per subject, a customer's prefixed.
    fields = set(env.r.hkeys(STATE))
    check(b"\x01c:vip-1" in fields and b"vip-1" in fields and b"\x01c:ren-1" in fields,
          "customer and ticket state apart: %r" % sorted(fields))

    # Malformed customer events are dead letters with their reasons.
    env.xadd({"type": "customer.revisited", "tier": "vip"})
    env.xadd({"customer": "x", "type": "customer.updated", "contract_end": "soon"})
    dead = wait_for(lambda: len(env.stream(DEAD)) >= 2 and env.stream(DEAD), 10,
                    "two dead letters")
    reasons = sorted(f["dead.reason"] for _, f in dead)
    check(reasons == ["bad_date", "no_customer"], "reasons %r" % reasons)

    # slactl: the customer, and due/breached by kind.
    rc, out, err = env.slactl("--json", "customer", "vip-1")
    check(rc == 0, "slactl customer: %s" % err)
    d = json.loads(out)
    check(d["customer"] == "vip-1", "the customer's id")
    metrics = {c["metric"]: c for c in d["clocks"]}
    check(set(metrics) == {"revisit", "review", "survey"}, "its clocks: %r" % sorted(metrics))
    check(metrics["revisit"]["level"] >= 1, "revisit breached")
    rc, out, _ = env.slactl("--json", "breached", "--kind", "customer")
    items = json.loads(out)["items"]
    check(rc == 0 and items and all(i["kind"] == "customer" for i in items),
          "breached --kind customer lists customers only")
    check({(i["customer"], i["metric"]) for i in items} >= {("vip-1", "revisit"),
                                                            ("ren-1", "reminder")},
          "both breaches listed")
    rc, out, _ = env.slactl("--json", "due", "--kind", "ticket")
    items = json.loads(out)["items"]
    check(rc == 0 and items and all(i["kind"] == "ticket" and i["ticket"] == "vip-1"
                                    for i in items), "due --kind ticket lists the ticket")
    rc, out, _ = env.slactl("breached")
    check(rc == 0 and "customer:vip-1" in out, "the table names a customer as such")

    # The revisit done: met; the next counts from it. Survives a restart.
    env.xadd({"customer": "vip-1", "type": "customer.revisited", "satisfaction": "4"})
    env.wait_consumed(10)
    env.kill_slad()
    env.start_slad()
    rc, out, _ = env.slactl("--json", "customer", "vip-1")
    d = json.loads(out)
    rv = [c for c in d["clocks"] if c["metric"] == "revisit"][0]
    check(rv["state"] == "running" and rv["level"] == 0 and rv["cycle"] == 2,
          "a new revisit cycle after the restart: %r" % rv)
    check(rv["deadline_ms"] > now + 29 * DAY, "due a month after the revisit done")
    check(d["attrs"].get("satisfaction") == "4", "the satisfaction is kept")
    check(len(customer_records(env, "vip-1", "revisit", "breach")) == 1,
          "no breach twice across the restart")


def test_slactl_ack_customer(make_env):
    env, _ = start(make_env, "customer-ack")
    now = now_ms()
    # A renewal 10 days ahead: the reminder (15 days ahead) breaches at once.
    # A ticket with the same id stays apart.
    env.xadd({"customer": "ack-1", "type": "customer.updated", "renewal": str(now + 10 * DAY)})
    env.xadd({"ticket": "ack-1", "type": "ticket.opened", "channel": "email",
              "category": "general"})
    wait_for(lambda: customer_records(env, "ack-1", "reminder", "breach"), 10,
             "the reminder breach")

    rc, out, err = env.slactl("ack", "--kind", "customer", "ack-1", "reminder", "--by", "ann")
    check(rc == 0 and "1 clock acknowledged by ann" in out, "ack: %d %r %r" % (rc, out, err))
    env.wait_log(r"<6>control: customer 'ack-1' acknowledged by ann \(1 clock\)", 5)
    rc, out, _ = env.slactl("--json", "customer", "ack-1")
    rm = [c for c in json.loads(out)["clocks"] if c["metric"] == "reminder"][0]
    check(rm["acked"] is True and rm["acked_by"] == "ann" and rm["acked_ms"] >= now,
          "the customer's reminder acknowledged: %r" % rm)
    # Written to Redis: still acknowledged after a restart.
    env.kill_slad()
    env.start_slad()
    rc, out, _ = env.slactl("--json", "customer", "ack-1")
    rm = [c for c in json.loads(out)["clocks"] if c["metric"] == "reminder"][0]
    check(rm["acked"] is True and rm["acked_by"] == "ann", "kept across a restart: %r" % rm)

    # The ticket of the same id is another subject; a ticket's metric is not a customer's.
    rc, out, _ = env.slactl("--json", "ack", "ack-1")
    check(rc == 0 and json.loads(out)["acked"] == 0, "the ticket had nothing breached")
    rc, _, err = env.slactl("ack", "--kind", "customer", "ack-1", "first_response")
    check(rc == 1 and "unknown metric of a customer" in err and "reminder" in err,
          "a ticket's metric refused: %d %r" % (rc, err))
    rc, _, err = env.slactl("ack", "--kind", "customer", "nobody")
    check(rc == 1 and "unknown customer 'nobody'" in err, "unknown customer: %d %r" % (rc, err))
    rc, _, err = env.slactl("ack", "--kind", "team", "ack-1")
    check(rc == 2, "--kind takes ticket or customer: %d %r" % (rc, err))


if __name__ == "__main__":
    run_tests([test_vip_revisit_and_reminder, test_slactl_ack_customer])
