"""Delivery to a real Prometheus Alertmanager.

Starts /usr/bin/prometheus-alertmanager (Debian package
prometheus-alertmanager, installed by tools/deps.sh) on a free loopback
port, clustering off, storage in the test's directory; a receiver with
format "alertmanager" posts to its /api/v2/alerts. A breach must show up
as an active alert with slad's labels, and the `recovered` notice sent
when the ticket is answered late must resolve it.
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
TARGET_MS = 30000

POLICIES = """
policies = (
  { name = "chat-am";
    first_response = { target = "30s";
      escalate = ( { after = "0s"; notify = [ "am" ]; } );
      recovered = true; }; }
);
"""

AM_CONFIG = """route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
"""


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

    def url(self):
        return "http://127.0.0.1:%d/api/v2/alerts" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


def test_breach_and_recovery(make_env):
    env = make_env("alertmanager")
    am = Alertmanager(env.dir)
    try:
        env.start_redis()
        env.write_config(policies=POLICIES, receivers='  { name = "am"; format = "alertmanager"; '
                         'url = "%s"; }' % am.url())
        env.start_slad()
        env.xadd({"ticket": "am-1", "type": "ticket.opened", "channel": "chat",
                  "priority": "high", "ts": str(now_ms() - TARGET_MS + 200)})
        alerts = wait_for(lambda: am.alerts(ticket="am-1"), 15, "the breach alert in alertmanager")
        a = alerts[0]
        labels = a["labels"]
        check(labels.get("alertname") == "SLABreach", "alertname SLABreach: %r" % labels)
        check(labels.get("metric") == "first_response", "metric label: %r" % labels)
        check(labels.get("policy") == "chat-am", "policy label: %r" % labels)
        check(labels.get("level") == "1", "level label: %r" % labels)
        check(labels.get("receiver") == "am", "receiver label: %r" % labels)
        check(labels.get("channel") == "chat" and labels.get("priority") == "high",
              "ticket attributes as labels: %r" % labels)
        check(a["status"]["state"] == "active", "the alert is active: %r" % a["status"])
        breach = [e for e in env.escalations() if e["kind"] == "breach"][0]
        starts = a["startsAt"]
        check(starts.startswith(time.strftime("%Y-%m-%dT", time.gmtime(
            int(breach["deadline_ms"]) / 1000))), "startsAt is the deadline: %s" % starts)

        # Answered late: slad sends `recovered`, which ends the alert.
        env.xadd({"ticket": "am-1", "type": "agent.reply"})
        wait_for(lambda: any(e["kind"] == "recovered" for e in env.escalations()), 10,
                 "the recovered record")

        def resolved():
            # API v2 lists only unresolved alerts by default; a resolved one
            # is gone or carries an endsAt in the past.
            left = am.alerts(ticket="am-1")
            return not left or all(x["status"]["state"] != "active" or
                                   x["endsAt"] <= time.strftime("%Y-%m-%dT%H:%M:%S",
                                                                time.gmtime())
                                   for x in left)
        wait_for(resolved, 15, "the alert resolved by the recovered notice")
        env.wait_delivered(10)
        check(not env.dead_deliveries(), "nothing dead-lettered")
    finally:
        am.stop()


if __name__ == "__main__":
    run_tests([test_breach_and_recovery], limit=90)
