/*
 * control — the control socket slactl talks to (lib/sla_ctlproto).
 *
 * A Unix stream socket at control.socket, mode 0660: the owner (slad's
 * user) and its group may connect. A stale socket left by a previous run
 * is replaced; any other file at that path, or a socket another process
 * still listens on, makes the start fail. Each accepted peer is checked
 * again with SO_PEERCRED/SO_PEERGROUPS: uid 0, slad's own uid, or a member
 * of the socket's group.
 *
 * One request, one response, then the connection closes. Everything runs
 * on the event loop and nothing waits: a client that does not send a whole
 * request within CONTROL_READ_TIMEOUT_S, or that sends a malformed or
 * oversized one, gets an error response (when it can still be written)
 * and is dropped. At most control.max_clients are served at once and
 * control.max_clients_per_uid of one uid; root and slad's own uid are
 * never refused: when the table is full, the oldest idle client of
 * another uid is dropped (with an error saying so) to make room. The
 * others get an error response and the close. A listener out of
 * descriptors pauses (listen_guard). A command that needs Redis answers
 * when the reply comes (or with an error after CONTROL_OP_TIMEOUT_S).
 *
 * Commands (args in the request; data of the response):
 *
 *   status                     the daemon, its links, backlog, counters
 *   ticket     {id}            attributes and every clock
 *   due        {within_ms?, limit?}   running clocks not yet breached
 *   breached   {limit?}        clocks past their deadline, with level
 *   ack        {ticket, metric?}      acknowledge, answered once durable
 *   deliveries {dead?, limit?} pending/retrying, or the dead ones
 *   replay     {id}            one dead delivery back into the outbox
 *   reload                     what SIGHUP does, with its result
 *
 * Ownership: the configuration and keys are borrowed (control_set_config
 * replaces the configuration); links are borrowed and must outlive
 * control_finish(). The socket path is copied at init (it changes on
 * restart only).
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>

#include <event2/event.h>

#include "redis_link.h"
#include "sla_config.h"
#include "sla_keys.h"

#define CONTROL_READ_TIMEOUT_S 5
#define CONTROL_WRITE_TIMEOUT_S 5
#define CONTROL_OP_TIMEOUT_S 10

/* Reload the configuration as SIGHUP does: 0 when applied, -1 when
 * refused with the reason in err. */
typedef int control_reload_fn(char *err, size_t errlen, void *arg);

struct store; /* store.h */

typedef struct control_links {
    redis_link *command;     /* queries and replays go here */
    struct store *store;     /* the engine asked and synced */
    redis_link *const *all;  /* every link, for status */
    size_t nall;
} control_links;

/*
 * Create and listen on cfg->control_socket. Returns 0, or -1 after logging
 * why (path in use, not a socket, cannot bind).
 */
int control_init(struct event_base *base, const sla_config *cfg, const sla_keys *keys,
                 const control_links *links, control_reload_fn *reload, void *reload_arg);
/* The configuration was replaced (borrowed; its load time is now). */
void control_set_config(const sla_config *cfg);
/* Close every client and the socket, and remove the socket file. */
void control_finish(void);

#endif
