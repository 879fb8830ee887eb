/*
 * deliver — outbox to receivers. See deliver.h for the contract.
 *
 * A record's life (one deliver_rec per outbox entry held in memory):
 *
 *   XREADGROUP --parse--> receiver ""?  ------------------------> XACK
 *        |                unknown receiver? --------------------> dead
 *        v                held for working hours? --> HELD --timer--+
 *      READY (in its receiver's queue) <----------------------------+
 *        |  --limiter grants--> SENDING
 *        ^                                                    |
 *        |  timer (sla_backoff, Retry-After)                  | answer classified
 *      WAITING <---------- retry -----------------------------+
 *                                                             | delivered
 *                           failed / past the budget ---------+--> DONE
 *   DONE: dead:  MULTI  XADD <deliveries:dead> ...  XACK  EXEC
 *         else:  XACK
 *   and the record is freed once Redis confirmed the write.
 *
 * Reading: the escalations stream through the consumer group
 * delivery.group (default "<stream.group>-deliver"; created at 0 with
 * MKSTREAM, so records older than the group are delivered too), with the
 * same stream_reader as ingest: own pending entries first (after a start
 * or a reconnect: what a previous run read but did not finish), then new
 * ones, and every stream.claim_idle / 2 the entries another consumer of
 * the group (dead, or this one under an earlier name) left pending longer
 * than stream.claim_idle. COUNT is limited to the room left under
 * DELIVER_MAX_HELD; nothing is read while full. Entries read again while
 * still held or parked (a reconnect re-reads pending ones; a takeover
 * returns this consumer's own entries idle longer than claim_idle, which
 * held and parked ones are, and with partitions every instance is the
 * same consumer "owner") are recognised by id and skipped, so a takeover
 * by the same name only resets their idle time. The reads and the writes share one connection; a blocking
 * read holds the writes queued behind it, so the block is kept short
 * (DELIVER_BLOCK_MAX_MS).
 *
 * Sending: one libcurl multi handle driven by libevent (socket events and
 * one timer, as CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION ask), no
 * threads, nothing blocks. The multi handle keeps the connections alive
 * between requests. At most max_in_flight requests run at once. Each
 * request is built right before its attempt (the signatures carry the
 * sending time). A receiver's limiter (sla_ratelimit) decides when it may
 * get the next message; when a grant leaves the limiter with no further
 * slot free now, every notice waiting for that receiver leaves in the same
 * message, as one digest (sla_webhook_build_digest), so under a flood a
 * receiver gets its rate of messages and every notice is in one of them.
 *
 * Holding: a record whose policy (or step) waits for the working hours of
 * its receiver's calendar is not sent before sla_delivery_not_before(),
 * a function of the record and the configuration only, so a restart holds
 * it until the same instant without keeping anything. A reload decides
 * again for the records still held.
 *
 * Parking: a weekend may hold more notices than fit in memory, and held
 * records must not use up the room of those that go at once. So only
 * DELIVER_HELD_IN_MEMORY held records are kept whole; a record held
 * beyond them is parked: freed, its outbox entry left pending for this
 * consumer, only {outbox, entry id, time} kept (sla_parked, at most
 * DELIVER_MAX_PARKED; when full, held records stay in memory as before,
 * with a warning). At its time a parked entry is read back (a script that
 * returns it only while still pending for this consumer, so an entry
 * another consumer took over is delivered by that one alone) and taken
 * as if just read: decided again by the configuration of that moment.
 * Read-backs count against DELIVER_MAX_HELD like reads, and go first. A
 * read-back that fails leaves the entries pending: a lost connection
 * rereads own pending entries anyway, an error reply restarts that.
 * Parked entries are counted as held, not listed.
 *
 * Retrying: sla_webhook_classify says what an answer means; a retry is
 * planned by sla_backoff whose budget counts from the record's fired_ms
 * (a held record: from the end of its hold), so a restart does not reset
 * it. A Retry-After pauses the whole receiver.
 *
 * One-shot posts (deliver_post): a message that is not an outbox record
 * (an Alertmanager alert sent again to keep it alive, daemon/alerts.c)
 * goes through the same multi handle and request slots, once, without
 * retries, rate limit or dead letter; whoever posts it sends it again
 * anyway. Records delivered are shown to the observer (deliver_observe).
 *
 * Shutdown: no new reads or attempts; requests in flight get a grace
 * period, whatever they deliver is acknowledged, the rest stays pending
 * in the outbox for the next start.
 *
 * Time: everything uses wakeup_now_ms() (wall clock), the clock fired_ms
 * is written in.
 *
 * Ownership: the module owns its records, receivers' limiters, requests
 * and curl handles; the configuration is borrowed until deliver_set_config()
 * replaces it or deliver_finish().
 */
#include "deliver.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>

#include "priority.h"
#include "sla_alertmanager.h"
#include "sla_backoff.h"
#include "sla_deadletter.h"
#include "sla_delivery_hours.h"
#include "sla_log.h"
#include "sla_lua_scripts.h"
#include "sla_outbox.h"
#include "sla_parked.h"
#include "sla_ratelimit.h"
#include "sla_webhook.h"
#include "sla_webhook_response.h"
#include "stream_reader.h"
#include "wakeup.h"

#define DELIVER_MAX_HELD 10000      /* records in memory at most */
#define DELIVER_GATE_POLL_MS 10    /* a record its gate holds back is looked at again */
#define DELIVER_BATCH 200           /* XREADGROUP COUNT at most */
#define DELIVER_BLOCK_MAX_MS 1000   /* writes wait behind a blocking read */
#define DELIVER_RETRY_MS 1000       /* after a Redis error */
#define DELIVER_BODY_MAX 4096       /* response bytes kept */
#define DELIVER_EXCERPT_MAX 1024    /* of which in a dead record */
#define DELIVER_HASH_BUCKETS 4096
#define DELIVER_HELD_IN_MEMORY 256  /* held records kept whole; more are parked */
#define DELIVER_MAX_PARKED 1000000  /* parked entries at most (about 48 MB) */

/* Delivery latency buckets (seconds): a webhook answers in well under a
 * second; retries after a failure take seconds to minutes, up to hours. */
static const double latency_bounds[] = {0.1, 0.25, 0.5, 1,    2.5,  5,    10,   30,
                                        60,  120,  300, 600, 1800, 3600, 21600};

enum deliver_phase {
    DLV_READY = 0, /* in its receiver's queue */
    DLV_HELD,      /* its timer runs until the receiver's working hours */
    DLV_WAITING,   /* its timer runs until the next attempt */
    DLV_SENDING,   /* part of a request in flight */
    DLV_DONE,      /* outcome known; its Redis write is pending or in flight */
};

typedef struct deliver_target deliver_target;

/*
 * One outbox read: the single partition's, or an owned partition's
 * (deliver_add_source). A source that is removed, whose lease check fails
 * or whose write is FENCED is gone: its records not yet sent are dropped
 * at once, those in flight are dropped when they end, none is written;
 * they stay pending in its outbox for the partition's next owner. A
 * source is freed with the last record or write that refers to it.
 */
typedef struct deliver_src {
    int slot;                   /* partition, or -1 for the single one */
    sla_keys keys;
    redis_link *link;           /* borrowed */
    char *consumer;             /* its name in delivery.group */
    stream_reader *reader;
    char *fence_lease, *fence_token; /* writes fenced on the lease; NULL: plain */
    deliver_valid_fn *valid;
    void *valid_arg;
    deliver_gate_fn *gate;      /* NULL: every record may go at once */
    void *gate_arg;
    int gone;
    size_t refs;                /* records and writes referring to it, +1 while attached */
    struct deliver_src *next;
} deliver_src;

typedef struct deliver_rec {
    char entry[48];             /* outbox stream entry id */
    deliver_src *src;           /* the outbox it came from (a reference) */
    sla_decision d;             /* owned (sla_outbox_release) */
    deliver_target *target;
    enum deliver_phase phase;
    int writing;                /* DONE: the write is in flight */
    int gated;                  /* WAITING: its commit not confirmed yet (gate) */
    int dead;                   /* DONE: to the dead stream, else acknowledged */
    int attempts;
    sla_backoff_state bo;
    int64_t next_ms;            /* WAITING, HELD: when */
    int64_t held_until;         /* not sent before (sla_delivery_not_before); 0 = at once */
    int64_t first_ms, last_ms;  /* attempts of this run, 0 = none */
    long last_status;
    char last_error[DELIVER_EXCERPT_MAX + 1]; /* response excerpt or curl error */
    char reason[256];           /* classification, for people */
    struct event *timer;        /* WAITING */
    struct deliver_rec *qnext;  /* READY: receiver queue */
    struct deliver_rec *wnext;  /* DONE, not writing: the write queue */
    int wqueued;                /* in the write queue */
    struct deliver_rec *hnext;  /* hash chain by entry */
    struct deliver_rec *prev, *next; /* every held record, in order of arrival */
} deliver_rec;

struct deliver_target {
    char *name;
    int index;                  /* into cfg->receivers, -1 when unknown */
    int rate_s, rate_m;
    sla_ratelimit rl;
    int64_t paused_until;       /* Retry-After */
    deliver_rec *head, *tail;   /* READY queue */
    size_t ready;
    struct event *timer;        /* limiter or pause over */
    deliver_receiver_stats st;
    int post_failing;           /* the last one-shot post failed */
    deliver_target *next;
};

typedef struct deliver_msg {
    deliver_target *target;
    deliver_rec **recs;
    size_t n;                   /* 0: a one-shot post (deliver_post) */
    int format;
    CURL *easy;
    struct curl_slist *headers;
    sla_webhook_request req;
    char body[DELIVER_BODY_MAX];
    size_t body_len;
    char retry_after[64];
    char errbuf[CURL_ERROR_SIZE];
    struct deliver_msg *prev, *next;
} deliver_msg;

/* privdata of a write: found again by entry id, never by pointer. */
typedef struct deliver_write {
    uint64_t life;
    deliver_src *src;       /* a reference */
    int dead;               /* a dead-delivery transaction, else an XACK */
    char entry[48];
} deliver_write;

static struct {
    struct event_base *base;
    const sla_config *cfg;
    sla_calendar *system_zone;  /* owned; chat times without a zone of their own; NULL = UTC */
    char *group;
    deliver_src *srcs;          /* the outboxes read, through delivery.group */
    int purge;                  /* a source went: drop its records at the next pump */
    int connect_timeout_ms, timeout_ms, max_in_flight;
    sla_backoff backoff;
    uint64_t rng;
    uint64_t life;              /* bumped by deliver_finish: late replies are ignored */

    struct event *write_timer;

    deliver_rec *buckets[DELIVER_HASH_BUCKETS];
    deliver_rec *first, *last;
    deliver_rec *wq_head, *wq_tail; /* DONE records whose write is not in flight */
    size_t held;                /* records in memory */
    size_t holding;             /* of which DLV_HELD */
    sla_parked *parked;         /* held entries whose records were let go */
    struct event *park_timer;   /* the earliest parked entry is due */
    size_t unparking;           /* parked entries being read back */
    int park_full_logged;
    deliver_target *targets;
    deliver_msg *msgs;
    size_t in_flight;           /* requests */
    size_t writes;              /* Redis writes in flight */

    CURLM *multi;
    struct event *curl_timer;

    int stopping;
    struct event *grace_timer;
    deliver_done_fn *done_fn;
    void *done_arg;
    deliver_observe_fn *observe_fn;
    void *observe_arg;

    deliver_stats stats;
} dlv;

static void deliver_read(void);
static void deliver_unpark(void);
static void deliver_src_lose(struct deliver_src *src);
static void deliver_check_sources(int64_t now);

static void deliver_pump(void);
static void deliver_flush_writes(void);

/* Every event of delivery runs at the loop's lowest priority (priority.h). */
static struct event *deliver_event_new(evutil_socket_t fd, short what, event_callback_fn cb,
                                       void *arg)
{
    struct event *ev = event_new(dlv.base, fd, what, cb, arg);
    if (ev)
        event_priority_set(ev, SLAD_PRIORITY_BULK);
    return ev;
}

/* Stopping: tell the caller once nothing is in flight any more. */
static void deliver_maybe_done(void)
{
    if (!dlv.stopping || dlv.in_flight || dlv.writes || dlv.done_fn == NULL)
        return;
    deliver_done_fn *fn = dlv.done_fn;
    dlv.done_fn = NULL;
    if (dlv.grace_timer)
        evtimer_del(dlv.grace_timer);
    fn(dlv.done_arg);
}

static void deliver_arm(struct event *ev, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    evtimer_add(ev, &tv);
}

/* --- records ------------------------------------------------------------ */

static unsigned deliver_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % DELIVER_HASH_BUCKETS;
}

static deliver_rec *deliver_find(const deliver_src *src, const char *entry)
{
    for (deliver_rec *r = dlv.buckets[deliver_hash(entry)]; r; r = r->hnext)
        if (r->src == src && strcmp(r->entry, entry) == 0)
            return r;
    return NULL;
}

static void deliver_src_unref(deliver_src *src)
{
    if (src == NULL || --src->refs > 0)
        return;
    deliver_src **pp = &dlv.srcs;
    while (*pp && *pp != src)
        pp = &(*pp)->next;
    if (*pp)
        *pp = src->next;
    stream_reader_free(src->reader);
    free(src->consumer);
    free(src->fence_lease);
    free(src->fence_token);
    free(src);
}

/* Whether src may still send and write: attached, and its lease valid. */
static int deliver_src_ok(deliver_src *src, int64_t now)
{
    return !src->gone && (src->valid == NULL || src->valid(src->slot, now, src->valid_arg));
}

/* r leaves the phase it is in (counted while DLV_HELD). */
static void deliver_leave_phase(deliver_rec *r)
{
    if (r->phase == DLV_HELD)
        dlv.holding--;
}

static void deliver_rec_free(deliver_rec *r)
{
    deliver_rec **pp = &dlv.buckets[deliver_hash(r->entry)];
    while (*pp && *pp != r)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = r->hnext;
    if (r->prev)
        r->prev->next = r->next;
    else
        dlv.first = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        dlv.last = r->prev;
    dlv.held--;
    deliver_leave_phase(r);
    if (r->timer)
        event_free(r->timer);
    sla_outbox_release(&r->d);
    deliver_src_unref(r->src);
    free(r);
}

static deliver_target *deliver_target_get(const char *name)
{
    for (deliver_target *t = dlv.targets; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static void deliver_on_target_timer(evutil_socket_t fd, short what, void *arg)
{
    deliver_pump();
}

/* Point t at its receiver in dlv.cfg (or none), keeping the limiter when
 * its limits did not change. */
static void deliver_target_bind(deliver_target *t)
{
    t->index = sla_config_receiver_index(dlv.cfg, t->name);
    int rs = 0, rm = 0;
    if (t->index >= 0) {
        rs = dlv.cfg->receivers[t->index].rate_per_second;
        rm = dlv.cfg->receivers[t->index].rate_per_minute;
    }
    if (rs == t->rate_s && rm == t->rate_m)
        return;
    sla_ratelimit_release(&t->rl);
    if (sla_ratelimit_init(&t->rl, rs, rm) < 0) {
        sla_err("receiver %s: cannot set up its rate limit; sending unlimited", t->name);
        sla_ratelimit_init(&t->rl, 0, 0);
    }
    t->rate_s = rs;
    t->rate_m = rm;
}

/* The target named name, created on first use; NULL on OOM. */
static deliver_target *deliver_target_for(const char *name)
{
    deliver_target *t = deliver_target_get(name);
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (t == NULL || (t->name = strdup(name)) == NULL ||
        (t->timer = deliver_event_new(-1, 0, deliver_on_target_timer, t)) == NULL) {
        if (t)
            free(t->name);
        free(t);
        return NULL;
    }
    sla_ratelimit_init(&t->rl, 0, 0);
    sla_histogram_init(&t->st.latency, latency_bounds,
                       sizeof latency_bounds / sizeof latency_bounds[0]);
    deliver_target_bind(t);
    t->next = dlv.targets;
    dlv.targets = t;
    return t;
}

static void deliver_enqueue(deliver_rec *r)
{
    deliver_target *t = r->target;
    deliver_leave_phase(r);
    r->phase = DLV_READY;
    r->next_ms = 0;
    r->qnext = NULL;
    if (t->tail)
        t->tail->qnext = r;
    else
        t->head = r;
    t->tail = r;
    t->ready++;
}

static deliver_rec *deliver_dequeue(deliver_target *t)
{
    deliver_rec *r = t->head;
    if (r) {
        t->head = r->qnext;
        if (t->head == NULL)
            t->tail = NULL;
        r->qnext = NULL;
        t->ready--;
    }
    return r;
}

/* r's outcome is to be written (again): deliver_flush_writes() takes it. */
static void deliver_queue_write(deliver_rec *r)
{
    if (r->wqueued)
        return;
    r->wqueued = 1;
    r->wnext = NULL;
    if (dlv.wq_tail)
        dlv.wq_tail->wnext = r;
    else
        dlv.wq_head = r;
    dlv.wq_tail = r;
}

/* The outcome is known: acknowledge (dead = 0) or dead-letter the record. */
static void deliver_done(deliver_rec *r, int dead, const char *reason)
{
    deliver_leave_phase(r);
    r->phase = DLV_DONE;
    r->dead = dead;
    r->writing = 0;
    if (reason)
        snprintf(r->reason, sizeof r->reason, "%s", reason);
    if (r->timer)
        evtimer_del(r->timer);
    if (dead) {
        sla_warning("delivery %s (%s %s %s) to %s given up after %d attempts: %s%s%s",
                    r->d.id, sla_decision_kind_name(r->d.kind), r->d.ticket,
                    sla_metric_name(r->d.metric), r->d.receiver, r->attempts, r->reason,
                    r->last_error[0] ? ": " : "", r->last_error);
        if (r->target)
            r->target->st.dead++;
    }
    deliver_queue_write(r);
}

/* --- Redis writes ------------------------------------------------------- */

static void deliver_on_write(redisAsyncContext *ac, void *reply_, void *privdata)
{
    deliver_write *w = privdata;
    const redisReply *reply = reply_;
    if (w->life != dlv.life) {
        free(w); /* delivery finished: its sources are gone */
        return;
    }
    dlv.writes--;
    deliver_src *src = w->src;
    char entry_copy[sizeof w->entry];
    memcpy(entry_copy, w->entry, sizeof entry_copy);
    deliver_rec *r;
    int ok = reply != NULL && reply->type != REDIS_REPLY_ERROR &&
             reply->type != REDIS_REPLY_NIL;
    if (reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "FENCED", 6) == 0) {
        if (!src->gone)
            sla_warning("delivery of partition %d fenced off (the lease is another's): "
                        "delivering nothing more of it", src->slot);
        deliver_src_lose(src);
    } else if (reply && !ok && !src->gone) {
        sla_err("writing the outcome of outbox entry %s: %s; retrying in %d ms", w->entry,
                reply->type == REDIS_REPLY_ERROR ? reply->str : "transaction discarded",
                DELIVER_RETRY_MS);
    }
    if (ok && w->dead)
        dlv.stats.dead++;
    free(w);
    r = deliver_find(src, entry_copy);
    if (r && r->phase == DLV_DONE && r->writing && src->gone) {
        deliver_rec_free(r); /* stays pending in the outbox for the next owner */
        r = NULL;
    }
    deliver_src_unref(src);
    if (r && r->phase == DLV_DONE && r->writing) {
        r->writing = 0;
        if (ok) {
            deliver_rec_free(r);
        } else {
            deliver_queue_write(r);
            if (reply && !evtimer_pending(dlv.write_timer, NULL))
                deliver_arm(dlv.write_timer, DELIVER_RETRY_MS);
            /* reply == NULL: connection lost; written again when it is back. */
        }
    }
    if (ok)
        deliver_read(); /* room again */
    deliver_maybe_done();
}

static deliver_write *deliver_write_new(deliver_src *src, const char *entry, int dead)
{
    deliver_write *w = malloc(sizeof *w);
    if (w) {
        w->life = dlv.life;
        w->src = src;
        w->dead = dead;
        snprintf(w->entry, sizeof w->entry, "%s", entry);
    }
    return w;
}

/*
 * Send the commands cmds[0..n-1] (argc words each) for src, fn(w) told of
 * the last: plain commands (n > 1 inside MULTI/EXEC), or with a fence one
 * EVAL of fenced.lua that writes nothing once the lease is another's.
 * Returns 0, or -1 when they could not all be sent.
 */
typedef struct deliver_cmd {
    int argc;
    const char **argv;
    const size_t *lens;
} deliver_cmd;

static int deliver_write_cmds(deliver_src *src, deliver_write *w, const deliver_cmd *cmds,
                              size_t n)
{
    if (src->fence_lease) {
        size_t argc = 3 + 3 + 1;
        for (size_t i = 0; i < n; i++)
            argc += 1 + (size_t)cmds[i].argc;
        const char **argv = malloc(argc * sizeof *argv);
        size_t *lens = malloc(argc * sizeof *lens);
        char (*nums)[16] = malloc(n * sizeof *nums);
        int rc = -1;
        if (argv && lens && nums) {
            size_t a = 0;
            argv[a++] = "EVAL";
            argv[a++] = SLA_LUA_FENCED;
            argv[a++] = "3";
            argv[a++] = src->fence_lease;
            argv[a++] = src->keys.escalations;
            argv[a++] = src->keys.deliveries_dead;
            argv[a++] = src->fence_token;
            for (size_t i = 0; i < a; i++)
                lens[i] = strlen(argv[i]);
            for (size_t i = 0; i < n; i++) {
                snprintf(nums[i], sizeof nums[i], "%d", cmds[i].argc);
                argv[a] = nums[i];
                lens[a++] = strlen(nums[i]);
                for (int j = 0; j < cmds[i].argc; j++) {
                    argv[a] = cmds[i].argv[j];
                    lens[a++] = cmds[i].lens[j];
                }
            }
            rc = redis_link_command(src->link, deliver_on_write, w, (int)a, argv, lens);
        }
        free(argv);
        free(lens);
        free(nums);
        return rc;
    }
    static const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
    static const size_t multi_len[] = {5}, exec_len[] = {4};
    if (n == 1)
        return redis_link_command(src->link, deliver_on_write, w, cmds[0].argc, cmds[0].argv,
                                  cmds[0].lens);
    int rc = redis_link_command(src->link, NULL, NULL, 1, multi, multi_len);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = redis_link_command(src->link, NULL, NULL, cmds[i].argc, cmds[i].argv,
                                cmds[i].lens);
    if (rc == 0)
        rc = redis_link_command(src->link, deliver_on_write, w, 1, exec, exec_len);
    if (rc < 0 && redis_link_is_up(src->link))
        /* A half-written MULTI must not stay open on the connection. */
        redis_link_reset(src->link, "could not queue a dead-delivery transaction");
    return rc;
}

/* XACK one outbox entry of src. Returns 0, or -1 when it could not be sent. */
static int deliver_ack(deliver_src *src, const char *entry)
{
    if (src->gone)
        return -1;
    deliver_write *w = deliver_write_new(src, entry, 0);
    const char *argv[] = {"XACK", src->keys.escalations, dlv.group, entry};
    size_t lens[] = {4, strlen(argv[1]), strlen(argv[2]), strlen(entry)};
    deliver_cmd cmd = {4, argv, lens};
    if (w == NULL || deliver_write_cmds(src, w, &cmd, 1) < 0) {
        free(w);
        return -1;
    }
    src->refs++;
    dlv.writes++;
    return 0;
}

typedef struct deliver_outcome {
    long status;
    int attempts;
    int64_t first_ms, last_ms;
    const char *error, *reason;
} deliver_outcome;

/*
 * MULTI; XADD <dead> * <fields> delivery.*; XACK; EXEC — the record and
 * its outcome, and the outbox entry acknowledged, together.
 */
static int deliver_dead(deliver_src *src, const char *entry, const sla_field *fields, size_t n,
                        const deliver_outcome *o)
{
    enum { EXTRA = 8 };
    char nums[4][24];
    snprintf(nums[0], sizeof nums[0], "%ld", o->status);
    snprintf(nums[1], sizeof nums[1], "%d", o->attempts);
    snprintf(nums[2], sizeof nums[2], "%" PRId64, o->first_ms);
    snprintf(nums[3], sizeof nums[3], "%" PRId64, o->last_ms);
    const char *extra[EXTRA][2] = {
        {"delivery.status", nums[0]},   {"delivery.error", o->error},
        {"delivery.reason", o->reason}, {"delivery.attempts", nums[1]},
        {"delivery.first_ms", nums[2]}, {"delivery.last_ms", nums[3]},
        {"delivery.entry", entry},      {"delivery.group", dlv.group},
    };
    size_t argc = 3 + 2 * (n + EXTRA);
    const char **argv = malloc(argc * sizeof *argv);
    size_t *lens = malloc(argc * sizeof *lens);
    deliver_write *w = src->gone ? NULL : deliver_write_new(src, entry, 1);
    int rc = -1;
    if (argv == NULL || lens == NULL || w == NULL)
        goto out;
    argv[0] = "XADD";
    argv[1] = src->keys.deliveries_dead;
    argv[2] = "*";
    for (size_t i = 0; i < 3; i++)
        lens[i] = strlen(argv[i]);
    size_t a = 3;
    for (size_t i = 0; i < n; i++) {
        argv[a] = fields[i].key;
        lens[a++] = fields[i].key_len;
        argv[a] = fields[i].val;
        lens[a++] = fields[i].val_len;
    }
    for (size_t i = 0; i < EXTRA; i++)
        for (size_t j = 0; j < 2; j++) {
            argv[a] = extra[i][j];
            lens[a++] = strlen(extra[i][j]);
        }
    const char *ack[] = {"XACK", src->keys.escalations, dlv.group, entry};
    size_t ack_len[] = {4, strlen(ack[1]), strlen(ack[2]), strlen(entry)};
    deliver_cmd cmds[2] = {{(int)argc, argv, lens}, {4, ack, ack_len}};
    rc = deliver_write_cmds(src, w, cmds, 2);
    if (rc == 0) {
        w = NULL;
        src->refs++;
        dlv.writes++;
    }
out:
    free(argv);
    free(lens);
    free(w);
    return rc;
}

/* Write the outcome of r (link up). */
static void deliver_write_rec(deliver_rec *r)
{
    if (!r->dead) {
        r->writing = deliver_ack(r->src, r->entry) == 0;
        return;
    }
    sla_field fields[SLA_DECISION_MAX_FIELDS];
    char scratch[SLA_DECISION_SCRATCH];
    size_t n = sla_decision_fields(&r->d, fields, SLA_DECISION_MAX_FIELDS, scratch,
                                   sizeof scratch);
    deliver_outcome o = {r->last_status, r->attempts, r->first_ms, r->last_ms, r->last_error,
                         r->reason};
    r->writing = deliver_dead(r->src, r->entry, fields, n, &o) == 0;
}

/* Write every queued outcome; what cannot be sent now stays queued. */
static void deliver_flush_writes(void)
{
    deliver_rec *r = dlv.wq_head;
    dlv.wq_head = dlv.wq_tail = NULL;
    while (r) {
        deliver_rec *next = r->wnext;
        r->wqueued = 0;
        if (r->src->gone) {
            if (!r->writing)
                deliver_rec_free(r);
        } else if (r->phase == DLV_DONE && !r->writing && !redis_link_is_up(r->src->link)) {
            deliver_queue_write(r); /* written when its link is back */
        } else if (r->phase == DLV_DONE && !r->writing) {
            deliver_write_rec(r);
            if (!r->writing)
                deliver_queue_write(r);
        }
        r = next;
    }
}

static void deliver_on_write_timer(evutil_socket_t fd, short what, void *arg)
{
    deliver_flush_writes();
}

/* --- HTTP: libcurl multi on libevent ------------------------------------ */

static void deliver_check_done(void);

static void deliver_on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running = 0;
    curl_multi_socket_action(dlv.multi, fd, flags, &running);
    deliver_check_done();
}

/* CURLMOPT_SOCKETFUNCTION: watch s as curl asks; the event is the socket's
 * assigned pointer. */
static int deliver_on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct event *ev = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (ev)
            event_free(ev);
        return 0;
    }
    short kind = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
                 (what & CURL_POLL_OUT ? EV_WRITE : 0);
    if (ev) {
        event_del(ev);
        event_assign(ev, dlv.base, s, kind, deliver_on_socket_event, NULL);
        event_priority_set(ev, SLAD_PRIORITY_BULK);
    } else {
        ev = deliver_event_new(s, kind, deliver_on_socket_event, NULL);
        if (ev == NULL)
            return -1;
        curl_multi_assign(dlv.multi, s, ev);
    }
    event_add(ev, NULL);
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer, re-armed as curl asks. */
static int deliver_on_curl_timeout(CURLM *multi, long timeout_ms, void *userp)
{
    if (timeout_ms < 0)
        evtimer_del(dlv.curl_timer);
    else
        deliver_arm(dlv.curl_timer, timeout_ms);
    return 0;
}

static void deliver_on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
    int running = 0;
    curl_multi_socket_action(dlv.multi, CURL_SOCKET_TIMEOUT, 0, &running);
    deliver_check_done();
}

static size_t deliver_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    deliver_msg *m = arg;
    size_t len = size * nmemb, room = sizeof m->body - m->body_len;
    size_t take = len < room ? len : room;
    memcpy(m->body + m->body_len, data, take);
    m->body_len += take;
    return len; /* the rest is read and dropped */
}

static size_t deliver_on_header(char *data, size_t size, size_t nitems, void *arg)
{
    deliver_msg *m = arg;
    size_t len = size * nitems;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        const char *v = data + sizeof name - 1, *end = data + len;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        snprintf(m->retry_after, sizeof m->retry_after, "%.*s", (int)(end - v), v);
    }
    return len;
}

static void deliver_msg_free(deliver_msg *m)
{
    if (m->easy) {
        curl_multi_remove_handle(dlv.multi, m->easy);
        curl_easy_cleanup(m->easy);
    }
    curl_slist_free_all(m->headers);
    sla_webhook_request_release(&m->req);
    free(m->recs);
    free(m);
}

static int deliver_msg_start(deliver_msg *m)
{
    CURL *e = curl_easy_init();
    if (e == NULL)
        return -ENOMEM;
    m->easy = e;
    for (size_t i = 0; i < m->req.nheaders; i++) {
        char line[1024];
        snprintf(line, sizeof line, "%s: %s", m->req.headers[i].name, m->req.headers[i].value);
        struct curl_slist *h = curl_slist_append(m->headers, line);
        if (h == NULL)
            return -ENOMEM;
        m->headers = h;
    }
    struct curl_slist *h = curl_slist_append(m->headers, "Expect:"); /* no 100-continue wait */
    if (h == NULL)
        return -ENOMEM;
    m->headers = h;
    curl_easy_setopt(e, CURLOPT_URL, m->req.url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, m->req.body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)m->req.body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, m->headers);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)dlv.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)dlv.timeout_ms);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_USERAGENT, "slad/" SLA_VERSION);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, deliver_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, m);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, deliver_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, m);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, m->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, m);
    if (curl_multi_add_handle(dlv.multi, e) != CURLM_OK)
        return -EIO;
    return 0;
}

/* A printable excerpt of what the receiver answered. */
static void deliver_excerpt(const deliver_msg *m, char *out, size_t len)
{
    size_t n = m->body_len < len - 1 ? m->body_len : len - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)m->body[i];
        out[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    out[n] = '\0';
}

/* Retry r after a failed attempt, or give up past the budget. */
static void deliver_retry(deliver_rec *r, int64_t now, int64_t retry_after_ms)
{
    int64_t next = 0;
    int rc = sla_backoff_next(&dlv.backoff, &r->bo, now, retry_after_ms, &dlv.rng, &next);
    if (rc != 0) {
        deliver_done(r, 1, rc == SLA_BACKOFF_GIVE_UP ? "retry budget exhausted"
                                                     : "unusable backoff settings");
        return;
    }
    dlv.stats.retried++;
    r->phase = DLV_WAITING;
    r->next_ms = next;
    deliver_arm(r->timer, next - now);
    sla_info("delivery %s to %s: attempt %d failed (%s); next in %" PRId64 " ms", r->d.id,
             r->d.receiver, r->attempts, r->reason, next - now);
}

/* The request of m finished: classify, then deliver, retry or give up each record. */
static void deliver_msg_done(deliver_msg *m, CURLcode result)
{
    int64_t now = wakeup_now_ms();
    long status = 0;
    char error[DELIVER_EXCERPT_MAX + 1];
    if (result == CURLE_OK) {
        curl_easy_getinfo(m->easy, CURLINFO_RESPONSE_CODE, &status);
        deliver_excerpt(m, error, sizeof error);
    } else {
        snprintf(error, sizeof error, "%s", m->errbuf[0] ? m->errbuf : curl_easy_strerror(result));
    }
    sla_delivery_result res;
    if (sla_webhook_classify(m->format, status, m->body, m->body_len,
                             m->retry_after[0] ? m->retry_after : NULL, now, &res) < 0) {
        res.verdict = SLA_DELIVERY_FAILED;
        snprintf(res.reason, sizeof res.reason, "unknown format");
    }
    deliver_target *t = m->target;
    if (res.verdict == SLA_DELIVERY_RETRY_AFTER && res.retry_after_ms > 0)
        t->paused_until = now + res.retry_after_ms;
    if (m->n == 0) { /* a one-shot post: nothing to settle, it is sent again anyway */
        int failing = res.verdict != SLA_DELIVERY_DELIVERED;
        if (failing && !t->post_failing)
            sla_warning("receiver %s: alerts sent again fail (%s); trying at the next interval",
                        t->name, res.reason);
        else if (!failing && t->post_failing)
            sla_info("receiver %s: alerts sent again are accepted again", t->name);
        t->post_failing = failing;
        return;
    }
    if (res.verdict == SLA_DELIVERY_DELIVERED && m->n > 1)
        dlv.stats.digests++;
    for (size_t i = 0; i < m->n; i++) {
        deliver_rec *r = m->recs[i];
        if (r->src->gone) {
            /* Its partition is no longer this instance's: the next owner
             * delivers it again (same webhook-id); nothing is written. */
            deliver_rec_free(r);
            continue;
        }
        r->last_status = status;
        snprintf(r->last_error, sizeof r->last_error, "%s", error);
        snprintf(r->reason, sizeof r->reason, "%s", res.reason);
        switch (res.verdict) {
        case SLA_DELIVERY_DELIVERED:
            dlv.stats.delivered++;
            t->st.delivered++;
            t->st.attempts[DELIVER_ATTEMPT_DELIVERED]++;
            sla_histogram_observe(&t->st.latency,
                                  (double)(now - (r->held_until ? r->held_until : r->d.fired_ms)) /
                                      1000.0);
            r->last_error[0] = '\0';
            if (dlv.observe_fn)
                dlv.observe_fn(&r->d, dlv.observe_arg);
            deliver_done(r, 0, NULL);
            sla_debug("delivery %s to %s: delivered (HTTP %ld, attempt %d)", r->d.id,
                      r->d.receiver, status, r->attempts);
            break;
        case SLA_DELIVERY_FAILED:
            dlv.stats.failed_final++;
            t->st.attempts[DELIVER_ATTEMPT_FAILED]++;
            deliver_done(r, 1, res.reason);
            break;
        default:
            t->st.attempts[DELIVER_ATTEMPT_RETRY]++;
            if (t->index < 0)
                deliver_done(r, 1, "unknown receiver");
            else if (dlv.stopping) {
                r->phase = DLV_WAITING; /* stays pending in the outbox */
                r->next_ms = 0;
            } else
                deliver_retry(r, now, res.verdict == SLA_DELIVERY_RETRY_AFTER
                                          ? res.retry_after_ms : -1);
            break;
        }
    }
}

static void deliver_check_done(void)
{
    CURLMsg *msg;
    int left = 0;
    int finished = 0;
    while ((msg = curl_multi_info_read(dlv.multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        deliver_msg *m = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&m);
        CURLcode result = msg->data.result;
        if (m == NULL)
            continue;
        deliver_msg_done(m, result);
        if (m->prev)
            m->prev->next = m->next;
        else
            dlv.msgs = m->next;
        if (m->next)
            m->next->prev = m->prev;
        dlv.in_flight--;
        deliver_msg_free(m);
        finished = 1;
    }
    if (!finished)
        return;
    deliver_flush_writes();
    if (dlv.stopping)
        deliver_maybe_done();
    else
        deliver_pump();
}

/* --- sending ------------------------------------------------------------ */

/* The alerts of decisions ds[0..n-1], as sla_webhook_build would make
 * them, and with the runbook of each one's policy. */
static int deliver_build_alerts(const sla_decision **ds, size_t n, const sla_receiver *rc,
                                int64_t now, sla_webhook_request *req)
{
    sla_am_alert *as = calloc(n, sizeof *as);
    if (as == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        as[i] = (sla_am_alert){ds[i], sla_am_state_of(ds[i]),
                               sla_am_policy_runbook(dlv.cfg, ds[i]->policy)};
    int err = sla_am_build(as, n, rc, now, req);
    free(as);
    return err;
}

/* Send the first n ready records of t as one request (n > 1: a digest). */
static void deliver_send_msg(deliver_target *t, size_t n, int64_t now)
{
    const sla_receiver *rc = &dlv.cfg->receivers[t->index];
    deliver_msg *m = calloc(1, sizeof *m);
    deliver_rec **recs = malloc(n * sizeof *recs);
    const sla_decision **ds = malloc(n * sizeof *ds);
    if (m == NULL || recs == NULL || ds == NULL) {
        sla_err("out of memory sending to %s; trying again later", t->name);
        free(m);
        free(recs);
        free(ds);
        deliver_arm(t->timer, DELIVER_RETRY_MS);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        recs[i] = deliver_dequeue(t);
        ds[i] = &recs[i]->d;
    }
    m->target = t;
    m->recs = recs;
    m->n = n;
    m->format = rc->format;
    sla_webhook_request_init(&m->req);
    sla_notice_context ctx;
    sla_webhook_context(dlv.cfg, rc, ds, n, dlv.system_zone, &ctx);
    for (size_t i = 0; i < n; i++) /* held: read at the end of the hold */
        if (recs[i]->held_until > ctx.as_of_ms)
            ctx.as_of_ms = recs[i]->held_until;
    int err;
    if (rc->format == SLA_FORMAT_ALERTMANAGER) /* with the policy's runbook */
        err = deliver_build_alerts(ds, n, rc, now, &m->req);
    else
        err = n == 1 ? sla_webhook_build(ds[0], rc, &ctx, now, &m->req)
                     : sla_webhook_build_digest(ds, n, rc, &ctx, now, &m->req);
    free(ds);
    if (err == 0)
        err = deliver_msg_start(m);
    for (size_t i = 0; i < n; i++) {
        deliver_rec *r = recs[i];
        r->phase = DLV_SENDING;
        r->attempts++;
        r->last_ms = now;
        if (r->first_ms == 0)
            r->first_ms = now;
    }
    if (err < 0) {
        const char *why = err == -EINVAL ? "cannot build the request (check the receiver's "
                                           "url, format and secret)"
                                         : "cannot start the request";
        for (size_t i = 0; i < n; i++) {
            recs[i]->last_status = 0;
            snprintf(recs[i]->last_error, sizeof recs[i]->last_error, "%s", why);
            if (err == -EINVAL) {
                dlv.stats.failed_final++;
                t->st.attempts[DELIVER_ATTEMPT_FAILED]++;
                deliver_done(recs[i], 1, why);
            } else {
                t->st.attempts[DELIVER_ATTEMPT_RETRY]++;
                snprintf(recs[i]->reason, sizeof recs[i]->reason, "%s", why);
                deliver_retry(recs[i], now, -1);
            }
        }
        deliver_msg_free(m);
        return;
    }
    m->next = dlv.msgs;
    if (dlv.msgs)
        dlv.msgs->prev = m;
    dlv.msgs = m;
    dlv.in_flight++;
}

/*
 * Start what may start: for each receiver with records ready, while a
 * request slot is free and its limiter grants a send. A grant that leaves
 * no further slot free now takes every waiting record along (a digest).
 */
static void deliver_pump(void)
{
    if (dlv.stopping || dlv.multi == NULL)
        return;
    int64_t now = wakeup_now_ms();
    deliver_check_sources(now); /* before anything is sent */
    for (deliver_target *t = dlv.targets; t; t = t->next) {
        if (t->ready == 0)
            continue;
        if (t->index < 0) {
            deliver_rec *r;
            while ((r = deliver_dequeue(t)) != NULL) {
                snprintf(r->last_error, sizeof r->last_error, "unknown receiver");
                deliver_done(r, 1, "unknown receiver");
            }
            continue;
        }
        if (t->paused_until > now) {
            deliver_arm(t->timer, t->paused_until - now);
            continue;
        }
        while (t->ready && dlv.in_flight < (size_t)dlv.max_in_flight) {
            int64_t not_before = 0;
            if (!sla_ratelimit_take(&t->rl, now, &not_before)) {
                deliver_arm(t->timer, not_before - now);
                break;
            }
            size_t n = 1;
            if (t->ready > 1 && sla_ratelimit_next(&t->rl, now) > now)
                n = t->ready < SLA_DIGEST_MAX_ITEMS ? t->ready : SLA_DIGEST_MAX_ITEMS;
            deliver_send_msg(t, n, now);
        }
    }
    deliver_flush_writes();
}

int deliver_can_post(const char *receiver)
{
    if (dlv.stopping || dlv.multi == NULL)
        return -EBUSY;
    if (sla_config_receiver_index(dlv.cfg, receiver) < 0)
        return -ENOENT;
    deliver_target *t = deliver_target_get(receiver);
    if (dlv.in_flight >= (size_t)dlv.max_in_flight ||
        (t && t->paused_until > wakeup_now_ms()))
        return -EBUSY;
    return 0;
}

int deliver_post(const char *receiver, sla_webhook_request *req)
{
    int err = deliver_can_post(receiver);
    deliver_target *t = err ? NULL : deliver_target_for(receiver);
    deliver_msg *m = t ? calloc(1, sizeof *m) : NULL;
    if (m == NULL) {
        sla_webhook_request_release(req);
        return err ? err : -ENOMEM;
    }
    m->target = t;
    m->format = dlv.cfg->receivers[t->index].format;
    m->req = *req;
    sla_webhook_request_init(req);
    if ((err = deliver_msg_start(m)) < 0) {
        deliver_msg_free(m);
        return err;
    }
    m->next = dlv.msgs;
    if (dlv.msgs)
        dlv.msgs->prev = m;
    dlv.msgs = m;
    dlv.in_flight++;
    return 0;
}

void deliver_observe(deliver_observe_fn *fn, void *arg)
{
    dlv.observe_fn = fn;
    dlv.observe_arg = arg;
}

static int deliver_release_or_hold(deliver_rec *r);

/* Its source's gate holds r back: look again shortly. */
static int deliver_gated(deliver_rec *r)
{
    deliver_src *src = r->src;
    if (src->gate == NULL || src->gate(src->slot, r->entry, src->gate_arg))
        return 0;
    r->gated = 1;
    deliver_leave_phase(r);
    r->phase = DLV_WAITING;
    r->next_ms = wakeup_now_ms() + DELIVER_GATE_POLL_MS;
    deliver_arm(r->timer, DELIVER_GATE_POLL_MS);
    return 1;
}

static void deliver_on_rec_timer(evutil_socket_t fd, short what, void *arg)
{
    deliver_rec *r = arg;
    if ((r->phase != DLV_WAITING && r->phase != DLV_HELD) || dlv.stopping)
        return;
    if (r->src->gone) {
        deliver_rec_free(r);
        return;
    }
    if (r->gated) {
        r->gated = 0;
        deliver_release_or_hold(r);
    } else {
        deliver_enqueue(r);
    }
    deliver_pump();
}

/* --- parked: held entries whose records were let go -------------------- */

static size_t deliver_room(void)
{
    size_t used = dlv.held + dlv.unparking;
    return used < DELIVER_MAX_HELD ? DELIVER_MAX_HELD - used : 0;
}

static void deliver_park_arm(void)
{
    int64_t next = sla_parked_next(dlv.parked), now = wakeup_now_ms();
    if (next == INT64_MAX || dlv.stopping || (next <= now && deliver_room() == 0)) {
        /* Due ones without room are read back once records are settled
         * (deliver_read). */
        evtimer_del(dlv.park_timer);
        return;
    }
    deliver_arm(dlv.park_timer, next - now);
}

/*
 * Reading parked entries back. KEYS: the outbox. ARGV: group, consumer,
 * entry ids. Each entry still pending for this consumer, as XRANGE gives
 * it ([id, nil] when trimmed away meanwhile); one pending for another
 * consumer (a slad with another stream.consumer took it over, and
 * delivers it) or acknowledged is left out, so it is not delivered twice.
 */
static const char deliver_unpark_script[] =
    "local out = {}\n"
    "for i = 3, #ARGV do\n"
    "  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])\n"
    "  if #p > 0 then\n"
    "    out[#out + 1] = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])[1]"
    " or {ARGV[i], false}\n"
    "  end\n"
    "end\n"
    "return out\n";

typedef struct deliver_unpark_req {
    uint64_t life;
    deliver_src *src;           /* a reference */
    size_t n;
} deliver_unpark_req;

static void deliver_on_batch(const redisReply *entries, int claimed, void *arg);

static void deliver_on_unpark(redisAsyncContext *ac, void *reply_, void *privdata)
{
    deliver_unpark_req *u = privdata;
    const redisReply *reply = reply_;
    if (u->life != dlv.life) {
        free(u); /* delivery finished: its sources are gone */
        return;
    }
    deliver_src *src = u->src;
    dlv.unparking -= u->n;
    free(u);
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        deliver_on_batch(reply, 0, src); /* as if just read; decided again now */
    } else if (reply && !src->gone && src->reader) {
        /* They are still pending for us: read own pending entries again. */
        sla_err("delivery: reading parked entries back: %s; reading own pending entries again",
                reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
        stream_reader_restart(src->reader);
    }
    /* No reply: the connection was lost; the reader reads own pending
     * entries again once it is back. */
    deliver_src_unref(src);
    deliver_read();
}

/* Ask for ids[0..n) of src back; 0, or -1 when it could not be sent. */
static int deliver_unpark_send(deliver_src *src, char (*ids)[48], size_t n)
{
    if (src->gone || src->reader == NULL || !redis_link_is_up(src->link))
        return -1;
    size_t argc = 6 + n;
    const char **argv = malloc(argc * sizeof *argv);
    size_t *lens = malloc(argc * sizeof *lens);
    deliver_unpark_req *u = malloc(sizeof *u);
    int rc = -1;
    if (argv && lens && u) {
        argv[0] = "EVAL";
        argv[1] = deliver_unpark_script;
        argv[2] = "1";
        argv[3] = src->keys.escalations;
        argv[4] = dlv.group;
        argv[5] = src->consumer;
        for (size_t i = 0; i < n; i++)
            argv[6 + i] = ids[i];
        for (size_t i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        *u = (deliver_unpark_req){dlv.life, src, n};
        rc = redis_link_command(src->link, deliver_on_unpark, u, (int)argc, argv, lens);
    }
    if (rc == 0) {
        src->refs++;
        dlv.unparking += n;
    } else {
        free(u);
    }
    free(argv);
    free(lens);
    return rc;
}

/*
 * Read the parked entries that are due back, as many as there is room for,
 * one request per outbox. Those that cannot be asked for now are parked
 * again for a second.
 */
static void deliver_unpark(void)
{
    int64_t now = wakeup_now_ms();
    size_t room = deliver_room();
    if (room > DELIVER_BATCH)
        room = DELIVER_BATCH;
    const void **owners = malloc(room * sizeof *owners);
    char (*ids)[48] = malloc(room * sizeof *ids);
    char (*group)[48] = malloc(room * sizeof *group);
    size_t n = 0;
    if (owners && ids && group)
        while (n < room && !dlv.stopping &&
               sla_parked_pop_due(dlv.parked, now, &owners[n], ids[n], sizeof ids[n], NULL))
            n++;
    for (size_t i = 0; i < n; i++) {
        if (owners[i] == NULL)
            continue; /* sent with an earlier one of its outbox */
        const void *src = owners[i];
        size_t k = 0;
        for (size_t j = i; j < n; j++)
            if (owners[j] == src) {
                memcpy(group[k++], ids[j], sizeof ids[j]);
                owners[j] = NULL;
            }
        if (deliver_unpark_send((deliver_src *)src, group, k) < 0)
            for (size_t j = 0; j < k; j++)
                sla_parked_add(dlv.parked, src, group[j], now + DELIVER_RETRY_MS);
    }
    if (n)
        sla_debug("delivery: %zu parked entries due, read back", n);
    free(owners);
    free(ids);
    free(group);
    deliver_park_arm();
}

static void deliver_on_park_timer(evutil_socket_t fd, short what, void *arg)
{
    deliver_unpark();
}

/*
 * Let r (held until at) go from memory, its entry kept parked: 1 when r
 * was freed, 0 when it stays (the index is full or out of memory).
 */
static int deliver_park(deliver_rec *r, int64_t at)
{
    int rc = sla_parked_add(dlv.parked, r->src, r->entry, at);
    if (rc < 0 && rc != -EEXIST) {
        if (!dlv.park_full_logged)
            sla_warning("delivery: %s (%zu parked, at most %d): further held records stay "
                        "in memory, where %d of them pause reading",
                        rc == -ENOSPC ? "no room to park more held records"
                                      : "out of memory parking a held record",
                        sla_parked_count(dlv.parked), DELIVER_MAX_PARKED, DELIVER_MAX_HELD);
        dlv.park_full_logged = 1;
        return 0;
    }
    dlv.park_full_logged = 0;
    sla_debug("delivery %s to %s (entry %s): parked until %" PRId64, r->d.id, r->d.receiver,
              r->entry, at);
    deliver_rec_free(r);
    deliver_park_arm();
    return 1;
}

/*
 * Queue r (not attempted yet), or hold it until the working hours of its
 * receiver (sla_delivery_hours.h): in memory while few are held, else
 * parked. Its retry budget counts from the time it may first be sent.
 * Returns 1 when r was parked (and freed).
 */
static int deliver_release_or_hold(deliver_rec *r)
{
    if (deliver_gated(r))
        return 0;
    int64_t now = wakeup_now_ms(), at = sla_delivery_not_before(dlv.cfg, &r->d);
    r->held_until = at > r->d.fired_ms ? at : 0;
    sla_backoff_state_init(&r->bo, r->held_until ? r->held_until : r->d.fired_ms);
    if (at <= now || dlv.stopping) {
        deliver_enqueue(r);
        return 0;
    }
    if (r->phase != DLV_HELD && dlv.holding >= DELIVER_HELD_IN_MEMORY && deliver_park(r, at))
        return 1;
    if (r->phase != DLV_HELD)
        dlv.holding++;
    r->phase = DLV_HELD;
    r->next_ms = at;
    deliver_arm(r->timer, at - now);
    sla_debug("delivery %s to %s: held for the receiver's working hours, %" PRId64 " ms",
              r->d.id, r->d.receiver, at - now);
    return 0;
}

/* --- reading ------------------------------------------------------------ */

/* Take one outbox entry: hold it for delivery, or settle it at once. */
static void deliver_entry(deliver_src *src, const redisReply *entry, sla_field **fields,
                          size_t *cap)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 1 ||
        entry->element[0]->type != REDIS_REPLY_STRING ||
        entry->element[0]->len >= sizeof ((deliver_rec *)0)->entry)
        return;
    const char *id = entry->element[0]->str;
    if (deliver_find(src, id) || sla_parked_has(dlv.parked, src, id))
        return; /* read again after a reconnect, or claimed back: already held */
    const redisReply *list = entry->elements >= 2 ? entry->element[1] : NULL;
    if (list == NULL || list->type != REDIS_REPLY_ARRAY || list->elements % 2) {
        deliver_ack(src, id); /* trimmed away: nothing left to deliver */
        return;
    }
    size_t n = list->elements / 2;
    if (n > *cap) {
        sla_field *f = realloc(*fields, n * sizeof *f);
        if (f == NULL)
            return; /* stays pending */
        *fields = f;
        *cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        const redisReply *k = list->element[2 * i], *v = list->element[2 * i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            deliver_ack(src, id);
            return;
        }
        (*fields)[i] = (sla_field){k->str, (size_t)k->len, v->str, (size_t)v->len};
    }
    deliver_rec *r = calloc(1, sizeof *r);
    if (r == NULL)
        return;
    char err[128];
    if (sla_outbox_parse(*fields, n, &r->d, err, sizeof err) < 0) {
        free(r);
        sla_warning("outbox entry %s is not an escalation record (%s): moved to %s", id, err,
                    src->keys.deliveries_dead);
        deliver_outcome o = {0, 0, 0, 0, err, "unreadable outbox record"};
        /* Not slad's: it may be of any size, so keep a bounded excerpt
         * (sla_deadletter.h), the note in delivery.truncated. */
        sla_event_limits lim = dlv.cfg->stream.limits;
        lim.max_fields = SLA_EVENT_MAX_FIELDS;
        sla_field *kept = malloc((n + 1) * sizeof *kept); /* and the note */
        char note[SLA_DEAD_NOTE_SIZE];
        if (kept == NULL)
            return; /* stays pending */
        size_t nk = sla_dead_excerpt(*fields, n, n, &lim, kept, note, sizeof note);
        if (note[0])
            kept[nk++] = (sla_field){"delivery.truncated", sizeof "delivery.truncated" - 1,
                                     note, strlen(note)};
        deliver_dead(src, id, kept, nk, &o);
        free(kept);
        return;
    }
    if (r->d.receiver[0] == '\0') {
        sla_outbox_release(&r->d);
        free(r);
        deliver_ack(src, id); /* notifies nobody */
        return;
    }
    snprintf(r->entry, sizeof r->entry, "%s", id);
    r->src = src;
    src->refs++;
    r->target = deliver_target_for(r->d.receiver);
    r->timer = deliver_event_new(-1, 0, deliver_on_rec_timer, r);
    if (r->target == NULL || r->timer == NULL) {
        if (r->timer)
            event_free(r->timer);
        sla_outbox_release(&r->d);
        free(r);
        src->refs--;
        return; /* stays pending */
    }
    unsigned b = deliver_hash(r->entry);
    r->hnext = dlv.buckets[b];
    dlv.buckets[b] = r;
    r->prev = dlv.last;
    if (dlv.last)
        dlv.last->next = r;
    else
        dlv.first = r;
    dlv.last = r;
    dlv.held++;
    if (r->target->index < 0) {
        snprintf(r->last_error, sizeof r->last_error, "unknown receiver");
        deliver_done(r, 1, "unknown receiver");
        return;
    }
    deliver_release_or_hold(r);
}

/* Whether src already holds outbox entry id (in memory or parked): a
 * claim round leaves it alone instead of fetching it again. */
static int deliver_held(const char *id, void *arg)
{
    const deliver_src *src = arg;
    return deliver_find(src, id) != NULL || sla_parked_has(dlv.parked, src, id);
}

/* The reader's batch: hold each new record, then send what may go. */
static void deliver_on_batch(const redisReply *entries, int claimed, void *arg)
{
    deliver_src *src = arg;
    if (src->gone)
        return; /* they stay pending for the partition's owner */
    sla_field *fields = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < entries->elements; i++)
        deliver_entry(src, entries->element[i], &fields, &cap);
    free(fields);
    deliver_pump();
    deliver_read();
}

static void deliver_on_ready(int joined, void *arg)
{
    deliver_read();
}

/* Ask for more records, if there is room for them. */
static void deliver_read(void)
{
    if (sla_parked_next(dlv.parked) <= wakeup_now_ms() && !dlv.stopping)
        deliver_unpark(); /* due ones waited for room: they were read first */
    for (deliver_src *src = dlv.srcs; src; src = src->next) {
        if (dlv.stopping || deliver_room() == 0)
            return; /* full: read again once records are settled */
        if (src->gone || src->reader == NULL || !redis_link_is_up(src->link))
            continue;
        size_t room = deliver_room();
        stream_reader_read(src->reader, room < DELIVER_BATCH ? room : DELIVER_BATCH);
    }
}

/* src's records not yet sent are dropped now, those in flight when they
 * end; nothing of it is read or written any more. */
static void deliver_src_lose(deliver_src *src)
{
    if (src->gone)
        return;
    src->gone = 1;
    stream_reader_free(src->reader);
    src->reader = NULL;
    for (deliver_target *t = dlv.targets; t; t = t->next) {
        deliver_rec *keep = NULL, *tail = NULL, *r;
        size_t n = 0;
        while ((r = deliver_dequeue(t)) != NULL) {
            if (r->src->gone) {
                deliver_rec_free(r);
                continue;
            }
            if (tail)
                tail->qnext = r;
            else
                keep = r;
            tail = r;
            n++;
        }
        t->head = keep;
        t->tail = tail;
        t->ready = n;
    }
    for (deliver_rec *r = dlv.first, *next; r; r = next) {
        next = r->next;
        if (r->src == src && r->phase == DLV_WAITING)
            deliver_rec_free(r);
    }
    sla_parked_drop_owner(dlv.parked, src); /* pending for the next owner too */
    deliver_park_arm();
    deliver_src_unref(src); /* the attachment */
}

/* Sources whose lease is no longer valid on this clock stop at once. */
static void deliver_check_sources(int64_t now)
{
    for (deliver_src *src = dlv.srcs, *next; src; src = next) {
        next = src->next;
        if (!src->gone && !deliver_src_ok(src, now)) {
            sla_notice("delivery of partition %d stopped: its lease is no longer valid",
                       src->slot);
            deliver_src_lose(src);
        }
    }
}

/* --- life --------------------------------------------------------------- */

void deliver_set_source_gate(int slot, deliver_gate_fn *gate, void *arg)
{
    for (deliver_src *src = dlv.srcs; src; src = src->next)
        if (src->slot == slot && !src->gone) {
            src->gate = gate;
            src->gate_arg = arg;
        }
}

void deliver_on_link(redis_link *link, int up, void *arg)
{
    if (dlv.multi == NULL)
        return;
    if (up) {
        deliver_flush_writes();
        deliver_read();
        return;
    }
    for (deliver_src *src = dlv.srcs; src; src = src->next)
        if (src->link == link && src->reader)
            stream_reader_link_down(src->reader);
}

int deliver_add_source(int slot, redis_link *link, const sla_keys *keys, const char *consumer,
                       const char *lease_key, const char *token, deliver_valid_fn *valid,
                       void *arg)
{
    const sla_config *cfg = dlv.cfg;
    deliver_src *src = calloc(1, sizeof *src);
    if (src == NULL)
        return -1;
    src->slot = slot;
    src->keys = *keys;
    src->link = link;
    src->valid = valid;
    src->valid_arg = arg;
    src->refs = 1;
    src->consumer = strdup(consumer ? consumer : cfg->stream.consumer);
    if (src->consumer == NULL ||
        (lease_key && (!(src->fence_lease = strdup(lease_key)) ||
                       !(src->fence_token = strdup(token))))) {
        free(src->consumer);
        free(src->fence_lease);
        free(src);
        return -1;
    }
    stream_reader_config rc = {
        .what = "delivery",
        .stream = src->keys.escalations,
        .group = dlv.group,
        .consumer = src->consumer,
        .link = link,
        .claim_link = link,
        .block_ms = cfg->stream.block_ms > 0 && cfg->stream.block_ms < DELIVER_BLOCK_MAX_MS
                        ? cfg->stream.block_ms : DELIVER_BLOCK_MAX_MS,
        .claim_idle_ms = cfg->stream.claim_idle_ms > 0 ? cfg->stream.claim_idle_ms : 60000,
        .priority = SLAD_PRIORITY_BULK,
        .held = deliver_held,
    };
    src->reader = stream_reader_new(dlv.base, &rc, deliver_on_batch, deliver_on_ready, src);
    if (src->reader == NULL) {
        free(src->consumer);
        free(src->fence_lease);
        free(src->fence_token);
        free(src);
        return -1;
    }
    src->next = dlv.srcs;
    dlv.srcs = src;
    if (redis_link_is_up(link))
        deliver_read();
    return 0;
}

void deliver_remove_source(int slot)
{
    for (deliver_src *src = dlv.srcs, *next; src; src = next) {
        next = src->next;
        if (src->slot == slot && !src->gone)
            deliver_src_lose(src);
    }
}

/* The settings that follow a reload (the group is fixed at start). */
static void deliver_settings(const sla_config *cfg)
{
    dlv.connect_timeout_ms = cfg->delivery.connect_timeout_ms;
    dlv.timeout_ms = cfg->delivery.timeout_ms;
    dlv.max_in_flight = cfg->delivery.max_in_flight > 0 ? cfg->delivery.max_in_flight : 1;
    dlv.backoff = (sla_backoff){cfg->delivery.backoff_base_ms, cfg->delivery.backoff_cap_ms,
                                cfg->delivery.budget_ms, SLA_JITTER_FULL};
}

void deliver_set_config(const sla_config *cfg)
{
    dlv.cfg = cfg;
    deliver_settings(cfg);
    for (deliver_target *t = dlv.targets; t; t = t->next) {
        deliver_target_bind(t);
        t->paused_until = 0;
    }
    /* Records waiting for a receiver that is gone are settled now; those
     * held for working hours are held by the new settings (parked ones
     * when they are read back at their time). */
    for (deliver_rec *r = dlv.first, *next; r; r = next) {
        next = r->next;
        if ((r->phase != DLV_WAITING && r->phase != DLV_HELD) || dlv.stopping)
            continue;
        if (r->target->index < 0) {
            evtimer_del(r->timer);
            deliver_enqueue(r);
        } else if (r->phase == DLV_HELD) {
            evtimer_del(r->timer);
            deliver_release_or_hold(r);
        }
    }
    deliver_pump();
}

/*
 * The zone this machine shows times in, by name: $TZ (":Zone" or a path
 * under a zoneinfo directory), else the /etc/localtime link, else
 * /etc/timezone. "UTC" when none names a zone.
 */
static void deliver_system_zone_name(char *out, size_t len)
{
    char link[512];
    const char *tz = getenv("TZ"), *name = NULL;
    if (tz && *tz) {
        name = tz[0] == ':' ? tz + 1 : tz;
    } else {
        ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
        if (n > 0) {
            link[n] = '\0';
            name = link;
        }
    }
    const char *zi = name ? strstr(name, "zoneinfo/") : NULL;
    if (zi)
        name = zi + strlen("zoneinfo/");
    if (name && *name && name[0] != '/' && strlen(name) < len) {
        memcpy(out, name, strlen(name) + 1);
        return;
    }
    FILE *f = fopen("/etc/timezone", "r");
    if (f && fgets(out, (int)len, f)) {
        out[strcspn(out, " \t\r\n")] = '\0';
        fclose(f);
        if (*out)
            return;
    } else if (f) {
        fclose(f);
    }
    snprintf(out, len, "UTC");
}

static void deliver_load_system_zone(void)
{
    char name[256], err[256];
    deliver_system_zone_name(name, sizeof name);
    dlv.system_zone = sla_calendar_new(name, err, sizeof err);
    if (!dlv.system_zone)
        sla_warning("chat messages show times in UTC where no zone is set: %s", err);
}

int deliver_init(struct event_base *base, redis_link *link, const sla_keys *keys,
                 const sla_config *cfg)
{
    memset(&dlv, 0, sizeof dlv);
    dlv.base = base;
    dlv.cfg = cfg;
    dlv.life = 1;
    deliver_settings(cfg);
    dlv.group = strdup(cfg->delivery.group);
    deliver_load_system_zone();
    if (getentropy(&dlv.rng, sizeof dlv.rng) < 0)
        dlv.rng = (uint64_t)wakeup_now_ms() ^ ((uint64_t)getpid() << 32);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    dlv.multi = curl_multi_init();
    dlv.write_timer = deliver_event_new(-1, 0, deliver_on_write_timer, NULL);
    dlv.curl_timer = deliver_event_new(-1, 0, deliver_on_curl_timer, NULL);
    dlv.park_timer = deliver_event_new(-1, 0, deliver_on_park_timer, NULL);
    dlv.parked = sla_parked_new(DELIVER_MAX_PARKED);
    if (dlv.group == NULL || dlv.multi == NULL || dlv.write_timer == NULL ||
        dlv.curl_timer == NULL || dlv.park_timer == NULL || dlv.parked == NULL)
        return -1;
    curl_multi_setopt(dlv.multi, CURLMOPT_SOCKETFUNCTION, deliver_on_socket);
    curl_multi_setopt(dlv.multi, CURLMOPT_TIMERFUNCTION, deliver_on_curl_timeout);
    if (link && deliver_add_source(-1, link, keys, NULL, NULL, NULL, NULL, NULL) < 0)
        return -1;
    return 0;
}

static void deliver_on_grace(evutil_socket_t fd, short what, void *arg)
{
    if (dlv.in_flight)
        sla_warning("%zu deliveries still in flight at shutdown; they stay pending in the "
                    "outbox",
                    dlv.in_flight);
    deliver_done_fn *fn = dlv.done_fn;
    dlv.done_fn = NULL;
    if (fn)
        fn(dlv.done_arg);
}

void deliver_stop(int grace_ms, deliver_done_fn *fn, void *arg)
{
    dlv.stopping = 1;
    for (deliver_target *t = dlv.targets; t; t = t->next)
        evtimer_del(t->timer);
    for (deliver_rec *r = dlv.first; r; r = r->next)
        if (r->timer)
            evtimer_del(r->timer);
    evtimer_del(dlv.park_timer);
    if (dlv.in_flight == 0 && dlv.writes == 0) {
        if (fn)
            fn(arg);
        return;
    }
    dlv.done_fn = fn;
    dlv.done_arg = arg;
    if (dlv.grace_timer == NULL)
        dlv.grace_timer = deliver_event_new(-1, 0, deliver_on_grace, NULL);
    if (dlv.grace_timer)
        deliver_arm(dlv.grace_timer, grace_ms);
}

void deliver_finish(void)
{
    dlv.life++;
    while (dlv.msgs) {
        deliver_msg *m = dlv.msgs;
        dlv.msgs = m->next;
        deliver_msg_free(m);
    }
    dlv.in_flight = 0;
    while (dlv.first)
        deliver_rec_free(dlv.first);
    dlv.wq_head = dlv.wq_tail = NULL;
    while (dlv.srcs) {
        deliver_src *src = dlv.srcs;
        dlv.srcs = src->next;
        stream_reader_free(src->reader);
        free(src->consumer);
        free(src->fence_lease);
        free(src->fence_token);
        free(src);
    }
    sla_parked_free(dlv.parked);
    dlv.parked = NULL;
    dlv.unparking = 0;
    if (dlv.multi)
        curl_multi_cleanup(dlv.multi);
    dlv.multi = NULL;
    while (dlv.targets) {
        deliver_target *t = dlv.targets;
        dlv.targets = t->next;
        sla_ratelimit_release(&t->rl);
        if (t->timer)
            event_free(t->timer);
        free(t->name);
        free(t);
    }
    struct event **evs[] = {&dlv.write_timer, &dlv.curl_timer, &dlv.grace_timer,
                            &dlv.park_timer};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (*evs[i]) {
            event_free(*evs[i]);
            *evs[i] = NULL;
        }
    free(dlv.group);
    if (dlv.system_zone)
        sla_calendar_free(dlv.system_zone);
    dlv.group = NULL;
    curl_global_cleanup();
}

/* --- queries ------------------------------------------------------------ */

size_t deliver_list(deliver_item *out, size_t max)
{
    size_t n = 0;
    for (deliver_rec *r = dlv.first; r; r = r->next, n++) {
        if (n >= max)
            continue;
        out[n] = (deliver_item){
            .record_id = r->d.id,
            .receiver = r->d.receiver,
            .ticket = r->d.ticket,
            .metric = sla_metric_name(r->d.metric),
            .kind = sla_decision_kind_name(r->d.kind),
            .attempts = r->attempts,
            .next_attempt_ms = r->phase == DLV_WAITING || r->phase == DLV_HELD ? r->next_ms : 0,
            .held_until_ms = r->phase == DLV_HELD ? r->next_ms : 0,
            .last_status = r->last_status,
            .last_error = r->last_error,
        };
    }
    return n;
}

void deliver_get_stats(deliver_stats *out)
{
    *out = dlv.stats;
    out->pending = out->retrying = out->in_flight = out->held = 0;
    for (deliver_rec *r = dlv.first; r; r = r->next) {
        if (r->phase == DLV_WAITING)
            out->retrying++;
        else if (r->phase == DLV_HELD)
            out->held++;
        else if (r->phase == DLV_SENDING)
            out->in_flight++;
        else
            out->pending++;
    }
    /* Parked ones, and those being read back, are held all the same. */
    out->parked = sla_parked_count(dlv.parked) + dlv.unparking;
    out->held += out->parked;
}

const char *deliver_attempt_name(int result)
{
    static const char *const names[DELIVER_ATTEMPT_COUNT] = {"delivered", "retry", "failed"};
    return result >= 0 && result < DELIVER_ATTEMPT_COUNT ? names[result] : NULL;
}

void deliver_foreach_receiver(void (*fn)(const char *receiver, const deliver_receiver_stats *s,
                                         void *arg),
                              void *arg)
{
    for (deliver_target *t = dlv.targets; t; t = t->next)
        fn(t->name, &t->st, arg);
}
