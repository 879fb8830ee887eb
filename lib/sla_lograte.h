/*
 * sla_lograte — keep one repeated log line from flooding the log.
 *
 * The same message (the same text, compared by a 64-bit hash) is let
 * through at most `burst` times per `interval_ms`; further copies within
 * that interval are counted, not written. The first time the message comes
 * back after its interval, or when sla_lograte_expire() sweeps it, the
 * caller's report function is given how many copies were held back and
 * the start of the message (SLA_LOGRATE_TEXT - 1 bytes at most), to write
 * one "... repeated K times" line for them. Different messages do not hold
 * each other back.
 *
 * A fixed table of SLA_LOGRATE_SLOTS messages: when it is full, the slot
 * seen longest ago is reused (its held-back count is then reported by the
 * call that takes it over). Memory: the table lives in the caller's
 * struct, nothing is allocated.
 *
 * Pure: time comes in as milliseconds of any monotonic clock.
 */
#ifndef SLA_LOGRATE_H
#define SLA_LOGRATE_H

#include <stddef.h>
#include <stdint.h>

#define SLA_LOGRATE_SLOTS 32
#define SLA_LOGRATE_TEXT 96

/* Copies of text held back and not reported yet: held (>= 1). */
typedef void sla_lograte_report_fn(const char *text, uint32_t held, void *arg);

typedef struct sla_lograte_slot {
    uint64_t hash;        /* 0: free */
    int64_t window_ms;    /* start of the current interval */
    int64_t last_ms;      /* last time the message came */
    uint32_t count;       /* copies in the current interval, written or not */
    uint32_t held;        /* copies held back in the current interval */
    char text[SLA_LOGRATE_TEXT]; /* the start of the message, for the report */
} sla_lograte_slot;

typedef struct sla_lograte {
    uint32_t burst;       /* copies written per interval, >= 1 */
    int64_t interval_ms;  /* > 0 */
    sla_lograte_slot slot[SLA_LOGRATE_SLOTS];
} sla_lograte;

/* An empty table letting `burst` copies through per interval_ms. */
void sla_lograte_init(sla_lograte *lr, uint32_t burst, int64_t interval_ms);

/*
 * One copy of the message (len bytes) at now_ms. Returns 1 when it is to
 * be written, 0 when held back. Before that, report is called once when
 * earlier copies of this message (its interval is over) or of the message
 * whose slot it takes were held back and not yet reported.
 */
int sla_lograte_check(sla_lograte *lr, const char *msg, size_t len, int64_t now_ms,
                      sla_lograte_report_fn *report, void *arg);

/*
 * Close the intervals that ended by now_ms: for each message with copies
 * held back, report(held, arg) is called once and the count cleared.
 * Returns how many were reported.
 */
int sla_lograte_expire(sla_lograte *lr, int64_t now_ms, sla_lograte_report_fn *report,
                       void *arg);

#endif
