/*
 * store_node — daemon/store.c alone with its commits fenced on a lease,
 * for tests/integration/test_fenced_store.py: loads partition P's state,
 * stages the acknowledgement of each entry id given and commits them in
 * one fenced step.
 *
 *   store_node CONFIG P TOKEN ID...
 *
 * Prints "committed" or "refused" and exits 0 (2 on bad arguments).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "redis_link.h"
#include "reply_arena.h"
#include "sla_config.h"
#include "sla_keys.h"
#include "sla_log.h"
#include "store.h"

static struct event_base *base;
static store *st;
static char **ids;
static int nids, committing;

static void on_committed(int ok, void *arg)
{
    printf("%s\n", ok ? "committed" : "refused");
    fflush(stdout);
    event_base_loopbreak(base);
}

static void on_state(int ready, void *arg)
{
    if (!ready || committing)
        return;
    committing = 1;
    for (int i = 0; i < nids; i++)
        store_stage_ack(st, ids[i], strlen(ids[i]));
    store_commit(st, on_committed, NULL);
}

static void on_link(redis_link *link, int up, void *arg)
{
    if (st)
        store_on_link(st, up);
}

int main(int argc, char **argv)
{
    char err[1024];
    sla_config *cfg = NULL;
    sla_keys keys;
    if (argc < 4 || sla_config_load(argv[1], &cfg, err, sizeof err) < 0 ||
        sla_keys_init(&keys, cfg->stream.prefix, atoi(argv[2])) < 0) {
        fprintf(stderr, "usage: store_node CONFIG P TOKEN ID...\n");
        return 2;
    }
    ids = argv + 4;
    nids = argc - 4;
    sla_log_set_level(cfg->log_level);
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    redis_link *link = redis_link_new(base, cfg, "command", on_link, NULL);
    st = link ? store_new(base, link, &keys, cfg, on_state, NULL) : NULL;
    if (!st || store_set_fence(st, keys.lease, argv[3]) < 0) {
        fprintf(stderr, "store_node: cannot start\n");
        return 1;
    }
    redis_link_start(link);
    event_base_dispatch(base);
    store_free(st);
    st = NULL;
    redis_link_free(link);
    event_base_free(base);
    reply_arena_release();
    sla_config_free(cfg);
    return 0;
}
