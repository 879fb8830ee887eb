/*
 * slad — command line, startup order, signals and shutdown.
 *
 * Startup, in the order below (each step only needs the ones before it):
 *
 *   1. log level      stderr, "<N>" syslog prefixes (info until configured)
 *   2. configuration  sla_config_load; --check-config stops here
 *   3. key names      sla_keys_init (single partition)
 *   4. event loop     libevent base
 *   5. signals        evsignal: TERM/INT stop, HUP reload (nothing runs in
 *                     a signal handler; libevent turns signals into events)
 *   6. redis          three links: "reader" (only the blocking XREADGROUP),
 *                     "command" (everything else) and "deliver" (the
 *                     outbox reads and their acknowledgements); with
 *                     redis.cluster a router (cluster.h), "command" and
 *                     "lease" on the slot of the instances' set, and a
 *                     lease link per partition on its own node (each
 *                     pipeline makes its own three)
 *   7. store          builds the engine from the state hash once the
 *                     command link is up
 *   8. ingest         starts reading once the engine is loaded
 *   8b. deliver       outbox to receivers, from its own consumer group
 *   8c. alerts        Alertmanager alerts kept alive while breached; told
 *                     of deliveries and of the engine coming and going
 *   9. timers         the systemd watchdog (the engine's alarm is the store's)
 *   9b. control, http counters and samples (stats), the control socket
 *                     and /metrics; slactl reload runs main_reload(), the
 *                     very path SIGHUP takes
 *  10. READY=1        when the consumer group is joined (state loaded)
 *
 * and everything is finished in the reverse order. main.c wires the
 * modules together (who is told when the engine comes and goes); it makes
 * no decision of its own beyond the process's life.
 *
 * Shutdown (SIGTERM/SIGINT): stop reading, wait for the transaction in
 * flight (at most SLAD_STOP_WAIT_MS) and for the webhook requests in flight
 * (at most SLAD_DELIVER_GRACE_MS), close the connections, STOPPING=1,
 * exit 0. Entries read but not yet committed stay pending in Redis and are
 * read again at the next start; so do undelivered outbox records.
 *
 * Reload (SIGHUP): a whole new configuration is loaded; on any error the
 * old one stays. Redis and stream settings are copied by their modules at
 * start and change only on restart.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "alerts.h"
#include "cluster.h"
#include "control.h"
#include "deliver.h"
#include "http.h"
#include "ingest.h"
#include "leases.h"
#include "notify.h"
#include "pipelines.h"
#include "priority.h"
#include "redis_link.h"
#include "reply_arena.h"
#include "replay.h"
#include "report.h"
#include "retention.h"
#include "sla_config.h"
#include "sla_engine.h"
#include "sla_keys.h"
#include "sla_log.h"
#include "stats.h"
#include "store.h"
#include "wakeup.h"

#define SLAD_STOP_WAIT_MS 5000
#define SLAD_DELIVER_GRACE_MS 2000

static struct {
    const char *config_path;
    sla_config *cfg;          /* owned; replaced on reload */
    sla_keys keys;
    struct event_base *base;
    struct event *sig_term, *sig_int, *sig_hup;
    struct event *stop_timer;
    redis_link *reader, *command, *deliver;
    store *store;             /* the single partition's engine and its state */
    ingest *ingest;           /* its input */
    int partitioned;          /* partitions > 1: leases and pipelines instead */
    redis_link *lease;        /* partitioned: the leases' own connection */
    /* redis.cluster: the router, and the cluster links whose redis_links
     * are command and lease (the slot of the instances' set) and each
     * partition's lease scripts' (its node); NULL on one Redis. */
    cluster_router *router;
    cluster_link *ccommand, *clease;
    cluster_link **cleases;
    int leases_stopping;
    int ready_sent;
    int reload_deferred;       /* a SIGHUP waits for the last reload's re-match */
    int stopping;
    int stop_waiting;         /* modules still finishing their work in flight */
} slad;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: slad -c FILE [--check-config]\n"
            "       slad --replay FILE --from D --to D [--by DIM] [--metric M] [-c LIVE]\n"
            "       slad --version | --help\n"
            "\n"
            "  -c, --config FILE   configuration file (libconfig)\n"
            "      --check-config  load and validate FILE, print \"FILE: ok\" and exit 0,\n"
            "                      or print the error and exit 1\n"
            "      --replay FILE   what-if: replay the input stream with FILE's policies\n"
            "                      (its own engine; writes nothing, notifies nobody) and\n"
            "                      print its report for days D..D beside the live one\n"
            "      --from, --to D  the days, YYYY-MM-DD in FILE's report.timezone\n"
            "      --by DIM        'policy' (default) or a field of report.dimensions\n"
            "      --metric M      one metric only\n"
            "                      (with -c LIVE: the targets that differ are named)\n"
            "  -V, --version       print the version and exit\n"
            "  -h, --help          print this help and exit\n");
}

/* --- wiring ------------------------------------------------------------- */

static void main_on_store_state(int ready, void *arg)
{
    if (slad.ingest == NULL)
        return;
    if (ready) {
        notify_status("running");
        ingest_resume(slad.ingest, store_engine(slad.store));
        alerts_engine(store_engine(slad.store));
    } else {
        notify_status("rebuilding state from redis");
        ingest_suspend(slad.ingest);
        alerts_engine(NULL);
    }
}

static void main_on_joined(void *arg)
{
    if (!slad.ready_sent) {
        slad.ready_sent = 1;
        notify_ready();
        notify_status("running");
        sla_notice("ready");
    }
}

static void main_on_reader_link(redis_link *link, int up, void *arg)
{
    if (slad.ingest)
        ingest_on_link(slad.ingest, up);
}

static void main_on_command_link(redis_link *link, int up, void *arg)
{
    if (slad.store)
        store_on_link(slad.store, up);
    else if (slad.partitioned)
        pipelines_on_command_link(up);
}

/* Partitioned: ready once the leases' connection is up (the partitions
 * follow at the passes). */
static void main_on_lease_link(redis_link *link, int up, void *arg)
{
    leases_on_link(link, up, arg);
    if (up)
        main_on_joined(NULL);
}

static void main_on_ccommand(cluster_link *cl, int up, void *arg)
{
    main_on_command_link(cluster_link_redis(cl), up, arg);
}

static void main_on_clease(cluster_link *cl, int up, void *arg)
{
    main_on_lease_link(cluster_link_redis(cl), up, arg);
}

/* redis.cluster: the router and the links every partition's pipeline and
 * lease go through (pipelines make their own). 0 or -1. */
static int main_cluster_init(void)
{
    slad.router = cluster_router_new(slad.base, slad.cfg);
    if (slad.router == NULL)
        return -1;
    slad.ccommand = cluster_link_new_for_key(slad.router, slad.keys.instances, "command",
                                             main_on_ccommand, NULL, NULL);
    slad.clease = cluster_link_new_for_key(slad.router, slad.keys.instances, "lease",
                                           main_on_clease, NULL, NULL);
    slad.cleases = calloc((size_t)slad.cfg->partitions, sizeof *slad.cleases);
    if (!slad.ccommand || !slad.clease || !slad.cleases)
        return -1;
    for (int i = 0; i < slad.cfg->partitions; i++) {
        char name[32];
        snprintf(name, sizeof name, "lease p%d", i);
        slad.cleases[i] = cluster_link_new(slad.router, i, name, NULL, NULL, NULL);
        if (slad.cleases[i] == NULL)
            return -1;
        redis_link_set_reply_timeout(cluster_link_redis(slad.cleases[i]),
                                     slad.cfg->instance.lease_ttl_ms / 3);
    }
    slad.command = cluster_link_redis(slad.ccommand);
    slad.lease = cluster_link_redis(slad.clease);
    return 0;
}

static void main_cluster_start(void)
{
    cluster_router_start(slad.router);
    cluster_link_start(slad.ccommand);
    cluster_link_start(slad.clease);
    for (int i = 0; i < slad.cfg->partitions; i++) {
        leases_set_link(i, cluster_link_redis(slad.cleases[i]));
        cluster_link_start(slad.cleases[i]);
    }
}

static void main_cluster_finish(void)
{
    if (slad.router == NULL)
        return;
    slad.command = slad.lease = NULL; /* the cluster links' own */
    for (int i = 0; slad.cleases && i < slad.cfg->partitions; i++)
        cluster_link_free(slad.cleases[i]);
    free(slad.cleases);
    slad.cleases = NULL;
    cluster_link_free(slad.clease);
    cluster_link_free(slad.ccommand);
    slad.clease = slad.ccommand = NULL;
    cluster_link_reap();
    cluster_router_free(slad.router);
    slad.router = NULL;
}

static void main_on_rematched(void);

static void main_on_pipeline_store(store *s, void *arg)
{
    store_on_rematched(s, main_on_rematched);
    store_observe(s, stats_on_decision, NULL);
    store_observe_outcomes(s, stats_on_outcome, NULL);
}

static size_t main_rematch_pending(void)
{
    return slad.partitioned ? pipelines_rematch_pending() : store_rematch_pending(slad.store);
}

/* --- signals ------------------------------------------------------------ */

static void main_on_released(void *arg)
{
    event_base_loopbreak(slad.base);
}

static void main_on_idle(void *arg)
{
    if (--slad.stop_waiting > 0)
        return;
    if (slad.partitioned && !slad.leases_stopping) {
        /* Every commit answered: hand the partitions over at once. */
        slad.leases_stopping = 1;
        leases_stop(main_on_released, NULL);
        return;
    }
    event_base_loopbreak(slad.base);
}

static void main_on_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
    sla_warning("transaction still in flight after %d ms; stopping anyway (its entries stay "
                "pending)", SLAD_STOP_WAIT_MS);
    event_base_loopbreak(slad.base);
}

static void main_on_stop(evutil_socket_t sig, short what, void *arg)
{
    if (slad.stopping) {
        event_base_loopbreak(slad.base);
        return;
    }
    slad.stopping = 1;
    sla_notice("signal %d: stopping", (int)sig);
    notify_status("stopping");
    struct timeval tv = {SLAD_STOP_WAIT_MS / 1000, (SLAD_STOP_WAIT_MS % 1000) * 1000};
    evtimer_add(slad.stop_timer, &tv);
    slad.stop_waiting = 2;
    if (slad.partitioned) {
        deliver_stop(SLAD_DELIVER_GRACE_MS, main_on_idle, NULL);
        pipelines_stop(main_on_idle, NULL);
        return;
    }
    ingest_stop(slad.ingest);
    deliver_stop(SLAD_DELIVER_GRACE_MS, main_on_idle, NULL);
    store_when_idle(slad.store, main_on_idle, NULL);
}

static int str_differ(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* 1 when settings copied at start (redis, stream, control, http) differ. */
static int restart_settings_differ(const sla_config *a, const sla_config *b)
{
    return a->partitions != b->partitions ||
           str_differ(a->instance.name, b->instance.name) ||
           a->instance.lease_ttl_ms != b->instance.lease_ttl_ms ||
           str_differ(a->redis.host, b->redis.host) || a->redis.port != b->redis.port ||
           str_differ(a->redis.unix_socket, b->redis.unix_socket) ||
           str_differ(a->redis.password, b->redis.password) || a->redis.db != b->redis.db ||
           a->redis.connect_timeout_ms != b->redis.connect_timeout_ms ||
           a->redis.ncluster != b->redis.ncluster ||
           a->redis.wait_replicas != b->redis.wait_replicas ||
           a->redis.wait_timeout_ms != b->redis.wait_timeout_ms ||
           str_differ(a->stream.prefix, b->stream.prefix) ||
           str_differ(a->stream.group, b->stream.group) ||
           str_differ(a->stream.consumer, b->stream.consumer) ||
           a->stream.batch != b->stream.batch || a->stream.block_ms != b->stream.block_ms ||
           a->stream.claim_idle_ms != b->stream.claim_idle_ms ||
           a->stream.limits.max_entry_bytes != b->stream.limits.max_entry_bytes ||
           a->stream.limits.max_fields != b->stream.limits.max_fields ||
           a->stream.limits.max_value_bytes != b->stream.limits.max_value_bytes ||
           a->stream.limits.max_past_age_ms != b->stream.limits.max_past_age_ms ||
           str_differ(a->control_socket, b->control_socket) ||
           str_differ(a->http_listen, b->http_listen) ||
           str_differ(a->delivery.group, b->delivery.group);
}

static void main_log_warnings(const sla_config *cfg)
{
    for (size_t i = 0; i < cfg->nwarnings; i++)
        sla_warning("%s", cfg->warnings[i]);
}

/* SIGHUP and slactl reload: 0 when applied, -1 with the reason in err. */
static int main_reload(char *err, size_t errlen, void *arg)
{
    /* One reload at a time: the engine re-matches its tickets in slices
     * after a reload, and a second one before that is done would have to
     * finish it in one go, holding the clocks (sla_engine_set_config). */
    size_t left = main_rematch_pending();
    if (left > 0) {
        snprintf(err, errlen,
                 "the last reload is still being applied (%zu open tickets to match against "
                 "its policies); try again in a moment",
                 left);
        sla_notice("reload not started: %s", err);
        return -1;
    }
    sla_config *fresh = NULL;
    if (sla_config_load(slad.config_path, &fresh, err, errlen) < 0) {
        sla_err("reload refused: %s", err);
        stats_on_config_load(0, wakeup_now_ms());
        return -1;
    }
    stats_on_config_load(1, wakeup_now_ms());
    notify_reloading();
    if (restart_settings_differ(slad.cfg, fresh))
        sla_notice("partitions, instance, redis, stream, control, http or delivery.group "
                   "settings changed in %s: they take effect on restart",
                   slad.config_path);
    sla_log_set_level(fresh->log_level);
    main_log_warnings(fresh);
    sla_config *old = slad.cfg;
    slad.cfg = fresh;
    report_set_config(fresh);
    if (slad.partitioned)
        pipelines_set_config(fresh, wakeup_now_ms());
    else
        store_set_config(slad.store, fresh, wakeup_now_ms());
    deliver_set_config(fresh);
    alerts_set_config(fresh);
    retention_set_config(fresh);
    control_set_config(fresh);
    sla_config_free(old);
    if (slad.ready_sent)
        notify_ready();
    sla_notice("configuration reloaded from %s: %zu policies, %zu receivers, %zu calendars",
               slad.config_path, fresh->npolicies, fresh->nreceivers, fresh->ncalendars);
    return 0;
}

static void main_on_reload(evutil_socket_t sig, short what, void *arg)
{
    char err[1024];
    if (main_rematch_pending() > 0) {
        if (!slad.reload_deferred)
            sla_notice("SIGHUP: the last reload is still being applied; this one follows once "
                       "it is done");
        slad.reload_deferred = 1;
        return;
    }
    main_reload(err, sizeof err, NULL);
}

/* The store has matched every ticket against the last reload's policies. */
static void main_on_rematched(void)
{
    if (!slad.reload_deferred)
        return;
    slad.reload_deferred = 0;
    main_on_reload(SIGHUP, 0, NULL);
}

/* libevent's own messages (its listeners, evhttp) go to slad's log, with
 * their severity and through the same repeat limit, never to bare stderr. */
static void main_on_libevent_log(int severity, const char *msg)
{
    int prio = severity == EVENT_LOG_ERR    ? LOG_ERR
               : severity == EVENT_LOG_WARN ? LOG_WARNING
               : severity == EVENT_LOG_MSG  ? LOG_INFO
                                            : LOG_DEBUG;
    sla_log(prio, "libevent: %s", msg);
}

/* The loop with the priorities of priority.h and a bounded dispatch slice. */
static struct event_base *main_event_base(void)
{
    struct event_config *cfg = event_config_new();
    if (cfg == NULL)
        return NULL;
    struct timeval slice = {0, SLAD_DISPATCH_SLICE_US};
    event_config_set_max_dispatch_interval(cfg, &slice, -1, SLAD_PRIORITY_NORMAL);
    /* Timers to the microsecond (timerfd) rather than epoll's millisecond. */
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    struct event_base *base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (base && event_base_priority_init(base, SLAD_PRIORITIES) < 0) {
        event_base_free(base);
        return NULL;
    }
    return base;
}

static int signals_init(void)
{
    signal(SIGPIPE, SIG_IGN); /* a peer closing a socket is an error return, not death */
    slad.sig_term = evsignal_new(slad.base, SIGTERM, main_on_stop, NULL);
    slad.sig_int = evsignal_new(slad.base, SIGINT, main_on_stop, NULL);
    slad.sig_hup = evsignal_new(slad.base, SIGHUP, main_on_reload, NULL);
    slad.stop_timer = evtimer_new(slad.base, main_on_stop_timeout, NULL);
    if (!slad.sig_term || !slad.sig_int || !slad.sig_hup || !slad.stop_timer)
        return -1;
    evsignal_add(slad.sig_term, NULL);
    evsignal_add(slad.sig_int, NULL);
    evsignal_add(slad.sig_hup, NULL);
    return 0;
}

static void signals_finish(void)
{
    struct event **evs[] = {&slad.sig_term, &slad.sig_int, &slad.sig_hup, &slad.stop_timer};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (*evs[i]) {
            event_free(*evs[i]);
            *evs[i] = NULL;
        }
}

static void log_totals(void)
{
    ingest_stats in;
    store_stats st;
    ingest_get_stats(&in);
    if (slad.partitioned)
        pipelines_get_stats(&st); /* every partition run since the start */
    else
        store_get_stats(slad.store, &st);
    sla_info("totals: %llu entries read, %llu applied, %llu duplicates, %llu for unknown tickets, "
             "%llu dead letters, %llu without fields, %llu claimed; %llu transactions, %llu "
             "failed, %llu decisions",
             (unsigned long long)in.entries, (unsigned long long)in.applied,
             (unsigned long long)in.duplicates, (unsigned long long)in.unknown_ticket,
             (unsigned long long)in.dead, (unsigned long long)in.broken,
             (unsigned long long)in.claimed, (unsigned long long)st.transactions,
             (unsigned long long)st.failures, (unsigned long long)st.decisions);
}

/* --- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    enum { OPT_CHECK = 256, OPT_REPLAY, OPT_FROM, OPT_TO, OPT_BY, OPT_METRIC };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"replay", required_argument, NULL, OPT_REPLAY},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"by", required_argument, NULL, OPT_BY},
        {"metric", required_argument, NULL, OPT_METRIC},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int check_only = 0, opt;
    replay_args replay = {0};
    while ((opt = getopt_long(argc, argv, "c:Vh", options, NULL)) != -1) {
        switch (opt) {
        case 'c': slad.config_path = optarg; break;
        case OPT_CHECK: check_only = 1; break;
        case OPT_REPLAY: replay.config = optarg; break;
        case OPT_FROM: replay.from = optarg; break;
        case OPT_TO: replay.to = optarg; break;
        case OPT_BY: replay.by = optarg; break;
        case OPT_METRIC: replay.metric = optarg; break;
        case 'V': printf("slad %s\n", SLA_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (replay.config && !check_only && optind == argc) {
        replay.live = slad.config_path; /* -c: name the targets that differ */
        return replay_main(&replay);    /* its own process: no loop, no daemon */
    }
    if (slad.config_path == NULL || optind != argc || replay.config || replay.from ||
        replay.to || replay.by || replay.metric) {
        usage(stderr);
        return 2;
    }

    /* 1. log level */
    sla_log_set_level(LOG_INFO);
    event_set_log_callback(main_on_libevent_log);

    /* 2. configuration */
    char err[1024];
    if (sla_config_load(slad.config_path, &slad.cfg, err, sizeof err) < 0) {
        if (check_only)
            fprintf(stderr, "%s\n", err);
        else
            sla_err("%s", err);
        return 1;
    }
    if (check_only) {
        for (size_t i = 0; i < slad.cfg->nwarnings; i++)
            fprintf(stderr, "warning: %s\n", slad.cfg->warnings[i]);
        printf("%s: ok\n", slad.config_path);
        sla_config_free(slad.cfg);
        return 0;
    }
    sla_log_set_level(slad.cfg->log_level);
    sla_notice("slad %s starting with %s", SLA_VERSION, slad.config_path);
    stats_on_config_load(1, wakeup_now_ms());
    main_log_warnings(slad.cfg);
    if (geteuid() == 0)
        sla_warning("running as root; slad needs no privileges (see systemd/slad.service)");

    /* 3. key names (partitioned: the unpartitioned names serve the keys
     * shared by all, the instances' set; each pipeline has its own) */
    slad.partitioned = slad.cfg->partitions > 1;
    if (sla_keys_init(&slad.keys, slad.cfg->stream.prefix, -1) < 0) {
        sla_err("%s: stream.prefix '%s' is too long", slad.config_path, slad.cfg->stream.prefix);
        sla_config_free(slad.cfg);
        return 1;
    }

    int rc = 1;
    /* 4. event loop */
    slad.base = main_event_base();
    if (slad.base == NULL) {
        sla_err("cannot create the event loop");
        goto out;
    }
    /* 5. signals */
    if (signals_init() < 0) {
        sla_err("cannot install signal events");
        goto out;
    }
    /* 6. redis: connecting starts once everything is wired (step 9); on a
     * Redis Cluster every link is routed to its slot's node */
    if (slad.cfg->redis.ncluster) {
        if (main_cluster_init() < 0) {
            sla_err("cannot set up the Redis Cluster links (out of memory)");
            goto out;
        }
    } else {
        slad.command = redis_link_new(slad.base, slad.cfg, "command", main_on_command_link, NULL);
    }
    if (slad.partitioned) {
        if (slad.router == NULL)
            slad.lease = redis_link_new(slad.base, slad.cfg, "lease", main_on_lease_link, NULL);
        if (slad.lease == NULL || slad.command == NULL) {
            sla_err("out of memory");
            goto out;
        }
        /* A renewal is never held up by more than a third of the TTL. */
        redis_link_set_reply_timeout(slad.lease, slad.cfg->instance.lease_ttl_ms / 3);
    } else {
        slad.reader = redis_link_new(slad.base, slad.cfg, "reader", main_on_reader_link, NULL);
        slad.deliver = redis_link_new(slad.base, slad.cfg, "deliver", deliver_on_link, NULL);
        if (slad.reader == NULL || slad.command == NULL || slad.deliver == NULL) {
            sla_err("out of memory");
            goto out;
        }
        redis_link_set_priority(slad.deliver, SLAD_PRIORITY_BULK);
    }
    /* The reader and deliver links wait in blocking reads on purpose
     * (stream_reader guards those); the command link never should. */
    redis_link_set_reply_timeout(slad.command, slad.cfg->redis.reply_timeout_ms);
    /* 7. store and state, the outcome reports written with it
     * (partitioned: one store per owned partition, built by pipelines as
     * the leases come) */
    if (report_init(slad.cfg, &slad.keys, slad.command) < 0) {
        sla_err("cannot initialise the store");
        goto out;
    }
    if (slad.partitioned) {
        if (pipelines_init(slad.base, slad.command, slad.cfg, main_on_pipeline_store, NULL) < 0 ||
            leases_init(slad.base, slad.lease, slad.cfg, pipelines_on_lease, NULL) < 0) {
            sla_err("cannot initialise the partitions");
            goto out;
        }
        if (slad.router)
            pipelines_set_router(slad.router);
    } else {
        if (!(slad.store = store_new(slad.base, slad.command, &slad.keys, slad.cfg,
                                     main_on_store_state, NULL))) {
            sla_err("cannot initialise the store");
            goto out;
        }
        store_on_rematched(slad.store, main_on_rematched);
        /* 8. ingest */
        if (!(slad.ingest = ingest_new(slad.base, slad.reader, slad.command, slad.store,
                                       &slad.keys, slad.cfg, main_on_joined, NULL))) {
            sla_err("cannot initialise ingest");
            goto out;
        }
    }
    /* 8b. deliver */
    if (deliver_init(slad.base, slad.deliver, &slad.keys, slad.cfg) < 0) {
        sla_err("cannot initialise delivery");
        goto out;
    }
    /* 8c. alerts */
    if (alerts_init(slad.base, slad.cfg) < 0) {
        sla_err("cannot initialise alerts");
        goto out;
    }
    deliver_observe(alerts_on_delivered, NULL);
    /* 9. timers */
    if (notify_init(slad.base) < 0) {
        sla_err("cannot create timers");
        goto out;
    }
    /* 9b. control and metrics */
    redis_link *const links_single[] = {slad.reader, slad.command, slad.deliver};
    redis_link *const links_parted[] = {slad.command, slad.lease};
    redis_link *const *links = slad.partitioned ? links_parted : links_single;
    size_t nlinks = slad.partitioned ? 2 : 3;
    control_links ctl_links = {slad.command, slad.store, links, nlinks};
    http_links web_links = {slad.command, slad.store, links, nlinks};
    if (stats_init(slad.base, slad.command, &slad.keys, slad.cfg->stream.group) < 0 ||
        stats_set_partitions(slad.cfg->partitions, slad.cfg->stream.prefix) < 0 ||
        retention_init(slad.base, slad.command, &slad.keys, slad.cfg) < 0 ||
        control_init(slad.base, slad.cfg, &slad.keys, &ctl_links, main_reload, NULL) < 0 ||
        http_init(slad.base, slad.cfg, &web_links) < 0) {
        sla_err("cannot start the control socket or the http listener");
        goto out;
    }
    if (slad.store) {
        store_observe(slad.store, stats_on_decision, NULL);
        store_observe_outcomes(slad.store, stats_on_outcome, NULL);
    }
    notify_status("connecting to redis");
    if (slad.router) {
        main_cluster_start();
    } else if (slad.partitioned) {
        redis_link_start(slad.command);
        redis_link_start(slad.lease);
    } else {
        redis_link_start(slad.command);
        redis_link_start(slad.reader);
        redis_link_start(slad.deliver);
    }

    /* 10. READY=1 comes from main_on_joined */
    if (event_base_dispatch(slad.base) < 0) {
        sla_err("event loop failed");
        goto out;
    }
    rc = 0;

out:
    if (rc == 0)
        log_totals();
    http_finish();
    control_finish();
    retention_finish();
    stats_finish();
    notify_finish();
    alerts_finish();
    pipelines_finish();
    leases_finish();
    deliver_finish();
    ingest_free(slad.ingest);
    slad.ingest = NULL;
    store_free(slad.store);
    slad.store = NULL;
    report_finish();
    redis_link_reap(); /* the partitions' links given up at the end */
    main_cluster_finish();
    redis_link_free(slad.lease);
    redis_link_free(slad.deliver);
    redis_link_free(slad.reader);
    redis_link_free(slad.command);
    reply_arena_release();
    signals_finish();
    if (slad.base)
        event_base_free(slad.base);
    sla_config_free(slad.cfg);
    notify_stopping();
    if (rc == 0)
        sla_notice("stopped");
    return rc;
}
