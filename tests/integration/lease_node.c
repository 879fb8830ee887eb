/*
 * lease_node — daemon/leases.c alone, for tests/integration/test_leases.py:
 * one instance holding partition leases on a real redis-server, with no
 * pipeline behind them.
 *
 *   lease_node CONFIG   (partitions, instance and redis of slad.conf)
 *
 * Prints "+P TOKEN" when it takes partition P and "-P" when it loses it,
 * one line each, flushed at once; on SIGTERM it gives every partition back
 * (leases_stop), prints "stopped" and exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "leases.h"
#include "redis_link.h"
#include "reply_arena.h"
#include "sla_config.h"
#include "sla_log.h"

static struct event_base *base;

static void on_change(int partition, int owned, const char *token, void *arg)
{
    if (owned)
        printf("+%d %s\n", partition, token);
    else
        printf("-%d\n", partition);
    fflush(stdout);
}

static void on_stopped(void *arg)
{
    printf("stopped\n");
    fflush(stdout);
    event_base_loopbreak(base);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
    leases_stop(on_stopped, NULL);
}

int main(int argc, char **argv)
{
    char err[1024];
    sla_config *cfg = NULL;
    if (argc != 2 || sla_config_load(argv[1], &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "usage: lease_node CONFIG (%s)\n", argc == 2 ? err : "");
        return 2;
    }
    sla_log_set_level(cfg->log_level);
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    redis_link *link = redis_link_new(base, cfg, "lease", leases_on_link, NULL);
    struct event *term = evsignal_new(base, SIGTERM, on_term, NULL);
    if (!base || !link || !term || leases_init(base, link, cfg, on_change, NULL) < 0) {
        fprintf(stderr, "lease_node: cannot start\n");
        return 1;
    }
    redis_link_set_reply_timeout(link, cfg->instance.lease_ttl_ms / 3);
    evsignal_add(term, NULL);
    redis_link_start(link);
    event_base_dispatch(base);
    leases_finish();
    redis_link_free(link);
    event_free(term);
    event_base_free(base);
    reply_arena_release();
    sla_config_free(cfg);
    return 0;
}
