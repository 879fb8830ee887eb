"""Shared fixtures for slad's integration tests.

Each test file builds one or more `Env`s: a private redis-server on a free
loopback port inside a temporary directory, a slad configuration written
into that directory, and the slad process itself (binary from
$SLA_BUILD_DIR, stderr captured to a file there). `Env.close()` stops every
process it started, even after a failure; `run_tests()` runs the test
functions of a file, each under a wall-clock limit, prints what failed and
ends with "N passed, M failed".

Nothing here mocks Redis: tests talk to a real server with python3-redis.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import redis

SOURCE_DIR = os.environ.get(
    "SLA_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("SLA_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
SLAD = os.path.join(BUILD_DIR, "slad")
NORMS = os.path.join(SOURCE_DIR, "conf", "norms.conf")

PREFIX = "sla:"
EVENTS = PREFIX + "events"
DEAD = PREFIX + "dead"
STATE = PREFIX + "state"
ESCALATIONS = PREFIX + "escalations"
GROUP = "slad"

# Used only while conf/norms.conf is not there: the chat norm (first reply
# within 30 s, supervisor at once) and a catch-all, enough for these tests.
FALLBACK_POLICIES = """
policies = (
  { name = "chat";
    match = { channel = "chat"; };
    first_response = { target = "30s";
                       escalate = ( { after = "0s"; notify = [ "supervisor" ]; } ); }; },
  { name = "general";
    first_response = { target = "30m";
                       escalate = ( { after = "0s"; notify = [ "team_lead" ]; } ); };
    resolution = { target = "24h";
                   escalate = ( { after = "0s"; notify = [ "team_lead" ]; } ); }; }
);
"""


class TestFailure(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def now_ms():
    return int(time.time() * 1000)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what, interval=0.05):
    """Poll pred() until it returns a true value; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise TestFailure("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


class Env:
    """One private redis-server and one slad, in a temporary directory."""

    def __init__(self, name, aof=False):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="slad-%s-" % name)
        self.aof = aof
        self.redis_port = free_port()
        self.redis_proc = None
        self.slad_proc = None
        self.slad_log = os.path.join(self.dir, "slad.stderr")
        self.config = os.path.join(self.dir, "slad.conf")
        self.r = None

    # --- redis ---------------------------------------------------------

    def start_redis(self):
        args = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "yes" if self.aof else "no",
                "--appendfsync", "always" if self.aof else "everysec",
                "--enable-debug-command", "local",
                "--logfile", os.path.join(self.dir, "redis.log"), "--daemonize", "no"]
        self.redis_proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
        self.r = redis.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=10)

        def up():
            try:
                return self.r.ping()
            except redis.exceptions.RedisError:
                check(self.redis_proc.poll() is None, "redis-server exited at start")
                return False
        wait_for(up, 10, "redis-server to answer PING")

    def stop_redis(self):
        if self.redis_proc is None:
            return
        try:
            self.r.shutdown(nosave=not self.aof)
        except redis.exceptions.RedisError:
            pass
        try:
            self.redis_proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.redis_proc.kill()
            self.redis_proc.wait()
        self.redis_proc = None

    # --- configuration -------------------------------------------------

    def write_config(self, path=None, policies=None, extra="", **stream):
        """Write a slad configuration; policies=None uses conf/norms.conf.

        Keyword arguments override stream settings (batch=10, claim_idle=1000).
        """
        path = path or self.config
        settings = {"prefix": '"%s"' % PREFIX, "group": '"%s"' % GROUP,
                    "consumer": '"slad-test"', "batch": 500, "block": 1000,
                    "claim_idle": 60000}
        settings.update(stream)
        stream_text = " ".join("%s = %s;" % kv for kv in settings.items())
        receivers = ",\n".join(
            '  { name = "%s"; format = "json"; url = "http://127.0.0.1:9/hooks/%s"; }' % (n, n)
            for n in ("team_lead", "supervisor", "manager", "director"))
        if policies is None and os.path.exists(NORMS):
            # Included by a relative name: libconfig resolves @include
            # against the including file's directory, also for absolute
            # paths, so the shipped file is linked next to the config.
            link = os.path.join(os.path.dirname(path), "norms.conf")
            if not os.path.lexists(link):
                os.symlink(NORMS, link)
            norms = '@include "norms.conf"\n'
        elif policies is None:
            norms = FALLBACK_POLICIES
        else:
            norms = policies
        text = """log_level = "info";
redis = { host = "127.0.0.1"; port = %d; db = 0; connect_timeout = 1000; };
stream = { %s };
control = { socket = "%s"; };
http = { listen = ""; };
receivers = (
%s
);
%s
%s
""" % (self.redis_port, stream_text, os.path.join(self.dir, "slad.sock"), receivers,
            extra, norms)
        with open(path, "w") as f:
            f.write(text)
        return path

    # --- slad ----------------------------------------------------------

    def start_slad(self, config=None, wait_ready=True):
        check(os.access(SLAD, os.X_OK), "no slad binary at %s" % SLAD)
        with open(self.slad_log, "ab") as err:
            err.write(b"--- start ---\n")
            err.flush()
            self.slad_proc = subprocess.Popen([SLAD, "-c", config or self.config],
                                              stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL, stderr=err)
        if wait_ready:
            self.wait_log(r"<5>ready", 15, since_last_start=True)
        return self.slad_proc

    def signal_slad(self, sig):
        self.slad_proc.send_signal(sig)

    def stop_slad(self, timeout=15):
        """SIGTERM and wait; returns the exit status."""
        p = self.slad_proc
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise TestFailure("slad did not stop within %ds of SIGTERM" % timeout)
        self.slad_proc = None
        return rc

    def kill_slad(self):
        p = self.slad_proc
        if p is not None:
            if p.poll() is None:
                p.kill()
            p.wait()
        self.slad_proc = None

    def slad_alive(self):
        return self.slad_proc is not None and self.slad_proc.poll() is None

    def log(self, since_last_start=False):
        try:
            with open(self.slad_log, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        if since_last_start:
            text = text[text.rfind("--- start ---"):]
        return text

    def wait_log(self, pattern, timeout, since_last_start=False):
        rx = re.compile(pattern)

        def seen():
            if self.slad_proc is not None and self.slad_proc.poll() is not None:
                raise TestFailure("slad exited (status %s) while waiting for /%s/"
                                  % (self.slad_proc.returncode, pattern))
            return rx.search(self.log(since_last_start))
        return wait_for(seen, timeout, "log line /%s/" % pattern)

    # --- streams -------------------------------------------------------

    def xadd(self, fields):
        return self.r.xadd(EVENTS, fields)

    def xadd_many(self, entries, chunk=1000):
        ids = []
        for i in range(0, len(entries), chunk):
            pipe = self.r.pipeline(transaction=False)
            for fields in entries[i:i + chunk]:
                pipe.xadd(EVENTS, fields)
            ids.extend(pipe.execute())
        return ids

    def pending_count(self):
        try:
            return self.r.xpending(EVENTS, GROUP)["pending"]
        except redis.exceptions.ResponseError:
            return 0

    def group_info(self):
        for g in self.r.xinfo_groups(EVENTS):
            if g["name"] in (GROUP, GROUP.encode()):
                return g
        return None

    def consumed(self):
        """All entries delivered to the group and acknowledged."""
        g = self.group_info()
        if g is None:
            return False
        last = self.r.xinfo_stream(EVENTS)["last-generated-id"]
        return g["last-delivered-id"] == last and g["pending"] == 0

    def wait_consumed(self, timeout):
        wait_for(self.consumed, timeout, "every entry consumed and acknowledged")

    def stream(self, key):
        """All entries of a stream as (id, {field: value}) with str keys/values."""
        out = []
        for eid, fields in self.r.xrange(key):
            out.append((eid.decode(), {k.decode(): v.decode("utf-8", "replace")
                                       for k, v in fields.items()}))
        return out

    def stream_pairs(self, key):
        """Entries with their field/value pairs in order (duplicates kept)."""
        raw = redis.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=10)
        raw.response_callbacks.pop("XRANGE", None)  # keep the flat pair list
        out = []
        for eid, flat in raw.execute_command("XRANGE", key, "-", "+"):
            pairs = [(flat[i].decode("utf-8", "replace"), flat[i + 1])
                     for i in range(0, len(flat), 2)]
            out.append((eid.decode(), pairs))
        return out

    def escalations(self):
        return [f for _, f in self.stream(ESCALATIONS)]

    # --- cleanup -------------------------------------------------------

    def close(self, keep=False):
        try:
            self.kill_slad()
        finally:
            try:
                if self.redis_proc is not None:
                    self.redis_proc.kill()
                    self.redis_proc.wait()
                    self.redis_proc = None
            finally:
                if not keep:
                    shutil.rmtree(self.dir, ignore_errors=True)

    def tail(self, n=40):
        return "\n".join(self.log().splitlines()[-n:])


def run_tests(tests, limit=240):
    """Run each test(env_factory) with a fresh cleanup list; print results.

    A test receives `make_env(name, aof=False)` and may create several Envs;
    all are closed afterwards. A test taking more than `limit` seconds fails.
    """
    passed = failed = 0

    def on_alarm(signum, frame):
        raise TestFailure("test exceeded %ds" % limit)

    signal.signal(signal.SIGALRM, on_alarm)
    for test in tests:
        envs = []

        def make_env(name, aof=False):
            e = Env(name, aof=aof)
            envs.append(e)
            return e

        ok = False
        started = time.monotonic()
        signal.alarm(limit)
        try:
            test(make_env)
            for e in envs:
                e.kill_slad()
                log = e.log()
                check("Sanitizer" not in log and "runtime error:" not in log,
                      "sanitizer report in slad's stderr (%s)" % e.name)
            ok = True
        except Exception:
            print("FAIL %s" % test.__name__)
            traceback.print_exc(file=sys.stdout)
            for e in envs:
                print("--- slad log (%s), last lines ---" % e.name)
                print(e.tail())
        finally:
            signal.alarm(0)
            for e in envs:
                try:
                    e.close()
                except Exception:
                    traceback.print_exc(file=sys.stdout)
        if ok:
            passed += 1
            print("ok   %s (%.1fs)" % (test.__name__, time.monotonic() - started))
        else:
            failed += 1
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
