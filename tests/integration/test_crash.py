"""SIGKILL while a large backlog is consumed: every entry applied once.

The backlog opens tickets, closes a known part of them and breaches every
chat ticket at once (ts an hour ago). After a kill -9 in the middle and a
restart, the state hash holds exactly the tickets still open, no
escalation record appears twice and nothing stays pending.
"""

import collections
import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import STATE, check, now_ms, run_tests, wait_for  # noqa: E402

TICKETS = 20000
CLOSED_EVERY = 4  # every 4th ticket is closed again


def backlog():
    ts = now_ms() - 3600 * 1000
    entries, open_left = [], set()
    for i in range(TICKETS):
        t = "c%d" % i
        entries.append({"ticket": t, "type": "ticket.opened",
                        "channel": "chat" if i % 2 else "email", "ts": str(ts + i)})
        open_left.add(t)
    for i in range(TICKETS):
        t = "c%d" % i
        entries.append({"ticket": t, "type": "customer.message", "ts": str(ts + TICKETS + i)})
        if i % CLOSED_EVERY == 0:
            entries.append({"ticket": t, "type": "ticket.closed", "ts": str(ts + 2 * TICKETS + i)})
            open_left.discard(t)
    return entries, open_left


def entries_read(env):
    g = env.group_info()
    return (g or {}).get("entries-read") or 0


def test_kill_mid_stream(make_env):
    env = make_env("crash")
    env.start_redis()
    env.write_config()
    entries, open_left = backlog()
    env.xadd_many(entries)
    total = len(entries)

    kills = 0
    for fraction in (0.25, 0.6):
        env.start_slad()
        wait_for(lambda: entries_read(env) >= fraction * total, 60,
                 "%d%% of the backlog read" % (fraction * 100), interval=0.005)
        env.kill_slad()
        kills += 1
        read = entries_read(env)
        check(read < total, "killed before the end (read %d of %d)" % (read, total))
        print("killed with %d of %d entries read, %d pending" % (read, total,
                                                                 env.pending_count()))
    env.start_slad()
    env.wait_consumed(120)
    time.sleep(0.5)

    check(env.pending_count() == 0, "nothing pending")
    hlen = env.r.hlen(STATE)
    check(hlen == len(open_left), "state holds %d tickets, the events imply %d"
          % (hlen, len(open_left)))
    recs = env.escalations()
    ids = collections.Counter(e["id"] for e in recs)
    dup = [i for i, n in ids.items() if n > 1]
    check(not dup, "escalation ids recorded twice: %r" % dup[:5])
    keys = collections.Counter((e["ticket"], e["metric"], e["cycle"], e["level"]) for e in recs)
    dup = [k for k, n in keys.items() if n > 1]
    check(not dup, "(ticket, metric, cycle, level) fired twice: %r" % dup[:5])
    # Every chat ticket (odd numbers) breached its 30 s first reply once.
    chat_breached = {e["ticket"] for e in recs
                     if e["kind"] == "breach" and e["metric"] == "first_response"
                     and int(e["ticket"][1:]) % 2 == 1}
    check(len(chat_breached) == TICKETS // 2,
          "%d chat tickets breached, expected %d" % (len(chat_breached), TICKETS // 2))
    check(env.stop_slad() == 0, "slad exits 0 on SIGTERM")


def test_connections_killed_mid_stream(make_env):
    """Both Redis connections cut again and again while the backlog is consumed.

    A transaction cut in flight makes slad drop its engine, rebuild it from
    the state hash and read its pending entries again.
    """
    env = make_env("connkill")
    env.start_redis()
    env.write_config()
    entries, open_left = backlog()
    env.xadd_many(entries)
    total = len(entries)
    env.start_slad()
    cuts = 0
    while cuts < 15 and entries_read(env) < total:
        time.sleep(0.1)
        cuts += env.r.client_kill_filter(_type="normal", skipme=True)
    env.wait_consumed(120)
    time.sleep(0.5)
    check(env.slad_alive(), "slad survives its connections being cut")
    check(env.pending_count() == 0, "nothing pending")
    hlen = env.r.hlen(STATE)
    check(hlen == len(open_left), "state holds %d tickets, the events imply %d"
          % (hlen, len(open_left)))
    recs = env.escalations()
    keys = collections.Counter((e["ticket"], e["metric"], e["cycle"], e["level"]) for e in recs)
    dup = [k for k, n in keys.items() if n > 1]
    check(not dup, "(ticket, metric, cycle, level) fired twice: %r" % dup[:5])
    breached = {e["ticket"] for e in recs if e["kind"] == "breach"
                and e["metric"] == "first_response" and int(e["ticket"][1:]) % 2 == 1}
    check(len(breached) == TICKETS // 2, "%d chat tickets breached, expected %d"
          % (len(breached), TICKETS // 2))
    log = env.log()
    print("%d connections cut; engine rebuilt %d times" % (cuts, log.count("engine dropped")))
    check(env.stop_slad() == 0, "slad exits 0 on SIGTERM")


if __name__ == "__main__":
    run_tests([test_kill_mid_stream, test_connections_killed_mid_stream])
