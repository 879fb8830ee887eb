"""redis-server SIGKILLed and restarted mid-load, AOF with appendfsync always.

The faulty Env's Redis is killed -9 three times while the producer writes
(it retries until its MULTI lands) and slad commits; each time it is
restarted on the same port and directory and loads its append-only file.
slad reconnects with backoff and resumes from its pending entries. After
the load, the same invariants as for slad's own crash hold
(faultlib.check_invariants): what was acknowledged survived, nothing was
recorded twice, nothing is left pending.
"""

import os
import random
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import (Producer, check, check_invariants, kill_redis, plan_tickets,  # noqa: E402
                      run_tests, settle, start_pair)

SEED = int(os.environ.get("SLA_FAULT_SEED", "20260102"))
REDIS_KILLS = 3
RATE = 60


def test_redis_sigkill_under_load(make_env):
    rng = random.Random(SEED)
    faulty, ref = start_pair(make_env, "rkill", aof=True)
    plans = plan_tickets(SEED, 1500)
    producer = Producer([ref, faulty], plans, RATE)
    producer.start()
    for n in range(REDIS_KILLS):
        time.sleep(rng.uniform(2.0, 5.0))
        kill_redis(faulty)
        time.sleep(rng.uniform(0.2, 1.5))  # Redis stays down a while
        faulty.start_redis()
        check(faulty.slad_alive(), "slad survives Redis being killed (%d)" % (n + 1))
    print("seed %d: %d Redis kills while %d of %d tickets were written; producer retried "
          "%d times" % (SEED, REDIS_KILLS, producer.written, len(plans), producer.retries))
    check(not producer.done.is_set(), "the load was still running after the last kill")
    settle(producer, [faulty, ref])
    check(faulty.slad_alive(), "slad alive at the end")
    kinds = check_invariants(faulty, ref, plans)
    print("records by kind: %r" % dict(kinds))
    check(faulty.stop_slad() == 0 and ref.stop_slad() == 0, "both exit 0 on SIGTERM")


if __name__ == "__main__":
    run_tests([test_redis_sigkill_under_load], limit=240)
