"""Hardening seen from outside: secrets never logged, a warning when run as
root, the systemd unit's exposure score.

- A receiver's signing secret (secret_file), a token in a receiver's URL
  read from url_file, and the Redis password
  (redis.password_file, against a redis-server with requirepass) never
  appear in slad's stderr at log level debug: not at start, not while a
  signed webhook is delivered, not on reload, not when Redis refuses a
  wrong password.
- slad started as root logs a warning (<4>) saying so.
- `systemd-analyze security --offline=yes systemd/slad.service` rates the
  unit 2.0 or lower.
"""

import base64
import os
import re
import signal
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import (TestFailure, check, now_ms, policies, run_tests,  # noqa: E402
                      start_redis_with_password, use_redis_password, wait_for)
import harness  # noqa: E402

SIGNING_KEY = b"slad hardening test signing key"
SECRET = "whsec_" + base64.b64encode(SIGNING_KEY).decode()
PASSWORD = "Redis-Pa55-7d1c94b0e2"
URL_TOKEN = "url-token-5be0c7a1d9"  # in a receiver's url_file, as Slack/WeCom tokens are
MAX_EXPOSURE = 2.0


def secret_forms():
    """Every form in which the secrets could leak into a log line."""
    return [SECRET, SECRET[len("whsec_"):], SIGNING_KEY.decode(), SIGNING_KEY.hex(), PASSWORD,
            URL_TOKEN]


def test_secrets_not_logged(make_env):
    env = make_env("secrets")
    start_redis_with_password(env, PASSWORD)
    sink = env.start_sink()
    secret_file = env.write_secret("hooks.secret", SECRET)
    password_file = env.write_secret("redis.password", PASSWORD)
    # supervisor's URL, with its token, comes from a url_file.
    url_file = env.write_secret("supervisor.url",
                                sink.url("/hooks/supervisor") + "?token=" + URL_TOKEN)
    receivers = ",\n".join(
        '  { name = "%s"; format = "json"; %s; secret_file = "%s"; }'
        % (n, 'url_file = "%s"' % url_file if n == "supervisor"
           else 'url = "%s"' % sink.url("/hooks/" + n), secret_file)
        for n in ("team_lead", "supervisor", "manager", "director"))
    env.write_config(policies=policies(), receivers=receivers)
    use_redis_password(env, password_file, log_level="debug")
    env.start_slad()
    env.xadd({"ticket": "sec-1", "type": "ticket.opened", "channel": "chat",
              "ts": str(now_ms() - 7000)})
    got = wait_for(lambda: sink.requests("/hooks/supervisor"), 15, "a signed webhook delivered")
    check(URL_TOKEN in str(got[0].get("query")), "posted to the URL of the url_file: %r"
          % got[0].get("query"))
    env.signal_slad(signal.SIGHUP)
    env.wait_log(r"configuration reloaded", 10)
    check(env.stop_slad() == 0, "exits 0 on SIGTERM")

    # A wrong password: Redis refuses it, slad says so without the password.
    wrong = env.write_secret("redis.password", PASSWORD + "-wrong")
    check(wrong == password_file, "same file")
    env.start_slad(wait_ready=False)
    wait_for(lambda: re.search(r"(?i)auth|password", env.log(since_last_start=True)), 10,
             "slad reports the refused password")
    print("refused: " + [l for l in env.log(since_last_start=True).splitlines()
                         if re.search(r"(?i)auth|password", l)][0])
    env.kill_slad()

    log = env.log()
    check("<7>" in log, "the log was written at debug level")
    for form in secret_forms():
        check(form not in log, "a secret (%d bytes, starting %r) appears in slad's log"
              % (len(form), form[:4]))
    print("%d log lines at debug level, none with a secret" % log.count("\n"))


def test_root_warning(make_env):
    if os.geteuid() != 0:
        print("not running as root: the warning cannot be observed; nothing to check")
        return
    env = make_env("root")
    env.start_redis()
    env.write_config(policies=policies())
    env.start_slad()
    check(re.search(r"^<4>.*running as root", env.log(), re.M),
          "slad run as root logs a warning (<4>) about it")
    check(env.stop_slad() == 0, "exits 0 on SIGTERM")


def test_unit_exposure(make_env):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        raise TestFailure("systemd-analyze is missing: install systemd (tools/deps.sh)")
    unit = os.path.join(harness.SOURCE_DIR, "systemd", "slad.service")
    p = subprocess.run([tool, "security", "--offline=yes", "--no-pager", unit],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout)
    if m is None:
        raise TestFailure("no exposure level in systemd-analyze's output:\n" + p.stdout[-2000:])
    score = float(m.group(1))
    print("systemd-analyze security --offline=yes: %.1f" % score)
    check(score <= MAX_EXPOSURE, "systemd/slad.service exposure %.1f > %.1f; what counts:\n%s"
          % (score, MAX_EXPOSURE, "\n".join(l for l in p.stdout.splitlines() if "✗" in l)))


if __name__ == "__main__":
    run_tests([test_secrets_not_logged, test_root_warning, test_unit_exposure], limit=120)
