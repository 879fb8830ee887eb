/*
 * sla_lograte — repeated log lines, counted instead of written. See
 * sla_lograte.h.
 *
 * The hash is FNV-1a over the text; 0 marks a free slot, so a text that
 * hashes to 0 is taken as 1. Two different texts sharing a hash would
 * share a budget, which at 64 bits does not happen in practice and would
 * only thin the log, never lose a count.
 */
#include "sla_lograte.h"

#include <string.h>

void sla_lograte_init(sla_lograte *lr, uint32_t burst, int64_t interval_ms)
{
    memset(lr, 0, sizeof *lr);
    lr->burst = burst ? burst : 1;
    lr->interval_ms = interval_ms > 0 ? interval_ms : 1;
}

static uint64_t sla_lograte_hash(const char *msg, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)msg[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

/* Report what s held back, if anything, and forget it. */
static void sla_lograte_flush(sla_lograte_slot *s, sla_lograte_report_fn *report, void *arg)
{
    if (s->hash != 0 && s->held > 0)
        report(s->text, s->held, arg);
    s->held = 0;
}

int sla_lograte_check(sla_lograte *lr, const char *msg, size_t len, int64_t now_ms,
                      sla_lograte_report_fn *report, void *arg)
{
    uint64_t h = sla_lograte_hash(msg, len);
    sla_lograte_slot *s = NULL, *oldest = &lr->slot[0];
    for (size_t i = 0; i < SLA_LOGRATE_SLOTS; i++) {
        sla_lograte_slot *t = &lr->slot[i];
        if (t->hash == h) {
            s = t;
            break;
        }
        if (oldest->hash != 0 && (t->hash == 0 || t->last_ms < oldest->last_ms))
            oldest = t;
    }
    if (s == NULL) {
        /* A new message: take a free slot, else the one seen longest ago. */
        s = oldest;
        sla_lograte_flush(s, report, arg);
        s->hash = h;
        s->window_ms = now_ms;
        s->count = 0;
        size_t n = len < sizeof s->text - 1 ? len : sizeof s->text - 1;
        memcpy(s->text, msg, n);
        s->text[n] = '\0';
    } else if (now_ms - s->window_ms >= lr->interval_ms) {
        sla_lograte_flush(s, report, arg);
        s->window_ms = now_ms;
        s->count = 0;
    }
    s->last_ms = now_ms;
    if (s->count < UINT32_MAX)
        s->count++;
    if (s->count <= lr->burst)
        return 1;
    if (s->held < UINT32_MAX)
        s->held++;
    return 0;
}

int sla_lograte_expire(sla_lograte *lr, int64_t now_ms, sla_lograte_report_fn *report, void *arg)
{
    int n = 0;
    for (size_t i = 0; i < SLA_LOGRATE_SLOTS; i++) {
        sla_lograte_slot *s = &lr->slot[i];
        if (s->hash == 0 || s->held == 0 || now_ms - s->window_ms < lr->interval_ms)
            continue;
        sla_lograte_flush(s, report, arg);
        n++;
    }
    return n;
}
