"""Redis stopped for 5 s and started again: slad reconnects and carries on.

The server keeps its data across the restart (AOF), as a production Redis
would; slad must notice the loss, back off, reconnect both connections and
consume what is written afterwards.
"""

import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import STATE, check, now_ms, run_tests  # noqa: E402


def opened(prefix, n):
    ts = now_ms() - 1000
    return [{"ticket": "%s%d" % (prefix, i), "type": "ticket.opened", "channel": "email",
             "ts": str(ts)} for i in range(n)]


def test_reconnect_after_restart(make_env):
    env = make_env("redis-restart", aof=True)
    env.start_redis()
    env.write_config()
    env.start_slad()
    env.xadd_many(opened("before-", 100))
    env.wait_consumed(20)
    check(env.r.hlen(STATE) == 100, "100 tickets before the restart")

    env.stop_redis()
    time.sleep(5)
    check(env.slad_alive(), "slad survives losing redis")
    log = env.log()
    check("redis reader: connection lost" in log, "the reader's loss is logged")
    check("redis command: connection lost" in log, "the command link's loss is logged")
    check(log.count("redis reader: connection lost") == 1,
          "a loss is logged once, not per attempt")
    env.start_redis()
    env.wait_log(r"redis reader: reconnected", 20)
    env.wait_log(r"redis command: reconnected", 20)

    env.xadd_many(opened("after-", 100))
    env.wait_consumed(20)
    check(env.r.hlen(STATE) == 200, "200 tickets after the restart, got %d" % env.r.hlen(STATE))
    check(env.pending_count() == 0, "nothing pending")
    check(env.stop_slad() == 0, "slad exits 0 on SIGTERM")


def test_start_before_redis(make_env):
    """slad started while redis is down waits for it (READY only then)."""
    env = make_env("redis-late", aof=True)
    env.write_config()
    env.start_slad(wait_ready=False)
    time.sleep(1.5)
    check(env.slad_alive(), "slad waits for redis instead of exiting")
    check("<5>ready" not in env.log(), "not ready without redis")
    env.start_redis()
    env.wait_log(r"<5>ready", 20)
    env.xadd_many(opened("late-", 10))
    env.wait_consumed(20)
    check(env.r.hlen(STATE) == 10, "10 tickets")


def test_frozen_server(make_env):
    """A server that stops answering: the blocking read's guard resets the link."""
    env = make_env("redis-frozen")
    env.start_redis()
    env.write_config(block=1000)  # guard: block + 5 s
    env.start_slad()
    frozen = subprocess.Popen(["redis-cli", "-p", str(env.redis_port), "DEBUG", "SLEEP", "8"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        env.wait_log(r"no reply to XREADGROUP within 6000 ms", 12)
        frozen.wait(timeout=15)
    finally:
        if frozen.poll() is None:
            frozen.kill()
            frozen.wait()
    env.wait_log(r"redis reader: reconnected", 15)
    env.xadd_many(opened("thawed-", 10))
    env.wait_consumed(20)
    check(env.r.hlen(STATE) == 10, "10 tickets after the freeze")


if __name__ == "__main__":
    run_tests([test_reconnect_after_restart, test_start_before_redis, test_frozen_server])
