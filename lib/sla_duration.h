/*
 * sla_duration — durations as written in the configuration.
 *
 * A span keeps the three kinds of unit apart because they mean different
 * things under a business calendar:
 *   ms     plain time ("30s", "10m", "2h", "1h30m", "500ms"); with a
 *          calendar it is counted in business time only;
 *   days   "3d": with a calendar N business days (same business-time
 *          position N business days later), without one N * 24 h;
 *   rings  "3 rings" (pickup only): rings * ring_seconds.
 * Combinations are written without spaces, largest unit first ("1d2h30m").
 * A warn setting is either a span before the deadline or a percentage of
 * the target ("80%").
 */
#ifndef SLA_DURATION_H
#define SLA_DURATION_H

#include <stddef.h>
#include <stdint.h>

typedef struct sla_span {
    int64_t ms;    /* plain milliseconds, >= 0 */
    int32_t days;  /* whole days, >= 0 */
    int32_t rings; /* phone rings, >= 0 */
} sla_span;

/* Upper bound on any span: 10 years. Larger values are rejected. */
#define SLA_SPAN_MAX_MS (10LL * 366 * 24 * 3600 * 1000)

/*
 * Parse text into *out. Accepts units ms, s, m, h, d (each at most once, in
 * decreasing order) and the form "N ring"/"N rings". Returns 0, or -1 with a
 * human reason ("unknown unit 'x'", "empty duration", ...) in err.
 */
int sla_span_parse(const char *text, sla_span *out, char *err, size_t errlen);

/* 1 when all parts are zero. */
int sla_span_is_zero(const sla_span *s);

/* The span as wall-clock ms: days as 24 h, rings as ring_ms each. */
int64_t sla_span_plain_ms(const sla_span *s, int64_t ring_ms);

/*
 * A warn setting: "80%" sets *percent (1..99) and zeroes *before; a
 * duration sets *before and zeroes *percent. Returns 0 or -1 with err.
 */
int sla_warn_parse(const char *text, int *percent, sla_span *before, char *err, size_t errlen);

/*
 * Human form of a signed millisecond count for tables and alerts:
 * "450ms", "42s", "4m12s", "1h03m", "2d04h". Negative values get a leading
 * '-'. Returns the length written (snprintf semantics).
 */
int sla_ms_format(int64_t ms, char *buf, size_t len);

#endif
