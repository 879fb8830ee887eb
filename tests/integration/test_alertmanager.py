"""Delivery to a real Prometheus Alertmanager.

Starts /usr/bin/prometheus-alertmanager (Debian package
prometheus-alertmanager, installed by tools/deps.sh) on a free loopback
port, clustering off, storage in the test's directory, resolve_timeout
3s; receivers with format "alertmanager" post to its /api/v2/alerts and
send active alerts again every second (resend_interval). Times are event
times in the past, so breaches come at once.

A breach must show up as one active alert with slad's labels and stay
active well past resolve_timeout and the first endsAt while the ticket is
breached, also across a reassignment (annotations change, the alert does
not) and across a restart of slad; escalating to a second receiver adds
its alert to the same group; the reply (recovered), slactl ack and
ticket.closed each resolve it. amtool (same package) sees it too.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestFailure, check, free_port, now_ms, run_tests, wait_for  # noqa: E402

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
AMTOOL = "/usr/bin/amtool"
TARGET_MS = 30000

POLICIES = """
policies = (
  { name = "chat-am"; runbook_url = "https://wiki.example/sla/first-response";
    first_response = { target = "30s";
      escalate = ( { after = "0s"; notify = [ "am" ]; },
                   { after = "4s"; notify = [ "am-managers" ]; } );
      recovered = true; }; }
);
"""

AM_CONFIG = """global:
  resolve_timeout: 3s
route:
  receiver: blackhole
  group_by: [ticket]
  group_wait: 1s
receivers:
  - name: blackhole
"""


def receivers(url):
    return ('  { name = "am"; format = "alertmanager"; url = "%s"; resend_interval = "1s"; },\n'
            '  { name = "am-managers"; format = "alertmanager"; url = "%s"; '
            'resend_interval = "1s"; runbook_url = "https://wiki.example/managers"; }'
            % (url, url))


def iso_now():
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())


def active(alerts):
    """Those Alertmanager still holds as firing (not past their endsAt)."""
    now = iso_now()
    return [a for a in alerts if a["status"]["state"] == "active" and a["endsAt"][:19] > now]


class Alertmanager:
    def __init__(self, directory):
        if not os.access(ALERTMANAGER, os.X_OK):
            raise TestFailure("%s not found: install the Debian package prometheus-alertmanager "
                              "(tools/deps.sh installs it)" % ALERTMANAGER)
        self.port = free_port()
        conf = os.path.join(directory, "alertmanager.yml")
        with open(conf, "w") as f:
            f.write(AM_CONFIG)
        storage = os.path.join(directory, "am-data")
        os.makedirs(storage, exist_ok=True)
        self.log = open(os.path.join(directory, "alertmanager.log"), "ab")
        self.proc = subprocess.Popen(
            [ALERTMANAGER, "--config.file=" + conf, "--storage.path=" + storage,
             "--web.listen-address=127.0.0.1:%d" % self.port, "--cluster.listen-address="],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        wait_for(self.ready, 20, "alertmanager to be ready")

    def get(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path),
                                    timeout=5) as resp:
            return resp.status, resp.read()

    def ready(self):
        check(self.proc.poll() is None, "alertmanager exited at start (see alertmanager.log)")
        try:
            return self.get("/-/ready")[0] == 200
        except OSError:
            return False

    def alerts(self, **labels):
        """Alerts listed by GET /api/v2/alerts whose labels include labels."""
        _, body = self.get("/api/v2/alerts")
        return [a for a in json.loads(body)
                if all(a["labels"].get(k) == v for k, v in labels.items())]

    def groups(self):
        _, body = self.get("/api/v2/alerts/groups")
        return json.loads(body)

    def amtool_query(self, *matchers):
        """amtool alert query MATCHERS -o json: the alerts it lists."""
        check(os.access(AMTOOL, os.X_OK), "%s not found (package prometheus-alertmanager)"
              % AMTOOL)
        p = subprocess.run([AMTOOL, "alert", "query", "-o", "json",
                            "--alertmanager.url=http://127.0.0.1:%d" % self.port] + list(matchers),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        check(p.returncode == 0, "amtool failed: %s" % p.stderr.decode("utf-8", "replace"))
        return json.loads(p.stdout or b"[]")

    def url(self):
        return "http://127.0.0.1:%d/api/v2/alerts" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


def start(make_env, name):
    env = make_env(name)
    am = Alertmanager(env.dir)
    env.start_redis()
    env.write_config(policies=POLICIES, receivers=receivers(am.url()))
    env.start_slad()
    return env, am


def breach(env, ticket, **attrs):
    fields = {"ticket": ticket, "type": "ticket.opened", "channel": "chat",
              "assignee": "alice", "ts": str(now_ms() - TARGET_MS + 100)}
    fields.update(attrs)
    env.xadd(fields)


def test_kept_alive_escalated_recovered(make_env):
    env, am = start(make_env, "alertmanager")
    try:
        breach(env, "am-1", group="billing")
        alerts = wait_for(lambda: active(am.alerts(ticket="am-1")), 15,
                          "the breach alert in alertmanager")
        check(len(alerts) == 1, "one alert: %r" % alerts)
        a = alerts[0]
        check(a["labels"] == {"alertname": "SLABreach", "ticket": "am-1",
                              "metric": "first_response", "cycle": "1", "receiver": "am",
                              "severity": "critical"}, "the label set: %r" % a["labels"])
        ann = a["annotations"]
        check(ann.get("level") == "1" and ann.get("assignee") == "alice" and
              ann.get("policy") == "chat-am", "annotations: %r" % ann)
        check(ann.get("runbook_url") == "https://wiki.example/sla/first-response",
              "the policy's runbook: %r" % ann)
        check(ann.get("summary", "").startswith("SLA breach: first response"), "summary: %r" % ann)
        breach_rec = [e for e in env.escalations() if e["kind"] == "breach"][0]
        check(a["startsAt"].startswith(time.strftime("%Y-%m-%dT", time.gmtime(
            int(breach_rec["deadline_ms"]) / 1000))), "startsAt is the deadline: %s" % a["startsAt"])
        first_ends = a["endsAt"]

        # Reassigned: the same alert, its annotations follow.
        env.xadd({"ticket": "am-1", "type": "ticket.updated", "assignee": "bob",
                  "group": "vip"})

        def reassigned():
            xs = active(am.alerts(ticket="am-1", receiver="am"))
            return xs if xs and xs[0]["annotations"].get("assignee") == "bob" else None
        xs = wait_for(reassigned, 10, "the reassignment in the alert's annotations")
        check(len(xs) == 1 and xs[0]["annotations"].get("group") == "vip", "one alert: %r" % xs)

        # Level 2 tells am-managers: its own alert, in the same group;
        # am's alert now says level 2.
        def escalated():
            mine = active(am.alerts(ticket="am-1", receiver="am"))
            mgr = active(am.alerts(ticket="am-1", receiver="am-managers"))
            return (mine, mgr) if mine and mgr and \
                mine[0]["annotations"].get("level") == "2" else None
        mine, mgr = wait_for(escalated, 15, "the level 2 alert")
        check(mgr[0]["annotations"].get("runbook_url") == "https://wiki.example/sla/first-response",
              "the policy's runbook before the receiver's: %r" % mgr[0]["annotations"])
        groups = [g for g in am.groups() if g["labels"].get("ticket") == "am-1"]
        check(len(groups) == 1 and len(active(groups[0]["alerts"])) == 2,
              "both alerts in one group: %r" % groups)
        queried = am.amtool_query("ticket=am-1")
        check(sorted(x["labels"]["receiver"] for x in queried) == ["am", "am-managers"],
              "amtool alert query lists both: %r" % queried)

        # Well past resolve_timeout (3s) and the first endsAt (+4s): still active.
        time.sleep(max(0.0, 5.5 - (now_ms() - int(breach_rec["fired_ms"])) / 1000.0))
        xs = active(am.alerts(ticket="am-1", receiver="am"))
        check(len(xs) == 1 and xs[0]["endsAt"] > first_ends,
              "still active, endsAt moved on: %r (first %s)" % (xs, first_ends))
        check(not any(e["kind"] not in ("breach", "escalation") for e in env.escalations()),
              "resends are no escalation records")

        # Answered (late): `recovered` resolves both alerts at once.
        env.xadd({"ticket": "am-1", "type": "agent.reply"})
        wait_for(lambda: not active(am.alerts(ticket="am-1")), 10,
                 "both alerts resolved by the reply")
        check(len([e for e in env.escalations() if e["kind"] == "recovered"]) == 2,
              "one recovered record per receiver told")
        time.sleep(2.5)  # two more resend intervals: nothing brings it back
        check(not active(am.alerts(ticket="am-1")), "still resolved")
        env.wait_delivered(10)
        check(not env.dead_deliveries(), "nothing dead-lettered")
    finally:
        am.stop()


def test_restart_ack_close(make_env):
    env, am = start(make_env, "alertmanager-ack")
    try:
        breach(env, "am-2")
        breach(env, "am-3")
        for t in ("am-2", "am-3"):
            wait_for(lambda: active(am.alerts(ticket=t)), 15, "the alert of %s" % t)
        env.wait_delivered(10)

        # A restart: the alerts are found again from the engine's state.
        env.stop_slad()
        before = {t: active(am.alerts(ticket=t, receiver="am"))[0]["endsAt"]
                  for t in ("am-2", "am-3")}
        env.start_slad()
        for t in ("am-2", "am-3"):
            wait_for(lambda: [x for x in active(am.alerts(ticket=t, receiver="am"))
                              if x["endsAt"] > before[t]],
                     10, "%s sent again after the restart" % t)

        # Resolved by slad within about a resend interval (not left to run
        # out at its endsAt, 3 to 4 s after the last send). Alertmanager's
        # API lists no resolved alert, so the `resolution` annotation it
        # carries is checked by the unit tests.
        rc, out, err = env.slactl("ack", "am-2")
        check(rc == 0, "slactl ack: %s %s" % (out, err))
        env.xadd({"ticket": "am-3", "type": "ticket.closed"})
        for t in ("am-2", "am-3"):
            wait_for(lambda: not active(am.alerts(ticket=t)), 2.5, "%s resolved" % t)
        check(not any(e["kind"] == "recovered" for e in env.escalations()),
              "resolved without a record")
    finally:
        am.stop()


WARN_POLICIES = """
policies = (
  { name = "chat-warn";
    first_response = { target = "30s"; warn = "20s"; warn_notify = [ "am" ];
      escalate = ( { after = "0s"; notify = [ "am" ]; } ); }; }
);
"""


def test_warning_resolved_when_met(make_env):
    """A warning holds until its deadline (its endsAt), but a reply before
    the deadline resolves it within about a resend interval: it does not
    stay active, telling people a promise is about to be missed, for the
    18 s left to the deadline."""
    env = make_env("alertmanager-warn")
    am = Alertmanager(env.dir)
    try:
        env.start_redis()
        env.write_config(policies=WARN_POLICIES, receivers=receivers(am.url()))
        env.start_slad()
        # Opened 12 s ago: warned at 10 s, due at 30 s.
        env.xadd({"ticket": "w-1", "type": "ticket.opened", "channel": "chat",
                  "ts": str(now_ms() - 12000)})
        xs = wait_for(lambda: active(am.alerts(ticket="w-1", alertname="SLAWarning")), 15,
                      "the warning alert")
        check(xs[0]["labels"].get("severity") == "warning", "a warning: %r" % xs[0]["labels"])
        env.xadd({"ticket": "w-1", "type": "agent.reply"})
        replied = now_ms()
        wait_for(lambda: not active(am.alerts(ticket="w-1")), 4, "the warning resolved by the reply")
        check(now_ms() - replied < 15000, "resolved long before the deadline")
        check(not any(e["kind"] == "breach" for e in env.escalations()), "no breach")
    finally:
        am.stop()


if __name__ == "__main__":
    run_tests([test_kept_alive_escalated_recovered, test_restart_ack_close,
               test_warning_resolved_when_met], limit=120)
