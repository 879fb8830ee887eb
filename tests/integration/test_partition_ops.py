"""Operating partitioned slads: due, breached, customer, status, totals.

Two slad instances (n1, n2) share partitions = 4 on one redis-server,
lease_ttl 1.5 s, with the shipped norms. Tickets and customers are
written to the input stream of their partition (FNV-1a of the id, README
"The partition of a ticket"; a customer's id is hashed the same way).

  due/breached  each instance lists the clocks of the partitions it runs
                and says which (covered, its name); the two answers
                together hold every open ticket once, and a breached
                ticket's receivers notified are named;
  customer      `slactl customer ID` answers on both instances: from the
                engine on the owner, from the state last committed on the
                other; `ack --kind customer` on the other is forwarded to the
                owner and applied there (written to the partition's state);
  ack anywhere  `slactl ack` of a breached ticket on either instance stops
                its ladder; on the instance not running its partition it is
                forwarded (an escalation.ack entry in the partition's input
                stream) and the owner applies it: state with who, no level 2,
                while a ticket not acknowledged gets its level 2;
  status        the consumer lag and firing line of each partition run
                here, and their sum with the partition most behind named;
                the unpartitioned `sla:events` is not polled (a lag planted
                there does not show); /metrics has slad_consumer_lag by
                partition;
  totals        the shutdown's totals line counts the partitions'
                transactions.
  lost mid-query  one instance owning both of 2 partitions, 200,000 tickets
                in partition 0: a `due` query is sent, slad is paused
                (SIGSTOP) while it reads partition 0, partition 1's lease
                is given to an intruder and slad continued after a lease
                pass fell due (within lease_ttl, so partition 0 stays its):
                it loses partition 1 before the query gets there: the
                answer covers partition 0 and says partition 1 was left out
                because it was lost, instead of failing or listing it.
"""

import json
import os
import re
import signal
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (check, lease_holders, now_ms, partition_key, partition_of,  # noqa: E402
                     partition_settings, run_tests, start_partitioned, wait_for)

PARTS = 4
NAMES = ("n1", "n2")
DAY = 86400000


def holders(r):
    return lease_holders(r, PARTS)


def start_two(make_env, name, http=False, policies=None):
    """(shared Env with the redis-server, [n1, n2]) with both running and
    each owning some partitions."""
    shared, nodes = start_partitioned(make_env, name, PARTS, NAMES, http=http, claim_idle=1000,
                                      policies=policies)
    wait_for(lambda: set(holders(shared.r).values()) == set(NAMES), 15,
             "both instances own partitions")
    return shared, nodes


def owned_by(r, name):
    return sorted(p for p, h in holders(r).items() if h == name)


def slactl_json(env, *args):
    rc, out, err = env.slactl("--json", *args)
    check(rc == 0, "slactl %s: %s %s" % (" ".join(args), out, err))
    return json.loads(out)


def test_due_and_breached_over_owned_partitions(make_env):
    shared, nodes = start_two(make_env, "pdue")
    r = shared.r
    now = now_ms()
    # 24 tickets opened now (due later), 8 opened a day ago (breached).
    fresh = ["due-%d" % i for i in range(24)]
    late = ["late-%d" % i for i in range(8)]
    for t in fresh:
        r.xadd(partition_key(partition_of(t, PARTS), "events"),
               {"ticket": t, "type": "ticket.opened", "channel": "chat", "ts": str(now)})
    for t in late:
        r.xadd(partition_key(partition_of(t, PARTS), "events"),
               {"ticket": t, "type": "ticket.opened", "channel": "chat", "ts": str(now - DAY)})
    check(len({partition_of(t, PARTS) for t in fresh}) == PARTS, "tickets in every partition")

    def applied():
        return (sum(r.hlen(partition_key(p, "state")) for p in range(PARTS))
                == len(fresh) + len(late))
    wait_for(applied, 15, "every ticket applied")
    for t in late:  # their breaches are written once fired
        wait_for(lambda: any(f.get(b"ticket") == t.encode() and f.get(b"kind") == b"breach"
                             for _, f in r.xrange(partition_key(partition_of(t, PARTS),
                                                                "escalations"))),
                 15, "the breach of %s" % t)

    seen_due, seen_breached, covered = [], [], []
    for e, name in zip(nodes, NAMES):
        mine = owned_by(r, name)
        d = slactl_json(e, "due", "--kind", "ticket", "--limit", "1000")
        check(d.get("instance") == name and d.get("partitions") == PARTS,
              "the answer names the instance and partition count: %r" %
              {k: d.get(k) for k in ("instance", "partitions")})
        check(d.get("covered") == mine and d.get("skipped") == [],
              "%s covers its partitions %r: %r" % (name, mine, d.get("covered")))
        covered += d["covered"]
        for it in d["items"]:
            check(it["partition"] == partition_of(it["ticket"], PARTS)
                  and it["partition"] in mine,
                  "%s lists %s of partition %d it runs" % (name, it["ticket"], it["partition"]))
        seen_due += [it["ticket"] for it in d["items"] if it["metric"] == "first_response"]
        check(d["total"] >= len(d["items"]), "total counts every partition")
        b = slactl_json(e, "breached", "--kind", "ticket")
        check(b.get("covered") == mine, "breached covers the same partitions")
        for it in b["items"]:
            check(it["partition"] in mine, "breached: only partitions run here")
            if it["metric"] == "first_response":
                seen_breached.append(it["ticket"])
                check(it["notified"], "the receivers told of %s are named" % it["ticket"])
        # The text says whose partitions these are.
        rc, out, _ = e.slactl("due")
        check(rc == 0 and re.search(r"instance %s: partitions [0-9, ]+ of %d" % (name, PARTS),
                                    out), "slactl due says which partitions: %s" % out)
    check(sorted(covered) == list(range(PARTS)), "the two cover every partition once: %r"
          % covered)
    check(sorted(seen_due) == sorted(fresh), "every fresh ticket due once over the two: %r"
          % sorted(seen_due))
    check(sorted(seen_breached) == sorted(late), "every late ticket breached once: %r"
          % sorted(seen_breached))
    for e in nodes:
        check(e.stop_slad() == 0, "slad exits 0")


def test_customer_on_any_instance(make_env):
    shared, nodes = start_two(make_env, "pcust")
    r = shared.r
    now = now_ms()
    cid = "vip-7"
    p = partition_of(cid, PARTS)
    # A VIP customer seen 30 days ago less 1 s: its monthly revisit breaches
    # in 1 s (an older ts would be refused as too far in the past).
    r.xadd(partition_key(p, "events"), {"customer": cid, "type": "customer.updated",
                                        "tier": "vip", "owner": "alice",
                                        "ts": str(now - 30 * DAY + 1000)})
    wait_for(lambda: r.hexists(partition_key(p, "state"), b"\x01c:" + cid.encode()), 10,
             "the customer's state in its partition")
    wait_for(lambda: any(f.get(b"customer") == cid.encode() and f.get(b"kind") == b"breach"
                         for _, f in r.xrange(partition_key(p, "escalations"))), 10,
             "its revisit breach")
    owner_name = holders(r)[p]
    owner = nodes[NAMES.index(owner_name)]
    other = nodes[1 - NAMES.index(owner_name)]

    for e, source in ((owner, "engine"), (other, "redis")):
        d = slactl_json(e, "customer", cid)
        check(d.get("customer") == cid and d.get("partition") == p and
              d.get("source") == source, "customer on %s: %r" % (e.name, {
                  k: d.get(k) for k in ("customer", "partition", "source")}))
        clocks = {c["metric"]: c for c in d["clocks"]}
        check(clocks.get("revisit", {}).get("level", 0) >= 1, "its revisit breached: %r"
              % clocks.get("revisit"))
        check(d["attrs"].get("owner") == "alice", "its attributes: %r" % d["attrs"])
    rc, out, _ = other.slactl("customer", cid)
    check(rc == 0 and "run by another instance" in out, "the text says where it came from: %s"
          % out)
    rc, out, err = other.slactl("customer", "nobody-here")
    check(rc != 0 and "unknown customer" in (out + err), "an unknown customer: %s %s"
          % (out, err))

    # ack on the other instance: forwarded to the partition's owner through
    # its input stream, applied there and written to the partition's state.
    rc, out, err = other.slactl("ack", "--kind", "customer", cid, "revisit", "--by", "bob")
    check(rc == 0 and ("forwarded to partition %d (owner %s)" % (p, owner_name)) in out,
          "ack elsewhere is forwarded to the owner: %s %s" % (out, err))

    def acked_on(e):
        d = slactl_json(e, "customer", cid)
        rv = {c["metric"]: c for c in d["clocks"]}["revisit"]
        return rv["acked"] and rv.get("acked_by") == "bob"
    wait_for(lambda: acked_on(other) and acked_on(owner), 10,
             "the forwarded ack in the owner's engine and the partition's state")
    rc, out, err = other.slactl("ack", "--kind", "customer", "nobody-here", "--by", "bob")
    check(rc != 0 and "unknown customer" in (out + err), "ack of an unknown customer elsewhere: "
          "%s %s" % (out, err))
    for e in nodes:
        check(e.stop_slad() == 0, "slad exits 0")


LADDER = """
policies = (
  { name = "chat";
    match = { channel = "chat"; };
    first_response = { target = "30s";
                       escalate = ( { after = "0s"; notify = [ "supervisor" ]; },
                                    { after = "4s"; notify = [ "manager" ]; } ); }; }
);
"""


def test_ack_on_any_instance(make_env):
    """slactl ack on the instance that does not run the ticket's partition
    acknowledges the breach as on the owner: the state says so (who), the
    ladder stops (no level 2), and a ticket not acknowledged goes on."""
    shared, nodes = start_two(make_env, "pack", policies=LADDER)
    r = shared.r
    hold = holders(r)
    # For each instance, a ticket of a partition it does not run (acked
    # there), one it runs (acked on the owner), and one not acknowledged.
    tickets = {}
    for i in range(400):
        t = "ack-%d" % i
        owner_name = hold[partition_of(t, PARTS)]
        for role in ("elsewhere", "owner", "ignored"):
            if (owner_name, role) not in tickets and all(v != t for v in tickets.values()):
                tickets[(owner_name, role)] = t
        if len(tickets) == 6:
            break
    check(len(tickets) == 6, "tickets in both instances' partitions: %r" % tickets)
    opened = now_ms() - 30000 + 300  # breach in 0.3 s, level 2 four seconds later
    for t in tickets.values():
        r.xadd(partition_key(partition_of(t, PARTS), "events"), {"ticket": t, "type": "ticket.opened",
                                                "channel": "chat", "ts": str(opened)})

    def records(t, level):
        return [f for _, f in r.xrange(partition_key(partition_of(t, PARTS), "escalations"))
                if f.get(b"ticket") == t.encode() and
                f.get(b"kind") in (b"breach", b"escalation") and
                int(f.get(b"level", b"0")) == level]
    wait_for(lambda: all(records(t, 1) for t in tickets.values()), 10, "every breach")
    for (owner_name, role), t in tickets.items():
        if role == "ignored":
            continue
        owner = nodes[NAMES.index(owner_name)]
        other = nodes[1 - NAMES.index(owner_name)]
        via = other if role == "elsewhere" else owner
        rc, out, err = via.slactl("ack", t, "first_response", "--by", "carol")
        if role == "elsewhere":
            check(rc == 0 and ("forwarded to partition %d (owner %s)" % (partition_of(t, PARTS),
                                                                          owner_name)) in out,
                  "ack of %s on %s forwarded: %s %s" % (t, via.name, out, err))
            d = slactl_json(via, "ack", t, "--by", "carol")
            check(d.get("forwarded") and d.get("partition") == partition_of(t, PARTS) and
                  d.get("owner") == owner_name and d.get("entry"), "--json: %r" % d)
        else:
            check(rc == 0 and "1 clock acknowledged by carol" in out,
                  "ack of %s on its owner: %s %s" % (t, out, err))

    def acked(t):
        for e in nodes:
            c = {c["metric"]: c for c in slactl_json(e, "ticket", t)["clocks"]}
            fr = c.get("first_response", {})
            if not (fr.get("acked") and fr.get("acked_by") == "carol"):
                return False
        return True
    wait_for(lambda: all(acked(t) for (_, role), t in tickets.items() if role != "ignored"), 10,
             "every acknowledgement applied, seen from both instances")
    wait_for(lambda: all(records(t, 2) for (_, role), t in tickets.items() if role == "ignored"),
             15, "level 2 of the tickets not acknowledged")
    time.sleep(0.5)
    for (_, role), t in tickets.items():
        if role != "ignored":
            check(not records(t, 2), "no level 2 after the acknowledgement of %s (%s)" % (t, role))
    for e in nodes:
        check(e.stop_slad() == 0, "slad exits 0")


def test_status_per_partition_and_totals(make_env):
    shared, nodes = start_two(make_env, "pstat", http=True)
    r = shared.r
    # A backlog in the unpartitioned stream, which no partitioned slad reads:
    # it must not show as this instance's lag.
    r.xgroup_create("sla:events", "slad", id="0", mkstream=True)
    for i in range(7):
        r.xadd("sla:events", {"ticket": "x%d" % i, "type": "ticket.opened"})
    now = now_ms()
    for i in range(20):
        t = "st-%d" % i
        r.xadd(partition_key(partition_of(t, PARTS), "events"),
               {"ticket": t, "type": "ticket.opened", "channel": "chat", "ts": str(now)})
    wait_for(lambda: sum(r.hlen(partition_key(p, "state")) for p in range(PARTS)) == 20, 15,
             "every ticket applied")

    for e, name in zip(nodes, NAMES):
        mine = owned_by(r, name)

        def polled():
            d = slactl_json(e, "status")
            owned = d["instance"]["owned"]
            # The lag is polled every few seconds: a poll taken while
            # entries were still being read says so until the next one.
            if [o["partition"] for o in owned] == mine and \
                    all(o.get("consumer", {}).get("lag") == 0 for o in owned):
                return d
            return None
        d = wait_for(polled, 10, "%s: every partition's lag polled, at 0" % name)
        for o in d["instance"]["owned"]:
            check(o["consumer"]["lag"] == 0 and o["consumer"]["pending"] == 0,
                  "partition %d read and acknowledged: %r" % (o["partition"], o["consumer"]))
            check(o["firing"]["caught_up"] is True, "partition %d fires on time: %r"
                  % (o["partition"], o["firing"]))
        check(d["consumer"]["lag"] == 0, "%s: the lag summed over its partitions, not the "
              "unpartitioned stream's 7: %r" % (name, d["consumer"]))
        check(d["consumer"].get("worst_partition") in mine, "the partition with the most lag "
              "named: %r" % d["consumer"])
        check(d["firing"]["caught_up"] is True, "firing caught up: %r" % d["firing"])
        opened = sum(o["open_tickets"] for o in d["instance"]["owned"])
        check(d["open_tickets"] == opened and
              d["running_clocks"]["first_response"] == opened,
              "%s: open tickets and running clocks summed over its partitions: %r %r"
              % (name, d["open_tickets"], d["running_clocks"]))
        rc, out, _ = e.slactl("status")
        check(rc == 0 and re.search(r"PARTITION +STATE +LEASE AGE +OPEN TICKETS +LAG", out),
              "slactl status shows each partition's lag: %s" % out)
        status, body = e.http_get(e.http_port, "/metrics")
        lags = dict(re.findall(r'^slad_consumer_lag\{partition="(\d+)"\} (\S+)$', body, re.M))
        check(sorted(int(p) for p in lags) == mine and all(float(v) == 0 for v in lags.values()),
              "%s: slad_consumer_lag by partition %r: %r" % (name, mine, lags))
        check(not re.search(r"^slad_consumer_lag \S+$", body, re.M),
              "no unlabelled slad_consumer_lag when partitioned")

    # The totals: the partitions' transactions counted.
    for e in nodes:
        check(e.stop_slad() == 0, "slad exits 0")
        m = re.search(r"totals: .* (\d+) transactions, (\d+) failed",
                      e.log(since_last_start=True))
        check(m and int(m.group(1)) > 0, "%s: the totals count the partitions' transactions: %s"
              % (e.name, m and m.group(0)))


def ctl_request(path, cmd, args):
    """Send one control request (sla_ctlproto frame); the connected socket."""
    body = json.dumps({"v": 1, "cmd": cmd, "args": args}).encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.sendall(struct.pack(">I", len(body)) + body)
    return sock


def ctl_answer(sock, timeout=30):
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    (n,) = struct.unpack(">I", data[:4])
    return json.loads(data[4:4 + n])


def test_partition_lost_while_querying(make_env):
    env = make_env("plost")
    env.start_redis()
    r = env.r
    env.write_config(claim_idle=1000, extra=partition_settings(2, "n1", "3s"))
    env.start_slad()
    wait_for(lambda: all((r.get(partition_key(p, "lease")) or b"").startswith(b"n1/")
                         for p in range(2)), 10, "n1 holds both partitions")
    now = now_ms()
    big, i, pipe = 0, 0, r.pipeline(transaction=False)
    while big < 200000:
        t = "q%d" % i
        i += 1
        if partition_of(t, 2) != 0:
            continue
        pipe.xadd(partition_key(0, "events"), {"ticket": t, "type": "ticket.opened",
                                               "channel": "chat", "ts": str(now)})
        big += 1
        if big % 5000 == 0:
            pipe.execute()
    pipe.execute()
    small = [t for t in ("s%d" % j for j in range(50)) if partition_of(t, 2) == 1][:5]
    for t in small:
        r.xadd(partition_key(1, "events"), {"ticket": t, "type": "ticket.opened",
                                            "channel": "chat", "ts": str(now)})
    wait_for(lambda: (r.hlen(partition_key(0, "state")) == 200000
                      and r.hlen(partition_key(1, "state")) == 5),
             60, "every ticket applied")
    pid = env.slad_proc.pid
    sock = ctl_request(env.control_socket(), "due", {"kind": "ticket", "limit": 10})
    time.sleep(0.003)  # the query has begun reading partition 0
    os.kill(pid, signal.SIGSTOP)
    try:
        r.set(partition_key(1, "lease"), "intruder/999999", px=60000)
        # Past a lease pass (every lease_ttl / 3), within lease_ttl: as it
        # wakes n1 renews partition 0 and finds partition 1 another's.
        time.sleep(1.3)
    finally:
        os.kill(pid, signal.SIGCONT)
    ans = ctl_answer(sock)
    check(ans.get("ok"), "the query answers: %r" % ans)
    d = ans["data"]
    check(d["covered"] == [0], "partition 0 covered: %r" % d["covered"])
    check([s["partition"] for s in d["skipped"]] == [1] and
          "lost" in d["skipped"][0]["reason"], "partition 1 left out as lost: %r"
          % d["skipped"])
    check(all(it["partition"] == 0 for it in d["items"]) and len(d["items"]) == 10 and
          d["total"] >= 200000, "the items and total of partition 0 only: %d items, total %d"
          % (len(d["items"]), d["total"]))
    env.wait_log(r"partition 1: stopped", 5, since_last_start=True)
    check(env.stop_slad() == 0, "slad exits 0")


if __name__ == "__main__":
    run_tests([test_due_and_breached_over_owned_partitions, test_customer_on_any_instance,
               test_ack_on_any_instance,
               test_status_per_partition_and_totals, test_partition_lost_while_querying])
