/*
 * http — metrics and health over evhttp. See http.h for the contract.
 *
 * The exposition is written straight into one evbuffer, family by family
 * (HELP, TYPE, samples). Label values are escaped as the format asks
 * (backslash, double quote, newline); metric and label names are fixed
 * here, so they need no checking. Families whose source is missing right
 * now (no engine while the state loads, no backlog answer yet) keep their
 * HELP and TYPE and simply have no sample, which Prometheus reads as
 * "absent" rather than as a zero that never happened.
 *
 * Counters come from modules that keep them for their whole life (ingest,
 * stats, deliver, redis_link), never from the engine, whose counters
 * restart when it is rebuilt from Redis.
 *
 * Connections are bounded in number and in time, which evhttp (libevent
 * 2.1) does not do by itself: its timeout restarts with every byte, so a
 * peer trickling one byte a second holds a connection for ever. evhttp
 * asks us for each new connection's bufferevent (evhttp_set_bevcb); we
 * make it, keep a reference of our own (bufferevent_incref) and a record
 * of when it came. A sweep, every HTTP_SWEEP_MS while connections are
 * open, drops the records of connections evhttp has closed (evhttp's
 * bufferevent_free clears the callbacks it set, and our reference keeps
 * the memory readable until we let go of it) and shuts down the socket of
 * any connection older than http.request_timeout, which evhttp then reads
 * as the peer's end and frees. Over http.max_connections, a new
 * connection is shut down at once the same way. Every answer carries
 * "Connection: close", so a connection is one request and the timeout
 * bounds the whole of it: reading the request and writing the answer.
 */
#include "http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "deliver.h"
#include "ingest.h"
#include "leases.h"
#include "listen_guard.h"
#include "pipelines.h"
#include "sla_engine.h"
#include "sla_log.h"
#include "sla_metric.h"
#include "stats.h"
#include "store.h"
#include "wakeup.h"

/* One connection evhttp serves; we hold a reference to its bufferevent. */
typedef struct http_conn {
    struct http_conn *next;
    struct bufferevent *bev;
    int64_t deadline_ms;   /* monotonic: shut down then */
    int refused;           /* over http.max_connections: shut down at once */
    int shut;              /* its socket was shut down: evhttp closes it next */
} http_conn;

static struct {
    struct event_base *base;
    struct evhttp *http;
    listen_guard *guard;
    http_links links;
    double start_s;
    int max_connections;
    int request_timeout_ms;
    http_conn *conns;
    struct event *sweep;
    int partitions;        /* > 1: the partition and lease families */
} hs;

/* --- exposition --------------------------------------------------------- */

static void http_family(struct evbuffer *b, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void http_label_value(struct evbuffer *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            evbuffer_add(b, "\\\\", 2);
        else if (*v == '"')
            evbuffer_add(b, "\\\"", 2);
        else if (*v == '\n')
            evbuffer_add(b, "\\n", 2);
        else
            evbuffer_add(b, v, 1);
    }
}

/* One sample: name{k1="v1",...} value, with n label pairs kv[2i], kv[2i+1]. */
static void http_sample_labels(struct evbuffer *b, const char *name, const char *const *kv,
                               size_t n, double value)
{
    evbuffer_add_printf(b, "%s", name);
    for (size_t i = 0; i < n; i++) {
        evbuffer_add_printf(b, "%c%s=\"", i ? ',' : '{', kv[2 * i]);
        http_label_value(b, kv[2 * i + 1]);
        evbuffer_add(b, "\"", 1);
    }
    if (n)
        evbuffer_add(b, "}", 1);
    evbuffer_add_printf(b, " %.15g\n", value);
}

/* One sample: name{k1="v1",k2="v2"} value; labels with a NULL key are left out. */
static void http_sample(struct evbuffer *b, const char *name, const char *k1, const char *v1,
                        const char *k2, const char *v2, double value)
{
    const char *kv[] = {k1, v1, k2, v2};
    http_sample_labels(b, name, kv, k1 ? (k2 ? 2 : 1) : 0, value);
}

/* A family of one unlabelled sample. */
static void http_single(struct evbuffer *b, const char *name, const char *type, const char *help,
                        double value)
{
    http_family(b, name, type, help);
    http_sample(b, name, NULL, NULL, NULL, NULL, value);
}

/* The samples of a consumer-group gauge (lag, or pending when pending is
 * set): partitioned, one per partition this instance runs, labelled by
 * partition; else the one of whole. An unknown count (below 0) is left
 * out. */
static void http_backlog_samples(struct evbuffer *b, const char *name, int partitions,
                                 const stats_backlog *whole, int pending)
{
    if (partitions <= 1) {
        int64_t v = pending ? whole->pending : whole->lag;
        if (v >= 0)
            http_sample(b, name, NULL, NULL, NULL, NULL, (double)v);
        return;
    }
    for (int p = 0; p < partitions; p++) {
        stats_backlog pb;
        char pn[16];
        snprintf(pn, sizeof pn, "%d", p);
        if (stats_get_partition_backlog(p, &pb) != 0)
            continue;
        int64_t v = pending ? pb.pending : pb.lag;
        if (v >= 0)
            http_sample(b, name, "partition", pn, NULL, NULL, (double)v);
    }
}

typedef struct http_kind_ctx {
    struct evbuffer *b;
    const char *name;
    int kind;
} http_kind_ctx;

static void http_on_decision_count(int kind, int metric, const char *policy, uint64_t count,
                                   void *arg)
{
    http_kind_ctx *k = arg;
    if (kind == k->kind)
        http_sample(k->b, k->name, "metric", sla_metric_name(metric), "policy", policy,
                    (double)count);
}

static void http_on_outcome_count(int kind, int metric, const char *policy, const char *channel,
                                  uint64_t count, void *arg)
{
    const char *kv[] = {"metric",  sla_metric_name(metric), "policy", policy,
                        "channel", channel,                 "outcome", sla_outcome_kind_name(kind)};
    http_sample_labels(arg, "slad_cycles_ended_total", kv, 4, (double)count);
}

/* The samples of histogram h (its family written before), with one label
 * (k, v) or none (k NULL) besides le. */
static void http_histogram(struct evbuffer *b, const char *name, const char *k, const char *v,
                           const sla_histogram *h)
{
    char series[128], le[32];
    snprintf(series, sizeof series, "%s_bucket", name);
    for (size_t i = 0; i <= h->nbounds; i++) {
        if (i < h->nbounds)
            snprintf(le, sizeof le, "%g", h->bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        double n = (double)(i < h->nbounds ? h->buckets[i] : h->count);
        if (k)
            http_sample(b, series, k, v, "le", le, n);
        else
            http_sample(b, series, "le", le, NULL, NULL, n);
    }
    snprintf(series, sizeof series, "%s_sum", name);
    http_sample(b, series, k, v, NULL, NULL, h->sum);
    snprintf(series, sizeof series, "%s_count", name);
    http_sample(b, series, k, v, NULL, NULL, (double)h->count);
}

/* Which family of the per-receiver delivery figures to write. */
enum http_delivery_family { HTTP_OUTCOMES, HTTP_ATTEMPTS, HTTP_LATENCY };

typedef struct http_delivery_ctx {
    struct evbuffer *b;
    enum http_delivery_family family;
} http_delivery_ctx;

static void http_on_receiver(const char *receiver, const deliver_receiver_stats *s, void *arg)
{
    http_delivery_ctx *c = arg;
    switch (c->family) {
    case HTTP_OUTCOMES:
        http_sample(c->b, "slad_deliveries_total", "receiver", receiver, "result", "delivered",
                    (double)s->delivered);
        http_sample(c->b, "slad_deliveries_total", "receiver", receiver, "result", "dead",
                    (double)s->dead);
        break;
    case HTTP_ATTEMPTS:
        for (int r = 0; r < DELIVER_ATTEMPT_COUNT; r++)
            http_sample(c->b, "slad_delivery_attempts_total", "receiver", receiver, "result",
                        deliver_attempt_name(r), (double)s->attempts[r]);
        break;
    case HTTP_LATENCY:
        http_histogram(c->b, "slad_delivery_latency_seconds", "receiver", receiver, &s->latency);
        break;
    }
}

static void http_delivery_family(struct evbuffer *b, enum http_delivery_family family,
                                 const char *name, const char *type, const char *help)
{
    http_delivery_ctx c = {b, family};
    http_family(b, name, type, help);
    deliver_foreach_receiver(http_on_receiver, &c);
}

/* process_*: the names every Prometheus client library uses. */
static void http_process(struct evbuffer *b)
{
    stats_process p;
    stats_get_process(&p);
    http_single(b, "process_cpu_seconds_total", "counter",
                "Total user and system CPU time spent in seconds.", p.cpu_seconds);
    http_single(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                p.resident_bytes);
    http_single(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
                p.virtual_bytes);
    http_family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
    if (p.open_fds >= 0)
        http_sample(b, "process_open_fds", NULL, NULL, NULL, NULL, p.open_fds);
    http_family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    if (p.max_fds >= 0)
        http_sample(b, "process_max_fds", NULL, NULL, NULL, NULL, p.max_fds);
}

/* partitions > 1: this instance's share and leases, and its partitions. */
static void http_partitions(struct evbuffer *b)
{
    leases_stats ls;
    leases_get_stats(&ls);
    http_single(b, "slad_partitions", "gauge", "Partitions configured (the setting partitions).",
                (double)hs.partitions);
    http_single(b, "slad_partitions_owned", "gauge",
                "Partitions whose lease this instance holds.", (double)ls.owned);
    http_single(b, "slad_instances_live", "gauge",
                "Live instances (this one included) at the last lease pass.", (double)ls.live);
    http_single(b, "slad_lease_renewals_total", "counter", "Partition leases renewed.",
                (double)ls.renewals);
    http_single(b, "slad_lease_takeovers_total", "counter",
                "Partitions taken (free, released by another, or expired).",
                (double)ls.takeovers);
    http_single(b, "slad_lease_losses_total", "counter",
                "Partition leases lost without giving them back (not renewed in time, "
                "another's).", (double)ls.losses);
    http_single(b, "slad_lease_releases_total", "counter",
                "Partition leases given back (rebalancing, stopping).", (double)ls.releases);
    pipelines_cluster_stats cs;
    pipelines_get_cluster_stats(&cs);
    http_single(b, "slad_cluster_moved_total", "counter",
                "Redis Cluster: commands of the partitions' links answered MOVED and sent "
                "again at the slot's new node.", (double)cs.moved);
    http_single(b, "slad_cluster_asked_total", "counter",
                "Redis Cluster: commands sent to a node named by ASK (a slot migrating).",
                (double)cs.asked);
    http_single(b, "slad_cluster_retried_total", "counter",
                "Redis Cluster: commands sent again after TRYAGAIN or CLUSTERDOWN.",
                (double)cs.retried);
    http_single(b, "slad_cluster_node_changes_total", "counter",
                "Redis Cluster: times a partition's link moved to another node.",
                (double)cs.node_changes);
    http_single(b, "slad_cluster_rebuilds_total", "counter",
                "Redis Cluster: partitions rebuilt from a new master after a failover.",
                (double)cs.rebuilds);
    int64_t now = wakeup_now_ms();
    char pn[16];
    http_family(b, "slad_partition_lease_age_seconds", "gauge",
                "Since the last renewal of the lease of each partition this instance owns.");
    for (int p = 0; p < hs.partitions; p++) {
        int64_t at = leases_renewed_ms(p);
        if (at == 0 || pipelines_store(p) == NULL)
            continue;
        snprintf(pn, sizeof pn, "%d", p);
        http_sample(b, "slad_partition_lease_age_seconds", "partition", pn, NULL, NULL,
                    (double)(now - at) / 1000.0);
    }
    http_family(b, "slad_partition_open_tickets", "gauge",
                "Tickets open in the engine of each partition this instance runs.");
    for (int p = 0; p < hs.partitions; p++) {
        sla_engine *e = store_engine(pipelines_store(p));
        if (e == NULL)
            continue;
        sla_engine_stats es;
        sla_engine_get_stats(e, &es);
        snprintf(pn, sizeof pn, "%d", p);
        http_sample(b, "slad_partition_open_tickets", "partition", pn, NULL, NULL,
                    (double)es.open_tickets);
    }
}

static void http_metrics(struct evbuffer *b)
{
    http_family(b, "slad_build_info", "gauge", "Version of the running slad (always 1).");
    http_sample(b, "slad_build_info", "version", SLA_VERSION, NULL, NULL, 1);
    http_single(b, "slad_up", "gauge", "1 while slad runs and serves metrics.", 1);
    http_single(b, "process_start_time_seconds", "gauge",
                "Start time of the process since the Unix epoch in seconds.", hs.start_s);
    http_process(b);
    int config_ok;
    int64_t config_ms;
    stats_get_config_load(&config_ok, &config_ms);
    http_single(b, "slad_config_last_reload_successful", "gauge",
                "Whether the last configuration load (start, SIGHUP, slactl reload) "
                "succeeded (1) or was refused (0).", config_ok);
    http_single(b, "slad_config_last_reload_success_timestamp_seconds", "gauge",
                "Time of the last successful configuration load since the Unix epoch in "
                "seconds.", (double)config_ms / 1000.0);

    ingest_stats in;
    ingest_get_stats(&in);
    http_single(b, "slad_events_read_total", "counter",
                "Entries read from the input stream, valid or not.", (double)in.entries);
    http_family(b, "slad_events_ingested_total", "counter", "Valid ticket events read, by type.");
    for (int t = 0; t < SLA_EV_TYPE_COUNT; t++)
        http_sample(b, "slad_events_ingested_total", "type", sla_event_type_name(t), NULL, NULL,
                    (double)in.by_type[t]);
    http_family(b, "slad_events_dead_total", "counter",
                "Entries sent to the dead-letter stream, by reason.");
    for (int r = 1; r < SLA_EVERR_COUNT_; r++)
        http_sample(b, "slad_events_dead_total", "reason", sla_event_error_name(-r), NULL, NULL,
                    (double)in.dead_by_reason[r]);
    http_single(b, "slad_events_duplicate_total", "counter",
                "Events delivered again and applied only once.", (double)in.duplicates);
    http_single(b, "slad_events_unknown_ticket_total", "counter",
                "Events for a ticket slad does not know, ignored.", (double)in.unknown_ticket);

    sla_engine *e = store_engine(hs.links.store);
    sla_engine_stats es;
    if (e)
        sla_engine_get_stats(e, &es);
    http_family(b, "slad_open_tickets", "gauge", "Tickets open in the engine.");
    if (e)
        http_sample(b, "slad_open_tickets", NULL, NULL, NULL, NULL, (double)es.open_tickets);
    http_family(b, "slad_open_customers", "gauge",
                "Customers open in the engine (their relationship clocks).");
    if (e)
        http_sample(b, "slad_open_customers", NULL, NULL, NULL, NULL, (double)es.open_customers);
    http_family(b, "slad_running_clocks", "gauge", "SLA clocks running, by metric.");
    for (int m = 0; e && m < SLA_METRIC_COUNT; m++)
        http_sample(b, "slad_running_clocks", "metric", sla_metric_name(m), NULL, NULL,
                    (double)es.running_clocks[m]);

    static const struct {
        const char *name;
        int kind;
        const char *help;
    } kinds[] = {
        {"slad_warnings_total", SLA_DECISION_WARNING, "Warnings recorded, by metric and policy."},
        {"slad_breaches_total", SLA_DECISION_BREACH, "Breaches recorded, by metric and policy."},
        {"slad_escalations_total", SLA_DECISION_ESCALATION,
         "Escalations (levels 2 and up) recorded, by metric and policy."},
        {"slad_recovered_total", SLA_DECISION_RECOVERED,
         "Recovered notices recorded, by metric and policy."},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        http_family(b, kinds[i].name, "counter", kinds[i].help);
        http_kind_ctx k = {b, kinds[i].name, kinds[i].kind};
        stats_foreach_decision(http_on_decision_count, &k);
    }

    http_family(b, "slad_cycles_ended_total", "counter",
                "Clock cycles ended, by metric, policy and outcome: met (on time), late "
                "(met after its breach), stopped (ended unmet, never breached), breached "
                "(ended unmet after its breach).");
    stats_foreach_outcome(http_on_outcome_count, b);

    http_family(b, "slad_firing_lateness_seconds", "histogram",
                "How much later than planned each decision fired.");
    http_histogram(b, "slad_firing_lateness_seconds", NULL, NULL, stats_lateness());

    deliver_stats ds;
    deliver_get_stats(&ds);
    stats_backlog bl;
    stats_get_backlog(&bl);
    http_delivery_family(b, HTTP_OUTCOMES, "slad_deliveries_total", "counter",
                         "Notices settled, by receiver and result: delivered, or dead "
                         "(refused for good or past the retry budget).");
    http_delivery_family(b, HTTP_ATTEMPTS, "slad_delivery_attempts_total", "counter",
                         "Attempts to deliver a notice, by receiver and result: delivered, "
                         "retry (failed, tried again) or failed (refused for good).");
    http_delivery_family(b, HTTP_LATENCY, "slad_delivery_latency_seconds", "histogram",
                         "From a decision firing to its notice being accepted, by receiver.");
    http_single(b, "slad_delivery_retry_queue", "gauge",
                "Deliveries waiting for a retry.", (double)ds.retrying);
    http_single(b, "slad_deliveries_held", "gauge",
                "Deliveries held until their receivers' working hours (not failing).",
                (double)ds.held);
    http_single(b, "slad_deliveries_parked", "gauge",
                "Of the held deliveries, those parked: kept as an outbox entry id and a "
                "time, their records read back when due.",
                (double)ds.parked);
    http_single(b, "slad_deliveries_pending", "gauge",
                "Deliveries read and not finished.", (double)ds.pending);
    http_single(b, "slad_deliveries_in_flight", "gauge",
                "HTTP requests to receivers running.", (double)ds.in_flight);
    http_family(b, "slad_deliveries_dead", "gauge",
                "Entries of the dead-deliveries stream (past their retry budget).");
    if (bl.deliveries_dead >= 0)
        http_sample(b, "slad_deliveries_dead", NULL, NULL, NULL, NULL,
                    (double)bl.deliveries_dead);

    http_family(b, "slad_redis_up", "gauge",
                "1 while the Redis connection is usable, by link (the command connection: "
                "and answering within 1 s).");
    for (size_t i = 0; i < hs.links.nall; i++) {
        redis_link *l = hs.links.all[i];
        int up = redis_link_is_up(l) &&
                 (l != hs.links.command ||
                  redis_link_reply_wait_ms(l) <= HTTP_HEALTH_REDIS_WAIT_MS);
        http_sample(b, "slad_redis_up", "link", redis_link_name(l), NULL, NULL, up);
    }
    http_single(b, "slad_redis_reply_wait_seconds", "gauge",
                "How long the oldest unanswered command of the command connection has waited.",
                (double)redis_link_reply_wait_ms(hs.links.command) / 1000.0);
    http_family(b, "slad_redis_reconnects_total", "counter",
                "Times a Redis connection came back after being lost, by link.");
    for (size_t i = 0; i < hs.links.nall; i++)
        http_sample(b, "slad_redis_reconnects_total", "link", redis_link_name(hs.links.all[i]),
                    NULL, NULL, (double)redis_link_reconnects(hs.links.all[i]));
    http_family(b, "slad_consumer_lag", "gauge",
                "Input entries not yet read by slad's consumer group (partitioned: of each "
                "partition this instance runs, by partition).");
    http_backlog_samples(b, "slad_consumer_lag", hs.partitions, &bl, 0);
    http_family(b, "slad_consumer_pending", "gauge",
                "Input entries read by the consumer group and not yet acknowledged "
                "(partitioned: by partition).");
    http_backlog_samples(b, "slad_consumer_pending", hs.partitions, &bl, 1);

    int64_t horizon, behind;
    store_get_input(hs.links.store, &horizon, &behind);
    /* Partitioned: the partition furthest behind. */
    for (int p = 0; hs.partitions > 1 && p < hs.partitions; p++) {
        int64_t ph, pb;
        store_get_input(pipelines_store(p), &ph, &pb);
        if (pb > behind)
            behind = pb;
    }
    http_single(b, "slad_firing_behind_seconds", "gauge",
                "How far behind the wall clock deadlines are fired while the input is read "
                "again (0 once caught up; partitioned: the partition furthest behind).",
                behind > 0 ? (double)behind / 1000.0 : 0.0);

    store_stats ss;
    if (hs.partitions > 1)
        pipelines_get_stats(&ss); /* every partition run since the start */
    else
        store_get_stats(hs.links.store, &ss);
    http_single(b, "slad_store_transactions_total", "counter",
                "State transactions committed to Redis.", (double)ss.transactions);
    http_single(b, "slad_store_failures_total", "counter",
                "Times the engine was dropped and rebuilt from Redis.", (double)ss.failures);
    if (hs.partitions > 1)
        http_partitions(b);
}

/* --- connections -------------------------------------------------------- */

static int64_t http_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* evhttp still holds the connection (it clears the callbacks when it frees it). */
static int http_conn_open(const http_conn *c)
{
    bufferevent_event_cb eventcb = NULL;
    bufferevent_getcb(c->bev, NULL, NULL, &eventcb, NULL);
    return eventcb != NULL;
}

/* Make evhttp close the connection: it reads the end of the stream and frees it. */
static void http_conn_shut(http_conn *c)
{
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    c->shut = 1;
}

/* Forget closed connections, shut overdue ones; returns how many are open. */
static size_t http_sweep_now(void)
{
    int64_t now = http_mono_ms();
    size_t open = 0;
    for (http_conn **pp = &hs.conns; *pp;) {
        http_conn *c = *pp;
        if (!http_conn_open(c)) {
            *pp = c->next;
            bufferevent_decref(c->bev); /* the last reference: closes the socket */
            free(c);
            continue;
        }
        if (!c->shut && now >= c->deadline_ms) {
            if (!c->refused)
                sla_info("http: a connection did not complete its request within %d ms; "
                         "closed", hs.request_timeout_ms);
            http_conn_shut(c);
        }
        open++;
        pp = &c->next;
    }
    return open;
}

static void http_on_sweep(evutil_socket_t fd, short what, void *arg)
{
    http_sweep_now();
    if (hs.conns) {
        struct timeval tv = {0, HTTP_SWEEP_MS * 1000};
        evtimer_add(hs.sweep, &tv);
    }
}

/* evhttp accepted a connection and asks for its bufferevent. */
static struct bufferevent *http_on_connection(struct event_base *base, void *arg)
{
    listen_guard_accepted(hs.guard);
    size_t open = http_sweep_now();
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    http_conn *c = calloc(1, sizeof *c);
    if (bev == NULL || c == NULL) {
        /* evhttp makes its own bufferevent: served, but not bounded. */
        sla_err("http: out of memory accepting a connection");
        if (bev)
            bufferevent_free(bev);
        free(c);
        return NULL;
    }
    bufferevent_incref(bev);
    c->bev = bev;
    c->deadline_ms = http_mono_ms() + hs.request_timeout_ms;
    c->next = hs.conns;
    hs.conns = c;
    struct timeval tv = {0, HTTP_SWEEP_MS * 1000};
    if (open >= (size_t)hs.max_connections) {
        sla_warning("http: %d connections open already (http.max_connections); connection "
                    "closed", hs.max_connections);
        /* evhttp gives the bufferevent its socket after this returns: the
         * sweep, at once, shuts it down. */
        c->refused = 1;
        c->deadline_ms = 0;
        tv.tv_usec = 0;
    }
    if (!evtimer_pending(hs.sweep, NULL) || tv.tv_usec == 0)
        evtimer_add(hs.sweep, &tv);
    return bev;
}

/* --- requests ----------------------------------------------------------- */

static void http_send(struct evhttp_request *req, int code, const char *reason,
                      const char *type, struct evbuffer *body)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    /* One request per connection: http.request_timeout bounds all of it. */
    evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    evhttp_send_reply(req, code, reason, body);
}

static void http_on_request(struct evhttp_request *req, void *arg)
{
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    if (path && strcmp(path, "/metrics") == 0) {
        http_metrics(body);
        http_send(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body);
    } else if (path && strcmp(path, "/healthz") == 0) {
        int64_t age = stats_loop_age_ms();
        int64_t wait = redis_link_reply_wait_ms(hs.links.command);
        if (!redis_link_is_up(hs.links.command)) {
            evbuffer_add_printf(body, "redis command connection is down\n");
            http_send(req, 503, "Service Unavailable", "text/plain; charset=utf-8", body);
        } else if (wait > HTTP_HEALTH_REDIS_WAIT_MS) {
            evbuffer_add_printf(body, "redis is not answering: no reply for %lld ms on the "
                                "command connection\n", (long long)wait);
            http_send(req, 503, "Service Unavailable", "text/plain; charset=utf-8", body);
        } else if (age > HTTP_HEALTH_MAX_AGE_MS) {
            evbuffer_add_printf(body, "event loop stalled: last tick %lld ms ago\n",
                                (long long)age);
            http_send(req, 503, "Service Unavailable", "text/plain; charset=utf-8", body);
        } else {
            evbuffer_add_printf(body, "ok\n");
            http_send(req, 200, "OK", "text/plain; charset=utf-8", body);
        }
    } else {
        evbuffer_add_printf(body, "not found; try /metrics or /healthz\n");
        http_send(req, 404, "Not Found", "text/plain; charset=utf-8", body);
    }
    evbuffer_free(body);
}

/* --- life --------------------------------------------------------------- */

/* Split "HOST:PORT" / "[V6]:PORT" into host and port. */
static int http_split(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *colon;
    size_t n;
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        n = (size_t)(end - listen - 1);
        if (n >= hostlen)
            return -1;
        memcpy(host, listen + 1, n);
        colon = end + 1;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL || (size_t)(colon - listen) >= hostlen)
            return -1;
        n = (size_t)(colon - listen);
        memcpy(host, listen, n);
    }
    host[n] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static int http_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcmp(host, "localhost") == 0;
}

int http_init(struct event_base *base, const sla_config *cfg, const http_links *links)
{
    memset(&hs, 0, sizeof hs);
    hs.base = base;
    hs.links = *links;
    hs.partitions = cfg->partitions;
    hs.max_connections = cfg->http.max_connections;
    hs.request_timeout_ms = cfg->http.request_timeout_ms;
    hs.start_s = (double)wakeup_now_ms() / 1000.0;
    const char *listen = cfg->http_listen ? cfg->http_listen : "";
    if (listen[0] == '\0') {
        sla_info("http: disabled (http.listen is empty)");
        return 0;
    }
    char host[256];
    int port;
    if (http_split(listen, host, sizeof host, &port) < 0) {
        sla_err("http.listen '%s' is not HOST:PORT", listen);
        return -1;
    }
    if (!http_is_loopback(host))
        sla_warning("http.listen %s is not a loopback address: /metrics and /healthz are "
                    "reachable from the network without authentication", listen);
    hs.http = evhttp_new(base);
    hs.sweep = evtimer_new(base, http_on_sweep, NULL);
    if (hs.http == NULL || hs.sweep == NULL) {
        sla_err("http: cannot create the server");
        return -1;
    }
    evhttp_set_allowed_methods(hs.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    /* evhttp's own timeout restarts with every byte; the sweep bounds the whole. */
    struct timeval idle = {hs.request_timeout_ms / 1000, (hs.request_timeout_ms % 1000) * 1000};
    evhttp_set_timeout_tv(hs.http, &idle);
    evhttp_set_bevcb(hs.http, http_on_connection, NULL);
    evhttp_set_max_headers_size(hs.http, 16384);
    evhttp_set_max_body_size(hs.http, 4096);
    evhttp_set_gencb(hs.http, http_on_request, NULL);
    struct evhttp_bound_socket *bound =
        evhttp_bind_socket_with_handle(hs.http, host, (ev_uint16_t)port);
    if (bound == NULL) {
        sla_err("http.listen %s: cannot listen", listen);
        http_finish();
        return -1;
    }
    hs.guard = listen_guard_new(base, evhttp_bound_socket_get_listener(bound), "http");
    if (hs.guard == NULL) {
        sla_err("http: out of memory");
        http_finish();
        return -1;
    }
    sla_info("http: /metrics and /healthz on %s", listen);
    return 0;
}

void http_finish(void)
{
    listen_guard_free(hs.guard);
    hs.guard = NULL;
    if (hs.http)
        evhttp_free(hs.http); /* frees the connections: our references are the last */
    hs.http = NULL;
    while (hs.conns) {
        http_conn *c = hs.conns;
        hs.conns = c->next;
        bufferevent_decref(c->bev);
        free(c);
    }
    if (hs.sweep)
        event_free(hs.sweep);
    hs.sweep = NULL;
}
