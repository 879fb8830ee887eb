/*
 * sla_ratelimit — a receiver's sending rate, and what to do with the
 * notices that exceed it.
 *
 * Limits: at most per_second messages in any 1 s and per_minute in any
 * 60 s (0 = unlimited). The windows slide: the limiter remembers the time
 * of the last `limit` sends of each window and allows a send at t only if
 * the oldest of them is at least one window before t, so the limit holds
 * for every window, not just calendar-aligned ones. Chat platforms punish
 * overshoot (DingTalk blocks a robot for ten minutes after 20 messages in
 * a minute), so exactness is the point; memory is one int64 per allowed
 * message of each window.
 *
 * Digest policy (the delivery glue follows it, sla_webhook_build_digest
 * builds the message): each receiver has a queue of notices. Whenever the
 * limiter grants a send:
 *   - one notice waiting: it is sent as it is;
 *   - several waiting (they overflowed the rate): up to
 *     SLA_DIGEST_MAX_ITEMS of them leave together as ONE digest message.
 * So under a flood a receiver gets at most its rate of messages, every
 * notice is in one of them, none is dropped, and none waits longer than
 * the next free slot plus one digest per slot for the backlog ahead of it.
 * A digest that fails is retried as a whole, like any message.
 *
 * Pure: time is passed in (ms, monotonic is best; a clock stepping back
 * only makes the limiter more cautious). Ownership: the limiter owns its
 * two rings; sla_ratelimit_release frees them.
 */
#ifndef SLA_RATELIMIT_H
#define SLA_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/* Largest accepted limit per window (the ring holds one slot per message). */
#define SLA_RATELIMIT_MAX 100000

typedef struct sla_ratelimit_window {
    int64_t period_ms; /* 1000 or 60000 */
    int64_t *sent;     /* owned ring of the last `limit` send times; NULL when unlimited */
    uint32_t limit;    /* 0 = unlimited */
    uint32_t head;     /* index of the oldest entry once the ring is full */
    uint32_t count;    /* entries used, <= limit */
} sla_ratelimit_window;

typedef struct sla_ratelimit {
    sla_ratelimit_window second, minute;
} sla_ratelimit;

/*
 * Set up rl for the given limits (0 = unlimited). Returns 0, -EINVAL for a
 * negative limit or one above SLA_RATELIMIT_MAX, or -ENOMEM.
 */
int sla_ratelimit_init(sla_ratelimit *rl, int per_second, int per_minute);
void sla_ratelimit_release(sla_ratelimit *rl);

/* The earliest time >= now_ms at which a send is allowed (now_ms: send now). */
int64_t sla_ratelimit_next(const sla_ratelimit *rl, int64_t now_ms);

/*
 * Ask to send at now_ms. Returns 1 and records the send when allowed now;
 * returns 0 and sets *not_before_ms (may be NULL) when it is not.
 */
int sla_ratelimit_take(sla_ratelimit *rl, int64_t now_ms, int64_t *not_before_ms);

#endif
