/*
 * control — control socket server. See control.h for the contract.
 *
 * Life of a client:
 *
 *   accept --peer check, limits--> READING --whole request--> dispatch
 *      |             |                |  (timeout: error; EOF: dropped)  |
 *   refused:      malformed, or evicted                   answered now <-+
 *   error sent,      |                |                   WAITING (redis, <-+
 *   closed           v                v                     store sync)     |
 *                 error response queued ---> WRITING <----------------------+
 *                                               |  (all written, error, timeout)
 *                                               v
 *                                             freed
 *
 * Limits, so that an operator always gets in: a uid other than root and
 * slad's own holds at most control.max_clients_per_uid clients; past
 * control.max_clients in all, a newcomer takes the place of the oldest
 * idle client (connected, no whole request yet) of the uid holding the
 * most clients, which is told why it is dropped. Root and slad's uid may
 * take the place of any other uid's idle client and are never refused
 * (with none idle they are served over the limit); another uid only of a
 * uid holding more clients than it would, so that uids share the table. A refusal is one error
 * frame written at once (an empty socket buffer holds it) and the close:
 * no client is allocated for it.
 *
 * A client is freed only from its own bufferevent callbacks or at
 * control_finish(); answers that arrive later (a Redis reply, a store
 * sync) find their client by id, never by pointer, so a client that went
 * away meanwhile is simply not found and the answer is dropped.
 *
 * The peer check reads everything from the socket (SO_PEERCRED, and
 * SO_PEERGROUPS for the peer's supplementary groups at connect time),
 * never from the user database: no NSS lookup can block the loop, and it
 * holds under systemd's PrivateUsers=, where the uids of other users read
 * as "nobody" but the mapped group slad still reads as itself.
 *
 * Requests are decoded from the header first: a length over the limit is
 * refused after four bytes, so a peer sending a megabyte of garbage costs
 * four bytes of buffering and one error response.
 *
 * Replaying a dead delivery is one Lua script rather than a read followed
 * by MULTI/EXEC: the record must be read, stripped of the delivery.*
 * fields the delivery engine added, written back to the outbox and deleted
 * from the dead stream atomically, and only a script can make the write
 * depend on the record still being there (two concurrent replays of one
 * record then move it once). Both keys share the partition's hash tag.
 */
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "deliver.h"
#include "ingest.h"
#include "leases.h"
#include "listen_guard.h"
#include "pipelines.h"
#include "query.h"
#include "report.h"
#include "sla_attrs.h"
#include "sla_ctlproto.h"
#include "sla_engine.h"
#include "sla_format.h"
#include "sla_lease.h"
#include "sla_log.h"
#include "sla_metric.h"
#include "sla_partition.h"
#include "sla_textwidth.h"
#include "sla_ticket.h"
#include "stats.h"
#include "store.h"
#include "wakeup.h"

_Static_assert(SLA_CTL_BY_MAX == SLA_MEMO_BY_MAX, "who acknowledged fits in the ticket's record");

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define CONTROL_LIST_DEFAULT 100
#define CONTROL_LIST_MAX 1000
#define CONTROL_PEER_GROUPS 256

typedef struct ctl_client {
    struct ctl_client *next;
    uint64_t id;
    struct bufferevent *bev;
    struct event *op_timer;
    int answered;          /* the response is queued: close once written */
    int requested;         /* a whole request came: not idle */
    int acked;             /* ack: clocks acknowledged, for the answer */
    char by[SLA_CTL_BY_MAX + 1]; /* ack: who acknowledged, for the answer */
    int forward_partition; /* ack forwarded: the subject's partition */
    unsigned long uid;     /* the peer's uid (SO_PEERCRED) */
    long long dead_total;  /* deliveries --dead: XLEN, -1 unknown */
    /* ticket, customer: the state field read from Redis (a customer's
     * with its prefix), and which kind it is */
    char subject_id[SLA_CUSTOMER_KEY_PREFIX_LEN + SLA_TICKET_MAX_LEN + 1];
    int subject;
    query *query;          /* due, breached: the query running for it */
} ctl_client;

static struct {
    struct event_base *base;
    struct evconnlistener *listener;
    listen_guard *guard;
    char *path;
    dev_t dev;
    ino_t ino;
    gid_t gid;             /* the socket's group */
    const sla_config *cfg;
    int64_t loaded_ms;
    int64_t started_ms;
    const sla_keys *keys;
    control_links links;
    control_reload_fn *reload;
    void *reload_arg;
    ctl_client *clients;
    size_t nclients;
    uint64_t next_id;
} ctl;

/* --- clients ------------------------------------------------------------ */

static ctl_client *ctl_find(uint64_t id)
{
    for (ctl_client *c = ctl.clients; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

static void ctl_free(ctl_client *c)
{
    for (ctl_client **pp = &ctl.clients; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    ctl.nclients--;
    query_cancel(c->query);
    if (c->op_timer)
        event_free(c->op_timer);
    bufferevent_free(c->bev);
    free(c);
}

/* Queue resp (stolen) as the one response; the client closes once it is written. */
static void ctl_reply(ctl_client *c, json_t *resp)
{
    if (c->answered) {
        json_decref(resp);
        return;
    }
    c->answered = 1;
    query_cancel(c->query);
    c->query = NULL;
    evtimer_del(c->op_timer);
    bufferevent_disable(c->bev, EV_READ);
    unsigned char *frame = NULL;
    size_t len = 0;
    char err[256];
    if (resp == NULL || sla_ctl_encode(resp, SLA_CTL_RESPONSE, &frame, &len, err, sizeof err) < 0) {
        json_t *no = sla_ctl_response_error("cannot send the answer: %s",
                                            resp ? err : "out of memory");
        if (no == NULL || sla_ctl_encode(no, SLA_CTL_RESPONSE, &frame, &len, err, sizeof err) < 0)
            frame = NULL;
        json_decref(no);
    }
    json_decref(resp);
    if (frame == NULL || bufferevent_write(c->bev, frame, len) < 0) {
        free(frame);
        ctl_free(c);
        return;
    }
    free(frame);
    bufferevent_enable(c->bev, EV_WRITE);
}

static void ctl_on_write(struct bufferevent *bev, void *arg)
{
    ctl_client *c = arg;
    if (c->answered && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        ctl_free(c);
}

static void ctl_on_event(struct bufferevent *bev, short what, void *arg)
{
    ctl_client *c = arg;
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && !c->answered) {
        sla_debug("control: client %" PRIu64 " sent no request within %d s; dropped", c->id,
                  CONTROL_READ_TIMEOUT_S);
        ctl_reply(c, sla_ctl_response_error("no request within %d s; closing",
                                            CONTROL_READ_TIMEOUT_S));
        return;
    }
    if (what & BEV_EVENT_TIMEOUT)
        sla_debug("control: client %" PRIu64 " timed out reading the answer; dropped", c->id);
    ctl_free(c);
}

static void ctl_on_op_timeout(evutil_socket_t fd, short what, void *arg)
{
    ctl_client *c = ctl_find((uint64_t)(uintptr_t)arg);
    if (c)
        ctl_reply(c, sla_ctl_response_error(c->query ? "the query did not finish within %d s "
                                                       "(slad is busy); try again"
                                                     : "no answer from redis within %d s",
                                            CONTROL_OP_TIMEOUT_S));
}

/* The client waits for Redis, the store or a query; it is answered by then. */
static void ctl_wait(ctl_client *c)
{
    struct timeval tv = {CONTROL_OP_TIMEOUT_S, 0};
    evtimer_add(c->op_timer, &tv);
}

/* --- helpers ------------------------------------------------------------ */

/* Partitions (> 1): the partition of a subject id, else -1. */
static int ctl_partition(const char *id)
{
    return ctl.cfg->partitions > 1 ? sla_partition_of(id, strlen(id), ctl.cfg->partitions) : -1;
}

/* The store holding subject id: the single one, or its partition's when
 * this instance runs it (NULL when not). */
static store *ctl_store_for(const char *id)
{
    int p = ctl_partition(id);
    return p < 0 ? ctl.links.store : pipelines_store(p);
}

static sla_engine *ctl_engine(ctl_client *c, const char *id)
{
    store *st = ctl_store_for(id);
    sla_engine *e = store_engine(st);
    if (e == NULL && st == NULL && ctl_partition(id) >= 0)
        ctl_reply(c, sla_ctl_response_error("'%s' is in partition %d, which another instance "
                                            "runs: ask it ('slactl cluster' shows which)",
                                            id, ctl_partition(id)));
    else if (e == NULL)
        ctl_reply(c, sla_ctl_response_error("the state is being loaded from redis; try again"));
    return e;
}

/* The receivers told of a clock's breach, as the engine remembers them. */
static json_t *ctl_notified(const sla_clock_info *ci)
{
    json_t *out = json_array();
    for (int i = 0; i < ci->nnotified; i++)
        json_array_append_new(out, json_string(ci->notified[i]));
    return out;
}

/* The same for clock `metric` of subject id (the `breached` list). */
static json_t *ctl_ticket_notified(sla_engine *e, int subject, const char *id, int metric,
                                   int64_t now)
{
    sla_clock_info clocks[SLA_METRIC_COUNT];
    const char *attrs;
    size_t attrs_len;
    int n = sla_engine_subject_info(e, subject, id, strlen(id), now, clocks, &attrs, &attrs_len);
    for (int i = 0; i < n; i++)
        if (clocks[i].metric == metric)
            return ctl_notified(&clocks[i]);
    return json_array();
}

static json_t *ctl_deadline(int64_t ms)
{
    return ms == INT64_MAX ? json_null() : json_integer(ms);
}

/* args.<name> as a bounded list size; -1 (after answering) when invalid. */
static int ctl_limit(ctl_client *c, const json_t *args)
{
    const json_t *v = json_object_get(args, "limit");
    if (v == NULL)
        return CONTROL_LIST_DEFAULT;
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > CONTROL_LIST_MAX) {
        ctl_reply(c, sla_ctl_response_error("limit must be an integer 1..%d", CONTROL_LIST_MAX));
        return -1;
    }
    return (int)json_integer_value(v);
}

/* A required string argument, or NULL after answering. */
static const char *ctl_string_arg(ctl_client *c, const json_t *args, const char *name)
{
    const json_t *v = json_object_get(args, name);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        ctl_reply(c, sla_ctl_response_error("missing argument '%s'", name));
        return NULL;
    }
    return json_string_value(v);
}

/*
 * The fields of an escalation record (and of the delivery.* outcome added
 * to a dead one) that hold integers: JSON numbers in the answer.
 */
static const char *const ctl_numeric_fields[] = {
    "level",           "deadline_ms",        "fired_ms",          "late_ms",
    "cycle",           "delivery.status",    "delivery.attempts", "delivery.first_ms",
    "delivery.last_ms",
};

/* value as a JSON integer when key is numeric and value a plain decimal, else NULL. */
static json_t *ctl_field_number(const char *key, const char *value)
{
    size_t i, n = sizeof ctl_numeric_fields / sizeof ctl_numeric_fields[0];
    for (i = 0; i < n && strcmp(key, ctl_numeric_fields[i]) != 0; i++)
        ;
    if (i == n)
        return NULL;
    const char *p = value + (value[0] == '-');
    if (p[0] < '0' || p[0] > '9' || (p[0] == '0' && p[1] != '\0'))
        return NULL; /* also refuses "", "+1", " 1" and "007": left as written */
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || *end != '\0')
        return NULL;
    return json_integer((json_int_t)v);
}

/*
 * Flat field/value pairs of a stream entry as an object: strings, but the
 * integer fields of a record as numbers when they read as integers (a
 * record written by hand may not; its value is then kept as a string).
 */
static json_t *ctl_fields(const redisReply *list)
{
    json_t *o = json_object();
    if (list->type != REDIS_REPLY_ARRAY)
        return o;
    for (size_t i = 0; i + 1 < list->elements; i += 2) {
        const redisReply *k = list->element[i], *v = list->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        char key[128];
        size_t klen = sla_utf8_cut(k->str, k->len, sizeof key - 1);
        memcpy(key, k->str, klen);
        key[klen] = '\0';
        json_t *num = ctl_field_number(key, v->str);
        json_object_set_new(o, key, num ? num : sla_format_jstr(v->str));
    }
    return o;
}

/* --- commands ----------------------------------------------------------- */

/* How far a store's deadlines have been fired: the wall clock once its
 * input is caught up, the time of the entries applied while it catches up. */
static json_t *ctl_firing(store *st)
{
    int64_t horizon, behind;
    store_get_input(st, &horizon, &behind);
    return json_pack("{s:b, s:o, s:I}", "caught_up", horizon != INT64_MIN && behind == 0,
                     "horizon_ms", horizon != INT64_MIN ? json_integer(horizon) : json_null(),
                     "behind_ms", (json_int_t)behind);
}

/*
 * Partitioned: the firing line of this instance, its partition furthest
 * behind (worst: not yet loaded, then the most behind): caught up only when
 * every partition it runs is.
 */
static json_t *ctl_firing_partitions(void)
{
    int worst = -1;
    int64_t worst_h = 0, worst_b = -1;
    for (int p = 0; p < ctl.cfg->partitions; p++) {
        store *st = pipelines_store(p);
        if (st == NULL)
            continue;
        int64_t h, b;
        store_get_input(st, &h, &b);
        int64_t rank = h == INT64_MIN ? INT64_MAX : b;
        if (worst < 0 || rank > worst_b) {
            worst = p;
            worst_b = rank;
            worst_h = h;
        }
    }
    if (worst < 0)
        return json_pack("{s:b, s:n, s:I, s:n}", "caught_up", 1, "horizon_ms", "behind_ms",
                         (json_int_t)0, "worst_partition");
    int64_t behind = worst_h == INT64_MIN ? 0 : worst_b;
    return json_pack("{s:b, s:o, s:I, s:i}", "caught_up", worst_h != INT64_MIN && behind == 0,
                     "horizon_ms", worst_h != INT64_MIN ? json_integer(worst_h) : json_null(),
                     "behind_ms", (json_int_t)behind, "worst_partition", worst);
}

/*
 * status with partitions: this instance (name, leases counters) and each
 * partition it runs (lease age, state, open tickets); open_tickets,
 * open_customers, running_clocks and state summed over them.
 */
static void ctl_status_partitions(json_t *d, int64_t now)
{
    leases_stats ls;
    leases_get_stats(&ls);
    json_t *owned = json_array();
    json_int_t open = 0, customers = 0, running[SLA_METRIC_COUNT] = {0};
    int loading = 0;
    for (int p = 0; p < ctl.cfg->partitions; p++) {
        store *st = pipelines_store(p);
        if (st == NULL)
            continue;
        sla_engine *e = store_engine(st);
        sla_engine_stats es = {0};
        if (e)
            sla_engine_get_stats(e, &es);
        else
            loading++;
        open += (json_int_t)es.open_tickets;
        customers += (json_int_t)es.open_customers;
        for (int m = 0; m < SLA_METRIC_COUNT; m++)
            running[m] += (json_int_t)es.running_clocks[m];
        int64_t renewed = leases_renewed_ms(p);
        json_t *po = json_pack("{s:i, s:s, s:o, s:o}", "partition", p, "state",
                               e ? "running" : "loading", "lease_age_ms",
                               renewed ? json_integer(now - renewed) : json_null(),
                               "open_tickets",
                               e ? json_integer((json_int_t)es.open_tickets) : json_null());
        /* Its input group's backlog (null until polled in this run) and
         * how far its deadlines have been fired. */
        stats_backlog bl;
        stats_get_partition_backlog(p, &bl);
        json_object_set_new(po, "consumer",
                            json_pack("{s:o, s:o}", "lag",
                                      bl.lag >= 0 ? json_integer(bl.lag) : json_null(),
                                      "pending",
                                      bl.pending >= 0 ? json_integer(bl.pending) : json_null()));
        json_object_set_new(po, "firing", ctl_firing(st));
        json_array_append_new(owned, po);
    }
    json_object_set_new(d, "instance",
                        json_pack("{s:s, s:i, s:i, s:I, s:i, s:I, s:I, s:I, s:I, s:o}", "name",
                                  ctl.cfg->instance.name, "partitions", ctl.cfg->partitions,
                                  "lease_ttl_ms", (int)ctl.cfg->instance.lease_ttl_ms,
                                  "owned_count", (json_int_t)ls.owned, "live_instances", ls.live,
                                  "renewals", (json_int_t)ls.renewals, "takeovers",
                                  (json_int_t)ls.takeovers, "losses", (json_int_t)ls.losses,
                                  "releases", (json_int_t)ls.releases, "owned", owned));
    json_object_set_new(d, "state", json_string(loading ? "loading" : "running"));
    json_object_set_new(d, "open_tickets", loading ? json_null() : json_integer(open));
    json_object_set_new(d, "open_customers", loading ? json_null() : json_integer(customers));
    json_t *clocks = json_object();
    for (int m = 0; m < SLA_METRIC_COUNT; m++)
        json_object_set_new(clocks, sla_metric_name(m), json_integer(running[m]));
    json_object_set_new(d, "running_clocks", loading ? (json_decref(clocks), json_null())
                                                     : clocks);
}

/* --- cluster: every instance and partition, as Redis holds them --------- */

enum { CLU_TIME = 0, CLU_INSTANCES, CLU_LEASE, CLU_PTTL, CLU_GROUPS };

typedef struct ctl_cluster ctl_cluster;
typedef struct ctl_cluster_tag {
    ctl_cluster *cl;
    int kind, partition;
} ctl_cluster_tag;

struct ctl_cluster {
    uint64_t client;
    int out;                 /* replies awaited */
    int failed;
    char why[128];
    int64_t server_ms;
    json_t *instances;       /* [[name, expires server ms], ...] */
    json_t *parts;           /* one object per partition */
    ctl_cluster_tag *tags;
};

/* The group's lag and pending count from an XINFO GROUPS reply. */
static void ctl_group_numbers(const redisReply *r, json_t *o)
{
    json_object_set_new(o, "lag", json_null());
    json_object_set_new(o, "pending", json_null());
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *g = r->element[i];
        int ours = 0;
        for (size_t j = 0; g->type == REDIS_REPLY_ARRAY && j + 1 < g->elements; j += 2)
            if (g->element[j]->type == REDIS_REPLY_STRING &&
                strcmp(g->element[j]->str, "name") == 0 &&
                g->element[j + 1]->type == REDIS_REPLY_STRING &&
                strcmp(g->element[j + 1]->str, ctl.cfg->stream.group) == 0)
                ours = 1;
        for (size_t j = 0; ours && j + 1 < g->elements; j += 2) {
            const redisReply *k = g->element[j], *v = g->element[j + 1];
            if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_INTEGER)
                continue;
            if (strcmp(k->str, "lag") == 0 || strcmp(k->str, "pending") == 0)
                json_object_set_new(o, k->str, json_integer(v->integer));
        }
    }
}

static void ctl_cluster_answer(ctl_cluster *cl)
{
    ctl_client *c = ctl_find(cl->client);
    if (c == NULL)
        return;
    if (cl->failed) {
        ctl_reply(c, sla_ctl_response_error("redis: %s", cl->why));
        return;
    }
    int64_t ttl = ctl.cfg->instance.lease_ttl_ms;
    json_t *inst = json_array(), *unowned = json_array();
    size_t i;
    json_t *pair;
    json_array_foreach(cl->instances, i, pair) {
        const char *name = json_string_value(json_array_get(pair, 0));
        int64_t expires = json_integer_value(json_array_get(pair, 1));
        json_t *mine = json_array();
        size_t j;
        json_t *po;
        json_array_foreach(cl->parts, j, po) {
            const char *owner = json_string_value(json_object_get(po, "owner"));
            if (owner && strcmp(owner, name) == 0)
                json_array_append_new(mine, json_integer((json_int_t)j));
        }
        json_array_append_new(inst, json_pack("{s:s, s:I, s:o, s:b}", "name", name,
                                              "heartbeat_age_ms",
                                              (json_int_t)(ttl - (expires - cl->server_ms)),
                                              "partitions", mine, "this",
                                              strcmp(name, ctl.cfg->instance.name) == 0));
    }
    size_t j;
    json_t *po;
    json_array_foreach(cl->parts, j, po)
        if (json_is_null(json_object_get(po, "owner")))
            json_array_append_new(unowned, json_integer((json_int_t)j));
    ctl_reply(c, sla_ctl_response_ok(json_pack("{s:i, s:I, s:o, s:O, s:o}", "partitions",
                                               ctl.cfg->partitions, "lease_ttl_ms",
                                               (json_int_t)ttl, "instances", inst, "leases",
                                               cl->parts, "unowned", unowned)));
}

static void ctl_on_cluster(redisAsyncContext *ac, void *r, void *privdata)
{
    ctl_cluster_tag *t = privdata;
    ctl_cluster *cl = t->cl;
    const redisReply *reply = r;
    if (reply == NULL || (reply->type == REDIS_REPLY_ERROR && t->kind != CLU_GROUPS)) {
        if (!cl->failed)
            snprintf(cl->why, sizeof cl->why, "%s", reply ? reply->str : "connection lost");
        cl->failed = 1;
    } else if (!cl->failed) {
        json_t *po = t->partition >= 0 ? json_array_get(cl->parts, (size_t)t->partition) : NULL;
        switch (t->kind) {
        case CLU_TIME:
            if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
                cl->server_ms = strtoll(reply->element[0]->str, NULL, 10) * 1000 +
                                strtoll(reply->element[1]->str, NULL, 10) / 1000;
            break;
        case CLU_INSTANCES:
            for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements;
                 i += 2)
                json_array_append_new(cl->instances,
                                      json_pack("[s#, I]", reply->element[i]->str,
                                                (int)reply->element[i]->len,
                                                (json_int_t)strtoll(reply->element[i + 1]->str,
                                                                    NULL, 10)));
            break;
        case CLU_LEASE:
            if (reply->type == REDIS_REPLY_STRING) {
                size_t name_len;
                uint64_t epoch;
                if (sla_lease_token_parse(reply->str, reply->len, &name_len, &epoch) == 0)
                    json_object_set_new(po, "owner", json_stringn(reply->str, name_len));
                json_object_set_new(po, "token", json_stringn(reply->str, reply->len));
            }
            break;
        case CLU_PTTL:
            if (reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0)
                json_object_set_new(po, "lease_age_ms",
                                    json_integer((json_int_t)(ctl.cfg->instance.lease_ttl_ms -
                                                              reply->integer)));
            break;
        case CLU_GROUPS:
            ctl_group_numbers(reply, po);
            break;
        }
    }
    if (--cl->out > 0)
        return;
    ctl_cluster_answer(cl);
    json_decref(cl->instances);
    json_decref(cl->parts);
    free(cl->tags);
    free(cl);
}

static int ctl_cluster_send(ctl_cluster *cl, int slot, int kind, int partition, int argc,
                            const char **argv)
{
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    cl->tags[slot] = (ctl_cluster_tag){cl, kind, partition};
    if (redis_link_command(ctl.links.command, ctl_on_cluster, &cl->tags[slot], argc, argv,
                           lens) < 0)
        return -1;
    cl->out++;
    return 0;
}

/*
 * cluster: TIME, the live instances (ZRANGE of the instances' set with the
 * heartbeats' expiry), and for each partition its lease (GET, PTTL) and
 * its input group (XINFO GROUPS: lag and pending). One pipelined burst;
 * each reply is handled alone, and the answer is built when the last came.
 */
static void ctl_cmd_cluster(ctl_client *c, const json_t *args)
{
    int parts = ctl.cfg->partitions;
    if (parts <= 1) {
        ctl_reply(c, sla_ctl_response_error("this slad runs a single partition (partitions = "
                                            "1): no instances share it"));
        return;
    }
    if (!redis_link_is_up(ctl.links.command)) {
        ctl_reply(c, sla_ctl_response_error("redis is not connected; try again"));
        return;
    }
    ctl_cluster *cl = calloc(1, sizeof *cl);
    if (cl)
        cl->tags = calloc(2 + 3 * (size_t)parts, sizeof *cl->tags);
    if (cl)
        cl->instances = json_array();
    if (cl)
        cl->parts = json_array();
    if (cl == NULL || cl->tags == NULL || cl->instances == NULL || cl->parts == NULL) {
        if (cl) {
            json_decref(cl->instances);
            json_decref(cl->parts);
            free(cl->tags);
        }
        free(cl);
        ctl_reply(c, sla_ctl_response_error("out of memory"));
        return;
    }
    cl->client = c->id;
    cl->out = 1; /* held while sending */
    const char *time_argv[] = {"TIME"};
    const char *zr[] = {"ZRANGE", ctl.keys->instances, "0", "-1", "WITHSCORES"};
    int bad = ctl_cluster_send(cl, 0, CLU_TIME, -1, 1, time_argv) < 0 ||
              ctl_cluster_send(cl, 1, CLU_INSTANCES, -1, 5, zr) < 0;
    for (int p = 0; p < parts && !bad; p++) {
        sla_keys k;
        if (sla_keys_init(&k, ctl.cfg->stream.prefix, p) < 0) {
            bad = 1;
            break;
        }
        json_array_append_new(cl->parts, json_pack("{s:i, s:n, s:n, s:n}", "partition", p,
                                                   "owner", "token", "lease_age_ms"));
        const char *get[] = {"GET", k.lease};
        const char *pttl[] = {"PTTL", k.lease};
        const char *groups[] = {"XINFO", "GROUPS", k.events};
        bad = ctl_cluster_send(cl, 2 + 3 * p, CLU_LEASE, p, 2, get) < 0 ||
              ctl_cluster_send(cl, 3 + 3 * p, CLU_PTTL, p, 2, pttl) < 0 ||
              ctl_cluster_send(cl, 4 + 3 * p, CLU_GROUPS, p, 3, groups) < 0;
    }
    if (bad && !cl->failed) {
        cl->failed = 1;
        snprintf(cl->why, sizeof cl->why, "could not send the queries");
    }
    ctl_wait(c);
    ctl_cluster_tag last = {cl, -1, -1};
    ctl_on_cluster(NULL, (void *)&(redisReply){.type = REDIS_REPLY_NIL}, &last);
}

static void ctl_cmd_status(ctl_client *c, const json_t *args)
{
    int64_t now = wakeup_now_ms();
    json_t *d = json_object();
    json_object_set_new(d, "version", json_string(SLA_VERSION));
    json_object_set_new(d, "pid", json_integer(getpid()));
    json_object_set_new(d, "started_ms", json_integer(ctl.started_ms));
    json_object_set_new(d, "uptime_ms", json_integer(now - ctl.started_ms));
    json_object_set_new(d, "config",
                        json_pack("{s:s, s:I}", "path", ctl.cfg->path ? ctl.cfg->path : "",
                                  "loaded_ms", (json_int_t)ctl.loaded_ms));

    json_t *links = json_array();
    for (size_t i = 0; i < ctl.links.nall; i++) {
        redis_link *l = ctl.links.all[i];
        json_array_append_new(links, json_pack("{s:s, s:b, s:I}", "link", redis_link_name(l),
                                               "up", redis_link_is_up(l), "reconnects",
                                               (json_int_t)redis_link_reconnects(l)));
    }
    json_object_set_new(d, "redis", links);

    stats_backlog bl;
    stats_get_backlog(&bl);
    json_t *consumer = json_pack("{s:s, s:o, s:o}", "group", ctl.cfg->stream.group, "lag",
                                 bl.lag >= 0 ? json_integer(bl.lag) : json_null(), "pending",
                                 bl.pending >= 0 ? json_integer(bl.pending) : json_null());
    /* Partitioned: summed over this instance's partitions (instance.owned
     * has each one's), the one with the most lag named. */
    if (ctl.cfg->partitions > 1)
        json_object_set_new(consumer, "worst_partition",
                            bl.worst_partition >= 0 ? json_integer(bl.worst_partition)
                                                    : json_null());
    json_object_set_new(d, "consumer", consumer);
    json_object_set_new(d, "firing", ctl.cfg->partitions > 1 ? ctl_firing_partitions()
                                                             : ctl_firing(ctl.links.store));
    ingest_stats in;
    ingest_get_stats(&in);
    json_object_set_new(d, "events_per_second", json_real(stats_events_per_second()));
    json_object_set_new(d, "events",
                        json_pack("{s:I, s:I, s:I, s:I, s:I}", "read", (json_int_t)in.entries,
                                  "applied", (json_int_t)in.applied, "duplicates",
                                  (json_int_t)in.duplicates, "unknown_ticket",
                                  (json_int_t)in.unknown_ticket, "dead", (json_int_t)in.dead));

    sla_engine *e = store_engine(ctl.links.store);
    json_object_set_new(d, "state", json_string(e ? "running" : "loading"));
    if (e) {
        sla_engine_stats es;
        sla_engine_get_stats(e, &es);
        json_object_set_new(d, "open_tickets", json_integer((json_int_t)es.open_tickets));
        json_object_set_new(d, "open_customers", json_integer((json_int_t)es.open_customers));
        json_t *clocks = json_object();
        for (int m = 0; m < SLA_METRIC_COUNT; m++)
            json_object_set_new(clocks, sla_metric_name(m),
                                json_integer((json_int_t)es.running_clocks[m]));
        json_object_set_new(d, "running_clocks", clocks);
    } else {
        json_object_set_new(d, "open_tickets", json_null());
        json_object_set_new(d, "open_customers", json_null());
        json_object_set_new(d, "running_clocks", json_null());
    }
    json_object_set_new(d, "decisions",
                        json_pack("{s:I, s:I, s:I, s:I}", "warnings",
                                  (json_int_t)stats_decisions_total(SLA_DECISION_WARNING),
                                  "breaches",
                                  (json_int_t)stats_decisions_total(SLA_DECISION_BREACH),
                                  "escalations",
                                  (json_int_t)stats_decisions_total(SLA_DECISION_ESCALATION),
                                  "recovered",
                                  (json_int_t)stats_decisions_total(SLA_DECISION_RECOVERED)));
    if (ctl.cfg->partitions > 1)
        ctl_status_partitions(d, now);
    deliver_stats ds;
    deliver_get_stats(&ds);
    json_object_set_new(d, "deliveries",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "pending",
                                  (json_int_t)ds.pending, "held", (json_int_t)ds.held,
                                  "retrying", (json_int_t)ds.retrying, "in_flight",
                                  (json_int_t)ds.in_flight, "delivered",
                                  (json_int_t)ds.delivered, "dead",
                                  bl.deliveries_dead >= 0 ? json_integer(bl.deliveries_dead)
                                                          : json_null()));
    ctl_reply(c, sla_ctl_response_ok(d));
}

static void ctl_subject_answer(ctl_client *c, sla_engine *e, const char *id, int subject,
                               const char *source);
static void ctl_on_state_record(redisAsyncContext *ac, void *r, void *privdata);

/* ticket and customer: one subject's attributes and clocks. */
static void ctl_subject(ctl_client *c, const json_t *args, int subject)
{
    const char *id = ctl_string_arg(c, args, "id");
    if (id == NULL)
        return;
    /* A customer is partitioned by its id like a ticket (README). */
    int p = ctl_partition(id);
    if (p >= 0 && pipelines_store(p) == NULL) {
        /* Another instance's partition: its state as last committed. */
        sla_keys k;
        if (strlen(id) > SLA_TICKET_MAX_LEN) {
            ctl_reply(c, sla_ctl_response_error("unknown %s '%s'", sla_subject_name(subject),
                                                id));
            return;
        }
        if (sla_keys_init(&k, ctl.cfg->stream.prefix, p) < 0) {
            ctl_reply(c, sla_ctl_response_error("stream.prefix too long"));
            return;
        }
        /* The state hash's field: the id, a customer's behind its prefix. */
        snprintf(c->subject_id, sizeof c->subject_id, "%s%s",
                 subject == SLA_SUBJECT_CUSTOMER ? SLA_CUSTOMER_KEY_PREFIX : "", id);
        c->subject = subject;
        const char *argv[] = {"HGET", k.state, c->subject_id};
        size_t lens[] = {4, strlen(k.state), strlen(c->subject_id)};
        if (redis_link_command(ctl.links.command, ctl_on_state_record, (void *)(uintptr_t)c->id,
                               3, argv, lens) < 0) {
            ctl_reply(c, sla_ctl_response_error("redis is not connected; try again"));
            return;
        }
        ctl_wait(c);
        return;
    }
    sla_engine *e = ctl_engine(c, id);
    if (e != NULL)
        ctl_subject_answer(c, e, id, subject, p >= 0 ? "engine" : NULL);
}

/*
 * A subject of another instance's partition: its state record decoded by
 * an engine of its own holding that one subject (the clocks as of now,
 * with the configuration of this instance), freed at once.
 */
static void ctl_on_state_record(redisAsyncContext *ac, void *r, void *privdata)
{
    const redisReply *reply = r;
    ctl_client *c = ctl_find((uint64_t)(uintptr_t)privdata);
    if (c == NULL)
        return;
    int subject = c->subject;
    const char *id = c->subject_id;
    if (subject == SLA_SUBJECT_CUSTOMER)
        id += SLA_CUSTOMER_KEY_PREFIX_LEN; /* the field without its prefix */
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        ctl_reply(c, sla_ctl_response_error("redis: %s", reply ? reply->str : "connection lost"));
        return;
    }
    if (reply->type != REDIS_REPLY_STRING) {
        ctl_reply(c, sla_ctl_response_error("unknown %s '%s'", sla_subject_name(subject), id));
        return;
    }
    int64_t now = wakeup_now_ms();
    sla_engine *e = sla_engine_new(ctl.cfg, now);
    if (e == NULL || sla_engine_restore(e, c->subject_id, strlen(c->subject_id),
                                        (const unsigned char *)reply->str, reply->len,
                                        now) < 0) {
        if (e)
            sla_engine_free(e);
        ctl_reply(c, sla_ctl_response_error("%s '%s': its state record cannot be read",
                                            sla_subject_name(subject), id));
        return;
    }
    ctl_subject_answer(c, e, id, subject, "redis");
    sla_engine_free(e);
}

static void ctl_subject_answer(ctl_client *c, sla_engine *e, const char *id, int subject,
                               const char *source)
{
    int64_t now = wakeup_now_ms();
    sla_clock_info clocks[SLA_METRIC_COUNT];
    const char *attrs;
    size_t attrs_len;
    int n = sla_engine_subject_info(e, subject, id, strlen(id), now, clocks, &attrs, &attrs_len);
    if (n < 0) {
        ctl_reply(c, sla_ctl_response_error("unknown %s '%s'", sla_subject_name(subject), id));
        return;
    }
    json_t *a = json_object();
    size_t pos = 0;
    const char *k, *v;
    while (sla_attrs_next(attrs, attrs_len, &pos, &k, &v))
        json_object_set_new(a, k, sla_format_jstr(v));
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        const sla_clock_info *ci = &clocks[i];
        json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:o, s:I, s:i, s:b, s:b, s:o}", "metric",
                              sla_metric_name(ci->metric), "state", ci->state_name, "cycle",
                              (int)ci->cycle, "policy", ci->policy_name, "deadline_ms",
                              ctl_deadline(ci->deadline_ms), "elapsed_ms",
                              (json_int_t)ci->elapsed_ms, "level", ci->fired, "warned",
                              ci->warned, "acked", ci->acked, "notified", ctl_notified(ci));
        /* Who acknowledged and when, as the ticket's record keeps them;
         * null when not acknowledged or not known (a record from before). */
        json_object_set_new(o, "acked_by",
                            ci->acked && ci->acked_by[0] ? sla_format_jstr(ci->acked_by)
                                                         : json_null());
        json_object_set_new(o, "acked_ms", ci->acked && ci->acked_ms
                                               ? json_integer(ci->acked_ms)
                                               : json_null());
        json_object_set_new(o, "remaining_ms", ci->deadline_ms == INT64_MAX
                                                   ? json_null()
                                                   : json_integer(ci->deadline_ms - now));
        json_array_append_new(list, o);
    }
    json_t *d = json_pack("{s:o, s:I, s:o, s:o}", sla_subject_name(subject),
                          sla_format_jstr(id), "now_ms", (json_int_t)now, "attrs", a, "clocks",
                          list);
    if (source) {
        /* Partitions: which one, and whether this instance runs it
         * ("engine") or the state was read from Redis ("redis"). */
        json_object_set_new(d, "partition", json_integer(ctl_partition(id)));
        json_object_set_new(d, "source", json_string(source));
    }
    ctl_reply(c, sla_ctl_response_ok(d));
}

static void ctl_cmd_ticket(ctl_client *c, const json_t *args)
{
    ctl_subject(c, args, SLA_SUBJECT_TICKET);
}

static void ctl_cmd_customer(ctl_client *c, const json_t *args)
{
    ctl_subject(c, args, SLA_SUBJECT_CUSTOMER);
}

/* due and breached: the answer once the query has read every ticket. */
static void ctl_on_listed(const sla_listquery *lq, sla_engine *e, const char *why,
                          const query_parts *parts, void *arg)
{
    ctl_client *c = ctl_find((uint64_t)(uintptr_t)arg);
    if (c == NULL)
        return;
    c->query = NULL; /* freed by the query module after this returns */
    if (lq == NULL) {
        ctl_reply(c, sla_ctl_response_error("%s", why));
        return;
    }
    const sla_due_item *items;
    size_t n = sla_listquery_items(lq, &items);
    int64_t now = lq->now_ms;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const sla_due_item *it = &items[i];
        /* A ticket's id under "ticket", a customer's under "customer". */
        json_t *o = json_pack("{s:o, s:s, s:s, s:s, s:I, s:I, s:i, s:b}",
                              sla_subject_name(it->subject), sla_format_jstr(it->ticket),
                              "kind", sla_subject_name(it->subject),
                              "metric", sla_metric_name(it->metric), "policy",
                              it->policy_name, "deadline_ms",
                              (json_int_t)it->deadline_ms, "remaining_ms",
                              (json_int_t)(it->deadline_ms - now), "level", it->fired, "acked",
                              it->acked);
        if (parts->partitioned)
            json_object_set_new(o, "partition", json_integer(ctl_partition(it->ticket)));
        if (lq->breached) {
            /* Partitioned: from the engine of the item's partition, when
             * this instance still runs it. */
            sla_engine *ie = e ? e : store_engine(ctl_store_for(it->ticket));
            json_object_set_new(o, "notified",
                                ie ? ctl_ticket_notified(ie, it->subject, it->ticket, it->metric,
                                                         now)
                                   : json_array());
        }
        json_array_append_new(list, o);
    }
    json_t *d = json_pack("{s:I, s:I, s:o}", "now_ms", (json_int_t)now, "total",
                          (json_int_t)lq->total, "items", list);
    if (parts->partitioned) {
        /* Which partitions the answer covers: those this instance ran when
         * the query started, less those left out (lost, reloading). */
        json_t *cov = json_array(), *skip = json_array();
        for (int i = 0; i < parts->ncovered; i++)
            json_array_append_new(cov, json_integer(parts->covered[i]));
        for (int i = 0; i < parts->nskipped; i++)
            json_array_append_new(skip, json_pack("{s:i, s:s}", "partition", parts->skipped[i],
                                                  "reason", parts->skipped_why[i]));
        json_object_set_new(d, "instance", json_string(ctl.cfg->instance.name));
        json_object_set_new(d, "partitions", json_integer(ctl.cfg->partitions));
        json_object_set_new(d, "covered", cov);
        json_object_set_new(d, "skipped", skip);
    }
    ctl_reply(c, sla_ctl_response_ok(d));
}

/*
 * due (breached = 0) and breached (1): read in slices (query.h), so that
 * however many tickets are open the clocks wait for one slice at most.
 */
static void ctl_list(ctl_client *c, const json_t *args, int breached)
{
    int64_t within = -1;
    const json_t *w = json_object_get(args, "within_ms");
    if (!breached && w) {
        if (!json_is_integer(w) || json_integer_value(w) < 0) {
            ctl_reply(c, sla_ctl_response_error("within_ms must be a non-negative integer"));
            return;
        }
        within = json_integer_value(w);
    }
    int subject = -1;
    const json_t *k = json_object_get(args, "kind");
    if (k) {
        subject = json_is_string(k) ? sla_subject_from_name(json_string_value(k),
                                                            json_string_length(k))
                                    : -1;
        if (subject < 0) {
            ctl_reply(c, sla_ctl_response_error("kind must be \"ticket\" or \"customer\""));
            return;
        }
    }
    int limit = ctl_limit(c, args);
    if (limit < 1)
        return;
    /* Partitioned: every partition this instance runs (query.h). */
    if (ctl.cfg->partitions <= 1 && ctl_engine(c, "") == NULL)
        return;
    c->query = query_start(ctl.base, ctl.cfg->partitions > 1 ? NULL : ctl.links.store, breached,
                           subject, wakeup_now_ms(), within, (size_t)limit, ctl_on_listed,
                           (void *)(uintptr_t)c->id);
    if (c->query == NULL) {
        ctl_reply(c, sla_ctl_response_error("out of memory"));
        return;
    }
    ctl_wait(c);
}

static void ctl_cmd_due(ctl_client *c, const json_t *args)
{
    ctl_list(c, args, 0);
}

static void ctl_cmd_breached(ctl_client *c, const json_t *args)
{
    ctl_list(c, args, 1);
}

static void ctl_on_acked(int ok, void *arg)
{
    ctl_client *c = ctl_find((uint64_t)(uintptr_t)arg);
    if (c == NULL)
        return;
    if (!ok)
        ctl_reply(c, sla_ctl_response_error("acknowledged in memory, but writing it to redis "
                                            "failed; the state is being reloaded"));
    else
        ctl_reply(c, sla_ctl_response_ok(json_pack("{s:i, s:b, s:s}", "acked", c->acked,
                                                   "durable", 1, "by", c->by)));
}

/* "first_response, next_response, ...": the metrics of one kind of subject. */
static void metric_names(int subject, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int m = sla_subject_first_metric(subject); m < sla_subject_end_metric(subject); m++) {
        int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", sla_metric_name(m));
        if (w < 0 || (size_t)w >= len - n)
            break;
        n += (size_t)w;
    }
}

/*
 * An ack of a subject in another instance's partition is forwarded: an
 * `escalation.ack` entry appended to that partition's input stream, which
 * its owner applies in stream order like any producer's, exactly once and
 * fenced like every commit (this instance never writes another's state).
 * One script, all keys in the partition's hash tag: the subject must be in
 * the partition's committed state (else "unknown", as on the owner; an ack
 * of an unknown subject would only be counted and ignored), then the entry,
 * then who holds the lease, for the answer.
 */
static ctl_client *ctl_redis_reply(const redisReply *reply, void *privdata);

static const char ctl_ack_forward_script[] =
    "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return false end\n"
    "local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))\n"
    "return {id, redis.call('GET', KEYS[3])}\n";

static void ctl_on_ack_forwarded(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)ac;
    const redisReply *reply = r;
    ctl_client *c = ctl_redis_reply(reply, privdata);
    if (c == NULL)
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        ctl_reply(c, sla_ctl_response_error("unknown %s '%s'", sla_subject_name(c->subject),
                                            c->subject_id));
        return;
    }
    /* The lease's value is "<instance>/<epoch>": the owner's name. */
    json_t *owner = NULL;
    if (reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING) {
        const char *v = reply->element[1]->str, *slash = strrchr(v, '/');
        owner = json_stringn(v, slash ? (size_t)(slash - v) : reply->element[1]->len);
    }
    sla_info("control: %s '%s' acknowledged by %s, forwarded to partition %d as entry %s",
             sla_subject_name(c->subject), c->subject_id, c->by, c->forward_partition,
             reply->element[0]->str);
    ctl_reply(c, sla_ctl_response_ok(json_pack(
                     "{s:b, s:i, s:o, s:s, s:s}", "forwarded", 1, "partition",
                     c->forward_partition, "owner", owner ? owner : json_null(), "entry",
                     reply->element[0]->str, "by", c->by)));
}

static void ctl_ack_forward(ctl_client *c, int subject, const char *id, int metric, int p)
{
    sla_keys k;
    if (strlen(id) > SLA_TICKET_MAX_LEN) {
        ctl_reply(c, sla_ctl_response_error("unknown %s '%s'", sla_subject_name(subject), id));
        return;
    }
    if (sla_keys_init(&k, ctl.cfg->stream.prefix, p) < 0) {
        ctl_reply(c, sla_ctl_response_error("stream.prefix too long"));
        return;
    }
    char field[sizeof c->subject_id];
    snprintf(field, sizeof field, "%s%s", subject == SLA_SUBJECT_CUSTOMER ? SLA_CUSTOMER_KEY_PREFIX : "",
             id);
    /* For the answer: the id as given. */
    snprintf(c->subject_id, sizeof c->subject_id, "%s", id);
    c->subject = subject;
    c->forward_partition = p;
    const char *argv[16];
    int argc = 0;
    argv[argc++] = "EVAL";
    argv[argc++] = ctl_ack_forward_script;
    argv[argc++] = "3";
    argv[argc++] = k.state;
    argv[argc++] = k.events;
    argv[argc++] = k.lease;
    argv[argc++] = field;
    argv[argc++] = sla_subject_name(subject); /* "ticket" / "customer": the id's field */
    argv[argc++] = id;
    argv[argc++] = "type";
    argv[argc++] = "escalation.ack";
    if (metric >= 0) {
        argv[argc++] = "metric";
        argv[argc++] = sla_metric_name(metric);
    }
    argv[argc++] = "by";
    argv[argc++] = c->by;
    size_t lens[16];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (redis_link_command(ctl.links.command, ctl_on_ack_forwarded, (void *)(uintptr_t)c->id,
                           argc, argv, lens) < 0) {
        ctl_reply(c, sla_ctl_response_error("redis is not connected; try again"));
        return;
    }
    ctl_wait(c);
}

/*
 * ack: {"ticket": ID} or {"customer": ID} (the key names the kind, as in
 * the items of due and breached), "metric" (one of that kind's, or all),
 * "by".
 */
static void ctl_cmd_ack(ctl_client *c, const json_t *args)
{
    int subject = json_object_get(args, "customer") && !json_object_get(args, "ticket")
                      ? SLA_SUBJECT_CUSTOMER
                      : SLA_SUBJECT_TICKET;
    const char *kind = sla_subject_name(subject);
    const char *ticket = ctl_string_arg(c, args, kind);
    if (ticket == NULL)
        return;
    int metric = -1;
    const json_t *m = json_object_get(args, "metric");
    if (m && !json_is_null(m)) {
        metric = json_is_string(m) ? sla_metric_from_name(json_string_value(m),
                                                          json_string_length(m))
                                   : -1;
        if (metric < 0 || sla_metric_subject(metric) != subject) {
            char names[256];
            metric_names(subject, names, sizeof names);
            ctl_reply(c, sla_ctl_response_error("unknown metric of a %s (one of %s)", kind,
                                                names));
            return;
        }
    }
    /* Who: as the client says (slactl sends the login name), else the peer's uid. */
    const json_t *by = json_object_get(args, "by");
    if (by && !json_is_null(by)) {
        char err[96];
        if (!json_is_string(by)) {
            ctl_reply(c, sla_ctl_response_error("\"by\" is not a string"));
            return;
        }
        if (sla_ctl_check_by(json_string_value(by), json_string_length(by), err, sizeof err) < 0) {
            ctl_reply(c, sla_ctl_response_error("%s", err));
            return;
        }
        memcpy(c->by, json_string_value(by), json_string_length(by) + 1);
    } else {
        snprintf(c->by, sizeof c->by, "uid %lu", c->uid);
    }
    int p = ctl_partition(ticket);
    if (p >= 0 && pipelines_store(p) == NULL) {
        ctl_ack_forward(c, subject, ticket, metric, p);
        return;
    }
    sla_engine *e = ctl_engine(c, ticket);
    if (e == NULL)
        return;
    int n = sla_engine_ack_subject(e, subject, ticket, strlen(ticket), metric, c->by,
                                   wakeup_now_ms());
    if (n < 0) {
        ctl_reply(c, sla_ctl_response_error("unknown %s '%s'", kind, ticket));
        return;
    }
    sla_info("control: %s '%s' acknowledged by %s (%d clock%s)", kind, ticket, c->by, n,
             n == 1 ? "" : "s");
    c->acked = n;
    ctl_wait(c);
    if (store_sync(ctl_store_for(ticket), ctl_on_acked, (void *)(uintptr_t)c->id) < 0)
        ctl_reply(c, sla_ctl_response_ok(json_pack("{s:i, s:b, s:s}", "acked", n, "durable", 0,
                                                   "by", c->by)));
}

/*
 * The client a Redis reply belongs to, when it is still there and the
 * reply is not an error; otherwise NULL (the client, if any, is answered).
 */
static ctl_client *ctl_redis_reply(const redisReply *reply, void *privdata)
{
    ctl_client *c = ctl_find((uint64_t)(uintptr_t)privdata);
    if (c && (reply == NULL || reply->type == REDIS_REPLY_ERROR)) {
        ctl_reply(c, sla_ctl_response_error("redis: %s", reply ? reply->str : "connection lost"));
        return NULL;
    }
    return c;
}

static void ctl_on_dead_list(redisAsyncContext *ac, void *r, void *privdata)
{
    const redisReply *reply = r;
    ctl_client *c = ctl_redis_reply(reply, privdata);
    if (c == NULL)
        return;
    json_t *list = json_array();
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
            e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        json_t *o = ctl_fields(e->element[1]);
        json_object_set_new(o, "entry", json_stringn(e->element[0]->str, e->element[0]->len));
        json_array_append_new(list, o);
    }
    ctl_reply(c, sla_ctl_response_ok(json_pack("{s:o, s:o}", "total",
                                               c->dead_total >= 0 ? json_integer(c->dead_total)
                                                                  : json_null(),
                                               "items", list)));
}

/* XLEN, sent right before the XREVRANGE on the same connection. */
static void ctl_on_dead_count(redisAsyncContext *ac, void *r, void *privdata)
{
    ctl_client *c = ctl_find((uint64_t)(uintptr_t)privdata);
    const redisReply *reply = r;
    if (c && reply && reply->type == REDIS_REPLY_INTEGER)
        c->dead_total = reply->integer;
}

static void ctl_cmd_deliveries(ctl_client *c, const json_t *args)
{
    int limit = ctl_limit(c, args);
    if (limit < 0)
        return;
    if (json_is_true(json_object_get(args, "dead"))) {
        char count[16];
        snprintf(count, sizeof count, "%d", limit);
        const char *argv[] = {"XREVRANGE", ctl.keys->deliveries_dead, "+", "-", "COUNT", count};
        size_t lens[6];
        for (int i = 0; i < 6; i++)
            lens[i] = strlen(argv[i]);
        const char *xlen[] = {"XLEN", ctl.keys->deliveries_dead};
        size_t xlen_lens[] = {4, lens[1]};
        c->dead_total = -1;
        void *id = (void *)(uintptr_t)c->id;
        if (redis_link_command(ctl.links.command, ctl_on_dead_count, id, 2, xlen, xlen_lens) < 0 ||
            redis_link_command(ctl.links.command, ctl_on_dead_list, id, 6, argv, lens) < 0) {
            ctl_reply(c, sla_ctl_response_error("redis is not connected"));
            return;
        }
        ctl_wait(c);
        return;
    }
    deliver_item *items = malloc((size_t)limit * sizeof *items);
    if (items == NULL) {
        ctl_reply(c, sla_ctl_response_error("out of memory"));
        return;
    }
    size_t total = deliver_list(items, (size_t)limit);
    size_t n = total < (size_t)limit ? total : (size_t)limit;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const deliver_item *it = &items[i];
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:o, s:s, s:s, s:i, s:I, s:I, s:I, s:o}", "id",
                            it->record_id ? it->record_id : "", "receiver",
                            it->receiver ? it->receiver : "", "ticket",
                            sla_format_jstr(it->ticket ? it->ticket : ""), "metric",
                            it->metric ? it->metric : "",
                            "kind", it->kind ? it->kind : "", "attempts", it->attempts,
                            "next_attempt_ms", (json_int_t)it->next_attempt_ms,
                            "held_until_ms", (json_int_t)it->held_until_ms, "last_status",
                            (json_int_t)it->last_status, "last_error",
                            sla_format_jstr(it->last_error ? it->last_error : "")));
    }
    free(items);
    deliver_stats ds;
    deliver_get_stats(&ds);
    ctl_reply(c, sla_ctl_response_ok(json_pack(
                     "{s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "total", (json_int_t)total,
                     "pending", (json_int_t)ds.pending, "held", (json_int_t)ds.held, "parked",
                     (json_int_t)ds.parked, "retrying", (json_int_t)ds.retrying, "in_flight",
                     (json_int_t)ds.in_flight, "items", list)));
}

/* KEYS: dead stream, outbox. ARGV: a dead entry id, or a record id (esc_...). */
static const char ctl_replay_script[] =
    "local dead, outbox, want = KEYS[1], KEYS[2], ARGV[1]\n"
    "local entry\n"
    "if string.find(want, '^%d+%-%d+$') then\n"
    "  entry = redis.call('XRANGE', dead, want, want)[1]\n"
    "else\n"
    "  for _, e in ipairs(redis.call('XREVRANGE', dead, '+', '-', 'COUNT', 10000)) do\n"
    "    local f = e[2]\n"
    "    for i = 1, #f, 2 do\n"
    "      if f[i] == 'id' and f[i + 1] == want then entry = e end\n"
    "    end\n"
    "    if entry then break end\n"
    "  end\n"
    "end\n"
    "if not entry then return false end\n"
    "local keep, f = {}, entry[2]\n"
    "for i = 1, #f, 2 do\n"
    "  if string.sub(f[i], 1, 9) ~= 'delivery.' then\n"
    "    keep[#keep + 1] = f[i]; keep[#keep + 1] = f[i + 1]\n"
    "  end\n"
    "end\n"
    "if #keep == 0 then return redis.error_reply('the dead delivery holds no record') end\n"
    "local added = redis.call('XADD', outbox, '*', unpack(keep))\n"
    "redis.call('XDEL', dead, entry[1])\n"
    "return {entry[1], added}\n";

static void ctl_on_replayed(redisAsyncContext *ac, void *r, void *privdata)
{
    const redisReply *reply = r;
    ctl_client *c = ctl_redis_reply(reply, privdata);
    if (c == NULL)
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_STRING) {
        ctl_reply(c, sla_ctl_response_error("no such dead delivery"));
        return;
    }
    sla_notice("control: dead delivery %s replayed as outbox entry %s", reply->element[0]->str,
               reply->element[1]->str);
    ctl_reply(c, sla_ctl_response_ok(json_pack("{s:s, s:s}", "dead_entry", reply->element[0]->str,
                                               "outbox_entry", reply->element[1]->str)));
}

static void ctl_cmd_replay(ctl_client *c, const json_t *args)
{
    const char *id = ctl_string_arg(c, args, "id");
    if (id == NULL)
        return;
    const char *argv[] = {"EVAL", ctl_replay_script, "2", ctl.keys->deliveries_dead,
                          ctl.keys->escalations, id};
    size_t lens[6];
    for (int i = 0; i < 6; i++)
        lens[i] = strlen(argv[i]);
    if (redis_link_command(ctl.links.command, ctl_on_replayed, (void *)(uintptr_t)c->id, 6, argv,
                           lens) < 0) {
        ctl_reply(c, sla_ctl_response_error("redis is not connected"));
        return;
    }
    ctl_wait(c);
}

static void ctl_cmd_reload(ctl_client *c, const json_t *args)
{
    char err[1024];
    if (ctl.reload(err, sizeof err, ctl.reload_arg) < 0) {
        ctl_reply(c, sla_ctl_response_error("reload refused: %s", err));
        return;
    }
    ctl_reply(c, sla_ctl_response_ok(json_pack(
                     "{s:s, s:I, s:I, s:I, s:I}", "config", ctl.cfg->path ? ctl.cfg->path : "",
                     "loaded_ms", (json_int_t)ctl.loaded_ms, "policies",
                     (json_int_t)ctl.cfg->npolicies, "receivers", (json_int_t)ctl.cfg->nreceivers,
                     "calendars", (json_int_t)ctl.cfg->ncalendars)));
}

static void ctl_on_report(json_t *data, const char *why, void *arg)
{
    ctl_client *c = ctl_find((uint64_t)(uintptr_t)arg);
    if (c == NULL) {
        json_decref(data);
        return;
    }
    ctl_reply(c, data ? sla_ctl_response_ok(data) : sla_ctl_response_error("%s", why));
}

static void ctl_cmd_report(ctl_client *c, const json_t *args)
{
    ctl_wait(c);
    report_query(args, ctl_on_report, (void *)(uintptr_t)c->id);
}

static const struct {
    const char *name;
    void (*fn)(ctl_client *c, const json_t *args);
} ctl_commands[] = {
    {"status", ctl_cmd_status},     {"ticket", ctl_cmd_ticket},
    {"customer", ctl_cmd_customer}, {"due", ctl_cmd_due},
    {"breached", ctl_cmd_breached}, {"ack", ctl_cmd_ack},       {"deliveries", ctl_cmd_deliveries},
    {"replay", ctl_cmd_replay},     {"reload", ctl_cmd_reload}, {"report", ctl_cmd_report},
    {"cluster", ctl_cmd_cluster},
};

static void ctl_dispatch(ctl_client *c, const json_t *req)
{
    const char *cmd = sla_ctl_request_cmd(req);
    json_t *args = sla_ctl_request_args(req);
    json_t *none = NULL;
    if (args == NULL)
        args = none = json_object();
    for (size_t i = 0; i < sizeof ctl_commands / sizeof ctl_commands[0]; i++)
        if (strcmp(cmd, ctl_commands[i].name) == 0) {
            sla_debug("control: client %" PRIu64 ": %s", c->id, cmd);
            ctl_commands[i].fn(c, args);
            json_decref(none);
            return;
        }
    json_decref(none);
    ctl_reply(c, sla_ctl_response_error("unknown command '%.*s'",
                                        (int)sla_utf8_cut(cmd, strlen(cmd), 64), cmd));
}

/* --- reading ------------------------------------------------------------ */

static void ctl_on_read(struct bufferevent *bev, void *arg)
{
    ctl_client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t len = evbuffer_get_length(in);
    unsigned char head[SLA_CTL_HEADER];
    char err[256];
    json_t *req = NULL;
    if (c->answered || len < SLA_CTL_HEADER)
        return;
    /* The header alone decides whether to keep reading. */
    evbuffer_copyout(in, head, sizeof head);
    int rc = sla_ctl_decode(head, sizeof head, SLA_CTL_REQUEST, &req, err, sizeof err);
    uint32_t n = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 |
                 head[3];
    if (rc == SLA_CTL_NEED_MORE) {
        if (len < SLA_CTL_HEADER + (size_t)n)
            return;
        rc = sla_ctl_decode(evbuffer_pullup(in, (ev_ssize_t)len), len, SLA_CTL_REQUEST, &req,
                            err, sizeof err);
    }
    if (rc == SLA_CTL_MALFORMED) {
        sla_info("control: client %" PRIu64 ": malformed request: %s; dropped", c->id, err);
        ctl_reply(c, sla_ctl_response_error("malformed request: %s", err));
        return;
    }
    if (rc != SLA_CTL_MESSAGE)
        return;
    bufferevent_disable(bev, EV_READ);
    c->requested = 1;
    ctl_dispatch(c, req);
    json_decref(req);
}

/* --- accepting ---------------------------------------------------------- */

/* 1 when the peer is root, slad's own user, or in the socket's group; *uid is the peer's. */
static int ctl_peer_allowed(evutil_socket_t fd, char *who, size_t wholen, unsigned long *uid)
{
    struct ucred uc;
    socklen_t len = sizeof uc;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
        snprintf(who, wholen, "unknown peer (%s)", strerror(errno));
        return 0;
    }
    *uid = (unsigned long)uc.uid;
    snprintf(who, wholen, "pid %ld uid %ld gid %ld", (long)uc.pid, (long)uc.uid, (long)uc.gid);
    if (uc.uid == 0 || uc.uid == geteuid() || uc.gid == ctl.gid)
        return 1;
    gid_t groups[CONTROL_PEER_GROUPS];
    len = sizeof groups;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
        return 0;
    for (size_t i = 0; i < len / sizeof groups[0]; i++)
        if (groups[i] == ctl.gid)
            return 1;
    return 0;
}

/* Root and slad's own user: never refused. */
static int ctl_privileged(unsigned long uid)
{
    return uid == 0 || uid == (unsigned long)geteuid();
}

/* Clients not yet answered, in all and of uid. */
static size_t ctl_count(unsigned long uid, size_t *of_uid)
{
    size_t n = 0;
    *of_uid = 0;
    for (const ctl_client *c = ctl.clients; c; c = c->next)
        if (!c->answered) {
            n++;
            *of_uid += c->uid == uid;
        }
    return n;
}

/*
 * The client a newcomer of uid (holding of_uid already) may take the place
 * of when the table is full: an idle client of another uid, not root's or
 * slad's, of the uid that holds the most clients (the oldest of its idle
 * ones); for a newcomer that is not privileged either, only when that uid
 * holds more clients than the newcomer would. NULL when none.
 */
static ctl_client *ctl_victim(unsigned long uid, size_t of_uid, int privileged)
{
    ctl_client *victim = NULL;
    size_t most = privileged ? 0 : of_uid + 1;
    for (ctl_client *c = ctl.clients; c; c = c->next) { /* newest first */
        if (c->answered || c->requested || c->uid == uid || ctl_privileged(c->uid))
            continue;
        size_t theirs;
        ctl_count(c->uid, &theirs);
        if (theirs > most || (victim && theirs == most && victim->uid == c->uid)) {
            most = theirs;
            victim = c;
        }
    }
    return victim;
}

/* Refuse a peer without a client: one error frame, written now, then the close. */
static void ctl_refuse(evutil_socket_t fd, const char *why)
{
    json_t *resp = sla_ctl_response_error("%s", why);
    unsigned char *frame = NULL;
    size_t len = 0;
    char err[256];
    if (resp && sla_ctl_encode(resp, SLA_CTL_RESPONSE, &frame, &len, err, sizeof err) == 0) {
        ssize_t w = send(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)w; /* a full buffer: the peer sees the close alone */
    }
    free(frame);
    json_decref(resp);
    evutil_closesocket(fd);
}

static void ctl_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    listen_guard_accepted(ctl.guard);
    char who[96], why[160];
    unsigned long uid = (unsigned long)-1;
    if (!ctl_peer_allowed(fd, who, sizeof who, &uid)) {
        sla_notice("control: %s refused: not root, slad's user, or in the socket's group", who);
        ctl_refuse(fd, "permission denied");
        return;
    }
    int privileged = ctl_privileged(uid);
    size_t of_uid, active = ctl_count(uid, &of_uid);
    int per_uid = ctl.cfg->control.max_clients_per_uid, max = ctl.cfg->control.max_clients;
    if (!privileged && of_uid >= (size_t)per_uid) {
        sla_warning("control: uid %lu has %d clients already (control.max_clients_per_uid); "
                    "connection refused", uid, per_uid);
        snprintf(why, sizeof why, "uid %lu has %d connections to slad already; connection "
                 "refused", uid, per_uid);
        ctl_refuse(fd, why);
        return;
    }
    if (active >= (size_t)max) {
        ctl_client *victim = ctl_victim(uid, of_uid, privileged);
        if (victim) {
            sla_notice("control: %d clients already; idle client %" PRIu64 " of uid %lu "
                       "dropped for uid %lu", max, victim->id, victim->uid, uid);
            ctl_reply(victim, sla_ctl_response_error(
                                  "dropped: slad has %d clients and this one sent no request",
                                  max));
        } else if (!privileged) {
            sla_warning("control: %d clients already (control.max_clients); connection "
                        "refused", max);
            snprintf(why, sizeof why, "slad has %d clients already; connection refused, try "
                     "again", max);
            ctl_refuse(fd, why);
            return;
        }
    }
    ctl_client *c = calloc(1, sizeof *c);
    struct bufferevent *bev = bufferevent_socket_new(ctl.base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c == NULL || bev == NULL) {
        free(c);
        if (bev)
            bufferevent_free(bev);
        else
            evutil_closesocket(fd);
        sla_err("control: out of memory accepting a client");
        return;
    }
    c->id = ++ctl.next_id;
    c->bev = bev;
    c->uid = uid;
    c->op_timer = evtimer_new(ctl.base, ctl_on_op_timeout, (void *)(uintptr_t)c->id);
    c->next = ctl.clients;
    ctl.clients = c;
    ctl.nclients++;
    if (c->op_timer == NULL) {
        ctl_free(c);
        return;
    }
    struct timeval rtv = {CONTROL_READ_TIMEOUT_S, 0}, wtv = {CONTROL_WRITE_TIMEOUT_S, 0};
    bufferevent_set_timeouts(bev, &rtv, &wtv);
    bufferevent_setcb(bev, ctl_on_read, ctl_on_write, ctl_on_event, c);
    /* Never buffer more than one request's worth of input. */
    bufferevent_setwatermark(bev, EV_READ, 0, SLA_CTL_HEADER + SLA_CTL_MAX_REQUEST + 1);
    bufferevent_enable(bev, EV_READ);
}

/* --- life --------------------------------------------------------------- */

/* A listening socket at path; refuses to replace anything but a dead socket. */
static int ctl_listen_socket(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sun.sun_path) {
        sla_err("control.socket '%s' is longer than %zu bytes", path, sizeof sun.sun_path - 1);
        return -1;
    }
    strcpy(sun.sun_path, path);
    struct stat sb;
    if (lstat(path, &sb) == 0) {
        if (!S_ISSOCK(sb.st_mode)) {
            sla_err("control.socket %s exists and is not a socket; not replacing it", path);
            return -1;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (probe >= 0 && (connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0 ||
                           errno == EAGAIN)) {
            close(probe);
            sla_err("control.socket %s: another process is listening on it", path);
            return -1;
        }
        if (probe >= 0)
            close(probe);
        if (unlink(path) < 0 && errno != ENOENT) {
            sla_err("control.socket %s: cannot remove the stale socket: %s", path, strerror(errno));
            return -1;
        }
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        sla_err("control.socket: socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        sla_err("control.socket %s: bind: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    /* Before listen(): nobody can connect while the mode is still the umask's. */
    if (chmod(path, 0660) < 0 || stat(path, &sb) < 0 || listen(fd, 16) < 0) {
        sla_err("control.socket %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    ctl.dev = sb.st_dev;
    ctl.ino = sb.st_ino;
    ctl.gid = sb.st_gid;
    return fd;
}

int control_init(struct event_base *base, const sla_config *cfg, const sla_keys *keys,
                 const control_links *links, control_reload_fn *reload, void *reload_arg)
{
    memset(&ctl, 0, sizeof ctl);
    ctl.base = base;
    ctl.cfg = cfg;
    ctl.keys = keys;
    ctl.links = *links;
    ctl.reload = reload;
    ctl.reload_arg = reload_arg;
    ctl.started_ms = ctl.loaded_ms = wakeup_now_ms();
    ctl.path = strdup(cfg->control_socket);
    if (ctl.path == NULL)
        return -1;
    int fd = ctl_listen_socket(ctl.path);
    if (fd < 0) {
        free(ctl.path);
        ctl.path = NULL;
        return -1;
    }
    ctl.listener = evconnlistener_new(base, ctl_on_accept, NULL,
                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
    if (ctl.listener == NULL) {
        sla_err("control.socket %s: cannot listen on the event loop", ctl.path);
        close(fd);
        unlink(ctl.path);
        free(ctl.path);
        ctl.path = NULL;
        return -1;
    }
    ctl.guard = listen_guard_new(base, ctl.listener, "control");
    if (ctl.guard == NULL) {
        sla_err("control: out of memory");
        control_finish();
        return -1;
    }
    struct group gr, *grp = NULL;
    char buf[1024];
    getgrgid_r(ctl.gid, &gr, buf, sizeof buf, &grp);
    sla_info("control socket %s (mode 0660, group %s)", ctl.path,
             grp ? grp->gr_name : "(unnamed)");
    return 0;
}

void control_set_config(const sla_config *cfg)
{
    ctl.cfg = cfg;
    ctl.loaded_ms = wakeup_now_ms();
}

void control_finish(void)
{
    while (ctl.clients)
        ctl_free(ctl.clients);
    listen_guard_free(ctl.guard);
    ctl.guard = NULL;
    if (ctl.listener)
        evconnlistener_free(ctl.listener);
    ctl.listener = NULL;
    if (ctl.path) {
        /* Only our own socket: a newer slad may have replaced it. */
        struct stat sb;
        if (lstat(ctl.path, &sb) == 0 && sb.st_dev == ctl.dev && sb.st_ino == ctl.ino)
            unlink(ctl.path);
        free(ctl.path);
        ctl.path = NULL;
    }
}
