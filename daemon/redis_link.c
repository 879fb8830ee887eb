/*
 * redis_link — one self-healing hiredis async connection on libevent.
 * See redis_link.h for what it promises.
 *
 * Life of a link:
 *
 *   start --> CONNECTING --SELECT ok--> UP --lost--> DOWN --backoff--> CONNECTING
 *                 |  (connect timer)                   ^
 *                 +--failed / timed out / refused------+
 *
 * Only CONNECTING -> UP and UP -> DOWN are reported to the owner. The
 * context pointer is cleared before the link drops a connection itself,
 * so hiredis's disconnect callback for a context the link already gave up
 * is recognised (ac != link->ac) and ignored: every loss is handled once.
 *
 * Reply deadline. hiredis 0.14 has no reply timeout, and a Redis that is
 * stopped (SIGSTOP) or wedged keeps its connections open: commands would
 * wait for ever. Every command sent through redis_link_command() goes
 * through one reply function of the link, which keeps the owner's
 * callback and the sending time in a ring in sending order (hiredis
 * answers a connection's commands in that order, lost ones with NULL), so
 * the age of the oldest unanswered command is always known. A link with a
 * reply deadline (redis_link_set_reply_timeout; not the links whose
 * blocking reads wait on purpose, which stream_reader guards) is reset
 * when that age passes it, and the age is shown to /healthz and /metrics.
 *
 * hiredis facts this relies on (0.14): a failed connect calls the connect
 * callback with REDIS_ERR and then frees the context itself; a lost
 * established connection runs every pending reply callback with a NULL
 * reply, then the disconnect callback; redisAsyncFree() called from inside
 * a reply callback is deferred until that callback returns.
 */
#include "redis_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/adapters/libevent.h>

#include "priority.h"
#include "reply_arena.h"
#include "sla_log.h"
#include "wakeup.h"

#define LINK_BACKOFF_MIN_MS 100
#define LINK_BACKOFF_MAX_MS 10000
#define LINK_WATCH_MS 250

/* A command sent and not answered yet. */
typedef struct link_pending {
    redisCallbackFn *fn;
    void *privdata;
    int64_t sent_ms; /* monotonic */
} link_pending;

struct redis_link {
    struct event_base *base;
    char *name;
    char *host;
    int port;
    char *unix_socket;  /* NULL: TCP */
    char *password;     /* NULL: no AUTH; never logged */
    int db;
    int connect_timeout_ms;
    int priority;          /* of the connection's events (priority.h) */
    int started;           /* redis_link_start was called */
    redis_link_send_fn *send; /* redis_link_set_sender; NULL: direct */
    void *send_owner;

    redisAsyncContext *ac; /* NULL while down; owned */
    int up;
    int failing;           /* a loss was logged and no recovery yet */
    unsigned attempts;     /* failed attempts since the last success */
    int backoff_ms;
    uint64_t connects;     /* times the link came up */
    struct event *connect_timer;
    struct event *retry_timer;

    redis_link_state_fn *fn;
    void *arg;

    link_pending *ring;    /* unanswered commands, oldest at ring_head */
    size_t ring_cap, ring_head, ring_count;
    int reply_timeout_ms;  /* 0: none */
    struct event *watch_timer;
    struct redis_link *doomed_next; /* redis_link_free_later: waiting for its turn */
};

static int link_ring_push(redis_link *link, redisCallbackFn *fn, void *privdata)
{
    if (link->ring_count == link->ring_cap) {
        size_t cap = link->ring_cap ? link->ring_cap * 2 : 64;
        link_pending *r = malloc(cap * sizeof *r);
        if (r == NULL)
            return -1;
        for (size_t i = 0; i < link->ring_count; i++)
            r[i] = link->ring[(link->ring_head + i) % link->ring_cap];
        free(link->ring);
        link->ring = r;
        link->ring_cap = cap;
        link->ring_head = 0;
    }
    link->ring[(link->ring_head + link->ring_count) % link->ring_cap] =
        (link_pending){fn, privdata, wakeup_mono_us() / 1000};
    link->ring_count++;
    return 0;
}

/* Every reply of a command sent by redis_link_command, in sending order. */
static void link_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    redis_link *link = privdata;
    if (link->ring_count == 0)
        return; /* cannot happen: one entry per command sent */
    link_pending p = link->ring[link->ring_head];
    link->ring_head = (link->ring_head + 1) % link->ring_cap;
    link->ring_count--;
    if (p.fn)
        p.fn(ac, reply, p.privdata);
}

int64_t redis_link_reply_wait_ms(const redis_link *link)
{
    if (link->ring_count == 0 || !link->up)
        return 0;
    int64_t age = (wakeup_mono_us() / 1000) - link->ring[link->ring_head].sent_ms;
    return age > 0 ? age : 0;
}

static void link_on_watch(evutil_socket_t fd, short what, void *arg)
{
    redis_link *link = arg;
    int64_t wait = redis_link_reply_wait_ms(link);
    if (link->reply_timeout_ms > 0 && wait > link->reply_timeout_ms) {
        char why[96];
        snprintf(why, sizeof why, "no reply within %d ms", link->reply_timeout_ms);
        redis_link_reset(link, why);
    }
}

void redis_link_set_reply_timeout(redis_link *link, int ms)
{
    link->reply_timeout_ms = ms > 0 ? ms : 0;
    if (link->reply_timeout_ms && link->watch_timer) {
        struct timeval tv = {0, LINK_WATCH_MS * 1000};
        evtimer_add(link->watch_timer, &tv);
    }
}

static void link_connect(redis_link *link);

static void link_arm(struct event *ev, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

/* The connection is gone (whoever noticed first): log, back off, report. */
static void link_lost(redis_link *link, const char *why)
{
    int was_up = link->up;
    link->up = 0;
    evtimer_del(link->connect_timer);
    link->attempts++;
    if (!link->failing) {
        sla_warning("redis %s: %s: %s; reconnecting with backoff", link->name,
                    was_up ? "connection lost" : "cannot connect", why);
        link->failing = 1;
    } else {
        sla_debug("redis %s: attempt %u failed: %s", link->name, link->attempts, why);
    }
    /* Jitter: somewhere in the upper half of the current step. */
    int half = link->backoff_ms / 2;
    int delay = half + (int)(random() % (half + 1));
    link->backoff_ms = link->backoff_ms * 2 > LINK_BACKOFF_MAX_MS ? LINK_BACKOFF_MAX_MS
                                                                  : link->backoff_ms * 2;
    link_arm(link->retry_timer, delay);
    if (was_up && link->fn)
        link->fn(link, 0, link->arg);
}

static void link_on_connect(const redisAsyncContext *ac, int status)
{
    redis_link *link = ac->data;
    if (status == REDIS_OK || link->ac != ac)
        return;
    /* hiredis frees the context after this returns. */
    link->ac = NULL;
    link_lost(link, ac->errstr[0] ? ac->errstr : "connect failed");
}

static void link_on_disconnect(const redisAsyncContext *ac, int status)
{
    redis_link *link = ac->data;
    if (link->ac != ac)
        return;
    link->ac = NULL;
    link_lost(link, status == REDIS_OK ? "closed" : (ac->errstr[0] ? ac->errstr : "error"));
}

/*
 * 1 when the reply to a handshake command (AUTH, SELECT) lets the
 * handshake go on; an error reply resets the link with `what` and the
 * server's reason (never the password: only the reply is quoted).
 */
static int link_handshake_ok(redis_link *link, redisAsyncContext *ac, const redisReply *reply,
                             const char *what)
{
    if (reply == NULL || link->ac != ac)
        return 0;
    if (reply->type == REDIS_REPLY_ERROR) {
        char why[256];
        snprintf(why, sizeof why, "%s refused: %.200s", what, reply->str);
        redis_link_reset(link, why);
        return 0;
    }
    return 1;
}

static void link_on_auth(redisAsyncContext *ac, void *r, void *privdata)
{
    link_handshake_ok(privdata, ac, r, "AUTH");
}

static void link_on_select(redisAsyncContext *ac, void *r, void *privdata)
{
    redis_link *link = privdata;
    char what[32];
    snprintf(what, sizeof what, "SELECT %d", link->db);
    if (!link_handshake_ok(link, ac, r, what))
        return;
    evtimer_del(link->connect_timer);
    if (link->failing)
        sla_notice("redis %s: reconnected after %u failed attempt%s", link->name, link->attempts,
                   link->attempts == 1 ? "" : "s");
    else
        sla_info("redis %s: connected", link->name);
    link->failing = 0;
    link->attempts = 0;
    link->backoff_ms = LINK_BACKOFF_MIN_MS;
    link->up = 1;
    link->connects++;
    if (link->fn)
        link->fn(link, 1, link->arg);
}

static void link_on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
    redis_link *link = arg;
    char why[64];
    snprintf(why, sizeof why, "no answer within %d ms", link->connect_timeout_ms);
    redis_link_reset(link, why);
}

static void link_on_retry(evutil_socket_t fd, short what, void *arg)
{
    link_connect(arg);
}

static void link_connect(redis_link *link)
{
    redisAsyncContext *ac = link->unix_socket ? redisAsyncConnectUnix(link->unix_socket)
                                              : redisAsyncConnect(link->host, link->port);
    if (ac == NULL) {
        link_lost(link, "out of memory");
        return;
    }
    if (ac->err) {
        char why[256];
        snprintf(why, sizeof why, "%s", ac->errstr);
        redisAsyncFree(ac);
        link_lost(link, why);
        return;
    }
    ac->data = link;
    reply_arena_attach(ac);
    if (redisLibeventAttach(ac, link->base) != REDIS_OK) {
        redisAsyncFree(ac);
        link_lost(link, "cannot attach to the event loop");
        return;
    }
    redisLibeventEvents *events = ac->ev.data; /* the adapter's, not yet active */
    event_priority_set(events->rev, link->priority);
    event_priority_set(events->wev, link->priority);
    redisAsyncSetConnectCallback(ac, link_on_connect);
    redisAsyncSetDisconnectCallback(ac, link_on_disconnect);
    link->ac = ac;
    link_arm(link->connect_timer, link->connect_timeout_ms);

    /* Queued now, written as soon as the socket connects. */
    if (link->password) {
        const char *argv[] = {"AUTH", link->password};
        size_t lens[] = {4, strlen(link->password)};
        redisAsyncCommandArgv(ac, link_on_auth, link, 2, argv, lens);
    }
    char db[16];
    int dblen = snprintf(db, sizeof db, "%d", link->db);
    const char *argv[] = {"SELECT", db};
    size_t lens[] = {6, (size_t)dblen};
    redisAsyncCommandArgv(ac, link_on_select, link, 2, argv, lens);
}

static char *link_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The common part of every constructor: timers, name, defaults. */
static redis_link *link_alloc(struct event_base *base, const char *name,
                              redis_link_state_fn *fn, void *arg)
{
    static int seeded;
    if (!seeded) {
        srandom((unsigned)time(NULL) ^ (unsigned)getpid());
        seeded = 1;
    }
    redis_link *link = calloc(1, sizeof *link);
    if (link == NULL)
        return NULL;
    link->base = base;
    link->name = strdup(name);
    link->backoff_ms = LINK_BACKOFF_MIN_MS;
    link->priority = SLAD_PRIORITY_NORMAL;
    link->fn = fn;
    link->arg = arg;
    link->connect_timer = evtimer_new(base, link_on_connect_timeout, link);
    link->retry_timer = evtimer_new(base, link_on_retry, link);
    link->watch_timer = event_new(base, -1, EV_PERSIST, link_on_watch, link);
    if (link->watch_timer)
        event_priority_set(link->watch_timer, SLAD_PRIORITY_NORMAL);
    if (link->name == NULL || link->connect_timer == NULL || link->retry_timer == NULL ||
        link->watch_timer == NULL) {
        redis_link_free(link);
        return NULL;
    }
    return link;
}

redis_link *redis_link_new_at(struct event_base *base, const sla_config *cfg, const char *name,
                              const char *host, int port, redis_link_state_fn *fn, void *arg)
{
    redis_link *link = link_alloc(base, name, fn, arg);
    if (link == NULL)
        return NULL;
    link->host = strdup(host);
    link->port = port;
    link->password = link_strdup(cfg->redis.password);
    link->db = cfg->redis.db;
    link->connect_timeout_ms = cfg->redis.connect_timeout_ms > 0 ? cfg->redis.connect_timeout_ms
                                                                 : 2000;
    if (link->host == NULL || (cfg->redis.password && link->password == NULL)) {
        redis_link_free(link);
        return NULL;
    }
    return link;
}

redis_link *redis_link_new_like(const redis_link *like, const char *name, const char *host,
                                int port, redis_link_state_fn *fn, void *arg)
{
    redis_link *link = link_alloc(like->base, name, fn, arg);
    if (link == NULL)
        return NULL;
    link->host = strdup(host);
    link->port = port;
    link->password = link_strdup(like->password);
    link->db = like->db;
    link->connect_timeout_ms = like->connect_timeout_ms;
    link->priority = like->priority;
    if (link->host == NULL || (like->password && link->password == NULL)) {
        redis_link_free(link);
        return NULL;
    }
    return link;
}

redis_link *redis_link_new(struct event_base *base, const sla_config *cfg, const char *name,
                           redis_link_state_fn *fn, void *arg)
{
    redis_link *link = redis_link_new_at(base, cfg, name,
                                         cfg->redis.host ? cfg->redis.host : "127.0.0.1",
                                         cfg->redis.port, fn, arg);
    if (link == NULL)
        return NULL;
    if (cfg->redis.unix_socket && cfg->redis.unix_socket[0] &&
        (link->unix_socket = strdup(cfg->redis.unix_socket)) == NULL) {
        redis_link_free(link);
        return NULL;
    }
    return link;
}

void redis_link_free(redis_link *link)
{
    if (link == NULL)
        return;
    link->fn = NULL; /* no reports while going away */
    link->up = 0;
    if (link->ac) {
        redisAsyncContext *ac = link->ac;
        link->ac = NULL;
        redisAsyncFree(ac);
    }
    if (link->connect_timer)
        event_free(link->connect_timer);
    if (link->retry_timer)
        event_free(link->retry_timer);
    if (link->watch_timer)
        event_free(link->watch_timer);
    free(link->ring); /* drained: freeing the context answered every command */
    if (link->password) {
        explicit_bzero(link->password, strlen(link->password));
        free(link->password);
    }
    free(link->unix_socket);
    free(link->host);
    free(link->name);
    free(link);
}

static redis_link *doomed; /* links of redis_link_free_later not freed yet */

static void link_on_free_later(evutil_socket_t fd, short what, void *arg)
{
    redis_link **pp = &doomed;
    while (*pp && *pp != arg)
        pp = &(*pp)->doomed_next;
    if (*pp == NULL)
        return; /* freed by redis_link_reap() */
    *pp = ((redis_link *)arg)->doomed_next;
    redis_link_free(arg);
}

void redis_link_reap(void)
{
    while (doomed) {
        redis_link *l = doomed;
        doomed = l->doomed_next;
        redis_link_free(l);
    }
}

void redis_link_free_later(redis_link *link)
{
    if (link == NULL)
        return;
    link->fn = NULL;
    struct event **evs[] = {&link->connect_timer, &link->retry_timer};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (*evs[i])
            event_del(*evs[i]);
    struct timeval now = {0, 0};
    if (event_base_once(link->base, -1, EV_TIMEOUT, link_on_free_later, link, &now) < 0) {
        redis_link_free(link); /* cannot defer: at least no report */
        return;
    }
    link->doomed_next = doomed;
    doomed = link;
}

void redis_link_start(redis_link *link)
{
    link->started = 1;
    if (link->ac == NULL && !evtimer_pending(link->retry_timer, NULL))
        link_connect(link);
}

void redis_link_set_priority(redis_link *link, int priority)
{
    link->priority = priority;
}

int redis_link_is_up(const redis_link *link)
{
    return link->up;
}

const char *redis_link_name(const redis_link *link)
{
    return link->name;
}

uint64_t redis_link_reconnects(const redis_link *link)
{
    return link->connects > 1 ? link->connects - 1 : 0;
}

int redis_link_command(redis_link *link, redisCallbackFn *fn, void *privdata, int argc,
                       const char **argv, const size_t *argvlen)
{
    if (link->send)
        return link->send(link->send_owner, fn, privdata, argc, argv, argvlen);
    if (!link->up || link->ac == NULL || link_ring_push(link, fn, privdata) < 0)
        return -1;
    if (redisAsyncCommandArgv(link->ac, link_on_reply, link, argc, argv, argvlen) != REDIS_OK) {
        link->ring_count--; /* not sent: forget the newest entry */
        return -1;
    }
    return 0;
}

void redis_link_set_sender(redis_link *link, redis_link_send_fn *send, void *owner)
{
    link->send = send;
    link->send_owner = owner;
}

int redis_link_formatted(redis_link *link, redisCallbackFn *fn, void *privdata, const char *cmd,
                         size_t len)
{
    if (!link->up || link->ac == NULL || link_ring_push(link, fn, privdata) < 0)
        return -1;
    if (redisAsyncFormattedCommand(link->ac, link_on_reply, link, cmd, len) != REDIS_OK) {
        link->ring_count--;
        return -1;
    }
    return 0;
}

int redis_link_retarget(redis_link *link, const char *host, int port)
{
    if (link->unix_socket == NULL && link->host && port == link->port &&
        strcmp(host, link->host) == 0)
        return 0;
    char *h = strdup(host);
    if (h == NULL)
        return -1;
    sla_notice("redis %s: moving to %s:%d", link->name, host, port);
    free(link->host);
    link->host = h;
    link->port = port;
    free(link->unix_socket);
    link->unix_socket = NULL;
    int was_up = link->up;
    link->up = 0;
    if (link->ac) {
        redisAsyncContext *ac = link->ac;
        link->ac = NULL;
        redisAsyncFree(ac); /* replies in flight arrive as NULL */
    }
    evtimer_del(link->connect_timer);
    evtimer_del(link->retry_timer);
    link->backoff_ms = LINK_BACKOFF_MIN_MS;
    link->attempts = 0;
    link->failing = 0;
    if (link->started)
        link_arm(link->retry_timer, 0); /* from the loop, not inside a reply callback */
    if (was_up && link->fn)
        link->fn(link, 0, link->arg);
    return 0;
}

const char *redis_link_host(const redis_link *link)
{
    return link->unix_socket ? NULL : link->host;
}

int redis_link_port(const redis_link *link)
{
    return link->port;
}

size_t redis_link_in_flight(const redis_link *link)
{
    return link->ring_count;
}

void redis_link_flush(redis_link *link)
{
    if (link->up && link->ac)
        redisAsyncHandleWrite(link->ac);
}

void redis_link_reset(redis_link *link, const char *why)
{
    redisAsyncContext *ac = link->ac;
    if (ac == NULL)
        return;
    link->ac = NULL;
    /* Pending replies arrive as NULL now (or, from inside a reply callback
     * of this context, right after it returns). */
    redisAsyncFree(ac);
    link_lost(link, why);
}
