/*
 * notify — talking to the service manager (sd_notify).
 *
 * READY=1 once the daemon does its job (group joined, state loaded),
 * RELOADING=1 / READY=1 around a reload, STOPPING=1 on the way out,
 * STATUS= lines for `systemctl status`, and WATCHDOG=1 from a timer on the
 * event loop at half the interval systemd asked for, so a stuck loop stops
 * the pings and systemd restarts the daemon. Without systemd (no
 * NOTIFY_SOCKET) every call is a no-op.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <event2/event.h>

/* Start the watchdog timer when systemd enabled it. Returns 0 or -1. */
int notify_init(struct event_base *base);
void notify_finish(void);

void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
