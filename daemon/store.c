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
 * carried with the store in a store_tag as privdata: a reply that belongs
 * to an engine already dropped is ignored, so a late EXEC or HSCAN page can
 * never touch a newer engine. The tags also count the replies still to
 * come: store_free() on a link shared with others frees the store only
 * when the last of them has arrived (hiredis calls every callback, with
 * NULL when the connection is lost).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cluster.h"
#include "priority.h"
#include "report.h"
#include "sla_attrs.h"
#include "sla_fence.h"
#include "sla_lua_scripts.h"
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

struct store {
    struct event_base *base;
    redis_link *link;
    sla_keys keys;
    char *group;
    const sla_config *cfg;
    store_state_fn *state_fn;
    void *state_arg;

    sla_engine *engine;    /* owned; NULL while not loaded */
    store_engine_drop_fn *drop_fn; /* takes a dropped engine; NULL: freed here */
    void *drop_arg;
    sla_watermark input;   /* how far the engine may fire (sla_watermark.h) */
    uintptr_t generation;  /* bumped whenever the engine is dropped */
    int loading;
    int64_t load_started_ms;
    uint64_t load_restored, load_corrupt;
    struct event *reload_timer;
    wakeup *alarm;         /* the engine's (owned) */
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
    unsigned tags_out;     /* replies still to come (store_tag), keeping it alive */
    sla_fence *fence;      /* commits fenced on a lease (store_set_fence); NULL: MULTI/EXEC */
    char *fence_lease, *fence_token;
    char fence_sha[41];    /* of lib/lua/fenced.lua */
    int freed;             /* store_free() ran; freed when the last reply came */
    int fenced;            /* a commit was refused FENCED: the lease is another's */

    /* redis.wait_replicas on a Redis Cluster (store_set_wait): NULL: none. */
    cluster_link *wait_link;
    int wait_replicas, wait_timeout_ms;
    int wait_for;          /* the WAIT in flight or due confirms: STORE_WAIT_* */
    int wait_stalled;      /* fewer replicas answered: logged once until they do */
    sla_streamid wait_id;  /* the last outbox id it confirms */
    sla_streamid confirmed; /* outbox records up to this id may be delivered */
    struct event *wait_timer; /* WAIT asked again after too few replicas */
    char *wait_marker;     /* the key written at a load, for WAIT to cover */
};

enum { STORE_WAIT_NONE = 0, STORE_WAIT_LOAD, STORE_WAIT_COMMIT };
#define STORE_WAIT_RETRY_MS 100

enum { STORE_SYNC_WAITING = 0, STORE_SYNC_INFLIGHT = 1 };

/* The privdata of a reply: its store and the generation it was sent in. */
typedef struct store_tag {
    store *s;
    uintptr_t generation;
} store_tag;

static void store_release(store *s);

static store_tag *store_tag_new(store *s)
{
    store_tag *t = malloc(sizeof *t);
    if (t) {
        t->s = s;
        t->generation = s->generation;
    }
    return t;
}

/* The tag's store when the reply belongs to its current generation, else
 * NULL; the tag is freed (and a store freed meanwhile, with its last reply). */
static store *store_tag_take(void *privdata)
{
    store_tag *t = privdata;
    store *s = t->s;
    uintptr_t generation = t->generation;
    free(t);
    s->tags_out--;
    if (s->freed) {
        if (s->tags_out == 0)
            store_release(s);
        return NULL;
    }
    return generation == s->generation ? s : NULL;
}

/* Send a command whose reply fn takes through store_tag_take. 0 or -1. */
static int store_command_tagged(store *s, redisCallbackFn *fn, int argc, const char **argv,
                                const size_t *lens)
{
    store_tag *t = store_tag_new(s);
    if (t == NULL)
        return -1;
    if (redis_link_command(s->link, fn, t, argc, argv, lens) < 0) {
        free(t);
        return -1;
    }
    s->tags_out++;
    return 0;
}

/* Call and forget the syncs of one list (the list may grow meanwhile). */
static void store_call_syncs(store *s, int which, int ok)
{
    struct store_sync done[STORE_MAX_SYNCS + STORE_MAX_COMMITS];
    size_t n = s->nsyncs[which];
    memcpy(done, s->syncs[which], n * sizeof done[0]);
    s->nsyncs[which] = 0;
    for (size_t i = 0; i < n; i++)
        done[i].fn(ok, done[i].arg);
}

static void store_flush(store *s);

static void store_drop_notes(store *s)
{
    for (size_t i = 0; i < s->nnotes; i++)
        free((char *)s->notes[i].policy);
    s->nnotes = 0;
    for (size_t i = 0; i < s->nonotes; i++)
        free((char *)s->onotes[i].policy);
    s->nonotes = 0;
}

/* Keep what the counters need of o's ends (not its CSAT scores). */
static void store_keep_outcomes(store *s, const sla_output *o)
{
    if (s->outcome_fn == NULL || o->noutcomes == 0)
        return;
    if (o->noutcomes > s->onotes_cap) {
        store_outcome_note *n = realloc(s->onotes, o->noutcomes * sizeof *n);
        if (n == NULL) {
            sla_err("out of memory keeping %zu outcomes for the counters", o->noutcomes);
            return;
        }
        s->onotes = n;
        s->onotes_cap = o->noutcomes;
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
        s->onotes[s->nonotes++] =
            (store_outcome_note){e->kind, e->metric, policy, policy + pl + 1};
    }
}

/* Keep what the counters need of o's decisions until EXEC answers. */
static void store_keep_notes(store *s, const sla_output *o)
{
    store_drop_notes(s);
    s->inflight_decisions = o->ndecisions;
    store_keep_outcomes(s, o);
    if (s->observe_fn == NULL || o->ndecisions == 0)
        return;
    if (o->ndecisions > s->notes_cap) {
        store_decision_note *n = realloc(s->notes, o->ndecisions * sizeof *n);
        if (n == NULL) {
            sla_err("out of memory keeping %zu decisions for the counters", o->ndecisions);
            return;
        }
        s->notes = n;
        s->notes_cap = o->ndecisions;
    }
    for (size_t i = 0; i < o->ndecisions; i++) {
        const sla_decision *d = &o->decisions[i];
        s->notes[s->nnotes++] = (store_decision_note){
            d->kind, d->metric, strdup(d->policy ? d->policy : ""), d->late_ms};
    }
}

/*
 * The transaction ran: the counters may count its decisions. exec is EXEC's
 * reply when some of its commands failed (Redis has no rollback: the others
 * stand), NULL when all succeeded; a decision whose XADD failed is not
 * counted.
 */
static void store_show_notes(store *s, const redisReply *exec)
{
    for (size_t i = 0; i < s->inflight_decisions; i++) {
        size_t e = s->notes_first + i;
        if (exec && (e >= exec->elements || exec->element[e]->type == REDIS_REPLY_ERROR))
            continue;
        s->stats.decisions++;
        if (s->observe_fn && i < s->nnotes && s->notes[i].policy)
            s->observe_fn(&s->notes[i], s->observe_arg);
    }
    /* An end is counted when the state recording it was written: the
     * HDEL and HSET before the decisions. */
    int state_ok = 1;
    for (size_t e = 0; exec && e < s->notes_first; e++)
        if (e >= exec->elements || exec->element[e]->type == REDIS_REPLY_ERROR)
            state_ok = 0;
    for (size_t i = 0; state_ok && s->outcome_fn && i < s->nonotes; i++)
        s->outcome_fn(&s->onotes[i], s->outcome_arg);
    s->inflight_decisions = 0;
    store_drop_notes(s);
}

/* --- staging ------------------------------------------------------------ */

int store_stage_dead(store *s, const char *id, size_t id_len, const char *reason,
                     const char *detail, const char *truncated, const sla_field *fields,
                     size_t nfields)
{
    int has_note = truncated && *truncated;
    if (s->ndead == s->dead_cap) {
        size_t cap = s->dead_cap ? s->dead_cap * 2 : 16;
        store_cmd *d = realloc(s->dead, cap * sizeof *d);
        if (d == NULL)
            return -1;
        s->dead = d;
        s->dead_cap = cap;
    }
    const char *fixed[] = {"XADD", s->keys.dead, "*", "dead.reason", reason,
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
    store_cmd *c = &s->dead[s->ndead];
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
    s->ndead++;
    return 0;
}

int store_stage_ack(store *s, const char *id, size_t id_len)
{
    if (id_len >= sizeof s->acks[0])
        return -1;
    if (s->nacks == s->acks_cap) {
        size_t cap = s->acks_cap ? s->acks_cap * 2 : 64;
        char(*a)[48] = realloc(s->acks, cap * sizeof *a);
        if (a == NULL)
            return -1;
        s->acks = a;
        s->acks_cap = cap;
    }
    memcpy(s->acks[s->nacks], id, id_len);
    s->acks[s->nacks][id_len] = '\0';
    s->nacks++;
    return 0;
}

static void store_unstage(store *s)
{
    for (size_t i = 0; i < s->ndead; i++)
        free((void *)s->dead[i].argv);
    s->ndead = 0;
    s->nacks = 0;
}

/* --- losing and rebuilding the engine ----------------------------------- */

static void store_load_page(store *s, const char *cursor);

static void store_schedule_reload(store *s)
{
    struct timeval tv = {s->reload_delay_ms / 1000, (s->reload_delay_ms % 1000) * 1000};
    evtimer_add(s->reload_timer, &tv);
    s->reload_delay_ms = s->reload_delay_ms * 2 > STORE_RELOAD_MAX_MS
                                ? STORE_RELOAD_MAX_MS : s->reload_delay_ms * 2;
}

static void store_call_idle(store *s)
{
    if (s->idle_fn && !s->inflight && !s->commit_waiting) {
        store_idle_fn *fn = s->idle_fn;
        s->idle_fn = NULL;
        fn(s->idle_arg);
    }
}

/* The engine goes: to the drop function when there is one, else freed. */
static void store_drop_engine(store *s)
{
    sla_engine *e = s->engine;
    s->engine = NULL;
    if (e == NULL)
        return;
    if (s->drop_fn)
        s->drop_fn(e, s->drop_arg);
    else
        sla_engine_free(e);
}

void store_set_engine_drop(store *s, store_engine_drop_fn *fn, void *arg)
{
    s->drop_fn = fn;
    s->drop_arg = arg;
}

/*
 * Redis may now be behind the engine: drop it (and everything waiting on
 * it), tell the owner, and rebuild from Redis once the link allows.
 */
static void store_fail(store *s, const char *why)
{
    int had_engine = s->engine != NULL;
    if (s->fenced)
        sla_warning("engine dropped: %s; the partition is another instance's now", why);
    else
        sla_err("engine dropped: %s; rebuilding it from redis", why);
    s->stats.failures++;
    s->generation++;
    store_drop_engine(s);
    sla_watermark_init(&s->input);
    s->held_back = 0;
    s->loading = 0;
    sla_output_clear(&s->out);
    store_unstage(s);
    store_drop_notes(s);
    s->inflight_decisions = 0;
    wakeup_disarm(s->alarm);
    s->tick_wanted = 0;
    s->wait_for = STORE_WAIT_NONE;
    if (s->wait_timer)
        evtimer_del(s->wait_timer);

    s->inflight = 0;
    s->commit_waiting = 0;
    if (had_engine && s->state_fn)
        s->state_fn(0, s->state_arg);
    store_call_syncs(s, STORE_SYNC_INFLIGHT, 0);
    store_call_syncs(s, STORE_SYNC_WAITING, 0);
    if (redis_link_is_up(s->link) && !s->fenced)
        store_schedule_reload(s);
    store_call_idle(s);
}

static void store_on_reload_timer(evutil_socket_t fd, short what, void *arg)
{
    store *s = arg;
    if (s->engine == NULL && !s->loading && redis_link_is_up(s->link))
        store_load_page(s, NULL);
}

/* --- WAIT (store_set_wait) ------------------------------------------------ */

static void store_load_done(store *s);
static void store_exec_done(store *s);
static void store_on_wait(int acked, void *arg);

static void store_send_wait(store *s)
{
    store_tag *t = store_tag_new(s);
    if (t == NULL || cluster_wait(s->wait_link, s->wait_replicas, s->wait_timeout_ms,
                                  store_on_wait, t) < 0) {
        free(t);
        store_fail(s, "WAIT could not be sent");
        return;
    }
    s->tags_out++;
    redis_link_flush(s->link);
}

static void store_on_wait(int acked, void *arg)
{
    store *s = store_tag_take(arg);
    if (s == NULL || s->wait_for == STORE_WAIT_NONE)
        return;
    if (acked < 0) {
        store_fail(s, "WAIT for the replicas failed (the connection was lost)");
        return;
    }
    if (acked < s->wait_replicas) {
        /* Nothing is lost yet: the commit is on the master. Wait for the
         * replicas (commits queue behind it, delivery holds the records). */
        if (!s->wait_stalled)
            sla_warning("%s: %d of %d replicas acknowledged within %d ms; waiting for them "
                        "before the commit counts and its records are delivered",
                        s->keys.state, acked, s->wait_replicas, s->wait_timeout_ms);
        s->wait_stalled = 1;
        struct timeval tv = {0, STORE_WAIT_RETRY_MS * 1000};
        evtimer_add(s->wait_timer, &tv);
        return;
    }
    if (s->wait_stalled)
        sla_notice("%s: the replicas acknowledged again", s->keys.state);
    s->wait_stalled = 0;
    if (sla_streamid_cmp(&s->wait_id, &s->confirmed) > 0)
        s->confirmed = s->wait_id;
    int what = s->wait_for;
    s->wait_for = STORE_WAIT_NONE;
    if (what == STORE_WAIT_LOAD)
        store_load_done(s);
    else
        store_exec_done(s);
}

static void store_on_wait_timer(evutil_socket_t fd, short what, void *arg)
{
    store *s = arg;
    if (s->wait_for != STORE_WAIT_NONE)
        store_send_wait(s);
}

/* The outbox's last id at a load: what the WAIT after the load confirms. */
static void store_on_last_id(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply *reply = r;
    store *s = store_tag_take(privdata);
    if (s == NULL || reply == NULL || reply->type != REDIS_REPLY_ARRAY)
        return; /* an error fails the HSCAN too, or nothing was written yet */
    if (reply->elements >= 1 && reply->element[0]->type == REDIS_REPLY_ARRAY &&
        reply->element[0]->elements >= 1 &&
        reply->element[0]->element[0]->type == REDIS_REPLY_STRING) {
        const redisReply *id = reply->element[0]->element[0];
        sla_streamid v;
        if (sla_streamid_parse(id->str, id->len, &v) == 0 &&
            sla_streamid_cmp(&v, &s->wait_id) > 0)
            s->wait_id = v;
    }
}

int store_set_wait(store *s, cluster_link *cl, int replicas, int timeout_ms)
{
    char marker[SLA_KEY_MAX + 8];
    snprintf(marker, sizeof marker, "%s:wait", s->keys.lease);
    free(s->wait_marker);
    s->wait_marker = strdup(marker);
    if (s->wait_timer == NULL)
        s->wait_timer = evtimer_new(s->base, store_on_wait_timer, s);
    if (s->wait_marker == NULL || s->wait_timer == NULL)
        return -1;
    s->wait_link = cl;
    s->wait_replicas = replicas;
    s->wait_timeout_ms = timeout_ms;
    return 0;
}

int store_confirmed(store *s, const char *entry)
{
    sla_streamid v;
    if (s == NULL || s->freed)
        return 0;
    if (s->wait_link == NULL)
        return 1;
    return sla_streamid_parse(entry, strlen(entry), &v) == 0 &&
           sla_streamid_cmp(&v, &s->confirmed) <= 0;
}

static void store_on_scan(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply *reply = r;
    store *s = store_tag_take(privdata);
    if (s == NULL || !s->loading)
        return;
    if (reply == NULL)
        return; /* the link's down report follows */
    if (reply->type == REDIS_REPLY_ERROR) {
        char why[SLA_KEY_MAX + 256];
        snprintf(why, sizeof why, "HSCAN %s: %.200s", s->keys.state, reply->str);
        store_fail(s, why);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        store_fail(s, "HSCAN: unexpected reply");
        return;
    }
    /* Ask for the next page first: Redis scans it while this one is restored. */
    const char *cursor = reply->element[0]->str;
    int last = strcmp(cursor, "0") == 0;
    if (!last) {
        uintptr_t generation = s->generation;
        store_load_page(s, cursor);
        if (generation != s->generation || !s->loading)
            return; /* the request failed: the engine is gone */
    }
    int64_t now = wakeup_now_ms();
    redisReply *pairs = reply->element[1];
    for (size_t i = 0; i + 1 < pairs->elements; i += 2) {
        redisReply *f = pairs->element[i], *v = pairs->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (sla_engine_restore(s->engine, f->str, f->len, (const unsigned char *)v->str, v->len,
                               now) == 0) {
            s->load_restored++;
        } else {
            s->load_corrupt++;
            sla_warning("state of ticket '%.*s' is corrupt; skipped", (int)(f->len > 128 ? 128 : f->len),
                        f->str);
        }
    }
    if (!last)
        return;
    if (s->wait_link) {
        /* The marker written at the start of the load, and so every
         * record before it, on the replicas first. */
        s->wait_for = STORE_WAIT_LOAD;
        store_send_wait(s);
        return;
    }
    store_load_done(s);
}

static void store_load_done(store *s)
{
    s->loading = 0;
    s->reload_delay_ms = STORE_RELOAD_MIN_MS;
    s->stats.loads++;
    s->stats.restored += s->load_restored;
    s->stats.corrupt += s->load_corrupt;
    sla_info("state loaded: %" PRIu64 " tickets (%" PRIu64 " corrupt records skipped) in %" PRId64
             " ms", s->load_restored, s->load_corrupt, wakeup_now_ms() - s->load_started_ms);
    if (s->state_fn)
        s->state_fn(1, s->state_arg);
    /* Whatever came due while the daemon was away fires as the input is
     * read again (the watermark), not before: nothing fires here yet. */
    if (s->engine)
        store_flush(s);
}

/* cursor NULL: start a new load with a new engine. */
static void store_load_page(store *s, const char *cursor)
{
    if (cursor == NULL) {
        s->engine = sla_engine_new(s->cfg, 0);
        s->engine_serial++;
        sla_watermark_init(&s->input);
        if (s->engine == NULL) {
            sla_err("out of memory creating the engine");
            store_schedule_reload(s);
            return;
        }
        s->generation++;
        s->loading = 1;
        s->load_started_ms = wakeup_now_ms();
        s->load_restored = s->load_corrupt = 0;
        cursor = "0";
        sla_info("loading state from %s", s->keys.state);
        if (s->fence) {
            /* Before the first commit of this life, and again after a
             * failure (a Redis restarted or flushed forgets its scripts:
             * NOSCRIPT fails a commit, and the rebuild comes here). */
            const char *load[] = {"SCRIPT", "LOAD", SLA_LUA_FENCED};
            size_t load_lens[] = {6, 4, sizeof SLA_LUA_FENCED - 1};
            redis_link_command(s->link, NULL, NULL, 3, load, load_lens);
        }
        if (s->wait_link) {
            /* redis.wait_replicas: what the outbox holds now is delivered
             * once a write of this connection after it (the marker) was
             * acknowledged by the replicas: replication keeps its order. */
            memset(&s->wait_id, 0, sizeof s->wait_id);
            memset(&s->confirmed, 0, sizeof s->confirmed);
            const char *last[] = {"XREVRANGE", s->keys.escalations, "+", "-", "COUNT", "1"};
            size_t last_lens[] = {9, strlen(s->keys.escalations), 1, 1, 5, 1};
            const char *mark[] = {"SET", s->wait_marker, s->fence_token ? s->fence_token : "1"};
            size_t mark_lens[] = {3, strlen(mark[1]), strlen(mark[2])};
            if (store_command_tagged(s, store_on_last_id, 6, last, last_lens) < 0 ||
                redis_link_command(s->link, NULL, NULL, 3, mark, mark_lens) < 0) {
                store_fail(s, "command connection down during load");
                return;
            }
        }
    }
    const char *argv[] = {"HSCAN", s->keys.state, cursor, "COUNT", STORE_SCAN_COUNT};
    size_t lens[] = {5, strlen(argv[1]), strlen(cursor), 5, strlen(STORE_SCAN_COUNT)};
    if (store_command_tagged(s, store_on_scan, 5, argv, lens) < 0)
        store_fail(s, "command connection down during load");
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
    store *s = store_tag_take(privdata);
    if (s == NULL || !s->inflight)
        return;
    char why[320];
    if (!exec_reply_ok(r, why, sizeof why)) {
        /* Commands that failed inside EXEC undo nothing: what the others
         * wrote stands, the decisions' records included. A transaction
         * lost with its connection is unknown: if it did not commit, the
         * rebuilt engine decides again and those decisions count then. */
        const redisReply *reply = r;
        if (reply && reply->type == REDIS_REPLY_ARRAY)
            store_show_notes(s, reply);
        if (s->fence && reply && reply->type == REDIS_REPLY_ERROR &&
            strncmp(reply->str, "FENCED", 6) == 0)
            s->fenced = 1; /* never loaded again: the partition is another's */
        store_fail(s, why);
        return;
    }
    if (s->wait_link) {
        /* The records it wrote: the decisions' XADD replies. */
        const redisReply *reply = r;
        for (size_t i = 0; i < s->inflight_decisions; i++) {
            size_t e = s->notes_first + i;
            sla_streamid v;
            if (e < reply->elements && reply->element[e]->type == REDIS_REPLY_STRING &&
                sla_streamid_parse(reply->element[e]->str, reply->element[e]->len, &v) == 0 &&
                sla_streamid_cmp(&v, &s->wait_id) > 0)
                s->wait_id = v;
        }
        s->wait_for = STORE_WAIT_COMMIT;
        store_send_wait(s);
        return;
    }
    store_exec_done(s);
}

/* The transaction committed (and, with store_set_wait, reached the replicas). */
static void store_exec_done(store *s)
{
    s->stats.transactions++;
    s->inflight = 0;
    store_show_notes(s, NULL);
    store_call_syncs(s, STORE_SYNC_INFLIGHT, 1);
    if (s->engine && !s->inflight && (s->commit_waiting || s->tick_wanted))
        store_flush(s);
    store_call_idle(s);
}

static int store_send(store *s, int argc, const char **argv, const size_t *lens)
{
    if (s->fence)
        return sla_fence_add(s->fence, argc, argv, lens) < 0 ? -1 : 0;
    return redis_link_command(s->link, NULL, NULL, argc, argv, lens);
}

static int store_send_report(void *arg, int argc, const char **argv, const size_t *lens)
{
    return store_send(arg, argc, argv, lens);
}

/* One command "VERB key [extra] item..." over n items, binary-safe. */
static int store_send_list(store *s, const char *verb, const char *key, const char *extra, size_t n,
                           const char *(*item)(const store *s, size_t i, size_t per, size_t *len),
                           size_t per)
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
    /* The fenced script takes at most SLA_FENCE_MAX_WORDS words a command:
     * then the same command over slices of the items (MULTI/EXEC: one). */
    size_t words = n * per;
    size_t chunk = s->fence && argc > SLA_FENCE_MAX_WORDS
                       ? (SLA_FENCE_MAX_WORDS - head) / per * per
                       : words;
    int rc = 0;
    for (size_t from = 0; rc == 0 && from < words; from += chunk) {
        size_t k = words - from < chunk ? words - from : chunk;
        for (size_t i = 0; i < k; i++)
            argv[head + i] = item(s, (from + i) / per, (from + i) % per, &lens[head + i]);
        rc = store_send(s, (int)(head + k), argv, lens);
    }
    free(argv);
    free(lens);
    return rc;
}

static const char *item_upsert(const store *s, size_t i, size_t part, size_t *len)
{
    const sla_upsert *u = &s->out.upserts[i];
    *len = part == 0 ? u->ticket_len : u->record_len;
    return part == 0 ? u->ticket : (const char *)u->record;
}

static const char *item_removed(const store *s, size_t i, size_t part, size_t *len)
{
    *len = s->out.removed_len[i];
    return s->out.removed[i];
}

static const char *item_ack(const store *s, size_t i, size_t part, size_t *len)
{
    *len = strlen(s->acks[i]);
    return s->acks[i];
}

static int store_send_decision(store *s, const sla_decision *d)
{
    sla_field fields[SLA_DECISION_MAX_FIELDS];
    char scratch[512];
    size_t n = sla_decision_fields(d, fields, SLA_DECISION_MAX_FIELDS, scratch, sizeof scratch);
    const char *argv[3 + 2 * SLA_DECISION_MAX_FIELDS];
    size_t lens[3 + 2 * SLA_DECISION_MAX_FIELDS];
    argv[0] = "XADD";
    lens[0] = 4;
    argv[1] = s->keys.escalations;
    lens[1] = strlen(argv[1]);
    argv[2] = "*";
    lens[2] = 1;
    for (size_t i = 0; i < n; i++) {
        argv[3 + 2 * i] = fields[i].key;
        lens[3 + 2 * i] = fields[i].key_len;
        argv[4 + 2 * i] = fields[i].val;
        lens[4 + 2 * i] = fields[i].val_len;
    }
    return store_send(s, (int)(3 + 2 * n), argv, lens);
}

/*
 * The one flush: advance, collect, and write it with the staged batch.
 * Both the batch path and the alarm path come here.
 */
static void store_flush(store *s)
{
    if (s->engine == NULL || s->inflight)
        return;
    int commit = s->commit_waiting;
    if (!redis_link_is_up(s->link)) {
        if (commit)
            store_fail(s, "command connection down");
        else
            s->tick_wanted = 1; /* written when the link is back */
        return;
    }
    s->tick_wanted = 0;
    int64_t now = wakeup_now_ms();
    s->horizon_ms = sla_watermark_horizon(&s->input, now);
    sla_engine_advance_to(s->engine, s->horizon_ms, now);
    sla_engine_collect(s->engine, &s->out);
    int64_t next = sla_engine_next_wakeup(s->engine);
    /* Due but held back by the input: the input moves the horizon (and
     * flushes again), not the alarm. */
    s->held_back = next <= now;
    wakeup_arm(s->alarm, s->held_back ? INT64_MAX : next);
    if (s->held_back && s->behind_fn)
        s->behind_fn(s->behind_arg);

    s->commit_waiting = 0;
    sla_output *o = &s->out;
    memcpy(s->syncs[STORE_SYNC_INFLIGHT], s->syncs[STORE_SYNC_WAITING],
           s->nsyncs[STORE_SYNC_WAITING] * sizeof s->syncs[0][0]);
    s->nsyncs[STORE_SYNC_INFLIGHT] = s->nsyncs[STORE_SYNC_WAITING];
    s->nsyncs[STORE_SYNC_WAITING] = 0;
    if (o->nupserts == 0 && o->nremoved == 0 && o->ndecisions == 0 && s->ndead == 0 &&
        s->nacks == 0) {
        store_call_syncs(s, STORE_SYNC_INFLIGHT, 1);
        return;
    }
    store_keep_notes(s, o);
    s->notes_first = (o->nremoved ? 1 : 0) + (o->nupserts ? 1 : 0);

    static const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
    static const size_t multi_len[] = {5}, exec_len[] = {4};
    int rc = 0;
    if (s->fence)
        sla_fence_reset(s->fence);
    else
        rc = store_send(s, 1, multi, multi_len);
    if (rc == 0 && o->nremoved)
        rc = store_send_list(s, "HDEL", s->keys.state, NULL, o->nremoved, item_removed, 1);
    if (rc == 0 && o->nupserts)
        rc = store_send_list(s, "HSET", s->keys.state, NULL, o->nupserts, item_upsert, 2);
    if (s->fence) /* a long HSET may have been split */
        s->notes_first = sla_fence_count(s->fence);
    for (size_t i = 0; rc == 0 && i < o->ndecisions; i++)
        rc = store_send_decision(s, &o->decisions[i]);
    for (size_t i = 0; rc == 0 && i < s->ndead; i++)
        rc = store_send(s, s->dead[i].argc, s->dead[i].argv, s->dead[i].lens);
    if (rc == 0 && s->nacks)
        rc = store_send_list(s, "XACK", s->keys.events, s->group, s->nacks, item_ack, 1);
    if (rc == 0)
        /* the ends these states record, counted once */
        rc = report_stage(o, &s->keys, store_send_report, s);
    if (rc == 0 && s->fence) {
        int argc;
        const char **argv;
        const size_t *lens;
        rc = sla_fence_argv(s->fence, s->fence_sha, s->fence_lease, s->fence_token, &argc,
                            &argv, &lens) < 0
                 ? -1
                 : store_command_tagged(s, store_on_exec, argc, argv, lens);
        sla_fence_reset(s->fence);
    } else if (rc == 0) {
        rc = store_command_tagged(s, store_on_exec, 1, exec, exec_len);
    }
    if (rc == 0)
        redis_link_flush(s->link);
    sla_output_clear(&s->out);
    store_unstage(s);
    s->inflight = 1;
    if (rc < 0) {
        /* A half-written MULTI must not stay open on the connection. */
        redis_link_reset(s->link, "could not queue the transaction");
        if (s->inflight)
            store_fail(s, "could not queue the transaction");
    }
}

void store_commit(store *s, store_commit_fn *fn, void *arg)
{
    if (s->engine == NULL) {
        store_unstage(s);
        fn(0, arg);
        return;
    }
    size_t *n = &s->nsyncs[STORE_SYNC_WAITING];
    if (*n == STORE_MAX_SYNCS + STORE_MAX_COMMITS) {
        /* More commits outstanding than the caller promised: a bug. */
        sla_err("more than %d commits waiting; dropping the engine", STORE_MAX_COMMITS);
        store_unstage(s);
        fn(0, arg);
        store_fail(s, "too many commits waiting");
        return;
    }
    s->syncs[STORE_SYNC_WAITING][(*n)++] = (struct store_sync){fn, arg};
    s->commit_waiting = 1;
    store_flush(s);
}

void store_input_applied(store *s, const sla_streamid *last)
{
    sla_watermark_applied(&s->input, last);
}

void store_input_confirmed(store *s, int64_t at_ms)
{
    sla_watermark_confirmed(&s->input, at_ms);
}

void store_on_behind(store *s, store_behind_fn *fn, void *arg)
{
    s->behind_fn = fn;
    s->behind_arg = arg;
}

void store_get_input(store *s, int64_t *horizon_ms, int64_t *behind_ms)
{
    int ready = s && s->engine && !s->loading;
    *horizon_ms = ready ? s->horizon_ms : INT64_MIN;
    int64_t now = wakeup_now_ms();
    *behind_ms = ready && s->held_back && s->horizon_ms != INT64_MIN &&
                         now > s->horizon_ms
                     ? now - s->horizon_ms
                     : 0;
}

void store_tick(store *s)
{
    if (s->engine == NULL)
        return;
    if (s->inflight) {
        s->tick_wanted = 1;
        return;
    }
    store_flush(s);
}

int store_sync(store *s, store_commit_fn *fn, void *arg)
{
    if (s == NULL || s->engine == NULL || s->loading) {
        fn(0, arg);
        return 0;
    }
    if (s->nsyncs[STORE_SYNC_WAITING] >= STORE_MAX_SYNCS)
        return -1;
    s->syncs[STORE_SYNC_WAITING][s->nsyncs[STORE_SYNC_WAITING]++] =
        (struct store_sync){fn, arg};
    store_tick(s);
    return 0;
}

void store_observe(store *s, store_decision_fn *fn, void *arg)
{
    s->observe_fn = fn;
    s->observe_arg = arg;
}

void store_observe_outcomes(store *s, store_outcome_fn *fn, void *arg)
{
    s->outcome_fn = fn;
    s->outcome_arg = arg;
}

void store_when_idle(store *s, store_idle_fn *fn, void *arg)
{
    s->idle_fn = fn;
    s->idle_arg = arg;
    store_call_idle(s);
}

/* --- life --------------------------------------------------------------- */

void store_on_link(store *s, int up)
{
    if (s->link == NULL)
        return;
    if (!up) {
        if (s->inflight || s->commit_waiting)
            store_fail(s, "command connection lost with a transaction in flight");
        else if (s->loading)
            store_fail(s, "command connection lost while loading state");
        return;
    }
    if (s->engine == NULL && !s->loading && !s->fenced) {
        s->reload_delay_ms = STORE_RELOAD_MIN_MS;
        evtimer_del(s->reload_timer);
        store_load_page(s, NULL);
    } else if (s->engine && !s->loading && s->tick_wanted) {
        store_flush(s);
    }
}

sla_engine *store_engine(store *s)
{
    return s == NULL || s->loading ? NULL : s->engine;
}

uint64_t store_engine_serial(store *s)
{
    return s ? s->engine_serial : 0;
}

/*
 * After a reload the engine re-matches its tickets a slice at a time
 * (sla_engine_set_config): STORE_REMATCH_SLICE_US of work per turn of the
 * loop at the lowest priority, then the alarm, input and clients get
 * their turn.
 */
static void store_rematch_next(store *s)
{
    static const struct timeval zero = {0, 0};
    evtimer_add(s->rematch_timer, &zero);
}

static void store_on_rematch(evutil_socket_t fd, short what, void *arg)
{
    store *s = arg;
    sla_engine *e = s->engine;
    if (e == NULL)
        return;
    int64_t until = wakeup_mono_us() + STORE_REMATCH_SLICE_US;
    int done;
    while (!(done = sla_engine_rematch_step(e, STORE_REMATCH_STEP_SLOTS)) &&
           wakeup_mono_us() < until)
        ;
    s->rematch_slices++;
    if (!done)
        store_rematch_next(s);
    else
        sla_info("reload: open tickets matched against the new policies in %" PRId64
                 " ms (%u slices)",
                 (wakeup_mono_us() - s->rematch_began_us) / 1000, s->rematch_slices);
    if (!s->loading)
        store_tick(s); /* new targets: what is due now, and the alarm */
    if (done && s->rematched_fn)
        s->rematched_fn();
}

size_t store_rematch_pending(store *s)
{
    return s && s->engine ? sla_engine_rematch_pending(s->engine) : 0;
}

void store_on_rematched(store *s, void (*fn)(void))
{
    s->rematched_fn = fn;
}

void store_set_config(store *s, const sla_config *cfg, int64_t now_ms)
{
    s->cfg = cfg;
    if (s->engine) {
        sla_engine_set_config(s->engine, cfg, now_ms);
        s->rematch_began_us = wakeup_mono_us();
        s->rematch_slices = 0;
        store_rematch_next(s);
        if (!s->loading)
            store_tick(s);
    }
}

static void store_on_alarm(void *arg)
{
    store_tick(arg);
}

store *store_new(struct event_base *base, redis_link *command, const sla_keys *keys,
                 const sla_config *cfg, store_state_fn *fn, void *arg)
{
    store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->base = base;
    s->keys = *keys;
    s->group = strdup(cfg->stream.group);
    s->cfg = cfg;
    s->state_fn = fn;
    s->state_arg = arg;
    s->reload_delay_ms = STORE_RELOAD_MIN_MS;
    sla_watermark_init(&s->input);
    s->horizon_ms = INT64_MIN;
    s->reload_timer = evtimer_new(base, store_on_reload_timer, s);
    s->rematch_timer = evtimer_new(base, store_on_rematch, s);
    s->alarm = wakeup_new(base, store_on_alarm, s);
    /* Background work: a ticket read or fired first is re-matched at
     * once, so the sweep takes turns with queries and deliveries rather
     * than starve them behind input (priority.h). */
    if (s->rematch_timer)
        event_priority_set(s->rematch_timer, SLAD_PRIORITY_BULK);
    sla_output_init(&s->out);
    s->link = command;
    if (s->group == NULL || s->reload_timer == NULL || s->rematch_timer == NULL ||
        s->alarm == NULL) {
        store_free(s);
        return NULL;
    }
    return s;
}

/* The memory itself, once no reply refers to it. */
static void store_release(store *s)
{
    free(s);
}

void store_free(store *s)
{
    if (s == NULL)
        return;
    s->generation++; /* late replies are ignored from now on */
    s->state_fn = NULL;
    s->idle_fn = NULL;
    /* Every commit and sync is answered once: those still waiting fail. */
    store_call_syncs(s, STORE_SYNC_INFLIGHT, 0);
    store_call_syncs(s, STORE_SYNC_WAITING, 0);
    s->link = NULL;
    if (s->reload_timer)
        event_free(s->reload_timer);
    s->reload_timer = NULL;
    if (s->rematch_timer)
        event_free(s->rematch_timer);
    s->rematch_timer = NULL;
    if (s->wait_timer)
        event_free(s->wait_timer);
    s->wait_timer = NULL;
    free(s->wait_marker);
    s->wait_marker = NULL;
    s->wait_link = NULL;
    wakeup_free(s->alarm);
    s->alarm = NULL;
    store_drop_engine(s);
    s->loading = 0;
    s->inflight = 0;
    s->commit_waiting = 0;
    sla_output_clear(&s->out);
    store_unstage(s);
    store_drop_notes(s);
    free(s->notes);
    free(s->onotes);
    free(s->dead);
    free(s->acks);
    free(s->group);
    sla_fence_free(s->fence);
    free(s->fence_lease);
    free(s->fence_token);
    s->fence = NULL;
    s->freed = 1;
    if (s->tags_out == 0)
        store_release(s);
}

int store_set_fence(store *s, const char *lease_key, const char *token)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!EVP_Digest(SLA_LUA_FENCED, sizeof SLA_LUA_FENCED - 1, md, &mdlen, EVP_sha1(), NULL) ||
        mdlen != 20)
        return -1;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(s->fence_sha + 2 * i, 3, "%02x", md[i]);
    sla_fence *f = s->fence ? s->fence : sla_fence_new();
    char *lease = strdup(lease_key), *tok = strdup(token);
    if (f == NULL || lease == NULL || tok == NULL) {
        if (f != s->fence)
            sla_fence_free(f);
        free(lease);
        free(tok);
        return -1;
    }
    s->fence = f;
    free(s->fence_lease);
    free(s->fence_token);
    s->fence_lease = lease;
    s->fence_token = tok;
    return 0;
}

int store_fenced(store *s)
{
    return s && s->fenced;
}

void store_get_stats(store *s, store_stats *out)
{
    if (s == NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = s->stats;
}
