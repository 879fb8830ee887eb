/*
 * http — /metrics and /healthz for Prometheus and load checks.
 *
 * An evhttp server on http.listen ("HOST:PORT" or "[V6]:PORT"; "" turns
 * it off), loopback by default; another address works but is logged as a
 * warning, since nothing here is authenticated. Only GET and HEAD:
 *
 *   /metrics  Prometheus text exposition format 0.0.4: ingest, engine,
 *             decisions (stats), lateness histogram, deliveries, Redis
 *             links and backlog; every family with HELP and TYPE
 *   /healthz  200 "ok" when the Redis command connection is up, its
 *             oldest command has waited at most HTTP_HEALTH_REDIS_WAIT_MS
 *             for a reply, and the event loop ticked within
 *             HTTP_HEALTH_MAX_AGE_MS; else 503 with the reason
 *   anything else: 404
 *
 * Every answer is built from numbers already in memory, so a scrape never
 * waits for Redis. One request per connection ("Connection: close"); at
 * most http.max_connections are open at once (a connection over that is
 * closed at once), and each is closed http.request_timeout after it was
 * accepted, however slowly its bytes come. A listener out of descriptors
 * pauses (listen_guard) rather than spinning.
 *
 * Ownership: links are borrowed and must outlive http_finish(); the
 * listen address is used at init only.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include <event2/event.h>

#include "redis_link.h"
#include "sla_config.h"

/* How often open connections are checked against their deadline. */
#define HTTP_SWEEP_MS 100
#define HTTP_HEALTH_MAX_AGE_MS 5000
/* The command connection is unhealthy when a reply has waited this long. */
#define HTTP_HEALTH_REDIS_WAIT_MS 1000

struct store; /* store.h */

typedef struct http_links {
    redis_link *command;     /* /healthz follows this one */
    struct store *store;     /* the engine counted and its input's position */
    redis_link *const *all;  /* every link, for slad_redis_* */
    size_t nall;
} http_links;

/* Listen on cfg->http_listen (nothing when ""). Returns 0, or -1 after
 * logging why. */
int http_init(struct event_base *base, const sla_config *cfg, const http_links *links);
void http_finish(void);

#endif
