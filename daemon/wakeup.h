/*
 * wakeup — the daemon's wall clock and the engine's alarm.
 *
 * The engine works in absolute milliseconds since the epoch
 * (CLOCK_REALTIME); libevent timers take relative delays. This module is
 * the one place that reads the clocks (the monotonic one for durations) and turns "wake me at T" into a
 * libevent timer. Each engine has its alarm (a wakeup, owned by its
 * store): arming it again replaces the previous time, so there is no
 * periodic tick and no busy loop.
 */
#ifndef WAKEUP_H
#define WAKEUP_H

#include <stdint.h>

#include <event2/event.h>

/* Milliseconds since the epoch, CLOCK_REALTIME. */
int64_t wakeup_now_ms(void);
/* Microseconds of CLOCK_MONOTONIC: for durations (slices of work, waits). */
int64_t wakeup_mono_us(void);

typedef void wakeup_fn(void *arg);
typedef struct wakeup wakeup;

/* A new alarm, disarmed; fn(arg) runs when it goes off. NULL on OOM. */
wakeup *wakeup_new(struct event_base *base, wakeup_fn *fn, void *arg);
void wakeup_free(wakeup *w);

/* Go off at at_ms (now if already past); INT64_MAX disarms. */
void wakeup_arm(wakeup *w, int64_t at_ms);
void wakeup_disarm(wakeup *w);

#endif
