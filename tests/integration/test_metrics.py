"""/metrics and /healthz of a live slad with a real Redis.

The exposition must pass `promtool check metrics`, every family must have
HELP and TYPE, and the counters must move as events flow: events ingested
by type, dead letters by reason, breaches by metric and policy, the
lateness histogram. /healthz is 200 while Redis is up and 503 (with the
reason) once it is gone.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, now_ms, run_tests, wait_for  # noqa: E402

POLICIES = """
policies = (
  { name = "chat-vip";
    match = { channel = "chat"; tier = "vip"; };
    first_response = { target = "30s";
                       escalate = ( { after = "0s"; notify = [ "supervisor" ]; } ); }; },
  { name = "chat";
    match = { channel = "chat"; };
    first_response = { target = "30s";
                       escalate = ( { after = "0s"; notify = [ "supervisor" ]; } ); }; },
  { name = "gold";
    match = { tier = "gold"; };
    first_response = { target = "1h";
                       escalate = ( { after = "0s"; notify = [ "supervisor" ]; } ); }; }
);
"""

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def parse(text):
    """{(name, frozenset(labels)): value}, plus the families with HELP and TYPE."""
    samples, helps, types = {}, set(), {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helps.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            types[name] = kind
        elif line and not line.startswith("#"):
            m = SAMPLE.match(line)
            check(m is not None, "unparsable sample line %r" % line)
            labels = frozenset((k, unescape(v)) for k, v in LABEL.findall(m.group(3) or ""))
            samples[(m.group(1), labels)] = float(m.group(4))
    return samples, helps, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(env, port):
    status, body = env.http_get(port, "/metrics")
    check(status == 200, "/metrics answers 200, got %d" % status)
    return body


def promtool_check(env, body):
    promtool = shutil.which("promtool")
    check(promtool is not None, "promtool not found (tools/deps.sh installs prometheus)")
    p = subprocess.run([promtool, "check", "metrics"], input=body.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    check(p.returncode == 0, "promtool check metrics failed:\n%s" % p.stdout.decode())


def test_metrics_move(make_env):
    env = make_env("metrics")
    env.start_redis()
    env.write_config(policies=POLICIES)
    port = env.enable_http()
    env.start_slad()
    body = scrape(env, port)
    promtool_check(env, body)
    before, helps, types = parse(body)
    for name, kind in (("slad_up", "gauge"), ("slad_build_info", "gauge"),
                       ("process_start_time_seconds", "gauge"),
                       ("slad_events_ingested_total", "counter"),
                       ("slad_events_dead_total", "counter"),
                       ("slad_events_duplicate_total", "counter"),
                       ("slad_events_unknown_ticket_total", "counter"),
                       ("slad_open_tickets", "gauge"), ("slad_running_clocks", "gauge"),
                       ("slad_warnings_total", "counter"), ("slad_breaches_total", "counter"),
                       ("slad_escalations_total", "counter"),
                       ("slad_cycles_ended_total", "counter"),
                       ("slad_firing_lateness_seconds", "histogram"),
                       ("slad_deliveries_total", "counter"),
                       ("slad_delivery_attempts_total", "counter"),
                       ("slad_delivery_latency_seconds", "histogram"),
                       ("slad_config_last_reload_successful", "gauge"),
                       ("slad_config_last_reload_success_timestamp_seconds", "gauge"),
                       ("process_cpu_seconds_total", "counter"),
                       ("process_resident_memory_bytes", "gauge"),
                       ("process_virtual_memory_bytes", "gauge"),
                       ("process_open_fds", "gauge"), ("process_max_fds", "gauge"),
                       ("slad_delivery_retry_queue", "gauge"),
                       ("slad_redis_reconnects_total", "counter"),
                       ("slad_consumer_lag", "gauge")):
        check(types.get(name) == kind, "%s has TYPE %s (got %r)" % (name, kind, types.get(name)))
        check(name in helps, "%s has HELP" % name)
    for (name, _), _ in before.items():
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in types or base in types, "sample %s belongs to a typed family" % name)
    check(value(before, "slad_up") == 1, "slad_up 1")
    from harness import SLAD
    version = subprocess.run([SLAD, "--version"], stdout=subprocess.PIPE).stdout.split()[1]
    check(value(before, "slad_build_info", version=version.decode()) == 1, "build info version")
    check(value(before, "slad_open_tickets") == 0, "no tickets yet")
    check_process(env, before)

    late_ts = str(now_ms() - 31000)
    for i in range(3):
        env.xadd({"ticket": "m-%d" % i, "type": "ticket.opened", "channel": "chat",
                  "ts": late_ts})
    env.xadd({"ticket": "vip-1", "type": "ticket.opened", "channel": "chat", "tier": "vip",
              "ts": late_ts})
    env.xadd({"ticket": "m-0", "type": "agent.reply"})
    # A channel no label should carry (producers' data): counted as "other".
    env.xadd({"ticket": "g-1", "type": "ticket.opened", "tier": "gold",
              "channel": "Web<Chat> \u5de5\u5355", "ts": late_ts})
    env.xadd({"ticket": "g-1", "type": "ticket.closed"})
    env.xadd({"ticket": "ghost", "type": "agent.reply"})
    env.xadd({"ticket": "m-1", "type": "no.such.type"})
    env.xadd({"type": "ticket.opened"})
    env.wait_consumed(10)

    def moved():
        s, _, _ = parse(scrape(env, port))
        return s if value(s, "slad_breaches_total", metric="first_response",
                          policy="chat") >= 3 else None
    after = wait_for(moved, 10, "breaches to be counted")
    body = scrape(env, port)
    promtool_check(env, body)
    after, _, _ = parse(body)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)
    check(delta("slad_events_ingested_total", type="ticket.opened") == 5, "5 opened counted")
    check(delta("slad_events_ingested_total", type="agent.reply") == 2, "2 replies counted")
    check(delta("slad_events_dead_total", reason="unknown_type") == 1, "unknown_type dead")
    check(delta("slad_events_dead_total", reason="no_ticket") == 1, "no_ticket dead")
    check(delta("slad_events_unknown_ticket_total") == 1, "the ghost ticket counted")
    check(delta("slad_events_read_total") == 10, "10 entries read")
    check(value(after, "slad_breaches_total", metric="first_response", policy="chat") == 3,
          "3 breaches under chat")
    check(value(after, "slad_breaches_total", metric="first_response", policy="chat-vip") == 1,
          "1 breach under chat-vip")
    check(value(after, "slad_cycles_ended_total", metric="first_response", policy="chat",
                channel="chat", outcome="late") == 1,
          "m-0's reply after its breach: one cycle ended late, on channel chat")
    check(value(after, "slad_cycles_ended_total", metric="first_response", policy="chat",
                channel="chat", outcome="met") == 0, "no cycle met on time")
    check(value(after, "slad_cycles_ended_total", metric="first_response", policy="gold",
                channel="other", outcome="stopped") == 1,
          "g-1 closed unmet, its odd channel counted as other")
    check(not any("Web" in dict(labels).get("channel", "") for (name, labels) in after),
          "no label carries the ticket's channel text")
    check(value(after, "slad_open_tickets") == 4, "4 open tickets")
    check(value(after, "slad_running_clocks", metric="first_response") == 3,
          "3 first_response clocks still running (one was met)")
    count = value(after, "slad_firing_lateness_seconds_count")
    check(count >= 4, "lateness observed for every decision (%s)" % count)
    check(value(after, "slad_firing_lateness_seconds_bucket", le="+Inf") == count, "+Inf = count")
    check(value(after, "slad_firing_lateness_seconds_bucket", le="0.5") == 0,
          "they fired about 1 s late, none within 0.5 s")
    check(value(after, "slad_firing_lateness_seconds_bucket", le="5") == count,
          "all within 5 s")
    check(value(after, "slad_redis_up", link="command") == 1, "command link up")
    wait_for(lambda: value(parse(scrape(env, port))[0], "slad_consumer_lag") == 0 and
             ("slad_consumer_lag", frozenset()) in parse(scrape(env, port))[0], 10,
             "the consumer lag to be polled")

    status, body = env.http_get(port, "/healthz")
    check(status == 200 and body.strip() == "ok", "/healthz 200 ok: %d %r" % (status, body))
    status, _ = env.http_get(port, "/nope")
    check(status == 404, "404 elsewhere, got %d" % status)

    env.stop_redis()

    wait_redis_unhealthy(env, port, 10, "without redis")
    check(env.slad_alive(), "slad keeps running without redis")


def check_process(env, s):
    """process_* describe slad itself (the figures /proc gives for its pid)."""
    pid = env.slad_proc.pid
    rss = value(s, "process_resident_memory_bytes")
    check(1 << 20 < rss <= value(s, "process_virtual_memory_bytes"),
          "resident memory plausible: %s" % rss)
    check(value(s, "process_cpu_seconds_total") > 0, "CPU time counted")
    fds = value(s, "process_open_fds")
    try:
        real = len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        real = None
    check(fds >= 5, "open fds counted (redis links, listener, epoll): %s" % fds)
    if real is not None and not os.environ.get("SLAD_WRAPPER"):
        check(abs(fds - real) <= 2, "open fds %s near /proc's %d" % (fds, real))
    check(value(s, "process_max_fds") >= fds, "max fds >= open fds")


def test_config_reload_metrics(make_env):
    """slad_config_last_reload_successful is 1 after the start, 0 after a
    refused reload (its success timestamp kept), 1 again after a good one
    with a newer timestamp."""
    env = make_env("metrics-reload")
    env.start_redis()
    env.write_config(policies=POLICIES)
    port = env.enable_http()
    t0 = time.time()
    env.start_slad()
    s, _, _ = parse(scrape(env, port))
    check(value(s, "slad_config_last_reload_successful") == 1, "start counts as a good load")
    ts = value(s, "slad_config_last_reload_success_timestamp_seconds")
    check(t0 - 1 <= ts <= time.time() + 1, "timestamp of the start: %s" % ts)

    with open(env.config) as f:
        good = f.read()
    with open(env.config, "w") as f:
        f.write(good + "\nclocks = { ring_seconds = \"often\"; };\n")
    env.signal_slad(signal.SIGHUP)
    env.wait_log(r"<3>reload refused", 10)
    s, _, _ = parse(scrape(env, port))
    check(value(s, "slad_config_last_reload_successful") == 0, "refused reload: 0")
    check(value(s, "slad_config_last_reload_success_timestamp_seconds") == ts,
          "the success timestamp stays that of the last good load")

    time.sleep(1.1)  # a newer whole second
    with open(env.config, "w") as f:
        f.write(good)
    env.signal_slad(signal.SIGHUP)
    env.wait_log(r"configuration reloaded from", 10)
    s, _, _ = parse(scrape(env, port))
    check(value(s, "slad_config_last_reload_successful") == 1, "good reload: 1")
    check(value(s, "slad_config_last_reload_success_timestamp_seconds") > ts + 1,
          "a newer success timestamp")


def test_delivery_metrics(make_env):
    """slad_deliveries_total counts settled notices (delivered, dead), and
    only those; every attempt is in slad_delivery_attempts_total; the
    latency from firing to delivery is a histogram per receiver."""
    env = make_env("metrics-delivery")
    env.start_redis()
    sink = env.start_sink()
    env.write_config(policies=POLICIES,
                     receivers='  { name = "supervisor"; format = "json"; url = "%s"; }'
                     % sink.url("/hooks/supervisor"),
                     extra='delivery = { budget = "2s"; backoff_base = "200ms"; '
                           'backoff_cap = "300ms"; };')
    port = env.enable_http()
    env.start_slad()
    body = scrape(env, port)
    check("slad_delivery_latency_seconds_bucket" not in body, "no receiver, no samples yet")

    # First attempt refused with a 500, the retry accepted.
    sink.set_mode("fail500", count=1)
    env.xadd({"ticket": "d-1", "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - 31000)})
    wait_for(lambda: sink.requests("/hooks/supervisor")[1:], 10, "the retry to arrive")
    env.wait_delivered(10)
    body = scrape(env, port)
    promtool_check(env, body)
    s, _, _ = parse(body)
    r = "supervisor"
    check(value(s, "slad_deliveries_total", receiver=r, result="delivered") == 1, "1 delivered")
    check(value(s, "slad_deliveries_total", receiver=r, result="dead") == 0, "none dead")
    check(not [k for k in s if k[0] == "slad_deliveries_total" and
               dict(k[1]).get("result") not in ("delivered", "dead")],
          "slad_deliveries_total has outcomes only")
    check(value(s, "slad_delivery_attempts_total", receiver=r, result="retry") == 1,
          "1 attempt to retry")
    check(value(s, "slad_delivery_attempts_total", receiver=r, result="delivered") == 1,
          "1 attempt delivered")
    check(value(s, "slad_delivery_attempts_total", receiver=r, result="failed") == 0,
          "no attempt refused for good")
    n = value(s, "slad_delivery_latency_seconds_count", receiver=r)
    total = value(s, "slad_delivery_latency_seconds_sum", receiver=r)
    check(n == 1, "1 latency observed: %s" % n)
    check(0 < total < 10, "latency from firing, with the retry's backoff: %s" % total)
    check(value(s, "slad_delivery_latency_seconds_bucket", receiver=r, le="10") == 1,
          "within 10 s")
    check(value(s, "slad_delivery_latency_seconds_bucket", receiver=r, le="+Inf") == 1,
          "+Inf = count")

    # Refused until the 2 s budget ends: dead, after several retries.
    sink.set_mode("fail500")
    env.xadd({"ticket": "d-2", "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - 31000)})
    wait_for(lambda: env.dead_deliveries(), 15, "the notice to go dead")
    env.wait_delivered(10)
    s, _, _ = parse(scrape(env, port))
    check(value(s, "slad_deliveries_total", receiver=r, result="dead") == 1, "1 dead")
    check(value(s, "slad_deliveries_total", receiver=r, result="delivered") == 1,
          "still 1 delivered")
    check(value(s, "slad_delivery_attempts_total", receiver=r, result="retry") >= 3,
          "the retries counted as attempts")
    check(value(s, "slad_delivery_latency_seconds_count", receiver=r) == 1,
          "a dead notice has no delivery latency")


def wait_redis_unhealthy(env, port, timeout, when):
    """/healthz turns 503 naming redis, and slad_redis_up{command} is 0."""
    def unhealthy():
        st, b = env.http_get(port, "/healthz")
        return (st, b) if st == 503 else None
    _, body = wait_for(unhealthy, timeout, "/healthz to fail %s" % when)
    check("redis" in body, "the reason names redis: %r" % body)
    s, _, _ = parse(scrape(env, port))
    check(value(s, "slad_redis_up", link="command") == 0, "slad_redis_up 0 %s" % when)


def test_disabled_and_reconnects(make_env):
    env = make_env("metrics-reconnect")
    env.start_redis()
    env.write_config(policies=POLICIES)
    port = env.enable_http()
    env.start_slad()
    env.stop_redis()
    env.wait_log(r"redis command: connection lost", 10)
    env.start_redis()

    def reconnected():
        s, _, _ = parse(scrape(env, port))
        return value(s, "slad_redis_reconnects_total", link="command") >= 1
    wait_for(reconnected, 20, "a reconnect of the command link to be counted")
    st, _ = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(env.http_get(port, "/healthz")),
                     15, "/healthz to recover")
    env.stop_slad()
    # http.listen "" (what write_config writes) listens nowhere.
    env.write_config(policies=POLICIES)
    env.start_slad()
    env.wait_log(r"http: disabled", 5, since_last_start=True)


def test_frozen_redis(make_env):
    """A Redis that stops answering (SIGSTOP) with its connections open:
    /healthz says so within about a second, slad_redis_up{command} is 0,
    slactl ack fails after the reply deadline instead of hanging, and all
    comes back after SIGCONT."""
    env = make_env("metrics-frozen")
    env.start_redis()
    env.write_config(policies=POLICIES, redis_extra='reply_timeout = "1500ms";')
    port = env.enable_http()
    env.start_slad()
    env.xadd({"ticket": "F-1", "type": "ticket.opened", "channel": "chat"})
    env.wait_consumed(10)
    check(env.http_get(port, "/healthz")[0] == 200, "healthy before the freeze")
    env.redis_proc.send_signal(signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        rc, _, err = env.slactl("ack", "F-1", timeout=20)
        took = time.monotonic() - t0
        check(rc == 1 and "redis" in err.lower(), "ack refused, naming redis: %d %r" % (rc, err))
        check(took < 6, "ack answered within the reply deadline and a margin: %.1f s" % took)
        # The deadline reset the link; a command sent by the next flush or
        # poll waits again: health reports whichever is true now.
        wait_redis_unhealthy(env, port, 5, "with redis frozen")
        env.wait_log(r"redis command: .*no reply within 1500 ms", 10)
    finally:
        env.redis_proc.send_signal(signal.SIGCONT)
    wait_for(lambda: env.http_get(port, "/healthz")[0] == 200, 15, "/healthz to recover")
    rc, out, err = env.slactl("ack", "F-1")
    check(rc == 0, "ack works again: %d %r %r" % (rc, out, err))
    check(env.slad_alive(), "slad kept running")


if __name__ == "__main__":
    run_tests([test_metrics_move, test_config_reload_metrics, test_delivery_metrics,
               test_disabled_and_reconnects, test_frozen_redis])
