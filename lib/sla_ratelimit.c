/*
 * sla_ratelimit — two sliding windows per receiver. See sla_ratelimit.h.
 *
 * Each window is a ring of the last `limit` send times. With the ring
 * full, the oldest entry is the limit-th most recent send, and a new send
 * at t is allowed when that entry is at least period_ms before t. Checking
 * and recording are O(1).
 */
#include "sla_ratelimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int window_init(sla_ratelimit_window *w, int limit, int64_t period_ms)
{
    memset(w, 0, sizeof(*w));
    w->period_ms = period_ms;
    if (limit < 0 || limit > SLA_RATELIMIT_MAX)
        return -EINVAL;
    if (limit == 0)
        return 0;
    w->sent = calloc((size_t)limit, sizeof(*w->sent));
    if (!w->sent)
        return -ENOMEM;
    w->limit = (uint32_t)limit;
    return 0;
}

int sla_ratelimit_init(sla_ratelimit *rl, int per_second, int per_minute)
{
    /* Both windows are known empty before either can fail: the release
     * below frees what rl holds, never what the caller's memory held. */
    memset(rl, 0, sizeof(*rl));
    int err = window_init(&rl->second, per_second, 1000);
    if (!err)
        err = window_init(&rl->minute, per_minute, 60000);
    if (err)
        sla_ratelimit_release(rl);
    return err;
}

void sla_ratelimit_release(sla_ratelimit *rl)
{
    free(rl->second.sent);
    free(rl->minute.sent);
    memset(rl, 0, sizeof(*rl));
}

static int64_t window_next(const sla_ratelimit_window *w, int64_t now_ms)
{
    if (w->limit == 0 || w->count < w->limit)
        return now_ms;
    int64_t t = w->sent[w->head] + w->period_ms;
    return t > now_ms ? t : now_ms;
}

static void window_record(sla_ratelimit_window *w, int64_t now_ms)
{
    if (w->limit == 0)
        return;
    if (w->count < w->limit) {
        w->sent[(w->head + w->count) % w->limit] = now_ms;
        w->count++;
    } else {
        w->sent[w->head] = now_ms;
        w->head = (w->head + 1) % w->limit;
    }
}

int64_t sla_ratelimit_next(const sla_ratelimit *rl, int64_t now_ms)
{
    int64_t a = window_next(&rl->second, now_ms), b = window_next(&rl->minute, now_ms);
    return a > b ? a : b;
}

int sla_ratelimit_take(sla_ratelimit *rl, int64_t now_ms, int64_t *not_before_ms)
{
    int64_t at = sla_ratelimit_next(rl, now_ms);
    if (at > now_ms) {
        if (not_before_ms)
            *not_before_ms = at;
        return 0;
    }
    window_record(&rl->second, now_ms);
    window_record(&rl->minute, now_ms);
    return 1;
}
