/*
 * notify — sd_notify glue. See notify.h.
 *
 * The watchdog interval is read once at start (WATCHDOG_USEC); the timer
 * is persistent, so the only way pings stop is the loop itself stopping.
 */
#include "notify.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "sla_log.h"

static struct event *notify_watchdog;

static void notify_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    sd_notify(0, "WATCHDOG=1");
}

int notify_init(struct event_base *base)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    notify_watchdog = event_new(base, -1, EV_PERSIST, notify_on_watchdog, NULL);
    if (notify_watchdog == NULL)
        return -1;
    uint64_t half = usec / 2;
    struct timeval tv = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};
    event_add(notify_watchdog, &tv);
    sla_info("systemd watchdog: pinging every %llu ms", (unsigned long long)(half / 1000));
    return 0;
}

void notify_finish(void)
{
    if (notify_watchdog)
        event_free(notify_watchdog);
    notify_watchdog = NULL;
}

void notify_ready(void)
{
    sd_notify(0, "READY=1");
}

void notify_reloading(void)
{
    sd_notify(0, "RELOADING=1");
}

void notify_stopping(void)
{
    sd_notify(0, "STOPPING=1");
}

void notify_status(const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof line, "STATUS=");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    sd_notify(0, line);
}
