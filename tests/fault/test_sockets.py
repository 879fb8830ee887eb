"""A local user with nothing but connections cannot stall the clocks.

- slad run out of descriptors (RLIMIT_NOFILE 64, its HTTP port flooded
  with connections): its listeners pause instead of spinning, so it stays
  near idle, its log stays small, a breach falling due meanwhile fires on
  time, and once the connections are gone slactl and /metrics answer.
- A request trickled a byte at a time is cut at http.request_timeout from
  accept (evhttp's own timeout restarts with every byte).
- Over http.max_connections, new connections are closed at once.
"""

import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import check, now_ms, run_tests, wait_for  # noqa: E402

TARGET_MS = 6000
POLICIES = """
policies = (
  { name = "chat";
    match = { channel = "chat"; };
    first_response = { target = "6s";
                       escalate = ( { after = "0s"; notify = [ "supervisor" ]; } ); }; }
);
"""


def start(make_env, name, http_extra="", nofile=None):
    env = make_env(name)
    env.start_redis()
    env.write_config(policies=POLICIES)
    port = env.enable_http()
    if http_extra:
        with open(env.config) as f:
            text = f.read()
        with open(env.config, "w") as f:
            f.write(text.replace('http = { listen = "127.0.0.1:%d"; };' % port,
                                 'http = { listen = "127.0.0.1:%d"; %s };' % (port, http_extra)))
    env.start_slad(nofile=nofile)
    return env, port


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_connections(port, count):
    """Up to count loopback connections (non-blocking connects)."""
    out = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        out.append(s)
    return out


def closed_by_peer(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def test_descriptors_exhausted(make_env):
    env, port = start(make_env, "nofile", nofile=64)
    pid = env.slad_proc.pid
    print("slad holds %d descriptors when ready" % len(os.listdir("/proc/%d/fd" % pid)))
    deadline = now_ms() + 3000
    env.xadd({"ticket": "nofile-1", "type": "ticket.opened", "channel": "chat",
              "ts": str(deadline - TARGET_MS)})
    wait_for(lambda: env.consumed(), 5, "the ticket read")

    log_before = os.path.getsize(env.slad_log)
    conns = open_connections(port, 200)
    # A client of the control socket too, while descriptors are gone.
    ctl = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(4)]
    for s in ctl:
        s.connect(env.control_socket())
    time.sleep(0.5)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(3)
    cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
    grown = os.path.getsize(env.slad_log) - log_before
    print("out of descriptors: %.0f%% of a core, log +%d bytes" % (cpu * 100, grown))
    check(cpu < 0.25, "slad out of descriptors uses %.0f%% of a core (at most 25%%)" % (cpu * 100))
    check(grown < 20000, "the log grew by %d bytes in 3.5 s (at most 20000)" % grown)
    check("not accepting for" in env.log(), "the listener paused:\n%s" % env.tail())

    b = wait_for(lambda: [e for e in env.escalations() if e["ticket"] == "nofile-1"], 5,
                 "the breach of nofile-1")[0]
    late = int(b["fired_ms"]) - int(b["deadline_ms"])
    check(0 <= late <= 300, "fired %d ms after its deadline (at most 300)" % late)

    for s in conns + ctl:
        s.close()

    def slactl_answers():
        rc, out, err = env.slactl("--json", "status", timeout=10)
        return rc == 0 and json.loads(out)["state"] == "running"
    wait_for(slactl_answers, 15, "slactl status to answer again")

    def metrics_answer():
        try:
            status, body = env.http_get(port, "/metrics", timeout=2)
        except OSError:
            return False
        return status == 200 and "slad_up 1" in body
    wait_for(metrics_answer, 15, "/metrics to answer again")
    check(env.slad_alive(), "slad alive")


def test_trickled_request_is_cut(make_env):
    env, port = start(make_env, "trickle", 'request_timeout = "2s";')
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    closed = None
    while time.monotonic() - t0 < 8:
        try:
            s.sendall(b"X")  # a header line that never ends
        except OSError:
            closed = time.monotonic() - t0
            break
        if closed_by_peer(s, 0.3):
            closed = time.monotonic() - t0
            break
    s.close()
    check(closed is not None, "a request trickled for 8 s was not cut")
    check(1.5 <= closed <= 3.5, "cut %.1f s after accept (request_timeout 2 s)" % closed)
    status, _ = env.http_get(port, "/healthz")
    check(status in (200, 503), "/healthz answers afterwards: %d" % status)


def test_connection_cap(make_env):
    env, port = start(make_env, "cap", "max_connections = 8;")
    conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
    time.sleep(1)
    closed = sum(1 for s in conns if closed_by_peer(s, 0.05))
    check(closed >= 12, "%d of 20 idle connections closed at once (max_connections 8)" % closed)
    for s in conns:
        s.close()

    def metrics_answer():
        try:
            return env.http_get(port, "/metrics", timeout=2)[0] == 200
        except OSError:
            return False
    wait_for(metrics_answer, 5, "/metrics answers once the connections are gone")


if __name__ == "__main__":
    run_tests([test_descriptors_exhausted, test_trickled_request_is_cut, test_connection_cap])
