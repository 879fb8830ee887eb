/*
 * listen_guard — a listener that runs out of descriptors pauses instead of
 * spinning.
 *
 * A listening socket with a connection waiting stays readable while
 * accept(2) fails (EMFILE, ENFILE, ENOBUFS, ENOMEM): left alone, the loop
 * would call accept again at once, forever, and log each failure. The
 * guard takes the listener's error callback: on a failure it stops
 * accepting for a pause that doubles from LISTEN_GUARD_FIRST_MS up to
 * LISTEN_GUARD_MAX_MS while the failures go on, logs one warning per pause
 * (the log's repeat limit thins them further), then accepts again. The
 * waiting connections stay in the kernel's backlog meanwhile. A connection
 * accepted (listen_guard_accepted) makes the next pause the shortest again.
 *
 * Ownership: the guard borrows the listener, which must outlive it; name
 * is copied.
 */
#ifndef LISTEN_GUARD_H
#define LISTEN_GUARD_H

#include <event2/event.h>
#include <event2/listener.h>

#define LISTEN_GUARD_FIRST_MS 50
#define LISTEN_GUARD_MAX_MS 2000

typedef struct listen_guard listen_guard;

/* Guard l; name prefixes its log lines ("http", "control"). NULL when out of memory. */
listen_guard *listen_guard_new(struct event_base *base, struct evconnlistener *l,
                               const char *name);
/* A connection was accepted: the failures are over. */
void listen_guard_accepted(listen_guard *g);
/* Stop guarding (the listener is left as it is). NULL is fine. */
void listen_guard_free(listen_guard *g);

#endif
