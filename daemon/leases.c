/*
 * leases — partition leases kept in Redis. See leases.h.
 *
 * A reply's privdata carries the pass generation and what it answers:
 * (generation << 12) | slot, the slot being the partition (0..1023) or
 * LEASES_SLOT_BEAT for the heartbeat. The generation grows with every pass,
 * link loss and stop, so a late reply never touches a newer pass.
 */
#include "leases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "priority.h"
#include "sla_keys.h"
#include "sla_lease.h"
#include "sla_log.h"
#include "sla_lua_scripts.h"
#include "wakeup.h"

#define LEASES_SLOT_BITS 12
#define LEASES_SLOT_BEAT ((1 << LEASES_SLOT_BITS) - 1)

enum leases_phase { PHASE_IDLE = 0, PHASE_READ, PHASE_ACT, PHASE_STOP };

typedef struct lease {
    sla_keys keys;
    char token[SLA_LEASE_TOKEN_MAX]; /* "" when not owned */
    int64_t valid_from_ms;           /* sent time of the last renewal that succeeded */
    enum sla_lease_holder holder;    /* as read by this pass */
    redis_link *link;                /* its scripts' connection (leases_set_link); NULL: ls.link */
    int unknown;                     /* not read this pass: its connection was down */
} lease;

static struct {
    struct event_base *base;
    redis_link *link;
    struct event *timer;
    leases_change_fn *fn;
    void *fn_arg;
    char *name;
    char ttl[24];                    /* lease_ttl in ms, as the scripts take it */
    int64_t ttl_ms;
    int partitions;
    lease *p;
    sla_keys shared;                 /* for the key of the instances' set */
    uintptr_t generation;
    enum leases_phase phase;
    int out;                         /* replies awaited in this phase */
    int failed;                      /* a reply of this phase was lost or an error */
    int64_t sent_ms;                 /* when this phase's commands were sent */
    int live, rank;
    leases_done_fn *done;
    void *done_arg;
    leases_stats stats;
} ls;

static void *leases_tag(int slot)
{
    return (void *)((ls.generation << LEASES_SLOT_BITS) | (uintptr_t)slot);
}

static int leases_slot_of(void *privdata)
{
    uintptr_t v = (uintptr_t)privdata;
    if (v >> LEASES_SLOT_BITS != ls.generation)
        return -1;
    return (int)(v & LEASES_SLOT_BEAT);
}

static void leases_lose(int i, const char *why)
{
    if (!ls.p[i].token[0])
        return;
    sla_notice("partition %d: lease %s lost: %s", i, ls.p[i].token, why);
    ls.p[i].token[0] = '\0';
    ls.stats.owned--;
    if (ls.fn)
        ls.fn(i, 0, NULL, ls.fn_arg);
}

/* Partitions whose last good renewal is older than the TTL: stop now. */
static void leases_expire_local(int64_t now)
{
    for (int i = 0; i < ls.partitions; i++)
        if (ls.p[i].token[0] && !sla_lease_valid(ls.p[i].valid_from_ms, ls.ttl_ms, now)) {
            ls.stats.losses++;
            leases_lose(i, "not renewed within the lease TTL");
        }
}

/* The connection for partition i's lease (the heartbeat's for the beat). */
static redis_link *leases_link_of(int slot)
{
    if (slot >= 0 && slot < ls.partitions && ls.p[slot].link)
        return ls.p[slot].link;
    return ls.link;
}

static int leases_eval(const char *script, int nkeys, const char **keys, int nargs,
                       const char **args, redisCallbackFn *fn, int slot)
{
    const char *argv[8];
    size_t lens[8];
    char nk[4];
    int argc = 0;
    snprintf(nk, sizeof nk, "%d", nkeys);
    argv[argc++] = "EVAL";
    argv[argc++] = script;
    argv[argc++] = nk;
    for (int i = 0; i < nkeys; i++)
        argv[argc++] = keys[i];
    for (int i = 0; i < nargs; i++)
        argv[argc++] = args[i];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (redis_link_command(leases_link_of(slot), fn, leases_tag(slot), argc, argv, lens) < 0)
        return -1;
    ls.out++;
    return 0;
}

static void leases_phase_end(void);

/* Common to every reply: the slot, or -1 when it belongs to another pass. */
static int leases_reply_slot(redisReply *r, void *privdata)
{
    int slot = leases_slot_of(privdata);
    if (slot < 0)
        return -1;
    ls.out--;
    if (r == NULL && slot < ls.partitions && ls.p[slot].link) {
        /* Its own node's connection was lost (a cluster failing over):
         * only this partition is unknown for the pass. */
        ls.p[slot].unknown = 1;
        if (ls.phase == PHASE_READ)
            ls.p[slot].holder = ls.p[slot].token[0] ? SLA_LEASE_MINE : SLA_LEASE_OTHER;
        return slot;
    }
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        if (r && !ls.failed)
            sla_warning("leases: redis answered %.*s", (int)r->len, r->str);
        ls.failed = 1;
    }
    return slot;
}

/* --- phase 1: heartbeat and read ------------------------------------------ */

static int leases_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static void leases_on_beat(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    if (leases_reply_slot(r, privdata) < 0)
        return;
    if (r && r->type == REDIS_REPLY_ARRAY) {
        size_t nlen = strlen(ls.name);
        int live = 0, rank = 0, self = 0;
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *e = r->element[i];
            if (e->type != REDIS_REPLY_STRING)
                continue;
            int c = leases_name_cmp(e->str, e->len, ls.name, nlen);
            live++;
            rank += c < 0;
            self += c == 0;
        }
        ls.live = live + !self;
        ls.rank = rank;
    } else if (r && r->type != REDIS_REPLY_ERROR) {
        ls.failed = 1;
    }
    if (ls.out == 0)
        leases_phase_end();
}

static void leases_on_get(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    int i = leases_reply_slot(r, privdata);
    if (i < 0)
        return;
    if (r && i < ls.partitions) {
        lease *l = &ls.p[i];
        if (r->type == REDIS_REPLY_NIL) {
            l->holder = SLA_LEASE_FREE;
        } else if (r->type == REDIS_REPLY_STRING) {
            int mine = l->token[0] && strlen(l->token) == r->len &&
                       memcmp(l->token, r->str, r->len) == 0;
            l->holder = mine ? SLA_LEASE_MINE : SLA_LEASE_OTHER;
        } else {
            ls.failed = 1;
        }
        if (l->token[0] && l->holder != SLA_LEASE_MINE && r->type != REDIS_REPLY_ERROR) {
            char why[SLA_LEASE_TOKEN_MAX + 32];
            snprintf(why, sizeof why, "the lease is %s%.*s",
                     r->type == REDIS_REPLY_NIL ? "free" : "held by ",
                     r->type == REDIS_REPLY_STRING ? (int)r->len : 0,
                     r->type == REDIS_REPLY_STRING ? r->str : "");
            ls.stats.losses++;
            leases_lose(i, why);
        }
    }
    if (ls.out == 0)
        leases_phase_end();
}

static void leases_pass(void)
{
    if (ls.phase != PHASE_IDLE || !redis_link_is_up(ls.link))
        return;
    ls.generation++;
    ls.failed = 0;
    ls.out = 0;
    ls.phase = PHASE_READ;
    ls.sent_ms = wakeup_now_ms();
    const char *bkeys[] = {ls.shared.instances};
    const char *bargs[] = {ls.name, ls.ttl};
    int bad = leases_eval(SLA_LUA_INSTANCES, 1, bkeys, 2, bargs, leases_on_beat,
                          LEASES_SLOT_BEAT) < 0;
    for (int i = 0; i < ls.partitions && !bad; i++) {
        const char *argv[] = {"GET", ls.p[i].keys.lease};
        size_t lens[] = {3, strlen(ls.p[i].keys.lease)};
        int sent = redis_link_command(leases_link_of(i), leases_on_get, leases_tag(i), 2, argv,
                                      lens) == 0;
        ls.out += sent;
        if (!sent && ls.p[i].link) {
            /* Its own node's connection is down (a cluster failing over):
             * the others go on; this one is kept while its lease lasts
             * here and not taken. */
            ls.p[i].holder = ls.p[i].token[0] ? SLA_LEASE_MINE : SLA_LEASE_OTHER;
            ls.p[i].unknown = 1;
            continue;
        }
        ls.p[i].unknown = 0;
        bad = !sent;
    }
    if (bad) {
        /* The link went down while sending: its callbacks were or will be
         * called with NULL; a new generation makes them harmless. */
        ls.generation++;
        ls.phase = PHASE_IDLE;
        ls.out = 0;
    }
}

/* --- phase 2: renew, release, take ------------------------------------------- */

static void leases_on_renew(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    int i = leases_reply_slot(r, privdata);
    if (i < 0)
        return;
    if (r && r->type == REDIS_REPLY_INTEGER && i < ls.partitions) {
        if (r->integer == 1) {
            ls.p[i].valid_from_ms = ls.sent_ms;
            ls.stats.renewals++;
        } else {
            ls.stats.losses++;
            leases_lose(i, "renewal refused (the lease expired or was taken)");
        }
    }
    if (ls.out == 0)
        leases_phase_end();
}

static void leases_on_take(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    int i = leases_reply_slot(r, privdata);
    if (i < 0)
        return;
    if (r && r->type == REDIS_REPLY_STRING && i < ls.partitions &&
        r->len < SLA_LEASE_TOKEN_MAX) {
        lease *l = &ls.p[i];
        memcpy(l->token, r->str, r->len);
        l->token[r->len] = '\0';
        l->valid_from_ms = ls.sent_ms;
        ls.stats.owned++;
        ls.stats.takeovers++;
        sla_notice("partition %d: lease taken as %s", i, l->token);
        if (ls.fn)
            ls.fn(i, 1, l->token, ls.fn_arg);
    }
    if (ls.out == 0)
        leases_phase_end();
}

static void leases_on_release(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    if (leases_reply_slot(r, privdata) < 0)
        return;
    if (ls.out == 0)
        leases_phase_end();
}

/* Send the release of partition i (already lost locally). */
static int leases_release(int i, const char *token)
{
    const char *keys[] = {ls.p[i].keys.lease};
    const char *args[] = {token};
    ls.stats.releases++;
    return leases_eval(SLA_LUA_LEASE_RELEASE, 1, keys, 1, args, leases_on_release, i);
}

static void leases_phase_end(void)
{
    if (ls.phase == PHASE_STOP) {
        ls.phase = PHASE_IDLE;
        ls.generation++;
        if (ls.done)
            ls.done(ls.done_arg);
        ls.done = NULL;
        return;
    }
    if (ls.phase == PHASE_ACT || ls.failed) {
        ls.stats.passes += !ls.failed;
        ls.stats.live = ls.live;
        ls.phase = PHASE_IDLE;
        return;
    }
    /* PHASE_READ done: plan from what was read. */
    enum sla_lease_holder *holder = calloc((size_t)ls.partitions, sizeof *holder);
    enum sla_lease_action *action = calloc((size_t)ls.partitions, sizeof *action);
    if (!holder || !action) {
        free(holder);
        free(action);
        ls.phase = PHASE_IDLE;
        return;
    }
    for (int i = 0; i < ls.partitions; i++)
        holder[i] = ls.p[i].holder;
    sla_lease_plan(ls.partitions, ls.live, ls.rank, holder, action);
    ls.phase = PHASE_ACT;
    ls.generation++;
    ls.sent_ms = wakeup_now_ms();
    int bad = 0;
    for (int i = 0; i < ls.partitions && !bad; i++) {
        lease *l = &ls.p[i];
        const char *lkeys[] = {l->keys.lease, l->keys.lease_epoch};
        int failed = 0;
        if (l->unknown)
            continue; /* its node is not reachable now: nothing to send */
        if (action[i] == SLA_LEASE_RELEASE && l->token[0]) {
            char token[SLA_LEASE_TOKEN_MAX];
            snprintf(token, sizeof token, "%s", l->token);
            leases_lose(i, "released to even out the partitions");
            failed = leases_release(i, token) < 0;
        } else if (action[i] == SLA_LEASE_TAKE) {
            const char *args[] = {ls.name, ls.ttl};
            failed = leases_eval(SLA_LUA_LEASE_TAKE, 2, lkeys, 2, args, leases_on_take, i) < 0;
        } else if (l->token[0]) {
            const char *args[] = {l->token, ls.ttl};
            failed = leases_eval(SLA_LUA_LEASE_RENEW, 1, lkeys, 2, args, leases_on_renew, i) < 0;
        }
        /* On a connection of its own (a cluster node) only this one fails. */
        bad = failed && l->link == NULL;
    }
    free(holder);
    free(action);
    if (bad) {
        ls.generation++;
        ls.phase = PHASE_IDLE;
        ls.out = 0;
    } else if (ls.out == 0) {
        leases_phase_end();
    }
}

/* --- timer, link, life ------------------------------------------------------------ */

static void leases_on_timer(evutil_socket_t fd, short what, void *arg)
{
    leases_expire_local(wakeup_now_ms());
    leases_pass();
}

void leases_on_link(redis_link *link, int up, void *arg)
{
    if (ls.link == NULL)
        return;
    if (up) {
        leases_pass();
        return;
    }
    /* Replies in flight arrived as NULL already; start afresh next time.
     * Partitions stay owned until their TTL runs out (leases_expire_local):
     * a short reconnect keeps them. */
    ls.generation++;
    ls.out = 0;
    if (ls.phase == PHASE_STOP) {
        ls.phase = PHASE_IDLE;
        if (ls.done)
            ls.done(ls.done_arg);
        ls.done = NULL;
    }
    ls.phase = PHASE_IDLE;
}

int leases_init(struct event_base *base, redis_link *link, const sla_config *cfg,
                leases_change_fn *fn, void *arg)
{
    memset(&ls, 0, sizeof ls);
    ls.base = base;
    ls.fn = fn;
    ls.fn_arg = arg;
    ls.partitions = cfg->partitions;
    ls.ttl_ms = cfg->instance.lease_ttl_ms;
    snprintf(ls.ttl, sizeof ls.ttl, "%lld", (long long)ls.ttl_ms);
    ls.name = strdup(cfg->instance.name);
    ls.p = calloc((size_t)ls.partitions, sizeof *ls.p);
    ls.timer = event_new(base, -1, EV_PERSIST, leases_on_timer, NULL);
    /* First of everything due together (a process woken from a pause):
     * an expired lease is lost before any other callback acts for it. */
    if (ls.timer)
        event_priority_set(ls.timer, SLAD_PRIORITY_ALARM);
    if (!ls.name || !ls.p || !ls.timer) {
        leases_finish();
        return -1;
    }
    for (int i = 0; i < ls.partitions; i++)
        if (sla_keys_init(&ls.p[i].keys, cfg->stream.prefix, i) < 0) {
            leases_finish();
            return -1;
        }
    if (sla_keys_init(&ls.shared, cfg->stream.prefix, -1) < 0) {
        leases_finish();
        return -1;
    }
    ls.link = link;
    int64_t every = ls.ttl_ms / 3;
    struct timeval tv = {every / 1000, (every % 1000) * 1000};
    event_add(ls.timer, &tv);
    return 0;
}

void leases_stop(leases_done_fn *done, void *arg)
{
    if (ls.timer)
        event_del(ls.timer);
    ls.generation++;
    ls.out = 0;
    ls.failed = 0;
    ls.phase = PHASE_STOP;
    ls.done = done;
    ls.done_arg = arg;
    int up = ls.link && redis_link_is_up(ls.link);
    for (int i = 0; i < ls.partitions; i++) {
        if (!ls.p[i].token[0])
            continue;
        char token[SLA_LEASE_TOKEN_MAX];
        snprintf(token, sizeof token, "%s", ls.p[i].token);
        leases_lose(i, "stopping");
        if (ls.p[i].link) {
            /* A node's connection: the release goes if it can. */
            if (leases_release(i, token) == 0)
                redis_link_flush(ls.p[i].link);
        } else if (up && leases_release(i, token) < 0) {
            up = 0;
        }
    }
    if (up) {
        const char *bkeys[] = {ls.shared.instances};
        const char *bargs[] = {ls.name, "0"};
        if (leases_eval(SLA_LUA_INSTANCES, 1, bkeys, 2, bargs, leases_on_release,
                        LEASES_SLOT_BEAT) < 0)
            up = 0;
        else
            redis_link_flush(ls.link);
    }
    if ((!up && (ls.partitions == 0 || ls.p[0].link == NULL)) || ls.out == 0) {
        ls.generation++;
        ls.out = 0;
        leases_phase_end();
    }
}

void leases_set_link(int partition, redis_link *link)
{
    if (ls.p && partition >= 0 && partition < ls.partitions)
        ls.p[partition].link = link;
}

void leases_finish(void)
{
    if (ls.timer)
        event_free(ls.timer);
    free(ls.name);
    free(ls.p);
    memset(&ls, 0, sizeof ls);
}

int leases_owned(int partition)
{
    return ls.p && partition >= 0 && partition < ls.partitions && ls.p[partition].token[0];
}

int leases_valid(int partition, int64_t now_ms)
{
    return leases_owned(partition) &&
           sla_lease_valid(ls.p[partition].valid_from_ms, ls.ttl_ms, now_ms);
}

int64_t leases_renewed_ms(int partition)
{
    return leases_owned(partition) ? ls.p[partition].valid_from_ms : 0;
}

const char *leases_name(void)
{
    return ls.name;
}

const char *leases_token(int partition)
{
    return leases_owned(partition) ? ls.p[partition].token : NULL;
}

void leases_get_stats(leases_stats *s)
{
    *s = ls.stats;
}
