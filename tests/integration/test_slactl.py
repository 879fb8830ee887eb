"""slactl against a live slad and a real Redis: every command, human and --json.

Also: exit status 2 when slad is down or the command line is wrong, the
peer check of the control socket, and hostile clients (a megabyte of
garbage, a client that never speaks, malformed requests) that must not
stall other clients or the event loop.
"""

import json
import os
import pwd
import re
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
import unicodedata

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (DELIVERIES_DEAD, SLACTL, check, now_ms,  # noqa: E402
                     run_tests, wait_for)

POLICIES = """
policies = (
  { name = "gold";
    match = { tier = "gold"; };
    first_response = { target = "10m";
                       escalate = ( { after = "5m"; notify = [ "director" ]; } ); }; },
  { name = "chat";
    match = { channel = "chat"; };
    first_response = { target = "30s";
                       escalate = ( { after = "0s"; notify = [ "supervisor" ]; },
                                    { after = "%s"; notify = [ "manager" ]; } ); }; }
);
"""
TARGET_MS = 30000


def records(env, ticket, level=None):
    return [e for e in env.escalations() if e["ticket"] == ticket and
            (level is None or int(e["level"]) == level)]


def ok_json(env, *args):
    rc, out, err = env.slactl("--json", *args)
    check(rc == 0, "slactl --json %s: exit %d, stderr %r" % (" ".join(args), rc, err))
    return json.loads(out)


def ok_human(env, *args):
    rc, out, err = env.slactl(*args)
    check(rc == 0, "slactl %s: exit %d, stderr %r" % (" ".join(args), rc, err))
    return out


def display_width(text):
    """Terminal columns: East Asian Wide/Fullwidth 2, combining marks 0."""
    w = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def cell_columns(line):
    """Display columns where the cells of a table line start (cells are
    separated by two or more spaces)."""
    return [display_width(line[:m.end()]) for m in re.finditer(r" {2,}", line)]


def check_aligned(out, what, rows):
    """Every line of the table (header first, `rows` lines after it) starts
    its cells at the same display columns, and the output is valid UTF-8."""
    check("\ufffd" not in out, "%s: valid UTF-8:\n%s" % (what, out))
    lines = out.splitlines()
    table = lines[:rows + 1]
    check(len(table) == rows + 1, "%s: a header and %d rows:\n%s" % (what, rows, out))
    starts = cell_columns(table[0])
    for line in table[1:]:
        check(cell_columns(line) == starts,
              "%s: cells start at columns %r, the header's at %r:\n%s"
              % (what, cell_columns(line), starts, out))


def start(make_env, name, ladder="4s"):
    env = make_env(name)
    env.start_redis()
    env.write_config(policies=POLICIES % ladder)
    env.start_slad()
    return env


def test_status_ticket_due_breached(make_env):
    env = start(make_env, "slactl-query")
    t0 = now_ms()
    env.xadd({"ticket": "late-1", "type": "ticket.opened", "channel": "chat",
              "customer": "c-17", "ts": str(t0 - TARGET_MS - 1000)})
    env.xadd({"ticket": "soon-1", "type": "ticket.opened", "channel": "chat",
              "ts": str(t0)})
    wait_for(lambda: records(env, "late-1", 1), 10, "the breach of late-1")
    env.wait_consumed(10)

    st = ok_json(env, "status")
    check(st["state"] == "running", "state running: %r" % st["state"])
    check(st["open_tickets"] == 2, "2 open tickets: %r" % st["open_tickets"])
    check(st["running_clocks"]["first_response"] == 2, "2 first_response clocks running")
    check(st["decisions"]["breaches"] >= 1, "a breach counted")
    check(st["events"]["read"] == 2, "2 events read: %r" % st["events"])
    # the rate counts from start: 2 events in the last minute, whenever read
    wait_for(lambda: ok_json(env, "status")["events_per_second"] > 0, 5,
             "a non-zero input rate")
    check(all(l["up"] for l in st["redis"]), "every redis link up: %r" % st["redis"])
    check({l["link"] for l in st["redis"]} >= {"reader", "command"}, "links named")
    check(st["config"]["path"] == env.config, "config path %r" % st["config"]["path"])
    check(isinstance(st["uptime_ms"], int) and st["uptime_ms"] >= 0, "uptime")
    check("version" in st and "deliveries" in st and "consumer" in st, "status sections")
    # Caught up with its input: firing follows the wall clock.
    check(st["firing"]["caught_up"] is True and st["firing"]["behind_ms"] == 0,
          "firing caught up: %r" % st["firing"])
    check(abs(st["firing"]["horizon_ms"] - now_ms()) < 60000, "horizon near now: %r" % st["firing"])
    out = ok_human(env, "status")
    for word in ("slad", "config", "redis", "consumer", "tickets", "2 open", "deliveries",
                 "on time (input caught up)"):
        check(word in out, "human status mentions %r:\n%s" % (word, out))

    tk = ok_json(env, "ticket", "late-1")
    check(tk["ticket"] == "late-1" and tk["attrs"].get("customer") == "c-17",
          "ticket attributes: %r" % tk)
    fr = [c for c in tk["clocks"] if c["metric"] == "first_response"]
    check(len(fr) == 1, "a first_response clock: %r" % tk["clocks"])
    c = fr[0]
    check(c["state"] == "running" and c["policy"] == "chat", "running under chat: %r" % c)
    check(c["level"] >= 1 and c["notified"][0] == "supervisor", "breached, supervisor told: %r" % c)
    check(c["deadline_ms"] == t0 - 1000 and c["remaining_ms"] < 0, "overdue deadline: %r" % c)
    out = ok_human(env, "ticket", "late-1")
    check("first_response" in out and "overdue" in out and "supervisor" in out,
          "human ticket:\n%s" % out)
    rc, _, err = env.slactl("ticket", "nope")
    check(rc == 1 and "unknown ticket" in err, "unknown ticket: exit 1 (%d, %r)" % (rc, err))

    due = ok_json(env, "due")
    check([i["ticket"] for i in due["items"]] == ["soon-1"], "due lists soon-1: %r" % due)
    check(0 < due["items"][0]["remaining_ms"] <= TARGET_MS, "due in the future")
    check(due["items"][0]["level"] == 0, "not breached yet")
    check(ok_json(env, "due", "--within", "1s")["items"] == [], "nothing due within 1 s")
    check(len(ok_json(env, "due", "--within", "1m")["items"]) == 1, "soon-1 due within 1 m")
    out = ok_human(env, "due")
    check("soon-1" in out and "in " in out, "human due:\n%s" % out)

    br = ok_json(env, "breached")
    check([i["ticket"] for i in br["items"]] == ["late-1"], "breached lists late-1: %r" % br)
    b = br["items"][0]
    check(b["level"] >= 1 and b["metric"] == "first_response" and b["policy"] == "chat",
          "level, metric, policy: %r" % b)
    check("supervisor" in b["notified"], "notified: %r" % b)
    out = ok_human(env, "breached")
    check("late-1" in out and "supervisor" in out, "human breached:\n%s" % out)

    # Re-matched to a policy whose ladder names the director: slactl still
    # says who was told, not who that ladder would tell.
    env.xadd({"ticket": "late-1", "type": "ticket.updated", "tier": "gold"})
    env.wait_consumed(10)
    c = [c for c in ok_json(env, "ticket", "late-1")["clocks"]
         if c["metric"] == "first_response"][0]
    check(c["policy"] == "gold" and c["notified"][:1] == ["supervisor"] and
          "director" not in c["notified"], "notified as told, after a re-match: %r" % c)


def test_ack_stops_the_ladder(make_env):
    env = start(make_env, "slactl-ack", ladder="4s")
    opened = now_ms() - TARGET_MS + 300  # breach in 0.3 s, level 2 four seconds later
    for t in ("acked-1", "ignored-1"):
        env.xadd({"ticket": t, "type": "ticket.opened", "channel": "chat", "ts": str(opened)})
    wait_for(lambda: records(env, "acked-1", 1) and records(env, "ignored-1", 1), 10,
             "both breaches")
    br = ok_json(env, "breached")
    check({i["ticket"] for i in br["items"]} == {"acked-1", "ignored-1"}, "both breached")
    check(all(i["level"] == 1 for i in br["items"]), "level 1: %r" % br["items"])

    rc, out, err = env.slactl("ack", "acked-1", "first_response")
    check(rc == 0 and "1 clock acknowledged" in out, "ack: %d %r %r" % (rc, out, err))
    tk = ok_json(env, "ticket", "acked-1")
    check(tk["clocks"][0]["acked"] is True, "acked in ticket: %r" % tk["clocks"])
    check(b"acked-1" in env.r.hkeys("sla:state"), "state written")
    again = ok_json(env, "ack", "acked-1")
    check(again["acked"] == 0, "nothing left to acknowledge: %r" % again)

    login = pwd.getpwuid(os.getuid()).pw_name
    check(("by %s" % login) in out, "by the login name by default: %r" % out)
    env.wait_log(r"<6>control: ticket 'acked-1' acknowledged by %s \(1 clock\)" % re.escape(login),
                 5)
    check(again["by"] == login, "by in the answer: %r" % again)
    rc, out, err = env.slactl("ack", "ignored-1", "callback", "--by", "\u5f20\u4e09 (night shift)")
    check(rc == 0 and "0 clocks acknowledged by \u5f20\u4e09 (night shift)" in out,
          "ack --by after the arguments: %d %r %r" % (rc, out, err))
    env.wait_log(r"acknowledged by \u5f20\u4e09 \(night shift\) \(0 clocks\)", 5)
    for bad, why in (("eve\nmallory", "control character"), ("x\x1b[2J", "control character"),
                     ("\u0085x", "control character"), ("a" * 129, "longer than 128 bytes"),
                     ("\u5f20" * 43, "longer than 128 bytes")):
        rc, _, err = env.slactl("ack", "ignored-1", "--by", bad)
        check(rc == 1 and why in err, "--by %r refused: %d %r" % (bad[:20], rc, err))
    check(env.slactl("ack", "ignored-1", "callback", "--by", "\u5f20" * 42)[0] == 0,
          "126 bytes of name accepted")
    resp = raw_request(env, frame(json.dumps(
        {"v": 1, "cmd": "ack", "args": {"ticket": "ignored-1", "metric": "callback"}}).encode()))
    check(resp["ok"] and resp["data"]["by"] == "uid %d" % os.getuid(),
          "without by: the peer's uid: %r" % resp)
    resp = raw_request(env, frame(json.dumps(
        {"v": 1, "cmd": "ack", "args": {"ticket": "ignored-1", "by": 7}}).encode()))
    check(not resp["ok"] and "not a string" in resp["error"], "by not a string: %r" % resp)
    check(not records(env, "ignored-1", 2), "the refusals acknowledged nothing")

    rc, _, err = env.slactl("ack", "nope")
    check(rc == 1 and "unknown ticket" in err, "ack unknown ticket: %d %r" % (rc, err))
    rc, _, err = env.slactl("ack", "acked-1", "bogus_metric")
    check(rc == 1 and "unknown metric" in err, "ack bad metric: %d %r" % (rc, err))

    wait_for(lambda: records(env, "ignored-1", 2), 10, "level 2 of the ticket not acknowledged")
    time.sleep(0.5)
    check(not records(env, "acked-1", 2), "no level 2 after the acknowledgement")


def test_ack_kept_in_state(make_env):
    """Who acknowledged a breach and when is in the ticket's state: `slactl
    ticket` shows it, before and after slad restarts, for `slactl ack` and
    for an escalation.ack entry with `by`."""
    env = start(make_env, "slactl-ack-kept", ladder="1h")
    opened = now_ms() - TARGET_MS + 200
    for t in ("kept-1", "kept-2", "kept-3"):
        env.xadd({"ticket": t, "type": "ticket.opened", "channel": "chat", "ts": str(opened)})
    wait_for(lambda: records(env, "kept-1", 1) and records(env, "kept-2", 1), 10, "both breaches")
    before = now_ms()
    name = "\u5f20\u4e09 (night shift)"
    rc, out, err = env.slactl("ack", "kept-1", "--by", name)
    after = now_ms()
    check(rc == 0 and "1 clock acknowledged" in out, "ack: %d %r %r" % (rc, out, err))
    stream_ack = now_ms() - 5000
    env.xadd({"ticket": "kept-2", "type": "escalation.ack", "metric": "first_response",
              "by": "lead-7", "ts": str(stream_ack)})
    env.wait_consumed(10)

    for when in ("before a restart", "after a restart"):
        c = ok_json(env, "ticket", "kept-1")["clocks"][0]
        check(c["acked"] is True and c["acked_by"] == name, "who, %s: %r" % (when, c))
        check(isinstance(c["acked_ms"], int) and before <= c["acked_ms"] <= after,
              "when, %s: %r not in [%d, %d]" % (when, c, before, after))
        c = ok_json(env, "ticket", "kept-2")["clocks"][0]
        check(c["acked_by"] == "lead-7" and c["acked_ms"] == stream_ack,
              "escalation.ack's by and ts, %s: %r" % (when, c))
        out = ok_human(env, "ticket", "kept-1")
        check(name in out, "slactl ticket names who acknowledged, %s: %r" % (when, out))
        if when == "before a restart":
            env.stop_slad()
            env.start_slad()
    c = ok_json(env, "ticket", "kept-3")["clocks"][0]
    check(c["acked"] is False and c["acked_by"] is None and c["acked_ms"] is None,
          "a clock not acknowledged has no who or when: %r" % c)


def test_deliveries_and_replay(make_env):
    env = start(make_env, "slactl-deliveries")
    env.xadd({"ticket": "d-1", "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - TARGET_MS - 1000)})
    wait_for(lambda: records(env, "d-1", 1), 10, "the breach of d-1")
    # The receivers post to port 9, where nobody listens: the delivery retries.
    dl = wait_for(lambda: (lambda d: d if d["items"] else None)(ok_json(env, "deliveries")),
                  15, "the delivery to show up as waiting")
    check(dl["pending"] + dl["retrying"] + dl["in_flight"] >= 1, "counted: %r" % dl)
    item = dl["items"][0]
    check(item["receiver"] == "supervisor" and item["ticket"] == "d-1", "item: %r" % item)
    check(item["id"].startswith("esc_"), "record id: %r" % item)
    out = ok_human(env, "deliveries")
    check("supervisor" in out and "d-1" in out, "human deliveries:\n%s" % out)

    check(ok_json(env, "deliveries", "--dead")["items"] == [], "no dead deliveries yet")
    check("no dead deliveries" in ok_human(env, "deliveries", "--dead"), "human: none dead")
    record = {"id": "esc_" + "d" * 32, "kind": "breach", "ticket": "d-2",
              "metric": "first_response", "policy": "chat", "level": "1",
              "receiver": "supervisor", "deadline_ms": str(now_ms() - 1000),
              "fired_ms": str(now_ms()), "late_ms": "0", "cycle": "1", "channel": "chat"}
    dead_fields = dict(record, **{"delivery.status": "500", "delivery.error": "HTTP 500",
                                  "delivery.reason": "failed", "delivery.attempts": "9",
                                  "delivery.entry": "1-1", "delivery.group": "slad-deliver"})
    entry = env.r.xadd(DELIVERIES_DEAD, dead_fields).decode()
    other = dict(record, id="esc_" + "e" * 32, ticket="d-3")
    env.r.xadd(DELIVERIES_DEAD, dict(other, **{"delivery.reason": "failed"}))
    dead = ok_json(env, "deliveries", "--dead")
    check(dead["total"] == 2 and len(dead["items"]) == 2, "two dead: %r" % dead)
    d = dead["items"][1]
    for field in ("level", "deadline_ms", "fired_ms", "late_ms", "cycle", "delivery.status",
                  "delivery.attempts"):
        check(type(d[field]) is int and d[field] == int(dead_fields[field]),
              "%s is a JSON number: %r" % (field, d[field]))
    check(d["delivery.entry"] == "1-1" and d["ticket"] == "d-2", "strings stay strings: %r" % d)
    check(dead["items"][1]["entry"] == entry and dead["items"][1]["id"] == record["id"],
          "newest first, with entry and id: %r" % dead["items"])
    out = ok_human(env, "deliveries", "--dead")
    check(entry in out and "failed: HTTP 500" in out, "human dead list:\n%s" % out)

    before = len(env.escalations())
    rc, out, err = env.slactl("replay", entry)
    check(rc == 0 and entry in out, "replay by entry: %d %r %r" % (rc, out, err))
    outbox = env.escalations()
    check(len(outbox) == before + 1, "one record back in the outbox")
    check(outbox[-1] == record, "the original record, same id, no delivery.* fields: %r"
          % outbox[-1])
    rc, _, err = env.slactl("replay", entry)
    check(rc == 1 and "no such dead delivery" in err, "replayed once only: %d %r" % (rc, err))
    r2 = ok_json(env, "replay", other["id"])
    check(r2["outbox_entry"] and r2["dead_entry"], "replay by record id: %r" % r2)
    check(env.r.xlen(DELIVERIES_DEAD) == 0, "dead stream empty")
    check(env.escalations()[-1]["id"] == other["id"], "second record back")
    rc, _, err = env.slactl("replay")
    check(rc == 2, "replay without ID is a usage error (%d)" % rc)


SUBJECT = "\u5ba2\u6237\u6295\u8bc9\uff1a\u9000\u6b3e\u672a\u5230\u8d26\uff0c\u8bf7\u5c3d\u5feb\u5904\u7406"
TICKET_ZH = "\u5de5\u5355-\u7532\u4e59\u4e19"  # 工单-甲乙丙


def test_chinese_tickets(make_env):
    """Chinese ticket ids and subjects: tables aligned by display width,
    long text cut on a character with an ellipsis, valid UTF-8 throughout."""
    env = start(make_env, "slactl-zh", ladder="1h")
    t0 = now_ms()
    long_subject = ("\u9000\u6b3e\u95ee\u9898 refund \u3002" * 40)  # 720 columns, 920 bytes
    for ticket, ts, subject in ((TICKET_ZH, t0 - TARGET_MS - 1000, SUBJECT),
                                ("T-2", t0 - TARGET_MS - 2000, "printer"),
                                ("\u5de5\u5355-\u4e01", t0, SUBJECT),
                                ("T-3", t0, "ok"),
                                ("\u5de5\u5355-\u957f", t0, long_subject)):
        env.xadd({"ticket": ticket, "type": "ticket.opened", "channel": "chat", "ts": str(ts),
                  "subject": subject})
    wait_for(lambda: records(env, TICKET_ZH, 1) and records(env, "T-2", 1), 10, "the breaches")
    env.wait_consumed(10)

    out = ok_human(env, "due")
    check(TICKET_ZH not in out and "\u5de5\u5355-\u4e01" in out, "due:\n%s" % out)
    check_aligned(out, "due", 3)
    out = ok_human(env, "breached")
    check(TICKET_ZH in out and "T-2" in out, "breached:\n%s" % out)
    check_aligned(out, "breached", 2)

    out = ok_human(env, "ticket", TICKET_ZH)
    check(out.startswith("ticket %s\n" % TICKET_ZH), "ticket header:\n%s" % out)
    check(("subject  " + SUBJECT) in out, "the subject whole:\n%s" % out)
    clocks = out[out.index("METRIC"):]
    check_aligned(clocks, "ticket clocks", 1)

    raw = env.slactl("ticket", "\u5de5\u5355-\u957f")[1]
    check("\ufffd" not in raw, "long subject: valid UTF-8:\n%s" % raw)
    line = [l for l in raw.splitlines() if l.startswith("  subject")][0]
    value = line[line.index("  ", 2):].strip()
    check(value.endswith("\u2026") and long_subject.startswith(value[:-1]),
          "cut with an ellipsis, on a character: %r" % value)
    check(120 <= display_width(value) <= 128, "cut at 128 columns: %d" % display_width(value))
    full = ok_json(env, "ticket", "\u5de5\u5355-\u957f")["attrs"]["subject"]
    check(full == long_subject, "--json keeps the whole subject")

    # The deliveries (to port 9: retrying) list tickets in a middle column.
    dl = wait_for(lambda: (lambda d: d if {TICKET_ZH, "T-2"} <= {i["ticket"] for i in d["items"]}
                           else None)(ok_json(env, "deliveries")), 15, "both deliveries waiting")
    rows = len(dl["items"])
    out = ok_human(env, "deliveries")
    table = out[out.index("ID"):]
    check_aligned(table, "deliveries", rows)

    # ack by a Chinese name.
    rc, out, err = env.slactl("ack", TICKET_ZH, "--by", "\u5f20\u4e09")
    check(rc == 0 and out == "1 clock acknowledged by \u5f20\u4e09\n", "ack: %d %r %r" % (rc, out, err))
    env.wait_log(r"<6>control: ticket '%s' acknowledged by \u5f20\u4e09 \(1 clock\)" % TICKET_ZH, 5)

    # A refusal quoting a long Chinese argument still arrives, cut on a character.
    rc, _, err = env.slactl("ticket", "\u5de5" * 400)
    check(rc == 1 and "unknown ticket" in err and "\ufffd" not in err and err.rstrip().endswith("\u2026"),
          "long unknown ticket: %d %r" % (rc, err[:80]))
    resp = raw_request(env, frame(json.dumps({"v": 1, "cmd": "\u5de5" * 30}).encode()))
    check(resp["error"] == "unknown command '%s'" % ("\u5de5" * 21), "command cut: %r" % resp)


def test_reload(make_env):
    env = start(make_env, "slactl-reload")
    rc, out, err = env.slactl("reload")
    check(rc == 0 and "configuration reloaded" in out, "reload: %d %r %r" % (rc, out, err))
    data = ok_json(env, "reload")
    check(data["policies"] == 2 and data["config"] == env.config, "reload data: %r" % data)

    with open(env.config) as f:
        good = f.read()
    lines = good.splitlines()
    lines.insert(2, 'clocks = { ring_seconds = "often"; };')
    with open(env.config, "w") as f:
        f.write("\n".join(lines) + "\n")
    rc, out, err = env.slactl("reload")
    check(rc == 1, "broken file: exit 1 (%d)" % rc)
    check("reload refused" in err and "slad.conf:3" in err, "the reason names file:line: %r" % err)
    rc, _, err = env.slactl("--json", "reload")
    check(rc == 1 and "slad.conf:3" in err, "--json refusal on stderr: %r" % err)
    check(env.slad_alive(), "slad keeps running")
    env.wait_log(r"<3>reload refused", 5)
    with open(env.config, "w") as f:
        f.write(good)
    check(ok_json(env, "status")["state"] == "running", "still serving")


def test_usage_and_daemon_down(make_env):
    rc, out, _ = make_env("slactl-usage").slactl("--help")
    check(rc == 0 and out.startswith("usage: slactl"), "--help: %d" % rc)
    for cmd in ("status", "ticket", "due", "breached", "ack", "deliveries", "replay", "reload",
                "--json", "--socket", "--config", "Exit status"):
        check(cmd in out, "--help mentions %s" % cmd)
    env = make_env("slactl-down")
    for cmd, word in (("due", "--within"), ("deliveries", "--dead"), ("ack", "METRIC"),
                      ("status", "status"), ("replay", "ID")):
        rc, out, _ = env.slactl(cmd, "--help")
        check(rc == 0 and out.startswith("usage:") and word in out,
              "%s --help: %d %r" % (cmd, rc, out))
    for args in (("bogus",), (), ("ticket",), ("ticket", "a", "b"), ("due", "--within", "x"),
                 ("due", "--dead"), ("status", "--limit", "0")):
        rc, _, err = env.slactl(*args)
        check(rc == 2, "usage error %r: exit 2, got %d (%r)" % (args, rc, err))
    rc, _, err = env.slactl("status")
    check(rc == 2 and "cannot reach slad" in err, "no daemon: exit 2 (%d %r)" % (rc, err))

    # -c reads the socket path from the configuration.
    env.start_redis()
    env.write_config(policies=POLICIES % "4s")
    env.start_slad()
    import subprocess
    p = subprocess.run([SLACTL, "-c", env.config, "--json", "status"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=20)
    check(p.returncode == 0 and json.loads(p.stdout)["state"] == "running", "-c CONFIG works")
    bad = os.path.join(env.dir, "broken.conf")
    with open(bad, "w") as f:
        f.write("control = { socket = ; };\n")
    p = subprocess.run([SLACTL, "-c", bad, "status"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=20)
    check(p.returncode == 2 and b"broken.conf:1" in p.stderr,
          "bad CONFIG: exit 2 naming file:line (%d %r)" % (p.returncode, p.stderr))
    check(env.stop_slad() == 0, "slad stops")
    check(not os.path.exists(env.control_socket()), "socket removed on exit")
    rc, _, err = env.slactl("status")
    check(rc == 2 and "cannot reach slad" in err, "stopped daemon: exit 2 (%d %r)" % (rc, err))


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def read_response(sock, timeout=10):
    """One response frame (decoded JSON), or None when closed first."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            break
        data += chunk
        if len(data) >= 4 and len(data) >= 4 + struct.unpack(">I", data[:4])[0]:
            break
    if len(data) < 4:
        return None
    return json.loads(data[4:4 + struct.unpack(">I", data[:4])[0]])


def raw_request(env, payload):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(env.control_socket())
    s.sendall(payload)
    try:
        return read_response(s)
    finally:
        s.close()


def test_hostile_clients(make_env):
    env = start(make_env, "slactl-hostile")
    sock = env.control_socket()
    mode = os.stat(sock).st_mode
    check(stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o660, "socket mode 0660: %o" % mode)

    # Malformed requests get an error response.
    for payload, why in ((frame(b'{"v":1,"cmd":"sta'), "bad JSON"),
                         (frame(b'{"v":2,"cmd":"status"}'), "unsupported protocol version"),
                         (frame(b'{"v":1}'), "cmd"),
                         (frame(b'[]'), "not a JSON object"),
                         (struct.pack(">I", 0), "empty"),
                         (struct.pack(">I", 2 << 20) + b"x" * 100, "over the limit"),
                         (frame(b'{"v":1,"cmd":"status"}') + b"more", "after the message"),
                         (frame(b'{"v":1,"cmd":"frobnicate"}'), "unknown command")):
        resp = raw_request(env, payload)
        check(resp is not None and resp["ok"] is False and why in resp["error"],
              "%r -> error with %r, got %r" % (payload[:40], why, resp))

    # A client that never speaks, and one that pours a megabyte of garbage.
    idle = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(5)]
    for s in idle:
        s.connect(sock)
    opened_idle = time.monotonic()
    flood_done = threading.Event()

    def flood():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.settimeout(10)
        try:
            s.sendall(os.urandom(1 << 20))
        except OSError:
            pass  # dropped by slad after the header: expected
        finally:
            s.close()
            flood_done.set()
    threading.Thread(target=flood, daemon=True).start()

    # Meanwhile: status answers at once, and a breach fires on time.
    opened = now_ms() - TARGET_MS + 1500
    env.xadd({"ticket": "ontime-1", "type": "ticket.opened", "channel": "chat",
              "ts": str(opened)})
    for _ in range(5):
        t = time.monotonic()
        rc, out, err = env.slactl("--json", "status")
        check(rc == 0 and json.loads(out)["state"] == "running", "status answers: %r" % err)
        check(time.monotonic() - t < 2, "status answered within 2 s")
    b = wait_for(lambda: records(env, "ontime-1", 1), 10, "the breach of ontime-1")[0]
    late = int(b["fired_ms"]) - int(b["deadline_ms"])
    check(0 <= late <= 200, "fired %d ms after its deadline (at most 200)" % late)
    check(flood_done.wait(15), "the flooding client was dropped")

    # The silent clients are told, then dropped, after the read timeout (5 s).
    for s in idle:
        resp = read_response(s, 15)
        check(resp is not None and resp["ok"] is False and
              "no request within 5 s" in resp["error"], "an idle client is told: %r" % resp)
        check(s.recv(16) == b"", "an idle client is closed")
        s.close()
    waited = time.monotonic() - opened_idle
    check(3 <= waited <= 12, "idle clients dropped after about 5 s (%.1f s)" % waited)
    check(ok_json(env, "status")["state"] == "running", "still serving afterwards")
    check(env.slad_alive(), "slad alive")


def test_peer_check(make_env):
    env = start(make_env, "slactl-peer")
    # Open the file modes wide, so that only slad's own check stands in the way.
    path = os.path.realpath(SLACTL)
    parts = []
    while path != "/":
        parts.append(path)
        path = os.path.dirname(path)
    if not all(os.stat(p).st_mode & 0o001 for p in parts):
        print("note: %s is not reachable by other users; peer check not exercised" % SLACTL)
        return
    os.chmod(env.dir, 0o711)
    os.chmod(env.control_socket(), 0o666)
    rc, out, err = env.slactl("status", user=65534)
    check(rc == 1 and "permission denied" in err, "uid 65534 refused: %d %r %r" % (rc, out, err))
    env.wait_log(r"<5>control: .*uid 65534.* refused", 5)
    rc, _, _ = env.slactl("status")
    check(rc == 0, "root still allowed")


# Run as another uid: opens N connections to the socket, says so, then
# reports (seconds, error text) for each once slad answers or closes it.
IDLE_CLIENTS = r"""
import json, socket, struct, sys, time
path, n = sys.argv[1], int(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
print("connected", flush=True)
t0 = time.monotonic()
out = []
for s in socks:
    data = b""
    s.settimeout(max(0.1, 15 - (time.monotonic() - t0)))
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    error = json.loads(data[4:])["error"] if len(data) > 4 else None
    out.append([round(time.monotonic() - t0, 2), error])
print(json.dumps(out), flush=True)
"""


def idle_clients(env, uid, n):
    """A process of uid (group 0, the socket's) holding n idle connections."""
    p = subprocess.Popen(["setpriv", "--reuid=%d" % uid, "--regid=0", "--clear-groups",
                          sys.executable, "-c", IDLE_CLIENTS, env.control_socket(), str(n)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.stdout.readline().strip() == b"connected", "uid %d connected" % uid)
    return p


def idle_results(p):
    out, err = p.communicate(timeout=30)
    check(p.returncode == 0, "idle clients: %r" % err)
    return json.loads(out)


def root_answers_at_once(env):
    t = time.monotonic()
    rc, out, err = env.slactl("--json", "status")
    check(rc == 0 and json.loads(out)["state"] == "running", "root's status: %d %r" % (rc, err))
    check(time.monotonic() - t < 2, "root's status answered within 2 s")


def test_operator_gets_in(make_env):
    env = start(make_env, "slactl-crowd")
    os.chmod(env.dir, 0o711)
    # One uid (in the socket's group) opens 40 idle connections: it gets 8.
    p = idle_clients(env, 65534, 40)
    root_answers_at_once(env)
    got = idle_results(p)
    refused = [e for t, e in got if e and "connections to slad already" in e]
    idle = [(t, e) for t, e in got if e and "no request within 5 s" in e]
    check(len(refused) == 32 and len(idle) == 8,
          "40 connections of one uid: 32 refused, 8 told they were idle: %r" % got)
    check(all(3 <= t <= 12 for t, _ in idle), "idle clients dropped after about 5 s: %r" % idle)
    env.wait_log(r"<4>control: uid 65534 has 8 clients already", 5)

    # Five uids fill the table (32): they share it, root still gets in at once,
    # and every client that is dropped is told why.
    procs = [idle_clients(env, uid, 8) for uid in range(65530, 65535)]
    root_answers_at_once(env)
    results = [idle_results(p) for p in procs]
    for uid, got in zip(range(65530, 65535), results):
        check(all(e for _, e in got), "uid %d: every connection answered: %r" % (uid, got))
        kept = sum(1 for _, e in got if "no request within" in e)
        check(kept >= 5, "uid %d kept %d connections (a fair share of 32 is 6)" % (uid, kept))
    check(ok_json(env, "status")["state"] == "running", "still serving afterwards")


def test_socket_path(make_env):
    env = make_env("slactl-path")
    env.start_redis()
    env.write_config(policies=POLICIES % "4s")
    sock = env.control_socket()

    def refused(why):
        p = env.start_slad(wait_ready=False)
        try:
            p.wait(timeout=15)
        except Exception:
            raise AssertionError("slad did not refuse to start (%s)" % why)
        check(p.returncode == 1, "exit 1 (%s), got %s" % (why, p.returncode))
        check(why in env.log(since_last_start=True), "log says %r" % why)
        env.slad_proc = None

    with open(sock, "w") as f:
        f.write("not a socket\n")
    refused("exists and is not a socket")
    check(open(sock).read() == "not a socket\n", "the file is left alone")
    os.unlink(sock)

    live = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    live.bind(sock)
    live.listen(1)
    refused("another process is listening")
    live.close()  # the file stays behind: a stale socket

    check(stat.S_ISSOCK(os.stat(sock).st_mode), "a stale socket is left")
    env.start_slad()
    check(ok_json(env, "status")["state"] == "running", "stale socket replaced")


def test_queries_yield(make_env):
    """due and breached read every open ticket, but in slices: a question
    sent while one is being answered (here `ticket`, which needs nothing
    but the engine) is answered before it, as an alarm falling due would
    be. Read in one go, the due query (tens of ms at 200,000 tickets) held
    the loop until it was done, and everything sent meanwhile waited."""
    env = start(make_env, "slactl-slices")
    n = 200000
    t0 = now_ms()
    # Gold tickets with a 10 min target: nothing falls due during the test.
    env.xadd_many([{"ticket": "S-%06d" % i, "type": "ticket.opened", "tier": "gold",
                    "ts": str(t0 - 1000 + i % 1000)} for i in range(n)], chunk=5000)
    env.wait_consumed(60)
    due = frame(json.dumps({"v": 1, "cmd": "due", "args": {"limit": 1000}}).encode())
    ticket = frame(json.dumps({"v": 1, "cmd": "ticket", "args": {"id": "S-000001"}}).encode())
    first = []
    for trial in range(5):
        a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        a.connect(env.control_socket())
        b.connect(env.control_socket())
        a.sendall(due)
        time.sleep(0.005)
        b.sendall(ticket)
        rb = read_response(b, timeout=20)
        # Is the due answer already there? (It is, if the loop was held.)
        a.setblocking(False)
        try:
            early = len(a.recv(1, socket.MSG_PEEK)) > 0
        except BlockingIOError:
            early = False
        a.setblocking(True)
        ra = read_response(a, timeout=20)
        a.close()
        b.close()
        check(rb is not None and rb.get("ok") and rb["data"]["ticket"] == "S-000001",
              "ticket answered: %r" % (rb,))
        check(ra is not None and ra.get("ok"), "due answered: %r" % (ra,))
        res = ra["data"]
        check(res["total"] == n and len(res["items"]) == 1000,
              "due: every ticket counted, 1000 shown (%d, %d)" % (res["total"], len(res["items"])))
        deadlines = [it["deadline_ms"] for it in res["items"]]
        check(deadlines == sorted(deadlines) and deadlines[0] == t0 - 1000 + 600000,
              "due: soonest first, from the earliest deadline")
        first.append(not early)
    check(sum(first) >= 4, "the ticket question was answered before the due query it followed "
          "(%s)" % first)


if __name__ == "__main__":
    run_tests([test_status_ticket_due_breached, test_ack_stops_the_ladder, test_ack_kept_in_state,
               test_deliveries_and_replay, test_chinese_tickets, test_reload, test_usage_and_daemon_down,
               test_hostile_clients, test_peer_check, test_operator_gets_in, test_socket_path,
               test_queries_yield])
