/*
 * ingest — the input stream into the engine. See ingest.h for the contract.
 *
 * Reading (group, takeover, own pending entries, new ones, the guard of the
 * blocking read) is stream_reader's; this module paces it and handles the
 * entries.
 *
 * The next batch is asked for as soon as a batch arrives, before it is
 * applied, so Redis reads the next batch and commits earlier ones while
 * slad applies this one. At most STORE_MAX_COMMITS (3) batches are applied
 * and not yet durable: no read is sent while that many are. A depth of two
 * still left Redis idle while slad applied a batch (measured with
 * slabench); three keeps a read queued behind each commit. That bounds
 * memory to three batches, and "acknowledged" still means "its effects
 * are in Redis": the XACK of an entry is in the transaction that stores
 * its effects. A batch applied but not committed when the engine is
 * dropped is lost with it, and its entries, still pending, are read again:
 * dropping the engine restarts the reader, so replies still in flight are
 * not applied and own pending entries are read from the start.
 *
 * The watermark (sla_watermark.h): the engine fires a deadline only once
 * every entry that reached Redis before it has been applied. After each
 * batch the store learns the last entry applied in stream order (entries
 * taken over from another consumer do not count). When a flush leaves
 * something due beyond that, the store calls ingest_on_behind(), and once
 * the reader's last read found the end of the stream, ingest asks Redis
 * (XINFO GROUPS on the command link) whether anything is unread: when the
 * group has no entry left to deliver (lag 0) and everything delivered has
 * been applied (the last applied id is at least the group's last
 * delivered id, or nothing is pending at all), the request's sending time
 * is confirmed and the store flushes again. So an idle or caught-up slad
 * fires one round trip after a deadline, and a slad that was paused, or
 * whose Redis froze, fires nothing until Redis answers. One such request
 * is in flight at most; an answer that confirms nothing is asked again
 * after PROBE_RETRY_MS while something stays due.
 *
 * An entry is borrowed straight from the hiredis reply as sla_field[] and
 * parsed in place; nothing of it is kept after the reply callback except
 * what the store copies for dead letters and acknowledgements. A dead
 * letter copies a bounded excerpt (sla_deadletter.h), never an oversize
 * value whole; the size checks of sla_event_parse come before any work
 * per byte of a value.
 */
#include "ingest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "priority.h"
#include "sla_deadletter.h"
#include "sla_event.h"
#include "sla_log.h"
#include "sla_streamid.h"
#include "store.h"
#include "stream_reader.h"
#include "wakeup.h"

#define PROBE_RETRY_MS 5

struct ingest {
    stream_reader *reader;
    redis_link *command;
    store *store;        /* borrowed */
    char *events, *group;
    size_t batch;
    sla_event_limits limits;
    ingest_joined_fn *joined_fn;
    void *joined_arg;
    int joined_once;

    sla_engine *engine;  /* borrowed; NULL while suspended */
    uintptr_t epoch;     /* of commits: changes when the engine does */
    int stopping;
    int uncommitted;     /* batches applied whose commit is not reported */
    sla_streamid applied; /* the last entry applied in stream order to this engine */
    int have_applied;
    int probing;         /* an XINFO GROUPS is in flight */
    int lag_unknown_logged;
    int64_t probe_sent_ms;
    struct event *probe_retry;

    sla_field *fields;
    sla_field *dead_fields; /* what a dead letter keeps of fields */
    size_t fields_cap;      /* of both */
    sla_event ev;
    unsigned tags_out;   /* replies and commits still to report (ingest_tag) */
    int freed;           /* ingest_free() ran; released with the last of them */
};

/* The counters of every ingest of the process (metrics are per process). */
static ingest_stats ingest_totals;

static void ingest_next(ingest *ing);
static void ingest_release(ingest *ing);

/* A commit's or a probe's privdata: its ingest and the epoch it was made in. */
typedef struct ingest_tag {
    ingest *ing;
    uintptr_t epoch;
} ingest_tag;

static ingest_tag *ingest_tag_new(ingest *ing)
{
    ingest_tag *t = malloc(sizeof *t);
    if (t) {
        t->ing = ing;
        t->epoch = ing->epoch;
        ing->tags_out++;
    }
    return t;
}

/* The tag's ingest when it was made in the current epoch, else NULL; the
 * tag is freed (and an ingest freed meanwhile, with its last tag). */
static ingest *ingest_tag_take(void *arg)
{
    ingest_tag *t = arg;
    ingest *ing = t->ing;
    uintptr_t epoch = t->epoch;
    free(t);
    ing->tags_out--;
    if (ing->freed) {
        if (ing->tags_out == 0)
            ingest_release(ing);
        return NULL;
    }
    return epoch == ing->epoch ? ing : NULL;
}

static void ingest_tag_drop(ingest_tag *t)
{
    t->ing->tags_out--;
    free(t);
}

/* --- one entry ---------------------------------------------------------- */

/*
 * The entry's field list as sla_field[] in ing->fields: at most one pair
 * more than stream.max_fields is looked at (enough to refuse the entry as
 * too_many_fields), so an entry of a million fields costs no more than
 * one at the limit. *n is the number filled, *total the entry's count.
 */
static int ingest_fields(ingest *ing, const redisReply *list, size_t *n, size_t *total)
{
    if (list->type != REDIS_REPLY_ARRAY || list->elements % 2 != 0)
        return -1;
    *total = list->elements / 2;
    size_t look = ing->limits.max_fields < SLA_EVENT_MAX_FIELDS ? ing->limits.max_fields
                                                               : SLA_EVENT_MAX_FIELDS;
    size_t pairs = *total <= look ? *total : look + 1;
    if (pairs > ing->fields_cap) {
        sla_field *f = realloc(ing->fields, pairs * sizeof *f);
        sla_field *d = f ? realloc(ing->dead_fields, pairs * sizeof *d) : NULL;
        if (f)
            ing->fields = f;
        if (d == NULL)
            return -1;
        ing->dead_fields = d;
        ing->fields_cap = pairs;
    }
    for (size_t i = 0; i < pairs; i++) {
        const redisReply *k = list->element[2 * i], *v = list->element[2 * i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            return -1;
        ing->fields[i] = (sla_field){k->str, (size_t)k->len, v->str, (size_t)v->len};
    }
    *n = pairs;
    return 0;
}

/*
 * Parse, apply or dead-letter, and stage the acknowledgement of one entry.
 * *last is set to its id when it has one.
 */
static void ingest_entry(ingest *ing, const redisReply *entry, int64_t now, sla_streamid *last,
                         int *have_last)
{
    ingest_totals.entries++;
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 1 ||
        entry->element[0]->type != REDIS_REPLY_STRING) {
        ingest_totals.broken++;
        return; /* without an id there is nothing to acknowledge */
    }
    const redisReply *idr = entry->element[0];
    sla_streamid id;
    size_t n = 0, total = 0;
    if (sla_streamid_parse(idr->str, idr->len, &id) < 0 || entry->elements < 2 ||
        ingest_fields(ing, entry->element[1], &n, &total) < 0) {
        /* Trimmed away (nil field list) or otherwise unreadable. */
        ingest_totals.broken++;
        store_stage_ack(ing->store, idr->str, idr->len);
        if (sla_streamid_parse(idr->str, idr->len, &id) == 0) {
            *last = id;
            *have_last = 1;
        }
        return;
    }
    *last = id;
    *have_last = 1;
    char reason[256];
    reason[0] = '\0';
    int rc = sla_event_parse(&ing->ev, ing->fields, n, (int64_t)id.ms, &ing->limits, reason,
                             sizeof reason);
    if (rc == SLA_EVERR_TOO_MANY_FIELDS && total > n)
        snprintf(reason, sizeof reason, "entry has %zu fields, limit is %zu", total,
                 ing->limits.max_fields);
    if (rc < 0) {
        ingest_totals.dead++;
        if (-rc < SLA_EVERR_COUNT_)
            ingest_totals.dead_by_reason[-rc]++;
        sla_debug("entry %.*s rejected: %s", (int)idr->len, idr->str, reason);
        /* Never the entry whole: an oversize value is kept as an excerpt. */
        char note[SLA_DEAD_NOTE_SIZE];
        size_t nd = sla_dead_excerpt(ing->fields, n, total, &ing->limits, ing->dead_fields, note,
                                     sizeof note);
        if (store_stage_dead(ing->store, idr->str, idr->len, sla_event_error_name(rc), reason,
                             note, ing->dead_fields, nd) < 0) {
            sla_err("out of memory staging dead letter %.*s; left pending", (int)idr->len, idr->str);
            return;
        }
    } else {
        ingest_totals.by_type[ing->ev.type]++;
        switch (sla_engine_apply(ing->engine, &ing->ev, &id, now)) {
        case SLA_APPLIED: ingest_totals.applied++; break;
        case SLA_APPLY_DUPLICATE: ingest_totals.duplicates++; break;
        case SLA_APPLY_UNKNOWN_TICKET: ingest_totals.unknown_ticket++; break;
        default: break;
        }
    }
    if (store_stage_ack(ing->store, idr->str, idr->len) < 0)
        sla_err("out of memory staging ack of %.*s; left pending", (int)idr->len, idr->str);
}

static void ingest_on_committed(int ok, void *arg)
{
    ingest *ing = ingest_tag_take(arg);
    if (ing == NULL)
        return;
    ing->uncommitted--;
    if (ok)
        ingest_next(ing);
    /* else: the store drops the engine; ingest_resume() restarts reading. */
}

/* A commit whose tag could not be made: nothing follows it (the reads
 * stop, as STORE_MAX_COMMITS would stop them, until the next resume). */
static void ingest_on_committed_untagged(int ok, void *arg)
{
}

/* The reader's batch: apply every entry and commit them together. */
static void ingest_on_batch(const redisReply *entries, int claimed, void *arg)
{
    ingest *ing = arg;
    if (ing->engine == NULL || ing->stopping) {
        stream_reader_restart(ing->reader); /* left pending: read them again */
        return;
    }
    if (claimed)
        ingest_totals.claimed += entries->elements;
    /* Ask for the next batch first (unless STORE_MAX_COMMITS would then
     * wait for their commits): Redis reads it while this one is applied. */
    ing->uncommitted++;
    ingest_next(ing);
    int64_t now = wakeup_now_ms();
    sla_streamid last;
    int have_last = 0;
    for (size_t i = 0; i < entries->elements; i++)
        ingest_entry(ing, entries->element[i], now, &last, &have_last);
    ingest_totals.batches++;
    /* Taken-over entries are older than the stream position: they say
     * nothing of what else reached Redis. */
    if (have_last && !claimed) {
        store_input_applied(ing->store, &last);
        if (!ing->have_applied || sla_streamid_cmp(&last, &ing->applied) > 0)
            ing->applied = last;
        ing->have_applied = 1;
    }
    ingest_tag *t = ingest_tag_new(ing);
    if (t == NULL) {
        /* Staged but not committed: the engine is ahead of Redis now. */
        sla_err("out of memory committing a batch");
        store_commit(ing->store, ingest_on_committed_untagged, NULL);
        return;
    }
    store_commit(ing->store, ingest_on_committed, t);
}

static void ingest_on_ready(int joined, void *arg)
{
    ingest *ing = arg;
    if (joined && !ing->joined_once) {
        ing->joined_once = 1;
        if (ing->joined_fn)
            ing->joined_fn(ing->joined_arg);
    }
    /* A read that found the end: what is due may be confirmed now. */
    if (ing->engine && stream_reader_at_end(ing->reader))
        store_tick(ing->store);
    ingest_next(ing);
}

/* --- the position probe ------------------------------------------------ */

/* The group `name` in an XINFO GROUPS reply: its lag (-1 unknown), pending
 * count and last delivered id. Returns 0, or -1 when it is not there. */
static int probe_parse(const redisReply *r, const char *name, long long *lag,
                       long long *pending, sla_streamid *last)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return -1;
    for (size_t g = 0; g < r->elements; g++) {
        const redisReply *grp = r->element[g];
        if (grp->type != REDIS_REPLY_ARRAY)
            continue;
        int named = 0, have_last = 0;
        *lag = -1;
        *pending = -1;
        for (size_t i = 0; i + 1 < grp->elements; i += 2) {
            const redisReply *k = grp->element[i], *v = grp->element[i + 1];
            if (k->type != REDIS_REPLY_STRING)
                continue;
            if (strcmp(k->str, "name") == 0)
                named = v->type == REDIS_REPLY_STRING && strcmp(v->str, name) == 0;
            else if (strcmp(k->str, "lag") == 0 && v->type == REDIS_REPLY_INTEGER)
                *lag = v->integer;
            else if (strcmp(k->str, "pending") == 0 && v->type == REDIS_REPLY_INTEGER)
                *pending = v->integer;
            else if (strcmp(k->str, "last-delivered-id") == 0 && v->type == REDIS_REPLY_STRING)
                have_last = sla_streamid_parse(v->str, (size_t)v->len, last) == 0;
        }
        if (named)
            return have_last && *pending >= 0 ? 0 : -1;
    }
    return -1;
}

static void ingest_on_probe(redisAsyncContext *ac, void *reply, void *privdata)
{
    ingest_tag *t = privdata;
    ingest *owner = t->ing;
    if (!owner->freed)
        owner->probing = 0;
    ingest *ing = ingest_tag_take(t);
    if (ing == NULL || ing->engine == NULL || reply == NULL)
        return; /* a newer engine or a lost link: its own flushes ask again */
    long long lag = 0, pending = -1;
    sla_streamid delivered;
    int parsed = probe_parse(reply, ing->group, &lag, &pending, &delivered) == 0;
    if (parsed && lag == 0 &&
        (pending == 0 ||
         (ing->have_applied && sla_streamid_cmp(&ing->applied, &delivered) >= 0))) {
        /* Nothing reached the stream before the request that is not applied. */
        store_input_confirmed(ing->store, ing->probe_sent_ms);
        store_tick(ing->store);
        return;
    }
    if (parsed && lag < 0 && !ing->lag_unknown_logged) {
        sla_warning("ingest: redis cannot tell the lag of group %s (entries deleted with XDEL?); "
                    "deadlines fire as the entries before them are read", ing->group);
        ing->lag_unknown_logged = 1;
    }
    /* Entries on their way, a commit not yet acknowledged, or a lag Redis
     * cannot tell: ask again shortly while something stays due. */
    struct timeval tv = {0, PROBE_RETRY_MS * 1000};
    evtimer_add(ing->probe_retry, &tv);
}

static void ingest_on_probe_retry(evutil_socket_t fd, short what, void *arg)
{
    ingest *ing = arg;
    store_tick(ing->store); /* flushes; if still held back, ingest_on_behind asks */
}

/* The store's behind function: something is due beyond the horizon. */
static void ingest_on_behind(void *arg)
{
    ingest *ing = arg;
    /* Until a read found the end of the stream, batches move the horizon. */
    if (ing->engine == NULL || ing->stopping || ing->probing || ing->reader == NULL ||
        !stream_reader_at_end(ing->reader) || evtimer_pending(ing->probe_retry, NULL) ||
        !redis_link_is_up(ing->command))
        return;
    const char *argv[] = {"XINFO", "GROUPS", ing->events};
    size_t lens[] = {5, 6, strlen(ing->events)};
    ing->probe_sent_ms = wakeup_now_ms();
    ingest_tag *t = ingest_tag_new(ing);
    if (t == NULL)
        return;
    if (redis_link_command(ing->command, ingest_on_probe, t, 3, argv, lens) < 0) {
        ingest_tag_drop(t);
        return;
    }
    ing->probing = 1;
    redis_link_flush(ing->command);
}

static void ingest_next(ingest *ing)
{
    if (ing->reader == NULL || ing->engine == NULL || ing->stopping ||
        ing->uncommitted >= STORE_MAX_COMMITS)
        return;
    stream_reader_read(ing->reader, ing->batch);
}

/* --- life --------------------------------------------------------------- */

void ingest_on_link(ingest *ing, int up)
{
    if (ing->reader == NULL)
        return;
    if (up) {
        ingest_next(ing);
    } else {
        stream_reader_link_down(ing->reader);
    }
}

void ingest_resume(ingest *ing, sla_engine *engine)
{
    ing->engine = engine;
    ing->epoch++;
    ing->uncommitted = 0;
    ing->have_applied = 0;
    if (ing->reader)
        stream_reader_restart(ing->reader);
    ingest_next(ing);
}

void ingest_suspend(ingest *ing)
{
    ing->engine = NULL;
    ing->epoch++;
    ing->uncommitted = 0;
    ing->have_applied = 0;
    if (ing->reader)
        stream_reader_restart(ing->reader);
}

void ingest_stop(ingest *ing)
{
    ing->stopping = 1;
    if (ing->reader)
        stream_reader_restart(ing->reader); /* replies in flight stay pending */
}

ingest *ingest_new(struct event_base *base, redis_link *reader, redis_link *command,
                   store *st, const sla_keys *keys, const sla_config *cfg,
                   ingest_joined_fn *fn, void *arg)
{
    ingest *ing = calloc(1, sizeof *ing);
    if (ing == NULL)
        return NULL;
    ing->command = command;
    ing->store = st;
    ing->events = strdup(keys->events);
    ing->group = strdup(cfg->stream.group);
    ing->probe_retry = evtimer_new(base, ingest_on_probe_retry, ing);
    if (ing->events == NULL || ing->group == NULL || ing->probe_retry == NULL) {
        ingest_free(ing);
        return NULL;
    }
    event_priority_set(ing->probe_retry, SLAD_PRIORITY_NORMAL);
    store_on_behind(ing->store, ingest_on_behind, ing);
    ing->batch = cfg->stream.batch > 0 ? (size_t)cfg->stream.batch : 500;
    ing->limits = cfg->stream.limits;
    ing->joined_fn = fn;
    ing->joined_arg = arg;
    stream_reader_config rc = {
        .what = "ingest",
        .stream = keys->events,
        .group = cfg->stream.group,
        .consumer = cfg->stream.consumer,
        .link = reader,
        .claim_link = command, /* the reader link may be in a blocking read */
        .block_ms = cfg->stream.block_ms > 0 ? cfg->stream.block_ms : 2000,
        .claim_idle_ms = cfg->stream.claim_idle_ms > 0 ? cfg->stream.claim_idle_ms : 60000,
        .priority = SLAD_PRIORITY_NORMAL,
    };
    ing->reader = stream_reader_new(base, &rc, ingest_on_batch, ingest_on_ready, ing);
    if (ing->reader == NULL) {
        ingest_free(ing);
        return NULL;
    }
    return ing;
}

/* The memory itself, once no commit or reply refers to it. */
static void ingest_release(ingest *ing)
{
    free(ing);
}

void ingest_free(ingest *ing)
{
    if (ing == NULL)
        return;
    if (ing->store)
        store_on_behind(ing->store, NULL, NULL);
    if (ing->probe_retry)
        event_free(ing->probe_retry);
    ing->probe_retry = NULL;
    free(ing->events);
    free(ing->group);
    ing->events = ing->group = NULL;
    stream_reader_free(ing->reader);
    ing->reader = NULL;
    ing->engine = NULL;
    ing->epoch++;
    free(ing->fields);
    free(ing->dead_fields);
    ing->fields = NULL;
    ing->dead_fields = NULL;
    ing->freed = 1;
    if (ing->tags_out == 0)
        ingest_release(ing);
}

void ingest_get_stats(ingest_stats *out)
{
    *out = ingest_totals;
}
