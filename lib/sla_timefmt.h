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
 * Parse len bytes of s into *out_ms; never reads s[len] or beyond. Integer
 * form: 1..15 digits, no sign, no spaces. RFC 3339: full date-time with
 * offset; years 1970..9999, and the instant itself must not be before the
 * epoch. A leap second (":60") is read as the last millisecond of that
 * minute (":59.999"), so the date never rolls over and order is kept.
 * Returns 0, or -1 when the text is neither form or out of range.
 */
int sla_time_parse(const char *s, size_t len, int64_t *out_ms);

/*
 * UTC RFC 3339 with milliseconds: "2026-11-25T19:44:08.123Z". Returns the
 * length written (snprintf semantics).
 */
int sla_time_format(int64_t ms, char *buf, size_t len);

/*
 * Proleptic Gregorian calendar arithmetic, independent of any time zone or
 * of the TZ environment variable (shared with sla_calendar).
 * sla_days_from_civil: days since 1970-01-01 of year/month(1..12)/day.
 * sla_civil_from_days: the inverse. sla_days_in_month: 28..31.
 * Valid for years -1000000..1000000.
 */
int64_t sla_days_from_civil(int64_t year, int month, int day);
void sla_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
int sla_days_in_month(int64_t year, int month);

#endif
