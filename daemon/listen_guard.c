/*
 * listen_guard — pause a listener that cannot accept. See listen_guard.h.
 *
 * The error callback's argument is the listener's user data, which
 * belongs to whoever accepts (evhttp passes its server there), so the
 * guard of a listener is found in a small table instead: slad has two
 * listeners.
 */
#include "listen_guard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_log.h"

struct listen_guard {
    struct evconnlistener *listener;
    struct event *resume;
    int pause_ms;          /* the next pause */
    char name[16];
};

#define LISTEN_GUARD_MAX 4

static listen_guard *guards[LISTEN_GUARD_MAX];

static void listen_guard_on_resume(evutil_socket_t fd, short what, void *arg)
{
    listen_guard *g = arg;
    evconnlistener_enable(g->listener);
}

static void listen_guard_on_error(struct evconnlistener *l, void *arg)
{
    int err = errno;
    listen_guard *g = NULL;
    for (size_t i = 0; i < LISTEN_GUARD_MAX && g == NULL; i++)
        if (guards[i] && guards[i]->listener == l)
            g = guards[i];
    if (g == NULL)
        return;
    evconnlistener_disable(l);
    struct timeval tv = {g->pause_ms / 1000, (g->pause_ms % 1000) * 1000};
    evtimer_add(g->resume, &tv);
    sla_warning("%s: accept: %s; not accepting for %d ms", g->name, strerror(err), g->pause_ms);
    g->pause_ms = g->pause_ms * 2 > LISTEN_GUARD_MAX_MS ? LISTEN_GUARD_MAX_MS : g->pause_ms * 2;
}

listen_guard *listen_guard_new(struct event_base *base, struct evconnlistener *l,
                               const char *name)
{
    size_t slot = 0;
    while (slot < LISTEN_GUARD_MAX && guards[slot])
        slot++;
    listen_guard *g = slot < LISTEN_GUARD_MAX ? calloc(1, sizeof *g) : NULL;
    if (g == NULL)
        return NULL;
    g->resume = evtimer_new(base, listen_guard_on_resume, g);
    if (g->resume == NULL) {
        free(g);
        return NULL;
    }
    g->listener = l;
    g->pause_ms = LISTEN_GUARD_FIRST_MS;
    snprintf(g->name, sizeof g->name, "%s", name);
    guards[slot] = g;
    evconnlistener_set_error_cb(l, listen_guard_on_error);
    return g;
}

void listen_guard_accepted(listen_guard *g)
{
    if (g)
        g->pause_ms = LISTEN_GUARD_FIRST_MS;
}

void listen_guard_free(listen_guard *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < LISTEN_GUARD_MAX; i++)
        if (guards[i] == g)
            guards[i] = NULL;
    evconnlistener_set_error_cb(g->listener, NULL);
    event_free(g->resume);
    free(g);
}
