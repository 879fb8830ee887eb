"""SIGHUP reloads with good and bad configurations, alternating, under load.

While the producer writes, the faulty slad's configuration file is
rewritten and SIGHUP sent every 0.3 to 0.8 s (seeded): a good file (the
same rules written differently, so the expected records do not change)
and a bad one in turn: a syntax error, a ladder naming an unknown
receiver, a bad duration, a missing include, a secret file readable by
others. A good one must be applied, a bad one refused with the old kept,
and slad must never exit. After the load, faultlib.check_invariants.
"""

import os
import random
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import (Producer, check, check_invariants, plan_tickets, policies,  # noqa: E402
                      run_tests, settle, start_pair, wait_for)

SEED = int(os.environ.get("SLA_FAULT_SEED", "20260103"))
RATE = 60


def bad_configs(env):
    """(what, writer) pairs; each writer writes a configuration slad must refuse."""
    world = os.path.join(env.dir, "world.secret")
    with open(world, "w") as f:
        f.write("s3cr3t\n")
    os.chmod(world, 0o644)
    good = policies()
    return [
        ("syntax error", lambda: env.write_config(policies=good + "\nthis is not libconfig {")),
        ("unknown receiver", lambda: env.write_config(
            policies=good.replace('notify = [ "manager" ]', 'notify = [ "nobody" ]'))),
        ("bad duration", lambda: env.write_config(policies=good.replace('"6s"', '"6 parsecs"'))),
        ("missing include", lambda: env.write_config(
            policies=good + '\n@include "no-such-file.conf"\n')),
        ("secret readable by others", lambda: env.write_config(
            policies=good, receivers='  { name = "team_lead"; url = "http://127.0.0.1:9/"; '
                                     'secret_file = "%s"; }' % world)),
    ]


def test_sighup_good_and_bad(make_env):
    rng = random.Random(SEED)
    faulty, ref = start_pair(make_env, "hup")
    plans = plan_tickets(SEED, 1500)
    producer = Producer([ref, faulty], plans, RATE)
    bad = bad_configs(faulty)
    producer.start()
    applied = refused = 0
    n = 0
    while not producer.done.is_set() and n < 40:
        time.sleep(rng.uniform(0.3, 0.8))
        n += 1
        if n % 2:
            what, write = bad[(n // 2) % len(bad)]
            write()
            before = faulty.log().count("reload refused")
            faulty.signal_slad(signal.SIGHUP)
            wait_for(lambda: faulty.log().count("reload refused") > before, 10,
                     "reload of a bad configuration (%s) refused" % what)
            refused += 1
        else:
            faulty.write_config(policies=policies("\n    # reload %d\n" % n))
            before = faulty.log().count("configuration reloaded")
            faulty.signal_slad(signal.SIGHUP)
            wait_for(lambda: faulty.log().count("configuration reloaded") > before, 10,
                     "reload of a good configuration applied")
            applied += 1
        check(faulty.slad_alive(), "slad alive after reload %d" % n)
    faulty.write_config(policies=policies())
    print("seed %d: %d reloads applied, %d refused, while %d of %d tickets were written"
          % (SEED, applied, refused, producer.written, len(plans)))
    check(applied >= 10 and refused >= 10, "at least 10 good and 10 bad reloads")
    settle(producer, [faulty, ref])
    check(faulty.slad_alive(), "slad alive at the end")
    kinds = check_invariants(faulty, ref, plans)
    print("records by kind: %r" % dict(kinds))
    check(faulty.stop_slad() == 0 and ref.stop_slad() == 0, "both exit 0 on SIGTERM")


if __name__ == "__main__":
    run_tests([test_sighup_good_and_bad], limit=240)
