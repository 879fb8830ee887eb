/*
 * wakeup — wall clock and the engines' alarms. See wakeup.h.
 *
 * The delay is computed from CLOCK_REALTIME at arming time; libevent then
 * counts it on its monotonic clock. A wall-clock step while armed shifts
 * the firing by the step, which the engine tolerates: it fires whatever is
 * due at the time it is advanced, and the alarm is re-armed after every
 * advance. The alarm has the loop's most urgent priority (priority.h).
 */
#include "wakeup.h"

#include <stdlib.h>
#include <time.h>

#include "priority.h"
#include "sla_log.h"

struct wakeup {
    struct event *event;
    wakeup_fn *fn;
    void *arg;
};

int64_t wakeup_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wakeup_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void wakeup_on_timer(evutil_socket_t fd, short what, void *arg)
{
    wakeup *w = arg;
    w->fn(w->arg);
}

wakeup *wakeup_new(struct event_base *base, wakeup_fn *fn, void *arg)
{
    wakeup *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->event = evtimer_new(base, wakeup_on_timer, w);
    if (w->event == NULL) {
        free(w);
        return NULL;
    }
    event_priority_set(w->event, SLAD_PRIORITY_ALARM);
    w->fn = fn;
    w->arg = arg;
    return w;
}

void wakeup_free(wakeup *w)
{
    if (w == NULL)
        return;
    event_free(w->event);
    free(w);
}

void wakeup_arm(wakeup *w, int64_t at_ms)
{
    if (at_ms == INT64_MAX) {
        evtimer_del(w->event);
        return;
    }
    /* In microseconds: a delay rounded to whole milliseconds of "now"
     * could wake the engine just before at_ms, with nothing due yet. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    int64_t delay_us = at_ms > INT64_MAX / 1000 ? INT64_MAX / 2 : at_ms * 1000 - now_us;
    if (delay_us < 0)
        delay_us = 0;
    struct timeval tv = {(time_t)(delay_us / 1000000), (suseconds_t)(delay_us % 1000000)};
    evtimer_add(w->event, &tv);
}

void wakeup_disarm(wakeup *w)
{
    evtimer_del(w->event);
}
