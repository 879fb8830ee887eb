/*
 * stream_reader — see stream_reader.h for the protocol and the contract.
 *
 * One request at a time (inflight), cleared only by that request's own
 * callback: hiredis calls every callback exactly once, with a NULL reply
 * when the connection is lost or freed, so "inflight" never lies. That is
 * also how the reader outlives its owner's finish: stream_reader_free()
 * with a request in flight only marks the reader dead, and the callback
 * frees it.
 *
 * The reply of an older epoch (before a restart or a lost connection)
 * hands over nothing: its entries stay pending for this consumer and are
 * read again in the pending phase that the restart began.
 */
#include "stream_reader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_log.h"

#define READER_GUARD_EXTRA_MS 5000
#define READER_RETRY_MS 1000
#define READER_ID_MAX 48

struct stream_reader {
    char *what, *stream, *group, *consumer;
    redis_link *link, *claim_link;
    int block_ms, claim_idle_ms;
    char block[16], claim_idle[24];
    stream_reader_held_fn *held;
    stream_reader_batch_fn *batch;
    stream_reader_ready_fn *ready;
    void *arg;

    uintptr_t epoch;       /* changes on restart and on a lost connection */
    uintptr_t req_epoch;   /* the epoch the request in flight was sent in */
    int inflight;
    int dead;              /* freed by its owner; the callback in flight frees it */
    int group_ok;          /* XGROUP CREATE answered on this connection */
    int joined_once;
    int pending_phase;
    char pending_from[READER_ID_MAX];
    int req_new;           /* the read in flight asks for new entries (">") */
    size_t req_count;      /* and at most this many */
    int at_end;            /* the last read of new entries found the end */
    int claim_due;
    char claim_cursor[READER_ID_MAX];

    struct event *guard_timer, *retry_timer, *claim_timer;
};

static void reader_arm(struct event *ev, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static void reader_destroy(stream_reader *r)
{
    struct event **timers[] = {&r->guard_timer, &r->retry_timer, &r->claim_timer};
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
        if (*timers[i]) {
            event_free(*timers[i]);
            *timers[i] = NULL;
        }
    if (r->inflight)
        return; /* the callback in flight finishes the job */
    free(r->what);
    free(r->stream);
    free(r->group);
    free(r->consumer);
    free(r);
}

static void reader_restart_pending(stream_reader *r)
{
    r->at_end = 0;
    r->pending_phase = 1;
    strcpy(r->pending_from, "0");
}

/* Copy an entry id (or cursor) reply into out; 0 when it does not fit. */
static int reader_copy_id(const redisReply *s, char out[READER_ID_MAX])
{
    if (s->type != REDIS_REPLY_STRING || s->len >= READER_ID_MAX)
        return 0;
    memcpy(out, s->str, s->len);
    out[s->len] = '\0';
    return 1;
}

/*
 * Common to every reply: the request is over. Returns the reply when it is
 * to be handled; otherwise it was handled here (dead reader, lost
 * connection, old epoch, error) and NULL is returned.
 */
static const redisReply *reader_reply(stream_reader *r, void *reply_, const char *request)
{
    r->inflight = 0;
    if (r->dead) {
        reader_destroy(r);
        return NULL;
    }
    const redisReply *reply = reply_;
    if (reply == NULL || r->req_epoch != r->epoch) {
        /* Lost with its connection (the link reports that), or asked
         * before a restart: nothing to hand over, maybe read again. */
        r->ready(0, r->arg);
        return NULL;
    }
    /* BUSYGROUP answers XGROUP CREATE: the group exists, as good as made. */
    if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "BUSYGROUP", 9) != 0) {
        if (strncmp(reply->str, "NOGROUP", 7) == 0) {
            sla_warning("%s: %s: consumer group gone (%s); creating it again", r->what, request,
                        reply->str);
            r->group_ok = 0;
            reader_restart_pending(r);
            r->ready(0, r->arg);
        } else {
            sla_err("%s: %s: %s; retrying in %d ms", r->what, request, reply->str,
                    READER_RETRY_MS);
            reader_arm(r->retry_timer, READER_RETRY_MS);
        }
        return NULL;
    }
    return reply;
}

static void reader_on_group(redisAsyncContext *ac, void *reply_, void *privdata)
{
    stream_reader *r = privdata;
    if (reader_reply(r, reply_, "XGROUP CREATE") == NULL)
        return;
    r->group_ok = 1;
    if (!r->joined_once)
        sla_info("%s: reading %s as %s/%s", r->what, r->stream, r->group, r->consumer);
    else
        sla_debug("%s: joined %s/%s again", r->what, r->group, r->consumer);
    r->joined_once = 1;
    r->ready(1, r->arg);
}

static void reader_on_read(redisAsyncContext *ac, void *reply_, void *privdata)
{
    stream_reader *r = privdata;
    if (!r->dead)
        evtimer_del(r->guard_timer);
    const redisReply *reply = reader_reply(r, reply_, "XREADGROUP");
    if (reply == NULL)
        return;
    /* Nil: BLOCK timed out with nothing new. */
    const redisReply *entries = NULL;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
        reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2 &&
        reply->element[0]->element[1]->type == REDIS_REPLY_ARRAY)
        entries = reply->element[0]->element[1];
    /* A read of new entries that brought fewer than it asked for (none:
     * nil or an empty list) saw the end of the stream when Redis ran it. */
    if (r->req_new)
        r->at_end = entries == NULL || entries->elements < r->req_count;
    if (entries == NULL || entries->elements == 0) {
        if (r->pending_phase && entries != NULL) {
            r->pending_phase = 0;
            sla_debug("%s: own pending entries done", r->what);
        }
        r->ready(0, r->arg);
        return;
    }
    if (r->pending_phase) {
        const redisReply *last = entries->element[entries->elements - 1];
        if (last->type != REDIS_REPLY_ARRAY || last->elements < 1 ||
            !reader_copy_id(last->element[0], r->pending_from))
            r->pending_phase = 0; /* cannot continue past it: go on with new entries */
    }
    r->batch(entries, 0, r->arg);
}

static void reader_claim_unheld(stream_reader *r, const redisReply *ids);
static int reader_send_lens(stream_reader *r, redis_link *link, redisCallbackFn *fn, int argc,
                            const char **argv, const size_t *lens);

static void reader_on_claim(redisAsyncContext *ac, void *reply_, void *privdata)
{
    stream_reader *r = privdata;
    const redisReply *reply = reply_;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        r->claim_due = 0; /* the next round of the timer tries again */
    reply = reader_reply(r, reply_, "XAUTOCLAIM");
    if (reply == NULL)
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
        !reader_copy_id(reply->element[0], r->claim_cursor) ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        sla_err("%s: XAUTOCLAIM: unexpected reply", r->what);
        r->claim_due = 0;
        r->ready(0, r->arg);
        return;
    }
    if (strcmp(r->claim_cursor, "0-0") == 0)
        r->claim_due = 0;
    const redisReply *entries = reply->element[1];
    if (r->held) {
        reader_claim_unheld(r, entries);
        return;
    }
    if (entries->elements == 0) {
        r->ready(0, r->arg);
        return;
    }
    sla_info("%s: took over %zu pending entries idle for more than %d ms", r->what,
             entries->elements, r->claim_idle_ms);
    r->batch(entries, 1, r->arg);
}

/* The entries of a JUSTID claim that the owner does not hold, in full. */
static void reader_on_claimed(redisAsyncContext *ac, void *reply_, void *privdata)
{
    stream_reader *r = privdata;
    const redisReply *reply = reader_reply(r, reply_, "XCLAIM");
    if (reply == NULL)
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        r->ready(0, r->arg);
        return;
    }
    sla_info("%s: took over %zu pending entries idle for more than %d ms", r->what,
             reply->elements, r->claim_idle_ms);
    r->batch(reply, 1, r->arg);
}

/*
 * ids: the ids a JUSTID claim made this consumer's. Those the owner holds
 * are left as they are (pending, its own); the others are fetched with
 * one XCLAIM at idle 0 (they are this consumer's already, so it takes
 * them whatever their idle time; an entry deleted since is not returned).
 */
static void reader_claim_unheld(stream_reader *r, const redisReply *ids)
{
    size_t n = 0;
    for (size_t i = 0; i < ids->elements; i++)
        if (ids->element[i]->type == REDIS_REPLY_STRING && !r->held(ids->element[i]->str, r->arg))
            n++;
    if (n == 0) {
        r->ready(0, r->arg);
        return;
    }
    const char **argv = malloc((n + 5) * sizeof *argv);
    size_t *lens = malloc((n + 5) * sizeof *lens);
    int sent = 0;
    if (argv && lens) {
        const char *head[] = {"XCLAIM", r->stream, r->group, r->consumer, "0"};
        for (int i = 0; i < 5; i++) {
            argv[i] = head[i];
            lens[i] = strlen(head[i]);
        }
        size_t k = 5;
        for (size_t i = 0; i < ids->elements; i++)
            if (ids->element[i]->type == REDIS_REPLY_STRING &&
                !r->held(ids->element[i]->str, r->arg)) {
                argv[k] = ids->element[i]->str;
                lens[k++] = ids->element[i]->len;
            }
        sent = reader_send_lens(r, r->claim_link, reader_on_claimed, (int)k, argv, lens);
    }
    free(argv);
    free(lens);
    if (!sent) {
        /* Left pending as this consumer's: the next round takes them. */
        r->claim_due = 0;
        r->ready(0, r->arg);
    }
}

static int reader_send_lens(stream_reader *r, redis_link *link, redisCallbackFn *fn, int argc,
                            const char **argv, const size_t *lens)
{
    if (redis_link_command(link, fn, r, argc, argv, lens) < 0)
        return 0;
    r->inflight = 1;
    r->req_new = 0;
    r->req_epoch = r->epoch;
    redis_link_flush(link);
    return 1;
}

static int reader_send(stream_reader *r, redis_link *link, redisCallbackFn *fn, int argc,
                       const char **argv)
{
    size_t lens[16];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return reader_send_lens(r, link, fn, argc, argv, lens);
}

int stream_reader_read(stream_reader *r, size_t count)
{
    if (r->dead)
        return 0;
    if (r->inflight)
        return 1;
    if (!redis_link_is_up(r->link) || evtimer_pending(r->retry_timer, NULL))
        return 0;
    char n[24];
    snprintf(n, sizeof n, "%zu", count > 0 ? count : 1);
    if (!r->group_ok) {
        const char *argv[] = {"XGROUP", "CREATE", r->stream, r->group, "0", "MKSTREAM"};
        return reader_send(r, r->link, reader_on_group, 6, argv);
    }
    if (r->claim_due && redis_link_is_up(r->claim_link)) {
        const char *argv[] = {"XAUTOCLAIM", r->stream, r->group, r->consumer,
                              r->claim_idle, r->claim_cursor, "COUNT", n, "JUSTID"};
        return reader_send(r, r->claim_link, reader_on_claim, r->held ? 9 : 8, argv);
    }
    if (r->pending_phase) {
        const char *argv[] = {"XREADGROUP", "GROUP", r->group, r->consumer, "COUNT", n,
                              "STREAMS", r->stream, r->pending_from};
        return reader_send(r, r->link, reader_on_read, 9, argv);
    }
    /* Until a read has found the end of the stream, do not block: an
     * empty answer then says at once that the reader caught up. */
    if (!r->at_end) {
        const char *argv[] = {"XREADGROUP", "GROUP", r->group, r->consumer, "COUNT", n,
                              "STREAMS", r->stream, ">"};
        if (!reader_send(r, r->link, reader_on_read, 9, argv))
            return 0;
    } else {
        const char *argv[] = {"XREADGROUP", "GROUP", r->group, r->consumer, "COUNT", n,
                              "BLOCK", r->block, "STREAMS", r->stream, ">"};
        if (!reader_send(r, r->link, reader_on_read, 11, argv))
            return 0;
        reader_arm(r->guard_timer, r->block_ms + READER_GUARD_EXTRA_MS);
    }
    r->req_new = 1;
    r->req_count = count > 0 ? count : 1;
    return 1;
}

static void reader_on_guard(evutil_socket_t fd, short what, void *arg)
{
    stream_reader *r = arg;
    char why[96];
    snprintf(why, sizeof why, "no reply to XREADGROUP within %d ms",
             r->block_ms + READER_GUARD_EXTRA_MS);
    redis_link_reset(r->link, why);
}

static void reader_on_retry(evutil_socket_t fd, short what, void *arg)
{
    stream_reader *r = arg;
    r->ready(0, r->arg);
}

static void reader_on_claim_timer(evutil_socket_t fd, short what, void *arg)
{
    stream_reader *r = arg;
    if (!r->claim_due) {
        r->claim_due = 1;
        strcpy(r->claim_cursor, "0-0");
    }
    r->ready(0, r->arg);
}

int stream_reader_at_end(const stream_reader *r)
{
    return r->at_end;
}

void stream_reader_restart(stream_reader *r)
{
    r->epoch++;
    reader_restart_pending(r);
}

void stream_reader_link_down(stream_reader *r)
{
    /* Entries of a reply lost with the connection are pending for us. */
    evtimer_del(r->guard_timer);
    r->epoch++;
    r->group_ok = 0;
    reader_restart_pending(r);
}

static struct event *reader_timer(struct event_base *base, int persist, int priority,
                                  event_callback_fn fn, stream_reader *r)
{
    struct event *ev = event_new(base, -1, persist ? EV_PERSIST : 0, fn, r);
    if (ev)
        event_priority_set(ev, priority);
    return ev;
}

stream_reader *stream_reader_new(struct event_base *base, const stream_reader_config *cfg,
                                 stream_reader_batch_fn *batch, stream_reader_ready_fn *ready,
                                 void *arg)
{
    stream_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->what = strdup(cfg->what);
    r->stream = strdup(cfg->stream);
    r->group = strdup(cfg->group);
    r->consumer = strdup(cfg->consumer);
    r->link = cfg->link;
    r->claim_link = cfg->claim_link ? cfg->claim_link : cfg->link;
    r->block_ms = cfg->block_ms > 0 ? cfg->block_ms : 1000;
    r->claim_idle_ms = cfg->claim_idle_ms > 0 ? cfg->claim_idle_ms : 60000;
    snprintf(r->block, sizeof r->block, "%d", r->block_ms);
    snprintf(r->claim_idle, sizeof r->claim_idle, "%d", r->claim_idle_ms);
    r->held = cfg->held;
    r->batch = batch;
    r->ready = ready;
    r->arg = arg;
    strcpy(r->claim_cursor, "0-0");
    reader_restart_pending(r);
    r->guard_timer = reader_timer(base, 0, cfg->priority, reader_on_guard, r);
    r->retry_timer = reader_timer(base, 0, cfg->priority, reader_on_retry, r);
    r->claim_timer = reader_timer(base, 1, cfg->priority, reader_on_claim_timer, r);
    if (r->what == NULL || r->stream == NULL || r->group == NULL || r->consumer == NULL ||
        r->guard_timer == NULL || r->retry_timer == NULL || r->claim_timer == NULL) {
        reader_destroy(r);
        return NULL;
    }
    reader_arm(r->claim_timer, r->claim_idle_ms / 2 > 0 ? r->claim_idle_ms / 2 : 1);
    return r;
}

void stream_reader_free(stream_reader *r)
{
    if (r == NULL)
        return;
    r->dead = 1;
    reader_destroy(r);
}
