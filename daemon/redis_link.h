/*
 * redis_link — one hiredis async connection that keeps itself connected.
 *
 * A link connects (TCP or Unix socket), sends AUTH (when a password is
 * configured) and SELECT before anything else, and reports "up" only once
 * both were accepted. When the connection is lost, or a connect attempt
 * does not complete within connect_timeout_ms (hiredis 0.14 has no async
 * timeouts, so the link guards it with its own timer), the link reports
 * "down" and tries again after an exponential backoff with jitter
 * (100 ms doubling to 10 s). Each loss is logged once, each recovery once.
 *
 * The link decides nothing about what to send: its owner issues commands
 * while it is up and learns of transitions through one callback. Replies
 * of commands in flight when the connection is lost arrive as NULL (that is
 * how hiredis reports them), before the "down" callback.
 *
 * Ownership: the link copies the settings it needs at creation, so the
 * configuration may be replaced or freed afterwards (a reload does not
 * move a running connection). Free with redis_link_free().
 */
#ifndef REDIS_LINK_H
#define REDIS_LINK_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <hiredis/async.h>

#include "sla_config.h"

typedef struct redis_link redis_link;

/* up = 1 when the link became usable, 0 when it was lost. */
typedef void redis_link_state_fn(redis_link *link, int up, void *arg);

/*
 * A new link named name ("reader", "command": used in log lines) using the
 * redis settings of cfg. Nothing happens until redis_link_start(). NULL on
 * OOM.
 */
redis_link *redis_link_new(struct event_base *base, const sla_config *cfg, const char *name,
                           redis_link_state_fn *fn, void *arg);
/*
 * A link to an explicit TCP address (a Redis Cluster node), with the
 * other settings (password, db, connect timeout) of cfg, or of the link
 * like (redis_link_new_like: an extra connection to another node of the
 * same cluster). NULL on OOM.
 */
redis_link *redis_link_new_at(struct event_base *base, const sla_config *cfg, const char *name,
                              const char *host, int port, redis_link_state_fn *fn, void *arg);
redis_link *redis_link_new_like(const redis_link *like, const char *name, const char *host,
                                int port, redis_link_state_fn *fn, void *arg);

/*
 * Point the link at another TCP address. When the address differs, a
 * connection is dropped (replies in flight arrive as NULL, then "down" is
 * reported if it was up) and, when the link was started, a new one is
 * attempted at once, without backoff. 0, or -1 on OOM (nothing changed).
 */
int redis_link_retarget(redis_link *link, const char *host, int port);
/* The TCP address (host is NULL for a Unix-socket link). */
const char *redis_link_host(const redis_link *link);
int redis_link_port(const redis_link *link);
/* Commands sent and not answered yet. */
size_t redis_link_in_flight(const redis_link *link);

/* Close the connection (replies in flight arrive as NULL) and free. */
void redis_link_free(redis_link *link);
/* The same at the next turn of the loop, the state function no longer
 * called from now on: for a link whose owner goes away from inside one of
 * the link's own reply callbacks (hiredis would otherwise report the
 * closing to a freed link). Replies still to come are answered NULL then. */
void redis_link_free_later(redis_link *link);
/* Free at once the links still waiting for their turn (before the event
 * loop is freed, when it will not run again). */
void redis_link_reap(void);

/* Begin connecting. */
void redis_link_start(redis_link *link);

/*
 * Write the commands queued so far to the socket now, instead of when the
 * loop next sees the socket writable (after the running callback and
 * maybe others): for a request whose answer the caller will wait for.
 */
void redis_link_flush(redis_link *link);

/* The event-loop priority of the link's socket events (priority.h), from
 * its next connection on; SLAD_PRIORITY_NORMAL unless set. */
void redis_link_set_priority(redis_link *link, int priority);
int redis_link_is_up(const redis_link *link);
const char *redis_link_name(const redis_link *link);
/* How many times the link came up again after its first connection. */
uint64_t redis_link_reconnects(const redis_link *link);

/*
 * Send one command (arguments binary-safe, borrowed only during the call).
 * fn may be NULL when the reply does not matter. Returns 0, or -1 when the
 * link is not up (fn is then not called).
 */
int redis_link_command(redis_link *link, redisCallbackFn *fn, void *privdata, int argc,
                       const char **argv, const size_t *argvlen);

/*
 * Hand every command later given to redis_link_command() to send(owner,
 * ...) instead: a cluster_link (cluster.h) routes the commands of the
 * modules that only know its redis_link, following redirections, and
 * writes them with redis_link_formatted(). NULL: sent directly again.
 */
typedef int redis_link_send_fn(void *owner, redisCallbackFn *fn, void *privdata, int argc,
                               const char **argv, const size_t *argvlen);
void redis_link_set_sender(redis_link *link, redis_link_send_fn *send, void *owner);

/*
 * Send one command already in the protocol's form (len bytes at cmd, as
 * redisFormatCommandArgv makes it; borrowed only during the call): how a
 * command is sent again after a redirection. As redis_link_command.
 */
int redis_link_formatted(redis_link *link, redisCallbackFn *fn, void *privdata, const char *cmd,
                         size_t len);

/*
 * A reply deadline (ms; 0: none, the default): when the oldest command of
 * the link has waited longer for its reply, the link is reset as if lost
 * (its replies arrive as NULL) and reconnects. Not for links whose
 * blocking reads wait on purpose.
 */
void redis_link_set_reply_timeout(redis_link *link, int ms);
/* How long the oldest unanswered command has waited (ms; 0 when none). */
int64_t redis_link_reply_wait_ms(const redis_link *link);

/*
 * Drop the connection now (why is logged) and reconnect after the backoff:
 * used when the owner no longer trusts the connection, e.g. a blocking read
 * that never answered. Safe to call from a reply callback of this link.
 */
void redis_link_reset(redis_link *link, const char *why);

#endif
