"""SIGHUP: a broken file is refused (old configuration kept), a good one applied."""

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SLAD, STATE, check, now_ms, run_tests, wait_for  # noqa: E402

POLICIES = """
policies = (
  { name = "chat";
    match = { channel = "chat"; };
    first_response = { target = "%s";
                       escalate = ( { after = "0s"; notify = [ "supervisor" ]; } ); }; }
);
"""


def breaches(env, ticket):
    return [e for e in env.escalations() if e["ticket"] == ticket and e["kind"] == "breach"]


def test_reload(make_env):
    env = make_env("reload")
    env.start_redis()
    env.write_config(policies=POLICIES % "30s")
    env.start_slad()
    # Opened 10 s ago: no breach under a 30 s target.
    env.xadd({"ticket": "r1", "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - 10000)})
    env.wait_consumed(10)

    # A broken file: refused, naming file and line; the old one stays.
    with open(env.config) as f:
        good = f.read()
    lines = good.splitlines()
    lines.insert(2, 'clocks = { ring_seconds = "often"; };')
    with open(env.config, "w") as f:
        f.write("\n".join(lines) + "\n")
    env.signal_slad(signal.SIGHUP)
    line = env.wait_log(r"<3>reload refused: .*", 10).group(0)
    check("slad.conf:3" in line, "the refusal names file and line: %r" % line)
    check(env.slad_alive(), "slad keeps running")
    env.xadd({"ticket": "r2", "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - 10000)})
    env.wait_consumed(10)
    check(env.r.hexists(STATE, "r2"), "events still processed after a refused reload")
    time.sleep(0.3)
    check(not breaches(env, "r1") and not breaches(env, "r2"), "old 30 s target still in force")

    # A good file with a 5 s target: both open tickets are past it at once.
    env.write_config(policies=POLICIES % "5s")
    env.signal_slad(signal.SIGHUP)
    env.wait_log(r"configuration reloaded from", 10)
    wait_for(lambda: breaches(env, "r1") and breaches(env, "r2"), 10,
             "breaches under the new 5 s target")
    b = breaches(env, "r1")[0]
    check(int(b["deadline_ms"]) - int(b["fired_ms"]) < 0, "fired after its new deadline")
    check(env.slad_alive(), "slad still running")
    check(env.stop_slad() == 0, "slad exits 0 on SIGTERM")


def test_url_file(make_env):
    """A receiver's URL read from url_file is the one posted to, and a
    reload reads the file again; an inline token URL in a file others may
    read is warned about by --check-config and at start."""
    env = make_env("reload-url-file")
    env.start_redis()
    sink = env.start_sink()
    url_file = env.write_secret("supervisor.url", sink.url("/hooks/one?key=TOKEN-ONE"))
    env.write_config(policies=POLICIES % "5s", receivers=(
        '  { name = "supervisor"; format = "json"; url_file = "supervisor.url"; },\n'
        '  { name = "bot"; format = "wecom"; url = "%s"; }'
        % sink.url("/hooks/bot?key=TOKEN-TWO")))
    os.chmod(env.config, 0o644)
    p = subprocess.run([SLAD, "-c", env.config, "--check-config"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    err = p.stderr.decode()
    check(p.returncode == 0, "--check-config accepts it: %d %r" % (p.returncode, err))
    check("warning: " in err and "receiver 'bot': the URL carries a token" in err and
          "supervisor" not in err, "--check-config warns about the inline token only: %r" % err)
    # The tokens are in capitals: no temporary directory name holds them.
    check("TOKEN-TWO" not in err, "the warning does not quote the URL: %r" % err)
    env.start_slad()
    env.wait_log(r"<4>.*receiver 'bot': the URL carries a token", 5, since_last_start=True)

    env.xadd({"ticket": "u1", "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - 10000)})
    wait_for(lambda: sink.requests("/hooks/one"), 10, "the breach posted to the URL of the file")
    r = sink.requests("/hooks/one")[0]
    check(r["path"] == "/hooks/one" and "key=TOKEN-ONE" in str(r["query"]),
          "posted to the file's URL: %r %r" % (r["path"], r["query"]))

    env.write_secret("supervisor.url", sink.url("/hooks/two?key=TOKEN-ONE"))
    env.signal_slad(signal.SIGHUP)
    env.wait_log(r"configuration reloaded from", 10)
    env.xadd({"ticket": "u2", "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - 10000)})
    wait_for(lambda: sink.requests("/hooks/two"), 10, "the breach posted to the file's new URL")
    check(len(sink.requests("/hooks/one")) == 1, "nothing more to the old URL")

    # An unreadable file: the reload is refused, naming the receiver.
    os.chmod(url_file, 0o644)
    env.signal_slad(signal.SIGHUP)
    line = env.wait_log(r"<3>reload refused: .*", 10).group(0)
    check("url_file: receiver 'supervisor'" in line and "readable by others" in line,
          "the refusal names the setting and receiver: %r" % line)
    check("two" not in line, "the refusal does not quote the URL: %r" % line)
    check(env.slad_alive(), "slad keeps running")


RELOAD = (lambda p: struct.pack(">I", len(p)) + p)(json.dumps({"v": 1, "cmd": "reload"}).encode())


def control_connect(env):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(env.control_socket())
    return s


def control_answer(sock, timeout=30):
    """One response frame of the control protocol, decoded; the socket closed."""
    sock.settimeout(timeout)
    data = b""
    while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    check(len(data) >= 4, "an answer on the control socket")
    return json.loads(data[4:4 + struct.unpack(">I", data[:4])[0]])


def test_rematch_in_slices(make_env):
    """A reload re-matches the open tickets in slices, not in one pass that
    holds the clocks: at 100,000 open tickets the log says it took more
    than one slice; a ticket read right after the reload (before the
    re-match can have reached it) already shows the new policy's deadline;
    and the tickets the new target puts past their deadline breach."""
    env = make_env("reload-slices")
    env.start_redis()
    env.write_config(policies=POLICIES % "10m")
    env.start_slad()
    n = 100000
    t0 = now_ms()
    env.xadd_many([{"ticket": "m-%06d" % i, "type": "ticket.opened", "channel": "chat",
                    "ts": str(t0 - 20000)} for i in range(n)], chunk=5000)
    env.wait_consumed(60)
    env.write_config(policies=POLICIES % "1h")
    rc, _, err = env.slactl("reload")
    check(rc == 0, "slactl reload: %r" % err)
    rc, out, err = env.slactl("--json", "ticket", "m-099999")
    check(rc == 0, "slactl ticket: %r" % err)
    clock = [c for c in json.loads(out)["clocks"] if c["metric"] == "first_response"][0]
    check(clock["deadline_ms"] == t0 - 20000 + 3600000,
          "the ticket read at once has the new 1 h target (%r)" % clock["deadline_ms"])
    m = env.wait_log(r"reload: open tickets matched against the new policies in (\d+) ms "
                     r"\((\d+) slices\)", 30)
    check(int(m.group(2)) > 1, "re-matched in more than one slice: %s" % m.group(0))

    # Two reloads at once: the second is refused while the first is being
    # applied (finishing the first in one go would hold the clocks); a
    # SIGHUP then waits and is applied once the re-match is over.
    a, b = control_connect(env), control_connect(env)
    a.sendall(RELOAD)
    b.sendall(RELOAD)
    env.signal_slad(signal.SIGHUP)
    ra, rb = control_answer(a), control_answer(b)
    check(ra.get("ok"), "the first reload is applied: %r" % ra)
    check(not rb.get("ok") and "still being applied" in rb.get("error", ""),
          "the second is refused, saying why: %r" % rb)
    env.wait_log(r"SIGHUP: the last reload is still being applied", 10)
    wait_for(lambda: env.log().count("configuration reloaded from") >= 3, 30,
             "the deferred SIGHUP applied after the re-match")
    check(env.slad_alive(), "slad still running")
    check(env.slad_alive(), "slad still running")


if __name__ == "__main__":
    run_tests([test_reload, test_url_file, test_rematch_in_slices])
