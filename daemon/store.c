/*
 * store — engine state in Redis and the durability transaction.
 * See store.h for the contract.
 *
 *            command link up
 *   (none) -----------------> LOADING --HSCAN cursor 0--> READY
 *      ^                                                   |
 *      |  reload timer (link up)     EXEC failed, or link  |
 *      +--------------------------- lost mid-transaction --+
 *
 * Replies are matched to the store's current life by a generation number
 * passed as privdata: a reply that belongs to an engine already dropped is
 * ignored, so a late EXEC or HSCAN page can never touch a newer engine.
 *
 * Order inside the transaction: HDEL before HSET, because one batch may
 * close a ticket and open it again under the same id; the engine then
 * reports it both removed and changed, and the later state must win.
 *
 * Memory is bounded by the batch: the caller stages one batch of entries
 * before each commit and keeps at most STORE_MAX_COMMITS unreported, and
 * the engine's output is collected into one sla_output that is cleared
 * when the transaction has been sent (hiredis has copied the arguments by
 * then).
 *
 * Firing follows the input (sla_watermark.h): each flush advances the
 * engine to the watermark's horizon. When that leaves something due (the
 * engine's next wakeup is not after now), the alarm is not armed (it would
 * only spin) and the behind function asks the input's owner to move the
 * horizon: by applying more entries (each commit flushes again) or by
 * asking Redis to confirm that nothing is unread (store_input_confirmed,
 * then store_tick). A new engine starts at time 0 and with a fresh
 * watermark, so that nothing it restored fires before the entries not yet
 * applied to that state have been read again.
 *
 * The outcome counters (report.h) ride in the same transaction, after the
 * XACK: a cycle's end is counted exactly when the state that records it
 * is written.
 *
 * The decision counters (store_observe) learn a transaction's decisions
 * when its EXEC answers, not when it is sent: a transaction that is
 * refused is written again by the rebuilt engine, and counting at sending
 * time counted its decisions once per try. The cycles ended
 * (store_observe_outcomes) likewise, when the state that records them was
 * written.
 */
#include "store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "priority.h"
#include "report.h"
#include "sla_attrs.h"
#include "sla_log.h"
#include "sla_streamid.h"
#include "sla_watermark.h"
#include "wakeup.h"

#define STORE_SCAN_COUNT "1000"
#define STORE_RELOAD_MIN_MS 100
#define STORE_RELOAD_MAX_MS 5000
#define STORE_REMATCH_SLICE_US 500   /* a reload's re-match: work per turn of the loop */
#define STORE_REMATCH_STEP_SLOTS 256 /* table slots between two looks at the clock */

/* One staged command, its arguments copied into one allocation. */
typedef struct store_cmd {
    int argc;
    const char **argv;
    size_t *lens;
} store_cmd;

static struct {
    struct event_base *base;
    redis_link *link;
    sla_keys keys;
    char *group;
    const sla_config *cfg;
    store_state_fn *state_fn;
    void *state_arg;

    sla_engine *engine;    /* owned; NULL while not loaded */
    sla_watermark input;   /* how far the engine may fire (sla_watermark.h) */
    uintptr_t generation;  /* bumped whenever the engine is dropped */
    int loading;
    int64_t load_started_ms;
    uint64_t load_restored, load_corrupt;
    struct event *reload_timer;
    int reload_delay_ms;

    int64_t horizon_ms;    /* the engine's horizon at the last flush */
    int held_back;         /* that flush left something due beyond it */
    store_behind_fn *behind_fn;
    void *behind_arg;
    int inflight;          /* a MULTI/EXEC awaits its reply */
    int commit_waiting;    /* staged entries wait for the one in flight */
    int tick_wanted;       /* the alarm went off during a transaction */

    store_idle_fn *idle_fn;
    void *idle_arg;

    store_cmd *dead;       /* staged dead letters */
    size_t ndead, dead_cap;
    char (*acks)[48];      /* staged entry ids */
    size_t nacks, acks_cap;

    sla_output out;
    store_stats stats;

    /* store_commit() and store_sync() callers: waiting for the next flush,
     * then riding the transaction in flight. STORE_MAX_SYNCS are for
     * store_sync(); STORE_MAX_COMMITS more for commits, which never fail
     * for want of room. */
    struct store_sync { store_commit_fn *fn; void *arg; }
        syncs[2][STORE_MAX_SYNCS + STORE_MAX_COMMITS];
    size_t nsyncs[2];
    store_decision_fn *observe_fn;
    void *observe_arg;
    /* The decisions of the transaction in flight, shown to observe_fn
     * when it commits; policy names copied. */
    store_decision_note *notes;
    size_t nnotes, notes_cap;
    store_outcome_fn *outcome_fn;
    void *outcome_arg;
    store_outcome_note *onotes; /* the transaction's ends, policy copied */
    size_t nonotes, onotes_cap;
    size_t inflight_decisions;
    size_t notes_first;    /* index of the first decision's XADD in EXEC's reply */
    uint64_t engine_serial; /* bumped with each new engine (store_engine_serial) */
    struct event *rematch_timer; /* the next slice of a reload's re-match */
    int64_t rematch_began_us;
    unsigned rematch_slices;
    void (*rematched_fn)(void); /* a re-match is over (main: a deferred SIGHUP) */
} store;

enum { STORE_SYNC_WAITING = 0, STORE_SYNC_INFLIGHT = 1 };

/* Call and forget the syncs of one list (the list may grow meanwhile). */
static void store_call_syncs(int which, int ok)
{
    struct store_sync done[STORE_MAX_SYNCS + STORE_MAX_COMMITS];
    size_t n = store.nsyncs[which];
    memcpy(done, store.syncs[which], n * sizeof done[0]);
    store.nsyncs[which] = 0;
    for (size_t i = 0; i < n; i++)
        done[i].fn(ok, done[i].arg);
}

static void store_flush(void);

static void store_drop_notes(void)
{
    for (size_t i = 0; i < store.nnotes; i++)
        free((char *)store.notes[i].policy);
    store.nnotes = 0;
    for (size_t i = 0; i < store.nonotes; i++)
        free((char *)store.onotes[i].policy);
    store.nonotes = 0;
}

/* Keep what the counters need of o's ends (not its CSAT scores). */
static void store_keep_outcomes(const sla_output *o)
{
    if (store.outcome_fn == NULL || o->noutcomes == 0)
        return;
    if (o->noutcomes > store.onotes_cap) {
        store_outcome_note *n = realloc(store.onotes, o->noutcomes * sizeof *n);
        if (n == NULL) {
            sla_err("out of memory keeping %zu outcomes for the counters", o->noutcomes);
            return;
        }
        store.onotes = n;
        store.onotes_cap = o->noutcomes;
    }
    for (size_t i = 0; i < o->noutcomes; i++) {
        const sla_outcome *e = &o->outcomes[i];
        if (e->kind == SLA_OUTCOME_CSAT)
            continue;
        /* Policy and channel in one allocation, freed through policy. */
        const char *pol = e->policy ? e->policy : "";
        const char *ch = sla_attrs_get(e->attrs, e->attrs_len, "channel", 7);
        size_t pl = strlen(pol), cl = ch ? strlen(ch) : 0;
        char *policy = malloc(pl + 1 + cl + 1);
        if (policy == NULL)
            continue;
        memcpy(policy, pol, pl + 1);
        memcpy(policy + pl + 1, ch ? ch : "", cl + 1);
        store.onotes[store.nonotes++] =
            (store_outcome_note){e->kind, e->metric, policy, policy + pl + 1};
    }
}

/* Keep what the counters need of o's decisions until EXEC answers. */
static void store_keep_notes(const sla_output *o)
{
    store_drop_notes();
    store.inflight_decisions = o->ndecisions;
    store_keep_outcomes(o);
    if (store.observe_fn == NULL || o->ndecisions == 0)
        return;
    if (o->ndecisions > store.notes_cap) {
        store_decision_note *n = realloc(store.notes, o->ndecisions * sizeof *n);
        if (n == NULL) {
            sla_err("out of memory keeping %zu decisions for the counters", o->ndecisions);
            return;
        }
        store.notes = n;
        store.notes_cap = o->ndecisions;
    }
    for (size_t i = 0; i < o->ndecisions; i++) {
        const sla_decision *d = &o->decisions[i];
        store.notes[store.nnotes++] = (store_decision_note){
            d->kind, d->metric, strdup(d->policy ? d->policy : ""), d->late_ms};
    }
}

/*
 * The transaction ran: the counters may count its decisions. exec is EXEC's
 * reply when some of its commands failed (Redis has no rollback: the others
 * stand), NULL when all succeeded; a decision whose XADD failed is not
 * counted.
 */
static void store_show_notes(const redisReply *exec)
{
    for (size_t i = 0; i < store.inflight_decisions; i++) {
        size_t e = store.notes_first + i;
        if (exec && (e >= exec->elements || exec->element[e]->type == REDIS_REPLY_ERROR))
            continue;
        store.stats.decisions++;
        if (store.observe_fn && i < store.nnotes && store.notes[i].policy)
            store.observe_fn(&store.notes[i], store.observe_arg);
    }
    /* An end is counted when the state recording it was written: the
     * HDEL and HSET before the decisions. */
    int state_ok = 1;
    for (size_t e = 0; exec && e < store.notes_first; e++)
        if (e >= exec->elements || exec->element[e]->type == REDIS_REPLY_ERROR)
            state_ok = 0;
    for (size_t i = 0; state_ok && store.outcome_fn && i < store.nonotes; i++)
        store.outcome_fn(&store.onotes[i], store.outcome_arg);
    store.inflight_decisions = 0;
    store_drop_notes();
}

/* --- staging ------------------------------------------------------------ */

int store_stage_dead(const char *id, size_t id_len, const char *reason, const char *detail,
                     const char *truncated, const sla_field *fields, size_t nfields)
{
    int has_note = truncated && *truncated;
    if (store.ndead == store.dead_cap) {
        size_t cap = store.dead_cap ? store.dead_cap * 2 : 16;
        store_cmd *d = realloc(store.dead, cap * sizeof *d);
        if (d == NULL)
            return -1;
        store.dead = d;
        store.dead_cap = cap;
    }
    const char *fixed[] = {"XADD", store.keys.dead, "*", "dead.reason", reason,
                           "dead.detail", detail, "dead.id"};
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    int argc = (int)(nfixed + 1 + 2 * has_note + 2 * nfields);
    size_t bytes = id_len + (has_note ? sizeof "dead.truncated" + strlen(truncated) : 0);
    for (size_t i = 0; i < nfixed; i++)
        bytes += strlen(fixed[i]);
    for (size_t i = 0; i < nfields; i++)
        bytes += fields[i].key_len + fields[i].val_len;
    char *block = malloc((size_t)argc * (sizeof(char *) + sizeof(size_t)) + bytes + 1);
    if (block == NULL)
        return -1;
    store_cmd *c = &store.dead[store.ndead];
    c->argc = argc;
    c->argv = (const char **)block;
    c->lens = (size_t *)(block + (size_t)argc * sizeof(char *));
    char *p = block + (size_t)argc * (sizeof(char *) + sizeof(size_t));
    int a = 0;
#define STORE_PUT(s, n)                                                                            \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        if (n_)                                                                                    \
            memcpy(p, (s), n_);                                                                    \
        c->argv[a] = p;                                                                            \
        c->lens[a++] = n_;                                                                         \
        p += n_;                                                                                   \
    } while (0)
    for (size_t i = 0; i < nfixed; i++)
        STORE_PUT(fixed[i], strlen(fixed[i]));
    STORE_PUT(id, id_len);
    if (has_note) {
        STORE_PUT("dead.truncated", sizeof "dead.truncated" - 1);
        STORE_PUT(truncated, strlen(truncated));
    }
    for (size_t i = 0; i < nfields; i++) {
        STORE_PUT(fields[i].key, fields[i].key_len);
        STORE_PUT(fields[i].val, fields[i].val_len);
    }
#undef STORE_PUT
    store.ndead++;
    return 0;
}

int store_stage_ack(const char *id, size_t id_len)
{
    if (id_len >= sizeof store.acks[0])
        return -1;
    if (store.nacks == store.acks_cap) {
        size_t cap = store.acks_cap ? store.acks_cap * 2 : 64;
        char(*a)[48] = realloc(store.acks, cap * sizeof *a);
        if (a == NULL)
            return -1;
        store.acks = a;
        store.acks_cap = cap;
    }
    memcpy(store.acks[store.nacks], id, id_len);
    store.acks[store.nacks][id_len] = '\0';
    store.nacks++;
    return 0;
}

static void store_unstage(void)
{
    for (size_t i = 0; i < store.ndead; i++)
        free((void *)store.dead[i].argv);
    store.ndead = 0;
    store.nacks = 0;
}

/* --- losing and rebuilding the engine ----------------------------------- */

static void store_load_page(const char *cursor);

static void store_schedule_reload(void)
{
    struct timeval tv = {store.reload_delay_ms / 1000, (store.reload_delay_ms % 1000) * 1000};
    evtimer_add(store.reload_timer, &tv);
    store.reload_delay_ms = store.reload_delay_ms * 2 > STORE_RELOAD_MAX_MS
                                ? STORE_RELOAD_MAX_MS : store.reload_delay_ms * 2;
}

static void store_call_idle(void)
{
    if (store.idle_fn && !store.inflight && !store.commit_waiting) {
        store_idle_fn *fn = store.idle_fn;
        store.idle_fn = NULL;
        fn(store.idle_arg);
    }
}

/*
 * Redis may now be behind the engine: drop it (and everything waiting on
 * it), tell the owner, and rebuild from Redis once the link allows.
 */
static void store_fail(const char *why)
{
    int had_engine = store.engine != NULL;
    sla_err("engine dropped: %s; rebuilding it from redis", why);
    store.stats.failures++;
    store.generation++;
    if (store.engine)
        sla_engine_free(store.engine);
    store.engine = NULL;
    sla_watermark_init(&store.input);
    store.held_back = 0;
    store.loading = 0;
    sla_output_clear(&store.out);
    store_unstage();
    store_drop_notes();
    store.inflight_decisions = 0;
    wakeup_disarm();
    store.tick_wanted = 0;

    store.inflight = 0;
    store.commit_waiting = 0;
    if (had_engine && store.state_fn)
        store.state_fn(0, store.state_arg);
    store_call_syncs(STORE_SYNC_INFLIGHT, 0);
    store_call_syncs(STORE_SYNC_WAITING, 0);
    if (redis_link_is_up(store.link))
        store_schedule_reload();
    store_call_idle();
}

static void store_on_reload_timer(evutil_socket_t fd, short what, void *arg)
{
    if (store.engine == NULL && !store.loading && redis_link_is_up(store.link))
        store_load_page(NULL);
}

static void store_on_scan(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply *reply = r;
    if ((uintptr_t)privdata != store.generation || !store.loading)
        return;
    if (reply == NULL)
        return; /* the link's down report follows */
    if (reply->type == REDIS_REPLY_ERROR) {
        char why[SLA_KEY_MAX + 256];
        snprintf(why, sizeof why, "HSCAN %s: %.200s", store.keys.state, reply->str);
        store_fail(why);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        store_fail("HSCAN: unexpected reply");
        return;
    }
    /* Ask for the next page first: Redis scans it while this one is restored. */
    const char *cursor = reply->element[0]->str;
    int last = strcmp(cursor, "0") == 0;
    if (!last) {
        uintptr_t generation = store.generation;
        store_load_page(cursor);
        if (generation != store.generation || !store.loading)
            return; /* the request failed: the engine is gone */
    }
    int64_t now = wakeup_now_ms();
    redisReply *pairs = reply->element[1];
    for (size_t i = 0; i + 1 < pairs->elements; i += 2) {
        redisReply *f = pairs->element[i], *v = pairs->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (sla_engine_restore(store.engine, f->str, f->len, (const unsigned char *)v->str, v->len,
                               now) == 0) {
            store.load_restored++;
        } else {
            store.load_corrupt++;
            sla_warning("state of ticket '%.*s' is corrupt; skipped", (int)(f->len > 128 ? 128 : f->len),
                        f->str);
        }
    }
    if (!last)
        return;
    store.loading = 0;
    store.reload_delay_ms = STORE_RELOAD_MIN_MS;
    store.stats.loads++;
    store.stats.restored += store.load_restored;
    store.stats.corrupt += store.load_corrupt;
    sla_info("state loaded: %" PRIu64 " tickets (%" PRIu64 " corrupt records skipped) in %" PRId64
             " ms", store.load_restored, store.load_corrupt, wakeup_now_ms() - store.load_started_ms);
    if (store.state_fn)
        store.state_fn(1, store.state_arg);
    /* Whatever came due while the daemon was away fires as the input is
     * read again (the watermark), not before: nothing fires here yet. */
    if (store.engine)
        store_flush();
}

/* cursor NULL: start a new load with a new engine. */
static void store_load_page(const char *cursor)
{
    if (cursor == NULL) {
        store.engine = sla_engine_new(store.cfg, 0);
        store.engine_serial++;
        sla_watermark_init(&store.input);
        if (store.engine == NULL) {
            sla_err("out of memory creating the engine");
            store_schedule_reload();
            return;
        }
        store.generation++;
        store.loading = 1;
        store.load_started_ms = wakeup_now_ms();
        store.load_restored = store.load_corrupt = 0;
        cursor = "0";
        sla_info("loading state from %s", store.keys.state);
    }
    const char *argv[] = {"HSCAN", store.keys.state, cursor, "COUNT", STORE_SCAN_COUNT};
    size_t lens[] = {5, strlen(argv[1]), strlen(cursor), 5, strlen(STORE_SCAN_COUNT)};
    if (redis_link_command(store.link, store_on_scan, (void *)store.generation, 5, argv, lens) < 0)
        store_fail("command connection down during load");
}

/* --- the transaction ---------------------------------------------------- */

static int exec_reply_ok(const redisReply *reply, char *why, size_t len)
{
    if (reply == NULL) {
        snprintf(why, len, "command connection lost with a transaction in flight");
        return 0;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(why, len, "EXEC: %.200s", reply->str);
        return 0;
    }
    if (reply->type != REDIS_REPLY_ARRAY) {
        snprintf(why, len, "EXEC: transaction discarded");
        return 0;
    }
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_ERROR) {
            snprintf(why, len, "command %zu of the transaction: %.200s", i + 1,
                     reply->element[i]->str);
            return 0;
        }
    return 1;
}

static void store_on_exec(redisAsyncContext *ac, void *r, void *privdata)
{
    if ((uintptr_t)privdata != store.generation || !store.inflight)
        return;
    char why[320];
    if (!exec_reply_ok(r, why, sizeof why)) {
        /* Commands that failed inside EXEC undo nothing: what the others
         * wrote stands, the decisions' records included. A transaction
         * lost with its connection is unknown: if it did not commit, the
         * rebuilt engine decides again and those decisions count then. */
        const redisReply *reply = r;
        if (reply && reply->type == REDIS_REPLY_ARRAY)
            store_show_notes(reply);
        store_fail(why);
        return;
    }
    store.stats.transactions++;
    store.inflight = 0;
    store_show_notes(NULL);
    store_call_syncs(STORE_SYNC_INFLIGHT, 1);
    if (store.engine && !store.inflight && (store.commit_waiting || store.tick_wanted))
        store_flush();
    store_call_idle();
}

static int store_send(int argc, const char **argv, const size_t *lens)
{
    return redis_link_command(store.link, NULL, NULL, argc, argv, lens);
}

/* One command "VERB key [extra] item..." over n items, binary-safe. */
static int store_send_list(const char *verb, const char *key, const char *extra, size_t n,
                           const char *(*item)(size_t i, size_t per, size_t *len), size_t per)
{
    size_t head = extra ? 3 : 2;
    size_t argc = head + n * per;
    const char **argv = malloc(argc * sizeof *argv);
    size_t *lens = malloc(argc * sizeof *lens);
    if (argv == NULL || lens == NULL) {
        free(argv);
        free(lens);
        return -1;
    }
    argv[0] = verb;
    lens[0] = strlen(verb);
    argv[1] = key;
    lens[1] = strlen(key);
    if (extra) {
        argv[2] = extra;
        lens[2] = strlen(extra);
    }
    for (size_t i = 0; i < n * per; i++)
        argv[head + i] = item(i / per, i % per, &lens[head + i]);
    int rc = store_send((int)argc, argv, lens);
    free(argv);
    free(lens);
    return rc;
}

static const char *item_upsert(size_t i, size_t part, size_t *len)
{
    const sla_upsert *u = &store.out.upserts[i];
    *len = part == 0 ? u->ticket_len : u->record_len;
    return part == 0 ? u->ticket : (const char *)u->record;
}

static const char *item_removed(size_t i, size_t part, size_t *len)
{
    *len = store.out.removed_len[i];
    return store.out.removed[i];
}

static const char *item_ack(size_t i, size_t part, size_t *len)
{
    *len = strlen(store.acks[i]);
    return store.acks[i];
}

static int store_send_decision(const sla_decision *d)
{
    sla_field fields[SLA_DECISION_MAX_FIELDS];
    char scratch[512];
    size_t n = sla_decision_fields(d, fields, SLA_DECISION_MAX_FIELDS, scratch, sizeof scratch);
    const char *argv[3 + 2 * SLA_DECISION_MAX_FIELDS];
    size_t lens[3 + 2 * SLA_DECISION_MAX_FIELDS];
    argv[0] = "XADD";
    lens[0] = 4;
    argv[1] = store.keys.escalations;
    lens[1] = strlen(argv[1]);
    argv[2] = "*";
    lens[2] = 1;
    for (size_t i = 0; i < n; i++) {
        argv[3 + 2 * i] = fields[i].key;
        lens[3 + 2 * i] = fields[i].key_len;
        argv[4 + 2 * i] = fields[i].val;
        lens[4 + 2 * i] = fields[i].val_len;
    }
    return store_send((int)(3 + 2 * n), argv, lens);
}

/*
 * The one flush: advance, collect, and write it with the staged batch.
 * Both the batch path and the alarm path come here.
 */
static void store_flush(void)
{
    if (store.engine == NULL || store.inflight)
        return;
    int commit = store.commit_waiting;
    if (!redis_link_is_up(store.link)) {
        if (commit)
            store_fail("command connection down");
        else
            store.tick_wanted = 1; /* written when the link is back */
        return;
    }
    store.tick_wanted = 0;
    int64_t now = wakeup_now_ms();
    store.horizon_ms = sla_watermark_horizon(&store.input, now);
    sla_engine_advance_to(store.engine, store.horizon_ms, now);
    sla_engine_collect(store.engine, &store.out);
    int64_t next = sla_engine_next_wakeup(store.engine);
    /* Due but held back by the input: the input moves the horizon (and
     * flushes again), not the alarm. */
    store.held_back = next <= now;
    wakeup_arm(store.held_back ? INT64_MAX : next);
    if (store.held_back && store.behind_fn)
        store.behind_fn(store.behind_arg);

    store.commit_waiting = 0;
    sla_output *o = &store.out;
    memcpy(store.syncs[STORE_SYNC_INFLIGHT], store.syncs[STORE_SYNC_WAITING],
           store.nsyncs[STORE_SYNC_WAITING] * sizeof store.syncs[0][0]);
    store.nsyncs[STORE_SYNC_INFLIGHT] = store.nsyncs[STORE_SYNC_WAITING];
    store.nsyncs[STORE_SYNC_WAITING] = 0;
    if (o->nupserts == 0 && o->nremoved == 0 && o->ndecisions == 0 && store.ndead == 0 &&
        store.nacks == 0) {
        store_call_syncs(STORE_SYNC_INFLIGHT, 1);
        return;
    }
    store_keep_notes(o);
    store.notes_first = (o->nremoved ? 1 : 0) + (o->nupserts ? 1 : 0);

    static const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
    static const size_t multi_len[] = {5}, exec_len[] = {4};
    int rc = store_send(1, multi, multi_len);
    if (rc == 0 && o->nremoved)
        rc = store_send_list("HDEL", store.keys.state, NULL, o->nremoved, item_removed, 1);
    if (rc == 0 && o->nupserts)
        rc = store_send_list("HSET", store.keys.state, NULL, o->nupserts, item_upsert, 2);
    for (size_t i = 0; rc == 0 && i < o->ndecisions; i++)
        rc = store_send_decision(&o->decisions[i]);
    for (size_t i = 0; rc == 0 && i < store.ndead; i++)
        rc = store_send(store.dead[i].argc, store.dead[i].argv, store.dead[i].lens);
    if (rc == 0 && store.nacks)
        rc = store_send_list("XACK", store.keys.events, store.group, store.nacks, item_ack, 1);
    if (rc == 0)
        rc = report_stage(o, store_send); /* the ends these states record, counted once */
    if (rc == 0)
        rc = redis_link_command(store.link, store_on_exec, (void *)store.generation, 1, exec,
                                exec_len);
    if (rc == 0)
        redis_link_flush(store.link);
    sla_output_clear(&store.out);
    store_unstage();
    store.inflight = 1;
    if (rc < 0) {
        /* A half-written MULTI must not stay open on the connection. */
        redis_link_reset(store.link, "could not queue the transaction");
        if (store.inflight)
            store_fail("could not queue the transaction");
    }
}

void store_commit(store_commit_fn *fn, void *arg)
{
    if (store.engine == NULL) {
        store_unstage();
        fn(0, arg);
        return;
    }
    size_t *n = &store.nsyncs[STORE_SYNC_WAITING];
    if (*n == STORE_MAX_SYNCS + STORE_MAX_COMMITS) {
        /* More commits outstanding than the caller promised: a bug. */
        sla_err("more than %d commits waiting; dropping the engine", STORE_MAX_COMMITS);
        store_unstage();
        fn(0, arg);
        store_fail("too many commits waiting");
        return;
    }
    store.syncs[STORE_SYNC_WAITING][(*n)++] = (struct store_sync){fn, arg};
    store.commit_waiting = 1;
    store_flush();
}

void store_input_applied(const sla_streamid *last)
{
    sla_watermark_applied(&store.input, last);
}

void store_input_confirmed(int64_t at_ms)
{
    sla_watermark_confirmed(&store.input, at_ms);
}

void store_on_behind(store_behind_fn *fn, void *arg)
{
    store.behind_fn = fn;
    store.behind_arg = arg;
}

void store_get_input(int64_t *horizon_ms, int64_t *behind_ms)
{
    int ready = store.engine && !store.loading;
    *horizon_ms = ready ? store.horizon_ms : INT64_MIN;
    int64_t now = wakeup_now_ms();
    *behind_ms = ready && store.held_back && store.horizon_ms != INT64_MIN &&
                         now > store.horizon_ms
                     ? now - store.horizon_ms
                     : 0;
}

void store_tick(void *arg)
{
    if (store.engine == NULL)
        return;
    if (store.inflight) {
        store.tick_wanted = 1;
        return;
    }
    store_flush();
}

int store_sync(store_commit_fn *fn, void *arg)
{
    if (store.engine == NULL || store.loading) {
        fn(0, arg);
        return 0;
    }
    if (store.nsyncs[STORE_SYNC_WAITING] >= STORE_MAX_SYNCS)
        return -1;
    store.syncs[STORE_SYNC_WAITING][store.nsyncs[STORE_SYNC_WAITING]++] =
        (struct store_sync){fn, arg};
    store_tick(NULL);
    return 0;
}

void store_observe(store_decision_fn *fn, void *arg)
{
    store.observe_fn = fn;
    store.observe_arg = arg;
}

void store_observe_outcomes(store_outcome_fn *fn, void *arg)
{
    store.outcome_fn = fn;
    store.outcome_arg = arg;
}

void store_when_idle(store_idle_fn *fn, void *arg)
{
    store.idle_fn = fn;
    store.idle_arg = arg;
    store_call_idle();
}

/* --- life --------------------------------------------------------------- */

void store_on_link(redis_link *link, int up, void *arg)
{
    if (store.link == NULL)
        return;
    if (!up) {
        if (store.inflight || store.commit_waiting)
            store_fail("command connection lost with a transaction in flight");
        else if (store.loading)
            store_fail("command connection lost while loading state");
        return;
    }
    if (store.engine == NULL && !store.loading) {
        store.reload_delay_ms = STORE_RELOAD_MIN_MS;
        evtimer_del(store.reload_timer);
        store_load_page(NULL);
    } else if (store.engine && !store.loading && store.tick_wanted) {
        store_flush();
    }
}

sla_engine *store_engine(void)
{
    return store.loading ? NULL : store.engine;
}

uint64_t store_engine_serial(void)
{
    return store.engine_serial;
}

/*
 * After a reload the engine re-matches its tickets a slice at a time
 * (sla_engine_set_config): STORE_REMATCH_SLICE_US of work per turn of the
 * loop at the lowest priority, then the alarm, input and clients get
 * their turn.
 */
static void store_rematch_next(void)
{
    static const struct timeval zero = {0, 0};
    evtimer_add(store.rematch_timer, &zero);
}

static void store_on_rematch(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    sla_engine *e = store.engine;
    if (e == NULL)
        return;
    int64_t until = wakeup_mono_us() + STORE_REMATCH_SLICE_US;
    int done;
    while (!(done = sla_engine_rematch_step(e, STORE_REMATCH_STEP_SLOTS)) &&
           wakeup_mono_us() < until)
        ;
    store.rematch_slices++;
    if (!done)
        store_rematch_next();
    else
        sla_info("reload: open tickets matched against the new policies in %" PRId64
                 " ms (%u slices)",
                 (wakeup_mono_us() - store.rematch_began_us) / 1000, store.rematch_slices);
    if (!store.loading)
        store_tick(NULL); /* new targets: what is due now, and the alarm */
    if (done && store.rematched_fn)
        store.rematched_fn();
}

size_t store_rematch_pending(void)
{
    return store.engine ? sla_engine_rematch_pending(store.engine) : 0;
}

void store_on_rematched(void (*fn)(void))
{
    store.rematched_fn = fn;
}

void store_set_config(const sla_config *cfg, int64_t now_ms)
{
    store.cfg = cfg;
    if (store.engine) {
        sla_engine_set_config(store.engine, cfg, now_ms);
        store.rematch_began_us = wakeup_mono_us();
        store.rematch_slices = 0;
        store_rematch_next();
        if (!store.loading)
            store_tick(NULL);
    }
}

int store_init(struct event_base *base, redis_link *command, const sla_keys *keys,
               const sla_config *cfg, store_state_fn *fn, void *arg)
{
    memset(&store, 0, sizeof store);
    store.base = base;
    store.keys = *keys;
    store.group = strdup(cfg->stream.group);
    store.cfg = cfg;
    store.state_fn = fn;
    store.state_arg = arg;
    store.reload_delay_ms = STORE_RELOAD_MIN_MS;
    sla_watermark_init(&store.input);
    store.horizon_ms = INT64_MIN;
    store.reload_timer = evtimer_new(base, store_on_reload_timer, NULL);
    store.rematch_timer = evtimer_new(base, store_on_rematch, NULL);
    /* Background work: a ticket read or fired first is re-matched at
     * once, so the sweep takes turns with queries and deliveries rather
     * than starve them behind input (priority.h). */
    if (store.rematch_timer)
        event_priority_set(store.rematch_timer, SLAD_PRIORITY_BULK);
    sla_output_init(&store.out);
    if (store.group == NULL || store.reload_timer == NULL || store.rematch_timer == NULL)
        return -1;
    store.link = command;
    return 0;
}

void store_finish(void)
{
    store.generation++; /* late replies are ignored from now on */
    store.link = NULL;
    store.state_fn = NULL;
    store.idle_fn = NULL;
    if (store.reload_timer)
        event_free(store.reload_timer);
    store.reload_timer = NULL;
    if (store.rematch_timer)
        event_free(store.rematch_timer);
    store.rematch_timer = NULL;
    if (store.engine)
        sla_engine_free(store.engine);
    store.engine = NULL;
    store.loading = 0;
    store.inflight = 0;
    store.commit_waiting = 0;
    sla_output_clear(&store.out);
    store_unstage();
    store_drop_notes();
    free(store.notes);
    store.notes = NULL;
    store.notes_cap = 0;
    free(store.onotes);
    store.onotes = NULL;
    store.onotes_cap = 0;
    free(store.dead);
    free(store.acks);
    free(store.group);
    store.dead = NULL;
    store.acks = NULL;
    store.group = NULL;
}

void store_get_stats(store_stats *out)
{
    *out = store.stats;
}
