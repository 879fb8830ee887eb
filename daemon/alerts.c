/*
 * alerts — Alertmanager alerts kept alive. See alerts.h for the contract.
 *
 *   deliver (breach/escalation delivered) --upsert--+
 *   engine scan after a (re)build ---------upsert--+--> index
 *   deliver (recovered delivered) ---------remove--+      |
 *                                                         v
 *   per receiver: a FIFO of its alerts by next send time (all of a
 *   receiver's alerts share one interval, so appending at the tail keeps
 *   it ordered; a reload that changes the interval only reorders it for
 *   one round). Each run pops the due heads, checks each against the
 *   engine (sla_engine_ticket_info: one hash lookup), and posts them in
 *   batches: still breached -> firing, back at the tail; over -> resolved,
 *   freed.
 *
 * Cost: O(1) per alert and interval (its lookup and its share of the
 * body), nothing per ticket that is not breached; the scan after a
 * rebuild is a pass over the tickets, ALERTS_SCAN_SLOTS table slots per slice.
 *
 * Failures: a post that fails is not retried; the alert's endsAt, a few
 * intervals ahead, keeps it active in Alertmanager until the next one. A
 * resolution that fails leaves Alertmanager to end the alert at its last
 * endsAt. While every request slot is busy, due alerts wait (ALERTS_BUSY_MS).
 *
 * Ownership: the module owns the index (alerts, their ticket ids and
 * queues); the configuration and engine are borrowed (alerts.h).
 */
#include "alerts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver.h"
#include "priority.h"
#include "sla_alertmanager.h"
#include "sla_log.h"
#include "sla_partition.h"
#include "wakeup.h"

#define ALERTS_SLICE_US 500        /* work per run of the loop at most */
#define ALERTS_SCAN_SLOTS 2048     /* ticket table slots per slice of the scan */
#define ALERTS_BUSY_MS 50          /* every request slot busy: look again then */
#define ALERTS_IDLE_MS 1000        /* no engine: look again then */
#define ALERTS_MIN_BUCKETS 1024

typedef struct alert_queue alert_queue;

typedef struct alert {
    alert_queue *q;           /* its receiver */
    int partition;            /* its subject's (0 unpartitioned) */
    char *ticket;             /* owned */
    int metric;
    uint32_t cycle;
    int level;                /* last known: 0 warning, 1 breach, 2.. escalations */
    int64_t warned_ms;        /* a warning's: when it was sent (its startsAt) */
    int64_t deadline_ms;      /* the breach's deadline: startsAt */
    int64_t next_ms;          /* next send */
    struct alert *hnext;      /* hash chain */
    struct alert *qnext;      /* the receiver's FIFO */
} alert;

struct alert_queue {
    char *receiver;           /* owned */
    alert *head, *tail;
    alert_queue *next;
};

/* The engine of a partition (the only one, [0], unpartitioned). */
typedef struct alerts_source {
    sla_engine *engine;       /* borrowed; NULL while loading or not run here */
    int scanning;
    sla_tickettable_cursor cursor;
} alerts_source;

static struct {
    struct event_base *base;
    const sla_config *cfg;
    struct event *timer;
    alert **buckets;
    size_t nbuckets, count;
    alert_queue *queues;
    int partitioned;          /* partitions > 1 at alerts_init */
    int nsources;             /* partitions, or 1 */
    alerts_source *src;       /* [nsources] */
} al;

/* The partition of a subject id (0 unpartitioned). */
static int alerts_partition_of(const char *id)
{
    return al.partitioned ? sla_partition_of(id, strlen(id), al.nsources) : 0;
}

static void alerts_arm(int64_t ms)
{
    if (al.timer == NULL)
        return;
    if (ms < 0)
        ms = 0;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    evtimer_add(al.timer, &tv);
}

/* --- the index ------------------------------------------------------------ */

static size_t alerts_hash(const alert_queue *q, const char *ticket, int metric, uint32_t cycle)
{
    uint64_t h = 1469598103934665603ull ^ (uintptr_t)q;
    for (const char *c = ticket; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    h = (h ^ (uint64_t)metric) * 1099511628211ull;
    h = (h ^ cycle) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29)) & (al.nbuckets - 1);
}

static alert **alerts_slot(const alert_queue *q, const char *ticket, int metric, uint32_t cycle)
{
    alert **pp = &al.buckets[alerts_hash(q, ticket, metric, cycle)];
    while (*pp && !((*pp)->q == q && (*pp)->metric == metric && (*pp)->cycle == cycle &&
                    strcmp((*pp)->ticket, ticket) == 0))
        pp = &(*pp)->hnext;
    return pp;
}

/* Twice the buckets once the chains average two; a failed grow keeps the old table. */
static void alerts_grow(void)
{
    if (al.count < 2 * al.nbuckets)
        return;
    size_t old_n = al.nbuckets;
    alert **old = al.buckets, **fresh = calloc(2 * old_n, sizeof *fresh);
    if (fresh == NULL)
        return;
    al.buckets = fresh;
    al.nbuckets = 2 * old_n;
    for (size_t i = 0; i < old_n; i++)
        for (alert *a = old[i], *next; a; a = next) {
            next = a->hnext;
            size_t b = alerts_hash(a->q, a->ticket, a->metric, a->cycle);
            a->hnext = al.buckets[b];
            al.buckets[b] = a;
        }
    free(old);
}

static alert_queue *alerts_queue(const char *receiver, int create)
{
    for (alert_queue *q = al.queues; q; q = q->next)
        if (strcmp(q->receiver, receiver) == 0)
            return q;
    if (!create)
        return NULL;
    alert_queue *q = calloc(1, sizeof *q);
    if (q == NULL || (q->receiver = strdup(receiver)) == NULL) {
        free(q);
        return NULL;
    }
    q->next = al.queues;
    al.queues = q;
    return q;
}

static void alerts_push(alert *a)
{
    a->qnext = NULL;
    if (a->q->tail)
        a->q->tail->qnext = a;
    else
        a->q->head = a;
    a->q->tail = a;
}

static alert *alerts_pop(alert_queue *q)
{
    alert *a = q->head;
    if (a) {
        q->head = a->qnext;
        if (q->head == NULL)
            q->tail = NULL;
        a->qnext = NULL;
    }
    return a;
}

/* Out of the hash (not of its queue), and freed. */
static void alerts_free(alert *a)
{
    alert **pp = alerts_slot(a->q, a->ticket, a->metric, a->cycle);
    if (*pp == a) {
        *pp = a->hnext;
        al.count--;
    }
    free(a->ticket);
    free(a);
}

/* The receiver when it is configured with format alertmanager, else NULL. */
static const sla_receiver *alerts_receiver(const char *name)
{
    int i = al.cfg ? sla_config_receiver_index(al.cfg, name) : -1;
    if (i < 0 || al.cfg->receivers[i].format != SLA_FORMAT_ALERTMANAGER)
        return NULL;
    return &al.cfg->receivers[i];
}

/* Hold the alert of (receiver, ticket, metric, cycle) of partition p,
 * first sent at next_ms. */
static void alerts_upsert(int p, const char *receiver, const char *ticket, int metric,
                          uint32_t cycle, int level, int64_t deadline_ms, int64_t warned_ms,
                          int64_t next_ms)
{
    if (!alerts_receiver(receiver))
        return;
    alert_queue *q = alerts_queue(receiver, 1);
    if (q == NULL)
        return;
    alert **pp = alerts_slot(q, ticket, metric, cycle);
    if (*pp) {
        if (level > (*pp)->level)
            (*pp)->level = level;
        return;
    }
    alert *a = calloc(1, sizeof *a);
    if (a == NULL || (a->ticket = strdup(ticket)) == NULL) {
        free(a);
        sla_err("out of memory: the alert of ticket %s is not kept alive", ticket);
        return;
    }
    a->q = q;
    a->partition = p;
    a->metric = metric;
    a->cycle = cycle;
    a->level = level;
    a->deadline_ms = deadline_ms;
    a->warned_ms = warned_ms;
    a->next_ms = next_ms;
    *pp = a;
    al.count++;
    alerts_push(a);
    alerts_grow();
    if (al.timer && !evtimer_pending(al.timer, NULL))
        alerts_arm(next_ms - wakeup_now_ms());
}

/* --- sources -------------------------------------------------------------- */

void alerts_on_delivered(const sla_decision *d, void *arg)
{
    (void)arg;
    const sla_receiver *rc = alerts_receiver(d->receiver);
    if (rc == NULL)
        return;
    if (d->kind == SLA_DECISION_BREACH || d->kind == SLA_DECISION_ESCALATION ||
        d->kind == SLA_DECISION_WARNING) {
        /* A warning is watched too, so that a clock met before its
         * deadline resolves it then rather than at the deadline. */
        alerts_upsert(alerts_partition_of(d->ticket), d->receiver, d->ticket, d->metric,
                      d->cycle,
                      d->kind == SLA_DECISION_WARNING ? 0 : d->level, d->deadline_ms,
                      d->fired_ms, wakeup_now_ms() + rc->resend_interval_ms);
    } else if (d->kind == SLA_DECISION_RECOVERED) {
        alert_queue *q = alerts_queue(d->receiver, 0);
        alert *a = q ? *alerts_slot(q, d->ticket, d->metric, d->cycle) : NULL;
        if (a) { /* resolved by the notice itself: out of its queue, then freed */
            alert **pp = &q->head, *prev = NULL;
            while (*pp != a)
                prev = *pp, pp = &(*pp)->qnext;
            *pp = a->qnext;
            if (q->tail == a)
                q->tail = prev;
            alerts_free(a);
        }
    }
}

/* A scan's: the partition scanned (its engine holds the clock) and now. */
typedef struct alerts_scan {
    int partition;
    int64_t now;
} alerts_scan;

static void alerts_on_breached(const sla_breached_clock *bc, void *arg)
{
    const alerts_scan *sc = arg;
    for (int i = 0; i < bc->nnotified; i++)
        alerts_upsert(sc->partition, bc->notified[i], bc->ticket, bc->metric, bc->cycle,
                      bc->fired, bc->breach_deadline_ms, 0, sc->now);
}

/* --- sending -------------------------------------------------------------- */

/* One alert of a batch: its decision, and the attributes it borrows. */
typedef struct alerts_item {
    sla_decision d;
    char *attrs;   /* owned copy */
    alert *done;   /* resolved: freed once the body is built */
} alerts_item;

/* Where a's clock stands now, into it->d; the state to send, or -1 when a
 * warning's clock breached (the warning ended at its deadline, its endsAt;
 * the breach has its own alert): forget it, send nothing. */
static int alerts_check(alert *a, int64_t now, alerts_item *it)
{
    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *attrs = NULL;
    size_t alen = 0;
    /* The metric says whose clock it is (a ticket's or a customer's). */
    int subject = sla_metric_subject(a->metric);
    int n = sla_engine_subject_info(al.src[a->partition].engine, subject, a->ticket, strlen(a->ticket), now, ci,
                                    &attrs, &alen);
    const sla_clock_info *c = NULL;
    for (int i = 0; i < n; i++)
        if (ci[i].metric == a->metric)
            c = &ci[i];
    int st;
    if (a->level == 0) { /* a warning */
        if (n < 0)
            st = SLA_AM_CLOSED;
        else if (c == NULL || c->cycle != a->cycle)
            st = SLA_AM_STOPPED;
        else if (c->fired > 0)
            return -1; /* breached: its warning ended at the deadline (its endsAt) */
        else if (strcmp(c->state_name, "met") == 0)
            st = SLA_AM_MET;
        else if (strcmp(c->state_name, "stopped") == 0)
            st = SLA_AM_STOPPED;
        else
            st = SLA_AM_WARNING;
    } else if (n < 0)
        st = SLA_AM_CLOSED;
    else if (c == NULL || c->cycle != a->cycle)
        st = SLA_AM_STOPPED; /* a new cycle: this one ended, somehow */
    else if (strcmp(c->state_name, "met") == 0)
        st = SLA_AM_MET;
    else if (strcmp(c->state_name, "stopped") == 0 || c->fired == 0)
        st = SLA_AM_STOPPED;
    else if (c->acked)
        st = SLA_AM_ACKED;
    else
        st = SLA_AM_FIRING;
    if (c && c->cycle == a->cycle && c->fired > a->level)
        a->level = c->fired;

    sla_decision *d = &it->d;
    memset(it, 0, sizeof *it);
    d->kind = a->level > 1    ? SLA_DECISION_ESCALATION
              : a->level == 1 ? SLA_DECISION_BREACH
                              : SLA_DECISION_WARNING;
    d->ticket = a->ticket;
    d->subject = subject;
    d->metric = a->metric;
    d->cycle = a->cycle;
    d->level = a->level;
    d->policy = (char *)(c ? c->policy_name : "");
    d->receiver = a->q->receiver;
    d->deadline_ms = a->deadline_ms;
    d->fired_ms = a->level == 0 ? a->warned_ms : now; /* a warning starts when sent */
    d->late_ms = a->level > 0 && now > a->deadline_ms ? now - a->deadline_ms : 0;
    if (n >= 0 && alen > 0 && (it->attrs = malloc(alen + 1)) != NULL) {
        memcpy(it->attrs, attrs, alen);
        it->attrs[alen] = '\0';
        d->attrs = it->attrs;
        d->attrs_len = alen;
    }
    return st;
}

/*
 * Post q's due alerts, a batch at a time, until none is due or the slice
 * ends. Returns 1 when it stopped with alerts still due (out of time or
 * request slots), 0 otherwise; *busy set when the slots were the reason.
 */
static int alerts_send_due(alert_queue *q, const sla_receiver *rc, int64_t now, int64_t until_us,
                           int *busy)
{
    static alerts_item items[SLA_AM_MAX_BATCH];
    static sla_am_alert batch[SLA_AM_MAX_BATCH];
    while (q->head && q->head->next_ms <= now) {
        if (wakeup_mono_us() >= until_us)
            return 1;
        if (deliver_can_post(q->receiver) != 0) {
            *busy = 1;
            return 1;
        }
        size_t n = 0;
        while (n < SLA_AM_MAX_BATCH && q->head && q->head->next_ms <= now) {
            alert *a = alerts_pop(q);
            if (al.src[a->partition].engine == NULL) {
                /* Partitioned: its partition's state is being loaded; this
                 * resend is skipped (the last endsAt covers a few). */
                a->next_ms = now + rc->resend_interval_ms;
                alerts_push(a);
                continue;
            }
            int st = alerts_check(a, now, &items[n]);
            if (st < 0) {
                free(items[n].attrs);
                alerts_free(a);
                continue;
            }
            batch[n] = (sla_am_alert){&items[n].d, (enum sla_am_state)st,
                                      sla_am_policy_runbook(al.cfg, items[n].d.policy)};
            if (st == SLA_AM_FIRING || st == SLA_AM_WARNING) {
                a->next_ms = now + rc->resend_interval_ms;
                alerts_push(a);
            } else {
                items[n].done = a;
            }
            n++;
            if ((n & 15) == 0 && wakeup_mono_us() >= until_us)
                break;
        }
        sla_webhook_request req;
        sla_webhook_request_init(&req);
        int err = sla_am_build(batch, n, rc, now, &req);
        if (err == 0)
            err = deliver_post(q->receiver, &req);
        if (err < 0)
            sla_debug("receiver %s: %zu alerts not sent again (%s)", q->receiver, n,
                      strerror(-err));
        sla_webhook_request_release(&req);
        for (size_t i = 0; i < n; i++) {
            if (items[i].done) {
                sla_debug("alert of ticket %s (%s) resolved at %s", items[i].done->ticket,
                          sla_metric_name(items[i].done->metric), q->receiver);
                alerts_free(items[i].done);
            }
            free(items[i].attrs);
        }
    }
    return 0;
}

/* Forget every alert of q (its receiver is gone or no longer alertmanager). */
static void alerts_drop(alert_queue *q)
{
    alert *a;
    while ((a = alerts_pop(q)) != NULL)
        alerts_free(a);
}

/* Forget the alerts of partition p without resolving them: it is not run
 * here any more (its new owner keeps them alive). */
static void alerts_drop_partition(int p)
{
    size_t dropped = 0;
    for (alert_queue *q = al.queues; q; q = q->next) {
        alert *keep = NULL, *tail = NULL, *a;
        while ((a = alerts_pop(q)) != NULL) {
            if (a->partition == p) {
                alerts_free(a);
                dropped++;
                continue;
            }
            if (tail)
                tail->qnext = a;
            else
                keep = a;
            tail = a;
        }
        q->head = keep;
        q->tail = tail;
    }
    if (dropped)
        sla_info("alerts: partition %d: %zu alertmanager alerts left to its next owner", p,
                 dropped);
}

static void alerts_run(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    if (!al.partitioned && al.src[0].engine == NULL) {
        if (al.count)
            alerts_arm(ALERTS_IDLE_MS);
        return;
    }
    int64_t now = wakeup_now_ms(), until = wakeup_mono_us() + ALERTS_SLICE_US;
    int scanning = 0;
    for (int p = 0; p < al.nsources; p++) {
        alerts_source *s = &al.src[p];
        if (!s->scanning)
            continue;
        if (scanning || wakeup_mono_us() >= until) {
            scanning = 1; /* the next run goes on */
            continue;
        }
        alerts_scan sc = {p, now};
        if (sla_engine_scan_breached(s->engine, &s->cursor, ALERTS_SCAN_SLOTS,
                                     alerts_on_breached, &sc)) {
            s->scanning = 0;
            if (al.partitioned)
                sla_info("alerts: partition %d scanned: %zu alertmanager alerts kept alive", p,
                         al.count);
            else
                sla_info("alerts: %zu alertmanager alerts kept alive", al.count);
        } else {
            scanning = 1;
        }
    }
    int more = scanning, busy = 0;
    for (alert_queue *q = al.queues; q; q = q->next) {
        const sla_receiver *rc = alerts_receiver(q->receiver);
        if (rc == NULL) {
            alerts_drop(q);
            continue;
        }
        if (!busy && !more)
            more = alerts_send_due(q, rc, now, until, &busy);
        else if (q->head && q->head->next_ms <= now)
            more = 1;
    }
    /* The first queue, which got the most of this slice, goes last next time. */
    if (al.queues && al.queues->next) {
        alert_queue *first = al.queues, *last = first;
        while (last->next)
            last = last->next;
        al.queues = first->next;
        first->next = NULL;
        last->next = first;
    }
    if (busy) {
        alerts_arm(ALERTS_BUSY_MS);
    } else if (more) {
        alerts_arm(0);
    } else {
        int64_t next = INT64_MAX;
        for (alert_queue *q = al.queues; q; q = q->next)
            if (q->head && q->head->next_ms < next)
                next = q->head->next_ms;
        if (next != INT64_MAX)
            alerts_arm(next - wakeup_now_ms());
    }
}

/* --- life ----------------------------------------------------------------- */

int alerts_init(struct event_base *base, const sla_config *cfg)
{
    memset(&al, 0, sizeof al);
    al.base = base;
    al.cfg = cfg;
    al.nbuckets = ALERTS_MIN_BUCKETS;
    al.buckets = calloc(al.nbuckets, sizeof *al.buckets);
    al.timer = event_new(base, -1, 0, alerts_run, NULL);
    al.partitioned = cfg->partitions > 1;
    al.nsources = al.partitioned ? cfg->partitions : 1;
    al.src = calloc((size_t)al.nsources, sizeof *al.src);
    if (al.buckets == NULL || al.timer == NULL || al.src == NULL)
        return -1;
    event_priority_set(al.timer, SLAD_PRIORITY_BULK);
    return 0;
}

void alerts_set_config(const sla_config *cfg)
{
    al.cfg = cfg;
    alerts_arm(0);
}

void alerts_engine(sla_engine *e)
{
    alerts_partition_engine(0, e, 0);
}

void alerts_partition_engine(int partition, sla_engine *e, int lost)
{
    if (al.src == NULL || partition < 0 || partition >= al.nsources)
        return;
    alerts_source *s = &al.src[partition];
    s->engine = e;
    s->scanning = e != NULL;
    sla_tickettable_cursor_reset(&s->cursor);
    if (lost)
        alerts_drop_partition(partition);
    if (e)
        alerts_arm(0);
}

size_t alerts_count(void)
{
    return al.count;
}

void alerts_finish(void)
{
    while (al.queues) {
        alert_queue *q = al.queues;
        al.queues = q->next;
        alerts_drop(q);
        free(q->receiver);
        free(q);
    }
    free(al.buckets);
    free(al.src);
    if (al.timer)
        event_free(al.timer);
    memset(&al, 0, sizeof al);
}
