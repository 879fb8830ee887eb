/*
 * ingest — consumer-group reader. See ingest.h for the contract.
 *
 * One request at a time, chosen by ingest_next() in this order:
 *
 *   XGROUP CREATE <events> <group> 0 MKSTREAM     once per reader connection
 *   XAUTOCLAIM ... <cursor> COUNT <batch>          when the claim timer asked
 *   XREADGROUP ... STREAMS <events> <last id>      own pending, until empty
 *   XREADGROUP ... BLOCK <block> STREAMS <events> >
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
 * dropped is lost with it,
 * and its entries, still pending, are read again.
 *
 * Replies carry the epoch they were asked in; the epoch changes whenever
 * the engine is dropped or resumed, and a reply from an older epoch is not
 * applied (its entries stay pending and are read again from id 0).
 *
 * An entry is borrowed straight from the hiredis reply as sla_field[] and
 * parsed in place; nothing of it is kept after the reply callback except
 * what the store copies for dead letters and acknowledgements.
 */
#include "ingest.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sla_event.h"
#include "sla_log.h"
#include "sla_streamid.h"
#include "store.h"
#include "wakeup.h"

#define INGEST_GUARD_EXTRA_MS 5000
#define INGEST_RETRY_MS 1000

static struct {
    struct event_base *base;
    redis_link *reader;
    redis_link *command;
    sla_keys keys;
    char *group, *consumer;
    char batch[16], block[16], claim_idle[24];
    int block_ms, claim_idle_ms;
    sla_event_limits limits;
    ingest_joined_fn *joined_fn;
    void *joined_arg;
    int joined_once;

    sla_engine *engine;  /* borrowed; NULL while suspended */
    uintptr_t epoch;
    int stopping;
    int group_ok;        /* XGROUP CREATE done on this reader connection */
    int inflight;        /* a read, claim or group request awaits its reply */
    int uncommitted;     /* batches applied whose commit is not reported */
    int pending_phase;   /* reading own pending entries */
    char pending_from[48];
    int claim_due;
    char claim_cursor[48];

    struct event *guard_timer;
    struct event *claim_timer;
    struct event *retry_timer;

    sla_field *fields;
    size_t fields_cap;
    sla_event ev;
    ingest_stats stats;
} ing;

static void ingest_next(void);

static void ingest_arm(struct event *ev, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static void ingest_restart_pending(void)
{
    ing.pending_phase = 1;
    strcpy(ing.pending_from, "0");
}

/* --- one entry ---------------------------------------------------------- */

static int ingest_fields(const redisReply *list, size_t *n)
{
    if (list->type != REDIS_REPLY_ARRAY || list->elements % 2 != 0)
        return -1;
    size_t pairs = list->elements / 2;
    if (pairs > ing.fields_cap) {
        sla_field *f = realloc(ing.fields, pairs * sizeof *f);
        if (f == NULL)
            return -1;
        ing.fields = f;
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

/* Parse, apply or dead-letter, and stage the acknowledgement of one entry. */
static void ingest_entry(const redisReply *entry, int64_t now)
{
    ing.stats.entries++;
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 1 ||
        entry->element[0]->type != REDIS_REPLY_STRING) {
        ing.stats.broken++;
        return; /* without an id there is nothing to acknowledge */
    }
    const redisReply *idr = entry->element[0];
    sla_streamid id;
    size_t n = 0;
    if (sla_streamid_parse(idr->str, idr->len, &id) < 0 || entry->elements < 2 ||
        ingest_fields(entry->element[1], &n) < 0) {
        /* Trimmed away (nil field list) or otherwise unreadable. */
        ing.stats.broken++;
        store_stage_ack(idr->str, idr->len);
        return;
    }
    char reason[256];
    reason[0] = '\0';
    int rc = sla_event_parse(&ing.ev, ing.fields, n, (int64_t)id.ms, &ing.limits, reason,
                             sizeof reason);
    if (rc < 0) {
        ing.stats.dead++;
        if (-rc < SLA_EVERR_COUNT_)
            ing.stats.dead_by_reason[-rc]++;
        sla_debug("entry %.*s rejected: %s", (int)idr->len, idr->str, reason);
        if (store_stage_dead(idr->str, idr->len, sla_event_error_name(rc), reason, ing.fields, n) < 0) {
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

/* Apply every entry of an array reply and commit them as one batch. */
static void ingest_batch(const redisReply *entries)
{
    /* Ask for the next batch first (unless STORE_MAX_COMMITS would then
     * wait for their commits): Redis reads it while this one is applied. */
    ing.uncommitted++;
    ingest_next();
    int64_t now = wakeup_now_ms();
    for (size_t i = 0; i < entries->elements; i++)
        ingest_entry(entries->element[i], now);
    ing.stats.batches++;
    store_commit(ingest_on_committed, (void *)ing.epoch);
}

/* --- replies ------------------------------------------------------------ */

/* Common checks; returns the reply when it should be handled, else NULL. */
static const redisReply *ingest_reply(void *r, void *privdata, const char *what)
{
    ing.inflight = 0;
    const redisReply *reply = r;
    if (reply == NULL) {
        /* Connection lost: the link reports it. The other link may still
         * be usable, so carry on there. */
        ingest_next();
        return NULL;
    }
    if ((uintptr_t)privdata != ing.epoch || ing.engine == NULL || ing.stopping) {
        ingest_next();
        return NULL;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp(reply->str, "NOGROUP", 7) == 0) {
            sla_warning("%s: consumer group gone (%s); creating it again", what, reply->str);
            ing.group_ok = 0;
            ingest_restart_pending();
            ingest_next();
        } else {
            sla_err("%s: %s; retrying in %d ms", what, reply->str, INGEST_RETRY_MS);
            ingest_arm(ing.retry_timer, INGEST_RETRY_MS);
        }
        return NULL;
    }
    return reply;
}

static void ingest_on_group(redisAsyncContext *ac, void *r, void *privdata)
{
    if (ing.reader == NULL)
        return;
    ing.inflight = 0;
    redisReply *reply = r;
    if (reply == NULL)
        return;
    if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "BUSYGROUP", 9) != 0) {
        sla_err("XGROUP CREATE %s %s: %s; retrying in %d ms", ing.keys.events, ing.group,
                reply->str, INGEST_RETRY_MS);
        ingest_arm(ing.retry_timer, INGEST_RETRY_MS);
        return;
    }
    ing.group_ok = 1;
    if (!ing.joined_once) {
        ing.joined_once = 1;
        sla_info("reading %s as %s/%s", ing.keys.events, ing.group, ing.consumer);
        if (ing.joined_fn)
            ing.joined_fn(ing.joined_arg);
    }
    ingest_next();
}

static void ingest_on_read(redisAsyncContext *ac, void *r, void *privdata)
{
    if (ing.reader == NULL)
        return;
    evtimer_del(ing.guard_timer);
    const redisReply *reply = ingest_reply(r, privdata, "XREADGROUP");
    if (reply == NULL)
        return;
    /* Nil: BLOCK timed out with nothing new. */
    const redisReply *entries = NULL;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
        reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2 &&
        reply->element[0]->element[1]->type == REDIS_REPLY_ARRAY)
        entries = reply->element[0]->element[1];
    if (entries == NULL || entries->elements == 0) {
        if (ing.pending_phase && entries != NULL) {
            ing.pending_phase = 0;
            sla_debug("own pending entries done");
        }
        ingest_next();
        return;
    }
    if (ing.pending_phase) {
        const redisReply *last = entries->element[entries->elements - 1];
        if (last->type == REDIS_REPLY_ARRAY && last->elements >= 1 &&
            last->element[0]->type == REDIS_REPLY_STRING &&
            last->element[0]->len < sizeof ing.pending_from) {
            memcpy(ing.pending_from, last->element[0]->str, last->element[0]->len);
            ing.pending_from[last->element[0]->len] = '\0';
        } else {
            ing.pending_phase = 0; /* cannot continue past it: go on with new entries */
        }
    }
    ingest_batch(entries);
}

static void ingest_on_claim(redisAsyncContext *ac, void *r, void *privdata)
{
    if (ing.reader == NULL)
        return;
    const redisReply *reply = ingest_reply(r, privdata, "XAUTOCLAIM");
    if (reply == NULL) {
        ing.claim_due = 0;
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[0]->len >= sizeof ing.claim_cursor ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        sla_err("XAUTOCLAIM: unexpected reply");
        ing.claim_due = 0;
        ingest_next();
        return;
    }
    memcpy(ing.claim_cursor, reply->element[0]->str, reply->element[0]->len);
    ing.claim_cursor[reply->element[0]->len] = '\0';
    if (strcmp(ing.claim_cursor, "0-0") == 0)
        ing.claim_due = 0;
    const redisReply *entries = reply->element[1];
    if (entries->elements == 0) {
        ingest_next();
        return;
    }
    ing.stats.claimed += entries->elements;
    sla_info("took over %zu pending entries idle for more than %d ms", entries->elements,
             ing.claim_idle_ms);
    ingest_batch(entries);
}

/* --- requests ----------------------------------------------------------- */

/* Send now: ingest_batch() asks for the next batch before it applies one. */
static void ingest_send(redis_link *link, redisCallbackFn *fn, int argc, const char **argv)
{
    size_t lens[16];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (redis_link_command(link, fn, (void *)ing.epoch, argc, argv, lens) == 0) {
        ing.inflight = 1;
        redis_link_flush(link);
    }
}

static void ingest_next(void)
{
    if (ing.engine == NULL || ing.stopping || ing.inflight ||
        ing.uncommitted >= STORE_MAX_COMMITS ||
        !redis_link_is_up(ing.reader) || evtimer_pending(ing.retry_timer, NULL))
        return;
    if (!ing.group_ok) {
        const char *argv[] = {"XGROUP", "CREATE", ing.keys.events, ing.group, "0", "MKSTREAM"};
        ingest_send(ing.reader, ingest_on_group, 6, argv);
        return;
    }
    if (ing.claim_due && redis_link_is_up(ing.command)) {
        const char *argv[] = {"XAUTOCLAIM", ing.keys.events, ing.group, ing.consumer,
                              ing.claim_idle, ing.claim_cursor, "COUNT", ing.batch};
        ingest_send(ing.command, ingest_on_claim, 8, argv);
        return;
    }
    if (ing.pending_phase) {
        const char *argv[] = {"XREADGROUP", "GROUP", ing.group, ing.consumer, "COUNT",
                              ing.batch, "STREAMS", ing.keys.events, ing.pending_from};
        ingest_send(ing.reader, ingest_on_read, 9, argv);
        return;
    }
    const char *argv[] = {"XREADGROUP", "GROUP", ing.group, ing.consumer, "COUNT", ing.batch,
                          "BLOCK", ing.block, "STREAMS", ing.keys.events, ">"};
    ingest_send(ing.reader, ingest_on_read, 11, argv);
    if (ing.inflight)
        ingest_arm(ing.guard_timer, ing.block_ms + INGEST_GUARD_EXTRA_MS);
}

/* --- timers ------------------------------------------------------------- */

static void ingest_on_guard(evutil_socket_t fd, short what, void *arg)
{
    char why[96];
    snprintf(why, sizeof why, "no reply to XREADGROUP within %d ms", ing.block_ms +
             INGEST_GUARD_EXTRA_MS);
    redis_link_reset(ing.reader, why);
}

static void ingest_on_claim_timer(evutil_socket_t fd, short what, void *arg)
{
    if (!ing.claim_due) {
        ing.claim_due = 1;
        strcpy(ing.claim_cursor, "0-0");
    }
    ingest_next();
}

static void ingest_on_retry(evutil_socket_t fd, short what, void *arg)
{
    ingest_next();
}

/* --- life --------------------------------------------------------------- */

void ingest_on_link(redis_link *link, int up, void *arg)
{
    if (ing.reader == NULL)
        return;
    if (up) {
        ingest_next();
        return;
    }
    /* Entries of a reply lost with the connection are pending for us. */
    evtimer_del(ing.guard_timer);
    ing.group_ok = 0;
    ingest_restart_pending();
}

void ingest_resume(sla_engine *engine)
{
    ing.engine = engine;
    ing.epoch++;
    ing.uncommitted = 0;
    ingest_restart_pending();
    ingest_next();
}

void ingest_suspend(void)
{
    ing.engine = NULL;
    ing.epoch++;
    ing.uncommitted = 0;
}

void ingest_stop(void)
{
    ing.stopping = 1;
    evtimer_del(ing.claim_timer);
    evtimer_del(ing.retry_timer);
}

int ingest_init(struct event_base *base, redis_link *reader, redis_link *command,
                const sla_keys *keys, const sla_config *cfg, ingest_joined_fn *fn, void *arg)
{
    memset(&ing, 0, sizeof ing);
    ing.base = base;
    ing.keys = *keys;
    ing.group = strdup(cfg->stream.group);
    ing.consumer = strdup(cfg->stream.consumer);
    snprintf(ing.batch, sizeof ing.batch, "%d", cfg->stream.batch > 0 ? cfg->stream.batch : 500);
    ing.block_ms = cfg->stream.block_ms > 0 ? cfg->stream.block_ms : 2000;
    snprintf(ing.block, sizeof ing.block, "%d", ing.block_ms);
    ing.claim_idle_ms = cfg->stream.claim_idle_ms > 0 ? cfg->stream.claim_idle_ms : 60000;
    snprintf(ing.claim_idle, sizeof ing.claim_idle, "%d", ing.claim_idle_ms);
    ing.limits = cfg->stream.limits;
    ing.joined_fn = fn;
    ing.joined_arg = arg;
    strcpy(ing.claim_cursor, "0-0");
    ingest_restart_pending();
    ing.guard_timer = evtimer_new(base, ingest_on_guard, NULL);
    ing.retry_timer = evtimer_new(base, ingest_on_retry, NULL);
    ing.claim_timer = event_new(base, -1, EV_PERSIST, ingest_on_claim_timer, NULL);
    if (ing.group == NULL || ing.consumer == NULL || ing.guard_timer == NULL ||
        ing.retry_timer == NULL || ing.claim_timer == NULL)
        return -1;
    ingest_arm(ing.claim_timer, ing.claim_idle_ms / 2 > 0 ? ing.claim_idle_ms / 2 : 1);
    ing.reader = reader;
    ing.command = command;
    return 0;
}

void ingest_finish(void)
{
    ing.reader = NULL;
    ing.engine = NULL;
    ing.epoch++;
    if (ing.guard_timer)
        event_free(ing.guard_timer);
    if (ing.retry_timer)
        event_free(ing.retry_timer);
    if (ing.claim_timer)
        event_free(ing.claim_timer);
    ing.guard_timer = ing.retry_timer = ing.claim_timer = NULL;
    free(ing.fields);
    free(ing.group);
    free(ing.consumer);
    ing.fields = NULL;
    ing.group = ing.consumer = NULL;
}

void ingest_get_stats(ingest_stats *out)
{
    *out = ing.stats;
}
