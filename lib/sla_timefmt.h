/*
 * sla_timefmt — event times on the wire.
 *
 * Producers write `ts` and `due` either as integer milliseconds since the
 * Unix epoch or as RFC 3339 ("2026-11-25T19:44:08Z",
 * "2026-11-25T19:44:08.123+08:00", 'T' or ' ' as separator, 't'/'z' accepted,
 * fractions of any length truncated to milliseconds). Inputs are
 * length-delimited (stream values are not NUL-terminated).
 */
#ifndef SLA_TIMEFMT_H
#define SLA_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse len bytes of s into *out_ms. Integer form: 1..15 digits, no sign,
 * no spaces. RFC 3339: full date-time with offset; years 1970..9999.
 * Returns 0, or -1 when the text is neither form or out of range.
 */
int sla_time_parse(const char *s, size_t len, int64_t *out_ms);

/* UTC RFC 3339 with milliseconds: "2026-11-25T19:44:08.123Z". */
int sla_time_format(int64_t ms, char *buf, size_t len);

#endif
