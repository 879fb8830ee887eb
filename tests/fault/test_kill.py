"""slad SIGKILLed at random moments under a steady load.

Twenty-four kills -9, at seeded random delays (0.2 to 1.0 s of running
each time), while a producer writes tickets at a steady rate whose
warnings, breaches and escalations fall due throughout the run. After the
load, the killed slad must have recorded exactly what an untouched
reference slad recorded: every record once, none missing, nothing
pending, every open ticket in sla:state (faultlib.check_invariants).
"""

import os
import random
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import (Producer, check, check_invariants, plan_tickets, run_tests,  # noqa: E402
                      settle, start_pair)

SEED = int(os.environ.get("SLA_FAULT_SEED", "20260101"))
KILLS = 24
RATE = 60  # tickets per second


def test_sigkill_under_load(make_env):
    rng = random.Random(SEED)
    faulty, ref = start_pair(make_env, "kill")
    plans = plan_tickets(SEED, 1800)
    producer = Producer([ref, faulty], plans, RATE)
    producer.start()
    kills = 0
    restart_s = []
    while kills < KILLS:
        time.sleep(rng.uniform(0.2, 1.0))
        check(faulty.slad_alive(), "slad alive before kill %d" % (kills + 1))
        faulty.kill_slad()
        kills += 1
        t0 = time.monotonic()
        faulty.start_slad()
        restart_s.append(time.monotonic() - t0)
    print("seed %d: %d kills while %d of %d tickets were written; restart to ready "
          "%.2f s at most" % (SEED, kills, producer.written, len(plans), max(restart_s)))
    check(not producer.done.is_set(), "the load was still running after the last kill")
    settle(producer, [faulty, ref])
    check(faulty.slad_alive() and ref.slad_alive(), "both slads alive at the end")
    kinds = check_invariants(faulty, ref, plans)
    print("records by kind: %r" % dict(kinds))
    check(faulty.stop_slad() == 0 and ref.stop_slad() == 0, "both exit 0 on SIGTERM")


if __name__ == "__main__":
    run_tests([test_sigkill_under_load], limit=240)
