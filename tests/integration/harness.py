"""Shared fixtures for slad's integration tests.

Each test file builds one or more `Env`s: a private redis-server on a free
loopback port inside a temporary directory, a slad configuration written
into that directory, and the slad process itself (binary from
$SLA_BUILD_DIR, stderr captured to a file there). `Env.close()` stops every
process it started, even after a failure; `run_tests()` runs the test
functions of a file, each under a wall-clock limit, prints what failed and
ends with "N passed, M failed".

Nothing here mocks Redis: tests talk to a real server with python3-redis.

Three environment variables serve periodic checks (tools/test.sh
--valgrind); none is set by default, and then nothing below changes:

  SLAD_WRAPPER    a command prefix (split like a shell would) that every
                  slad of the tests runs under, e.g. "valgrind
                  --tool=memcheck --log-file=DIR/vg.%q{SLA_TEST_ID}.%p.log".
                  SLAD is then a small script that execs the wrapper with
                  the real binary (SLAD_BINARY), so the tests that run SLAD
                  themselves (--check-config, --version) are wrapped too.
                  The process the tests signal is slad itself: the script
                  execs valgrind, which runs slad in that same process.
                  Each slad gets SLA_TEST_ID=<file>.<test>[.<env>] in its
                  environment. At the end of a test every slad still
                  running is stopped with SIGTERM rather than SIGKILL, so
                  that a leak check runs at its exit.
  SLA_TIME_SCALE  a factor (default 1) for the harness's timeouts: every
                  wait_for() (so every wait for "ready", for records, for
                  consumption), the wait after SIGTERM and a test's limit.
  SLA_UNCOUNTED   <file>.<test> names (comma-separated) that run as usual
                  but whose failure is printed and not counted: tests that
                  assert wall-clock precision the wrapper cannot keep. What
                  the wrapper itself reports about them still counts.
"""

import atexit
import os
import re
import shlex
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
SLAD_BINARY = os.path.join(BUILD_DIR, "slad")
SLAD = SLAD_BINARY  # what tests run: the binary, or the wrapper script below
SLACTL = os.path.join(BUILD_DIR, "slactl")
NORMS = os.path.join(SOURCE_DIR, "conf", "norms.conf")
SINK = os.path.join(SOURCE_DIR, "tools", "webhook_sink.py")

PREFIX = "sla:"
EVENTS = PREFIX + "events"
DEAD = PREFIX + "dead"
STATE = PREFIX + "state"
ESCALATIONS = PREFIX + "escalations"
DELIVERIES_DEAD = PREFIX + "deliveries:dead"
GROUP = "slad"
DELIVER_GROUP = GROUP + "-deliver"

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


TIME_SCALE = float(os.environ.get("SLA_TIME_SCALE") or 1)
SLAD_WRAPPER = shlex.split(os.environ.get("SLAD_WRAPPER", ""))
UNCOUNTED = {n.strip() for n in os.environ.get("SLA_UNCOUNTED", "").split(",") if n.strip()}


def _wrapper_script():
    """An executable script in a private directory that execs
    SLAD_WRAPPER + [SLAD_BINARY] + its arguments; removed at exit."""
    d = tempfile.mkdtemp(prefix="slad-wrapper-")
    atexit.register(shutil.rmtree, d, True)
    path = os.path.join(d, "slad")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec %s \"$@\"\n"
                % " ".join(shlex.quote(a) for a in SLAD_WRAPPER + [SLAD_BINARY]))
    os.chmod(path, 0o755)
    return path


if SLAD_WRAPPER:
    SLAD = _wrapper_script()
    # run_tests() sets it per test; this covers a slad started outside one.
    os.environ.setdefault("SLA_TEST_ID",
                          os.path.splitext(os.path.basename(sys.argv[0]))[0] or "slad")


class TestFailure(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def partition_of(ticket, partitions):
    """The partition of a ticket id: FNV-1a 32 of its bytes, modulo the
    count (README "The partition of a ticket")."""
    h = 2166136261
    for b in ticket.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h % partitions


def partition_key(p, name):
    """The key NAME of partition p: sla:{pP}:NAME (README "Partitions")."""
    return "%s{p%d}:%s" % (PREFIX, p, name)


def lease_token(r, p):
    """The token of partition p's lease ("INSTANCE/..."), None when free."""
    v = r.get(partition_key(p, "lease"))
    return v.decode() if v else None


def lease_holder(r, p):
    """The name of the instance holding partition p's lease, None when free."""
    t = lease_token(r, p)
    return t.rsplit("/", 1)[0] if t else None


def lease_holders(r, partitions):
    """partition -> the name of the instance holding its lease (None when free)."""
    return {p: lease_holder(r, p) for p in range(partitions)}


def partition_settings(partitions, name, lease_ttl="1500ms"):
    """The settings of a partitioned instance NAME, for write_config(extra=)."""
    return 'partitions = %d;\ninstance = { name = "%s"; lease_ttl = "%s"; };' % (
        partitions, name, lease_ttl)


def partitioned_instances(make_env, shared, name, partitions, names, lease_ttl="1500ms",
                          extra="", http=False, **config):
    """An Env per instance of names (make_env("NAME-INSTANCE")) on shared's
    redis-server, its configuration written (write_config(**config), its
    extra the partition settings and then extra; http: listening on a free
    port); none started."""
    nodes = []
    for n in names:
        e = make_env("%s-%s" % (name, n))
        e.redis_port, e.r = shared.redis_port, shared.r
        settings = partition_settings(partitions, n, lease_ttl)
        e.write_config(extra=settings + "\n" + extra if extra else settings, **config)
        if http:
            e.http_port = e.enable_http()
        nodes.append(e)
    return nodes


def start_partitioned(make_env, name, partitions, names, **kw):
    """(an Env running the shared redis-server, [an Env per instance]), every
    instance started (partitioned_instances() takes kw); waiting for leases
    is the caller's."""
    shared = make_env(name + "-redis")
    shared.start_redis()
    nodes = partitioned_instances(make_env, shared, name, partitions, names, **kw)
    for e in nodes:
        e.start_slad()
    return shared, nodes


def now_ms():
    return int(time.time() * 1000)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what, interval=0.05):
    """Poll pred() until it returns a true value; fail after timeout seconds
    (times SLA_TIME_SCALE)."""
    timeout *= TIME_SCALE
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise TestFailure("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


class Sink:
    """tools/webhook_sink.py on a loopback port, recording what it receives.

    stop() and start() again keep the port, so a receiver can be "down for
    a while" (connections refused) and come back at the same URL.
    """

    def __init__(self, directory, mode="ok", retry_after=2, port=0):
        self.dir = directory
        self.mode = mode
        self.retry_after = retry_after
        self.port = port
        self.proc = None
        self.start()

    def start(self):
        port_file = os.path.join(self.dir, "sink-%d.port" % id(self))
        if os.path.exists(port_file):
            os.unlink(port_file)
        log = open(os.path.join(self.dir, "sink.log"), "ab")
        self.proc = subprocess.Popen(
            [sys.executable, SINK, "--port", str(self.port), "--port-file", port_file,
             "--mode", self.mode, "--retry-after", str(self.retry_after), "--quiet"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()

        def bound():
            check(self.proc.poll() is None, "webhook_sink exited at start")
            try:
                with open(port_file) as f:
                    return int(f.read().strip() or 0)
            except (OSError, ValueError):
                return 0
        self.port = wait_for(bound, 10, "webhook_sink to listen")

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _call(self, method, path):
        import http.client
        import json
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request(method, path)
            body = c.getresponse().read()
        finally:
            c.close()
        return json.loads(body) if body else None

    def requests(self, path=None):
        """Recorded requests (dicts), optionally only those to paths starting with path."""
        reqs = self._call("GET", "/requests") or []
        return [r for r in reqs if path is None or r["path"].startswith(path)]

    def set_mode(self, mode, path=None, count=None):
        q = "mode=%s" % mode
        if path:
            q += "&path=%s" % path
        if count:
            q += "&count=%d" % count
        self._call("POST", "/control?" + q)
        self.mode = mode if path is None and count is None else self.mode


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
        self.sinks = []

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

    def write_config(self, path=None, policies=None, extra="", receivers=None, redis_extra="",
                     **stream):
        """Write a slad configuration; policies=None uses conf/norms.conf.

        Keyword arguments override stream settings (batch=10, claim_idle=1000).
        receivers: the text of the receivers list's elements (default: the
        four norm receivers, posting nowhere). redis_extra: more settings of
        the redis group ('reply_timeout = "1s";').
        """
        path = path or self.config
        settings = {"prefix": '"%s"' % PREFIX, "group": '"%s"' % GROUP,
                    "consumer": '"slad-test"', "batch": 500, "block": 1000,
                    "claim_idle": 60000}
        settings.update(stream)
        stream_text = " ".join("%s = %s;" % kv for kv in settings.items())
        if receivers is None:
            receivers = ",\n".join(
                '  { name = "%s"; format = "json"; url = "http://127.0.0.1:9/hooks/%s"; }'
                % (n, n) for n in ("team_lead", "supervisor", "manager", "director"))
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
redis = { host = "127.0.0.1"; port = %d; db = 0; connect_timeout = 1000; %s };
stream = { %s };
control = { socket = "%s"; };
http = { listen = ""; };
receivers = (
%s
);
%s
%s
""" % (self.redis_port, redis_extra, stream_text, os.path.join(self.dir, "slad.sock"), receivers,
            extra, norms)
        with open(path, "w") as f:
            f.write(text)
        return path

    # --- slad ----------------------------------------------------------

    def start_slad(self, config=None, wait_ready=True, nofile=None):
        """Start slad; nofile: its RLIMIT_NOFILE (soft and hard), to run it
        out of descriptors."""
        check(os.access(SLAD_BINARY, os.X_OK), "no slad binary at %s" % SLAD_BINARY)
        preexec = None
        if nofile is not None:
            import resource

            def preexec():
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        env = None
        if SLAD_WRAPPER:
            env = dict(os.environ)
            env["SLA_TEST_ID"] = "%s.%s" % (env.get("SLA_TEST_ID", "slad"), self.name)
        with open(self.slad_log, "ab") as err:
            err.write(b"--- start ---\n")
            err.flush()
            self.slad_proc = subprocess.Popen([SLAD, "-c", config or self.config],
                                              stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL, stderr=err, env=env,
                                              preexec_fn=preexec)
        if wait_ready:
            self.wait_log(r"<5>ready", 15, since_last_start=True)
        return self.slad_proc

    def signal_slad(self, sig):
        self.slad_proc.send_signal(sig)

    def stop_slad(self, timeout=15):
        """SIGTERM and wait (timeout times SLA_TIME_SCALE); returns the exit status."""
        p = self.slad_proc
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        timeout *= TIME_SCALE
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise TestFailure("slad did not stop within %gs of SIGTERM" % timeout)
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

    # --- webhook receivers ---------------------------------------------

    def start_sink(self, **kw):
        """A webhook_sink.py in this Env's directory, stopped by close()."""
        s = Sink(self.dir, **kw)
        self.sinks.append(s)
        return s

    def write_secret(self, name, secret):
        """A secret file (mode 0600) in this Env's directory; returns its path."""
        path = os.path.join(self.dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret + "\n")
        return path

    def dead_deliveries(self):
        return [f for _, f in self.stream(DELIVERIES_DEAD)]

    def deliver_group_info(self):
        try:
            groups = self.r.xinfo_groups(ESCALATIONS)
        except redis.exceptions.ResponseError:
            return None
        for g in groups:
            if g["name"] in (DELIVER_GROUP, DELIVER_GROUP.encode()):
                return g
        return None

    def wait_delivered(self, timeout):
        """Every outbox record read by the delivery group and acknowledged
        (delivered, dead-lettered, or notifying nobody)."""
        def settled():
            g = self.deliver_group_info()
            last = self.r.xinfo_stream(ESCALATIONS)["last-generated-id"]
            return g is not None and g["last-delivered-id"] == last and g["pending"] == 0
        wait_for(settled, timeout, "every outbox record delivered and acknowledged")

    # --- slactl and http ----------------------------------------------

    def control_socket(self):
        """The control socket write_config() puts in the configuration."""
        return os.path.join(self.dir, "slad.sock")

    def slactl(self, *args, timeout=20, socket_path=None, user=None):
        """Run build/slactl against this Env's slad (-s its socket).

        Returns (exit status, stdout, stderr). user: run it as that uid
        (setpriv), to test the daemon's peer check.
        """
        check(os.access(SLACTL, os.X_OK), "no slactl binary at %s" % SLACTL)
        cmd = [SLACTL, "-s", socket_path or self.control_socket()] + list(args)
        if user is not None:
            cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), \
            p.stderr.decode("utf-8", "replace")

    def enable_http(self, path=None):
        """Point http.listen of a written configuration at a free loopback
        port; returns the port."""
        path = path or self.config
        port = free_port()
        with open(path) as f:
            text = f.read()
        check('http = { listen = ""; };' in text, "configuration has the default http block")
        with open(path, "w") as f:
            f.write(text.replace('http = { listen = ""; };',
                                 'http = { listen = "127.0.0.1:%d"; };' % port))
        return port

    @staticmethod
    def http_get(port, path, timeout=5):
        """GET http://127.0.0.1:port/path; returns (status, body as text)."""
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            c.request("GET", path)
            resp = c.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace")
        finally:
            c.close()

    # --- cleanup -------------------------------------------------------

    def close(self, keep=False):
        try:
            if SLAD_WRAPPER and self.slad_alive():
                try:
                    self.stop_slad()  # after a failure too: the wrapper's report
                except TestFailure:
                    pass
            self.kill_slad()
            for s in self.sinks:
                s.stop()
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
    all are closed afterwards. A test taking more than `limit` seconds
    (times SLA_TIME_SCALE) fails.
    """
    passed = failed = uncounted = 0
    limit = int(limit * TIME_SCALE)
    script = os.path.splitext(os.path.basename(sys.argv[0]))[0]

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
        if SLAD_WRAPPER:
            # Names the wrapper's output (valgrind: %q{SLA_TEST_ID}), also
            # of the slads a test runs itself.
            os.environ["SLA_TEST_ID"] = "%s.%s" % (script, test.__name__)
        signal.alarm(limit)
        try:
            test(make_env)
            for e in envs:
                if SLAD_WRAPPER:
                    e.stop_slad()  # a clean exit, so the wrapper sees it (leak check)
                e.kill_slad()
                log = e.log()
                check("Sanitizer" not in log and "runtime error:" not in log,
                      "sanitizer report in slad's stderr (%s)" % e.name)
            ok = True
        except Exception:
            print("FAIL %s" % test.__name__)
            traceback.print_exc(file=sys.stdout)
            for e in envs:
                # Notices, warnings and errors first: the last lines may be
                # nothing but delivery retries.
                notable = [l for l in e.log().splitlines() if re.match(r"<[0-5]>", l)]
                print("--- slad log (%s), last notices, warnings and errors ---" % e.name)
                print("\n".join(notable[-30:]))
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
        elif "%s.%s" % (script, test.__name__) in UNCOUNTED:
            uncounted += 1
            print("NOT COUNTED: %s failed, but %s.%s is in SLA_UNCOUNTED"
                  % (test.__name__, script, test.__name__))
        else:
            failed += 1
        sys.stdout.flush()
    if uncounted:
        print("%d failed but not counted (SLA_UNCOUNTED)" % uncounted)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
