/*
 * priority — the event loop's priorities, most urgent first.
 *
 * One thread serves the engine's alarm, ingest, the store, control, HTTP
 * and webhook delivery. libevent runs the callbacks of the most urgent
 * priority that has any ready before the others, and main.c bounds a run
 * of less urgent callbacks (SLAD_PRIORITY_NORMAL and below) to about a
 * millisecond before it looks at the clock and the sockets again, so a
 * deadline falling due waits for at most one callback, not for a burst of
 * deliveries.
 *
 *   ALARM   the engine's alarm (wakeup.c): firing on time is the product
 *   NORMAL  the default: Redis links of ingest and store, control, HTTP,
 *           signals, housekeeping timers
 *   BULK    webhook delivery (deliver.c): libcurl sockets and timers and
 *           its own Redis link; latency there is measured in tens of
 *           milliseconds anyway (a receiver's round trip)
 *
 * An event must get its priority before it is first made active; libevent
 * gives events created without one the middle priority, NORMAL.
 */
#ifndef PRIORITY_H
#define PRIORITY_H

enum slad_priority {
    SLAD_PRIORITY_ALARM = 0,
    SLAD_PRIORITY_NORMAL = 1,
    SLAD_PRIORITY_BULK = 2,
    SLAD_PRIORITIES
};

/* How long a run of NORMAL and BULK callbacks may take before libevent
 * checks for more urgent events. */
#define SLAD_DISPATCH_SLICE_US 1000

#endif
