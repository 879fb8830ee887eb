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
 * The watermark: after each batch the store learns the last entry applied
 * in stream order and whether the reader found the end of the stream
 * (store_input_progress, sla_watermark.h), so that the engine fires a
 * deadline only once every entry that reached Redis before it has been
 * applied. Entries taken over from another consumer do not move it; a
 * restart or a lost reader connection stops the engine following the wall
 * clock until a read finds the end again.
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

static struct {
    stream_reader *reader;
    size_t batch;
    sla_event_limits limits;
    ingest_joined_fn *joined_fn;
    void *joined_arg;
    int joined_once;

    sla_engine *engine;  /* borrowed; NULL while suspended */
    uintptr_t epoch;     /* of commits: changes when the engine does */
    int stopping;
    int uncommitted;     /* batches applied whose commit is not reported */

    sla_field *fields;
    sla_field *dead_fields; /* what a dead letter keeps of fields */
    size_t fields_cap;      /* of both */
    sla_event ev;
    ingest_stats stats;
} ing;

static void ingest_next(void);
static void ingest_report_position(void);

/* --- one entry ---------------------------------------------------------- */

/*
 * The entry's field list as sla_field[] in ing.fields: at most one pair
 * more than stream.max_fields is looked at (enough to refuse the entry as
 * too_many_fields), so an entry of a million fields costs no more than
 * one at the limit. *n is the number filled, *total the entry's count.
 */
static int ingest_fields(const redisReply *list, size_t *n, size_t *total)
{
    if (list->type != REDIS_REPLY_ARRAY || list->elements % 2 != 0)
        return -1;
    *total = list->elements / 2;
    size_t look = ing.limits.max_fields < SLA_EVENT_MAX_FIELDS ? ing.limits.max_fields
                                                               : SLA_EVENT_MAX_FIELDS;
    size_t pairs = *total <= look ? *total : look + 1;
    if (pairs > ing.fields_cap) {
        sla_field *f = realloc(ing.fields, pairs * sizeof *f);
        sla_field *d = f ? realloc(ing.dead_fields, pairs * sizeof *d) : NULL;
        if (f)
            ing.fields = f;
        if (d == NULL)
            return -1;
        ing.dead_fields = d;
        ing.fields_cap = pairs;
    }
    for (size_t i = 0; i < pairs; i++) {
        const redisReply *k = list->element[2 * i], *v = list->element[2 * i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            return -1;
        ing.fields[i] = (sla_field){k->str, (size_t)k->len, v->str, (size_t)v->len};
    }
    *n = pairs;
    return 0;
}

/*
 * Parse, apply or dead-letter, and stage the acknowledgement of one entry.
 * *last is set to its id when it has one.
 */
static void ingest_entry(const redisReply *entry, int64_t now, sla_streamid *last, int *have_last)
{
    ing.stats.entries++;
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 1 ||
        entry->element[0]->type != REDIS_REPLY_STRING) {
        ing.stats.broken++;
        return; /* without an id there is nothing to acknowledge */
    }
    const redisReply *idr = entry->element[0];
    sla_streamid id;
    size_t n = 0, total = 0;
    if (sla_streamid_parse(idr->str, idr->len, &id) < 0 || entry->elements < 2 ||
        ingest_fields(entry->element[1], &n, &total) < 0) {
        /* Trimmed away (nil field list) or otherwise unreadable. */
        ing.stats.broken++;
        store_stage_ack(idr->str, idr->len);
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
    int rc = sla_event_parse(&ing.ev, ing.fields, n, (int64_t)id.ms, &ing.limits, reason,
                             sizeof reason);
    if (rc == SLA_EVERR_TOO_MANY_FIELDS && total > n)
        snprintf(reason, sizeof reason, "entry has %zu fields, limit is %zu", total,
                 ing.limits.max_fields);
    if (rc < 0) {
        ing.stats.dead++;
        if (-rc < SLA_EVERR_COUNT_)
            ing.stats.dead_by_reason[-rc]++;
        sla_debug("entry %.*s rejected: %s", (int)idr->len, idr->str, reason);
        /* Never the entry whole: an oversize value is kept as an excerpt. */
        char note[SLA_DEAD_NOTE_SIZE];
        size_t nd = sla_dead_excerpt(ing.fields, n, total, &ing.limits, ing.dead_fields, note,
                                     sizeof note);
        if (store_stage_dead(idr->str, idr->len, sla_event_error_name(rc), reason, note,
                             ing.dead_fields, nd) < 0) {
            sla_err("out of memory staging dead letter %.*s; left pending", (int)idr->len, idr->str);
            return;
        }
    } else {
        ing.stats.by_type[ing.ev.type]++;
        switch (sla_engine_apply(ing.engine, &ing.ev, &id, now)) {
        case SLA_APPLIED: ing.stats.applied++; break;
        case SLA_APPLY_DUPLICATE: ing.stats.duplicates++; break;
        case SLA_APPLY_UNKNOWN_TICKET: ing.stats.unknown_ticket++; break;
        default: break;
        }
    }
    if (store_stage_ack(idr->str, idr->len) < 0)
        sla_err("out of memory staging ack of %.*s; left pending", (int)idr->len, idr->str);
}

static void ingest_on_committed(int ok, void *arg)
{
    if ((uintptr_t)arg != ing.epoch)
        return;
    ing.uncommitted--;
    if (ok)
        ingest_next();
    /* else: the store drops the engine; ingest_resume() restarts reading. */
}

/* The reader's batch: apply every entry and commit them together. */
static void ingest_on_batch(const redisReply *entries, int claimed, void *arg)
{
    if (ing.engine == NULL || ing.stopping) {
        stream_reader_restart(ing.reader); /* left pending: read them again */
        ingest_report_position();
        return;
    }
    if (claimed)
        ing.stats.claimed += entries->elements;
    /* Ask for the next batch first (unless STORE_MAX_COMMITS would then
     * wait for their commits): Redis reads it while this one is applied. */
    ing.uncommitted++;
    ingest_next();
    int64_t now = wakeup_now_ms();
    sla_streamid last;
    int have_last = 0;
    for (size_t i = 0; i < entries->elements; i++)
        ingest_entry(entries->element[i], now, &last, &have_last);
    ing.stats.batches++;
    /* Taken-over entries are older than the stream position: they say
     * nothing of what else reached Redis. */
    store_input_progress(have_last && !claimed ? &last : NULL, stream_reader_at_end(ing.reader));
    store_commit(ingest_on_committed, (void *)ing.epoch);
}

/* The reader's state as the store's watermark sees it; a read that found
 * the end with nothing new lets the engine follow the wall clock now. */
static void ingest_report_position(void)
{
    int64_t horizon;
    int was_at_end, at_end = ing.reader && stream_reader_at_end(ing.reader);
    store_get_input(&horizon, &was_at_end);
    store_input_progress(NULL, at_end);
    if (at_end && !was_at_end && ing.engine)
        store_tick(NULL);
}

static void ingest_on_ready(int joined, void *arg)
{
    if (joined && !ing.joined_once) {
        ing.joined_once = 1;
        if (ing.joined_fn)
            ing.joined_fn(ing.joined_arg);
    }
    ingest_report_position();
    ingest_next();
}

static void ingest_next(void)
{
    if (ing.reader == NULL || ing.engine == NULL || ing.stopping ||
        ing.uncommitted >= STORE_MAX_COMMITS)
        return;
    stream_reader_read(ing.reader, ing.batch);
}

/* --- life --------------------------------------------------------------- */

void ingest_on_link(redis_link *link, int up, void *arg)
{
    if (ing.reader == NULL)
        return;
    if (up) {
        ingest_next();
    } else {
        stream_reader_link_down(ing.reader);
        ingest_report_position();
    }
}

void ingest_resume(sla_engine *engine)
{
    ing.engine = engine;
    ing.epoch++;
    ing.uncommitted = 0;
    if (ing.reader)
        stream_reader_restart(ing.reader);
    ingest_report_position();
    ingest_next();
}

void ingest_suspend(void)
{
    ing.engine = NULL;
    ing.epoch++;
    ing.uncommitted = 0;
    if (ing.reader)
        stream_reader_restart(ing.reader);
    ingest_report_position();
}

void ingest_stop(void)
{
    ing.stopping = 1;
    if (ing.reader)
        stream_reader_restart(ing.reader); /* replies in flight stay pending */
}

int ingest_init(struct event_base *base, redis_link *reader, redis_link *command,
                const sla_keys *keys, const sla_config *cfg, ingest_joined_fn *fn, void *arg)
{
    memset(&ing, 0, sizeof ing);
    ing.batch = cfg->stream.batch > 0 ? (size_t)cfg->stream.batch : 500;
    ing.limits = cfg->stream.limits;
    ing.joined_fn = fn;
    ing.joined_arg = arg;
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
    ing.reader = stream_reader_new(base, &rc, ingest_on_batch, ingest_on_ready, NULL);
    return ing.reader ? 0 : -1;
}

void ingest_finish(void)
{
    stream_reader_free(ing.reader);
    ing.reader = NULL;
    ing.engine = NULL;
    ing.epoch++;
    free(ing.fields);
    free(ing.dead_fields);
    ing.fields = NULL;
    ing.dead_fields = NULL;
}

void ingest_get_stats(ingest_stats *out)
{
    *out = ing.stats;
}
